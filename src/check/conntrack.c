/* conntrack.c - reads this network namespace's connection tracking
 * table over netlink with libnetfilter_conntrack (the entries conntrack(8)
 * lists), reads the nf_conntrack sysctls
 * (Documentation/networking/nf_conntrack-sysctl.rst) and holds the rules
 * that compare the table with the live MySQL connections. */
#include "check/conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/fileio.h"
#include "util/vec.h"

void chk_ct_table_init(struct chk_ct_table *t)
{
	memset(t, 0, sizeof(*t));
}

void chk_ct_table_free(struct chk_ct_table *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

void chk_ct_info_init(struct chk_ct_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->count = ci->max = ci->tcp_loose = ci->timeout_established = -1;
	chk_ct_table_init(&ci->table);
}

void chk_ct_info_free(struct chk_ct_info *ci)
{
	chk_ct_table_free(&ci->table);
}

__attribute__((format(printf, 3, 4))) static void
ct_error(struct chk_ct_table *t, uint32_t line, const char *fmt, ...)
{
	va_list ap;

	if (t->nerrors < CHK_FW_ERRORS) {
		struct chk_fw_error *e = &t->errors[t->nerrors];

		e->line = line;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	t->nerrors++;
}

int chk_ct_table_add(struct chk_ct_table *t, const struct chk_ct_entry *e)
{
	struct chk_ct_entry *v = cd_vec_grow(t->v, sizeof(*v), t->n + 1,
					     &t->cap, CHK_CT_MAX_ENTRIES, 64);

	if (!v)
		return -1;
	t->v = v;
	t->v[t->n++] = *e;
	return 0;
}

/* An address attribute into census form (IPv4 as ::ffff:a.b.c.d); -1
 * when the entry does not have it. */
static int ct_addr(const struct nf_conntrack *ct, int family,
		   enum nf_conntrack_attr a4, enum nf_conntrack_attr a6,
		   struct in6_addr *out)
{
	const void *p;
	uint32_t v4;

	memset(out, 0, sizeof(*out));
	if (family == AF_INET) {
		if (!nfct_attr_is_set(ct, a4))
			return -1;
		v4 = nfct_get_attr_u32(ct, a4); /* network order */
		out->s6_addr[10] = 0xff;
		out->s6_addr[11] = 0xff;
		memcpy(&out->s6_addr[12], &v4, 4);
		return 0;
	}
	p = nfct_attr_is_set(ct, a6) > 0 ? nfct_get_attr(ct, a6) : NULL;
	if (!p)
		return -1;
	memcpy(out, p, sizeof(*out));
	return 0;
}

/* A port attribute in host order; 0 when absent (ICMP, GRE, ...). */
static uint16_t ct_port(const struct nf_conntrack *ct, enum nf_conntrack_attr a)
{
	if (nfct_attr_is_set(ct, a) <= 0)
		return 0;
	return ntohs(nfct_get_attr_u16(ct, a));
}

int chk_ct_entry_from_nfct(const struct nf_conntrack *ct,
			   struct chk_ct_entry *e)
{
	uint32_t status;
	int fam;

	memset(e, 0, sizeof(*e));
	if (nfct_attr_is_set(ct, ATTR_ORIG_L3PROTO) <= 0 ||
	    nfct_attr_is_set(ct, ATTR_ORIG_L4PROTO) <= 0)
		return -1;
	fam = nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO);
	if (fam != AF_INET && fam != AF_INET6)
		return -1;
	if (ct_addr(ct, fam, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC,
		    &e->osrc) ||
	    ct_addr(ct, fam, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST,
		    &e->odst) ||
	    ct_addr(ct, fam, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC,
		    &e->rsrc) ||
	    ct_addr(ct, fam, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST, &e->rdst))
		return -1;
	e->family = (uint8_t)fam;
	e->proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
	e->osport = ct_port(ct, ATTR_ORIG_PORT_SRC);
	e->odport = ct_port(ct, ATTR_ORIG_PORT_DST);
	e->rsport = ct_port(ct, ATTR_REPL_PORT_SRC);
	e->rdport = ct_port(ct, ATTR_REPL_PORT_DST);
	if (e->proto == IPPROTO_TCP && nfct_attr_is_set(ct, ATTR_TCP_STATE) > 0)
		e->state = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
	if (e->state > CHK_CT_TCP_SYN_SENT2)
		e->state = CHK_CT_TCP_NONE;
	if (nfct_attr_is_set(ct, ATTR_TIMEOUT) > 0)
		e->timeout = nfct_get_attr_u32(ct, ATTR_TIMEOUT);
	status = nfct_attr_is_set(ct, ATTR_STATUS) > 0
			 ? nfct_get_attr_u32(ct, ATTR_STATUS)
			 : 0;
	/* as conntrack(8) marks them: [ASSURED], [UNREPLIED] */
	e->assured = (status & IPS_ASSURED) != 0;
	e->unreplied = (status & IPS_SEEN_REPLY) == 0;
	return 0;
}

int chk_ct_entry_wanted(const struct chk_ct_entry *e, const uint16_t *ports,
			size_t nports)
{
	size_t i;

	if (e->proto != IPPROTO_TCP)
		return 0;
	for (i = 0; i < nports; i++)
		if (e->odport == ports[i] || e->osport == ports[i])
			return 1;
	return 0;
}

/* What the dump's callback fills. */
struct dump {
	struct chk_ct_table *t;
	const uint16_t *ports;
	size_t nports;
	uint32_t seen; /* entries seen, for error positions */
	int full;      /* out of memory or over CHK_CT_MAX_ENTRIES */
};

static int dump_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
		   void *arg)
{
	struct dump *d = arg;
	struct chk_ct_entry e;

	(void)type;
	d->seen++;
	if (chk_ct_entry_from_nfct(ct, &e)) {
		ct_error(d->t, d->seen, "not an IPv4 or IPv6 entry");
		return NFCT_CB_CONTINUE;
	}
	if (!chk_ct_entry_wanted(&e, d->ports, d->nports))
		return NFCT_CB_CONTINUE;
	if (chk_ct_table_add(d->t, &e)) {
		d->full = 1;
		return NFCT_CB_STOP;
	}
	return NFCT_CB_CONTINUE;
}

