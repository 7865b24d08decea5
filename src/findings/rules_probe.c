/* rules_probe.c - the rules that read a probe's attempts (and the host
 * facts the collectors gathered) and name what went wrong. */
#include "findings/findings.h"
#include "mysql/mysql.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TCP_ESTABLISHED_STATE 1
#define NS		      1e9

static double secs(int64_t ns)
{
	return (double)ns / NS;
}

/* Critical when at least half the attempts are hit, else a warning. */
static enum cd_severity share_severity(size_t hit, size_t total)
{
	return hit * 2 >= total ? CD_SEV_CRITICAL : CD_SEV_WARNING;
}

static int is_tcp(const struct cd_probe_input *in, const struct cd_attempt *a)
{
	return in->cfg->targets[a->target].transport == CD_TCP;
}

/* Collects up to CD_EV_VALUES values of one phase's duration, in seconds,
 * from attempts matching outcome o (or any outcome when o < 0). */
static size_t phase_list(const struct cd_probe_input *in, int o,
			 enum cd_phase p, double *out)
{
	const struct probe_result *r = in->res;
	size_t i, n = 0;

	for (i = 0; i < r->nattempts && n < CD_EV_VALUES; i++) {
		if (o >= 0 && (int)r->attempts[i].outcome != o)
			continue;
		if (r->attempts[i].phase_ns[p] >= 0)
			out[n++] = secs(r->attempts[i].phase_ns[p]);
	}
	return n;
}

/* "1.00, 2.01, 3.00" into buf. */
static void join_secs(char *buf, size_t len, const double *v, size_t n)
{
	size_t i, used;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		used = strlen(buf);
		if (used < len)
			snprintf(buf + used, len - used, "%s%.2f",
				 i ? ", " : "", v[i]);
	}
}

/* ---- simple class rules ---- */

struct class_rule {
	enum cd_outcome outcome;
	const char *code;
	const char *what; /* summary fragment */
	int warning_only; /* the connection works: never critical */
};

static const struct class_rule class_rules[] = {
	{CD_DNS_FAIL, "CD2001", "failed to resolve the server's name", 0},
	{CD_REFUSED, "CD3002", "were refused (nothing listening)", 0},
	{CD_UNREACHABLE, "CD3005", "found the address unreachable", 0},
	{CD_CONNECT_FAILED, "CD3010", "failed to connect", 0},
	{CD_LOCAL_PORTS_EXHAUSTED, "CD3004",
	 "found no free local port (EADDRNOTAVAIL)", 0},
	{CD_FD_EXHAUSTED, "CD1001", "could not create a socket (EMFILE)", 0},
	{CD_LOCAL_ERROR, "CD1003",
	 "failed inside the probe itself (epoll), not on the way to the server",
	 0},
	{CD_AUTH_FAILED, "CD6004",
	 "were rejected at login: the user or password", 0},
	{CD_AUTH_TIMEOUT, "CD6010", "got no answer to the login", 0},
	{CD_CLOSED_DURING_LOGIN, "CD6011",
	 "were closed or reset by the server side during login, before any "
	 "answer to it",
	 0},
	{CD_AUTH_PLUGIN_UNSUPPORTED, "CD6012",
	 "could not answer the server's authentication method", 0},
	{CD_CLOSED_BEFORE_GREETING, "CD6007",
	 "were closed by the server side before any greeting", 0},
	{CD_QUERY_TIMEOUT, "CD6008", "got no answer to the query in time", 0},
	{CD_QUERY_ERROR, "CD6009", "got a server error for the query", 1},
	{CD_PROTOCOL_ERROR, "CD8001", "did not find a MySQL server", 0},
	{CD_PROTOCOL_ERROR, "CD8003",
	 "met a MySQL server that broke the protocol after its greeting", 0},
	{CD_TLS_FAILED, "CD8002", "failed the TLS handshake", 0},
};

/* ERR codes of a statement the server killed at its time limit:
 * MariaDB's max_statement_time (1969 ER_STATEMENT_TIMEOUT, SQLSTATE 70100)
 * and MySQL's max_execution_time (3024 ER_QUERY_TIMEOUT, HY000). The
 * session survives them: the outcome stays query_error. */
static int stmt_time_code(unsigned code)
{
	return code == 1969 || code == 3024;
}

/* Whether class rule cr counts attempt a: a protocol_error is "not MySQL"
 * (CD8001) only before a greeting; after one it is a MySQL server that
 * broke the protocol (CD8003), and a sequence id out of order is named by
 * rule_sequence() (CD8012). */
static int counted(const struct cd_attempt *a, const struct class_rule *cr)
{
	if (a->outcome != cr->outcome)
		return 0;
	if (cr->outcome == CD_QUERY_ERROR) /* CD6049's, CD6016's */
		return !stmt_time_code(a->mysql_code) &&
		       a->mysql_code != MYSQL_ER_MUST_CHANGE_PASSWORD;
	if (cr->outcome != CD_PROTOCOL_ERROR)
		return 1;
	if (a->seq_fault)
		return 0;
	return (a->failed_phase <= CD_PH_GREETING) ==
	       !strcmp(cr->code, "CD8001");
}

/* Attempts with a sequence id out of order, and the first of them. */
static size_t seq_faults(const struct probe_result *r,
			 const struct cd_attempt **first)
{
	size_t i, n = 0;

	*first = NULL;
	for (i = 0; i < r->nattempts; i++) {
		if (r->attempts[i].outcome != CD_PROTOCOL_ERROR ||
		    !r->attempts[i].seq_fault)
			continue;
		if (!n++)
			*first = &r->attempts[i];
	}
	return n;
}

