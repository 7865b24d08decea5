/* test_watch_links.c - watch's idle session ends sorted into cuts (hand-made
 * attempt records) and the replica status parse fed the column
 * definitions and row of a SHOW ALL SLAVES STATUS as byte vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "watch/links.h"

static struct cd_attempt idle_attempt(enum cd_outcome o, int64_t idle_ns,
				      int64_t cut_ns)
{
	struct cd_attempt a;
	int p;

	memset(&a, 0, sizeof(a));
	for (p = 0; p < CD_PH__COUNT; p++)
		a.phase_ns[p] = -1;
	a.outcome = o;
	a.phase_ns[CD_PH_IDLE] = idle_ns;
	a.idle_cut_ns = cut_ns;
	return a;
}

static void test_idle_cuts(void **state)
{
	struct watch_link l;
	struct cd_attempt a;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.idle_tr = -1;
	/* Never logged in: no cut, an interval before the next one. */
	a = idle_attempt(CD_REFUSED, -1, -1);
	assert_int_equal(watch_idle_done(&l, CD_TCP, &a), 0);
	assert_int_equal(l.have_cut, 0);
	assert_int_equal(l.idle_tr, CD_TCP);
	/* A FIN after 3 s idle. */
	a = idle_attempt(CD_GONE_AWAY, 3000000000, 3000000000);
	assert_int_equal(watch_idle_done(&l, CD_TCP, &a), 1);
	assert_int_equal(l.cuts[WATCH_CUT_FIN], 1);
	assert_int_equal(l.last_how, WATCH_CUT_FIN);
	assert_true(l.last_idle_s == 3.0);
	/* An RST after 2.5 s. */
	a = idle_attempt(CD_GONE_AWAY, 2500000000, 2500000000);
	a.sys_errno = ECONNRESET;
	assert_int_equal(watch_idle_done(&l, CD_TCP, &a), 1);
	assert_int_equal(l.cuts[WATCH_CUT_RST], 1);
	assert_true(l.last_idle_s == 2.5);
	/* An ERR 4031 then the close: the server's error wins over the RST. */
	a.mysql_code = 4031;
	assert_int_equal(watch_idle_done(&l, CD_TCP, &a), 1);
	assert_int_equal(l.cuts[WATCH_CUT_SERVER_ERROR], 1);
	assert_int_equal(l.last_code, 4031);
	/* Held 60 s, then the check timed out: found dead, 60 s idle. */
	a = idle_attempt(CD_QUERY_TIMEOUT, 60000000000, -1);
	assert_int_equal(watch_idle_done(&l, CD_SOCKET, &a), 1);
	assert_int_equal(l.cuts[WATCH_CUT_CHECK_FAILED], 1);
	assert_true(l.last_idle_s == 60.0);
	assert_int_equal(l.last_code, 0);
	/* Held and answered: survived, the last cut stays. */
	a = idle_attempt(CD_OK, 60000000000, -1);
	assert_int_equal(watch_idle_done(&l, CD_SOCKET, &a), 1);
	assert_int_equal(l.survived, 1);
	assert_int_equal(l.last_how, WATCH_CUT_CHECK_FAILED);
	assert_int_equal(l.cuts[WATCH_CUT_FIN] + l.cuts[WATCH_CUT_RST] +
				 l.cuts[WATCH_CUT_SERVER_ERROR] +
				 l.cuts[WATCH_CUT_CHECK_FAILED],
			 4);
}

/* A ColumnDefinition41 payload named name into out; its length. */
static size_t coldef(uint8_t *out, const char *name)
{
	static const uint8_t tail[] = {0x0c, 0x21, 0, 0, 1, 0, 0,
				       0xfd, 0,	   0, 0, 0, 0};
	const char *parts[6] = {"def", "", "", "", name, name};
	size_t n = 0, i, k;

	for (i = 0; i < 6; i++) {
		k = strlen(parts[i]);
		out[n++] = (uint8_t)k;
		memcpy(out + n, parts[i], k);
		n += k;
	}
	memcpy(out + n, tail, sizeof(tail));
	return n + sizeof(tail);
}

/* A text row of cells (NULL: SQL NULL) into out; its length. */
static size_t row(uint8_t *out, const char *const *cells, size_t n)
{
	size_t len = 0, i, k;

	for (i = 0; i < n; i++) {
		if (!cells[i]) {
			out[len++] = 0xfb;
			continue;
		}
		k = strlen(cells[i]);
		out[len++] = (uint8_t)k;
		memcpy(out + len, cells[i], k);
		len += k;
	}
	return len;
}

static void feed(struct watch_replica_parse *p, const char *const *names,
		 const char *const *cells, size_t n)
{
	uint8_t buf[512];
	size_t i;

	for (i = 0; i < n; i++)
		watch_replica_parse_pkt(p, 0, buf, coldef(buf, names[i]));
	watch_replica_parse_pkt(p, 1, buf, row(buf, cells, n));
}

