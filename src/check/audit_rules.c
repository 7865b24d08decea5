/* audit_rules.c - what the server's variables, counters, host cache,
 * processlist and replication status mean for connections (MariaDB "Server
 * System Variables" and "Server Status Variables" pages). Pure: it reads
 * struct srv_audit and the census, never the server. */
#include "check/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check/fields.h"

/* A server fact's definition (check/fields.c). */
#define FS(x) (&chk_fields_server[CHK_FS_##x])

static long long var_num(const struct srv_audit *a, const char *name)
{
	const char *v = srv_var(a, name);

	return v ? strtoll(v, NULL, 10) : -1;
}

static int var_on(const struct srv_audit *a, const char *name)
{
	const char *v = srv_var(a, name);

	return v && (!strcasecmp(v, "ON") || !strcmp(v, "1"));
}

/* A variable's text as the type its definition wants: a whole number, ON
 * or OFF, or a name; null when it is not one. */
static struct chk_arg typed_var(const char *v, enum chk_type type)
{
	char *end;
	long long n;

	if (type == CHK_T_STR)
		return CHK_STR(v);
	if (type == CHK_T_BOOL) {
		if (!strcasecmp(v, "ON") || !strcmp(v, "1"))
			return CHK_BOOL(1);
		if (!strcasecmp(v, "OFF") || !strcmp(v, "0"))
			return CHK_BOOL(0);
		return CHK_NUL;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (!v[0] || *end || errno)
		return CHK_NUL;
	return CHK_INT(n);
}

/* Facts: each variable with what it means for connections (the variables
 * and their meanings are check/fields.c's server table). */
static void variable_facts(const struct srv_audit *a, struct chk_facts *f)
{
	const struct chk_fact_def *d;

	for (d = chk_fields_server_vars; d->section; d++) {
		const char *v = srv_var(a, d->name);

		if (v)
			chk_fact_add(f, d, NULL, typed_var(v, d->f[0].type));
	}
}

static void counter_facts(const struct srv_audit *a, struct chk_facts *f)
{
	const char *const *names = srv_counter_names;
	size_t i;

	for (i = 0; i < SRV_NCOUNTERS && names[i]; i++) {
		long long v = srv_counter(a, names[i]);
		double r = srv_rate(a, names[i]);

		if (v < 0)
			continue;
		/* Gauges and clocks have no rate worth showing. */
		if (r >= 0 && strncmp(names[i], "Threads_connected", 17) &&
		    strncmp(names[i], "Max_used", 8) &&
		    strcmp(names[i], "Uptime"))
			chk_fact_add(f, FS(COUNTER), names[i], CHK_INT(v),
				     CHK_DBL(r), CHK_DBL(a->interval_s));
		else
			chk_fact_add(f, FS(COUNTER), names[i], CHK_INT(v),
				     CHK_NUL, CHK_NUL);
	}
}

static int rule_name_resolve(const struct srv_audit *a, struct cd_findings *out)
{
	struct cd_finding *f;

	if (!srv_var(a, "skip_name_resolve") || var_on(a, "skip_name_resolve"))
		return 0;
	f = cd_finding_add(out, "CD6040", CD_SEV_WARNING);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "skip_name_resolve=OFF: every new connection waits for a "
		 "reverse and a forward DNS lookup before the greeting");
	snprintf(f->evidence, sizeof(f->evidence),
		 "SHOW GLOBAL VARIABLES: skip_name_resolve=%s",
		 srv_var(a, "skip_name_resolve"));
	return 0;
}

static int rule_connections(const struct srv_audit *a, struct cd_findings *out)
{
	long long max = var_num(a, "max_connections");
	long long used = srv_counter(a, "Max_used_connections");
	long long now = srv_counter(a, "Threads_connected");
	struct cd_finding *f;

	if (max <= 0 || used < 0)
		return 0;
	if (used * 10 < max * 9 && now * 10 < max * 9)
		return 0;
	f = cd_finding_add(out, "CD6041",
			   now * 10 >= max * 9 ? CD_SEV_CRITICAL
					       : CD_SEV_WARNING);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "%lld of max_connections=%lld in use now, %lld at the peak",
		 now, max, used);
	snprintf(f->evidence, sizeof(f->evidence),
		 "Threads_connected=%lld, Max_used_connections=%lld, "
		 "Connection_errors_max_connections=%lld",
		 now, used,
		 srv_counter(a, "Connection_errors_max_connections"));
	cd_finding_num(f, "max_connections", (double)max);
	cd_finding_num(f, "threads_connected", (double)now);
	cd_finding_num(f, "max_used_connections", (double)used);
	return 0;
}

