/* slice_census.c - the census slice of `conndoctor check`: the states of
 * MySQL's TCP and Unix sockets (census.c), the listen and syncookie
 * counters of /proc/net/netstat (counters.c), and the rules that read them:
 * full accept queues, SYN_RECV pile-ups, syncookies, TIME_WAIT and
 * 4-tuple (ephemeral port) exhaustion, connections without keepalive. */
#include "check/census.h"
#include "check/fields.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A census fact's definition (check/fields.c). */
#define FC(x) (&chk_fields_census[CHK_FC_##x])

#define TW_DEST_WARN   1000 /* TIME_WAIT to one server worth a warning */
#define TW_SERVER_INFO 5000 /* TIME_WAIT on the server side worth a note */
#define SYN_RECV_WARN  64   /* half-open handshakes worth a warning */
#define MAX_DEST_FINDS 4    /* findings per rule for distinct servers */
#define MAX_DEST_FACTS 8
#define MAX_EXAMPLES   3

/* snprintf for human text: cutting a long address short is fine here. */
__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t len,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* The counters the slice shows and the rules read. */
static const char *const shown_counters[] = {
	"TcpExt.ListenOverflows",
	"TcpExt.ListenDrops",
	"TcpExt.SyncookiesSent",
	"TcpExt.SyncookiesRecv",
	"TcpExt.SyncookiesFailed",
	"TcpExt.TCPReqQFullDrop",
	"TcpExt.TCPReqQFullDoCookies",
	"TcpExt.TCPBacklogDrop",
	"TcpExt.TCPSynRetrans",
	"TcpExt.TCPTimeouts",
	"TcpExt.TCPAbortOnTimeout",
	"TcpExt.TCPAbortOnData",
	"TcpExt.TCPAbortOnClose",
	"TcpExt.TCPAbortOnLinger",
	"Tcp.RetransSegs",
	"Tcp.OutSegs",
	"Tcp.AttemptFails",
	"Tcp.EstabResets",
};

int chk_port_range_read(const char *procroot, int *lo, int *hi)
{
	char path[512], line[64], *end, *end2;
	FILE *fp;
	long a, b;

	snprintf(path, sizeof(path), "%s/sys/net/ipv4/ip_local_port_range",
		 procroot);
	fp = fopen(path, "re");
	if (!fp)
		return -1;
	if (!fgets(line, sizeof(line), fp)) {
		fclose(fp);
		return -1;
	}
	fclose(fp);
	a = strtol(line, &end, 10);
	b = strtol(end, &end2, 10);
	if (end == line || end2 == end || a < 1 || b > 65535 || a > b)
		return -1;
	*lo = (int)a;
	*hi = (int)b;
	return 0;
}

/* "0.0.0.0:3306" / "[::]:3306": a socket's local end. */
static void local_end(const struct chk_sock *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	chk_addr_str(&s->src, a, sizeof(a));
	snprintf(buf, len, IN6_IS_ADDR_V4MAPPED(&s->src) ? "%s:%u" : "[%s]:%u",
		 a, s->sport);
}

/* "10.0.0.2:3306 from 10.0.0.1": a client destination. */
static void dest_str(const struct chk_dest_use *d, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	chk_addr_str(&d->dst, a, sizeof(a));
	chk_addr_str(&d->src, b, sizeof(b));
	snprintf(buf, len,
		 IN6_IS_ADDR_V4MAPPED(&d->dst) ? "%s:%u from %s"
					       : "[%s]:%u from %s",
		 a, d->dport, b);
}

static double pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0;
}

/* ---- rules on the sockets ---- */

/* A full accept queue: a listener whose Recv-Q (queued, not accepted)
 * reached its Send-Q (backlog); Linux queues backlog + 1, then drops. */
