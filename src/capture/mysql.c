/* mysql.c - the passive MySQL decoder over each direction's reassembled
 * stream (MySQL "Client/Server Protocol": Connection Phase, Command Phase,
 * Binlog Network Stream; MariaDB "Client/Server Protocol" pages), built on
 * the same codec as the probe's client (src/mysql/mysql.h).
 *
 * Each direction is cut into frames by a framer that decodes a frame where
 * it lies when a segment holds all of it, and gathers it (up to frame_keep
 * bytes) when it spans segments. A frame header is checked against what
 * the session expects before its payload is read: a header that cannot be
 * there (text where a command must start, a sequence id out of order where
 * the protocol is strict, a length no such packet has) is an anomaly, and
 * that direction waits for a plausible frame start at a later segment
 * instead of reading a made-up length. Gaps inside a frame only damage that
 * frame; a gap over a frame boundary puts both directions out of step until
 * the client's next command.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cap_int.h"
#include "mysql/commands.h"
#include "mysql/qattr.h"
#include "mysql/wire.h"
#include "util/escape.h"
#include "util/vec.h"

#define AUTH_FRAME_MAX (1u << 20) /* no handshake packet is this long */
#define TEXT_MIN       8	  /* printable bytes that make "text" */
#define EOF_MAX	       9

/* MariaDB's MARIADB_CLIENT_CACHE_METADATA (extended capability 1 << 4): a
 * byte after a result set's column count says whether the column
 * definitions follow, exactly as MySQL 8's CLIENT_OPTIONAL_RESULTSET_
 * METADATA (1 << 25), which is how the codec is told about it. */
#define MARIADB_CACHE_METADATA 0x10u
#define OPTIONAL_METADATA      0x02000000u

/* Capabilities assumed when the capture starts after the handshake. */
#define GUESSED_CAPS                                                           \
	(MYSQL_CLIENT_PROTOCOL_41 | MYSQL_CLIENT_TRANSACTIONS |                \
	 MYSQL_CLIENT_SECURE_CONNECTION | MYSQL_CLIENT_MULTI_RESULTS |         \
	 MYSQL_CLIENT_PS_MULTI_RESULTS | MYSQL_CLIENT_PLUGIN_AUTH)

/* A complete frame (its first `have` bytes, when have < len). */
struct frm {
	const uint8_t *p;
	size_t have;
	uint32_t len;
	uint8_t seq;
	int partial;	/* have < len: cut at frame_keep, or damaged */
	int damaged;	/* the capture missed some of its bytes */
	int64_t t0, t1; /* first and last byte */
};

static int printable(uint8_t b)
{
	return (b >= 0x20 && b < 0x7f) || b == '\n' || b == '\r' || b == '\t';
}

/* ---- session helpers ---- */

static void set_state(struct cap_flow *f, enum cap_my_state s)
{
	f->rec.my.state = s;
}

static void all_off(struct cap_flow *f)
{
	f->half[0].fr.off = f->half[1].fr.off = 1;
}

void cap_my_init(struct cap_flow *f, int mid_stream)
{
	memset(&f->dec, 0, sizeof(f->dec));
	if (mid_stream) {
		set_state(f, CAP_MY_UNKNOWN);
		f->dec.caps = GUESSED_CAPS;
		f->half[0].fr.lost = f->half[1].fr.lost = 1;
	} else {
		set_state(f, CAP_MY_GREETING);
	}
}

void cap_my_free(struct cap_flow *f)
{
	cap_cz_free(f);
	free(f->half[0].fr.buf);
	free(f->half[1].fr.buf);
	f->half[0].fr.buf = f->half[1].fr.buf = NULL;
}

/* The first anomaly of a kind is kept; later ones are counted. Returns the
 * record to fill, or NULL when it is not the first. */
static struct cap_anomaly_rec *anomaly(struct cap_flow *f, enum cap_anomaly k,
				       int dir, int64_t ts)
{
	struct cap_anomaly_rec *a = &f->rec.my.an[k];

	if (a->count++)
		return NULL;
	a->dir = dir;
	a->at_us = ts;
	a->state = (uint8_t)f->rec.my.state;
	return a;
}

struct cap_anomaly_rec *cap_my_anomaly(struct cap_flow *f, enum cap_anomaly k,
				       int dir, int64_t ts)
{
	return anomaly(f, k, dir, ts);
}

/* A string the codec copied from the wire (NUL-terminated within max),
 * escaped: what the report prints is always printable ASCII. */
static void copy_cstr(char *out, size_t cap, const char *in, size_t max)
{
	cd_escape(out, cap, (const uint8_t *)in, strnlen(in, max));
}

static void copy_err(struct cap_err *e, const struct mysql_err *m, int64_t ts)
{
	e->code = m->code;
	size_t i;

	/* the codec copies wire bytes: keep what can be a SQLSTATE */
	for (i = 0; i + 1 < sizeof(e->sqlstate) && m->sqlstate[i]; i++)
		e->sqlstate[i] = isalnum((unsigned char)m->sqlstate[i])
					 ? m->sqlstate[i]
					 : '?';
	e->sqlstate[i] = '\0';
	cd_escape(e->message, sizeof(e->message), (const uint8_t *)m->message,
		  strlen(m->message));
	e->at_us = ts;
}

/* Ends the command in progress. */
static void finish(struct cap_engine *e, struct cap_flow *f,
		   enum cap_result res, int64_t t_end)
{
	struct cap_mydec *d = &f->dec;
	struct cap_session *my = &f->rec.my;
	struct cap_cmd *c = &d->cmd;
	int64_t resp;

	if (!d->cmd_active)
		return;
	d->cmd_active = 0;
	c->result = res;
	c->end_us = t_end;
	my->commands++;
	if (res == CAP_RES_ERR && !my->errors++)
		my->cmd_err = c->err;
	my->rows += c->rows;
	resp = t_end ? t_end - c->start_us : 0;
	if (c->first_us && resp > my->max_resp_us && res != CAP_RES_STREAM &&
	    my->state != CAP_MY_BINLOG) {
		my->max_resp_us = resp;
		my->max_resp_cmd = c->cmd;
		memcpy(my->max_resp_arg, c->arg, sizeof(c->arg));
	}
	if (t_end)
		my->last_cmd_end_us = t_end;
	if (my->state == CAP_MY_RESPONSE || my->state == CAP_MY_BINLOG)
		set_state(f, CAP_MY_READY);
	cap_emit(e, f, CAP_EV_RESPONSE, CAP_S2C, t_end ? t_end : c->start_us,
		 res, 0, c);
	cap_emit_command(e, f, c);
}

/* Puts both directions out of step after a gap over a frame boundary:
 * they resync at the client's next command. */
