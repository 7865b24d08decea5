/* rules.c - the capture's rules: pure functions from one connection's
 * record (struct cap_conn) to findings (codes CD3020-CD3032 for TCP,
 * CD8010-CD8020 for the wire protocol; pages in docs/findings/), and the
 * aggregation of every connection's findings into the capture's. The
 * handshake rules follow field report 003 and read resend ladders with
 * analysis/'s model of the kernel's schedule; the protocol rules follow
 * field report 002. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "capture/capture.h"
#include "mysql/compress.h"
#include "mysql/mysql.h"
#include "util/vec.h"

#define US		 1e6
#define SLOW_GREETING_US (1000 * 1000) /* a greeting this late is news */
#define NO_GREETING_US	 (1000 * 1000) /* waited this long: none comes */
#define IDLE_RST_US	 (1000 * 1000)
#define SLOW_CMD_US	 (1000 * 1000)
#define ZERO_WINDOW_US	 (1000 * 1000) /* a stalled reader, not a pause */
#define RESOLVER_STEP_S	 5.0	       /* resolv.conf's default timeout */

static double sec(int64_t us)
{
	return (double)us / US;
}

/* Appends "a, b, c" (seconds, 3 decimals) to buf. */
static void list_s(char *buf, size_t len, const double *v, size_t n)
{
	size_t i, o = strlen(buf);

	for (i = 0; i < n && o < len; i++) {
		int k = snprintf(buf + o, len - o, "%s%.3f", i ? ", " : "",
				 v[i]);

		if (k < 0)
			return;
		o += (size_t)k;
	}
}

/* Times of a ladder relative to `base` (seconds); returns how many. */
static size_t ladder_s(const struct cap_ladder *l, int64_t base, double *v)
{
	size_t n = l->n < CAP_LADDER_MAX ? l->n : CAP_LADDER_MAX, i;

	for (i = 0; i < n; i++)
		v[i] = sec(l->at_us[i] - base);
	return n;
}

/* How the gaps between resends grow, by the one ladder model of analysis/
 * (the kernel's: linear resends at the initial RTO, then doubling), so
 * `pcap` and `probe` read the same timings alike. */
static const char *schedule(const double *t, size_t n)
{
	struct cd_backoff_fit fit;

	cd_backoff_fit_of(t, n, &fit);
	return cd_backoff_name(fit.shape);
}

static struct cd_finding *add(struct cd_findings *out, const char *code,
			      enum cd_severity sev, int *oom)
{
	struct cd_finding *f = cd_finding_add(out, code, sev);

	if (!f)
		*oom = 1;
	return f;
}

/* ---- the handshake ---- */