static int queue_finding(struct cd_findings *out, const char *what, uint32_t q,
			 uint32_t b, int port)
{
	enum cd_severity sev;
	struct cd_finding *f;

	if (q > 0 && q >= b)
		sev = CD_SEV_CRITICAL;
	else if (b >= 5 && (uint64_t)q * 5 >= (uint64_t)b * 4)
		sev = CD_SEV_WARNING;
	else
		return 0;
	f = cd_finding_add(out, "CD3040", sev);
	if (!f)
		return -1;
	say(f->summary, sizeof(f->summary),
	    "the listener %s has %u connections waiting to be accepted, "
	    "backlog %u: %s",
	    what, q, b,
	    sev == CD_SEV_CRITICAL
		    ? "the accept queue is full, new connections are "
		      "dropped"
		    : "the accept queue is nearly full");
	say(f->evidence, sizeof(f->evidence),
	    "sock_diag: LISTEN socket %s, Recv-Q (accept queue) %u, "
	    "Send-Q (backlog) %u; the kernel queues backlog+1 "
	    "connections, then drops the SYNs of new ones",
	    what, q, b);
	if (port >= 0)
		cd_finding_num(f, "port", port);
	cd_finding_num(f, "accept_queue", q);
	cd_finding_num(f, "backlog", b);
	return 0;
}

static int rule_accept_queue(const struct chk_census *c,
			     struct cd_findings *out)
{
	char what[160];
	size_t i;

	for (i = 0; c->tcp_ok && i < c->ntcp; i++) {
		const struct chk_sock *s = &c->tcp[i];

		if (s->state != CHK_TCP_LISTEN || !s->server_side)
			continue;
		local_end(s, what, sizeof(what));
		if (queue_finding(out, what, s->rqueue, s->wqueue, s->sport))
			return -1;
	}
	for (i = 0; c->unix_ok && i < c->nunix; i++) {
		const struct chk_usock *u = &c->unix_[i];

		if (u->role != CHK_UROLE_LISTENER)
			continue;
		snprintf(what, sizeof(what), "%s", u->path);
		if (queue_finding(out, what, u->rqueue, u->wqueue, -1))
			return -1;
	}
	return 0;
}

static int rule_syn_recv(const struct chk_census *c,
			 const struct chk_census_sum *s,
			 struct cd_findings *out)
{
	struct cd_finding *f;
	unsigned max_retrans = 0, shown = 0;
	size_t i, used;

	if (!s->syn_recv_retrans && s->syn_recv < SYN_RECV_WARN)
		return 0;
	f = cd_finding_add(out, "CD3042", CD_SEV_WARNING);
	if (!f)
		return -1;
	say(f->summary, sizeof(f->summary),
	    "%u handshakes to MySQL ports are stuck in SYN_RECV, %u of "
	    "them after retransmitting the SYN-ACK",
	    s->syn_recv, s->syn_recv_retrans);
	say(f->evidence, sizeof(f->evidence),
	    "sock_diag: %u SYN_RECV request sockets on MySQL ports, %u "
	    "with idiag_retrans >= 1 (the client's third ACK has not "
	    "arrived)",
	    s->syn_recv, s->syn_recv_retrans);
	for (i = 0; i < c->ntcp; i++) {
		const struct chk_sock *k = &c->tcp[i];
		char ep[128];

		if (k->state != CHK_TCP_SYN_RECV || !k->server_side)
			continue;
		if (k->retrans > max_retrans)
			max_retrans = k->retrans;
		if (shown >= MAX_EXAMPLES || !k->retrans)
			continue;
		shown++;
		chk_sock_endpoints(k, ep, sizeof(ep));
		used = strlen(f->evidence);
		say(f->evidence + used, sizeof(f->evidence) - used,
		    "%s %s (SYN-ACK sent %u more times)",
		    shown == 1 ? ";" : ",", ep, k->retrans);
	}
	cd_finding_num(f, "syn_recv", s->syn_recv);
	cd_finding_num(f, "synack_retransmitted", s->syn_recv_retrans);
	cd_finding_num(f, "max_synack_retrans", max_retrans);
	return 0;
}