static int rule_connection_errors(const struct srv_audit *a,
				  struct cd_findings *out)
{
	static const char *const names[] = {
		"Connection_errors_accept",
		"Connection_errors_internal",
		"Connection_errors_max_connections",
		"Connection_errors_peer_address",
		"Connection_errors_select",
		"Connection_errors_tcpwrap",
		"Aborted_connects",
	};
	char list[512] = "";
	size_t i;
	int any = 0, rising = 0;
	struct cd_finding *f;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		long long v = srv_counter(a, names[i]);
		double r = srv_rate(a, names[i]);
		size_t used = strlen(list);

		if (v <= 0)
			continue;
		any = 1;
		if (r > 0)
			rising = 1;
		if (r >= 0)
			snprintf(list + used, sizeof(list) - used,
				 "%s%s=%lld (%.2f/s)", used ? ", " : "",
				 names[i], v, r);
		else
			snprintf(list + used, sizeof(list) - used, "%s%s=%lld",
				 used ? ", " : "", names[i], v);
	}
	if (!any)
		return 0;
	f = cd_finding_add(out, "CD6042",
			   rising ? CD_SEV_WARNING : CD_SEV_INFO);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary), "%s",
		 rising ? "connection errors are rising on the server"
			: "the server has counted connection errors since it "
			  "started");
	snprintf(f->evidence, sizeof(f->evidence), "%s", list);
	cd_finding_num(f, "aborted_connects",
		       (double)srv_counter(a, "Aborted_connects"));
	cd_finding_num(f, "tcpwrap_errors",
		       (double)srv_counter(a, "Connection_errors_tcpwrap"));
	if (a->interval_s > 0)
		cd_finding_num(f, "aborted_connects_per_s",
			       srv_rate(a, "Aborted_connects"));
	return 0;
}

static int rule_host_cache(const struct srv_audit *a, struct cd_findings *out)
{
	long long limit = var_num(a, "max_connect_errors");
	struct cd_finding *f;
	size_t i;

	for (i = 0; i < a->nhosts; i++) {
		const struct srv_host_cache *h = &a->hosts[i];

		if (limit > 0 && (long long)h->connect_errors * 2 >= limit) {
			int blocked = (long long)h->connect_errors >= limit;

			f = cd_finding_add(out, "CD6043",
					   blocked ? CD_SEV_CRITICAL
						   : CD_SEV_WARNING);
			if (!f)
				return -1;
			snprintf(f->summary, sizeof(f->summary),
				 "host %s%s%s has %llu connection errors of "
				 "max_connect_errors=%lld%s",
				 h->ip, h->host[0] ? " " : "", h->host,
				 (unsigned long long)h->connect_errors, limit,
				 blocked ? ": it is blocked (ERROR 1129)" : "");
			snprintf(f->evidence, sizeof(f->evidence),
				 "performance_schema.host_cache: "
				 "SUM_CONNECT_ERRORS=%llu, handshake errors "
				 "%llu",
				 (unsigned long long)h->connect_errors,
				 (unsigned long long)h->handshake_errors);
			cd_finding_num(f, "connect_errors",
				       (double)h->connect_errors);
			cd_finding_num(f, "max_connect_errors", (double)limit);
		}
		if (h->nameinfo_errors) {
			f = cd_finding_add(out, "CD6044", CD_SEV_WARNING);
			if (!f)
				return -1;
			snprintf(f->summary, sizeof(f->summary),
				 "the server failed %llu times to resolve "
				 "client %s",
				 (unsigned long long)h->nameinfo_errors, h->ip);
			snprintf(f->evidence, sizeof(f->evidence),
				 "performance_schema.host_cache "
				 "COUNT_NAMEINFO_*_ERRORS for %s",
				 h->ip);
			cd_finding_num(f, "nameinfo_errors",
				       (double)h->nameinfo_errors);
		}
	}
	return 0;
}

