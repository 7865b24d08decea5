/* firewall.c - parses iptables-save output (iptables-save(8), the
 * iptables-restore format) and `nft list ruleset` (nft(8)) into one
 * ruleset model, evaluates a packet through the netfilter hooks the way the
 * kernel walks them (iptables-extensions(8), nft(8) "VERDICT STATEMENT"),
 * and holds the rules for field report 004's trap. Pure: text in, structs
 * and findings out. */
#include "check/firewall.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/fileio.h"

#define MAX_TOKENS 1024
#define POOL_MAX   (64u * 1024 * 1024)
#define EVAL_WORK  200000 /* rule visits per packet */
#define EVAL_DEPTH 64	  /* nested jumps */

/* ---------------------------------------------------------------- model */

void chk_ruleset_init(struct chk_ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

void chk_ruleset_free(struct chk_ruleset *rs)
{
	free(rs->chains);
	free(rs->rules);
	free(rs->pool);
	memset(rs, 0, sizeof(*rs));
}

const char *chk_fw_rule_text(const struct chk_ruleset *rs,
			     const struct chk_fw_rule *r)
{
	if (!rs->pool || (size_t)r->text_off + r->text_len > rs->npool)
		return "";
	return rs->pool + r->text_off;
}

__attribute__((format(printf, 3, 4))) static void
fw_error(struct chk_ruleset *rs, uint32_t line, const char *fmt, ...)
{
	va_list ap;

	if (rs->nerrors < CHK_FW_ERRORS) {
		struct chk_fw_error *e = &rs->errors[rs->nerrors];

		e->line = line;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	rs->nerrors++;
}

/* snprintf for report texts, which are cut at their buffer's size. */
__attribute__((format(printf, 3, 4))) static void textf(char *buf, size_t len,
							const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Copies s[0..n) into the text pool; its offset into *off. */
static int pool_add(struct chk_ruleset *rs, const char *s, size_t n,
		    uint32_t *off)
{
	if (n > CHK_FW_MAX_LINE)
		n = CHK_FW_MAX_LINE;
	if (rs->npool + n + 1 > rs->pool_cap) {
		size_t ncap = rs->pool_cap ? rs->pool_cap * 2 : 4096;
		char *p;

		while (ncap < rs->npool + n + 1)
			ncap *= 2;
		if (ncap > POOL_MAX)
			return -1;
		p = realloc(rs->pool, ncap);
		if (!p)
			return -1;
		rs->pool = p;
		rs->pool_cap = ncap;
	}
	memcpy(rs->pool + rs->npool, s, n);
	rs->pool[rs->npool + n] = '\0';
	*off = (uint32_t)rs->npool;
	rs->npool += n + 1;
	return 0;
}

/* Appends a chain; returns its index, or -1 (out of memory, cap). */
static int chain_add(struct chk_ruleset *rs, const char *table,
		     const char *name, enum chk_fw_backend backend, int family,
		     uint32_t line)
{
	struct chk_fw_chain *c;

	if (rs->nchains >= CHK_FW_MAX_CHAINS)
		return -1;
	if (rs->nchains == rs->chains_cap) {
		size_t ncap = rs->chains_cap ? rs->chains_cap * 2 : 16;
		struct chk_fw_chain *n = realloc(rs->chains, ncap * sizeof(*n));

		if (!n)
			return -1;
		rs->chains = n;
		rs->chains_cap = ncap;
	}
	c = &rs->chains[rs->nchains];
	memset(c, 0, sizeof(*c));
	snprintf(c->table, sizeof(c->table), "%s", table);
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->backend = (uint8_t)backend;
	c->family = (uint8_t)family;
	c->policy = CHK_FW_ACCEPT;
	c->line = line;
	return (int)rs->nchains++;
}

/* Chain index by name among chains [from, rs->nchains), or -1. */
static int chain_find(const struct chk_ruleset *rs, size_t from,
		      const char *name)
{
	size_t i;

	for (i = from; i < rs->nchains; i++)
		if (!strcmp(rs->chains[i].name, name))
			return (int)i;
	return -1;
}

/* Appends a copy of *r; -1 when out of memory or over the cap. */
static int rule_add(struct chk_ruleset *rs, const struct chk_fw_rule *r)
{
	if (rs->nrules >= CHK_FW_MAX_RULES)
		return -1;
	if (rs->nrules == rs->rules_cap) {
		size_t ncap = rs->rules_cap ? rs->rules_cap * 2 : 32;
		struct chk_fw_rule *n = realloc(rs->rules, ncap * sizeof(*n));

		if (!n)
			return -1;
		rs->rules = n;
		rs->rules_cap = ncap;
	}
	rs->rules[rs->nrules] = *r;
	rs->rules[rs->nrules].pos = (uint32_t)rs->nrules; /* order key */
	rs->nrules++;
	return 0;
}

static int cmp_rule(const void *a, const void *b)
{
	const struct chk_fw_rule *x = a, *y = b;

	if (x->chain != y->chain)
		return x->chain < y->chain ? -1 : 1;
	return x->pos < y->pos ? -1 : (x->pos > y->pos);
}

/* Groups the rules added since rule0 by chain (keeping their order) and
 * fills the chains' [first, nrules) ranges and the rules' positions. */
static void finish(struct chk_ruleset *rs, size_t chain0, size_t rule0)
{
	size_t i;

	if (rs->nrules > rule0)
		qsort(rs->rules + rule0, rs->nrules - rule0, sizeof(*rs->rules),
		      cmp_rule);
	for (i = chain0; i < rs->nchains; i++) {
		rs->chains[i].first = (uint32_t)rule0;
		rs->chains[i].nrules = 0;
	}
	for (i = rule0; i < rs->nrules; i++) {
		struct chk_fw_chain *c = &rs->chains[rs->rules[i].chain];

		if (!c->nrules)
			c->first = (uint32_t)i;
		rs->rules[i].pos = ++c->nrules;
		if (rs->rules[i].ct_mask)
			rs->uses_ct = 1;
	}
}

/* ---------------------------------------------------------------- values */

/* Parses "a.b.c.d[/len|/mask]" or an IPv6 address with an optional /len
 * into a ::ffff:-mapped (IPv4) or plain address and a 128-bit prefix.
 * Returns AF_INET, AF_INET6, or 0 when invalid. */
static int parse_prefix(const char *s, struct in6_addr *a, uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	struct in_addr v4;
	unsigned long len;
	char *end;

	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return 0;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		a->s6_addr[10] = 0xff;
		a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &v4, 4);
		*plen = 128;
		if (!slash)
			return AF_INET;
		if (strchr(slash + 1, '.')) { /* a dotted mask */
			struct in_addr m;
			uint32_t h;
			unsigned n = 0;

			if (inet_pton(AF_INET, slash + 1, &m) != 1)
				return 0;
			h = ntohl(m.s_addr);
			while (n < 32 && (h & (0x80000000u >> n)))
				n++;
			if (n < 32 && (h << n))
				return 0; /* not contiguous */
			*plen = (uint8_t)(96 + n);
			return AF_INET;
		}
		errno = 0;
		if (!isdigit((unsigned char)slash[1]))
			return 0;
		len = strtoul(slash + 1, &end, 10);
		if (*end || len > 32 || errno)
			return 0;
		*plen = (uint8_t)(96 + len);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, buf, a) != 1)
		return 0;
	*plen = 128;
	if (!slash)
		return AF_INET6;
	if (!isdigit((unsigned char)slash[1]))
		return 0;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (*end || len > 128 || errno)
		return 0;
	*plen = (uint8_t)len;
	return AF_INET6;
}

/* Adds a prefix to an address match; -1 when full or of another family. */
static int addrs_add(struct chk_fw_addrs *m, const char *s)
{
	struct in6_addr a;
	uint8_t plen;
	int fam = parse_prefix(s, &a, &plen);

	if (!fam || m->n >= CHK_FW_SET)
		return -1;
	if (m->n && m->v4 != (fam == AF_INET))
		return -1;
	m->v4 = fam == AF_INET;
	m->a[m->n] = a;
	m->plen[m->n] = plen;
	m->n++;
	return 0;
}

static int parse_u16(const char *s, size_t n, uint16_t *v)
{
	unsigned long x = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		x = x * 10 + (unsigned long)(s[i] - '0');
	}
	if (x > 65535)
		return -1;
	*v = (uint16_t)x;
	return 0;
}

/* "80", "1000:2000", ":2000", "1000:" (iptables, sep ':') or "1000-2000"
 * (nft, sep '-') into a port match. */
static int ports_add(struct chk_fw_ports *m, const char *s, char sep)
{
	const char *c = strchr(s, sep);
	uint16_t lo = 0, hi = 65535;

	if (m->n >= CHK_FW_SET)
		return -1;
	if (!c) {
		if (parse_u16(s, strlen(s), &lo))
			return -1;
		hi = lo;
	} else {
		if (c > s && parse_u16(s, (size_t)(c - s), &lo))
			return -1;
		if (c[1] && parse_u16(c + 1, strlen(c + 1), &hi))
			return -1;
		if ((c == s && sep == '-') || (!c[1] && sep == '-') || lo > hi)
			return -1;
	}
	m->lo[m->n] = lo;
	m->hi[m->n] = hi;
	m->n++;
	return 0;
}

/* A comma-separated list of ports (multiport). */
static int ports_list(struct chk_fw_ports *m, const char *s, char sep)
{
	char buf[256];
	char *p, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (ports_add(m, p, sep))
			return -1;
	return m->n ? 0 : -1;
}

static int parse_proto(const char *s, uint8_t *proto)
{
	static const struct {
		const char *name;
		uint8_t num;
	} names[] = {
		{"tcp", IPPROTO_TCP},	       {"udp", IPPROTO_UDP},
		{"icmp", IPPROTO_ICMP},	       {"icmpv6", IPPROTO_ICMPV6},
		{"ipv6-icmp", IPPROTO_ICMPV6}, {"sctp", IPPROTO_SCTP},
		{"udplite", IPPROTO_UDPLITE},  {"gre", IPPROTO_GRE},
		{"esp", IPPROTO_ESP},	       {"ah", IPPROTO_AH},
		{"dccp", IPPROTO_DCCP},	       {"all", 0},
	};
	uint16_t n;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s, names[i].name)) {
			*proto = names[i].num;
			return 0;
		}
	}
	if (parse_u16(s, strlen(s), &n) || n > 255)
		return -1;
	*proto = (uint8_t)n;
	return 0;
}

/* Conntrack state names, either case, separated by commas. */
static int parse_ctstates(const char *s, uint8_t *mask)
{
	static const struct {
		const char *name;
		uint8_t bit;
	} names[] = {
		{"NEW", CHK_CT_NEW},
		{"ESTABLISHED", CHK_CT_ESTABLISHED},
		{"RELATED", CHK_CT_RELATED},
		{"INVALID", CHK_CT_INVALID},
		{"UNTRACKED", CHK_CT_UNTRACKED},
		{"SNAT", CHK_CT_SNAT},
		{"DNAT", CHK_CT_DNAT},
	};
	const char *p = s;

	while (*p) {
		size_t n = strcspn(p, ","), i;
		int found = 0;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strlen(names[i].name) == n &&
			    !strncasecmp(p, names[i].name, n)) {
				*mask |= names[i].bit;
				found = 1;
			}
		}
		if (!found)
			return -1;
		p += n;
		if (*p)
			p++;
	}
	return *mask ? 0 : -1;
}