int chk_ct_dump(struct chk_ct_table *t, const uint16_t *ports, size_t nports,
		char *err, size_t errlen)
{
	struct nfct_handle *h;
	struct dump d;
	uint32_t family = AF_UNSPEC;
	int rc;

	memset(&d, 0, sizeof(d));
	d.t = t;
	d.ports = ports;
	d.nports = nports;
	h = nfct_open(CONNTRACK, 0);
	if (!h) {
		cd_errf(err, errlen, "netlink (nfct_open): %s",
			strerror(errno));
		return -1;
	}
	if (nfct_callback_register(h, NFCT_T_ALL, dump_cb, &d)) {
		cd_errf(err, errlen, "netlink: %s", strerror(errno));
		nfct_close(h);
		return -1;
	}
	rc = nfct_query(h, NFCT_Q_DUMP, &family);
	if (d.full) {
		cd_errf(err, errlen, "out of memory or over %d entries",
			CHK_CT_MAX_ENTRIES);
		rc = -1;
	} else if (rc < 0) {
		cd_errf(err, errlen, "netlink dump: %s", strerror(errno));
	}
	nfct_close(h);
	return rc < 0 ? -1 : 0;
}

/* One number from procroot/sys/net/netfilter/NAME; -1 when absent. */
static long read_nf(const char *procroot, const char *name)
{
	char path[512];
	long v;

	snprintf(path, sizeof(path), "%s/sys/net/netfilter/%s", procroot, name);
	return cd_read_long(path, &v) < 0 ? -1 : v;
}

void chk_ct_sysctl_read(struct chk_ct_info *ci, const char *procroot)
{
	ci->count = read_nf(procroot, "nf_conntrack_count");
	ci->max = read_nf(procroot, "nf_conntrack_max");
	ci->tcp_loose = read_nf(procroot, "nf_conntrack_tcp_loose");
	ci->timeout_established =
		read_nf(procroot, "nf_conntrack_tcp_timeout_established");
	ci->loaded = ci->count >= 0 || ci->max >= 0;
}

