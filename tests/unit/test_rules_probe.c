/* test_rules_probe.c - the probe rules on hand-made attempts: each pattern
 * produces its finding with the right numbers, and a healthy run none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>

#include <cmocka.h>

#include "findings/findings.h"
#include "fixture.h"

#define S    1000000000LL
#define MS   1000000LL
#define MAXA 64

struct fixture {
	struct probe_config cfg;
	struct probe_result res;
	struct cd_attempt a[MAXA];
	struct cd_host_facts facts;
	struct cd_findings out;
};

static struct fixture fx;

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	probe_config_init(&fx.cfg);
	fx.cfg.ntargets = 2;
	fx.cfg.targets[0].transport = CD_TCP;
	strcpy(fx.cfg.targets[0].label, "10.0.0.1:3306");
	fx.cfg.targets[1].transport = CD_SOCKET;
	strcpy(fx.cfg.targets[1].label, "/run/mysqld/mysqld.sock");
	fx.res.attempts = fx.a;
	cd_host_facts_init(&fx.facts);
	fx.facts.syn_retries = 2;
	fx.facts.syn_linear_timeouts = 4;
	fx.facts.hz = 250;
	cd_findings_init(&fx.out);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cd_findings_free(&fx.out);
	return 0;
}

/* Appends a TCP attempt that went through every phase in ~1 ms. */
static struct cd_attempt *ok_attempt(void)
{
	struct cd_attempt *a = &fx.a[fx.res.nattempts];
	int p;

	memset(a, 0, sizeof(*a));
	a->seq = (uint32_t)fx.res.nattempts;
	a->start_ns = (int64_t)fx.res.nattempts * 10 * MS;
	for (p = 0; p < CD_PH__COUNT; p++)
		a->phase_ns[p] = -1;
	a->phase_ns[CD_PH_CONNECT] = 100000;
	a->phase_ns[CD_PH_GREETING] = 200000;
	a->phase_ns[CD_PH_AUTH] = 300000;
	a->phase_ns[CD_PH_QUERY] = 200000;
	a->phase_ns[CD_PH_CLOSE] = 100000;
	a->total_ns = 900000;
	a->idle_cut_ns = -1;
	a->outcome = CD_OK;
	fx.res.nattempts++;
	return a;
}

static struct cd_attempt *failed(enum cd_outcome o, enum cd_phase ph, int64_t t,
				 int err)
{
	struct cd_attempt *a = ok_attempt();
	int p;

	for (p = ph + 1; p < CD_PH__COUNT; p++)
		a->phase_ns[p] = -1;
	a->phase_ns[ph] = t;
	a->total_ns = t;
	a->outcome = o;
	a->failed_phase = ph;
	a->sys_errno = err;
	return a;
}

static const struct cd_finding *run(const char *code)
{
	struct cd_probe_input in = {&fx.cfg, &fx.res, &fx.facts, 0, 1};
	size_t i;

	cd_findings_free(&fx.out);
	assert_int_equal(cd_rules_probe(&in, &fx.out), 0);
	for (i = 0; code && i < fx.out.n; i++)
		if (!strcmp(fx.out.v[i].def->code, code))
			return &fx.out.v[i];
	return NULL;
}

/* The finding code, which the test requires. */
static const struct cd_finding *found(const char *code)
{
	return fixture_need(run(code), code);
}

static double ev(const struct cd_finding *f, const char *key, unsigned i)
{
	unsigned k;

	for (k = 0; k < f->nev; k++)
		if (!strcmp(f->ev[k].key, key)) {
			assert_true(i < f->ev[k].n);
			return f->ev[k].v[i];
		}
	fail_msg("no evidence %s", key);
	return 0;
}

static void healthy(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 20; i++)
		ok_attempt();
	run(NULL);
	assert_int_equal(fx.out.n, 0);
}

