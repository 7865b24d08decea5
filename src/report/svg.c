/* svg.c - SVG primitives for the HTML report (see svg.h): scales, axes with
 * "nice" ticks (1, 2, 5 times a power of ten; decades on a log scale),
 * rules and labels. SVG 1.1, inline in HTML5. */
#include "report/svg.h"

#include <math.h>
#include <string.h>

#include "util/escape.h"

#define TICKS_MAX 12

double rpt_scale_at(const struct rpt_scale *s, double v)
{
	double f, lo = s->lo, hi = s->hi;

	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	if (s->log)
		f = (log10(v) - log10(lo)) / (log10(hi) - log10(lo));
	else
		f = (v - lo) / (hi - lo);
	return s->px_lo + f * (s->px_hi - s->px_lo);
}

void rpt_svg_fmt(enum rpt_unit u, double v, char *buf, size_t len)
{
	if (u == RPT_U_COUNT)
		snprintf(buf, len, "%.6g", v);
	else if (v == 0)
		snprintf(buf, len, "0");
	else if (v < 1e-3)
		snprintf(buf, len, "%.3g us", v * 1e6);
	else if (v < 1)
		snprintf(buf, len, "%.3g ms", v * 1e3);
	else if (v < 120)
		snprintf(buf, len, "%.3g s", v);
	else
		snprintf(buf, len, "%.3g min", v / 60);
}

void rpt_svg_text(struct rpt_svg *g, double x, double y, const char *anchor,
		  const char *cls, const char *s)
{
	fprintf(g->out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s%s>",
		x, y, anchor, cls ? " class=\"" : "", cls ? cls : "",
		cls ? "\"" : "");
	cd_fputs_html(s, g->out);
	fputs("</text>\n", g->out);
}

void rpt_svg_begin(struct rpt_svg *g, FILE *out, int w, int h, const char *id,
		   const char *title)
{
	memset(g, 0, sizeof(*g));
	g->out = out;
	g->w = w;
	g->h = h;
	g->left = 72;
	g->right = w - 150;
	g->top = 16;
	g->bottom = h - 40;
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\"><title>",
		id, w, h, w, h);
	cd_fputs_html(title, out);
	fputs("</title>\n", out);
}

void rpt_svg_end(struct rpt_svg *g)
{
	fputs("</svg>\n", g->out);
}

static void set_scale(struct rpt_scale *s, double lo, double hi, int log,
		      enum rpt_unit unit, double px_lo, double px_hi)
{
	if (log && lo <= 0)
		lo = hi > 0 ? hi / 1000 : 1e-6;
	if (!(hi > lo))
		hi = log ? lo * 10 : lo + 1;
	s->lo = lo;
	s->hi = hi;
	s->log = log;
	s->unit = unit;
	s->px_lo = px_lo;
	s->px_hi = px_hi;
}

void rpt_svg_xscale(struct rpt_svg *g, double lo, double hi, int log,
		    enum rpt_unit unit)
{
	set_scale(&g->x, lo, hi, log, unit, g->left, g->right);
}

void rpt_svg_yscale(struct rpt_svg *g, double lo, double hi, int log,
		    enum rpt_unit unit)
{
	set_scale(&g->y, lo, hi, log, unit, g->bottom, g->top);
}

/* Tick values of s into v (at most TICKS_MAX); returns how many. */
static size_t ticks_of(const struct rpt_scale *s, double *v)
{
	size_t n = 0;
	long k, last;

	if (s->log) {
		/* decades: 10^k from the one at or below lo */
		k = lround(floor(log10(s->lo)));
		last = lround(ceil(log10(s->hi)));
		for (; k <= last && n < TICKS_MAX; k++) {
			double d = pow(10, (double)k);

			if (d >= s->lo * 0.9999 && d <= s->hi * 1.0001)
				v[n++] = d;
		}
	} else {
		double span = s->hi - s->lo, step = pow(10, floor(log10(span)));

		if (span / step < 2)
			step /= 5;
		else if (span / step < 5)
			step /= 2;
		/* multiples k * step inside [lo, hi] */
		k = lround(ceil(s->lo / step - 1e-9));
		last = lround(floor(s->hi / step + 1e-9));
		for (; k <= last && n < TICKS_MAX; k++)
			v[n++] = (double)k * step;
	}
	return n;
}

void rpt_svg_axes(struct rpt_svg *g, int ticks_x, int ticks_y,
		  const char *xname, const char *yname)
{
	double v[TICKS_MAX];
	char lab[32];
	size_t n, i;

	fprintf(g->out,
		"<rect class=\"frame\" x=\"%d\" y=\"%d\" width=\"%d\" "
		"height=\"%d\"/>\n",
		g->left, g->top, g->right - g->left, g->bottom - g->top);
	n = ticks_y ? ticks_of(&g->y, v) : 0;
	for (i = 0; i < n; i++) {
		double y = rpt_scale_at(&g->y, v[i]);

		fprintf(g->out,
			"<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" "
			"x2=\"%d\" y2=\"%.1f\"/>\n",
			g->left, y, g->right, y);
		rpt_svg_fmt(g->y.unit, v[i], lab, sizeof(lab));
		rpt_svg_text(g, g->left - 4, y + 4, "end", "tick", lab);
	}
	if (ticks_x) {
		n = ticks_of(&g->x, v);
		for (i = 0; i < n; i++) {
			double x = rpt_scale_at(&g->x, v[i]);

			fprintf(g->out,
				"<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" "
				"x2=\"%.1f\" y2=\"%d\"/>\n",
				x, g->top, x, g->bottom);
			rpt_svg_fmt(g->x.unit, v[i], lab, sizeof(lab));
			rpt_svg_text(g, x, g->bottom + 14, "middle", "tick",
				     lab);
		}
	}
	if (xname)
		rpt_svg_text(g, (g->left + g->right) / 2.0, g->h - 6.0,
			     "middle", "axis", xname);
	if (yname) {
		fprintf(g->out,
			"<text class=\"axis\" text-anchor=\"middle\" "
			"transform=\"translate(14 %.1f) rotate(-90)\">",
			(g->top + g->bottom) / 2.0);
		cd_fputs_html(yname, g->out);
		fputs("</text>\n", g->out);
	}
}

void rpt_svg_hrule(struct rpt_svg *g, double y, const char *cls,
		   const char *label)
{
	double py = rpt_scale_at(&g->y, y);

	fprintf(g->out,
		"<line class=\"%s\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
		"y2=\"%.1f\"/>\n",
		cls, g->left, py, g->right, py);
	if (label)
		rpt_svg_text(g, g->right + 4, py + 4, "start", cls, label);
}

void rpt_svg_vrule(struct rpt_svg *g, double x, const char *cls,
		   const char *label)
{
	double px = rpt_scale_at(&g->x, x);

	fprintf(g->out,
		"<line class=\"%s\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
		"y2=\"%d\"/>\n",
		cls, px, g->top, px, g->bottom);
	if (label)
		rpt_svg_text(g, px + 3, g->top + 12, "start", cls, label);
}
