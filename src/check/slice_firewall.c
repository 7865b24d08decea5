/* slice_firewall.c - the firewall slice of `conndoctor check`: reads the
 * ruleset (iptables-save, ip6tables-save, iptables-legacy-save when legacy
 * tables are loaded, `nft -j list ruleset`), the nf_conntrack sysctls and,
 * when the ruleset filters on state, the conntrack entries of the MySQL
 * ports (over netlink);
 * then applies the firewall and conntrack rules (field report 004). The
 * tools run through util/run.h (no shell, a fixed PATH, LC_ALL=C, a
 * deadline). Nothing here changes the host. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check/conntrack.h"
#include "check/fds.h"
#include "check/fields.h"
#include "check/firewall.h"
#include "check/slices.h"
#include "util/clock.h"
#include "util/run.h"

/* A firewall fact's definition (check/fields.c). */
#define FF(x)	       (&chk_fields_firewall[CHK_FF_##x])
#define RUN_TIMEOUT_MS 5000
#define OUT_MAX	       (32u * 1024 * 1024)
#define MAX_RULE_FACTS 16
#define MAX_ERR_FACTS  8

/* The only directories tools are taken from: a root tool must not run
 * whatever an inherited PATH names first. */
static const char *const tool_dirs[] = {"/usr/sbin", "/sbin", "/usr/bin",
					"/bin", "/usr/local/sbin"};

/* What running one tool gave. */
struct run {
	struct cd_run_result res; /* out/nout: stdout, NUL-terminated */
	char *out;		  /* res.out */
	size_t nout;		  /* res.nout */
	char err[200];		  /* first line of stderr */
	int status;		  /* exit status, or -1 */
	int timed_out;
	int truncated; /* stdout reached OUT_MAX */
	int missing;   /* the tool is not installed */
	int spawn_errno;
};

__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t len,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static int find_tool(const char *name, char *path, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(tool_dirs) / sizeof(tool_dirs[0]); i++) {
		say(path, len, "%s/%s", tool_dirs[i], name);
		if (access(path, X_OK) == 0)
			return 0;
	}
	return -1;
}

/* Runs argv (argv[0] a tool name) through cd_run(), capturing stdout and
 * stderr, killed after RUN_TIMEOUT_MS. Returns 0 when it ran (see
 * r->status), -1 when it could not be started (r->missing, spawn_errno). */
static int run_tool(char *const argv[], struct run *r)
{
	const struct cd_run_opts o = {RUN_TIMEOUT_MS * CD_NS_PER_MS, OUT_MAX,
				      4096, CD_RUN_STDERR};
	char path[256];
	int rc;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (find_tool(argv[0], path, sizeof(path))) {
		r->missing = 1;
		r->out = r->res.out = calloc(1, 1);
		return -1;
	}
	rc = cd_run(path, argv, &o, &r->res);
	r->out = r->res.out;
	r->nout = r->res.nout;
	r->spawn_errno = r->res.spawn_errno;
	r->timed_out = r->res.timed_out;
	r->truncated = r->res.truncated;
	if (r->res.exited)
		r->status = r->res.exit_status;
	say(r->err, sizeof(r->err), "%.*s", (int)strcspn(r->res.err, "\n"),
	    r->res.err);
	return rc;
}

static void run_free(struct run *r)
{
	cd_run_result_free(&r->res);
	r->out = NULL;
}

/* Why a tool's output is not usable, for the unreadable list; NULL when
 * it is. */
static const char *run_problem(const struct run *r, char *buf, size_t len)
{
	if (r->missing)
		return "not installed";
	if (r->spawn_errno) {
		say(buf, len, "cannot run it: %s", strerror(r->spawn_errno));
		return buf;
	}
	if (r->timed_out) {
		say(buf, len, "gave no complete answer within %d ms",
		    RUN_TIMEOUT_MS);
		return buf;
	}
	if (r->truncated) {
		say(buf, len, "output over %u bytes", OUT_MAX);
		return buf;
	}
	if (r->status != 0) {
		say(buf, len, "exit %d: %s", r->status,
		    r->err[0] ? r->err : "(no message)");
		return buf;
	}
	return NULL;
}