static int rule_time_wait(const struct chk_census_sum *s, int lo, int hi,
			  struct cd_findings *out)
{
	int size = lo < 0 ? 0 : hi - lo + 1;
	unsigned found = 0;
	struct cd_finding *f;
	char dest[160];
	size_t i;

	for (i = 0; i < s->ndests && found < MAX_DEST_FINDS; i++) {
		const struct chk_dest_use *d = &s->dests[i];

		if (!d->time_wait || (d->time_wait < TW_DEST_WARN &&
				      (size <= 0 || (uint64_t)d->time_wait * 4 <
							    (uint64_t)size)))
			continue;
		found++;
		f = cd_finding_add(out, "CD3044", CD_SEV_WARNING);
		if (!f)
			return -1;
		dest_str(d, dest, sizeof(dest));
		if (size > 0)
			say(f->summary, sizeof(f->summary),
			    "%u connections to %s sit in TIME_WAIT on "
			    "this client: %.0f%% of the %d-port "
			    "ephemeral range",
			    d->time_wait, dest, pct(d->time_wait, size), size);
		else
			say(f->summary, sizeof(f->summary),
			    "%u connections to %s sit in TIME_WAIT on "
			    "this client",
			    d->time_wait, dest);
		say(f->evidence, sizeof(f->evidence),
		    "sock_diag: %u TIME_WAIT, %u ESTABLISHED, %u sockets "
		    "in all to %s; ip_local_port_range %d-%d; each "
		    "TIME_WAIT holds its local port for 60 s",
		    d->time_wait, d->established, d->sockets, dest, lo, hi);
		cd_finding_num(f, "time_wait", d->time_wait);
		cd_finding_num(f, "sockets", d->sockets);
		cd_finding_num(f, "dport", d->dport);
		if (size > 0) {
			cd_finding_num(f, "range_size", size);
			cd_finding_num(f, "share_pct", pct(d->time_wait, size));
		}
	}
	if (s->time_wait_server >= TW_SERVER_INFO) {
		f = cd_finding_add(out, "CD3044", CD_SEV_INFO);
		if (!f)
			return -1;
		say(f->summary, sizeof(f->summary),
		    "%u connections from clients sit in TIME_WAIT on "
		    "this server's MySQL ports",
		    s->time_wait_server);
		say(f->evidence, sizeof(f->evidence),
		    "sock_diag: %u TIME_WAIT sockets with a MySQL port "
		    "as source port: the server closed them first",
		    s->time_wait_server);
		cd_finding_num(f, "time_wait_server", s->time_wait_server);
	}
	return 0;
}

static int rule_ports(const struct chk_census_sum *s, int lo, int hi,
		      struct cd_findings *out)
{
	int size = lo < 0 ? 0 : hi - lo + 1;
	unsigned found = 0;
	uint32_t reach;
	size_t i;

	if (size <= 0)
		return 0;
	/*
	 * connect() walks the range in two passes, even ports then odd,
	 * over size rounded down to even (__inet_hash_connect), so one
	 * port of an odd-sized range can be out of its reach: with 100 of
	 * 101 ports taken the next connect can already fail with errno 99.
	 */
	reach = size > 1 ? (uint32_t)size & ~1U : (uint32_t)size;
	for (i = 0; i < s->ndests && found < MAX_DEST_FINDS; i++) {
		const struct chk_dest_use *d = &s->dests[i];
		enum cd_severity sev;
		struct cd_finding *f;
		char dest[160];

		if (d->in_range >= reach)
			sev = CD_SEV_CRITICAL;
		else if ((uint64_t)d->in_range * 10 >= (uint64_t)size * 8)
			sev = CD_SEV_WARNING;
		else
			continue;
		found++;
		f = cd_finding_add(out, "CD3045", sev);
		if (!f)
			return -1;
		dest_str(d, dest, sizeof(dest));
		say(f->summary, sizeof(f->summary),
		    "%u of the %d ephemeral ports are taken by "
		    "connections to %s: %s",
		    d->in_range, size, dest,
		    sev == CD_SEV_CRITICAL
			    ? "new connects there fail with "
			      "EADDRNOTAVAIL (errno 99)"
			    : "new connects there will soon fail with "
			      "EADDRNOTAVAIL (errno 99)");
		say(f->evidence, sizeof(f->evidence),
		    "sock_diag: %u sockets to %s with a local port in "
		    "ip_local_port_range %d-%d (%u TIME_WAIT, %u "
		    "ESTABLISHED); one (source, destination, port) "
		    "triple can use each local port once",
		    d->in_range, dest, lo, hi, d->time_wait, d->established);
		cd_finding_num(f, "ports_in_use", d->in_range);
		cd_finding_num(f, "range_size", size);
		cd_finding_num(f, "port_lo", lo);
		cd_finding_num(f, "port_hi", hi);
		cd_finding_num(f, "time_wait", d->time_wait);
		cd_finding_num(f, "established", d->established);
		cd_finding_num(f, "dport", d->dport);
	}
	return 0;
}