static void syn_rules(const struct cap_conn *c, struct cd_findings *out,
		      int *oom)
{
	double t[CAP_LADDER_MAX], v[CAP_LADDER_MAX];
	struct cd_finding *f;
	size_t n, i;
	int64_t base = c->syn.n ? c->syn.at_us[0] : 0;

	if (!c->syn.n)
		return;
	n = ladder_s(&c->syn, base, t);
	if (c->syn_rst_us) {
		f = add(out, "CD3022", CD_SEV_CRITICAL, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: the SYN was answered by RST after "
			 "%.3f s: nothing accepts connections on that port",
			 (unsigned long long)c->id, sec(c->syn_rst_us - base));
		snprintf(f->evidence, sizeof(f->evidence),
			 "%u SYN(s), then a RST from the server side; the "
			 "client gets ECONNREFUSED (2002/2003 with errno 111)",
			 c->syn.n);
		cd_finding_num(f, "syn_count", c->syn.n);
		cd_finding_num(f, "rst_after_s", sec(c->syn_rst_us - base));
		return;
	}
	if (c->synack.n &&
	    (c->syn_after_synack || (c->synack.n >= 2 && !c->hs_ack_us))) {
		double s[CAP_LADDER_MAX];
		size_t m = ladder_s(&c->synack, base, s);

		f = add(out, "CD3023",
			c->hs_ack_us ? CD_SEV_WARNING : CD_SEV_CRITICAL, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: the server sent %u SYN-ACK(s) but "
			 "the client %s: SYN-ACKs are lost on the way to the "
			 "client",
			 (unsigned long long)c->id, c->synack.n,
			 c->hs_ack_us ? "acknowledged one only late"
				      : "never acknowledged one");
		snprintf(f->evidence, sizeof(f->evidence), "SYNs at +");
		list_s(f->evidence, sizeof(f->evidence), t, n);
		snprintf(f->evidence + strlen(f->evidence),
			 sizeof(f->evidence) - strlen(f->evidence),
			 " s; SYN-ACKs at +");
		list_s(f->evidence, sizeof(f->evidence), s, m);
		snprintf(f->evidence + strlen(f->evidence),
			 sizeof(f->evidence) - strlen(f->evidence),
			 " s; %u SYN resend(s) after a SYN-ACK was sent: the "
			 "client's kernel never saw it (a firewall on the "
			 "client side, or loss on the return path)",
			 c->syn_after_synack);
		cd_finding_num(f, "syn_count", c->syn.n);
		cd_finding_list(f, "syn_at_s", t, n);
		cd_finding_num(f, "synack_count", c->synack.n);
		cd_finding_list(f, "synack_at_s", s, m);
		cd_finding_num(f, "syn_after_synack", c->syn_after_synack);
		cd_finding_num(f, "established", c->hs_ack_us != 0);
		return;
	}
	if (!c->synack.n) {
		/* Too early to tell when the capture ends right after a
		 * lone SYN. */
		if (c->syn.n < 2 && c->ended_by_capture)
			return;
		f = add(out, "CD3021", CD_SEV_CRITICAL, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: the SYN was sent %u time(s) over "
			 "%.3f s and never answered",
			 (unsigned long long)c->id, c->syn.n, t[n - 1]);
		snprintf(f->evidence, sizeof(f->evidence), "SYNs at +");
		list_s(f->evidence, sizeof(f->evidence), t, n);
		snprintf(f->evidence + strlen(f->evidence),
			 sizeof(f->evidence) - strlen(f->evidence),
			 " s (%s); no SYN-ACK or RST came back%s. The "
			 "client's connect fails with ETIMEDOUT (2002/2003 "
			 "with errno 110) after tcp_syn_retries resends",
			 schedule(t, n),
			 c->ended_by_capture ? " before the capture ended"
					     : "");
		for (i = 1; i < n; i++)
			v[i - 1] = t[i] - t[i - 1];
		cd_finding_num(f, "syn_count", c->syn.n);
		cd_finding_list(f, "syn_at_s", t, n);
		if (n > 1)
			cd_finding_list(f, "intervals_s", v, n - 1);
		cd_finding_num(f, "observed_s", sec(c->last_us - base));
		return;
	}
	if (c->syn.n >= 2) {
		double connect = sec(c->synack.at_us[0] - base);

		for (i = 0; i < c->synack.n && i < CAP_LADDER_MAX; i++)
			if (c->synack.at_us[i] >= c->syn.at_us[n - 1])
				break;
		if (i < c->synack.n && i < CAP_LADDER_MAX)
			connect = sec(c->synack.at_us[i] - base);
		f = add(out, "CD3020", CD_SEV_WARNING, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: the SYN was sent %u times; the "
			 "handshake waited %.3f s on the kernel's "
			 "retransmission timer",
			 (unsigned long long)c->id, c->syn.n, connect);
		snprintf(f->evidence, sizeof(f->evidence), "SYNs at +");
		list_s(f->evidence, sizeof(f->evidence), t, n);
		snprintf(f->evidence + strlen(f->evidence),
			 sizeof(f->evidence) - strlen(f->evidence),
			 " s (%s), SYN-ACK at +%.3f s: the first SYN(s) or "
			 "their SYN-ACKs were lost",
			 schedule(t, n), connect);
		for (i = 1; i < n; i++)
			v[i - 1] = t[i] - t[i - 1];
		cd_finding_num(f, "syn_count", c->syn.n);
		cd_finding_list(f, "syn_at_s", t, n);
		cd_finding_list(f, "intervals_s", v, n - 1);
		cd_finding_num(f, "connect_s", connect);
	}
}

static void third_ack_rule(const struct cap_conn *c, struct cd_findings *out,
			   int *oom)
{
	double s[CAP_LADDER_MAX];
	int64_t base = c->syn.n ? c->syn.at_us[0] : c->first_us;
	int64_t waited;
	struct cd_finding *f;
	size_t m;

	if (!c->hs_ack_us || !c->synack_after_ack)
		return;
	m = ladder_s(&c->synack, base, s);
	waited = (c->my.greeting_us ? c->my.greeting_us : c->last_us) -
		 c->hs_ack_us;
	f = add(out, "CD3024",
		c->my.greeting_us ? CD_SEV_WARNING : CD_SEV_CRITICAL, oom);
	if (!f)
		return;
	snprintf(f->summary, sizeof(f->summary),
		 "connection #%llu: the client acknowledged the SYN-ACK but "
		 "the server resent it %u more time(s): the third ACK never "
		 "reached the server; the client %s",
		 (unsigned long long)c->id, c->synack_after_ack,
		 c->my.greeting_us ? "got its greeting late"
				   : "waited for a greeting that never came");
	snprintf(f->evidence, sizeof(f->evidence),
		 "client ACK at +%.3f s; SYN-ACKs at +",
		 sec(c->hs_ack_us - base));
	list_s(f->evidence, sizeof(f->evidence), s, m);
	snprintf(f->evidence + strlen(f->evidence),
		 sizeof(f->evidence) - strlen(f->evidence),
		 " s. The client is ESTABLISHED while the server sits in "
		 "SYN-RECV and drops the request after tcp_synack_retries; "
		 "the client waited %.3f s%s",
		 sec(waited),
		 c->my.greeting_us ? " for the greeting" : " with no greeting");
	cd_finding_num(f, "ack_at_s", sec(c->hs_ack_us - base));
	cd_finding_num(f, "synack_count", c->synack.n);
	cd_finding_list(f, "synack_at_s", s, m);
	cd_finding_num(f, "synack_after_ack", c->synack_after_ack);
	cd_finding_num(f, "greeting", c->my.greeting_us != 0);
	cd_finding_num(f, "client_waited_s", sec(waited));
}