/* ---------------------------------------------------------------- routes */

/* Splits a line into at most max blank-separated fields (in place). */
static size_t fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *save = NULL, *p;

	for (p = strtok_r(line, " \t\n", &save); p && n < max;
	     p = strtok_r(NULL, " \t\n", &save))
		f[n++] = p;
	return n;
}

/* A whole field as hexadecimal; -1 when it is not one. */
static int hex_field(const char *s, unsigned long *v)
{
	char *end;

	if (!s[0])
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 16);
	return *end || errno ? -1 : 0;
}

/* The interface of the longest IPv4 route to a (::ffff:-mapped) from
 * procroot/net/route (proc(5): Iface Destination Gateway Flags RefCnt Use
 * Metric Mask ..., addresses as hex in memory order); "" when unknown. */
static void route4(const char *procroot, const struct in6_addr *a, char *ifc,
		   size_t len)
{
	char path[512], line[512];
	uint32_t addr;
	int best = -1;
	FILE *fp;

	memcpy(&addr, &a->s6_addr[12], 4); /* network order, as the file */
	ifc[0] = '\0';
	say(path, sizeof(path), "%s/net/route", procroot);
	fp = fopen(path, "re");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		unsigned long dst, flags, mask;
		char *f[11];
		int bits;

		if (fields(line, f, 11) < 8 || hex_field(f[1], &dst) ||
		    hex_field(f[3], &flags) || hex_field(f[7], &mask) ||
		    !(flags & 1)) /* RTF_UP; the header line fails here */
			continue;
		if ((addr & (uint32_t)mask) != (uint32_t)dst)
			continue;
		bits = __builtin_popcount((unsigned)mask); /* contiguous */
		if (bits > best) {
			best = bits;
			say(ifc, len, "%s", f[0]);
		}
	}
	fclose(fp);
}

/* The same from procroot/net/ipv6_route (destination, prefix length,
 * source, source length, next hop, metric, refcnt, use, flags, iface). */
static void route6(const char *procroot, const struct in6_addr *a, char *ifc,
		   size_t len)
{
	char path[512], line[512];
	int best = -1;
	FILE *fp;

	ifc[0] = '\0';
	say(path, sizeof(path), "%s/net/ipv6_route", procroot);
	fp = fopen(path, "re");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		struct in6_addr d;
		unsigned long plen;
		unsigned k, full, rem;
		char *f[10];
		int ok = 1;

		if (fields(line, f, 10) != 10 || strlen(f[0]) != 32 ||
		    hex_field(f[1], &plen) || plen > 128)
			continue;
		for (k = 0; k < 16; k++) {
			char byte[3] = {f[0][2 * k], f[0][2 * k + 1], '\0'};
			unsigned long b;

			if (hex_field(byte, &b))
				ok = 0;
			else
				d.s6_addr[k] = (uint8_t)b;
		}
		full = (unsigned)plen / 8;
		rem = (unsigned)plen % 8;
		if (!ok || memcmp(d.s6_addr, a->s6_addr, full) ||
		    (rem && ((d.s6_addr[full] ^ a->s6_addr[full]) &
			     (0xffu << (8 - rem)) & 0xffu)))
			continue;
		if ((int)plen > best) {
			best = (int)plen;
			say(ifc, len, "%s", f[9]);
		}
	}
	fclose(fp);
}

/* ---------------------------------------------------------------- slice */

struct fwstate {
	struct chk_ruleset rs;
	struct chk_ct_info ct;
	struct chk_fw_sockinfo *info;
	int ipt_nft; /* iptables-save spoke for nf_tables */
	int any_read;
};

static int mysql_sock(const struct chk_ctx *ctx, const struct chk_sock *k)
{
	uint16_t port = k->server_side ? k->sport : k->dport;
	size_t i;

	for (i = 0; i < ctx->nports; i++)
		if (ctx->ports[i] == port)
			return 1;
	return 0;
}