static int rule_keepalive(const struct chk_census *c,
			  const struct chk_census_sum *s,
			  struct cd_findings *out)
{
	struct cd_finding *f;
	unsigned shown = 0;
	size_t i, used;

	if (!s->est_client_no_timer)
		return 0;
	f = cd_finding_add(out, "CD3046", CD_SEV_INFO);
	if (!f)
		return -1;
	say(f->summary, sizeof(f->summary),
	    "%u of %u established MySQL connections from this host "
	    "have no keepalive timer",
	    s->est_client_no_timer, s->est_client);
	say(f->evidence, sizeof(f->evidence),
	    "sock_diag: idiag_timer 0 (no timer: SO_KEEPALIVE off, "
	    "nothing in flight) on %u, keepalive timer on %u",
	    s->est_client_no_timer, s->est_client_keepalive);
	for (i = 0; i < c->ntcp && shown < MAX_EXAMPLES; i++) {
		const struct chk_sock *k = &c->tcp[i];
		char ep[128];

		if (k->server_side || k->state != CHK_TCP_ESTABLISHED ||
		    k->timer != 0)
			continue;
		shown++;
		chk_sock_endpoints(k, ep, sizeof(ep));
		used = strlen(f->evidence);
		say(f->evidence + used, sizeof(f->evidence) - used, "%s %s",
		    shown == 1 ? "; e.g." : ",", ep);
	}
	cd_finding_num(f, "established", s->est_client);
	cd_finding_num(f, "without_keepalive", s->est_client_no_timer);
	cd_finding_num(f, "with_keepalive", s->est_client_keepalive);
	return 0;
}

/* ---- rules on the counters ---- */

struct counter_view {
	int64_t total[3];
	int64_t delta[3];
	int have_delta;
};

/* Totals (after, else before) and deltas of up to three counters. */
static void view(const struct chk_census_input *in, const char *const *names,
		 size_t n, struct counter_view *v)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	v->have_delta = in->after && in->interval_s > 0;
	for (i = 0; i < n; i++) {
		const struct chk_counters *c =
			v->have_delta ? in->after : in->before;

		if (chk_counters_get(c, names[i], &v->total[i]))
			v->total[i] = 0;
		if (v->have_delta && chk_counters_delta(in->before, in->after,
							names[i], &v->delta[i]))
			v->delta[i] = 0;
	}
}

static int rule_listen_drops(const struct chk_census_input *in,
			     struct cd_findings *out)
{
	static const char *const names[] = {"TcpExt.ListenOverflows",
					    "TcpExt.ListenDrops",
					    "TcpExt.TCPReqQFullDrop"};
	struct counter_view v;
	struct cd_finding *f;
	int rising;

