/* firewall_nft.c - reads `nft -j list ruleset` (libnftables-json(5), the
 * JSON schema of libnftables) with jansson into the ruleset model: the
 * filter base chains and user chains of the ip, ip6 and inet tables, their
 * rules' matches on addresses, ports, interfaces, protocols, conntrack
 * state and TCP flags, and their verdicts. Each rule also gets its text in
 * nft syntax for the report. Pure: JSON in, model out. */
#include "check/firewall_int.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_TABLES 4096
#define MAX_VALS   (CHK_FW_SET + 1)
#define NFT_VMAP   16
#define TEXT_MAX                                                               \
	1024 /* a rule's text in the pool (the report shows                    \
		at most 160 characters) */

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
	NF_NFPROTO,
	NF_TCPFLAGS
};

/* One "table" item. */
struct nft_table {
	char name[CHK_FW_NAME];
	char fam[16];	 /* as nft names it: "inet", "netdev", ... */
	int family;	 /* AF_INET, AF_INET6, AF_UNSPEC (inet), -1 other */
	int dormant;	 /* flags "dormant": the kernel skips it */
	int has_builtin; /* a chain named like an iptables built-in */
	int eval;	 /* its chains go into the model */
	size_t chain0, nchains; /* its chains: by_name[chain0 .. +nchains) */
};

struct nft {
	struct chk_ruleset *rs;
	int skip_xtables;
	uint32_t item; /* 1-based index of the current item */
	struct nft_table *tables;
	size_t ntables;
	size_t last; /* the table found last: rules come in runs */
	size_t chain0, rule0;
	uint32_t *by_name;  /* model chain indices, grouped by table, sorted
			       by name within a table */
	uint32_t *chain_tb; /* per model chain since chain0: its table */
};

/* A value of a match's right-hand side, flattened to nft's text form
 * ("3306", "1000-2000", "10.0.0.0/8", "established"). */
struct vals {
	int n;
	char v[MAX_VALS][64];
};

/* ---------------------------------------------------------------- text */

/* o[key] as a string, or dflt. */
static const char *jstr(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

/* A rule's text, rendered in nft syntax. */
struct text {
	char s[TEXT_MAX];
	size_t n;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t,
						      const char *fmt, ...)
{
	va_list ap;
	int w;

	if (t->n >= sizeof(t->s) - 1)
		return;
	va_start(ap, fmt);
	w = vsnprintf(t->s + t->n, sizeof(t->s) - t->n, fmt, ap);
	va_end(ap);
	if (w > 0)
		t->n += (size_t)w;
	if (t->n >= sizeof(t->s))
		t->n = sizeof(t->s) - 1;
}

static void put_sep(struct text *t)
{
	if (t->n && t->s[t->n - 1] != ' ' && t->s[t->n - 1] != '(')
		put(t, " ");
}

static void render(struct text *t, json_t *e, int quote);

/* Meta keys nft writes without "meta". */
static int bare_meta(const char *key)
{
	static const char *const names[] = {"iifname", "oifname", "iif", "oif",
					    "mark"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(key, names[i]))
			return 1;
	return 0;
}

/* A list of values: "a,b" (bitmask lists) or "a|b" inside "&". */
static void render_list(struct text *t, json_t *a, const char *sep, int quote)
{
	size_t i;
	json_t *x;

	json_array_foreach(a, i, x)
	{
		if (i)
			put(t, "%s", sep);
		render(t, x, quote);
	}
}

/* An expression: a value, a field, a set, a prefix, a range. */
static void render(struct text *t, json_t *e, int quote)
{
	const char *k;
	json_t *v;

	if (json_is_integer(e)) {
		put(t, "%lld", (long long)json_integer_value(e));
		return;
	}
	if (json_is_string(e)) {
		put(t, quote ? "\"%s\"" : "%s", json_string_value(e));
		return;
	}
	if (json_is_array(e)) {
		render_list(t, e, ",", quote);
		return;
	}
	if (!json_is_object(e) || json_object_size(e) != 1) {
		put(t, "?");
		return;
	}
	json_object_foreach(e, k, v)
	{
		if (!strcmp(k, "payload"))
			put(t, "%s %s", jstr(v, "protocol", "payload"),
			    jstr(v, "field", "?"));
		else if (!strcmp(k, "meta")) {
			const char *key = jstr(v, "key", "?");

			/* nft prints these without "meta" */
			put(t, "%s%s", bare_meta(key) ? "" : "meta ", key);
		} else if (!strcmp(k, "ct"))
			put(t, "ct %s", jstr(v, "key", "?"));
		else if (!strcmp(k, "set")) {
			put(t, "{ ");
			if (json_is_array(v))
				render_list(t, v, ", ", quote);
			else
				render(t, v, quote);
			put(t, " }");
		} else if (!strcmp(k, "prefix")) {
			render(t, json_object_get(v, "addr"), 0);
			put(t, "/");
			render(t, json_object_get(v, "len"), 0);
		} else if (!strcmp(k, "range") && json_array_size(v) == 2) {
			render(t, json_array_get(v, 0), 0);
			put(t, "-");
			render(t, json_array_get(v, 1), 0);
		} else if (!strcmp(k, "&") && json_array_size(v) == 2) {
			render(t, json_array_get(v, 0), 0);
			put(t, " & (");
			if (json_is_array(json_array_get(v, 1)))
				render_list(t, json_array_get(v, 1), "|", 0);
			else
				render(t, json_array_get(v, 1), 0);
			put(t, ")");
		} else
			put(t, "%s", k);
	}
}

/* Whether a field's values are written quoted (interface names). */
static int quoted_field(json_t *left)
{
	const char *key = json_string_value(
		json_object_get(json_object_get(left, "meta"), "key"));

	return key && (!strcmp(key, "iifname") || !strcmp(key, "oifname") ||
		       !strcmp(key, "iif") || !strcmp(key, "oif"));
}

/* A verdict ("accept", "jump mysql_new") or 0 when v is none. */
static int render_verdict(struct text *t, const char *k, json_t *v)
{
	static const char *const plain[] = {"accept", "drop", "return",
					    "continue", "queue"};
	size_t i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (!strcmp(k, plain[i])) {
			put(t, "%s", k);
			return 1;
		}
	}
	if (!strcmp(k, "jump") || !strcmp(k, "goto")) {
		put(t, "%s %s", k, jstr(v, "target", "?"));
		return 1;
	}
	if (!strcmp(k, "reject")) {
		const char *type =
			json_string_value(json_object_get(v, "type"));
		const char *why = json_string_value(json_object_get(v, "expr"));

		put(t, "reject");
		if (type)
			put(t, " with %s%s%s", type, why ? " " : "",
			    why ? why : "");
		return 1;
	}
	return 0;
}

