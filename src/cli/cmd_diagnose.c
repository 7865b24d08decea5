/* cmd_diagnose.c - `conndoctor diagnose`: the main job. Probes the target
 * (over TCP, and over the Unix socket when the server is local), audits
 * this host and the server, and ranks what it found into a report that
 * starts with the root cause. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/owner.h"
#include "probe/hostfacts.h"
#include "check/slices.h"
#include "cli/cli.h"
#include "findings/diagnosis.h"
#include "report/report.h"
#include "trace/trace_report.h"
#include "trace/trace_rules.h"
#include "trace/trace_session.h"
#include "util/escape.h"
#include "util/json.h"

/* "PREFIX CODE TITLE: SUMMARY\n", the summary escaped (it can quote the
 * server); code and title come from the catalogue. */
static void finding_line(FILE *out, const char *prefix,
			 const struct cd_finding *f)
{
	fprintf(out, "%s%s %s: ", prefix, f->def->code, f->def->title);
	cd_fputs_escaped(f->summary, out);
	fputc('\n', out);
}

/* "PREFIX EVIDENCE\n", escaped. */
static void evidence_line(FILE *out, const char *prefix, const char *ev)
{
	fputs(prefix, out);
	cd_fputs_escaped(ev, out);
	fputc('\n', out);
}

/* "  WHAT not checked: WHY" for each part of the audit that could not
 * run: a layer nobody looked at is not a healthy one. */
static void unchecked_lines(FILE *out, const struct cd_diagnosis *d)
{
	unsigned i;

	for (i = 0; i < d->nunchecked; i++) {
		fprintf(out, "  %s not checked: ", d->unchecked[i].what);
		cd_fputs_escaped(d->unchecked[i].why, out);
		fputc('\n', out);
	}
}

/* What diagnose --trace measured: none asked, failed (why) or a result. */
struct diag_trace {
	int asked, ok;
	char why[256];
	struct trace_result res;
	struct trace_resolve_result rres;
};

/* The kernel's evidence, or why there is none. */
static void trace_section(FILE *out, const struct diag_trace *dt)
{
	if (dt->ok)
		trace_report_text(out, &dt->res);
	else
		evidence_line(out, "not traced: ", dt->why);
}

static void text_report(FILE *out, const struct cd_diagnosis *d,
			const struct rpt_probe *rp,
			const struct cd_findings *host,
			const struct chk_facts *facts,
			const struct rpt_opts *ro, const char *sock_why,
			const struct diag_trace *dt)
{
	const char *bold = rpt_color(ro, RPT_BOLD);
	const char *reset = rpt_color(ro, RPT_RESET);
	unsigned i;

	fprintf(out, "%sconndoctor diagnose%s\n\n", bold, reset);
	if (d->root && !d->unexplained) {
		fprintf(out, "%sROOT CAUSE%s  %s\n", bold, reset,
			d->causes[0]->def->title);
		finding_line(out, "  symptom:   ", d->root);
		for (i = 0; i < d->ncauses; i++)
			finding_line(out, "  cause:     ", d->causes[i]);
		evidence_line(out, "  evidence:  ", d->root->evidence);
		for (i = 0; i < d->ncauses; i++)
			if (d->causes[i]->evidence[0])
				evidence_line(out, "             ",
					      d->causes[i]->evidence);
		fprintf(out, "  fix:       %s\n", d->causes[0]->def->advice);
	} else if (d->root) {
		fprintf(out, "%sMEASURED FAILURE%s  %s\n", bold, reset,
			d->root->def->title);
		fprintf(out, "  symptom:   %s: ", d->root->def->code);
		cd_fputs_escaped(d->root->summary, out);
		fputc('\n', out);
		evidence_line(out, "  evidence:  ", d->root->evidence);
		if (d->server_unchecked)
			fprintf(out,
				"  not explained: the server itself was not "
				"checked (see below), so its side is unknown, "
				"not healthy\n");
		else
			fprintf(out,
				"  nothing on this host accounts for it: the "
				"layers disagree, so look at the path and at "
				"the server's host (run `conndoctor check` "
				"there)\n");
		fprintf(out, "  advice:    %s\n", d->root->def->advice);
	} else {
		fprintf(out,
			"%sNO ROOT CAUSE%s  every attempt behaved (%llu "
			"attempts)\n",
			bold, reset, (unsigned long long)rp->res->tally.total);
		if (d->risk)
			finding_line(out,
				     "  but this host has a risk: ", d->risk);
	}
	unchecked_lines(out, d);
	fputs("\n== the probe\n", out);
	if (sock_why[0])
		evidence_line(out, "socket: ", sock_why);
	rpt_probe_text(out, rp, ro);
	fputs("\n== this host and the server\n", out);
	rpt_check_text(out, host, facts, ro);
	if (!dt->asked)
		return;
	fputs("\n== the kernel, during the probe (--trace)\n", out);
	trace_section(out, dt);
}

