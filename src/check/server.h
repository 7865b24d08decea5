/* server.h - the "server" and "errlog" slices' rules and facts over what
 * server/ collects (the audit's queries, the error log's aggregate). The
 * collectors stay in server/, which never includes check/. */
#ifndef CONNDOCTOR_CHECK_SERVER_H
#define CONNDOCTOR_CHECK_SERVER_H

#include "check/check.h"
#include "server/audit.h"
#include "server/errlog.h"

/* The audit's rules: facts with their meaning, findings for risks. The
 * census (may be NULL) gives this host's own connections to the server's
 * port, which are compared with the processlist's client ports. */
int chk_audit_rules(const struct srv_audit *a, const struct chk_census *census,
		    uint16_t server_port, struct chk_facts *facts,
		    struct cd_findings *out);

/* CD6046: the probe's command packet (payload bytes, 0: none) is not
 * below the server's limit, max(max_allowed_packet, net_buffer_length).
 * Returns 0, or -1 when out of memory. */
int chk_audit_packet_rule(const struct srv_audit *a, double packet_bytes,
			  struct cd_findings *out);

/* CD6057: the client's max_allowed_packet (client_max, 0: not given) is
 * below the server's, so the server sends packets the client refuses
 * (2020). Returns 0, or -1 when out of memory. */
int chk_audit_client_packet_rule(const struct srv_audit *a, double client_max,
				 struct cd_findings *out);

/* CD6048: the probe holds its sessions idle (idle_s, 0: not) at least
 * the server's wait_timeout. Returns 0, or -1 when out of memory. */
int chk_audit_idle_rule(const struct srv_audit *a, double idle_s,
			struct cd_findings *out);

/* CD6050 (info): the statement time limit in force for the audit's
 * account (its session's value, else the global), max_statement_time
 * (MariaDB, s) or max_execution_time (MySQL, ms), when one is set.
 * Returns 0, or -1 when out of memory. */
int chk_audit_stmt_time_rule(const struct srv_audit *a,
			     struct cd_findings *out);

/* CD6053: the server restarted while the probe ran: the connection ids
 * of res's greetings went backwards (an attempt got a lower id than one
 * that had ended before it started), or the server's Uptime at the
 * audit's sample (a NULL: not read) is shorter than the time since the
 * probe's first attempt. Returns 0, or -1 when out of memory. */
int chk_audit_restart_rule(const struct srv_audit *a,
			   const struct probe_result *res,
			   struct cd_findings *out);

/* CD6055: at least CHK_ASLEEP_MIN sessions of one client (user and
 * host) asleep in the processlist longer than over_s (0: not judged):
 * a pool that never closes. Returns 0, or -1 when out of memory. */
#define CHK_ASLEEP_MIN 5
int chk_audit_asleep_rule(const struct srv_audit *a, double over_s,
			  struct cd_findings *out);

/* Facts: where the log came from (source: its path, or "journal"), what
 * was read, each class with its count and when it started, the busiest
 * hosts. */
void chk_errlog_facts(const struct srv_errlog_stats *st, const char *source,
		      struct chk_facts *facts);
/* Findings CD6020-CD6033 from an aggregate (pure; st sorted or not).
 * Returns 0, or -1 when out of memory. */
int chk_errlog_rules(const struct srv_errlog_stats *st,
		     struct cd_findings *out);
/* Findings CD6060/CD6061: the log's sessions aborted on a read timeout or
 * while the server wrote to them, by account, joined with the audit's
 * net_read_timeout, net_write_timeout, wait_timeout and Aborted_clients
 * (l NULL or a timeout not read: nothing). Pure. Returns 0, or -1 when
 * out of memory. */
int chk_errlog_timeout_rules(const struct srv_errlog_stats *st,
			     const struct chk_learned_server *l,
			     struct cd_findings *out);
/* Both: the log-only rules, then CD6060/CD6061 in place of CD6023/CD6024
 * when the audit's timeouts are known and no such line came before a
 * login (a wait of connect_timeout's). */
int chk_errlog_rules_joined(const struct srv_errlog_stats *st,
			    const struct chk_learned_server *l,
			    struct cd_findings *out);

/* Reads the error log and applies the rules: path NULL finds the log
 * (file, else the journal), "journal" forces the journal; since_s > 0
 * keeps the last since_s seconds. An unreadable log is a fact, not an
 * error. Returns 0, or -1 when out of memory. */
int chk_errlog_run(const char *path, double since_s,
		   const struct chk_learned_server *l, struct chk_facts *facts,
		   struct cd_findings *out);

#endif /* CONNDOCTOR_CHECK_SERVER_H */
