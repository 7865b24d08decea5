/* firewall_model.c - the ruleset model's storage (chains, rules, the rule
 * text pool, parse errors) and the readers' shared value parsers for
 * addresses, ports, protocols, conntrack states and TCP flags, as
 * iptables-extensions(8) and nft(8) write them. Pure. */
#include "check/firewall_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "util/vec.h"

#define POOL_MAX (64u * 1024 * 1024)

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

void chk_fw_error(struct chk_ruleset *rs, uint32_t line, const char *fmt, ...)
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
/* Copies s[0..n) into the text pool; its offset into *off. */
int chk_fw_pool_add(struct chk_ruleset *rs, const char *s, size_t n,
		    uint32_t *off)
{
	char *p;

	if (n > CHK_FW_MAX_LINE)
		n = CHK_FW_MAX_LINE;
	p = cd_vec_grow(rs->pool, 1, rs->npool + n + 1, &rs->pool_cap, POOL_MAX,
			4096);
	if (!p)
		return -1;
	rs->pool = p;
	memcpy(rs->pool + rs->npool, s, n);
	rs->pool[rs->npool + n] = '\0';
	*off = (uint32_t)rs->npool;
	rs->npool += n + 1;
	return 0;
}

/* Appends a chain; returns its index, or -1 (out of memory, cap). */
int chk_fw_chain_add(struct chk_ruleset *rs, const char *table,
		     const char *name, enum chk_fw_backend backend, int family,
		     uint32_t line)
{
	struct chk_fw_chain *c, *n;

	n = cd_vec_grow(rs->chains, sizeof(*n), rs->nchains + 1,
			&rs->chains_cap, CHK_FW_MAX_CHAINS, 16);
	if (!n)
		return -1;
	rs->chains = n;
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
int chk_fw_chain_find(const struct chk_ruleset *rs, size_t from,
		      const char *name)
{
	size_t i;

	for (i = from; i < rs->nchains; i++)
		if (!strcmp(rs->chains[i].name, name))
			return (int)i;
	return -1;
}

/* Appends a copy of *r; -1 when out of memory or over the cap. */
int chk_fw_rule_add(struct chk_ruleset *rs, const struct chk_fw_rule *r)
{
	struct chk_fw_rule *n =
		cd_vec_grow(rs->rules, sizeof(*n), rs->nrules + 1,
			    &rs->rules_cap, CHK_FW_MAX_RULES, 32);

	if (!n)
		return -1;
	rs->rules = n;
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
void chk_fw_finish(struct chk_ruleset *rs, size_t chain0, size_t rule0)
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
int chk_fw_addrs_add(struct chk_fw_addrs *m, const char *s)
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

int chk_fw_parse_u16(const char *s, size_t n, uint16_t *v)
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
int chk_fw_ports_add(struct chk_fw_ports *m, const char *s, char sep)
{
	const char *c = strchr(s, sep);
	uint16_t lo = 0, hi = 65535;

	if (m->n >= CHK_FW_SET)
		return -1;
	if (!c) {
		if (chk_fw_parse_u16(s, strlen(s), &lo))
			return -1;
		hi = lo;
	} else {
		if (c > s && chk_fw_parse_u16(s, (size_t)(c - s), &lo))
			return -1;
		if (c[1] && chk_fw_parse_u16(c + 1, strlen(c + 1), &hi))
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
int chk_fw_ports_list(struct chk_fw_ports *m, const char *s, char sep)
{
	char buf[256];
	char *p, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (chk_fw_ports_add(m, p, sep))
			return -1;
	return m->n ? 0 : -1;
}

int chk_fw_parse_proto(const char *s, uint8_t *proto)
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
	if (chk_fw_parse_u16(s, strlen(s), &n) || n > 255)
		return -1;
	*proto = (uint8_t)n;
	return 0;
}

/* Conntrack state names, either case, separated by commas. */
int chk_fw_parse_ctstates(const char *s, uint8_t *mask)
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
int chk_fw_parse_tcpflags(const char *s, const char *sep, uint8_t *bits)
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

int chk_fw_set_iface(char *dst, const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CHK_FW_IFNAME)
		return -1;
	memcpy(dst, s, n + 1);
	return 0;
}

void chk_fw_mark_unknown(struct chk_fw_rule *r, const char *what)
{
	if (!r->unknown)
		snprintf(r->unknown_what, sizeof(r->unknown_what), "%s", what);
	r->unknown = 1;
}

static const char *const builtin_chains[] = {
	"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING",
};

enum chk_fw_hook chk_fw_builtin_hook(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(builtin_chains) / sizeof(builtin_chains[0]); i++)
		if (!strcmp(name, builtin_chains[i]))
			return (enum chk_fw_hook)(CHK_FW_HOOK_PREROUTING + i);
	return CHK_FW_HOOK_NONE;
}

/* Targets that let the packet go on to the next rule. */
int chk_fw_nonterminal_target(const char *t)
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
