/* clock.h - the one clock every phase is measured with: CLOCK_MONOTONIC, ns. */
#ifndef CONNDOCTOR_UTIL_CLOCK_H
#define CONNDOCTOR_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

#define CD_NS_PER_MS 1000000LL
#define CD_NS_PER_S  1000000000LL

/* Nanoseconds on the monotonic clock (never jumps with the wall clock). */
static inline int64_t cd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * CD_NS_PER_S + ts.tv_nsec;
}

/* Seconds (double) to nanoseconds, saturating at about 290 years. */
static inline int64_t cd_s_to_ns(double s)
{
	if (s <= 0)
		return 0;
	if (s > 9.0e9)
		return INT64_MAX / 2;
	return (int64_t)(s * 1e9);
}

#endif /* CONNDOCTOR_UTIL_CLOCK_H */