static void lose_both(struct cap_engine *e, struct cap_flow *f, int64_t ts)
{
	struct cap_session *my = &f->rec.my;
	int d;

	for (d = 0; d < 2; d++) {
		f->half[d].fr.lost = 1;
		f->half[d].fr.hdr_have = 0;
	}
	f->dec.server_resync = 0;
	finish(e, f, CAP_RES_UNKNOWN, ts);
	switch (my->state) {
	case CAP_MY_GREETING:
	case CAP_MY_LOGIN:
	case CAP_MY_AUTH:
		if (my->login == CAP_LOGIN_PENDING ||
		    my->login == CAP_LOGIN_NONE)
			my->login = CAP_LOGIN_UNKNOWN;
		set_state(f, CAP_MY_UNKNOWN);
		if (!f->dec.caps)
			f->dec.caps = GUESSED_CAPS;
		break;
	case CAP_MY_RESPONSE:
	case CAP_MY_BINLOG:
		set_state(f, CAP_MY_READY);
		break;
	default:
		break;
	}
}

/* Escapes the printable run starting at the frame header into a. */
static void take_text(struct cap_anomaly_rec *a, const uint8_t hdr[4],
		      const uint8_t *rest, size_t nrest)
{
	uint8_t buf[CAP_TEXT_MAX + MYSQL_HEADER_LEN];
	size_t n = 0, i;

	for (i = 0; i < MYSQL_HEADER_LEN; i++)
		buf[n++] = hdr[i];
	for (i = 0; i < nrest && n < sizeof(buf) && printable(rest[i]); i++)
		buf[n++] = rest[i];
	while (i < nrest && printable(rest[i]))
		i++;
	a->text_len = (uint32_t)(MYSQL_HEADER_LEN + i);
	cd_escape(a->text, sizeof(a->text), buf, n);
}

/* Printable text where a frame header should be: the header's 4 bytes
 * and what follows are all text. */
static int looks_text(const uint8_t hdr[4], const uint8_t *rest, size_t n)
{
	size_t i, run = MYSQL_HEADER_LEN;

	for (i = 0; i < MYSQL_HEADER_LEN; i++)
		if (!printable(hdr[i]))
			return 0;
	for (i = 0; i < n && run < TEXT_MIN && printable(rest[i]); i++)
		run++;
	return run >= TEXT_MIN || i == n;
}

/* Is this header possible here? Records why not, and returns 0 (the
 * direction is then out of step or no longer decoded). */
static int header_ok(struct cap_engine *e, struct cap_flow *f, int dir,
		     const uint8_t *rest, size_t nrest, int64_t ts)
{
	struct cap_framer *fr = &f->half[dir].fr;
	struct cap_mydec *d = &f->dec;
	enum cap_my_state st = f->rec.my.state;
	struct cap_anomaly_rec *a;
	int want = -1, strict = 0;
	uint32_t max = MYSQL_MAX_FRAME;

	fr->is_cont = fr->cont;
	if (fr->cont) {
		if (fr->seq != d->expect) {
			a = anomaly(f, CAP_AN_SEQ, dir, ts);
			if (a) {
				a->seq_got = fr->seq;
				a->seq_want = d->expect;
				cap_emit(e, f, CAP_EV_ANOMALY, dir, ts,
					 CAP_AN_SEQ, 0, NULL);
			}
		}
		d->expect = (uint8_t)(fr->seq + 1);
		return 1;
	}
	if (dir == CAP_S2C) {
		switch (st) {
		case CAP_MY_GREETING:
			want = 0;
			strict = 1;
			max = AUTH_FRAME_MAX;
			break;
		case CAP_MY_AUTH:
			want = d->expect;
			max = AUTH_FRAME_MAX;
			break;
		case CAP_MY_RESPONSE:
		case CAP_MY_BINLOG:
			want = d->expect;
			break;
		default:
			break; /* unsolicited: an ERR before a close */
		}
	} else {
		switch (st) {
		case CAP_MY_LOGIN:
			want = d->expect;
			strict = 1;
			max = AUTH_FRAME_MAX;
			break;
		case CAP_MY_AUTH:
			want = d->expect;
			max = AUTH_FRAME_MAX;
			break;
		case CAP_MY_RESPONSE:
			if (d->rk == CAP_RK_TEXT && d->rs.local_infile) {
				want = d->expect;
				break;
			}
			want = 0;
			strict = 1;
			break;
		case CAP_MY_GREETING:
			/* the server speaks first: nothing the client sends
			 * here is MySQL */
			a = anomaly(f,
				    looks_text(fr->hdr, rest, nrest)
					    ? CAP_AN_TEXT
					    : CAP_AN_GARBAGE,
				    dir, ts);
			if (a) {
				if (looks_text(fr->hdr, rest, nrest))
					take_text(a, fr->hdr, rest, nrest);
				cap_emit(e, f, CAP_EV_ANOMALY, dir, ts,
					 f->rec.my.an[CAP_AN_TEXT].count
						 ? CAP_AN_TEXT
						 : CAP_AN_GARBAGE,
					 0, NULL);
			}
			goto reject;
		default:
			want = 0;
			strict = 1;
			break;
		}
	}
	if (want != fr->seq && (want >= 0 || dir == CAP_S2C) &&
	    looks_text(fr->hdr, rest, nrest)) {
		a = anomaly(f, CAP_AN_TEXT, dir, ts);
		if (a) {
			take_text(a, fr->hdr, rest, nrest);
			cap_emit(e, f, CAP_EV_ANOMALY, dir, ts, CAP_AN_TEXT, 0,
				 NULL);
		}
		goto reject;
	}
	if (want >= 0 && want != fr->seq) {
		a = anomaly(f, CAP_AN_SEQ, dir, ts);
		if (a) {
			a->seq_got = fr->seq;
			a->seq_want = (uint8_t)want;
			cap_emit(e, f, CAP_EV_ANOMALY, dir, ts, CAP_AN_SEQ, 0,
				 NULL);
		}
		if (strict)
			goto reject;
	}
	if (fr->len > max) {
		a = anomaly(f, CAP_AN_LENGTH, dir, ts);
		if (a) {
			a->length = fr->len;
			a->length_seen = (uint32_t)nrest;
			cap_emit(e, f, CAP_EV_ANOMALY, dir, ts, CAP_AN_LENGTH,
				 0, NULL);
		}
		goto reject;
	}
	if (want >= 0)
		d->expect = (uint8_t)(fr->seq + 1);
	return 1;
reject:
	fr->hdr_have = 0;
	if (st == CAP_MY_GREETING && dir == CAP_S2C) {
		set_state(f, CAP_MY_NOT_MYSQL);
		all_off(f);
		return 0;
	}
	fr->lost = 1;
	if (dir == CAP_S2C)
		finish(e, f, CAP_RES_UNKNOWN, ts);
	return 0;
}

/* ---- the client's side ---- */

/* Copies a borrowed, unterminated string escaped. */
static void copy_name(char *out, size_t cap, const char *s, size_t n)
{
	if (!s) {
		out[0] = '\0';
		return;
	}
	cd_escape(out, cap, (const uint8_t *)s, n);
}