static int rule_backlog(const struct srv_audit *a, struct chk_facts *facts)
{
	long long back_log = var_num(a, "back_log");

	if (back_log > 0 && a->somaxconn > 0 && back_log > a->somaxconn)
		chk_fact_add(facts, FS(BACKLOG_CAPPED), NULL, CHK_INT(back_log),
			     CHK_INT(a->somaxconn));
	return 0;
}

/* This host's connections to the server that the server does not list.
 * The census was read before the audit logged in, so the audit's own
 * session is in neither list. */
static int rule_pool_mismatch(const struct srv_audit *a,
			      const struct chk_census *c, uint16_t port,
			      struct cd_findings *out)
{
	unsigned ours = 0, unknown = 0;
	double ports[CD_EV_VALUES];
	size_t i, k, n = 0;
	struct cd_finding *f;

	if (!c || !a->have_processlist || !port)
		return 0;
	for (i = 0; i < c->ntcp; i++) {
		const struct chk_sock *s = &c->tcp[i];
		int listed = 0;

		if (s->server_side || s->dport != port ||
		    s->state != CHK_TCP_ESTABLISHED)
			continue;
		ours++;
		for (k = 0; k < a->npeers && !listed; k++)
			listed = a->peer_port[k] == s->sport;
		if (!listed) {
			unknown++;
			if (n < CD_EV_VALUES)
				ports[n++] = s->sport;
		}
	}
	if (!unknown)
		return 0;
	f = cd_finding_add(out, "CD6045", CD_SEV_WARNING);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "%u of this host's %u ESTABLISHED connections to port %u are "
		 "not in the server's processlist",
		 unknown, ours, port);
	snprintf(f->evidence, sizeof(f->evidence),
		 "client ports from the socket census, joined with the ports "
		 "in information_schema.PROCESSLIST");
	cd_finding_num(f, "unknown_to_server", unknown);
	cd_finding_list(f, "local_ports", ports, n);
	return 0;
}

static int rule_replication(const struct srv_audit *a, struct chk_facts *facts,
			    struct cd_findings *out)
{
	long long net_timeout = var_num(a, "slave_net_timeout");
	struct cd_finding *f;
	size_t i;

	for (i = 0; i < a->nlinks; i++) {
		const struct srv_link *l = &a->links[i];
		double hb = l->heartbeat_period;

		chk_fact_add(facts, FS(LINK), l->name[0] ? l->name : "default",
			     CHK_STR(l->master_host), CHK_UINT(l->master_port),
			     CHK_STR(l->io_running), CHK_STR(l->sql_running),
			     l->seconds_behind < 0 ? CHK_NUL
						   : CHK_INT(l->seconds_behind),
			     CHK_STR(l->io_state), CHK_DBL(hb),
			     CHK_UINT(l->received_heartbeats));
		if (strcasecmp(l->io_running, "Yes") ||
		    strcasecmp(l->sql_running, "Yes")) {
			f = cd_finding_add(out, "CD7001", CD_SEV_CRITICAL);
			if (!f)
				return -1;
			snprintf(f->summary, sizeof(f->summary),
				 "replication from %s:%u is not running (IO "
				 "%s, SQL %s)",
				 l->master_host, l->master_port, l->io_running,
				 l->sql_running);
			snprintf(f->evidence, sizeof(f->evidence),
				 "Last_IO_Errno %u: %s", l->last_io_errno,
				 l->last_io_error);
			cd_finding_num(f, "last_io_errno", l->last_io_errno);
			continue;
		}
		/* Running: how long would a silent cut go unnoticed? */
		if (net_timeout > 0) {
			f = cd_finding_add(out, "CD7002", CD_SEV_INFO);
			if (!f)
				return -1;
			snprintf(f->summary, sizeof(f->summary),
				 "if the link to %s:%u is cut silently, the "
				 "replica notices only after %lld s "
				 "(slave_net_timeout), showing IO Yes and 0 s "
				 "behind meanwhile",
				 l->master_host, l->master_port, net_timeout);
			snprintf(f->evidence, sizeof(f->evidence),
				 "slave_net_timeout=%lld, heartbeat period "
				 "%.1f s",
				 net_timeout, hb);
			cd_finding_num(f, "slave_net_timeout_s",
				       (double)net_timeout);
			cd_finding_num(f, "heartbeat_period_s", hb);
		}
	}
	return 0;
}

