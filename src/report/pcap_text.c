/* pcap_text.c - `conndoctor pcap` for people: a one-line-per-connection
 * table (or, with --conn, one connection's timeline and summary), then the
 * findings and the capture's totals. Colour only when asked (report/'s one
 * colour table). */
#include <stdlib.h>
#include <string.h>

#include "mysql/compress.h"
#include "report/pcap.h"

static const char *col(const struct rpt_pcap *r, enum rpt_color k)
{
	return rpt_color(&r->style, k);
}

static double sec(int64_t us)
{
	return (double)us / 1e6;
}

/* Seconds from the capture's first packet. */
static double rel(const struct rpt_pcap *r, int64_t us)
{
	return sec(us - r->t->first_us);
}

void rpt_pcap_init(struct rpt_pcap *r, const struct rpt_pcap_opts *o,
		   const struct cap_totals *totals)
{
	memset(r, 0, sizeof(*r));
	r->o = *o;
	r->style.color = o->color;
	r->t = totals;
	json_init(&r->jo, o->out, o->line_flush);
}

void rpt_pcap_free(struct rpt_pcap *r)
{
	json_flush(&r->jo);
	rpt_pcap_html_free(r);
}

/* ---- inputs ---- */

static void text_input(struct rpt_pcap *r, const char *name, int linktype,
		       int snaplen)
{
	char lb[32];

	fprintf(r->o.out, "%sinput%s %s (%s, snaplen %d)\n", col(r, RPT_DIM),
		col(r, RPT_RESET), name,
		cap_linktype_name(linktype, lb, sizeof(lb)), snaplen);
}

/* ---- commands ---- */

static void text_command(struct rpt_pcap *r, const struct cap_conn *c,
			 const struct cap_cmd *cmd)
{
	/* the timeline shows commands as events; the table counts them */
	(void)r;
	(void)c;
	(void)cmd;
}

/* ---- events (--conn) ---- */

static const char *flags_str(uint8_t fl, char *buf)
{
	char *o = buf;

	if (fl & CAP_TH_SYN)
		*o++ = 'S';
	if (fl & CAP_TH_FIN)
		*o++ = 'F';
	if (fl & CAP_TH_RST)
		*o++ = 'R';
	if (fl & CAP_TH_PSH)
		*o++ = 'P';
	if (fl & CAP_TH_ACK)
		*o++ = '.';
	*o = '\0';
	return buf;
}

