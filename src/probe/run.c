/* run.c - a whole measurement on the engine (run.h): the host facts, the
 * ramp loop over probe_run() batches and the second look that rewrites
 * the outcome of silent targets that turn out not to be MySQL servers. */
#include "probe/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

void probe_plan_init(struct probe_plan *p)
{
	p->ramp = 0;
	p->ramp_from = p->ramp_to = p->ramp_step = 1;
	p->repeat = 1;
	p->level_count = 0;
	p->second_look = 1;
	p->second_look_s = 3.0;
	p->procroot = "/proc";
	p->resolv_conf = "/etc/resolv.conf";
	p->res_options = getenv("RES_OPTIONS");
}

void probe_raise_nofile(unsigned want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur >= (rlim_t)want + 64)
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

void probe_second_look(const struct probe_config *cfg, struct probe_result *res,
		       double timeout_s)
{
	unsigned t;
	size_t i;

	for (t = 0; t < cfg->ntargets; t++) {
		char answer[96];
		int silent = 0;

		for (i = 0; i < res->nattempts; i++) {
			const struct cd_attempt *a = &res->attempts[i];

			if (a->target != t || a->outcome != CD_GREETING_TIMEOUT)
				continue;
			/* Part of a greeting came: a slow MySQL server. */
			if (a->greeting_partial) {
				silent = 0;
				break;
			}
			silent++;
		}
		if (!silent || res->interrupted ||
		    !probe_sniff(&cfg->targets[t], timeout_s, answer,
				 sizeof(answer)))
			continue;
		for (i = 0; i < res->nattempts; i++) {
			struct cd_attempt *a = &res->attempts[i];

			if (a->target != t || a->outcome != CD_GREETING_TIMEOUT)
				continue;
			a->outcome = CD_PROTOCOL_ERROR;
			snprintf(a->message, sizeof(a->message),
				 "not a MySQL server: it waits for the client "
				 "and answers a request with \"%.60s\"",
				 answer);
		}
	}
}

/* Attempts of one ramp level, over every target. */
static uint64_t level_count(const struct probe_config *cfg,
			    const struct probe_plan *plan, unsigned level)
{
	return (plan->level_count ? plan->level_count : 4 * (uint64_t)level) *
	       cfg->ntargets;
}

uint64_t probe_plan_total(const struct probe_config *cfg,
			  const struct probe_plan *plan)
{
	uint64_t n = 0;
	unsigned level;

	if (!plan->ramp)
		return cfg->count;
	for (level = plan->ramp_from; level <= plan->ramp_to;
	     level += plan->ramp_step)
		n += level_count(cfg, plan, level);
	return n * plan->repeat;
}

int probe_measure(struct probe_config *cfg, const struct probe_plan *plan,
		  struct probe_result *res, struct cd_host_facts *facts,
		  char *err, size_t errlen)
{
	unsigned rep, level;
	int rc = 0;

	if (facts)
		probe_host_facts_read(facts, plan->procroot, plan->resolv_conf,
				      plan->res_options);
	probe_raise_nofile(plan->ramp ? plan->ramp_to : cfg->concurrency);
	if (plan->ramp) {
		for (rep = 0; rep < plan->repeat && !res->interrupted && !rc;
		     rep++)
			for (level = plan->ramp_from;
			     level <= plan->ramp_to && !res->interrupted && !rc;
			     level += plan->ramp_step) {
				cfg->concurrency = level;
				cfg->count = level_count(cfg, plan, level);
				rc = probe_run(cfg, (uint16_t)level,
					       (uint16_t)rep, res, err, errlen);
			}
	} else {
		rc = probe_run(cfg, (uint16_t)cfg->concurrency, 0, res, err,
			       errlen);
	}
	if (rc)
		return rc;
	if (plan->second_look)
		probe_second_look(cfg, res, plan->second_look_s);
	return 0;
}
