/* test_chk_firewall.c - the ruleset readers on real iptables-save text and
 * `nft -j list ruleset` JSON (tests/data/firewall/, made in a lab
 * namespace; make-nft-json.sh regenerates the JSON) and hand-made
 * malformed input, the evaluator on described
 * packets, and the firewall rules (CD4001, CD4002, CD4006) on hand-made
 * census records: field report 004's ESTABLISHED-only replica is flagged
 * with the exact fix, the fixed ruleset is not. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "fixture.h"

#include "check/firewall.h"
#include "guard.h"

#define PRIMARY "192.0.2.10"
#define REPLICA "192.0.2.20"

static const uint16_t mysql_ports[] = {3306};

struct fx {
	struct chk_ruleset rs;
	struct chk_census census;
	struct chk_sock socks[16];
	struct chk_fw_sockinfo info[16];
	struct chk_fw_view view;
	struct cd_findings out;
};

static struct fx fx;

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	chk_ruleset_init(&fx.rs);
	cd_findings_init(&fx.out);
	fx.census.tcp = fx.socks;
	fx.census.tcp_ok = 1;
	fx.view.rs = &fx.rs;
	fx.view.census = &fx.census;
	fx.view.info = fx.info;
	fx.view.ports = mysql_ports;
	fx.view.nports = 1;
	fx.view.tcp_loose = 1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	chk_ruleset_free(&fx.rs);
	cd_findings_free(&fx.out);
	return 0;
}

static char *load(const char *name, size_t *len)
{
	return fixture_load("firewall", name, len);
}

/* Parses a fixture ending at a guard page (the parsers get no NUL). */
static void parse(const char *name, int family, enum chk_fw_backend b)
{
	struct guard g;
	size_t len;
	char *text = load(name, &len);
	const char *at;

	guard_init(&g, len);
	at = (const char *)guard_put(&g, text, len);
	if (b == CHK_FW_NFT)
		assert_int_equal(chk_fw_parse_nft_json(&fx.rs, at, len, 1), 0);
	else
		assert_int_equal(
			chk_fw_parse_iptables(&fx.rs, at, len, family, b), 0);
	guard_free(&g);
	free(text);
}

/* Adds a census socket: local src:sport, remote dst:dport. */
static struct chk_sock *sock(const char *src, uint16_t sport, const char *dst,
			     uint16_t dport, int state, int server_side)
{
	struct chk_sock *s = &fx.socks[fx.census.ntcp];

	fixture_sock(s, src, sport, dst, dport, state, server_side);
	s->inode = 1000 + (uint32_t)fx.census.ntcp;
	memset(&fx.info[fx.census.ntcp], 0, sizeof(fx.info[0]));
	fx.census.ntcp++;
	return s;
}

/* The replica's client connection to the primary (like the IO thread). */
static void replica_conn(uint16_t lport, const char *comm)
{
	sock(REPLICA, lport, PRIMARY, 3306, CHK_TCP_ESTABLISHED, 0);
	snprintf(fx.info[fx.census.ntcp - 1].comm, sizeof(fx.info[0].comm),
		 "%s", comm);
	fx.info[fx.census.ntcp - 1].pid = 4242;
}

/* The first finding of a code; fails the test when there is none. */
static const struct cd_finding *find(const char *code)
{
	static const struct cd_finding none;
	size_t i;

	for (i = 0; i < fx.out.n; i++)
		if (!strcmp(fx.out.v[i].def->code, code))
			return &fx.out.v[i];
	fail_msg("no %s finding", code);
	return &none;
}

static size_t count(const char *code)
{
	size_t i, n = 0;

	for (i = 0; i < fx.out.n; i++)
		n += !strcmp(fx.out.v[i].def->code, code);
	return n;
}

static const struct cd_evidence *ev(const struct cd_finding *f, const char *key)
{
	unsigned i;

	for (i = 0; i < f->nev; i++)
		if (!strcmp(f->ev[i].key, key))
			return &f->ev[i];
	fail_msg("no evidence %s", key);
	return NULL;
}

static double num(const struct cd_finding *f, const char *key)
{
	return ev(f, key)->v[0];
}

static int chain_idx(const char *name)
{
	size_t i;

	for (i = 0; i < fx.rs.nchains; i++)
		if (!strcmp(fx.rs.chains[i].name, name))
			return (int)i;
	fail_msg("no chain %s", name);
	return -1;
}

static const struct chk_fw_rule *rule_at(const char *chain, uint32_t pos)
{
	const struct chk_fw_chain *c = &fx.rs.chains[chain_idx(chain)];

	assert_true(pos >= 1 && pos <= c->nrules);
	return &fx.rs.rules[c->first + pos - 1];
}

/* An incoming packet from the primary's port 3306 to local port lport. */
static void from_primary(struct chk_fw_packet *p, unsigned ct, uint16_t lport)
{
	memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->hook = CHK_FW_HOOK_INPUT;
	p->proto = IPPROTO_TCP;
	p->ctstate = (uint8_t)ct;
	p->tcp_flags = CHK_TCP_ACK | CHK_TCP_PSH;
	p->src_known = p->dst_known = 1;
	fixture_addr(&p->src, PRIMARY);
	fixture_addr(&p->dst, REPLICA);
	p->sport = 3306;
	p->dport = lport;
}

/* ---------------------------------------------------------------- parse */