/* The event in words (no time, no direction). */
void rpt_pcap_event_text(const struct cap_event *e, char *buf, size_t len)
{
	const struct cap_conn *c = e->conn;
	const struct cap_session *my = &c->my;
	const struct cap_anomaly_rec *a;
	char cb[24], fb[8];
	const struct cap_cmd *cmd = e->cmd;

	switch (e->kind) {
	case CAP_EV_SEGMENT:
		snprintf(buf, len, "[%s] seq %u ack %u win %u len %u",
			 flags_str(e->pkt->flags, fb), e->rel_seq, e->rel_ack,
			 e->pkt->win, e->pkt->len);
		return;
	case CAP_EV_SYN:
		if (e->i > 1)
			snprintf(buf, len, "SYN resent (#%lld)",
				 (long long)e->i - 1);
		else
			snprintf(buf, len, "SYN (mss %u, wscale %d)",
				 e->pkt ? e->pkt->mss : 0,
				 e->pkt ? e->pkt->wscale : -1);
		return;
	case CAP_EV_SYNACK:
		if (e->i > 1)
			snprintf(buf, len, "SYN-ACK resent (#%lld)%s",
				 (long long)e->i - 1,
				 c->hs_ack_us ? ": the client's ACK did not "
						"arrive"
					      : "");
		else
			snprintf(buf, len, "SYN-ACK");
		return;
	case CAP_EV_HS_ACK:
		snprintf(buf, len, "ACK: handshake complete (client side)");
		return;
	case CAP_EV_FIN:
		snprintf(buf, len, "FIN");
		return;
	case CAP_EV_RST:
		snprintf(buf, len, "RST");
		return;
	case CAP_EV_RETRANS:
		snprintf(buf, len, "retransmission #%lld (seq %u, len %u)",
			 (long long)e->i, e->rel_seq, e->pkt ? e->pkt->len : 0);
		return;
	case CAP_EV_OOO:
		snprintf(buf, len, "out of order: %lld byte(s) ahead",
			 (long long)e->i);
		return;
	case CAP_EV_GAP:
		snprintf(buf, len, "capture gap: %lld byte(s) never seen",
			 (long long)e->i);
		return;
	case CAP_EV_TRUNCATED:
		snprintf(buf, len,
			 "segment cut by the snapshot length: %lld "
			 "byte(s) missing",
			 (long long)e->i);
		return;
	case CAP_EV_ZERO_WINDOW:
		snprintf(buf, len, "zero window");
		return;
	case CAP_EV_WINDOW_OPEN:
		snprintf(buf, len, "window open again after %.3f s", sec(e->i));
		return;
	case CAP_EV_KEEPALIVE:
		snprintf(buf, len, "keepalive probe");
		return;
	case CAP_EV_IDLE:
		snprintf(buf, len, "(%.3f s of silence)", sec(e->i));
		return;
	case CAP_EV_GREETING:
		snprintf(buf, len, "greeting: %s %s, connection id %u, auth %s",
			 my->mariadb ? "MariaDB" : "MySQL", my->version,
			 my->conn_id,
			 my->server_plugin[0] ? my->server_plugin : "-");
		return;
	case CAP_EV_REFUSED:
		snprintf(buf, len, "ERR %u in place of a greeting: %s",
			 my->err.code, my->err.message);
		return;
	case CAP_EV_LOGIN:
		snprintf(buf, len, "login: user '%s', schema %s, plugin %s%s",
			 my->user, my->schema[0] ? my->schema : "-",
			 my->client_plugin[0] ? my->client_plugin : "-",
			 (my->client_caps & 0x20) ? ", compression asked" : "");
		return;
	case CAP_EV_SSL:
		snprintf(buf, len,
			 "SSL request: the session is encrypted "
			 "from here");
		return;
	case CAP_EV_AUTH_SWITCH:
		snprintf(buf, len, "auth switch to %s", my->switch_plugin);
		return;
	case CAP_EV_AUTH_MORE:
		snprintf(buf, len, "auth more data (%s)",
			 e->i == 3   ? "fast auth ok"
			 : e->i == 4 ? "full auth needed"
				     : "plugin data");
		return;
	case CAP_EV_AUTH_OK:
		snprintf(buf, len, "OK: logged in");
		return;
	case CAP_EV_AUTH_ERR:
		snprintf(buf, len, "ERR %u (%s): %s", my->err.code,
			 my->err.sqlstate, my->err.message);
		return;
	case CAP_EV_COMMAND: {
		int w = snprintf(buf, len, "%s%s%.160s%s",
				 cap_command_name(cmd->cmd, cb, sizeof(cb)),
				 cmd->arg[0] ? " \"" : "", cmd->arg,
				 cmd->arg[0] ? "\"" : "");
		const char *name, *value;
		unsigned i;

		for (i = 0; w > 0 && (size_t)w < len &&
			    (name = cap_attr_at(cmd, i, &value)) != NULL;
		     i++)
			w += snprintf(buf + w, len - (size_t)w, "%s%s=%s%s%s",
				      i ? ", " : " attributes: ", name,
				      value ? "\"" : "", value ? value : "NULL",
				      value ? "\"" : "");
		if (cmd->attrs_total > cmd->nattrs && w > 0 && (size_t)w < len)
			snprintf(buf + w, len - (size_t)w, " (%u more)",
				 (unsigned)(cmd->attrs_total - cmd->nattrs));
		return;
	}
	case CAP_EV_RESPONSE:
		switch (cmd->result) {
		case CAP_RES_OK:
			snprintf(buf, len,
				 "OK, %llu row(s) affected, in %.3f "
				 "ms",
				 (unsigned long long)cmd->affected,
				 sec(cmd->end_us - cmd->start_us) * 1e3);
			return;
		case CAP_RES_ROWS:
			snprintf(buf, len,
				 "result set: %llu row(s) in %.3f "
				 "ms",
				 (unsigned long long)cmd->rows,
				 sec(cmd->end_us - cmd->start_us) * 1e3);
			return;
		case CAP_RES_ERR:
			snprintf(buf, len, "ERR %u (%s): %s in %.3f ms",
				 cmd->err.code, cmd->err.sqlstate,
				 cmd->err.message,
				 sec(cmd->end_us - cmd->start_us) * 1e3);
			return;
		case CAP_RES_DATA:
			snprintf(buf, len, "reply in %.3f ms",
				 sec(cmd->end_us - cmd->start_us) * 1e3);
			return;
		default:
			snprintf(buf, len, "%s: %s",
				 cap_command_name(cmd->cmd, cb, sizeof(cb)),
				 cap_result_name(cmd->result));
			return;
		}
	case CAP_EV_SERVER_ERR:
		snprintf(buf, len, "ERR %u (%s): %s", my->err.code,
			 my->err.sqlstate, my->err.message);
		return;
	case CAP_EV_ANOMALY:
		a = &my->an[e->i];
		switch ((enum cap_anomaly)e->i) {
		case CAP_AN_TEXT:
			snprintf(buf, len,
				 "NOT MySQL: text in the stream: "
				 "\"%s\"",
				 a->text);
			return;
		case CAP_AN_SEQ:
			snprintf(buf, len, "sequence id %u where %u was due",
				 a->seq_got, a->seq_want);
			return;
		case CAP_AN_LENGTH:
			snprintf(buf, len,
				 "frame length %u cannot be (%u "
				 "byte(s) of it came)",
				 a->length, a->length_seen);
			return;
		case CAP_AN_INFLATE:
			snprintf(buf, len,
				 "compressed packet at byte %llu of the "
				 "compressed stream does not inflate: not "
				 "decoded further",
				 (unsigned long long)a->offset);
			return;
		default:
			snprintf(buf, len, "malformed packet");
			return;
		}
	case CAP_EV_BINLOG:
		snprintf(buf, len, "binlog: %lld event(s), %lld heartbeat(s)",
			 (long long)e->i, (long long)e->j);
		return;
	case CAP_EV_RESYNC:
		snprintf(buf, len, "in step again after %lld byte(s) skipped",
			 (long long)e->i);
		return;
	case CAP_EV_COMPRESSED:
		snprintf(buf, len, "compressed protocol (%s) from here%s",
			 e->i == MYSQL_COMP_ZSTD ? "zstd" : "zlib",
			 e->j ? " (inferred from the frames)" : "");
		return;
	}
	buf[0] = '\0';
}

