/* slice_server.c - the "server" slice of `check`: logs in with the given
 * credentials, runs server/'s read-only audit, applies its rules
 * (audit_rules.c). */
#include <arpa/inet.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check/fields.h"
#include "check/holders.h"
#include "check/kernel.h"
#include "check/owner.h"
#include "check/server.h"
#include "check/slices.h"
#include "server/session.h"

/* A server fact's definition (check/fields.c). */
#define FS(x) (&chk_fields_server[CHK_FS_##x])

/* log_error as a full path: "" means datadir/HOSTNAME.err, a relative
 * name is relative to datadir, "stderr" or a syslog setup has no file. */
static void learn_error_log(const struct chk_ctx *ctx,
			    const struct srv_audit *a)
{
	const char *log = srv_var(a, "log_error");
	const char *dir = srv_var(a, "datadir");
	const char *host = srv_var(a, "hostname");
	const char *svc = srv_var(a, "log_error_services");
	char *out = ctx->learned_error_log;

	if (!out)
		return;
	out[0] = '\0';
	if (!log || !dir)
		return;
	if (log[0] == '/')
		snprintf(out, CHK_PATH_MAX, "%s", log);
	else if (!log[0] && host)
		snprintf(out, CHK_PATH_MAX, "%s%s%s.err", dir,
			 dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/",
			 host);
	else if (log[0] && strcmp(log, "stderr"))
		snprintf(out, CHK_PATH_MAX, "%s%s%s", dir,
			 dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", log);
	/* MySQL 8 with only the JSON sink ("log_sink_json", no
	 * "log_sink_internal"): the lines are in log_error.00.json (MySQL
	 * "Error Log Output Format"); srv_errlog_line() reads them. */
	if (out[0] && svc && strstr(svc, "log_sink_json") &&
	    !strstr(svc, "log_sink_internal") && strlen(out) + 8 < CHK_PATH_MAX)
		strcat(out, ".00.json");
}

static long long learned_num(const struct srv_audit *a, const char *name)
{
	const char *v = srv_var(a, name);
	char *end;
	long long n;

	if (!v || !v[0])
		return -1;
	n = strtoll(v, &end, 10);
	return *end || n < 0 ? -1 : n;
}

void chk_learned_server_init(struct chk_learned_server *l)
{
	memset(l, 0, sizeof(*l));
	l->net_read_timeout = l->net_write_timeout = -1;
	l->wait_timeout = l->interactive_timeout = -1;
	l->aborted_clients = -1;
}

/* The numbers the errlog slice joins to its timeout aborts. */
static void learn_server(const struct chk_ctx *ctx, const struct srv_audit *a)
{
	struct chk_learned_server *l = ctx->learned_server;

	if (!l)
		return;
	chk_learned_server_init(l);
	l->net_read_timeout = learned_num(a, "net_read_timeout");
	l->net_write_timeout = learned_num(a, "net_write_timeout");
	l->wait_timeout = learned_num(a, "wait_timeout");
	l->interactive_timeout = learned_num(a, "interactive_timeout");
	l->aborted_clients = srv_counter(a, "Aborted_clients");
}

/* "socket PATH" or "tcp ADDR:PORT", for the line that says what the
 * audit tried. */
static const char *target_kind(const struct probe_target *t)
{
	return t->transport == CD_SOCKET ? "socket" : "tcp";
}

#define MAX_EXTRA_PORTS 4

/* The server's other ports (extra_port, admin_port): a TCP target of the
 * probe's on a loopback address, and the other ports the process that
 * listens on it listens on, as targets. Returns how many (0: none). */
static size_t extra_targets(const struct chk_ctx *ctx, struct probe_target *x,
			    long *pid, char *comm)
{
	const struct probe_config *pc = ctx->server_cfg;
	const struct probe_target *tcp = NULL;
	uint16_t ports[MAX_EXTRA_PORTS];
	size_t i, n;

	for (i = 0; pc && i < pc->ntargets && !tcp; i++)
		if (pc->targets[i].transport == CD_TCP)
			tcp = &pc->targets[i];
	if (!tcp || !chk_host_is_loopback(pc->host ? pc->host : ""))
		return 0;
	/* sin_port and sin6_port sit at the same offset */
	n = chk_listener_other_ports(
		ntohs(((const struct sockaddr_in *)&tcp->addr)->sin_port),
		ports, MAX_EXTRA_PORTS, pid, comm);
	for (i = 0; i < n; i++) {
		char host[CD_ADDR_MAX +
			  1]; /* label has room for it and a port */
		char *colon;

		x[i] = *tcp;
		((struct sockaddr_in *)&x[i].addr)->sin_port = htons(ports[i]);
		snprintf(host, sizeof(host), "%.*s", (int)sizeof(host) - 1,
			 tcp->label);
		colon = strrchr(host, ':');
		if (colon)
			*colon = '\0';
		snprintf(x[i].label, sizeof(x[i].label), "%s:%u", host,
			 (unsigned)ports[i]);
	}
	return n;
}

/* Logs in to ctx->server, and when it refuses, to the probe's other
 * targets in turn (the socket is tried first when diagnose gives one,
 * then TCP), then to the server's other ports on this host (MariaDB's
 * extra_port, MySQL's admin_port: they take logins past max_connections),
 * which a login through them says in a fact. A refusal of all of them is
 * one unreadable "server" entry that names every target tried and why
 * each refused. Returns 0 with s open, or -1. */
static int login(const struct chk_ctx *ctx, const struct probe_config *cfg,
		 struct srv_session *s, struct chk_facts *facts, char *refusal,
		 size_t refusal_len)
{
	const struct probe_target *t = ctx->server;
	struct probe_target extra[MAX_EXTRA_PORTS];
	char tried[768] = "", err[256], comm[16] = "";
	size_t i = 0, len = 0, nextra = 0, ie = 0;
	int n, looked = 0;
	long pid = 0;

	for (;;) {
		err[0] = '\0';
		if (srv_connect(s, t, cfg, err, sizeof(err)) == 0) {
			if (ie)
				chk_fact_add(facts, FS(LOGIN_EXTRA), NULL,
					     CHK_STR(t->label), CHK_INT(pid),
					     CHK_STR(comm), CHK_STR(tried));
			return 0;
		}
		if (s->err_code)
			snprintf(refusal, refusal_len, "%s", err);
		n = snprintf(
			tried + len, sizeof(tried) - len, "%s%s %s%s: %s: %s",
			len ? "; then " : "", target_kind(t), t->label,
			ie ? " (another port of the server's process)" : "",
			cd_outcome_name(s->outcome), err);
		if (n > 0)
			len += (size_t)n < sizeof(tried) - len
				       ? (size_t)n
				       : sizeof(tried) - len - 1;
		/* The next target of the probe's that is not ctx->server. */
		t = NULL;
		if (ctx->server_cfg)
			for (; i < ctx->server_cfg->ntargets && !t; i++)
				if (&ctx->server_cfg->targets[i] != ctx->server)
					t = &ctx->server_cfg->targets[i];
		if (!t && !looked) {
			looked = 1;
			nextra = extra_targets(ctx, extra, &pid, comm);
		}
		if (!t && ie < nextra)
			t = &extra[ie++];
		if (!t)
			break;
	}
	chk_unreadable(facts, "server", "login refused: tried %s", tried);
	return -1;
}

/* The payload of the probe's COM_QUERY (command byte and statement) that
 * diagnose sends, for CD6046; 0 when check runs alone (no statement). */
static double command_packet_bytes(const struct chk_ctx *ctx)
{
	const char *q = ctx->server_cfg->query;

	return q ? 1 + (double)strlen(q) : 0;
}

/* The probe's refusal for its account's limit (1203, 1226): the first
 * such attempt's code, its "current value" and the host its login came
 * from as the server sees it. 0 when there was none. */
static int probe_user_refusal(const struct chk_ctx *ctx,
			      struct chk_user_limit *ul)
{
	const struct probe_result *r = ctx->probe_res;
	const struct probe_config *pc = ctx->server_cfg;
	size_t i;

	memset(ul, 0, sizeof(*ul));
	ul->user = ctx->probe_user ? ctx->probe_user : ctx->user;
	ul->message_limit = -1;
	ul->asleep_over_s = ctx->asleep_over_s;
	for (i = 0; r && i < r->nattempts; i++) {
		const struct cd_attempt *at = &r->attempts[i];
		const struct probe_target *t;

		if (at->outcome != CD_SERVER_REFUSED ||
		    (at->mysql_code != 1203 && at->mysql_code != 1226))
			continue;
		ul->refused_code = at->mysql_code;
		ul->message_limit = chk_user_limit_of(at->message);
		t = pc && at->target < pc->ntargets ? &pc->targets[at->target]
						    : NULL;
		if (t && t->transport == CD_SOCKET)
			ul->client_host = "localhost";
		else if (t && chk_host_is_loopback(pc->host ? pc->host : ""))
			ul->client_host = t->addr.ss_family == AF_INET6
						  ? "::1"
						  : "127.0.0.1";
		return 1;
	}
	return 0;
}

/* CD6047: who on this host holds the server's sessions, against lim
 * (max_connections from the audit, or the server's refusal of its login).
 * The owners' user names come from /proc/PID's owner. With the audit in
 * (a) and the probe refused for its account's limit (ul), CD6058 joins
 * the account's sessions in the processlist with the same scan. An fd
 * table nobody can read leaves the local part out. */
static int holders(const struct chk_ctx *ctx, const struct chk_limit *lim,
		   const struct srv_audit *a, const struct chk_user_limit *ul,
		   struct cd_findings *out)
{
	struct chk_holders h;
	struct chk_user_sessions us;
	struct chk_fds fds;
	char err[256], path[64];
	size_t i;
	int rc = 0, scanned = 0;

	chk_fds_init(&fds);
	if (ctx->census && ctx->procroot)
		scanned = !chk_fds_scan(&fds, ctx->procroot, ctx->census, err,
					sizeof(err));
	if (a && ul && ul->refused_code) {
		chk_user_sessions_group(a, ul, scanned ? ctx->census : NULL,
					scanned ? &fds : NULL, &us);
		rc = chk_user_limit_rule(a, &us, ul, out);
	}
	if (rc || !scanned)
		goto out;
	chk_holders_group(ctx->census, &fds, &h);
	for (i = 0; i < h.n; i++) {
		struct passwd pw, *res = NULL;
		struct stat st;
		char buf[1024];

		snprintf(path, sizeof(path), "%s/%d", ctx->procroot,
			 (int)h.v[i].pid);
		if (stat(path, &st))
			continue;
		if (!getpwuid_r(st.st_uid, &pw, buf, sizeof(buf), &res) && res)
			snprintf(h.v[i].user, sizeof(h.v[i].user), "%s",
				 pw.pw_name);
		else
			snprintf(h.v[i].user, sizeof(h.v[i].user), "uid %u",
				 (unsigned)st.st_uid);
	}
	rc = chk_holders_rule(&h, lim, out);
out:
	chk_fds_free(&fds);
	return rc;
}

int chk_slice_server(const struct chk_ctx *ctx, struct chk_facts *facts,
		     struct cd_findings *out)
{
	struct srv_session s;
	struct probe_config cfg;
	struct srv_audit *a;
	struct chk_kernel k;
	struct chk_limit lim = {-1, 0, NULL, -1};
	struct chk_user_limit ul;
	char err[256] = "";
	uint16_t port = 0;
	size_t i;
	int rc;

	if (!ctx->server) {
		chk_unreadable(facts, "server",
			       "no server given (-h/-P/-S and credentials)");
		return 0;
	}
	if (ctx->server_cfg)
		cfg = *ctx->server_cfg;
	else
		probe_config_init(&cfg);
	cfg.user = ctx->user;
	cfg.password = ctx->password;
	if (login(ctx, &cfg, &s, facts, err, sizeof(err)) < 0) {
		lim.refused_code = s.err_code;
		lim.db_user = cfg.user;
		lim.max_user_connections = chk_user_limit_of(err);
		rc = chk_audit_restart_rule(NULL, ctx->probe_res, out);
		return rc ? rc : holders(ctx, &lim, NULL, NULL, out);
	}
	chk_fact_add(facts, FS(TLS), NULL, CHK_BOOL(s.tls_version[0]),
		     s.tls_version[0] ? CHK_STR(s.tls_version) : CHK_NUL);
	a = malloc(sizeof(*a));
	if (!a) {
		srv_close(&s);
		return -1;
	}
	if (srv_audit_collect(&s, ctx->interval_s, a, err, sizeof(err)) < 0) {
		chk_unreadable(facts, "server", "%s", err);
		srv_close(&s);
		free(a);
		return 0;
	}
	/* The probe refused for its account's limit: that account's own
	 * limit, when this audit's account may read mysql.user. */
	if (probe_user_refusal(ctx, &ul))
		srv_audit_accounts(&s, ul.user, a);
	srv_close(&s);
	for (i = 0; i < a->nunread; i++)
		chk_unreadable(facts, a->unread[i].what, "%s",
			       a->unread[i].why);
	learn_error_log(ctx, a);
	learn_server(ctx, a);
	chk_kernel_read(ctx->procroot, &k);
	a->somaxconn = k.somaxconn;
	if (ctx->server->transport == CD_TCP) {
		const struct sockaddr_in *sin =
			(const struct sockaddr_in *)&ctx->server->addr;

		port = ntohs(sin->sin_port); /* same offset for IPv6 */
	}
	rc = chk_audit_rules(a, ctx->census, port, facts, out);
	if (!rc) {
		const char *mc = srv_var(a, "max_connections");

		lim.max_connections = mc ? strtoll(mc, NULL, 10) : -1;
		rc = holders(ctx, &lim, a, &ul, out);
	}
	if (!rc && ctx->server_cfg && !ctx->server_cfg->ping)
		rc = chk_audit_packet_rule(a, command_packet_bytes(ctx), out);
	if (!rc && ctx->server_cfg)
		rc = chk_audit_idle_rule(a, ctx->server_cfg->idle_s, out);
	if (!rc && ctx->server_cfg)
		rc = chk_audit_client_packet_rule(
			a, ctx->server_cfg->max_allowed_packet, out);
	if (!rc)
		rc = chk_audit_stmt_time_rule(a, out);
	if (!rc)
		rc = chk_audit_restart_rule(a, ctx->probe_res, out);
	if (!rc)
		rc = chk_audit_asleep_rule(a, ctx->asleep_over_s, out);
	free(a);
	return rc;
}
