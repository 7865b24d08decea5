/* analysis.h - pure functions over attempts and host facts: phase
 * statistics, the kernel's SYN retransmission schedule, and the patterns
 * (ladders, half-open, periodicity, bursts, thresholds) rules turn into
 * findings. Nothing here reads the system. */
#ifndef CONNDOCTOR_ANALYSIS_ANALYSIS_H
#define CONNDOCTOR_ANALYSIS_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "probe/attempt.h"
#include "probe/hostfacts.h"

/* ---- statistics ---- */

struct cd_stats {
	size_t n;
	int64_t min, p50, p90, p99, max; /* nanoseconds */
	double mean;
};

/* Statistics of v[0..n) (sorted in place). */
void cd_stats_of(int64_t *v, size_t n, struct cd_stats *s);

/* Nearest-rank percentile (0 < pct <= 100) of sorted v[0..n). */
int64_t cd_percentile(const int64_t *sorted, size_t n, double pct);

struct cd_summary {
	size_t total;
	size_t ok;
	size_t by_class[CD_OUTCOME__COUNT];
	struct cd_stats phase[CD_PH__COUNT]; /* over phases completed */
	struct cd_stats total_ok;	     /* whole attempt, ok ones */
	int64_t first_start_ns, last_end_ns;
};

/* Summarises attempts (optionally only those of one target, or all with
 * target < 0). Allocates scratch; returns 0 or -1 when out of memory. */
int cd_summarize(const struct cd_attempt *a, size_t n, int target,
		 struct cd_summary *s);

/* Summarises a probe result: from its records while it kept them all (as
 * cd_summarize()), else from its tally, which counted every attempt:
 * counts, min, max and mean exact, percentiles from the tally's
 * histograms (within 1.6%). The same contract as cd_summarize(). */
struct probe_result;
int cd_summarize_result(const struct probe_result *r, int target,
			struct cd_summary *s);

/* A log-scale histogram of durations for the terminal. */
#define CD_HIST_BUCKETS 16
struct cd_hist {
	int64_t lower_ns[CD_HIST_BUCKETS]; /* lower bound of each bucket */
	size_t count[CD_HIST_BUCKETS];
	unsigned nbuckets;
};
void cd_hist_of(const int64_t *v, size_t n, struct cd_hist *h);
/* The same from a tally's streaming histogram (tally.h), each of its
 * buckets counted at its lower bound (its buckets are 1/32 as wide). */
struct probe_hist;
void cd_hist_of_tally(const struct probe_hist *ph, struct cd_hist *h);

/* ---- the SYN retransmission schedule ---- */

#define CD_SYN_MAX 40

/* CONFIG_HZ assumed when the kernel's is unknown (Debian's). */
#define CD_HZ_ASSUMED 250

/* When the kernel sends each SYN of a connect() that gets no answer, and
 * when it gives up, derived from the sysctls in force (see
 * shared/lab-notes.md: linear timeouts first, then doubling, and failure
 * at the first timer that finds either retries + linear retransmissions
 * done or the classic budget (2^(retries+1) - 1) * rto elapsed).
 *
 * Each retransmission timer fires late: the kernel's timer wheel files a
 * timer due in d jiffies in a bucket of granularity 8^level jiffies
 * (level 0 below 63 jiffies, 1 below 504, 2 below 4032, 3 below 32256,
 * ...) and runs it at the next bucket boundary after its expiry, so it is
 * 1 to 8^level jiffies late. At HZ=250 a 1 s timer is up to 32 ms late, a
 * 4 s one 256 ms and a 32 s one 2 s: tcp_syn_retries=6 gives up at about
 * 134 s, not the 131 s the timers add up to. The SYN times are the
 * nominal ones (what a person recognises: 1, 2, 3, ... or 1, 3, 7, 15);
 * the give-up time is the kernel's expected one. */
