/* cmd_probe.c - `conndoctor probe`: turns options into an engine
 * configuration and a plan, has the engine measure (probe/run.c: the host
 * facts, the batches or a ramp's levels, the second look), applies the
 * rules, renders, and sets the exit status. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "findings/findings.h"
#include "probe/run.h"
#include "report/progress.h"
#include "report/report.h"
#include "util/fileio.h"

#define DEFAULT_SOCKET "/run/mysqld/mysqld.sock"
#define KEY_MAX	       (64 * 1024)

static void on_signal(int sig)
{
	(void)sig;
	probe_interrupt();
}

int cli_probe_configure(struct cli_opts *o, struct probe_config *cfg,
			char **key_pem, char *err, size_t errlen)
{
	int use_socket, use_tcp, family = AF_UNSPEC, p;
	const char *user;

	probe_config_init(cfg);
	cfg->host = o->host ? o->host : "localhost";
	cfg->port = o->port;
	user = o->user ? o->user : getenv("USER");
	cfg->user = user ? user : "";
	cfg->password = o->password;
	cfg->database = o->database;
	cfg->query = o->query;
	cfg->ping = o->ping;
	cfg->ssl_mode = o->ssl_mode;
	cfg->ssl_ca = o->ssl_ca;
	cfg->get_server_public_key = o->get_server_public_key;
	cfg->enable_cleartext = o->enable_cleartext;
	memcpy(cfg->compress, o->compress, sizeof(cfg->compress));
	if (o->nqattrs && o->ping) {
		snprintf(err, errlen, "%s",
			 "--query-attribute goes with a query, not --ping");
		return CD_EXIT_USAGE;
	}
	for (p = 0; p < (int)o->nqattrs; p++) {
		const char *eq = strchr(o->qattrs[p], '=');

		cfg->qattrs[p].name = o->qattrs[p];
		cfg->qattrs[p].name_len = (size_t)(eq - o->qattrs[p]);
		cfg->qattrs[p].value = eq + 1;
	}
	cfg->nqattrs = o->nqattrs;
	cfg->resolve_each = !o->resolve_once;
	cfg->stop_after = o->stop_after;
	cfg->concurrency = o->concurrency;
	cfg->rate = o->rate;
	cfg->duration_s = o->duration_s;
	cfg->idle_s = o->idle_s;
	cfg->max_allowed_packet = o->max_allowed_packet;
	cfg->reuse = o->reuse;
	cfg->reuse_mode = o->reuse_mode;
	for (p = 0; p < CD_PH__COUNT; p++)
		if (o->timeout_s[p] > 0)
			cfg->timeout_s[p] = o->timeout_s[p];
	if (o->count_set)
		cfg->count = o->count;
	else if (o->duration_s > 0)
		cfg->count = 0; /* bounded by the duration instead */
	if (o->server_key_path) {
		*key_pem = cd_read_text(o->server_key_path, KEY_MAX,
					&cfg->server_key_pem_len);
		if (!*key_pem) {
			snprintf(err, errlen, "%s: %s", o->server_key_path,
				 strerror(errno));
			return CD_EXIT_USAGE;
		}
		cfg->server_key_pem = *key_pem;
	}

	/* The mysql client's rule: "localhost" means the Unix socket. */
	if (o->compare) {
		use_socket = use_tcp = 1;
	} else if (o->protocol) {
		use_socket = o->protocol == CD_SOCKET + 1;
		use_tcp = !use_socket;
	} else {
		use_socket = !strcmp(cfg->host, "localhost");
		use_tcp = !use_socket;
	}
	if (o->family == 4)
		family = AF_INET;
	else if (o->family == 6)
		family = AF_INET6;
	if (use_tcp) {
		if (o->address) {
			unsigned char buf[16];

			if (inet_pton(AF_INET, o->address, buf) != 1 &&
			    inet_pton(AF_INET6, o->address, buf) != 1) {
				snprintf(err, errlen,
					 "--address needs an IP address, not "
					 "'%s'",
					 o->address);
				return CD_EXIT_USAGE;
			}
			cfg->host = o->address;
		}
		if (probe_add_tcp_targets(cfg, family, err, errlen) < 0)
			return CD_EXIT_UNAVAILABLE;
	}
	if (use_socket &&
	    probe_add_socket_target(cfg, o->socket ? o->socket : DEFAULT_SOCKET,
				    err, errlen) < 0)
		return CD_EXIT_USAGE;
	/* --count is per target: each address and the socket get as many. */
	cfg->count *= cfg->ntargets;
	if (cfg->stop_after != PROBE_STOP_NONE)
		fprintf(stderr,
			"conndoctor: warning: --stop-after %s ends each "
			"connection before login; the server counts these "
			"as aborted handshakes against max_connect_errors "
			"and may block this host (FLUSH HOSTS lifts it)\n",
			cfg->stop_after == PROBE_STOP_CONNECT ? "connect"
							      : "greeting");
	return 0;
}