/* TCP flag names (either case), separated by `sep` characters. */
static int parse_tcpflags(const char *s, const char *sep, uint8_t *bits)
{
	static const struct {
		const char *name;
		uint8_t bit;
	} names[] = {
		{"FIN", CHK_TCP_FIN}, {"SYN", CHK_TCP_SYN},
		{"RST", CHK_TCP_RST}, {"PSH", CHK_TCP_PSH},
		{"ACK", CHK_TCP_ACK}, {"URG", CHK_TCP_URG},
		{"ECE", 0x40},	      {"CWR", 0x80},
		{"ALL", 0xff},	      {"NONE", 0},
	};
	const char *p = s;

	*bits = 0;
	while (*p) {
		size_t n = strcspn(p, sep), i;
		int found = 0;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strlen(names[i].name) == n &&
			    !strncasecmp(p, names[i].name, n)) {
				*bits |= names[i].bit;
				found = 1;
			}
		}
		if (!found || !n)
			return -1;
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

static int set_iface(char *dst, const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CHK_FW_IFNAME)
		return -1;
	memcpy(dst, s, n + 1);
	return 0;
}

static void mark_unknown(struct chk_fw_rule *r, const char *what)
{
	if (!r->unknown)
		snprintf(r->unknown_what, sizeof(r->unknown_what), "%s", what);
	r->unknown = 1;
}

/* ---------------------------------------------------------------- lines */

/* Splits a line into words in buf (shell-like double quotes with
 * backslash escapes, as iptables-save writes them). With `nft` set,
 * '{', '}', ',' and ';' outside quotes are words of their own. Returns the
 * number of words, -1 for an unterminated quote, -2 for too many words. */
static int split_words(const char *line, size_t len, char *buf, char **w,
		       int nft)
{
	size_t i = 0, o = 0;
	int n = 0;

	while (i < len) {
		while (i < len &&
		       (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
			i++;
		if (i >= len)
			break;
		if (n == MAX_TOKENS)
			return -2;
		w[n++] = buf + o;
		if (nft && strchr("{},;", line[i])) {
			buf[o++] = line[i++];
			buf[o++] = '\0';
			continue;
		}
		while (i < len && line[i] != ' ' && line[i] != '\t' &&
		       line[i] != '\r' && !(nft && strchr("{},;", line[i]))) {
			if (line[i] == '"') {
				i++;
				while (i < len && line[i] != '"') {
					if (line[i] == '\\' && i + 1 < len)
						i++;
					buf[o++] = line[i++];
				}
				if (i >= len)
					return -1;
				i++;
				continue;
			}
			buf[o++] = line[i++];
		}
		buf[o++] = '\0';
	}
	return n;
}

/* Rule-text trimmed of trailing blanks; length into *n. */
static const char *trim(const char *s, size_t len, size_t *n)
{
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len &&
	       (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	*n = len;
	return s;
}

/* ------------------------------------------------------ iptables-save */

struct ipt {
	struct chk_ruleset *rs;
	int family;
	enum chk_fw_backend backend;
	uint32_t line;
	char table[CHK_FW_NAME];
	int in_table, is_filter;
	size_t chain0; /* first chain of the current table */
	char buf[CHK_FW_MAX_LINE * 2 + 8];
	char *w[MAX_TOKENS];
};

/* Matches (or modules) whose options are understood. */
static int known_module(const char *m)
{
	static const char *const names[] = {
		"tcp",	   "udp",  "conntrack", "state",  "multiport",
		"comment", "icmp", "icmp6",	"icmpv6",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(m, names[i]))
			return 1;
	return 0;
}

/* Targets that let the packet go on to the next rule. */
static int nonterminal_target(const char *t)
{
	static const char *const names[] = {
		"LOG",	   "NFLOG",	  "ULOG",      "MARK",	"CONNMARK",
		"CT",	   "NOTRACK",	  "TRACE",     "AUDIT", "SET",
		"TCPMSS",  "CLASSIFY",	  "DSCP",      "TOS",	"TTL",
		"HL",	   "CHECKSUM",	  "IDLETIMER", "LED",	"RATEEST",
		"SECMARK", "CONNSECMARK", "HMARK",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(t, names[i]))
			return 1;
	return 0;
}

static int is_opt(const char *w, const char *s, const char *l)
{
	return (s && !strcmp(w, s)) || (l && !strcmp(w, l));
}

/* Parses the words of one "-A CHAIN ..." line from w[2] on into r.
 * Returns 0, or -1 with an error recorded. */
static int ipt_rule(struct ipt *st, char **w, int n, struct chk_fw_rule *r)
{
	struct chk_ruleset *rs = st->rs;
	const char *module = "";
	int known = 1, neg = 0, i;

	for (i = 2; i < n; i++) {
		const char *o = w[i];
		const char *arg = i + 1 < n ? w[i + 1] : NULL;

		if (!strcmp(o, "!")) {
			if (neg) {
				fw_error(rs, st->line, "double '!'");
				return -1;
			}
			neg = 1;
			continue;
		}
		/* Old style "-s ! ADDR": the '!' after the option. */
		if (arg && !strcmp(arg, "!") && o[0] == '-' &&
		    strcmp(o, "-j") && strcmp(o, "--jump")) {
			neg = 1;
			i++;
			arg = i + 1 < n ? w[i + 1] : NULL;
		}
		if (is_opt(o, "-j", "--jump") || is_opt(o, "-g", "--goto")) {
			int goto_ = o[1] == 'g' || !strcmp(o, "--goto");
			int c;

			if (!arg || neg) {
				fw_error(rs, st->line, "bad %s", o);
				return -1;
			}
			r->jump = -1;
			/* a user chain of this table, by name */
			c = st->is_filter ? chain_find(rs, st->chain0, arg)
					  : -1;
			if (!strcmp(arg, "ACCEPT"))
				r->target = CHK_FW_ACCEPT;
			else if (!strcmp(arg, "DROP"))
				r->target = CHK_FW_DROP;
			else if (!strcmp(arg, "REJECT"))
				r->target = CHK_FW_REJECT;
			else if (!strcmp(arg, "RETURN"))
				r->target = CHK_FW_RETURN;
			else if (c >= 0) {
				r->target = goto_ ? CHK_FW_GOTO : CHK_FW_JUMP;
				r->jump = c;
			} else if (goto_ && st->is_filter) {
				fw_error(rs, st->line, "goto to unknown chain");
				return -1;
			} else if (nonterminal_target(arg))
				r->target = CHK_FW_CONTINUE;
			else
				r->target = CHK_FW_OTHER;
			/* What follows are the target's own options. */
			return 0;
		}
		if (!arg && strcmp(o, "--syn") && strcmp(o, "-f") &&
		    strcmp(o, "--fragment")) {
			fw_error(rs, st->line, "%.40s without a value", o);
			return -1;
		}
		if (is_opt(o, "-p", "--protocol")) {
			if (parse_proto(arg, &r->proto)) {
				fw_error(rs, st->line, "bad protocol");
				return -1;
			}
			r->proto_neg = (uint8_t)neg;
		} else if (is_opt(o, "-s", "--source") || !strcmp(o, "--src") ||
			   is_opt(o, "-d", "--destination") ||
			   !strcmp(o, "--dst")) {
			struct chk_fw_addrs *m =
				(o[1] == 's' || !strcmp(o, "--source") ||
				 !strcmp(o, "--src"))
					? &r->src
					: &r->dst;
			char buf[512];
			char *p, *save = NULL;

			snprintf(buf, sizeof(buf), "%s", arg);
			m->n = 0;
			for (p = strtok_r(buf, ",", &save); p;
			     p = strtok_r(NULL, ",", &save)) {
				if (addrs_add(m, p) ||
				    (m->v4 != (st->family == AF_INET))) {
					fw_error(rs, st->line, "bad address");
					return -1;
				}
			}
			if (!m->n) {
				fw_error(rs, st->line, "bad address");
				return -1;
			}
			m->neg = (uint8_t)neg;
		} else if (is_opt(o, "-i", "--in-interface") ||
			   is_opt(o, "-o", "--out-interface")) {
			int in = o[1] == 'i' || !strcmp(o, "--in-interface");

			if (set_iface(in ? r->iif : r->oif, arg)) {
				fw_error(rs, st->line, "bad interface");
				return -1;
			}
			if (in)
				r->iif_neg = (uint8_t)neg;
			else
				r->oif_neg = (uint8_t)neg;
		} else if (is_opt(o, "-f", "--fragment")) {
			mark_unknown(r, "fragment");
			neg = 0;
			continue;
		} else if (is_opt(o, "-m", "--match")) {
			module = arg;
			known = known_module(arg);
			if (!known)
				mark_unknown(r, arg);
		} else if (is_opt(o, "-c", "--set-counters")) {
			i++; /* two values */
		} else if (!known) {
			/* An unknown module's option: skip its values. */
			while (i + 1 < n && w[i + 1][0] != '-' &&
			       strcmp(w[i + 1], "!"))
				i++;
			neg = 0;
			continue;
		} else if (is_opt(o, "--sport", "--source-port") ||
			   is_opt(o, "--dport", "--destination-port")) {
			struct chk_fw_ports *m =
				strstr(o, "sport") || strstr(o, "source")
					? &r->sport
					: &r->dport;

			m->n = 0;
			if (ports_add(m, arg, ':')) {
				fw_error(rs, st->line, "bad port");
				return -1;
			}
			m->neg = (uint8_t)neg;
		} else if (is_opt(o, "--sports", "--source-ports") ||
			   is_opt(o, "--dports", "--destination-ports") ||
			   is_opt(o, "--ports", NULL)) {
			struct chk_fw_ports *m = &r->dport;

			if (!strcmp(o, "--ports"))
				m = &r->ports;
			else if (!strcmp(o, "--sports") ||
				 !strcmp(o, "--source-ports"))
				m = &r->sport;
			m->n = 0;
			if (ports_list(m, arg, ':')) {
				fw_error(rs, st->line, "bad port list");
				return -1;
			}
			m->neg = (uint8_t)neg;
		} else if (is_opt(o, "--ctstate", "--state")) {
			r->ct_mask = 0;
			if (parse_ctstates(arg, &r->ct_mask)) {
				fw_error(rs, st->line, "bad state list");
				return -1;
			}
			r->ct_neg = (uint8_t)neg;
		} else if (is_opt(o, "--tcp-flags", NULL)) {
			if (i + 2 >= n ||
			    parse_tcpflags(arg, ",", &r->tcp_mask) ||
			    parse_tcpflags(w[i + 2], ",", &r->tcp_cmp)) {
				fw_error(rs, st->line, "bad --tcp-flags");
				return -1;
			}
			r->tcp_neg = (uint8_t)neg;
			i++;
		} else if (is_opt(o, "--syn", NULL)) {
			r->tcp_mask = CHK_TCP_SYN | CHK_TCP_RST | CHK_TCP_ACK |
				      CHK_TCP_FIN;
			r->tcp_cmp = CHK_TCP_SYN;
			r->tcp_neg = (uint8_t)neg;
			neg = 0;
			continue;
		} else if (is_opt(o, "--comment", NULL) ||
			   is_opt(o, "--icmp-type", "--icmpv6-type")) {
			/* No bearing on a TCP packet's fate. */
		} else if (o[0] == '-' && o[1] == '-') {
			/* A known module's option we do not model. */
			char what[24];

			snprintf(what, sizeof(what), "%s %s", module, o);
			mark_unknown(r, what);
			while (i + 1 < n && w[i + 1][0] != '-' &&
			       strcmp(w[i + 1], "!"))
				i++;
			neg = 0;
			continue;
		} else {
			fw_error(rs, st->line, "unexpected word '%.40s'", o);
			return -1;
		}
		i++; /* the value */
		neg = 0;
	}
	if (neg) {
		fw_error(rs, st->line, "'!' at the end");
		return -1;
	}
	r->target = CHK_FW_CONTINUE; /* no -j: counts only */
	r->jump = -1;
	return 0;
}

static const char *const builtin_chains[] = {
	"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING",
};

static enum chk_fw_hook builtin_hook(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(builtin_chains) / sizeof(builtin_chains[0]); i++)
		if (!strcmp(name, builtin_chains[i]))
			return (enum chk_fw_hook)(CHK_FW_HOOK_PREROUTING + i);
	return CHK_FW_HOOK_NONE;
}

/* ":NAME POLICY [p:b]" */
static int ipt_chain(struct ipt *st, char **w, int n)
{
	struct chk_ruleset *rs = st->rs;
	enum chk_fw_hook hook = builtin_hook(w[0] + 1);
	int c;

	if (!st->in_table) {
		fw_error(rs, st->line, "chain outside a table");
		return 0;
	}
	if (n < 2 || !w[0][1] || strlen(w[0] + 1) >= CHK_FW_NAME) {
		fw_error(rs, st->line, "bad chain line");
		return 0;
	}
	if (strcmp(w[1], "-") && strcmp(w[1], "ACCEPT") &&
	    strcmp(w[1], "DROP")) {
		fw_error(rs, st->line, "bad policy '%.20s'", w[1]);
		return 0;
	}
	if (!st->is_filter)
		return 0;
	if (chain_find(rs, st->chain0, w[0] + 1) >= 0) {
		fw_error(rs, st->line, "chain %.32s declared twice", w[0] + 1);
		return 0;
	}
	c = chain_add(rs, st->table, w[0] + 1, st->backend, st->family,
		      st->line);
	if (c < 0)
		return -1;
	rs->chains[c].hook = (uint8_t)hook;
	rs->chains[c].policy =
		!strcmp(w[1], "DROP") ? CHK_FW_DROP : CHK_FW_ACCEPT;
	return 0;
}

/* One line of iptables-save output. Returns -1 only when out of memory. */
static int ipt_line(struct ipt *st, const char *line, size_t len)
{
	struct chk_ruleset *rs = st->rs;
	struct chk_fw_rule r;
	const char *text;
	size_t tlen;
	int n, first = 0, c;

	text = trim(line, len, &tlen);
	if (!tlen || text[0] == '#')
		return 0;
	if (tlen > CHK_FW_MAX_LINE) {
		fw_error(rs, st->line, "line too long");
		return 0;
	}
	n = split_words(text, tlen, st->buf, st->w, 0);
	if (n < 0) {
		fw_error(rs, st->line,
			 n == -1 ? "unterminated quote" : "too many words");
		return 0;
	}
	if (n == 0)
		return 0;
	if (st->w[0][0] == '*') {
		if (st->in_table)
			fw_error(rs, st->line, "table %.32s without COMMIT",
				 st->table);
		if (!st->w[0][1] || strlen(st->w[0]) > CHK_FW_NAME || n != 1) {
			fw_error(rs, st->line, "bad table line");
			st->in_table = 0;
			return 0;
		}
		snprintf(st->table, sizeof(st->table), "%s", st->w[0] + 1);
		st->in_table = 1;
		st->is_filter = !strcmp(st->table, "filter");
		st->chain0 = rs->nchains;
		return 0;
	}
	if (st->w[0][0] == ':')
		return ipt_chain(st, st->w, n);
	if (!strcmp(st->w[0], "COMMIT")) {
		if (!st->in_table)
			fw_error(rs, st->line, "COMMIT outside a table");
		st->in_table = 0;
		return 0;
	}
	/* "[packets:bytes] -A ..." from iptables-save -c */
	if (st->w[0][0] == '[' && strlen(st->w[0]) > 1 &&
	    st->w[0][strlen(st->w[0]) - 1] == ']')
		first = 1;
	if (n - first < 2 ||
	    (strcmp(st->w[first], "-A") && strcmp(st->w[first], "--append"))) {
		fw_error(rs, st->line, "unexpected line");
		return 0;
	}
	if (!st->in_table) {
		fw_error(rs, st->line, "rule outside a table");
		return 0;
	}
	c = st->is_filter ? chain_find(rs, st->chain0, st->w[first + 1]) : 0;
	if (c < 0) {
		fw_error(rs, st->line, "rule for undeclared chain %.32s",
			 st->w[first + 1]);
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.line = st->line;
	r.chain = (uint32_t)c;
	r.jump = -1;
	if (ipt_rule(st, st->w + first, n - first, &r))
		return 0;
	if (!st->is_filter)
		return 0;
	if (pool_add(rs, text, tlen, &r.text_off))
		return -1;
	r.text_len =
		(uint32_t)(tlen > CHK_FW_MAX_LINE ? CHK_FW_MAX_LINE : tlen);
	return rule_add(rs, &r);
}

int chk_fw_parse_iptables(struct chk_ruleset *rs, const char *text, size_t len,
			  int family, enum chk_fw_backend backend)
{
	struct ipt *st = calloc(1, sizeof(*st));
	size_t off = 0, chain0 = rs->nchains, rule0 = rs->nrules;
	int rc = 0;

	if (!st)
		return -1;
	st->rs = rs;
	st->family = family;
	st->backend = backend;
	while (off < len && !rc) {
		const char *l;
		size_t n = cd_next_line(text, len, &off, &l);

		st->line++;
		if (memchr(l, '\0', n))
			fw_error(rs, st->line, "NUL byte");
		else
			rc = ipt_line(st, l, n);
	}
	if (!rc && st->in_table)
		fw_error(rs, st->line, "table %.32s without COMMIT", st->table);
	finish(rs, chain0, rule0);
	free(st);
	return rc;
}

/* ------------------------------------------------------ nft list ruleset */

enum nft_ctx { NFT_TOP, NFT_TABLE, NFT_CHAIN, NFT_SKIP };

/* The fields a match or a verdict map can be about. */
enum nft_field {
	NF_NONE,
	NF_CT_STATE,
	NF_IIF,
	NF_OIF,
	NF_SPORT,
	NF_DPORT,
	NF_SADDR4,
	NF_DADDR4,
	NF_SADDR6,
	NF_DADDR6,
	NF_L4PROTO,
	NF_NFPROTO
};

#define NFT_VMAP 16

struct nft_pending {
	size_t rule;
	char name[CHK_FW_NAME];
};

struct nft {
	struct chk_ruleset *rs;
	int skip_xtables;
	uint32_t line;
	enum nft_ctx ctx;
	int skip_depth;
	/* the current table */
	int family; /* AF_*, or -1: a family we do not evaluate */
	char table[CHK_FW_NAME];
	int dormant;
	size_t chain0, rule0, pool0;
	int chain; /* the current chain */
	struct nft_pending *pend;
	size_t npend, pend_cap;
	/* a rule's verdict map */
	enum nft_field vm_field;
	size_t nvm;
	char vm_key[NFT_VMAP][64];
	uint8_t vm_target[NFT_VMAP];
	char vm_jump[NFT_VMAP][CHK_FW_NAME];
	/* a rule split over lines (an open '{') */
	char *acc;
	size_t nacc;
	uint32_t acc_line;
	char buf[CHK_FW_MAX_LINE * 2 + 8];
	char *w[MAX_TOKENS];
};

static int nft_pending_add(struct nft *st, size_t rule, const char *name)
{
	if (st->npend == st->pend_cap) {
		size_t ncap = st->pend_cap ? st->pend_cap * 2 : 16;
		struct nft_pending *n = realloc(st->pend, ncap * sizeof(*n));

		if (!n)
			return -1;
		st->pend = n;
		st->pend_cap = ncap;
	}
	st->pend[st->npend].rule = rule;
	snprintf(st->pend[st->npend].name, CHK_FW_NAME, "%s", name);
	st->npend++;
	return 0;
}

/* iptables-nft's own tables: family ip or ip6, an xtables table name and
 * an upper-case built-in chain. */
static int xtables_table(const struct chk_ruleset *rs, int family,
			 const char *table, size_t chain0)
{
	static const char *const names[] = {"filter", "nat", "mangle", "raw",
					    "security"};
	size_t i;
	int named = 0;

	if (family != AF_INET && family != AF_INET6)
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(table, names[i]))
			named = 1;
	if (!named)
		return 0;
	for (i = chain0; i < rs->nchains; i++)
		if (builtin_hook(rs->chains[i].name) != CHK_FW_HOOK_NONE)
			return 1;
	return 0;
}

static void nft_table_end(struct nft *st)
{
	struct chk_ruleset *rs = st->rs;
	size_t i;

	for (i = 0; i < st->npend; i++) {
		int c = chain_find(rs, st->chain0, st->pend[i].name);

		if (c < 0) {
			fw_error(rs, rs->rules[st->pend[i].rule].line,
				 "jump to unknown chain %.32s",
				 st->pend[i].name);
			rs->rules[st->pend[i].rule].target = CHK_FW_OTHER;
		} else {
			rs->rules[st->pend[i].rule].jump = c;
		}
	}
	st->npend = 0;
	if (st->family < 0 || st->dormant ||
	    (st->skip_xtables &&
	     xtables_table(rs, st->family, st->table, st->chain0))) {
		/* Not evaluated: roll the table back (not its errors). */
		rs->nchains = st->chain0;
		rs->nrules = st->rule0;
		rs->npool = st->pool0;
		return;
	}
	finish(rs, st->chain0, st->rule0);
}

/* Named nft priorities (nft(8) "PRIORITY"), for ip, ip6 and inet. */
static int nft_prio_name(const char *s, int32_t *v)
{
	static const struct {
		const char *name;
		int32_t v;
	} names[] = {
		{"raw", -300}, {"mangle", -150}, {"dstnat", -100},
		{"filter", 0}, {"security", 50}, {"srcnat", 100},
	};
	size_t i;
	char *end;
	long x;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*v = names[i].v;
			return 0;
		}
	}
	errno = 0;
	x = strtol(s, &end, 10);
	if (end == s || *end || errno || x < -1000000 || x > 1000000)
		return -1;
	*v = (int32_t)x;
	return 0;
}

