/* html_probe.c - the probe's sections of the HTML report: the overview,
 * the timeline of every attempt (start on x, duration on a log y, coloured
 * by outcome, with this host's SYN-retransmission and resolver-timeout
 * rungs from analysis/ladder.c drawn across it), the phase distributions,
 * the ramp, and the attempts table from the one attempt field table. */
#include "report/html.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "report/svg.h"
#include "util/escape.h"

/* Resolver rungs drawn at most (k x timeout, k = 1..). */
#define DNS_RUNGS_MAX 8

const char *rpt_html_outcome_color(enum cd_outcome o)
{
	static const char *const c[CD_OUTCOME__COUNT] = {
		[CD_OK] = "#1a7f37",
		[CD_DNS_FAIL] = "#0969da",
		[CD_REFUSED] = "#cf222e",
		[CD_CONNECT_TIMEOUT] = "#8250df",
		[CD_UNREACHABLE] = "#6e7781",
		[CD_LOCAL_PORTS_EXHAUSTED] = "#953800",
		[CD_FD_EXHAUSTED] = "#7d4e00",
		[CD_CONNECT_FAILED] = "#a40e26",
		[CD_GREETING_TIMEOUT] = "#bf8700",
		[CD_CLOSED_BEFORE_GREETING] = "#fb8f44",
		[CD_SERVER_REFUSED] = "#e85aad",
		[CD_AUTH_FAILED] = "#d1242f",
		[CD_AUTH_TIMEOUT] = "#9a6700",
		[CD_CLOSED_DURING_LOGIN] = "#bc4c00",
		[CD_AUTH_PLUGIN_UNSUPPORTED] = "#6639ba",
		[CD_LOGIN_REFUSED] = "#a475f9",
		[CD_TLS_FAILED] = "#1b7c83",
		[CD_QUERY_TIMEOUT] = "#4d2d00",
		[CD_QUERY_ERROR] = "#ff8182",
		[CD_GONE_AWAY] = "#24292f",
		[CD_PROTOCOL_ERROR] = "#57606a",
	};

	return (unsigned)o < CD_OUTCOME__COUNT && c[o] ? c[o] : "#57606a";
}