static int rule_classes(const struct cd_probe_input *in,
			const struct cd_summary *s, struct cd_findings *out)
{
	size_t k;

	for (k = 0; k < sizeof(class_rules) / sizeof(class_rules[0]); k++) {
		const struct class_rule *cr = &class_rules[k];
		const struct cd_attempt *a = NULL;
		struct cd_finding *f;
		double times[CD_EV_VALUES];
		size_t nt, i, hit = 0;

		if (!s->by_class[cr->outcome])
			continue;
		for (i = 0; i < in->res->nattempts; i++) {
			if (!counted(&in->res->attempts[i], cr))
				continue;
			if (!hit++)
				a = &in->res->attempts[i];
		}
		if (!hit)
			continue;
		f = cd_finding_add(out, cr->code,
				   cr->warning_only
					   ? CD_SEV_WARNING
					   : share_severity(hit, s->total));
		if (!f)
			return -1;
		snprintf(f->summary, sizeof(f->summary),
			 "%zu of %zu attempts %s", hit, s->total, cr->what);
		snprintf(f->evidence, sizeof(f->evidence),
			 "first failure: attempt %u after %.3f s in phase %s, "
			 "errno %d (%s)%s%s",
			 a->seq, secs(a->total_ns),
			 cd_phase_name(a->failed_phase), a->sys_errno,
			 a->sys_errno > 0 ? strerror(a->sys_errno) : "-",
			 a->message[0] ? "; " : "", a->message);
		if (a->mysql_code)
			cd_finding_num(f, "mysql_code", a->mysql_code);
		cd_finding_num(f, "attempts", (double)s->total);
		cd_finding_num(f, "failures", (double)hit);
		cd_finding_num(f, "errno", a->sys_errno);
		nt = phase_list(in, (int)cr->outcome, a->failed_phase, times);
		cd_finding_list(f, "failed_after_s", times, nt);
		if (cr->outcome == CD_LOCAL_PORTS_EXHAUSTED)
			cd_finding_num(f, "ok_before_first_failure",
				       (double)a->seq);
	}
	return 0;
}

/* Findings of the server's ERRs at login, by code: the refusals sent in
 * place of a greeting or a session (server_refused), and the logins the
 * server refused for another reason than the credentials (login_refused).
 * A row with code 0 takes its outcome's codes no other row names. */
struct code_rule {
	enum cd_outcome outcome;
	unsigned code;		   /* 0: by kind, or the rest */
	enum mysql_login_err kind; /* with code 0 and outcome login_refused */
	const char *finding;
	const char *what; /* NULL: the account at its connection limit */
	unsigned also;	  /* a second code the row takes, or 0 */
};

static const struct code_rule code_rules[] = {
	{CD_SERVER_REFUSED, 1129, MYSQL_LOGIN_ERR_OTHER, "CD6002",
	 "refused by the server", 0},
	{CD_SERVER_REFUSED, 1130, MYSQL_LOGIN_ERR_OTHER, "CD6003",
	 "refused by the server", 0},
	/* the account's connection limit: 1203 the global
	 * max_user_connections, 1226 the account's own */
	{CD_SERVER_REFUSED, 1203, MYSQL_LOGIN_ERR_OTHER, "CD6054", NULL, 1226},
	{CD_SERVER_REFUSED, 0, MYSQL_LOGIN_ERR_OTHER, "CD6001",
	 "refused by the server", 0},
	{CD_LOGIN_REFUSED, 0, MYSQL_LOGIN_ERR_DATABASE, "CD6014",
	 "refused at login for the database", 0},
	{CD_LOGIN_REFUSED, 0, MYSQL_LOGIN_ERR_LOCKED, "CD6015",
	 "refused at login: the account is locked", 0},
	{CD_LOGIN_REFUSED, 0, MYSQL_LOGIN_ERR_EXPIRED, "CD6016",
	 "refused at login: the password has expired", 0},
	/* MariaDB's default (disconnect_on_expired_password=OFF): the login
	 * goes into a sandbox where every statement gets 1820 */
	{CD_QUERY_ERROR, MYSQL_ER_MUST_CHANGE_PASSWORD, MYSQL_LOGIN_ERR_OTHER,
	 "CD6016", "could not run the query: the password has expired", 0},
	{CD_LOGIN_REFUSED, 0, MYSQL_LOGIN_ERR_TLS_REQUIRED, "CD6017",
	 "refused at login: the server requires TLS", 0},
	{CD_LOGIN_REFUSED, 0, MYSQL_LOGIN_ERR_OTHER, "CD6018",
	 "refused at login by the server", 0},
};

/* Whether rule cr takes attempt a. */
static int code_rule_takes(const struct code_rule *cr,
			   const struct cd_attempt *a)
{
	size_t k;

	if (a->outcome != cr->outcome)
		return 0;
	if (cr->code)
		return a->mysql_code == cr->code ||
		       (cr->also && a->mysql_code == cr->also);
	if (cr->outcome == CD_LOGIN_REFUSED)
		return mysql_login_err_kind(a->mysql_code) == cr->kind;
	for (k = 0; k < sizeof(code_rules) / sizeof(code_rules[0]); k++)
		if (code_rules[k].outcome == cr->outcome &&
		    (code_rules[k].code == a->mysql_code ||
		     (code_rules[k].also &&
		      code_rules[k].also == a->mysql_code)))
			return 0;
	return 1;
}

