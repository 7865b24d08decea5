/* test_watch_prom.c - the Prometheus text writer (escaping, number format,
 * histograms read back line by line) and the bucket edges built from host
 * facts (SYN schedules classic and linear, resolver ladders). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/analysis.h"
#include "report/prom.h"
#include "watch/watch.h"

/* Runs the writer calls of fn into a string (caller frees). */
static char *capture(void (*fn)(FILE *out))
{
	static char *buf;
	static size_t len;
	FILE *fp = open_memstream(&buf, &len);
	char *copy;

	assert_non_null(fp);
	fn(fp);
	assert_int_equal(fclose(fp), 0);
	copy = strdup(buf);
	free(buf);
	buf = NULL;
	assert_non_null(copy);
	return copy;
}

static void write_escaped(FILE *out)
{
	const struct rpt_prom_label l[] = {{"target", "a\\b\"c\nd"},
					   {"env", "prod"}};

	rpt_prom_family(out, "conndoctor_up", "gauge",
			"1 when \\ the last\nattempt logged in");
	rpt_prom_sample(out, "conndoctor_up", l, 2, NULL, NULL, 1);
	rpt_prom_sample(out, "conndoctor_x", NULL, 0, NULL, NULL, 0.1);
	rpt_prom_sample(out, "conndoctor_x", NULL, 0, "k", "v", 1.0 / 3.0);
}

static void escaping(void **state)
{
	char *s = capture(write_escaped);

	(void)state;
	assert_string_equal(
		s, "# HELP conndoctor_up 1 when \\\\ the last\\nattempt logged "
		   "in\n"
		   "# TYPE conndoctor_up gauge\n"
		   "conndoctor_up{target=\"a\\\\b\\\"c\\nd\",env=\"prod\"} 1\n"
		   "conndoctor_x 0.1\n"
		   "conndoctor_x{k=\"v\"} 0.33333333333333331\n");
	free(s);
}

static void numbers(void **state)
{
	char b[32];

	(void)state;
	rpt_prom_format(3, b, sizeof(b));
	assert_string_equal(b, "3");
	rpt_prom_format(0.0025, b, sizeof(b));
	assert_string_equal(b, "0.0025");
	rpt_prom_format(1e300 * 1e300, b, sizeof(b));
	assert_string_equal(b, "+Inf");
	rpt_prom_format(-1e300 * 1e300, b, sizeof(b));
	assert_string_equal(b, "-Inf");
	rpt_prom_format(strtod("nan", NULL), b, sizeof(b));
	assert_string_equal(b, "NaN");
	rpt_prom_format(18446744073709551615.0, b, sizeof(b));
	assert_float_equal(strtod(b, NULL), 18446744073709551615.0, 0);
}

static const double edges[] = {0.01, 0.1, 1, 1.1};

static void write_hist(FILE *out)
{
	const struct rpt_prom_label l[] = {{"target", "db1"},
					   {"phase", "connect"}};
	struct rpt_prom_hist h;

	rpt_prom_hist_init(&h, edges, 4);
	rpt_prom_hist_observe(&h, 0.004);
	rpt_prom_hist_observe(&h, 0.01); /* on an edge: that bucket */
	rpt_prom_hist_observe(&h, 1.02);
	rpt_prom_hist_observe(&h, 3.1);
	rpt_prom_family(out, "conndoctor_phase_duration_seconds", "histogram",
			"h");
	rpt_prom_histogram(out, "conndoctor_phase_duration_seconds", l, 2, &h);
}

/* Reads back "name{...le="E"} V" lines: the value of the bucket le. */
static double bucket(const char *text, const char *le)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "le=\"%s\"} ", le);
	p = strstr(text, want);
	assert_non_null(p);
	return strtod(p + strlen(want), NULL);
}

static void histogram(void **state)
{
	char *s = capture(write_hist);
	const char *p;
	unsigned lines = 0;

	(void)state;
	assert_float_equal(bucket(s, "0.01"), 2, 0);
	assert_float_equal(bucket(s, "0.1"), 2, 0);
	assert_float_equal(bucket(s, "1"), 2, 0);
	assert_float_equal(bucket(s, "1.1"), 3, 0);
	assert_float_equal(bucket(s, "+Inf"), 4, 0);
	p = strstr(s, "conndoctor_phase_duration_seconds_sum{target=\"db1\","
		      "phase=\"connect\"} ");
	assert_non_null(p);
	assert_float_equal(strtod(strchr(p, ' ') + 1, NULL), 4.134, 1e-9);
	assert_non_null(strstr(s, "conndoctor_phase_duration_seconds_count{"
				  "target=\"db1\",phase=\"connect\"} 4\n"));
	assert_non_null(strstr(s, "conndoctor_phase_duration_seconds_bucket{"
				  "target=\"db1\",phase=\"connect\",le=\"0."
				  "01\"} 2\n"));
	for (p = s; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines,
			 2 + 5 + 2); /* HELP, TYPE, buckets, sum, count */
	free(s);
}

static void assert_edges(const double *got, size_t n, const double *want,
			 size_t nwant)
{
	size_t i;

	assert_int_equal(n, nwant);
	for (i = 0; i < n; i++)
		assert_float_equal(got[i], want[i], 1e-9);
}

