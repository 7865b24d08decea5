/* run.h - a whole measurement on the probe engine: the host facts its
 * timings are read against, one batch or a ramp of concurrency levels run
 * several times, then a second look at targets that accepted but never
 * greeted. probe, diagnose and watch drive it alike; the rules (findings/,
 * which sit above probe/ and read its records) come after it. */
#ifndef CONNDOCTOR_PROBE_RUN_H
#define CONNDOCTOR_PROBE_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "probe/hostfacts.h"
#include "probe/probe.h"

/* The shape of a measurement beyond one batch's load. */
struct probe_plan {
	int ramp; /* 0: one batch at cfg->concurrency */
	unsigned ramp_from, ramp_to, ramp_step; /* concurrency levels */
	unsigned repeat;			/* runs of the whole ramp */
	uint64_t level_count; /* attempts per target and level, 0: 4 x level */
	int second_look;      /* ask silent TCP targets what they are */
	double second_look_s; /* the second look's bound */
	/* Where the host facts are read (probe_host_facts_read()). */
	const char *procroot;	 /* "/proc" */
	const char *resolv_conf; /* "/etc/resolv.conf" */
	const char *res_options; /* RES_OPTIONS, NULL: none */
};

/* One batch, with the second look, host facts from this host's files
 * (and the environment's RES_OPTIONS). */
void probe_plan_init(struct probe_plan *p);

/* Enough descriptors for want connections, if the hard limit allows; the
 * probe reports fd_exhausted otherwise. */
void probe_raise_nofile(unsigned want);

/* Runs cfg by plan into res: reads the host facts into facts (unless it
 * is NULL), runs the batch (cfg->count attempts) or each ramp level
 * (cfg->concurrency and cfg->count are set per level, so cfg is changed),
 * then the second look. Stops early after probe_interrupt(). Returns 0, -1
 * with err set when the engine failed (epoll, memory), or -2 when the
 * configuration cannot work (as probe_run()). */
int probe_measure(struct probe_config *cfg, const struct probe_plan *plan,
		  struct probe_result *res, struct cd_host_facts *facts,
		  char *err, size_t errlen);

/* The attempts plan makes in all (every level and repeat of a ramp), as
 * probe_measure() would run them; 0 when --duration bounds the batch. */
uint64_t probe_plan_total(const struct probe_config *cfg,
			  const struct probe_plan *plan);

/* The second look: each TCP target with greeting timeouts and not a byte
 * of a greeting (a slow MySQL server sends some) gets one more connection
 * that listens, then speaks (probe_sniff()); when the peer answers with no
 * greeting, it is not a MySQL server, and its silent attempts become
 * protocol errors quoting that answer. */
void probe_second_look(const struct probe_config *cfg, struct probe_result *res,
		       double timeout_s);

#endif /* CONNDOCTOR_PROBE_RUN_H */