static int rule_login_errs(const struct cd_probe_input *in,
			   const struct cd_summary *s, struct cd_findings *out)
{
	const struct probe_result *r = in->res;
	size_t m;

	for (m = 0; m < sizeof(code_rules) / sizeof(code_rules[0]); m++) {
		const struct code_rule *cr = &code_rules[m];
		const struct cd_attempt *first = NULL;
		struct cd_finding *f;
		size_t i, hit = 0;

		if (!s->by_class[cr->outcome])
			continue;
		for (i = 0; i < r->nattempts; i++) {
			if (!code_rule_takes(cr, &r->attempts[i]))
				continue;
			if (!hit++)
				first = &r->attempts[i];
		}
		if (!hit)
			continue;
		f = cd_finding_add(out, cr->finding,
				   share_severity(hit, s->total));
		if (!f)
			return -1;
		if (!cr->what) /* CD6054: the user at its limit */
			snprintf(f->summary, sizeof(f->summary),
				 "%zu of %zu attempts refused: user %s is at "
				 "its connection limit, ERROR %u: %s",
				 hit, s->total,
				 in->cfg->user ? in->cfg->user : "?",
				 first->mysql_code, first->message);
		else
			snprintf(f->summary, sizeof(f->summary),
				 "%zu of %zu attempts %s with ERROR %u: %s",
				 hit, s->total, cr->what, first->mysql_code,
				 first->message);
		snprintf(f->evidence, sizeof(f->evidence),
			 "the server sent ERR %u (%s) in the %s phase, %.3f s "
			 "into attempt %u",
			 first->mysql_code,
			 mysql_login_err_what(
				 mysql_login_err_kind(first->mysql_code)),
			 cd_phase_name(first->failed_phase),
			 secs(first->total_ns), first->seq);
		cd_finding_num(f, "mysql_code", first->mysql_code);
		cd_finding_num(f, "attempts", (double)s->total);
		cd_finding_num(f, "failures", (double)hit);
	}
	return 0;
}

/* The payload of the probe's command packet: COM_QUERY's command byte and
 * the statement, or COM_PING's byte alone. */
static double command_packet_bytes(const struct probe_config *cfg)
{
	if (cfg->ping)
		return 1;
	return 1 + (double)strlen(cfg->query ? cfg->query : "SELECT 1");
}

/* The probe's statement killed by the server's statement time limit: how
 * many, the error, and how long each ran before the ERR (the limit in
 * force for the session, plus the server's check granularity). */
static int rule_statement_time(const struct cd_probe_input *in,
			       const struct cd_summary *s,
			       struct cd_findings *out)
{
	const struct probe_result *r = in->res;
	const struct cd_attempt *first = NULL;
	double ran[CD_EV_VALUES];
	size_t i, hit = 0, nran = 0;
	struct cd_finding *f;

	for (i = 0; i < r->nattempts; i++) {
		const struct cd_attempt *a = &r->attempts[i];

		if (a->outcome != CD_QUERY_ERROR ||
		    !stmt_time_code(a->mysql_code))
			continue;
		if (!hit++)
			first = a;
		if (a->phase_ns[CD_PH_QUERY] >= 0 && nran < CD_EV_VALUES)
			ran[nran++] = secs(a->phase_ns[CD_PH_QUERY]);
	}
	if (!hit)
		return 0;
	f = cd_finding_add(out, "CD6049", CD_SEV_WARNING);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "%zu of %zu probe statements were killed by the server's "
		 "statement time limit after %.2f s: ERROR %u (%s)",
		 hit, s->total, nran ? ran[0] : 0.0, first->mysql_code,
		 first->sqlstate);
	snprintf(f->evidence, sizeof(f->evidence),
		 "attempt %u: the server answered ERR %u (SQLSTATE %s) \"%s\" "
		 "%.3f s into the query; the session stayed open",
		 first->seq, first->mysql_code, first->sqlstate, first->message,
		 secs(first->phase_ns[CD_PH_QUERY]));
	cd_finding_num(f, "mysql_code", first->mysql_code);
	cd_finding_list(f, "query_s", ran, nran);
	cd_finding_num(f, "attempts", (double)s->total);
	cd_finding_num(f, "failures", (double)hit);
	return 0;
}

/* ERR 1153 (08S01) to the probe's statement: the server read a packet
 * header over max(max_allowed_packet, net_buffer_length), answered with
 * the error and ended the session. */
static int rule_packet_too_large(const struct cd_probe_input *in,
				 const struct cd_summary *s, size_t hit,
				 const struct cd_attempt *a,
				 struct cd_findings *out)
{
	struct cd_finding *f;
	double bytes = command_packet_bytes(in->cfg);

	f = cd_finding_add(out, "CD6013", share_severity(hit, s->total));
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "%zu of %zu sessions were ended by the server after a "
		 "%.0f-byte query packet: ERROR %u (%s)",
		 hit, s->total, bytes, a->mysql_code, a->sqlstate);
	snprintf(f->evidence, sizeof(f->evidence),
		 "attempt %u sent COM_QUERY with a %.0f-byte payload; the "
		 "server answered ERR %u (SQLSTATE %s) \"%s\" %.3f s into "
		 "the query and closed the connection (the next statement of "
		 "an application gets 2006 \"MySQL server has gone away\")",
		 a->seq, bytes, a->mysql_code, a->sqlstate, a->message,
		 secs(a->phase_ns[CD_PH_QUERY]));
	cd_finding_num(f, "packet_bytes", bytes);
	cd_finding_num(f, "mysql_code", a->mysql_code);
	cd_finding_num(f, "failures", (double)hit);
	return 0;
}

/* ERR 1927 (70100) "Connection was killed": someone ran KILL on the
 * session's connection id while its statement ran (MariaDB says so before
 * it closes; MySQL closes without a word, which stays CD6006). */
static int rule_killed(const struct cd_probe_input *in,
		       const struct cd_summary *s, size_t hit,
		       struct cd_findings *out)
{
	const struct probe_result *r = in->res;
	const struct cd_attempt *a = NULL;
	double ran[CD_EV_VALUES], ids[CD_EV_VALUES];
	size_t i, nran = 0, nids = 0;
	struct cd_finding *f;

