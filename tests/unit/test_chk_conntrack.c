/* test_chk_conntrack.c - the conversion of libnetfilter_conntrack entries
 * (made in memory as the kernel reports them: the lab's replica entries,
 * IPv6, UDP, ICMP, incomplete ones) into the table model, the choice of
 * the MySQL ports' entries and the lookup of a census socket; the sysctl
 * reader on a fixture /proc tree; and the conntrack rules (CD4003, CD4004,
 * CD4005) on hand-made entries and census records. The netlink dump
 * itself runs in tests/lab/test_replica_conntrack_lab.py. */
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
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "fixture.h"

#include "check/conntrack.h"

#define PRIMARY "10.213.45.1"
#define REPLICA "10.213.45.2"

static const uint16_t mysql_ports[] = {3306};

struct fx {
	struct chk_ruleset rs;
	struct chk_ct_info ct;
	struct chk_census census;
	struct chk_sock socks[8];
	struct chk_fw_view view;
	struct cd_findings out;
};

static struct fx fx;

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	chk_ruleset_init(&fx.rs);
	chk_ct_info_init(&fx.ct);
	cd_findings_init(&fx.out);
	fx.census.tcp = fx.socks;
	fx.census.tcp_ok = 1;
	fx.view.rs = &fx.rs;
	fx.view.census = &fx.census;
	fx.view.ports = mysql_ports;
	fx.view.nports = 1;
	fx.view.tcp_loose = 1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	chk_ruleset_free(&fx.rs);
	chk_ct_info_free(&fx.ct);
	cd_findings_free(&fx.out);
	return 0;
}

static const char *data_dir(void)
{
	const char *dir = getenv("CD_TEST_DATA");

	return dir ? dir : "tests/data";
}

static char *load(const char *name, size_t *len)
{
	return fixture_load("firewall", name, len);
}

/* An entry as the kernel reports it: the original tuple src:sport ->
 * dst:dport, the reply tuple its mirror. */
static struct nf_conntrack *nfct_entry(uint8_t proto, const char *src,
				       uint16_t sport, const char *dst,
				       uint16_t dport, uint8_t state,
				       uint32_t timeout, uint32_t status)
{
	struct nf_conntrack *ct = nfct_new();
	struct in6_addr s6, d6;
	struct in_addr s4, d4;

	assert_non_null(ct);
	if (inet_pton(AF_INET, src, &s4) == 1) {
		assert_int_equal(inet_pton(AF_INET, dst, &d4), 1);
		nfct_set_attr_u8(ct, ATTR_ORIG_L3PROTO, AF_INET);
		nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_SRC, s4.s_addr);
		nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_DST, d4.s_addr);
		nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, d4.s_addr);
		nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, s4.s_addr);
	} else {
		assert_int_equal(inet_pton(AF_INET6, src, &s6), 1);
		assert_int_equal(inet_pton(AF_INET6, dst, &d6), 1);
		nfct_set_attr_u8(ct, ATTR_ORIG_L3PROTO, AF_INET6);
		nfct_set_attr(ct, ATTR_ORIG_IPV6_SRC, &s6);
		nfct_set_attr(ct, ATTR_ORIG_IPV6_DST, &d6);
		nfct_set_attr(ct, ATTR_REPL_IPV6_SRC, &d6);
		nfct_set_attr(ct, ATTR_REPL_IPV6_DST, &s6);
	}
	nfct_set_attr_u8(ct, ATTR_ORIG_L4PROTO, proto);
	if (sport || dport) {
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(sport));
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(dport));
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(dport));
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(sport));
	}
	if (proto == IPPROTO_TCP)
		nfct_set_attr_u8(ct, ATTR_TCP_STATE, state);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, timeout);
	nfct_set_attr_u32(ct, ATTR_STATUS, status);
	return ct;
}

