/* html.c - the HTML report of probe, diagnose and pcap (--html FILE): one
 * self-contained HTML5 document, root cause and its evidence first, then
 * the pictures (inline SVG, html_probe.c and pcap_html.c) and the tables
 * from the same field tables as text and JSON. No script, no external
 * resource: it reads offline and as a mail attachment. */
#include "report/html.h"

#include <string.h>

#include "findings/diagnosis.h"
#include "util/escape.h"

/* The page's whole style: system fonts, the outcome colours, the marks. */
static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
	"sans-serif;margin:0;color:#1d2329;background:#fff}"
	"main{max-width:1180px;margin:0 auto;padding:16px 24px 48px}"
	"h1{font-size:20px;margin:8px 0 4px}h2{font-size:17px;margin:28px 0 "
	"8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}"
	"h3{font-size:15px;margin:16px 0 6px}"
	".meta{color:#57606a}"
	"#root-cause{border:2px solid #cf222e;border-radius:6px;padding:4px "
	"16px 12px;background:#fff5f5}"
	"#root-cause.healthy{border-color:#1a7f37;background:#f0fff4}"
	"#root-cause h2{border:0;margin-top:10px}"
	"article.finding{border-left:4px solid #8c959f;padding:2px 12px;"
	"margin:10px 0}"
	"article.critical{border-color:#cf222e}article.warning{border-color:"
	"#bf8700}"
	".sev{font-weight:600;text-transform:uppercase;font-size:12px}"
	".critical .sev{color:#cf222e}.warning .sev{color:#9a6700}"
	".evidence,.advice{margin:4px 0}.label{color:#57606a}"
	"code,.mono{font-family:ui-monospace,'DejaVu Sans Mono',monospace;"
	"font-size:12.5px}"
	"table{border-collapse:collapse;margin:6px 0}"
	"th,td{border:1px solid #d0d7de;padding:2px 6px;text-align:left;"
	"vertical-align:top}th{background:#f6f8fa}td.num{text-align:right}"
	".scroll{overflow-x:auto}table.attempts td{white-space:nowrap}"
	".note{background:#fff8c5;border:1px solid #d4a72c;padding:4px "
	"8px;border-radius:4px}"
	"svg{display:block;margin:6px 0;font-size:11px}"
	"svg .frame{fill:none;stroke:#8c959f}"
	"svg .grid{stroke:#eaeef2}svg .tick{fill:#57606a}"
	"svg .axis{fill:#1d2329;font-size:12px}"
	"svg .rung-syn{stroke:#8250df;stroke-dasharray:6 3}"
	"svg text.rung-syn{fill:#8250df;stroke:none}"
	"svg .rung-dns{stroke:#0969da;stroke-dasharray:2 3}"
	"svg text.rung-dns{fill:#0969da;stroke:none}"
	"svg .rung-giveup{stroke:#cf222e;stroke-dasharray:8 2 2 2}"
	"svg text.rung-giveup{fill:#cf222e;stroke:none}"
	"svg .threshold{stroke:#cf222e;stroke-dasharray:4 3}"
	"svg text.threshold{fill:#cf222e;stroke:none}"
	"svg .attempt{stroke:#fff;stroke-width:.5;fill-opacity:.85}"
	"svg .whisker{stroke:#57606a;stroke-width:1.5}"
	"svg .box{fill:#54aeff;stroke:#0969da}"
	"svg .p99{stroke:#cf222e;stroke-width:2}"
	"svg .bar-fail{fill:#ff8182}svg .bar-ok{fill:#4ac26b}"
	"svg .p90{fill:none;stroke:#0969da;stroke-width:2}"
	"svg .p90-dot{fill:#0969da}"
	"svg .life{stroke:#57606a;stroke-width:2}"
	"svg .life.failed{stroke:#cf222e}svg .life.warned{stroke:#bf8700}"
	"svg .end-fin{stroke:#1a7f37;stroke-width:2}"
	"svg .end-rst{stroke:#cf222e;stroke-width:2}"
	"svg .end-open{fill:none;stroke:#57606a;stroke-width:1.5}"
	"svg .end-none{fill:#cf222e}"
	".legend span{display:inline-block;margin-right:14px}"
	".swatch{display:inline-block;width:10px;height:10px;"
	"border-radius:50%;margin-right:4px;vertical-align:middle}";