/* Reports the parse errors recorded from index `from` on. */
static void error_facts(struct chk_facts *facts, const struct chk_ruleset *rs,
			size_t from, const char *tool)
{
	size_t i, shown = 0;

	if (rs->nerrors > from)
		chk_fact_add(facts, FF(PARSE_ERRORS), NULL, CHK_STR(tool),
			     CHK_UINT(rs->nerrors - from));
	for (i = from;
	     i < rs->nerrors && i < CHK_FW_ERRORS && shown < MAX_ERR_FACTS;
	     i++, shown++) {
		char key[48];

		say(key, sizeof(key), "%s line %u", tool, rs->errors[i].line);
		chk_fact_add(facts, FF(PARSE_ERROR), key, CHK_STR(tool),
			     CHK_UINT(rs->errors[i].line),
			     CHK_STR(rs->errors[i].msg));
	}
}

/* One iptables-save flavour into st->rs. */
static int read_ipt(struct fwstate *st, struct chk_facts *facts,
		    const char *tool, int family, int legacy_tool)
{
	char *argv[] = {(char *)tool, NULL};
	char why[256];
	const char *problem;
	struct run r;
	size_t e0 = st->rs.nerrors;
	int rc = 0;

	problem = run_tool(argv, &r) ? "" : run_problem(&r, why, sizeof(why));
	if (!problem) {
		enum chk_fw_backend b = CHK_FW_IPT_NFT;

		/* iptables-nft says "(nf_tables)" in its header line; the
		 * legacy tool says nothing. */
		if (legacy_tool || (r.nout && !strstr(r.out, "(nf_tables)")))
			b = CHK_FW_IPT_LEGACY;
		else if (family == AF_INET)
			st->ipt_nft = 1;
		rc = chk_fw_parse_iptables(&st->rs, r.out, r.nout, family, b);
		st->any_read = 1;
		chk_fact_add(facts, FF(TOOL), tool, CHK_UINT(r.nout),
			     CHK_BOOL(b == CHK_FW_IPT_LEGACY));
		error_facts(facts, &st->rs, e0, tool);
	} else {
		chk_unreadable(facts, tool, "%s",
			       run_problem(&r, why, sizeof(why)));
	}
	run_free(&r);
	return rc;
}

/* Whether legacy x_tables has tables loaded (procroot/net/NAME exists and
 * lists one): only then is iptables-legacy-save worth running. */
static int legacy_loaded(const char *procroot, const char *name)
{
	char path[512], line[64];
	FILE *fp;
	int any = 0;

	say(path, sizeof(path), "%s/net/%s", procroot, name);
	fp = fopen(path, "re");
	if (!fp)
		return 0;
	if (fgets(line, sizeof(line), fp) && line[0] && line[0] != '\n')
		any = 1;
	fclose(fp);
	return any;
}

static int read_nft(struct fwstate *st, struct chk_facts *facts)
{
	char *argv[] = {"nft", "-j", "list", "ruleset", NULL};
	char why[256], names[160];
	const char *problem;
	struct run r;
	size_t e0 = st->rs.nerrors, n;
	int rc = 0;

	problem = run_tool(argv, &r) ? "" : run_problem(&r, why, sizeof(why));
	if (!problem) {
		n = chk_fw_nft_native_tables(r.out, r.nout, names,
					     sizeof(names));
		/* iptables-nft's own tables are read from iptables-save,
		 * unless that failed. */
		rc = chk_fw_parse_nft_json(&st->rs, r.out, r.nout, st->ipt_nft);
		st->any_read = 1;
		chk_fact_add(facts, FF(NFT_TABLES), NULL, CHK_UINT(n),
			     CHK_STR(n ? names : ""));
		error_facts(facts, &st->rs, e0, "nft");
	} else if (!r.missing || !st->any_read) {
		chk_unreadable(facts, "nft list ruleset", "%s",
			       run_problem(&r, why, sizeof(why)));
	}
	run_free(&r);
	return rc;
}

/* The conntrack entries of the MySQL ports, over netlink. */
static int read_conntrack(const struct chk_ctx *ctx, struct fwstate *st,
			  struct chk_facts *facts)
{
	char err[256];

