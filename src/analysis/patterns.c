/* patterns.c - every-Nth periodicity, bursts in time, and the concurrency
 * threshold of a ramp. */
#include "analysis/analysis.h"

#include <string.h>

void cd_find_period(const uint32_t *fails, size_t nfails, size_t nattempts,
		    struct cd_period *p)
{
	uint32_t stride;
	size_t i;

	memset(p, 0, sizeof(*p));
	/* Three failures on one stride, and no failure off it: anything less
	 * is what chance gives. A stride of 1 is "everything fails". */
	if (nfails < 3 || nfails == nattempts)
		return;
	stride = fails[1] - fails[0];
	if (stride < 2)
		return;
	for (i = 2; i < nfails; i++)
		if (fails[i] - fails[i - 1] != stride)
			return;
	p->stride = stride;
	p->failures = (unsigned)nfails;
	p->first_seq = fails[0];
}

void cd_find_burst(const int64_t *times, size_t n, int64_t run_ns,
		   struct cd_burst *b)
{
	size_t need, i, best_i = 0;
	int64_t best = INT64_MAX;

	memset(b, 0, sizeof(*b));
	b->failures = n;
	b->run_ns = run_ns;
	if (n < 4 || run_ns <= 0)
		return;
	need = (n * 8 + 9) / 10;
	for (i = 0; i + need <= n; i++) {
		int64_t w = times[i + need - 1] - times[i];

		if (w < best) {
			best = w;
			best_i = i;
		}
	}
	/* Bunched: 80% of failures inside a fifth of the run. */
	if (best * 5 <= run_ns) {
		b->found = 1;
		b->in_window = need;
		b->start_ns = times[best_i];
		b->end_ns = times[best_i + need - 1];
	}
}

unsigned cd_threshold(const struct cd_level_stat *lv, size_t n)
{
	int64_t base;
	size_t i;

	if (n == 0)
		return 0;
	base = lv[0].p90_ns;
	for (i = 0; i < n; i++) {
		if (lv[i].failures > 0)
			return lv[i].level;
		if (i > 0 && lv[i].p90_ns > 2 * base + 20000000)
			return lv[i].level;
	}
	return 0;
}
