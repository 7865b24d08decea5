/* audit.c - the server audit: read-only queries (SHOW GLOBAL VARIABLES and
 * STATUS, performance_schema.host_cache, information_schema.PROCESSLIST,
 * SHOW ALL SLAVES STATUS / SHOW REPLICA STATUS) and the rules that say what
 * each value means for connections. */
#include "server/audit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/session.h"
#include "util/clock.h"

static const char *const var_names[] = {
	"skip_name_resolve",
	"skip_networking",
	"bind_address",
	"port",
	"socket",
	"connect_timeout",
	"wait_timeout",
	"interactive_timeout",
	"net_read_timeout",
	"net_write_timeout",
	"max_allowed_packet",
	"net_buffer_length",
	"max_statement_time",
	"max_execution_time",
	"max_connections",
	"max_user_connections",
	"max_connect_errors",
	"back_log",
	"thread_handling",
	"thread_cache_size",
	"slave_net_timeout",
	"log_error",
	"performance_schema",
	"require_secure_transport",
	"extra_max_connections",
	"admin_address",
	"admin_port",
	"log_error_services",
	"datadir", /* with hostname: where log_error is when relative */
	"hostname",
};

/* Connection facts of MySQL 8 (and of MariaDB when it has them): a server
 * without one is named in the audit as not having it. */
const char *const srv_mysql8_vars[SRV_NMYSQL8_VARS] = {
	"require_secure_transport", /* MySQL 5.7.8+, MariaDB 10.5.2+ */
	"admin_address",	    /* MySQL 8.0.14+ */
	"admin_port",		    /* MySQL 8.0.14+ */
	"log_error_services",	    /* MySQL 8.0.4+ */
};

