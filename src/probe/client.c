/* client.c - the probe's MySQL client, one explicit state machine per
 * connection: greeting, optional TLS and login (both driven through the
 * handshake machine of mysql/handshake.c), the query (with --reuse, N
 * queries with COM_RESET_CONNECTION or COM_CHANGE_USER between them, as
 * connection pools do), and COM_QUIT until the server's EOF (MySQL
 * "Connection Phase", "Text Protocol", "COM_RESET_CONNECTION" and
 * "COM_CHANGE_USER" pages). */
#include "probe/engine_int.h"

#include "util/vec.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

__attribute__((format(printf, 2, 3))) static void
set_message(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->at.message, sizeof(c->at.message), fmt, ap);
	va_end(ap);
}

/* Printable rendering of the first bytes a non-MySQL peer sent. */
static void foreign_bytes(struct conn *c)
{
	char txt[48];
	size_t i, n = c->rlen < sizeof(txt) - 1 ? c->rlen : sizeof(txt) - 1;

	for (i = 0; i < n; i++) {
		uint8_t b = c->rbuf[i];

		if (b == '\r' || b == '\n')
			break;
		txt[i] = (b >= 0x20 && b < 0x7f) ? (char)b : '.';
	}
	txt[i] = '\0';
	set_message(c, "not a MySQL server: it sent \"%s\"", txt);
}

/* Counts the greeting bytes held so far, and whether they can begin a
 * greeting (a slow server) or cannot (a foreign one). */
static void partial_greeting(struct conn *c)
{
	c->at.greeting_bytes = (uint32_t)c->rlen;
	c->at.greeting_partial = (uint8_t)cd_greeting_prefix(c->rbuf, c->rlen);
}

/* Records the server's ERR; -1 when it is malformed (message says so). */
static int take_err(struct conn *c, const uint8_t *p, size_t len)
{
	struct mysql_err err;

	if (mysql_err_parse(p, len, &err) != MYSQL_OK) {
		set_message(c, "%s", "malformed ERR packet");
		return -1;
	}
	c->at.mysql_code = err.code;
	memcpy(c->at.sqlstate, err.sqlstate, sizeof(c->at.sqlstate));
	set_message(c, "%.*s", (int)sizeof(c->at.message) - 1, err.message);
	return 0;
}

/* Errors that mean the server ended the session itself: a killed
 * connection (1927), an idle one cut (4031), a shutdown (1053), the
 * network errors 1152-1161 (1153: a packet over max_allowed_packet), and
 * any error of SQLSTATE class 08S01 ("communication link failure"), after
 * which the server closes the connection and the application's next
 * statement gets 2006 "MySQL server has gone away". */
static int gone_code(unsigned code, const char *sqlstate)
{
	if (!strcmp(sqlstate, "08S01"))
		return 1;
	return code == 1927 || code == 4031 || code == 1053 ||
	       (code >= 1152 && code <= 1161);
}

/* ---- I/O ---- */

/* conn_send()'s answer when the attempt already ended (want() failed). */
#define CONN_ENDED (-1)

/* Sets the epoll interest. When the kernel refuses the change, the probe
 * itself failed, not the server: the attempt ends now as local_error
 * (otherwise the old interest stays and the attempt would wait out its
 * timer and be blamed on the server, e.g. as greeting_timeout). Returns 0,
 * or -1 when the attempt has ended and c must not be touched. */
static int want(struct conn *c, uint32_t events)
{
	int err;

	if (eng_want(c, events) == 0)
		return 0;
	err = errno;
	set_message(c, "epoll_ctl: %s", strerror(err));
	eng_finish(c, CD_LOCAL_ERROR, err);
	return -1;
}

/* Sends buf (which must stay valid until sent: wbuf or the shared command).
 * Returns 0 (sent or pending), an errno, or CONN_ENDED. */
static int conn_send(struct conn *c, const uint8_t *buf, size_t len)
{
	ssize_t n;

	if (c->ssl) {
		int r = SSL_write(c->ssl, buf, (int)len);

		if (r > 0) {
			c->wleft = 0;
			return 0;
		}
		switch (SSL_get_error(c->ssl, r)) {
		case SSL_ERROR_WANT_WRITE:
		case SSL_ERROR_WANT_READ:
			c->wptr = buf;
			c->wleft = len;
			return want(c, EPOLLIN | EPOLLOUT) < 0 ? CONN_ENDED : 0;
		default:
			return errno ? errno : EPROTO;
		}
	}
	n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return errno;
		n = 0;
	}
	if ((size_t)n == len) {
		c->wleft = 0;
		return 0;
	}
	c->wptr = buf + n;
	c->wleft = len - (size_t)n;
	return want(c, EPOLLIN | EPOLLOUT) < 0 ? CONN_ENDED : 0;
}

/* Sends whole packets (buf: a command's, or the handshake machine's
 * output) as conn_send() does; after a compressed login, as one compressed
 * packet (MySQL "Compression"): compressed sequence id 0 for a command
 * (its first packet has sequence id 0), else the one after the server's
 * last, as a change user's auth answers go. */
