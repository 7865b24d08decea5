/* probe_ep.c - /probe?target=NAME&module=M, Prometheus' multi-target
 * exporter pattern (blackbox_exporter, mysqld_exporter): one fresh attempt
 * per transport of a configured target, answered with that attempt's
 * series when it ends; a [module NAME] of the config changes the
 * transports, query, timeout or ssl-mode. Credentials come from the
 * config, never the URL; these attempts are not added to /metrics'
 * counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "watch/daemon_int.h"

struct watch_probe_req {
	struct watch_http_req *hreq;
	size_t ti;
	struct watch_runner *r;
	uint32_t want;	  /* pc.targets this request probes */
	uint32_t have;	  /* those whose attempt has ended */
	unsigned pending; /* attempts in flight */
	int starting;	  /* still inside watch_probe_begin() */
	struct cd_attempt at[PROBE_MAX_TARGETS];
	struct watch_ticket tk[PROBE_MAX_TARGETS];
	struct watch_probe_req *next;
};

/* The job of module mi ([module NAME]) for runner r, made at its first
 * use: r's addresses with the module's query, timeout and ssl-mode.
 * NULL with msg when it cannot be made. */
static struct probe_job *module_job(struct watch_runner *r,
				    const struct watch_config *c, size_t mi,
				    char *msg, size_t msglen)
{
	const struct watch_module *m = &c->modules[mi];
	struct probe_config *pc, dflt;
	char err[256];
	int p;

	if (!r->mjob) {
		r->mjob = calloc(c->nmodules, sizeof(struct probe_job *));
		r->mpc = calloc(c->nmodules, sizeof(*r->mpc));
		if (!r->mjob || !r->mpc) {
			free(r->mjob);
			free(r->mpc);
			r->mjob = NULL;
			r->mpc = NULL;
			snprintf(msg, msglen, "500 out of memory");
			return NULL;
		}
		r->nm = c->nmodules;
	}
	pc = &r->mpc[mi];
	if (r->mjob[mi]) { /* the target's addresses as they are now */
		memcpy(pc->targets, r->pc.targets, sizeof(pc->targets));
		pc->ntargets = r->pc.ntargets;
		return r->mjob[mi];
	}
	*pc = r->pc;
	if (m->query)
		pc->query = m->query;
	if (m->ssl_mode_set)
		pc->ssl_mode = m->ssl_mode;
	if (m->timeout_s > 0) {
		probe_config_init(&dflt);
		for (p = 0; p < CD_PH__COUNT; p++)
			pc->timeout_s[p] = dflt.timeout_s[p] > m->timeout_s
						   ? m->timeout_s
						   : dflt.timeout_s[p];
	}
	if (probe_job_new(&r->mjob[mi], pc, err, sizeof(err)) < 0) {
		snprintf(msg, msglen, "500 [module %s]: %s", m->name, err);
		return NULL;
	}
	return r->mjob[mi];
}

/* Transports module m probes (bit per enum cd_transport) and in *mi the
 * index of a [module NAME] (c->nmodules for a built-in one); 0: unknown. */
static unsigned module_mask(const struct watch_config *c, const char *m,
			    size_t *mi)
{
	size_t i;

	*mi = c->nmodules;
	if (watch_module_builtin(m))
		return watch_module_builtin(m);
	for (i = 0; i < c->nmodules; i++)
		if (!strcmp(c->modules[i].name, m)) {
			*mi = i;
			return c->modules[i].transports;
		}
	return 0;
}

static const char *transport_name(enum cd_transport tr)
{
	return tr == CD_SOCKET ? "socket" : "tcp";
}

/* The series of one transport: the attempts of its addresses summed as
 * /metrics sums them; success only when every one logged in. */
static void render_transport(FILE *out, const struct watch_target *t,
			     const struct watch_probe_req *q,
			     enum cd_transport tr, const char *name)
{
	struct rpt_prom_label l[WATCH_LABELS_MAX + 4];
	const struct probe_config *pc = &q->r->pc;
	size_t n = watch_target_labels(t, l, (int)tr);
	unsigned k;
	int p;

	for (k = 0; k < pc->ntargets; k++) {
		const struct cd_attempt *a = &q->at[k];
		char code[8];

		if (!(q->have & 1u << k) || pc->targets[k].transport != tr)
			continue;
		l[n].key = "address";
		l[n].value = pc->targets[k].label;
		if (!strcmp(name, "success"))
			rpt_prom_sample(out, "conndoctor_probe_success", l,
					n + 1, NULL, NULL, a->outcome == CD_OK);
		else if (!strcmp(name, "duration"))
			rpt_prom_sample(
				out, "conndoctor_probe_duration_seconds", l,
				n + 1, NULL, NULL, (double)a->total_ns / 1e9);
		else if (!strcmp(name, "phase")) {
			for (p = 0; p < CD_PH__COUNT; p++) {
				if (a->phase_ns[p] < 0)
					continue;
				l[n + 1].key = "phase";
				l[n + 1].value =
					cd_phase_name((enum cd_phase)p);
				rpt_prom_sample(
					out,
					"conndoctor_probe_phase_duration_"
					"seconds",
					l, n + 2, NULL, NULL,
					(double)a->phase_ns[p] / 1e9);
			}
		} else {
			l[n + 1].key = "outcome";
			l[n + 1].value = cd_outcome_name(a->outcome);
			snprintf(code, sizeof(code), "%u",
				 (unsigned)a->mysql_code);
			rpt_prom_sample(out, "conndoctor_probe_outcome", l,
					n + 2, a->mysql_code ? "code" : NULL,
					code, 1);
		}
	}
}