/* "type filter hook input priority filter - 10; policy drop;" */
static void nft_chain_props(struct nft *st, char **w, int n)
{
	struct chk_fw_chain *c = &st->rs->chains[st->chain];
	int i, filter = 0;
	enum chk_fw_hook hook = CHK_FW_HOOK_NONE;

	for (i = 0; i < n; i++) {
		if (!strcmp(w[i], "type") && i + 1 < n) {
			filter = !strcmp(w[++i], "filter");
		} else if (!strcmp(w[i], "hook") && i + 1 < n) {
			static const char *const hooks[] = {
				"prerouting", "input",	     "forward",
				"output",     "postrouting",
			};
			size_t k;

			i++;
			for (k = 0; k < sizeof(hooks) / sizeof(hooks[0]); k++)
				if (!strcmp(w[i], hooks[k]))
					hook = (enum chk_fw_hook)(
						CHK_FW_HOOK_PREROUTING + k);
		} else if (!strcmp(w[i], "priority") && i + 1 < n) {
			int32_t p, d;

			if (nft_prio_name(w[++i], &p)) {
				fw_error(st->rs, st->line, "bad priority");
				continue;
			}
			if (i + 2 < n &&
			    (!strcmp(w[i + 1], "+") ||
			     !strcmp(w[i + 1], "-")) &&
			    !nft_prio_name(w[i + 2], &d)) {
				p = w[i + 1][0] == '+' ? p + d : p - d;
				i += 2;
			}
			c->prio = p;
		} else if (!strcmp(w[i], "policy") && i + 1 < n) {
			i++;
			if (!strcmp(w[i], "drop"))
				c->policy = CHK_FW_DROP;
			else if (!strcmp(w[i], "accept"))
				c->policy = CHK_FW_ACCEPT;
			else
				fw_error(st->rs, st->line, "bad policy");
		} else if (!strcmp(w[i], "device") && i + 1 < n) {
			i++;
		}
	}
	if (filter)
		c->hook = (uint8_t)hook;
}