	if (chk_ct_dump(&st->ct.table, ctx->ports, ctx->nports, err,
			sizeof(err))) {
		chk_unreadable(facts, "conntrack table", "%s", err);
		return 0;
	}
	st->ct.listed = 1;
	return 0;
}

/* Interfaces towards the peers, and owners when replication may be at
 * stake. */
static int annotate(const struct chk_ctx *ctx, struct fwstate *st,
		    struct chk_facts *facts)
{
	const struct chk_census *c = ctx->census;
	int clients = 0;
	size_t i;

	st->info = calloc(c->ntcp ? c->ntcp : 1, sizeof(*st->info));
	if (!st->info)
		return -1;
	for (i = 0; i < c->ntcp; i++) {
		const struct chk_sock *k = &c->tcp[i];
		static const uint8_t v4[12] = {0, 0, 0, 0, 0,	 0,
					       0, 0, 0, 0, 0xff, 0xff};

		if (k->state != CHK_TCP_ESTABLISHED || !mysql_sock(ctx, k))
			continue;
		if (!memcmp(k->dst.s6_addr, v4, 12))
			route4(ctx->procroot, &k->dst, st->info[i].iface,
			       sizeof(st->info[i].iface));
		else
			route6(ctx->procroot, &k->dst, st->info[i].iface,
			       sizeof(st->info[i].iface));
		clients += !k->server_side;
	}
	/* Who holds client connections tells replication (mysqld) from
	 * pools; only worth a /proc scan when state rules can bite. */
	if (clients && st->rs.uses_ct) {
		struct chk_fds fds;
		char err[256];

		chk_fds_init(&fds);
		if (chk_fds_scan(&fds, ctx->procroot, c, err, sizeof(err))) {
			chk_unreadable(facts, "firewall owners", "%s", err);
		} else {
			for (i = 0; i < fds.n; i++) {
				const struct chk_fdsock *s = &fds.v[i];

				if (s->kind != CHK_FD_TCP || s->idx >= c->ntcp)
					continue;
				say(st->info[s->idx].comm,
				    sizeof(st->info[s->idx].comm), "%s",
				    s->comm);
				st->info[s->idx].pid = (int32_t)s->pid;
			}
		}
		chk_fds_free(&fds);
	}
	return 0;
}

static const char *target_name(unsigned t)
{
	static const char *const names[] = {"continue", "ACCEPT", "DROP",
					    "REJECT",	"RETURN", "jump",
					    "goto",	"other"};

	return t < 8 ? names[t] : "?";
}

static int mentions_port(const struct chk_fw_rule *r, const uint16_t *ports,
			 size_t np)
{
	const struct chk_fw_ports *lists[] = {&r->sport, &r->dport, &r->ports};
	size_t i, k, j;

	for (i = 0; i < 3; i++)
		for (k = 0; k < lists[i]->n; k++)
			for (j = 0; j < np; j++)
				if (ports[j] >= lists[i]->lo[k] &&
				    ports[j] <= lists[i]->hi[k])
					return 1;
	return 0;
}

/* The ruleset in facts: base chains of input and output, rules about the
 * MySQL ports or conntrack state. */
static void ruleset_facts(const struct chk_ctx *ctx, const struct fwstate *st,
			  struct chk_facts *facts)
{
	const struct chk_ruleset *rs = &st->rs;
	size_t i, shown = 0;