void rpt_html_head(FILE *out, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n"
	      "<meta name=\"generator\" content=\"conndoctor " CD_VERSION
	      "\">\n<title>",
	      out);
	cd_fputs_html(title, out);
	fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n",
		css);
	fputs("<h1>", out);
	cd_fputs_html(title, out);
	fputs("</h1>\n", out);
}

int rpt_html_tail(FILE *out)
{
	fputs("<p class=\"meta\">Made by conndoctor " CD_VERSION
	      "; every finding is explained by <code>conndoctor explain "
	      "CODE</code>.</p>\n</main>\n</body>\n</html>\n",
	      out);
	return ferror(out) ? -1 : 0;
}

void rpt_html_pre_escaped(const char *s, FILE *out)
{
	char one[2] = {0, 0};

	for (; s && *s; s++) {
		if (*s == '\\') {
			fputc('\\', out);
			continue;
		}
		one[0] = *s;
		cd_fputs_html(one, out);
	}
}

static void text_of(FILE *out, const char *s, int sanitized)
{
	if (sanitized)
		rpt_html_pre_escaped(s, out);
	else
		cd_fputs_html(s, out);
}

static const char *sev_class(enum cd_severity s)
{
	return s == CD_SEV_CRITICAL  ? "critical"
	       : s == CD_SEV_WARNING ? "warning"
				     : "info";
}

void rpt_html_finding(FILE *out, const struct cd_finding *f, int sanitized)
{
	fprintf(out,
		"<article class=\"finding %s\" data-code=\"%s\">\n"
		"<p><span class=\"sev\">%s</span> <code>%s</code> <b>",
		sev_class(f->severity), f->def->code, sev_class(f->severity),
		f->def->code);
	cd_fputs_html(f->def->title, out);
	fputs("</b></p>\n<p class=\"summary\">", out);
	text_of(out, f->summary, sanitized);
	fputs("</p>\n", out);
	if (f->evidence[0]) {
		fputs("<p class=\"evidence\"><span class=\"label\">evidence:"
		      "</span> ",
		      out);
		text_of(out, f->evidence, sanitized);
		fputs("</p>\n", out);
	}
	fputs("<p class=\"advice\"><span class=\"label\">advice:</span> ", out);
	cd_fputs_html(f->def->advice, out);
	fputs("</p>\n</article>\n", out);
}

void rpt_html_findings(FILE *out, const char *id, const char *h,
		       const struct cd_findings *fs, int sanitized)
{
	size_t i;

	fprintf(out, "<section id=\"%s\">\n<h2>", id);
	cd_fputs_html(h, out);
	fputs("</h2>\n", out);
	if (!fs->n)
		fputs("<p>No problem found.</p>\n", out);
	for (i = 0; i < fs->n; i++)
		rpt_html_finding(out, &fs->v[i], sanitized);
	fputs("</section>\n", out);
}

void rpt_html_root_from(FILE *out, const struct cd_findings *fs,
			const char *what, int sanitized)
{
	const struct cd_finding *f = fs->n ? &fs->v[0] : NULL;

	if (f && f->severity >= CD_SEV_WARNING) {
		fputs("<section id=\"root-cause\">\n<h2>Root cause: ", out);
		cd_fputs_html(f->def->title, out);
		fputs("</h2>\n", out);
		rpt_html_finding(out, f, sanitized);
	} else {
		fputs("<section id=\"root-cause\" class=\"healthy\">\n"
		      "<h2>No root cause: no problem found</h2>\n<p>",
		      out);
		cd_fputs_html(what, out);
		fputs("</p>\n", out);
	}
	fputs("</section>\n", out);
}

int rpt_probe_html(FILE *out, const struct rpt_probe *p)
{
	char what[96];

	snprintf(what, sizeof(what), "every one of %llu attempts behaved",
		 (unsigned long long)p->res->tally.total);
	rpt_html_head(out, "conndoctor probe");
	rpt_html_root_from(out, p->findings, what, 0);
	rpt_html_findings(out, "findings", "All findings (most severe first)",
			  p->findings, 0);
	rpt_probe_html_body(out, p);
	return rpt_html_tail(out);
}

/* A finding of the diagnosis, with its role ("symptom", "cause"). */
static void role_finding(FILE *out, const char *role,
			 const struct cd_finding *f)
{
	fprintf(out, "<p class=\"role\"><b>%s</b></p>\n", role);
	rpt_html_finding(out, f, 0);
}

