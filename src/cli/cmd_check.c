/* cmd_check.c - `conndoctor check`: options, the slice run, the report and
 * the exit status. Read-only: it changes nothing on the host. */
#include <getopt.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/slices.h"
#include "cli/cli.h"
#include "report/report.h"

static void check_usage(void)
{
	size_t n, i;
	const struct chk_slice_def *s = chk_slices(&n);

	fputs("usage: conndoctor check [OPTIONS]\n"
	      "\n"
	      "Audits this host, as this network namespace sees it, for what "
	      "breaks MySQL\n"
	      "connections, and explains each risk with a finding. Changes "
	      "nothing.\n"
	      "\n"
	      "  --only LIST          run only these slices "
	      "(comma-separated):\n"
	      "                       ",
	      stdout);
	for (i = 0; i < n; i++)
		printf("%s%s", s[i].name, i + 1 < n ? ", " : "\n");
	fputs("  -h, --host, -u, --user, -p, --password, --protocol, "
	      "--defaults-file,\n"
	      "  --defaults-extra-file, --no-defaults: as for probe; with a "
	      "user, the\n"
	      "                       server slice audits that server "
	      "(read-only)\n"
	      "  --ssl-mode, --ssl-ca, --ssl, --skip-ssl, "
	      "--server-public-key-path,\n"
	      "  --get-server-public-key, --connect-timeout, --read-timeout: "
	      "as for probe;\n"
	      "                       the audit logs in the way the probe "
	      "does\n"
	      "  -P, --port N         the server's port; also watched by the "
	      "census\n"
	      "                       (repeatable: more MySQL ports)\n"
	      "  -S, --socket PATH    mysqld's Unix socket (default "
	      "/run/mysqld/mysqld.sock)\n"
	      "      --mysqld PATH    the mysqld binary (default: the running "
	      "one)\n"
	      "      --hosts-allow F, --hosts-deny F  TCP wrappers tables "
	      "(default /etc/...)\n"
	      "      --error-log PATH the server's error log (\"journal\" for "
	      "journald;\n"
	      "                       default: the server's log_error, else "
	      "the "
	      "usual places)\n"
	      "      --since S        only the error log's last S seconds\n"
	      "      --interval S     sample kernel counters twice, S apart, "
	      "and show rates\n"
	      "      --no-dns         do not send DNS queries\n"
	      "      --dns-timeout S  bound for all DNS measurements together "
	      "(default 3)\n"
	      "      --json           one JSON document\n"
	      "      --color, --no-color\n"
	      "\n"
	      "Run as root to see every process's sockets and the firewall; "
	      "otherwise\n"
	      "what could not be read is listed at the end.\n"
	      "Exit status: 0 healthy, 1 warnings, 2 critical findings, 64 "
	      "usage error.\n",
	      stdout);
}

enum {
	OPT_CONN = 255,
	OPT_ONLY,
	OPT_ERRLOG,
	OPT_SINCE,
	OPT_MYSQLD,
	OPT_ALLOW,
	OPT_DENY,
	OPT_INTERVAL,
	OPT_NO_DNS,
	OPT_DNS_TIMEOUT,
	OPT_JSON,
	OPT_COLOR,
	OPT_NO_COLOR,
	OPT_HELP
};

/* Connection options go to the probe's parser (same spelling, option files,
 * environment, password prompt); they select the server to audit. */