/* One statement of a rule's "expr" array. */
static void render_stmt(struct text *t, json_t *st)
{
	const char *k;
	json_t *v;

	json_object_foreach(st, k, v)
	{
		put_sep(t);
		if (render_verdict(t, k, v))
			continue;
		if (!strcmp(k, "match")) {
			json_t *left = json_object_get(v, "left");
			const char *op = jstr(v, "op", "==");

			render(t, left, 0);
			/* nft leaves out the implicit operators */
			if (strcmp(op, "in") &&
			    (strcmp(op, "==") || json_object_get(left, "&")))
				put(t, " %s", op);
			put(t, " ");
			render(t, json_object_get(v, "right"),
			       quoted_field(left));
		} else if (!strcmp(k, "counter") && json_is_object(v)) {
			put(t, "counter packets %lld bytes %lld",
			    (long long)json_integer_value(
				    json_object_get(v, "packets")),
			    (long long)json_integer_value(
				    json_object_get(v, "bytes")));
		} else if (!strcmp(k, "log")) {
			const char *p =
				json_string_value(json_object_get(v, "prefix"));

			put(t, "log");
			if (p)
				put(t, " prefix \"%s\"", p);
		} else if (!strcmp(k, "mangle")) {
			render(t, json_object_get(v, "key"), 0);
			put(t, " set ");
			render(t, json_object_get(v, "value"), 0);
		} else if (!strcmp(k, "vmap")) {
			json_t *set = json_object_get(
				json_object_get(v, "data"), "set");
			size_t i;
			json_t *el;

			render(t, json_object_get(v, "key"), 0);
			put(t, " vmap ");
			if (!json_is_array(set)) {
				render(t, json_object_get(v, "data"), 0);
				continue;
			}
			put(t, "{ ");
			json_array_foreach(set, i, el)
			{
				json_t *verdict = json_array_get(el, 1);
				const char *vk;
				json_t *vv;

				if (i)
					put(t, ", ");
				render(t, json_array_get(el, 0), 0);
				put(t, " : ");
				json_object_foreach(verdict, vk, vv)
					render_verdict(t, vk, vv);
			}
			put(t, " }");
		} else if (!strcmp(k, "xt")) {
			put(t, "xt %s \"%s\"", jstr(v, "type", "?"),
			    jstr(v, "name", "?"));
		} else {
			put(t, "%s", k);
		}
	}
}

/* ---------------------------------------------------------------- values */

/* One element of a right-hand side into its text form; -1 when it is of
 * a form we do not model (a nested expression). */