static void test_parse_recipe7(void **state)
{
	const struct chk_fw_chain *in;
	const struct chk_fw_rule *r;

	(void)state;
	parse("replica-established-only.v4", AF_INET, CHK_FW_IPT_NFT);
	assert_int_equal(fx.rs.nerrors, 0);
	assert_int_equal(fx.rs.nchains, 3);
	in = &fx.rs.chains[chain_idx("INPUT")];
	assert_int_equal(in->hook, CHK_FW_HOOK_INPUT);
	assert_int_equal(in->policy, CHK_FW_DROP);
	assert_int_equal(in->family, AF_INET);
	assert_string_equal(in->table, "filter");
	assert_int_equal(in->nrules, 3);
	assert_int_equal(fx.rs.chains[chain_idx("OUTPUT")].policy,
			 CHK_FW_ACCEPT);
	r = rule_at("INPUT", 1);
	assert_string_equal(r->iif, "lo");
	assert_int_equal(r->target, CHK_FW_ACCEPT);
	assert_int_equal(r->line, 6);
	r = rule_at("INPUT", 2);
	assert_int_equal(r->ct_mask, CHK_CT_ESTABLISHED | CHK_CT_RELATED);
	assert_int_equal(r->line, 7);
	assert_memory_equal(
		chk_fw_rule_text(&fx.rs, r),
		"-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED "
		"-j ACCEPT",
		r->text_len);
	r = rule_at("INPUT", 3);
	assert_int_equal(r->proto, IPPROTO_TCP);
	assert_int_equal(r->dport.n, 1);
	assert_int_equal(r->dport.lo[0], 3306);
	assert_int_equal(r->dport.hi[0], 3306);
	assert_int_equal(r->ct_mask, CHK_CT_NEW);
	assert_int_equal(r->unknown, 0);
	assert_true(fx.rs.uses_ct);
}

static void test_parse_userchains(void **state)
{
	const struct chk_fw_rule *r;

	(void)state;
	parse("userchains.v4", AF_INET, CHK_FW_IPT_NFT);
	assert_int_equal(fx.rs.nerrors, 0);
	assert_int_equal(fx.rs.nchains, 6);
	assert_int_equal(fx.rs.chains[chain_idx("MYSQL")].hook,
			 CHK_FW_HOOK_NONE);
	r = rule_at("INPUT", 2);
	assert_int_equal(r->target, CHK_FW_JUMP);
	assert_int_equal(r->jump, chain_idx("STATEFUL"));
	r = rule_at("INPUT", 3); /* multiport --dports 22,3306:3307 */
	assert_int_equal(r->dport.n, 2);
	assert_int_equal(r->dport.lo[0], 22);
	assert_int_equal(r->dport.lo[1], 3306);
	assert_int_equal(r->dport.hi[1], 3307);
	r = rule_at("MYSQL", 1); /* ! -s 10.0.0.0/8 -j REJECT */
	assert_int_equal(r->src.n, 1);
	assert_true(r->src.neg);
	assert_true(r->src.v4);
	assert_int_equal(r->src.plen[0], 96 + 8);
	assert_int_equal(r->target, CHK_FW_REJECT);
	r = rule_at("MYSQL",
		    2); /* ! --tcp-flags FIN,SYN,RST,ACK SYN, comment */
	assert_int_equal(r->tcp_mask,
			 CHK_TCP_FIN | CHK_TCP_SYN | CHK_TCP_RST | CHK_TCP_ACK);
	assert_int_equal(r->tcp_cmp, CHK_TCP_SYN);
	assert_true(r->tcp_neg);
	assert_int_equal(r->unknown, 0);
	r = rule_at("LOGDROP", 1); /* -m limit ... -j LOG */
	assert_true(r->unknown);
	assert_string_equal(r->unknown_what, "limit");
	assert_int_equal(r->target, CHK_FW_CONTINUE);
	r = rule_at("STATEFUL", 3);
	assert_int_equal(r->target, CHK_FW_RETURN);
}

static void test_parse_malformed(void **state)
{
	static const uint32_t lines[] = {2,  7,	 9,  10, 11, 12, 13, 14, 15, 16,
					 17, 18, 19, 20, 21, 23, 24, 26, 29};
	size_t i;

	(void)state;
	parse("malformed.v4", AF_INET, CHK_FW_IPT_NFT);
	for (i = 0; i < fx.rs.nerrors && i < CHK_FW_ERRORS; i++)
		print_message("line %u: %s\n", fx.rs.errors[i].line,
			      fx.rs.errors[i].msg);
	assert_int_equal(fx.rs.nerrors, sizeof(lines) / sizeof(lines[0]));
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_int_equal(fx.rs.errors[i].line, lines[i]);
	assert_string_equal(fx.rs.errors[0].msg, "rule outside a table");
	assert_string_equal(fx.rs.errors[2].msg, "unterminated quote");
	assert_string_equal(fx.rs.errors[3].msg, "bad address");
	/* the good lines around the bad ones are kept */
	assert_int_equal(fx.rs.chains[chain_idx("INPUT")].nrules, 2);
	assert_string_equal(rule_at("INPUT", 1)->iif, "lo");
	assert_int_equal(rule_at("INPUT", 2)->line, 22);
	assert_int_equal(fx.rs.chains[chain_idx("INPUT")].policy, CHK_FW_DROP);
}

/* The text of a rule, NUL-terminated. */
static const char *text_of(const struct chk_fw_rule *r)
{
	static char buf[CHK_FW_MAX_LINE + 1];

	memcpy(buf, chk_fw_rule_text(&fx.rs, r), r->text_len);
	buf[r->text_len] = '\0';
	return buf;
}

static void test_parse_nft(void **state)
{
	const struct chk_fw_chain *in;
	const struct chk_fw_rule *r;

	(void)state;
	parse("replica-established-only.nft.json", 0, CHK_FW_NFT);
	assert_int_equal(fx.rs.nerrors, 0);
	assert_int_equal(fx.rs.nchains, 2);
	in = &fx.rs.chains[chain_idx("input")];
	assert_int_equal(in->backend, CHK_FW_NFT);
	assert_int_equal(in->family, AF_UNSPEC);
	assert_string_equal(in->table, "filter");
	assert_int_equal(in->hook, CHK_FW_HOOK_INPUT);
	assert_int_equal(in->policy, CHK_FW_DROP);
	assert_int_equal(in->nrules, 4);
	assert_int_equal(fx.rs.chains[chain_idx("output")].hook,
			 CHK_FW_HOOK_OUTPUT);
	r = rule_at("input", 1);
	assert_string_equal(r->iif, "lo");
	assert_int_equal(r->handle, 3);
	assert_string_equal(text_of(r), "iif \"lo\" accept");
	r = rule_at("input", 2);
	assert_int_equal(r->ct_mask, CHK_CT_ESTABLISHED | CHK_CT_RELATED);
	assert_int_equal(r->handle, 4);
	assert_string_equal(text_of(r), "ct state established,related accept");
	r = rule_at("input", 3);
	assert_int_equal(r->ct_mask, CHK_CT_INVALID);
	assert_int_equal(r->target, CHK_FW_DROP);
	r = rule_at("input", 4);
	assert_int_equal(r->proto, IPPROTO_TCP);
	assert_int_equal(r->dport.lo[0], 3306);
	assert_int_equal(r->ct_mask, CHK_CT_NEW);
	assert_int_equal(r->unknown, 0);
	/* metainfo, table, two chains, then the rules: item 8 */
	assert_int_equal(r->line, 8);
	assert_string_equal(text_of(r), "tcp dport 3306 ct state new accept");
	assert_true(fx.rs.uses_ct);
}