static void syn_kernel_timeout(void **state)
{
	const struct cd_finding *f;

	(void)state;
	failed(CD_CONNECT_TIMEOUT, CD_PH_CONNECT, 7100 * MS, 110);
	failed(CD_CONNECT_TIMEOUT, CD_PH_CONNECT, 7090 * MS, 110);
	f = found("CD3001");
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	/* 7 s of timers, six of them (1 s, 2 s at HZ=250) 18 ms late. */
	assert_float_equal(ev(f, "expected_give_up_s", 0), 7.108, 1e-9);
	assert_float_equal(ev(f, "latest_give_up_s", 0), 7.192, 1e-9);
	assert_float_equal(ev(f, "kernel_hz", 0), 250, 1e-9);
	assert_float_equal(ev(f, "kernel_timeouts", 0), 2, 1e-9);
	assert_float_equal(ev(f, "kernel_timeout_after_s", 0), 7.1, 1e-9);
	assert_float_equal(ev(f, "syn_schedule_s", 5), 5.0, 1e-9);
	assert_non_null(strstr(f->summary, "7.10 s"));
}

static void syn_retransmitted_success(void **state)
{
	struct cd_attempt *a;
	const struct cd_finding *f;
	int i;

	(void)state;
	for (i = 0; i < 9; i++)
		ok_attempt();
	a = ok_attempt();
	a->phase_ns[CD_PH_CONNECT] = 1001 * MS; /* one SYN lost */
	a->have_tcpi = 1;
	a->tcpi.rtt_us = 100;
	a->tcpi.total_retrans = 1;
	f = found("CD3001");
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_float_equal(ev(f, "retransmitted_then_ok", 0), 1, 1e-9);
}

static void half_open(void **state)
{
	struct cd_attempt *a;
	const struct cd_finding *f;

	(void)state;
	a = failed(CD_GREETING_TIMEOUT, CD_PH_GREETING, 10 * S, 110);
	a->tcp_state_at_fail = 1;
	a->timed_out = 1;
	a = ok_attempt();
	a->target = 1; /* the socket works */
	f = found("CD3003");
	assert_float_equal(ev(f, "established", 0), 1, 1e-9);
	assert_float_equal(ev(f, "waited_s", 0), 10.0, 1e-9);
	assert_float_equal(ev(f, "socket_ok", 0), 1, 1e-9);
	assert_non_null(strstr(f->evidence, "mysqld itself answers"));
}

static void resolver_serial(void **state)
{
	const struct cd_finding *f;
	int i;

	(void)state;
	fx.cfg.concurrency = 3;
	for (i = 0; i < 3; i++)
		ok_attempt()->phase_ns[CD_PH_GREETING] =
			(i + 1) * 10 * S + 5 * MS;
	f = found("CD2003");
	assert_float_equal(ev(f, "on_ladder", 0), 3, 1e-9);
	assert_float_equal(ev(f, "serialized", 0), 1, 1e-9);
	assert_float_equal(ev(f, "parallel", 0), 0, 1e-9);
	assert_non_null(strstr(f->evidence, "TCP wrappers"));
}

static void resolver_parallel(void **state)
{
	const struct cd_finding *f;
	int i;

	(void)state;
	fx.cfg.concurrency = 3;
	for (i = 0; i < 3; i++)
		ok_attempt()->phase_ns[CD_PH_GREETING] = 10 * S + i * 20 * MS;
	f = found("CD2003");
	assert_float_equal(ev(f, "parallel", 0), 1, 1e-9);
	assert_non_null(strstr(f->evidence, "skip_name_resolve=OFF"));
}

static void compare_tcp_fails(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		failed(CD_REFUSED, CD_PH_CONNECT, 100000, 111);
		ok_attempt()->target = 1;
	}
	assert_non_null(run("CD3006"));
	assert_non_null(run("CD3002"));
	assert_int_equal(fx.out.v[0].severity, CD_SEV_CRITICAL);
}

static void every_third(void **state)
{
	const struct cd_finding *f;
	int i;

	(void)state;
	for (i = 0; i < 12; i++) {
		if (i % 3 == 2)
			failed(CD_CLOSED_BEFORE_GREETING, CD_PH_GREETING, MS,
			       0);
		else
			ok_attempt();
	}
	f = found("CD3008");
	assert_float_equal(ev(f, "stride", 0), 3, 1e-9);
	assert_float_equal(ev(f, "failures", 0), 4, 1e-9);
	assert_non_null(run("CD6007"));
}