static int flat(json_t *e, char *buf, size_t len)
{
	json_t *v;

	if (json_is_integer(e)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(e));
		return 0;
	}
	if (json_is_string(e)) {
		if ((size_t)snprintf(buf, len, "%s", json_string_value(e)) >=
		    len)
			return -1;
		return 0;
	}
	v = json_object_get(e, "range");
	if (json_array_size(v) == 2) {
		char a[64], b[64];

		if (flat(json_array_get(v, 0), a, sizeof(a)) ||
		    flat(json_array_get(v, 1), b, sizeof(b)))
			return -1;
		if ((size_t)snprintf(buf, len, "%s-%s", a, b) >= len)
			return -1;
		return 0;
	}
	v = json_object_get(e, "prefix");
	if (json_is_string(json_object_get(v, "addr")) &&
	    json_is_integer(json_object_get(v, "len"))) {
		if ((size_t)snprintf(
			    buf, len, "%s/%lld",
			    json_string_value(json_object_get(v, "addr")),
			    (long long)json_integer_value(
				    json_object_get(v, "len"))) >= len)
			return -1;
		return 0;
	}
	return -1;
}

/* A match's right-hand side into values: 1 with vals filled, 0 for a
 * named set ("@allowed"), -1 for a form we do not model. */
static int right_vals(json_t *right, struct vals *out)
{
	json_t *list = NULL, *x;
	size_t i;

	out->n = 0;
	if (json_is_string(right) && json_string_value(right)[0] == '@')
		return 0;
	if (json_is_array(right))
		list = right;
	else if (json_is_object(right) && json_object_get(right, "set"))
		list = json_object_get(right, "set");
	if (!list) {
		if (flat(right, out->v[0], sizeof(out->v[0])))
			return -1;
		out->n = 1;
		return 1;
	}
	if (!json_is_array(list)) /* { "set": "@name" } */
		return json_is_string(list) ? 0 : -1;
	json_array_foreach(list, i, x)
	{
		if (out->n == MAX_VALS ||
		    flat(x, out->v[out->n], sizeof(out->v[0])))
			return -1;
		out->n++;
	}
	return out->n ? 1 : -1;
}

/* TCP flag values ("syn", ["syn", "ack"], 0) ORed into *bits. */
static int flag_bits(json_t *e, uint8_t *bits)
{
	json_t *x;
	size_t i;
	uint8_t b;

	if (json_is_integer(e)) {
		if (json_integer_value(e) < 0 || json_integer_value(e) > 255)
			return -1;
		*bits |= (uint8_t)json_integer_value(e);
		return 0;
	}
	if (json_is_string(e)) {
		if (chk_fw_parse_tcpflags(json_string_value(e), "|", &b))
			return -1;
		*bits |= b;
		return 0;
	}
	if (json_is_object(e) && json_is_array(json_object_get(e, "set")))
		e = json_object_get(e, "set");
	if (!json_is_array(e) || !json_array_size(e))
		return -1;
	json_array_foreach(e, i, x)
	{
		if (flag_bits(x, bits))
			return -1;
	}
	return 0;
}

/* Applies values of a field to r. Returns 0, 1 when the values are of a
 * form we do not model (r is then unknown), -1 when malformed. */