static int send_cmd(struct conn *c, const uint8_t *buf, size_t len)
{
	size_t need;
	uint8_t zseq;
	long n;

	if (!c->cz)
		return conn_send(c, buf, len);
	need = mysql_deflate_bound(len);
	if (need > c->zcap) {
		uint8_t *z = realloc(c->zout, need);

		if (!z)
			return ENOMEM;
		c->zout = z;
		c->zcap = need;
	}
	zseq = len > 3 && buf[3] == 0
		       ? 0
		       : (uint8_t)(mysql_inflater_seq(c->cz) + 1);
	n = mysql_deflate_packet(mysql_comp_algo(c->hs.caps), 0, zseq, buf, len,
				 c->zout, c->zcap);
	if (n < 0)
		return EPROTO;
	return conn_send(c, c->zout, (size_t)n);
}

/* Sends the handshake machine's pending output. Returns 0, an errno or
 * CONN_ENDED. */
static int send_hs_output(struct conn *c)
{
	size_t len;
	const uint8_t *p = mysql_hs_output(&c->hs, &len);

	return len ? send_cmd(c, p, len) : 0;
}

/* A send failed: the class depends on where we were. */
static void send_failed(struct conn *c, int err)
{
	switch (c->state) {
	case C_QUERY:
	case C_REUSE:
	case C_IDLE:
		set_message(c, "%s", "the server had closed the connection");
		eng_finish(c, CD_GONE_AWAY, err);
		break;
	case C_CLOSING:
		eng_finish(c, CD_OK, 0);
		break;
	case C_TLS:
		eng_finish(c, CD_TLS_FAILED, err);
		break;
	case C_GREETING:
		eng_finish(c, CD_CLOSED_BEFORE_GREETING, err);
		break;
	default:
		/* The login never reached the server's judgement. */
		set_message(c, "the server %s the connection during login",
			    err == ECONNRESET ? "reset" : "closed");
		eng_finish(c, CD_CLOSED_DURING_LOGIN, err);
		break;
	}
}

/* ---- phases ---- */

static void send_quit(struct conn *c)
{
	static const uint8_t quit[] = {1, 0, 0, 0, MYSQL_COM_QUIT};
	int err;

	SET_STATE(c, C_CLOSING);
	if (want(c, EPOLLIN) < 0)
		return;
	err = send_cmd(c, quit, sizeof(quit));
	if (err == CONN_ENDED)
		return;
	if (err) {
		eng_finish(c, CD_OK, 0); /* already closed: nothing to wait */
		return;
	}
	eng_timer(c, eng_cfg(c)->timeout_s[CD_PH_CLOSE]);
}

static void send_command(struct conn *c)
{
	const uint8_t *pkt;
	size_t len;
	int err;

	mysql_rs_init(&c->rs, c->hs.caps);
	c->qseq = 1; /* the command went as 0 */
	SET_STATE(c, C_QUERY);
	if (want(c, EPOLLIN) < 0)
		return;
	eng_command(c, &pkt, &len);
	err = send_cmd(c, pkt, len);
	if (err == CONN_ENDED)
		return;
	if (err) {
		send_failed(c, err);
		return;
	}
	eng_timer(c, eng_cfg(c)->timeout_s[CD_PH_QUERY]);
}

/* --reuse: what goes between two queries. A reset is one packet answered
 * by OK; a change user runs the login's auth exchange again through the
 * handshake machine (auth switch and all), same user and password. */
static void send_reuse(struct conn *c)
{
	static const uint8_t reset[] = {1, 0, 0, 0, MYSQL_COM_RESET_CONNECTION};
	const struct probe_config *cfg = eng_cfg(c);
	int err;

	SET_STATE(c, C_REUSE);
	if (want(c, EPOLLIN) < 0)
		return;
	if (cfg->reuse_mode == PROBE_REUSE_CHANGE_USER) {
		if (mysql_hs_change_user(&c->hs, &c->hs_cfg) != MYSQL_HS_READ) {
			set_message(c, "%s", c->hs.reason);
			eng_finish(c, CD_PROTOCOL_ERROR, 0);
			return;
		}
		err = send_hs_output(c);
	} else {
		c->qseq = 1;
		err = send_cmd(c, reset, sizeof(reset));
	}
	if (err == CONN_ENDED)
		return;
	if (err) {
		send_failed(c, err);
		return;
	}
	eng_timer(c, cfg->timeout_s[CD_PH_REUSE]);
}

/* The answer to COM_RESET_CONNECTION: OK, then the next query. */
static void on_reset(struct conn *c, const uint8_t *p, size_t len)
{
	if (len && p[0] == 0x00) {
		send_command(c);
		return;
	}
	if (len && p[0] == 0xff && take_err(c, p, len) == 0) {
		eng_finish(c, CD_QUERY_ERROR, 0);
		return;
	}
	set_message(c, "%s", "unexpected answer to COM_RESET_CONNECTION");
	eng_finish(c, CD_PROTOCOL_ERROR, 0);
}

/* Whether the handshake machine reads the connection's bytes now. */
static int in_handshake(const struct conn *c)
{
	return c->state == C_GREETING || c->state == C_AUTH ||
	       (c->state == C_REUSE &&
		eng_cfg(c)->reuse_mode == PROBE_REUSE_CHANGE_USER);
}

