/* test_srv_audit.c - the server audit's rules on hand-made audits: each
 * variable, counter, host cache row and replication state gives its
 * finding with its numbers; a healthy audit gives none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "check/server.h"

static struct srv_audit a;
static struct chk_facts facts;
static struct cd_findings out;

static void set(struct srv_kv *v, size_t *n, const char *name,
		const char *value)
{
	snprintf(v[*n].name, sizeof(v[*n].name), "%s", name);
	snprintf(v[*n].value, sizeof(v[*n].value), "%s", value);
	(*n)++;
}

static int setup(void **state)
{
	(void)state;
	memset(&a, 0, sizeof(a));
	a.somaxconn = 4096;
	set(a.vars, &a.nvars, "skip_name_resolve", "ON");
	set(a.vars, &a.nvars, "max_connections", "100");
	set(a.vars, &a.nvars, "max_connect_errors", "10");
	set(a.vars, &a.nvars, "back_log", "80");
	set(a.vars, &a.nvars, "slave_net_timeout", "60");
	set(a.status0, &a.nstatus0, "Threads_connected", "5");
	set(a.status0, &a.nstatus0, "Max_used_connections", "12");
	set(a.status0, &a.nstatus0, "Aborted_connects", "0");
	chk_facts_init(&facts);
	cd_findings_init(&out);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	chk_facts_free(&facts);
	cd_findings_free(&out);
	return 0;
}

static const struct cd_finding *run(const char *code)
{
	size_t i;

	cd_findings_free(&out);
	assert_int_equal(chk_audit_rules(&a, NULL, 3306, &facts, &out), 0);
	cd_findings_sort(&out); /* as chk_run() does */
	for (i = 0; code && i < out.n; i++)
		if (!strcmp(out.v[i].def->code, code))
			return &out.v[i];
	return NULL;
}

static double ev(const struct cd_finding *f, const char *key)
{
	unsigned k;

	for (k = 0; k < f->nev; k++)
		if (!strcmp(f->ev[k].key, key))
			return f->ev[k].v[0];
	fail_msg("no evidence %s", key);
	return 0;
}

static void healthy(void **state)
{
	(void)state;
	run(NULL);
	assert_int_equal(out.n, 0);
}

static void name_resolve(void **state)
{
	(void)state;
	snprintf(a.vars[0].value, sizeof(a.vars[0].value), "OFF");
	assert_non_null(run("CD6040"));
}

static void near_limit(void **state)
{
	const struct cd_finding *f;

	(void)state;
	snprintf(a.status0[1].value, sizeof(a.status0[1].value), "95");
	f = run("CD6041");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_WARNING); /* the peak only */
	snprintf(a.status0[0].value, sizeof(a.status0[0].value), "99");
	f = run("CD6041");
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	assert_float_equal(ev(f, "threads_connected"), 99, 1e-9);
}

static void errors_rising(void **state)
{
	const struct cd_finding *f;

	(void)state;
	set(a.status0, &a.nstatus0, "Connection_errors_tcpwrap", "3");
	f = run("CD6042");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_INFO); /* one sample */
	/* A second sample 2 s later: tcpwrap +4 -> 2/s. */
	memcpy(a.status1, a.status0, sizeof(a.status0));
	a.nstatus1 = a.nstatus0;
	snprintf(a.status1[3].value, sizeof(a.status1[3].value), "7");
	a.interval_s = 2;
	f = run("CD6042");
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_float_equal(ev(f, "tcpwrap_errors"), 7, 1e-9);
	assert_non_null(strstr(f->evidence, "Connection_errors_tcpwrap=7 "
					    "(2.00/s)"));
}

static void host_cache(void **state)
{
	const struct cd_finding *f;

	(void)state;
	a.nhosts = 2;
	snprintf(a.hosts[0].ip, sizeof(a.hosts[0].ip), "10.0.0.7");
	a.hosts[0].connect_errors = 6;
	snprintf(a.hosts[1].ip, sizeof(a.hosts[1].ip), "10.0.0.8");
	a.hosts[1].connect_errors = 10;
	a.hosts[1].nameinfo_errors = 3;
	run(NULL);
	assert_int_equal(out.n, 3);
	f = run("CD6043");
	assert_non_null(f);
	assert_non_null(run("CD6044"));
	/* Critical (10 >= 10: blocked) sorts first. */
	assert_string_equal(out.v[0].def->code, "CD6043");
	assert_int_equal(out.v[0].severity, CD_SEV_CRITICAL);
	assert_non_null(strstr(out.v[0].summary, "10.0.0.8"));
	assert_non_null(strstr(out.v[0].summary, "blocked"));
}

