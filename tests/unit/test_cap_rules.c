/* test_cap_rules.c - the capture's rules (capture/rules.c) over hand-made
 * connection records, and the aggregation of findings over a capture. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/analysis.h"
#include "capture/capture.h"

#define SEC 1000000LL
#define T0  (1700000000LL * SEC)

/* A healthy, closed session: handshake, greeting, login, a few commands,
 * COM_QUIT, client FIN. */
static void healthy(struct cap_conn *c, uint64_t id)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->client.family = c->server.family = 4;
	c->server.port = 3306;
	c->client.port = 40000;
	c->first_us = T0;
	c->syn.n = 1;
	c->syn.at_us[0] = T0;
	c->synack.n = 1;
	c->synack.at_us[0] = T0 + 50;
	c->hs_ack_us = T0 + 100;
	c->established = 1;
	c->my.greeting_us = T0 + 300;
	c->my.login = CAP_LOGIN_OK;
	c->my.login_us = T0 + 400;
	c->my.auth_us = T0 + 500;
	c->my.state = CAP_MY_QUIT;
	c->my.quit = 1;
	c->my.quit_us = T0 + 900;
	c->my.commands = 3;
	c->my.last_cmd_end_us = T0 + 800;
	strcpy(c->my.user, "app");
	c->closer = CAP_C2S;
	c->close_how = CAP_CLOSE_FIN;
	c->close_us = T0 + 1000;
	c->close_state = CAP_MY_QUIT;
	c->last_us = T0 + 1100;
}

static const struct cd_finding *find(const struct cd_findings *f,
				     const char *code)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].def->code, code))
			return &f->v[i];
	return NULL;
}

static double num(const struct cd_finding *f, const char *key, unsigned i)
{
	unsigned k;

	for (k = 0; k < f->nev; k++)
		if (!strcmp(f->ev[k].key, key)) {
			assert_true(i < f->ev[k].n);
			return f->ev[k].v[i];
		}
	fail_msg("no %s in %s", key, f->def->code);
	return 0;
}

static void test_healthy_is_quiet(void **state)
{
	struct cap_conn c;
	struct cd_findings f;

	(void)state;
	healthy(&c, 1);
	cd_findings_init(&f);
	assert_int_equal(cap_rules_conn(&c, &f), 0);
	assert_int_equal(f.n, 0);
	cd_findings_free(&f);
}

/* 5 s from handshake to greeting: one resolver timeout. */
static void test_slow_greeting(void **state)
{
	struct cap_conn c;
	struct cd_findings f;
	const struct cd_finding *x;

	(void)state;
	healthy(&c, 1);
	c.my.greeting_us = c.hs_ack_us + 5 * SEC + 20000;
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	x = find(&f, "CD3030");
	assert_non_null(x);
	assert_int_equal(x->severity, CD_SEV_WARNING);
	assert_float_equal(num(x, "greeting_s", 0), 5.02, 1e-6);
	assert_float_equal(num(x, "resolver_timeouts", 0), 1, 0);
	cd_findings_free(&f);

	c.my.greeting_us = c.hs_ack_us + 1500000;
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	assert_float_equal(num(find(&f, "CD3030"), "resolver_timeouts", 0), 0,
			   0);
	cd_findings_free(&f);
}

/* Connected, no greeting, the server closed after 0.2 s. */
static void test_no_greeting(void **state)
{
	struct cap_conn c;
	struct cd_findings f;
	const struct cd_finding *x;

	(void)state;
	healthy(&c, 1);
	memset(&c.my, 0, sizeof(c.my));
	c.my.state = CAP_MY_GREETING;
	c.closer = CAP_S2C;
	c.close_us = c.hs_ack_us + 200000;
	c.close_state = CAP_MY_GREETING;
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	x = find(&f, "CD3031");
	assert_non_null(x);
	assert_int_equal(x->severity, CD_SEV_CRITICAL);
	assert_float_equal(num(x, "waited_s", 0), 0.2, 1e-6);
	assert_float_equal(num(x, "closed_by", 0), CAP_S2C, 0);
	cd_findings_free(&f);
	/* the client hanging up at once is no finding */
	c.closer = CAP_C2S;
	c.close_us = c.hs_ack_us + 1000;
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	assert_null(find(&f, "CD3031"));
	cd_findings_free(&f);
}

