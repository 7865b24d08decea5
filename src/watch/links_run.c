/* links_run.c - the idle sessions and replica polls on watch's loop: each
 * is an attempt of the shared probe engine with a job of its own, over the
 * target's first address (or its socket when it has no host). An idle
 * session logs in, stays idle for idle-check (a cut ends it at once), is
 * checked with the query and quits; then it is opened again. A replica
 * poll is one status query per round of the target (SHOW ALL SLAVES
 * STATUS, or MySQL's statements once the server refused it); a host cache
 * read is one query every host-cache period (hostcache.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/conntrack.h"
#include "check/firewall.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "watch/daemon_int.h"

/* How soon an idle session that ended is opened again, and how long after
 * one that did not get to log in (an interval later, like the rounds). */
#define REOPEN_NS ((int64_t)1000000000)

static void replica_pkt(void *udata, int row, const uint8_t *p, size_t len)
{
	struct watch_ticket *tk = udata;

	watch_replica_parse_pkt(&tk->r->rp, row, p, len);
}

static void hc_pkt(void *udata, int row, const uint8_t *p, size_t len)
{
	struct watch_ticket *tk = udata;

	watch_hc_parse_pkt(&tk->r->hc->parse, row, p, len);
}

int watch_links_jobs(struct watch_runner *r, const struct watch_target *t,
		     char *err, size_t errlen)
{
	if (!r->pc.ntargets)
		return 0;
	/* The host cache is of TCP clients: over the first TCP address. */
	if (t->host_cache && !r->hc && r->pc.targets[0].transport == CD_TCP) {
		r->hc = calloc(1, sizeof(*r->hc));
		if (!r->hc) {
			cd_errf(err, errlen, "out of memory");
			return -1;
		}
		r->hc->pc = r->pc;
		r->hc->pc.ntargets = 1;
		r->hc->pc.query = WATCH_HOSTCACHE_QUERY;
		r->hc->pc.result_pkt = hc_pkt;
		if (probe_job_new(&r->hc->job, &r->hc->pc, err, errlen) < 0) {
			free(r->hc);
			r->hc = NULL;
			return -1;
		}
	}
	if (t->idle_survival && !r->ijob) {
		r->ipc = r->pc;
		r->ipc.ntargets = 1;
		r->ipc.idle_s = t->idle_check_s;
		r->ipc.idle_end_on_cut = 1;
		if (probe_job_new(&r->ijob, &r->ipc, err, errlen) < 0)
			return -1;
	}
	if (t->replica && !r->rjob) {
		r->rpc = r->pc;
		r->rpc.ntargets = 1;
		r->rpc.query = watch_replica_queries[r->rep_query];
		r->rpc.result_pkt = replica_pkt;
		if (probe_job_new(&r->rjob, &r->rpc, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int watch_links_index(struct watch_daemon *d)
{
	size_t i;

	free(d->linked);
	d->linked = NULL;
	d->nlinked = 0;
	for (i = 0; i < d->cfg->ntargets; i++) {
		const struct watch_target *t = &d->cfg->targets[i];

		if (!t->idle_survival && !t->replica)
			continue;
		if (!d->linked) {
			d->linked = calloc(d->cfg->ntargets, sizeof(size_t));
			if (!d->linked)
				return -1;
		}
		d->linked[d->nlinked++] = i;
	}
	return 0;
}

static void set_ticket(struct watch_runner *r, int which)
{
	struct watch_ticket *tk = &r->lticket[which];

	tk->r = r;
	tk->req = NULL;
	tk->k = 0;
	tk->kind = which == 2	? WATCH_TK_HOSTCACHE
		   : which == 1 ? WATCH_TK_REPLICA
				: WATCH_TK_IDLE;
}

void watch_links_start(struct watch_daemon *d)
{
	int64_t now = cd_now_ns();
	size_t i;

	if (d->draining)
		return;
	for (i = 0; i < d->nlinked; i++) {
		struct watch_runner *r = &d->rs[d->linked[i]];

		if (!r->ijob || r->idle_busy || r->idle_next_ns > now)
			continue;
		set_ticket(r, 0);
		if (probe_engine_start(d->eng, r->ijob, 0, &r->lticket[0]) < 0)
			return; /* no free slot: later */
		r->idle_busy = 1;
	}
}

/* Reads the host cache with this round when it is due: every
 * host-cache period, less half an interval so that the round that comes
 * about then does it. */
static void hc_round(struct watch_daemon *d, size_t ti)
{
	struct watch_runner *r = &d->rs[ti];
	const struct watch_target *t = &d->cfg->targets[ti];
	int64_t now = cd_now_ns();

	if (!r->hc || r->hc->busy || d->draining || now < r->hc->next_ns)
		return;
	watch_hc_parse_init(&r->hc->parse, 1);
	set_ticket(r, 2);
	if (probe_engine_start(d->eng, r->hc->job, 0, &r->lticket[2]) < 0)
		return; /* no free slot: the next round */
	r->hc->busy = 1;
	r->hc->next_ns =
		now + (int64_t)((t->host_cache_s - t->interval_s / 2) * 1e9);
}

void watch_links_round(struct watch_daemon *d, size_t ti)
{
	struct watch_runner *r = &d->rs[ti];

	hc_round(d, ti);
	if (!r->rjob || r->rep_busy || d->draining)
		return;
	if (r->rpc.query != watch_replica_queries[r->rep_query]) {
		char err[256];

		/* The server did not know the last statement: the next one,
		 * in a job of its own (none of the old one's in flight). */
		probe_job_free(r->rjob);
		r->rjob = NULL;
		r->rpc.query = watch_replica_queries[r->rep_query];
		if (probe_job_new(&r->rjob, &r->rpc, err, sizeof(err)) < 0) {
			fprintf(stderr,
				"conndoctor watch: [target %s]: no replica "
				"polls: %s\n",
				d->cfg->targets[ti].name, err);
			return;
		}
	}
	watch_replica_parse_init(&r->rp);
	set_ticket(r, 1);
	r->rep_busy = 1;
	if (probe_engine_start(d->eng, r->rjob, 0, &r->lticket[1]) < 0)
		r->rep_busy = 0; /* no free slot: the next round */
}

/* The host's rulesets and nf_conntrack_tcp_loose, read again when
 * WATCH_FW_EVERY_S have passed: iptables-save and nft run as subprocesses
 * on the loop (bounded in time), so not each round. */
static void read_fw(struct watch_daemon *d)
{
	struct chk_ct_info ct;
	int64_t now = cd_now_ns();

	if (now < d->fw_next_ns)
		return;
	d->fw_next_ns = now + (int64_t)WATCH_FW_EVERY_S * 1000000000;
	watch_links_free(d);
	d->fw = malloc(sizeof(*d->fw));
	if (d->fw && chk_fw_ruleset_read(d->fw, "/proc") != 1) {
		free(d->fw);
		d->fw = NULL;
	}
	chk_ct_info_init(&ct);
	chk_ct_sysctl_read(&ct, "/proc");
	d->fw_loose = (int)ct.tcp_loose;
	chk_ct_info_free(&ct);
}

void watch_links_free(struct watch_daemon *d)
{
	if (d->fw)
		chk_ruleset_free(d->fw);
	free(d->fw);
	d->fw = NULL;
}

void watch_links_done(struct watch_daemon *d, struct watch_ticket *tk,
		      const struct cd_attempt *a)
{
	struct watch_runner *r = tk->r;
	size_t ti = (size_t)(r - d->rs);
	struct watch_link *l = &d->st.links[ti];

	if (tk->kind == WATCH_TK_HOSTCACHE) {
		r->hc->busy = 0;
		if (watch_hc_done(l, a, &r->hc->parse))
			fprintf(stderr,
				"conndoctor watch: [target %s]: the host cache "
				"is not readable (%s, ERROR %u): its gauges "
				"are left out; GRANT SELECT ON "
				"performance_schema.host_cache to read it\n",
				d->cfg->targets[ti].name,
				cd_outcome_name(a->outcome),
				(unsigned)a->mysql_code);
		return;
	}
	if (tk->kind == WATCH_TK_IDLE) {
		int reached =
			watch_idle_done(l, r->ipc.targets[0].transport, a);

		r->idle_busy = 0;
		r->idle_next_ns =
			cd_now_ns() +
			(reached ? REOPEN_NS
				 : (int64_t)(d->cfg->targets[ti].interval_s *
					     1e9));
		return;
	}
	r->rep_busy = 0;
	r->rep_query = watch_replica_next_query(r->rep_query, a);
	if (a->outcome == CD_OK && r->rp.have_row) {
		struct watch_fw fw;

		read_fw(d);
		fw.rs = d->fw;
		fw.tcp_loose = d->fw_loose;
		watch_replica_done(l, a, &r->rp, &fw);
	} else {
		watch_replica_done(l, a, &r->rp, NULL);
	}
	watch_evaluate(d, r);
}

int64_t watch_links_next_ns(const struct watch_daemon *d)
{
	int64_t next = INT64_MAX;
	size_t i;

	for (i = 0; i < d->nlinked; i++) {
		const struct watch_runner *r = &d->rs[d->linked[i]];

		if (r->ijob && !r->idle_busy && r->idle_next_ns < next)
			next = r->idle_next_ns;
	}
	return next;
}

void watch_links_abort(struct watch_daemon *d)
{
	size_t i;

	for (i = 0; i < d->nlinked; i++) {
		struct watch_runner *r = &d->rs[d->linked[i]];

		if (r->idle_busy) {
			probe_engine_abort_job(d->eng, r->ijob);
			r->idle_busy = 0;
		}
	}
}