static void test_parse_nft_mixed(void **state)
{
	const struct chk_fw_rule *r;
	char names[128];
	size_t len, n;
	char *text;

	(void)state;
	parse("mixed.nft.json", 0, CHK_FW_NFT);
	assert_int_equal(fx.rs.nerrors, 0);
	/* the iptables-nft table "ip filter" is left to iptables-save */
	assert_int_equal(fx.rs.nchains, 3);
	assert_int_equal(fx.rs.chains[chain_idx("pre")].hook,
			 CHK_FW_HOOK_PREROUTING);
	assert_int_equal(fx.rs.chains[chain_idx("pre")].prio, -300);
	assert_int_equal(fx.rs.chains[chain_idx("pre")].family, AF_INET6);
	/* the verdict map became three rules */
	assert_int_equal(fx.rs.chains[chain_idx("input")].nrules, 8);
	r = rule_at("input", 1);
	assert_int_equal(r->ct_mask, CHK_CT_INVALID);
	assert_int_equal(r->target, CHK_FW_DROP);
	assert_int_equal(rule_at("input", 2)->ct_mask, CHK_CT_ESTABLISHED);
	assert_int_equal(rule_at("input", 2)->target, CHK_FW_ACCEPT);
	assert_int_equal(rule_at("input", 3)->ct_mask, CHK_CT_RELATED);
	assert_string_equal(text_of(rule_at("input", 3)),
			    "ct state vmap { invalid : drop, established : "
			    "accept, related : accept }");
	r = rule_at("input", 5); /* tcp flags syn / syn,ack ... jump */
	assert_int_equal(r->tcp_mask, CHK_TCP_SYN | CHK_TCP_ACK);
	assert_int_equal(r->tcp_cmp, CHK_TCP_SYN);
	assert_int_equal(r->target, CHK_FW_JUMP);
	assert_int_equal(r->jump, chain_idx("mysql_new"));
	r = rule_at("input", 6); /* ip saddr @allowed */
	assert_true(r->unknown);
	assert_string_equal(r->unknown_what, "named set");
	assert_int_equal(r->sport.lo[0], 3306);
	assert_string_equal(text_of(r), "ip saddr @allowed tcp sport 3306 "
					"accept comment \"primaries\"");
	r = rule_at("input", 7); /* meta l4proto { tcp, udp } th dport 53 */
	assert_int_equal(r->proto, IPPROTO_TCP);
	assert_int_equal(r->dport.lo[0], 53);
	r = rule_at("input", 8); /* ip6 saddr 2001:db8::/32 sport 3306-3309 */
	assert_false(r->src.v4);
	assert_int_equal(r->src.plen[0], 32);
	assert_int_equal(r->sport.lo[0], 3306);
	assert_int_equal(r->sport.hi[0], 3309);
	r = rule_at("mysql_new", 1);
	assert_true(r->src.neg);
	assert_int_equal(r->target, CHK_FW_REJECT);

	text = load("mixed.nft.json", &len);
	n = chk_fw_nft_native_tables(text, len, names, sizeof(names));
	assert_int_equal(n, 2);
	assert_string_equal(names, "inet filter, ip6 raw6");
	/* without iptables-save, the iptables-nft table is read from nft */
	chk_ruleset_free(&fx.rs);
	assert_int_equal(chk_fw_parse_nft_json(&fx.rs, text, len, 0), 0);
	assert_int_equal(fx.rs.nchains, 4);
	assert_int_equal(fx.rs.chains[chain_idx("INPUT")].policy, CHK_FW_DROP);
	assert_int_equal(fx.rs.chains[chain_idx("INPUT")].nrules, 3);
	/* nft -j shows iptables' -m conntrack only as an opaque "xt" */
	r = rule_at("INPUT", 2);
	assert_true(r->unknown);
	assert_string_equal(r->unknown_what, "conntrack");
	assert_int_equal(r->target, CHK_FW_ACCEPT);
	assert_string_equal(text_of(r), "xt match \"conntrack\" counter "
					"packets 0 bytes 0 accept");
	free(text);
}

