/* prom.c - the Prometheus text exposition format, version 0.0.4
 * (prometheus.io/docs/instrumenting/exposition_formats): HELP and TYPE
 * lines, label values escaped (\\, \", \n), histograms as cumulative
 * buckets with an le label, a +Inf bucket, _sum and _count. */
#include "report/prom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rpt_prom_format(double v, char *out, size_t outlen)
{
	if (isnan(v)) {
		snprintf(out, outlen, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, outlen, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* Shortest of %.15g and %.17g that reads back exactly, so an edge
	 * of 0.1 is "0.1" and a count is an integer. */
	snprintf(out, outlen, "%.15g", v);
	if (strtod(out, NULL) != v)
		snprintf(out, outlen, "%.17g", v);
}

void rpt_prom_escape(FILE *out, const char *value)
{
	const char *p;

	for (p = value; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", out);
		else if (*p == '"')
			fputs("\\\"", out);
		else if (*p == '\n')
			fputs("\\n", out);
		else
			fputc(*p, out);
	}
}

void rpt_prom_family(FILE *out, const char *name, const char *type,
		     const char *help)
{
	const char *p;

	fprintf(out, "# HELP %s ", name);
	for (p = help; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", out);
		else if (*p == '\n')
			fputs("\\n", out);
		else
			fputc(*p, out);
	}
	fprintf(out, "\n# TYPE %s %s\n", name, type);
}

static void labels(FILE *out, const struct rpt_prom_label *l, size_t nl,
		   const char *extra_key, const char *extra_value)
{
	size_t i;

	if (!nl && !extra_key)
		return;
	fputc('{', out);
	for (i = 0; i < nl; i++) {
		fprintf(out, "%s%s=\"", i ? "," : "", l[i].key);
		rpt_prom_escape(out, l[i].value);
		fputc('"', out);
	}
	if (extra_key) {
		fprintf(out, "%s%s=\"", nl ? "," : "", extra_key);
		rpt_prom_escape(out, extra_value);
		fputc('"', out);
	}
	fputc('}', out);
}

void rpt_prom_sample(FILE *out, const char *name,
		     const struct rpt_prom_label *l, size_t nl,
		     const char *extra_key, const char *extra_value,
		     double value)
{
	char num[32];

	rpt_prom_format(value, num, sizeof(num));
	fputs(name, out);
	labels(out, l, nl, extra_key, extra_value);
	fprintf(out, " %s\n", num);
}

void rpt_prom_hist_init(struct rpt_prom_hist *h, const double *edges,
			size_t nedges)
{
	memset(h, 0, sizeof(*h));
	h->edges = edges;
	h->nedges = nedges > RPT_PROM_EDGES_MAX ? RPT_PROM_EDGES_MAX : nedges;
}

void rpt_prom_hist_observe(struct rpt_prom_hist *h, double v)
{
	size_t i;

	for (i = 0; i < h->nedges; i++)
		if (v <= h->edges[i])
			break;
	h->counts[i]++;
	h->sum += v;
	h->count++;
}

void rpt_prom_histogram(FILE *out, const char *name,
			const struct rpt_prom_label *l, size_t nl,
			const struct rpt_prom_hist *h)
{
	char metric[128], le[32];
	uint64_t cum = 0;
	size_t i;

	snprintf(metric, sizeof(metric), "%s_bucket", name);
	for (i = 0; i < h->nedges; i++) {
		cum += h->counts[i];
		rpt_prom_format(h->edges[i], le, sizeof(le));
		rpt_prom_sample(out, metric, l, nl, "le", le, (double)cum);
	}
	cum += h->counts[h->nedges];
	rpt_prom_sample(out, metric, l, nl, "le", "+Inf", (double)cum);
	snprintf(metric, sizeof(metric), "%s_sum", name);
	rpt_prom_sample(out, metric, l, nl, NULL, NULL, h->sum);
	snprintf(metric, sizeof(metric), "%s_count", name);
	rpt_prom_sample(out, metric, l, nl, NULL, NULL, (double)h->count);
}