/* Reads a match's values from w[*i]: an optional operator, then one
 * value, a list "a , b", an anonymous set "{ a , b }", or "@set".
 * vals get pointers to the words. Returns the number of values, 0 for a
 * named set or an operator we do not model, -1 when malformed. */
static int nft_values(char **w, int n, int *i, int *neg, char **vals, int max)
{
	int k = *i, nv = 0, set = 0;

	*neg = 0;
	if (k < n && (!strcmp(w[k], "!=") || !strcmp(w[k], "ne"))) {
		*neg = 1;
		k++;
	} else if (k < n && (!strcmp(w[k], "==") || !strcmp(w[k], "eq"))) {
		k++;
	} else if (k < n && strchr("<>&|^", w[k][0]) && w[k][0]) {
		*i = k + 2 <= n ? k + 2 : n;
		return 0;
	}
	if (k >= n)
		return -1;
	if (w[k][0] == '@') {
		*i = k + 1;
		return 0;
	}
	if (!strcmp(w[k], "{")) {
		set = 1;
		k++;
	}
	while (k < n) {
		if (set && !strcmp(w[k], "}")) {
			set = 0;
			k++;
			break;
		}
		if (!strcmp(w[k], ",") || !strcmp(w[k], "{") ||
		    !strcmp(w[k], "}")) {
			return -1;
		}
		if (nv == max)
			return -1;
		vals[nv++] = w[k++];
		if (k < n && !strcmp(w[k], ",")) {
			k++;
			continue;
		}
		if (!set)
			break;
	}
	if (set || !nv)
		return -1;
	*i = k;
	return nv;
}

/* Applies values of a field to r. Returns 0, 1 when the values are of a
 * form we do not model (r is then unknown), -1 when malformed. */
static int nft_apply(struct chk_fw_rule *r, enum nft_field f, char **vals,
		     int nv, int neg)
{
	int k;

	switch (f) {
	case NF_CT_STATE:
		r->ct_mask = 0;
		for (k = 0; k < nv; k++)
			if (parse_ctstates(vals[k], &r->ct_mask))
				return -1;
		r->ct_neg = (uint8_t)neg;
		return 0;
	case NF_IIF:
	case NF_OIF: {
		char *dst = f == NF_IIF ? r->iif : r->oif;
		size_t len;

		if (nv != 1)
			return 1;
		if (set_iface(dst, vals[0]))
			return -1;
		len = strlen(dst);
		if (dst[len - 1] == '*')
			dst[len - 1] = '+';
		if (f == NF_IIF)
			r->iif_neg = (uint8_t)neg;
		else
			r->oif_neg = (uint8_t)neg;
		return 0;
	}
	case NF_SPORT:
	case NF_DPORT: {
		struct chk_fw_ports *m = f == NF_SPORT ? &r->sport : &r->dport;

		m->n = 0;
		for (k = 0; k < nv; k++)
			if (ports_add(m, vals[k], '-'))
				return nv > CHK_FW_SET ? 1 : -1;
		m->neg = (uint8_t)neg;
		return 0;
	}
	case NF_SADDR4:
	case NF_DADDR4:
	case NF_SADDR6:
	case NF_DADDR6: {
		struct chk_fw_addrs *m =
			f == NF_SADDR4 || f == NF_SADDR6 ? &r->src : &r->dst;
		int v4 = f == NF_SADDR4 || f == NF_DADDR4;

		m->n = 0;
		for (k = 0; k < nv; k++) {
			if (strchr(vals[k], '-'))
				return 1; /* an address range */
			if (addrs_add(m, vals[k]) || m->v4 != v4)
				return -1;
		}
		m->neg = (uint8_t)neg;
		return 0;
	}
	case NF_L4PROTO: {
		uint8_t p, first = 0;
		int tcp = 0;

		for (k = 0; k < nv; k++) {
			if (parse_proto(vals[k], &p))
				return -1;
			if (!k)
				first = p;
			tcp |= p == IPPROTO_TCP;
		}
		/* For a TCP packet a set is "has tcp" or "has not". */
		r->proto = tcp ? IPPROTO_TCP : (first ? first : 255);
		r->proto_neg = (uint8_t)neg;
		return 0;
	}
	case NF_NFPROTO:
		if (nv != 1)
			return 1;
		if (!strcmp(vals[0], "ipv4") || !strcmp(vals[0], "ip"))
			r->family = AF_INET;
		else if (!strcmp(vals[0], "ipv6") || !strcmp(vals[0], "ip6"))
			r->family = AF_INET6;
		else
			return -1;
		if (neg)
			r->family = r->family == AF_INET ? AF_INET6 : AF_INET;
		return 0;
	case NF_NONE:
		break;
	}
	return 1;
}

/* Reads a verdict at w[*i]; 1 when one was read, 0 when w[*i] is none. */
static int nft_verdict(char **w, int n, int *i, uint8_t *target, char *jump)
{
	const char *v = w[*i];

	jump[0] = '\0';
	if (!strcmp(v, "accept"))
		*target = CHK_FW_ACCEPT;
	else if (!strcmp(v, "drop"))
		*target = CHK_FW_DROP;
	else if (!strcmp(v, "return"))
		*target = CHK_FW_RETURN;
	else if (!strcmp(v, "continue"))
		*target = CHK_FW_CONTINUE;
	else if (!strcmp(v, "reject"))
		*target = CHK_FW_REJECT;
	else if (!strcmp(v, "queue"))
		*target = CHK_FW_OTHER;
	else if (!strcmp(v, "jump") || !strcmp(v, "goto")) {
		if (*i + 1 >= n || strlen(w[*i + 1]) >= CHK_FW_NAME ||
		    !w[*i + 1][0])
			return -1;
		*target = v[0] == 'j' ? CHK_FW_JUMP : CHK_FW_GOTO;
		snprintf(jump, CHK_FW_NAME, "%s", w[*i + 1]);
		(*i)++;
	} else {
		return 0;
	}
	(*i)++;
	if (*target == CHK_FW_REJECT || *target == CHK_FW_OTHER)
		*i = n; /* "with icmpx admin-prohibited", queue options */
	return 1;
}

/* Reads "vmap { key : verdict , ... }" into st's map. */
static int nft_vmap(struct nft *st, char **w, int n, int *i, enum nft_field f)
{
	int k = *i;

	if (k >= n || strcmp(w[k], "{"))
		return -1;
	k++;
	st->vm_field = f;
	st->nvm = 0;
	while (k < n && strcmp(w[k], "}")) {
		if (st->nvm == NFT_VMAP || k + 2 >= n ||
		    strcmp(w[k + 1], ":") ||
		    strlen(w[k]) >= sizeof(st->vm_key[0]))
			return -1;
		snprintf(st->vm_key[st->nvm], sizeof(st->vm_key[0]), "%s",
			 w[k]);
		k += 2;
		if (nft_verdict(w, n, &k, &st->vm_target[st->nvm],
				st->vm_jump[st->nvm]) != 1)
			return -1;
		st->nvm++;
		if (k < n && !strcmp(w[k], ","))
			k++;
	}
	if (k >= n)
		return -1;
	*i = k + 1;
	return 0;
}

/* Maps "ip saddr", "tcp dport", "ct state", "meta l4proto", ... at w[*i]
 * to a field, consuming its words. NF_NONE when not a modelled field. */
static enum nft_field nft_field(struct chk_fw_rule *r, char **w, int n, int *i)
{
	const char *a = w[*i], *b = *i + 1 < n ? w[*i + 1] : "";
	enum nft_field f = NF_NONE;
	int two = 1;

	if (!strcmp(a, "ip") || !strcmp(a, "ip6")) {
		int v4 = a[2] == '\0';

		if (!strcmp(b, "saddr"))
			f = v4 ? NF_SADDR4 : NF_SADDR6;
		else if (!strcmp(b, "daddr"))
			f = v4 ? NF_DADDR4 : NF_DADDR6;
		else if (!strcmp(b, v4 ? "protocol" : "nexthdr")) {
			f = NF_L4PROTO;
			r->family = v4 ? AF_INET : AF_INET6;
		}
	} else if (!strcmp(a, "tcp") || !strcmp(a, "udp") || !strcmp(a, "th") ||
		   !strcmp(a, "sctp") || !strcmp(a, "udplite") ||
		   !strcmp(a, "dccp")) {
		if (!strcmp(b, "sport"))
			f = NF_SPORT;
		else if (!strcmp(b, "dport"))
			f = NF_DPORT;
		if (f != NF_NONE && strcmp(a, "th")) {
			/* The header match implies its protocol. */
			uint8_t p = IPPROTO_TCP;

			parse_proto(a, &p);
			r->proto = p;
			r->proto_neg = 0;
		}
	} else if (!strcmp(a, "ct") && !strcmp(b, "state")) {
		f = NF_CT_STATE;
	} else if (!strcmp(a, "meta")) {
		if (!strcmp(b, "l4proto"))
			f = NF_L4PROTO;
		else if (!strcmp(b, "iifname") || !strcmp(b, "iif"))
			f = NF_IIF;
		else if (!strcmp(b, "oifname") || !strcmp(b, "oif"))
			f = NF_OIF;
		else if (!strcmp(b, "nfproto") || !strcmp(b, "protocol"))
			f = NF_NFPROTO;
	} else if (!strcmp(a, "iifname") || !strcmp(a, "iif")) {
		f = NF_IIF;
		two = 0;
	} else if (!strcmp(a, "oifname") || !strcmp(a, "oif")) {
		f = NF_OIF;
		two = 0;
	}
	if (f != NF_NONE)
		*i += two ? 2 : 1;
	return f;
}

/* Skips a statement that neither matches nor decides: counter, log,
 * comment, "meta X set Y". Returns 1 when one was skipped. */
static int nft_statement(char **w, int n, int *i)
{
	int k = *i;

	if (!strcmp(w[k], "counter")) {
		k++;
		while (k + 1 < n &&
		       (!strcmp(w[k], "packets") || !strcmp(w[k], "bytes")))
			k += 2;
	} else if (!strcmp(w[k], "log")) {
		static const char *const opts[] = {
			"prefix",  "level",	      "group",
			"snaplen", "queue-threshold", "flags",
		};
		int more = 1;

		k++;
		while (more && k + 1 < n) {
			size_t o;

			more = 0;
			for (o = 0; o < sizeof(opts) / sizeof(opts[0]); o++) {
				if (!strcmp(w[k], opts[o])) {
					k += 2;
					while (k + 1 < n && !strcmp(w[k], ","))
						k += 2;
					more = 1;
					break;
				}
			}
		}
	} else if (!strcmp(w[k], "comment") && k + 1 < n) {
		k += 2;
	} else if (k + 2 < n && !strcmp(w[k + 1], "set")) {
		k += 3; /* "mark set 1" */
	} else if (k + 3 < n && !strcmp(w[k + 2], "set")) {
		k += 4; /* "meta mark set 1", "ct mark set 1" */
	} else if (!strcmp(w[k], "notrack")) {
		k++;
	} else {
		return 0;
	}
	*i = k;
	return 1;
}

/* "tcp flags syn / fin,syn,rst,ack", "tcp flags & (syn|ack) == syn",
 * "tcp flags == syn", "tcp flags syn" (any of), at w[*i] after "flags". */