static void pool_mismatch(void **state)
{
	struct chk_sock socks[4];
	struct chk_census c;
	const struct cd_finding *f;
	size_t i;

	(void)state;
	memset(socks, 0, sizeof(socks));
	memset(&c, 0, sizeof(c));
	for (i = 0; i < 4; i++) {
		socks[i].state = CHK_TCP_ESTABLISHED;
		socks[i].dport = 3306;
		socks[i].sport = (uint16_t)(40000 + i);
	}
	c.tcp = socks;
	c.ntcp = 4;
	/* The server lists only the first two. */
	a.have_processlist = 1;
	a.npeers = 2;
	a.peer_port[0] = 40000;
	a.peer_port[1] = 40001;
	cd_findings_free(&out);
	assert_int_equal(chk_audit_rules(&a, &c, 3306, &facts, &out), 0);
	assert_int_equal(out.n, 1);
	f = &out.v[0];
	assert_string_equal(f->def->code, "CD6045");
	assert_float_equal(ev(f, "unknown_to_server"), 2, 1e-9);
}

static void replication(void **state)
{
	const struct cd_finding *f;

	(void)state;
	a.nlinks = 1;
	snprintf(a.links[0].master_host, sizeof(a.links[0].master_host),
		 "10.213.1.1");
	a.links[0].master_port = 3306;
	snprintf(a.links[0].io_running, sizeof(a.links[0].io_running), "Yes");
	snprintf(a.links[0].sql_running, sizeof(a.links[0].sql_running), "Yes");
	f = run("CD7002");
	assert_non_null(f);
	assert_float_equal(ev(f, "slave_net_timeout_s"), 60, 1e-9);
	assert_null(run("CD7001"));
	snprintf(a.links[0].io_running, sizeof(a.links[0].io_running),
		 "Connecting");
	a.links[0].last_io_errno = 2003;
	f = run("CD7001");
	assert_non_null(f);
	assert_float_equal(ev(f, "last_io_errno"), 2003, 1e-9);
}

/* CD6046: the limit is max(max_allowed_packet, net_buffer_length); a
 * packet of the limit or more is over it, one byte less is not. */