int cli_probe_exit_status(const struct probe_result *r,
			  const struct cd_findings *f)
{
	size_t i;
	enum cd_severity worst;

	if (r->nattempts) {
		for (i = 0; i < r->nattempts; i++)
			if (!cd_outcome_unreached(r->attempts[i].outcome))
				break;
		if (i == r->nattempts)
			return CD_EXIT_UNAVAILABLE;
	}
	if (f->n == 0)
		return CD_EXIT_OK;
	worst = cd_findings_worst(f);
	return worst == CD_SEV_CRITICAL	 ? CD_EXIT_CRITICAL
	       : worst == CD_SEV_WARNING ? CD_EXIT_WARNING
					 : CD_EXIT_OK;
}

/* The engine's progress hook (probe_config.tick). */
static void probe_tick(void *ud, const struct probe_result *res,
		       unsigned in_flight, unsigned level)
{
	rpt_progress_probe(ud, res, in_flight, level);
}

int cli_probe_measure(const struct cli_opts *o, struct probe_config *cfg,
		      struct cd_host_facts *facts, struct probe_result *res,
		      struct cd_findings *findings, char *err, size_t errlen)
{
	struct cd_probe_input in;
	struct probe_plan plan;
	struct rpt_progress prog;
	int rc;

	probe_plan_init(&plan);
	plan.ramp = o->ramp;
	plan.ramp_from = o->ramp_from;
	plan.ramp_to = o->ramp_to;
	plan.ramp_step = o->ramp_step;
	plan.repeat = o->ramp ? o->repeat : 1;
	plan.level_count = o->count_set ? o->count : 0;
	plan.second_look = !o->no_second_look;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	/* The status line on stderr while the probe runs; erased before
	 * anything else is printed. */
	rpt_progress_init(&prog, stderr,
			  rpt_progress_wanted(o->progress, o->quiet,
					      o->json || o->nagios,
					      isatty(STDERR_FILENO)));
	prog.total = probe_plan_total(cfg, &plan);
	prog.duration_s = cfg->duration_s;
	prog.ramp = plan.ramp;
	if (prog.on) {
		cfg->tick = probe_tick;
		cfg->tick_ud = &prog;
	}
	rc = probe_measure(cfg, &plan, res, facts, err, errlen);
	rpt_progress_clear(&prog);
	cfg->tick = NULL; /* prog ends here */
	cfg->tick_ud = NULL;
	if (rc)
		return rc == -2 ? CD_EXIT_USAGE : CD_EXIT_UNAVAILABLE;
	in.cfg = cfg;
	in.res = res;
	in.facts = facts;
	in.ramp = plan.ramp;
	in.repeats = plan.repeat;
	if (cd_rules_probe(&in, findings)) {
		snprintf(err, errlen, "out of memory");
		return CD_EXIT_UNAVAILABLE;
	}
	return 0;
}

