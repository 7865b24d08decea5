/* links.c - the idle session's ends sorted into cuts, the replica's status
 * row parsed and joined with its TCP connection to its primary (sock_diag
 * with tcp_info, check/census.c), and the series of both. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/census.h"
#include "check/firewall.h"
#include "mysql/mysql.h"
#include "watch/links.h"
#include "watch/watch.h"

static const char *const cut_names[WATCH_CUT__COUNT] = {
	"fin", "rst", "server_error", "check_failed"};

static double unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int watch_idle_done(struct watch_link *l, enum cd_transport tr,
		    const struct cd_attempt *a)
{
	enum watch_cut how;
	int64_t idle_ns;

	l->idle_tr = (int)tr;
	if (a->phase_ns[CD_PH_IDLE] < 0)
		return 0; /* never logged in: not a cut */
	if (a->idle_cut_ns >= 0) {
		idle_ns = a->idle_cut_ns;
		how = a->mysql_code		   ? WATCH_CUT_SERVER_ERROR
		      : a->sys_errno == ECONNRESET ? WATCH_CUT_RST
						   : WATCH_CUT_FIN;
	} else if (a->outcome == CD_OK) {
		l->survived++;
		return 1;
	} else { /* the check after idle-check found it dead */
		idle_ns = a->phase_ns[CD_PH_IDLE];
		how = WATCH_CUT_CHECK_FAILED;
	}
	l->cuts[how]++;
	l->have_cut = 1;
	l->last_how = how;
	l->last_code = a->mysql_code;
	l->last_idle_s = (double)idle_ns / 1e9;
	l->last_cut_unix = unix_now();
	return 1;
}

/* ---- the replica's status ---- */

enum {
	COL_IO,
	COL_SQL,
	COL_LAG,
	COL_HOST,
	COL_PORT,
	COL_HB_PERIOD,
	COL_HB_COUNT,
	COL__COUNT
};
/* Each column as MariaDB (and MySQL's SHOW SLAVE STATUS) names it, and as
 * MySQL 8.0.22+'s SHOW REPLICA STATUS does (NULL: it has none). */
static const char *const col_names[COL__COUNT][2] = {
	{"Slave_IO_Running", "Replica_IO_Running"},
	{"Slave_SQL_Running", "Replica_SQL_Running"},
	{"Seconds_Behind_Master", "Seconds_Behind_Source"},
	{"Master_Host", "Source_Host"},
	{"Master_Port", "Source_Port"},
	{"Slave_heartbeat_period", NULL},
	{"Slave_received_heartbeats", NULL}};

const char *const watch_replica_queries[WATCH_REPLICA_QUERIES] = {
	"SHOW ALL SLAVES STATUS", "SHOW REPLICA STATUS", "SHOW SLAVE STATUS"};

int watch_replica_next_query(int cur, const struct cd_attempt *a)
{
	if (a->outcome == CD_QUERY_ERROR && a->mysql_code == 1064 &&
	    cur + 1 < WATCH_REPLICA_QUERIES)
		return cur + 1;
	return cur;
}

/* Columns a status row may have at most; a longer one is not parsed. */
#define STATUS_COLS_MAX 128

void watch_replica_parse_init(struct watch_replica_parse *p)
{
	int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < COL__COUNT; i++)
		p->col[i] = -1;
	p->st.lag_s = p->st.heartbeat_s = p->st.heartbeats = -1;
}

static int cell_is(const struct mysql_cell *c, const char *s)
{
	return !c->is_null && c->data && c->len == strlen(s) &&
	       !memcmp(c->data, s, c->len);
}