static void buckets_classic(void **state)
{
	struct cd_host_facts f;
	double e[RPT_PROM_EDGES_MAX];
	size_t n;
	/* Connect: the SYN schedule 1, 3, 7, 15, 31, 63 s. */
	const double connect[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				  0.05,	  0.1,	 0.25,	 0.5,	1,    1.1,
				  3,	  3.3,	 7,	 7.7,	15,   16.5,
				  31,	  34.1,	 63,	 69.3};
	/* Resolve and greeting: the resolver's 5 s x 2 attempts. */
	const double resolve[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
				  0.025,  0.05,	 0.1,	 0.25,	0.5,
				  1,	  5,	 5.5,	 10,	11};
	/* The others: fine and coarse. */
	const double other[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				0.1,	0.25,  0.5,    1,     2.5,  5,	   10};

	(void)state;
	cd_host_facts_init(&f);
	f.syn_retries = 6;
	f.syn_linear_timeouts = 0;
	n = watch_buckets_of(&f, CD_PH_CONNECT, e, RPT_PROM_EDGES_MAX);
	assert_edges(e, n, connect, sizeof(connect) / sizeof(connect[0]));
	n = watch_buckets_of(&f, CD_PH_RESOLVE, e, RPT_PROM_EDGES_MAX);
	assert_edges(e, n, resolve, sizeof(resolve) / sizeof(resolve[0]));
	n = watch_buckets_of(&f, CD_PH_GREETING, e, RPT_PROM_EDGES_MAX);
	assert_edges(e, n, resolve, sizeof(resolve) / sizeof(resolve[0]));
	n = watch_buckets_of(&f, CD_PH_AUTH, e, RPT_PROM_EDGES_MAX);
	assert_edges(e, n, other, sizeof(other) / sizeof(other[0]));
	n = watch_buckets_of(&f, CD_PH_QUERY, e, RPT_PROM_EDGES_MAX);
	assert_edges(e, n, other, sizeof(other) / sizeof(other[0]));
}

static int has_edge(const double *e, size_t n, double want)
{
	size_t j;

	for (j = 0; j < n; j++)
		if (e[j] > want - 1e-9 && e[j] < want + 1e-9)
			return 1;
	return 0;
}

static void buckets_linear_and_resolver(void **state)
{
	struct cd_host_facts f;
	double e[RPT_PROM_EDGES_MAX];
	size_t n;
	/* Linear 4 then doubling: SYNs at 1, 2, 3, 4, then 6 after a 2 s
	 * RTO ... with two retries past the linear ones; a resolver of 2
	 * servers x 1 attempt x 3 s: rungs 3 and 6. */
	struct cd_syn_schedule s;
	double want[64];
	size_t nw = 0, i;

	(void)state;
	cd_host_facts_init(&f);
	f.syn_retries = 2;
	f.syn_linear_timeouts = 4;
	f.resolv_timeout_s = 3;
	f.resolv_attempts = 1;
	f.resolv_nameservers = 2;
	cd_syn_schedule_of(2, 4, 1.0, -1, &s);
	assert_true(s.nsyn > 4);
	assert_float_equal(s.syn_at_s[1], 1, 1e-9);
	assert_float_equal(s.syn_at_s[2], 2, 1e-9);
	assert_float_equal(s.syn_at_s[3], 3, 1e-9);
	assert_float_equal(s.syn_at_s[4], 4, 1e-9);
	n = watch_buckets_of(&f, CD_PH_CONNECT, e, RPT_PROM_EDGES_MAX);
	/* Ascending and unique; each SYN time is a connect edge with its
	 * "past" edge beside it. */
	for (i = 1; i < n; i++)
		assert_true(e[i] > e[i - 1]);
	for (i = 1; i < s.nsyn; i++) {
		want[nw++] = s.syn_at_s[i];
		want[nw++] =
			s.syn_at_s[i] +
			(s.syn_at_s[i] * 0.1 < 0.1 ? 0.1 : s.syn_at_s[i] * 0.1);
	}
	for (i = 0; i < nw; i++)
		assert_true(has_edge(e, n, want[i]));
	/* No resolver rung among connect's edges, ... */
	assert_false(has_edge(e, n, 6.6));
	/* ... but both rungs (3, 6) with their pairs among resolve's, and
	 * no SYN edge there. */
	n = watch_buckets_of(&f, CD_PH_RESOLVE, e, RPT_PROM_EDGES_MAX);
	for (i = 1; i < n; i++)
		assert_true(e[i] > e[i - 1]);
	assert_true(has_edge(e, n, 3) && has_edge(e, n, 3.3));
	assert_true(has_edge(e, n, 6) && has_edge(e, n, 6.6));
	assert_false(has_edge(e, n, 2) || has_edge(e, n, 4));
	assert_float_equal(e[0], 0.0005, 0);
	/* Capped at max. */
	assert_int_equal(watch_buckets_of(&f, CD_PH_CONNECT, e, 5), 5);
	assert_float_equal(e[4], 0.01, 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escaping),
		cmocka_unit_test(numbers),
		cmocka_unit_test(histogram),
		cmocka_unit_test(buckets_classic),
		cmocka_unit_test(buckets_linear_and_resolver),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