static void idle_cut(void **state)
{
	struct cd_attempt *a;
	const struct cd_finding *f;

	(void)state;
	fx.cfg.idle_s = 3;
	a = failed(CD_GONE_AWAY, CD_PH_QUERY, MS, 0);
	a->phase_ns[CD_PH_IDLE] = 3 * S;
	a->idle_cut_ns = 1010 * MS;
	f = found("CD6005");
	assert_float_equal(ev(f, "closed_after_idle_s", 0), 1.01, 1e-9);
	assert_float_equal(ev(f, "idle_s", 0), 3, 1e-9);
	assert_null(run("CD6006"));
}

/* ERR 1153 (08S01) to the query is CD6013 with the packet's size, not a
 * plain query error, and not counted as CD6006 either. */
static void packet_too_large(void **state)
{
	struct cd_attempt *a;
	const struct cd_finding *f;

	(void)state;
	fx.cfg.query = "SELECT 'aaaaaaaaaa'";
	a = failed(CD_GONE_AWAY, CD_PH_QUERY, MS, 0);
	a->mysql_code = 1153;
	strcpy(a->sqlstate, "08S01");
	strcpy(a->message,
	       "Got a packet bigger than 'max_allowed_packet' bytes");
	ok_attempt();
	f = found("CD6013");
	assert_int_equal(f->severity, CD_SEV_CRITICAL); /* 1 of 2 */
	assert_float_equal(ev(f, "packet_bytes", 0), 20, 1e-9);
	assert_float_equal(ev(f, "mysql_code", 0), 1153, 1e-9);
	assert_float_equal(ev(f, "failures", 0), 1, 1e-9);
	assert_non_null(strstr(f->summary, "20-byte query packet: ERROR 1153 "
					   "(08S01)"));
	assert_null(run("CD6006"));
	assert_null(run("CD6009"));
}

/* ERR 1969 (max_statement_time) and 3024 (max_execution_time) are CD6049
 * with how long each statement ran, never the plain query error CD6009;
 * another query error beside them still is CD6009. */
static void statement_time_limit(void **state)
{
	struct cd_attempt *a;
	const struct cd_finding *f;

	(void)state;
	a = failed(CD_QUERY_ERROR, CD_PH_QUERY, 0, 0);
	a->phase_ns[CD_PH_QUERY] = 510 * MS;
	a->mysql_code = 1969;
	strcpy(a->sqlstate, "70100");
	strcpy(a->message, "Query execution was interrupted "
			   "(max_statement_time exceeded)");
	a = failed(CD_QUERY_ERROR, CD_PH_QUERY, 0, 0);
	a->phase_ns[CD_PH_QUERY] = 1020 * MS;
	a->mysql_code = 3024;
	strcpy(a->sqlstate, "HY000");
	ok_attempt();
	f = found("CD6049");
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_float_equal(ev(f, "mysql_code", 0), 1969, 1e-9);
	assert_float_equal(ev(f, "failures", 0), 2, 1e-9);
	assert_float_equal(ev(f, "query_s", 0), 0.51, 1e-9);
	assert_float_equal(ev(f, "query_s", 1), 1.02, 1e-9);
	assert_non_null(strstr(f->summary, "2 of 3 probe statements were "
					   "killed by the server's statement "
					   "time limit after 0.51 s: ERROR "
					   "1969 (70100)"));
	assert_null(run("CD6009"));
	a = failed(CD_QUERY_ERROR, CD_PH_QUERY, MS, 0);
	a->mysql_code = 1064;
	f = found("CD6009");
	assert_float_equal(ev(f, "failures", 0), 1, 1e-9);
}

/* ERR 1927 "Connection was killed" in the query is CD6051 with the
 * connection ids and how long each statement ran, never CD6006. */
