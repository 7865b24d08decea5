/* prom.h - a writer of the Prometheus text exposition format 0.0.4
 * (HELP/TYPE lines, samples with escaped label values, histograms as
 * cumulative _bucket{le=...}, _sum and _count). */
#ifndef CONNDOCTOR_REPORT_PROM_H
#define CONNDOCTOR_REPORT_PROM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RPT_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define RPT_PROM_EDGES_MAX    48

struct rpt_prom_label {
	const char *key;
	const char *value; /* any bytes; escaped on output */
};

/* A histogram's state: edges (sorted, finite, owned by the caller and
 * outliving it) and a count per bucket, the last one being +Inf. */
struct rpt_prom_hist {
	const double *edges;
	size_t nedges;
	uint64_t counts[RPT_PROM_EDGES_MAX + 1]; /* not cumulative */
	double sum;
	uint64_t count;
};

/* "# HELP name help\n# TYPE name type\n"; help's backslashes and
 * newlines escaped. type: "counter", "gauge", "histogram". */
void rpt_prom_family(FILE *out, const char *name, const char *type,
		     const char *help);

/* One sample line: name, the labels (and one more pair when extra_key is
 * not NULL), the value. */
void rpt_prom_sample(FILE *out, const char *name,
		     const struct rpt_prom_label *l, size_t nl,
		     const char *extra_key, const char *extra_value,
		     double value);

/* A label value with \\, \" and \n escaped. */
void rpt_prom_escape(FILE *out, const char *value);

/* A float as Prometheus reads it: shortest text that reads back the same,
 * "+Inf", "-Inf", "NaN". out needs 32 bytes. */
void rpt_prom_format(double v, char *out, size_t outlen);

/* Starts h over edges (at most RPT_PROM_EDGES_MAX; more are ignored). */
void rpt_prom_hist_init(struct rpt_prom_hist *h, const double *edges,
			size_t nedges);
/* Counts v (seconds) in the first bucket whose edge is >= v. */
void rpt_prom_hist_observe(struct rpt_prom_hist *h, double v);
/* name_bucket{labels,le="..."} cumulative, +Inf, then name_sum and
 * name_count. */
void rpt_prom_histogram(FILE *out, const char *name,
			const struct rpt_prom_label *l, size_t nl,
			const struct rpt_prom_hist *h);

#endif /* CONNDOCTOR_REPORT_PROM_H */
