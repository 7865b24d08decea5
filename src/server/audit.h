/* audit.h - the read-only server audit: variables that govern connections,
 * counters sampled twice, the host cache, the processlist by client, and
 * replication links; collected through srv_session, judged by pure rules. */
#ifndef CONNDOCTOR_SERVER_AUDIT_H
#define CONNDOCTOR_SERVER_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define SRV_MAX_VARS	 40
#define SRV_MAX_COUNTERS 32
#define SRV_MAX_HOSTS	 64
#define SRV_MAX_LINKS	 8
#define SRV_MAX_SESSIONS 4096
#define SRV_MAX_UNREAD	 5

struct srv_kv {
	char name[48];
	char value[128];
};

/* A row of performance_schema.host_cache. */
struct srv_host_cache {
	char ip[48], host[96];
	uint64_t connect_errors;   /* SUM_CONNECT_ERRORS */
	uint64_t nameinfo_errors;  /* COUNT_NAMEINFO_*_ERRORS */
	uint64_t handshake_errors; /* COUNT_HANDSHAKE_ERRORS */
	uint64_t host_blocked;	   /* COUNT_HOST_BLOCKED_ERRORS */
};

/* Sessions of one client host (address without the port) and user. */
struct srv_client {
	char host[96];
	char user[48];
	unsigned sessions;
	unsigned tcp; /* of them with a client port (TCP, not the socket) */
};

#define SRV_MAX_ACCOUNTS 8

/* One account (user@host) of a user, and its own session limit. */
struct srv_account {
	char host[96];
	long long max_user_connections; /* 0: none of its own */
};

/* One replication link of this server as a replica. */
struct srv_link {
	char name[64];
	char master_host[96];
	unsigned master_port;
	char io_running[16], sql_running[16];
	char io_state[96];
	long seconds_behind; /* -1: NULL */
	unsigned last_io_errno;
	char last_io_error[160];
	double heartbeat_period;
	uint64_t received_heartbeats;
};

/* A part of the audit a query could not read, and the server's error. */
struct srv_unread {
	char what[16];
	char why[320];
};

struct srv_audit {
	char version[64];
	int is_mariadb;
	struct srv_kv vars[SRV_MAX_VARS];
	size_t nvars;
	struct srv_kv status0[SRV_MAX_COUNTERS], status1[SRV_MAX_COUNTERS];
	size_t nstatus0, nstatus1;
	double interval_s;  /* between the two samples; 0: one sample */
	int64_t sampled_ns; /* monotonic time of the last status sample */
	int have_host_cache;
	struct srv_host_cache hosts[SRV_MAX_HOSTS];
	size_t nhosts;
	struct srv_client clients[SRV_MAX_HOSTS];
	size_t nclients;
	int have_processlist; /* the processlist was read */
	/* Each session in Sleep: its client (an index into clients) and
	 * how long it has slept (TIME, whole seconds). */
	uint16_t asleep_client[SRV_MAX_SESSIONS];
	uint32_t asleep_s[SRV_MAX_SESSIONS];
	size_t nasleep;
	char peer_ip[SRV_MAX_SESSIONS][48]; /* each TCP session's client */
	uint16_t peer_port[SRV_MAX_SESSIONS];
	uint16_t peer_client[SRV_MAX_SESSIONS]; /* its client (clients[]) */
	size_t npeers;
	int is_replica;
	struct srv_link links[SRV_MAX_LINKS];
	size_t nlinks;
	/* The audit session's own statement time limits (SHOW SESSION
	 * VARIABLES): the account's MAX_STATEMENT_TIME shows here, not in
	 * the global value, when the audit logs in as the probe's user. */
	struct srv_kv svars[2];
	size_t nsvars;
	/* information_schema.PLUGINS' status of mysql_native_password
	 * (ACTIVE, DISABLED, ...), "not loaded" without a row, "" unread. */
	char native_password[24];
	/* From the host: the kernel's somaxconn, -1 unknown. */
	int somaxconn;
	/* srv_audit_accounts(): one user's accounts with their own limits
	 * (mysql.user), or why they could not be read. */
	int accounts_asked, have_accounts;
	struct srv_account accounts[SRV_MAX_ACCOUNTS];
	size_t naccounts;
	char accounts_why[256];
	/* What a query could not read (host cache, processlist, ...). */
	struct srv_unread unread[SRV_MAX_UNREAD];
	size_t nunread;
};

/* The status counters the audit samples, in the order it shows them. */
#define SRV_NCOUNTERS 15
extern const char *const srv_counter_names[SRV_NCOUNTERS];

/* The MySQL 8 connection variables the audit names when a server lacks
 * them ("not available on this server"). */
#define SRV_NMYSQL8_VARS 4
extern const char *const srv_mysql8_vars[SRV_NMYSQL8_VARS];

/* Looks a variable or counter up; NULL when absent. */
const char *srv_var(const struct srv_audit *a, const char *name);
/* A session variable of the audit's own session (max_statement_time,
 * max_execution_time), or NULL when not read. */
const char *srv_session_var(const struct srv_audit *a, const char *name);
/* A counter's value in the second sample (or the only one), -1 absent. */
long long srv_counter(const struct srv_audit *a, const char *name);
/* Its increase per second between the samples; -1 without two samples. */
double srv_rate(const struct srv_audit *a, const char *name);

/* Runs the audit's queries over an open session (see session.h). What a
 * query could not read is listed in a->unread. Returns 0, or -1 when the
 * session failed (err set). */
struct srv_session;
int srv_audit_collect(struct srv_session *s, double interval_s,
		      struct srv_audit *a, char *err, size_t errlen);

/* Reads user's accounts (mysql.user: Host, max_user_connections) into a
 * after srv_audit_collect(); a refusal (no SELECT on mysql.user), a
 * failed session or a name it will not quote is kept in
 * a->accounts_why. */
void srv_audit_accounts(struct srv_session *s, const char *user,
			struct srv_audit *a);

#endif /* CONNDOCTOR_SERVER_AUDIT_H */
