/* ladder.c - the kernel's SYN retransmission schedule derived from the
 * sysctls in force, and fitting measured times to ladders of timeouts.
 * Model and measurements: shared/lab-notes.md; kernel: tcp_timer.c
 * (tcp_retransmit_timer, retransmits_timed_out, tcp_syn_linear_timeouts)
 * and the timer wheel's granularity (kernel/time/timer.c, calc_index). */
#include "analysis/analysis.h"

#include <math.h>
#include <string.h>

#define TCP_RTO_MAX_S 120.0

/* The timer wheel (kernel/time/timer.c): 64 buckets a level, each level's
 * granularity 8 times the last's. */
#define WHEEL_LVL_BITS	6
#define WHEEL_CLK_SHIFT 3
#define WHEEL_LEVELS	9

/* How late, in jiffies, a timer due in `delay` jiffies runs: at most its
 * level's granularity; on average half of it plus half a jiffy. */
static double wheel_late_jiffies(double delay, int mean)
{
	double gran = 1;
	int lvl;

	for (lvl = 1; lvl < WHEEL_LEVELS; lvl++) {
		double start = (double)(((1 << WHEEL_LVL_BITS) - 1)
					<< ((lvl - 1) * WHEEL_CLK_SHIFT));

		if (delay < start)
			break;
		gran = ldexp(1.0, lvl * WHEEL_CLK_SHIFT);
	}
	if (gran == 1)
		return 0; /* level 0 runs on its jiffy */
	return mean ? (gran + 1) / 2 : gran;
}

void cd_syn_schedule_of(int retries, int linear, double rto_init_s, int hz,
			struct cd_syn_schedule *s)
{
	double t = 0, rto = rto_init_s > 0 ? rto_init_s : 1.0;
	double t_mean = 0, t_max = 0;
	double budget;
	int count = 0;

	memset(s, 0, sizeof(*s));
	if (retries < 0)
		retries = 6;
	if (linear < 0)
		linear = 0;
	if (hz <= 0)
		hz = CD_HZ_ASSUMED;
	s->retries = retries;
	s->linear = linear;
	s->rto_init_s = rto;
	s->hz = hz;
	budget = (ldexp(1.0, retries + 1) - 1) * rto;
	s->syn_at_s[s->nsyn++] = 0;
	for (;;) {
		double j = ceil(rto * hz);

		t += rto;
		t_mean += rto + wheel_late_jiffies(j, 1) / hz;
		t_max += rto + wheel_late_jiffies(j, 0) / hz;
		/* The timer fires: give up, or retransmit. The budget is
		 * measured on the clock, so a late timer counts late. */
		if (count >= retries + linear || t_mean >= budget - 1e-9) {
			s->give_up_nominal_s = t;
			s->give_up_s = t_mean;
			s->give_up_max_s = t_max;
			return;
		}
		count++;
		if (s->nsyn < CD_SYN_MAX)
			s->syn_at_s[s->nsyn++] = t;
		if (count > linear)
			rto = fmin(rto * 2, TCP_RTO_MAX_S);
	}
}

unsigned cd_syn_rung(const struct cd_syn_schedule *s, double t_s, double rtt_s)
{
	unsigned k;

	for (k = 1; k < s->nsyn; k++) {
		double at = s->syn_at_s[k] + rtt_s;
		double tol = 0.1 * at + 0.05;

		if (fabs(t_s - at) <= tol)
			return k;
	}
	return 0;
}

/* 1 when the intervals of t_s[0..n) are those of the model with `linear`
 * linear resends and an initial RTO of rto_s. */
static int backoff_fits(const double *t_s, size_t n, double rto_s, int linear)
{
	struct cd_syn_schedule s;
	size_t i;

	/* retries = n: the model neither gives up nor runs out of rungs
	 * before the n sends measured */
	cd_syn_schedule_of((int)n, linear, rto_s, 0, &s);
	if (s.nsyn < n)
		return 0;
	for (i = 1; i < n; i++) {
		double want = s.syn_at_s[i] - s.syn_at_s[i - 1];
		double got = t_s[i] - t_s[i - 1];

		if (fabs(got - want) > 0.15 * want + 0.01)
			return 0;
	}
	return 1;
}

void cd_backoff_fit_of(const double *t_s, size_t n, struct cd_backoff_fit *f)
{
	int linear;

	memset(f, 0, sizeof(f[0]));
	f->linear = -1;
	f->shape = CD_BACKOFF_SINGLE;
	if (n < 3)
		return;
	f->shape = CD_BACKOFF_IRREGULAR;
	f->rto_s = t_s[1] - t_s[0];
	if (f->rto_s <= 0 || n > CD_SYN_MAX)
		return;
	/* linear >= n - 2 puts every measured interval in the linear part */
	for (linear = 0; linear <= (int)n - 2; linear++) {
		if (!backoff_fits(t_s, n, f->rto_s, linear))
			continue;
		f->linear = linear;
		f->shape = linear == 0 ? CD_BACKOFF_DOUBLING
			   : linear == (int)n - 2
				   ? CD_BACKOFF_LINEAR
				   : CD_BACKOFF_LINEAR_THEN_DOUBLING;
		return;
	}
}

const char *cd_backoff_name(enum cd_backoff b)
{
	switch (b) {
	case CD_BACKOFF_SINGLE:
		return "single";
	case CD_BACKOFF_LINEAR:
		return "linear";
	case CD_BACKOFF_DOUBLING:
		return "doubling";
	case CD_BACKOFF_LINEAR_THEN_DOUBLING:
		return "linear then doubling";
	case CD_BACKOFF_IRREGULAR:
		return "irregular";
	}
	return "irregular";
}

void cd_fit_multiples(const double *v_s, size_t n, double period_s,
		      struct cd_ladder_fit *fit)
{
	size_t i;

	memset(fit, 0, sizeof(*fit));
	fit->period_s = period_s;
	if (period_s <= 0)
		return;
	for (i = 0; i < n; i++) {
		double k = floor(v_s[i] / period_s + 0.5);

		if (k < 1 || k > 8 || v_s[i] < 0.8 * period_s)
			continue;
		if (fabs(v_s[i] - k * period_s) <= 0.15 * k * period_s) {
			fit->hits++;
			fit->rung_hits[(int)k - 1]++;
		}
	}
}