/* Converts an entry into t (and frees it). */
static void add(struct chk_ct_table *t, struct nf_conntrack *ct)
{
	struct chk_ct_entry e;

	assert_int_equal(chk_ct_entry_from_nfct(ct, &e), 0);
	assert_int_equal(chk_ct_table_add(t, &e), 0);
	nfct_destroy(ct);
}

#define SEEN_ASSURED (IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED)

/* The replica's table in the lab (`conntrack -L` there showed these):
 * two established links to the primary and an unanswered SYN. */
static void lab_table(struct chk_ct_table *t)
{
	add(t, nfct_entry(IPPROTO_TCP, REPLICA, 40001, PRIMARY, 3306,
			  CHK_CT_TCP_ESTABLISHED, 431999, SEEN_ASSURED));
	add(t, nfct_entry(IPPROTO_TCP, REPLICA, 40003, PRIMARY, 3307,
			  CHK_CT_TCP_SYN_SENT, 119, IPS_CONFIRMED));
	add(t, nfct_entry(IPPROTO_TCP, REPLICA, 40002, PRIMARY, 3306,
			  CHK_CT_TCP_ESTABLISHED, 431999, SEEN_ASSURED));
}

static void parse_rules(const char *name)
{
	size_t len;
	char *text = load(name, &len);

	assert_int_equal(chk_fw_parse_iptables(&fx.rs, text, len, AF_INET,
					       CHK_FW_IPT_NFT),
			 0);
	free(text);
}

static struct chk_sock *sock(const char *src, uint16_t sport, const char *dst,
			     uint16_t dport, int state, int server_side)
{
	struct chk_sock *s = &fx.socks[fx.census.ntcp++];

	fixture_sock(s, src, sport, dst, dport, state, server_side);
	return s;
}

static const struct cd_finding *find(const char *code)
{
	size_t i;

	for (i = 0; i < fx.out.n; i++)
		if (!strcmp(fx.out.v[i].def->code, code))
			return &fx.out.v[i];
	return NULL;
}

static double num(const struct cd_finding *f, const char *key)
{
	unsigned i;

	for (i = 0; i < f->nev; i++)
		if (!strcmp(f->ev[i].key, key))
			return f->ev[i].v[0];
	fail_msg("no evidence %s", key);
	return 0;
}

/* ---------------------------------------------------------------- parse */

static void check_lab_entries(const struct chk_ct_table *t)
{
	struct in6_addr a;
	const struct chk_ct_entry *e;

	assert_int_equal(t->nerrors, 0);
	assert_int_equal(t->n, 3);
	e = &t->v[0];
	assert_int_equal(e->family, AF_INET);
	assert_int_equal(e->proto, IPPROTO_TCP);
	assert_int_equal(e->state, CHK_CT_TCP_ESTABLISHED);
	assert_int_equal(e->timeout, 431999);
	assert_true(e->assured);
	assert_false(e->unreplied);
	fixture_addr(&a, REPLICA);
	assert_memory_equal(&e->osrc, &a, sizeof(a));
	assert_memory_equal(&e->rdst, &a, sizeof(a));
	fixture_addr(&a, PRIMARY);
	assert_memory_equal(&e->odst, &a, sizeof(a));
	assert_memory_equal(&e->rsrc, &a, sizeof(a));
	assert_int_equal(e->osport, 40001);
	assert_int_equal(e->odport, 3306);
	assert_int_equal(e->rsport, 3306);
	assert_int_equal(e->rdport, 40001);
	e = &t->v[1];
	assert_int_equal(e->state, CHK_CT_TCP_SYN_SENT);
	assert_int_equal(e->timeout, 119);
	assert_true(e->unreplied);
	assert_false(e->assured);
	assert_int_equal(e->odport, 3307);
	assert_int_equal(t->v[2].osport, 40002);
}

static void test_from_nfct(void **state)
{
	(void)state;
	lab_table(&fx.ct.table);
	check_lab_entries(&fx.ct.table);
}