static void logged_in(struct conn *c)
{
	const struct probe_config *cfg = eng_cfg(c);
	enum mysql_comp_algo algo = mysql_comp_algo(c->hs.caps);

	mysql_hs_wipe(&c->hs);
	if (c->state == C_REUSE) { /* the change user is done */
		send_command(c);
		return;
	}
	/* The login's OK was the last uncompressed packet (MySQL
	 * "Compression": the server finishes the connection phase with it). */
	if (algo != MYSQL_COMP_NONE) {
		c->cz = mysql_inflater_new(algo);
		if (!c->cz) {
			set_message(c, "%s", "no memory for the decompressor");
			eng_finish(c, CD_LOCAL_ERROR, ENOMEM);
			return;
		}
		c->at.compress = (uint8_t)algo;
	}
	if (cfg->idle_s > 0) {
		SET_STATE(c, C_IDLE);
		if (want(c, EPOLLIN | EPOLLRDHUP) < 0)
			return;
		eng_timer(c, cfg->idle_s);
		return;
	}
	send_command(c);
}

/* The login is written: it is sent and the auth phase begins. */
static void start_auth(struct conn *c)
{
	int err;

	SET_STATE(c, C_AUTH);
	if (want(c, EPOLLIN) < 0)
		return;
	err = send_hs_output(c);
	if (err == CONN_ENDED)
		return;
	if (err) {
		send_failed(c, err);
		return;
	}
	eng_timer(c, eng_cfg(c)->timeout_s[CD_PH_AUTH]);
}

/* A reply carried sequence id got where expected was due. */
static void seq_fault(struct conn *c, uint8_t expected, uint8_t got)
{
	c->at.seq_fault = 1;
	c->at.seq_expected = expected;
	c->at.seq_got = got;
}

enum cd_outcome probe_err_outcome(int in_greeting, unsigned code)
{
	if (in_greeting)
		return CD_SERVER_REFUSED;
	switch (mysql_login_err_kind(code)) {
	case MYSQL_LOGIN_ERR_REFUSED:
		return CD_SERVER_REFUSED;
	case MYSQL_LOGIN_ERR_CREDENTIALS:
		return CD_AUTH_FAILED;
	case MYSQL_LOGIN_ERR_PLUGIN:
		return CD_AUTH_PLUGIN_UNSUPPORTED;
	default: /* the database, the account, TLS, another reason */
		return CD_LOGIN_REFUSED;
	}
}

enum cd_outcome probe_hs_outcome(const struct mysql_hs *hs)
{
	switch (hs->error) {
	case MYSQL_HS_E_NO_TLS:
		return CD_TLS_FAILED;
	case MYSQL_HS_E_AUTH:
		/* 2059 (a plugin we do not speak), 2061 (a full
		 * authentication without TLS or key): the client gave up
		 * before the server judged anything. */
		return hs->client_code ? CD_AUTH_PLUGIN_UNSUPPORTED
				       : CD_PROTOCOL_ERROR;
	default: /* not MySQL, protocol, sequence, rounds */
		return CD_PROTOCOL_ERROR;
	}
}

/* The handshake machine gave up: its error picks the outcome class. */
static void hs_failed(struct conn *c)
{
	const struct mysql_hs *hs = &c->hs;

	if (c->state == C_GREETING)
		c->at.greeting_bytes = (uint32_t)c->rlen;
	if (hs->error == MYSQL_HS_E_NOT_MYSQL)
		foreign_bytes(c);
	else
		set_message(c, "%s", hs->reason);
	if (hs->error == MYSQL_HS_E_AUTH)
		c->at.mysql_code = hs->client_code;
	if (hs->error == MYSQL_HS_E_SEQUENCE)
		seq_fault(c, hs->seq, hs->seq_got);
	eng_finish(c, probe_hs_outcome(hs), 0);
}

static void tls_step(struct conn *c)
{
	int r = SSL_connect(c->ssl);
	unsigned long e;

	if (r == 1) {
		c->at.tls = 1;
		if (mysql_hs_tls_done(&c->hs) != MYSQL_HS_READ) {
			hs_failed(c);
			return;
		}
		start_auth(c);
		return;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		(void)want(c, EPOLLIN); /* on failure it ended the attempt */
		return;
	case SSL_ERROR_WANT_WRITE:
		(void)want(c, EPOLLIN | EPOLLOUT);
		return;
	default:
		e = ERR_get_error();
		set_message(c, "%s",
			    e ? ERR_reason_error_string(e)
			      : "the server closed during the TLS handshake");
		eng_finish(c, CD_TLS_FAILED, errno);
		return;
	}
}

static void start_tls(struct conn *c)
{
	const struct probe_config *cfg = eng_cfg(c);
	SSL_CTX *ctx = eng_ssl_ctx(c);

	c->ssl = ctx ? SSL_new(ctx) : NULL;
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
		set_message(c, "%s", "cannot create a TLS session");
		eng_finish(c, CD_TLS_FAILED, 0);
		return;
	}
	if (cfg->host && c->target->transport == CD_TCP) {
		SSL_set_tlsext_host_name(c->ssl, cfg->host);
		if (cfg->ssl_mode == PROBE_SSL_VERIFY_IDENTITY)
			SSL_set1_host(c->ssl, cfg->host);
	}
	tls_step(c);
}

