/* text.c - the probe report for people: root cause first (the findings),
 * then outcomes with the error text applications log, phase statistics, a
 * histogram, and with -v one line per attempt. Colour only on a tty. Every
 * string a server or a user could have shaped (messages, versions, labels,
 * a finding's summary and evidence) goes through util/escape.h here. And
 * the colour table every text report uses (ECMA-48 SGR sequences). */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#include "mysql/compress.h"
#include "mysql/qattr.h"
#include "util/escape.h"

const char *rpt_color(const struct rpt_opts *o, enum rpt_color k)
{
	static const char *const sgr[] = {
		[RPT_PLAIN] = "",
		[RPT_RED] = "\033[1;31m",
		[RPT_YELLOW] = "\033[1;33m",
		[RPT_GREEN] = "\033[1;32m",
		[RPT_BOLD] = "\033[1m",
		[RPT_DIM] = "\033[2m",
		[RPT_RESET] = "\033[0m",
	};

	if (!o->color || (unsigned)k >= sizeof(sgr) / sizeof(sgr[0]))
		return "";
	return sgr[k];
}

static void print_ms(FILE *out, int64_t ns)
{
	double ms = (double)ns / 1e6;

	if (ms >= 10000)
		fprintf(out, " %9.0f", ms);
	else if (ms >= 100)
		fprintf(out, " %9.1f", ms);
	else
		fprintf(out, " %9.3f", ms);
}

void rpt_finding_text(FILE *out, const struct cd_finding *f,
		      const struct rpt_opts *o, int escape)
{
	enum rpt_color col = f->severity == CD_SEV_CRITICAL  ? RPT_RED
			     : f->severity == CD_SEV_WARNING ? RPT_YELLOW
							     : RPT_PLAIN;

	fprintf(out, "\n%s%-8s%s %s %s\n", rpt_color(o, col),
		f->severity == CD_SEV_CRITICAL	? "CRITICAL"
		: f->severity == CD_SEV_WARNING ? "WARNING"
						: "INFO",
		rpt_color(o, RPT_RESET), f->def->code, f->def->title);
	fputs("  ", out);
	if (escape)
		cd_fputs_escaped(f->summary, out);
	else
		fputs(f->summary, out);
	if (f->evidence[0]) {
		fputs("\n  evidence: ", out);
		if (escape)
			cd_fputs_escaped(f->evidence, out);
		else
			fputs(f->evidence, out);
	}
	fprintf(out, "\n  advice:   %s\n", f->def->advice);
	fprintf(out, "  %smore:     conndoctor explain %s%s\n",
		rpt_color(o, RPT_DIM), f->def->code, rpt_color(o, RPT_RESET));
}

void rpt_findings_text(FILE *out, const struct cd_findings *fs,
		       const struct rpt_opts *o)
{
	size_t i;

	if (fs->n == 0) {
		fprintf(out, "%sno problem found%s\n\n",
			rpt_color(o, RPT_GREEN), rpt_color(o, RPT_RESET));
		return;
	}
	fprintf(out, "%sFindings%s (most severe first)\n",
		rpt_color(o, RPT_BOLD), rpt_color(o, RPT_RESET));
	for (i = 0; i < fs->n; i++)
		rpt_finding_text(out, &fs->v[i], o, 1);
	fputc('\n', out);
}

static void outcomes_text(FILE *out, const struct rpt_probe *p,
			  const struct cd_summary *s)
{
	char line[320];
	int k;

	fprintf(out, "%-24s %7s  %s\n", "outcome", "count",
		"what the client library reports");
	for (k = 0; k < CD_OUTCOME__COUNT; k++) {
		const struct cd_attempt *a;

		a = s->by_class[k]
			    ? rpt_first_of_class(p->res, (enum cd_outcome)k)
			    : NULL;
		if (!a)
			continue;
		rpt_client_error(p, a, line, sizeof(line));
		fprintf(out, "%-24s %7zu  ",
			cd_outcome_name((enum cd_outcome)k), s->by_class[k]);
		cd_fputs_escaped(line[0] ? line : "-", out);
		fputc('\n', out);
	}
	fputc('\n', out);
}