/* When the server's side of the handshake completed, as far as the
 * capture shows. */
static int64_t connected_at(const struct cap_conn *c)
{
	if (c->hs_ack_us)
		return c->hs_ack_us;
	if (c->synack.n)
		return c->synack.at_us[0];
	return 0;
}

static void greeting_rules(const struct cap_conn *c, struct cd_findings *out,
			   int *oom)
{
	const struct cap_session *my = &c->my;
	int64_t at = connected_at(c), waited, end;
	struct cd_finding *f;
	double k;

	if (!at || c->synack_after_ack)
		return;
	if (my->greeting_us || my->refused) {
		int64_t g = my->greeting_us ? my->greeting_us : my->err.at_us;

		waited = g - at;
		if (waited < SLOW_GREETING_US)
			return;
		k = round(sec(waited) / RESOLVER_STEP_S);
		if (k < 1 || fabs(sec(waited) - k * RESOLVER_STEP_S) >
				     0.15 * k * RESOLVER_STEP_S)
			k = 0;
		f = add(out, "CD3030", CD_SEV_WARNING, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: the server greeted %.3f s after "
			 "the handshake",
			 (unsigned long long)c->id, sec(waited));
		if (k > 0)
			snprintf(f->evidence, sizeof(f->evidence),
				 "%.3f s is %.0f x 5 s, a resolver timeout: "
				 "the server resolves the client's address "
				 "before greeting (skip_name_resolve=OFF, or "
				 "TCP wrappers even with skip_name_resolve=ON)",
				 sec(waited), k);
		else
			snprintf(f->evidence, sizeof(f->evidence),
				 "handshake done at +%.3f s, greeting at "
				 "+%.3f s (from the connection's first "
				 "packet): the server was slow to accept or "
				 "to start the session",
				 sec(at - c->first_us), sec(g - c->first_us));
		cd_finding_num(f, "greeting_s", sec(waited));
		cd_finding_num(f, "resolver_timeouts", k);
		return;
	}
	if (my->state != CAP_MY_GREETING)
		return;
	end = c->close_us ? c->close_us : c->last_us;
	waited = end - at;
	if (waited < NO_GREETING_US && c->closer != CAP_S2C)
		return;
	f = add(out, "CD3031", CD_SEV_CRITICAL, oom);
	if (!f)
		return;
	snprintf(f->summary, sizeof(f->summary),
		 "connection #%llu: connected, but no greeting came in %.3f "
		 "s; %s",
		 (unsigned long long)c->id, sec(waited),
		 c->closer == CAP_S2C	? "then the server closed it"
		 : c->closer == CAP_C2S ? "then the client gave up"
		 : c->ended_by_capture	? "still waiting when the capture ended"
					: "then the connection went silent");
	snprintf(f->evidence, sizeof(f->evidence),
		 "the handshake completed (client ACK at +%.3f s) but the "
		 "server sent no MySQL greeting: a full accept queue, a "
		 "stalled mysqld, or something in its accept path (TCP "
		 "wrappers) that %s",
		 sec(at - c->first_us),
		 c->closer == CAP_S2C ? "refused the client" : "is waiting");
	cd_finding_num(f, "waited_s", sec(waited));
	cd_finding_num(f, "closed_by", c->closer < 0 ? -1 : (double)c->closer);
}

/* ---- the data phase ---- */

static void retrans_rule(const struct cap_conn *c, struct cd_findings *out,
			 int *oom)
{
	const struct cap_dir_stats *w;
	double t[CAP_LADDER_MAX], v[CAP_LADDER_MAX];
	struct cd_finding *f;
	size_t n, i;
	int d;

	if (!c->dir[0].retrans && !c->dir[1].retrans)
		return;
	d = c->dir[1].rtx.n > c->dir[0].rtx.n;
	w = &c->dir[d];
	n = ladder_s(&w->rtx, w->rtx.at_us[0], t);
	f = add(out, "CD3025", w->rtx.n >= 3 ? CD_SEV_WARNING : CD_SEV_INFO,
		oom);
	if (!f)
		return;
	snprintf(f->summary, sizeof(f->summary),
		 "connection #%llu: %u segment(s) resent (client %u, server "
		 "%u); the worst was sent %u times over %.3f s",
		 (unsigned long long)c->id,
		 c->dir[0].retrans + c->dir[1].retrans, c->dir[0].retrans,
		 c->dir[1].retrans, w->rtx.n, n ? t[n - 1] : 0.0);
	snprintf(f->evidence, sizeof(f->evidence),
		 "the %s's segment at relative seq %u went out at +",
		 d == CAP_C2S ? "client" : "server", w->rtx_seq);
	list_s(f->evidence, sizeof(f->evidence), t, n);
	for (i = 1; i < n; i++)
		v[i - 1] = t[i] - t[i - 1];
	snprintf(f->evidence + strlen(f->evidence),
		 sizeof(f->evidence) - strlen(f->evidence),
		 " s (%s backoff): no acknowledgment came back in time; a "
		 "firewall or conntrack state dropping the flow, or a lossy "
		 "path",
		 schedule(t, n));
	cd_finding_num(f, "retrans_client", c->dir[0].retrans);
	cd_finding_num(f, "retrans_server", c->dir[1].retrans);
	cd_finding_num(f, "worst_by", d);
	cd_finding_list(f, "worst_sent_at_s", t, n);
	if (n > 1)
		cd_finding_list(f, "intervals_s", v, n - 1);
}