int chk_audit_packet_rule(const struct srv_audit *a, double packet_bytes,
			  struct cd_findings *out)
{
	long long map = var_num(a, "max_allowed_packet");
	long long nbl = var_num(a, "net_buffer_length");
	long long limit = map > nbl ? map : nbl;
	struct cd_finding *f;

	/* mysqld reads a packet into a buffer of net_buffer_length bytes
	 * and grows it up to max(max_allowed_packet, net_buffer_length);
	 * a packet of that size or more gets ERR 1153 and the session
	 * ends (MariaDB sql/net_serv.cc, net_realloc()). */
	if (map <= 0 || packet_bytes <= 0 || packet_bytes < (double)limit)
		return 0;
	f = cd_finding_add(out, "CD6046", CD_SEV_WARNING);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "the probe's %.0f-byte query packet is not below the "
		 "server's packet limit of %lld bytes",
		 packet_bytes, limit);
	if (nbl > 0)
		snprintf(f->evidence, sizeof(f->evidence),
			 "SHOW GLOBAL VARIABLES: max_allowed_packet=%lld, "
			 "net_buffer_length=%lld; the limit is the larger, "
			 "%lld bytes",
			 map, nbl, limit);
	else
		snprintf(f->evidence, sizeof(f->evidence),
			 "SHOW GLOBAL VARIABLES: max_allowed_packet=%lld "
			 "(net_buffer_length not read)",
			 map);
	cd_finding_num(f, "packet_bytes", packet_bytes);
	cd_finding_num(f, "max_allowed_packet", (double)map);
	if (nbl > 0)
		cd_finding_num(f, "net_buffer_length", (double)nbl);
	cd_finding_num(f, "limit_bytes", (double)limit);
	return 0;
}

int chk_audit_client_packet_rule(const struct srv_audit *a, double client_max,
				 struct cd_findings *out)
{
	long long map = var_num(a, "max_allowed_packet");
	struct cd_finding *f;

	if (client_max <= 0 || map <= 0 || (double)map <= client_max)
		return 0;
	f = cd_finding_add(out, "CD6057", CD_SEV_INFO);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "the server's max_allowed_packet=%lld is above the client's "
		 "%.0f: results with packets between them reach a client that "
		 "refuses them",
		 map, client_max);
	snprintf(f->evidence, sizeof(f->evidence),
		 "SHOW GLOBAL VARIABLES: max_allowed_packet=%lld; the probe "
		 "takes reply packets up to --max-allowed-packet %.0f",
		 map, client_max);
	cd_finding_num(f, "max_allowed_packet", (double)map);
	cd_finding_num(f, "client_max_allowed_packet", client_max);
	return 0;
}

int chk_audit_idle_rule(const struct srv_audit *a, double idle_s,
			struct cd_findings *out)
{
	long long wt = var_num(a, "wait_timeout");
	struct cd_finding *f;

	/* The probe is not an interactive client (no CLIENT_INTERACTIVE):
	 * wait_timeout, not interactive_timeout, ends its idle sessions. */
	if (wt <= 0 || idle_s <= 0 || idle_s < (double)wt)
		return 0;
	f = cd_finding_add(out, "CD6048", CD_SEV_WARNING);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "the server ends a session idle for wait_timeout=%lld s; the "
		 "probe holds its sessions idle %.1f s",
		 wt, idle_s);
	snprintf(f->evidence, sizeof(f->evidence),
		 "SHOW GLOBAL VARIABLES: wait_timeout=%lld, "
		 "interactive_timeout=%s (for clients that say they are "
		 "interactive)",
		 wt,
		 srv_var(a, "interactive_timeout")
			 ? srv_var(a, "interactive_timeout")
			 : "not read");
	cd_finding_num(f, "wait_timeout_s", (double)wt);
	cd_finding_num(f, "idle_s", idle_s);
	return 0;
}

/* A limit's value: the audit session's own when read (the same account
 * as the probe's, so an account's limit shows there), else the global. */
static const char *stmt_limit(const struct srv_audit *a, const char *name)
{
	const char *v = srv_session_var(a, name);

	return v ? v : srv_var(a, name);
}