static int nft_tcpflags(struct chk_fw_rule *r, char **w, int n, int *i)
{
	char *vals[16];
	int k = *i, neg = 0, nv, j;
	uint8_t bits, v = 0, m = 0;

	r->proto = IPPROTO_TCP;
	r->proto_neg = 0;
	if (k < n && !strcmp(w[k], "&")) {
		char buf[64];
		char *p;
		size_t len;

		if (k + 1 >= n || strlen(w[k + 1]) >= sizeof(buf))
			return -1;
		strcpy(buf, w[k + 1]);
		len = strlen(buf);
		p = buf;
		if (len >= 2 && p[0] == '(' && p[len - 1] == ')') {
			p[len - 1] = '\0';
			p++;
		}
		if (parse_tcpflags(p, "|", &m))
			return -1;
		k += 2;
		nv = nft_values(w, n, &k, &neg, vals, 16);
		if (nv <= 0)
			return -1;
		for (j = 0; j < nv; j++) {
			if (parse_tcpflags(vals[j], "|", &bits))
				return -1;
			v |= bits;
		}
		r->tcp_mask = m;
		r->tcp_cmp = v;
		r->tcp_neg = (uint8_t)neg;
		*i = k;
		return 0;
	}
	{
		int exact =
			k < n && (!strcmp(w[k], "==") || !strcmp(w[k], "!="));

		nv = nft_values(w, n, &k, &neg, vals, 16);
		if (nv <= 0)
			return -1;
		for (j = 0; j < nv; j++) {
			if (parse_tcpflags(vals[j], "|", &bits))
				return -1;
			v |= bits;
		}
		if (k + 1 < n && !strcmp(w[k], "/")) {
			k++;
			nv = nft_values(w, n, &k, &j, vals, 16);
			if (nv <= 0)
				return -1;
			for (j = 0; j < nv; j++) {
				if (parse_tcpflags(vals[j], "|", &bits))
					return -1;
				m |= bits;
			}
			r->tcp_mask = m;
			r->tcp_cmp = v;
		} else if (exact) {
			r->tcp_mask = 0xff;
			r->tcp_cmp = v;
		} else {
			r->tcp_mask = v;
			r->tcp_cmp = v;
			r->tcp_any = 1;
		}
		r->tcp_neg = (uint8_t)neg;
	}
	*i = k;
	return 0;
}

/* Parses a rule's words into r (verdict map into st). Returns 0, or -1
 * with an error recorded; *jump gets a jump/goto target's name. */
static int nft_rule(struct nft *st, char **w, int n, struct chk_fw_rule *r,
		    char *jump)
{
	int i = 0;

	st->nvm = 0;
	r->target = CHK_FW_CONTINUE;
	r->jump = -1;
	jump[0] = '\0';
	while (i < n) {
		enum nft_field f;
		char *vals[CHK_FW_SET + 1];
		int nv, neg, rc;

		if (nft_statement(w, n, &i))
			continue;
		rc = nft_verdict(w, n, &i, &r->target, jump);
		if (rc < 0) {
			fw_error(st->rs, st->line, "bad verdict");
			return -1;
		}
		if (rc)
			continue;
		if (!strcmp(w[i], "tcp") && i + 1 < n &&
		    !strcmp(w[i + 1], "flags")) {
			i += 2;
			if (nft_tcpflags(r, w, n, &i)) {
				fw_error(st->rs, st->line, "bad tcp flags");
				return -1;
			}
			continue;
		}
		f = nft_field(r, w, n, &i);
		if (f == NF_NONE) {
			mark_unknown(r, w[i]);
			i++;
			continue;
		}
		if (i < n && !strcmp(w[i], "vmap")) {
			i++;
			if (nft_vmap(st, w, n, &i, f)) {
				fw_error(st->rs, st->line, "bad vmap");
				return -1;
			}
			continue;
		}
		nv = nft_values(w, n, &i, &neg, vals, CHK_FW_SET + 1);
		if (nv < 0) {
			fw_error(st->rs, st->line, "bad value");
			return -1;
		}
		rc = nv ? nft_apply(r, f, vals, nv, neg) : 1;
		if (rc < 0) {
			fw_error(st->rs, st->line, "bad value");
			return -1;
		}
		if (rc)
			mark_unknown(r, nv ? "value set" : "named set");
	}
	return 0;
}

/* Adds rule r (several when it has a verdict map). */
static int nft_add_rules(struct nft *st, struct chk_fw_rule *r,
			 const char *jump)
{
	size_t k;

	if (!st->nvm) {
		if (jump[0] && nft_pending_add(st, st->rs->nrules, jump))
			return -1;
		return rule_add(st->rs, r);
	}
	for (k = 0; k < st->nvm; k++) {
		struct chk_fw_rule x = *r;
		char *val = st->vm_key[k];
		int rc = nft_apply(&x, st->vm_field, &val, 1, 0);

		if (rc < 0) {
			fw_error(st->rs, st->line, "bad vmap key");
			continue;
		}
		if (rc)
			mark_unknown(&x, "vmap");
		x.target = st->vm_target[k];
		if (st->vm_jump[k][0] &&
		    nft_pending_add(st, st->rs->nrules, st->vm_jump[k]))
			return -1;
		if (rule_add(st->rs, &x))
			return -1;
	}
	return 0;
}

/* Net brace depth of a line's words. */
static int brace_balance(char **w, int n)
{
	int i, d = 0;

	for (i = 0; i < n; i++) {
		if (!strcmp(w[i], "{"))
			d++;
		else if (!strcmp(w[i], "}"))
			d--;
	}
	return d;
}

static int nft_family(const char *s)
{
	if (!strcmp(s, "ip"))
		return AF_INET;
	if (!strcmp(s, "ip6"))
		return AF_INET6;
	if (!strcmp(s, "inet"))
		return AF_UNSPEC;
	return -1; /* arp, bridge, netdev */
}

/* A rule line inside a chain (complete: braces balanced). */
static int nft_rule_line(struct nft *st, const char *text, size_t tlen,
			 uint64_t handle, int n)
{
	struct chk_ruleset *rs = st->rs;
	struct chk_fw_rule r;
	char jump[CHK_FW_NAME];

	memset(&r, 0, sizeof(r));
	r.line = st->line;
	r.chain = (uint32_t)st->chain;
	r.handle = handle;
	if (nft_rule(st, st->w, n, &r, jump))
		return 0;
	if (pool_add(rs, text, tlen, &r.text_off))
		return -1;
	r.text_len =
		(uint32_t)(tlen > CHK_FW_MAX_LINE ? CHK_FW_MAX_LINE : tlen);
	return nft_add_rules(st, &r, jump);
}

/* One logical line. Returns -1 only when out of memory. */
static int nft_line(struct nft *st, const char *line, size_t len)
{
	struct chk_ruleset *rs = st->rs;
	const char *text, *hash = NULL;
	uint64_t handle = 0;
	size_t tlen, k;
	int n, inq = 0, bal;
	char **w = st->w;

	/* A '#' outside quotes starts a comment ("# handle 5"). */
	for (k = 0; k < len; k++) {
		if (line[k] == '"')
			inq = !inq;
		else if (line[k] == '#' && !inq) {
			hash = line + k;
			break;
		}
	}
	if (hash) {
		const char *h = hash + 1;
		size_t rest = len - (size_t)(hash - line) - 1;

		while (rest && *h == ' ') {
			h++;
			rest--;
		}
		if (rest > 7 && !strncmp(h, "handle ", 7)) {
			size_t j;

			for (j = 7; j < rest && isdigit((unsigned char)h[j]) &&
				    handle < UINT64_MAX / 10;
			     j++)
				handle = handle * 10 + (uint64_t)(h[j] - '0');
		}
		len = (size_t)(hash - line);
	}
	text = trim(line, len, &tlen);
	if (!tlen)
		return 0;
	n = split_words(text, tlen, st->buf, w, 1);
	if (n < 0) {
		fw_error(rs, st->line,
			 n == -1 ? "unterminated quote" : "too many words");
		return 0;
	}
	bal = brace_balance(w, n);
	switch (st->ctx) {
	case NFT_SKIP:
		st->skip_depth += bal;
		if (st->skip_depth <= 0)
			st->ctx = NFT_TABLE;
		return 0;
	case NFT_TOP:
		if (n == 4 && !strcmp(w[0], "table") && !strcmp(w[3], "{")) {
			st->family = nft_family(w[1]);
			snprintf(st->table, sizeof(st->table), "%s", w[2]);
			st->dormant = 0;
			st->chain0 = rs->nchains;
			st->rule0 = rs->nrules;
			st->pool0 = rs->npool;
			st->ctx = NFT_TABLE;
		} else {
			fw_error(rs, st->line, "expected a table");
		}
		return 0;
	case NFT_TABLE:
		if (n == 1 && !strcmp(w[0], "}")) {
			nft_table_end(st);
			st->ctx = NFT_TOP;
		} else if (n == 3 && !strcmp(w[0], "chain") &&
			   !strcmp(w[2], "{")) {
			int c;

			if (strlen(w[1]) >= CHK_FW_NAME ||
			    chain_find(rs, st->chain0, w[1]) >= 0) {
				fw_error(rs, st->line, "bad chain");
				st->ctx = NFT_SKIP;
				st->skip_depth = 1;
				return 0;
			}
			c = chain_add(rs, st->table, w[1], CHK_FW_NFT,
				      st->family < 0 ? 0 : st->family,
				      st->line);
			if (c < 0)
				return -1;
			st->chain = c;
			st->ctx = NFT_CHAIN;
		} else if (n >= 2 && !strcmp(w[0], "flags")) {
			for (k = 1; k < (size_t)n; k++)
				if (!strcmp(w[k], "dormant"))
					st->dormant = 1;
		} else if (bal > 0) {
			st->ctx = NFT_SKIP; /* set, map, flowtable, ... */
			st->skip_depth = bal;
		} else if (bal < 0) {
			fw_error(rs, st->line, "unbalanced '}'");
		} else if (strcmp(w[0], "comment")) {
			fw_error(rs, st->line, "unexpected line in a table");
		}
		return 0;
	case NFT_CHAIN:
		if (n == 1 && !strcmp(w[0], "}")) {
			st->ctx = NFT_TABLE;
			return 0;
		}
		if (bal > 0 && !st->acc) {
			/* A rule with a set over several lines: gather. */
			st->acc = malloc(CHK_FW_MAX_LINE + 1);
			if (!st->acc)
				return -1;
			memcpy(st->acc, text, tlen);
			st->nacc = tlen;
			st->acc_line = st->line;
			return 0;
		}
		if (bal != 0) {
			fw_error(rs, st->line, "unbalanced braces");
			return 0;
		}
		if (!strcmp(w[0], "type") || !strcmp(w[0], "policy")) {
			nft_chain_props(st, w, n);
			return 0;
		}
		if (!strcmp(w[0], "comment") || !strcmp(w[0], "devices") ||
		    !strcmp(w[0], "device"))
			return 0;
		return nft_rule_line(st, text, tlen, handle, n);
	}
	return 0;
}