static void timeline_head(struct rpt_pcap *r, const struct cap_conn *c)
{
	char a[64], b[64];

	if (r->timeline_head)
		return;
	r->timeline_head = 1;
	fprintf(r->o.out,
		"%sconnection #%llu%s  %s -> %s, first packet at +%.6f s\n",
		col(r, RPT_BOLD), (unsigned long long)c->id, col(r, RPT_RESET),
		cap_endpoint_str(&c->client, a, sizeof(a)),
		cap_endpoint_str(&c->server, b, sizeof(b)),
		rel(r, c->first_us));
}

static void text_event(struct rpt_pcap *r, const struct cap_event *e)
{
	char text[512];

	rpt_pcap_event_text(e, text, sizeof(text));
	timeline_head(r, e->conn);
	fprintf(r->o.out, "  %+11.6f  %s  %s\n",
		sec(e->ts_us - e->conn->first_us),
		e->dir == CAP_C2S ? "C>S" : "S>C", text);
}

/* ---- connections ---- */

/* The handshake in a few characters, for the table. */
static const char *tcp_brief(const struct cap_conn *c, char *buf, size_t len)
{
	unsigned rtx = c->dir[0].retrans + c->dir[1].retrans;
	const char *hs;
	char tmp[32];

	if (c->mid_stream)
		hs = "mid-stream";
	else if (c->syn_rst_us)
		hs = "refused";
	else if (!c->synack.n && c->syn.n)
		hs = "no-synack";
	else if (c->synack_after_ack)
		hs = "ack-lost";
	else if (!c->hs_ack_us)
		hs = "no-ack";
	else
		hs = "ok";
	if (c->syn.n > 1 && !c->syn_rst_us) {
		snprintf(tmp, sizeof(tmp), "%s syn*%u", hs, c->syn.n);
		hs = tmp;
	}
	if (rtx)
		snprintf(buf, len, "%s rtx%u", hs, rtx);
	else
		snprintf(buf, len, "%s", hs);
	return buf;
}

