/* fields.c - the table of attempt fields every renderer walks: a field is
 * added here once and shows up in text (-v) and JSON alike. */
#include "report/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mysql/compress.h"

#define GETTER(name)                                                           \
	static void name(const struct rpt_probe *p,                            \
			 const struct cd_attempt *a, struct rpt_value *v,      \
			 char *scratch, size_t len)

static void set_int(struct rpt_value *v, long long i)
{
	v->kind = RPT_INT;
	v->present = 1;
	v->i = i;
}

static void set_str(struct rpt_value *v, const char *s)
{
	v->kind = RPT_STR;
	v->present = s != NULL;
	v->s = s;
}

static void set_ns(struct rpt_value *v, int64_t ns)
{
	v->kind = RPT_SECONDS;
	v->present = ns >= 0;
	v->d = (double)ns / 1e9;
}

GETTER(f_seq)
{
	(void)p, (void)scratch, (void)len;
	set_int(v, a->seq);
}

GETTER(f_target)
{
	(void)scratch, (void)len;
	set_str(v, p->cfg->targets[a->target].label);
}

GETTER(f_transport)
{
	(void)scratch, (void)len;
	set_str(v, p->cfg->targets[a->target].transport == CD_TCP ? "tcp"
								  : "socket");
}

GETTER(f_level)
{
	(void)p, (void)scratch, (void)len;
	set_int(v, a->level);
}

GETTER(f_start)
{
	(void)p, (void)scratch, (void)len;
	set_ns(v, a->start_ns);
}

GETTER(f_outcome)
{
	(void)p, (void)scratch, (void)len;
	set_str(v, cd_outcome_name(a->outcome));
}

GETTER(f_failed_phase)
{
	(void)p, (void)scratch, (void)len;
	set_str(v, a->outcome == CD_OK ? NULL : cd_phase_name(a->failed_phase));
}

#define PHASE_GETTER(fn, ph)                                                   \
	GETTER(fn)                                                             \
	{                                                                      \
		(void)p, (void)scratch, (void)len;                             \
		set_ns(v, a->phase_ns[ph]);                                    \
	}
PHASE_GETTER(f_resolve, CD_PH_RESOLVE)
PHASE_GETTER(f_connect, CD_PH_CONNECT)
PHASE_GETTER(f_greeting, CD_PH_GREETING)
PHASE_GETTER(f_tls, CD_PH_TLS)
PHASE_GETTER(f_auth, CD_PH_AUTH)
PHASE_GETTER(f_idle, CD_PH_IDLE)
PHASE_GETTER(f_query, CD_PH_QUERY)
PHASE_GETTER(f_reuse, CD_PH_REUSE)
PHASE_GETTER(f_close, CD_PH_CLOSE)

GETTER(f_total)
{
	(void)p, (void)scratch, (void)len;
	set_ns(v, a->total_ns);
}

GETTER(f_errno)
{
	(void)p, (void)scratch, (void)len;
	set_int(v, a->sys_errno);
	v->present = a->sys_errno != 0;
}

GETTER(f_errno_name)
{
	(void)p;
	if (a->sys_errno > 0) {
		snprintf(scratch, len, "%s",
			 strerrorname_np(a->sys_errno)
				 ? strerrorname_np(a->sys_errno)
				 : "?");
		set_str(v, scratch);
	} else {
		set_str(v, NULL);
	}
}

GETTER(f_timed_out)
{
	(void)p, (void)scratch, (void)len;
	v->kind = RPT_BOOL;
	v->present = 1;
	v->i = a->timed_out;
}

GETTER(f_mysql_code)
{
	(void)p, (void)scratch, (void)len;
	set_int(v, a->mysql_code);
	v->present = a->mysql_code != 0;
}

GETTER(f_sqlstate)
{
	(void)p, (void)scratch, (void)len;
	set_str(v, a->sqlstate[0] ? a->sqlstate : NULL);
}

GETTER(f_message)
{
	(void)p, (void)scratch, (void)len;
	set_str(v, a->message[0] ? a->message : NULL);
}