	for (i = 0; i < r->nattempts; i++) {
		const struct cd_attempt *x = &r->attempts[i];

		if (x->outcome != CD_GONE_AWAY || x->mysql_code != 1927)
			continue;
		if (!a)
			a = x;
		if (x->phase_ns[CD_PH_QUERY] >= 0 && nran < CD_EV_VALUES)
			ran[nran++] = secs(x->phase_ns[CD_PH_QUERY]);
		if (x->conn_id && nids < CD_EV_VALUES)
			ids[nids++] = x->conn_id;
	}
	f = cd_finding_add(out, "CD6051", share_severity(hit, s->total));
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "%zu of %zu sessions were killed on the server %.2f s into "
		 "the query: ERROR %u (%s)",
		 hit, s->total, nran ? ran[0] : 0.0, a->mysql_code,
		 a->sqlstate);
	snprintf(f->evidence, sizeof(f->evidence),
		 "attempt %u (connection id %u): the server answered ERR %u "
		 "(SQLSTATE %s) \"%s\" %.3f s into the query and closed the "
		 "connection: a KILL of that id, not a timeout or the network "
		 "(the next statement of an application gets 2006 \"MySQL "
		 "server has gone away\")",
		 a->seq, a->conn_id, a->mysql_code, a->sqlstate, a->message,
		 secs(a->phase_ns[CD_PH_QUERY]));
	cd_finding_num(f, "mysql_code", a->mysql_code);
	cd_finding_list(f, "query_s", ran, nran);
	cd_finding_list(f, "conn_ids", ids, nids);
	cd_finding_num(f, "attempts", (double)s->total);
	cd_finding_num(f, "failures", (double)hit);
	return 0;
}

/* ERROR 2020, the client's: a reply packet over its max_allowed_packet
 * (--max-allowed-packet); the client dropped the session. */
static int rule_reply_too_large(const struct cd_probe_input *in,
				const struct cd_summary *s, size_t hit,
				const struct cd_attempt *a,
				struct cd_findings *out)
{
	struct cd_finding *f;

	f = cd_finding_add(out, "CD1004", share_severity(hit, s->total));
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "%zu of %zu replies had a %u-byte packet, over the client's "
		 "max_allowed_packet=%u: ERROR 2020",
		 hit, s->total, a->reply_bytes, in->cfg->max_allowed_packet);
	snprintf(f->evidence, sizeof(f->evidence),
		 "attempt %u: the server's reply to the query began a packet "
		 "of %u bytes %.3f s into the query; a client whose "
		 "max_allowed_packet is %u refuses it with \"Got packet bigger "
		 "than 'max_allowed_packet' bytes\" and drops the session (its "
		 "next statement gets 2006 \"MySQL server has gone away\"); "
		 "the server's own limit does not help the client",
		 a->seq, a->reply_bytes, secs(a->phase_ns[CD_PH_QUERY]),
		 in->cfg->max_allowed_packet);
	cd_finding_num(f, "reply_bytes", a->reply_bytes);
	cd_finding_num(f, "client_max_allowed_packet",
		       in->cfg->max_allowed_packet);
	cd_finding_num(f, "mysql_code", 2020);
	cd_finding_num(f, "failures", (double)hit);
	return 0;
}

/* gone_away: after an idle period (idle cut), because a packet was too
 * large (1153 the server's limit, 2020 the client's), killed (1927), or
 * otherwise during a query. */
static int rule_gone_away(const struct cd_probe_input *in,
			  const struct cd_summary *s, struct cd_findings *out)
{
	const struct probe_result *r = in->res;
	double cut[CD_EV_VALUES];
	size_t i, ncut = 0, idle = 0, other = 0, toobig = 0, killed = 0;
	size_t client_big = 0;
	const struct cd_attempt *first = NULL, *first_big = NULL;
	const struct cd_attempt *first_client_big = NULL;
	struct cd_finding *f;

	for (i = 0; i < r->nattempts; i++) {
		const struct cd_attempt *a = &r->attempts[i];

		if (a->outcome != CD_GONE_AWAY)
			continue;
		if (a->mysql_code == 1153) {
			if (!toobig++)
				first_big = a;
			continue;
		}
		if (a->mysql_code == 1927) {
			killed++;
			continue;
		}
		if (a->mysql_code == 2020) {
			if (!client_big++)
				first_client_big = a;
			continue;
		}
		if (!first)
			first = a;
		if (in->cfg->idle_s > 0 && a->phase_ns[CD_PH_IDLE] >= 0) {
			idle++;
			if (a->idle_cut_ns >= 0 && ncut < CD_EV_VALUES)
				cut[ncut++] = secs(a->idle_cut_ns);
		} else {
			other++;
		}
	}
	if (idle) {
		f = cd_finding_add(out, "CD6005",
				   share_severity(idle, s->total));
		if (!f)
			return -1;
		if (ncut)
			snprintf(f->summary, sizeof(f->summary),
				 "%zu of %zu sessions held idle %.1f s were "
				 "closed by the server after %.2f s idle",
				 idle, s->total, in->cfg->idle_s, cut[0]);
		else
			snprintf(f->summary, sizeof(f->summary),
				 "%zu of %zu sessions held idle %.1f s were "
				 "dead at their next query",
				 idle, s->total, in->cfg->idle_s);
		snprintf(f->evidence, sizeof(f->evidence),
			 "the next query got: %s%s",
			 first->mysql_code ? first->message
					   : "end of stream (no ERR)",
			 ncut ? "; the server's FIN arrived while idle" : "");
		cd_finding_num(f, "idle_s", in->cfg->idle_s);
		cd_finding_list(f, "closed_after_idle_s", cut, ncut);
		cd_finding_num(f, "failures", (double)idle);
	}
	if (other) {
		f = cd_finding_add(out, "CD6006",
				   share_severity(other, s->total));
		if (!f)
			return -1;
		snprintf(f->summary, sizeof(f->summary),
			 "%zu of %zu logged-in sessions lost during the query",
			 other, s->total);
		snprintf(f->evidence, sizeof(f->evidence), "first: %s",
			 first->message[0] ? first->message : "end of stream");
		cd_finding_num(f, "failures", (double)other);
	}
	if (killed && rule_killed(in, s, killed, out))
		return -1;
	if (client_big &&
	    rule_reply_too_large(in, s, client_big, first_client_big, out))
		return -1;
	if (toobig)
		return rule_packet_too_large(in, s, toobig, first_big, out);
	return 0;
}