static void window_rule(const struct cap_conn *c, struct cd_findings *out,
			int *oom)
{
	struct cd_finding *f;
	int d;

	if (!c->dir[0].zero_windows && !c->dir[1].zero_windows)
		return;
	d = c->dir[1].zero_win_us > c->dir[0].zero_win_us;
	if (!c->dir[d].zero_windows)
		d = !d;
	/* closed for milliseconds is flow control; for seconds, a stall */
	f = add(out, "CD3026",
		c->dir[d].zero_win_us >= ZERO_WINDOW_US ? CD_SEV_WARNING
							: CD_SEV_INFO,
		oom);
	if (!f)
		return;
	snprintf(f->summary, sizeof(f->summary),
		 "connection #%llu: the %s's receive window fell to 0 (%u "
		 "time(s), up to %.3f s): it stopped reading",
		 (unsigned long long)c->id, d == CAP_C2S ? "client" : "server",
		 c->dir[d].zero_windows, sec(c->dir[d].zero_win_us));
	snprintf(f->evidence, sizeof(f->evidence),
		 "a zero window from the %s at +%.3f s; %s",
		 d == CAP_C2S ? "client" : "server",
		 sec(c->dir[d].zero_win_at_us - c->first_us),
		 d == CAP_C2S ? "the application does not read its result "
				"set (blocked, or busy per row) and the server "
				"waits in net_write_timeout"
			      : "mysqld does not read what the client sends "
				"(stalled, or net_read_timeout)");
	cd_finding_num(f, "zero_windows_client", c->dir[0].zero_windows);
	cd_finding_num(f, "zero_windows_server", c->dir[1].zero_windows);
	cd_finding_num(f, "longest_s", sec(c->dir[d].zero_win_us));
}

static void keepalive_rule(const struct cap_conn *c, struct cd_findings *out,
			   int *oom)
{
	unsigned probes = c->dir[0].keepalives + c->dir[1].keepalives;
	unsigned acks = c->dir[0].keepalive_acks + c->dir[1].keepalive_acks;
	struct cd_finding *f;

	if (!probes)
		return;
	f = add(out, "CD3027",
		acks < probes && c->closer >= 0 ? CD_SEV_WARNING : CD_SEV_INFO,
		oom);
	if (!f)
		return;
	snprintf(f->summary, sizeof(f->summary),
		 "connection #%llu: %u TCP keepalive probe(s), %u answered",
		 (unsigned long long)c->id, probes, acks);
	snprintf(f->evidence, sizeof(f->evidence),
		 "client %u probe(s) (%u answered), server %u (%u answered); "
		 "longest silence %.3f s%s",
		 c->dir[0].keepalives, c->dir[0].keepalive_acks,
		 c->dir[1].keepalives, c->dir[1].keepalive_acks,
		 sec(c->max_idle_us),
		 acks < probes ? ": unanswered probes mean the peer or a "
				 "middlebox forgot the connection"
			       : "");
	cd_finding_num(f, "probes_client", c->dir[0].keepalives);
	cd_finding_num(f, "probes_server", c->dir[1].keepalives);
	cd_finding_num(f, "answered", acks);
}

/* Appends to buf (size len) what snprintf would print, when it fits. */
static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t o = strlen(buf);
	va_list ap;

	if (o + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + o, len - o, fmt, ap);
	va_end(ap);
}

/* CD8017's mechanism when the server ended a command on one of its own
 * timeouts, with the stall measured: the client stopped sending the LOAD
 * DATA LOCAL file the server asked for (net_read_timeout, which MariaDB
 * 10.11 waits twice), or stopped reading the result, its window closed
 * until the end (net_write_timeout). A command packet cut short is read
 * under wait_timeout: CD8014 says so. */
static void server_timeout(const struct cap_conn *c, int64_t end,
			   struct cd_finding *f)
{
	const struct cap_session *my = &c->my;
	const struct cap_dir_stats *cl = &c->dir[CAP_C2S];