/* The greeting arrived: record it; stop here when asked to. */
static void on_greeting(struct conn *c)
{
	c->at.conn_id = c->hs.greeting.conn_id;
	c->at.greeting_bytes = (uint32_t)(c->hs.packet_len + MYSQL_HEADER_LEN);
	eng_note_server(c, &c->hs.greeting);
	if (eng_cfg(c)->stop_after == PROBE_STOP_GREETING)
		eng_finish(c, CD_OK, 0);
}

/* The server's ERR in place of a greeting or during login: classified by
 * its code when well-formed, a protocol error when not. */
static void on_server_err(struct conn *c)
{
	const struct mysql_hs *hs = &c->hs;

	if (take_err(c, hs->packet, hs->packet_len) < 0) {
		eng_finish(c, CD_PROTOCOL_ERROR, 0);
		return;
	}
	eng_finish(c, probe_err_outcome(hs->in_greeting, c->at.mysql_code), 0);
}

/* Feeds the bytes at in to the handshake machine and acts on its event.
 * Returns 1 when it made progress (the caller goes on with the bytes left,
 * *used of them consumed), 0 when it needs more bytes or the connection
 * moved on (TLS, the end). */
static int handshake(struct conn *c, const uint8_t *in, size_t len,
		     size_t *used)
{
	enum mysql_hs_event ev = mysql_hs_feed(&c->hs, in, len, used);
	size_t out_len;
	int err;

	mysql_hs_output(&c->hs, &out_len);
	switch (ev) {
	case MYSQL_HS_READ:
		if (!out_len)
			return *used > 0;
		if (c->state == C_GREETING) {
			start_auth(c);
			return 1;
		}
		err = send_hs_output(c);
		if (err == CONN_ENDED)
			return 0;
		if (err) {
			send_failed(c, err);
			return 0;
		}
		return 1;
	case MYSQL_HS_GREETING:
		on_greeting(c);
		return 1;
	case MYSQL_HS_START_TLS:
		SET_STATE(c, C_TLS);
		eng_timer(c, eng_cfg(c)->timeout_s[CD_PH_TLS]);
		err = send_hs_output(c);
		if (err == CONN_ENDED)
			return 0;
		if (err)
			send_failed(c, err);
		else if (!c->wleft)
			start_tls(c);
		return 0;
	case MYSQL_HS_LOGGED_IN:
		logged_in(c);
		return 1;
	case MYSQL_HS_SERVER_ERR:
		on_server_err(c);
		return 0;
	default:
		hs_failed(c);
		return 0;
	}
}

static void on_query(struct conn *c, const uint8_t *p, size_t len)
{
	void (*hook)(void *, int, const uint8_t *, size_t) =
		eng_cfg(c)->result_pkt;
	enum mysql_rs_state st = c->rs.state;
	uint64_t cols = c->rs.col_seen, rows = c->rs.rows;
	int r = mysql_rs_feed(&c->rs, p, len);

	if (hook && r != MYSQL_BAD && st == MYSQL_RS_COLUMNS &&
	    c->rs.col_seen == cols + 1)
		hook(c->udata, 0, p, len);
	else if (hook && r != MYSQL_BAD && c->rs.rows == rows + 1)
		hook(c->udata, 1, p, len);

	if (r == MYSQL_NEED_MORE)
		return;
	if (r != MYSQL_OK) {
		set_message(c, "%s", "malformed result set");
		eng_finish(c, CD_PROTOCOL_ERROR, 0);
		return;
	}
	if (c->rs.is_err) {
		c->at.mysql_code = c->rs.err.code;
		memcpy(c->at.sqlstate, c->rs.err.sqlstate,
		       sizeof(c->at.sqlstate));
		set_message(c, "%.*s", (int)sizeof(c->at.message) - 1,
			    c->rs.err.message);
		eng_finish(c,
			   gone_code(c->rs.err.code, c->at.sqlstate)
				   ? CD_GONE_AWAY
				   : CD_QUERY_ERROR,
			   0);
		return;
	}
	if (++c->queries < eng_cfg(c)->reuse) {
		send_reuse(c);
		return;
	}
	send_quit(c);
}

static void on_packet(struct conn *c, const struct mysql_packet *pk,
		      const uint8_t *p)
{
	switch (c->state) {
	case C_IDLE:
		/* A server that ends an idle session may say why first. */
		if (pk->len && p[0] == 0xff)
			take_err(c, p, pk->len);
		break;
	case C_QUERY:
	case C_REUSE: /* a reset's answer; a change user is the machine's */
		if (mysql_seq_check(&c->qseq, pk, c->at.message,
				    sizeof(c->at.message)) < 0) {
			seq_fault(c, c->qseq, pk->seq);
			eng_finish(c, CD_PROTOCOL_ERROR, 0);
			return;
		}
		if (c->state == C_QUERY)
			on_query(c, p, pk->len);
		else
			on_reset(c, p, pk->len);
		break;
	default:
		break; /* CLOSING: nothing is expected; TLS: not framed */
	}
}