/* ---- CD3001: the SYN retransmission ladder ---- */

static int rule_syn_ladder(const struct cd_probe_input *in,
			   const struct cd_summary *s, struct cd_findings *out)
{
	const struct probe_result *r = in->res;
	struct cd_syn_schedule sch;
	double kernel_t[CD_EV_VALUES], cut_t[CD_EV_VALUES],
		slow_t[CD_EV_VALUES];
	size_t nkernel = 0, ncut = 0, nslow = 0, kernel = 0, cut = 0, slow = 0;
	double cut_retrans = 0;
	unsigned rung_hits[CD_SYN_MAX] = {0};
	char sched[160], meas[160];
	struct cd_finding *f;
	size_t i;

	cd_syn_schedule_of(in->facts->syn_retries,
			   in->facts->syn_linear_timeouts,
			   in->facts->rto_init_s, in->facts->hz, &sch);
	for (i = 0; i < r->nattempts; i++) {
		const struct cd_attempt *a = &r->attempts[i];
		double t = secs(a->phase_ns[CD_PH_CONNECT]);

		if (!is_tcp(in, a) || a->phase_ns[CD_PH_CONNECT] < 0)
			continue;
		if (a->outcome == CD_CONNECT_TIMEOUT && !a->timed_out) {
			kernel++;
			if (nkernel < CD_EV_VALUES)
				kernel_t[nkernel++] = t;
		} else if (a->outcome == CD_CONNECT_TIMEOUT) {
			cut++;
			if (ncut < CD_EV_VALUES)
				cut_t[ncut++] = t;
			if (a->have_tcpi && a->tcpi.total_retrans > cut_retrans)
				cut_retrans = a->tcpi.total_retrans;
		} else if (a->failed_phase != CD_PH_CONNECT ||
			   a->outcome == CD_OK) {
			double rtt = a->have_tcpi ? a->tcpi.rtt_us / 1e6 : 0;
			unsigned k = cd_syn_rung(&sch, t, rtt);

			if (k == 0 && a->have_tcpi && t >= 0.8 &&
			    a->tcpi.total_retrans > 0)
				k = a->tcpi.total_retrans < CD_SYN_MAX
					    ? a->tcpi.total_retrans
					    : CD_SYN_MAX - 1;
			if (k == 0)
				continue;
			slow++;
			rung_hits[k]++;
			if (nslow < CD_EV_VALUES)
				slow_t[nslow++] = t;
		}
	}
	if (!kernel && !cut && !slow)
		return 0;
	f = cd_finding_add(out, "CD3001",
			   share_severity(kernel + cut + slow, s->total));
	if (!f)
		return -1;
	join_secs(sched, sizeof(sched), sch.syn_at_s, sch.nsyn);
	if (kernel) {
		join_secs(meas, sizeof(meas), kernel_t, nkernel);
		snprintf(f->summary, sizeof(f->summary),
			 "%zu of %zu connects got no SYN-ACK and failed after "
			 "%.2f s: the kernel's SYN schedule gives up at %.1f s",
			 kernel, s->total, kernel_t[0], sch.give_up_s);
	} else if (cut) {
		join_secs(meas, sizeof(meas), cut_t, ncut);
		snprintf(f->summary, sizeof(f->summary),
			 "%zu of %zu connects got no SYN-ACK within the "
			 "%.1f s connect timeout (%.0f SYN retransmissions)",
			 cut, s->total, in->cfg->timeout_s[CD_PH_CONNECT],
			 cut_retrans);
	} else {
		join_secs(meas, sizeof(meas), slow_t, nslow);
		snprintf(f->summary, sizeof(f->summary),
			 "%zu of %zu connects succeeded only after SYN "
			 "retransmission (connect %.2f s)",
			 slow, s->total, slow_t[0]);
	}
	snprintf(f->evidence, sizeof(f->evidence),
		 "measured connect times (s): %s. With tcp_syn_retries=%d and "
		 "tcp_syn_linear_timeouts=%d (initial RTO %.1f s) the kernel "
		 "sends SYNs at %s s and gives up at %.1f s (its timers run "
		 "late by up to %.1f s at HZ=%d)",
		 meas, sch.retries, sch.linear, sch.rto_init_s, sched,
		 sch.give_up_s, sch.give_up_max_s - sch.give_up_nominal_s,
		 sch.hz);
	cd_finding_num(f, "syn_retries", sch.retries);
	cd_finding_num(f, "syn_linear_timeouts", sch.linear);
	cd_finding_num(f, "expected_give_up_s", sch.give_up_s);
	cd_finding_num(f, "latest_give_up_s", sch.give_up_max_s);
	cd_finding_num(f, "kernel_hz", sch.hz);
	cd_finding_list(f, "syn_schedule_s", sch.syn_at_s, sch.nsyn);
	cd_finding_num(f, "kernel_timeouts", (double)kernel);
	cd_finding_list(f, "kernel_timeout_after_s", kernel_t, nkernel);
	cd_finding_num(f, "cut_by_connect_timeout", (double)cut);
	cd_finding_num(f, "retransmitted_then_ok", (double)slow);
	cd_finding_list(f, "retransmitted_connect_s", slow_t, nslow);
	return 0;
}

/* ---- CD3003: established, never greeted ---- */

