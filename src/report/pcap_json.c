/* pcap_json.c - `conndoctor pcap --json`: JSON lines (RFC 8259 objects, one
 * per line: inputs, commands, events, connections, findings, the summary;
 * schema in docs/pcap.md). */
#include <string.h>

#include "mysql/compress.h"
#include "report/pcap.h"

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

static void json_input(struct rpt_pcap *r, const char *name, int linktype,
		       int snaplen)
{
	char lb[32];
	struct json *j = &r->jo;

	json_obj(j);
	JKEY_STR(j, "type", "input");
	JKEY_STR(j, "name", name);
	JKEY_STR(j, "linktype", cap_linktype_name(linktype, lb, sizeof(lb)));
	JKEY_INT(j, "snaplen", snaplen);
	json_obj_end(j);
}

/* ---- commands ---- */

static void json_command(struct rpt_pcap *r, const struct cap_conn *c,
			 const struct cap_cmd *cmd)
{
	struct json *j = &r->jo;
	char cb[24];

	if (r->o.conn_id && c->id != r->o.conn_id)
		return;
	json_obj(j);
	JKEY_STR(j, "type", "command");
	JKEY_INT(j, "conn", (int64_t)c->id);
	JKEY_INT(j, "n", (int64_t)cmd->n);
	JKEY_US(j, "t_s", cmd->start_us - r->t->first_us);
	JKEY_STR(j, "command", cap_command_name(cmd->cmd, cb, sizeof(cb)));
	JKEY_STR(j, "argument", cmd->arg);
	JKEY_INT(j, "argument_bytes", cmd->arg_len);
	if (cmd->attrs_total) {
		const char *name, *value;
		unsigned i;

		JSON_KEY(j, "attributes");
		json_arr(j);
		for (i = 0; (name = cap_attr_at(cmd, i, &value)) != NULL; i++) {
			json_obj(j);
			JKEY_STR(j, "name", name);
			JKEY_STR(j, "value", value);
			json_obj_end(j);
		}
		json_arr_end(j);
		JKEY_INT(j, "attributes_sent", cmd->attrs_total);
	}
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

/* ---- events (--conn) ---- */

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
		"compressed",	  "resync",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static void json_event(struct rpt_pcap *r, const struct cap_event *e)
{
	char text[512];
	struct json *j = &r->jo;

	rpt_pcap_event_text(e, text, sizeof(text));
	json_obj(j);
	JKEY_STR(j, "type", "event");
	JKEY_INT(j, "conn", (int64_t)e->conn->id);
	JKEY_US(j, "t_s", e->ts_us - e->conn->first_us);
	JKEY_STR(j, "dir", e->dir == CAP_C2S ? "c2s" : "s2c");
	JKEY_STR(j, "event", event_token(e->kind));
	JKEY_STR(j, "text", text);
	json_obj_end(j);
}

/* ---- connections ---- */

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
		} else if (k == CAP_AN_INFLATE) {
			JKEY_INT(j, "offset", (int64_t)a->offset);
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
	JKEY_BOOL(j, "compression_inferred", my->compress_inferred);
	JKEY_PAIR(j, "skipped_bytes", my->skipped[CAP_C2S],
		  my->skipped[CAP_S2C]);
	JKEY_STR(j, "compression",
		 my->compress_algo == MYSQL_COMP_ZSTD	? "zstd"
		 : my->compress_algo == MYSQL_COMP_ZLIB ? "zlib"
							: NULL);
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

static void conn_json(struct rpt_pcap *r, const struct cap_conn *c,
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

static void json_conn(struct rpt_pcap *r, const struct cap_conn *c,
		      const struct cd_findings *f)
{
	if (r->o.conn_id) {
		if (c->id != r->o.conn_id)
			return;
		r->conn_seen = 1;
	}
	conn_json(r, c, f);
}

static int json_finish(struct rpt_pcap *r, const struct cd_findings *all,
		       uint64_t drops, const char *input_error, int exit_status)
{
	const struct cap_totals *t = r->t;
	struct json *j = &r->jo;
	size_t i;

	for (i = 0; i < all->n; i++)
		jfinding(j, &all->v[i], 1);
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
	JKEY_INT(j, "out_of_order_peak_bytes", (int64_t)t->ooo_peak_bytes);
	JKEY_INT(j, "out_of_order_budget_gaps", (int64_t)t->ooo_budget_gaps);
	JKEY_INT(j, "out_of_order_dropped", (int64_t)t->ooo_dropped);
	JKEY_INT(j, "out_of_order_dropped_bytes",
		 (int64_t)t->ooo_dropped_bytes);
	JKEY_INT(j, "commands", (int64_t)t->commands);
	JKEY_INT(j, "kernel_drops", (int64_t)drops);
	JKEY_STR(j, "input_error", input_error);
	JKEY_INT(j, "exit_status", exit_status);
	json_obj_end(j);
	json_flush(j);
	return j->failed ? -1 : 0;
}

const struct rpt_pcap_renderer rpt_pcap_json = {
	.input = json_input,
	.conn = json_conn,
	.command = json_command,
	.event = json_event,
	.finish = json_finish,
};
