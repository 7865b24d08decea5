/* json.c - the probe report as one JSON document: configuration, server,
 * summary, findings, and one object per attempt (schema: docs/json.md). */
#include "report/report.h"

#include "mysql/compress.h"
#include "mysql/qattr.h"
#include "util/json.h"

static void stats_json(struct json *j, const struct cd_stats *s)
{
	json_obj(j);
	json_key(j, "n");
	json_int(j, (int64_t)s->n);
	json_key(j, "min_s");
	json_fixed(j, (double)s->min / 1e9, 6);
	json_key(j, "p50_s");
	json_fixed(j, (double)s->p50 / 1e9, 6);
	json_key(j, "p90_s");
	json_fixed(j, (double)s->p90 / 1e9, 6);
	json_key(j, "p99_s");
	json_fixed(j, (double)s->p99 / 1e9, 6);
	json_key(j, "max_s");
	json_fixed(j, (double)s->max / 1e9, 6);
	json_key(j, "mean_s");
	json_fixed(j, s->mean / 1e9, 6);
	json_obj_end(j);
}

void rpt_findings_json(struct json *j, const struct cd_findings *fs)
{
	size_t i;
	unsigned k, m;

	json_arr(j);
	for (i = 0; i < fs->n; i++) {
		const struct cd_finding *f = &fs->v[i];

		json_obj(j);
		json_key(j, "code");
		json_str(j, f->def->code);
		json_key(j, "severity");
		json_str(j, cd_severity_name(f->severity));
		json_key(j, "layer");
		json_str(j, cd_layer_name(f->def->layer));
		json_key(j, "title");
		json_str(j, f->def->title);
		json_key(j, "summary");
		json_str(j, f->summary);
		json_key(j, "evidence");
		json_str(j, f->evidence);
		json_key(j, "data");
		json_obj(j);
		for (k = 0; k < f->nev; k++) {
			const struct cd_evidence *e = &f->ev[k];

			json_key(j, e->key);
			if (e->n == 1) {
				json_fixed(j, e->v[0], 4);
				continue;
			}
			json_arr(j);
			for (m = 0; m < e->n; m++)
				json_fixed(j, e->v[m], 4);
			json_arr_end(j);
		}
		json_obj_end(j);
		json_key(j, "advice");
		json_str(j, f->def->advice);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void attempt_json(struct json *j, const struct rpt_probe *p,
			 const struct cd_attempt *a)
{
	size_t nf, i;
	const struct rpt_field *f = rpt_attempt_fields(&nf);
	char scratch[256];

	json_obj(j);
	for (i = 0; i < nf; i++) {
		struct rpt_value v = {0};

		f[i].get(p, a, &v, scratch, sizeof(scratch));
		json_key(j, f[i].name);
		if (!v.present) {
			json_null(j);
			continue;
		}
		switch (v.kind) {
		case RPT_INT:
			json_int(j, v.i);
			break;
		case RPT_SECONDS:
			json_fixed(j, v.d, 6);
			break;
		case RPT_BOOL:
			json_bool(j, (int)v.i);
			break;
		default:
			json_str(j, v.s);
		}
	}
	json_obj_end(j);
}

/* Which attempts "attempts" holds: all of them, or (a long run) every
 * failure up to a cap and a uniform sample of the ok ones. */
static void records_json(struct json *jp, const struct probe_result *r)
{
	json_obj(jp);
	json_key(jp, "kept");
	json_int(jp, (int64_t)r->nattempts);
	json_key(jp, "dropped");
	json_int(jp, (int64_t)probe_result_dropped(r));
	json_key(jp, "complete");
	json_bool(jp, probe_result_dropped(r) == 0);
	json_key(jp, "failures_kept");
	json_int(jp, (int64_t)r->kept_failed);
	json_key(jp, "failures_dropped");
	json_int(jp, (int64_t)r->dropped_failed);
	json_key(jp, "failures_max");
	json_int(jp, PROBE_KEEP_FAILURES);
	json_key(jp, "ok_kept");
	json_int(jp, (int64_t)r->kept_ok);
	json_key(jp, "ok_sample_max");
	json_int(jp, PROBE_KEEP_OK);
	json_key(jp, "percentiles");
	json_str(jp, probe_result_dropped(r) ? "histogram" : "exact");
	json_obj_end(jp);
}

void rpt_probe_json_obj(struct json *jp, const struct rpt_probe *p)
{
	const struct probe_result *r = p->res;
	struct cd_summary s;
	unsigned t;
	int ph, o;
	size_t i;

	if (cd_summarize_result(r, -1, &s))
		return;
	json_obj(jp);
	json_key(jp, "conndoctor");
	json_str(jp, CD_VERSION);
	json_key(jp, "command");
	json_str(jp, "probe");
	json_key(jp, "exit_status");
	json_int(jp, p->exit_status);
	json_key(jp, "interrupted");
	json_bool(jp, r->interrupted);

	json_key(jp, "config");
	json_obj(jp);
	json_key(jp, "host");
	json_str(jp, p->cfg->host);
	json_key(jp, "port");
	json_int(jp, p->cfg->port);
	json_key(jp, "user");
	json_str(jp, p->cfg->user);
	json_key(jp, "concurrency");
	json_int(jp, p->cfg->concurrency);
	json_key(jp, "count");
	json_int(jp, (int64_t)p->cfg->count);
	json_key(jp, "rate");
	json_fixed(jp, p->cfg->rate, 3);
	json_key(jp, "idle_s");
	json_fixed(jp, p->cfg->idle_s, 3);
	json_key(jp, "timeouts_s");
	json_obj(jp);
	for (ph = 0; ph < CD_PH__COUNT; ph++) {
		json_key(jp, cd_phase_name((enum cd_phase)ph));
		json_fixed(jp, p->cfg->timeout_s[ph], 3);
	}
	json_obj_end(jp);
	json_obj_end(jp);

	json_key(jp, "host_facts");
	json_obj(jp);
	json_key(jp, "tcp_syn_retries");
	json_int(jp, p->facts->syn_retries);
	json_key(jp, "tcp_syn_linear_timeouts");
	json_int(jp, p->facts->syn_linear_timeouts);
	json_key(jp, "kernel_hz");
	json_int(jp, p->facts->hz);
	json_key(jp, "resolv_timeout_s");
	json_int(jp, p->facts->resolv_timeout_s);
	json_key(jp, "resolv_attempts");
	json_int(jp, p->facts->resolv_attempts);
	json_obj_end(jp);

	json_key(jp, "server");
	json_obj(jp);
	json_key(jp, "version");
	if (r->server_version[0])
		json_str(jp, r->server_version);
	else
		json_null(jp);
	json_key(jp, "mariadb");
	json_bool(jp, r->server_is_mariadb);
	/* What the greeting offers (MySQL "Compression"). */
	json_key(jp, "compression");
	if (r->server_version[0]) {
		json_arr(jp);
		if (r->server_caps & MYSQL_CLIENT_COMPRESS)
			json_str(jp, "zlib");
		if (r->server_caps & MYSQL_CLIENT_ZSTD_COMPRESSION_ALGORITHM)
			json_str(jp, "zstd");
		json_arr_end(jp);
	} else {
		json_null(jp);
	}
	/* CLIENT_QUERY_ATTRIBUTES in the greeting (--query-attribute). */
	json_key(jp, "query_attributes");
	if (r->server_version[0])
		json_bool(jp, (r->server_caps &
			       MYSQL_CLIENT_QUERY_ATTRIBUTES) != 0);
	else
		json_null(jp);
	json_obj_end(jp);

	json_key(jp, "targets");
	json_arr(jp);
	for (t = 0; t < p->cfg->ntargets; t++) {
		struct cd_summary ts;

		if (cd_summarize_result(r, (int)t, &ts))
			continue;
		json_obj(jp);
		json_key(jp, "label");
		json_str(jp, p->cfg->targets[t].label);
		json_key(jp, "transport");
		json_str(jp, p->cfg->targets[t].transport == CD_TCP ? "tcp"
								    : "socket");
		json_key(jp, "attempts");
		json_int(jp, (int64_t)ts.total);
		json_key(jp, "ok");
		json_int(jp, (int64_t)ts.ok);
		json_obj_end(jp);
	}
	json_arr_end(jp);

	json_key(jp, "summary");
	json_obj(jp);
	json_key(jp, "attempts");
	json_int(jp, (int64_t)s.total);
	json_key(jp, "ok");
	json_int(jp, (int64_t)s.ok);
	json_key(jp, "wall_s");
	json_fixed(jp, (double)r->wall_ns / 1e9, 6);
	json_key(jp, "cpu_us_per_attempt");
	json_fixed(jp, s.total ? (double)r->cpu_us / (double)s.total : 0, 2);
	json_key(jp, "outcomes");
	json_obj(jp);
	for (o = 0; o < CD_OUTCOME__COUNT; o++) {
		if (!s.by_class[o])
			continue;
		json_key(jp, cd_outcome_name((enum cd_outcome)o));
		json_int(jp, (int64_t)s.by_class[o]);
	}
	json_obj_end(jp);
	json_key(jp, "phases");
	json_obj(jp);
	for (ph = 0; ph < CD_PH__COUNT; ph++) {
		if (!s.phase[ph].n)
			continue;
		json_key(jp, cd_phase_name((enum cd_phase)ph));
		stats_json(jp, &s.phase[ph]);
	}
	json_obj_end(jp);
	json_key(jp, "total_ok");
	stats_json(jp, &s.total_ok);
	json_obj_end(jp);

	if (p->ramp) {
		struct cd_level_stat lv[64];
		unsigned rep;

		json_key(jp, "ramp");
		json_arr(jp);
		for (rep = 0; rep < p->repeats; rep++) {
			size_t n = cd_ramp_levels(r, rep, lv, 64), k;

			json_obj(jp);
			json_key(jp, "repeat");
			json_int(jp, rep);
			json_key(jp, "threshold");
			json_int(jp, cd_threshold(lv, n));
			json_key(jp, "levels");
			json_arr(jp);
			for (k = 0; k < n; k++) {
				json_obj(jp);
				json_key(jp, "concurrency");
				json_int(jp, lv[k].level);
				json_key(jp, "attempts");
				json_int(jp, (int64_t)lv[k].attempts);
				json_key(jp, "failures");
				json_int(jp, (int64_t)lv[k].failures);
				json_key(jp, "p90_s");
				json_fixed(jp, (double)lv[k].p90_ns / 1e9, 6);
				json_obj_end(jp);
			}
			json_arr_end(jp);
			json_obj_end(jp);
		}
		json_arr_end(jp);
	}

	json_key(jp, "findings");
	rpt_findings_json(jp, p->findings);

	json_key(jp, "records");
	records_json(jp, r);
	json_key(jp, "attempts");
	json_arr(jp);
	for (i = 0; i < r->nattempts; i++)
		attempt_json(jp, p, &r->attempts[i]);
	json_arr_end(jp);
	json_obj_end(jp);
}

void rpt_probe_json(FILE *out, const struct rpt_probe *p)
{
	struct json j;

	json_init(&j, out, 0);
	rpt_probe_json_obj(&j, p);
	json_flush(&j);
}