void rpt_client_error(const struct rpt_probe *p, const struct cd_attempt *a,
		      char *buf, size_t len)
{
	const struct probe_target *t = &p->cfg->targets[a->target];

	cd_attempt_client_error(a, p->cfg->host,
				t->transport == CD_SOCKET ? t->label : NULL,
				p->res->server_is_mariadb, buf, len);
}

const struct cd_attempt *rpt_first_of_class(const struct probe_result *r,
					    enum cd_outcome k)
{
	size_t i;

	for (i = 0; i < r->nattempts; i++)
		if (r->attempts[i].outcome == k)
			return &r->attempts[i];
	return NULL;
}

GETTER(f_client_error)
{
	rpt_client_error(p, a, scratch, len);
	set_str(v, scratch[0] ? scratch : NULL);
}

GETTER(f_local_port)
{
	(void)p, (void)scratch, (void)len;
	set_int(v, a->local_port);
	v->present = a->local_port != 0;
}

GETTER(f_conn_id)
{
	(void)p, (void)scratch, (void)len;
	set_int(v, a->conn_id);
	v->present = a->phase_ns[CD_PH_GREETING] >= 0 && a->conn_id != 0;
}

GETTER(f_tls_used)
{
	(void)p, (void)scratch, (void)len;
	v->kind = RPT_BOOL;
	v->present = 1;
	v->i = a->tls;
}

GETTER(f_compression)
{
	(void)p, (void)scratch, (void)len;
	set_str(v, mysql_comp_algo_name((enum mysql_comp_algo)a->compress));
}

GETTER(f_qattrs_sent)
{
	(void)scratch, (void)len;
	v->kind = RPT_BOOL;
	v->present = p->cfg->nqattrs > 0;
	v->i = a->qattrs_sent;
}

GETTER(f_rtt)
{
	(void)p, (void)scratch, (void)len;
	set_int(v, a->tcpi.rtt_us);
	v->present = a->have_tcpi;
}

GETTER(f_retrans)
{
	(void)p, (void)scratch, (void)len;
	set_int(v, a->tcpi.total_retrans);
	v->present = a->have_tcpi;
}

GETTER(f_tcp_state)
{
	(void)p, (void)scratch, (void)len;
	set_int(v, a->tcp_state_at_fail);
	v->present = a->tcp_state_at_fail != 0;
}

GETTER(f_greeting_bytes)
{
	(void)p, (void)scratch, (void)len;
	set_int(v, a->greeting_bytes);
}

GETTER(f_idle_cut)
{
	(void)p, (void)scratch, (void)len;
	set_ns(v, a->idle_cut_ns);
}

static const struct rpt_field fields[] = {
	{"seq", f_seq, 5},
	{"target", f_target, 22},
	{"transport", f_transport, 0},
	{"level", f_level, 0},
	{"start_s", f_start, 0},
	{"outcome", f_outcome, 22},
	{"failed_phase", f_failed_phase, 0},
	{"resolve_s", f_resolve, 0},
	{"connect_s", f_connect, 9},
	{"greeting_s", f_greeting, 9},
	{"greeting_bytes", f_greeting_bytes, 14},
	{"tls_s", f_tls, 0},
	{"auth_s", f_auth, 9},
	{"idle_s", f_idle, 0},
	{"query_s", f_query, 9},
	{"reuse_s", f_reuse, 9},
	{"close_s", f_close, 9},
	{"total_s", f_total, 9},
	{"errno", f_errno, 0},
	{"errno_name", f_errno_name, 0},
	{"timed_out", f_timed_out, 0},
	{"mysql_code", f_mysql_code, 0},
	{"sqlstate", f_sqlstate, 0},
	{"message", f_message, 0},
	{"client_error", f_client_error, 0},
	{"local_port", f_local_port, 0},
	{"conn_id", f_conn_id, 0},
	{"tls", f_tls_used, 0},
	{"compression", f_compression, 0},
	{"query_attributes", f_qattrs_sent, 0},
	{"rtt_us", f_rtt, 0},
	{"total_retrans", f_retrans, 0},
	{"tcp_state_at_fail", f_tcp_state, 0},
	{"idle_cut_s", f_idle_cut, 0},
};

const struct rpt_field *rpt_attempt_fields(size_t *n)
{
	*n = sizeof(fields) / sizeof(fields[0]);
	return fields;
}