void watch_replica_parse_pkt(struct watch_replica_parse *p, int row,
			     const uint8_t *pkt, size_t len)
{
	struct mysql_cell cells[STATUS_COLS_MAX];
	const struct mysql_cell *c;
	const uint8_t *name;
	size_t nlen;
	double v;
	int i;

	if (!row) {
		if (mysql_coldef_name(pkt, len, &name, &nlen) == MYSQL_OK)
			for (i = 0; i < COL__COUNT * 2; i++) {
				const char *cn = col_names[i / 2][i % 2];

				if (cn && nlen == strlen(cn) &&
				    !memcmp(name, cn, nlen))
					p->col[i / 2] = (int)p->ncols;
			}
		p->ncols++;
		return;
	}
	if (p->have_row || p->ncols > STATUS_COLS_MAX ||
	    mysql_row_cells(pkt, len, p->ncols, cells, STATUS_COLS_MAX) !=
		    MYSQL_OK)
		return; /* the first row only: the default connection */
	p->have_row = 1;
	if (p->col[COL_IO] >= 0)
		p->st.io_running = cell_is(&cells[p->col[COL_IO]], "Yes");
	if (p->col[COL_SQL] >= 0)
		p->st.sql_running = cell_is(&cells[p->col[COL_SQL]], "Yes");
	if (p->col[COL_LAG] >= 0)
		p->st.lag_s = mysql_cell_num(&cells[p->col[COL_LAG]]);
	if (p->col[COL_HB_PERIOD] >= 0)
		p->st.heartbeat_s =
			mysql_cell_num(&cells[p->col[COL_HB_PERIOD]]);
	if (p->col[COL_HB_COUNT] >= 0)
		p->st.heartbeats = mysql_cell_num(&cells[p->col[COL_HB_COUNT]]);
	if (p->col[COL_PORT] >= 0) {
		v = mysql_cell_num(&cells[p->col[COL_PORT]]);
		p->st.master_port = v > 0 && v < 65536 ? (unsigned)v : 0;
	}
	if (p->col[COL_HOST] >= 0) {
		c = &cells[p->col[COL_HOST]];
		if (!c->is_null && c->data &&
		    c->len < sizeof(p->st.master_host))
			memcpy(p->st.master_host, c->data, c->len);
	}
}

/* The primary's addresses as the census keeps them (IPv4 mapped into
 * IPv6). A name is looked up here, on the loop (watch_replica_done keeps
 * the answer while Master_Host stays the same). */
static size_t primary_addrs(const char *host, struct in6_addr *out, size_t max)
{
	struct addrinfo hints, *res, *ai;
	size_t n = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (!host[0] || getaddrinfo(host, NULL, &hints, &res))
		return 0;
	for (ai = res; ai && n < max; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *s4 =
				(const struct sockaddr_in *)ai->ai_addr;

			memset(&out[n], 0, sizeof(out[n]));
			out[n].s6_addr[10] = out[n].s6_addr[11] = 0xff;
			memcpy(&out[n].s6_addr[12], &s4->sin_addr, 4);
			n++;
		} else if (ai->ai_family == AF_INET6) {
			out[n++] = ((const struct sockaddr_in6 *)ai->ai_addr)
					   ->sin6_addr;
		}
	}
	freeaddrinfo(res);
	return n;
}

/* The replica's connection to its primary: an ESTABLISHED client socket
 * of this namespace to Master_Host:Master_Port; of several (other clients
 * of the primary on this host), the one that received the most. */
/* Whether the primary's packets to census socket s are accepted only as
 * ESTABLISHED: after a conntrack flush a mid-stream one is NEW (or INVALID
 * with nf_conntrack_tcp_loose=0) and dropped. 1, 0, or -1 unknown. */
static int stateful_only(const struct chk_census *c, size_t s,
			 const struct watch_fw *fw)
{
	struct chk_fw_view v;
	int est, after;

	if (!fw || !fw->rs)
		return -1;
	memset(&v, 0, sizeof(v));
	v.rs = fw->rs;
	v.census = c;
	v.tcp_loose = fw->tcp_loose;
	est = chk_fw_sock_verdict(&v, s, 1, CHK_CT_ESTABLISHED, NULL);
	after = chk_fw_sock_verdict(
		&v, s, 1, fw->tcp_loose == 0 ? CHK_CT_INVALID : CHK_CT_NEW,
		NULL);
	if (est < 0 || after < 0)
		return -1;
	return est == 1 && after == 0;
}