	if (my->local_infile_us && my->local_infile_us >= my->pending_us) {
		int64_t last = cl->last_data_us > my->local_infile_us
				       ? cl->last_data_us
				       : my->local_infile_us;

		append(f->summary, sizeof(f->summary),
		       "; the client sent nothing of its LOAD DATA LOCAL "
		       "file for the last %.3f s: net_read_timeout",
		       sec(end - last));
		append(f->evidence, sizeof(f->evidence),
		       "; the server asked for the LOAD DATA LOCAL file at "
		       "+%.3f s, the client's last bytes came at +%.3f s, then "
		       "%.3f s of silence before the server ended it: "
		       "net_read_timeout (MariaDB 10.11 waits it twice before "
		       "it gives up)",
		       sec(my->local_infile_us - c->first_us),
		       sec(last - c->first_us), sec(end - last));
		cd_finding_num(f, "client_silent_s", sec(end - last));
		return;
	}
	if (cl->zero_windows && cl->zero_win_at_us >= my->pending_us &&
	    cl->zero_win_at_us + cl->zero_win_us + 1000 >= end) {
		append(f->summary, sizeof(f->summary),
		       "; the client stopped reading (window 0 for the last "
		       "%.3f s): net_write_timeout",
		       sec(end - cl->zero_win_at_us));
		append(f->evidence, sizeof(f->evidence),
		       "; the client's receive window was 0 from +%.3f s to "
		       "the end (%.3f s): it did not read the result and the "
		       "server's blocked write gave up after "
		       "net_write_timeout",
		       sec(cl->zero_win_at_us - c->first_us),
		       sec(end - cl->zero_win_at_us));
		cd_finding_num(f, "zero_window_s",
			       sec(end - cl->zero_win_at_us));
	}
}

static void close_rules(const struct cap_conn *c, struct cd_findings *out,
			int *oom)
{
	const struct cap_session *my = &c->my;
	struct cd_finding *f;
	char cb[24];

	/* Not when the server closed because of bad bytes (CD8010/CD8011
	 * say so): only a quiet session cut for being quiet. */
	if (c->closer == CAP_S2C && c->close_state == CAP_MY_READY &&
	    my->login == CAP_LOGIN_OK && !my->quit && !my->has_err1156 &&
	    !my->an[CAP_AN_TEXT].count && !my->an[CAP_AN_SEQ].count &&
	    !my->an[CAP_AN_LENGTH].count) {
		int64_t idle =
			c->close_us - (my->last_cmd_end_us ? my->last_cmd_end_us
							   : c->first_us);
		int wrote = my->pending && my->pending_us >= c->close_us;

		f = add(out, "CD3029", CD_SEV_WARNING, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: the server closed the session "
			 "(%s) after %.3f s idle%s",
			 (unsigned long long)c->id,
			 c->close_how == CAP_CLOSE_RST ? "RST" : "FIN",
			 sec(idle),
			 wrote ? "; the client wrote to it later and was "
				 "reset"
			       : "");
		snprintf(f->evidence, sizeof(f->evidence),
			 "last response at +%.3f s, server %s at +%.3f s "
			 "with no command outstanding%s%s%s: wait_timeout "
			 "(interactive_timeout for interactive clients) or a "
			 "KILL; the client then sees 2006/2013 \"MySQL server "
			 "has gone away\" on its next command",
			 sec((my->last_cmd_end_us ? my->last_cmd_end_us
						  : c->first_us) -
			     c->first_us),
			 c->close_how == CAP_CLOSE_RST ? "RST" : "FIN",
			 sec(c->close_us - c->first_us),
			 my->err.code ? "; it sent ERR " : "",
			 my->err.code ? my->err.message : "",
			 wrote ? "; the client's next command got a RST" : "");
		cd_finding_num(f, "idle_s", sec(idle));
		cd_finding_num(f, "client_wrote_after",
			       wrote ? sec(my->pending_us - c->close_us) : -1);
		return;
	}
	if (c->close_how == CAP_CLOSE_RST && c->rst_idle_us >= IDLE_RST_US &&
	    !my->pending) {
		f = add(out, "CD3028", CD_SEV_WARNING, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: reset by the %s after %.3f s of "
			 "silence",
			 (unsigned long long)c->id,
			 c->closer == CAP_C2S ? "client" : "server",
			 sec(c->rst_idle_us));
		snprintf(f->evidence, sizeof(f->evidence),
			 "the connection was quiet for %.3f s, then a RST at "
			 "+%.3f s (session %s): a NAT, firewall or conntrack "
			 "entry that forgot the idle flow, or a peer that "
			 "closed it meanwhile",
			 sec(c->rst_idle_us), sec(c->close_us - c->first_us),
			 cap_state_name(c->close_state));
		cd_finding_num(f, "idle_s", sec(c->rst_idle_us));
		cd_finding_num(f, "rst_by", c->closer);
	}
	if (my->pending && !c->ended_by_capture &&
	    (!c->close_us || my->pending_us <= c->close_us)) {
		int64_t end = c->close_us ? c->close_us : c->last_us;

		f = add(out, "CD8017", CD_SEV_CRITICAL, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: %s \"%.80s\" got no answer: the "
			 "%s %s the connection %.3f s after it was sent",
			 (unsigned long long)c->id,
			 cap_command_name(my->pending_cmd, cb, sizeof(cb)),
			 my->pending_arg,
			 c->closer == CAP_C2S ? "client" : "server",
			 c->close_how == CAP_CLOSE_RST ? "reset" : "closed",
			 sec(end - my->pending_us));
		snprintf(f->evidence, sizeof(f->evidence),
			 "command at +%.3f s, %s %s at +%.3f s with no "
			 "response: the client reports 2013 \"Lost "
			 "connection to server during query\" or 2006 \"gone "
			 "away\"",
			 sec(my->pending_us - c->first_us),
			 c->closer == CAP_C2S ? "client" : "server",
			 cap_close_name(c->close_how), sec(end - c->first_us));
		cd_finding_num(f, "waited_s", sec(end - my->pending_us));
		cd_finding_num(f, "closed_by", c->closer);
		if (c->closer == CAP_S2C)
			server_timeout(c, end, f);
	}
}