	view(in, names, 3, &v);
	rising = v.have_delta && (v.delta[0] > 0 || v.delta[1] > 0);
	if (!rising && v.total[0] <= 0 && v.total[1] <= 0)
		return 0;
	f = cd_finding_add(out, "CD3041",
			   rising ? CD_SEV_WARNING : CD_SEV_INFO);
	if (!f)
		return -1;
	if (rising)
		say(f->summary, sizeof(f->summary),
		    "listeners are dropping connections now: "
		    "ListenOverflows +%.1f/s, ListenDrops +%.1f/s",
		    (double)v.delta[0] / in->interval_s,
		    (double)v.delta[1] / in->interval_s);
	else
		say(f->summary, sizeof(f->summary),
		    "listeners have dropped connections: "
		    "ListenOverflows %lld, ListenDrops %lld since the "
		    "counters started%s",
		    (long long)v.total[0], (long long)v.total[1],
		    v.have_delta ? " (none during the interval)" : "");
	say(f->evidence, sizeof(f->evidence),
	    "/proc/net/netstat: TcpExt ListenOverflows %lld, ListenDrops "
	    "%lld, TCPReqQFullDrop %lld%s (counters of this network "
	    "namespace, for every listener, not only MySQL's)",
	    (long long)v.total[0], (long long)v.total[1], (long long)v.total[2],
	    v.have_delta ? "; sampled twice" : "; sampled once");
	cd_finding_num(f, "listen_overflows", (double)v.total[0]);
	cd_finding_num(f, "listen_drops", (double)v.total[1]);
	cd_finding_num(f, "reqq_full_drop", (double)v.total[2]);
	if (v.have_delta) {
		cd_finding_num(f, "interval_s", in->interval_s);
		cd_finding_num(f, "listen_overflows_per_s",
			       (double)v.delta[0] / in->interval_s);
		cd_finding_num(f, "listen_drops_per_s",
			       (double)v.delta[1] / in->interval_s);
	}
	return 0;
}

static int rule_syncookies(const struct chk_census_input *in,
			   struct cd_findings *out)
{
	static const char *const names[] = {"TcpExt.SyncookiesSent",
					    "TcpExt.SyncookiesRecv",
					    "TcpExt.SyncookiesFailed"};
	struct counter_view v;
	struct cd_finding *f;
	int rising;

	view(in, names, 3, &v);
	rising = v.have_delta && v.delta[0] > 0;
	if (!rising && v.total[0] <= 0)
		return 0;
	f = cd_finding_add(out, "CD3043",
			   rising ? CD_SEV_WARNING : CD_SEV_INFO);
	if (!f)
		return -1;
	if (rising)
		say(f->summary, sizeof(f->summary),
		    "the SYN queue overflows now: %.1f SYN cookies sent "
		    "per second",
		    (double)v.delta[0] / in->interval_s);
	else
		say(f->summary, sizeof(f->summary),
		    "SYN cookies were sent %lld times since the counters "
		    "started: a SYN queue overflowed",
		    (long long)v.total[0]);
	say(f->evidence, sizeof(f->evidence),
	    "/proc/net/netstat: TcpExt SyncookiesSent %lld, "
	    "SyncookiesRecv %lld, SyncookiesFailed %lld%s",
	    (long long)v.total[0], (long long)v.total[1], (long long)v.total[2],
	    v.have_delta ? "; sampled twice" : "; sampled once");
	cd_finding_num(f, "sent", (double)v.total[0]);
	cd_finding_num(f, "recv", (double)v.total[1]);
	cd_finding_num(f, "failed", (double)v.total[2]);
	if (v.have_delta) {
		cd_finding_num(f, "interval_s", in->interval_s);
		cd_finding_num(f, "sent_per_s",
			       (double)v.delta[0] / in->interval_s);
		cd_finding_num(f, "failed_per_s",
			       (double)v.delta[2] / in->interval_s);
	}
	return 0;
}