static void session_killed(void **state)
{
	struct cd_attempt *a;
	const struct cd_finding *f;

	(void)state;
	a = failed(CD_GONE_AWAY, CD_PH_QUERY, 300 * MS, 0);
	a->mysql_code = 1927;
	a->conn_id = 41;
	strcpy(a->sqlstate, "70100");
	strcpy(a->message, "Connection was killed");
	ok_attempt();
	f = run("CD6051");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_CRITICAL); /* 1 of 2 */
	assert_float_equal(ev(f, "conn_ids", 0), 41, 1e-9);
	assert_float_equal(ev(f, "query_s", 0), 0.3, 1e-9);
	assert_float_equal(ev(f, "failures", 0), 1, 1e-9);
	assert_non_null(strstr(f->summary, "1 of 2 sessions were killed on "
					   "the server 0.30 s into the query: "
					   "ERROR 1927 (70100)"));
	assert_non_null(strstr(f->evidence, "(connection id 41)"));
	assert_null(run("CD6006"));
}

/* ERROR 2020, the client's limit: CD1004 with the packet and the limit,
 * never CD6006. */
static void reply_over_client_limit(void **state)
{
	struct cd_attempt *a;
	const struct cd_finding *f;

	(void)state;
	fx.cfg.max_allowed_packet = 1024;
	a = failed(CD_GONE_AWAY, CD_PH_QUERY, MS, 0);
	a->mysql_code = 2020;
	a->reply_bytes = 20003;
	strcpy(a->sqlstate, "HY000");
	f = run("CD1004");
	assert_non_null(f);
	assert_float_equal(ev(f, "reply_bytes", 0), 20003, 1e-9);
	assert_float_equal(ev(f, "client_max_allowed_packet", 0), 1024, 1e-9);
	assert_string_equal(f->summary, "1 of 1 replies had a 20003-byte "
					"packet, over the client's "
					"max_allowed_packet=1024: ERROR 2020");
	assert_null(run("CD6006"));
}

static void server_refusals(void **state)
{
	struct cd_attempt *a;
	const struct cd_finding *f;

	(void)state;
	a = failed(CD_SERVER_REFUSED, CD_PH_GREETING, MS, 0);
	a->mysql_code = 1040;
	strcpy(a->message, "Too many connections");
	a = failed(CD_SERVER_REFUSED, CD_PH_GREETING, MS, 0);
	a->mysql_code = 1129;
	strcpy(a->message, "Host '10.0.0.2' is blocked");
	ok_attempt();
	ok_attempt();
	f = found("CD6001");
	assert_float_equal(ev(f, "mysql_code", 0), 1040, 1e-9);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	f = found("CD6002");
	assert_float_equal(ev(f, "failures", 0), 1, 1e-9);
	/* The account's limits, 1203 and 1226, are one CD6054, not CD6001. */
	a = failed(CD_SERVER_REFUSED, CD_PH_AUTH, MS, 0);
	a->mysql_code = 1226;
	strcpy(a->message,
	       "User 'app' has exceeded the "
	       "'max_user_connections' resource (current value: 5)");
	a = failed(CD_SERVER_REFUSED, CD_PH_AUTH, MS, 0);
	a->mysql_code = 1203;
	fx.cfg.user = "app";
	f = run("CD6054");
	assert_non_null(f);
	assert_float_equal(ev(f, "failures", 0), 2, 1e-9);
	assert_float_equal(ev(f, "mysql_code", 0), 1226, 1e-9);
	assert_non_null(strstr(f->summary, "2 of 6 attempts refused: user app "
					   "is at its connection limit, ERROR "
					   "1226: User 'app' has exceeded"));
	f = run("CD6001");
	assert_float_equal(ev(f, "failures", 0), 1, 1e-9);
}

/* A sequence id out of order is named as such (CD8012), not as a peer that
 * is not MySQL (CD8001), which only the other protocol errors get. */