static void overview(FILE *out, const struct rpt_probe *p,
		     const struct cd_summary *s)
{
	const struct probe_result *r = p->res;
	char line[320];
	unsigned t;
	int k;

	fprintf(out,
		"<section id=\"overview\">\n<h2>The probe</h2>\n<p>%zu "
		"attempts, concurrency %u, %.2f s",
		s->total, p->cfg->concurrency, (double)r->wall_ns / 1e9);
	if (r->server_version[0]) {
		fputs(", server <code>", out);
		cd_fputs_html(r->server_version, out);
		fputs("</code>", out);
	}
	fputs(".</p>\n", out);
	if (r->interrupted)
		fputs("<p class=\"note\">Interrupted: attempts in flight were "
		      "dropped.</p>\n",
		      out);
	fputs("<table class=\"targets\"><tr><th>transport</th><th>target</th>"
	      "<th>ok</th><th>attempts</th></tr>\n",
	      out);
	for (t = 0; t < p->cfg->ntargets; t++) {
		struct cd_summary ts;

		if (cd_summarize_result(r, (int)t, &ts))
			continue;
		fprintf(out, "<tr><td>%s</td><td class=\"mono\">",
			p->cfg->targets[t].transport == CD_TCP ? "tcp"
							       : "socket");
		cd_fputs_html(p->cfg->targets[t].label, out);
		fprintf(out,
			"</td><td class=\"num\">%zu</td><td class=\"num\">%zu"
			"</td></tr>\n",
			ts.ok, ts.total);
	}
	fputs("</table>\n<table class=\"outcomes\"><tr><th>outcome</th>"
	      "<th>count</th><th>what the client library reports</th></tr>\n",
	      out);
	for (k = 0; k < CD_OUTCOME__COUNT; k++) {
		const struct cd_attempt *a;

		a = s->by_class[k] ? rpt_first_of_class(r, (enum cd_outcome)k)
				   : NULL;
		if (!a)
			continue;
		rpt_client_error(p, a, line, sizeof(line));
		fprintf(out,
			"<tr data-outcome=\"%s\"><td><span class=\"swatch\" "
			"style=\"background:%s\"></span>%s</td><td "
			"class=\"num\">%zu</td><td class=\"mono\">",
			cd_outcome_name((enum cd_outcome)k),
			rpt_html_outcome_color((enum cd_outcome)k),
			cd_outcome_name((enum cd_outcome)k), s->by_class[k]);
		cd_fputs_html(line[0] ? line : "-", out);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n</section>\n", out);
}

/* Whether a rung's label at value y stays clear of the last one drawn
 * (pixel row *last, updated when it does); a rung too close to the last
 * labelled one is drawn unlabelled. */
static int label_fits(const struct rpt_svg *g, double y, double *last)
{
	double py = rpt_scale_at(&g->y, y);

	if (*last - py < 12 && py - *last < 12)
		return 0;
	*last = py;
	return 1;
}

/* The host's rungs across the timeline: SYN resends, the connect's give
 * up, and resolver timeouts, those at or below top seconds. */
static void rungs(struct rpt_svg *g, const struct cd_host_facts *hf, double top)
{
	struct cd_syn_schedule sch;
	char lab[96];
	double last = 1e9; /* pixel row of the last label */
	int k, nd;

	cd_syn_schedule_of(hf->syn_retries, hf->syn_linear_timeouts,
			   hf->rto_init_s, hf->hz, &sch);
	for (k = 1; k < (int)sch.nsyn; k++) {
		if (sch.syn_at_s[k] > top)
			break;
		snprintf(lab, sizeof(lab), "SYN resend %d: %.4g s", k,
			 sch.syn_at_s[k]);
		rpt_svg_hrule(g, sch.syn_at_s[k], "rung-syn",
			      label_fits(g, sch.syn_at_s[k], &last) ? lab
								    : NULL);
	}
	if (sch.give_up_s <= top) {
		snprintf(lab, sizeof(lab), "connect gives up: %.4g s",
			 sch.give_up_s);
		rpt_svg_hrule(g, sch.give_up_s, "rung-giveup",
			      label_fits(g, sch.give_up_s, &last) ? lab : NULL);
	}
	nd = hf->resolv_attempts > 0 ? hf->resolv_attempts : 2;
	if (hf->resolv_nameservers > 1)
		nd *= hf->resolv_nameservers;
	if (nd > DNS_RUNGS_MAX)
		nd = DNS_RUNGS_MAX;
	for (k = 1; k <= nd && hf->resolv_timeout_s > 0; k++) {
		double v = (double)k * hf->resolv_timeout_s;

		if (v > top)
			break;
		snprintf(lab, sizeof(lab), "resolver timeout x%d: %.4g s", k,
			 v);
		rpt_svg_hrule(g, v, "rung-dns",
			      label_fits(g, v, &last) ? lab : NULL);
	}
}

static void legend(FILE *out, const struct cd_summary *s)
{
	int k;

	fputs("<p class=\"legend\">", out);
	for (k = 0; k < CD_OUTCOME__COUNT; k++)
		if (s->by_class[k])
			fprintf(out,
				"<span><span class=\"swatch\" style=\""
				"background:%s\"></span>%s (%zu)</span>",
				rpt_html_outcome_color((enum cd_outcome)k),
				cd_outcome_name((enum cd_outcome)k),
				s->by_class[k]);
	fputs("</p>\n", out);
}

static void timeline(FILE *out, const struct rpt_probe *p,
		     const struct cd_summary *s)
{
	const struct probe_result *r = p->res;
	struct cd_host_facts dflt;
	const struct cd_host_facts *hf = p->facts;
	double xmax = 0, ymin = 0, ymax = 0, top;
	size_t i, stride, drawn = 0;
	struct rpt_svg g;

	fputs("<section id=\"timeline\">\n<h2>Every attempt in time</h2>\n",
	      out);
	if (!r->nattempts) {
		fputs("<p>No attempt was made.</p>\n</section>\n", out);
		return;
	}
	if (!hf) {
		cd_host_facts_init(&dflt);
		hf = &dflt;
	}
	for (i = 0; i < r->nattempts; i++) {
		const struct cd_attempt *a = &r->attempts[i];
		double d = (double)a->total_ns / 1e9;
		double end = (double)a->start_ns / 1e9 + (d > 0 ? d : 0);

		if (end > xmax)
			xmax = end;
		if (d > 0 && (ymin == 0 || d < ymin))
			ymin = d;
		if (d > ymax)
			ymax = d;
	}
	if (ymin <= 0)
		ymin = 1e-3;
	if (ymax < ymin)
		ymax = ymin;
	/* Up to the first resolver rung at least, so where the attempts
	 * sit against the host's ladders is seen at a glance. */
	top = ymax * 1.5;
	if (hf->resolv_timeout_s > 0 && top < hf->resolv_timeout_s * 1.2)
		top = hf->resolv_timeout_s * 1.2;
	stride = (r->nattempts + RPT_HTML_MARKS_MAX - 1) / RPT_HTML_MARKS_MAX;
	fputs("<p>Each dot is one attempt: when it started (x) and how long "
	      "it took (y, log scale), coloured by outcome. The dashed lines "
	      "are this host's SYN retransmission rungs (from "
	      "net.ipv4.tcp_syn_retries and tcp_syn_linear_timeouts) and "
	      "resolver timeouts (from resolv.conf): attempts on a line "
	      "waited for that mechanism.</p>\n",
	      out);
	legend(out, s);
	rpt_svg_begin(&g, out, 1120, 440, "timeline-svg",
		      "attempt duration by start time");
	rpt_svg_xscale(&g, 0, xmax > 0 ? xmax * 1.02 : 1, 0, RPT_U_SECONDS);
	rpt_svg_yscale(&g, ymin / 2, top, 1, RPT_U_SECONDS);
	rpt_svg_axes(&g, 1, 1, "start of the attempt (s since the first)",
		     "duration");
	rungs(&g, hf, top);
	for (i = 0; i < r->nattempts; i += stride) {
		const struct cd_attempt *a = &r->attempts[i];
		double d = (double)a->total_ns / 1e9;
		const char *oc = cd_outcome_name(a->outcome);

		fprintf(out,
			"<circle class=\"attempt\" data-seq=\"%u\" "
			"data-outcome=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
			"fill=\"%s\"><title>#%u %s: %.6f s, started at %.6f s"
			"</title></circle>\n",
			a->seq, oc,
			rpt_scale_at(&g.x, (double)a->start_ns / 1e9),
			rpt_scale_at(&g.y, d > 0 ? d : ymin / 2),
			rpt_html_outcome_color(a->outcome), a->seq, oc, d,
			(double)a->start_ns / 1e9);
		drawn++;
	}
	rpt_svg_end(&g);
	if (stride > 1)
		fprintf(out,
			"<p class=\"note\" id=\"timeline-sampled\">%zu of %zu "
			"attempts drawn (one in every %zu): a picture holds "
			"at most %d marks. The tables count them all.</p>\n",
			drawn, r->nattempts, stride, RPT_HTML_MARKS_MAX);
	fputs("</section>\n", out);
}

static void ms_cell(FILE *out, int64_t ns)
{
	fprintf(out, "<td class=\"num\">%.3f</td>", (double)ns / 1e6);
}

/* One row of the box plot: whisker min..max, box p50..p90, p99 tick. */
static void box_row(struct rpt_svg *g, double y, const char *name,
		    const struct cd_stats *st)
{
	double x0 = rpt_scale_at(&g->x, (double)st->min / 1e9);
	double x1 = rpt_scale_at(&g->x, (double)st->max / 1e9);
	double b0 = rpt_scale_at(&g->x, (double)st->p50 / 1e9);
	double b1 = rpt_scale_at(&g->x, (double)st->p90 / 1e9);
	double q = rpt_scale_at(&g->x, (double)st->p99 / 1e9);

	fprintf(g->out,
		"<g class=\"phase\" data-phase=\"%s\"><title>%s: n %zu, min "
		"%.3f ms, p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f "
		"ms</title>\n",
		name, name, st->n, (double)st->min / 1e6, (double)st->p50 / 1e6,
		(double)st->p90 / 1e6, (double)st->p99 / 1e6,
		(double)st->max / 1e6);
	fprintf(g->out,
		"<line class=\"whisker\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		"y2=\"%.1f\"/>\n",
		x0, y, x1, y);
	fprintf(g->out,
		"<rect class=\"box\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"12\"/>\n",
		b0, y - 6, b1 - b0 > 1 ? b1 - b0 : 1);
	fprintf(g->out,
		"<line class=\"p99\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		"y2=\"%.1f\"/>\n</g>\n",
		q, y - 8, q, y + 8);
	rpt_svg_text(g, g->left - 6, y + 4, "end", "axis", name);
}

static void phases(FILE *out, const struct cd_summary *s)
{
	const struct cd_stats *rows[CD_PH__COUNT + 1];
	const char *names[CD_PH__COUNT + 1];
	double lo = 0, hi = 0;
	size_t n = 0, i;
	struct rpt_svg g;
	int ph;

	for (ph = 0; ph < CD_PH__COUNT; ph++)
		if (s->phase[ph].n) {
			rows[n] = &s->phase[ph];
			names[n++] = cd_phase_name((enum cd_phase)ph);
		}
	if (s->total_ok.n) {
		rows[n] = &s->total_ok;
		names[n++] = "total ok";
	}
	fputs("<section id=\"phases\">\n<h2>Phase distributions</h2>\n", out);
	if (!n) {
		fputs("<p>No phase completed.</p>\n</section>\n", out);
		return;
	}
	for (i = 0; i < n; i++) {
		double a = (double)rows[i]->min / 1e9;
		double b = (double)rows[i]->max / 1e9;

		if (a > 0 && (lo == 0 || a < lo))
			lo = a;
		if (b > hi)
			hi = b;
	}
	if (lo <= 0)
		lo = 1e-6;
	fputs("<p>Per phase completed: the line spans min to max, the box "
	      "p50 to p90, the red tick is p99 (log scale).</p>\n",
	      out);
	rpt_svg_begin(&g, out, 1120, 60 + 30 * (int)n, "phases-svg",
		      "phase durations");
	g.left = 90;
	rpt_svg_xscale(&g, lo / 1.5, hi * 1.5, 1, RPT_U_SECONDS);
	rpt_svg_yscale(&g, 0, (double)n, 0, RPT_U_COUNT);
	/* x ticks only: the rows are named, not numbered */
	rpt_svg_axes(&g, 1, 0, "duration (log scale)", NULL);
	for (i = 0; i < n; i++)
		box_row(&g, rpt_scale_at(&g.y, (double)(n - i) - 0.5), names[i],
			rows[i]);
	rpt_svg_end(&g);
	fputs("<table class=\"phase-stats\"><tr><th>phase</th><th>n</th>"
	      "<th>min</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>"
	      "</tr>\n",
	      out);
	for (i = 0; i < n; i++) {
		fprintf(out, "<tr><td>%s</td><td class=\"num\">%zu</td>",
			names[i], rows[i]->n);
		ms_cell(out, rows[i]->min);
		ms_cell(out, rows[i]->p50);
		ms_cell(out, rows[i]->p90);
		ms_cell(out, rows[i]->p99);
		ms_cell(out, rows[i]->max);
		fputs("</tr>\n", out);
	}
	fputs("</table>\n<p class=\"meta\">milliseconds, phases completed"
	      "</p>\n</section>\n",
	      out);
}

static void ramp_repeat(FILE *out, const struct cd_level_stat *lv, size_t n,
			unsigned rep)
{
	unsigned thr = cd_threshold(lv, n);
	double amax = 1, pmax = 0;
	char lab[64], id[32];
	struct rpt_svg g;
	size_t k;

	for (k = 0; k < n; k++) {
		if ((double)lv[k].attempts > amax)
			amax = (double)lv[k].attempts;
		if ((double)lv[k].p90_ns / 1e9 > pmax)
			pmax = (double)lv[k].p90_ns / 1e9;
	}
	if (thr)
		fprintf(out,
			"<h3>Repeat %u: threshold at concurrency %u</h3>\n",
			rep + 1, thr);
	else
		fprintf(out, "<h3>Repeat %u: no threshold</h3>\n", rep + 1);
	snprintf(id, sizeof(id), "ramp-svg-%u", rep + 1);
	snprintf(lab, sizeof(lab), "ramp repeat %u", rep + 1);
	rpt_svg_begin(&g, out, 1120, 300, id, lab);
	rpt_svg_xscale(&g, 0, (double)n, 0, RPT_U_COUNT);
	rpt_svg_yscale(&g, 0, amax * 1.1, 0, RPT_U_COUNT);
	rpt_svg_axes(&g, 0, 1, "concurrency level",
		     "attempts (green: ok, red: failed)");
	for (k = 0; k < n; k++) {
		double x0 = rpt_scale_at(&g.x, (double)k + 0.15);
		double x1 = rpt_scale_at(&g.x, (double)k + 0.85);
		double yok = rpt_scale_at(&g.y, (double)lv[k].attempts);
		double yf = rpt_scale_at(&g.y, (double)lv[k].failures);

		fprintf(out,
			"<g class=\"level\" data-level=\"%u\" "
			"data-failures=\"%zu\"><title>concurrency %u: %zu "
			"attempts, %zu failed, p90 %.3f ms</title>\n"
			"<rect class=\"bar-ok\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.1f\"/>\n"
			"<rect class=\"bar-fail\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.1f\"/>\n</g>\n",
			lv[k].level, lv[k].failures, lv[k].level,
			lv[k].attempts, lv[k].failures,
			(double)lv[k].p90_ns / 1e6, x0, yok, x1 - x0,
			g.bottom - yok, x0, yf, x1 - x0, g.bottom - yf);
		snprintf(lab, sizeof(lab), "%u", lv[k].level);
		rpt_svg_text(&g, (x0 + x1) / 2, g.bottom + 14, "middle", "tick",
			     lab);
	}
	/* p90 of the ok attempts, on its own scale along the top half */
	if (pmax > 0) {
		fputs("<polyline class=\"p90\" points=\"", out);
		for (k = 0; k < n; k++)
			fprintf(out, "%.1f,%.1f ",
				rpt_scale_at(&g.x, (double)k + 0.5),
				g.top + 10 +
					(1 -
					 (double)lv[k].p90_ns / 1e9 / pmax) *
						((g.bottom - g.top) / 2.0));
		fputs("\"/>\n", out);
		for (k = 0; k < n; k++) {
			double x = rpt_scale_at(&g.x, (double)k + 0.5);
			double y = g.top + 10 +
				   (1 - (double)lv[k].p90_ns / 1e9 / pmax) *
					   ((g.bottom - g.top) / 2.0);

			fprintf(out,
				"<circle class=\"p90-dot\" cx=\"%.1f\" "
				"cy=\"%.1f\" r=\"3\"/>\n",
				x, y);
			rpt_svg_fmt(RPT_U_SECONDS, (double)lv[k].p90_ns / 1e9,
				    lab, sizeof(lab));
			rpt_svg_text(&g, x, y - 6, "middle", "p90-dot", lab);
		}
		rpt_svg_text(&g, g.right + 4, g.top + 14, "start", "p90-dot",
			     "p90 of ok attempts");
	}
	for (k = 0; k < n && thr; k++)
		if (lv[k].level == thr) {
			snprintf(lab, sizeof(lab), "threshold %u", thr);
			rpt_svg_vrule(&g, (double)k, "threshold", lab);
		}
	rpt_svg_end(&g);
}

static void ramp(FILE *out, const struct rpt_probe *p)
{
	struct cd_level_stat lv[64];
	unsigned rep;

	fputs("<section id=\"ramp\">\n<h2>The ramp</h2>\n<p>Per concurrency "
	      "level: attempts and failures (bars), and the p90 of the ok "
	      "attempts' total time (blue line). The threshold is the first "
	      "level with failures or a p90 over twice the first level's plus "
	      "20 ms.</p>\n",
	      out);
	for (rep = 0; rep < p->repeats; rep++) {
		size_t n = cd_ramp_levels(p->res, rep, lv, 64);

		if (n)
			ramp_repeat(out, lv, n, rep);
	}
	fputs("</section>\n", out);
}

static void value_cell(FILE *out, const struct rpt_value *v)
{
	if (!v->present)
		fputs("<td>-</td>", out);
	else if (v->kind == RPT_SECONDS)
		fprintf(out, "<td class=\"num\">%.6f</td>", v->d);
	else if (v->kind == RPT_BOOL)
		fprintf(out, "<td>%s</td>", v->i ? "true" : "false");
	else if (v->kind == RPT_INT)
		fprintf(out, "<td class=\"num\">%lld</td>", v->i);
	else {
		fputs("<td>", out);
		cd_fputs_html(v->s, out);
		fputs("</td>", out);
	}
}

static void attempts_table(FILE *out, const struct rpt_probe *p)
{
	size_t nf, i, k, rows = p->res->nattempts;
	const struct rpt_field *f = rpt_attempt_fields(&nf);
	char scratch[320];

	if (rows > RPT_HTML_ROWS_MAX)
		rows = RPT_HTML_ROWS_MAX;
	fputs("<section id=\"attempts\">\n<h2>Attempts</h2>\n", out);
	if (rows < p->res->nattempts)
		fprintf(out,
			"<p class=\"note\" id=\"attempts-cut\">The first %zu "
			"of %zu attempts; --json lists them all.</p>\n",
			rows, p->res->nattempts);
	fputs("<div class=\"scroll\"><table class=\"attempts mono\"><tr>", out);
	for (k = 0; k < nf; k++)
		fprintf(out, "<th>%s</th>", f[k].name);
	fputs("</tr>\n", out);
	for (i = 0; i < rows; i++) {
		const struct cd_attempt *a = &p->res->attempts[i];

		fprintf(out, "<tr data-seq=\"%u\">", a->seq);
		for (k = 0; k < nf; k++) {
			struct rpt_value v;

			memset(&v, 0, sizeof(v));
			f[k].get(p, a, &v, scratch, sizeof(scratch));
			value_cell(out, &v);
		}
		fputs("</tr>\n", out);
	}
	fputs("</table></div>\n</section>\n", out);
}

void rpt_probe_html_body(FILE *out, const struct rpt_probe *p)
{
	struct cd_summary s;

	if (cd_summarize_result(p->res, -1, &s)) {
		fputs("<p class=\"note\">out of memory: no statistics</p>\n",
		      out);
		return;
	}
	overview(out, p, &s);
	timeline(out, p, &s);
	phases(out, &s);
	if (p->ramp)
		ramp(out, p);
	attempts_table(out, p);
}