static int rule_half_open(const struct cd_probe_input *in,
			  const struct cd_summary *s, struct cd_findings *out)
{
	const struct probe_result *r = in->res;
	double waited[CD_EV_VALUES];
	size_t i, n = 0, hit = 0, established = 0, partial = 0;
	size_t socket_ok = 0, socket_total = 0;
	uint32_t least = UINT32_MAX, most = 0;
	char got[64], slow[96];
	struct cd_finding *f;

	for (i = 0; i < r->nattempts; i++) {
		const struct cd_attempt *a = &r->attempts[i];

		if (!is_tcp(in, a)) {
			socket_total++;
			if (a->outcome == CD_OK)
				socket_ok++;
			continue;
		}
		if (a->outcome != CD_GREETING_TIMEOUT)
			continue;
		hit++;
		established += a->tcp_state_at_fail == TCP_ESTABLISHED_STATE;
		partial += a->greeting_partial;
		if (a->greeting_bytes < least)
			least = a->greeting_bytes;
		if (a->greeting_bytes > most)
			most = a->greeting_bytes;
		if (n < CD_EV_VALUES)
			waited[n++] = secs(a->phase_ns[CD_PH_GREETING]);
	}
	if (!hit)
		return 0;
	f = cd_finding_add(out, "CD3003", share_severity(hit, s->total));
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "%zu of %zu connections were ESTABLISHED but got no greeting "
		 "in %.1f s",
		 hit, s->total, waited[0]);
	if (least == most)
		snprintf(got, sizeof(got), "%u bytes received", most);
	else
		snprintf(got, sizeof(got), "%u to %u bytes received", least,
			 most);
	slow[0] = '\0';
	if (partial)
		snprintf(slow, sizeof(slow),
			 "; %zu got the start of a MySQL greeting: a slow "
			 "server, not a silent one",
			 partial);
	snprintf(f->evidence, sizeof(f->evidence),
		 "TCP_INFO state ESTABLISHED at the greeting timeout in %zu of "
		 "%zu, %s%s%s",
		 established, hit, got, slow,
		 socket_total ? (socket_ok == socket_total
					 ? "; the Unix socket greeted every "
					   "time, so mysqld itself answers"
					 : "; the Unix socket failed too")
			      : "");
	cd_finding_num(f, "half_open", (double)hit);
	cd_finding_num(f, "established", (double)established);
	cd_finding_num(f, "greeting_bytes", most);
	cd_finding_num(f, "partial_greeting", (double)partial);
	cd_finding_list(f, "waited_s", waited, n);
	if (socket_total)
		cd_finding_num(f, "socket_ok", (double)socket_ok);
	return 0;
}

/* ---- CD2003: greeting delayed by the server's resolver ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int rule_resolver_greeting(const struct cd_probe_input *in,
				  const struct cd_summary *s,
				  struct cd_findings *out)
{
	const struct probe_result *r = in->res;
	double *g, period = in->facts->resolv_timeout_s;
	size_t i, n = 0, slow = 0;
	struct cd_ladder_fit fit;
	double slow_v[CD_EV_VALUES], conn_p50;
	size_t nslow = 0;
	int serial = 0, parallel = 0;
	struct cd_finding *f;

	g = malloc((r->nattempts ? r->nattempts : 1) * sizeof(*g));
	if (!g)
		return -1;
	/* Greeting waits that ended in a greeting or in the server closing
	 * (TCP wrappers deny after the lookup). */
	for (i = 0; i < r->nattempts; i++) {
		const struct cd_attempt *a = &r->attempts[i];

		if (!is_tcp(in, a) || a->phase_ns[CD_PH_GREETING] < 0)
			continue;
		if (a->outcome != CD_OK && a->failed_phase == CD_PH_GREETING &&
		    a->outcome != CD_CLOSED_BEFORE_GREETING &&
		    a->outcome != CD_SERVER_REFUSED)
			continue; /* no answer at all: not a measured wait */
		g[n++] = secs(a->phase_ns[CD_PH_GREETING]);
	}
	if (period <= 0)
		period = 5;
	cd_fit_multiples(g, n, period, &fit);
	for (i = 0; i < n; i++)
		if (g[i] >= 1.0) {
			slow++;
			if (nslow < CD_EV_VALUES)
				slow_v[nslow++] = g[i];
		}
	conn_p50 = secs(s->phase[CD_PH_CONNECT].p50);
	free(g);
	if (!(fit.hits >= 2 || (slow >= 2 && slow * 2 >= n && conn_p50 < 0.2)))
		return 0;

	/* Serial (10, 20, 30 s: one lookup at a time in an accept loop) or
	 * parallel (all alike: lookups in each connection's thread)? */
	qsort(slow_v, nslow, sizeof(*slow_v), cmp_double);
	if (nslow >= 3 && in->cfg->concurrency > 1) {
		if (slow_v[nslow - 1] >= 2.5 * slow_v[0])
			serial = 1;
		else if (slow_v[nslow - 1] <= 1.3 * slow_v[0])
			parallel = 1;
	}
	f = cd_finding_add(
		out, "CD2003",
		share_severity(fit.hits ? fit.hits : slow, s->total));
	if (!f)
		return -1;
	if (fit.hits >= 2)
		snprintf(f->summary, sizeof(f->summary),
			 "%u of %zu greetings came after multiples of %.0f s, "
			 "the resolver timeout%s",
			 fit.hits, s->total, period,
			 serial ? "; they pile up one after another" : "");
	else
		snprintf(f->summary, sizeof(f->summary),
			 "%zu of %zu greetings took over 1 s while connects "
			 "took %.3f s%s",
			 slow, s->total, conn_p50,
			 serial ? "; they pile up one after another" : "");
	snprintf(f->evidence, sizeof(f->evidence),
		 "greeting waits (s): %.2f .. %.2f; resolver timeout %d s x "
		 "%d attempts per lookup here; %s",
		 nslow ? slow_v[0] : 0, nslow ? slow_v[nslow - 1] : 0,
		 in->facts->resolv_timeout_s, in->facts->resolv_attempts,
		 serial	    ? "serialised waits point at a check in the accept "
			      "loop (TCP wrappers)"
		 : parallel ? "equal waits in parallel point at mysqld's own "
			      "name resolution (skip_name_resolve=OFF)"
			    : "run with -c 3 or more to tell TCP wrappers from "
			      "mysqld's own resolution");
	cd_finding_num(f, "resolver_timeout_s", period);
	cd_finding_num(f, "on_ladder", fit.hits);
	cd_finding_list(f, "greeting_s", slow_v, nslow);
	cd_finding_num(f, "serialized", serial);
	cd_finding_num(f, "parallel", parallel);
	return 0;
}