static void test_from_nfct_v6_udp_icmp(void **state)
{
	const struct chk_ct_entry *e;
	struct in6_addr a;

	(void)state;
	add(&fx.ct.table,
	    nfct_entry(IPPROTO_TCP, "2001:db8::20", 40010, "2001:db8::10", 3306,
		       CHK_CT_TCP_ESTABLISHED, 431990, SEEN_ASSURED));
	add(&fx.ct.table, nfct_entry(IPPROTO_UDP, "10.0.0.1", 5353, "10.0.0.53",
				     53, 0, 29, IPS_SEEN_REPLY));
	add(&fx.ct.table, nfct_entry(IPPROTO_ICMP, "10.0.0.1", 0, "10.0.0.2", 0,
				     0, 29, IPS_SEEN_REPLY));
	assert_int_equal(fx.ct.table.n, 3);
	e = &fx.ct.table.v[0];
	assert_int_equal(e->family, AF_INET6);
	fixture_addr(&a, "2001:db8::10");
	assert_memory_equal(&e->odst, &a, sizeof(a));
	assert_int_equal(e->rsport, 3306);
	assert_int_equal(e->timeout, 431990);
	assert_int_equal(fx.ct.table.v[1].proto, IPPROTO_UDP);
	assert_int_equal(fx.ct.table.v[1].odport, 53);
	assert_int_equal(fx.ct.table.v[1].state, CHK_CT_TCP_NONE);
	assert_false(fx.ct.table.v[1].unreplied);
	assert_int_equal(fx.ct.table.v[2].proto, IPPROTO_ICMP);
	assert_int_equal(fx.ct.table.v[2].odport, 0);
}

static void test_from_nfct_incomplete(void **state)
{
	struct nf_conntrack *ct;
	struct chk_ct_entry e;

	(void)state;
	/* no family */
	ct = nfct_new();
	assert_non_null(ct);
	nfct_set_attr_u8(ct, ATTR_ORIG_L4PROTO, IPPROTO_TCP);
	assert_int_equal(chk_ct_entry_from_nfct(ct, &e), -1);
	/* a family that is neither IPv4 nor IPv6 */
	nfct_set_attr_u8(ct, ATTR_ORIG_L3PROTO, AF_BRIDGE);
	assert_int_equal(chk_ct_entry_from_nfct(ct, &e), -1);
	/* IPv4 without the reply tuple's addresses */
	nfct_set_attr_u8(ct, ATTR_ORIG_L3PROTO, AF_INET);
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_SRC, htonl(0x0a000001));
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_DST, htonl(0x0a000002));
	assert_int_equal(chk_ct_entry_from_nfct(ct, &e), -1);
	nfct_destroy(ct);
	/* a TCP state past the known ones reads as NONE */
	ct = nfct_entry(IPPROTO_TCP, "10.0.0.1", 1, "10.0.0.2", 2, 42, 5, 0);
	assert_int_equal(chk_ct_entry_from_nfct(ct, &e), 0);
	assert_int_equal(e.state, CHK_CT_TCP_NONE);
	assert_true(e.unreplied);
	assert_false(e.assured);
	nfct_destroy(ct);
}

static void test_wanted(void **state)
{
	static const uint16_t ports[] = {3306, 3307};
	struct chk_ct_entry e;

	(void)state;
	lab_table(&fx.ct.table);
	/* the client's entries: original destination port 3306 */
	assert_true(chk_ct_entry_wanted(&fx.ct.table.v[0], mysql_ports, 1));
	assert_false(chk_ct_entry_wanted(&fx.ct.table.v[1], mysql_ports, 1));
	assert_true(chk_ct_entry_wanted(&fx.ct.table.v[1], ports, 2));
	/* picked up mid-stream from the server's side: source port 3306 */
	e = fx.ct.table.v[0];
	e.osport = 3306;
	e.odport = 40001;
	assert_true(chk_ct_entry_wanted(&e, mysql_ports, 1));
	/* UDP to 3306 is no MySQL connection */
	e.proto = IPPROTO_UDP;
	assert_false(chk_ct_entry_wanted(&e, mysql_ports, 1));
	assert_false(chk_ct_entry_wanted(&fx.ct.table.v[0], NULL, 0));
}