static void facts_table(FILE *out, const struct chk_facts *facts)
{
	char line[512];
	size_t i;

	if (!facts->n)
		return;
	fputs("<h3>What was read</h3>\n<div class=\"scroll\"><table "
	      "class=\"facts\">\n<tr><th>section</th><th>fact</th></tr>\n",
	      out);
	for (i = 0; i < facts->n; i++) {
		rpt_fact_text(&facts->v[i], line, sizeof(line));
		fputs("<tr><td>", out);
		cd_fputs_html(facts->v[i].section, out);
		fputs("</td><td class=\"mono\">", out);
		cd_fputs_html(line, out);
		fputs("</td></tr>\n", out);
	}
	fputs("</table></div>\n", out);
}

/* Text for a <pre>: escaped a piece at a time, the line ends kept. */
static void pre_lines(FILE *out, const char *text)
{
	char piece[1024];

	while (*text) {
		size_t n = strcspn(text, "\n");

		while (n) {
			size_t k =
				n < sizeof(piece) - 1 ? n : sizeof(piece) - 1;

			memcpy(piece, text, k);
			piece[k] = '\0';
			cd_fputs_html(piece, out);
			text += k;
			n -= k;
		}
		if (*text == '\n') {
			fputc('\n', out);
			text++;
		}
	}
}

int rpt_diagnose_html(FILE *out, const struct cd_diagnosis *d,
		      const struct rpt_probe *rp,
		      const struct cd_findings *host,
		      const struct chk_facts *facts, const char *sock_why,
		      const char *trace)
{
	unsigned i;

	rpt_html_head(out, "conndoctor diagnose");
	if (d->root && !d->unexplained) {
		fputs("<section id=\"root-cause\">\n<h2>Root cause: ", out);
		cd_fputs_html(d->causes[0]->def->title, out);
		fputs("</h2>\n", out);
		role_finding(out, "symptom (measured)", d->root);
		for (i = 0; i < d->ncauses; i++)
			role_finding(out, "cause (this host or the server)",
				     d->causes[i]);
		fputs("<p class=\"advice\"><span class=\"label\">fix:</span> ",
		      out);
		cd_fputs_html(d->causes[0]->def->advice, out);
		fputs("</p>\n", out);
	} else if (d->root) {
		fputs("<section id=\"root-cause\">\n<h2>Root cause: ", out);
		cd_fputs_html(d->root->def->title, out);
		fputs(" (measured, not explained)</h2>\n", out);
		role_finding(out, "symptom (measured)", d->root);
		fputs(d->server_unchecked
			      ? "<p>Not explained: the server itself was not "
				"checked (see below), so its side is "
				"unknown, not healthy.</p>\n"
			      : "<p>Nothing on this host accounts for it: "
				"look at the path and at the server's host "
				"(run <code>conndoctor check</code> "
				"there).</p>\n",
		      out);
	} else {
		fprintf(out,
			"<section id=\"root-cause\" class=\"healthy\">\n"
			"<h2>No root cause: every attempt behaved</h2>\n"
			"<p>%llu attempts.</p>\n",
			(unsigned long long)rp->res->tally.total);
		if (d->risk)
			role_finding(out, "but this host has a risk", d->risk);
	}
	if (d->nunchecked) {
		fputs("<ul class=\"unchecked\">\n", out);
		for (i = 0; i < d->nunchecked; i++) {
			fputs("<li>", out);
			cd_fputs_html(d->unchecked[i].what, out);
			fputs(" not checked: ", out);
			cd_fputs_html(d->unchecked[i].why, out);
			fputs("</li>\n", out);
		}
		fputs("</ul>\n", out);
	}
	fputs("</section>\n", out);
	if (sock_why && sock_why[0]) {
		fputs("<p class=\"meta\">socket: ", out);
		cd_fputs_html(sock_why, out);
		fputs("</p>\n", out);
	}
	rpt_html_findings(out, "findings", "The probe's findings", rp->findings,
			  0);
	rpt_probe_html_body(out, rp);
	rpt_html_findings(out, "host-findings", "This host and the server",
			  host, 0);
	facts_table(out, facts);
	if (trace) {
		fputs("<section id=\"trace\">\n<h2>The kernel, during the "
		      "probe (--trace)</h2>\n<pre>",
		      out);
		pre_lines(out, trace);
		fputs("</pre>\n</section>\n", out);
	}
	return rpt_html_tail(out);
}
