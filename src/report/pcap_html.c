/* pcap_html.c - `conndoctor pcap --html FILE`: the capture's findings
 * first (the worst as the root cause), then its connections on a time
 * axis, each a line from its first to its last packet with its end
 * marked (FIN, RST, refused, unanswered SYN, open at the capture's end),
 * and a table of them. Connections arrive as the engine finishes them;
 * at most RPT_PCAP_HTML_ROWS are kept, those with findings before the
 * rest, and the page says how many were left out. */
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "report/pcap.h"
#include "report/svg.h"
#include "util/escape.h"

/* Connections drawn at most: one row each. */
#define RPT_PCAP_HTML_ROWS 500
#define INPUTS_SHOWN	   16

enum end_mark { END_FIN, END_RST, END_OPEN, END_NONE };

struct hconn {
	uint64_t id;
	int64_t first_us, last_us;
	char client[64], server[64];
	char end[96];
	enum end_mark mark;
	int established;
	int worst; /* -1: no finding, else enum cd_severity */
	char codes[64];
};

struct rpt_pcap_html {
	struct hconn *v;
	size_t n;
	uint64_t seen;
	char inputs[INPUTS_SHOWN][128];
	unsigned ninputs, more_inputs;
};

static struct rpt_pcap_html *state(struct rpt_pcap *r)
{
	if (!r->html)
		r->html = calloc(1, sizeof(*r->html));
	if (r->html && !r->html->v)
		r->html->v = calloc(RPT_PCAP_HTML_ROWS, sizeof(struct hconn));
	return r->html && r->html->v ? r->html : NULL;
}

void rpt_pcap_html_free(struct rpt_pcap *r)
{
	if (!r->html)
		return;
	free(r->html->v);
	free(r->html);
	r->html = NULL;
}

static void html_input(struct rpt_pcap *r, const char *name, int linktype,
		       int snaplen)
{
	struct rpt_pcap_html *h = state(r);
	char lb[32];

	if (!h)
		return;
	if (h->ninputs == INPUTS_SHOWN) {
		h->more_inputs++;
		return;
	}
	snprintf(h->inputs[h->ninputs++], sizeof(h->inputs[0]),
		 "%s (%s, snaplen %d)", name,
		 cap_linktype_name(linktype, lb, sizeof(lb)), snaplen);
}

static void fill(struct hconn *x, const struct cap_conn *c,
		 const struct cd_findings *f)
{
	size_t i, used = 0;

	memset(x, 0, sizeof(*x));
	x->id = c->id;
	x->first_us = c->first_us;
	x->last_us = c->last_us;
	cap_endpoint_str(&c->client, x->client, sizeof(x->client));
	cap_endpoint_str(&c->server, x->server, sizeof(x->server));
	cap_end_phrase(c, x->end, sizeof(x->end));
	x->established = c->established;
	if (c->closer >= 0)
		x->mark = c->close_how == CAP_CLOSE_RST ? END_RST : END_FIN;
	else
		x->mark = c->ended_by_capture && c->established ? END_OPEN
								: END_NONE;
	x->worst = f->n ? (int)cd_findings_worst(f) : -1;
	for (i = 0; i < f->n && used + 8 < sizeof(x->codes); i++) {
		int k = snprintf(x->codes + used, sizeof(x->codes) - used,
				 "%s%s", i ? " " : "", f->v[i].def->code);

		if (k < 0)
			break;
		used += (size_t)k;
	}
}

static void html_conn(struct rpt_pcap *r, const struct cap_conn *c,
		      const struct cd_findings *f)
{
	struct rpt_pcap_html *h = state(r);
	size_t i;

	if (!h)
		return;
	h->seen++;
	if (h->n < RPT_PCAP_HTML_ROWS) {
		fill(&h->v[h->n++], c, f);
		return;
	}
	/* Full: one with findings takes the place of the last kept one
	 * without any, so what went wrong is drawn first. */
	if (!f->n)
		return;
	for (i = h->n; i-- > 0;)
		if (h->v[i].worst < 0) {
			fill(&h->v[i], c, f);
			return;
		}
}

static void html_command(struct rpt_pcap *r, const struct cap_conn *c,
			 const struct cap_cmd *cmd)
{
	(void)r, (void)c, (void)cmd;
}

