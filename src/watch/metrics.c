/* metrics.c - what watch has measured, per target and transport, and its
 * rendering as Prometheus series (names per prometheus.io's naming
 * practices: conndoctor_ prefix, base units, _total counters). At a
 * thousand targets /metrics is some 100,000 lines, so it renders into one
 * growing buffer, each series' label prefix built once and copied per
 * line, counts formatted as integers without printf. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/analysis.h"
#include "findings/findings.h"
#include "util/vec.h"
#include "watch/links.h"
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
	for (p = 0; p < CD_PH__COUNT; p++)
		s->nedges[p] = watch_buckets_of(f, (int)p, s->edges[p],
						RPT_PROM_EDGES_MAX);
	s->series =
		calloc(cfg->ntargets ? cfg->ntargets : 1, sizeof(*s->series));
	s->findings =
		calloc(cfg->ntargets ? cfg->ntargets : 1, sizeof(*s->findings));
	s->links = calloc(cfg->ntargets ? cfg->ntargets : 1, sizeof(*s->links));
	if (!s->series || !s->findings || !s->links) {
		free(s->series);
		free(s->findings);
		free(s->links);
		s->series = NULL;
		s->findings = NULL;
		s->links = NULL;
		return -1;
	}
	for (i = 0; i < cfg->ntargets; i++)
		s->links[i].idle_tr = -1;
	for (i = 0; i < cfg->ntargets; i++)
		for (tr = 0; tr < 2; tr++)
			for (p = 0; p < CD_PH__COUNT; p++)
				rpt_prom_hist_init(&s->series[i][tr].phase[p],
						   s->edges[p], s->nedges[p]);
	return 0;
}

void watch_state_free(struct watch_state *s)
{
	free(s->series);
	free(s->findings);
	free(s->links);
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
				s->series[i][tr].phase[p].edges = s->edges[p];
}

void watch_state_carry(struct watch_state *s, size_t ti,
		       const struct watch_state *old, size_t oi)
{
	int tr, p;

	for (tr = 0; tr < 2; tr++) {
		s->series[ti][tr] = old->series[oi][tr];
		/* The histograms read this state's edges from now on. */
		for (p = 0; p < CD_PH__COUNT; p++)
			s->series[ti][tr].phase[p].edges = s->edges[p];
	}
	s->findings[ti] = old->findings[oi];
	s->links[ti] = old->links[oi];
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

/* The answer being rendered: one buffer, grown by doubling. */
struct sb {
	char *p;
	size_t len, cap;
	int failed; /* out of memory: the rest is dropped */
};

/* A /metrics answer larger than this is not rendered (1,000 targets take
 * about 15 MB). */
#define SB_MAX (256u << 20)

static int sb_reserve(struct sb *b, size_t n)
{
	char *np;

	if (b->cap - b->len >= n)
		return 0;
	if (b->failed)
		return -1;
	np = n <= SB_MAX - b->len
		     ? cd_vec_grow(b->p, 1, b->len + n, &b->cap, SB_MAX, 4096)
		     : NULL;
	if (!np) {
		b->failed = 1;
		return -1;
	}
	b->p = np;
	return 0;
}