/* The server cuts an idle session; the client writes 2 s later. */
static void test_idle_close(void **state)
{
	struct cap_conn c;
	struct cd_findings f;
	const struct cd_finding *x;

	(void)state;
	healthy(&c, 1);
	c.my.quit = 0;
	c.my.state = CAP_MY_RESPONSE;
	c.closer = CAP_S2C;
	c.close_us = c.my.last_cmd_end_us + 8 * SEC;
	c.close_state = CAP_MY_READY;
	c.my.pending = 1;
	c.my.pending_cmd = 3;
	c.my.pending_us = c.close_us + 2 * SEC;
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	x = find(&f, "CD3029");
	assert_non_null(x);
	assert_float_equal(num(x, "idle_s", 0), 8.0, 1e-6);
	assert_float_equal(num(x, "client_wrote_after", 0), 2.0, 1e-6);
	/* not "gone away during a command": it was sent after the close */
	assert_null(find(&f, "CD8017"));
	cd_findings_free(&f);
}

/* A command outstanding when the server closed. */
static void test_gone_away(void **state)
{
	struct cap_conn c;
	struct cd_findings f;
	const struct cd_finding *x;

	(void)state;
	healthy(&c, 1);
	c.my.quit = 0;
	c.my.state = CAP_MY_RESPONSE;
	c.my.pending = 1;
	c.my.pending_cmd = 3;
	strcpy(c.my.pending_arg, "SELECT SLEEP(10)");
	c.my.pending_us = T0 + SEC;
	c.closer = CAP_S2C;
	c.close_how = CAP_CLOSE_RST;
	c.close_us = T0 + 4 * SEC;
	c.close_state = CAP_MY_RESPONSE;
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	x = find(&f, "CD8017");
	assert_non_null(x);
	assert_int_equal(x->severity, CD_SEV_CRITICAL);
	assert_float_equal(num(x, "waited_s", 0), 3.0, 1e-6);
	assert_non_null(strstr(x->summary, "SELECT SLEEP(10)"));
	assert_null(find(&f, "CD3028")); /* the command explains the RST */
	cd_findings_free(&f);
}

/* CD8017 names the server's own timeouts from the capture: a LOAD DATA
 * LOCAL file the client stopped sending (net_read_timeout), a result the
 * client stopped reading (its window 0 to the end: net_write_timeout). */
static void test_no_answer_timeouts(void **state)
{
	struct cap_conn c;
	struct cd_findings f;
	const struct cd_finding *x;

	(void)state;
	healthy(&c, 1);
	c.my.quit = 0;
	c.my.state = CAP_MY_RESPONSE;
	c.my.pending = 1;
	c.my.pending_cmd = 3;
	strcpy(c.my.pending_arg, "LOAD DATA LOCAL INFILE 'f' INTO TABLE t");
	c.my.pending_us = T0 + SEC;
	c.my.local_infile_us = T0 + SEC + 1000;
	c.dir[CAP_C2S].last_data_us = T0 + SEC + 5000;
	c.closer = CAP_S2C;
	c.close_how = CAP_CLOSE_RST;
	c.close_us = T0 + 5 * SEC + 5000;
	c.close_state = CAP_MY_RESPONSE;
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	x = find(&f, "CD8017");
	assert_non_null(x);
	assert_float_equal(num(x, "client_silent_s", 0), 4.0, 1e-6);
	assert_non_null(strstr(x->summary, "net_read_timeout"));
	assert_non_null(strstr(x->evidence, "last bytes came at +1.005 s"));
	cd_findings_free(&f);

	/* the client's window closed 0.1 s after the query, to the end */
	c.my.local_infile_us = 0;
	strcpy(c.my.pending_arg, "SELECT big FROM t");
	c.dir[CAP_C2S].zero_windows = 1;
	c.dir[CAP_C2S].zero_win_at_us = T0 + SEC + 100000;
	c.dir[CAP_C2S].zero_win_us = 2 * SEC - 100000;
	c.close_us = T0 + 3 * SEC;
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	x = find(&f, "CD8017");
	assert_float_equal(num(x, "zero_window_s", 0), 1.9, 1e-6);
	assert_non_null(strstr(x->summary, "net_write_timeout"));
	cd_findings_free(&f);

	/* a window that opened again long before the end is no such stall;
	 * nor a close by the client */
	c.dir[CAP_C2S].zero_win_us = SEC / 2;
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	x = find(&f, "CD8017");
	assert_null(strstr(x->summary, "net_write_timeout"));
	cd_findings_free(&f);
	c.dir[CAP_C2S].zero_win_us = 2 * SEC - 100000;
	c.closer = CAP_C2S;
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	x = find(&f, "CD8017");
	assert_null(strstr(x->summary, "net_write_timeout"));
	cd_findings_free(&f);
}