static void test_parse_nft_shapes(void **state)
{
	const struct chk_fw_chain *c;
	const struct chk_fw_rule *r;
	char names[128];
	size_t len;
	char *text;

	(void)state;
	parse("shapes.nft.json", 0, CHK_FW_NFT);
	assert_int_equal(fx.rs.nerrors, 0);
	/* t4 c and u, t46 u, inet nat pre; not the dormant ip6 table, the
	 * netdev or the arp one */
	assert_int_equal(fx.rs.nchains, 4);
	c = &fx.rs.chains[chain_idx("c")];
	assert_int_equal(c->hook, CHK_FW_HOOK_OUTPUT);
	assert_int_equal(c->prio, -10);
	assert_int_equal(c->family, AF_INET);
	assert_int_equal(c->nrules, 21);
	assert_int_equal(fx.rs.chains[chain_idx("pre")].hook,
			 CHK_FW_HOOK_NONE); /* a nat chain */
	r = rule_at("c", 1);		    /* tcp flags syn: any of */
	assert_true(r->tcp_any);
	assert_int_equal(r->tcp_cmp, CHK_TCP_SYN);
	r = rule_at("c", 2); /* tcp flags == syn */
	assert_false(r->tcp_any);
	assert_int_equal(r->tcp_mask, 0xff);
	assert_int_equal(r->tcp_cmp, CHK_TCP_SYN);
	r = rule_at("c", 3);
	assert_int_equal(r->tcp_mask, CHK_TCP_SYN | CHK_TCP_ACK);
	assert_int_equal(r->tcp_cmp, CHK_TCP_SYN);
	assert_string_equal(text_of(r), "tcp flags & (syn|ack) == syn accept");
	r = rule_at("c", 4);
	assert_int_equal(r->tcp_mask,
			 CHK_TCP_FIN | CHK_TCP_SYN | CHK_TCP_RST | CHK_TCP_ACK);
	assert_true(r->tcp_neg);
	assert_int_equal(r->target, CHK_FW_DROP);
	r = rule_at("c", 5);
	assert_string_equal(r->oif, "eth+");
	assert_true(r->dport.neg);
	assert_int_equal(r->dport.n, 2);
	assert_int_equal(r->dport.lo[1], 3306);
	assert_string_equal(text_of(r),
			    "oifname \"eth*\" tcp dport != { 22, 3306 } drop");
	r = rule_at("c", 6);
	assert_true(r->oif_neg);
	assert_int_equal(r->dst.n, 2);
	assert_int_equal(r->dst.plen[0], 96 + 8);
	assert_int_equal(r->dst.plen[1], 128);
	r = rule_at("c", 7); /* an address range */
	assert_true(r->unknown);
	assert_string_equal(r->unknown_what, "value set");
	r = rule_at("c", 8);
	assert_int_equal(r->family, AF_INET);
	assert_int_equal(r->proto, IPPROTO_TCP);
	assert_int_equal(r->ct_mask, CHK_CT_NEW | CHK_CT_UNTRACKED);
	r = rule_at("c", 9);
	assert_true(r->ct_neg);
	assert_int_equal(r->ct_mask, CHK_CT_ESTABLISHED);
	r = rule_at("c", 10); /* mark set, ct mark set, notrack */
	assert_false(r->unknown);
	assert_int_equal(r->target, CHK_FW_CONTINUE);
	r = rule_at("c", 11);
	assert_string_equal(r->unknown_what, "limit");
	assert_int_equal(rule_at("c", 12)->target, CHK_FW_REJECT);
	r = rule_at("c", 13);
	assert_int_equal(r->target, CHK_FW_GOTO);
	assert_int_equal(r->jump, chain_idx("u"));
	assert_int_equal(rule_at("c", 14)->target, CHK_FW_RETURN);
	assert_int_equal(rule_at("c", 15)->target, CHK_FW_CONTINUE);
	r = rule_at("c", 16); /* log, counter */
	assert_false(r->unknown);
	assert_int_equal(r->target, CHK_FW_CONTINUE);
	r = rule_at("c", 17);
	assert_int_equal(r->proto, IPPROTO_UDP);
	assert_string_equal(text_of(r), "udp dport 53 accept comment \"dns\"");
	r = rule_at("c", 18);
	assert_int_equal(r->sport.lo[0], 1000);
	assert_int_equal(r->sport.hi[0], 2000);
	r = rule_at("c", 19);
	assert_int_equal(r->dport.n, 2);
	assert_int_equal(r->dport.hi[0], 3310);
	assert_int_equal(r->dport.lo[1], 4000);
	r = rule_at("c", 20); /* the verdict map's two rules */
	assert_int_equal(r->src.plen[0], 96 + 24);
	assert_int_equal(r->dport.lo[0], 3306);
	assert_int_equal(r->target, CHK_FW_ACCEPT);
	r = rule_at("c", 21);
	assert_int_equal(r->dport.lo[0], 3307);
	assert_int_equal(r->target, CHK_FW_JUMP);
	assert_int_equal(r->jump, chain_idx("u"));
	/* inet t46: "ip6 nexthdr tcp" is an IPv6-only rule */
	r = &fx.rs.rules[fx.rs.chains[2].first];
	assert_string_equal(fx.rs.chains[2].table, "t46");
	assert_int_equal(r->family, AF_INET6);
	assert_int_equal(r->proto, IPPROTO_TCP);

	text = load("shapes.nft.json", &len);
	assert_int_equal(
		chk_fw_nft_native_tables(text, len, names, sizeof(names)), 3);
	assert_string_equal(names, "ip t4, inet t46, inet nat");
	free(text);
}

static void test_parse_nft_malformed(void **state)
{
	static const struct {
		uint32_t line;
		const char *msg;
	} want[] = {
		/* tables, then chains, then rules */
		{19, "bad table"},
		{18, "bad priority"},
		{18, "bad policy"},
		{21, "bad chain"},
		{5, "bad value"},
		{6, "bad value"},
		{7, "bad value"},
		{8, "bad verdict"},
		{9, "jump to unknown chain nosuchchain"},
		{11, "bad rule"},
		{12, "bad statement"},
		{13, "rule for unknown chain nochain"},
		{14, "bad match"},
		{15, "bad tcp flags"},
		{16, "bad vmap key"},
		{20, "not an nft object"},
	};
	const struct chk_fw_rule *r;
	size_t i;

	(void)state;
	parse("malformed.nft.json", 0, CHK_FW_NFT);
	for (i = 0; i < fx.rs.nerrors && i < CHK_FW_ERRORS; i++)
		print_message("item %u: %s\n", fx.rs.errors[i].line,
			      fx.rs.errors[i].msg);
	assert_int_equal(fx.rs.nerrors, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(fx.rs.errors[i].line, want[i].line);
		assert_string_equal(fx.rs.errors[i].msg, want[i].msg);
	}
	/* the good rules survive; the jump to nowhere is a verdict we
	 * cannot follow */
	assert_int_equal(fx.rs.chains[chain_idx("input")].nrules, 3);
	assert_string_equal(rule_at("input", 1)->iif, "lo");
	r = rule_at("input", 2);
	assert_int_equal(r->line, 9);
	assert_int_equal(r->target, CHK_FW_OTHER);
	assert_int_equal(rule_at("input", 3)->ct_mask,
			 CHK_CT_ESTABLISHED | CHK_CT_RELATED);
	assert_int_equal(fx.rs.chains[chain_idx("input")].policy, CHK_FW_DROP);
	/* the lonely table's chain: bad priority and policy, kept */
	assert_int_equal(fx.rs.chains[chain_idx("c")].policy, CHK_FW_ACCEPT);
	assert_int_equal(fx.rs.chains[chain_idx("c")].hook, CHK_FW_HOOK_INPUT);
}