static void test_find(void **state)
{
	struct chk_sock *s;

	(void)state;
	lab_table(&fx.ct.table);
	s = sock(REPLICA, 40001, PRIMARY, 3306, CHK_TCP_ESTABLISHED, 0);
	assert_ptr_equal(chk_ct_find(&fx.ct.table, s), &fx.ct.table.v[0]);
	/* the primary's view of the same connection */
	s = sock(PRIMARY, 3306, REPLICA, 40002, CHK_TCP_ESTABLISHED, 1);
	assert_ptr_equal(chk_ct_find(&fx.ct.table, s), &fx.ct.table.v[2]);
	s = sock(REPLICA, 40009, PRIMARY, 3306, CHK_TCP_ESTABLISHED, 0);
	assert_null(chk_ct_find(&fx.ct.table, s));
}

static void test_sysctl_read(void **state)
{
	char root[512];

	(void)state;
	snprintf(root, sizeof(root), "%s/firewall/proc-busy", data_dir());
	chk_ct_sysctl_read(&fx.ct, root);
	assert_true(fx.ct.loaded);
	assert_int_equal(fx.ct.count, 249000);
	assert_int_equal(fx.ct.max, 262144);
	assert_int_equal(fx.ct.tcp_loose, 0);
	assert_int_equal(fx.ct.timeout_established, 3600);
	chk_ct_sysctl_read(&fx.ct, "/nonexistent");
	assert_false(fx.ct.loaded);
	assert_int_equal(fx.ct.count, -1);
}

/* ---------------------------------------------------------------- rules */

static void test_table_full(void **state)
{
	const struct cd_finding *f;

	(void)state;
	fx.ct.loaded = 1;
	fx.ct.max = 1000;
	fx.ct.timeout_established = 432000;
	fx.ct.count = 799;
	assert_int_equal(chk_ct_rules(&fx.view, &fx.ct, &fx.out), 0);
	assert_null(find("CD4003"));
	fx.ct.count = 800;
	assert_int_equal(chk_ct_rules(&fx.view, &fx.ct, &fx.out), 0);
	f = find("CD4003");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_int_equal(num(f, "count"), 800);
	assert_int_equal(num(f, "max"), 1000);
	assert_float_equal(num(f, "use_pct"), 80.0, 1e-9);
	cd_findings_free(&fx.out);
	fx.ct.count = 950;
	assert_int_equal(chk_ct_rules(&fx.view, &fx.ct, &fx.out), 0);
	f = find("CD4003");
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	assert_non_null(strstr(f->summary, "table full"));
}

static void test_missing_entry(void **state)
{
	const struct cd_finding *f;

	(void)state;
	parse_rules("replica-established-only.v4");
	lab_table(&fx.ct.table);
	fx.ct.loaded = fx.ct.listed = 1;
	fx.ct.count = 3;
	fx.ct.max = 262144;
	fx.ct.tcp_loose = 1;
	fx.ct.timeout_established = 432000;
	sock(REPLICA, 40001, PRIMARY, 3306, CHK_TCP_ESTABLISHED, 0);
	sock(REPLICA, 40002, PRIMARY, 3306, CHK_TCP_ESTABLISHED, 0);
	sock(REPLICA, 40005, PRIMARY, 3306, CHK_TCP_ESTABLISHED, 0);
	sock(REPLICA, 40006, PRIMARY, 3306, CHK_TCP_TIME_WAIT, 0);
	assert_int_equal(chk_ct_rules(&fx.view, &fx.ct, &fx.out), 0);
	assert_int_equal(fx.out.n, 1);
	f = find("CD4004");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	assert_int_equal(num(f, "connections"), 1);
	assert_int_equal(num(f, "dropped"), 1);
	assert_int_equal(num(f, "local_ports"), 40005);
	assert_non_null(strstr(f->evidence,
			       REPLICA ":40005 -> " PRIMARY
				       ":3306 (incoming dropped)"));
	assert_non_null(strstr(f->summary, "judged as NEW and dropped"));
}