int chk_fw_parse_nft(struct chk_ruleset *rs, const char *text, size_t len,
		     int skip_xtables)
{
	struct nft *st = calloc(1, sizeof(*st));
	size_t off = 0;
	int rc = 0;

	if (!st)
		return -1;
	st->rs = rs;
	st->skip_xtables = skip_xtables;
	st->ctx = NFT_TOP;
	while (off < len && !rc) {
		const char *l;
		size_t n = cd_next_line(text, len, &off, &l);

		st->line++;
		if (memchr(l, '\0', n)) {
			fw_error(rs, st->line, "NUL byte");
		} else if (st->acc) {
			/* Continue a rule whose braces are open. */
			if (st->nacc + 1 + n > CHK_FW_MAX_LINE) {
				fw_error(rs, st->acc_line, "rule too long");
				free(st->acc);
				st->acc = NULL;
			} else {
				int w;

				st->acc[st->nacc++] = ' ';
				memcpy(st->acc + st->nacc, l, n);
				st->nacc += n;
				w = split_words(st->acc, st->nacc, st->buf,
						st->w, 1);
				if (w < 0 || brace_balance(st->w, w) <= 0) {
					char *acc = st->acc;
					uint32_t line = st->line;

					st->acc = NULL;
					st->line = st->acc_line;
					rc = nft_line(st, acc, st->nacc);
					st->line = line;
					free(acc);
				}
			}
		} else {
			rc = nft_line(st, l, n);
		}
	}
	if (st->acc) {
		fw_error(rs, st->acc_line, "unterminated set");
		free(st->acc);
	}
	if (!rc && st->ctx != NFT_TOP) {
		fw_error(rs, st->line, "table %.32s not closed", st->table);
		nft_table_end(st);
	}
	free(st->pend);
	free(st);
	return rc;
}

size_t chk_fw_nft_native_tables(const char *text, size_t len, char *names,
				size_t names_len)
{
	struct chk_ruleset rs;
	size_t i, count = 0, used = 0;

	if (names_len)
		names[0] = '\0';
	chk_ruleset_init(&rs);
	if (chk_fw_parse_nft(&rs, text, len, 1) == 0) {
		for (i = 0; i < rs.nchains; i++) {
			const struct chk_fw_chain *c = &rs.chains[i];
			const char *fam = c->family == AF_INET	  ? "ip"
					  : c->family == AF_INET6 ? "ip6"
								  : "inet";

			if (i && !strcmp(c->table, rs.chains[i - 1].table) &&
			    c->family == rs.chains[i - 1].family)
				continue;
			count++;
			if (used < names_len)
				used += (size_t)snprintf(
					names + used, names_len - used,
					"%s%s %s", count > 1 ? ", " : "", fam,
					c->table);
		}
	}
	chk_ruleset_free(&rs);
	return count;
}

/* ---------------------------------------------------------------- eval */

enum { M_NO = 0, M_YES = 1, M_MAYBE = 2 };

#define V_RETURN (1u << CHK_FW_RETURN)
#define V_ALL                                                                  \
	(CHK_FW_V_ACCEPT | CHK_FW_V_DROP | CHK_FW_V_REJECT | CHK_FW_V_OTHER)

static int m_and(int a, int b)
{
	if (a == M_NO || b == M_NO)
		return M_NO;
	return a == M_MAYBE || b == M_MAYBE ? M_MAYBE : M_YES;
}

static int m_neg(int v, int neg)
{
	if (!neg || v == M_MAYBE)
		return v;
	return v == M_YES ? M_NO : M_YES;
}

static int prefix_match(const struct in6_addr *a, const struct in6_addr *p,
			unsigned plen)
{
	unsigned full = plen / 8, rem = plen % 8;

	if (memcmp(a->s6_addr, p->s6_addr, full))
		return 0;
	if (rem) {
		uint8_t m = (uint8_t)(0xffu << (8 - rem));

		return (a->s6_addr[full] & m) == (p->s6_addr[full] & m);
	}
	return 1;
}

static int match_addrs(const struct chk_fw_addrs *m, int family, int known,
		       const struct in6_addr *a)
{
	size_t i;

	if (!m->n)
		return M_YES;
	if (m->v4 != (family == AF_INET))
		return M_NO; /* "ip saddr" never matches an IPv6 packet */
	if (!known)
		return M_MAYBE;
	for (i = 0; i < m->n; i++)
		if (prefix_match(a, &m->a[i], m->plen[i]))
			return m_neg(M_YES, m->neg);
	return m_neg(M_NO, m->neg);
}

/* An interface pattern ("eth0", "eth+") against a name; "" is an unknown
 * interface that is not lo. */
static int match_iface(const char *pat, const char *ifc)
{
	size_t n = strlen(pat);
	int prefix = n && pat[n - 1] == '+';

	if (prefix && n == 1)
		return M_YES;
	if (!ifc[0])
		return !prefix && !strcmp(pat, "lo") ? M_NO : M_MAYBE;
	if (prefix)
		return strncmp(pat, ifc, n - 1) ? M_NO : M_YES;
	return strcmp(pat, ifc) ? M_NO : M_YES;
}

/* Port in the list, before negation. */
static int port_in(const struct chk_fw_ports *m, uint16_t port)
{
	size_t i;

	if (!port)
		return M_MAYBE;
	for (i = 0; i < m->n; i++)
		if (port >= m->lo[i] && port <= m->hi[i])
			return M_YES;
	return M_NO;
}

static int match_ports(const struct chk_fw_ports *m, uint16_t port)
{
	if (!m->n)
		return M_YES;
	return m_neg(port_in(m, port), m->neg);
}

static int rule_match(const struct chk_fw_rule *r,
		      const struct chk_fw_packet *p)
{
	int m = M_YES;

	if (r->family && r->family != p->family)
		return M_NO;
	if (r->proto)
		m = m_neg(r->proto == p->proto ? M_YES : M_NO, r->proto_neg);
	if (m == M_NO)
		return M_NO;
	m = m_and(m, match_addrs(&r->src, p->family, p->src_known, &p->src));
	m = m_and(m, match_addrs(&r->dst, p->family, p->dst_known, &p->dst));
	if (r->iif[0])
		m = m_and(m, p->hook == CHK_FW_HOOK_INPUT
				     ? m_neg(match_iface(r->iif, p->iface),
					     r->iif_neg)
				     : M_MAYBE);
	if (r->oif[0])
		m = m_and(m, p->hook == CHK_FW_HOOK_OUTPUT
				     ? m_neg(match_iface(r->oif, p->iface),
					     r->oif_neg)
				     : M_MAYBE);
	m = m_and(m, match_ports(&r->sport, p->sport));
	m = m_and(m, match_ports(&r->dport, p->dport));
	if (r->ports.n) {
		int s = port_in(&r->ports, p->sport);
		int d = port_in(&r->ports, p->dport);
		int either = s == M_YES || d == M_YES ? M_YES
			     : s == M_NO && d == M_NO ? M_NO
						      : M_MAYBE;

		m = m_and(m, m_neg(either, r->ports.neg));
	}
	if (r->ct_mask)
		m = m_and(m, m_neg(p->ctstate & r->ct_mask ? M_YES : M_NO,
				   r->ct_neg));
	if (r->tcp_mask || r->tcp_any) {
		int v;

		if (p->proto != IPPROTO_TCP)
			return M_NO;
		v = r->tcp_any ? (p->tcp_flags & r->tcp_cmp) != 0
			       : (p->tcp_flags & r->tcp_mask) == r->tcp_cmp;
		m = m_and(m, m_neg(v ? M_YES : M_NO, r->tcp_neg));
	}
	if (r->unknown)
		m = m_and(m, M_MAYBE);
	return m;
}

struct ev {
	const struct chk_ruleset *rs;
	const struct chk_fw_packet *p;
	struct chk_fw_chain_outcome *co;
	unsigned noted; /* verdicts whose first cause is in co->why */
	unsigned work;
	unsigned incomplete;
};

static void note(struct ev *e, unsigned t, int32_t rule, uint32_t top)
{
	if (t >= 8 || (e->noted & (1u << t)))
		return;
	e->noted |= 1u << t;
	e->co->why[t].rule = rule;
	e->co->why[t].chain = e->co->chain;
	e->co->why[t].top = top;
}

/* Verdict bits a chain can give the packet (V_RETURN: it falls off the
 * end or returns). Both ways of an undecidable match are followed. */
static unsigned eval_chain(struct ev *e, uint32_t ci, unsigned depth,
			   uint32_t top)
{
	const struct chk_fw_chain *c = &e->rs->chains[ci];
	unsigned res = 0;
	uint32_t k;

	if (depth > EVAL_DEPTH) {
		e->incomplete = 1;
		return V_ALL;
	}
	for (k = 0; k < c->nrules; k++) {
		size_t ri = (size_t)c->first + k;
		const struct chk_fw_rule *r;
		uint32_t t;
		unsigned sub;
		int m;

		if (ri >= e->rs->nrules)
			break;
		r = &e->rs->rules[ri];
		t = depth ? top : r->pos;
		if (++e->work > EVAL_WORK) {
			e->incomplete = 1;
			return res | V_ALL;
		}
		m = rule_match(r, e->p);
		if (m == M_NO)
			continue;
		switch (r->target) {
		case CHK_FW_ACCEPT:
		case CHK_FW_DROP:
		case CHK_FW_REJECT:
		case CHK_FW_OTHER:
			note(e, r->target, (int32_t)ri, t);
			res |= 1u << r->target;
			if (m == M_YES)
				return res;
			break;
		case CHK_FW_RETURN:
			res |= V_RETURN;
			if (m == M_YES)
				return res;
			break;
		case CHK_FW_JUMP:
		case CHK_FW_GOTO:
			if (r->jump < 0 || (size_t)r->jump >= e->rs->nchains) {
				note(e, CHK_FW_OTHER, (int32_t)ri, t);
				res |= CHK_FW_V_OTHER;
				break;
			}
			sub = eval_chain(e, (uint32_t)r->jump, depth + 1, t);
			if (r->target == CHK_FW_JUMP) {
				res |= sub & ~V_RETURN;
				if (m == M_YES && !(sub & V_RETURN))
					return res;
			} else {
				/* goto: its return is our chain's return */
				res |= sub;
				if (m == M_YES)
					return res;
			}
			break;
		default:
			break;
		}
	}
	return res | V_RETURN;
}

static int cmp_prio(const struct chk_ruleset *rs, uint32_t a, uint32_t b)
{
	return rs->chains[a].prio < rs->chains[b].prio;
}

void chk_fw_eval(const struct chk_ruleset *rs, const struct chk_fw_packet *p,
		 struct chk_fw_outcome *out)
{
	uint32_t base[CHK_FW_EVAL_CHAINS];
	size_t nb = 0, i, j;
	int reach = 1;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < rs->nchains; i++) {
		const struct chk_fw_chain *c = &rs->chains[i];

		if (c->hook != p->hook ||
		    (c->family != AF_UNSPEC && c->family != p->family))
			continue;
		if (nb == CHK_FW_EVAL_CHAINS) {
			out->incomplete = 1;
			break;
		}
		/* insertion by priority, stable */
		for (j = nb; j > 0 && cmp_prio(rs, (uint32_t)i, base[j - 1]);
		     j--)
			base[j] = base[j - 1];
		base[j] = (uint32_t)i;
		nb++;
	}
	for (i = 0; i < nb; i++) {
		struct chk_fw_chain_outcome *co = &out->c[i];
		const struct chk_fw_chain *c = &rs->chains[base[i]];
		struct ev e;
		unsigned res;

		memset(&e, 0, sizeof(e));
		co->chain = (int32_t)base[i];
		for (j = 0; j < 8; j++) {
			co->why[j].rule = -1;
			co->why[j].chain = -1;
		}
		e.rs = rs;
		e.p = p;
		e.co = co;
		res = eval_chain(&e, base[i], 0, 0);
		if (res & V_RETURN) {
			res &= ~V_RETURN;
			res |= 1u << c->policy;
			note(&e, c->policy, -1, 0);
		}
		co->possible = res;
		out->incomplete |= e.incomplete;
		out->nchains++;
		if (reach) {
			out->possible |= res & ~CHK_FW_V_ACCEPT;
			if (!(res & CHK_FW_V_ACCEPT))
				reach = 0;
		}
	}
	if (reach)
		out->possible |= CHK_FW_V_ACCEPT;
	if (out->incomplete)
		out->possible = V_ALL;
}