static int resize_rbuf(struct conn *c, size_t ncap, size_t max);

/* The bytes of rbuf from *off on came after the login's OK: the start of
 * the server's compressed stream. They are taken out of rbuf and kept in
 * zpend for process_all() to inflate.
 * Returns 0, or -1 when the attempt ended. */
static int stash_compressed_rest(struct conn *c, size_t *off)
{
	size_t n = c->rlen - *off;

	c->zpend = malloc(n);
	if (!c->zpend) {
		eng_finish(c, CD_LOCAL_ERROR, ENOMEM);
		return -1;
	}
	memcpy(c->zpend, c->rbuf + *off, n);
	c->zpend_len = n;
	c->rlen = *off;
	return 0;
}

/* The largest reply packet this connection takes: the client's
 * max_allowed_packet when given (within the probe's cap), else the cap. */
static size_t reply_max(const struct conn *c)
{
	uint32_t m = eng_cfg(c)->max_allowed_packet;

	return m && m < CONN_REPLY_MAX ? m : CONN_REPLY_MAX;
}

/* A reply packet over the client's max_allowed_packet: what a client
 * library does, ERROR 2020 and the session dropped (its application's next
 * statement gets 2006), with the packet's length from its first frame's
 * header (buf holds at least that header). */
static void over_client_limit(struct conn *c, const uint8_t *buf, size_t len)
{
	c->at.mysql_code = 2020;
	memcpy(c->at.sqlstate, "HY000", 6);
	c->at.reply_bytes = len >= 3
				    ? (uint32_t)buf[0] | (uint32_t)buf[1] << 8 |
					      (uint32_t)buf[2] << 16
				    : 0;
	set_message(c, "%s",
		    "Got packet bigger than 'max_allowed_packet' bytes");
	eng_finish(c, CD_GONE_AWAY, 0);
}

/* Hands the read buffer to the handshake machine, or splits it into
 * packets for on_packet() once logged in. */
static void process(struct conn *c)
{
	uint32_t gen = c->gen;
	size_t off = 0;

	while (c->gen == gen && c->state != C_FREE) {
		struct mysql_packet pk;
		const uint8_t *payload;
		uint8_t *tmp = NULL;
		long n;

		if (in_handshake(c)) {
			size_t used = 0;
			int plain = !c->cz;

			/* Its output is still being sent: the machine must
			 * not write the next one yet (client_writable()
			 * comes back here). */
			if (c->wleft)
				break;
			if (!handshake(c, c->rbuf + off, c->rlen - off, &used))
				break;
			off += used;
			/* Bytes after the login's OK: compressed ones. */
			if (plain && c->cz && c->gen == gen &&
			    c->state != C_FREE && off < c->rlen &&
			    stash_compressed_rest(c, &off) < 0)
				return;
			continue;
		}
		if (off >= c->rlen)
			break;
		n = mysql_packet_parse(c->rbuf + off, c->rlen - off,
				       reply_max(c), &pk);
		if (n == MYSQL_NEED_MORE)
			break;
		if (n == MYSQL_TOOBIG && eng_cfg(c)->max_allowed_packet) {
			over_client_limit(c, c->rbuf + off, c->rlen - off);
			return;
		}
		if (n < 0) {
			if (n == MYSQL_TOOBIG)
				set_message(c,
					    "a reply packet over %u KiB: the "
					    "probe buffers no more",
					    CONN_REPLY_MAX >> 10);
			else
				set_message(c, "%s", "bad packet framing");
			eng_finish(c, CD_PROTOCOL_ERROR, 0);
			return;
		}
		payload = pk.payload;
		if (pk.nframes > 1) {
			tmp = malloc(pk.len ? pk.len : 1);
			if (!tmp) {
				eng_finish(c, CD_PROTOCOL_ERROR, ENOMEM);
				return;
			}
			mysql_packet_gather(c->rbuf + off, (size_t)n, tmp);
			payload = tmp;
		}
		off += (size_t)n;
		on_packet(c, &pk, payload);
		free(tmp);
	}
	if (c->gen != gen || c->state == C_FREE)
		return;
	if (off) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	/* A large packet is done: give its room back to the others. */
	if (c->rcap > CONN_RBUF_MIN && c->rlen <= CONN_RBUF_MIN)
		(void)resize_rbuf(c, CONN_RBUF_MIN, CONN_RBUF_MAX);
}