static void test_parse_nft_not_json(void **state)
{
	static const char *const docs[] = {
		"table inet filter {\n}\n", /* the text format */
		"{\"nftables\": {}}",
		"[1, 2]",
		"{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": ",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		chk_ruleset_free(&fx.rs);
		assert_int_equal(chk_fw_parse_nft_json(&fx.rs, docs[i],
						       strlen(docs[i]), 1),
				 0);
		assert_int_equal(fx.rs.nerrors, 1);
		assert_int_equal(fx.rs.errors[0].line, 0);
		assert_int_equal(fx.rs.nchains, 0);
	}
	assert_int_equal(chk_fw_parse_nft_json(&fx.rs, "", 0, 1), 0);
	assert_int_equal(fx.rs.nerrors, 2);
}

/* Tables told apart by family and name; flags as newer nft prints them. */
static void test_parse_nft_tables(void **state)
{
	static const char doc[] =
		"{\"nftables\": ["
		"{\"table\": {\"family\": \"arp\", \"name\": \"filter\"}},"
		"{\"table\": {\"family\": \"bridge\", \"name\": \"filter\"}},"
		"{\"table\": {\"family\": \"ip\", \"name\": \"a\", "
		"\"flags\": [\"owner\", \"dormant\"]}},"
		"{\"table\": {\"family\": \"ip\", \"name\": \"b\", "
		"\"flags\": \"owner\"}},"
		"{\"table\": {\"family\": \"ip\", \"name\": \"b\"}},"
		"{\"chain\": {\"family\": \"ip\", \"table\": \"a\", \"name\": "
		"\"in\", \"type\": \"filter\", \"hook\": \"input\", \"prio\": "
		"0, "
		"\"policy\": \"drop\"}},"
		"{\"chain\": {\"family\": \"ip\", \"table\": \"b\", \"name\": "
		"\"in\", \"type\": \"filter\", \"hook\": \"input\", \"prio\": "
		"\"filter\", \"policy\": \"drop\"}},"
		"{\"chain\": {\"family\": \"bridge\", \"table\": \"filter\", "
		"\"name\": \"in\", \"type\": \"filter\", \"hook\": \"input\", "
		"\"prio\": 0, \"policy\": \"drop\"}}"
		"]}";

	(void)state;
	assert_int_equal(chk_fw_parse_nft_json(&fx.rs, doc, strlen(doc), 1), 0);
	assert_int_equal(fx.rs.nerrors, 1);
	assert_int_equal(fx.rs.errors[0].line, 5);
	assert_string_equal(fx.rs.errors[0].msg, "table b listed twice");
	/* a is dormant, the bridge table is not evaluated: only b's chain */
	assert_int_equal(fx.rs.nchains, 1);
	assert_string_equal(fx.rs.chains[0].table, "b");
	assert_int_equal(fx.rs.chains[0].policy, CHK_FW_DROP);
	assert_int_equal(fx.rs.chains[0].hook, CHK_FW_HOOK_INPUT);
}

/* ---------------------------------------------------------------- eval */

static void test_eval_recipe7(void **state)
{
	struct chk_fw_packet p;
	struct chk_fw_outcome o;

	(void)state;
	parse("replica-established-only.v4", AF_INET, CHK_FW_IPT_NFT);
	from_primary(&p, CHK_CT_ESTABLISHED, 40001);
	chk_fw_eval(&fx.rs, &p, &o);
	assert_int_equal(o.nchains, 1);
	assert_int_equal(o.possible, CHK_FW_V_ACCEPT);
	assert_int_equal(o.c[0].why[CHK_FW_ACCEPT].rule,
			 (int)(rule_at("INPUT", 2) - fx.rs.rules));
	assert_int_equal(o.c[0].why[CHK_FW_ACCEPT].top, 2);

	from_primary(&p, CHK_CT_NEW, 40001);
	chk_fw_eval(&fx.rs, &p, &o);
	assert_int_equal(o.possible, CHK_FW_V_DROP);
	assert_int_equal(o.c[0].why[CHK_FW_DROP].rule, -1); /* the policy */
	assert_int_equal(o.c[0].why[CHK_FW_DROP].top, 0);

	from_primary(&p, CHK_CT_INVALID, 40001);
	chk_fw_eval(&fx.rs, &p, &o);
	assert_int_equal(o.possible, CHK_FW_V_DROP);

	/* a NEW SYN to the local MySQL port is accepted (rule 3) */
	from_primary(&p, CHK_CT_NEW, 3306);
	p.sport = 50000;
	p.tcp_flags = CHK_TCP_SYN;
	chk_fw_eval(&fx.rs, &p, &o);
	assert_int_equal(o.possible, CHK_FW_V_ACCEPT);
	assert_int_equal(o.c[0].why[CHK_FW_ACCEPT].top, 3);

	/* over loopback everything passes */
	from_primary(&p, CHK_CT_NEW, 40001);
	strcpy(p.iface, "lo");
	chk_fw_eval(&fx.rs, &p, &o);
	assert_int_equal(o.possible, CHK_FW_V_ACCEPT);

	/* an IPv6 packet meets no chain: accepted */
	from_primary(&p, CHK_CT_NEW, 40001);
	p.family = AF_INET6;
	chk_fw_eval(&fx.rs, &p, &o);
	assert_int_equal(o.nchains, 0);
	assert_int_equal(o.possible, CHK_FW_V_ACCEPT);
}