static void login(struct cap_engine *e, struct cap_flow *f,
		  const struct frm *fm)
{
	struct cap_session *my = &f->rec.my;
	struct mysql_login_view v;
	struct cap_anomaly_rec *a;

	if (fm->partial || mysql_login_parse(fm->p, fm->have, &v) != MYSQL_OK) {
		a = anomaly(f, CAP_AN_GARBAGE, CAP_C2S, fm->t0);
		if (a)
			cap_emit(e, f, CAP_EV_ANOMALY, CAP_C2S, fm->t0,
				 CAP_AN_GARBAGE, 0, NULL);
		f->half[CAP_C2S].fr.lost = 1;
		return;
	}
	my->client_caps = v.caps;
	f->dec.caps = my->greeting_us ? my->server_caps & v.caps : v.caps;
	/* without the greeting, what the client asked for is the best guess */
	f->dec.mariadb_caps = my->greeting_us
				      ? f->dec.mariadb_caps & v.mariadb_caps
				      : v.mariadb_caps;
	if (f->dec.mariadb_caps & MARIADB_CACHE_METADATA)
		f->dec.caps |= OPTIONAL_METADATA;
	my->login_us = fm->t0;
	f->dec.expect = (uint8_t)(fm->seq + 1);
	if (v.is_ssl_request) {
		my->tls = 1;
		my->login = CAP_LOGIN_UNKNOWN;
		set_state(f, CAP_MY_TLS);
		all_off(f);
		cap_emit(e, f, CAP_EV_SSL, CAP_C2S, fm->t0, 0, 0, NULL);
		return;
	}
	copy_name(my->user, sizeof(my->user), v.user, v.user_len);
	copy_name(my->schema, sizeof(my->schema), v.db, v.db_len);
	copy_name(my->client_plugin, sizeof(my->client_plugin), v.plugin,
		  v.plugin_len);
	my->login = CAP_LOGIN_PENDING;
	set_state(f, CAP_MY_AUTH);
	cap_emit(e, f, CAP_EV_LOGIN, CAP_C2S, fm->t0, 0, 0, NULL);
}

/* The parameter count of a statement prepared in this capture, or -1. */
static long stmt_params(const struct cap_mydec *d, uint32_t id)
{
	size_t i;

	for (i = 0; i < sizeof(d->stmts) / sizeof(d->stmts[0]); i++)
		if (d->stmts[i].used && d->stmts[i].id == id)
			return d->stmts[i].params;
	return -1;
}

/* Query attributes ahead of the statement text: both sides set the flag,
 * or, when the capture missed the login, the payload starts with a
 * parameter_count and a parameter_set_count of 1 (what no statement text
 * starts with). Returns where the text starts (1 without attributes). */
static size_t query_attrs(struct cap_mydec *d, int mid, struct cap_cmd *c,
			  const uint8_t *p, size_t n)
{
	struct mysql_qattrs q;

	if (!(d->caps & MYSQL_CLIENT_QUERY_ATTRIBUTES) &&
	    !(mid && n >= 3 && p[1] < 0xfb && p[2] == 1))
		return 1;
	if (mysql_query_attrs_parse(p, n, &q) != MYSQL_OK)
		return 1;
	if (!(d->caps & MYSQL_CLIENT_QUERY_ATTRIBUTES))
		d->caps |= MYSQL_CLIENT_QUERY_ATTRIBUTES; /* seen: in use */
	cap_attrs_fill(c, &q, 0);
	return q.end;
}

/* The command's argument in readable form. */
static void command_arg(struct cap_mydec *d, int mid, struct cap_cmd *c,
			const uint8_t *p, size_t n)
{
	const uint8_t *a = p + 1;
	size_t k = n - 1, i;
	struct mysql_stmt_cmd sc;
	struct mysql_binlog_dump bd;

	switch (c->cmd) {
	case MYSQL_COM_PROCESS_KILL:
		if (k >= 4)
			snprintf(c->arg, sizeof(c->arg), "%u", le32_at(a));
		return;
	case MYSQL_COM_STMT_EXECUTE:
		if (mysql_stmt_cmd_parse(p, n, &sc) == MYSQL_OK) {
			struct mysql_qattrs q;

			snprintf(c->arg, sizeof(c->arg), "statement %u",
				 sc.stmt_id);
			if ((d->caps & MYSQL_CLIENT_QUERY_ATTRIBUTES) &&
			    mysql_execute_params_parse(
				    p, n, stmt_params(d, sc.stmt_id), 1, &q) ==
				    MYSQL_OK)
				cap_attrs_fill(c, &q, 1);
		}
		return;
	case MYSQL_COM_STMT_CLOSE:
	case MYSQL_COM_STMT_SEND_LONG_DATA:
	case MYSQL_COM_STMT_RESET:
	case MYSQL_COM_STMT_FETCH:
		if (mysql_stmt_cmd_parse(p, n, &sc) == MYSQL_OK)
			snprintf(c->arg, sizeof(c->arg), "statement %u",
				 sc.stmt_id);
		return;
	case MYSQL_COM_REGISTER_SLAVE:
		if (k >= 4)
			snprintf(c->arg, sizeof(c->arg), "server_id %u",
				 le32_at(a));
		return;
	case MYSQL_COM_BINLOG_DUMP:
		if (mysql_binlog_dump_parse(p, n, &bd) == MYSQL_OK) {
			char file[96];

			cd_escape(file, sizeof(file), bd.file, bd.file_len);
			snprintf(c->arg, sizeof(c->arg), "%s:%u server_id %u",
				 file[0] ? file : "-", bd.pos, bd.server_id);
		}
		return;
	case MYSQL_COM_SET_OPTION:
		if (k >= 2)
			snprintf(c->arg, sizeof(c->arg), "%u",
				 (unsigned)le16_at(a));
		return;
	case MYSQL_COM_CHANGE_USER: /* the user name */
	case MYSQL_COM_FIELD_LIST:  /* the table */
		for (i = 0; i < k && a[i]; i++)
			;
		cd_escape(c->arg, sizeof(c->arg), a, i);
		return;
	case MYSQL_COM_QUERY:
		i = query_attrs(d, mid, c, p, n);
		c->arg_len -= (uint32_t)(i - 1);
		cd_escape(c->arg, sizeof(c->arg), p + i, n - i);
		return;
	case MYSQL_COM_INIT_DB:
	case MYSQL_COM_STMT_PREPARE:
		cd_escape(c->arg, sizeof(c->arg), a, k);
		return;
	default:
		return;
	}
}

