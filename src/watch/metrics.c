/* metrics.c - what watch has measured, per target and transport, and its
 * rendering as Prometheus series (names per prometheus.io's naming
 * practices: conndoctor_ prefix, base units, _total counters). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/analysis.h"
#include "findings/findings.h"
#include "watch/watch.h"

/* Labels of a series: target, the target's own labels, then transport. */
#define LABELS_MAX (WATCH_LABELS_MAX + 3)

static const char *const transport_names[2] = {"tcp", "socket"};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int watch_state_init(struct watch_state *s, const struct watch_config *cfg,
		     const struct cd_host_facts *f)
{
	size_t i, p, tr;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->nedges = watch_buckets_of(f, s->edges, RPT_PROM_EDGES_MAX);
	s->series =
		calloc(cfg->ntargets ? cfg->ntargets : 1, sizeof(*s->series));
	s->findings =
		calloc(cfg->ntargets ? cfg->ntargets : 1, sizeof(*s->findings));
	if (!s->series || !s->findings) {
		free(s->series);
		free(s->findings);
		s->series = NULL;
		s->findings = NULL;
		return -1;
	}
	for (i = 0; i < cfg->ntargets; i++)
		for (tr = 0; tr < 2; tr++)
			for (p = 0; p < CD_PH__COUNT; p++)
				rpt_prom_hist_init(&s->series[i][tr].phase[p],
						   s->edges, s->nedges);
	return 0;
}

void watch_state_free(struct watch_state *s)
{
	free(s->series);
	free(s->findings);
	memset(s, 0, sizeof(*s));
}

void watch_state_record(struct watch_state *s, size_t ti, enum cd_transport tr,
			const struct cd_attempt *a)
{
	struct watch_series *se = &s->series[ti][tr == CD_SOCKET];
	unsigned i;
	int p;

	for (i = 0; a->mysql_code && i < se->ncodes; i++)
		if (se->codes[i].outcome == a->outcome &&
		    se->codes[i].code == a->mysql_code)
			break;
	if (a->mysql_code && i == se->ncodes && i < WATCH_CODES_MAX) {
		se->codes[i].outcome = a->outcome;
		se->codes[i].code = a->mysql_code;
		se->ncodes++;
	}
	if (a->mysql_code && i < se->ncodes)
		se->codes[i].n++;
	else if (a->outcome < CD_OUTCOME__COUNT)
		se->attempts[a->outcome]++;
	se->have_last = 1;
	se->seen = 1;
	se->last = a->outcome;
	/* Every phase reached, the failed one included: a connect that gave
	 * up after the SYN schedule shows in the bucket of its give-up. */
	for (p = 0; p < CD_PH__COUNT; p++)
		if (a->phase_ns[p] >= 0)
			rpt_prom_hist_observe(&se->phase[p],
					      (double)a->phase_ns[p] / 1e9);
}

void watch_state_skipped(struct watch_state *s, size_t ti, enum cd_transport tr)
{
	s->series[ti][tr == CD_SOCKET].skipped++;
}

void watch_state_rebase(struct watch_state *s)
{
	size_t i;
	int tr, p;

	for (i = 0; i < s->cfg->ntargets; i++)
		for (tr = 0; tr < 2; tr++)
			for (p = 0; p < CD_PH__COUNT; p++)
				s->series[i][tr].phase[p].edges = s->edges;
}

void watch_state_carry(struct watch_state *s, size_t ti,
		       const struct watch_state *old, size_t oi)
{
	int tr, p;

	for (tr = 0; tr < 2; tr++) {
		s->series[ti][tr] = old->series[oi][tr];
		/* The histograms read this state's edges from now on. */
		for (p = 0; p < CD_PH__COUNT; p++)
			s->series[ti][tr].phase[p].edges = s->edges;
	}
	s->findings[ti] = old->findings[oi];
}

/* Whether target i has series over tr: configured, or a socket found
 * beside its host. */
static int uses_any(const struct watch_state *s, size_t i, int tr)
{
	const struct watch_target *t = &s->cfg->targets[i];

	if (s->series[i][tr].seen) /* a socket found beside the host */
		return 1;
	return tr == CD_TCP ? t->host != NULL : t->socket != NULL;
}

size_t watch_target_labels(const struct watch_target *t,
			   struct rpt_prom_label *l, int tr)
{
	size_t n = 0, i;

	l[n].key = "target";
	l[n++].value = t->name;
	for (i = 0; i < t->nlabels; i++) {
		l[n].key = t->labels[i].key;
		l[n++].value = t->labels[i].value;
	}
	if (tr >= 0) {
		l[n].key = "transport";
		l[n++].value = transport_names[tr];
	}
	return n;
}

static void render_attempts(FILE *out, const struct watch_state *s)
{
	struct rpt_prom_label l[LABELS_MAX + 1];
	char code[8];
	size_t i, n;
	unsigned c;
	int tr, o;

	rpt_prom_family(out, "conndoctor_attempts_total", "counter",
			"Connection attempts (login, query, COM_QUIT) by "
			"outcome class, the tokens of conndoctor probe; with "
			"a code label when the server sent a MySQL error.");
	for (i = 0; i < s->cfg->ntargets; i++)
		for (tr = 0; tr < 2; tr++) {
			const struct watch_series *se = &s->series[i][tr];

			if (!uses_any(s, i, tr))
				continue;
			n = watch_target_labels(&s->cfg->targets[i], l, tr);
			for (o = 0; o < CD_OUTCOME__COUNT; o++)
				rpt_prom_sample(
					out, "conndoctor_attempts_total", l, n,
					"outcome",
					cd_outcome_name((enum cd_outcome)o),
					(double)se->attempts[o]);
			for (c = 0; c < se->ncodes; c++) {
				l[n].key = "outcome";
				l[n].value =
					cd_outcome_name(se->codes[c].outcome);
				snprintf(code, sizeof(code), "%u",
					 (unsigned)se->codes[c].code);
				rpt_prom_sample(out,
						"conndoctor_attempts_total", l,
						n + 1, "code", code,
						(double)se->codes[c].n);
			}
		}
}