static void find_link(struct watch_link *l, const struct watch_fw *fw)
{
	struct watch_replica_link *lk = &l->link;
	const struct in6_addr *dst = l->addrs;
	struct chk_census c;
	const struct chk_sock *best = NULL;
	uint16_t port = (uint16_t)l->st.master_port;
	char err[160];
	size_t n, i, k;

	memset(lk, 0, sizeof(*lk));
	if (!port)
		return;
	if (!l->naddrs || strcmp(l->addrs_of, l->st.master_host)) {
		l->naddrs = primary_addrs(l->st.master_host, l->addrs, 8);
		snprintf(l->addrs_of, sizeof(l->addrs_of), "%s",
			 l->st.master_host);
	}
	n = l->naddrs;
	if (!n)
		return;
	memset(&c, 0, sizeof(c));
	if (chk_census_read_info(&c, &port, 1, err, sizeof(err)) == 0)
		for (i = 0; i < c.ntcp; i++) {
			const struct chk_sock *s = &c.tcp[i];

			if (s->server_side || s->dport != port || !s->have_info)
				continue;
			for (k = 0; k < n; k++)
				if (!memcmp(&s->dst, &dst[k], sizeof(dst[k])))
					break;
			if (k < n &&
			    (!best || s->bytes_received > best->bytes_received))
				best = s;
		}
	if (best) {
		lk->stateful_only =
			stateful_only(&c, (size_t)(best - c.tcp), fw);
		lk->found = 1;
		lk->recv_idle_s = best->last_data_recv_ms / 1e3;
		lk->bytes_received = best->bytes_received;
		lk->total_retrans = best->total_retrans;
		lk->keepalive = best->timer == 2;
		lk->keepalive_s = best->expires_ms / 1e3;
	}
	chk_census_free(&c);
}

void watch_replica_done(struct watch_link *l, const struct cd_attempt *a,
			const struct watch_replica_parse *p,
			const struct watch_fw *fw)
{
	l->rep_polled = 1;
	l->rep_ok = a->outcome == CD_OK;
	if (!l->rep_ok) {
		l->rep_have = 0;
		l->stalled = 0;
		return;
	}
	l->rep_have = p->have_row;
	l->st = p->st;
	if (l->rep_have)
		find_link(l, fw);
	else
		memset(&l->link, 0, sizeof(l->link));
	/* Half a period of margin: a heartbeat comes a period after the
	 * last event, a little late at worst. */
	l->stalled = l->rep_have && l->st.io_running && l->link.found &&
		     l->st.heartbeat_s > 0 &&
		     l->link.recv_idle_s > 1.5 * l->st.heartbeat_s;
}

/* ---- the series ---- */

int watch_links_any(const struct watch_state *s)
{
	size_t i;

	for (i = 0; i < s->cfg->ntargets; i++)
		if (s->cfg->targets[i].idle_survival ||
		    s->cfg->targets[i].replica || s->cfg->targets[i].host_cache)
			return 1;
	return 0;
}

enum fam {
	F_CUTS,
	F_SURVIVED,
	F_CUT_IDLE,
	F_CUT_TIME,
	F_CUT_INFO,
	F_REP_SUCCESS,
	F_REP_CONFIGURED,
	F_IO,
	F_SQL,
	F_LAG,
	F_HB_PERIOD,
	F_HB_COUNT,
	F_PRIMARY,
	F_LINK_FOUND,
	F_LINK_IDLE,
	F_LINK_BYTES,
	F_LINK_RETRANS,
	F_LINK_KEEPALIVE,
	F_LINK_STATEFUL,
	F__COUNT
};