static int tuple_is(const struct in6_addr *a, uint16_t ap,
		    const struct in6_addr *b, uint16_t bp,
		    const struct chk_sock *s)
{
	/* a:ap -> b:bp is either direction of the socket */
	if (ap == s->sport && bp == s->dport && !memcmp(a, &s->src, 16) &&
	    !memcmp(b, &s->dst, 16))
		return 1;
	return ap == s->dport && bp == s->sport && !memcmp(a, &s->dst, 16) &&
	       !memcmp(b, &s->src, 16);
}

const struct chk_ct_entry *chk_ct_find(const struct chk_ct_table *t,
				       const struct chk_sock *s)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct chk_ct_entry *e = &t->v[i];

		if (e->proto != IPPROTO_TCP)
			continue;
		if (tuple_is(&e->osrc, e->osport, &e->odst, e->odport, s) ||
		    tuple_is(&e->rsrc, e->rsport, &e->rdst, e->rdport, s))
			return e;
	}
	return NULL;
}

/* ---------------------------------------------------------------- rules */

/* CD4003: the table fills up; at the limit new flows are dropped. */
static int rule_table_full(const struct chk_ct_info *ct,
			   struct cd_findings *out)
{
	double use;
	struct cd_finding *f;

	if (ct->count < 0 || ct->max <= 0)
		return 0;
	use = (double)ct->count / (double)ct->max;
	if (use < 0.80)
		return 0;
	f = cd_finding_add(out, "CD4003",
			   use >= 0.95 ? CD_SEV_CRITICAL : CD_SEV_WARNING);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "the conntrack table is %.0f%% full (%ld of %ld): at the "
		 "limit the kernel drops new connections (\"nf_conntrack: "
		 "table full, dropping packet\")",
		 use * 100, ct->count, ct->max);
	snprintf(f->evidence, sizeof(f->evidence),
		 "/proc/sys/net/netfilter/nf_conntrack_count = %ld, "
		 "nf_conntrack_max = %ld. New MySQL connections then time "
		 "out on the SYN retransmission schedule.",
		 ct->count, ct->max);
	cd_finding_num(f, "count", (double)ct->count);
	cd_finding_num(f, "max", (double)ct->max);
	cd_finding_num(f, "use_pct", use * 100);
	return 0;
}

static int sock_port_match(const struct chk_fw_view *v,
			   const struct chk_sock *k)
{
	uint16_t port = k->server_side ? k->sport : k->dport;
	size_t i;

	for (i = 0; i < v->nports; i++)
		if (v->ports[i] == port)
			return 1;
	return 0;
}

static const char *ct_addr_str(const struct in6_addr *a, char *buf, size_t len)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0,	  0,
					0, 0, 0, 0, 0xff, 0xff};
	int ok;

	if (!memcmp(a->s6_addr, pfx, 12))
		ok = inet_ntop(AF_INET, &a->s6_addr[12], buf, (socklen_t)len) !=
		     NULL;
	else
		ok = inet_ntop(AF_INET6, a, buf, (socklen_t)len) != NULL;
	if (!ok)
		snprintf(buf, len, "?");
	return buf;
}

/* CD4004: live MySQL connections the table does not know while the
 * ruleset filters on state: their next packet is judged as NEW (or
 * INVALID) and may be dropped. */
