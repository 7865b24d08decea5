/* report.c - the capture's renderers: for people, a one-line-per-connection
 * table (or, with --conn, one connection's timeline) then the findings; for
 * programs, JSON lines (RFC 8259 objects, one per line: inputs, commands,
 * connections, findings, the summary; schema in docs/pcap.md). Records
 * arrive as the engine finishes them, so nothing is held for the end but
 * the findings. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "util/json.h"

#define RED    "\033[1;31m"
#define YELLOW "\033[1;33m"
#define GREEN  "\033[1;32m"
#define BOLD   "\033[1m"
#define DIM    "\033[2m"
#define RESET  "\033[0m"

struct cap_report {
	struct json jo; /* JSON lines */
	struct cap_report_opts o;
	const struct cap_totals *t;
	int header_done;   /* text: the table's header is out */
	int timeline_head; /* text: the --conn header is out */
	int conn_seen;
	uint64_t rows; /* table rows printed */
};

static const char *col(const struct cap_report *r, const char *code)
{
	return r->o.color ? code : "";
}

static double sec(int64_t us)
{
	return (double)us / 1e6;
}

/* Seconds from the capture's first packet. */
static double rel(const struct cap_report *r, int64_t us)
{
	return sec(us - r->t->first_us);
}

struct cap_report *cap_report_new(const struct cap_report_opts *o,
				  const struct cap_totals *totals)
{
	struct cap_report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->o = *o;
	r->t = totals;
	json_init(&r->jo, o->out, o->line_flush);
	return r;
}

void cap_report_free(struct cap_report *r)
{
	if (r)
		json_flush(&r->jo);
	free(r);
}

int cap_report_conn_seen(const struct cap_report *r)
{
	return r->conn_seen;
}

/* ---- JSON helpers: keys are literals (JSON_KEY) ---- */

#define JKEY_INT(j, k, v)	  (JSON_KEY(j, k), json_int(j, v))
#define JKEY_US(j, k, us)	  (JSON_KEY(j, k), json_us(j, us))
#define JKEY_STR(j, k, v)	  (JSON_KEY(j, k), jstr_or_null(j, v))
#define JKEY_BOOL(j, k, v)	  (JSON_KEY(j, k), json_bool(j, v))
#define JKEY_TIME(j, k, us, base) (JSON_KEY(j, k), jtime(j, us, base))
#define JKEY_PAIR(j, k, c, s)	  (JSON_KEY(j, k), jpair(j, c, s))

static void jstr_or_null(struct json *j, const char *v)
{
	if (v)
		json_str(j, v);
	else
		json_null(j);
}

/* Seconds from base, or null when the time is 0 (never happened). */
static void jtime(struct json *j, int64_t us, int64_t base)
{
	if (us)
		json_us(j, us - base);
	else
		json_null(j);
}

static void jpair(struct json *j, uint64_t client, uint64_t server)
{
	json_obj(j);
	JKEY_INT(j, "client", (int64_t)client);
	JKEY_INT(j, "server", (int64_t)server);
	json_obj_end(j);
}

static void jladder(struct json *j, const struct cap_ladder *l, int64_t base)
{
	unsigned i;

	json_arr(j);
	for (i = 0; i < l->n && i < CAP_LADDER_MAX; i++)
		json_us(j, l->at_us[i] - base);
	json_arr_end(j);
}

static void jerr(struct json *j, const struct cap_err *e)
{
	if (!e->code) {
		json_null(j);
		return;
	}
	json_obj(j);
	JKEY_INT(j, "code", e->code);
	JKEY_STR(j, "sqlstate", e->sqlstate);
	JKEY_STR(j, "message", e->message);
	json_obj_end(j);
}

