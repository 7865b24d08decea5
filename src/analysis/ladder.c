/* ladder.c - the kernel's SYN retransmission schedule derived from the
 * sysctls in force, and fitting measured times to ladders of timeouts.
 * Model and measurements: shared/lab-notes.md; kernel: tcp_timer.c
 * (tcp_retransmit_timer, retransmits_timed_out, tcp_syn_linear_timeouts). */
#include "analysis/analysis.h"

#include <math.h>
#include <string.h>

#define TCP_RTO_MAX_S 120.0

void cd_syn_schedule_of(int retries, int linear, double rto_init_s,
			struct cd_syn_schedule *s)
{
	double t = 0, rto = rto_init_s > 0 ? rto_init_s : 1.0;
	double budget;
	int count = 0;

	memset(s, 0, sizeof(*s));
	if (retries < 0)
		retries = 6;
	if (linear < 0)
		linear = 0;
	s->retries = retries;
	s->linear = linear;
	s->rto_init_s = rto;
	budget = (ldexp(1.0, retries + 1) - 1) * rto;
	s->syn_at_s[s->nsyn++] = 0;
	for (;;) {
		t += rto;
		/* The timer fires at t: give up, or retransmit. */
		if (count >= retries + linear || t >= budget - 1e-9) {
			s->give_up_s = t;
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
