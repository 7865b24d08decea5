/* stats.c - phase statistics (nearest-rank percentiles), the per-run
 * summary, and the terminal histogram's buckets. */
#include "analysis/analysis.h"

#include "probe/probe.h"

#include <stdlib.h>
#include <string.h>

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t cd_percentile(const int64_t *sorted, size_t n, double pct)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)((pct / 100.0) * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

void cd_stats_of(int64_t *v, size_t n, struct cd_stats *s)
{
	double sum = 0;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_i64);
	for (i = 0; i < n; i++)
		sum += (double)v[i];
	s->n = n;
	s->min = v[0];
	s->max = v[n - 1];
	s->p50 = cd_percentile(v, n, 50);
	s->p90 = cd_percentile(v, n, 90);
	s->p99 = cd_percentile(v, n, 99);
	s->mean = sum / (double)n;
}

int cd_summarize(const struct cd_attempt *a, size_t n, int target,
		 struct cd_summary *s)
{
	int64_t *scratch;
	size_t i, k;
	int p;

	memset(s, 0, sizeof(*s));
	scratch = malloc((n ? n : 1) * sizeof(*scratch));
	if (!scratch)
		return -1;
	s->first_start_ns = INT64_MAX;
	for (i = 0; i < n; i++) {
		if (target >= 0 && a[i].target != target)
			continue;
		s->total++;
		s->by_class[a[i].outcome]++;
		if (a[i].outcome == CD_OK)
			s->ok++;
		if (a[i].start_ns < s->first_start_ns)
			s->first_start_ns = a[i].start_ns;
		if (a[i].start_ns + a[i].total_ns > s->last_end_ns)
			s->last_end_ns = a[i].start_ns + a[i].total_ns;
	}
	if (!s->total)
		s->first_start_ns = 0;
	for (p = 0; p < CD_PH__COUNT; p++) {
		for (i = 0, k = 0; i < n; i++)
			if ((target < 0 || a[i].target == target) &&
			    cd_phase_done(&a[i], p))
				scratch[k++] = a[i].phase_ns[p];
		cd_stats_of(scratch, k, &s->phase[p]);
	}
	for (i = 0, k = 0; i < n; i++)
		if ((target < 0 || a[i].target == target) &&
		    a[i].outcome == CD_OK)
			scratch[k++] = a[i].total_ns;
	cd_stats_of(scratch, k, &s->total_ok);
	free(scratch);
	return 0;
}

/* Buckets double from a power-of-two-ish floor to cover [lo, hi]. */
static void hist_edges(struct cd_hist *h, int64_t lo, int64_t hi)
{
	int64_t edge = 1000; /* 1 us */
	unsigned b;

	while (edge * 2 <= lo)
		edge *= 2;
	for (b = 0; b < CD_HIST_BUCKETS; b++) {
		h->lower_ns[b] = edge;
		h->nbuckets = b + 1;
		if (edge > hi / 2)
			break;
		edge *= 2;
	}
	h->lower_ns[0] = lo < h->lower_ns[0] ? lo : h->lower_ns[0];
}

static void hist_put(struct cd_hist *h, int64_t v, size_t count)
{
	unsigned b;

	for (b = h->nbuckets; b-- > 0;)
		if (v >= h->lower_ns[b] || b == 0) {
			h->count[b] += count;
			return;
		}
}

void cd_hist_of(const int64_t *v, size_t n, struct cd_hist *h)
{
	int64_t lo = INT64_MAX, hi = 0;
	size_t i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < n; i++) {
		if (v[i] < lo)
			lo = v[i];
		if (v[i] > hi)
			hi = v[i];
	}
	if (n == 0)
		return;
	hist_edges(h, lo, hi);
	for (i = 0; i < n; i++)
		hist_put(h, v[i], 1);
}

void cd_hist_of_tally(const struct probe_hist *ph, struct cd_hist *h)
{
	int64_t lo, hi;
	unsigned i;

	memset(h, 0, sizeof(*h));
	if (ph->n == 0)
		return;
	hist_edges(h, ph->min, ph->max);
	for (i = 0; i < PROBE_HIST_BUCKETS; i++) {
		if (!ph->count[i])
			continue;
		probe_hist_bucket(i, &lo, &hi);
		hist_put(h, lo < ph->min ? ph->min : lo, (size_t)ph->count[i]);
	}
}

static void stats_of_hist(const struct probe_hist *h, struct cd_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (h->n == 0)
		return;
	s->n = (size_t)h->n;
	s->min = h->min;
	s->max = h->max;
	s->p50 = probe_hist_percentile(h, 50);
	s->p90 = probe_hist_percentile(h, 90);
	s->p99 = probe_hist_percentile(h, 99);
	s->mean = h->sum / (double)h->n;
}

int cd_summarize_result(const struct probe_result *r, int target,
			struct cd_summary *s)
{
	const struct probe_tally *t = &r->tally;
	int p;

	if (probe_result_dropped(r) == 0)
		return cd_summarize(r->attempts, r->nattempts, target, s);
	memset(s, 0, sizeof(*s));
	if (target >= 0) {
		/* Per target the tally counts; the times are the run's. */
		if (target < PROBE_MAX_TARGETS) {
			s->total = (size_t)t->target_total[target];
			s->ok = (size_t)t->target_ok[target];
		}
		return 0;
	}
	s->total = (size_t)t->total;
	s->ok = (size_t)t->by_class[CD_OK];
	for (p = 0; p < CD_OUTCOME__COUNT; p++)
		s->by_class[p] = (size_t)t->by_class[p];
	for (p = 0; p < CD_PH__COUNT; p++)
		stats_of_hist(&t->phase[p], &s->phase[p]);
	stats_of_hist(&t->total_ok, &s->total_ok);
	s->first_start_ns = t->first_start_ns;
	s->last_end_ns = t->last_end_ns;
	return 0;
}