static void start_cmd(struct cap_engine *e, struct cap_flow *f,
		      const struct frm *fm)
{
	struct cap_mydec *d = &f->dec;
	struct cap_session *my = &f->rec.my;
	struct cap_cmd *c = &d->cmd;

	if (!fm->have) {
		struct cap_anomaly_rec *a =
			anomaly(f, CAP_AN_GARBAGE, CAP_C2S, fm->t0);

		if (a)
			cap_emit(e, f, CAP_EV_ANOMALY, CAP_C2S, fm->t0,
				 CAP_AN_GARBAGE, 0, NULL);
		return;
	}
	finish(e, f, CAP_RES_UNKNOWN, 0);
	memset(c, 0, sizeof(*c));
	my->local_infile_us = 0;
	c->n = ++d->ncmd;
	c->cmd = fm->p[0];
	c->start_us = fm->t0;
	c->arg_len = fm->len - 1;
	command_arg(d, !my->login_us, c, fm->p, fm->have);
	d->expect = (uint8_t)(fm->seq + 1);
	d->server_resync = f->half[CAP_S2C].fr.lost;
	d->cmd_active = 1;
	cap_emit(e, f, CAP_EV_COMMAND, CAP_C2S, fm->t0, 0, 0, c);
	switch (c->cmd) {
	case MYSQL_COM_QUIT:
		my->quit = 1;
		my->quit_us = fm->t0;
		set_state(f, CAP_MY_QUIT);
		finish(e, f, CAP_RES_NONE, 0);
		set_state(f, CAP_MY_QUIT);
		return;
	case MYSQL_COM_STMT_CLOSE:
	case MYSQL_COM_STMT_SEND_LONG_DATA:
		set_state(f, CAP_MY_READY);
		finish(e, f, CAP_RES_NONE, 0);
		return;
	case MYSQL_COM_CHANGE_USER:
		my->change_user++;
		d->rk = CAP_RK_SIMPLE;
		set_state(f, CAP_MY_AUTH);
		return;
	case MYSQL_COM_BINLOG_DUMP:
	case MYSQL_COM_BINLOG_DUMP_GTID:
		my->binlog = 1;
		set_state(f, CAP_MY_BINLOG);
		return;
	case MYSQL_COM_QUERY:
		d->rk = CAP_RK_TEXT;
		mysql_rs_init(&d->rs, d->caps);
		break;
	case MYSQL_COM_STMT_EXECUTE:
		d->rk = CAP_RK_BINARY;
		d->gs = CAP_GS_FIRST;
		break;
	case MYSQL_COM_STMT_PREPARE:
		d->rk = CAP_RK_PREPARE;
		d->gs = CAP_GS_FIRST;
		break;
	case MYSQL_COM_FIELD_LIST:
		d->rk = CAP_RK_FIELDS;
		d->gs = CAP_GS_ROWS;
		break;
	default:
		d->rk = CAP_RK_SIMPLE;
		break;
	}
	set_state(f, CAP_MY_RESPONSE);
}

static void client_frame(struct cap_engine *e, struct cap_flow *f,
			 const struct frm *fm)
{
	switch (f->rec.my.state) {
	case CAP_MY_LOGIN:
		login(e, f, fm);
		return;
	case CAP_MY_AUTH:
		f->dec.expect = (uint8_t)(fm->seq + 1);
		return;
	case CAP_MY_RESPONSE:
		if (f->dec.rk == CAP_RK_TEXT && f->dec.rs.local_infile) {
			f->dec.expect = (uint8_t)(fm->seq + 1);
			return;
		}
		start_cmd(e, f, fm);
		return;
	case CAP_MY_READY:
	case CAP_MY_QUIT:
	case CAP_MY_UNKNOWN:
	case CAP_MY_BINLOG:
	case CAP_MY_FAILED:
		start_cmd(e, f, fm);
		return;
	default:
		return;
	}
}

/* ---- the server's side ---- */

static void bad_server(struct cap_engine *e, struct cap_flow *f,
		       const struct frm *fm)
{
	struct cap_anomaly_rec *a = anomaly(f, CAP_AN_GARBAGE, CAP_S2C, fm->t0);

	if (a)
		cap_emit(e, f, CAP_EV_ANOMALY, CAP_S2C, fm->t0, CAP_AN_GARBAGE,
			 0, NULL);
}

static void greeting(struct cap_engine *e, struct cap_flow *f,
		     const struct frm *fm)
{
	struct cap_session *my = &f->rec.my;
	struct mysql_greeting g;
	struct mysql_err err;

	if (!fm->partial && fm->have && fm->p[0] == 0xff &&
	    mysql_err_parse(fm->p, fm->have, &err) == MYSQL_OK) {
		my->refused = 1;
		copy_err(&my->err, &err, fm->t0);
		set_state(f, CAP_MY_FAILED);
		cap_emit(e, f, CAP_EV_REFUSED, CAP_S2C, fm->t0, err.code, 0,
			 NULL);
		return;
	}
	if (fm->partial || mysql_greeting_parse(fm->p, fm->have, &g)) {
		bad_server(e, f, fm);
		set_state(f, CAP_MY_NOT_MYSQL);
		all_off(f);
		return;
	}
	my->greeting_us = fm->t0;
	copy_cstr(my->version, sizeof(my->version), g.version,
		  sizeof(g.version));
	my->mariadb = g.is_mariadb;
	my->conn_id = g.conn_id;
	my->server_caps = g.caps;
	copy_cstr(my->server_plugin, sizeof(my->server_plugin), g.auth_plugin,
		  sizeof(g.auth_plugin));
	f->dec.caps = g.caps;
	f->dec.mariadb_caps = g.mariadb_caps;
	f->dec.expect = (uint8_t)(fm->seq + 1);
	set_state(f, CAP_MY_LOGIN);
	cap_emit(e, f, CAP_EV_GREETING, CAP_S2C, fm->t0, 0, 0, NULL);
}

static void auth_reply(struct cap_engine *e, struct cap_flow *f,
		       const struct frm *fm)
{
	struct cap_session *my = &f->rec.my;
	struct cap_mydec *d = &f->dec;
	int change = d->cmd_active && d->cmd.cmd == MYSQL_COM_CHANGE_USER;
	struct mysql_auth_switch as;
	struct mysql_err err;

	d->expect = (uint8_t)(fm->seq + 1);
	if (fm->partial) {
		bad_server(e, f, fm);
		return;
	}
	switch (mysql_reply_kind(fm->p, fm->have, MYSQL_PHASE_AUTH, d->caps)) {
	case MYSQL_REPLY_OK:
		if (change) {
			if (!d->cmd.first_us)
				d->cmd.first_us = fm->t0;
			set_state(f, CAP_MY_READY);
			finish(e, f, CAP_RES_OK, fm->t1);
			return;
		}
		my->login = CAP_LOGIN_OK;
		my->auth_us = fm->t1;
		my->last_cmd_end_us = fm->t1;
		set_state(f, CAP_MY_READY);
		cap_emit(e, f, CAP_EV_AUTH_OK, CAP_S2C, fm->t0, 0, 0, NULL);
		if (mysql_comp_algo(d->caps) != MYSQL_COMP_NONE) {
			my->compressed = 1;
			my->compress_algo = (uint8_t)mysql_comp_algo(d->caps);
			cap_emit(e, f, CAP_EV_COMPRESSED, CAP_S2C, fm->t1,
				 my->compress_algo, 0, NULL);
			if (cap_cz_start(f, mysql_comp_algo(d->caps))) {
				set_state(f, CAP_MY_COMPRESSED);
				all_off(f);
			}
		}
		return;
	case MYSQL_REPLY_ERR:
		if (mysql_err_parse(fm->p, fm->have, &err)) {
			bad_server(e, f, fm);
			return;
		}
		if (change) {
			if (!d->cmd.first_us)
				d->cmd.first_us = fm->t0;
			copy_err(&d->cmd.err, &err, fm->t0);
			set_state(f, CAP_MY_FAILED);
			finish(e, f, CAP_RES_ERR, fm->t1);
			set_state(f, CAP_MY_FAILED);
			return;
		}
		copy_err(&my->err, &err, fm->t0);
		my->login = CAP_LOGIN_FAILED;
		my->auth_us = fm->t1;
		set_state(f, CAP_MY_FAILED);
		cap_emit(e, f, CAP_EV_AUTH_ERR, CAP_S2C, fm->t0, err.code, 0,
			 NULL);
		return;
	case MYSQL_REPLY_AUTH_SWITCH:
		if (mysql_auth_switch_parse(fm->p, fm->have, &as)) {
			bad_server(e, f, fm);
			return;
		}
		copy_cstr(my->switch_plugin, sizeof(my->switch_plugin),
			  as.plugin, sizeof(as.plugin));
		cap_emit(e, f, CAP_EV_AUTH_SWITCH, CAP_S2C, fm->t0, 0, 0, NULL);
		return;
	case MYSQL_REPLY_AUTH_MORE:
		cap_emit(e, f, CAP_EV_AUTH_MORE, CAP_S2C, fm->t0,
			 fm->have > 1 ? fm->p[1] : -1, 0, NULL);
		return;
	default:
		bad_server(e, f, fm);
		return;
	}
}