static void sequence_out_of_order(void **state)
{
	struct cd_attempt *a;
	const struct cd_finding *f;

	(void)state;
	ok_attempt();
	a = failed(CD_PROTOCOL_ERROR, CD_PH_AUTH, MS, 0);
	a->seq_fault = 1;
	a->seq_expected = 2;
	a->seq_got = 5;
	strcpy(a->message, "packets out of order: expected sequence id 2, "
			   "got 5");
	a = failed(CD_PROTOCOL_ERROR, CD_PH_QUERY, MS, 0);
	a->seq_fault = 1;
	a->seq_expected = 1;
	a->seq_got = 3;
	f = found("CD8012");
	assert_float_equal(ev(f, "failures", 0), 2, 1e-9);
	assert_float_equal(ev(f, "expected", 0), 2, 1e-9);
	assert_float_equal(ev(f, "got", 0), 5, 1e-9);
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	assert_null(run("CD8001"));

	a = failed(CD_PROTOCOL_ERROR, CD_PH_GREETING, MS, 0);
	strcpy(a->message, "not a MySQL server: it sent \"SSH-2.0\"");
	f = found("CD8001");
	assert_float_equal(ev(f, "failures", 0), 1, 1e-9);
	assert_non_null(strstr(f->evidence, "SSH-2.0"));
	f = found("CD8012");
	assert_float_equal(ev(f, "failures", 0), 2, 1e-9);
}

/* Defect 6: logins the server never judged are not CD6004. */
static void login_never_judged(void **state)
{
	const struct cd_finding *f;
	struct cd_attempt *a;

	(void)state;
	ok_attempt();
	failed(CD_CLOSED_DURING_LOGIN, CD_PH_AUTH, 5 * MS, 104);
	failed(CD_CLOSED_DURING_LOGIN, CD_PH_AUTH, 6 * MS, 0);
	a = failed(CD_AUTH_PLUGIN_UNSUPPORTED, CD_PH_AUTH, 2 * MS, 0);
	a->mysql_code = 2059;
	a = failed(CD_PROTOCOL_ERROR, CD_PH_AUTH, 3 * MS, 0);
	strcpy(a->message, "malformed ERR packet");
	assert_null(run("CD6004"));
	f = found("CD6011");
	assert_float_equal(ev(f, "failures", 0), 2, 1e-9);
	assert_float_equal(ev(f, "errno", 0), 104, 1e-9);
	assert_non_null(
		strstr(f->summary, "2 of 5 attempts were closed or reset"));
	f = found("CD6012");
	assert_float_equal(ev(f, "mysql_code", 0), 2059, 1e-9);
	assert_float_equal(ev(f, "failures", 0), 1, 1e-9);
	/* A MySQL server broke the protocol: not "not MySQL". */
	assert_null(run("CD8001"));
	f = found("CD8003");
	assert_non_null(strstr(f->evidence, "malformed ERR packet"));
	/* The server's ERR 1045 is the one rejection. */
	a = failed(CD_AUTH_FAILED, CD_PH_AUTH, 2 * MS, 0);
	a->mysql_code = 1045;
	f = found("CD6004");
	assert_float_equal(ev(f, "failures", 0), 1, 1e-9);
	assert_float_equal(ev(f, "mysql_code", 0), 1045, 1e-9);
}

/* The server's ERRs at login, classed and named by code: only 1045 and
 * 1698 are CD6004; the rest get the finding of what was refused. */