static void test_eval_userchains(void **state)
{
	struct chk_fw_packet p;
	struct chk_fw_outcome o;

	(void)state;
	parse("userchains.v4", AF_INET, CHK_FW_IPT_NFT);
	from_primary(&p, CHK_CT_ESTABLISHED, 40001);
	chk_fw_eval(&fx.rs, &p, &o);
	assert_int_equal(o.possible, CHK_FW_V_ACCEPT);
	/* accepted inside STATEFUL, reached from INPUT rule 2 */
	assert_int_equal(o.c[0].why[CHK_FW_ACCEPT].rule,
			 (int)(rule_at("STATEFUL", 2) - fx.rs.rules));
	assert_int_equal(o.c[0].why[CHK_FW_ACCEPT].top, 2);

	/* NEW from the primary: STATEFUL returns, the multiport jump does
	 * not match port 40001, LOGDROP's LOG (limit: unknown) goes on and
	 * its DROP ends it, reached from INPUT rule 4. */
	from_primary(&p, CHK_CT_NEW, 40001);
	chk_fw_eval(&fx.rs, &p, &o);
	assert_int_equal(o.possible, CHK_FW_V_DROP);
	assert_int_equal(o.c[0].why[CHK_FW_DROP].rule,
			 (int)(rule_at("LOGDROP", 2) - fx.rs.rules));
	assert_int_equal(o.c[0].why[CHK_FW_DROP].top, 4);

	/* INVALID is dropped in STATEFUL */
	from_primary(&p, CHK_CT_INVALID, 40001);
	chk_fw_eval(&fx.rs, &p, &o);
	assert_int_equal(o.c[0].why[CHK_FW_DROP].rule,
			 (int)(rule_at("STATEFUL", 1) - fx.rs.rules));

	/* A client's mid-stream packet to our 3306 as NEW: MYSQL chain,
	 * "! -s 10.0.0.0/8" does not match 10.1.1.1, "! --syn" does. */
	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.hook = CHK_FW_HOOK_INPUT;
	p.proto = IPPROTO_TCP;
	p.ctstate = CHK_CT_NEW;
	p.tcp_flags = CHK_TCP_ACK;
	p.src_known = p.dst_known = 1;
	fixture_addr(&p.src, "10.1.1.1");
	fixture_addr(&p.dst, "10.1.1.2");
	p.sport = 50000;
	p.dport = 3306;
	chk_fw_eval(&fx.rs, &p, &o);
	assert_int_equal(o.possible, CHK_FW_V_ACCEPT);
	assert_int_equal(o.c[0].why[CHK_FW_ACCEPT].rule,
			 (int)(rule_at("MYSQL", 2) - fx.rs.rules));
	/* the same from outside 10/8 is rejected */
	fixture_addr(&p.src, "172.16.0.1");
	chk_fw_eval(&fx.rs, &p, &o);
	assert_int_equal(o.possible, CHK_FW_V_REJECT);
	/* from an unknown address it depends */
	p.src_known = 0;
	chk_fw_eval(&fx.rs, &p, &o);
	assert_int_equal(o.possible, CHK_FW_V_ACCEPT | CHK_FW_V_REJECT);
	/* a SYN from inside 10/8 passes "NEW" in MYSQL (rule 3) */
	p.src_known = 1;
	fixture_addr(&p.src, "10.1.1.1");
	p.tcp_flags = CHK_TCP_SYN;
	chk_fw_eval(&fx.rs, &p, &o);
	assert_int_equal(o.c[0].why[CHK_FW_ACCEPT].rule,
			 (int)(rule_at("MYSQL", 3) - fx.rs.rules));
}

static void test_eval_two_backends(void **state)
{
	struct chk_fw_packet p;
	struct chk_fw_outcome o;

	(void)state;
	/* legacy's INPUT drops NEW; the nft one accepts it statelessly:
	 * a packet must pass both. */
	parse("legacy.v4", AF_INET, CHK_FW_IPT_LEGACY);
	parse("replica-fixed.v4", AF_INET, CHK_FW_IPT_NFT);
	from_primary(&p, CHK_CT_NEW, 40001);
	chk_fw_eval(&fx.rs, &p, &o);
	assert_int_equal(o.nchains, 2);
	assert_int_equal(o.possible, CHK_FW_V_DROP);
	from_primary(&p, CHK_CT_ESTABLISHED, 40001);
	chk_fw_eval(&fx.rs, &p, &o);
	assert_int_equal(o.possible, CHK_FW_V_ACCEPT);
	fx.census.ntcp = 0;
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	assert_non_null(find("CD4006"));
	assert_int_equal(find("CD4006")->severity, CD_SEV_INFO);
	assert_int_equal(num(find("CD4006"), "legacy_rules"), 1);
	assert_int_equal(num(find("CD4006"), "nft_rules"), 4);
}

/* ---------------------------------------------------------------- rules */

static void test_trap_flagged(void **state)
{
	const struct cd_finding *f;
	const struct cd_evidence *e;

	(void)state;
	parse("replica-established-only.v4", AF_INET, CHK_FW_IPT_NFT);
	replica_conn(40001, "python3");
	replica_conn(40002, "python3");
	/* the replica's own server, with a client: not trapped (NEW is
	 * accepted on dport 3306) */
	sock(REPLICA, 3306, "192.0.2.99", 51000, CHK_TCP_ESTABLISHED, 1);
	sock("0.0.0.0", 3306, "0.0.0.0", 0, CHK_TCP_LISTEN, 1);
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	assert_int_equal(fx.out.n, 1);
	f = find("CD4001");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_non_null(
		strstr(f->summary, "2 connections to " PRIMARY ":3306"));
	assert_non_null(strstr(f->summary, "python3 pid 4242"));
	assert_non_null(
		strstr(f->evidence,
		       "iptables-save line 7 `-A INPUT -m conntrack --ctstate "
		       "RELATED,ESTABLISHED -j ACCEPT`"));
	assert_non_null(strstr(f->evidence, "the policy DROP of iptables-nft "
					    "filter chain INPUT"));
	assert_non_null(strstr(f->evidence,
			       "Fix: iptables -A INPUT -p tcp -s " PRIMARY
			       " --sport 3306 -j ACCEPT"));
	assert_int_equal(num(f, "connections"), 2);
	assert_int_equal(num(f, "port"), 3306);
	e = ev(f, "local_ports");
	assert_int_equal(e->n, 2);
	assert_int_equal(e->v[0], 40001);
	assert_int_equal(e->v[1], 40002);
	assert_int_equal(num(f, "accept_line"), 7);
	assert_int_equal(num(f, "drop_line"), 0);
	assert_int_equal(num(f, "replication"), 0);
	assert_int_equal(num(f, "inbound"), 1);
	assert_int_equal(num(f, "tcp_loose"), 1);
}