static void jfinding(struct json *j, const struct cd_finding *f, int full)
{
	unsigned k, m;

	json_obj(j);
	if (full)
		JKEY_STR(j, "type", "finding");
	JKEY_STR(j, "code", f->def->code);
	JKEY_STR(j, "severity", cd_severity_name(f->severity));
	if (full) {
		JKEY_STR(j, "layer", cd_layer_name(f->def->layer));
		JKEY_STR(j, "title", f->def->title);
	}
	JKEY_STR(j, "summary", f->summary);
	JKEY_STR(j, "evidence", f->evidence);
	JSON_KEY(j, "data");
	json_obj(j);
	for (k = 0; k < f->nev; k++) {
		const struct cd_evidence *e = &f->ev[k];

		json_key(j, e->key);
		if (e->n == 1) {
			json_num(j, e->v[0]);
			continue;
		}
		json_arr(j);
		for (m = 0; m < e->n; m++)
			json_num(j, e->v[m]);
		json_arr_end(j);
	}
	json_obj_end(j);
	if (full)
		JKEY_STR(j, "advice", f->def->advice);
	json_obj_end(j);
}

/* ---- inputs ---- */

void cap_report_input(struct cap_report *r, const char *name, int linktype,
		      int snaplen)
{
	char lb[32];
	struct json *j = &r->jo;

	if (r->o.json) {
		json_obj(j);
		JKEY_STR(j, "type", "input");
		JKEY_STR(j, "name", name);
		JKEY_STR(j, "linktype",
			 cap_linktype_name(linktype, lb, sizeof(lb)));
		JKEY_INT(j, "snaplen", snaplen);
		json_obj_end(j);
		return;
	}
	fprintf(r->o.out, "%sinput%s %s (%s, snaplen %d)\n", col(r, DIM),
		col(r, RESET), name,
		cap_linktype_name(linktype, lb, sizeof(lb)), snaplen);
}

/* ---- commands ---- */

static void command_json(struct cap_report *r, const struct cap_conn *c,
			 const struct cap_cmd *cmd)
{
	struct json *j = &r->jo;
	char cb[24];

	json_obj(j);
	JKEY_STR(j, "type", "command");
	JKEY_INT(j, "conn", (int64_t)c->id);
	JKEY_INT(j, "n", (int64_t)cmd->n);
	JKEY_US(j, "t_s", cmd->start_us - r->t->first_us);
	JKEY_STR(j, "command", cap_command_name(cmd->cmd, cb, sizeof(cb)));
	JKEY_STR(j, "argument", cmd->arg);
	JKEY_INT(j, "argument_bytes", cmd->arg_len);
	JKEY_STR(j, "result", cap_result_name(cmd->result));
	JKEY_BOOL(j, "success",
		  cmd->result == CAP_RES_OK || cmd->result == CAP_RES_ROWS ||
			  cmd->result == CAP_RES_DATA ||
			  cmd->result == CAP_RES_NONE ||
			  cmd->result == CAP_RES_STREAM);
	JKEY_INT(j, "rows", (int64_t)cmd->rows);
	JKEY_INT(j, "affected_rows", (int64_t)cmd->affected);
	JKEY_INT(j, "results", cmd->results);
	JKEY_INT(j, "warnings", cmd->warnings);
	JSON_KEY(j, "error");
	jerr(j, &cmd->err);
	JKEY_TIME(j, "first_byte_s", cmd->first_us, cmd->start_us);
	JKEY_TIME(j, "response_s", cmd->end_us, cmd->start_us);
	JKEY_INT(j, "response_bytes", (int64_t)cmd->resp_bytes);
	json_obj_end(j);
}

void cap_report_command(struct cap_report *r, const struct cap_conn *c,
			const struct cap_cmd *cmd)
{
	if (r->o.conn_id && c->id != r->o.conn_id)
		return;
	if (r->o.json)
		command_json(r, c, cmd);
	/* text: the timeline shows commands as events; the table counts */
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
static void event_text(const struct cap_event *e, char *buf, size_t len)
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
	case CAP_EV_COMMAND:
		snprintf(buf, len, "%s%s%.160s%s",
			 cap_command_name(cmd->cmd, cb, sizeof(cb)),
			 cmd->arg[0] ? " \"" : "", cmd->arg,
			 cmd->arg[0] ? "\"" : "");
		return;
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
		default:
			snprintf(buf, len, "malformed packet");
			return;
		}
	case CAP_EV_BINLOG:
		snprintf(buf, len, "binlog: %lld event(s), %lld heartbeat(s)",
			 (long long)e->i, (long long)e->j);
		return;
	case CAP_EV_COMPRESSED:
		snprintf(buf, len,
			 "compressed protocol from here: not "
			 "decoded");
		return;
	}
	buf[0] = '\0';
}