static int rule_missing(const struct chk_fw_view *v,
			const struct chk_ct_info *ct, struct cd_findings *out)
{
	unsigned after = ct->tcp_loose == 0 ? CHK_CT_INVALID : CHK_CT_NEW;
	double lports[CD_EV_VALUES];
	char list[600];
	size_t s, nl = 0, n = 0, dropped = 0, used = 0;
	struct cd_finding *f;

	/* A namespace's conntrack works only once a loaded rule needs it;
	 * when the ruleset read here matches on state, it is working and an
	 * absent entry is really absent. */
	if (!v->census || !v->rs || !v->rs->uses_ct || !ct->listed)
		return 0;
	list[0] = '\0';
	for (s = 0; s < v->census->ntcp; s++) {
		const struct chk_sock *k = &v->census->tcp[s];
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
		int in, out_;

		if (k->state != CHK_TCP_ESTABLISHED || !sock_port_match(v, k) ||
		    chk_ct_find(&ct->table, k))
			continue;
		in = chk_fw_sock_verdict(v, s, 1, after, NULL);
		out_ = chk_fw_sock_verdict(v, s, 0, after, NULL);
		if (in == 1 && out_ == 1)
			continue; /* the next packet makes a new entry */
		n++;
		if (in == 0 || out_ == 0)
			dropped++;
		if (nl < CD_EV_VALUES)
			lports[nl++] = k->sport;
		if (used < sizeof(list) - 1 && n <= 8)
			used += (size_t)snprintf(
				list + used, sizeof(list) - used,
				"%s%s:%u -> %s:%u%s", n > 1 ? "; " : "",
				ct_addr_str(&k->src, a, sizeof(a)), k->sport,
				ct_addr_str(&k->dst, b, sizeof(b)), k->dport,
				in == 0	    ? " (incoming dropped)"
				: out_ == 0 ? " (outgoing dropped)"
					    : " (undecided)");
	}
	if (!n)
		return 0;
	f = cd_finding_add(out, "CD4004",
			   dropped ? CD_SEV_CRITICAL : CD_SEV_WARNING);
	if (!f)
		return -1;
	snprintf(
		f->summary, sizeof(f->summary),
		"%zu live MySQL connection%s ha%s no conntrack entry while the "
		"firewall filters on state: %s next packet will be judged as "
		"%s%s",
		n, n == 1 ? "" : "s", n == 1 ? "s" : "ve",
		n == 1 ? "its" : "their",
		after == CHK_CT_NEW ? "NEW" : "INVALID",
		dropped ? " and dropped" : "");
	snprintf(f->evidence, sizeof(f->evidence),
		 "the conntrack table holds %zu entr%s for the MySQL ports, "
		 "nf_conntrack_count = %ld, nf_conntrack_tcp_loose = %ld; "
		 "missing: %s%s. The entries were flushed (conntrack -F, a "
		 "firewall restart) or the state rules came after the "
		 "connections.",
		 ct->table.n, ct->table.n == 1 ? "y" : "ies", ct->count,
		 ct->tcp_loose, list, n > 8 ? "; ..." : "");
	cd_finding_num(f, "connections", (double)n);
	cd_finding_num(f, "dropped", (double)dropped);
	cd_finding_list(f, "local_ports", lports, nl);
	cd_finding_num(f, "tcp_loose", (double)ct->tcp_loose);
	return 0;
}

/* CD4005: idle connections outlive their entries. */
static int rule_timeout(const struct chk_fw_view *v,
			const struct chk_ct_info *ct, struct cd_findings *out)
{
	int stateful = v->rs && v->rs->uses_ct;
	struct cd_finding *f;

	if (!ct->loaded || ct->timeout_established < 0 ||
	    ct->timeout_established >= CHK_CT_IDLE_S)
		return 0;
	f = cd_finding_add(out, "CD4005",
			   stateful ? CD_SEV_WARNING : CD_SEV_INFO);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "conntrack forgets an idle TCP connection after %ld s, less "
		 "than MySQL's wait_timeout (%d s by default)%s",
		 ct->timeout_established, CHK_CT_IDLE_S,
		 stateful ? ": the stateful firewall then drops its next "
			    "packet from the server"
			  : "");
	snprintf(f->evidence, sizeof(f->evidence),
		 "/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established"
		 " = %ld (kernel default 432000). The ruleset %s on conntrack "
		 "state.",
		 ct->timeout_established,
		 stateful ? "filters" : "does not filter");
	cd_finding_num(f, "timeout_established_s",
		       (double)ct->timeout_established);
	cd_finding_num(f, "mysql_wait_timeout_s", CHK_CT_IDLE_S);
	cd_finding_num(f, "stateful", stateful);
	return 0;
}

int chk_ct_rules(const struct chk_fw_view *v, const struct chk_ct_info *ct,
		 struct cd_findings *out)
{
	if (!ct)
		return 0;
	if (rule_table_full(ct, out) || rule_missing(v, ct, out) ||
	    rule_timeout(v, ct, out))
		return -1;
	return 0;
}