static void test_trap_replication_critical(void **state)
{
	const struct cd_finding *f;

	(void)state;
	parse("replica-established-only.v4", AF_INET, CHK_FW_IPT_NFT);
	replica_conn(40001, "mariadbd");
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	f = find("CD4001");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	assert_int_equal(num(f, "replication"), 1);
	assert_non_null(
		strstr(f->summary, "replication link to primary " PRIMARY));
}

static void test_trap_loose0(void **state)
{
	const struct cd_finding *f;

	(void)state;
	parse("replica-established-only.v4", AF_INET, CHK_FW_IPT_NFT);
	replica_conn(40001, "");
	fx.view.tcp_loose = 0;
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	f = find("CD4001");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	assert_int_equal(num(f, "tcp_loose"), 0);
	assert_non_null(strstr(f->evidence, "INVALID"));
	assert_non_null(strstr(f->evidence, "never recovers"));
}

static void test_fixed_not_flagged(void **state)
{
	(void)state;
	parse("replica-fixed.v4", AF_INET, CHK_FW_IPT_NFT);
	replica_conn(40001, "mariadbd");
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	assert_int_equal(fx.out.n, 0);
	/* also with loose=0: the stateless rule takes INVALID too */
	fx.view.tcp_loose = 0;
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	assert_int_equal(fx.out.n, 0);
	assert_int_equal(chk_fw_sock_verdict(&fx.view, 0, 1, CHK_CT_NEW, NULL),
			 1);
}

static void test_permissive_not_flagged(void **state)
{
	(void)state;
	parse("permissive.v4", AF_INET, CHK_FW_IPT_NFT);
	replica_conn(40001, "mariadbd");
	sock("0.0.0.0", 3306, "0.0.0.0", 0, CHK_TCP_LISTEN, 1);
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	assert_int_equal(fx.out.n, 0);
	assert_false(fx.rs.uses_ct);
}

static void test_trap_reject_rule(void **state)
{
	const struct cd_finding *f;

	(void)state;
	parse("replica-reject-rule.v4", AF_INET, CHK_FW_IPT_NFT);
	replica_conn(40001, "");
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	f = find("CD4001");
	assert_non_null(f);
	/* the fix goes before the REJECT rule, not after it */
	assert_non_null(strstr(f->evidence, "Fix: iptables -I INPUT 4 -p tcp "
					    "-s " PRIMARY " --sport 3306 -j "
					    "ACCEPT"));
	assert_non_null(strstr(f->evidence, "(REJECT)"));
	assert_int_equal(num(f, "drop_line"), 9);
}

static void test_trap_userchains(void **state)
{
	const struct cd_finding *f;

	(void)state;
	parse("userchains.v4", AF_INET, CHK_FW_IPT_NFT);
	sock("10.1.1.2", 40001, "10.1.1.1", 3306, CHK_TCP_ESTABLISHED, 0);
	/* a client of our server: its packets pass "! --syn" statelessly */
	sock("10.1.1.2", 3306, "10.1.1.3", 50000, CHK_TCP_ESTABLISHED, 1);
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	assert_int_equal(count("CD4001"), 1);
	f = find("CD4001");
	assert_non_null(f);
	assert_non_null(strstr(f->evidence, "Fix: iptables -I INPUT 4 -p tcp "
					    "-s 10.1.1.1 --sport 3306 -j "
					    "ACCEPT"));
	assert_int_equal(num(f, "server_side"), 0);
	/* with loose=0 the client's packets are INVALID: STATEFUL drops
	 * them, so the server side is caught too */
	cd_findings_free(&fx.out);
	fx.view.tcp_loose = 0;
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	assert_int_equal(count("CD4001"), 2);
	f = &fx.out.v[1];
	assert_int_equal(num(f, "server_side"), 1);
	assert_non_null(strstr(f->evidence, "-I INPUT 2 -p tcp -s 10.1.1.3 "
					    "--dport 3306 -j ACCEPT"));
}

static void test_undecided_not_flagged(void **state)
{
	struct chk_fw_outcome o;

	(void)state;
	parse("unknown-match.v4", AF_INET, CHK_FW_IPT_NFT);
	replica_conn(40001, "mariadbd");
	assert_string_equal(rule_at("INPUT", 2)->unknown_what, "recent");
	assert_int_equal(chk_fw_sock_verdict(&fx.view, 0, 1, CHK_CT_NEW, &o),
			 -1);
	assert_int_equal(o.possible, CHK_FW_V_ACCEPT | CHK_FW_V_DROP);
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	assert_int_equal(count("CD4001"), 0);
}

static void test_trap_ipv6(void **state)
{
	const struct cd_finding *f;

	(void)state;
	parse("replica-established-only.v6", AF_INET6, CHK_FW_IPT_NFT);
	sock("2001:db8::20", 40010, "2001:db8::10", 3306, CHK_TCP_ESTABLISHED,
	     0);
	/* an IPv4 connection meets no IPv4 ruleset here */
	replica_conn(40001, "");
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	assert_int_equal(count("CD4001"), 1);
	f = find("CD4001");
	assert_non_null(f);
	assert_non_null(strstr(f->evidence, "Fix: ip6tables -A INPUT -p tcp -s "
					    "2001:db8::10 --sport 3306 -j "
					    "ACCEPT"));
	assert_non_null(strstr(f->summary, "2001:db8::10"));
}