/* The peer closed (err == 0) or reset (err) the connection. */
static void on_closed(struct conn *c, int err)
{
	switch (c->state) {
	case C_GREETING:
		partial_greeting(c);
		if (c->rlen && !c->at.greeting_partial) {
			foreign_bytes(c);
			eng_finish(c, CD_PROTOCOL_ERROR, err);
			return;
		}
		if (c->rlen)
			set_message(c,
				    "the server closed after %zu bytes of a "
				    "greeting",
				    c->rlen);
		eng_finish(c, CD_CLOSED_BEFORE_GREETING, err);
		return;
	case C_TLS:
		set_message(c, "%s",
			    "the server closed during the TLS handshake");
		eng_finish(c, CD_TLS_FAILED, err);
		return;
	case C_AUTH:
		/* Closed or reset before any answer to the login: the
		 * server never judged it (an ERR is on_server_err()). */
		if (!c->at.message[0])
			set_message(c,
				    "the server %s the connection during "
				    "login",
				    err == ECONNRESET ? "reset" : "closed");
		eng_finish(c, CD_CLOSED_DURING_LOGIN, err);
		return;
	case C_IDLE:
		/* Noticed now; the application notices at its next query. */
		c->server_eof = 1;
		c->at.idle_cut_ns = eng_now(c) - c->t_phase;
		c->at.sys_errno = err;
		if (eng_cfg(c)->idle_end_on_cut) {
			if (!c->at.message[0])
				set_message(c,
					    "the server %s the idle "
					    "connection",
					    err ? "reset" : "closed");
			eng_finish(c, CD_GONE_AWAY, err);
			return;
		}
		(void)want(c, 0); /* on failure it ended the attempt */
		return;
	case C_QUERY:
	case C_REUSE:
		if (!c->at.message[0])
			set_message(c,
				    "the server closed the connection "
				    "during the %s",
				    c->state == C_QUERY ? "query" : "reuse");
		eng_finish(c, CD_GONE_AWAY, err);
		return;
	default:
		eng_finish(c, CD_OK, 0); /* CLOSING: the EOF we wait for */
		return;
	}
}

/* Resizes the read buffer to ncap, keeping the engine's count of the
 * bytes all buffers hold beyond CONN_RBUF_MIN. Returns 0 or -1. */
static int resize_rbuf(struct conn *c, size_t ncap, size_t max)
{
	size_t *total = eng_rbuf_extra(c);
	size_t old = c->rcap > CONN_RBUF_MIN ? c->rcap - CONN_RBUF_MIN : 0;
	size_t add = ncap > CONN_RBUF_MIN ? ncap - CONN_RBUF_MIN : 0;
	size_t cap = c->rcap;
	uint8_t *n;

	if (add > old && *total - old + add > CONN_RBUF_TOTAL)
		return -1;
	if (ncap > c->rcap) {
		/* ncap is a doubling of rcap or the maximum: exactly that */
		n = cd_vec_grow(c->rbuf, 1, ncap, &cap, max, CONN_RBUF_MIN);
		if (!n)
			return -1;
	} else {
		n = cd_vec_shrink(c->rbuf, 1, ncap, &cap);
	}
	add = cap > CONN_RBUF_MIN ? cap - CONN_RBUF_MIN : 0;
	*total = *total - old + add;
	c->rbuf = n;
	c->rcap = cap;
	return 0;
}

/* Grows the read buffer for a packet that does not fit: up to the largest
 * packet the phase allows (the handshake machine refuses longer ones, the
 * query phase CONN_REPLY_MAX) and within CONN_RBUF_TOTAL for all. Returns
 * 0, or -1 with the attempt's message set. */
static int grow_rbuf(struct conn *c)
{
	size_t ncap = c->rcap ? c->rcap * 2 : CONN_RBUF_MIN;
	size_t max = CONN_RBUF_MAX;

	if (c->rcap >= max) {
		set_message(c,
			    "a reply packet over %u KiB: the probe buffers "
			    "no more",
			    CONN_REPLY_MAX >> 10);
		return -1;
	}
	if (ncap > max)
		ncap = max;
	if (resize_rbuf(c, ncap, max) < 0) {
		set_message(c,
			    "the probe's connections hold %u MiB of unread "
			    "replies: it buffers no more",
			    CONN_RBUF_TOTAL >> 20);
		return -1;
	}
	return 0;
}

/* The inflater's output: appended to rbuf, which grows for it up to
 * CONN_ZRBUF_MAX (and within CONN_RBUF_TOTAL for all). */
static void inflated(void *ud, const uint8_t *p, size_t n, int packet_start)
{
	struct conn *c = ud;

	(void)packet_start;
	if (c->cz_full)
		return;
	while (c->rcap - c->rlen < n) {
		size_t ncap = c->rcap ? c->rcap * 2 : CONN_RBUF_MIN;

		if (ncap > CONN_ZRBUF_MAX)
			ncap = CONN_ZRBUF_MAX;
		if (c->rcap >= CONN_ZRBUF_MAX ||
		    resize_rbuf(c, ncap, CONN_ZRBUF_MAX) < 0) {
			c->cz_full = 1;
			return;
		}
	}
	memcpy(c->rbuf + c->rlen, p, n);
	c->rlen += n;
}

/* Inflates the server's compressed bytes p[0, n) into rbuf, one
 * compressed packet at a time (so rbuf holds at most one packet's 16 MiB
 * beyond what it held), reading the packets in it after each. Returns 0,
 * or -1 when the attempt ended. */