static const struct {
	const char *name, *type, *help;
	int idle; /* an idle-survival family, else a replica one */
} fams[F__COUNT] = {
	{"conndoctor_idle_cuts_total", "counter",
	 "Idle sessions cut, by how: fin, rst, server_error (an ERR then "
	 "the close), check_failed (the check after idle-check failed).",
	 1},
	{"conndoctor_idle_sessions_survived_total", "counter",
	 "Idle sessions that held idle-check and answered the check.", 1},
	{"conndoctor_idle_cut_idle_seconds", "gauge",
	 "How long the last cut session had been idle.", 1},
	{"conndoctor_idle_cut_timestamp_seconds", "gauge",
	 "When the last idle session was cut, Unix time.", 1},
	{"conndoctor_idle_last_cut_info", "gauge",
	 "1, with how the last idle session was cut and the server's "
	 "error code (0: none).",
	 1},
	{"conndoctor_replica_status_success", "gauge",
	 "1 when the last SHOW ALL SLAVES STATUS was answered.", 0},
	{"conndoctor_replica_configured", "gauge",
	 "1 when the status has a row: the server is a replica.", 0},
	{"conndoctor_replica_io_running", "gauge",
	 "1 while the replica's IO thread runs (Slave_IO_Running: Yes).", 0},
	{"conndoctor_replica_sql_running", "gauge",
	 "1 while the replica's SQL thread runs.", 0},
	{"conndoctor_replica_lag_seconds", "gauge",
	 "Seconds_Behind_Master (absent while NULL).", 0},
	{"conndoctor_replica_heartbeat_period_seconds", "gauge",
	 "The replica's MASTER_HEARTBEAT_PERIOD (Slave_heartbeat_period).", 0},
	{"conndoctor_replica_heartbeats_received_total", "counter",
	 "Heartbeats the replica received (Slave_received_heartbeats).", 0},
	{"conndoctor_replica_primary_info", "gauge",
	 "1, with the primary the replica reads (Master_Host:Master_Port).", 0},
	{"conndoctor_replica_link_found", "gauge",
	 "1 when the replica's TCP connection to its primary was found on "
	 "this host (sock_diag).",
	 0},
	{"conndoctor_replica_link_receive_idle_seconds", "gauge",
	 "Time since the replica's connection to its primary last received "
	 "data (tcp_info last_data_recv).",
	 0},
	{"conndoctor_replica_link_received_bytes_total", "counter",
	 "Bytes the replica's connection to its primary received "
	 "(tcp_info bytes_received; starts over with a new connection).",
	 0},
	{"conndoctor_replica_link_retransmits_total", "counter",
	 "Segments the replica's connection to its primary retransmitted "
	 "(tcp_info total_retrans).",
	 0},
	{"conndoctor_replica_link_keepalive_seconds", "gauge",
	 "Time until the connection's keepalive timer fires (absent "
	 "without one).",
	 0},
	{"conndoctor_replica_link_stateful_only", "gauge",
	 "1 when this host's firewall accepts the primary's packets on the "
	 "connection only as ESTABLISHED, so a conntrack flush cuts it "
	 "silently (absent when the rules cannot be read).",
	 0},
};