static void render(FILE *out, const struct watch_target *t,
		   const struct watch_probe_req *q)
{
	static const struct {
		const char *key, *name, *help;
	} fam[] = {
		{"success", "conndoctor_probe_success",
		 "1 when the attempt logged in, ran its query and quit."},
		{"duration", "conndoctor_probe_duration_seconds",
		 "The attempt from start to its end."},
		{"phase", "conndoctor_probe_phase_duration_seconds",
		 "Each phase the attempt reached (a failed one: until it "
		 "failed)."},
		{"outcome", "conndoctor_probe_outcome",
		 "1 with the attempt's outcome class (and its MySQL error "
		 "code when the server sent one)."},
	};
	size_t f;
	int tr;

	for (f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		rpt_prom_family(out, fam[f].name, "gauge", fam[f].help);
		for (tr = CD_TCP; tr <= CD_SOCKET; tr++)
			render_transport(out, t, q, (enum cd_transport)tr,
					 fam[f].key);
	}
}

static void unlink_req(struct watch_daemon *d, struct watch_probe_req *q)
{
	struct watch_probe_req **pp;

	for (pp = &d->reqs; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			return;
		}
}

static void complete(struct watch_daemon *d, struct watch_probe_req *q)
{
	char *body = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&body, &len);

	unlink_req(d, q);
	if (fp) {
		render(fp, &d->cfg->targets[q->ti], q);
		if (fclose(fp) != 0) {
			free(body);
			body = NULL;
		}
	}
	if (body)
		watch_http_answer(d->http, q->hreq, 200, body, len);
	else
		watch_http_answer(d->http, q->hreq, 500,
				  strdup("500 out of memory\n"), 18);
	free(q);
}

void watch_probe_req_done(struct watch_daemon *d, struct watch_ticket *tk,
			  const struct cd_attempt *a)
{
	struct watch_probe_req *q = tk->req;

	q->at[tk->k] = *a;
	q->have |= 1u << tk->k;
	q->pending--;
	if (!q->pending && !q->starting)
		complete(d, q);
}

void watch_probe_reqs_fail(struct watch_daemon *d)
{
	static const char msg[] = "503 conndoctor watch is stopping\n";

	while (d->reqs) {
		struct watch_probe_req *q = d->reqs;

		d->reqs = q->next;
		watch_http_answer(d->http, q->hreq, 503, strdup(msg),
				  sizeof(msg) - 1);
		free(q);
	}
}

int watch_probe_begin(void *ctx, struct watch_http_req *hreq,
		      const char *target, const char *module, char *msg,
		      size_t msglen)
{
	struct watch_daemon *d = ctx;
	struct watch_probe_req *q;
	struct watch_runner *r;
	const struct watch_target *t = NULL;
	struct probe_job *job;
	char err[512];
	unsigned mask, k;
	size_t ti, mi;

	if (!target || !*target) {
		snprintf(msg, msglen,
			 "400 /probe needs target=NAME, a "
			 "[target NAME] of the config");
		return 400;
	}
	mask = module_mask(d->cfg, module, &mi);
	if (!mask) {
		snprintf(msg, msglen,
			 "400 unknown module '%.64s': all (default), tcp, "
			 "socket, or a [module NAME] of the config",
			 module);
		return 400;
	}
	for (ti = 0; ti < d->cfg->ntargets; ti++)
		if (!strcmp(d->cfg->targets[ti].name, target)) {
			t = &d->cfg->targets[ti];
			break;
		}
	if (!t) {
		snprintf(msg, msglen, "404 no such target in the config");
		return 404;
	}
	if (d->draining) {
		snprintf(msg, msglen, "503 reloading or stopping; try again");
		return 503;
	}
	r = &d->rs[ti];
	if (!r->ready && watch_runner_ready(r, t, err, sizeof(err)) < 0) {
		snprintf(msg, msglen, "503 [target %s]: %s", t->name, err);
		return 503;
	}
	job = mi < d->cfg->nmodules ? module_job(r, d->cfg, mi, msg, msglen)
				    : r->job;
	if (!job)
		return 500;
	q = calloc(1, sizeof(*q));
	if (!q) {
		snprintf(msg, msglen, "500 out of memory");
		return 500;
	}
	q->hreq = hreq;
	q->ti = ti;
	q->r = r;
	for (k = 0; k < r->pc.ntargets; k++)
		if (mask & 1u << r->pc.targets[k].transport)
			q->want |= 1u << k;
	if (!q->want) {
		free(q);
		snprintf(msg, msglen, "400 target %s has no %s transport",
			 t->name,
			 transport_name(mask & 1u << CD_TCP ? CD_TCP
							    : CD_SOCKET));
		return 400;
	}
	q->next = d->reqs;
	d->reqs = q;
	q->starting = 1;
	for (k = 0; k < r->pc.ntargets; k++) {
		if (!(q->want & 1u << k))
			continue;
		q->tk[k].r = r;
		q->tk[k].req = q;
		q->tk[k].k = k;
		q->pending++;
		if (probe_engine_start(d->eng, job, k, &q->tk[k]) < 0) {
			q->pending--;
			q->want &= ~(1u << k);
		}
	}
	q->starting = 0;
	if (!q->want) { /* not one started */
		unlink_req(d, q);
		free(q);
		snprintf(msg, msglen,
			 "503 too many attempts in flight; try again");
		return 503;
	}
	if (!q->pending)
		complete(d, q);
	return 0;
}