static int feed_compressed(struct conn *c, const uint8_t *p, size_t n)
{
	uint32_t gen = c->gen;

	while (n && c->gen == gen && c->state != C_FREE) {
		size_t k = mysql_inflater_want(c->cz);
		uint64_t bad = 0;

		if (k > n)
			k = n;
		if (mysql_inflater_feed(c->cz, p, k, inflated, c, &bad)) {
			set_message(c,
				    "a compressed packet from the server (%s) "
				    "does not inflate: byte %llu of its "
				    "compressed stream",
				    mysql_comp_algo_name(c->at.compress),
				    (unsigned long long)bad);
			eng_finish(c, CD_PROTOCOL_ERROR, 0);
			return -1;
		}
		if (c->cz_full) {
			set_message(c,
				    "the probe's connections hold %u MiB of "
				    "unread replies: it buffers no more",
				    CONN_RBUF_TOTAL >> 20);
			eng_finish(c, CD_PROTOCOL_ERROR, 0);
			return -1;
		}
		p += k;
		n -= k;
		process(c);
	}
	return c->gen == gen && c->state != C_FREE ? 0 : -1;
}

/* process(), then the compressed bytes that came after the login's OK in
 * the same read, when there were any. */
static void process_all(struct conn *c)
{
	uint8_t *rest;
	size_t n;

	process(c);
	if (!c->zpend || c->state == C_FREE)
		return;
	rest = c->zpend;
	n = c->zpend_len;
	c->zpend = NULL;
	c->zpend_len = 0;
	(void)feed_compressed(c, rest, n);
	free(rest);
}

/* One read of a compressed session's bytes (through TLS when it is on).
 * Returns 0 to read again, -1 when done for now or the attempt ended. */
static int read_compressed(struct conn *c)
{
	uint8_t zin[16384];
	ssize_t n;

	if (c->ssl) {
		int r = SSL_read(c->ssl, zin, (int)sizeof(zin));

		if (r <= 0) {
			int e = SSL_get_error(c->ssl, r);

			if (e != SSL_ERROR_WANT_READ &&
			    e != SSL_ERROR_WANT_WRITE)
				on_closed(c, e == SSL_ERROR_ZERO_RETURN
						     ? 0
						     : errno);
			return -1;
		}
		n = r;
	} else {
		n = read(c->fd, zin, sizeof(zin));
		if (n < 0 && errno == EINTR)
			return 0;
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				on_closed(c, n == 0 ? 0 : errno);
			return -1;
		}
	}
	if (feed_compressed(c, zin, (size_t)n) < 0)
		return -1;
	/* As below: a short plain read drained the socket. */
	return c->ssl || (size_t)n == sizeof(zin) ? 0 : -1;
}

void client_readable(struct conn *c)
{
	uint32_t gen = c->gen;

	if (c->state == C_TLS) {
		if (c->ssl)
			tls_step(c);
		return;
	}
	for (int rounds = 0; rounds < 64; rounds++) {
		ssize_t n;
		size_t room;

		if (c->cz) {
			if (read_compressed(c) == 0)
				continue;
			return;
		}
		if (c->rlen == c->rcap && grow_rbuf(c) < 0) {
			eng_finish(c, CD_PROTOCOL_ERROR, 0);
			return;
		}
		room = c->rcap - c->rlen;
		if (c->ssl) {
			int r = SSL_read(c->ssl, c->rbuf + c->rlen,
					 (int)(c->rcap - c->rlen));

			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);

				if (e == SSL_ERROR_WANT_READ ||
				    e == SSL_ERROR_WANT_WRITE)
					return;
				on_closed(c, e == SSL_ERROR_ZERO_RETURN
						     ? 0
						     : errno);
				return;
			}
			n = r;
		} else {
			n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return;
				if (errno == EINTR)
					continue;
				on_closed(c, errno);
				return;
			}
			if (n == 0) {
				on_closed(c, 0);
				return;
			}
		}
		c->rlen += (size_t)n;
		process_all(c);
		if (c->gen != gen || c->state == C_FREE)
			return;
		/* Level-triggered: a short read means the socket is drained
		 * for now; epoll reports the rest. TLS may hold decrypted
		 * bytes, so it reads on until WANT_READ. */
		if (!c->ssl && (size_t)n < room)
			return;
	}
}

void client_writable(struct conn *c)
{
	const uint8_t *p = c->wptr;
	size_t left = c->wleft;
	int err;

	if (left) {
		c->wleft = 0;
		err = conn_send(c, p, left);
		if (err == CONN_ENDED)
			return;
		if (err) {
			send_failed(c, err);
			return;
		}
		if (c->wleft)
			return;
	}
	if (c->state == C_TLS) {
		if (c->ssl)
			tls_step(c);
		else
			start_tls(c);
		return;
	}
	if (want(c, c->state == C_IDLE ? EPOLLIN | EPOLLRDHUP : EPOLLIN) < 0)
		return;
	/* Bytes that came while the handshake's packet was going out. */
	if (c->rlen && in_handshake(c))
		process_all(c);
}

