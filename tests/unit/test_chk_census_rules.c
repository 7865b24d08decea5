/* test_chk_census_rules.c - the census slice's rules on hand-made census
 * records and counters: full accept queues, SYN_RECV pile-ups, TIME_WAIT
 * and ephemeral port exhaustion per destination, keepalive, listen drops
 * and syncookies (counts and rates); a healthy census gives nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check/census.h"

#define MAXS 8192

static struct chk_sock socks[MAXS];
static struct chk_usock usocks[8];
static struct chk_census census;
static struct chk_counters before, after;
static struct chk_census_input in;
static struct cd_findings out;

static int setup(void **state)
{
	(void)state;
	memset(&census, 0, sizeof(census));
	census.tcp = socks;
	census.unix_ = usocks;
	census.tcp_ok = 1;
	census.unix_ok = 1;
	chk_counters_init(&before);
	chk_counters_init(&after);
	memset(&in, 0, sizeof(in));
	in.census = &census;
	in.port_lo = 40000;
	in.port_hi = 40100;
	cd_findings_init(&out);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	chk_counters_free(&before);
	chk_counters_free(&after);
	cd_findings_free(&out);
	return 0;
}

static void v4(struct in6_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = 0xff;
	a->s6_addr[11] = 0xff;
	a->s6_addr[12] = 10;
	a->s6_addr[15] = last;
}

/* Appends a socket 10.0.0.<s>:sport -> 10.0.0.<d>:dport. */
static struct chk_sock *add(uint8_t state, uint8_t s, uint16_t sport, uint8_t d,
			    uint16_t dport)
{
	struct chk_sock *k = &socks[census.ntcp++];

	assert_true(census.ntcp <= MAXS);
	memset(k, 0, sizeof(*k));
	k->family = 2;
	k->state = state;
	v4(&k->src, s);
	v4(&k->dst, d);
	k->sport = sport;
	k->dport = dport;
	k->server_side = sport == 3306;
	k->inode =
		state == CHK_TCP_TIME_WAIT ? 0 : 1000 + (uint32_t)census.ntcp;
	return k;
}

static void run(void)
{
	assert_int_equal(chk_rules_census(&in, &out), 0);
}

static const struct cd_finding *finding(const char *code, size_t nth)
{
	size_t i;

	for (i = 0; i < out.n; i++)
		if (!strcmp(out.v[i].def->code, code) && nth-- == 0)
			return &out.v[i];
	return NULL;
}

static size_t count(const char *code)
{
	size_t i, n = 0;

	for (i = 0; i < out.n; i++)
		n += !strcmp(out.v[i].def->code, code);
	return n;
}

static double ev(const struct cd_finding *f, const char *key)
{
	unsigned i;

	for (i = 0; i < f->nev; i++)
		if (!strcmp(f->ev[i].key, key))
			return f->ev[i].v[0];
	fail_msg("no evidence %s in %s", key, f->def->code);
	return -1;
}

static void counters(struct chk_counters *c, const char *text)
{
	c->n = 0;
	assert_int_equal(chk_counters_parse(c, text, strlen(text), NULL, 0), 0);
}

/* A healthy host: a listener with room, a few pooled connections with
 * keepalive, a little TIME_WAIT, zero counters: no findings. */
static void test_healthy(void **state)
{
	int i;

	(void)state;
	add(CHK_TCP_LISTEN, 2, 3306, 0, 0)->wqueue = 80;
	for (i = 0; i < 5; i++) {
		add(CHK_TCP_ESTABLISHED, 1, (uint16_t)(40000 + i), 2, 3306)
			->timer = 2;
		add(CHK_TCP_ESTABLISHED, 2, 3306, 1, (uint16_t)(40000 + i))
			->timer = 2;
	}
	for (i = 0; i < 10; i++)
		add(CHK_TCP_TIME_WAIT, 1, (uint16_t)(40010 + i), 2, 3306);
	counters(&before, "TcpExt: ListenOverflows ListenDrops SyncookiesSent "
			  "SyncookiesRecv SyncookiesFailed\n"
			  "TcpExt: 0 0 0 0 0\n");
	in.before = &before;
	run();
	assert_int_equal(out.n, 0);
}