/* ---- CD3006: TCP fails, the socket works ---- */

static int rule_compare(const struct cd_probe_input *in,
			struct cd_findings *out)
{
	const struct probe_result *r = in->res;
	size_t i, tcp = 0, tcp_fail = 0, sock = 0, sock_fail = 0;
	struct cd_finding *f;

	for (i = 0; i < r->nattempts; i++) {
		const struct cd_attempt *a = &r->attempts[i];

		if (is_tcp(in, a)) {
			tcp++;
			tcp_fail += a->outcome != CD_OK;
		} else {
			sock++;
			sock_fail += a->outcome != CD_OK;
		}
	}
	if (!tcp || !sock || sock_fail || tcp_fail * 2 < tcp)
		return 0;
	f = cd_finding_add(out, "CD3006", CD_SEV_CRITICAL);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "%zu of %zu TCP attempts failed while %zu of %zu over the "
		 "Unix socket worked",
		 tcp_fail, tcp, sock - sock_fail, sock);
	snprintf(f->evidence, sizeof(f->evidence),
		 "same server, same credentials and query; only the transport "
		 "differs");
	cd_finding_num(f, "tcp_attempts", (double)tcp);
	cd_finding_num(f, "tcp_failures", (double)tcp_fail);
	cd_finding_num(f, "socket_attempts", (double)sock);
	cd_finding_num(f, "socket_failures", (double)sock_fail);
	return 0;
}

/* ---- CD3008 / CD3009: every Nth, bursts ---- */

static int rule_time_patterns(const struct cd_probe_input *in,
			      const struct cd_summary *s,
			      struct cd_findings *out)
{
	const struct probe_result *r = in->res;
	uint32_t *fails;
	int64_t *times;
	size_t i, n = 0;
	struct cd_period per;
	struct cd_burst burst;
	struct cd_finding *f;
	int rc = 0;

	if (in->ramp)
		return 0; /* levels change on purpose: no stationarity */
	fails = malloc((r->nattempts + 1) * sizeof(*fails));
	times = malloc((r->nattempts + 1) * sizeof(*times));
	if (!fails || !times) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < r->nattempts; i++)
		if (r->attempts[i].outcome != CD_OK) {
			fails[n] = r->attempts[i].seq;
			times[n++] = r->attempts[i].start_ns;
		}
	/* Attempts are stored in completion order: sort by start. */
	for (i = 1; i < n; i++) {
		size_t j = i;

		while (j > 0 && fails[j - 1] > fails[j]) {
			uint32_t t = fails[j];
			int64_t tt = times[j];

			fails[j] = fails[j - 1];
			times[j] = times[j - 1];
			fails[j - 1] = t;
			times[j - 1] = tt;
			j--;
		}
	}
	cd_find_period(fails, n, s->total, &per);
	if (per.stride) {
		f = cd_finding_add(out, "CD3008", CD_SEV_WARNING);
		if (!f) {
			rc = -1;
			goto out;
		}
		snprintf(f->summary, sizeof(f->summary),
			 "every %u%s attempt failed (%u failures, first at "
			 "attempt %u)",
			 per.stride,
			 per.stride == 2   ? "nd"
			 : per.stride == 3 ? "rd"
					   : "th",
			 per.failures, per.first_seq);
		snprintf(f->evidence, sizeof(f->evidence),
			 "failed attempts are exactly %u apart in start order "
			 "over %zu attempts and %u targets",
			 per.stride, s->total, in->cfg->ntargets);
		cd_finding_num(f, "stride", per.stride);
		cd_finding_num(f, "failures", per.failures);
	}
	cd_find_burst(times, n, s->last_end_ns - s->first_start_ns, &burst);
	if (burst.found && n < s->total) {
		f = cd_finding_add(out, "CD3009", CD_SEV_WARNING);
		if (!f) {
			rc = -1;
			goto out;
		}
		snprintf(f->summary, sizeof(f->summary),
			 "%zu of %zu failures fell within %.2f s of a %.2f s "
			 "run",
			 burst.in_window, burst.failures,
			 secs(burst.end_ns - burst.start_ns),
			 secs(burst.run_ns));
		snprintf(f->evidence, sizeof(f->evidence),
			 "burst from %.2f s to %.2f s after the first attempt",
			 secs(burst.start_ns - s->first_start_ns),
			 secs(burst.end_ns - s->first_start_ns));
		cd_finding_num(f, "burst_start_s",
			       secs(burst.start_ns - s->first_start_ns));
		cd_finding_num(f, "burst_end_s",
			       secs(burst.end_ns - s->first_start_ns));
		cd_finding_num(f, "in_burst", (double)burst.in_window);
	}
out:
	free(fails);
	free(times);
	return rc;
}

/* ---- CD3007: the concurrency threshold of a ramp ---- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

size_t cd_ramp_levels(const struct probe_result *res, unsigned repeat,
		      struct cd_level_stat *lv, size_t max)
{
	size_t i, n = 0, k;

	for (i = 0; i < res->nattempts; i++) {
		const struct cd_attempt *a = &res->attempts[i];

		if (a->repeat != repeat)
			continue;
		for (k = 0; k < n; k++)
			if (lv[k].level == a->level)
				break;
		if (k == n) {
			if (n == max)
				continue;
			memset(&lv[n], 0, sizeof(lv[n]));
			lv[n++].level = a->level;
		}
		lv[k].attempts++;
		lv[k].failures += a->outcome != CD_OK;
	}
	/* Levels run in order, but sort to be sure, then the p90s. */
	for (i = 1; i < n; i++)
		for (k = i; k > 0 && lv[k - 1].level > lv[k].level; k--) {
			struct cd_level_stat t = lv[k];

			lv[k] = lv[k - 1];
			lv[k - 1] = t;
		}
	for (k = 0; k < n; k++) {
		int64_t *v = malloc((lv[k].attempts + 1) * sizeof(*v));
		size_t m = 0;

		if (!v)
			continue;
		for (i = 0; i < res->nattempts; i++) {
			const struct cd_attempt *a = &res->attempts[i];

			if (a->repeat == repeat && a->level == lv[k].level &&
			    a->outcome == CD_OK)
				v[m++] = a->total_ns;
		}
		qsort(v, m, sizeof(*v), cmp_i64);
		lv[k].p90_ns = cd_percentile(v, m, 90);
		free(v);
	}
	return n;
}