void client_connected(struct conn *c)
{
	const struct probe_config *cfg = eng_cfg(c);

	if (c->target->transport == CD_TCP) {
		struct tcp_info ti;
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ti);
		int one = 1;

		if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
			c->at.have_tcpi = 1;
			c->at.tcpi.rtt_us = ti.tcpi_rtt;
			c->at.tcpi.rttvar_us = ti.tcpi_rttvar;
			c->at.tcpi.total_retrans = ti.tcpi_total_retrans;
			c->at.tcpi.retransmits = ti.tcpi_retransmits;
			c->at.tcpi.state = ti.tcpi_state;
		}
		len = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == 0) {
			if (ss.ss_family == AF_INET)
				c->at.local_port = ntohs(
					((struct sockaddr_in *)&ss)->sin_port);
			else if (ss.ss_family == AF_INET6)
				c->at.local_port =
					ntohs(((struct sockaddr_in6 *)&ss)
						      ->sin6_port);
		}
		/* libmysqlclient sets it; so do we, to time the same way
		 * (a connect-only probe sends nothing: no need). */
		if (cfg->stop_after != PROBE_STOP_CONNECT)
			setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
	}
	if (cfg->stop_after == PROBE_STOP_CONNECT) {
		eng_finish(c, CD_OK, 0);
		return;
	}
	probe_hs_config(cfg, c->target->transport, &c->hs_cfg);
	mysql_hs_init(&c->hs, &c->hs_cfg);
	SET_STATE(c, C_GREETING);
	if (want(c, EPOLLIN) < 0)
		return;
	eng_timer(c, cfg->timeout_s[CD_PH_GREETING]);
}

void client_timeout(struct conn *c)
{
	c->at.timed_out = 1;
	switch (c->state) {
	case C_GREETING:
		partial_greeting(c);
		if (c->at.greeting_partial)
			set_message(c,
				    "a slow server: %zu bytes of a greeting "
				    "in the time allowed",
				    c->rlen);
		eng_finish(c, CD_GREETING_TIMEOUT, ETIMEDOUT);
		return;
	case C_TLS:
		set_message(c, "%s", "TLS handshake timed out");
		eng_finish(c, CD_TLS_FAILED, ETIMEDOUT);
		return;
	case C_AUTH:
		eng_finish(c, CD_AUTH_TIMEOUT, ETIMEDOUT);
		return;
	case C_IDLE:
		c->at.timed_out = 0; /* the idle period ended as planned */
		send_command(c);
		return;
	case C_QUERY:
		eng_finish(c, CD_QUERY_TIMEOUT, ETIMEDOUT);
		return;
	case C_REUSE:
		eng_finish(c,
			   eng_cfg(c)->reuse_mode == PROBE_REUSE_CHANGE_USER
				   ? CD_AUTH_TIMEOUT
				   : CD_QUERY_TIMEOUT,
			   ETIMEDOUT);
		return;
	default:
		/* CLOSING: no EOF after COM_QUIT; the query itself worked. */
		c->at.timed_out = 0;
		set_message(c, "%s", "no EOF from the server after COM_QUIT");
		eng_finish(c, CD_OK, 0);
		return;
	}
}

void probe_hs_config(const struct probe_config *cfg, enum cd_transport tr,
		     struct mysql_hs_config *out)
{
	memset(out, 0, sizeof(*out));
	out->user = cfg->user ? cfg->user : "";
	out->password = cfg->password;
	out->database = cfg->database;
	/* TLS goes over TCP; a Unix socket is a secure transport itself,
	 * as libmysqlclient treats it. */
	if (tr != CD_TCP || cfg->ssl_mode == PROBE_SSL_DISABLED)
		out->tls = MYSQL_HS_TLS_OFF;
	else if (cfg->ssl_mode == PROBE_SSL_PREFERRED)
		out->tls = MYSQL_HS_TLS_PREFER;
	else
		out->tls = MYSQL_HS_TLS_REQUIRE;
	out->secure_transport = tr == CD_SOCKET;
	out->server_key_pem = cfg->server_key_pem;
	out->server_key_pem_len = cfg->server_key_pem_len;
	out->get_server_public_key = cfg->get_server_public_key;
	out->enable_cleartext = cfg->enable_cleartext;
	memcpy(out->compress, cfg->compress, sizeof(out->compress));
	out->query_attrs = cfg->nqattrs > 0;
}

SSL_CTX *probe_tls_ctx(const struct probe_config *cfg, char *errbuf,
		       size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		snprintf(errbuf, errlen, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (cfg->ssl_mode < PROBE_SSL_VERIFY_CA) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return ctx;
	}
	if (cfg->ssl_ca) {
		if (SSL_CTX_load_verify_locations(ctx, cfg->ssl_ca, NULL) !=
		    1) {
			snprintf(errbuf, errlen, "cannot load CA file %s",
				 cfg->ssl_ca);
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(errbuf, errlen, "cannot load the system CAs");
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

void client_quit_now(struct conn *c)
{
	static const uint8_t quit[] = {1, 0, 0, 0, MYSQL_COM_QUIT};

	/* Not over a half-sent command: the QUIT would land inside it. */
	if ((c->state == C_IDLE || c->state == C_QUERY) && c->wleft == 0)
		(void)send_cmd(c, quit, sizeof(quit));
}

void client_release(struct conn *c)
{
	mysql_inflater_free(c->cz);
	c->cz = NULL;
	c->cz_full = 0;
	free(c->zout);
	c->zout = NULL;
	c->zcap = 0;
	free(c->zpend);
	c->zpend = NULL;
	c->zpend_len = 0;
}