	for (i = 0; i < ctx->nports; i++)
		chk_fact_add(facts, FF(MYSQL_PORT), NULL,
			     CHK_UINT(ctx->ports[i]));
	for (i = 0; i < rs->nchains; i++) {
		const struct chk_fw_chain *c = &rs->chains[i];
		char key[48];

		if (c->hook != CHK_FW_HOOK_INPUT &&
		    c->hook != CHK_FW_HOOK_OUTPUT)
			continue;
		say(key, sizeof(key), "%s chain %s",
		    c->hook == CHK_FW_HOOK_INPUT ? "input" : "output", c->name);
		chk_fact_add(facts, FF(CHAIN), key,
			     CHK_STR(c->backend == CHK_FW_NFT ? "nft"
				     : c->backend == CHK_FW_IPT_LEGACY
					     ? "iptables-legacy"
					     : "iptables-nft"),
			     CHK_STR(c->family == AF_INET6  ? "ip6"
				     : c->family == AF_INET ? "ip"
							    : "inet"),
			     CHK_STR(c->table), CHK_STR(c->name),
			     CHK_STR(target_name(c->policy)),
			     CHK_UINT(c->nrules), CHK_INT(c->prio));
	}
	for (i = 0; i < rs->nrules && shown < MAX_RULE_FACTS; i++) {
		const struct chk_fw_rule *r = &rs->rules[i];
		const struct chk_fw_chain *c = &rs->chains[r->chain];
		char key[48], text[CHK_STR_MAX];

		if (!r->ct_mask && !mentions_port(r, ctx->ports, ctx->nports))
			continue;
		shown++;
		say(key, sizeof(key), "rule %.16s %.16s:%u", c->table, c->name,
		    r->pos);
		snprintf(text, sizeof(text), "%.*s",
			 (int)(r->text_len > 160 ? 160 : r->text_len),
			 chk_fw_rule_text(rs, r));
		chk_fact_add(facts, FF(RULE), key, CHK_UINT(r->line),
			     CHK_STR(text), CHK_BOOL(r->unknown));
	}
	chk_fact_add(facts, FF(STATE_RULES), NULL, CHK_BOOL(rs->uses_ct));
}

static void conntrack_facts(const struct fwstate *st, struct chk_facts *facts)
{
	const struct chk_ct_info *ct = &st->ct;

	if (!ct->loaded) {
		chk_fact_add(facts, FF(CONNTRACK), NULL, CHK_BOOL(0));
		return;
	}
	if (ct->max > 0 && ct->count >= 0)
		chk_fact_add(
			facts, FF(CT_ENTRIES), NULL, CHK_INT(ct->count),
			CHK_INT(ct->max),
			CHK_DBL(100.0 * (double)ct->count / (double)ct->max));
	chk_fact_add(facts, FF(CT_LOOSE), NULL, CHK_INT(ct->tcp_loose));
	chk_fact_add(facts, FF(CT_TIMEOUT), NULL,
		     CHK_INT(ct->timeout_established));
	if (ct->listed)
		chk_fact_add(facts, FF(CT_MYSQL), NULL, CHK_UINT(ct->table.n),
			     CHK_BOOL(ct->table.nerrors));
}

/* Every ruleset the host has into st->rs: iptables-save and
 * ip6tables-save, the legacy tools beside nf_tables when their tables
 * exist, and nft's native tables. */
static int read_rules(struct fwstate *st, const char *procroot,
		      struct chk_facts *facts)
{
	if (read_ipt(st, facts, "iptables-save", AF_INET, 0) ||
	    read_ipt(st, facts, "ip6tables-save", AF_INET6, 0))
		return -1;
	if (st->ipt_nft && legacy_loaded(procroot, "ip_tables_names") &&
	    read_ipt(st, facts, "iptables-legacy-save", AF_INET, 1))
		return -1;
	if (st->ipt_nft && legacy_loaded(procroot, "ip6_tables_names") &&
	    read_ipt(st, facts, "ip6tables-legacy-save", AF_INET6, 1))
		return -1;
	return read_nft(st, facts);
}

int chk_fw_ruleset_read(struct chk_ruleset *rs, const char *procroot)
{
	struct chk_facts facts;
	struct fwstate st;
	int rc;

	memset(&st, 0, sizeof(st));
	chk_ruleset_init(&st.rs);
	chk_facts_init(&facts); /* what was read: not wanted here */
	rc = read_rules(&st, procroot, &facts);
	chk_facts_free(&facts);
	if (rc || !st.any_read) {
		chk_ruleset_free(&st.rs);
		return rc ? -1 : 0;
	}
	*rs = st.rs;
	return 1;
}

