/* report.h - renderers: human text (tty aware) and JSON, both driven by the
 * same field table for attempts, so every format shows the same facts. */
#ifndef CONNDOCTOR_REPORT_REPORT_H
#define CONNDOCTOR_REPORT_REPORT_H

#include <stdio.h>

#include "check/check.h"
#include "findings/findings.h"
#include "probe/probe.h"

/* Everything a probe report shows. Borrowed pointers. */
struct rpt_probe {
	const struct probe_config *cfg;
	const struct probe_result *res;
	const struct cd_findings *findings;
	const struct cd_host_facts *facts;
	int ramp;
	unsigned repeats;
	int exit_status;
};

struct rpt_opts {
	int color;   /* ANSI colour (cli_color_enabled() decides) */
	int verbose; /* text: one line per attempt */
};

/* ---- the one colour table of every text report ---- */

enum rpt_color {
	RPT_PLAIN,  /* no colour */
	RPT_RED,    /* critical */
	RPT_YELLOW, /* warning */
	RPT_GREEN,  /* healthy */
	RPT_BOLD,
	RPT_DIM,
	RPT_RESET
};

/* The escape sequence for k, or "" when o->color is 0. */
const char *rpt_color(const struct rpt_opts *o, enum rpt_color k);

/* ---- the attempt field table ---- */

enum rpt_kind { RPT_INT, RPT_SECONDS, RPT_STR, RPT_BOOL };

struct rpt_value {
	enum rpt_kind kind;
	int present; /* 0: not applicable (null in JSON, "-" in text) */
	long long i;
	double d;
	const char *s;
};

struct rpt_field {
	const char *name;
	void (*get)(const struct rpt_probe *p, const struct cd_attempt *a,
		    struct rpt_value *v, char *scratch, size_t scratchlen);
	int text_width; /* column width in -v text; 0: not in text */
};

const struct rpt_field *rpt_attempt_fields(size_t *n);

/* The text the application's client library would log for a (the
 * client_error field) into buf, "" when it succeeded. */
void rpt_client_error(const struct rpt_probe *p, const struct cd_attempt *a,
		      char *buf, size_t len);
/* The first attempt of outcome class k, or NULL. */
const struct cd_attempt *rpt_first_of_class(const struct probe_result *r,
					    enum cd_outcome k);

void rpt_probe_text(FILE *out, const struct rpt_probe *p,
		    const struct rpt_opts *o);
void rpt_probe_json(FILE *out, const struct rpt_probe *p);

struct json;
/* One finding as text: severity, code, title, summary, evidence, advice
 * and where to read more (every command's report prints them so). escape:
 * summary and evidence go through util/escape.h; 0 for findings whose
 * text was escaped when it was made (the capture's). */
void rpt_finding_text(FILE *out, const struct cd_finding *f,
		      const struct rpt_opts *o, int escape);
/* Findings, most severe first, as text or as a JSON array. */
void rpt_findings_text(FILE *out, const struct cd_findings *fs,
		       const struct rpt_opts *o);
void rpt_findings_json(struct json *j, const struct cd_findings *fs);

/* `conndoctor check`: findings first, then the facts by section, then
 * what could not be read. */
void rpt_check_text(FILE *out, const struct cd_findings *fs,
		    const struct chk_facts *facts, const struct rpt_opts *o);
void rpt_check_json(FILE *out, const struct cd_findings *fs,
		    const struct chk_facts *facts, int exit_status);

/* One fact as its text line (the definition's template over its values;
 * an unreadable one's reason), truncated to len. */
void rpt_fact_text(const struct chk_fact *x, char *buf, size_t len);
/* One fact as a JSON object: section, fact, key, and values by key. */
void rpt_fact_json(struct json *j, const struct chk_fact *x);

/* ---- Nagios/Icinga plugin output (nagios.c) ---- */

/* The plugin states and return codes of the Monitoring Plugins guidelines. */
enum rpt_nagios_state {
	RPT_NAGIOS_OK,
	RPT_NAGIOS_WARNING,
	RPT_NAGIOS_CRITICAL,
	RPT_NAGIOS_UNKNOWN
};

/* Our exit status as a plugin state: 0, 1, 2 as they are, 69 (target
 * unavailable) CRITICAL, 64 (usage) and anything else UNKNOWN. */
enum rpt_nagios_state rpt_nagios_state(int exit_status);
/* One plugin line, "CONNDOCTOR STATE - text | perfdata", for a measured
 * run; the state follows p->exit_status, the text names the worst finding
 * of p->findings and extra (diagnose's audit; NULL: none). Returns the
 * state, the process's exit status under --nagios. */
int rpt_probe_nagios(FILE *out, const struct rpt_probe *p,
		     const struct cd_findings *extra);
/* The line when there is no report to give (bad options, an unresolvable
 * host): "CONNDOCTOR STATE - reason", the state from exit_status. Returns
 * the state. */
int rpt_nagios_error(FILE *out, int exit_status, const char *reason);

/* ---- the HTML report (html.c, html_probe.c; --html FILE) ---- */

/* The probe's report as one self-contained HTML document. Returns 0, or
 * -1 when out had a write error. */
int rpt_probe_html(FILE *out, const struct rpt_probe *p);
struct cd_diagnosis;
/* diagnose's: the root cause (symptom, causes, fix) first, then the
 * probe's sections, the audit's findings and facts, then the kernel's
 * evidence. sock_why: why the socket was or was not probed ("" or NULL:
 * nothing to say). trace: what --trace recorded, as the text report
 * renders it (NULL when --trace was not asked). */
int rpt_diagnose_html(FILE *out, const struct cd_diagnosis *d,
		      const struct rpt_probe *rp,
		      const struct cd_findings *host,
		      const struct chk_facts *facts, const char *sock_why,
		      const char *trace);

/* The same documents as objects inside a larger one (diagnose). */
void rpt_probe_json_obj(struct json *j, const struct rpt_probe *p);
void rpt_check_json_obj(struct json *j, const struct cd_findings *fs,
			const struct chk_facts *facts, int exit_status);

#endif /* CONNDOCTOR_REPORT_REPORT_H */