int chk_audit_stmt_time_rule(const struct srv_audit *a, struct cd_findings *out)
{
	const char *mst = stmt_limit(a, "max_statement_time");
	const char *met = stmt_limit(a, "max_execution_time");
	const char *gmst = srv_var(a, "max_statement_time");
	const char *gmet = srv_var(a, "max_execution_time");
	double mst_s = mst ? strtod(mst, NULL) : 0;
	long long met_ms = met ? strtoll(met, NULL, 10) : 0;
	int mariadb = mst_s > 0;
	const char *g = mariadb ? gmst : gmet, *v = mariadb ? mst : met;
	int own = !g || !v || strcmp(g, v); /* the account's or session's */
	struct cd_finding *f;

	/* MariaDB: max_statement_time in seconds (a fraction), 0 = none;
	 * MySQL: max_execution_time in ms, read-only SELECTs only. The
	 * server kills a statement past it: ERR 1969, or 3024. */
	if (!mariadb && met_ms <= 0)
		return 0;
	f = cd_finding_add(out, "CD6050", CD_SEV_INFO);
	if (!f)
		return -1;
	if (mariadb)
		snprintf(f->summary, sizeof(f->summary),
			 "the server kills %sstatements that run longer "
			 "than max_statement_time=%g s",
			 own ? "this account's " : "", mst_s);
	else
		snprintf(f->summary, sizeof(f->summary),
			 "the server kills %sread-only SELECTs that run "
			 "longer than max_execution_time=%lld ms",
			 own ? "this account's " : "", met_ms);
	snprintf(f->evidence, sizeof(f->evidence),
		 "SHOW GLOBAL VARIABLES: %s=%s; the audit's own session (the "
		 "probe's account): %s%s",
		 mariadb ? "max_statement_time" : "max_execution_time",
		 g ? g : "not read", v,
		 own ? " (the account's MAX_STATEMENT_TIME or a session "
		       "setting, not the global default)"
		     : "");
	if (mariadb)
		cd_finding_num(f, "max_statement_time_s", mst_s);
	else
		cd_finding_num(f, "max_execution_time_ms", (double)met_ms);
	if (own && g)
		cd_finding_num(f,
			       mariadb ? "global_max_statement_time_s"
				       : "global_max_execution_time_ms",
			       mariadb ? strtod(g, NULL)
				       : (double)strtoll(g, NULL, 10));
	return 0;
}

/* MySQL 8's connection facts: the ones a server lacks are named as absent,
 * apart from what could not be read (MariaDB has no admin_port or
 * log_error_services); the mysql_native_password plugin's status; each
 * host_cache row (the rule below judges them). */
static void mysql8_facts(const struct srv_audit *a, struct chk_facts *f)
{
	char server[80];
	size_t i;

	snprintf(server, sizeof(server), "%s %s",
		 a->is_mariadb ? "MariaDB" : "MySQL", a->version);
	for (i = 0; i < SRV_NMYSQL8_VARS; i++)
		if (!srv_var(a, srv_mysql8_vars[i]))
			chk_fact_add(f, FS(ABSENT), srv_mysql8_vars[i],
				     CHK_STR(server));
	if (a->native_password[0])
		chk_fact_add(f, FS(NATIVE_PASSWORD), NULL,
			     CHK_STR(a->native_password));
	for (i = 0; i < a->nhosts; i++) {
		const struct srv_host_cache *h = &a->hosts[i];

		chk_fact_add(f, FS(HOST_CACHE), NULL, CHK_STR(h->ip),
			     CHK_STR(h->host), CHK_UINT(h->connect_errors),
			     CHK_UINT(h->handshake_errors),
			     CHK_UINT(h->nameinfo_errors),
			     CHK_UINT(h->host_blocked));
	}
}

/* CD6052 (info): the server has run KILL since it started (Com_kill). An
 * application's "gone away" during a statement is then possibly a kill:
 * MariaDB closes a killed session before its ERR 1927 can be read, and
 * logs it only at log_warnings >= 4, so the counter is the one witness. */
