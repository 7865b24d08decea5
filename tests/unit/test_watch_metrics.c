/* test_watch_metrics.c - watch's per-target state fed hand-made attempts
 * and rendered as Prometheus text (values read back), and --listen
 * address parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "analysis/analysis.h"
#include "watch/watch.h"

static struct cd_attempt attempt(enum cd_outcome o, int64_t connect_ns,
				 int64_t greeting_ns)
{
	struct cd_attempt a;
	int p;

	memset(&a, 0, sizeof(a));
	for (p = 0; p < CD_PH__COUNT; p++)
		a.phase_ns[p] = -1;
	a.outcome = o;
	a.phase_ns[CD_PH_CONNECT] = connect_ns;
	a.phase_ns[CD_PH_GREETING] = greeting_ns;
	return a;
}

/* The value of the line starting with prefix (exactly one such line). */
static double line_value(const char *text, const char *prefix)
{
	const char *p = strstr(text, prefix), *q;

	assert_non_null(p);
	assert_true(p == text || p[-1] == '\n');
	q = strstr(p + 1, prefix);
	while (q && q[-1] != '\n')
		q = strstr(q + 1, prefix);
	assert_null(q);
	return strtod(p + strlen(prefix), NULL);
}

static void render_counts(void **state)
{
	struct watch_config c;
	struct watch_target t;
	struct watch_state st;
	struct cd_host_facts f;
	struct cd_attempt a;
	static char *buf;
	static size_t len;
	FILE *fp;
	char err[256], *text;

	(void)state;
	watch_config_init(&c);
	memset(&t, 0, sizeof(t));
	assert_int_equal(watch_target_set(&t, "host", "db", err, sizeof(err)),
			 0);
	assert_int_equal(watch_target_set(&t, "user", "u", err, sizeof(err)),
			 0);
	assert_int_equal(
		watch_target_set(&t, "label.env", "p\"q", err, sizeof(err)), 0);
	snprintf(t.name, sizeof(t.name), "db1");
	assert_int_equal(watch_config_add(&c, &t), 0);
	assert_int_equal(watch_config_finish(&c, err, sizeof(err)), 0);
	cd_host_facts_init(&f);
	f.syn_retries = 6;
	f.syn_linear_timeouts = 0;
	assert_int_equal(watch_state_init(&st, &c, &f), 0);

	a = attempt(CD_OK, 200000, 1000000);
	watch_state_record(&st, 0, CD_TCP, &a);
	/* A SYN retransmitted once: connect took 1.02 s. */
	a = attempt(CD_OK, 1020000000, 1000000);
	watch_state_record(&st, 0, CD_TCP, &a);
	a = attempt(CD_GREETING_TIMEOUT, 300000, 10000000000);
	watch_state_record(&st, 0, CD_TCP, &a);

	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	watch_state_render(fp, &st, 0);
	assert_int_equal(fclose(fp), 0);
	text = strdup(buf);
	free(buf);
	buf = NULL;
	assert_non_null(text);

	assert_true(line_value(text, "conndoctor_attempts_total{target=\"db1\","
				     "env=\"p\\\"q\",transport=\"tcp\","
				     "outcome=\"ok\"} ") == 2);
	assert_true(line_value(text, "conndoctor_attempts_total{target=\"db1\","
				     "env=\"p\\\"q\",transport=\"tcp\","
				     "outcome=\"greeting_timeout\"} ") == 1);
	assert_true(line_value(text, "conndoctor_attempts_total{target=\"db1\","
				     "env=\"p\\\"q\",transport=\"tcp\","
				     "outcome=\"refused\"} ") == 0);
	/* The last attempt failed. */
	assert_true(line_value(text,
			       "conndoctor_up{target=\"db1\",env=\"p\\\"q\","
			       "transport=\"tcp\"} ") == 0);
	/* Connect: two below 1 ms, one in the (1, 1.1] bucket. */
	assert_true(line_value(text,
			       "conndoctor_phase_duration_seconds_bucket{"
			       "target=\"db1\",env=\"p\\\"q\",transport="
			       "\"tcp\",phase=\"connect\",le=\"0.001\"} ") ==
		    2);
	assert_true(line_value(text,
			       "conndoctor_phase_duration_seconds_bucket{"
			       "target=\"db1\",env=\"p\\\"q\",transport="
			       "\"tcp\",phase=\"connect\",le=\"1\"} ") == 2);
	assert_true(line_value(text,
			       "conndoctor_phase_duration_seconds_bucket{"
			       "target=\"db1\",env=\"p\\\"q\",transport="
			       "\"tcp\",phase=\"connect\",le=\"1.1\"} ") == 3);
	/* The greeting timeout counted at 10 s: in (5.5, 10], the
	 * resolver's rungs (greeting has no SYN edges such as 7.7). */
	assert_true(line_value(text,
			       "conndoctor_phase_duration_seconds_bucket{"
			       "target=\"db1\",env=\"p\\\"q\",transport="
			       "\"tcp\",phase=\"greeting\",le=\"5.5\"} ") == 2);
	assert_null(strstr(text, "phase=\"greeting\",le=\"7.7\""));
	assert_non_null(strstr(text, "phase=\"connect\",le=\"7.7\""));
	/* The sum to the nanosecond: 0.0002 + 1.02 + 0.0003 s. */
	assert_true(line_value(text, "conndoctor_phase_duration_seconds_sum{"
				     "target=\"db1\",env=\"p\\\"q\",transport="
				     "\"tcp\",phase=\"connect\"} ") == 1.0205);
	assert_true(line_value(text,
			       "conndoctor_phase_duration_seconds_bucket{"
			       "target=\"db1\",env=\"p\\\"q\",transport="
			       "\"tcp\",phase=\"greeting\",le=\"10\"} ") == 3);
	/* No attempt reached auth or resolve: no series of them yet. */
	assert_null(strstr(text, "phase=\"auth\""));
	assert_null(strstr(text, "phase=\"resolve\""));
	/* No socket series for a TCP-only target, no idle phase. */
	assert_null(strstr(text, "transport=\"socket\""));
	assert_null(strstr(text, "phase=\"idle\""));
	assert_non_null(strstr(text,
			       "\nconndoctor_build_info{version=\"" CD_VERSION
			       "\"} 1\n"));
	free(text);
	watch_state_free(&st);
	watch_config_free(&c);
}