static void login_errs_by_code(void **state)
{
	static const struct {
		unsigned code;
		enum cd_outcome outcome;
		const char *finding;
	} vec[] = {
		{1045, CD_AUTH_FAILED, "CD6004"},
		{1698, CD_AUTH_FAILED, "CD6004"},
		{1251, CD_AUTH_PLUGIN_UNSUPPORTED, "CD6012"},
		{1040, CD_SERVER_REFUSED, "CD6001"},
		{1203, CD_SERVER_REFUSED, "CD6054"},
		{1226, CD_SERVER_REFUSED, "CD6054"},
		{1129, CD_SERVER_REFUSED, "CD6002"},
		{1130, CD_SERVER_REFUSED, "CD6003"},
		{1044, CD_LOGIN_REFUSED, "CD6014"},
		{1049, CD_LOGIN_REFUSED, "CD6014"},
		{4151, CD_LOGIN_REFUSED, "CD6015"},
		{3118, CD_LOGIN_REFUSED, "CD6015"},
		{4150, CD_LOGIN_REFUSED, "CD6015"},
		{1862, CD_LOGIN_REFUSED, "CD6016"},
		{1820, CD_LOGIN_REFUSED, "CD6016"},
		{3159, CD_LOGIN_REFUSED, "CD6017"},
		{1105, CD_LOGIN_REFUSED, "CD6018"},
	};
	const struct cd_finding *f;
	struct cd_attempt *a;
	size_t i;

	(void)state;
	/* in place of a greeting, any code is a refusal */
	assert_int_equal(probe_err_outcome(1, 1045), CD_SERVER_REFUSED);
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		fx.res.nattempts = 0;
		ok_attempt();
		a = failed(probe_err_outcome(0, vec[i].code), CD_PH_AUTH,
			   3 * MS, 0);
		assert_int_equal(a->outcome, vec[i].outcome);
		a->mysql_code = (uint16_t)vec[i].code;
		strcpy(a->message, "the server's words");
		f = found(vec[i].finding);
		assert_float_equal(ev(f, "mysql_code", 0), vec[i].code, 1e-9);
		assert_float_equal(ev(f, "failures", 0), 1, 1e-9);
		if (strcmp(vec[i].finding, "CD6004"))
			assert_null(run("CD6004"));
		assert_int_equal(fx.out.n, 1); /* one finding, no other */
	}
	/* MariaDB's sandbox: logged in, the query gets 1820 */
	fx.res.nattempts = 0;
	a = failed(CD_QUERY_ERROR, CD_PH_QUERY, 3 * MS, 0);
	a->mysql_code = 1820;
	f = found("CD6016");
	assert_float_equal(ev(f, "mysql_code", 0), 1820, 1e-9);
	assert_null(run("CD6009"));
	/* two kinds in one run: each its own finding and count */
	fx.res.nattempts = 0;
	a = failed(CD_LOGIN_REFUSED, CD_PH_AUTH, 3 * MS, 0);
	a->mysql_code = 1049;
	a = failed(CD_LOGIN_REFUSED, CD_PH_AUTH, 3 * MS, 0);
	a->mysql_code = 4151;
	a = failed(CD_LOGIN_REFUSED, CD_PH_AUTH, 3 * MS, 0);
	a->mysql_code = 4151;
	f = found("CD6015");
	assert_float_equal(ev(f, "failures", 0), 2, 1e-9);
	assert_non_null(strstr(f->evidence, "a locked or blocked account"));
	f = found("CD6014");
	assert_float_equal(ev(f, "failures", 0), 1, 1e-9);
	assert_null(run("CD6018"));
}

/* Protocol errors before a greeting are CD8001, after it CD8003. */
static void protocol_error_phases(void **state)
{
	const struct cd_finding *f;

	(void)state;
	failed(CD_PROTOCOL_ERROR, CD_PH_GREETING, 2 * MS, 0);
	failed(CD_PROTOCOL_ERROR, CD_PH_QUERY, 2 * MS, 0);
	failed(CD_PROTOCOL_ERROR, CD_PH_QUERY, 2 * MS, 0);
	f = found("CD8001");
	assert_float_equal(ev(f, "failures", 0), 1, 1e-9);
	f = found("CD8003");
	assert_float_equal(ev(f, "failures", 0), 2, 1e-9);
}

/* Defect 5: CD3003 reports the greeting bytes that came, and names a
 * partial valid greeting a slow server. */
static void partial_greeting(void **state)
{
	const struct cd_finding *f;
	struct cd_attempt *a;

	(void)state;
	a = failed(CD_GREETING_TIMEOUT, CD_PH_GREETING, 2 * S, 110);
	a->tcp_state_at_fail = 1;
	a = failed(CD_GREETING_TIMEOUT, CD_PH_GREETING, 2 * S, 110);
	a->tcp_state_at_fail = 1;
	a->greeting_bytes = 4;
	a->greeting_partial = 1;
	f = found("CD3003");
	assert_non_null(strstr(f->evidence, "0 to 4 bytes received"));
	assert_non_null(strstr(f->evidence, "1 got the start of a MySQL "
					    "greeting: a slow server"));
	assert_float_equal(ev(f, "greeting_bytes", 0), 4, 1e-9);
	assert_float_equal(ev(f, "partial_greeting", 0), 1, 1e-9);
	assert_null(run("CD8001"));
	/* Silent ones only: the bytes that came, zero, not a fixed text. */
	fx.a[1].greeting_bytes = 0;
	fx.a[1].greeting_partial = 0;
	f = run("CD3003");
	assert_non_null(strstr(f->evidence, "in 2 of 2, 0 bytes received"));
	assert_null(strstr(f->evidence, "slow server"));
}

