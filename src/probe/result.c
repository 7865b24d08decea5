/* result.c - a probe result's store (probe.h, tally.h): the tally of every
 * attempt, and the records kept within a fixed bound, every failure up to
 * PROBE_KEEP_FAILURES plus a reservoir sample of ok attempts (Vitter's
 * algorithm R), so a --duration run of millions of attempts holds a few
 * megabytes. */
#include "probe/probe.h"

#include <stdlib.h>
#include <string.h>

#include "util/vec.h"

#define KEEP_MAX (PROBE_KEEP_FAILURES + PROBE_KEEP_OK)

/* ---- histogram ---- */

/* The bucket of v >= 0: below PROBE_HIST_SUB exact, above it the top
 * PROBE_HIST_SUB_BITS + 1 bits of v. */
static unsigned bucket_of(int64_t v)
{
	uint64_t u = v > 0 ? (uint64_t)v : 0;
	unsigned e, i;

	if (u < PROBE_HIST_SUB)
		return (unsigned)u;
	e = 63u - (unsigned)__builtin_clzll(u); /* u in [2^e, 2^(e+1)) */
	i = (e - PROBE_HIST_SUB_BITS + 1) * PROBE_HIST_SUB +
	    (unsigned)((u >> (e - PROBE_HIST_SUB_BITS)) - PROBE_HIST_SUB);
	return i < PROBE_HIST_BUCKETS ? i : PROBE_HIST_BUCKETS - 1;
}

void probe_hist_bucket(unsigned i, int64_t *lo, int64_t *hi)
{
	unsigned row = i / PROBE_HIST_SUB, col = i % PROBE_HIST_SUB;
	int64_t width;

	if (row == 0) {
		*lo = col;
		*hi = (int64_t)col + 1;
		return;
	}
	width = (int64_t)1 << (row - 1);
	*lo = (int64_t)(PROBE_HIST_SUB + col) * width;
	*hi = *lo + width;
}

void probe_hist_add(struct probe_hist *h, int64_t v)
{
	if (h->n == 0 || v < h->min)
		h->min = v;
	if (h->n == 0 || v > h->max)
		h->max = v;
	h->n++;
	h->sum += (double)v;
	h->count[bucket_of(v)]++;
}

int64_t probe_hist_percentile(const struct probe_hist *h, double pct)
{
	uint64_t rank, seen = 0;
	int64_t lo, hi, mid;
	unsigned i;

	if (h->n == 0)
		return 0;
	/* Nearest rank, as cd_percentile() over sorted values. */
	rank = (uint64_t)((pct / 100.0) * (double)h->n + 0.999999999);
	if (rank < 1)
		rank = 1;
	if (rank > h->n)
		rank = h->n;
	for (i = 0; i < PROBE_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= rank)
			break;
	}
	probe_hist_bucket(i < PROBE_HIST_BUCKETS ? i : PROBE_HIST_BUCKETS - 1,
			  &lo, &hi);
	mid = lo + (hi - lo) / 2;
	return mid < h->min ? h->min : mid > h->max ? h->max : mid;
}

/* ---- tally ---- */

void probe_tally_add(struct probe_tally *t, const struct cd_attempt *a)
{
	int64_t end = a->start_ns + a->total_ns;
	int p;

	if (t->total == 0 || a->start_ns < t->first_start_ns)
		t->first_start_ns = a->start_ns;
	if (t->total == 0 || end > t->last_end_ns)
		t->last_end_ns = end;
	t->total++;
	if ((unsigned)a->outcome < CD_OUTCOME__COUNT)
		t->by_class[a->outcome]++;
	if (a->target < PROBE_MAX_TARGETS) {
		t->target_total[a->target]++;
		t->target_ok[a->target] += a->outcome == CD_OK;
	}
	for (p = 0; p < CD_PH__COUNT; p++)
		if (cd_phase_done(a, p))
			probe_hist_add(&t->phase[p], a->phase_ns[p]);
	if (a->outcome == CD_OK)
		probe_hist_add(&t->total_ok, a->total_ns);
	probe_hist_add(&t->total_all, a->total_ns);
}

/* ---- the kept records ---- */

/* xorshift64*: the reservoir's choices, the same for the same run. */
static uint64_t next_rand(struct probe_result *r)
{
	uint64_t x = r->rng ? r->rng : 0x9e3779b97f4a7c15u;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->rng = x;
	return x * 0x2545f4914f6cdd1du;
}

static int append(struct probe_result *r, const struct cd_attempt *a)
{
	struct cd_attempt *n =
		cd_vec_grow(r->attempts, sizeof(*n), r->nattempts + 1, &r->cap,
			    KEEP_MAX, 1024);

	if (!n)
		return -1;
	r->attempts = n;
	r->attempts[r->nattempts++] = *a;
	return 0;
}

int probe_result_add(struct probe_result *r, const struct cd_attempt *a)
{
	uint32_t *idx;
	uint64_t j;

	probe_tally_add(&r->tally, a);
	if (a->outcome != CD_OK) {
		if (r->kept_failed >= PROBE_KEEP_FAILURES || append(r, a) < 0) {
			r->dropped_failed++;
			return r->kept_failed >= PROBE_KEEP_FAILURES ? 0 : -1;
		}
		r->kept_failed++;
		return 0;
	}
	r->ok_seen++;
	if (r->kept_ok < PROBE_KEEP_OK) {
		idx = cd_vec_grow(r->ok_idx, sizeof(*idx), r->kept_ok + 1,
				  &r->ok_cap, PROBE_KEEP_OK, 1024);
		if (!idx || append(r, a) < 0) {
			if (idx)
				r->ok_idx = idx;
			r->dropped_ok++;
			return -1;
		}
		r->ok_idx = idx;
		r->ok_idx[r->kept_ok++] = (uint32_t)(r->nattempts - 1);
		return 0;
	}
	/* Algorithm R: the ok_seen-th ok attempt replaces a kept one with
	 * probability PROBE_KEEP_OK / ok_seen. */
	r->dropped_ok++;
	j = next_rand(r) % r->ok_seen;
	if (j < PROBE_KEEP_OK)
		r->attempts[r->ok_idx[j]] = *a;
	return 0;
}

uint64_t probe_result_dropped(const struct probe_result *r)
{
	return r->dropped_ok + r->dropped_failed;
}

static int by_end(const void *x, const void *y)
{
	const struct cd_attempt *a = x, *b = y;
	int64_t ea = a->start_ns + a->total_ns, eb = b->start_ns + b->total_ns;

	if (ea != eb)
		return ea < eb ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void probe_result_order(struct probe_result *r)
{
	size_t i, k = 0;

	if (!r->dropped_ok)
		return; /* nothing was replaced: already in completion order */
	qsort(r->attempts, r->nattempts, sizeof(*r->attempts), by_end);
	for (i = 0; i < r->nattempts; i++)
		if (r->attempts[i].outcome == CD_OK)
			r->ok_idx[k++] = (uint32_t)i;
}