static int apply(struct chk_fw_rule *r, enum nft_field f, const struct vals *vs,
		 int neg)
{
	int k;

	switch (f) {
	case NF_CT_STATE:
		r->ct_mask = 0;
		for (k = 0; k < vs->n; k++)
			if (chk_fw_parse_ctstates(vs->v[k], &r->ct_mask))
				return -1;
		r->ct_neg = (uint8_t)neg;
		return 0;
	case NF_IIF:
	case NF_OIF: {
		char *dst = f == NF_IIF ? r->iif : r->oif;
		size_t len;

		if (vs->n != 1)
			return 1;
		if (chk_fw_set_iface(dst, vs->v[0]))
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
		for (k = 0; k < vs->n; k++)
			if (chk_fw_ports_add(m, vs->v[k], '-'))
				return vs->n > CHK_FW_SET ? 1 : -1;
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
		for (k = 0; k < vs->n; k++) {
			if (strchr(vs->v[k], '-'))
				return 1; /* an address range */
			if (chk_fw_addrs_add(m, vs->v[k]) || m->v4 != v4)
				return vs->n > CHK_FW_SET ? 1 : -1;
		}
		m->neg = (uint8_t)neg;
		return 0;
	}
	case NF_L4PROTO: {
		uint8_t p, first = 0;
		int tcp = 0;

		for (k = 0; k < vs->n; k++) {
			if (chk_fw_parse_proto(vs->v[k], &p))
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
		if (vs->n != 1)
			return 1;
		if (!strcmp(vs->v[0], "ipv4") || !strcmp(vs->v[0], "ip"))
			r->family = AF_INET;
		else if (!strcmp(vs->v[0], "ipv6") || !strcmp(vs->v[0], "ip6"))
			r->family = AF_INET6;
		else
			return -1;
		if (neg)
			r->family = r->family == AF_INET ? AF_INET6 : AF_INET;
		return 0;
	case NF_TCPFLAGS:
	case NF_NONE:
		break;
	}
	return 1;
}

/* The field a match's left-hand side names ("ip saddr", "tcp dport",
 * "ct state", "meta l4proto", "tcp flags"); implied protocol and family
 * go into r. NF_NONE when not a modelled field, its name into what. */
static enum nft_field field_of(struct chk_fw_rule *r, json_t *left, char *what,
			       size_t wlen)
{
	json_t *pl = json_object_get(left, "payload");
	json_t *meta = json_object_get(left, "meta");
	json_t *ct = json_object_get(left, "ct");
	const char *a, *b;

	if (pl) {
		a = json_string_value(json_object_get(pl, "protocol"));
		b = json_string_value(json_object_get(pl, "field"));
		if (!a || !b) {
			snprintf(what, wlen, "raw payload");
			return NF_NONE;
		}
		snprintf(what, wlen, "%s %s", a, b);
		if (!strcmp(a, "ip") || !strcmp(a, "ip6")) {
			int v4 = a[2] == '\0';

			if (!strcmp(b, "saddr"))
				return v4 ? NF_SADDR4 : NF_SADDR6;
			if (!strcmp(b, "daddr"))
				return v4 ? NF_DADDR4 : NF_DADDR6;
			if (!strcmp(b, v4 ? "protocol" : "nexthdr")) {
				r->family = v4 ? AF_INET : AF_INET6;
				return NF_L4PROTO;
			}
			return NF_NONE;
		}
		if (!strcmp(a, "tcp") && !strcmp(b, "flags")) {
			r->proto = IPPROTO_TCP;
			r->proto_neg = 0;
			return NF_TCPFLAGS;
		}
		if (strcmp(b, "sport") && strcmp(b, "dport"))
			return NF_NONE;
		if (!strcmp(a, "th"))
			return b[0] == 's' ? NF_SPORT : NF_DPORT;
		if (strcmp(a, "tcp") && strcmp(a, "udp") && strcmp(a, "sctp") &&
		    strcmp(a, "udplite") && strcmp(a, "dccp"))
			return NF_NONE;
		/* The header match implies its protocol. */
		chk_fw_parse_proto(a, &r->proto);
		r->proto_neg = 0;
		return b[0] == 's' ? NF_SPORT : NF_DPORT;
	}
	if (meta) {
		a = json_string_value(json_object_get(meta, "key"));
		snprintf(what, wlen, "meta %s", a ? a : "?");
		if (!a)
			return NF_NONE;
		if (!strcmp(a, "l4proto"))
			return NF_L4PROTO;
		if (!strcmp(a, "iifname") || !strcmp(a, "iif"))
			return NF_IIF;
		if (!strcmp(a, "oifname") || !strcmp(a, "oif"))
			return NF_OIF;
		if (!strcmp(a, "nfproto") || !strcmp(a, "protocol"))
			return NF_NFPROTO;
		return NF_NONE;
	}
	if (ct) {
		a = json_string_value(json_object_get(ct, "key"));
		snprintf(what, wlen, "ct %s", a ? a : "?");
		return a && !strcmp(a, "state") && !json_object_get(ct, "dir")
			       ? NF_CT_STATE
			       : NF_NONE;
	}
	if (json_is_object(left) && json_object_size(left) == 1)
		snprintf(what, wlen, "%s",
			 json_object_iter_key(json_object_iter(left)));
	else
		snprintf(what, wlen, "expression");
	return NF_NONE;
}

/* "tcp flags syn" (op in: any of), "tcp flags == syn", "tcp flags & (syn
 * | ack) == syn", "tcp flags != syn". */
static int tcpflags(struct chk_fw_rule *r, json_t *left, const char *op,
		    json_t *right)
{
	json_t *and = json_object_get(left, "&");
	uint8_t v = 0, m = 0;
	int neg = !strcmp(op, "!=");

	if (strcmp(op, "==") && strcmp(op, "!=") && strcmp(op, "in"))
		return 1;
	if (flag_bits(right, &v))
		return -1;
	if (and) {
		if (!strcmp(op, "in"))
			return 1;
		if (flag_bits(json_array_get(and, 1), &m))
			return -1;
		r->tcp_mask = m;
		r->tcp_cmp = v;
	} else if (!strcmp(op, "in")) {
		r->tcp_mask = v;
		r->tcp_cmp = v;
		r->tcp_any = 1;
	} else {
		r->tcp_mask = 0xff;
		r->tcp_cmp = v;
	}
	r->tcp_neg = (uint8_t)neg;
	return 0;
}

/* A "match" statement into r: 0, or -1 malformed (error recorded). */
static int match(struct nft *st, struct chk_fw_rule *r, json_t *m)
{
	json_t *left = json_object_get(m, "left");
	json_t *right = json_object_get(m, "right");
	const char *op = json_string_value(json_object_get(m, "op"));
	json_t *and = json_object_get(left, "&");
	char what[40];
	enum nft_field f;
	struct vals vs;
	int rc;

	if (!op || !left || !right) {
		chk_fw_error(st->rs, st->item, "bad match");
		return -1;
	}
	/* "tcp flags & (...)": the only masked field we model */
	f = field_of(r,
		     json_array_size(and) == 2 ? json_array_get(and, 0) : left,
		     what, sizeof(what));
	if (f == NF_TCPFLAGS) {
		rc = tcpflags(r, left, op, right);
		if (rc < 0) {
			chk_fw_error(st->rs, st->item, "bad tcp flags");
			return -1;
		}
		if (rc)
			chk_fw_mark_unknown(r, what);
		return 0;
	}
	if (f == NF_NONE || and) {
		chk_fw_mark_unknown(r, what);
		return 0;
	}
	if (strcmp(op, "==") && strcmp(op, "!=") && strcmp(op, "in")) {
		chk_fw_mark_unknown(r, what); /* <, >, ... */
		return 0;
	}
	rc = right_vals(right, &vs);
	if (rc == 0) {
		chk_fw_mark_unknown(r, "named set");
		return 0;
	}
	rc = rc < 0 ? 1 : apply(r, f, &vs, !strcmp(op, "!="));
	if (rc < 0) {
		chk_fw_error(st->rs, st->item, "bad value");
		return -1;
	}
	if (rc)
		chk_fw_mark_unknown(r, "value set");
	return 0;
}

/* ---------------------------------------------------------------- items */

static int family_of(const char *s)
{
	if (!strcmp(s, "ip"))
		return AF_INET;
	if (!strcmp(s, "ip6"))
		return AF_INET6;
	if (!strcmp(s, "inet"))
		return AF_UNSPEC;
	return -1; /* arp, bridge, netdev */
}

/* The table an item belongs to ("family", "table"), or -1. */
static int table_of(struct nft *st, json_t *o, const char *key)
{
	const char *name = json_string_value(json_object_get(o, key));
	const char *fam = json_string_value(json_object_get(o, "family"));
	size_t i;

	if (!name || !fam)
		return -1;
	for (i = 0; i < st->ntables; i++) {
		size_t k = (st->last + i) % st->ntables;

		if (!strcmp(st->tables[k].fam, fam) &&
		    !strcmp(st->tables[k].name, name)) {
			st->last = k;
			return (int)k;
		}
	}
	return -1;
}

/* Whether a table's flags say dormant ("dormant", or a list holding it).
 * nft 1.0.6 (Debian 12) prints a lone flag as a garbage string (a use
 * after free in table_flags_json); a lone string that is no flag name is
 * taken as "dormant", the flag an administrator sets ("owner" and
 * "persist" belong to daemons holding the table, which that nft's peers
 * do not set). */
static int is_dormant(json_t *flags)
{
	static const char *const others[] = {"owner", "persist"};
	json_t *x;
	size_t i;

	if (json_is_string(flags)) {
		for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
			if (!strcmp(json_string_value(flags), others[i]))
				return 0;
		return 1;
	}
	json_array_foreach(flags, i, x)
	{
		if (json_is_string(x) &&
		    !strcmp(json_string_value(x), "dormant"))
			return 1;
	}
	return 0;
}

static int read_table(struct nft *st, json_t *o)
{
	const char *name = json_string_value(json_object_get(o, "name"));
	const char *fam = json_string_value(json_object_get(o, "family"));
	struct nft_table *t;

	if (!name || !fam || strlen(name) >= CHK_FW_NAME ||
	    strlen(fam) >= sizeof(t->fam)) {
		chk_fw_error(st->rs, st->item, "bad table");
		return 0;
	}
	if (table_of(st, o, "name") >= 0) {
		chk_fw_error(st->rs, st->item, "table %.32s listed twice",
			     name);
		return 0;
	}
	if (st->ntables == MAX_TABLES) {
		chk_fw_error(st->rs, st->item, "too many tables");
		return 0;
	}
	t = &st->tables[st->ntables++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->fam, sizeof(t->fam), "%s", fam);
	t->family = family_of(fam);
	t->dormant = is_dormant(json_object_get(o, "flags"));
	return 0;
}

/* iptables-nft's own tables: family ip or ip6, an xtables table name and
 * an upper-case built-in chain. */
static int xtables_table(const struct nft_table *t)
{
	static const char *const names[] = {"filter", "nat", "mangle", "raw",
					    "security"};
	size_t i;

	if (t->family != AF_INET && t->family != AF_INET6)
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(t->name, names[i]))
			return t->has_builtin;
	return 0;
}

/* Named base chain priorities (nft(8) "PRIORITY") for ip, ip6, inet. */
static int prio_of(json_t *p, int32_t *v)
{
	static const struct {
		const char *name;
		int32_t v;
	} names[] = {
		{"raw", -300}, {"mangle", -150}, {"dstnat", -100},
		{"filter", 0}, {"security", 50}, {"srcnat", 100},
	};
	size_t i;

	if (json_is_integer(p)) {
		if (json_integer_value(p) < -1000000 ||
		    json_integer_value(p) > 1000000)
			return -1;
		*v = (int32_t)json_integer_value(p);
		return 0;
	}
	for (i = 0; json_is_string(p) && i < sizeof(names) / sizeof(names[0]);
	     i++) {
		if (!strcmp(json_string_value(p), names[i].name)) {
			*v = names[i].v;
			return 0;
		}
	}
	return -1;
}

static void chain_props(struct nft *st, struct chk_fw_chain *c, json_t *o)
{
	static const char *const hooks[] = {
		"prerouting", "input", "forward", "output", "postrouting",
	};
	const char *type = json_string_value(json_object_get(o, "type"));
	const char *hook = json_string_value(json_object_get(o, "hook"));
	const char *policy = json_string_value(json_object_get(o, "policy"));
	json_t *prio = json_object_get(o, "prio");
	size_t k;

	if (!type)
		return; /* a user chain */
	if (prio && prio_of(prio, &c->prio))
		chk_fw_error(st->rs, st->item, "bad priority");
	if (policy && !strcmp(policy, "drop"))
		c->policy = CHK_FW_DROP;
	else if (policy && strcmp(policy, "accept"))
		chk_fw_error(st->rs, st->item, "bad policy");
	if (strcmp(type, "filter") || !hook)
		return;
	for (k = 0; k < sizeof(hooks) / sizeof(hooks[0]); k++)
		if (!strcmp(hook, hooks[k]))
			c->hook = (uint8_t)(CHK_FW_HOOK_PREROUTING + k);
}

/* Model chain index of chain `name` in table tb, or -1. */
static int chain_of(const struct nft *st, int tb, const char *name)
{
	const struct nft_table *t = &st->tables[tb];
	size_t lo = t->chain0, hi = t->chain0 + t->nchains;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(st->rs->chains[st->by_name[mid]].name, name);

		if (!c)
			return (int)st->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int read_chain(struct nft *st, json_t *o)
{
	const char *name = json_string_value(json_object_get(o, "name"));
	int tb = table_of(st, o, "table");
	struct nft_table *t;
	int c;

	if (tb < 0 || !name || !name[0] || strlen(name) >= CHK_FW_NAME) {
		chk_fw_error(st->rs, st->item, "bad chain");
		return 0;
	}
	t = &st->tables[tb];
	if (!t->eval)
		return 0;
	c = chk_fw_chain_add(st->rs, t->name, name, CHK_FW_NFT, t->family,
			     st->item);
	if (c < 0)
		return -1;
	st->chain_tb[c - (int)st->chain0] = (uint32_t)tb;
	chain_props(st, &st->rs->chains[c], o);
	return 0;
}

/* A verdict statement into target/jump: 1 read, 0 not a verdict, -1 bad
 * (error recorded). */
static int verdict(struct nft *st, int tb, const char *k, json_t *v,
		   uint8_t *target, int32_t *jump)
{
	static const struct {
		const char *name;
		uint8_t target;
	} plain[] = {
		{"accept", CHK_FW_ACCEPT}, {"drop", CHK_FW_DROP},
		{"return", CHK_FW_RETURN}, {"continue", CHK_FW_CONTINUE},
		{"reject", CHK_FW_REJECT}, {"queue", CHK_FW_OTHER},
		{"fwd", CHK_FW_OTHER},	   {"synproxy", CHK_FW_OTHER},
	};
	const char *to;
	size_t i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (!strcmp(k, plain[i].name)) {
			*target = plain[i].target;
			*jump = -1;
			return 1;
		}
	}
	if (strcmp(k, "jump") && strcmp(k, "goto"))
		return 0;
	to = json_string_value(json_object_get(v, "target"));
	if (!to || !to[0] || strlen(to) >= CHK_FW_NAME) {
		chk_fw_error(st->rs, st->item, "bad verdict");
		return -1;
	}
	*jump = chain_of(st, tb, to);
	if (*jump < 0) {
		chk_fw_error(st->rs, st->item, "jump to unknown chain %.32s",
			     to);
		*target = CHK_FW_OTHER;
		return 1;
	}
	*target = k[0] == 'j' ? CHK_FW_JUMP : CHK_FW_GOTO;
	return 1;
}

/* Statements that neither match nor decide. */
static int harmless(const char *k)
{
	static const char *const names[] = {
		"counter",   "log",	   "mangle",  "notrack",
		"ct helper", "ct timeout", "set",     "ct expectation",
		"dup",	     "flow",	   "secmark",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(k, names[i]))
			return 1;
	return 0;
}

/* An iptables-nft "xt" statement: a match or target nft cannot show. */
static void xt(struct chk_fw_rule *r, json_t *v)
{
	const char *type = json_string_value(json_object_get(v, "type"));
	const char *name = json_string_value(json_object_get(v, "name"));

	if (!type || !name) {
		chk_fw_mark_unknown(r, "xt");
	} else if (!strcmp(type, "match")) {
		if (strcmp(name, "comment"))
			chk_fw_mark_unknown(r, name);
	} else if (!strcmp(type, "target")) {
		r->jump = -1;
		if (!strcmp(name, "REJECT"))
			r->target = CHK_FW_REJECT;
		else if (chk_fw_nonterminal_target(name))
			r->target = CHK_FW_CONTINUE;
		else
			r->target = CHK_FW_OTHER;
	}
}

/* A verdict map: one rule per element, each with its key's match. */
static int vmap(struct nft *st, int tb, const struct chk_fw_rule *r, json_t *v)
{
	json_t *set = json_object_get(json_object_get(v, "data"), "set");
	char what[40];
	struct chk_fw_rule x = *r;
	enum nft_field f =
		field_of(&x, json_object_get(v, "key"), what, sizeof(what));
	json_t *el;
	size_t i;

	if (!json_is_array(set)) {
		/* a named map: a verdict we cannot follow */
		x.target = CHK_FW_OTHER;
		x.jump = -1;
		chk_fw_mark_unknown(&x, "named map");
		return chk_fw_rule_add(st->rs, &x);
	}
	if (!json_array_size(set) || json_array_size(set) > NFT_VMAP) {
		chk_fw_error(st->rs, st->item, "bad vmap");
		return 0;
	}
	json_array_foreach(set, i, el)
	{
		struct chk_fw_rule y = x;
		json_t *verd = json_array_get(el, 1);
		struct vals vs;
		const char *k;
		json_t *vv;
		int rc, got = 0;

		json_object_foreach(verd, k, vv)
		{
			rc = verdict(st, tb, k, vv, &y.target, &y.jump);
			if (rc < 0)
				return 0;
			got = rc;
		}
		if (!got || json_array_size(el) != 2) {
			chk_fw_error(st->rs, st->item, "bad vmap");
			return 0;
		}
		vs.n = 0;
		rc = f == NF_NONE || f == NF_TCPFLAGS ||
				     flat(json_array_get(el, 0), vs.v[0],
					  sizeof(vs.v[0]))
			     ? 1
			     : (vs.n = 1, apply(&y, f, &vs, 0));
		if (rc < 0) {
			chk_fw_error(st->rs, st->item, "bad vmap key");
			continue;
		}
		if (rc)
			chk_fw_mark_unknown(&y, "vmap");
		if (chk_fw_rule_add(st->rs, &y))
			return -1;
	}
	return 0;
}

static int read_rule(struct nft *st, json_t *o)
{
	json_t *expr = json_object_get(o, "expr");
	const char *chain = json_string_value(json_object_get(o, "chain"));
	const char *comment = json_string_value(json_object_get(o, "comment"));
	json_t *handle = json_object_get(o, "handle"), *s, *map = NULL;
	int tb = table_of(st, o, "table"), c;
	struct chk_fw_rule r;
	struct text txt;
	size_t i;

	if (tb < 0 || !chain || !json_is_array(expr)) {
		chk_fw_error(st->rs, st->item, "bad rule");
		return 0;
	}
	if (!st->tables[tb].eval)
		return 0;
	c = chain_of(st, tb, chain);
	if (c < 0) {
		chk_fw_error(st->rs, st->item, "rule for unknown chain %.32s",
			     chain);
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.line = st->item;
	r.chain = (uint32_t)c;
	r.jump = -1;
	r.target = CHK_FW_CONTINUE;
	if (json_integer_value(handle) > 0)
		r.handle = (uint64_t)json_integer_value(handle);
	memset(&txt, 0, sizeof(txt));
	json_array_foreach(expr, i, s)
	{
		const char *k;
		json_t *v;

		if (!json_is_object(s) || json_object_size(s) != 1) {
			chk_fw_error(st->rs, st->item, "bad statement");
			return 0;
		}
		render_stmt(&txt, s);
		json_object_foreach(s, k, v)
		{
			int rc = verdict(st, tb, k, v, &r.target, &r.jump);

			if (rc < 0)
				return 0;
			if (rc || harmless(k))
				continue;
			if (!strcmp(k, "match")) {
				if (match(st, &r, v))
					return 0;
			} else if (!strcmp(k, "vmap")) {
				map = v;
			} else if (!strcmp(k, "xt")) {
				xt(&r, v);
			} else {
				chk_fw_mark_unknown(&r, k); /* limit, ... */
			}
		}
	}
	if (comment)
		put(&txt, " comment \"%s\"", comment);
	if (chk_fw_pool_add(st->rs, txt.s, txt.n, &r.text_off))
		return -1;
	r.text_len = (uint32_t)txt.n;
	if (map)
		return vmap(st, tb, &r, map);
	return chk_fw_rule_add(st->rs, &r);
}

static int cmp_chain(const void *a, const void *b, void *arg)
{
	const struct chk_ruleset *rs = arg;

	return strcmp(rs->chains[*(const uint32_t *)a].name,
		      rs->chains[*(const uint32_t *)b].name);
}

/* Fills st->by_name: each table's chains sorted by name. A name listed
 * twice in a table is an error (rules then go to one of them). */
static int index_chains(struct nft *st)
{
	size_t n = st->rs->nchains - st->chain0, i, k, at = 0;

	st->by_name = calloc(n ? n : 1, sizeof(*st->by_name));
	if (!st->by_name)
		return -1;
	for (k = 0; k < st->ntables; k++) {
		struct nft_table *t = &st->tables[k];

		t->chain0 = at;
		for (i = 0; i < n; i++)
			if (st->chain_tb[i] == k)
				st->by_name[at++] = (uint32_t)(st->chain0 + i);
		t->nchains = at - t->chain0;
		qsort_r(st->by_name + t->chain0, t->nchains,
			sizeof(*st->by_name), cmp_chain, st->rs);
		for (i = t->chain0 + 1; i < at; i++) {
			const struct chk_fw_chain *c =
				&st->rs->chains[st->by_name[i]];

			if (!strcmp(c->name,
				    st->rs->chains[st->by_name[i - 1]].name))
				chk_fw_error(st->rs, c->line,
					     "chain %.32s listed twice",
					     c->name);
		}
	}
	return 0;
}

/* The item's kind ("table", "chain", "rule", ...) and body. */
static const char *kind(json_t *item, json_t **body)
{
	const char *k;
	json_t *v;

	*body = NULL;
	if (!json_is_object(item) || json_object_size(item) != 1)
		return "";
	json_object_foreach(item, k, v)
	{
		*body = v;
		return json_is_object(v) ? k : "";
	}
	return "";
}

static int read_items(struct nft *st, json_t *items)
{
	json_t *it, *o;
	size_t i, k;
	int rc = 0;

	/* tables first, then which ones iptables-nft made */
	json_array_foreach(items, i, it)
	{
		st->item = (uint32_t)i + 1;
		if (!strcmp(kind(it, &o), "table"))
			read_table(st, o);
	}
	json_array_foreach(items, i, it)
	{
		const char *name;
		int tb;

		if (strcmp(kind(it, &o), "chain"))
			continue;
		tb = table_of(st, o, "table");
		name = json_string_value(json_object_get(o, "name"));
		if (tb >= 0 && name &&
		    chk_fw_builtin_hook(name) != CHK_FW_HOOK_NONE)
			st->tables[tb].has_builtin = 1;
	}
	for (k = 0; k < st->ntables; k++) {
		struct nft_table *t = &st->tables[k];

		t->eval = t->family >= 0 && !t->dormant &&
			  !(st->skip_xtables && xtables_table(t));
	}
	st->chain_tb =
		calloc(json_array_size(items) + 1, sizeof(*st->chain_tb));
	if (!st->chain_tb)
		return -1;
	json_array_foreach(items, i, it)
	{
		st->item = (uint32_t)i + 1;
		if (!strcmp(kind(it, &o), "chain") && read_chain(st, o))
			return -1;
	}
	if (index_chains(st))
		return -1;
	json_array_foreach(items, i, it)
	{
		const char *k2 = kind(it, &o);

		st->item = (uint32_t)i + 1;
		if (!strcmp(k2, "rule"))
			rc = read_rule(st, o);
		else if (!k2[0] && !json_object_get(it, "metainfo"))
			chk_fw_error(st->rs, st->item, "not an nft object");
		if (rc)
			return -1;
	}
	return 0;
}

int chk_fw_parse_nft_json(struct chk_ruleset *rs, const char *json, size_t len,
			  int skip_xtables)
{
	struct nft st;
	json_error_t jerr;
	json_t *doc, *items;
	int rc = 0;

	memset(&st, 0, sizeof(st));
	st.rs = rs;
	st.skip_xtables = skip_xtables;
	st.chain0 = rs->nchains;
	st.rule0 = rs->nrules;
	doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		chk_fw_error(rs, 0, "not JSON: %.60s", jerr.text);
		return 0;
	}
	items = json_object_get(doc, "nftables");
	if (!json_is_array(items)) {
		chk_fw_error(rs, 0, "no \"nftables\" array");
		goto out;
	}
	st.tables = calloc(MAX_TABLES, sizeof(*st.tables));
	if (!st.tables) {
		rc = -1;
		goto out;
	}
	rc = read_items(&st, items);
	chk_fw_finish(rs, st.chain0, st.rule0);
out:
	free(st.tables);
	free(st.by_name);
	free(st.chain_tb);
	json_decref(doc);
	return rc;
}

size_t chk_fw_nft_native_tables(const char *json, size_t len, char *names,
				size_t names_len)
{
	struct chk_ruleset rs;
	size_t i, count = 0, used = 0;

	if (names_len)
		names[0] = '\0';
	chk_ruleset_init(&rs);
	if (chk_fw_parse_nft_json(&rs, json, len, 1) == 0) {
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