static const char *event_token(enum cap_ev_kind k)
{
	static const char *const names[] = {
		"segment",	  "syn",	  "synack",
		"handshake_ack",  "fin",	  "rst",
		"retransmission", "out_of_order", "gap",
		"truncated",	  "zero_window",  "window_open",
		"keepalive",	  "idle",	  "greeting",
		"refused",	  "login",	  "ssl_request",
		"auth_switch",	  "auth_more",	  "auth_ok",
		"auth_error",	  "command",	  "response",
		"server_error",	  "anomaly",	  "binlog",
		"compressed",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static void timeline_head(struct cap_report *r, const struct cap_conn *c)
{
	char a[64], b[64];

	if (r->timeline_head)
		return;
	r->timeline_head = 1;
	fprintf(r->o.out,
		"%sconnection #%llu%s  %s -> %s, first packet at +%.6f s\n",
		col(r, BOLD), (unsigned long long)c->id, col(r, RESET),
		cap_endpoint_str(&c->client, a, sizeof(a)),
		cap_endpoint_str(&c->server, b, sizeof(b)),
		rel(r, c->first_us));
}

void cap_report_event(struct cap_report *r, const struct cap_event *e)
{
	char text[512];
	struct json *j = &r->jo;

	event_text(e, text, sizeof(text));
	if (r->o.json) {
		json_obj(j);
		JKEY_STR(j, "type", "event");
		JKEY_INT(j, "conn", (int64_t)e->conn->id);
		JKEY_US(j, "t_s", e->ts_us - e->conn->first_us);
		JKEY_STR(j, "dir", e->dir == CAP_C2S ? "c2s" : "s2c");
		JKEY_STR(j, "event", event_token(e->kind));
		JKEY_STR(j, "text", text);
		json_obj_end(j);
		return;
	}
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
			 my->compressed ? " zlib" : "");
	return buf;
}

static void table_head(struct cap_report *r)
{
	if (r->header_done)
		return;
	r->header_done = 1;
	fprintf(r->o.out,
		"%s%6s %10s  %-21s %-21s %9s  %-16s %8s  %-24s %5s %4s "
		"%7s  %s%s\n",
		col(r, BOLD), "#", "start_s", "client", "server", "dur_s",
		"tcp", "greet_s", "session", "cmds", "err", "rows", "end",
		col(r, RESET));
}

static void conn_text_row(struct cap_report *r, const struct cap_conn *c)
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

static void anomalies_json(struct json *j, const struct cap_conn *c)
{
	unsigned k;

	JSON_KEY(j, "anomalies");
	json_arr(j);
	for (k = 0; k < CAP_AN__COUNT; k++) {
		const struct cap_anomaly_rec *a = &c->my.an[k];

		if (!a->count)
			continue;
		json_obj(j);
		JKEY_STR(j, "kind", cap_anomaly_name((enum cap_anomaly)k));
		JKEY_INT(j, "count", a->count);
		JKEY_STR(j, "by", a->dir == CAP_C2S ? "client" : "server");
		JKEY_US(j, "at_s", a->at_us - c->first_us);
		JKEY_STR(j, "state",
			 cap_state_name((enum cap_my_state)a->state));
		if (k == CAP_AN_TEXT) {
			JKEY_STR(j, "text", a->text);
			JKEY_INT(j, "text_bytes", a->text_len);
		} else if (k == CAP_AN_SEQ) {
			JKEY_INT(j, "seq_got", a->seq_got);
			JKEY_INT(j, "seq_expected", a->seq_want);
		} else if (k == CAP_AN_LENGTH) {
			JKEY_INT(j, "length", a->length);
			JKEY_INT(j, "length_seen", a->length_seen);
		}
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void mysql_json(struct json *j, const struct cap_conn *c)
{
	const struct cap_session *my = &c->my;
	int64_t at = c->hs_ack_us  ? c->hs_ack_us
		     : c->synack.n ? c->synack.at_us[0]
				   : 0;
	char cb[24];

	JSON_KEY(j, "mysql");
	json_obj(j);
	JKEY_STR(j, "state", cap_state_name(my->state));
	JSON_KEY(j, "greeting_s");
	if (my->greeting_us && at)
		json_us(j, my->greeting_us - at);
	else
		json_null(j);
	JKEY_STR(j, "server_version", my->greeting_us ? my->version : NULL);
	JKEY_BOOL(j, "mariadb", my->mariadb);
	JSON_KEY(j, "connection_id");
	if (my->greeting_us)
		json_int(j, my->conn_id);
	else
		json_null(j);
	JKEY_STR(j, "server_plugin",
		 my->server_plugin[0] ? my->server_plugin : NULL);
	JKEY_BOOL(j, "refused", my->refused);
	JKEY_STR(j, "user", my->login_us && !my->tls ? my->user : NULL);
	JKEY_STR(j, "schema", my->schema[0] ? my->schema : NULL);
	JKEY_STR(j, "client_plugin",
		 my->client_plugin[0] ? my->client_plugin : NULL);
	JKEY_STR(j, "auth_switch",
		 my->switch_plugin[0] ? my->switch_plugin : NULL);
	JKEY_STR(j, "login", cap_login_name(my->login));
	JSON_KEY(j, "login_s");
	if (my->auth_us && my->login_us)
		json_us(j, my->auth_us - my->login_us);
	else
		json_null(j);
	JKEY_BOOL(j, "tls", my->tls);
	JKEY_BOOL(j, "compressed", my->compressed);
	JSON_KEY(j, "error");
	jerr(j, &my->err);
	JKEY_INT(j, "commands", (int64_t)my->commands);
	JKEY_INT(j, "errors", (int64_t)my->errors);
	JKEY_INT(j, "rows", (int64_t)my->rows);
	JSON_KEY(j, "max_response_s");
	if (my->max_resp_us)
		json_us(j, my->max_resp_us);
	else
		json_null(j);
	JKEY_BOOL(j, "quit", my->quit);
	JKEY_INT(j, "change_user", my->change_user);
	JSON_KEY(j, "binlog");
	if (my->binlog) {
		json_obj(j);
		JKEY_INT(j, "events", (int64_t)my->binlog_events);
		JKEY_INT(j, "heartbeats", (int64_t)my->heartbeats);
		JKEY_US(j, "max_gap_s", my->binlog_max_gap_us);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	JSON_KEY(j, "pending");
	if (my->pending) {
		json_obj(j);
		JKEY_STR(j, "command",
			 cap_command_name(my->pending_cmd, cb, sizeof(cb)));
		JKEY_STR(j, "argument", my->pending_arg);
		JKEY_US(j, "at_s", my->pending_us - c->first_us);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	anomalies_json(j, c);
	json_obj_end(j);
}

static void tcp_json(struct json *j, const struct cap_conn *c)
{
	const struct cap_dir_stats *d0 = &c->dir[0], *d1 = &c->dir[1];
	int w = d1->rtx.n > d0->rtx.n;

	JSON_KEY(j, "tcp");
	json_obj(j);
	JKEY_PAIR(j, "retransmissions", d0->retrans, d1->retrans);
	JSON_KEY(j, "worst_resend_at_s");
	jladder(j, &c->dir[w].rtx,
		c->dir[w].rtx.n ? c->dir[w].rtx.at_us[0] : 0);
	JKEY_PAIR(j, "out_of_order", d0->ooo, d1->ooo);
	JKEY_PAIR(j, "gaps", d0->gaps, d1->gaps);
	JKEY_PAIR(j, "gap_bytes", d0->gap_bytes, d1->gap_bytes);
	JKEY_PAIR(j, "truncated", d0->truncated, d1->truncated);
	JKEY_PAIR(j, "zero_windows", d0->zero_windows, d1->zero_windows);
	JKEY_US(j, "zero_window_max_s",
		d0->zero_win_us > d1->zero_win_us ? d0->zero_win_us
						  : d1->zero_win_us);
	JKEY_PAIR(j, "keepalives", d0->keepalives, d1->keepalives);
	JKEY_PAIR(j, "keepalives_answered", d0->keepalive_acks,
		  d1->keepalive_acks);
	JKEY_US(j, "max_idle_s", c->max_idle_us);
	json_obj_end(j);
}

static void conn_json(struct cap_report *r, const struct cap_conn *c,
		      const struct cd_findings *f)
{
	int64_t base = c->syn.n ? c->syn.at_us[0] : c->first_us;
	char a[64], b[64], eb[96];
	struct json *j = &r->jo;
	size_t i;

	json_obj(j);
	JKEY_STR(j, "type", "connection");
	JKEY_INT(j, "id", (int64_t)c->id);
	JKEY_STR(j, "client", cap_endpoint_str(&c->client, a, sizeof(a)));
	JKEY_STR(j, "server", cap_endpoint_str(&c->server, b, sizeof(b)));
	JKEY_US(j, "start_s", c->first_us - r->t->first_us);
	JKEY_US(j, "duration_s", c->last_us - c->first_us);
	JKEY_BOOL(j, "mid_stream", c->mid_stream);
	JKEY_BOOL(j, "roles_from_ports", c->roles_from_ports);
	JKEY_PAIR(j, "packets", c->dir[0].packets, c->dir[1].packets);
	JKEY_PAIR(j, "bytes", c->dir[0].bytes, c->dir[1].bytes);

	JSON_KEY(j, "handshake");
	json_obj(j);
	JKEY_INT(j, "syn", c->syn.n);
	JSON_KEY(j, "syn_at_s");
	jladder(j, &c->syn, base);
	JKEY_INT(j, "synack", c->synack.n);
	JSON_KEY(j, "synack_at_s");
	jladder(j, &c->synack, base);
	JKEY_TIME(j, "ack_at_s", c->hs_ack_us, base);
	JKEY_INT(j, "synack_after_ack", c->synack_after_ack);
	JKEY_INT(j, "syn_after_synack", c->syn_after_synack);
	JKEY_BOOL(j, "rst_to_syn", c->syn_rst_us != 0);
	JKEY_BOOL(j, "established", c->established);
	JKEY_TIME(j, "connect_s", c->synack.n ? c->synack.at_us[0] : 0, base);
	json_obj_end(j);

	tcp_json(j, c);

	JSON_KEY(j, "close");
	json_obj(j);
	JKEY_STR(j, "by",
		 c->closer < 0		? NULL
		 : c->closer == CAP_C2S ? "client"
					: "server");
	JKEY_STR(j, "how", cap_close_name(c->close_how));
	JKEY_TIME(j, "at_s", c->close_us, c->first_us);
	JKEY_US(j, "idle_before_s", c->idle_before_close_us);
	JKEY_STR(j, "state",
		 c->closer < 0 ? NULL : cap_state_name(c->close_state));
	JKEY_STR(j, "end", cap_end_phrase(c, eb, sizeof(eb)));
	JKEY_BOOL(j, "open_at_capture_end", c->ended_by_capture);
	json_obj_end(j);

	mysql_json(j, c);

	JSON_KEY(j, "findings");
	json_arr(j);
	for (i = 0; i < f->n; i++)
		jfinding(j, &f->v[i], 0);
	json_arr_end(j);
	json_obj_end(j);
}

static void findings_text(struct cap_report *r, const struct cd_findings *fs,
			  const char *what)
{
	size_t i;

	if (fs->n == 0) {
		fprintf(r->o.out, "%sno problem found%s: %s.\n", col(r, GREEN),
			col(r, RESET), what);
		return;
	}
	fprintf(r->o.out, "%sFindings%s (most severe first)\n", col(r, BOLD),
		col(r, RESET));
	for (i = 0; i < fs->n; i++) {
		const struct cd_finding *f = &fs->v[i];
		const char *c = f->severity == CD_SEV_CRITICAL	? RED
				: f->severity == CD_SEV_WARNING ? YELLOW
								: "";

		fprintf(r->o.out, "\n%s%-8s%s %s %s\n", col(r, c),
			f->severity == CD_SEV_CRITICAL	? "CRITICAL"
			: f->severity == CD_SEV_WARNING ? "WARNING"
							: "INFO",
			col(r, RESET), f->def->code, f->def->title);
		fprintf(r->o.out, "  %s\n", f->summary);
		if (f->evidence[0])
			fprintf(r->o.out, "  evidence: %s\n", f->evidence);
		fprintf(r->o.out, "  advice:   %s\n", f->def->advice);
		fprintf(r->o.out, "  %smore:     conndoctor explain %s%s\n",
			col(r, DIM), f->def->code, col(r, RESET));
	}
}

/* One connection's summary under its timeline (--conn, text). */
static void conn_text_detail(struct cap_report *r, const struct cap_conn *c)
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

void cap_report_conn(struct cap_report *r, const struct cap_conn *c,
		     const struct cd_findings *f)
{
	if (r->o.conn_id) {
		if (c->id != r->o.conn_id)
			return;
		r->conn_seen = 1;
		if (r->o.json)
			conn_json(r, c, f);
		else
			conn_text_detail(r, c);
		return;
	}
	if (r->o.json)
		conn_json(r, c, f);
	else
		conn_text_row(r, c);
}

int cap_report_finish(struct cap_report *r, const struct cd_findings *all,
		      uint64_t drops, const char *input_error, int exit_status)
{
	const struct cap_totals *t = r->t;
	struct json *j = &r->jo;
	size_t i;

	if (r->o.json) {
		for (i = 0; i < all->n; i++) {
			jfinding(j, &all->v[i], 1);
		}
		json_obj(j);
		JKEY_STR(j, "type", "summary");
		JKEY_STR(j, "conndoctor", CD_VERSION);
		JKEY_INT(j, "packets", (int64_t)t->packets);
		JKEY_INT(j, "bytes", (int64_t)t->bytes);
		JKEY_US(j, "first_packet_epoch_s", t->first_us);
		JKEY_US(j, "duration_s", t->last_us - t->first_us);
		JKEY_INT(j, "tcp_segments", (int64_t)t->tcp);
		JKEY_INT(j, "on_server_ports", (int64_t)t->ours);
		JKEY_INT(j, "not_tcp", (int64_t)t->other);
		JKEY_INT(j, "ip_fragments", (int64_t)t->fragments);
		JKEY_INT(j, "truncated_frames", (int64_t)t->truncated);
		JKEY_INT(j, "headers_cut", (int64_t)t->header_cut);
		JKEY_INT(j, "bad_headers", (int64_t)t->bad_headers);
		JKEY_INT(j, "bad_timestamps", (int64_t)t->bad_time);
		JKEY_INT(j, "connections", (int64_t)t->conns);
		JKEY_INT(j, "open_peak", (int64_t)t->open_peak);
		JKEY_INT(j, "evicted_embryonic", (int64_t)t->evicted_embryonic);
		JKEY_INT(j, "evicted_open", (int64_t)t->evicted_open);
		JKEY_INT(j, "commands", (int64_t)t->commands);
		JKEY_INT(j, "kernel_drops", (int64_t)drops);
		JKEY_STR(j, "input_error", input_error);
		JKEY_INT(j, "exit_status", exit_status);
		json_obj_end(j);
		json_flush(j);
		return j->failed ? -1 : 0;
	}
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
		col(r, DIM), (unsigned long long)t->packets,
		(unsigned long long)t->bytes, sec(t->last_us - t->first_us),
		(unsigned long long)t->tcp, (unsigned long long)t->ours,
		(unsigned long long)t->conns, (unsigned long long)t->open_peak,
		(unsigned long long)t->commands, col(r, RESET));
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
			(unsigned long long)(t->evicted_embryonic +
					     t->evicted_open),
			(unsigned long long)t->evicted_embryonic,
			(unsigned long long)t->evicted_open);
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
