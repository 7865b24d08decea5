/* test_analysis.c - the pure analysis functions against hand-made values:
 * the SYN schedule against shared/lab-notes.md's measurements, percentiles,
 * every-Nth, bursts, ladders of timeouts and the ramp threshold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "findings/findings.h"

static void expect_schedule(int retries, int linear, const double *syn,
			    unsigned nsyn, double nominal, double expected,
			    double latest)
{
	struct cd_syn_schedule s;
	unsigned i;

	cd_syn_schedule_of(retries, linear, 1.0, 250, &s);
	assert_int_equal(s.nsyn, nsyn);
	for (i = 0; i < nsyn; i++)
		assert_float_equal(s.syn_at_s[i], syn[i], 1e-9);
	assert_float_equal(s.give_up_nominal_s, nominal, 1e-9);
	assert_float_equal(s.give_up_s, expected, 1e-9);
	assert_float_equal(s.give_up_max_s, latest, 1e-9);
	assert_int_equal(s.hz, 250);
}

/* lab-notes.md, kernel 6.18, tcp_syn_linear_timeouts=4: measured SYN times
 * 0,1,2 fail 3.1 (retries 1); 0..5 fail 7.1 (2); 0..5,7,11.3 fail 19.5 (3);
 * ... 19.6 fail 35.7 (4); ... 35.6, 69, fail ~134 (6). The expected and
 * latest give-up times at HZ=250 add each timer's wheel slack: a 1 s or
 * 2 s timer (250, 500 jiffies: level 1, 8 jiffies) 18 ms on average and
 * 32 ms at most, 4 s to 16 s (level 2, 64 jiffies) 130 and 256 ms, 32 s
 * and 64 s (level 3, 512 jiffies) 1.026 and 2.048 s; the values were
 * computed by tests/harness/kernel.py, written apart from ladder.c. */
static void syn_schedule_linear(void **state)
{
	static const double r1[] = {0, 1, 2};
	static const double r2[] = {0, 1, 2, 3, 4, 5};
	static const double r3[] = {0, 1, 2, 3, 4, 5, 7, 11};
	static const double r4[] = {0, 1, 2, 3, 4, 5, 7, 11, 19};
	static const double r6[] = {0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67};

	(void)state;
	expect_schedule(1, 4, r1, 3, 3, 3.054, 3.096);
	expect_schedule(2, 4, r2, 6, 7, 7.108, 7.192);
	expect_schedule(3, 4, r3, 8, 19, 19.368, 19.704);
	expect_schedule(4, 4, r4, 9, 35, 35.498, 35.96);
	expect_schedule(6, 4, r6, 11, 131, 133.55, 136.056);
}

/* The classic ladder: 0, 1, 3 fail 7 (retries 2); 1, 3, 7, 15, 31, 63,
 * fail 127 (retries 6), plus the wheel's slack. */
static void syn_schedule_classic(void **state)
{
	static const double r2[] = {0, 1, 3};
	static const double r6[] = {0, 1, 3, 7, 15, 31, 63};

	(void)state;
	expect_schedule(2, 0, r2, 3, 7, 7.166, 7.32);
	expect_schedule(6, 0, r6, 7, 127, 129.478, 131.928);
}

/* Another HZ moves the slack: at HZ=1000 a 1 s timer is 1000 jiffies
 * (level 2, 64 jiffies: 32.5 ms on average). An unknown HZ is 250. */
static void syn_schedule_hz(void **state)
{
	struct cd_syn_schedule s;

	(void)state;
	cd_syn_schedule_of(1, 4, 1.0, 1000, &s);
	assert_float_equal(s.give_up_s, 3.0975, 1e-9);
	assert_float_equal(s.give_up_max_s, 3.192, 1e-9);
	cd_syn_schedule_of(1, 4, 1.0, -1, &s);
	assert_int_equal(s.hz, CD_HZ_ASSUMED);
	assert_float_equal(s.give_up_s, 3.054, 1e-9);
}

/* CD3001's page quotes the function: every row of its give-up table (the
 * page as `explain` prints it) is what cd_syn_schedule_of computes. */
static void syn_schedule_page(void **state)
{
	const char *p = cd_finding_doc("CD3001");
	unsigned rows = 0;

	(void)state;
	assert_non_null(p);
	while ((p = strstr(p, "\n| ")) != NULL) {
		struct cd_syn_schedule s;
		int retries, linear, used = 0;
		const char *cell, *end;
		unsigned i;

		p += 3;
		if (sscanf(p, "%d | %d |%n", &retries, &linear, &used) != 2 ||
		    !used)
			continue;
		cd_syn_schedule_of(retries, linear, 1.0, 250, &s);
		cell = p + used; /* "0, 1, 2 | 3.1 |" */
		for (i = 0; i < s.nsyn; i++) {
			char *next;
			double at = strtod(cell, &next);

			assert_true(next != cell);
			assert_float_equal(at, s.syn_at_s[i], 1e-9);
			cell = next + strspn(next, ", ");
		}
		assert_true(*cell == '|'); /* no SYN more than the function */
		end = strchr(cell + 1, '|');
		assert_non_null(end);
		assert_float_equal(strtod(cell + 1, NULL), s.give_up_s, 0.051);
		rows++;
	}
	assert_true(rows >= 8);
}