/* The session in a few words, for the table. */
static const char *session_brief(const struct cap_conn *c, char *buf,
				 size_t len)
{
	const struct cap_session *my = &c->my;
	const char *who = my->user[0] ? my->user : "-";

	if (my->refused)
		snprintf(buf, len, "refused %u", my->err.code);
	else if (my->tls)
		snprintf(buf, len, "tls");
	else if (my->state == CAP_MY_NOT_MYSQL)
		snprintf(buf, len, "not-mysql");
	else if (my->login == CAP_LOGIN_FAILED)
		snprintf(buf, len, "%.20s failed %u", who, my->err.code);
	else if (my->login == CAP_LOGIN_NONE && !my->greeting_us)
		snprintf(buf, len, "%s", c->mid_stream ? "?" : "-");
	else
		snprintf(buf, len, "%.20s%s%.16s %s%s", who,
			 my->schema[0] ? "@" : "", my->schema,
			 cap_login_name(my->login),
			 !my->compressed			? ""
			 : my->compress_algo == MYSQL_COMP_ZSTD ? " zstd"
								: " zlib");
	return buf;
}

static void table_head(struct rpt_pcap *r)
{
	if (r->header_done)
		return;
	r->header_done = 1;
	fprintf(r->o.out,
		"%s%6s %10s  %-21s %-21s %9s  %-16s %8s  %-24s %5s %4s "
		"%7s  %s%s\n",
		col(r, RPT_BOLD), "#", "start_s", "client", "server", "dur_s",
		"tcp", "greet_s", "session", "cmds", "err", "rows", "end",
		col(r, RPT_RESET));
}

static void conn_text_row(struct rpt_pcap *r, const struct cap_conn *c)
{
	char a[64], b[64], tb[64], sb[64], eb[96], gb[16];
	int64_t at = c->hs_ack_us  ? c->hs_ack_us
		     : c->synack.n ? c->synack.at_us[0]
				   : 0;

	if (c->my.greeting_us && at)
		snprintf(gb, sizeof(gb), "%.3f", sec(c->my.greeting_us - at));
	else
		snprintf(gb, sizeof(gb), "-");
	table_head(r);
	fprintf(r->o.out,
		"%6llu %10.6f  %-21s %-21s %9.3f  %-16s %8s  %-24s %5llu %4llu "
		"%7llu  %s\n",
		(unsigned long long)c->id, rel(r, c->first_us),
		cap_endpoint_str(&c->client, a, sizeof(a)),
		cap_endpoint_str(&c->server, b, sizeof(b)),
		sec(c->last_us - c->first_us), tcp_brief(c, tb, sizeof(tb)), gb,
		session_brief(c, sb, sizeof(sb)),
		(unsigned long long)c->my.commands,
		(unsigned long long)c->my.errors,
		(unsigned long long)c->my.rows,
		cap_end_phrase(c, eb, sizeof(eb)));
	r->rows++;
}

static void findings_text(struct rpt_pcap *r, const struct cd_findings *fs,
			  const char *what)
{
	size_t i;

	if (fs->n == 0) {
		fprintf(r->o.out, "%sno problem found%s: %s.\n",
			col(r, RPT_GREEN), col(r, RPT_RESET), what);
		return;
	}
	fprintf(r->o.out, "%sFindings%s (most severe first)\n",
		col(r, RPT_BOLD), col(r, RPT_RESET));
	for (i = 0; i < fs->n; i++)
		rpt_finding_text(r->o.out, &fs->v[i], &r->style, 0);
}