/* An OK (0x00, or 0xfe ending rows) into the command. */
static int take_ok(struct cap_cmd *c, const struct frm *fm, uint32_t caps,
		   uint16_t *status)
{
	struct mysql_ok ok;

	if (mysql_ok_parse(fm->p, fm->have, caps, &ok))
		return -1;
	c->affected += ok.affected_rows;
	c->insert_id = ok.insert_id;
	c->warnings = ok.warnings;
	c->results++;
	*status = ok.status;
	return 0;
}

static int take_err(struct cap_cmd *c, const struct frm *fm)
{
	struct mysql_err err;

	if (mysql_err_parse(fm->p, fm->have, &err))
		return -1;
	copy_err(&c->err, &err, fm->t0);
	return 0;
}

/* Binary result sets, field lists and prepare responses: returns
 * MYSQL_NEED_MORE, MYSQL_OK with *res set, or MYSQL_BAD. */
static int generic(struct cap_mydec *d, const struct frm *fm,
		   enum cap_result *res)
{
	struct cap_cmd *c = &d->cmd;
	int deprecate = !!(d->caps & MYSQL_CLIENT_DEPRECATE_EOF);
	enum mysql_reply k;
	uint16_t status = 0;
	uint64_t n;
	size_t used;

	if (fm->have && fm->p[0] == 0xff && d->gs != CAP_GS_COLS) {
		if (take_err(c, fm))
			return MYSQL_BAD;
		*res = CAP_RES_ERR;
		return MYSQL_OK;
	}
	switch (d->gs) {
	case CAP_GS_FIRST:
		if (d->rk == CAP_RK_PREPARE) {
			struct mysql_prepare_ok po;

			if (mysql_prepare_ok_parse(fm->p, fm->have, &po))
				return MYSQL_BAD;
			d->g_left = mysql_prepare_ok_packets(&po, d->caps);
			d->stmts[d->stmt_next].id = po.stmt_id;
			d->stmts[d->stmt_next].params = po.params;
			d->stmts[d->stmt_next].used = 1;
			d->stmt_next = (uint8_t)((d->stmt_next + 1) %
						 (sizeof(d->stmts) /
						  sizeof(d->stmts[0])));
			c->insert_id = po.stmt_id; /* the statement id */
			c->results = 1;
			d->gs = CAP_GS_COLS;
			*res = CAP_RES_DATA;
			return d->g_left ? MYSQL_NEED_MORE : MYSQL_OK;
		}
		k = mysql_reply_kind(fm->p, fm->have, MYSQL_PHASE_COMMAND,
				     d->caps);
		if (k == MYSQL_REPLY_OK) {
			if (take_ok(c, fm, d->caps, &status))
				return MYSQL_BAD;
			*res = c->rows || d->g_left ? CAP_RES_ROWS : CAP_RES_OK;
			return status & MYSQL_SERVER_MORE_RESULTS_EXISTS
				       ? MYSQL_NEED_MORE
				       : MYSQL_OK;
		}
		if (k != MYSQL_REPLY_DATA ||
		    mysql_lenenc_int(fm->p, fm->have, &n, &used) || n == 0)
			return MYSQL_BAD;
		c->results++;
		if (d->caps & OPTIONAL_METADATA) {
			if (used + 1 != fm->have)
				return MYSQL_BAD;
			if (fm->p[used] == 0) { /* no definitions follow */
				d->gs = deprecate ? CAP_GS_ROWS : CAP_GS_COLEOF;
				return MYSQL_NEED_MORE;
			}
		} else if (used != fm->have) {
			return MYSQL_BAD;
		}
		d->g_left = n;
		d->gs = CAP_GS_COLS;
		return MYSQL_NEED_MORE;
	case CAP_GS_COLS:
		if (d->rk == CAP_RK_PREPARE) {
			*res = CAP_RES_DATA;
			return --d->g_left ? MYSQL_NEED_MORE : MYSQL_OK;
		}
		if (--d->g_left == 0)
			d->gs = deprecate ? CAP_GS_ROWS : CAP_GS_COLEOF;
		return MYSQL_NEED_MORE;
	case CAP_GS_COLEOF:
		if (mysql_reply_kind(fm->p, fm->have, MYSQL_PHASE_ROWS,
				     d->caps) != MYSQL_REPLY_EOF)
			return MYSQL_BAD;
		d->gs = CAP_GS_ROWS;
		return MYSQL_NEED_MORE;
	case CAP_GS_ROWS:
		k = mysql_reply_kind(fm->p, fm->have, MYSQL_PHASE_ROWS,
				     d->caps);
		if (k == MYSQL_REPLY_OK || k == MYSQL_REPLY_EOF) {
			struct mysql_eof eof;

			if (k == MYSQL_REPLY_OK) {
				if (take_ok(c, fm, d->caps, &status))
					return MYSQL_BAD;
			} else {
				if (mysql_eof_parse(fm->p, fm->have, &eof))
					return MYSQL_BAD;
				status = eof.status;
				c->warnings = eof.warnings;
			}
			*res = d->rk == CAP_RK_FIELDS ? CAP_RES_DATA
						      : CAP_RES_ROWS;
			if (d->rk == CAP_RK_BINARY &&
			    (status & MYSQL_SERVER_MORE_RESULTS_EXISTS)) {
				d->gs = CAP_GS_FIRST;
				d->g_left = 1; /* a result set was seen */
				return MYSQL_NEED_MORE;
			}
			return MYSQL_OK;
		}
		c->rows++;
		return MYSQL_NEED_MORE;
	}
	return MYSQL_BAD;
}

