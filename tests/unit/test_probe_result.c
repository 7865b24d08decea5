/* test_probe_result.c - a probe result's bounded store (probe/result.c):
 * the streaming histogram against exact nearest-rank percentiles, the
 * record caps (every failure up to PROBE_KEEP_FAILURES, a reservoir of
 * PROBE_KEEP_OK ok attempts), the tally counting every attempt, and
 * cd_summarize_result() equal to cd_summarize() while nothing was dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/analysis.h"
#include "probe/probe.h"

static struct cd_attempt make(uint32_t seq, enum cd_outcome o, int64_t ns)
{
	struct cd_attempt a;
	int p;

	memset(&a, 0, sizeof(a));
	for (p = 0; p < CD_PH__COUNT; p++)
		a.phase_ns[p] = -1;
	a.seq = seq;
	a.outcome = o;
	a.start_ns = (int64_t)seq * 1000;
	a.phase_ns[CD_PH_CONNECT] = ns;
	a.total_ns = ns;
	a.failed_phase = CD_PH_CONNECT;
	return a;
}

static int cmp64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* Percentiles read from the histogram are within 1/64 of the exact ones
 * (half a bucket of 1/32), over values from ns to minutes. */
static void hist_matches_exact(void **state)
{
	static struct probe_hist h;
	static int64_t v[20000];
	const double pcts[] = {1, 25, 50, 90, 99, 99.9, 100};
	size_t i, k;

	(void)state;
	memset(&h, 0, sizeof(h));
	srand(7);
	for (i = 0; i < 20000; i++) {
		/* log-uniform from 1 ns to ~2^37 ns (2 min) */
		int e = rand() % 37;

		v[i] = ((int64_t)1 << e) + rand() % ((int64_t)1 << e);
		probe_hist_add(&h, v[i]);
	}
	qsort(v, 20000, sizeof(v[0]), cmp64);
	assert_int_equal(h.n, 20000);
	assert_int_equal(h.min, v[0]);
	assert_int_equal(h.max, v[19999]);
	for (k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
		int64_t exact = cd_percentile(v, 20000, pcts[k]);
		int64_t got = probe_hist_percentile(&h, pcts[k]);
		double err = (double)llabs(got - exact) / (double)exact;

		assert_true(err <= 1.0 / 64 + 1e-9);
	}
}

/* Every bucket holds the values that map to it, and buckets tile. */
static void buckets_tile(void **state)
{
	int64_t lo, hi, prev_hi = 0;
	unsigned i;

	(void)state;
	for (i = 0; i < PROBE_HIST_BUCKETS; i++) {
		probe_hist_bucket(i, &lo, &hi);
		assert_int_equal(lo, prev_hi);
		assert_true(hi > lo);
		/* at most 1/32 of the value wide */
		assert_true(lo < PROBE_HIST_SUB ||
			    (hi - lo) * PROBE_HIST_SUB <= lo);
		prev_hi = hi;
	}
	assert_true(prev_hi >= (int64_t)1 << 48);
}

static void caps_and_tally(void **state)
{
	static struct probe_result r;
	const uint32_t nfail = 25000, nok = 60000;
	uint32_t seq = 0, i, lo_seen = 0, hi_seen = 0;
	struct cd_summary s;
	size_t kept_ok = 0, kept_failed = 0;

	(void)state;
	probe_result_init(&r);
	for (i = 0; i < nfail + nok; i++) {
		/* failures spread through the run, nfail of them */
		enum cd_outcome o =
			i % 3 == 0 && r.tally.by_class[CD_REFUSED] < nfail
				? CD_REFUSED
				: CD_OK;
		struct cd_attempt a;

		a = make(seq++, o, 1000 + i);
		assert_int_equal(probe_result_add(&r, &a), 0);
	}
	probe_result_order(&r);
	assert_int_equal(r.tally.total, nfail + nok);
	assert_int_equal(r.nattempts, PROBE_KEEP_FAILURES + PROBE_KEEP_OK);
	for (i = 0; i < r.nattempts; i++) {
		const struct cd_attempt *a = &r.attempts[i];

		if (a->outcome == CD_OK) {
			kept_ok++;
			lo_seen += a->seq < (nfail + nok) / 4;
			hi_seen += a->seq >= 3 * (nfail + nok) / 4;
		} else {
			kept_failed++;
		}
		if (i)
			assert_true(a->start_ns + a->total_ns >=
				    r.attempts[i - 1].start_ns +
					    r.attempts[i - 1].total_ns);
	}
	assert_int_equal(kept_ok, PROBE_KEEP_OK);
	assert_int_equal(kept_failed, PROBE_KEEP_FAILURES);
	assert_int_equal(r.tally.by_class[CD_REFUSED], nfail);
	assert_int_equal(r.dropped_failed, nfail - PROBE_KEEP_FAILURES);
	assert_int_equal(probe_result_dropped(&r),
			 nfail + nok - PROBE_KEEP_FAILURES - PROBE_KEEP_OK);
	/* A uniform sample: about a quarter from each end (2500 expected;
	 * the bounds are > 10 standard deviations wide). */
	assert_in_range(lo_seen, 2000, 3000);
	assert_in_range(hi_seen, 2000, 3000);

	assert_int_equal(cd_summarize_result(&r, -1, &s), 0);
	assert_int_equal(s.total, nfail + nok);
	assert_int_equal(s.by_class[CD_REFUSED], r.tally.by_class[CD_REFUSED]);
	assert_int_equal(s.ok, r.tally.by_class[CD_OK]);
	assert_int_equal(s.phase[CD_PH_CONNECT].n, r.tally.by_class[CD_OK]);
	assert_int_equal(s.phase[CD_PH_CONNECT].min, 1001); /* 0 failed */
	assert_int_equal(cd_summarize_result(&r, 0, &s), 0);
	assert_int_equal(s.total, nfail + nok);
	probe_result_free(&r);
}

/* While every record is kept, the summary is the exact one. */
static void complete_is_exact(void **state)
{
	static struct probe_result r;
	struct cd_summary a, b;
	uint32_t i;

	(void)state;
	probe_result_init(&r);
	for (i = 0; i < 500; i++) {
		struct cd_attempt x =
			make(i, i % 5 ? CD_OK : CD_GREETING_TIMEOUT,
			     1000 + (int64_t)i * 7919 % 100000);

		assert_int_equal(probe_result_add(&r, &x), 0);
	}
	probe_result_order(&r);
	assert_int_equal(probe_result_dropped(&r), 0);
	assert_int_equal(cd_summarize_result(&r, -1, &a), 0);
	assert_int_equal(cd_summarize(r.attempts, r.nattempts, -1, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	probe_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hist_matches_exact),
		cmocka_unit_test(buckets_tile),
		cmocka_unit_test(caps_and_tally),
		cmocka_unit_test(complete_is_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