/* A segment resent at 0.2, 0.6, 1.4 s after its first send. */
static void test_retrans_doubling(void **state)
{
	static const int64_t at[] = {0, 200000, 600000, 1400000};
	struct cap_conn c;
	struct cd_findings f;
	const struct cd_finding *x;
	unsigned i;

	(void)state;
	healthy(&c, 1);
	c.dir[CAP_S2C].retrans = 3;
	c.dir[CAP_S2C].rtx.n = 4;
	for (i = 0; i < 4; i++)
		c.dir[CAP_S2C].rtx.at_us[i] = T0 + SEC + at[i];
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	x = find(&f, "CD3025");
	assert_non_null(x);
	assert_int_equal(x->severity, CD_SEV_WARNING);
	assert_float_equal(num(x, "worst_by", 0), CAP_S2C, 0);
	assert_float_equal(num(x, "intervals_s", 0), 0.2, 1e-6);
	assert_float_equal(num(x, "intervals_s", 1), 0.4, 1e-6);
	assert_float_equal(num(x, "intervals_s", 2), 0.8, 1e-6);
	assert_non_null(strstr(x->evidence, "doubling"));
	cd_findings_free(&f);
}

/* A SYN never answered, resent on the kernel's schedule with
 * tcp_syn_linear_timeouts=4 (lab notes: 0..5, 7, 11.3 s); `probe`'s model
 * of the same settings names its shape. */
static void syn_unanswered(struct cap_conn *c, const double *at_s, unsigned n)
{
	unsigned i;

	healthy(c, 1);
	memset(&c->my, 0, sizeof(c->my));
	c->synack.n = 0;
	c->hs_ack_us = 0;
	c->established = 0;
	c->syn.n = n;
	for (i = 0; i < n; i++)
		c->syn.at_us[i] = T0 + (int64_t)(at_s[i] * SEC);
	c->closer = -1;
	c->close_us = 0;
	c->last_us = c->syn.at_us[n - 1] + 8 * SEC;
}

static void test_syn_ladder_linear(void **state)
{
	static const double at[] = {0, 1, 2, 3, 4, 5, 7, 11.3};
	struct cd_syn_schedule s;
	struct cap_conn c;
	struct cd_findings f;
	const struct cd_finding *x;
	unsigned i;

	(void)state;
	syn_unanswered(&c, at, 8);
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	x = find(&f, "CD3021");
	assert_non_null(x);
	assert_non_null(strstr(x->evidence, "(linear then doubling)"));
	/* the times are the model's for retries=3, linear=4 */
	cd_syn_schedule_of(3, 4, 1.0, 0, &s);
	assert_int_equal(s.nsyn, 8);
	for (i = 0; i < s.nsyn; i++)
		assert_float_equal(num(x, "syn_at_s", i), s.syn_at_s[i], 0.31);
	cd_findings_free(&f);
}

/* Intervals that double and then stay: the kernel never backs off so.
 * (The private classifier pcap had before called this "linear then
 * doubling", counting each interval as whichever fitted.) */
static void test_syn_ladder_irregular(void **state)
{
	static const double at[] = {0, 1, 3, 4};
	struct cap_conn c;
	struct cd_findings f;
	const struct cd_finding *x;

	(void)state;
	syn_unanswered(&c, at, 4);
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	x = find(&f, "CD3021");
	assert_non_null(x);
	assert_non_null(strstr(x->evidence, "(irregular)"));
	cd_findings_free(&f);
}