static void test_replica_parse(void **state)
{
	static const char *const names[] = {
		"Connection_name",	 "Slave_IO_State",
		"Master_Host",		 "Master_Port",
		"Slave_IO_Running",	 "Slave_SQL_Running",
		"Seconds_Behind_Master", "Slave_received_heartbeats",
		"Slave_heartbeat_period"};
	static const char *const up[] = {
		"",	    "Waiting for master to send event",
		"10.0.0.5", "3307",
		"Yes",	    "Yes",
		"0",	    "42",
		"2.000"};
	static const char *const connecting[] = {
		"",	      "Connecting to master",
		"db1",	      "3306",
		"Connecting", "Yes",
		NULL,	      "0",
		"30.000"};
	struct watch_replica_parse p;
	uint8_t buf[64];

	(void)state;
	watch_replica_parse_init(&p);
	feed(&p, names, up, 9);
	assert_int_equal(p.have_row, 1);
	assert_int_equal(p.st.io_running, 1);
	assert_int_equal(p.st.sql_running, 1);
	assert_true(p.st.lag_s == 0);
	assert_true(p.st.heartbeat_s == 2.0);
	assert_true(p.st.heartbeats == 42);
	assert_string_equal(p.st.master_host, "10.0.0.5");
	assert_int_equal(p.st.master_port, 3307);
	/* A second row (another connection) is not read. */
	watch_replica_parse_pkt(&p, 1, buf, row(buf, connecting, 9));
	assert_string_equal(p.st.master_host, "10.0.0.5");

	/* Connecting is not running; a NULL lag stays unknown. */
	watch_replica_parse_init(&p);
	feed(&p, names, connecting, 9);
	assert_int_equal(p.st.io_running, 0);
	assert_true(p.st.lag_s == -1);
	assert_true(p.st.heartbeat_s == 30.0);

	/* Not a replica: no row, nothing set. */
	watch_replica_parse_init(&p);
	watch_replica_parse_pkt(&p, 0, buf, coldef(buf, "Master_Host"));
	assert_int_equal(p.have_row, 0);
	assert_true(p.st.heartbeat_s == -1);

	/* A row that does not match its column count is dropped. */
	watch_replica_parse_init(&p);
	watch_replica_parse_pkt(&p, 0, buf, coldef(buf, "Master_Host"));
	watch_replica_parse_pkt(&p, 0, buf, coldef(buf, "Master_Port"));
	buf[0] = 200; /* a cell longer than the row */
	watch_replica_parse_pkt(&p, 1, buf, 4);
	assert_int_equal(p.have_row, 0);
	assert_string_equal(p.st.master_host, "");
}

/* MySQL 8.0.22+'s SHOW REPLICA STATUS, its column names as the MySQL 8.0
 * reference manual lists them (no heartbeat columns there), in a row
 * made by hand: vector-tested only, no MySQL 8 server here. */
static void test_replica_parse_mysql8(void **state)
{
	static const char *const names[] = {
		"Replica_IO_State",	 "Source_Host",
		"Source_User",		 "Source_Port",
		"Connect_Retry",	 "Source_Log_File",
		"Replica_IO_Running",	 "Replica_SQL_Running",
		"Seconds_Behind_Source", "Source_Server_Id"};
	static const char *const row8[] = {"Waiting for source to send event",
					   "10.1.2.3",
					   "repl",
					   "3306",
					   "60",
					   "binlog.000007",
					   "Yes",
					   "No",
					   "17",
					   "1"};
	struct watch_replica_parse p;
	struct cd_attempt a;

	(void)state;
	watch_replica_parse_init(&p);
	feed(&p, names, row8, 10);
	assert_int_equal(p.have_row, 1);
	assert_int_equal(p.st.io_running, 1);
	assert_int_equal(p.st.sql_running, 0);
	assert_true(p.st.lag_s == 17);
	assert_true(p.st.heartbeat_s == -1);
	assert_true(p.st.heartbeats == -1);
	assert_string_equal(p.st.master_host, "10.1.2.3");
	assert_int_equal(p.st.master_port, 3306);

	/* The statements in turn, on ERROR 1064 only. */
	memset(&a, 0, sizeof(a));
	assert_string_equal(watch_replica_queries[0], "SHOW ALL SLAVES STATUS");
	a.outcome = CD_QUERY_ERROR;
	a.mysql_code = 1064;
	assert_int_equal(watch_replica_next_query(0, &a), 1);
	assert_string_equal(watch_replica_queries[1], "SHOW REPLICA STATUS");
	assert_int_equal(watch_replica_next_query(1, &a), 2);
	assert_string_equal(watch_replica_queries[2], "SHOW SLAVE STATUS");
	assert_int_equal(watch_replica_next_query(2, &a), 2);
	a.mysql_code = 1227; /* access denied: the statement is known */
	assert_int_equal(watch_replica_next_query(0, &a), 0);
	a.outcome = CD_OK;
	a.mysql_code = 0;
	assert_int_equal(watch_replica_next_query(1, &a), 1);
}