static void sb_put(struct sb *b, const char *s, size_t n)
{
	if (!n || sb_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void sb_str(struct sb *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* A label value: \\, \" and \n escaped. */
static void sb_esc(struct sb *b, const char *v)
{
	const char *p, *run = v;

	for (p = v; *p; p++)
		if (*p == '\\' || *p == '"' || *p == '\n') {
			sb_put(b, run, (size_t)(p - run));
			sb_put(b,
			       *p == '\\'  ? "\\\\"
			       : *p == '"' ? "\\\""
					   : "\\n",
			       2);
			run = p + 1;
		}
	sb_put(b, run, (size_t)(p - run));
}

static void sb_u64(struct sb *b, uint64_t v)
{
	char t[20];
	size_t i = sizeof(t);

	do
		t[--i] = (char)('0' + v % 10);
	while (v /= 10);
	sb_put(b, t + i, sizeof(t) - i);
}

/* A sample value: integers as such, others as rpt_prom_format does. */
static void sb_num(struct sb *b, double v)
{
	char num[32];

	if (v >= 0 && v < 9007199254740992.0 && v == floor(v)) {
		sb_u64(b, (uint64_t)v);
		return;
	}
	rpt_prom_format(v, num, sizeof(num));
	sb_str(b, num);
}

/* Seconds summed from nanoseconds, to the nanosecond: "12.5", "0.000301". */
static void sb_seconds(struct sb *b, double v)
{
	uint64_t ns, frac;
	char t[10];
	int i, end = 9;

	if (!(v >= 0 && v < 1e9)) {
		sb_num(b, v);
		return;
	}
	ns = (uint64_t)llround(v * 1e9);
	sb_u64(b, ns / 1000000000);
	frac = ns % 1000000000;
	if (!frac)
		return;
	t[0] = '.';
	for (i = 9; i >= 1; i--, frac /= 10)
		t[i] = (char)('0' + frac % 10);
	while (t[end] == '0')
		end--;
	sb_put(b, t, (size_t)end + 1);
}

static void sb_family(struct sb *b, const char *name, const char *type,
		      const char *help)
{
	const char *p;

	sb_str(b, "# HELP ");
	sb_str(b, name);
	sb_put(b, " ", 1);
	for (p = help; *p; p++) {
		if (*p == '\\')
			sb_put(b, "\\\\", 2);
		else if (*p == '\n')
			sb_put(b, "\\n", 2);
		else
			sb_put(b, p, 1);
	}
	sb_str(b, "\n# TYPE ");
	sb_str(b, name);
	sb_put(b, " ", 1);
	sb_str(b, type);
	sb_put(b, "\n", 1);
}

/* Appends `k="v"` (escaped), a comma before it when comma is set. */
static void sb_pair(struct sb *b, int comma, const char *k, const char *v)
{
	if (comma)
		sb_put(b, ",", 1);
	sb_str(b, k);
	sb_put(b, "=\"", 2);
	sb_esc(b, v);
	sb_put(b, "\"", 1);
}

/* Appends k="v" to a label prefix, after a comma unless it is the first. */
static void sb_label(struct sb *b, const char *k, const char *v)
{
	sb_pair(b, b->len != 0, k, v);
}

/* The labels of target i (over tr when tr >= 0), without braces, into pre
 * (emptied first). */
static void series_prefix(struct sb *pre, const struct watch_state *s, size_t i,
			  int tr)
{
	struct rpt_prom_label l[LABELS_MAX];
	size_t n, k;

	pre->len = 0;
	n = watch_target_labels(&s->cfg->targets[i], l, tr);
	for (k = 0; k < n; k++)
		sb_label(pre, l[k].key, l[k].value);
}

/* Starts the line name{pre,k="v"} and leaves room for the value. */
static void line(struct sb *b, const char *name, const struct sb *pre,
		 const char *k, const char *v)
{
	sb_str(b, name);
	if (pre->len || k) {
		sb_put(b, "{", 1);
		sb_put(b, pre->p, pre->len);
		if (k)
			sb_pair(b, pre->len != 0, k, v);
		sb_put(b, "}", 1);
	}
	sb_put(b, " ", 1);
}

static void render_attempts(struct sb *b, struct sb *pre,
			    const struct watch_state *s)
{
	static const char name[] = "conndoctor_attempts_total";
	char code[8];
	size_t i, base;
	unsigned c;
	int tr, o;

	sb_family(b, name, "counter",
		  "Connection attempts (login, query, COM_QUIT) by "
		  "outcome class, the tokens of conndoctor probe; with "
		  "a code label when the server sent a MySQL error.");
	for (i = 0; i < s->cfg->ntargets; i++)
		for (tr = 0; tr < 2; tr++) {
			const struct watch_series *se = &s->series[i][tr];

			if (!uses_any(s, i, tr))
				continue;
			series_prefix(pre, s, i, tr);
			for (o = 0; o < CD_OUTCOME__COUNT; o++) {
				line(b, name, pre, "outcome",
				     cd_outcome_name((enum cd_outcome)o));
				sb_u64(b, se->attempts[o]);
				sb_put(b, "\n", 1);
			}
			base = pre->len;
			for (c = 0; c < se->ncodes; c++) {
				pre->len = base;
				sb_label(pre, "outcome",
					 cd_outcome_name(se->codes[c].outcome));
				snprintf(code, sizeof(code), "%u",
					 (unsigned)se->codes[c].code);
				line(b, name, pre, "code", code);
				sb_u64(b, se->codes[c].n);
				sb_put(b, "\n", 1);
			}
		}
}

static void render_skipped(struct sb *b, struct sb *pre,
			   const struct watch_state *s)
{
	static const char name[] = "conndoctor_attempts_skipped_total";
	size_t i;
	int tr;

	sb_family(b, name, "counter",
		  "Rounds in which an attempt was due while the last one "
		  "to the same address was still in flight.");
	for (i = 0; i < s->cfg->ntargets; i++)
		for (tr = 0; tr < 2; tr++) {
			if (!uses_any(s, i, tr))
				continue;
			series_prefix(pre, s, i, tr);
			line(b, name, pre, NULL, NULL);
			sb_u64(b, s->series[i][tr].skipped);
			sb_put(b, "\n", 1);
		}
}

static void render_findings(struct sb *b, struct sb *pre,
			    const struct watch_state *s)
{
	static const char name[] = "conndoctor_finding";
	size_t i, base;
	unsigned f;

	sb_family(b, name, "gauge",
		  "1 for each finding of the target's last evaluation "
		  "(the probe rules over its recent attempts); "
		  "conndoctor explain CODE documents it.");
	for (i = 0; i < s->cfg->ntargets; i++) {
		const struct watch_targetfind *tf = &s->findings[i];

		if (!tf->n)
			continue;
		series_prefix(pre, s, i, -1);
		base = pre->len;
		for (f = 0; f < tf->n; f++) {
			int sev = tf->v[f].severity;

			pre->len = base;
			sb_label(pre, "code", tf->v[f].code);
			line(b, name, pre, "severity",
			     cd_severity_name((enum cd_severity)sev));
			sb_put(b, "1\n", 2);
		}
	}
}

static void render_up(struct sb *b, struct sb *pre, const struct watch_state *s)
{
	static const char name[] = "conndoctor_up";
	size_t i;
	int tr;

	sb_family(b, name, "gauge",
		  "1 when the last attempt logged in and ran its query, "
		  "0 when it failed; absent before the first attempt.");
	for (i = 0; i < s->cfg->ntargets; i++)
		for (tr = 0; tr < 2; tr++) {
			const struct watch_series *se = &s->series[i][tr];

			if (!uses_any(s, i, tr) || !se->have_last)
				continue;
			series_prefix(pre, s, i, tr);
			line(b, name, pre, NULL, NULL);
			sb_put(b, se->last == CD_OK ? "1\n" : "0\n", 2);
		}
}

/* The le values of each phase's edges, formatted once per render. */
struct le_text {
	char v[RPT_PROM_EDGES_MAX][32];
	size_t len[RPT_PROM_EDGES_MAX];
};

static void render_phases(struct sb *b, struct sb *pre,
			  const struct watch_state *s)
{
	static const char name[] = "conndoctor_phase_duration_seconds";
	struct le_text *le;
	struct sb bucket = {0};
	size_t i, base, e;
	int tr, p;

	sb_family(b, name, "histogram",
		  "Duration of each phase reached by an attempt (a "
		  "failed phase: until it failed); bucket edges on the "
		  "host's SYN retransmission schedule (connect) and "
		  "resolver ladder (resolve, greeting).");
	le = calloc(CD_PH__COUNT, sizeof(*le));
	if (!le) {
		b->failed = 1;
		return;
	}
	for (p = 0; p < CD_PH__COUNT; p++)
		for (e = 0; e < s->nedges[p]; e++) {
			rpt_prom_format(s->edges[p][e], le[p].v[e],
					sizeof(le[p].v[e]));
			le[p].len[e] = strlen(le[p].v[e]);
		}
	for (i = 0; i < s->cfg->ntargets; i++)
		for (tr = 0; tr < 2; tr++) {
			if (!uses_any(s, i, tr))
				continue;
			series_prefix(pre, s, i, tr);
			base = pre->len;
			for (p = 0; p < CD_PH__COUNT; p++) {
				const struct rpt_prom_hist *h =
					&s->series[i][tr].phase[p];
				uint64_t cum = 0;

				/* watch holds no idle; a phase no attempt
				 * of the target reached has no series yet
				 * (docs/watch.md: a third of the answer). */
				if (p == CD_PH_IDLE || !h->count)
					continue;
				pre->len = base;
				sb_label(pre, "phase",
					 cd_phase_name((enum cd_phase)p));
				/* name_bucket{labels,le=" once per phase. */
				bucket.len = 0;
				sb_str(&bucket, name);
				sb_str(&bucket, "_bucket{");
				sb_put(&bucket, pre->p, pre->len);
				sb_str(&bucket, ",le=\"");
				if (bucket.failed) {
					b->failed = 1;
					break;
				}
				for (e = 0; e <= h->nedges; e++) {
					if (sb_reserve(b, bucket.len + 64))
						break;
					sb_put(b, bucket.p, bucket.len);
					if (e < h->nedges)
						sb_put(b, le[p].v[e],
						       le[p].len[e]);
					else
						sb_put(b, "+Inf", 4);
					sb_put(b, "\"} ", 3);
					cum += h->counts[e];
					sb_u64(b, cum);
					sb_put(b, "\n", 1);
				}
				sb_str(b, name);
				line(b, "_sum", pre, NULL, NULL);
				sb_seconds(b, h->sum);
				sb_put(b, "\n", 1);
				sb_str(b, name);
				line(b, "_count", pre, NULL, NULL);
				sb_u64(b, h->count);
				sb_put(b, "\n", 1);
			}
		}
	free(bucket.p);
	free(le);
}

/* A series without labels but k="v" (k may be NULL). */
/* The idle sessions' and replicas' series (links.c), when a target has
 * them: few lines, written through a stream. */
static void render_links(struct sb *b, const struct watch_state *s)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f;

	if (!watch_links_any(s))
		return;
	f = open_memstream(&text, &n);
	if (!f) {
		b->failed = 1;
		return;
	}
	watch_links_render(f, s);
	if (fclose(f) == 0)
		sb_put(b, text, n);
	else
		b->failed = 1;
	free(text);
}

static void global(struct sb *b, const char *name, const char *k, const char *v,
		   double value)
{
	static const struct sb none;

	line(b, name, &none, k, v);
	sb_num(b, value);
	sb_put(b, "\n", 1);
}

/* A gauge per destination of the host gauges; skip < 0 values. */
static void host_dest_gauge(struct sb *b, const struct watch_host *h,
			    const char *name, const char *help, int which)
{
	size_t k;

	sb_family(b, name, "gauge", help);
	for (k = 0; k < h->ndests; k++) {
		const struct watch_host_dest *d = &h->dests[k];
		static const struct sb none;

		if (which == 2 && d->stateful_only < 0)
			continue;
		line(b, name, &none, "destination", d->label);
		sb_u64(b, which == 0   ? d->in_use
			  : which == 1 ? d->time_wait
				       : (uint64_t)d->stateful_only);
		sb_put(b, "\n", 1);
	}
}

/* The host gauges of check (host.c), those that were read. */
static void render_host(struct sb *b, const struct watch_host *h)
{
	static const char qlen[] = "conndoctor_listener_accept_queue_length",
			  qmax[] = "conndoctor_listener_accept_queue_limit";
	size_t k, fw = 0;

	if (h->port_lo > 0 && h->port_hi >= h->port_lo) {
		sb_family(b, "conndoctor_local_port_range_size", "gauge",
			  "Ports of net.ipv4.ip_local_port_range.");
		global(b, "conndoctor_local_port_range_size", NULL, NULL,
		       h->port_hi - h->port_lo + 1);
	}
	if (h->census_ok) {
		host_dest_gauge(b, h, "conndoctor_local_ports_in_use",
				"Local ports of the ephemeral range bound "
				"towards a destination, TIME_WAIT included "
				"(the fullest source address).",
				0);
		host_dest_gauge(b, h, "conndoctor_local_ports_time_wait",
				"Sockets towards a destination in TIME_WAIT.",
				1);
		sb_family(b, qlen, "gauge",
			  "Connections waiting in the accept queue of a "
			  "listener on a target's port on this host.");
		for (k = 0; k < h->nlis; k++) {
			global(b, qlen, "listener", h->lis[k].label,
			       h->lis[k].queue);
		}
		sb_family(b, qmax, "gauge",
			  "The accept queue's limit (the listen backlog).");
		for (k = 0; k < h->nlis; k++)
			global(b, qmax, "listener", h->lis[k].label,
			       h->lis[k].limit);
	}
	for (k = 0; k < h->ndests; k++)
		fw += h->dests[k].stateful_only >= 0;
	if (fw)
		host_dest_gauge(b, h, "conndoctor_return_path_stateful_only",
				"1 when this host's packet filter accepts a "
				"destination's traffic only as conntrack "
				"state ESTABLISHED (CD4001), 0 when not.",
				2);
	if (h->fds_ok) {
		sb_family(b, "conndoctor_processes_mysql_on_stdio", "gauge",
			  "Processes holding a MySQL client connection on "
			  "descriptor 0, 1 or 2 (CD1002).");
		global(b, "conndoctor_processes_mysql_on_stdio", NULL, NULL,
		       h->stdio_procs);
	}
}

int watch_state_render_buf(const struct watch_state *s, int64_t scrape_start_ns,
			   char **body, size_t *len, size_t *cap)
{
	struct sb b = {*body, 0, *body ? *cap : 0, 0}, pre = {0};
	size_t lines = 0;
	int p;

	/* Room for the histograms' lines at once, most of the answer. */
	for (p = 0; p < CD_PH__COUNT; p++)
		lines += s->nedges[p] + 3;
	sb_reserve(&b, s->cfg->ntargets * lines * 128 + 65536);
	render_attempts(&b, &pre, s);
	render_skipped(&b, &pre, s);
	render_up(&b, &pre, s);
	render_phases(&b, &pre, s);
	render_findings(&b, &pre, s);
	render_links(&b, s);
	free(pre.p);
	if (s->host)
		render_host(&b, s->host);
	sb_family(&b, "conndoctor_config_reloads_total", "counter",
		  "SIGHUP reloads by result: applied, or refused (the "
		  "running config stayed).");
	global(&b, "conndoctor_config_reloads_total", "result", "applied",
	       (double)s->reloads);
	global(&b, "conndoctor_config_reloads_total", "result", "refused",
	       (double)s->reload_failures);
	sb_family(&b, "conndoctor_config_last_reload_successful", "gauge",
		  "0 when the last SIGHUP reload was refused, else 1.");
	global(&b, "conndoctor_config_last_reload_successful", NULL, NULL,
	       s->reload_failures && !s->reload_ok ? 0 : 1);
	sb_family(&b, "conndoctor_probe_cpu_seconds_total", "counter",
		  "CPU time (user + system) this process spent probing.");
	global(&b, "conndoctor_probe_cpu_seconds_total", NULL, NULL,
	       (double)s->probe_cpu_us / 1e6);
	sb_family(&b, "conndoctor_build_info", "gauge",
		  "Always 1; the version of conndoctor serving.");
	global(&b, "conndoctor_build_info", "version", CD_VERSION, 1);
	sb_family(&b, "conndoctor_scrape_duration_seconds", "gauge",
		  "Time spent rendering this response up to this line.");
	global(&b, "conndoctor_scrape_duration_seconds", NULL, NULL,
	       (double)(now_ns() - scrape_start_ns) / 1e9);
	if (b.failed) {
		free(b.p);
		*body = NULL;
		return -1;
	}
	*body = b.p;
	*len = b.len;
	*cap = b.cap;
	return 0;
}

void watch_state_render(FILE *out, const struct watch_state *s,
			int64_t scrape_start_ns)
{
	char *body = NULL;
	size_t len, cap = 0;

	if (watch_state_render_buf(s, scrape_start_ns, &body, &len, &cap))
		return;
	fwrite(body, 1, len, out);
	free(body);
}