/* A response packet of the command in progress. */
static void response(struct cap_engine *e, struct cap_flow *f,
		     const struct frm *fm)
{
	struct cap_mydec *d = &f->dec;
	struct cap_cmd *c = &d->cmd;
	enum cap_result res = CAP_RES_OK;
	uint16_t status = 0;
	int rc;

	if (!c->first_us)
		c->first_us = fm->t0;
	c->resp_bytes += fm->len;
	if (fm->partial) {
		/* A row longer than what is kept, or one the capture cut:
		 * counted, not read. */
		if ((d->rk == CAP_RK_TEXT && d->rs.state == MYSQL_RS_ROWS) ||
		    (d->rk == CAP_RK_BINARY && d->gs == CAP_GS_ROWS)) {
			c->rows++;
			return;
		}
		goto bad;
	}
	switch (d->rk) {
	case CAP_RK_TEXT:
		/* Rows are counted by their framing, their cells not read
		 * (they are the application's data, and by far the most
		 * packets); the codec reads everything else. */
		if (f->rec.mid_stream && !f->rec.my.greeting_us &&
		    !d->guess_locked)
			cap_mid_guess_text(&d->caps, &d->rs, fm->p, fm->have);
		if (d->rs.state == MYSQL_RS_ROWS &&
		    mysql_reply_kind(fm->p, fm->have, MYSQL_PHASE_ROWS,
				     d->caps) == MYSQL_REPLY_DATA) {
			c->rows++;
			return;
		}
		rc = mysql_rs_feed(&d->rs, fm->p, fm->have);
		if (d->rs.local_infile && !f->rec.my.local_infile_us)
			f->rec.my.local_infile_us = fm->t0;
		if (rc == MYSQL_NEED_MORE)
			return;
		if (rc != MYSQL_OK)
			goto bad;
		c->rows += d->rs.rows;
		c->results = d->rs.results;
		if (d->rs.columns)
			d->guess_locked = 1; /* a result set parsed whole */
		if (d->rs.is_err) {
			copy_err(&c->err, &d->rs.err, fm->t0);
			res = CAP_RES_ERR;
		} else {
			c->affected = d->rs.ok.affected_rows;
			c->insert_id = d->rs.ok.insert_id;
			c->warnings = d->rs.ok.warnings;
			res = d->rs.columns ? CAP_RES_ROWS : CAP_RES_OK;
		}
		break;
	case CAP_RK_SIMPLE:
		switch (mysql_reply_kind(fm->p, fm->have, MYSQL_PHASE_COMMAND,
					 d->caps)) {
		case MYSQL_REPLY_OK:
			rc = take_ok(c, fm, d->caps, &status);
			res = CAP_RES_OK;
			break;
		case MYSQL_REPLY_ERR:
			rc = take_err(c, fm);
			res = CAP_RES_ERR;
			break;
		case MYSQL_REPLY_EOF:
			rc = 0;
			res = CAP_RES_OK;
			break;
		default:
			rc = 0;
			res = CAP_RES_DATA;
			break;
		}
		if (rc)
			goto bad;
		break;
	default:
		rc = generic(d, fm, &res);
		if (rc == MYSQL_NEED_MORE)
			return;
		if (rc != MYSQL_OK)
			goto bad;
		break;
	}
	finish(e, f, res, fm->t1);
	return;
bad:
	/* Framing is intact but the response is not what the command calls
	 * for: its end is unknown, so the server side waits for the next
	 * command. A guess of the capabilities is corrected once. */
	bad_server(e, f, fm);
	if (f->rec.mid_stream && !f->rec.my.greeting_us && !d->guess_locked) {
		/* the next of the four ways a result set can end and carry
		 * its metadata (CLIENT_DEPRECATE_EOF; MariaDB's cache
		 * metadata or MySQL's optional metadata) */
		static const uint32_t alt[4] = {
			0, MYSQL_CLIENT_DEPRECATE_EOF, OPTIONAL_METADATA,
			MYSQL_CLIENT_DEPRECATE_EOF | OPTIONAL_METADATA};

		d->guess = (uint8_t)((d->guess + 1) % 4);
		d->caps = (d->caps & ~alt[3]) | alt[d->guess];
	}
	f->half[CAP_S2C].fr.lost = 1;
	f->half[CAP_S2C].fr.hdr_have = 0;
	finish(e, f, CAP_RES_UNKNOWN, fm->t1);
}

static void binlog(struct cap_engine *e, struct cap_flow *f,
		   const struct frm *fm)
{
	struct cap_session *my = &f->rec.my;
	struct cap_mydec *d = &f->dec;
	struct cap_cmd *c = &d->cmd;
	struct mysql_binlog_event ev;

	if (!c->first_us)
		c->first_us = fm->t0;
	c->resp_bytes += fm->len;
	if (!fm->partial && fm->have && fm->p[0] == 0xff) {
		if (take_err(c, fm)) {
			bad_server(e, f, fm);
			return;
		}
		finish(e, f, CAP_RES_ERR, fm->t1);
		return;
	}
	if (!fm->partial && fm->have && fm->p[0] == 0xfe && fm->len < EOF_MAX) {
		finish(e, f, CAP_RES_OK, fm->t1);
		return;
	}
	if (mysql_binlog_event_parse(fm->p, fm->have, &ev)) {
		bad_server(e, f, fm);
		return;
	}
	if (my->binlog_last_us &&
	    fm->t0 - my->binlog_last_us > my->binlog_max_gap_us)
		my->binlog_max_gap_us = fm->t0 - my->binlog_last_us;
	my->binlog_last_us = fm->t0;
	my->binlog_events++;
	if (ev.type == MYSQL_BINLOG_HEARTBEAT)
		my->heartbeats++;
	if (my->binlog_events == 1 || ev.type == MYSQL_BINLOG_HEARTBEAT)
		cap_emit(e, f, CAP_EV_BINLOG, CAP_S2C, fm->t0,
			 (int64_t)my->binlog_events, (int64_t)my->heartbeats,
			 NULL);
}

/* Anything from the server with no command waiting: an ERR before it
 * closes (1156 after bad bytes, a kill, an idle timeout). */
static void unsolicited(struct cap_engine *e, struct cap_flow *f,
			const struct frm *fm)
{
	struct cap_session *my = &f->rec.my;
	struct mysql_err err;

	if (fm->partial || !fm->have || fm->p[0] != 0xff ||
	    mysql_err_parse(fm->p, fm->have, &err)) {
		bad_server(e, f, fm);
		return;
	}
	copy_err(&my->err, &err, fm->t0);
	if (err.code == 1156)
		my->has_err1156 = 1;
	cap_emit(e, f, CAP_EV_SERVER_ERR, CAP_S2C, fm->t0, err.code, 0, NULL);
}

static void server_frame(struct cap_engine *e, struct cap_flow *f,
			 const struct frm *fm)
{
	switch (f->rec.my.state) {
	case CAP_MY_GREETING:
		greeting(e, f, fm);
		return;
	case CAP_MY_AUTH:
		auth_reply(e, f, fm);
		return;
	case CAP_MY_RESPONSE:
		response(e, f, fm);
		if (!f->half[CAP_S2C].fr.lost && fm->have && fm->p[0] == 0xff &&
		    f->dec.cmd.err.code == 1156)
			f->rec.my.has_err1156 = 1;
		return;
	case CAP_MY_BINLOG:
		binlog(e, f, fm);
		return;
	default:
		unsolicited(e, f, fm);
		return;
	}
}