static void packet_limit(void **state)
{
	const struct cd_finding *f;

	(void)state;
	set(a.vars, &a.nvars, "max_allowed_packet", "1024");
	set(a.vars, &a.nvars, "net_buffer_length", "16384");
	assert_int_equal(chk_audit_packet_rule(&a, 16383, &out), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(chk_audit_packet_rule(&a, 0, &out), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(chk_audit_packet_rule(&a, 20010, &out), 0);
	assert_int_equal(out.n, 1);
	f = &out.v[0];
	assert_string_equal(f->def->code, "CD6046");
	assert_true(ev(f, "packet_bytes") == 20010);
	assert_true(ev(f, "max_allowed_packet") == 1024);
	assert_true(ev(f, "net_buffer_length") == 16384);
	assert_true(ev(f, "limit_bytes") == 16384);
	assert_non_null(strstr(f->evidence, "max_allowed_packet=1024, "
					    "net_buffer_length=16384"));
	/* Without the variables nothing can be judged. */
	cd_findings_free(&out);
	a.nvars = 0;
	assert_int_equal(chk_audit_packet_rule(&a, 1e9, &out), 0);
	assert_int_equal(out.n, 0);
}

/* CD6048: an idle period of wait_timeout or more; less, or no --idle,
 * is nothing. */
static void idle_over_wait_timeout(void **state)
{
	(void)state;
	set(a.vars, &a.nvars, "wait_timeout", "2");
	assert_int_equal(chk_audit_idle_rule(&a, 1.5, &out), 0);
	assert_int_equal(chk_audit_idle_rule(&a, 0, &out), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(chk_audit_idle_rule(&a, 3, &out), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].def->code, "CD6048");
	assert_true(ev(&out.v[0], "wait_timeout_s") == 2);
	assert_true(ev(&out.v[0], "idle_s") == 3);
}

/* CD6052: KILLs counted since the start (Com_kill), with the uptime;
 * none counted is nothing. */
static void kills_counted(void **state)
{
	size_t i;

	(void)state;
	set(a.status0, &a.nstatus0, "Com_kill", "0");
	set(a.status0, &a.nstatus0, "Uptime", "37");
	assert_int_equal(chk_audit_rules(&a, NULL, 0, &facts, &out), 0);
	for (i = 0; i < out.n; i++)
		assert_string_not_equal(out.v[i].def->code, "CD6052");
	cd_findings_free(&out);
	strcpy(a.status0[a.nstatus0 - 2].value, "2");
	assert_int_equal(chk_audit_rules(&a, NULL, 0, &facts, &out), 0);
	for (i = 0; i < out.n; i++)
		if (!strcmp(out.v[i].def->code, "CD6052"))
			break;
	assert_true(i < out.n);
	assert_int_equal(out.v[i].severity, CD_SEV_INFO);
	assert_true(ev(&out.v[i], "kills") == 2);
	assert_true(ev(&out.v[i], "uptime_s") == 37);
	assert_string_equal(out.v[i].summary,
			    "the server has run KILL 2 times in its 37 s since "
			    "start");
}

/* CD6055: five sessions of one client asleep over the threshold; four,
 * or sessions asleep only up to it, are nothing. */
static void asleep_pool(void **state)
{
	size_t i;

	(void)state;
	a.have_processlist = 1;
	a.nclients = 2;
	strcpy(a.clients[0].user, "app");
	strcpy(a.clients[0].host, "10.0.0.5");
	a.clients[0].sessions = 7;
	strcpy(a.clients[1].user, "etl");
	strcpy(a.clients[1].host, "10.0.0.6");
	a.clients[1].sessions = 2;
	for (i = 0; i < 7; i++) {
		a.asleep_client[i] = 0;
		a.asleep_s[i] = i < 4 ? (uint32_t)(100 + i) : 60;
	}
	a.asleep_client[7] = 1;
	a.asleep_s[7] = 500;
	a.nasleep = 8;
	set(a.vars, &a.nvars, "wait_timeout", "28800");
	assert_int_equal(chk_audit_asleep_rule(&a, 60, &out), 0);
	assert_int_equal(out.n, 0); /* 4 over 60 s: not many */
	assert_int_equal(chk_audit_asleep_rule(&a, 0, &out), 0);
	assert_int_equal(out.n, 0); /* not judged */
	assert_int_equal(chk_audit_asleep_rule(&a, 59, &out), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].def->code, "CD6055");
	assert_true(ev(&out.v[0], "sessions") == 7);
	assert_true(ev(&out.v[0], "longest_s") == 103);
	assert_true(ev(&out.v[0], "client_sessions") == 7);
	assert_string_equal(
		out.v[0].summary,
		"7 sessions of app@10.0.0.5 have been asleep longer "
		"than 59 s, the longest 103 s: a pool that never "
		"closes them");
	assert_non_null(strstr(out.v[0].evidence, "other clients asleep as "
						  "long: etl@10.0.0.6 1"));
}

/* One greeted attempt of the restart rule's fixture. */
static void greeted(struct cd_attempt *x, uint32_t id, int64_t start_ms,
		    int64_t total_ms)
{
	int p;

	memset(x, 0, sizeof(*x));
	for (p = 0; p < CD_PH__COUNT; p++)
		x->phase_ns[p] = -1;
	x->phase_ns[CD_PH_GREETING] = 1000000;
	x->conn_id = id;
	x->start_ns = start_ms * 1000000;
	x->total_ns = total_ms * 1000000;
}

/* CD6053: ids out of order among attempts in flight together are no
 * restart; an id below one of an attempt that had ended is; so is an
 * Uptime shorter than the time since the first attempt. */
static void restart_between_attempts(void **state)
{
	struct cd_attempt at[4];
	struct probe_result r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.attempts = at;
	r.base_ns = 1000000000;
	greeted(&at[0], 11, 0, 50);
	greeted(&at[1], 10, 10, 50); /* in flight with the first */
	greeted(&at[2], 12, 100, 50);
	r.nattempts = 3;
	set(a.status0, &a.nstatus0, "Uptime", "30");
	a.sampled_ns = r.base_ns + 2000000000LL;
	assert_int_equal(chk_audit_restart_rule(&a, &r, &out), 0);
	assert_int_equal(out.n, 0);
	greeted(&at[3], 4, 2000, 50); /* after 12 ended: counted anew */
	r.nattempts = 4;
	assert_int_equal(chk_audit_restart_rule(&a, &r, &out), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].def->code, "CD6053");
	assert_true(ev(&out.v[0], "conn_id_before") == 12);
	assert_true(ev(&out.v[0], "conn_id_after") == 4);
	assert_true(ev(&out.v[0], "restart_seen_at_s") == 2);
	assert_non_null(strstr(out.v[0].summary, "connection ids went back "
						 "from 12 to 4 2.00 s into"));
	/* Uptime alone: up 3 s, the first attempt 10 s ago. */
	cd_findings_free(&out);
	r.nattempts = 3;
	strcpy(a.status0[a.nstatus0 - 1].value, "3");
	a.sampled_ns = r.base_ns + 10000000000LL;
	assert_int_equal(chk_audit_restart_rule(&a, &r, &out), 0);
	assert_int_equal(out.n, 1);
	assert_true(ev(&out.v[0], "uptime_s") == 3);
	assert_true(ev(&out.v[0], "since_first_attempt_s") == 10);
	/* Without the audit and no drop: nothing. */
	cd_findings_free(&out);
	assert_int_equal(chk_audit_restart_rule(NULL, &r, &out), 0);
	assert_int_equal(out.n, 0);
}