/* 1 surely accepted, 0 surely not, -1 undecided. */
static int outcome_verdict(const struct chk_fw_outcome *o)
{
	if (o->incomplete)
		return -1;
	if (o->possible == CHK_FW_V_ACCEPT)
		return 1;
	return o->possible & CHK_FW_V_ACCEPT ? -1 : 0;
}

/* ---------------------------------------------------------------- rules */

static int is_v4(const struct in6_addr *a)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0,	  0,
					0, 0, 0, 0, 0xff, 0xff};

	return !memcmp(a->s6_addr, pfx, 12);
}

static int is_loopback(const struct in6_addr *a)
{
	if (is_v4(a))
		return a->s6_addr[12] == 127;
	return IN6_IS_ADDR_LOOPBACK(a);
}

static int is_any(const struct in6_addr *a)
{
	if (is_v4(a))
		return !memcmp(&a->s6_addr[12], "\0\0\0\0", 4);
	return IN6_IS_ADDR_UNSPECIFIED(a);
}

static const char *addr_str(const struct in6_addr *a, char *buf, size_t len)
{
	if (is_v4(a)) {
		if (!inet_ntop(AF_INET, &a->s6_addr[12], buf, (socklen_t)len))
			snprintf(buf, len, "?");
	} else if (!inet_ntop(AF_INET6, a, buf, (socklen_t)len)) {
		snprintf(buf, len, "?");
	}
	return buf;
}

static int is_mysql_port(const struct chk_fw_view *v, uint16_t port)
{
	size_t i;

	for (i = 0; i < v->nports; i++)
		if (v->ports[i] == port)
			return 1;
	return 0;
}

int chk_fw_sock_verdict(const struct chk_fw_view *v, size_t s, int in,
			unsigned ctstate, struct chk_fw_outcome *o)
{
	const struct chk_sock *k;
	struct chk_fw_outcome local;
	struct chk_fw_packet p;

	if (!o)
		o = &local;
	memset(o, 0, sizeof(*o));
	if (!v->rs || !v->census || s >= v->census->ntcp) {
		o->possible = CHK_FW_V_ACCEPT;
		return 1;
	}
	k = &v->census->tcp[s];
	memset(&p, 0, sizeof(p));
	p.family = is_v4(&k->dst) ? AF_INET : AF_INET6;
	p.hook = in ? CHK_FW_HOOK_INPUT : CHK_FW_HOOK_OUTPUT;
	p.proto = IPPROTO_TCP;
	p.ctstate = (uint8_t)ctstate;
	p.tcp_flags = CHK_TCP_ACK | CHK_TCP_PSH; /* mid-stream data */
	p.src_known = p.dst_known = 1;
	p.src = in ? k->dst : k->src;
	p.dst = in ? k->src : k->dst;
	p.sport = in ? k->dport : k->sport;
	p.dport = in ? k->sport : k->dport;
	if (is_loopback(&k->dst) || !memcmp(&k->dst, &k->src, sizeof(k->src)))
		snprintf(p.iface, sizeof(p.iface), "lo");
	else if (v->info)
		snprintf(p.iface, sizeof(p.iface), "%s", v->info[s].iface);
	chk_fw_eval(v->rs, &p, o);
	return outcome_verdict(o);
}

/* "iptables-nft filter INPUT", "nft inet filter input" */
static void chain_label(const struct chk_ruleset *rs, int32_t ci, char *buf,
			size_t len)
{
	const struct chk_fw_chain *c;

	if (ci < 0 || (size_t)ci >= rs->nchains) {
		snprintf(buf, len, "?");
		return;
	}
	c = &rs->chains[ci];
	if (c->backend == CHK_FW_NFT)
		snprintf(buf, len, "nft %s %s chain %s",
			 c->family == AF_INET	 ? "ip"
			 : c->family == AF_INET6 ? "ip6"
						 : "inet",
			 c->table, c->name);
	else
		snprintf(buf, len, "%s%s %s chain %s",
			 c->family == AF_INET6 ? "ip6tables" : "iptables",
			 c->backend == CHK_FW_IPT_LEGACY ? "-legacy" : "-nft",
			 c->table, c->name);
}

/* The dump a chain was read from, for "TOOL line N". */
static const char *source_name(const struct chk_fw_chain *c)
{
	if (c->backend == CHK_FW_NFT)
		return "nft list ruleset";
	if (c->backend == CHK_FW_IPT_LEGACY)
		return c->family == AF_INET6 ? "ip6tables-legacy-save"
					     : "iptables-legacy-save";
	return c->family == AF_INET6 ? "ip6tables-save" : "iptables-save";
}

/* What decided: "iptables-save line 7 `-A INPUT ...` (...)" or "the
 * policy DROP of ...". */
static void why_text(const struct chk_ruleset *rs, const struct chk_fw_why *w,
		     unsigned verdict, char *buf, size_t len)
{
	char chain[96];

	chain_label(rs, w->chain, chain, sizeof(chain));
	if (w->rule >= 0 && (size_t)w->rule < rs->nrules) {
		const struct chk_fw_rule *r = &rs->rules[w->rule];
		int tl = (int)(r->text_len > 150 ? 150 : r->text_len);

		textf(buf, len, "%s line %u `%.*s`%s (%s)",
		      source_name(&rs->chains[r->chain]), r->line, tl,
		      chk_fw_rule_text(rs, r), r->text_len > 150 ? "..." : "",
		      chain);
	} else {
		snprintf(buf, len, "the policy %s of %s",
			 verdict == CHK_FW_ACCEPT ? "ACCEPT" : "DROP", chain);
	}
}

/* The chain outcome and verdict that refused a packet: the first base
 * chain without an accept; NULL if none. */
static const struct chk_fw_why *refusal(const struct chk_fw_outcome *o,
					unsigned *verdict)
{
	static const unsigned order[] = {CHK_FW_DROP, CHK_FW_REJECT,
					 CHK_FW_OTHER};
	size_t i, k;

	for (i = 0; i < o->nchains; i++) {
		if (o->c[i].possible & CHK_FW_V_ACCEPT)
			continue;
		for (k = 0; k < 3; k++) {
			if (o->c[i].possible & (1u << order[k])) {
				*verdict = order[k];
				return &o->c[i].why[order[k]];
			}
		}
	}
	return NULL;
}

/* The rule that accepted a packet: preferably one with a state match. */
static const struct chk_fw_why *acceptance(const struct chk_ruleset *rs,
					   const struct chk_fw_outcome *o)
{
	const struct chk_fw_why *any = NULL;
	size_t i;

	for (i = 0; i < o->nchains; i++) {
		const struct chk_fw_why *w = &o->c[i].why[CHK_FW_ACCEPT];

		if (w->rule < 0 || (size_t)w->rule >= rs->nrules)
			continue;
		if (rs->rules[w->rule].ct_mask)
			return w;
		if (!any)
			any = w;
	}
	return any;
}

/* The stateless rule that lets the packet through, in the syntax of the
 * chain that refused it, placed before the refusing rule. */
static void fix_rule(const struct chk_ruleset *rs, const struct chk_fw_why *w,
		     int family, const char *peer, int in, int server_side,
		     uint16_t port, char *buf, size_t len)
{
	const struct chk_fw_chain *c = &rs->chains[w->chain];
	int peer_is_src = in;
	/* the MySQL port is the peer's when we are the client */
	int port_is_src = in != server_side;
	char match[160];

	if (c->backend == CHK_FW_NFT) {
		const char *fam = c->family == AF_INET	  ? "ip"
				  : c->family == AF_INET6 ? "ip6"
							  : "inet";
		uint64_t handle = 0;

		if (w->top && c->first + w->top - 1 < rs->nrules)
			handle = rs->rules[c->first + w->top - 1].handle;
		if (peer)
			snprintf(match, sizeof(match),
				 "%s %s %s tcp %s %u accept",
				 family == AF_INET ? "ip" : "ip6",
				 peer_is_src ? "saddr" : "daddr", peer,
				 port_is_src ? "sport" : "dport", port);
		else
			snprintf(match, sizeof(match), "tcp %s %u accept",
				 port_is_src ? "sport" : "dport", port);
		if (!w->top)
			snprintf(buf, len, "nft add rule %s %s %s %s", fam,
				 c->table, c->name, match);
		else if (handle)
			snprintf(buf, len,
				 "nft insert rule %s %s %s position %llu %s",
				 fam, c->table, c->name,
				 (unsigned long long)handle, match);
		else
			snprintf(buf, len, "nft insert rule %s %s %s %s", fam,
				 c->table, c->name, match);
		return;
	}
	if (peer)
		snprintf(match, sizeof(match), "-p tcp %s %s --%s %u -j ACCEPT",
			 peer_is_src ? "-s" : "-d", peer,
			 port_is_src ? "sport" : "dport", port);
	else
		snprintf(match, sizeof(match), "-p tcp --%s %u -j ACCEPT",
			 port_is_src ? "sport" : "dport", port);
	if (w->top)
		snprintf(buf, len, "%s%s -I %s %u %s",
			 family == AF_INET ? "iptables" : "ip6tables",
			 c->backend == CHK_FW_IPT_LEGACY ? "-legacy" : "",
			 c->name, w->top, match);
	else
		snprintf(buf, len, "%s%s -A %s %s",
			 family == AF_INET ? "iptables" : "ip6tables",
			 c->backend == CHK_FW_IPT_LEGACY ? "-legacy" : "",
			 c->name, match);
}

static int is_mysqld(const char *comm)
{
	return !strncmp(comm, "mysqld", 6) || !strncmp(comm, "mariadbd", 8);
}

/* One group of connections caught by the trap (same side, direction,
 * MySQL port and, for client connections, peer). */
struct trap {
	int server_side, in, several_peers;
	uint16_t port;
	size_t first; /* census index of the first connection */
	size_t n;
	double lports[CD_EV_VALUES];
	size_t nl;
	int repl;
	struct chk_fw_outcome est, after;
};

#define MAX_TRAPS 32

static void trap_finding(const struct chk_fw_view *v, const struct trap *t,
			 struct cd_finding *f)
{
	const struct chk_ruleset *rs = v->rs;
	const struct chk_sock *k = &v->census->tcp[t->first];
	const struct chk_fw_why *acc = acceptance(rs, &t->est), *ref;
	char peer[INET6_ADDRSTRLEN], est[320], after[320], fix[300];
	char ports[100], who[48];
	unsigned verdict = CHK_FW_DROP;
	int loose0 = v->tcp_loose == 0;
	size_t i, used = 0;