/* The other side answered while this frame was still incomplete: its
 * length cannot be true (the peer could not have read it all). */
static void peer_answered(struct cap_engine *e, struct cap_flow *f, int dir,
			  int64_t ts)
{
	struct cap_framer *o = &f->half[!dir].fr;
	struct cap_anomaly_rec *a;

	if (o->off || o->lost || o->hdr_have < MYSQL_HEADER_LEN ||
	    o->got >= o->len || f->rec.my.state == CAP_MY_BINLOG ||
	    (f->dec.rk == CAP_RK_TEXT && f->dec.rs.local_infile))
		return;
	a = anomaly(f, CAP_AN_LENGTH, !dir, o->start_us);
	if (a) {
		a->length = o->len;
		a->length_seen = o->got;
		cap_emit(e, f, CAP_EV_ANOMALY, !dir, ts, CAP_AN_LENGTH, 0,
			 NULL);
	}
	o->lost = 1;
	o->hdr_have = 0;
}

/* A row of a result set, which can be counted without its content. */
static int row_frame(const struct cap_flow *f, int dir)
{
	const struct cap_mydec *d = &f->dec;

	return dir == CAP_S2C && f->rec.my.state == CAP_MY_RESPONSE &&
	       ((d->rk == CAP_RK_TEXT && d->rs.state == MYSQL_RS_ROWS) ||
		(d->rk == CAP_RK_BINARY && d->gs == CAP_GS_ROWS));
}

static void dispatch(struct cap_engine *e, struct cap_flow *f, int dir,
		     const struct frm *fm)
{
	struct cap_framer *fr = &f->half[dir].fr;

	fr->cont = fm->len == MYSQL_MAX_FRAME;
	if (fr->is_cont)
		return;
	peer_answered(e, f, dir, fm->t0);
	if (fm->damaged && !row_frame(f, dir)) {
		/* The capture lost part of a frame that matters: what it
		 * said is unknown, so both sides wait for the next command
		 * (no anomaly: the bytes were fine, the capture was not). */
		lose_both(e, f, fm->t1);
		return;
	}
	if (dir == CAP_C2S)
		client_frame(e, f, fm);
	else
		server_frame(e, f, fm);
}

/* Could a frame the decoder accepts start at p (a segment's start)? */
static int resync(struct cap_engine *e, struct cap_flow *f, int dir,
		  const uint8_t *p, size_t n)
{
	struct cap_mydec *d = &f->dec;
	enum cap_my_state st = f->rec.my.state;
	uint32_t len;

	if (n < MYSQL_HEADER_LEN + 1)
		return 0;
	len = le24_at(p);
	if (len == 0)
		return 0;
	/* a capture that starts at the greeting or the login */
	if (st == CAP_MY_UNKNOWN && !d->ncmd && !f->rec.my.login_us) {
		if (dir == CAP_S2C && !f->rec.my.greeting_us &&
		    cap_mid_greeting(p, n)) {
			set_state(f, CAP_MY_GREETING);
			d->expect = 0;
			/* the client says nothing before the greeting */
			if (f->half[CAP_C2S].fr.lost) {
				f->half[CAP_C2S].fr.lost = 0;
				f->half[CAP_C2S].fr.hdr_have = 0;
			}
			return 1;
		}
		if (dir == CAP_C2S && cap_mid_login(p, n)) {
			set_state(f, CAP_MY_LOGIN);
			d->expect = 1;
			/* the server waits for the login between packets */
			f->half[CAP_S2C].fr.lost = 0;
			f->half[CAP_S2C].fr.hdr_have = 0;
			return 1;
		}
	}
	if (dir == CAP_S2C) {
		if (!d->server_resync || !d->cmd_active || p[3] != d->expect)
			return 0;
		d->server_resync = 0;
		return 1;
	}
	if (st != CAP_MY_READY && st != CAP_MY_RESPONSE &&
	    st != CAP_MY_UNKNOWN && st != CAP_MY_QUIT && st != CAP_MY_BINLOG)
		return 0;
	if (!cap_mid_command(p, n))
		return 0;
	finish(e, f, CAP_RES_UNKNOWN, 0);
	if (st == CAP_MY_UNKNOWN || st == CAP_MY_RESPONSE)
		set_state(f, CAP_MY_READY);
	return 1;
}

/* The frame being read is complete. */
static void frame_done(struct cap_engine *e, struct cap_flow *f, int dir,
		       int64_t ts)
{
	struct cap_framer *fr = &f->half[dir].fr;
	struct frm fm;

	fm.p = fr->buf;
	fm.have = fr->damaged ? 0 : fr->kept;
	fm.len = fr->len;
	fm.seq = fr->seq;
	fm.partial = fm.have < fm.len;
	fm.damaged = fr->damaged;
	fm.t0 = fr->start_us;
	fm.t1 = ts;
	fr->hdr_have = 0;
	dispatch(e, f, dir, &fm);
}

/* Offset just past the first newline in p, or n. */
static size_t after_newline(const uint8_t *p, size_t n)
{
	const uint8_t *nl = memchr(p, '\n', n);

	return nl ? (size_t)(nl - p) + 1 : n;
}

/* Reads frames from p; returns the bytes taken, which is fewer than n only
 * when stop_cz is set and a frame (the login's OK) turned compression on:
 * the rest is compressed. */