#define RAMP_MAX_LEVELS 64

static int rule_threshold(const struct cd_probe_input *in,
			  struct cd_findings *out)
{
	struct cd_level_stat lv[RAMP_MAX_LEVELS];
	double thr[CD_EV_VALUES], lvl[CD_EV_VALUES], fails[CD_EV_VALUES],
		p90[CD_EV_VALUES];
	unsigned rep, nthr = 0, stable = 1;
	size_t n = 0, k;
	struct cd_finding *f;

	if (!in->ramp)
		return 0;
	for (rep = 0; rep < in->repeats && rep < CD_EV_VALUES; rep++) {
		n = cd_ramp_levels(in->res, rep, lv, RAMP_MAX_LEVELS);
		thr[nthr++] = cd_threshold(lv, n);
		if (thr[nthr - 1] != thr[0])
			stable = 0;
	}
	if (nthr == 0 || thr[0] == 0)
		return 0; /* first repeat clean: report instability only */
	f = cd_finding_add(out, "CD3007", CD_SEV_WARNING);
	if (!f)
		return -1;
	/* Levels of the last repeat for the evidence lists. */
	for (k = 0; k < n && k < CD_EV_VALUES; k++) {
		lvl[k] = lv[k].level;
		fails[k] = (double)lv[k].failures;
		p90[k] = (double)lv[k].p90_ns / 1e6;
	}
	snprintf(f->summary, sizeof(f->summary),
		 "failures or latency begin at concurrency %.0f (%s over %u "
		 "repeats)",
		 thr[0], stable ? "stable" : "not stable", nthr);
	snprintf(f->evidence, sizeof(f->evidence),
		 "a level counts when any attempt fails or its p90 exceeds "
		 "twice the first level's p90 plus 20 ms");
	cd_finding_num(f, "threshold", thr[0]);
	cd_finding_list(f, "thresholds", thr, nthr);
	cd_finding_num(f, "stable", stable);
	cd_finding_list(f, "levels", lvl, k);
	cd_finding_list(f, "failures_per_level", fails, k);
	cd_finding_list(f, "p90_ms_per_level", p90, k);
	return 0;
}

/* ---- CD2002: slow client-side resolution ---- */

static int rule_slow_resolve(const struct cd_summary *s,
			     struct cd_findings *out)
{
	const struct cd_stats *st = &s->phase[CD_PH_RESOLVE];
	struct cd_finding *f;

	if (st->n == 0 || st->p90 < 1000000000)
		return 0;
	f = cd_finding_add(out, "CD2002", CD_SEV_WARNING);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "resolving the server's name took %.2f s at p90 (max %.2f s)",
		 secs(st->p90), secs(st->max));
	snprintf(f->evidence, sizeof(f->evidence),
		 "getaddrinfo() per attempt, as the client library does");
	cd_finding_num(f, "resolve_p50_s", secs(st->p50));
	cd_finding_num(f, "resolve_p90_s", secs(st->p90));
	cd_finding_num(f, "resolve_max_s", secs(st->max));
	return 0;
}

/* CD8012: the server's replies carried sequence ids out of order. */
static int rule_sequence(const struct cd_probe_input *in,
			 const struct cd_summary *s, struct cd_findings *out)
{
	const struct cd_attempt *a;
	size_t hit = seq_faults(in->res, &a);
	struct cd_finding *f;

	if (!hit)
		return 0;
	f = cd_finding_add(out, "CD8012", share_severity(hit, s->total));
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "%zu of %zu attempts got packets out of order from the "
		 "server",
		 hit, s->total);
	snprintf(f->evidence, sizeof(f->evidence),
		 "first: attempt %u in phase %s: sequence id %u where %u was "
		 "due",
		 a->seq, cd_phase_name(a->failed_phase), a->seq_got,
		 a->seq_expected);
	cd_finding_num(f, "attempts", (double)s->total);
	cd_finding_num(f, "failures", (double)hit);
	cd_finding_num(f, "expected", a->seq_expected);
	cd_finding_num(f, "got", a->seq_got);
	return 0;
}

int cd_rules_probe(const struct cd_probe_input *in, struct cd_findings *out)
{
	struct cd_summary s;
	int rc;

	if (cd_summarize_result(in->res, -1, &s))
		return -1;
	if (s.total == 0)
		return 0;
	rc = rule_classes(in, &s, out);
	if (!rc)
		rc = rule_sequence(in, &s, out);
	if (!rc)
		rc = rule_login_errs(in, &s, out);
	if (!rc)
		rc = rule_gone_away(in, &s, out);
	if (!rc)
		rc = rule_statement_time(in, &s, out);
	if (!rc)
		rc = rule_syn_ladder(in, &s, out);
	if (!rc)
		rc = rule_half_open(in, &s, out);
	if (!rc)
		rc = rule_resolver_greeting(in, &s, out);
	if (!rc)
		rc = rule_compare(in, out);
	if (!rc)
		rc = rule_time_patterns(in, &s, out);
	if (!rc)
		rc = rule_threshold(in, out);
	if (!rc)
		rc = rule_slow_resolve(&s, out);
	cd_findings_sort(out);
	return rc;
}