static void phases_text(FILE *out, const struct cd_summary *s)
{
	int ph;

	fprintf(out, "%-9s %6s %9s %9s %9s %9s %9s   (ms, phases completed)\n",
		"phase", "n", "min", "p50", "p90", "p99", "max");
	for (ph = 0; ph < CD_PH__COUNT; ph++) {
		const struct cd_stats *st = &s->phase[ph];

		if (!st->n)
			continue;
		fprintf(out, "%-9s %6zu", cd_phase_name((enum cd_phase)ph),
			st->n);
		print_ms(out, st->min);
		print_ms(out, st->p50);
		print_ms(out, st->p90);
		print_ms(out, st->p99);
		print_ms(out, st->max);
		fputc('\n', out);
	}
	if (s->total_ok.n) {
		fprintf(out, "%-9s %6zu", "total ok", s->total_ok.n);
		print_ms(out, s->total_ok.min);
		print_ms(out, s->total_ok.p50);
		print_ms(out, s->total_ok.p90);
		print_ms(out, s->total_ok.p99);
		print_ms(out, s->total_ok.max);
		fputc('\n', out);
	}
	fputc('\n', out);
}

static void histogram_text(FILE *out, const struct probe_result *r)
{
	struct cd_hist h;
	size_t i, n = 0, peak = 0;
	unsigned b;

	if (probe_result_dropped(r)) {
		/* Not every record was kept: the tally counted them all. */
		cd_hist_of_tally(&r->tally.total_all, &h);
		n = (size_t)r->tally.total_all.n;
	} else {
		int64_t *v = malloc((r->nattempts + 1) * sizeof(*v));

		if (!v)
			return;
		for (i = 0; i < r->nattempts; i++)
			v[n++] = r->attempts[i].total_ns;
		cd_hist_of(v, n, &h);
		free(v);
	}
	if (n < 2)
		return;
	for (b = 0; b < h.nbuckets; b++)
		if (h.count[b] > peak)
			peak = h.count[b];
	fprintf(out, "time per attempt, all outcomes (ms)\n");
	for (b = 0; b < h.nbuckets; b++) {
		size_t bar = peak ? (h.count[b] * 40 + peak - 1) / peak : 0;
		char hashes[41];

		memset(hashes, '#', bar);
		hashes[bar] = '\0';
		fprintf(out, "  >=%10.3f | %-40s %zu\n",
			(double)h.lower_ns[b] / 1e6, hashes, h.count[b]);
	}
	fputc('\n', out);
}

/* With --compress or --compression-algorithms: what the server's greeting
 * offers and whether the sessions were compressed (each attempt's
 * `compression` says which). */
static void compression_line(const struct rpt_probe *p, FILE *out)
{
	const struct probe_result *r = p->res;
	const uint8_t *want = p->cfg->compress;
	int zlib = (r->server_caps & MYSQL_CLIENT_COMPRESS) != 0;
	int zstd =
		(r->server_caps & MYSQL_CLIENT_ZSTD_COMPRESSION_ALGORITHM) != 0;
	int agreed = 0;

	if (!want[0] || !r->server_version[0])
		return;
	for (int i = 0; i < 2 && want[i] && !agreed; i++)
		agreed = (want[i] == MYSQL_COMP_ZLIB && zlib) ||
					 (want[i] == MYSQL_COMP_ZSTD && zstd)
				 ? want[i]
				 : 0;
	fprintf(out, "compression: asked for %s%s%s, the server offers %s%s%s",
		mysql_comp_algo_name(want[0]), want[1] ? "," : "",
		want[1] ? mysql_comp_algo_name(want[1]) : "",
		zlib ? "zlib" : "", zlib && zstd ? "," : "",
		zstd ? "zstd" : (zlib ? "" : "none"));
	if (agreed)
		fprintf(out, ": %s\n",
			mysql_comp_algo_name((enum mysql_comp_algo)agreed));
	else
		fputs(": none in common, the sessions are uncompressed (the "
		      "client falls back, MySQL \"Compression\")\n",
		      out);
}

