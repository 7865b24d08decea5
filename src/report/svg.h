/* svg.h - the few SVG 1.1 primitives the HTML report draws its pictures
 * with (https://www.w3.org/TR/SVG11/): a plot area with linear or log
 * scales, axes with ticks, marks and labelled rules. Everything is inline
 * markup: no script, no external reference. Text from outside goes
 * through cd_fputs_html(). */
#ifndef CONNDOCTOR_REPORT_SVG_H
#define CONNDOCTOR_REPORT_SVG_H

#include <stdio.h>

/* What an axis counts: ticks read "10 ms", "2 s" or "40". */
enum rpt_unit { RPT_U_SECONDS, RPT_U_COUNT };

/* Maps values in [lo, hi] to pixels [px_lo, px_hi]; log: a log10 scale
 * (lo > 0). Values outside are clamped to the ends. */
struct rpt_scale {
	double lo, hi;
	double px_lo, px_hi;
	int log;
	enum rpt_unit unit;
};

double rpt_scale_at(const struct rpt_scale *s, double v);

/* One picture: the SVG element's size and the plot area inside it. */
struct rpt_svg {
	FILE *out;
	int w, h;
	int left, right, top, bottom; /* plot area in pixels */
	struct rpt_scale x, y;
};

/* Opens <svg> of w x h with a plot area inset by the margins, and its
 * <title>; id and cls name it for the page's style and for tests. */
void rpt_svg_begin(struct rpt_svg *g, FILE *out, int w, int h, const char *id,
		   const char *title);
void rpt_svg_end(struct rpt_svg *g);

/* Sets an axis's scale over [lo, hi] (widened when lo == hi). */
void rpt_svg_xscale(struct rpt_svg *g, double lo, double hi, int log,
		    enum rpt_unit unit);
void rpt_svg_yscale(struct rpt_svg *g, double lo, double hi, int log,
		    enum rpt_unit unit);

/* The frame, the ticks and grid of the scales asked for, and the axes'
 * names (NULL: none). */
void rpt_svg_axes(struct rpt_svg *g, int ticks_x, int ticks_y,
		  const char *xname, const char *yname);

/* A horizontal rule across the plot at value y, with a label at its
 * right end (escaped); cls styles it. */
void rpt_svg_hrule(struct rpt_svg *g, double y, const char *cls,
		   const char *label);
/* A vertical rule at value x with a label at its top. */
void rpt_svg_vrule(struct rpt_svg *g, double x, const char *cls,
		   const char *label);

/* A value as the unit reads: "250 us", "1.5 ms", "3 s", "2 min", "40". */
void rpt_svg_fmt(enum rpt_unit u, double v, char *buf, size_t len);

/* Text at (x, y) pixels, anchored start/middle/end, escaped. */
void rpt_svg_text(struct rpt_svg *g, double x, double y, const char *anchor,
		  const char *cls, const char *s);

#endif /* CONNDOCTOR_REPORT_SVG_H */