static void gap_rule(const struct cap_conn *c, struct cd_findings *out,
		     int *oom)
{
	uint64_t bytes = c->dir[0].gap_bytes + c->dir[1].gap_bytes;
	unsigned trunc = c->dir[0].truncated + c->dir[1].truncated;
	struct cd_finding *f;

	if (!bytes && !trunc)
		return;
	f = add(out, "CD3032", CD_SEV_INFO, oom);
	if (!f)
		return;
	snprintf(f->summary, sizeof(f->summary),
		 "connection #%llu: the capture missed %llu byte(s) in %u "
		 "hole(s) and cut %u segment(s) short",
		 (unsigned long long)c->id, (unsigned long long)bytes,
		 c->dir[0].gaps + c->dir[1].gaps, trunc);
	snprintf(f->evidence, sizeof(f->evidence),
		 "bytes the receiver acknowledged but the capture never "
		 "showed, or segments cut by the snapshot length: the "
		 "MySQL details there are unknown (capture with -s 0 and a "
		 "larger buffer, -B)");
	cd_finding_num(f, "gap_bytes", (double)bytes);
	cd_finding_num(f, "gaps", c->dir[0].gaps + c->dir[1].gaps);
	cd_finding_num(f, "truncated_segments", trunc);
}

/* ---- the MySQL session ---- */

static const char *who(int dir)
{
	return dir == CAP_C2S ? "client" : "server";
}

static void protocol_rules(const struct cap_conn *c, struct cd_findings *out,
			   int *oom)
{
	const struct cap_session *my = &c->my;
	const struct cap_anomaly_rec *a;
	struct cd_finding *f;

	a = &my->an[CAP_AN_TEXT];
	if (a->count || my->state == CAP_MY_NOT_MYSQL) {
		f = add(out, "CD8010", CD_SEV_CRITICAL, oom);
		if (!f)
			return;
		if (a->count) {
			snprintf(f->summary, sizeof(f->summary),
				 "connection #%llu: the %s wrote text into the "
				 "MySQL stream: \"%.100s\"",
				 (unsigned long long)c->id, who(a->dir),
				 a->text);
			snprintf(f->evidence, sizeof(f->evidence),
				 "%u printable byte(s) at +%.3f s where a "
				 "frame header must start (session %s): the "
				 "peer reads the first three as a length "
				 "and the fourth as a sequence id. A process "
				 "that holds the MySQL socket on fd 1 or 2 "
				 "prints into it (field report 002)",
				 a->text_len, sec(a->at_us - c->first_us),
				 cap_state_name((enum cap_my_state)a->state));
		} else {
			snprintf(f->summary, sizeof(f->summary),
				 "connection #%llu: the server on port %u does "
				 "not speak MySQL",
				 (unsigned long long)c->id, c->server.port);
			snprintf(f->evidence, sizeof(f->evidence),
				 "its first bytes are no MySQL greeting");
		}
		cd_finding_num(f, "at_s", sec(a->at_us - c->first_us));
		cd_finding_num(f, "text_bytes", a->text_len);
		cd_finding_num(f, "by", a->dir);
	}
	if (my->has_err1156) {
		f = add(out, "CD8011", CD_SEV_CRITICAL, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: the server answered ERR 1156 "
			 "\"Got packets out of order\"%s",
			 (unsigned long long)c->id,
			 my->an[CAP_AN_TEXT].count
				 ? " after text in the client's stream"
				 : "");
		snprintf(f->evidence, sizeof(f->evidence),
			 "mysqld read a frame whose sequence id did not "
			 "follow and ended the session%s%s%s",
			 my->an[CAP_AN_TEXT].count ? ": the bytes were \"" : "",
			 my->an[CAP_AN_TEXT].count ? my->an[CAP_AN_TEXT].text
						   : "",
			 my->an[CAP_AN_TEXT].count ? "\"" : "");
		cd_finding_num(f, "error_code", 1156);
	}
	a = &my->an[CAP_AN_SEQ];
	if (a->count && !my->an[CAP_AN_TEXT].count) {
		f = add(out, "CD8012", CD_SEV_WARNING, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: %u frame(s) with a sequence id "
			 "out of order; the first from the %s: %u where %u "
			 "was due",
			 (unsigned long long)c->id, a->count, who(a->dir),
			 a->seq_got, a->seq_want);
		snprintf(f->evidence, sizeof(f->evidence),
			 "at +%.3f s in session state %s",
			 sec(a->at_us - c->first_us),
			 cap_state_name((enum cap_my_state)a->state));
		cd_finding_num(f, "count", a->count);
		cd_finding_num(f, "got", a->seq_got);
		cd_finding_num(f, "expected", a->seq_want);
	}
	a = &my->an[CAP_AN_LENGTH];
	if (a->count) {
		f = add(out, "CD8013", CD_SEV_WARNING, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: the %s sent a frame header "
			 "claiming %u bytes that cannot be",
			 (unsigned long long)c->id, who(a->dir), a->length);
		snprintf(f->evidence, sizeof(f->evidence),
			 "%u byte(s) of it followed before the peer answered "
			 "(or no packet of that kind is that long), at +%.3f "
			 "s: the stream is not MySQL framing there",
			 a->length_seen, sec(a->at_us - c->first_us));
		cd_finding_num(f, "claimed", a->length);
		cd_finding_num(f, "seen", a->length_seen);
	}
	a = &my->an[CAP_AN_GARBAGE];
	if (a->count && my->state != CAP_MY_NOT_MYSQL) {
		f = add(out, "CD8014", CD_SEV_WARNING, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: %u packet(s) that do not parse "
			 "as the protocol calls for; the first from the %s",
			 (unsigned long long)c->id, a->count, who(a->dir));
		snprintf(f->evidence, sizeof(f->evidence),
			 "at +%.3f s in session state %s",
			 sec(a->at_us - c->first_us),
			 cap_state_name((enum cap_my_state)a->state));
		cd_finding_num(f, "count", a->count);
	}
}

