/* cmd_check.c - `conndoctor check`: options (by the option table), the
 * slice run, the report and the exit status. Read-only: it changes nothing
 * on the host. */
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/slices.h"
#include "cli/cli.h"
#include "report/report.h"

/* When a user is known (command line, option files, environment or
 * --audit-defaults-file), resolves the server to audit and configures the
 * login as the probe's (TLS, RSA key, timeouts; *key_pem is freed by the
 * caller). Returns 0 or an exit status with err set. */
static int server_target(struct cli_opts *o, struct probe_config *pc,
			 char **key_pem, struct chk_ctx *ctx, char *err,
			 size_t errlen)
{
	int rc;

	if (!o->user && !o->audit_user)
		return 0; /* no credentials: no server audit */
	rc = cli_probe_configure(o, pc, key_pem, err, errlen);
	if (rc)
		return rc;
	ctx->server = &pc->targets[0];
	ctx->server_cfg = pc;
	ctx->user = o->audit_user ? o->audit_user : o->user;
	ctx->password = o->audit_user ? o->audit_password : o->password;
	ctx->probe_user = o->user;
	if (o->socket)
		ctx->socket_path = o->socket;
	return 0;
}

void cli_audit_ctx(const struct cli_opts *o, struct chk_ctx *ctx, char *learned)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->learned_error_log = learned;
	ctx->procroot = "/proc";
	ctx->etcroot = "/etc";
	ctx->resolve = !o->no_dns;
	ctx->dns_timeout_s = o->dns_timeout_s > 0 ? o->dns_timeout_s : 3;
	ctx->interval_s = o->interval_s;
	ctx->asleep_over_s =
		o->asleep_over_s > 0 ? o->asleep_over_s : CHK_ASLEEP_OVER_S;
	ctx->errlog_since_s = o->since_s;
	ctx->error_log = o->error_log;
	ctx->mysqld_path = o->mysqld;
	ctx->hosts_allow = o->hosts_allow;
	ctx->hosts_deny = o->hosts_deny;
}

int cmd_check(int argc, char **argv)
{
	struct cli_opts o;
	struct probe_config pc;
	char *key_pem = NULL;
	struct chk_ctx ctx;
	char learned[CHK_PATH_MAX] = "";
	struct chk_learned_server learned_srv;
	struct chk_facts facts;
	struct cd_findings findings;
	struct rpt_opts ro = {-1, 0};
	size_t nslices;
	unsigned mask, i;
	char err[256] = "";
	int rc;
	enum cd_severity worst;

	rc = cli_parse(CLI_CMD_CHECK, argc, argv, &o, err, sizeof(err));
	if (rc) {
		if (rc > 0)
			fprintf(stderr, "conndoctor check: %s\n", err);
		cli_opts_free(&o);
		return rc < 0 ? CD_EXIT_OK : rc;
	}
	cli_audit_ctx(&o, &ctx, learned);
	chk_learned_server_init(&learned_srv);
	ctx.learned_server = &learned_srv;
	ctx.ports[ctx.nports++] = 3306;
	for (i = 0; i < o.nargv_ports; i++)
		if (ctx.nports < CHK_MAX_PORTS && o.argv_ports[i] != 3306)
			ctx.ports[ctx.nports++] = o.argv_ports[i];
	/* The command line's socket; the option files' only names the
	 * audited server's (below). */
	ctx.socket_path =
		o.given[CLI_O_SOCKET] ? o.socket : "/run/mysqld/mysqld.sock";
	chk_slices(&nslices);
	mask = o.only_mask ? o.only_mask : (1u << nslices) - 1;
	ro.color = cli_color_enabled(o.color, STDOUT_FILENO);
	rc = server_target(&o, &pc, &key_pem, &ctx, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "conndoctor check: %s\n", err);
		goto out_opts;
	}

	chk_facts_init(&facts);
	cd_findings_init(&findings);
	if (chk_run(&ctx, mask, &facts, &findings)) {
		fprintf(stderr, "conndoctor check: out of memory\n");
		rc = CD_EXIT_UNAVAILABLE;
		goto out;
	}
	worst = cd_findings_worst(&findings);
	rc = findings.n == 0 || worst == CD_SEV_INFO ? CD_EXIT_OK
	     : worst == CD_SEV_WARNING		     ? CD_EXIT_WARNING
						     : CD_EXIT_CRITICAL;
	if (o.json)
		rpt_check_json(stdout, &findings, &facts, rc);
	else
		rpt_check_text(stdout, &findings, &facts, &ro);
	if (fflush(stdout) != 0)
		rc = CD_EXIT_UNAVAILABLE;
out:
	chk_facts_free(&facts);
	cd_findings_free(&findings);
out_opts:
	free(key_pem);
	cli_opts_free(&o);
	return rc;
}