static const struct option longopts[] = {
	{"host", required_argument, NULL, 'h'},
	{"user", required_argument, NULL, 'u'},
	{"password", optional_argument, NULL, 'p'},
	{"protocol", required_argument, NULL, OPT_CONN},
	{"defaults-file", required_argument, NULL, OPT_CONN},
	{"defaults-extra-file", required_argument, NULL, OPT_CONN},
	{"no-defaults", no_argument, NULL, OPT_CONN},
	{"ssl-mode", required_argument, NULL, OPT_CONN},
	{"ssl-ca", required_argument, NULL, OPT_CONN},
	{"ssl", no_argument, NULL, OPT_CONN},
	{"skip-ssl", no_argument, NULL, OPT_CONN},
	{"server-public-key-path", required_argument, NULL, OPT_CONN},
	{"get-server-public-key", no_argument, NULL, OPT_CONN},
	{"connect-timeout", required_argument, NULL, OPT_CONN},
	{"read-timeout", required_argument, NULL, OPT_CONN},
	{"only", required_argument, NULL, OPT_ONLY},
	{"error-log", required_argument, NULL, OPT_ERRLOG},
	{"since", required_argument, NULL, OPT_SINCE},
	{"port", required_argument, NULL, 'P'},
	{"socket", required_argument, NULL, 'S'},
	{"mysqld", required_argument, NULL, OPT_MYSQLD},
	{"hosts-allow", required_argument, NULL, OPT_ALLOW},
	{"hosts-deny", required_argument, NULL, OPT_DENY},
	{"interval", required_argument, NULL, OPT_INTERVAL},
	{"no-dns", no_argument, NULL, OPT_NO_DNS},
	{"dns-timeout", required_argument, NULL, OPT_DNS_TIMEOUT},
	{"json", no_argument, NULL, OPT_JSON},
	{"color", no_argument, NULL, OPT_COLOR},
	{"no-color", no_argument, NULL, OPT_NO_COLOR},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

/* Slice names to a mask; 0 with err set on an unknown name. */
static unsigned parse_only(const char *list, char *err, size_t errlen)
{
	size_t n, i;
	const struct chk_slice_def *s = chk_slices(&n);
	unsigned mask = 0;
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		int found = 0;

		for (i = 0; i < n; i++)
			if (strlen(s[i].name) == len &&
			    !strncmp(s[i].name, p, len)) {
				mask |= 1u << i;
				found = 1;
			}
		if (!found) {
			snprintf(err, errlen, "unknown slice '%.*s' in --only",
				 (int)len, p);
			return 0;
		}
		p += len;
		if (*p)
			p++;
	}
	if (!mask)
		snprintf(err, errlen, "--only needs slice names");
	return mask;
}

