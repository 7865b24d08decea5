/* conntrack.c - parses `conntrack -L` output (conntrack(8), the format of
 * libnetfilter_conntrack's nfct_snprintf), reads the nf_conntrack sysctls
 * (Documentation/networking/nf_conntrack-sysctl.rst) and holds the rules
 * that compare the table with the live MySQL connections. */
#include "util/fileio.h"
#include "check/conntrack.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define CT_LINE_MAX 4096

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

/* Decimal number of at most 10 digits into *v; -1 when not one. */
static int ct_num(const char *s, size_t n, unsigned long *v)
{
	unsigned long x = 0;
	size_t i;

	if (!n || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		x = x * 10 + (unsigned long)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* An address into census form; its family, or 0. */
static int ct_addr(const char *s, size_t n, struct in6_addr *a)
{
	char buf[INET6_ADDRSTRLEN];
	struct in_addr v4;

	if (!n || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		a->s6_addr[10] = 0xff;
		a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &v4, 4);
		return AF_INET;
	}
	return inet_pton(AF_INET6, buf, a) == 1 ? AF_INET6 : 0;
}

static int ct_state(const char *s, size_t n, uint8_t *state)
{
	static const char *const names[] = {
		"NONE",	    "SYN_SENT",	  "SYN_RECV", "ESTABLISHED",
		"FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT",
		"CLOSE",    "SYN_SENT2",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i]) == n && !strncmp(s, names[i], n)) {
			*state = (uint8_t)i;
			return 0;
		}
	}
	return -1;
}

static int ct_push(struct chk_ct_table *t, const struct chk_ct_entry *e)
{
	if (t->n >= CHK_CT_MAX_ENTRIES)
		return -1;
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		struct chk_ct_entry *v = realloc(t->v, ncap * sizeof(*v));

		if (!v)
			return -1;
		t->v = v;
		t->cap = ncap;
	}
	t->v[t->n++] = *e;
	return 0;
}

struct word {
	const char *s;
	size_t n;
};

/* One entry line. Returns 0 (parsed or error recorded), -1 when out of
 * memory. */
static int ct_line(struct chk_ct_table *t, const char *line, size_t len,
		   uint32_t lineno)
{
	struct word w[64];
	struct chk_ct_entry e;
	size_t nw = 0, i = 0, k;
	unsigned long v;
	int fam = 0, groups = 0, have = 0;

	for (k = 0; k < len;) {
		while (k < len &&
		       (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
			k++;
		if (k >= len)
			break;
		if (nw == sizeof(w) / sizeof(w[0])) {
			ct_error(t, lineno, "too many words");
			return 0;
		}
		w[nw].s = line + k;
		while (k < len && line[k] != ' ' && line[k] != '\t' &&
		       line[k] != '\r')
			k++;
		w[nw].n = (size_t)(line + k - w[nw].s);
		nw++;
	}
	if (!nw)
		return 0;
	memset(&e, 0, sizeof(e));
	/* -o extended: "ipv4 2 tcp 6 ..." */
	if (w[0].n == 4 &&
	    (!strncmp(w[0].s, "ipv4", 4) || !strncmp(w[0].s, "ipv6", 4))) {
		fam = w[0].s[3] == '4' ? AF_INET : AF_INET6;
		i = 2;
	}
	if (i + 3 > nw || ct_num(w[i + 1].s, w[i + 1].n, &v) || v > 255) {
		ct_error(t, lineno, "no protocol number");
		return 0;
	}
	e.proto = (uint8_t)v;
	i += 2;
	if (ct_num(w[i].s, w[i].n, &v)) {
		ct_error(t, lineno, "bad timeout");
		return 0;
	}
	e.timeout = (uint32_t)v;
	i++;
	if (i < nw && !memchr(w[i].s, '=', w[i].n) && w[i].s[0] != '[') {
		if (ct_state(w[i].s, w[i].n, &e.state)) {
			ct_error(t, lineno, "unknown state");
			return 0;
		}
		i++;
	}
	for (; i < nw; i++) {
		const char *eq = memchr(w[i].s, '=', w[i].n);
		size_t kn, vn;
		const char *val;
		struct in6_addr a;
		int f;

		if (w[i].s[0] == '[') {
			if (w[i].n == 9 && !strncmp(w[i].s, "[ASSURED]", 9))
				e.assured = 1;
			else if (w[i].n == 11 &&
				 !strncmp(w[i].s, "[UNREPLIED]", 11))
				e.unreplied = 1;
			continue;
		}
		if (!eq) {
			ct_error(t, lineno, "unexpected word");
			return 0;
		}
		kn = (size_t)(eq - w[i].s);
		val = eq + 1;
		vn = w[i].n - kn - 1;
		if (kn == 3 && (!strncmp(w[i].s, "src", 3) ||
				!strncmp(w[i].s, "dst", 3))) {
			int src = w[i].s[0] == 's';

			if (src)
				groups++;
			if (groups < 1 || groups > 2) {
				ct_error(t, lineno, "tuples out of order");
				return 0;
			}
			f = ct_addr(val, vn, &a);
			if (!f || (fam && f != fam)) {
				ct_error(t, lineno, "bad address");
				return 0;
			}
			fam = f;
			if (groups == 1)
				*(src ? &e.osrc : &e.odst) = a;
			else
				*(src ? &e.rsrc : &e.rdst) = a;
			have |= 1 << ((groups - 1) * 4 + (src ? 0 : 1));
		} else if (kn == 5 && (!strncmp(w[i].s, "sport", 5) ||
				       !strncmp(w[i].s, "dport", 5))) {
			int s = w[i].s[0] == 's';

			if (groups < 1 || ct_num(val, vn, &v) || v > 65535) {
				ct_error(t, lineno, "bad port");
				return 0;
			}
			if (groups == 1)
				*(s ? &e.osport : &e.odport) = (uint16_t)v;
			else
				*(s ? &e.rsport : &e.rdport) = (uint16_t)v;
			have |= 1 << ((groups - 1) * 4 + (s ? 2 : 3));
		}
		/* mark=, use=, zone=, id=, secctx=, ...: not needed */
	}
	if ((have & 0x33) != 0x33 ||
	    ((e.proto == IPPROTO_TCP || e.proto == IPPROTO_UDP) &&
	     have != 0xff)) {
		ct_error(t, lineno, "incomplete tuples");
		return 0;
	}
	e.family = (uint8_t)fam;
	return ct_push(t, &e);
}

int chk_ct_parse(struct chk_ct_table *t, const char *text, size_t len)
{
	size_t off = 0;
	uint32_t line = 0;

	while (off < len) {
		const char *l;
		size_t n = cd_next_line(text, len, &off, &l);

		line++;
		if (n > CT_LINE_MAX)
			ct_error(t, line, "line too long");
		else if (memchr(l, '\0', n))
			ct_error(t, line, "NUL byte");
		else if (ct_line(t, l, n, line))
			return -1;
	}
	return 0;
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
		 "conntrack -L lists %zu entr%s for the MySQL ports, "
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