static void render_skipped(FILE *out, const struct watch_state *s)
{
	struct rpt_prom_label l[LABELS_MAX];
	size_t i, n;
	int tr;

	rpt_prom_family(out, "conndoctor_attempts_skipped_total", "counter",
			"Rounds in which an attempt was due while the last one "
			"to the same address was still in flight.");
	for (i = 0; i < s->cfg->ntargets; i++)
		for (tr = 0; tr < 2; tr++) {
			if (!uses_any(s, i, tr))
				continue;
			n = watch_target_labels(&s->cfg->targets[i], l, tr);
			rpt_prom_sample(
				out, "conndoctor_attempts_skipped_total", l, n,
				NULL, NULL, (double)s->series[i][tr].skipped);
		}
}

static void render_findings(FILE *out, const struct watch_state *s)
{
	struct rpt_prom_label l[LABELS_MAX + 1];
	size_t i, n;
	unsigned f;

	rpt_prom_family(out, "conndoctor_finding", "gauge",
			"1 for each finding of the target's last evaluation "
			"(the probe rules over its recent attempts); "
			"conndoctor explain CODE documents it.");
	for (i = 0; i < s->cfg->ntargets; i++) {
		const struct watch_targetfind *tf = &s->findings[i];

		n = watch_target_labels(&s->cfg->targets[i], l, -1);
		for (f = 0; f < tf->n; f++) {
			int sev = tf->v[f].severity;

			l[n].key = "code";
			l[n].value = tf->v[f].code;
			rpt_prom_sample(
				out, "conndoctor_finding", l, n + 1, "severity",
				cd_severity_name((enum cd_severity)sev), 1);
		}
	}
}

static void render_up(FILE *out, const struct watch_state *s)
{
	struct rpt_prom_label l[LABELS_MAX];
	size_t i, n;
	int tr;

	rpt_prom_family(out, "conndoctor_up", "gauge",
			"1 when the last attempt logged in and ran its query, "
			"0 when it failed; absent before the first attempt.");
	for (i = 0; i < s->cfg->ntargets; i++)
		for (tr = 0; tr < 2; tr++) {
			const struct watch_series *se = &s->series[i][tr];

			if (!uses_any(s, i, tr) || !se->have_last)
				continue;
			n = watch_target_labels(&s->cfg->targets[i], l, tr);
			rpt_prom_sample(out, "conndoctor_up", l, n, NULL, NULL,
					se->last == CD_OK);
		}
}

static void render_phases(FILE *out, const struct watch_state *s)
{
	struct rpt_prom_label l[LABELS_MAX + 1];
	size_t i, n;
	int tr, p;

	rpt_prom_family(out, "conndoctor_phase_duration_seconds", "histogram",
			"Duration of each phase reached by an attempt (a "
			"failed phase: until it failed); bucket edges on the "
			"host's SYN retransmission schedule and resolver "
			"ladder.");
	for (i = 0; i < s->cfg->ntargets; i++)
		for (tr = 0; tr < 2; tr++) {
			if (!uses_any(s, i, tr))
				continue;
			n = watch_target_labels(&s->cfg->targets[i], l, tr);
			for (p = 0; p < CD_PH__COUNT; p++) {
				if (p == CD_PH_IDLE)
					continue; /* watch holds no idle */
				l[n].key = "phase";
				l[n].value = cd_phase_name((enum cd_phase)p);
				rpt_prom_histogram(
					out,
					"conndoctor_phase_duration_seconds", l,
					n + 1, &s->series[i][tr].phase[p]);
			}
		}
}

void watch_state_render(FILE *out, const struct watch_state *s,
			int64_t scrape_start_ns)
{
	render_attempts(out, s);
	render_skipped(out, s);
	render_up(out, s);
	render_phases(out, s);
	render_findings(out, s);
	rpt_prom_family(out, "conndoctor_config_reloads_total", "counter",
			"SIGHUP reloads by result: applied, or refused (the "
			"running config stayed).");
	rpt_prom_sample(out, "conndoctor_config_reloads_total", NULL, 0,
			"result", "applied", (double)s->reloads);
	rpt_prom_sample(out, "conndoctor_config_reloads_total", NULL, 0,
			"result", "refused", (double)s->reload_failures);
	rpt_prom_family(out, "conndoctor_config_last_reload_successful",
			"gauge",
			"0 when the last SIGHUP reload was refused, else 1.");
	rpt_prom_sample(out, "conndoctor_config_last_reload_successful", NULL,
			0, NULL, NULL,
			s->reload_failures && !s->reload_ok ? 0 : 1);
	rpt_prom_family(out, "conndoctor_probe_cpu_seconds_total", "counter",
			"CPU time (user + system) this process spent probing.");
	rpt_prom_sample(out, "conndoctor_probe_cpu_seconds_total", NULL, 0,
			NULL, NULL, (double)s->probe_cpu_us / 1e6);
	rpt_prom_family(out, "conndoctor_build_info", "gauge",
			"Always 1; the version of conndoctor serving.");
	rpt_prom_sample(out, "conndoctor_build_info", NULL, 0, "version",
			CD_VERSION, 1);
	rpt_prom_family(out, "conndoctor_scrape_duration_seconds", "gauge",
			"Time spent rendering this response up to this line.");
	rpt_prom_sample(out, "conndoctor_scrape_duration_seconds", NULL, 0,
			NULL, NULL, (double)(now_ns() - scrape_start_ns) / 1e9);
}