void cli_probe_report_init(const struct cli_opts *o,
			   const struct probe_config *cfg,
			   const struct probe_result *res,
			   const struct cd_findings *findings,
			   const struct cd_host_facts *facts, int exit_status,
			   struct rpt_probe *rp, struct rpt_opts *ro)
{
	rp->cfg = cfg;
	rp->res = res;
	rp->findings = findings;
	rp->facts = facts;
	rp->ramp = o->ramp;
	rp->repeats = o->ramp ? o->repeat : 1;
	rp->exit_status = exit_status;
	ro->verbose = o->verbose;
	ro->color = cli_color_enabled(o->color, STDOUT_FILENO);
}

int cli_fail(const char *cmd, int nagios, int rc, const char *err)
{
	if (nagios) {
		rc = rpt_nagios_error(stdout, rc, err);
		fflush(stdout);
	}
	fprintf(stderr, "conndoctor %s: %s\n", cmd, err);
	return rc;
}

FILE *cli_html_open(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");

	if (!f)
		snprintf(err, errlen, "--html %s: %s", path, strerror(errno));
	return f;
}

int cli_html_close(const char *cmd, FILE *f, const char *path, int write_rc)
{
	int rc = write_rc;

	if (fclose(f) != 0)
		rc = -1;
	if (rc)
		fprintf(stderr, "conndoctor %s: cannot write %s\n", cmd, path);
	return rc;
}

int cmd_probe(int argc, char **argv)
{
	struct cli_opts o;
	struct probe_config cfg;
	struct probe_result res;
	struct cd_findings findings;
	struct cd_host_facts facts;
	struct rpt_probe rp;
	struct rpt_opts ro;
	char err[512], *key_pem = NULL;
	int rc, nagios = cli_wants_nagios(argc, argv);
	FILE *html = NULL;

	rc = cli_parse(CLI_CMD_PROBE, argc, argv, &o, err, sizeof(err));
	if (rc < 0) {
		cli_opts_free(&o);
		return CD_EXIT_OK;
	}
	if (rc) {
		cli_opts_free(&o);
		return cli_fail("probe", nagios, rc, err);
	}
	nagios = o.nagios;
	rc = cli_probe_configure(&o, &cfg, &key_pem, err, sizeof(err));
	if (rc) {
		free(key_pem);
		cli_opts_free(&o);
		return cli_fail("probe", nagios, rc, err);
	}
	probe_result_init(&res);
	cd_findings_init(&findings);
	if (o.html) {
		html = cli_html_open(o.html, err, sizeof(err));
		if (!html) {
			rc = cli_fail("probe", nagios, CD_EXIT_USAGE, err);
			goto out;
		}
	}
	rc = cli_probe_measure(&o, &cfg, &facts, &res, &findings, err,
			       sizeof(err));
	if (rc) {
		rc = cli_fail("probe", nagios, rc, err);
		goto out;
	}
	rc = cli_probe_exit_status(&res, &findings);
	cli_probe_report_init(&o, &cfg, &res, &findings, &facts, rc, &rp, &ro);
	if (nagios)
		rc = rpt_probe_nagios(stdout, &rp, NULL);
	else if (o.json)
		rpt_probe_json(stdout, &rp);
	else
		rpt_probe_text(stdout, &rp, &ro);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "conndoctor probe: cannot write the report\n");
		rc = nagios ? RPT_NAGIOS_UNKNOWN : CD_EXIT_UNAVAILABLE;
	}
	if (html) {
		int hrc = rpt_probe_html(html, &rp);

		hrc = cli_html_close("probe", html, o.html, hrc);
		html = NULL;
		if (hrc)
			rc = nagios ? RPT_NAGIOS_UNKNOWN : CD_EXIT_UNAVAILABLE;
	}
out:
	if (html)
		fclose(html);
	cd_findings_free(&findings);
	probe_result_free(&res);
	free(key_pem);
	cli_opts_free(&o);
	return rc;
}