static void syn_rung(void **state)
{
	struct cd_syn_schedule s;

	(void)state;
	cd_syn_schedule_of(6, 0, 1.0, 250, &s);
	assert_int_equal(cd_syn_rung(&s, 0.0002, 0.0001), 0);
	assert_int_equal(cd_syn_rung(&s, 1.001, 0.0001), 1);
	assert_int_equal(cd_syn_rung(&s, 3.02, 0.001), 2);
	assert_int_equal(cd_syn_rung(&s, 2.0, 0.001), 0); /* between rungs */
	assert_int_equal(cd_syn_rung(&s, 15.3, 0.05), 4);
}

/* Measured ladders read with the same model: the lab notes' SYN times
 * (linear_timeouts=4, retries 3: 0..5, 7, 11.3), the classic ladder, a
 * data segment's backoff from a 200 ms RTO, and shapes no setting of the
 * model gives. */
static void backoff_fit(void **state)
{
	static const double lab_r2[] = {0, 1.002, 2.004, 3.001, 4.003, 5.002};
	static const double lab_r3[] = {0, 1, 2, 3, 4, 5, 7, 11.3};
	static const double classic[] = {0, 1.004, 3.01, 7.02, 15.03};
	static const double data[] = {0, 0.2, 0.6, 1.4};
	static const double lin1[] = {0, 0.25, 0.5, 1.0, 2.0};
	static const double capped[] = {0, 30, 90, 210, 330};
	static const double dbl_then_lin[] = {0, 1, 3, 4};
	static const double jitter[] = {0, 1, 2.5, 3};
	static const double two[] = {0, 1};
	struct cd_backoff_fit f;

	(void)state;
	cd_backoff_fit_of(lab_r2, 6, &f);
	assert_int_equal(f.shape, CD_BACKOFF_LINEAR);
	assert_int_equal(f.linear, 4);
	assert_float_equal(f.rto_s, 1.002, 1e-9);
	cd_backoff_fit_of(lab_r3, 8, &f);
	assert_int_equal(f.shape, CD_BACKOFF_LINEAR_THEN_DOUBLING);
	assert_int_equal(f.linear, 4); /* tcp_syn_linear_timeouts' default */
	assert_string_equal(cd_backoff_name(f.shape), "linear then doubling");
	cd_backoff_fit_of(classic, 5, &f);
	assert_int_equal(f.shape, CD_BACKOFF_DOUBLING);
	assert_int_equal(f.linear, 0);
	cd_backoff_fit_of(data, 4, &f);
	assert_int_equal(f.shape, CD_BACKOFF_DOUBLING);
	assert_float_equal(f.rto_s, 0.2, 1e-9);
	cd_backoff_fit_of(lin1, 5, &f);
	assert_int_equal(f.shape, CD_BACKOFF_LINEAR_THEN_DOUBLING);
	assert_int_equal(f.linear, 1);
	/* the RTO stops doubling at 120 s */
	cd_backoff_fit_of(capped, 5, &f);
	assert_int_equal(f.shape, CD_BACKOFF_DOUBLING);
	/* doubling first, then linear: not how the kernel backs off */
	cd_backoff_fit_of(dbl_then_lin, 4, &f);
	assert_int_equal(f.shape, CD_BACKOFF_IRREGULAR);
	assert_int_equal(f.linear, -1);
	assert_string_equal(cd_backoff_name(f.shape), "irregular");
	cd_backoff_fit_of(jitter, 4, &f);
	assert_int_equal(f.shape, CD_BACKOFF_IRREGULAR);
	cd_backoff_fit_of(two, 2, &f);
	assert_int_equal(f.shape, CD_BACKOFF_SINGLE);
	assert_string_equal(cd_backoff_name(f.shape), "single");
}

/* The schedule a probe derives from the sysctls and the shape pcap reads
 * from a capture of it agree, whatever the settings. */
static void backoff_fit_of_schedule(void **state)
{
	struct cd_syn_schedule s;
	struct cd_backoff_fit f;
	int linear, retries;

	(void)state;
	for (retries = 2; retries <= 8; retries++)
		for (linear = 0; linear <= 6; linear++) {
			cd_syn_schedule_of(retries, linear, 1.0, 250, &s);
			cd_backoff_fit_of(s.syn_at_s, s.nsyn, &f);
			if (s.nsyn < 3)
				assert_int_equal(f.shape, CD_BACKOFF_SINGLE);
			else if (linear == 0)
				assert_int_equal(f.shape, CD_BACKOFF_DOUBLING);
			else if (f.shape == CD_BACKOFF_LINEAR)
				assert_true(f.linear <= linear);
			else
				assert_int_equal(f.linear, linear);
			assert_int_not_equal(f.shape, CD_BACKOFF_IRREGULAR);
		}
}