static void html_event(struct rpt_pcap *r, const struct cap_event *e)
{
	(void)r, (void)e;
}

static int by_start(const void *a, const void *b)
{
	const struct hconn *x = a, *y = b;

	if (x->first_us != y->first_us)
		return x->first_us < y->first_us ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static const char *mark_name(enum end_mark m)
{
	return m == END_FIN    ? "fin"
	       : m == END_RST  ? "rst"
	       : m == END_OPEN ? "open"
			       : "none";
}

static void conn_row(struct rpt_svg *g, const struct hconn *x, double y,
		     int64_t base)
{
	double x0 = rpt_scale_at(&g->x, (double)(x->first_us - base) / 1e6);
	double x1 = rpt_scale_at(&g->x, (double)(x->last_us - base) / 1e6);
	FILE *out = g->out;

	fprintf(out,
		"<g class=\"conn\" data-id=\"%llu\" data-end=\"%s\"><title>#"
		"%llu ",
		(unsigned long long)x->id, mark_name(x->mark),
		(unsigned long long)x->id);
	cd_fputs_html(x->client, out);
	fputs(" &#8594; ", out);
	cd_fputs_html(x->server, out);
	fprintf(out, ": %.6f s, ", (double)(x->last_us - x->first_us) / 1e6);
	cd_fputs_html(x->end, out);
	if (x->codes[0]) {
		fputs("; ", out);
		cd_fputs_html(x->codes, out);
	}
	fprintf(out,
		"</title>\n<line class=\"life%s\" x1=\"%.1f\" y1=\"%.1f\" "
		"x2=\"%.1f\" y2=\"%.1f\"/>\n",
		x->worst == CD_SEV_CRITICAL  ? " failed"
		: x->worst == CD_SEV_WARNING ? " warned"
					     : "",
		x0, y, x1 > x0 + 1 ? x1 : x0 + 1, y);
	switch (x->mark) {
	case END_FIN:
		fprintf(out,
			"<line class=\"end-fin\" x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\"/>\n",
			x1, y - 5, x1, y + 5);
		break;
	case END_RST:
		fprintf(out,
			"<path class=\"end-rst\" d=\"M%.1f %.1fl8 8m0 -8l-8 "
			"8\"/>\n",
			x1 - 4, y - 4);
		break;
	case END_OPEN:
		fprintf(out,
			"<path class=\"end-open\" d=\"M%.1f %.1fl6 4l-6 "
			"4\"/>\n",
			x1, y - 4);
		break;
	case END_NONE:
		fprintf(out,
			"<circle class=\"end-none\" cx=\"%.1f\" cy=\"%.1f\" "
			"r=\"3.5\"/>\n",
			x1, y);
		break;
	}
	fputs("</g>\n", out);
}

static void conn_table(FILE *out, const struct rpt_pcap_html *h, int64_t base)
{
	size_t i;

	fputs("<div class=\"scroll\"><table class=\"conns mono\"><tr>"
	      "<th>id</th><th>client</th><th>server</th><th>start_s</th>"
	      "<th>duration_s</th><th>end</th><th>findings</th></tr>\n",
	      out);
	for (i = 0; i < h->n; i++) {
		const struct hconn *x = &h->v[i];

		fprintf(out,
			"<tr data-id=\"%llu\"><td class=\"num\">%llu</td>"
			"<td>",
			(unsigned long long)x->id, (unsigned long long)x->id);
		cd_fputs_html(x->client, out);
		fputs("</td><td>", out);
		cd_fputs_html(x->server, out);
		fprintf(out,
			"</td><td class=\"num\">%.6f</td><td class=\"num\">"
			"%.6f</td><td>",
			(double)(x->first_us - base) / 1e6,
			(double)(x->last_us - x->first_us) / 1e6);
		cd_fputs_html(x->end, out);
		fputs("</td><td>", out);
		cd_fputs_html(x->codes[0] ? x->codes : "-", out);
		fputs("</td></tr>\n", out);
	}
	fputs("</table></div>\n", out);
}

static void connections(FILE *out, struct rpt_pcap_html *h,
			const struct cap_totals *t)
{
	int64_t base = t->first_us;
	double span = (double)(t->last_us - t->first_us) / 1e6;
	struct rpt_svg g;
	size_t i;

	fputs("<section id=\"connections\">\n<h2>Connections in time</h2>\n",
	      out);
	if (!h || !h->n) {
		fputs("<p>No TCP connection on a server port.</p>\n"
		      "</section>\n",
		      out);
		return;
	}
	qsort(h->v, h->n, sizeof(h->v[0]), by_start);
	if (h->seen > h->n)
		fprintf(out,
			"<p class=\"note\" id=\"connections-cut\">%zu of %llu "
			"connections drawn (those with findings first, then "
			"the first ones in the capture): a picture holds at "
			"most %d rows. The findings count them all.</p>\n",
			h->n, (unsigned long long)h->seen, RPT_PCAP_HTML_ROWS);
	fputs("<p>One row per connection, from its first to its last "
	      "packet (red: a critical finding, amber: a warning). The end: "
	      "<b style=\"color:#1a7f37\">|</b> FIN, <b style=\"color:"
	      "#cf222e\">&#215;</b> RST, <b>&gt;</b> still open when the "
	      "capture ended, <b style=\"color:#cf222e\">&#9679;</b> never "
	      "closed (an unanswered SYN, a handshake that never "
	      "completed).</p>\n",
	      out);
	rpt_svg_begin(&g, out, 1120, h->n < 5 ? 140 : 70 + 14 * (int)h->n,
		      "connections-svg", "connections on a time axis");
	g.right = g.w - 40;
	rpt_svg_xscale(&g, 0, span > 0 ? span * 1.02 : 1, 0, RPT_U_SECONDS);
	rpt_svg_yscale(&g, 0, (double)h->n, 0, RPT_U_COUNT);
	rpt_svg_axes(&g, 1, 0, "time since the capture's first packet",
		     "connections");
	for (i = 0; i < h->n; i++)
		conn_row(&g, &h->v[i],
			 rpt_scale_at(&g.y, (double)(h->n - i) - 0.5), base);
	rpt_svg_end(&g);
	conn_table(out, h, base);
	fputs("</section>\n", out);
}

static int html_finish(struct rpt_pcap *r, const struct cd_findings *all,
		       uint64_t drops, const char *input_error, int exit_status)
{
	struct rpt_pcap_html *h = state(r);
	const struct cap_totals *t = r->t;
	FILE *out = r->o.out;
	char what[128];
	unsigned i;

	snprintf(what, sizeof(what),
		 "%llu connections, %llu packets: no finding",
		 (unsigned long long)t->conns, (unsigned long long)t->packets);
	rpt_html_head(out, "conndoctor pcap");
	rpt_html_root_from(out, all, what, 1);
	rpt_html_findings(out, "findings", "All findings (most severe first)",
			  all, 1);
	fputs("<section id=\"capture\">\n<h2>The capture</h2>\n<ul>\n", out);
	for (i = 0; h && i < h->ninputs; i++) {
		fputs("<li>input <code>", out);
		cd_fputs_html(h->inputs[i], out);
		fputs("</code></li>\n", out);
	}
	if (h && h->more_inputs)
		fprintf(out, "<li>and %u more inputs</li>\n", h->more_inputs);
	fprintf(out,
		"<li>%llu packets, %llu bytes over %.6f s; %llu TCP segments, "
		"%llu on a server port</li>\n<li>%llu connections (at most "
		"%llu open at once), %llu commands</li>\n",
		(unsigned long long)t->packets, (unsigned long long)t->bytes,
		(double)(t->last_us - t->first_us) / 1e6,
		(unsigned long long)t->tcp, (unsigned long long)t->ours,
		(unsigned long long)t->conns, (unsigned long long)t->open_peak,
		(unsigned long long)t->commands);
	if (drops)
		fprintf(out, "<li>%llu packets dropped by the kernel</li>\n",
			(unsigned long long)drops);
	if (input_error) {
		fputs("<li class=\"note\">input cut short: ", out);
		cd_fputs_html(input_error, out);
		fputs("</li>\n", out);
	}
	fprintf(out, "<li>exit status %d</li>\n</ul>\n</section>\n",
		exit_status);
	connections(out, h, t);
	if (!h)
		fputs("<p class=\"note\">out of memory: no connections</p>\n",
		      out);
	return rpt_html_tail(out);
}

const struct rpt_pcap_renderer rpt_pcap_html = {
	.input = html_input,
	.conn = html_conn,
	.command = html_command,
	.event = html_event,
	.finish = html_finish,
};