static void test_accept_queue(void **state)
{
	const struct cd_finding *f;
	struct chk_sock *k;

	(void)state;
	k = add(CHK_TCP_LISTEN, 2, 3306, 0, 0);
	k->rqueue = 81; /* backlog + 1: full */
	k->wqueue = 80;
	k = add(CHK_TCP_LISTEN, 3, 3306, 0, 0);
	k->rqueue = 70; /* 87.5 %: nearly full */
	k->wqueue = 80;
	k = add(CHK_TCP_LISTEN, 4, 3306, 0, 0);
	k->rqueue = 10; /* plenty of room */
	k->wqueue = 80;
	usocks[0].role = CHK_UROLE_LISTENER;
	usocks[0].state = CHK_TCP_LISTEN;
	usocks[0].rqueue = 2;
	usocks[0].wqueue = 1;
	strcpy(usocks[0].path, "/run/mysqld/mysqld.sock");
	census.nunix = 1;
	run();
	assert_int_equal(count("CD3040"), 3);
	f = finding("CD3040", 0);
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	assert_int_equal(ev(f, "accept_queue"), 81);
	assert_int_equal(ev(f, "backlog"), 80);
	assert_int_equal(ev(f, "port"), 3306);
	assert_non_null(strstr(f->summary, "10.0.0.2:3306"));
	f = finding("CD3040", 1);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_int_equal(ev(f, "accept_queue"), 70);
	f = finding("CD3040", 2);
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	assert_non_null(strstr(f->summary, "/run/mysqld/mysqld.sock"));
	assert_int_equal(ev(f, "accept_queue"), 2);
}

static void test_syn_recv(void **state)
{
	const struct cd_finding *f;

	(void)state;
	add(CHK_TCP_SYN_RECV, 2, 3306, 1, 50000);
	run();
	assert_int_equal(count("CD3042"), 0); /* one fresh handshake */
	add(CHK_TCP_SYN_RECV, 2, 3306, 1, 50001)->retrans = 3;
	run();
	f = finding("CD3042", 0);
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_int_equal(ev(f, "syn_recv"), 2);
	assert_int_equal(ev(f, "synack_retransmitted"), 1);
	assert_int_equal(ev(f, "max_synack_retrans"), 3);
	assert_non_null(strstr(f->evidence, "10.0.0.2:3306 -> 10.0.0.1:50001"));
}

/* The lab's case: range 40000-40100 (101 ports), 101 TIME_WAIT to one
 * server: exhausted (critical) and a TIME_WAIT pile-up at 100 %. */
static void test_port_exhaustion(void **state)
{
	const struct cd_finding *f;
	int i;

	(void)state;
	for (i = 0; i <= 100; i++)
		add(CHK_TCP_TIME_WAIT, 1, (uint16_t)(40000 + i), 2, 3306);
	/* Another server: only a few. */
	for (i = 0; i < 3; i++)
		add(CHK_TCP_ESTABLISHED, 1, (uint16_t)(40000 + i), 3, 3306)
			->timer = 2;
	run();
	f = finding("CD3045", 0);
	assert_non_null(f);
	assert_int_equal(count("CD3045"), 1);
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	assert_int_equal(ev(f, "ports_in_use"), 101);
	assert_int_equal(ev(f, "range_size"), 101);
	assert_int_equal(ev(f, "time_wait"), 101);
	assert_int_equal(ev(f, "port_lo"), 40000);
	assert_int_equal(ev(f, "port_hi"), 40100);
	assert_non_null(strstr(f->summary, "10.0.0.2:3306 from 10.0.0.1"));
	assert_non_null(strstr(f->summary, "errno 99"));
	f = finding("CD3044", 0);
	assert_non_null(f);
	assert_int_equal(count("CD3044"), 1);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_int_equal(ev(f, "time_wait"), 101);
	assert_int_equal(ev(f, "range_size"), 101);
	assert_int_equal(ev(f, "share_pct"), 100);
}

/* connect() reaches only 100 of an odd range of 101 ports (it scans an
 * even count): 100 taken is already exhaustion, 99 is not. */
static void test_port_exhaustion_odd_range(void **state)
{
	const struct cd_finding *f;
	int i;

	(void)state;
	for (i = 0; i < 99; i++)
		add(CHK_TCP_TIME_WAIT, 1, (uint16_t)(40001 + i), 2, 3306);
	run();
	f = finding("CD3045", 0);
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_int_equal(ev(f, "ports_in_use"), 99);
	out.n = 0;
	add(CHK_TCP_TIME_WAIT, 1, 40100, 2, 3306);
	run();
	f = finding("CD3045", 0);
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	assert_int_equal(ev(f, "ports_in_use"), 100);
	assert_int_equal(ev(f, "range_size"), 101);
	assert_non_null(strstr(f->summary, "fail with EADDRNOTAVAIL"));
}