/* Writes target t's line of family f, if it has one. */
static void sample(FILE *out, enum fam f, const struct watch_target *t,
		   const struct watch_link *l)
{
	struct rpt_prom_label lb[WATCH_LABELS_MAX + 4];
	char code[8], primary[300];
	size_t n;
	int k;

	if (fams[f].idle) {
		if (!t->idle_survival || l->idle_tr < 0 ||
		    (f > F_SURVIVED && !l->have_cut))
			return;
		n = watch_target_labels(t, lb, l->idle_tr);
		switch (f) {
		case F_CUTS:
			for (k = 0; k < WATCH_CUT__COUNT; k++)
				rpt_prom_sample(out, fams[f].name, lb, n, "how",
						cut_names[k],
						(double)l->cuts[k]);
			return;
		case F_SURVIVED:
			rpt_prom_sample(out, fams[f].name, lb, n, NULL, NULL,
					(double)l->survived);
			return;
		case F_CUT_IDLE:
		case F_CUT_TIME:
			rpt_prom_sample(out, fams[f].name, lb, n, NULL, NULL,
					f == F_CUT_IDLE ? l->last_idle_s
							: l->last_cut_unix);
			return;
		default:
			snprintf(code, sizeof(code), "%u",
				 (unsigned)l->last_code);
			lb[n].key = "how";
			lb[n].value = cut_names[l->last_how];
			rpt_prom_sample(out, fams[f].name, lb, n + 1, "code",
					code, 1);
			return;
		}
	}
	if (!t->replica || !l->rep_polled)
		return;
	n = watch_target_labels(t, lb, -1);
	if (f == F_REP_SUCCESS) {
		rpt_prom_sample(out, fams[f].name, lb, n, NULL, NULL,
				l->rep_ok);
		return;
	}
	if (!l->rep_ok)
		return;
	if (f == F_REP_CONFIGURED) {
		rpt_prom_sample(out, fams[f].name, lb, n, NULL, NULL,
				l->rep_have);
		return;
	}
	if (!l->rep_have)
		return;
	switch (f) {
	case F_IO:
	case F_SQL:
		rpt_prom_sample(out, fams[f].name, lb, n, NULL, NULL,
				f == F_IO ? l->st.io_running
					  : l->st.sql_running);
		return;
	case F_LAG:
	case F_HB_PERIOD:
	case F_HB_COUNT: {
		double v = f == F_LAG	      ? l->st.lag_s
			   : f == F_HB_PERIOD ? l->st.heartbeat_s
					      : l->st.heartbeats;

		if (v >= 0)
			rpt_prom_sample(out, fams[f].name, lb, n, NULL, NULL,
					v);
		return;
	}
	case F_PRIMARY:
		snprintf(primary, sizeof(primary), "%s:%u", l->st.master_host,
			 l->st.master_port);
		rpt_prom_sample(out, fams[f].name, lb, n, "primary", primary,
				1);
		return;
	case F_LINK_FOUND:
		rpt_prom_sample(out, fams[f].name, lb, n, NULL, NULL,
				l->link.found);
		return;
	default:
		break;
	}
	if (!l->link.found || (f == F_LINK_KEEPALIVE && !l->link.keepalive) ||
	    (f == F_LINK_STATEFUL && l->link.stateful_only < 0))
		return;
	rpt_prom_sample(out, fams[f].name, lb, n, NULL, NULL,
			f == F_LINK_IDLE	? l->link.recv_idle_s
			: f == F_LINK_BYTES	? (double)l->link.bytes_received
			: f == F_LINK_RETRANS	? (double)l->link.total_retrans
			: f == F_LINK_KEEPALIVE ? l->link.keepalive_s
						: l->link.stateful_only);
}

void watch_links_render(FILE *out, const struct watch_state *s)
{
	int kinds[2] = {0, 0}; /* [idle]: some target has replica / idle */
	int hc = 0;
	size_t i;
	int f;

	for (i = 0; i < s->cfg->ntargets; i++) {
		kinds[1] |= s->cfg->targets[i].idle_survival;
		kinds[0] |= s->cfg->targets[i].replica;
		hc |= s->cfg->targets[i].host_cache;
	}
	if (hc)
		watch_hc_render(out, s);
	for (f = 0; f < F__COUNT; f++) {
		if (!kinds[fams[f].idle])
			continue;
		rpt_prom_family(out, fams[f].name, fams[f].type, fams[f].help);
		for (i = 0; i < s->cfg->ntargets; i++)
			sample(out, (enum fam)f, &s->cfg->targets[i],
			       &s->links[i]);
	}
}