/* Renders st into a malloc'd string. */
static char *render_text(const struct watch_state *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	watch_state_render(fp, st, 0);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

#define DB1 "{target=\"db1\",transport=\"tcp\","

/* A server ERR's code gets a series of its own beside the outcome's; a
 * finding renders with its severity; a reload's carry keeps the counts and
 * reads the new state's bucket edges. */
static void codes_findings_carry(void **state)
{
	struct watch_config c;
	struct watch_target t;
	struct watch_state st, st2;
	struct cd_host_facts f;
	struct cd_attempt a;
	char err[256], *text;

	(void)state;
	watch_config_init(&c);
	memset(&t, 0, sizeof(t));
	assert_int_equal(watch_target_set(&t, "host", "db", err, sizeof(err)),
			 0);
	assert_int_equal(watch_target_set(&t, "user", "u", err, sizeof(err)),
			 0);
	snprintf(t.name, sizeof(t.name), "db1");
	assert_int_equal(watch_config_add(&c, &t), 0);
	assert_int_equal(watch_config_finish(&c, err, sizeof(err)), 0);
	cd_host_facts_init(&f);
	assert_int_equal(watch_state_init(&st, &c, &f), 0);

	a = attempt(CD_AUTH_FAILED, 200000, 1000000);
	a.mysql_code = 1045;
	watch_state_record(&st, 0, CD_TCP, &a);
	watch_state_record(&st, 0, CD_TCP, &a);
	a.outcome = CD_SERVER_REFUSED;
	a.mysql_code = 1040;
	watch_state_record(&st, 0, CD_TCP, &a);
	a = attempt(CD_AUTH_FAILED, 200000, 1000000); /* no code */
	watch_state_record(&st, 0, CD_TCP, &a);
	watch_state_skipped(&st, 0, CD_TCP);
	snprintf(st.findings[0].v[0].code, sizeof(st.findings[0].v[0].code),
		 "CD6001");
	st.findings[0].v[0].severity = 2;
	st.findings[0].n = 1;

	text = render_text(&st);
	assert_true(line_value(text, "conndoctor_attempts_total" DB1
				     "outcome=\"auth_failed\"} ") == 1);
	assert_true(line_value(text,
			       "conndoctor_attempts_total" DB1
			       "outcome=\"auth_failed\",code=\"1045\"} ") == 2);
	assert_true(line_value(text,
			       "conndoctor_attempts_total" DB1
			       "outcome=\"server_refused\",code=\"1040\"} ") ==
		    1);
	assert_true(line_value(text, "conndoctor_attempts_skipped_total{target="
				     "\"db1\",transport=\"tcp\"} ") == 1);
	assert_non_null(
		strstr(text, "\nconndoctor_config_last_reload_successful 1\n"));
	free(text);

	/* The carry: counts kept, histograms on st2's own edges. */
	assert_int_equal(watch_state_init(&st2, &c, &f), 0);
	watch_state_carry(&st2, 0, &st, 0);
	watch_state_free(&st);
	assert_ptr_equal(st2.series[0][0].phase[CD_PH_CONNECT].edges,
			 st2.edges[CD_PH_CONNECT]);
	text = render_text(&st2);
	assert_true(line_value(text,
			       "conndoctor_attempts_total" DB1
			       "outcome=\"auth_failed\",code=\"1045\"} ") == 2);
	assert_true(line_value(text,
			       "conndoctor_phase_duration_seconds_count" DB1
			       "phase=\"connect\"} ") == 4);
	free(text);
	watch_state_free(&st2);
	watch_config_free(&c);
}

static void listen_addresses(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;

	(void)state;
	assert_int_equal(watch_parse_listen("127.0.0.1:9979", &ss, &len), 0);
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 9979);
	assert_int_equal(ntohl(in->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(len, sizeof(*in));
	assert_int_equal(watch_parse_listen("[::1]:80", &ss, &len), 0);
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 80);
	assert_int_equal(in6->sin6_addr.s6_addr[15], 1);
	assert_int_equal(watch_parse_listen("::1:80", &ss, &len), 0);
	assert_int_equal(watch_parse_listen("localhost:80", &ss, &len), -1);
	assert_int_equal(watch_parse_listen("127.0.0.1", &ss, &len), -1);
	assert_int_equal(watch_parse_listen("127.0.0.1:", &ss, &len), -1);
	assert_int_equal(watch_parse_listen("127.0.0.1:0", &ss, &len), -1);
	assert_int_equal(watch_parse_listen("127.0.0.1:65536", &ss, &len), -1);
	assert_int_equal(watch_parse_listen("127.0.0.1:+80", &ss, &len), -1);
	assert_int_equal(watch_parse_listen(":80", &ss, &len), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render_counts),
		cmocka_unit_test(codes_findings_carry),
		cmocka_unit_test(listen_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