static void test_ports_nearly_exhausted(void **state)
{
	const struct cd_finding *f;
	int i;

	(void)state;
	/* 85 in the range (84 %), 30 outside it (bound by hand): warning. */
	for (i = 0; i < 85; i++)
		add(CHK_TCP_ESTABLISHED, 1, (uint16_t)(40000 + i), 2, 3306)
			->timer = 2;
	for (i = 0; i < 30; i++)
		add(CHK_TCP_ESTABLISHED, 1, (uint16_t)(20000 + i), 2, 3306)
			->timer = 2;
	run();
	f = finding("CD3045", 0);
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_int_equal(ev(f, "ports_in_use"), 85);
	assert_int_equal(count("CD3044"), 0); /* no TIME_WAIT at all */
	/* Two source addresses each have their own 101 ports. */
	out.n = 0;
	census.ntcp = 0;
	for (i = 0; i < 60; i++) {
		add(CHK_TCP_TIME_WAIT, 1, (uint16_t)(40000 + i), 2, 3306);
		add(CHK_TCP_TIME_WAIT, 5, (uint16_t)(40000 + i), 2, 3306);
	}
	run();
	assert_int_equal(count("CD3045"), 0);
	assert_int_equal(count("CD3044"), 2); /* 59 % of the range each */
	/* Unknown range: no exhaustion rule, TIME_WAIT by count only. */
	out.n = 0;
	in.port_lo = in.port_hi = -1;
	run();
	assert_int_equal(count("CD3045"), 0);
	assert_int_equal(count("CD3044"), 0);
}

static void test_time_wait_wide_range(void **state)
{
	const struct cd_finding *f;
	int i;

	(void)state;
	in.port_lo = 32768;
	in.port_hi = 60999;
	for (i = 0; i < 1500; i++)
		add(CHK_TCP_TIME_WAIT, 1, (uint16_t)(33000 + i), 2, 3306);
	for (i = 0; i < 5000; i++)
		add(CHK_TCP_TIME_WAIT, 2, 3306, 9, (uint16_t)(33000 + i));
	run();
	f = finding("CD3044", 0);
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_int_equal(ev(f, "time_wait"), 1500);
	assert_int_equal(ev(f, "range_size"), 28232);
	assert_float_equal(ev(f, "share_pct"), 100.0 * 1500 / 28232, 1e-9);
	f = finding("CD3044", 1);
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_INFO);
	assert_int_equal(ev(f, "time_wait_server"), 5000);
	assert_int_equal(count("CD3045"), 0);
}

static void test_keepalive(void **state)
{
	const struct cd_finding *f;

	(void)state;
	add(CHK_TCP_ESTABLISHED, 1, 40001, 2, 3306)->timer = 2;
	add(CHK_TCP_ESTABLISHED, 1, 40002, 2, 3306)->timer = 0;
	add(CHK_TCP_ESTABLISHED, 1, 40003, 2, 3306)->timer = 1; /* unknown */
	add(CHK_TCP_ESTABLISHED, 2, 3306, 1, 40002)->timer = 0; /* server */
	run();
	f = finding("CD3046", 0);
	assert_non_null(f);
	assert_int_equal(count("CD3046"), 1);
	assert_int_equal(f->severity, CD_SEV_INFO);
	assert_int_equal(ev(f, "established"), 3);
	assert_int_equal(ev(f, "without_keepalive"), 1);
	assert_int_equal(ev(f, "with_keepalive"), 1);
	assert_non_null(strstr(f->evidence, "10.0.0.1:40002 -> 10.0.0.2:3306"));
}

static const char *const names =
	"TcpExt: ListenOverflows ListenDrops TCPReqQFullDrop SyncookiesSent "
	"SyncookiesRecv SyncookiesFailed\n";