int chk_rules_census(const struct chk_census_input *in, struct cd_findings *out)
{
	const struct chk_census *c = in->census;
	struct chk_census_sum s;
	int rc = 0;

	if (c && (c->tcp_ok || c->unix_ok)) {
		const struct chk_census_sum *sp = in->sum;

		if (!sp) {
			if (chk_census_summarize(c, in->port_lo, in->port_hi,
						 &s))
				return -1;
			sp = &s;
		}
		if (rule_accept_queue(c, out) ||
		    (c->tcp_ok &&
		     (rule_syn_recv(c, sp, out) ||
		      rule_time_wait(sp, in->port_lo, in->port_hi, out) ||
		      rule_ports(sp, in->port_lo, in->port_hi, out) ||
		      rule_keepalive(c, sp, out))))
			rc = -1;
		if (!in->sum)
			chk_census_sum_free(&s);
		if (rc)
			return rc;
	}
	if (in->before &&
	    (rule_listen_drops(in, out) || rule_syncookies(in, out)))
		return -1;
	return 0;
}

/* ---- the slice: collect, decide, show ---- */

static void sleep_s(double s)
{
	struct timespec ts, rem;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &rem) && errno == EINTR)
		ts = rem;
}

static void census_facts(const struct chk_ctx *ctx,
			 const struct chk_census_sum *s, int lo, int hi,
			 struct chk_facts *facts)
{
	const struct chk_census *c = ctx->census;
	char key[48], what[160];
	size_t i;

	if (c->tcp_ok) {
		chk_fact_add(facts, FC(TCP_SOCKETS), NULL, CHK_UINT(c->ntcp),
			     CHK_BOOL(c->kernel_filter));
		for (i = 1; i < 16; i++) {
			if (!s->by_state[i])
				continue;
			say(key, sizeof(key), "tcp.%s",
			    chk_tcp_state_name((unsigned)i));
			chk_fact_add(facts, FC(TCP_STATE), key,
				     CHK_STR(chk_tcp_state_name((unsigned)i)),
				     CHK_UINT(s->by_state[i]),
				     CHK_UINT(s->client_by_state[i]),
				     CHK_UINT(s->by_state[i] -
					      s->client_by_state[i]));
		}
		chk_fact_add(facts, FC(TIME_WAIT), NULL,
			     CHK_UINT(s->time_wait_client),
			     CHK_UINT(s->time_wait_server));
		chk_fact_add(facts, FC(SYN_RECV), NULL, CHK_UINT(s->syn_recv),
			     CHK_UINT(s->syn_recv_retrans));
		for (i = 0; i < c->ntcp; i++) {
			const struct chk_sock *k = &c->tcp[i];

			if (k->state != CHK_TCP_LISTEN || !k->server_side)
				continue;
			local_end(k, what, sizeof(what));
			say(key, sizeof(key), "listener %s", what);
			chk_fact_add(facts, FC(LISTENER), key, CHK_STR(what),
				     CHK_UINT(k->rqueue), CHK_UINT(k->wqueue));
		}
		for (i = 0; i < s->ndests && i < MAX_DEST_FACTS; i++) {
			const struct chk_dest_use *d = &s->dests[i];

			dest_str(d, what, sizeof(what));
			say(key, sizeof(key), "ports_in_use %.35s", what);
			chk_fact_add(
				facts, FC(PORTS_IN_USE), key, CHK_STR(what),
				CHK_UINT(d->in_range),
				lo >= 0 ? CHK_INT(hi - lo + 1) : CHK_NUL,
				lo >= 0 ? CHK_DBL(pct(d->in_range, hi - lo + 1))
					: CHK_NUL,
				CHK_UINT(d->time_wait),
				CHK_UINT(d->established));
		}
		chk_fact_add(facts, FC(KEEPALIVE), NULL,
			     CHK_UINT(s->est_client_keepalive),
			     CHK_UINT(s->est_client));
	}
	if (c->unix_ok) {
		uint32_t q = 0, b = 0;

		for (i = 0; i < c->nunix; i++)
			if (c->unix_[i].role == CHK_UROLE_LISTENER) {
				q = c->unix_[i].rqueue;
				b = c->unix_[i].wqueue;
			}
		if (!s->unix_listeners)
			chk_fact_add(facts, FC(UNIX_SOCKET), NULL,
				     CHK_STR(ctx->socket_path), CHK_UINT(0),
				     CHK_NUL, CHK_NUL, CHK_NUL, CHK_NUL,
				     CHK_NUL);
		else
			chk_fact_add(facts, FC(UNIX_SOCKET), NULL,
				     CHK_STR(ctx->socket_path),
				     CHK_UINT(s->unix_listeners), CHK_UINT(q),
				     CHK_UINT(b), CHK_UINT(s->unix_server_ends),
				     CHK_UINT(s->unix_clients),
				     CHK_UINT(s->unix_pending));
	}
}