static void stats(void **state)
{
	int64_t v[] = {5, 1, 4, 2, 3, 10, 9, 8, 7, 6};
	struct cd_stats s;

	(void)state;
	cd_stats_of(v, 10, &s);
	assert_int_equal(s.n, 10);
	assert_int_equal(s.min, 1);
	assert_int_equal(s.max, 10);
	assert_int_equal(s.p50, 5);
	assert_int_equal(s.p90, 9);
	assert_int_equal(s.p99, 10);
	assert_float_equal(s.mean, 5.5, 1e-9);
	cd_stats_of(v, 0, &s);
	assert_int_equal(s.n, 0);
}

static void period(void **state)
{
	uint32_t every3[] = {2, 5, 8, 11};
	uint32_t random_[] = {1, 2, 7, 9};
	uint32_t two[] = {3, 6};
	struct cd_period p;

	(void)state;
	cd_find_period(every3, 4, 12, &p);
	assert_int_equal(p.stride, 3);
	assert_int_equal(p.failures, 4);
	assert_int_equal(p.first_seq, 2);
	cd_find_period(random_, 4, 12, &p);
	assert_int_equal(p.stride, 0);
	cd_find_period(two, 2, 12, &p); /* two points are no pattern */
	assert_int_equal(p.stride, 0);
}

static void burst(void **state)
{
	const int64_t s = 1000000000;
	int64_t bunched[] = {10 * s, 10 * s + 1, 10 * s + 5, 11 * s, 90 * s};
	int64_t spread[] = {0, 20 * s, 40 * s, 60 * s, 80 * s};
	struct cd_burst b;

	(void)state;
	cd_find_burst(bunched, 5, 100 * s, &b);
	assert_true(b.found);
	assert_int_equal(b.in_window, 4);
	assert_int_equal(b.start_ns, 10 * s);
	assert_int_equal(b.end_ns, 11 * s);
	cd_find_burst(spread, 5, 100 * s, &b);
	assert_false(b.found);
}

static void multiples(void **state)
{
	/* Greeting waits of a dead resolver: 10 s (timeout 5 x attempts 2),
	 * piled up: 10, 20, 30; and noise. */
	double v[] = {10.02, 20.1, 29.8, 0.001, 3.0, 5.1};
	struct cd_ladder_fit fit;

	(void)state;
	cd_fit_multiples(v, 6, 5.0, &fit);
	assert_int_equal(fit.hits, 4);
	assert_int_equal(fit.rung_hits[0], 1); /* 5.1 */
	assert_int_equal(fit.rung_hits[1], 1); /* 10.02 */
	assert_int_equal(fit.rung_hits[3], 1); /* 20.1 */
	assert_int_equal(fit.rung_hits[5], 1); /* 29.8 */
}

static void threshold(void **state)
{
	struct cd_level_stat lv[] = {
		{1, 4, 0, 1000000},
		{9, 36, 0, 1500000},
		{17, 68, 3, 900000},
		{25, 100, 10, 900000},
	};
	struct cd_level_stat slow[] = {
		{1, 4, 0, 1000000},
		{9, 36, 0, 30000000},
	};

	(void)state;
	assert_int_equal(cd_threshold(lv, 4), 17);
	assert_int_equal(cd_threshold(lv, 2), 0);
	assert_int_equal(cd_threshold(slow, 2), 9);
}

static void histogram(void **state)
{
	int64_t v[] = {100000, 120000, 1000000, 2000000, 4000000};
	struct cd_hist h;
	size_t total = 0;
	unsigned b;

	(void)state;
	cd_hist_of(v, 5, &h);
	assert_true(h.nbuckets >= 3);
	for (b = 0; b < h.nbuckets; b++)
		total += h.count[b];
	assert_int_equal(total, 5);
	assert_true(h.lower_ns[0] <= 100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syn_schedule_linear),
		cmocka_unit_test(syn_schedule_classic),
		cmocka_unit_test(syn_schedule_hz),
		cmocka_unit_test(syn_schedule_page),
		cmocka_unit_test(syn_rung),
		cmocka_unit_test(backoff_fit),
		cmocka_unit_test(backoff_fit_of_schedule),
		cmocka_unit_test(stats),
		cmocka_unit_test(period),
		cmocka_unit_test(burst),
		cmocka_unit_test(multiples),
		cmocka_unit_test(threshold),
		cmocka_unit_test(histogram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