static int rule_kills(const struct srv_audit *a, struct cd_findings *out)
{
	long long kills = srv_counter(a, "Com_kill");
	long long up = srv_counter(a, "Uptime");
	struct cd_finding *f;

	if (kills <= 0)
		return 0;
	f = cd_finding_add(out, "CD6052", CD_SEV_INFO);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "the server has run KILL %lld time%s in its %lld s since "
		 "start",
		 kills, kills == 1 ? "" : "s", up);
	snprintf(f->evidence, sizeof(f->evidence),
		 "SHOW GLOBAL STATUS: Com_kill=%lld, Uptime=%lld (KILL and "
		 "KILL QUERY statements, from any session)",
		 kills, up);
	cd_finding_num(f, "kills", (double)kills);
	if (up >= 0)
		cd_finding_num(f, "uptime_s", (double)up);
	return 0;
}

int chk_audit_asleep_rule(const struct srv_audit *a, double over_s,
			  struct cd_findings *out)
{
	unsigned n[SRV_MAX_HOSTS] = {0}, longest[SRV_MAX_HOSTS] = {0};
	size_t i, top = 0, used;
	long long wt = var_num(a, "wait_timeout");
	char others[256] = "";
	struct cd_finding *f;

	if (over_s <= 0 || !a->have_processlist)
		return 0;
	for (i = 0; i < a->nasleep; i++) {
		size_t k = a->asleep_client[i];

		if (k >= a->nclients || (double)a->asleep_s[i] <= over_s)
			continue;
		n[k]++;
		if (a->asleep_s[i] > longest[k])
			longest[k] = a->asleep_s[i];
	}
	for (i = 1; i < a->nclients; i++)
		if (n[i] > n[top])
			top = i;
	if (!a->nclients || n[top] < CHK_ASLEEP_MIN)
		return 0;
	for (i = 0; i < a->nclients; i++) {
		if (i == top || !n[i])
			continue;
		used = strlen(others);
		if (used < sizeof(others))
			snprintf(others + used, sizeof(others) - used,
				 "%s%s@%s %u", used ? ", " : "",
				 a->clients[i].user, a->clients[i].host, n[i]);
	}
	f = cd_finding_add(out, "CD6055", CD_SEV_WARNING);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "%u sessions of %s@%s have been asleep longer than %.0f s, "
		 "the longest %u s: a pool that never closes them",
		 n[top], a->clients[top].user, a->clients[top].host, over_s,
		 longest[top]);
	snprintf(f->evidence, sizeof(f->evidence),
		 "information_schema.PROCESSLIST: %u of the %u sessions of "
		 "%s@%s in Sleep for more than %.0f s; wait_timeout=%lld s "
		 "ends them only then%s%s",
		 n[top], a->clients[top].sessions, a->clients[top].user,
		 a->clients[top].host, over_s, wt,
		 others[0] ? "; other clients asleep as long: " : "", others);
	cd_finding_num(f, "sessions", n[top]);
	cd_finding_num(f, "client_sessions", a->clients[top].sessions);
	cd_finding_num(f, "longest_s", longest[top]);
	cd_finding_num(f, "asleep_over_s", over_s);
	if (wt > 0)
		cd_finding_num(f, "wait_timeout_s", (double)wt);
	return 0;
}

/* An attempt's greeting, for the restart rule: its id, when it started
 * and ended (ns from the run's base). */
struct greeted {
	uint32_t id;
	int64_t start, end;
};

static int by_start(const void *x, const void *y)
{
	const struct greeted *p = x, *q = y;

	return (p->start > q->start) - (p->start < q->start);
}

static int by_end(const void *x, const void *y)
{
	const struct greeted *p = x, *q = y;

	return (p->end > q->end) - (p->end < q->end);
}

/* The first connection id that went backwards: an attempt's id below the
 * highest id of the attempts that had ended before it started (so the
 * server handed that one out first). ids are unordered only within the
 * attempts in flight together, never across this line. Returns 1 with
 * the two ids and the time of the later start, else 0; -1 on memory. */