/* CD6057: the client's limit below the server's; none given, or not
 * below, is nothing. */
static void client_packet_limit(void **state)
{
	(void)state;
	set(a.vars, &a.nvars, "max_allowed_packet", "16777216");
	assert_int_equal(chk_audit_client_packet_rule(&a, 0, &out), 0);
	assert_int_equal(chk_audit_client_packet_rule(&a, 16777216, &out), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(chk_audit_client_packet_rule(&a, 1024, &out), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].def->code, "CD6057");
	assert_true(ev(&out.v[0], "max_allowed_packet") == 16777216);
	assert_true(ev(&out.v[0], "client_max_allowed_packet") == 1024);
}

/* CD6050: a global statement time limit, MariaDB's in seconds (a
 * fraction) or MySQL's in ms; none set (0) is nothing. */
static void statement_time_limit(void **state)
{
	(void)state;
	set(a.vars, &a.nvars, "max_statement_time", "0.000000");
	assert_int_equal(chk_audit_stmt_time_rule(&a, &out), 0);
	assert_int_equal(out.n, 0);
	strcpy(a.vars[a.nvars - 1].value, "0.500000");
	assert_int_equal(chk_audit_stmt_time_rule(&a, &out), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].def->code, "CD6050");
	assert_int_equal(out.v[0].severity, CD_SEV_INFO);
	assert_true(ev(&out.v[0], "max_statement_time_s") == 0.5);
	assert_non_null(strstr(out.v[0].summary, "max_statement_time=0.5 s"));
}

/* An account's own limit shows in the audit's session (same account),
 * not in the global value: the session's wins, the global is evidence. */
static void account_statement_time(void **state)
{
	(void)state;
	set(a.vars, &a.nvars, "max_statement_time", "0.000000");
	set(a.svars, &a.nsvars, "max_statement_time", "0.500000");
	assert_int_equal(chk_audit_stmt_time_rule(&a, &out), 0);
	assert_int_equal(out.n, 1);
	assert_true(ev(&out.v[0], "max_statement_time_s") == 0.5);
	assert_true(ev(&out.v[0], "global_max_statement_time_s") == 0);
	assert_non_null(strstr(out.v[0].summary,
			       "kills this account's statements that run "
			       "longer than max_statement_time=0.5 s"));
}

static void execution_time_limit(void **state)
{
	(void)state;
	set(a.vars, &a.nvars, "max_execution_time", "1500");
	assert_int_equal(chk_audit_stmt_time_rule(&a, &out), 0);
	assert_int_equal(out.n, 1);
	assert_true(ev(&out.v[0], "max_execution_time_ms") == 1500);
	assert_non_null(strstr(out.v[0].summary, "max_execution_time=1500 ms"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(healthy, setup, teardown),
		cmocka_unit_test_setup_teardown(name_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(near_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(errors_rising, setup, teardown),
		cmocka_unit_test_setup_teardown(host_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(pool_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(replication, setup, teardown),
		cmocka_unit_test_setup_teardown(packet_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(idle_over_wait_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(kills_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(asleep_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(client_packet_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(restart_between_attempts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(statement_time_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(account_statement_time, setup,
						teardown),
		cmocka_unit_test_setup_teardown(execution_time_limit, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