static void session_rules(const struct cap_conn *c, struct cd_findings *out,
			  int *oom)
{
	const struct cap_session *my = &c->my;
	struct cd_finding *f;
	char cb[24];

	if (my->refused) {
		f = add(out, "CD8015", CD_SEV_CRITICAL, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: the server refused it with ERR "
			 "%u \"%.120s\" in place of a greeting",
			 (unsigned long long)c->id, my->err.code,
			 my->err.message);
		snprintf(f->evidence, sizeof(f->evidence),
			 "1040: max_connections reached; 1129: the host is "
			 "blocked after max_connect_errors; 1130: no account "
			 "matches the client's host");
		cd_finding_num(f, "error_code", my->err.code);
	}
	if (my->login == CAP_LOGIN_FAILED) {
		f = add(out, "CD8016", CD_SEV_WARNING, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: login as '%s' failed: ERR %u "
			 "\"%.120s\"",
			 (unsigned long long)c->id, my->user, my->err.code,
			 my->err.message);
		snprintf(f->evidence, sizeof(f->evidence),
			 "the code refuses %s; plugin %s%s%s, answered %.3f s "
			 "after the login",
			 mysql_login_err_what(
				 mysql_login_err_kind(my->err.code)),
			 my->client_plugin[0] ? my->client_plugin : "-",
			 my->switch_plugin[0] ? ", switched to " : "",
			 my->switch_plugin, sec(my->auth_us - my->login_us));
		cd_finding_num(f, "error_code", my->err.code);
	}
	if (my->errors) {
		f = add(out, "CD8018", CD_SEV_INFO, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: %llu of %llu command(s) failed; "
			 "the first with ERR %u \"%.100s\"",
			 (unsigned long long)c->id,
			 (unsigned long long)my->errors,
			 (unsigned long long)my->commands, my->cmd_err.code,
			 my->cmd_err.message);
		snprintf(f->evidence, sizeof(f->evidence),
			 "SQLSTATE %s at +%.3f s",
			 my->cmd_err.sqlstate[0] ? my->cmd_err.sqlstate : "-",
			 sec(my->cmd_err.at_us - c->first_us));
		cd_finding_num(f, "errors", (double)my->errors);
		cd_finding_num(f, "first_code", my->cmd_err.code);
	}
	if (my->max_resp_us >= SLOW_CMD_US) {
		f = add(out, "CD8019", CD_SEV_INFO, oom);
		if (!f)
			return;
		snprintf(f->summary, sizeof(f->summary),
			 "connection #%llu: the slowest command took %.3f s: "
			 "%s \"%.80s\"",
			 (unsigned long long)c->id, sec(my->max_resp_us),
			 cap_command_name(my->max_resp_cmd, cb, sizeof(cb)),
			 my->max_resp_arg);
		snprintf(f->evidence, sizeof(f->evidence),
			 "from the command's first byte to its response's "
			 "last, as the capture saw them");
		cd_finding_num(f, "max_response_s", sec(my->max_resp_us));
	}
	if (my->compressed) {
		const struct cap_anomaly_rec *a = &my->an[CAP_AN_INFLATE];
		const char *algo =
			my->compress_algo == MYSQL_COMP_ZSTD ? "zstd" : "zlib";

		f = add(out, "CD8020", a->count ? CD_SEV_WARNING : CD_SEV_INFO,
			oom);
		if (!f)
			return;
		if (a->count) {
			snprintf(
				f->summary, sizeof(f->summary),
				"connection #%llu: compressed protocol (%s): a "
				"packet from the %s does not inflate",
				(unsigned long long)c->id, algo, who(a->dir));
			snprintf(f->evidence, sizeof(f->evidence),
				 "the compressed packet at byte %llu of that "
				 "direction's compressed stream, at +%.3f s; "
				 "commands after it were not decoded",
				 (unsigned long long)a->offset,
				 sec(a->at_us - c->first_us));
			cd_finding_num(f, "offset", (double)a->offset);
		} else {
			snprintf(f->summary, sizeof(f->summary),
				 "connection #%llu: compressed protocol (%s) "
				 "%s, decoded",
				 (unsigned long long)c->id, algo,
				 my->compress_inferred
					 ? "inferred from the frames"
					 : "after login");
			if (my->compress_inferred)
				snprintf(f->evidence, sizeof(f->evidence),
					 "the capture starts after the login: "
					 "a segment starts with a 7-byte "
					 "compressed header and a %s",
					 my->compress_algo == MYSQL_COMP_ZSTD
						 ? "zstd frame's magic"
						 : "zlib stream's header "
						   "(0x78)");
			else
				snprintf(f->evidence, sizeof(f->evidence),
					 "both sides set %s",
					 my->compress_algo == MYSQL_COMP_ZSTD
						 ? "CLIENT_ZSTD_COMPRESSION_"
						   "ALGORITHM"
						 : "CLIENT_COMPRESS");
		}
	}
}