/* SYN-ACKs sent while the client keeps resending its SYN. */
static void test_synack_lost(void **state)
{
	struct cap_conn c;
	struct cd_findings f;
	const struct cd_finding *x;

	(void)state;
	healthy(&c, 1);
	memset(&c.my, 0, sizeof(c.my));
	c.hs_ack_us = 0;
	c.established = 0;
	c.syn.n = 3;
	c.syn.at_us[1] = T0 + SEC;
	c.syn.at_us[2] = T0 + 2 * SEC;
	c.synack.n = 3;
	c.synack.at_us[1] = T0 + SEC + 50;
	c.synack.at_us[2] = T0 + 2 * SEC + 50;
	c.syn_after_synack = 2;
	c.closer = -1;
	c.close_us = 0;
	c.ended_by_capture = 1;
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	x = find(&f, "CD3023");
	assert_non_null(x);
	assert_int_equal(x->severity, CD_SEV_CRITICAL);
	assert_float_equal(num(x, "syn_after_synack", 0), 2, 0);
	assert_float_equal(num(x, "synack_at_s", 2), 2.00005, 1e-6);
	assert_null(find(&f, "CD3020"));
	assert_null(find(&f, "CD3021"));
	cd_findings_free(&f);
}

static void test_login_and_refusal(void **state)
{
	struct cap_conn c;
	struct cd_findings f;

	(void)state;
	healthy(&c, 1);
	c.my.login = CAP_LOGIN_FAILED;
	c.my.err.code = 1045;
	strcpy(c.my.err.message, "Access denied");
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	assert_float_equal(num(find(&f, "CD8016"), "error_code", 0), 1045, 0);
	cd_findings_free(&f);

	healthy(&c, 2);
	c.my.greeting_us = 0;
	c.my.refused = 1;
	c.my.err.code = 1040;
	c.my.err.at_us = c.hs_ack_us + 100;
	cd_findings_init(&f);
	cap_rules_conn(&c, &f);
	assert_float_equal(num(find(&f, "CD8015"), "error_code", 0), 1040, 0);
	cd_findings_free(&f);
}

/* Findings of several connections become one per code. */
static void test_aggregate(void **state)
{
	struct cap_conn c;
	struct cd_findings f, all;
	struct cap_agg a;
	const struct cd_finding *x;
	uint64_t id;

	(void)state;
	cap_agg_init(&a);
	for (id = 1; id <= 14; id++) {
		healthy(&c, id);
		if (id % 2) { /* odd ones: an idle cut */
			c.my.quit = 0;
			c.closer = CAP_S2C;
			c.close_state = CAP_MY_READY;
		} else if (id == 4) {
			c.my.login = CAP_LOGIN_FAILED;
		}
		cd_findings_init(&f);
		cap_rules_conn(&c, &f);
		assert_int_equal(cap_agg_add(&a, &c, &f), 0);
		cd_findings_free(&f);
	}
	cd_findings_init(&all);
	assert_int_equal(cap_agg_findings(&a, &all), 0);
	assert_int_equal(all.n, 2);
	x = find(&all, "CD3029");
	assert_non_null(x);
	assert_float_equal(num(x, "connections", 0), 7, 0);
	assert_float_equal(num(x, "conn_ids", 0), 1, 0);
	assert_float_equal(num(x, "conn_ids", 6), 13, 0);
	assert_non_null(strstr(x->summary, "7 connections (#1, #3"));
	x = find(&all, "CD8016");
	assert_float_equal(num(x, "connections", 0), 1, 0);
	assert_string_equal(all.v[0].def->code, "CD3029"); /* by severity */
	cd_findings_free(&all);
	cap_agg_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy_is_quiet),
		cmocka_unit_test(test_no_answer_timeouts),
		cmocka_unit_test(test_slow_greeting),
		cmocka_unit_test(test_no_greeting),
		cmocka_unit_test(test_idle_close),
		cmocka_unit_test(test_gone_away),
		cmocka_unit_test(test_retrans_doubling),
		cmocka_unit_test(test_syn_ladder_linear),
		cmocka_unit_test(test_syn_ladder_irregular),
		cmocka_unit_test(test_synack_lost),
		cmocka_unit_test(test_login_and_refusal),
		cmocka_unit_test(test_aggregate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