/* Sized by the header: a missing name would be a NULL the loops skip. */
const char *const srv_counter_names[SRV_NCOUNTERS] = {
	"Connections",
	"Aborted_connects",
	"Aborted_clients",
	"Connection_errors_accept",
	"Connection_errors_internal",
	"Connection_errors_max_connections",
	"Connection_errors_peer_address",
	"Connection_errors_select",
	"Connection_errors_tcpwrap",
	"Threads_connected",
	"Threads_created",
	"Max_used_connections",
	"Max_used_connections_time",
	"Uptime",
	"Com_kill",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* "SHOW GLOBAL X WHERE Variable_name IN ('a', 'b', ...)" */
static char *in_list_query(const char *what, const char *const *names, size_t n)
{
	size_t i, len = 64;
	char *q;

	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 4;
	q = malloc(len);
	if (!q)
		return NULL;
	snprintf(q, len, "SHOW GLOBAL %s WHERE Variable_name IN (", what);
	for (i = 0; i < n; i++) {
		strcat(q, i ? ",'" : "'");
		strcat(q, names[i]);
		strcat(q, "'");
	}
	strcat(q, ")");
	return q;
}

static int name_values(struct srv_session *s, const char *what,
		       const char *const *names, size_t n, struct srv_kv *out,
		       size_t max, size_t *nout, char *err, size_t errlen)
{
	struct srv_result r;
	char *q = in_list_query(what, names, n);
	size_t i;
	int rc;

	if (!q)
		return -1;
	rc = srv_query(s, q, &r, err, errlen);
	free(q);
	if (rc < 0)
		return -1;
	*nout = 0;
	for (i = 0; i < r.nrows && *nout < max; i++) {
		copy(out[*nout].name, sizeof(out[*nout].name),
		     srv_cell(&r, i, 0));
		copy(out[*nout].value, sizeof(out[*nout].value),
		     srv_cell(&r, i, 1));
		(*nout)++;
	}
	srv_result_free(&r);
	return 0;
}

static unsigned long long num(const char *s)
{
	return s ? strtoull(s, NULL, 10) : 0;
}

/* "10.0.0.5:41234" -> ip and port; "localhost" or a name: port 0. */
static void split_host(const char *hp, char *ip, size_t iplen, uint16_t *port)
{
	const char *colon = hp ? strrchr(hp, ':') : NULL;

	*port = 0;
	if (!hp) {
		copy(ip, iplen, "");
		return;
	}
	if (colon && colon[1] && !strchr(colon + 1, ']')) {
		snprintf(ip, iplen, "%.*s", (int)(colon - hp), hp);
		*port = (uint16_t)strtoul(colon + 1, NULL, 10);
		/* [v6]:port */
		if (ip[0] == '[') {
			size_t l = strlen(ip);

			memmove(ip, ip + 1, l);
			if (l >= 2 && ip[l - 2] == ']')
				ip[l - 2] = '\0';
		}
	} else {
		copy(ip, iplen, hp);
	}
}

/* Notes a part of the audit that could not be read. */
static void unread(struct srv_audit *a, const char *what, const char *err,
		   const char *hint)
{
	struct srv_unread *u;

	if (a->nunread >= SRV_MAX_UNREAD)
		return;
	u = &a->unread[a->nunread++];
	snprintf(u->what, sizeof(u->what), "%s", what);
	snprintf(u->why, sizeof(u->why), "%.255s%s", err, hint);
}

static void collect_processlist(struct srv_session *s, struct srv_audit *a)
{
	struct srv_result r;
	char err[256] = "";
	size_t i, k;

	if (srv_query(s,
		      "SELECT HOST, USER, COMMAND, TIME FROM "
		      "information_schema.PROCESSLIST "
		      "WHERE ID <> CONNECTION_ID()",
		      &r, err, sizeof(err)) < 0) {
		unread(a, "processlist", err, "");
		return;
	}
	a->have_processlist = 1;
	for (i = 0; i < r.nrows; i++) {
		char ip[96];
		uint16_t port;
		const char *user = srv_cell(&r, i, 1), *cmd;

		split_host(srv_cell(&r, i, 0), ip, sizeof(ip), &port);
		for (k = 0; k < a->nclients; k++)
			if (!strcmp(a->clients[k].host, ip) &&
			    !strcmp(a->clients[k].user, user ? user : ""))
				break;
		if (k == a->nclients) {
			if (k == SRV_MAX_HOSTS)
				continue;
			copy(a->clients[k].host, sizeof(a->clients[k].host),
			     ip);
			copy(a->clients[k].user, sizeof(a->clients[k].user),
			     user);
			a->nclients++;
		}
		a->clients[k].sessions++;
		if (port) {
			a->clients[k].tcp++;
			if (a->npeers < SRV_MAX_SESSIONS) {
				copy(a->peer_ip[a->npeers],
				     sizeof(a->peer_ip[0]), ip);
				a->peer_client[a->npeers] = (uint16_t)k;
				a->peer_port[a->npeers++] = port;
			}
		}
		cmd = srv_cell(&r, i, 2);
		if (cmd && !strcmp(cmd, "Sleep") &&
		    a->nasleep < SRV_MAX_SESSIONS) {
			unsigned long long t = num(srv_cell(&r, i, 3));

			a->asleep_client[a->nasleep] = (uint16_t)k;
			a->asleep_s[a->nasleep++] =
				t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
		}
	}
	srv_result_free(&r);
}

static void collect_host_cache(struct srv_session *s, struct srv_audit *a)
{
	struct srv_result r;
	char err[256] = "";
	size_t i;

	if (srv_query(
		    s,
		    "SELECT IP, HOST, SUM_CONNECT_ERRORS, "
		    "COUNT_NAMEINFO_TRANSIENT_ERRORS + "
		    "COUNT_NAMEINFO_PERMANENT_ERRORS, COUNT_HANDSHAKE_ERRORS, "
		    "COUNT_HOST_BLOCKED_ERRORS FROM "
		    "performance_schema.host_cache",
		    &r, err, sizeof(err)) < 0) {
		unread(a, "host_cache", err,
		       " (performance_schema may be OFF)");
		return;
	}
	a->have_host_cache = 1;
	for (i = 0; i < r.nrows && a->nhosts < SRV_MAX_HOSTS; i++) {
		struct srv_host_cache *h = &a->hosts[a->nhosts++];

		copy(h->ip, sizeof(h->ip), srv_cell(&r, i, 0));
		copy(h->host, sizeof(h->host), srv_cell(&r, i, 1));
		h->connect_errors = num(srv_cell(&r, i, 2));
		h->nameinfo_errors = num(srv_cell(&r, i, 3));
		h->handshake_errors = num(srv_cell(&r, i, 4));
		h->host_blocked = num(srv_cell(&r, i, 5));
	}
	srv_result_free(&r);
}

/* mysql_native_password: ACTIVE (MariaDB, MySQL up to 8.3), DISABLED (MySQL
 * 8.4 without --mysql-native-password=ON), or no row (MySQL 9.0 removed
 * it): accounts that use it cannot log in then. */
static void collect_native_password(struct srv_session *s, struct srv_audit *a)
{
	struct srv_result r;
	char err[256] = "";

	if (srv_query(s,
		      "SELECT PLUGIN_STATUS FROM information_schema.PLUGINS "
		      "WHERE PLUGIN_NAME = 'mysql_native_password'",
		      &r, err, sizeof(err)) < 0) {
		unread(a, "plugins", err, "");
		return;
	}
	copy(a->native_password, sizeof(a->native_password),
	     r.nrows ? srv_cell(&r, 0, 0) : "not loaded");
	srv_result_free(&r);
}

static void collect_replication(struct srv_session *s, struct srv_audit *a)
{
	static const char *const queries[] = {
		"SHOW ALL SLAVES STATUS", /* MariaDB: every named link */
		"SHOW REPLICA STATUS",	  /* MySQL 8.0.22+ */
		"SHOW SLAVE STATUS",
	};
	struct srv_result r;
	char err[256] = "";
	size_t q, i;

	for (q = 0; q < N(queries); q++) {
		err[0] = '\0';
		if (srv_query(s, queries[q], &r, err, sizeof(err)) == 0)
			break;
	}
	if (q == N(queries)) {
		unread(a, "replication", err, "");
		return;
	}
	for (i = 0; i < r.nrows && a->nlinks < SRV_MAX_LINKS; i++) {
		struct srv_link *l = &a->links[a->nlinks++];
		const char *v;
		int c;

#define COL(a_, b_) ((c = srv_col(&r, a_)) >= 0 ? c : srv_col(&r, b_))
		c = srv_col(&r, "Connection_name");
		copy(l->name, sizeof(l->name),
		     c >= 0 ? srv_cell(&r, i, (size_t)c) : "");
		c = COL("Master_Host", "Source_Host");
		copy(l->master_host, sizeof(l->master_host),
		     c >= 0 ? srv_cell(&r, i, (size_t)c) : "");
		c = COL("Master_Port", "Source_Port");
		l->master_port =
			c >= 0 ? (unsigned)num(srv_cell(&r, i, (size_t)c)) : 0;
		c = COL("Slave_IO_Running", "Replica_IO_Running");
		copy(l->io_running, sizeof(l->io_running),
		     c >= 0 ? srv_cell(&r, i, (size_t)c) : "");
		c = COL("Slave_SQL_Running", "Replica_SQL_Running");
		copy(l->sql_running, sizeof(l->sql_running),
		     c >= 0 ? srv_cell(&r, i, (size_t)c) : "");
		c = COL("Slave_IO_State", "Replica_IO_State");
		copy(l->io_state, sizeof(l->io_state),
		     c >= 0 ? srv_cell(&r, i, (size_t)c) : "");
		c = COL("Seconds_Behind_Master", "Seconds_Behind_Source");
		v = c >= 0 ? srv_cell(&r, i, (size_t)c) : NULL;
		l->seconds_behind = v ? (long)num(v) : -1;
		c = srv_col(&r, "Last_IO_Errno");
		l->last_io_errno =
			c >= 0 ? (unsigned)num(srv_cell(&r, i, (size_t)c)) : 0;
		c = srv_col(&r, "Last_IO_Error");
		copy(l->last_io_error, sizeof(l->last_io_error),
		     c >= 0 ? srv_cell(&r, i, (size_t)c) : "");
		c = srv_col(&r, "Slave_heartbeat_period");
		v = c >= 0 ? srv_cell(&r, i, (size_t)c) : NULL;
		l->heartbeat_period = v ? strtod(v, NULL) : -1;
		c = srv_col(&r, "Slave_received_heartbeats");
		l->received_heartbeats =
			c >= 0 ? num(srv_cell(&r, i, (size_t)c)) : 0;
#undef COL
	}
	a->is_replica = a->nlinks > 0;
	srv_result_free(&r);
}

/* The statement time limits of the audit's own session, which include the
 * account's (MariaDB's GRANT ... WITH MAX_STATEMENT_TIME). Not read: none. */
static void collect_session_limits(struct srv_session *s, struct srv_audit *a)
{
	struct srv_result r;
	char err[256] = "";
	size_t i;

	if (srv_query(s,
		      "SHOW SESSION VARIABLES WHERE Variable_name IN "
		      "('max_statement_time','max_execution_time')",
		      &r, err, sizeof(err)))
		return;
	for (i = 0; i < r.nrows && a->nsvars < N(a->svars); i++) {
		copy(a->svars[a->nsvars].name, sizeof(a->svars[0].name),
		     srv_cell(&r, i, 0));
		copy(a->svars[a->nsvars].value, sizeof(a->svars[0].value),
		     srv_cell(&r, i, 1));
		a->nsvars++;
	}
	srv_result_free(&r);
}

int srv_audit_collect(struct srv_session *s, double interval_s,
		      struct srv_audit *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->somaxconn = -1;
	copy(a->version, sizeof(a->version), s->version);
	a->is_mariadb = s->is_mariadb;
	if (name_values(s, "VARIABLES", var_names, N(var_names), a->vars,
			SRV_MAX_VARS, &a->nvars, err, errlen) < 0)
		return -1;
	if (name_values(s, "STATUS", srv_counter_names, SRV_NCOUNTERS,
			a->status0, SRV_MAX_COUNTERS, &a->nstatus0, err,
			errlen) < 0)
		return -1;
	if (interval_s > 0) {
		struct timespec ts = {
			(time_t)interval_s,
			(long)((interval_s - (double)(time_t)interval_s) *
			       1e9)};
		int64_t t0 = cd_now_ns();

		nanosleep(&ts, NULL);
		if (name_values(s, "STATUS", srv_counter_names, SRV_NCOUNTERS,
				a->status1, SRV_MAX_COUNTERS, &a->nstatus1, err,
				errlen) < 0)
			return -1;
		a->interval_s = (double)(cd_now_ns() - t0) / 1e9;
	}
	a->sampled_ns = cd_now_ns();
	collect_host_cache(s, a);
	collect_native_password(s, a);
	collect_processlist(s, a);
	collect_replication(s, a);
	collect_session_limits(s, a);
	return 0;
}

/* Whether user can go between quotes as it is: nothing in it needs an
 * escape (the escapes depend on sql_mode's NO_BACKSLASH_ESCAPES). */
static int quotable(const char *user)
{
	const char *p;

	if (strlen(user) > 80)
		return 0;
	for (p = user; *p; p++)
		if ((unsigned char)*p < 0x20 || strchr("'\\\"`", *p))
			return 0;
	return 1;
}

void srv_audit_accounts(struct srv_session *s, const char *user,
			struct srv_audit *a)
{
	struct srv_result r;
	char q[160], err[256] = "";
	size_t i;

	a->accounts_asked = 1;
	if (!user || !quotable(user)) {
		copy(a->accounts_why, sizeof(a->accounts_why),
		     "the user's name has characters the audit does not quote");
		return;
	}
	snprintf(q, sizeof(q),
		 "SELECT Host, max_user_connections FROM mysql.user WHERE "
		 "User = '%s'",
		 user);
	if (srv_query(s, q, &r, err, sizeof(err)) < 0) {
		copy(a->accounts_why, sizeof(a->accounts_why), err);
		return;
	}
	a->have_accounts = 1;
	for (i = 0; i < r.nrows && a->naccounts < SRV_MAX_ACCOUNTS; i++) {
		struct srv_account *x = &a->accounts[a->naccounts++];

		copy(x->host, sizeof(x->host), srv_cell(&r, i, 0));
		x->max_user_connections = (long long)num(srv_cell(&r, i, 1));
	}
	srv_result_free(&r);
}

/* ---- lookups ---- */

static const char *kv(const struct srv_kv *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(v[i].name, name))
			return v[i].value;
	return NULL;
}

const char *srv_var(const struct srv_audit *a, const char *name)
{
	return kv(a->vars, a->nvars, name);
}

const char *srv_session_var(const struct srv_audit *a, const char *name)
{
	return kv(a->svars, a->nsvars, name);
}

long long srv_counter(const struct srv_audit *a, const char *name)
{
	const char *v = a->nstatus1 ? kv(a->status1, a->nstatus1, name)
				    : kv(a->status0, a->nstatus0, name);

	return v ? (long long)num(v) : -1;
}

double srv_rate(const struct srv_audit *a, const char *name)
{
	const char *v0 = kv(a->status0, a->nstatus0, name);
	const char *v1 = kv(a->status1, a->nstatus1, name);

	if (!v0 || !v1 || a->interval_s <= 0)
		return -1;
	return ((double)num(v1) - (double)num(v0)) / a->interval_s;
}