int chk_fw_stateful_only(const char *procroot, const struct chk_census *c,
			 const uint16_t *ports, size_t nports, int8_t *out,
			 char *err, size_t errlen)
{
	struct chk_facts facts;
	struct chk_fw_view v;
	struct fwstate st;
	unsigned after;
	size_t s;
	int rc = -1, in;

	memset(&st, 0, sizeof(st));
	chk_ruleset_init(&st.rs);
	chk_ct_info_init(&st.ct);
	chk_facts_init(&facts);
	if (read_rules(&st, procroot, &facts)) {
		say(err, errlen, "out of memory");
		goto out;
	}
	if (!st.any_read) {
		say(err, errlen,
		    "no ruleset readable (iptables-save, nft: not installed, "
		    "or not root)");
		goto out;
	}
	chk_ct_sysctl_read(&st.ct, procroot);
	st.info = calloc(c->ntcp ? c->ntcp : 1, sizeof(*st.info));
	if (!st.info) {
		say(err, errlen, "out of memory");
		goto out;
	}
	for (s = 0; s < c->ntcp; s++) {
		static const uint8_t v4[12] = {0, 0, 0, 0, 0,	 0,
					       0, 0, 0, 0, 0xff, 0xff};

		if (!memcmp(c->tcp[s].dst.s6_addr, v4, 12))
			route4(procroot, &c->tcp[s].dst, st.info[s].iface,
			       sizeof(st.info[s].iface));
		else
			route6(procroot, &c->tcp[s].dst, st.info[s].iface,
			       sizeof(st.info[s].iface));
	}
	memset(&v, 0, sizeof(v));
	v.rs = &st.rs;
	v.census = c;
	v.info = st.info;
	v.ports = ports;
	v.nports = nports;
	v.tcp_loose = (int)st.ct.tcp_loose;
	/* As CD4001: accepted as ESTABLISHED, not as what conntrack makes of
	 * the same packet once it has forgotten the connection. */
	after = v.tcp_loose == 0 ? CHK_CT_INVALID : CHK_CT_NEW;
	for (s = 0; s < c->ntcp; s++) {
		out[s] = 0;
		for (in = 1; in >= 0 && out[s] != 1; in--) {
			int est = chk_fw_sock_verdict(&v, s, in,
						      CHK_CT_ESTABLISHED, NULL);
			int aft = chk_fw_sock_verdict(&v, s, in, after, NULL);

			if (est == 1 && aft == 0)
				out[s] = 1;
			else if (est < 0 || aft < 0)
				out[s] = -1;
		}
	}
	rc = 0;
out:
	chk_facts_free(&facts);
	free(st.info);
	chk_ct_info_free(&st.ct);
	chk_ruleset_free(&st.rs);
	return rc;
}

int chk_slice_firewall(const struct chk_ctx *ctx, struct chk_facts *facts,
		       struct cd_findings *out)
{
	const struct chk_census *c = ctx->census;
	struct chk_fw_view v;
	struct fwstate st;
	int rc = -1;

	memset(&st, 0, sizeof(st));
	chk_ruleset_init(&st.rs);
	chk_ct_info_init(&st.ct);
	if (read_rules(&st, ctx->procroot, facts))
		goto out;
	chk_ct_sysctl_read(&st.ct, ctx->procroot);
	if (st.rs.uses_ct && st.ct.loaded && c && c->tcp_ok &&
	    read_conntrack(ctx, &st, facts))
		goto out;
	if (c && c->tcp_ok && annotate(ctx, &st, facts))
		goto out;
	if (st.any_read)
		ruleset_facts(ctx, &st, facts);
	conntrack_facts(&st, facts);
	if (!c || !c->tcp_ok)
		chk_unreadable(facts, "firewall connections",
			       "no socket census: live connections not "
			       "checked against the ruleset");
	memset(&v, 0, sizeof(v));
	v.rs = st.any_read ? &st.rs : NULL;
	v.census = c && c->tcp_ok ? c : NULL;
	v.info = st.info;
	v.ports = ctx->ports;
	v.nports = ctx->nports;
	v.tcp_loose = (int)st.ct.tcp_loose;
	if (chk_fw_rules(&v, out) || chk_ct_rules(&v, &st.ct, out))
		goto out;
	rc = 0;
out:
	free(st.info);
	chk_ct_info_free(&st.ct);
	chk_ruleset_free(&st.rs);
	return rc;
}