static void counter_facts(const struct chk_counters *before,
			  const struct chk_counters *after, double interval,
			  struct chk_facts *facts)
{
	size_t i;

	for (i = 0; i < sizeof(shown_counters) / sizeof(shown_counters[0]);
	     i++) {
		const char *name = shown_counters[i];
		int64_t v, d;

		if (chk_counters_get(after ? after : before, name, &v))
			continue;
		if (after && !chk_counters_delta(before, after, name, &d))
			chk_fact_add(facts, FC(COUNTER), name, CHK_INT(v),
				     CHK_DBL((double)d / interval),
				     CHK_DBL(interval));
		else
			chk_fact_add(facts, FC(COUNTER), name, CHK_INT(v),
				     CHK_NUL, CHK_NUL);
	}
}

int chk_slice_census(const struct chk_ctx *ctx, struct chk_facts *facts,
		     struct cd_findings *out)
{
	struct chk_counters before, after;
	struct chk_census_input in;
	struct chk_census_sum s;
	int lo = -1, hi = -1, have_before, have_after = 0, have_sum = 0;
	int rc = 0;
	char err[256];

	chk_counters_init(&before);
	chk_counters_init(&after);
	memset(&in, 0, sizeof(in));
	if (chk_port_range_read(ctx->procroot, &lo, &hi)) {
		chk_unreadable(facts, "ip_local_port_range",
			       "%s/sys/net/ipv4/ip_local_port_range",
			       ctx->procroot);
		lo = hi = -1;
	} else {
		chk_fact_add(facts, FC(PORT_RANGE), NULL, CHK_INT(lo),
			     CHK_INT(hi), CHK_INT(hi - lo + 1));
	}
	have_before =
		!chk_counters_read(&before, ctx->procroot, err, sizeof(err));
	if (!have_before)
		chk_unreadable(facts, "counters", "%s", err);
	if (have_before && ctx->interval_s > 0) {
		sleep_s(ctx->interval_s);
		have_after = !chk_counters_read(&after, ctx->procroot, err,
						sizeof(err));
		if (!have_after)
			chk_unreadable(facts, "counters", "%s", err);
	}
	/* A failed read is recorded by the runner that did it. */
	if (!ctx->census)
		chk_unreadable(facts, "census", "no socket census was read");
	if (ctx->census && (ctx->census->tcp_ok || ctx->census->unix_ok)) {
		if (chk_census_summarize(ctx->census, lo, hi, &s)) {
			rc = -1;
			goto out;
		}
		have_sum = 1;
		census_facts(ctx, &s, lo, hi, facts);
		in.sum = &s;
	}
	in.census = ctx->census;
	in.port_lo = lo;
	in.port_hi = hi;
	in.before = have_before ? &before : NULL;
	in.after = have_after ? &after : NULL;
	in.interval_s = ctx->interval_s;
	rc = chk_rules_census(&in, out);
	if (have_before)
		counter_facts(&before, have_after ? &after : NULL,
			      ctx->interval_s, facts);
out:
	if (have_sum)
		chk_census_sum_free(&s);
	chk_counters_free(&before);
	chk_counters_free(&after);
	return rc;
}