static void test_counters_once(void **state)
{
	const struct cd_finding *f;
	char text[512];

	(void)state;
	snprintf(text, sizeof(text), "%sTcpExt: 12 14 2 423 623 1\n", names);
	counters(&before, text);
	in.before = &before;
	run();
	f = finding("CD3041", 0);
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_INFO); /* history, not now */
	assert_int_equal(ev(f, "listen_overflows"), 12);
	assert_int_equal(ev(f, "listen_drops"), 14);
	assert_int_equal(ev(f, "reqq_full_drop"), 2);
	f = finding("CD3043", 0);
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_INFO);
	assert_int_equal(ev(f, "sent"), 423);
	assert_int_equal(ev(f, "recv"), 623);
	assert_int_equal(ev(f, "failed"), 1);
	/* Counters missing from the file: no finding, no crash. */
	out.n = 0;
	counters(&before, "Tcp: RtoMin\nTcp: 200\n");
	run();
	assert_int_equal(out.n, 0);
}

static void test_counters_rates(void **state)
{
	const struct cd_finding *f;
	char text[512];

	(void)state;
	snprintf(text, sizeof(text), "%sTcpExt: 12 14 2 423 623 1\n", names);
	counters(&before, text);
	snprintf(text, sizeof(text), "%sTcpExt: 32 34 2 443 643 1\n", names);
	counters(&after, text);
	in.before = &before;
	in.after = &after;
	in.interval_s = 2;
	run();
	f = finding("CD3041", 0);
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_int_equal(ev(f, "listen_overflows"), 32);
	assert_float_equal(ev(f, "listen_overflows_per_s"), 10, 1e-9);
	assert_float_equal(ev(f, "listen_drops_per_s"), 10, 1e-9);
	assert_float_equal(ev(f, "interval_s"), 2, 1e-9);
	f = finding("CD3043", 0);
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_float_equal(ev(f, "sent_per_s"), 10, 1e-9);
	/* Flat counters over the interval: history only. */
	out.n = 0;
	counters(&after, text);
	counters(&before, text);
	run();
	assert_int_equal(finding("CD3041", 0)->severity, CD_SEV_INFO);
	assert_int_equal(finding("CD3043", 0)->severity, CD_SEV_INFO);
}

static void test_no_census(void **state)
{
	(void)state;
	/* A failed dump: no socket rule runs even with sockets listed. */
	add(CHK_TCP_LISTEN, 2, 3306, 0, 0)->rqueue = 5;
	census.tcp_ok = 0;
	census.unix_ok = 0;
	run();
	assert_int_equal(out.n, 0);
	in.census = NULL;
	run();
	assert_int_equal(out.n, 0);
}

static void test_summary(void **state)
{
	struct chk_census_sum s;
	int i;

	(void)state;
	add(CHK_TCP_LISTEN, 2, 3306, 0, 0);
	for (i = 0; i < 4; i++)
		add(CHK_TCP_TIME_WAIT, 1, (uint16_t)(40000 + i), 2, 3306);
	add(CHK_TCP_TIME_WAIT, 2, 3306, 1, 40050);
	add(CHK_TCP_ESTABLISHED, 1, 40060, 3, 3306)->timer = 2;
	add(CHK_TCP_SYN_RECV, 2, 3306, 1, 40070)->retrans = 1;
	assert_int_equal(chk_census_summarize(&census, 40000, 40100, &s), 0);
	assert_int_equal(s.listeners, 1);
	assert_int_equal(s.by_state[CHK_TCP_TIME_WAIT], 5);
	assert_int_equal(s.client_by_state[CHK_TCP_TIME_WAIT], 4);
	assert_int_equal(s.time_wait_client, 4);
	assert_int_equal(s.time_wait_server, 1);
	assert_int_equal(s.syn_recv, 1);
	assert_int_equal(s.syn_recv_retrans, 1);
	assert_int_equal(s.est_client, 1);
	assert_int_equal(s.est_client_keepalive, 1);
	assert_int_equal(s.ndests, 2);
	assert_int_equal(s.dests[0].in_range, 4); /* most used first */
	assert_int_equal(s.dests[0].time_wait, 4);
	assert_int_equal(s.dests[0].dst.s6_addr[15], 2);
	assert_int_equal(s.dests[1].established, 1);
	chk_census_sum_free(&s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_healthy),
		T(test_accept_queue),
		T(test_syn_recv),
		T(test_port_exhaustion),
		T(test_port_exhaustion_odd_range),
		T(test_ports_nearly_exhausted),
		T(test_time_wait_wide_range),
		T(test_keepalive),
		T(test_counters_once),
		T(test_counters_rates),
		T(test_no_census),
		T(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