struct cd_syn_schedule {
	int retries, linear;
	double rto_init_s;
	int hz;	       /* CONFIG_HZ used (CD_HZ_ASSUMED if unknown) */
	unsigned nsyn; /* SYNs sent, the first included */
	double syn_at_s[CD_SYN_MAX]; /* nominal send time of each, from 0 */
	double give_up_nominal_s;    /* the timers added up, none late */
	double give_up_s;     /* expected: each timer half its slack late */
	double give_up_max_s; /* latest: each timer fully late */
};

/* hz <= 0: unknown, CD_HZ_ASSUMED is used. */
void cd_syn_schedule_of(int retries, int linear, double rto_init_s, int hz,
			struct cd_syn_schedule *s);

/* The rung k (1..nsyn-1) whose SYN time matches a connect that took t_s
 * (the handshake completing after the k-th retransmission), or 0 when t_s
 * is not near one. rtt_s is the path's round trip. */
unsigned cd_syn_rung(const struct cd_syn_schedule *s, double t_s, double rtt_s);

/* The shape of a measured retransmission ladder (a SYN's resends in a
 * capture, or a data segment's), fitted to the same model: the first
 * interval is the initial RTO, `linear` more resends come at that RTO,
 * then each interval doubles up to TCP_RTO_MAX. */
enum cd_backoff {
	CD_BACKOFF_SINGLE,		 /* under 3 sends: no shape to see */
	CD_BACKOFF_LINEAR,		 /* every interval the first one's */
	CD_BACKOFF_DOUBLING,		 /* doubling from the start (classic) */
	CD_BACKOFF_LINEAR_THEN_DOUBLING, /* tcp_syn_linear_timeouts' ladder */
	CD_BACKOFF_IRREGULAR		 /* no setting of the model fits */
};

struct cd_backoff_fit {
	enum cd_backoff shape;
	double rto_s; /* the first interval: the initial RTO */
	int linear;   /* the fewest linear resends that fit (for LINEAR a
			 lower bound), -1 when irregular or single */
};

/* Fits send times t_s[0..n) (seconds, ascending, t_s[0] the first send).
 * An interval fits when within 15% + 10 ms of the model's. */
void cd_backoff_fit_of(const double *t_s, size_t n, struct cd_backoff_fit *f);

/* "single", "linear", "doubling", "linear then doubling", "irregular". */
const char *cd_backoff_name(enum cd_backoff b);

/* ---- patterns ---- */

/* Every-Nth failure: seq numbers of failures at a constant stride. */
struct cd_period {
	unsigned stride;    /* 0: no periodicity */
	unsigned failures;  /* failures on the stride */
	unsigned first_seq; /* the first of them */
};
/* fails[] are the seq numbers of failed attempts, ascending. */
void cd_find_period(const uint32_t *fails, size_t nfails, size_t nattempts,
		    struct cd_period *p);

/* Failures bunched in time: the shortest window holding >= 80% of them. */
struct cd_burst {
	int found;
	size_t in_window, failures;
	int64_t start_ns, end_ns; /* window */
	int64_t run_ns;
};
/* times[] are the start times of failures, ascending. */
void cd_find_burst(const int64_t *times, size_t n, int64_t run_ns,
		   struct cd_burst *b);

/* Values clustered on multiples of a period (a resolver's timeout):
 * counts values v >= 0.8 * period within +-15% of k * period. */
struct cd_ladder_fit {
	unsigned hits;	       /* values on a rung */
	unsigned rung_hits[8]; /* hits per k = 1..8 */
	double period_s;
};
void cd_fit_multiples(const double *v_s, size_t n, double period_s,
		      struct cd_ladder_fit *fit);

/* Concurrency threshold over a ramp: per level, attempts and failures and
 * the p90 of ok attempts' total time. */
struct cd_level_stat {
	unsigned level;
	size_t attempts, failures;
	int64_t p90_ns;
};
/* The first level whose failures > 0 or whose p90 exceeds twice the first
 * level's p90 plus 20 ms; 0 when none. */
unsigned cd_threshold(const struct cd_level_stat *lv, size_t n);

#endif /* CONNDOCTOR_ANALYSIS_ANALYSIS_H */