/* One connection's summary under its timeline (--conn, text). */
static void conn_text_detail(struct rpt_pcap *r, const struct cap_conn *c)
{
	char tb[64], sb[64], eb[96];

	timeline_head(r, c);
	fprintf(r->o.out,
		"\n  duration %.6f s; tcp %s; session %s; %llu command(s), "
		"%llu error(s), %llu row(s); %s\n"
		"  packets client %llu, server %llu; bytes client %llu, "
		"server %llu; longest silence %.3f s\n\n",
		sec(c->last_us - c->first_us), tcp_brief(c, tb, sizeof(tb)),
		session_brief(c, sb, sizeof(sb)),
		(unsigned long long)c->my.commands,
		(unsigned long long)c->my.errors,
		(unsigned long long)c->my.rows,
		cap_end_phrase(c, eb, sizeof(eb)),
		(unsigned long long)c->dir[0].packets,
		(unsigned long long)c->dir[1].packets,
		(unsigned long long)c->dir[0].bytes,
		(unsigned long long)c->dir[1].bytes, sec(c->max_idle_us));
}

static void text_conn(struct rpt_pcap *r, const struct cap_conn *c,
		      const struct cd_findings *f)
{
	(void)f; /* the findings come at the end, over every connection */
	if (!r->o.conn_id) {
		conn_text_row(r, c);
		return;
	}
	if (c->id != r->o.conn_id)
		return;
	r->conn_seen = 1;
	conn_text_detail(r, c);
}

static int text_finish(struct rpt_pcap *r, const struct cd_findings *all,
		       uint64_t drops, const char *input_error, int exit_status)
{
	const struct cap_totals *t = r->t;

	(void)exit_status; /* the shell has it */
	if (r->o.conn_id && !r->conn_seen)
		return 0;
	if (!r->o.conn_id && !r->rows)
		fprintf(r->o.out, "no MySQL connections in the capture (server "
				  "ports: see --port)\n");
	fputc('\n', r->o.out);
	findings_text(r, all,
		      r->o.conn_id ? "the connection behaved"
				   : "every connection behaved");
	fprintf(r->o.out,
		"\n%s%llu packets (%llu bytes) over %.3f s: %llu TCP "
		"segments, %llu on server ports, %llu connections (at most "
		"%llu held at once), %llu commands%s",
		col(r, RPT_DIM), (unsigned long long)t->packets,
		(unsigned long long)t->bytes, sec(t->last_us - t->first_us),
		(unsigned long long)t->tcp, (unsigned long long)t->ours,
		(unsigned long long)t->conns, (unsigned long long)t->open_peak,
		(unsigned long long)t->commands, col(r, RPT_RESET));
	if (t->truncated)
		fprintf(r->o.out, "; %llu frames cut by the snapshot length",
			(unsigned long long)t->truncated);
	if (t->header_cut || t->bad_headers)
		fprintf(r->o.out, "; %llu frames with cut or bad headers",
			(unsigned long long)t->header_cut +
				(unsigned long long)t->bad_headers);
	if (t->bad_time)
		fprintf(r->o.out,
			"; %llu frames with impossible timestamps skipped",
			(unsigned long long)t->bad_time);
	if (t->evicted_embryonic || t->evicted_open)
		fprintf(r->o.out,
			"; %llu flows evicted to stay within --max-flows "
			"(%llu handshakes, %llu idle connections)",
			(unsigned long long)t->evicted_embryonic +
				(unsigned long long)t->evicted_open,
			(unsigned long long)t->evicted_embryonic,
			(unsigned long long)t->evicted_open);
	if (t->ooo_budget_gaps || t->ooo_dropped)
		fprintf(r->o.out,
			"; --reassembly-budget reached: %llu holes given up as "
			"gaps, %llu out-of-order segments (%llu bytes) dropped",
			(unsigned long long)t->ooo_budget_gaps,
			(unsigned long long)t->ooo_dropped,
			(unsigned long long)t->ooo_dropped_bytes);
	if (t->fragments)
		fprintf(r->o.out, "; %llu IP fragments skipped",
			(unsigned long long)t->fragments);
	if (drops)
		fprintf(r->o.out, "; %llu packets dropped by the kernel",
			(unsigned long long)drops);
	fputc('\n', r->o.out);
	if (input_error)
		fprintf(r->o.out, "input ended early: %s\n", input_error);
	return 0;
}

const struct rpt_pcap_renderer rpt_pcap_text = {
	.input = text_input,
	.conn = text_conn,
	.command = text_command,
	.event = text_event,
	.finish = text_finish,
};
