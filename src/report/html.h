/* html.h - the parts of the HTML report (html.c) that probe's, diagnose's
 * and pcap's documents share: the page with its inline style, findings,
 * the root-cause block, and the probe's pictures (html_probe.c). One
 * self-contained HTML5 file: no script, no external font, image or
 * stylesheet. Every string from outside goes through cd_fputs_html(). */
#ifndef CONNDOCTOR_REPORT_HTML_H
#define CONNDOCTOR_REPORT_HTML_H

#include <stdio.h>

#include "findings/findings.h"
#include "report/report.h"

/* The most marks one picture draws (attempts, connections); past it an
 * even sample is drawn and the page says so. */
#define RPT_HTML_MARKS_MAX 5000
/* The most rows a table lists (attempts, connections). */
#define RPT_HTML_ROWS_MAX 1000

/* <!DOCTYPE html> to the opening of <main>, title escaped. */
void rpt_html_head(FILE *out, const char *title);
/* Closes the document; returns 0, or -1 when out had a write error. */
int rpt_html_tail(FILE *out);

/* Text that util/escape.h already sanitized (the capture's): only the
 * HTML references are added. */
void rpt_html_pre_escaped(const char *s, FILE *out);

/* One finding as an <article>: severity, code, title, summary, evidence,
 * advice. sanitized: its text was escaped when made (the capture's). */
void rpt_html_finding(FILE *out, const struct cd_finding *f, int sanitized);
/* A section of findings under heading h (escaped). */
void rpt_html_findings(FILE *out, const char *id, const char *h,
		       const struct cd_findings *fs, int sanitized);
/* The root-cause block (id "root-cause") for a list of findings sorted
 * most severe first: the worst warning or critical one, else "no
 * problem found" and what was looked at (what, escaped). */
void rpt_html_root_from(FILE *out, const struct cd_findings *fs,
			const char *what, int sanitized);

/* The probe's sections: overview, timeline, phases, ramp, attempts. */
void rpt_probe_html_body(FILE *out, const struct rpt_probe *p);

/* The colour of an outcome class in pictures (a CSS colour). */
const char *rpt_html_outcome_color(enum cd_outcome o);

#endif /* CONNDOCTOR_REPORT_HTML_H */