static void attempts_text(FILE *out, const struct rpt_probe *p)
{
	size_t nf, i, k;
	const struct rpt_field *f = rpt_attempt_fields(&nf);
	char scratch[256], esc[4 * sizeof(scratch)];

	for (k = 0; k < nf; k++)
		if (f[k].text_width)
			fprintf(out, "%-*s ", f[k].text_width, f[k].name);
	fprintf(out, "detail\n");
	for (i = 0; i < p->res->nattempts; i++) {
		const struct cd_attempt *a = &p->res->attempts[i];
		struct rpt_value v;

		for (k = 0; k < nf; k++) {
			if (!f[k].text_width)
				continue;
			memset(&v, 0, sizeof(v));
			f[k].get(p, a, &v, scratch, sizeof(scratch));
			if (!v.present)
				fprintf(out, "%-*s ", f[k].text_width, "-");
			else if (v.kind == RPT_SECONDS)
				fprintf(out, "%-*.4f ", f[k].text_width, v.d);
			else if (v.kind == RPT_STR)
				fprintf(out, "%-*s ", f[k].text_width,
					cd_escape_str(esc, sizeof(esc), v.s));
			else
				fprintf(out, "%-*lld ", f[k].text_width, v.i);
		}
		if (a->outcome != CD_OK) {
			rpt_client_error(p, a, scratch, sizeof(scratch));
			cd_fputs_escaped(scratch, out);
		}
		fputc('\n', out);
	}
	fputc('\n', out);
}

void rpt_probe_text(FILE *out, const struct rpt_probe *p,
		    const struct rpt_opts *o)
{
	const struct probe_result *r = p->res;
	struct cd_summary s;
	char esc[4 * (CD_ADDR_MAX + 8)];
	unsigned t;

	if (cd_summarize_result(r, -1, &s))
		return;
	fprintf(out,
		"%sconndoctor probe%s: %zu attempts, concurrency %u, "
		"%.2f s",
		rpt_color(o, RPT_BOLD), rpt_color(o, RPT_RESET), s.total,
		p->cfg->concurrency, (double)r->wall_ns / 1e9);
	if (r->server_version[0]) {
		fputs(", server ", out);
		cd_fputs_escaped(r->server_version, out);
	}
	fputc('\n', out);
	compression_line(p, out);
	if (p->cfg->nqattrs && r->server_version[0])
		fprintf(out, "query attributes: %s\n",
			r->server_caps & MYSQL_CLIENT_QUERY_ATTRIBUTES
				? "sent with every query "
				  "(CLIENT_QUERY_ATTRIBUTES)"
				: "the server does not support them (no "
				  "CLIENT_QUERY_ATTRIBUTES in its greeting; "
				  "MySQL 8.0.23+ has it): the queries went "
				  "without them");
	if (r->interrupted)
		fprintf(out, "interrupted: attempts in flight were dropped\n");
	if (probe_result_dropped(r))
		fprintf(out,
			"records: %zu of %zu attempts kept (every failure up "
			"to %u, a uniform sample of %u ok ones); counts are "
			"of all attempts, percentiles from a histogram "
			"(within 1.6%%)\n",
			r->nattempts, s.total, PROBE_KEEP_FAILURES,
			PROBE_KEEP_OK);
	for (t = 0; t < p->cfg->ntargets; t++) {
		struct cd_summary ts;

		if (cd_summarize_result(r, (int)t, &ts))
			continue;
		fprintf(out, "  %-6s %-40s %5zu ok of %zu\n",
			p->cfg->targets[t].transport == CD_TCP ? "tcp"
							       : "socket",
			cd_escape_str(esc, sizeof(esc),
				      p->cfg->targets[t].label),
			ts.ok, ts.total);
	}
	fputc('\n', out);
	rpt_findings_text(out, p->findings, o);
	outcomes_text(out, p, &s);
	phases_text(out, &s);
	if (p->ramp) {
		struct cd_level_stat lv[64];
		unsigned rep;

		for (rep = 0; rep < p->repeats; rep++) {
			size_t n = cd_ramp_levels(r, rep, lv, 64), k;

			fprintf(out, "ramp repeat %u: threshold %u\n", rep + 1,
				cd_threshold(lv, n));
			for (k = 0; k < n; k++)
				fprintf(out,
					"  concurrency %4u: %5zu attempts, "
					"%5zu failed, p90 %.3f ms\n",
					lv[k].level, lv[k].attempts,
					lv[k].failures,
					(double)lv[k].p90_ns / 1e6);
		}
		fputc('\n', out);
	}
	histogram_text(out, r);
	if (o->verbose)
		attempts_text(out, p);
	fprintf(out, "client CPU: %.1f us per attempt\n",
		s.total ? (double)r->cpu_us / (double)s.total : 0.0);
}