int cap_rules_conn(const struct cap_conn *c, struct cd_findings *out)
{
	int oom = 0;

	syn_rules(c, out, &oom);
	third_ack_rule(c, out, &oom);
	greeting_rules(c, out, &oom);
	retrans_rule(c, out, &oom);
	window_rule(c, out, &oom);
	keepalive_rule(c, out, &oom);
	close_rules(c, out, &oom);
	gap_rule(c, out, &oom);
	protocol_rules(c, out, &oom);
	session_rules(c, out, &oom);
	return oom ? -1 : 0;
}

/* ---- over the capture ---- */

void cap_agg_init(struct cap_agg *a)
{
	memset(a, 0, sizeof(*a));
}

void cap_agg_free(struct cap_agg *a)
{
	free(a->v);
	memset(a, 0, sizeof(*a));
}

int cap_agg_add(struct cap_agg *a, const struct cap_conn *c,
		const struct cd_findings *fs)
{
	size_t i, k;

	for (i = 0; i < fs->n; i++) {
		const struct cd_finding *f = &fs->v[i];
		struct cap_agg_row *r = NULL;

		for (k = 0; k < a->n; k++)
			if (a->v[k].first.def == f->def) {
				r = &a->v[k];
				break;
			}
		if (!r) {
			size_t ncodes;
			struct cap_agg_row *nv;

			/* One row per code: never more than the catalogue. */
			cd_catalogue(&ncodes);
			nv = cd_vec_grow(a->v, sizeof(*nv), a->n + 1, &a->cap,
					 ncodes, 16);
			if (!nv)
				return -1;
			a->v = nv;
			r = &a->v[a->n++];
			memset(r, 0, sizeof(*r));
			r->first = *f;
			r->worst = f->severity;
		}
		if (f->severity > r->worst)
			r->worst = f->severity;
		if (r->conns < CAP_AGG_IDS)
			r->ids[r->conns] = c->id;
		r->conns++;
	}
	return 0;
}

int cap_agg_findings(const struct cap_agg *a, struct cd_findings *out)
{
	size_t i, k, o;
	unsigned e;

	for (i = 0; i < a->n; i++) {
		const struct cap_agg_row *r = &a->v[i];
		size_t nid = r->conns < CAP_AGG_IDS ? r->conns : CAP_AGG_IDS;
		const char *sep = r->conns > nid ? ", ...); " : "); ";
		double ids[CAP_AGG_IDS];
		struct cd_finding *f =
			cd_finding_add(out, r->first.def->code, r->worst);

		if (!f)
			return -1;
		if (r->conns == 1) {
			snprintf(f->summary, sizeof(f->summary), "%s",
				 r->first.summary);
		} else {
			o = (size_t)snprintf(f->summary, sizeof(f->summary),
					     "%llu connections (",
					     (unsigned long long)r->conns);
			for (k = 0; k < nid && o < sizeof(f->summary); k++)
				o += (size_t)snprintf(
					f->summary + o, sizeof(f->summary) - o,
					"%s#%llu", k ? ", " : "",
					(unsigned long long)r->ids[k]);
			if (o + strlen(sep) < sizeof(f->summary)) {
				/* the first one's words, cut to fit */
				memcpy(f->summary + o, sep, strlen(sep) + 1);
				o += strlen(sep);
				strncat(f->summary, r->first.summary,
					sizeof(f->summary) - o - 1);
			}
		}
		memcpy(f->evidence, r->first.evidence, sizeof(f->evidence));
		for (k = 0; k < nid; k++)
			ids[k] = (double)r->ids[k];
		cd_finding_num(f, "connections", (double)r->conns);
		cd_finding_list(f, "conn_ids", ids, nid);
		for (e = 0; e < r->first.nev && f->nev < CD_EV_MAX; e++)
			cd_finding_list(f, r->first.ev[e].key, r->first.ev[e].v,
					r->first.ev[e].n);
	}
	cd_findings_sort(out);
	return 0;
}