/* The same section as a string, for the HTML report; NULL when out of
 * memory. */
static char *trace_text(const struct diag_trace *dt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	trace_section(f, dt);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void json_finding_ref(struct json *j, const struct cd_finding *f)
{
	json_obj(j);
	json_key(j, "code");
	json_str(j, f->def->code);
	json_key(j, "title");
	json_str(j, f->def->title);
	json_key(j, "summary");
	json_str(j, f->summary);
	json_key(j, "evidence");
	json_str(j, f->evidence);
	json_key(j, "advice");
	json_str(j, f->def->advice);
	json_obj_end(j);
}

static void json_report(FILE *out, const struct cd_diagnosis *d,
			const struct rpt_probe *rp,
			const struct cd_findings *host,
			const struct chk_facts *facts, int rc,
			const char *sock_why, const struct diag_trace *dt)
{
	struct json j;
	unsigned i;

	json_init(&j, out, 0);
	json_obj(&j);
	json_key(&j, "conndoctor");
	json_str(&j, CD_VERSION);
	json_key(&j, "command");
	json_str(&j, "diagnose");
	json_key(&j, "exit_status");
	json_int(&j, rc);
	json_key(&j, "root_cause");
	if (d->root) {
		json_obj(&j);
		json_key(&j, "explained");
		json_bool(&j, !d->unexplained);
		json_key(&j, "symptom");
		json_finding_ref(&j, d->root);
		json_key(&j, "causes");
		json_arr(&j);
		for (i = 0; i < d->ncauses; i++)
			json_finding_ref(&j, d->causes[i]);
		json_arr_end(&j);
		json_obj_end(&j);
	} else {
		json_null(&j);
	}
	json_key(&j, "risk");
	if (d->risk)
		json_finding_ref(&j, d->risk);
	else
		json_null(&j);
	json_key(&j, "socket_choice");
	json_str(&j, sock_why);
	json_key(&j, "not_checked");
	json_arr(&j);
	for (i = 0; i < d->nunchecked; i++) {
		json_obj(&j);
		json_key(&j, "slice");
		json_str(&j, d->unchecked[i].what);
		json_key(&j, "reason");
		json_str(&j, d->unchecked[i].why);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "probe");
	rpt_probe_json_obj(&j, rp);
	json_key(&j, "check");
	rpt_check_json_obj(&j, host, facts, rc);
	json_key(&j, "trace");
	if (dt->ok) {
		trace_report_json_obj(&j, &dt->res);
	} else if (dt->asked) {
		json_obj(&j);
		json_key(&j, "error");
		json_str(&j, dt->why);
		json_obj_end(&j);
	} else {
		json_null(&j);
	}
	json_obj_end(&j);
	json_flush(&j);
}

int cmd_diagnose(int argc, char **argv)
{
	struct cli_opts o;
	struct probe_config cfg;
	struct probe_result res;
	struct cd_findings measured, host;
	struct cd_host_facts hf;
	struct chk_ctx ctx;
	char learned[CHK_PATH_MAX] = "";
	struct chk_learned_server learned_srv;
	struct chk_facts facts;
	struct cd_diagnosis d;
	struct rpt_probe rp;
	struct rpt_opts ro;
	struct diag_trace dt;
	struct trace_session *ts = NULL;
	size_t nslices, i;
	char err[512] = "", *key_pem = NULL, sock_why[384] = "";
	int rc, check_rc, nagios = cli_wants_nagios(argc, argv);
	enum cd_severity worst;
	FILE *html = NULL;

	rc = cli_parse(CLI_CMD_DIAGNOSE, argc, argv, &o, err, sizeof(err));
	if (rc) {
		cli_opts_free(&o);
		return rc < 0 ? CD_EXIT_OK
			      : cli_fail("diagnose", nagios, rc, err);
	}
	nagios = o.nagios;
	cli_audit_ctx(&o, &ctx, learned);
	chk_learned_server_init(&learned_srv);
	ctx.learned_server = &learned_srv;
	/* A local server is probed over TCP and its socket side by side:
	 * the socket -S names, or else the default one only when the
	 * process listening on the port owns it (never an assumed path). */
	if (!o.protocol &&
	    chk_host_is_loopback(o.host ? o.host : "localhost")) {
		if (!o.host || !strcmp(o.host, "localhost")) {
			free(o.host);
			o.host = strdup("127.0.0.1");
		}
		if (o.socket) {
			o.compare = 1;
			snprintf(sock_why, sizeof(sock_why),
				 "%s probed: named by -S", o.socket);
		} else if (chk_listener_owns_socket(
				   (uint16_t)o.port, CHK_DEFAULT_SOCKET,
				   sock_why, sizeof(sock_why))) {
			o.socket = strdup(CHK_DEFAULT_SOCKET);
			o.compare = o.socket != NULL;
		}
	}
	if (!o.count_set && o.duration_s <= 0) {
		o.count = 10;
		o.count_set = 1;
	}
	if (o.concurrency == 1)
		o.concurrency = 2;
	rc = cli_probe_configure(&o, &cfg, &key_pem, err, sizeof(err));
	if (rc) {
		rc = cli_fail("diagnose", nagios, rc, err);
		goto out_opts;
	}
	probe_result_init(&res);
	cd_findings_init(&measured);
	cd_findings_init(&host);
	chk_facts_init(&facts);
	/* The tracer runs for the probe's attempts, in this namespace. */
	memset(&dt, 0, sizeof(dt));
	dt.asked = o.trace;
	if (o.html) {
		html = cli_html_open(o.html, err, sizeof(err));
		if (!html) {
			rc = cli_fail("diagnose", nagios, CD_EXIT_USAGE, err);
			goto out;
		}
	}
	if (dt.asked && trace_session_start((uint16_t)cfg.port, &ts, dt.why,
					    sizeof(dt.why)))
		ts = NULL;
	rc = cli_probe_measure(&o, &cfg, &hf, &res, &measured, err,
			       sizeof(err));
	if (ts) {
		dt.ok = !trace_session_stop(ts, &dt.res, &dt.rres);
		if (!dt.ok)
			snprintf(dt.why, sizeof(dt.why),
				 "cannot read the tracer's maps");
	}
	if (rc) {
		rc = cli_fail("diagnose", nagios, rc, err);
		goto out;
	}

	/* The audit: every slice, the server through the socket when there
	 * is one (it works even when TCP does not). */
	ctx.ports[ctx.nports++] = (uint16_t)cfg.port;
	ctx.socket_path = o.socket; /* NULL: not this server's, TCP only */
	ctx.server = &cfg.targets[cfg.ntargets - 1];
	ctx.server_cfg = &cfg;
	ctx.probe_res = &res;
	/* --audit-defaults-file: the audit logs in as its own account, so
	 * it gets in when the probe's is at its limit. */
	ctx.user = o.audit_user ? o.audit_user : cfg.user;
	ctx.password = o.audit_user ? o.audit_password : cfg.password;
	ctx.probe_user = cfg.user;
	chk_slices(&nslices);
	if (chk_run(&ctx, (1u << nslices) - 1, &facts, &host)) {
		rc = cli_fail("diagnose", nagios, CD_EXIT_UNAVAILABLE,
			      "out of memory");
		goto out;
	}
	if (dt.ok && trace_rules(&dt.res, (uint16_t)cfg.port, &host)) {
		rc = cli_fail("diagnose", nagios, CD_EXIT_UNAVAILABLE,
			      "out of memory");
		goto out;
	}
	cd_diagnose(&measured, &host, &d);
	for (i = 0; i < facts.n; i++)
		if (!facts.v[i].def &&
		    !strcmp(facts.v[i].section, "unreadable"))
			cd_diagnosis_unchecked(&d, facts.v[i].key,
					       facts.v[i].why);

	rc = cli_probe_exit_status(&res, &measured);
	worst = cd_findings_worst(&host);
	check_rc = host.n == 0 || worst == CD_SEV_INFO ? CD_EXIT_OK
		   : worst == CD_SEV_WARNING	       ? CD_EXIT_WARNING
						       : CD_EXIT_CRITICAL;
	if (rc != CD_EXIT_UNAVAILABLE && check_rc > rc)
		rc = check_rc;
	cli_probe_report_init(&o, &cfg, &res, &measured, &hf, rc, &rp, &ro);
	if (nagios)
		rc = rpt_probe_nagios(stdout, &rp, &host);
	else if (o.json)
		json_report(stdout, &d, &rp, &host, &facts, rc, sock_why, &dt);
	else
		text_report(stdout, &d, &rp, &host, &facts, &ro, sock_why, &dt);
	if (fflush(stdout) != 0)
		rc = nagios ? RPT_NAGIOS_UNKNOWN : CD_EXIT_UNAVAILABLE;
	if (html) {
		char *trace = dt.asked ? trace_text(&dt) : NULL;
		int hrc = rpt_diagnose_html(html, &d, &rp, &host, &facts,
					    sock_why, trace);

		if (dt.asked && !trace)
			hrc = -1;
		free(trace);

		hrc = cli_html_close("diagnose", html, o.html, hrc);
		html = NULL;
		if (hrc)
			rc = nagios ? RPT_NAGIOS_UNKNOWN : CD_EXIT_UNAVAILABLE;
	}
out:
	trace_result_free(&dt.res);
	trace_resolve_result_free(&dt.rres);
	if (html)
		fclose(html);
	chk_facts_free(&facts);
	cd_findings_free(&measured);
	cd_findings_free(&host);
	probe_result_free(&res);
	free(key_pem);
out_opts:
	cli_opts_free(&o);
	return rc;
}