static int id_drop(const struct probe_result *res, uint32_t *before,
		   uint32_t *after, double *at_s)
{
	struct greeted *s, *e;
	size_t i, k = 0, n = 0;
	uint32_t top = 0;
	int found = 0;

	s = malloc((res->nattempts + 1) * sizeof(*s));
	e = malloc((res->nattempts + 1) * sizeof(*e));
	if (!s || !e) {
		free(s);
		free(e);
		return -1;
	}
	for (i = 0; i < res->nattempts; i++) {
		const struct cd_attempt *x = &res->attempts[i];

		if (x->phase_ns[CD_PH_GREETING] < 0 || !x->conn_id)
			continue;
		s[n].id = x->conn_id;
		s[n].start = x->start_ns;
		s[n].end = x->start_ns + x->total_ns;
		n++;
	}
	memcpy(e, s, n * sizeof(*s));
	qsort(s, n, sizeof(*s), by_start);
	qsort(e, n, sizeof(*e), by_end);
	for (i = 0; i < n && !found; i++) {
		while (k < n && e[k].end < s[i].start) {
			if (e[k].id > top)
				top = e[k].id;
			k++;
		}
		if (s[i].id < top) {
			*before = top;
			*after = s[i].id;
			*at_s = (double)s[i].start / 1e9;
			found = 1;
		}
	}
	free(s);
	free(e);
	return found;
}

int chk_audit_restart_rule(const struct srv_audit *a,
			   const struct probe_result *res,
			   struct cd_findings *out)
{
	long long up = a ? srv_counter(a, "Uptime") : -1;
	double since = -1, at_s = 0;
	uint32_t before = 0, after = 0;
	int64_t first = INT64_MAX;
	struct cd_finding *f;
	size_t i;
	int drop;

	if (!res || !res->nattempts)
		return 0;
	drop = id_drop(res, &before, &after, &at_s);
	if (drop < 0)
		return -1;
	for (i = 0; i < res->nattempts; i++)
		if (res->attempts[i].start_ns < first)
			first = res->attempts[i].start_ns;
	if (a && a->sampled_ns && res->base_ns)
		since = (double)(a->sampled_ns - res->base_ns - first) / 1e9;
	/* Uptime counts whole seconds: a restart is a second shorter. */
	if (!drop && !(up >= 0 && since >= 0 && (double)up + 1 < since))
		return 0;
	f = cd_finding_add(out, "CD6053", CD_SEV_CRITICAL);
	if (!f)
		return -1;
	if (drop)
		snprintf(f->summary, sizeof(f->summary),
			 "the server restarted while the probe ran: connection "
			 "ids went back from %u to %u %.2f s into the run",
			 before, after, at_s);
	else
		snprintf(f->summary, sizeof(f->summary),
			 "the server restarted while the probe ran: it has "
			 "been up %lld s, the probe started %.1f s ago",
			 up, since);
	snprintf(f->evidence, sizeof(f->evidence), "%s", "");
	if (drop)
		snprintf(f->evidence, sizeof(f->evidence),
			 "the greetings' connection ids, which a server counts "
			 "up from its start: an attempt got id %u after one "
			 "with id %u had ended",
			 after, before);
	if (up >= 0 && since >= 0) {
		size_t used = strlen(f->evidence);

		snprintf(f->evidence + used, sizeof(f->evidence) - used,
			 "%sSHOW GLOBAL STATUS: Uptime=%lld s at the audit, "
			 "%.1f s after the probe's first attempt",
			 used ? "; " : "", up, since);
	}
	if (drop) {
		cd_finding_num(f, "conn_id_before", before);
		cd_finding_num(f, "conn_id_after", after);
		cd_finding_num(f, "restart_seen_at_s", at_s);
	}
	if (up >= 0 && since >= 0) {
		cd_finding_num(f, "uptime_s", (double)up);
		cd_finding_num(f, "since_first_attempt_s", since);
	}
	return 0;
}

int chk_audit_rules(const struct srv_audit *a, const struct chk_census *census,
		    uint16_t server_port, struct chk_facts *facts,
		    struct cd_findings *out)
{
	chk_fact_add(facts, FS(VERSION), NULL, CHK_STR(a->version));
	variable_facts(a, facts);
	mysql8_facts(a, facts);
	counter_facts(a, facts);
	if (rule_name_resolve(a, out) || rule_connections(a, out) ||
	    rule_connection_errors(a, out) || rule_host_cache(a, out) ||
	    rule_backlog(a, facts) ||
	    rule_pool_mismatch(a, census, server_port, out) ||
	    rule_replication(a, facts, out) || rule_kills(a, out))
		return -1;
	return 0;
}