static void test_missing_after_flush(void **state)
{
	const struct cd_finding *f;

	(void)state;
	/* a flushed table: empty, the count 0, the ruleset stateful */
	parse_rules("replica-established-only.v4");
	fx.ct.loaded = fx.ct.listed = 1;
	fx.ct.count = 0;
	fx.ct.max = 262144;
	fx.ct.tcp_loose = 0;
	fx.view.tcp_loose = 0;
	sock(REPLICA, 40001, PRIMARY, 3306, CHK_TCP_ESTABLISHED, 0);
	assert_int_equal(chk_ct_rules(&fx.view, &fx.ct, &fx.out), 0);
	f = find("CD4004");
	assert_non_null(f);
	assert_non_null(strstr(f->summary, "INVALID"));
}

static void test_missing_not_reported(void **state)
{
	(void)state;
	fx.ct.loaded = fx.ct.listed = 1;
	fx.ct.count = 0;
	fx.ct.max = 262144;
	/* the fixtures' rulesets name the primary 192.0.2.10 */
	sock("192.0.2.20", 40005, "192.0.2.10", 3306, CHK_TCP_ESTABLISHED, 0);
	/* no state rules: conntrack may be idle here, an empty table says
	 * nothing */
	parse_rules("permissive.v4");
	assert_int_equal(chk_ct_rules(&fx.view, &fx.ct, &fx.out), 0);
	assert_int_equal(fx.out.n, 0);
	/* state rules, but the next packet is accepted statelessly */
	chk_ruleset_free(&fx.rs);
	parse_rules("replica-fixed.v4");
	assert_int_equal(chk_ct_rules(&fx.view, &fx.ct, &fx.out), 0);
	assert_int_equal(fx.out.n, 0);
	/* the table was not listed */
	chk_ruleset_free(&fx.rs);
	parse_rules("replica-established-only.v4");
	fx.ct.listed = 0;
	assert_int_equal(chk_ct_rules(&fx.view, &fx.ct, &fx.out), 0);
	assert_int_equal(fx.out.n, 0);
}

static void test_timeout_short(void **state)
{
	const struct cd_finding *f;

	(void)state;
	fx.ct.loaded = 1;
	fx.ct.timeout_established = 3600;
	parse_rules("replica-established-only.v4");
	assert_int_equal(chk_ct_rules(&fx.view, &fx.ct, &fx.out), 0);
	f = find("CD4005");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_int_equal(num(f, "timeout_established_s"), 3600);
	assert_int_equal(num(f, "mysql_wait_timeout_s"), 28800);
	assert_int_equal(num(f, "stateful"), 1);
	cd_findings_free(&fx.out);
	fx.view.rs = NULL;
	assert_int_equal(chk_ct_rules(&fx.view, &fx.ct, &fx.out), 0);
	assert_int_equal(find("CD4005")->severity, CD_SEV_INFO);
	cd_findings_free(&fx.out);
	fx.ct.timeout_established = 28800;
	assert_int_equal(chk_ct_rules(&fx.view, &fx.ct, &fx.out), 0);
	assert_int_equal(fx.out.n, 0);
	fx.ct.timeout_established = 60;
	fx.ct.loaded = 0;
	assert_int_equal(chk_ct_rules(&fx.view, &fx.ct, &fx.out), 0);
	assert_int_equal(fx.out.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_from_nfct),
		T(test_from_nfct_v6_udp_icmp),
		T(test_from_nfct_incomplete),
		T(test_wanted),
		T(test_find),
		T(test_sysctl_read),
		T(test_table_full),
		T(test_missing_entry),
		T(test_missing_after_flush),
		T(test_missing_not_reported),
		T(test_timeout_short),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