static size_t plain(struct cap_engine *e, struct cap_flow *f, int dir,
		    const uint8_t *p, size_t n, int64_t ts_us, int seg_start,
		    int stop_cz)
{
	struct cap_half *h = &f->half[dir];
	struct cap_framer *fr = &h->fr;
	size_t keep = cap_engine_keep(e);
	const uint8_t *p0 = p;
	size_t n0 = n;

	if (fr->off)
		return n0;
	if (fr->lost) {
		if (!seg_start || !resync(e, f, dir, p, n)) {
			f->rec.my.skipped[dir] += n;
			f->dec.skip_run[dir] += n;
			return n0;
		}
		fr->lost = 0;
		fr->hdr_have = 0;
		fr->cont = 0;
		if (f->dec.skip_run[dir])
			cap_emit(e, f, CAP_EV_RESYNC, dir, ts_us,
				 (int64_t)f->dec.skip_run[dir], 0, NULL);
		f->dec.skip_run[dir] = 0;
	}
	while (n > 0 && !fr->lost && !fr->off && !(stop_cz && h->cz)) {
		uint32_t need, take;

		if (fr->hdr_have < MYSQL_HEADER_LEN) {
			size_t k = MYSQL_HEADER_LEN - fr->hdr_have;

			if (k > n)
				k = n;
			memcpy(fr->hdr + fr->hdr_have, p, k);
			fr->hdr_have = (uint8_t)(fr->hdr_have + k);
			p += k;
			n -= k;
			if (fr->hdr_have < MYSQL_HEADER_LEN)
				return n0;
			fr->len = le24_at(fr->hdr);
			fr->seq = fr->hdr[3];
			fr->got = fr->kept = 0;
			fr->damaged = 0;
			fr->start_us = ts_us;
			if (!header_ok(e, f, dir, p, n, ts_us)) {
				/* A line of text may be followed by frames
				 * in the same segment. */
				size_t k2;

				if (fr->lost) {
					f->rec.my.skipped[dir] +=
						MYSQL_HEADER_LEN + n;
					f->dec.skip_run[dir] +=
						MYSQL_HEADER_LEN + n;
				}
				if (!fr->lost || dir != CAP_C2S)
					return n0;
				k2 = after_newline(p, n);
				if (k2 >= n ||
				    !resync(e, f, dir, p + k2, n - k2))
					return n0;
				f->rec.my.skipped[dir] -= n - k2;
				f->dec.skip_run[dir] = 0;
				fr->lost = 0;
				p += k2;
				n -= k2;
				continue;
			}
			if (fr->len == 0) {
				frame_done(e, f, dir, ts_us);
				continue;
			}
		}
		need = fr->len - fr->got;
		if (fr->got == 0 && n >= need) {
			/* the whole payload is here: decode it in place */
			struct frm fm;

			fm.p = p;
			fm.have = need;
			fm.len = fr->len;
			fm.seq = fr->seq;
			fm.partial = 0;
			fm.damaged = 0;
			fm.t0 = fr->start_us;
			fm.t1 = ts_us;
			fr->hdr_have = 0;
			p += need;
			n -= need;
			dispatch(e, f, dir, &fm);
			continue;
		}
		take = n < need ? (uint32_t)n : need;
		if (!fr->damaged && fr->got < keep) {
			uint32_t k = (uint32_t)(keep - fr->got);
			uint32_t want =
				fr->len < keep ? fr->len : (uint32_t)keep;

			if (k > take)
				k = take;
			if (fr->buf_cap < want) {
				size_t cap = fr->buf_cap;
				uint8_t *nb = cd_vec_grow(
					fr->buf, 1, want, &cap,
					keep < UINT32_MAX ? keep : UINT32_MAX,
					0);

				if (!nb) {
					fr->damaged = 1;
					k = 0;
				} else {
					fr->buf = nb;
					fr->buf_cap = (uint32_t)cap;
				}
			}
			if (k) {
				memcpy(fr->buf + fr->kept, p, k);
				fr->kept += k;
			}
		}
		fr->got += take;
		p += take;
		n -= take;
		if (fr->got == fr->len)
			frame_done(e, f, dir, ts_us);
	}
	if (fr->lost && n) {
		/* the rest of the segment after a frame that put it out of
		 * step */
		f->rec.my.skipped[dir] += n;
		f->dec.skip_run[dir] += n;
	}
	return stop_cz && h->cz ? (size_t)(p - p0) : n0;
}

void cap_my_plain(struct cap_engine *e, struct cap_flow *f, int dir,
		  const uint8_t *p, size_t n, int64_t ts_us, int seg_start)
{
	(void)plain(e, f, dir, p, n, ts_us, seg_start, 0);
}

/* A capture that starts after a compressed login: nothing said the session
 * is compressed, but a segment starts as a compressed packet does (the
 * frame shape, cap_mid_compressed()). Compression is on from here, told
 * from the frames; the other direction gets in step at its own next
 * compressed packet. Returns 1 when it took the segment. */
static int infer_compression(struct cap_engine *e, struct cap_flow *f, int dir,
			     const uint8_t *p, size_t n, int64_t ts_us)
{
	struct cap_session *my = &f->rec.my;
	int algo, d;

	if (!f->rec.mid_stream || my->greeting_us || my->login_us ||
	    my->compressed || f->dec.ncmd || !f->half[dir].fr.lost)
		return 0;
	algo = cap_mid_compressed(p, n, dir, 0);
	if (!algo || cap_cz_start(f, (enum mysql_comp_algo)algo))
		return 0;
	my->compressed = 1;
	my->compress_inferred = 1;
	my->compress_algo = (uint8_t)algo;
	cap_emit(e, f, CAP_EV_COMPRESSED, dir, ts_us, algo, 1, NULL);
	for (d = 0; d < 2; d++)
		f->half[d].cz_wait = d != dir && f->half[d].fr.lost;
	if (f->dec.skip_run[dir])
		cap_emit(e, f, CAP_EV_RESYNC, dir, ts_us,
			 (int64_t)f->dec.skip_run[dir], 0, NULL);
	f->dec.skip_run[dir] = 0;
	cap_cz_data(e, f, dir, p, n, ts_us);
	return 1;
}

void cap_my_data(struct cap_engine *e, struct cap_flow *f, int dir,
		 const uint8_t *p, size_t n, int64_t ts_us, int seg_start)
{
	struct cap_half *h = &f->half[dir];
	size_t used;

	if (h->cz && h->cz_wait) {
		if (!seg_start || !cap_mid_compressed(p, n, dir, 1)) {
			f->rec.my.skipped[dir] += n;
			f->dec.skip_run[dir] += n;
			return;
		}
		h->cz_wait = 0;
		if (f->dec.skip_run[dir])
			cap_emit(e, f, CAP_EV_RESYNC, dir, ts_us,
				 (int64_t)f->dec.skip_run[dir], 0, NULL);
		f->dec.skip_run[dir] = 0;
	}
	if (h->cz) {
		if (!h->fr.off)
			cap_cz_data(e, f, dir, p, n, ts_us);
		return;
	}
	if (seg_start && infer_compression(e, f, dir, p, n, ts_us))
		return;
	used = plain(e, f, dir, p, n, ts_us, seg_start, 1);
	if (used < n && h->cz && !h->fr.off)
		cap_cz_data(e, f, dir, p + used, n - used, ts_us);
}

void cap_my_gap(struct cap_engine *e, struct cap_flow *f, int dir, uint64_t n,
		int64_t ts_us)
{
	struct cap_framer *fr = &f->half[dir].fr;

	if (fr->off || fr->lost || !n)
		return;
	if (fr->hdr_have == MYSQL_HEADER_LEN && n <= fr->len - fr->got) {
		/* inside one frame's payload: only that frame is damaged */
		fr->damaged = 1;
		fr->got += (uint32_t)n;
		if (fr->got == fr->len)
			frame_done(e, f, dir, ts_us);
		return;
	}
	lose_both(e, f, ts_us);
}

void cap_my_end(struct cap_engine *e, struct cap_flow *f)
{
	struct cap_session *my = &f->rec.my;
	struct cap_mydec *d = &f->dec;

	if (!d->cmd_active)
		return;
	if (my->state == CAP_MY_BINLOG) {
		finish(e, f, CAP_RES_STREAM, f->rec.last_us);
		set_state(f, CAP_MY_BINLOG);
		return;
	}
	my->pending = 1;
	my->pending_cmd = d->cmd.cmd;
	memcpy(my->pending_arg, d->cmd.arg, sizeof(my->pending_arg));
	my->pending_us = d->cmd.start_us;
	{
		enum cap_my_state st = my->state;

		finish(e, f, CAP_RES_UNANSWERED, 0);
		set_state(f, st);
	}
}