/* The bytes that can begin a greeting, and those that cannot. */
static void greeting_prefix(void **state)
{
	static const uint8_t greet[] = {0x4a, 0, 0, 0, 10, '8', '.'};
	static const uint8_t http[] = {'H', 'T', 'T', 'P'};
	static const uint8_t ssh[] = {'S', 'S', 'H', '-'};
	static const uint8_t seq1[] = {0x4a, 0, 0, 1};
	static const uint8_t proto9[] = {0x4a, 0, 0, 0, 9};
	static const uint8_t err_first[] = {0x17, 0, 0, 0, 0xff};
	size_t n;

	(void)state;
	for (n = 1; n <= sizeof(greet); n++)
		assert_true(cd_greeting_prefix(greet, n));
	assert_false(cd_greeting_prefix(greet, 0));
	assert_false(cd_greeting_prefix(http, 2));
	assert_false(cd_greeting_prefix(ssh, 4));
	assert_false(cd_greeting_prefix(seq1, 4));
	assert_true(cd_greeting_prefix(proto9, 4));
	assert_false(cd_greeting_prefix(proto9, 5));
	assert_false(cd_greeting_prefix(err_first, 5));
}

static void ramp_threshold(void **state)
{
	struct cd_probe_input in = {&fx.cfg, &fx.res, &fx.facts, 1, 2};
	unsigned rep, lvl;
	size_t i;
	int found = 0;

	(void)state;
	for (rep = 0; rep < 2; rep++)
		for (lvl = 1; lvl <= 9; lvl += 4) {
			struct cd_attempt *a =
				lvl >= 5 && rep < 2
					? failed(CD_GREETING_TIMEOUT,
						 CD_PH_GREETING, S, 110)
					: ok_attempt();
			a->level = (uint16_t)lvl;
			a->repeat = (uint16_t)rep;
			a = ok_attempt();
			a->level = (uint16_t)lvl;
			a->repeat = (uint16_t)rep;
		}
	assert_int_equal(cd_rules_probe(&in, &fx.out), 0);
	for (i = 0; i < fx.out.n; i++)
		if (!strcmp(fx.out.v[i].def->code, "CD3007")) {
			found = 1;
			assert_float_equal(ev(&fx.out.v[i], "threshold", 0), 5,
					   1e-9);
			assert_float_equal(ev(&fx.out.v[i], "stable", 0), 1,
					   1e-9);
		}
	assert_true(found);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(healthy, setup, teardown),
		cmocka_unit_test_setup_teardown(syn_kernel_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(syn_retransmitted_success,
						setup, teardown),
		cmocka_unit_test_setup_teardown(half_open, setup, teardown),
		cmocka_unit_test_setup_teardown(resolver_serial, setup,
						teardown),
		cmocka_unit_test_setup_teardown(resolver_parallel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(compare_tcp_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(every_third, setup, teardown),
		cmocka_unit_test_setup_teardown(idle_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(packet_too_large, setup,
						teardown),
		cmocka_unit_test_setup_teardown(server_refusals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(sequence_out_of_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(login_never_judged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(login_errs_by_code, setup,
						teardown),
		cmocka_unit_test_setup_teardown(protocol_error_phases, setup,
						teardown),
		cmocka_unit_test_setup_teardown(partial_greeting, setup,
						teardown),
		cmocka_unit_test_setup_teardown(greeting_prefix, setup,
						teardown),
		cmocka_unit_test_setup_teardown(session_killed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(reply_over_client_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(statement_time_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ramp_threshold, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
