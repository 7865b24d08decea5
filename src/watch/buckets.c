/* buckets.c - histogram bucket edges that fall on the mechanisms conndoctor
 * diagnoses, per phase: the host's SYN retransmission schedule
 * (analysis/ladder.c) for connect, its resolver's timeout x attempts ladder
 * (resolv.conf(5)) for resolve and greeting (a server's reverse lookup of
 * the client), fine edges below 100 ms for all, coarse ones for the rest.
 * Only a phase's own mechanisms: every edge is a line per target and
 * transport in each /metrics answer. */
#include <math.h>
#include <stdlib.h>

#include "analysis/analysis.h"
#include "watch/watch.h"

/* The largest resolver rung kept: timeout x attempts x servers can be
 * long, and rungs past this say nothing a longer wait would not. */
#define RESOLVER_RUNGS_MAX 8

static const double fine[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
			      0.025,  0.05,  0.1,    0.25,  0.5};
/* Phases with no timer ladder of their own. */
static const double coarse[] = {1, 2.5, 5, 10};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The upper edge of the bucket that holds a wait of T: the timer itself
 * fires late by up to a few timer-wheel slots, and the round trip adds. */
static double past(double t)
{
	double w = t * 0.1;

	return t + (w < 0.1 ? 0.1 : w);
}

size_t watch_buckets_of(const struct cd_host_facts *f, int phase, double *out,
			size_t max)
{
	double all[2 * CD_SYN_MAX + 2 * RESOLVER_RUNGS_MAX + 16];
	struct cd_syn_schedule s;
	size_t n = 0, i, kept = 0;
	int retries, linear, rungs, k;

	for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
		all[n++] = fine[i];
	/* 1 s in every phase: the rules compare phases against it. */
	all[n++] = 1;
	if (phase != CD_PH_CONNECT && phase != CD_PH_RESOLVE &&
	    phase != CD_PH_GREETING)
		for (i = 1; i < sizeof(coarse) / sizeof(coarse[0]); i++)
			all[n++] = coarse[i];
	/* Unknown sysctls: the kernel's defaults (6 retries, no linear). */
	retries = f->syn_retries >= 0 ? f->syn_retries : 6;
	linear = f->syn_linear_timeouts >= 0 ? f->syn_linear_timeouts : 0;
	cd_syn_schedule_of(retries, linear,
			   f->rto_init_s > 0 ? f->rto_init_s : 1.0, f->hz, &s);
	for (i = 1; phase == CD_PH_CONNECT && i < s.nsyn && i < CD_SYN_MAX;
	     i++) {
		all[n++] = s.syn_at_s[i];
		all[n++] = past(s.syn_at_s[i]);
	}
	rungs = (f->resolv_attempts > 0 ? f->resolv_attempts : 2) *
		(f->resolv_nameservers > 0 ? f->resolv_nameservers : 1);
	if (rungs > RESOLVER_RUNGS_MAX)
		rungs = RESOLVER_RUNGS_MAX;
	if (phase != CD_PH_RESOLVE && phase != CD_PH_GREETING)
		rungs = 0;
	for (k = 1; k <= rungs && f->resolv_timeout_s > 0; k++) {
		all[n++] = (double)k * f->resolv_timeout_s;
		all[n++] = past((double)k * f->resolv_timeout_s);
	}
	qsort(all, n, sizeof(all[0]), cmp_double);
	for (i = 0; i < n && kept < max; i++) {
		/* Whole microseconds, so 10 s + 10% is the label "11", and
		 * the same edge from two mechanisms is one edge. */
		double e = round(all[i] * 1e6) / 1e6;

		if (kept && e == out[kept - 1])
			continue;
		out[kept++] = e;
	}
	return kept;
}
