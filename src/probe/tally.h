/* tally.h - what a probe result counts over every attempt, kept as a
 * record or not (issue 15, defect 8: memory must not grow with a long
 * --duration): outcome counts per target and streaming log-linear
 * histograms of the phase times (HdrHistogram's bucket layout: a power of
 * two split into PROBE_HIST_SUB linear steps). */
#ifndef CONNDOCTOR_PROBE_TALLY_H
#define CONNDOCTOR_PROBE_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "probe/attempt.h"

#define PROBE_MAX_TARGETS 16

/* Linear steps per power of two: a bucket is at most 1/32 of its value
 * wide, so a percentile read from it (its midpoint) is within 1.6%. */
#define PROBE_HIST_SUB_BITS 5
#define PROBE_HIST_SUB	    (1u << PROBE_HIST_SUB_BITS)
/* Powers of two covered: up to 2^48 ns (78 h), past any phase timeout. */
#define PROBE_HIST_EXP	   (48 - PROBE_HIST_SUB_BITS + 1)
#define PROBE_HIST_BUCKETS (PROBE_HIST_EXP * PROBE_HIST_SUB)

/* Durations in nanoseconds: count, exact min, max and sum, and buckets. */
struct probe_hist {
	uint64_t n;
	int64_t min, max;
	double sum;
	uint64_t count[PROBE_HIST_BUCKETS];
};

void probe_hist_add(struct probe_hist *h, int64_t v);
/* The nearest-rank percentile (0 < pct <= 100) as its bucket's midpoint,
 * clamped to [min, max]; 0 when empty. */
int64_t probe_hist_percentile(const struct probe_hist *h, double pct);
/* Bucket i's bounds: [*lo, *hi). */
void probe_hist_bucket(unsigned i, int64_t *lo, int64_t *hi);

/* Every attempt of a result, counted as it ends. */
struct probe_tally {
	uint64_t total;
	uint64_t by_class[CD_OUTCOME__COUNT];
	uint64_t target_total[PROBE_MAX_TARGETS];
	uint64_t target_ok[PROBE_MAX_TARGETS];
	int64_t first_start_ns, last_end_ns;   /* 0, 0 when empty */
	struct probe_hist phase[CD_PH__COUNT]; /* over phases completed */
	struct probe_hist total_ok;	       /* whole attempt, ok ones */
	struct probe_hist total_all;	       /* whole attempt, all */
};

void probe_tally_add(struct probe_tally *t, const struct cd_attempt *a);

#endif /* CONNDOCTOR_PROBE_TALLY_H */