/* The host cache's answer: max_connect_errors first, then the rows of
 * this host's addresses only (loopback, or one of p.local). */
static void test_hostcache_parse(void **state)
{
	static const char *const max[] = {"max_connect_errors", "100"};
	static const char *const lo[] = {"127.0.0.2", "7"};
	static const char *const v6lo[] = {"::1", "0"};
	static const char *const far[] = {"192.0.2.9", "3"};
	static const char *const mine[] = {"198.51.100.4", "12"};
	static const char *const nul[] = {"127.0.0.3", NULL};
	struct watch_hc_parse p;
	struct watch_link l;
	struct cd_attempt a;
	uint8_t buf[512];

	(void)state;
	watch_hc_parse_init(&p, 0);
	assert_true(p.max == -1);
	/* 198.51.100.4 as an interface address of this host */
	p.local[0].s6_addr[10] = p.local[0].s6_addr[11] = 0xff;
	p.local[0].s6_addr[12] = 198;
	p.local[0].s6_addr[13] = 51;
	p.local[0].s6_addr[14] = 100;
	p.local[0].s6_addr[15] = 4;
	p.nlocal = 1;
	watch_hc_parse_pkt(&p, 0, buf, coldef(buf, "max_connect_errors"));
	watch_hc_parse_pkt(&p, 0, buf, coldef(buf, "@@GLOBAL.max"));
	watch_hc_parse_pkt(&p, 1, buf, row(buf, max, 2));
	watch_hc_parse_pkt(&p, 1, buf, row(buf, lo, 2));
	watch_hc_parse_pkt(&p, 1, buf, row(buf, far, 2));
	watch_hc_parse_pkt(&p, 1, buf, row(buf, v6lo, 2));
	watch_hc_parse_pkt(&p, 1, buf, row(buf, mine, 2));
	watch_hc_parse_pkt(&p, 1, buf, row(buf, nul, 2));
	assert_int_equal(p.bad, 0);
	assert_int_equal(p.have_max, 1);
	assert_true(p.max == 100);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.rows[0].ip, "127.0.0.2");
	assert_true(p.rows[0].errors == 7);
	assert_string_equal(p.rows[1].ip, "::1");
	assert_string_equal(p.rows[2].ip, "198.51.100.4");
	assert_true(p.rows[2].errors == 12);

	memset(&l, 0, sizeof(l));
	memset(&a, 0, sizeof(a));
	a.outcome = CD_OK;
	assert_int_equal(watch_hc_done(&l, &a, &p), 0);
	assert_int_equal(l.hc_state, 1);
	assert_int_equal(l.hc_n, 3);
	assert_true(l.hc_max == 100);
	/* a login that failed tells nothing about the grant */
	a.outcome = CD_REFUSED;
	assert_int_equal(watch_hc_done(&l, &a, &p), 0);
	assert_int_equal(l.hc_state, 1);
	/* ERROR 1142: unreadable, said once */
	a.outcome = CD_QUERY_ERROR;
	a.mysql_code = 1142;
	assert_int_equal(watch_hc_done(&l, &a, &p), 1);
	assert_int_equal(l.hc_state, -1);
	assert_int_equal(l.hc_n, 0);
	assert_int_equal(watch_hc_done(&l, &a, &p), 0);

	/* a first row that is not max_connect_errors, a row of one cell, a
	 * truncated row: not the answer asked for */
	watch_hc_parse_init(&p, 0);
	watch_hc_parse_pkt(&p, 0, buf, coldef(buf, "a"));
	watch_hc_parse_pkt(&p, 0, buf, coldef(buf, "b"));
	watch_hc_parse_pkt(&p, 1, buf, row(buf, lo, 2));
	assert_int_equal(p.bad, 1);
	watch_hc_parse_init(&p, 0);
	watch_hc_parse_pkt(&p, 0, buf, coldef(buf, "a"));
	watch_hc_parse_pkt(&p, 1, buf, row(buf, max, 1));
	assert_int_equal(p.bad, 1);
	watch_hc_parse_init(&p, 0);
	watch_hc_parse_pkt(&p, 0, buf, coldef(buf, "a"));
	watch_hc_parse_pkt(&p, 0, buf, coldef(buf, "b"));
	watch_hc_parse_pkt(&p, 1, buf, row(buf, max, 2) - 1);
	assert_int_equal(p.bad, 1);
	a.outcome = CD_OK;
	l.hc_state = 1;
	assert_int_equal(watch_hc_done(&l, &a, &p), 1);
	assert_int_equal(l.hc_state, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_cuts),
		cmocka_unit_test(test_replica_parse),
		cmocka_unit_test(test_hostcache_parse),
		cmocka_unit_test(test_replica_parse_mysql8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