static int parse_seconds(const char *s, double max, double *out)
{
	char *end;
	double v;

	if (!s)
		return -1;
	v = strtod(s, &end);
	if (end == s || *end || !(v > 0) || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The connection options, rebuilt as an argv for the probe's parser. */
struct conn_args {
	char *argv[64];
	int argc;
};

static int conn_push(struct conn_args *a, const char *name, const char *v)
{
	char *s;

	if (a->argc == 0) {
		a->argv[0] = strdup("check");
		if (!a->argv[0])
			return -1;
		a->argc = 1;
	}
	if (a->argc >= 63)
		return 0; /* more would be repeats: ignore */
	if (v) {
		s = malloc(strlen(name) + strlen(v) + 4);
		if (s)
			sprintf(s, "--%s=%s", name, v);
	} else {
		s = malloc(strlen(name) + 3);
		if (s)
			sprintf(s, "--%s", name);
	}
	if (!s)
		return -1;
	a->argv[a->argc++] = s;
	a->argv[a->argc] = NULL;
	return 0;
}

static void conn_free(struct conn_args *a)
{
	int i;

	for (i = 0; i < a->argc; i++) {
		/* Wipe a password before the memory goes back. */
		memset(a->argv[i], 0, strlen(a->argv[i]));
		free(a->argv[i]);
	}
	a->argc = 0;
}

/* Parses the connection options (with option files and environment) and,
 * when a user is known, resolves the server to audit and configures the
 * login as the probe's (TLS, RSA key, timeouts; *key_pem is freed by the
 * caller). Returns 0 or an exit status with err set. */
static int server_target(struct conn_args *a, struct cli_opts *o,
			 struct probe_config *pc, char **key_pem,
			 struct chk_ctx *ctx, char *err, size_t errlen)
{
	int rc;

	if (a->argc == 0) {
		a->argv[0] = strdup("check");
		if (!a->argv[0])
			return CD_EXIT_USAGE;
		a->argc = 1;
	}
	rc = cli_parse_probe(a->argc, a->argv, o, err, errlen);
	if (rc)
		return rc < 0 ? CD_EXIT_USAGE : rc;
	if (!o->user)
		return 0; /* no credentials: no server audit */
	rc = cli_probe_configure(o, pc, key_pem, err, errlen);
	if (rc)
		return rc;
	ctx->server = &pc->targets[0];
	ctx->server_cfg = pc;
	ctx->user = o->user;
	ctx->password = o->password;
	if (o->socket)
		ctx->socket_path = o->socket;
	return 0;
}

int cmd_check(int argc, char **argv)
{
	struct conn_args conn = {{NULL}, 0};
	struct cli_opts o;
	struct probe_config pc;
	char *key_pem = NULL;
	int longidx = 0;
	struct chk_ctx ctx;
	char learned[CHK_PATH_MAX] = "";
	struct chk_facts facts;
	struct cd_findings findings;
	struct rpt_opts ro = {-1, 0};
	size_t nslices;
	unsigned mask;
	char err[256] = "";
	int c, json = 0, rc;
	enum cd_severity worst;

	memset(&ctx, 0, sizeof(ctx));
	ctx.learned_error_log = learned;
	memset(&o, 0, sizeof(o));
	ctx.procroot = "/proc";
	ctx.etcroot = "/etc";
	ctx.ports[ctx.nports++] = 3306;
	ctx.socket_path = "/run/mysqld/mysqld.sock";
	ctx.resolve = 1;
	ctx.dns_timeout_s = 3;
	chk_slices(&nslices);
	mask = (1u << nslices) - 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h:u:p::P:S:", longopts,
				&longidx)) != -1) {
		char *end;
		unsigned long port;

		switch (c) {
		case 'h':
		case 'u':
		case 'p':
		case OPT_CONN:
			if (conn_push(&conn,
				      c == OPT_CONN ? longopts[longidx].name
				      : c == 'h'    ? "host"
				      : c == 'u'    ? "user"
						    : "password",
				      optarg) < 0)
				goto oom;
			if (c == 'p' && optarg)
				memset(optarg, 'x', strlen(optarg));
			break;
		case OPT_ONLY:
			mask = parse_only(optarg, err, sizeof(err));
			if (!mask)
				goto usage;
			break;
		case 'P':
			port = optarg ? strtoul(optarg, &end, 10) : 0;
			if (!port || *end || port > 65535) {
				snprintf(err, sizeof(err), "invalid port '%s'",
					 optarg);
				goto usage;
			}
			if (ctx.nports < CHK_MAX_PORTS && port != 3306)
				ctx.ports[ctx.nports++] = (uint16_t)port;
			if (conn_push(&conn, "port", optarg) < 0)
				goto oom;
			break;
		case 'S':
			ctx.socket_path = optarg;
			if (conn_push(&conn, "socket", optarg) < 0)
				goto oom;
			break;
		case OPT_ERRLOG:
			ctx.error_log = optarg;
			break;
		case OPT_SINCE:
			if (parse_seconds(optarg, 3650.0 * 86400,
					  &ctx.errlog_since_s)) {
				snprintf(err, sizeof(err),
					 "invalid --since '%s'", optarg);
				goto usage;
			}
			break;
		case OPT_MYSQLD:
			ctx.mysqld_path = optarg;
			break;
		case OPT_ALLOW:
			ctx.hosts_allow = optarg;
			break;
		case OPT_DENY:
			ctx.hosts_deny = optarg;
			break;
		case OPT_INTERVAL:
			if (parse_seconds(optarg, 3600, &ctx.interval_s)) {
				snprintf(err, sizeof(err),
					 "invalid --interval '%s'", optarg);
				goto usage;
			}
			break;
		case OPT_NO_DNS:
			ctx.resolve = 0;
			break;
		case OPT_DNS_TIMEOUT:
			if (parse_seconds(optarg, 60, &ctx.dns_timeout_s)) {
				snprintf(err, sizeof(err),
					 "invalid --dns-timeout '%s'", optarg);
				goto usage;
			}
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_COLOR:
			ro.color = 1;
			break;
		case OPT_NO_COLOR:
			ro.color = 0;
			break;
		case OPT_HELP:
			check_usage();
			conn_free(&conn);
			return CD_EXIT_OK;
		case ':':
			snprintf(err, sizeof(err), "option '%s' needs a value",
				 argv[optind - 1]);
			goto usage;
		default:
			snprintf(err, sizeof(err), "unknown option '%s'",
				 argv[optind - 1]);
			goto usage;
		}
	}
	if (optind < argc) {
		snprintf(err, sizeof(err), "unexpected argument '%s'",
			 argv[optind]);
		goto usage;
	}
	if (ro.color < 0)
		ro.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	rc = server_target(&conn, &o, &pc, &key_pem, &ctx, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "conndoctor check: %s\n", err);
		goto out_conn;
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
	if (json)
		rpt_check_json(stdout, &findings, &facts, rc);
	else
		rpt_check_text(stdout, &findings, &facts, &ro);
	if (fflush(stdout) != 0)
		rc = CD_EXIT_UNAVAILABLE;
out:
	chk_facts_free(&facts);
	cd_findings_free(&findings);
out_conn:
	free(key_pem);
	conn_free(&conn);
	cli_opts_free(&o);
	return rc;
oom:
	snprintf(err, sizeof(err), "out of memory");
usage:
	fprintf(stderr, "conndoctor check: %s\n", err);
	conn_free(&conn);
	return CD_EXIT_USAGE;
}