	ref = refusal(&t->after, &verdict);
	addr_str(&k->dst, peer, sizeof(peer));
	if (acc)
		why_text(rs, acc, CHK_FW_ACCEPT, est, sizeof(est));
	else
		snprintf(est, sizeof(est), "the chains' policies");
	if (ref) {
		why_text(rs, ref, verdict, after, sizeof(after));
		fix_rule(rs, ref, is_v4(&k->dst) ? AF_INET : AF_INET6,
			 t->several_peers ? NULL : peer, t->in, t->server_side,
			 t->port, fix, sizeof(fix));
	} else {
		snprintf(after, sizeof(after), "?");
		snprintf(fix, sizeof(fix), "?");
	}
	ports[0] = '\0';
	for (i = 0; i < t->nl && used < sizeof(ports); i++)
		used += (size_t)snprintf(ports + used, sizeof(ports) - used,
					 "%s%.0f", i ? ", " : "", t->lports[i]);
	who[0] = '\0';
	if (v->info && v->info[t->first].comm[0])
		snprintf(who, sizeof(who), ", %s pid %d",
			 v->info[t->first].comm, (int)v->info[t->first].pid);
	if (t->repl)
		textf(f->summary, sizeof(f->summary),
		      "replication link to primary %s:%u: its packets are "
		      "accepted only as ESTABLISHED; a conntrack flush or "
		      "firewall reload blackholes it",
		      peer, t->port);
	else if (!t->server_side)
		textf(f->summary, sizeof(f->summary),
		      "%zu connection%s to %s:%u%s: %s packets are accepted "
		      "only as ESTABLISHED; a conntrack flush or firewall "
		      "reload blackholes %s",
		      t->n, t->n == 1 ? "" : "s", peer, t->port, who,
		      t->in ? "the server's" : "outgoing",
		      t->n == 1 ? "it" : "them");
	else
		textf(f->summary, sizeof(f->summary),
		      "%zu client connection%s on port %u%s%s: %s packets "
		      "are accepted only as ESTABLISHED; a conntrack flush "
		      "or firewall reload blackholes %s",
		      t->n, t->n == 1 ? "" : "s", t->port,
		      t->several_peers ? "" : " from ",
		      t->several_peers ? "" : peer,
		      t->in ? "the clients'" : "outgoing",
		      t->n == 1 ? "it" : "them");
	textf(f->evidence, sizeof(f->evidence),
	      "As ESTABLISHED the %s packet is accepted by %s. After a "
	      "flush it is %s (nf_conntrack_tcp_loose=%d: %s) and meets "
	      "%s%s. Local port%s: %s. Fix: %s",
	      t->in ? "incoming" : "outgoing", est, loose0 ? "INVALID" : "NEW",
	      loose0 ? 0 : 1,
	      loose0 ? "a mid-stream packet is not tracked, so the "
		       "connection never recovers"
		     : "a mid-stream packet opens a new entry, so only a "
		       "packet from this side first brings it back",
	      after, verdict == CHK_FW_REJECT ? " (REJECT)" : "",
	      t->nl == 1 ? "" : "s", ports, fix);
	cd_finding_num(f, "connections", (double)t->n);
	cd_finding_num(f, "port", t->port);
	cd_finding_list(f, "local_ports", t->lports, t->nl);
	cd_finding_num(f, "tcp_loose", loose0 ? 0 : 1);
	cd_finding_num(f, "accept_line",
		       acc && acc->rule >= 0 ? rs->rules[acc->rule].line : 0);
	cd_finding_num(f, "drop_line",
		       ref && ref->rule >= 0 ? rs->rules[ref->rule].line : 0);
	cd_finding_num(f, "replication", t->repl);
	cd_finding_num(f, "inbound", t->in);
	cd_finding_num(f, "server_side", t->server_side);
}

/* CD4001 over every established MySQL connection, both directions. */
static int rule_trap(const struct chk_fw_view *v, struct cd_findings *out)
{
	unsigned after_state = v->tcp_loose == 0 ? CHK_CT_INVALID : CHK_CT_NEW;
	struct trap *traps = calloc(MAX_TRAPS, sizeof(*traps));
	struct chk_fw_outcome *est, *aft;
	size_t ntraps = 0, s, i;
	int rc = 0;

	est = malloc(2 * sizeof(*est));
	if (!traps || !est) {
		free(traps);
		free(est);
		return -1;
	}
	aft = est + 1;
	for (s = 0; s < v->census->ntcp; s++) {
		const struct chk_sock *k = &v->census->tcp[s];
		int in;

		if (k->state != CHK_TCP_ESTABLISHED ||
		    !is_mysql_port(v, k->server_side ? k->sport : k->dport))
			continue;
		for (in = 1; in >= 0; in--) {
			struct trap *t = NULL;
			uint16_t port = k->server_side ? k->sport : k->dport;

			if (chk_fw_sock_verdict(v, s, in, CHK_CT_ESTABLISHED,
						est) != 1 ||
			    chk_fw_sock_verdict(v, s, in, after_state, aft) !=
				    0)
				continue;
			for (i = 0; i < ntraps; i++) {
				const struct chk_sock *f =
					&v->census->tcp[traps[i].first];

				if (traps[i].server_side == k->server_side &&
				    traps[i].in == in &&
				    traps[i].port == port &&
				    (k->server_side ||
				     !memcmp(&f->dst, &k->dst,
					     sizeof(f->dst)))) {
					t = &traps[i];
					break;
				}
			}
			if (!t && ntraps == MAX_TRAPS)
				continue;
			if (!t) {
				t = &traps[ntraps++];
				t->server_side = k->server_side;
				t->in = in;
				t->port = port;
				t->first = s;
				t->est = *est;
				t->after = *aft;
			} else if (memcmp(&v->census->tcp[t->first].dst,
					  &k->dst, sizeof(k->dst))) {
				t->several_peers = 1;
			}
			t->n++;
			if (t->nl < CD_EV_VALUES)
				t->lports[t->nl++] =
					k->server_side ? k->dport : k->sport;
			if (!k->server_side && in && v->info &&
			    is_mysqld(v->info[s].comm))
				t->repl = 1;
		}
	}
	for (i = 0; i < ntraps && !rc; i++) {
		const struct trap *t = &traps[i];
		struct cd_finding *f = cd_finding_add(
			out, "CD4001",
			t->repl || v->tcp_loose == 0 ? CD_SEV_CRITICAL
						     : CD_SEV_WARNING);

		if (!f)
			rc = -1;
		else
			trap_finding(v, t, f);
	}
	free(est);
	free(traps);
	return rc;
}

/* CD4002: a SYN from any address to a MySQL listener is refused. */
static int rule_listener(const struct chk_fw_view *v, struct cd_findings *out)
{
	struct chk_fw_outcome *o = malloc(sizeof(*o));
	struct {
		uint16_t port;
		int family;
	} seen[32];
	size_t nseen = 0, s, i;
	int rc = 0;

	if (!o)
		return -1;
	for (s = 0; s < v->census->ntcp && !rc; s++) {
		const struct chk_sock *k = &v->census->tcp[s];
		int fams[2], nf = 0, fi;

		if (k->state != CHK_TCP_LISTEN || !is_mysql_port(v, k->sport) ||
		    is_loopback(&k->src))
			continue;
		if (is_v4(&k->src) || k->family == AF_INET)
			fams[nf++] = AF_INET;
		else if (is_any(&k->src)) {
			fams[nf++] = AF_INET; /* dual-stack "::" */
			fams[nf++] = AF_INET6;
		} else {
			fams[nf++] = AF_INET6;
		}
		for (fi = 0; fi < nf && !rc; fi++) {
			struct chk_fw_packet p;
			const struct chk_fw_why *w;
			unsigned verdict = CHK_FW_DROP;
			struct cd_finding *f;
			char why[320], fix[300];
			size_t clients = 0, j;
			int dup = 0;

			for (i = 0; i < nseen; i++)
				if (seen[i].port == k->sport &&
				    seen[i].family == fams[fi])
					dup = 1;
			if (dup)
				continue;
			memset(&p, 0, sizeof(p));
			p.family = (uint8_t)fams[fi];
			p.hook = CHK_FW_HOOK_INPUT;
			p.proto = IPPROTO_TCP;
			p.ctstate = CHK_CT_NEW;
			p.tcp_flags = CHK_TCP_SYN;
			p.dport = k->sport;
			p.dst = k->src;
			p.dst_known = !is_any(&k->src);
			chk_fw_eval(v->rs, &p, o);
			if (outcome_verdict(o) != 0)
				continue;
			if (nseen < sizeof(seen) / sizeof(seen[0])) {
				seen[nseen].port = k->sport;
				seen[nseen].family = fams[fi];
				nseen++;
			}
			w = refusal(o, &verdict);
			if (!w)
				continue;
			for (j = 0; j < v->census->ntcp; j++) {
				const struct chk_sock *c = &v->census->tcp[j];

				if (c->state == CHK_TCP_ESTABLISHED &&
				    c->server_side && c->sport == k->sport &&
				    !is_loopback(&c->dst))
					clients++;
			}
			why_text(v->rs, w, verdict, why, sizeof(why));
			fix_rule(v->rs, w, fams[fi], NULL, 1, 1, k->sport, fix,
				 sizeof(fix));
			f = cd_finding_add(out, "CD4002",
					   verdict == CHK_FW_REJECT
						   ? CD_SEV_INFO
						   : CD_SEV_WARNING);
			if (!f) {
				rc = -1;
				break;
			}
			snprintf(
				f->summary, sizeof(f->summary),
				"new %s connections to MySQL port %u are %s by "
				"the firewall: %s",
				fams[fi] == AF_INET ? "IPv4" : "IPv6", k->sport,
				verdict == CHK_FW_REJECT ? "rejected"
							 : "dropped",
				verdict == CHK_FW_REJECT
					? "clients are refused at once"
					: "clients wait out the SYN "
					  "retransmissions and fail with "
					  "connect_timeout");
			textf(f->evidence, sizeof(f->evidence),
			      "A SYN from any remote address to port %u "
			      "(state NEW) meets %s. %zu remote client%s "
			      "connected now (accepted as ESTABLISHED). To "
			      "open it: %s (narrow it with -s to the client "
			      "network).",
			      k->sport, why, clients,
			      clients == 1 ? " is" : "s are", fix);
			cd_finding_num(f, "port", k->sport);
			cd_finding_num(f, "family",
				       fams[fi] == AF_INET ? 4 : 6);
			cd_finding_num(f, "drop_line",
				       w->rule >= 0 ? v->rs->rules[w->rule].line
						    : 0);
			cd_finding_num(f, "established_clients",
				       (double)clients);
		}
	}
	free(o);
	return rc;
}

/* CD4006: rules in both iptables-legacy and nf_tables. */
static int rule_two_backends(const struct chk_fw_view *v,
			     struct cd_findings *out)
{
	size_t legacy = 0, nft = 0, i;
	int legacy_on = 0, nft_on = 0;
	struct cd_finding *f;

	for (i = 0; i < v->rs->nchains; i++) {
		const struct chk_fw_chain *c = &v->rs->chains[i];
		int on = c->nrules || (c->hook && c->policy != CHK_FW_ACCEPT);

		if (c->backend == CHK_FW_IPT_LEGACY) {
			legacy += c->nrules;
			legacy_on |= on;
		} else {
			nft += c->nrules;
			nft_on |= on;
		}
	}
	if (!legacy_on || !nft_on)
		return 0;
	f = cd_finding_add(out, "CD4006", CD_SEV_INFO);
	if (!f)
		return -1;
	textf(f->summary, sizeof(f->summary),
	      "iptables-legacy and nf_tables rulesets are both loaded: a "
	      "packet must pass both, and each tool shows only its own");
	textf(f->evidence, sizeof(f->evidence),
	      "%zu rules in iptables-legacy-save, %zu in iptables-nft and "
	      "native nft tables.",
	      legacy, nft);
	cd_finding_num(f, "legacy_rules", (double)legacy);
	cd_finding_num(f, "nft_rules", (double)nft);
	return 0;
}

int chk_fw_rules(const struct chk_fw_view *v, struct cd_findings *out)
{
	if (!v->rs)
		return 0;
	if (rule_two_backends(v, out))
		return -1;
	if (!v->census)
		return 0;
	if (rule_trap(v, out) || rule_listener(v, out))
		return -1;
	return 0;
}
