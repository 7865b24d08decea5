/* nagios.c - the probe (and diagnose) result as one Nagios/Icinga plugin
 * line: "CONNDOCTOR STATE - text | perfdata", per the Monitoring Plugins
 * development guidelines (monitoring-plugins.org/doc/guidelines.html:
 * plugin return codes, and performance data as
 * 'label'=value[UOM];[warn];[crit];[min];[max]). Fed from the same summary
 * and findings the text and JSON renderers print. */
#include "report/report.h"

#include <stdio.h>
#include <string.h>

#include "util/escape.h"

/* Room for the text part; NRPE passes 1 KiB of output by default. */
#define TEXT_MAX 512

static const char *const state_words[] = {"OK", "WARNING", "CRITICAL",
					  "UNKNOWN"};

enum rpt_nagios_state rpt_nagios_state(int exit_status)
{
	switch (exit_status) {
	case 0:
		return RPT_NAGIOS_OK;
	case 1:
		return RPT_NAGIOS_WARNING;
	case 2:
	case 69: /* the target is unavailable: the check failed, it ran */
		return RPT_NAGIOS_CRITICAL;
	default: /* 64, a usage error, and anything unforeseen */
		return RPT_NAGIOS_UNKNOWN;
	}
}

/* Appends s to buf (of cap bytes, used so far *len) escaped for the text
 * part: util/escape.h's escapes (no control byte survives) and '|', which
 * would start the perfdata, as \x7c. Cut at a whole escape. */
static void text_put(char *buf, size_t cap, size_t *len, const char *s)
{
	char esc[4 * TEXT_MAX];
	const char *p;

	cd_escape_str(esc, sizeof(esc), s);
	for (p = esc; *p; p++) {
		size_t need = *p == '|' ? 4 : 1;

		if (*len + need >= cap)
			break;
		if (*p == '|') {
			memcpy(buf + *len, "\\x7c", 4);
		} else {
			buf[*len] = *p;
		}
		*len += need;
	}
	buf[*len] = '\0';
}

/* A plain number for perfdata: digits, '-' and '.', never an exponent;
 * trailing zeros dropped ("0.003", "12"). */
static void put_number(FILE *out, double v)
{
	char num[64];
	size_t n;

	snprintf(num, sizeof(num), "%.6f", v);
	n = strlen(num);
	while (n > 1 && num[n - 1] == '0')
		n--;
	if (n > 1 && num[n - 1] == '.')
		n--;
	num[n] = '\0';
	fputs(num, out);
}

/* One perfdata item; min 0, no thresholds (the state comes from rules). */
static void perf(FILE *out, const char *label, const char *suffix, double v,
		 const char *uom)
{
	fprintf(out, " '%s%s'=", label, suffix);
	put_number(out, v);
	fprintf(out, "%s;;;0", uom);
}

/* The most severe finding of a and b (a's first on a tie); NULL if none. */
static const struct cd_finding *worst_of(const struct cd_findings *a,
					 const struct cd_findings *b)
{
	const struct cd_findings *lists[2] = {a, b};
	const struct cd_finding *w = NULL;
	size_t l, i;

	for (l = 0; l < 2; l++)
		for (i = 0; lists[l] && i < lists[l]->n; i++)
			if (!w || lists[l]->v[i].severity > w->severity)
				w = &lists[l]->v[i];
	return w;
}

static size_t count_sev(const struct cd_findings *f, enum cd_severity sev)
{
	size_t i, n = 0;

	for (i = 0; f && i < f->n; i++)
		n += f->v[i].severity == sev;
	return n;
}

static void perfdata(FILE *out, const struct cd_summary *s,
		     const struct cd_findings *a, const struct cd_findings *b)
{
	int k, ph;

	perf(out, "attempts", "", (double)s->total, "");
	perf(out, "ok", "", (double)s->ok, "");
	perf(out, "failed", "", (double)(s->total - s->ok), "");
	for (k = 0; k < CD_OUTCOME__COUNT; k++)
		if (k != CD_OK && s->by_class[k])
			perf(out, cd_outcome_name((enum cd_outcome)k), "",
			     (double)s->by_class[k], "");
	for (ph = 0; ph < CD_PH__COUNT; ph++)
		if (s->phase[ph].n)
			perf(out, cd_phase_name((enum cd_phase)ph), "_p90",
			     (double)s->phase[ph].p90 / 1e9, "s");
	if (s->total_ok.n)
		perf(out, "total", "_p90", (double)s->total_ok.p90 / 1e9, "s");
	perf(out, "findings_critical", "",
	     (double)(count_sev(a, CD_SEV_CRITICAL) +
		      count_sev(b, CD_SEV_CRITICAL)),
	     "");
	perf(out, "findings_warning", "",
	     (double)(count_sev(a, CD_SEV_WARNING) +
		      count_sev(b, CD_SEV_WARNING)),
	     "");
}

int rpt_probe_nagios(FILE *out, const struct rpt_probe *p,
		     const struct cd_findings *extra)
{
	enum rpt_nagios_state st = rpt_nagios_state(p->exit_status);
	const struct cd_finding *w = worst_of(p->findings, extra);
	size_t nf = (p->findings ? p->findings->n : 0) + (extra ? extra->n : 0);
	struct cd_summary s;
	char text[TEXT_MAX], tail[128];
	size_t len = 0;

	if (cd_summarize_result(p->res, -1, &s))
		return rpt_nagios_error(out, 3, "out of memory");
	/* Attempts the probe itself lost (local_error): the check could not
	 * measure, whatever the rest says. */
	if (s.by_class[CD_LOCAL_ERROR])
		st = RPT_NAGIOS_UNKNOWN;
	text[0] = '\0';
	if (w && w->severity > CD_SEV_INFO) {
		text_put(text, sizeof(text), &len, w->def->code);
		text_put(text, sizeof(text), &len, " ");
		text_put(text, sizeof(text), &len, w->summary);
		text_put(text, sizeof(text), &len, "; ");
	} else if (p->exit_status == 69) {
		text_put(text, sizeof(text), &len,
			 "no attempt reached the server; ");
	}
	snprintf(tail, sizeof(tail), "%zu of %zu attempts ok", s.ok, s.total);
	text_put(text, sizeof(text), &len, tail);
	if (nf > 1 || (nf == 1 && !(w && w->severity > CD_SEV_INFO))) {
		snprintf(tail, sizeof(tail), ", %zu finding%s", nf,
			 nf == 1 ? "" : "s");
		text_put(text, sizeof(text), &len, tail);
	}
	fprintf(out, "CONNDOCTOR %s - %s |", state_words[st], text);
	perfdata(out, &s, p->findings, extra);
	fputc('\n', out);
	return (int)st;
}

int rpt_nagios_error(FILE *out, int exit_status, const char *reason)
{
	enum rpt_nagios_state st = rpt_nagios_state(exit_status);
	char text[TEXT_MAX];
	size_t len = 0;

	text[0] = '\0';
	text_put(text, sizeof(text), &len, reason);
	fprintf(out, "CONNDOCTOR %s - %s\n", state_words[st], text);
	return (int)st;
}