static void test_trap_nft(void **state)
{
	const struct cd_finding *f;

	(void)state;
	parse("replica-established-only.nft.json", 0, CHK_FW_NFT);
	replica_conn(40001, "mysqld");
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	f = find("CD4001");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	assert_non_null(strstr(f->evidence, "nft inet filter chain input"));
	assert_non_null(strstr(f->evidence, "nft rule handle 4 `ct state "
					    "established,related accept`"));
	assert_non_null(
		strstr(f->evidence,
		       "Fix: nft add rule inet filter input ip saddr " PRIMARY
		       " tcp sport 3306 accept"));
	/* loose=0: "ct state invalid drop" (handle 5) refuses it first,
	 * so the fix goes before that rule */
	cd_findings_free(&fx.out);
	fx.view.tcp_loose = 0;
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	f = find("CD4001");
	assert_non_null(f);
	assert_non_null(strstr(
		f->evidence, "Fix: nft insert rule inet filter input position "
			     "5 ip saddr " PRIMARY " tcp sport 3306 accept"));
	/* nft -j has no lines: a native rule is found by its handle */
	assert_non_null(strstr(f->evidence, "nft rule handle 5 `ct state "
					    "invalid drop`"));
	assert_int_equal(num(f, "drop_line"), 5);
	assert_int_equal(num(f, "accept_line"), 4);
}

static void test_nft_fixed_not_flagged(void **state)
{
	(void)state;
	parse("replica-fixed.nft.json", 0, CHK_FW_NFT);
	replica_conn(40001, "mysqld");
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	assert_int_equal(fx.out.n, 0);
}

static void test_nft_mixed_undecided(void **state)
{
	(void)state;
	/* the only stateless accept uses a named set: undecided, no alarm */
	parse("mixed.nft.json", 0, CHK_FW_NFT);
	replica_conn(40001, "mysqld");
	assert_int_equal(chk_fw_sock_verdict(&fx.view, 0, 1, CHK_CT_NEW, NULL),
			 -1);
	assert_int_equal(
		chk_fw_sock_verdict(&fx.view, 0, 1, CHK_CT_ESTABLISHED, NULL),
		1);
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	assert_int_equal(count("CD4001"), 0);
}

static void test_listener_syn_dropped(void **state)
{
	const struct cd_finding *f;

	(void)state;
	parse("server-drop-syn.v4", AF_INET, CHK_FW_IPT_NFT);
	sock("0.0.0.0", 3306, "0.0.0.0", 0, CHK_TCP_LISTEN, 1);
	sock("::", 3306, "::", 0, CHK_TCP_LISTEN, 1); /* same port, v6 */
	sock("127.0.0.1", 3307, "0.0.0.0", 0, CHK_TCP_LISTEN, 1);
	sock("10.0.0.1", 3306, "10.0.0.7", 50000, CHK_TCP_ESTABLISHED, 1);
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	/* IPv4 once (deduplicated); IPv6 has no ruleset: open */
	assert_int_equal(count("CD4002"), 1);
	f = find("CD4002");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_int_equal(num(f, "port"), 3306);
	assert_int_equal(num(f, "family"), 4);
	assert_int_equal(num(f, "drop_line"), 7);
	assert_int_equal(num(f, "established_clients"), 1);
	assert_non_null(strstr(f->summary, "connect_timeout"));
	assert_non_null(strstr(f->evidence, "--tcp-flags FIN,SYN,RST,ACK SYN"));
	assert_non_null(strstr(f->evidence, "iptables -I INPUT 2 -p tcp "
					    "--dport 3306 -j ACCEPT"));
	/* the established client itself is fine: not a trap */
	assert_int_equal(count("CD4001"), 0);
}

static void test_listener_open_not_flagged(void **state)
{
	(void)state;
	parse("replica-established-only.v4", AF_INET, CHK_FW_IPT_NFT);
	sock("0.0.0.0", 3306, "0.0.0.0", 0, CHK_TCP_LISTEN, 1);
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	assert_int_equal(count("CD4002"), 0);
	chk_ruleset_free(&fx.rs);
	/* userchains: only 10/8 may connect; unknown sources: no alarm */
	parse("userchains.v4", AF_INET, CHK_FW_IPT_NFT);
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	assert_int_equal(count("CD4002"), 0);
}

static void test_no_ruleset_no_census(void **state)
{
	(void)state;
	fx.view.rs = NULL;
	replica_conn(40001, "mariadbd");
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	assert_int_equal(fx.out.n, 0);
	fx.view.rs = &fx.rs;
	fx.view.census = NULL;
	parse("replica-established-only.v4", AF_INET, CHK_FW_IPT_NFT);
	assert_int_equal(chk_fw_rules(&fx.view, &fx.out), 0);
	assert_int_equal(fx.out.n, 0);
}

/* Every byte split of a fixture line: the parser never reads past len. */
static void test_truncations(void **state)
{
	static const char *const files[] = {"userchains.v4", "mixed.nft.json",
					    "malformed.v4",
					    "malformed.nft.json"};
	size_t f, cut;

	(void)state;
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *text = load(files[f], &len);
		struct guard g;

		guard_init(&g, len);
		for (cut = 0; cut <= len; cut += 7) {
			struct chk_ruleset rs;
			const char *at = (const char *)guard_put(&g, text, cut);

			chk_ruleset_init(&rs);
			if (strstr(files[f], ".nft"))
				assert_int_equal(
					chk_fw_parse_nft_json(&rs, at, cut, 1),
					0);
			else
				assert_int_equal(chk_fw_parse_iptables(
							 &rs, at, cut, AF_INET,
							 CHK_FW_IPT_NFT),
						 0);
			chk_ruleset_free(&rs);
		}
		guard_free(&g);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_parse_recipe7),
		T(test_parse_userchains),
		T(test_parse_malformed),
		T(test_parse_nft),
		T(test_parse_nft_mixed),
		T(test_parse_nft_shapes),
		T(test_parse_nft_malformed),
		T(test_parse_nft_not_json),
		T(test_parse_nft_tables),
		T(test_eval_recipe7),
		T(test_eval_userchains),
		T(test_eval_two_backends),
		T(test_trap_flagged),
		T(test_trap_replication_critical),
		T(test_trap_loose0),
		T(test_fixed_not_flagged),
		T(test_permissive_not_flagged),
		T(test_trap_reject_rule),
		T(test_trap_userchains),
		T(test_undecided_not_flagged),
		T(test_trap_ipv6),
		T(test_trap_nft),
		T(test_nft_fixed_not_flagged),
		T(test_nft_mixed_undecided),
		T(test_listener_syn_dropped),
		T(test_listener_open_not_flagged),
		T(test_no_ruleset_no_census),
		T(test_truncations),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
