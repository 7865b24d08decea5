/* client.c - the probe's MySQL client, one explicit state machine per
 * connection: greeting, optional TLS, login with auth switch and
 * caching_sha2_password's exchanges, the query, and COM_QUIT until the
 * server's EOF (MySQL "Connection Phase" and "Text Protocol" pages). */
#include "probe/engine_int.h"

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

/* Capabilities the probe asks for, like libmysqlclient does. */
#define CLIENT_WANT                                                            \
	(MYSQL_CLIENT_LONG_PASSWORD | MYSQL_CLIENT_LONG_FLAG |                 \
	 MYSQL_CLIENT_PROTOCOL_41 | MYSQL_CLIENT_TRANSACTIONS |                \
	 MYSQL_CLIENT_SECURE_CONNECTION | MYSQL_CLIENT_PLUGIN_AUTH |           \
	 MYSQL_CLIENT_PLUGIN_AUTH_LENENC_DATA | MYSQL_CLIENT_MULTI_RESULTS |   \
	 MYSQL_CLIENT_DEPRECATE_EOF | MYSQL_CLIENT_CONNECT_ATTRS)

#define MAX_PACKET	(16u << 20)
#define CHARSET_UTF8MB4 45
#define GREETING_MAX	4096 /* no real greeting comes near this */

static const char native_plugin[] = "mysql_native_password";
static const char sha2_plugin[] = "caching_sha2_password";

/* Connection attributes: _client_name=conndoctor, program_name=conndoctor,
 * so a DBA sees in performance_schema who is probing. */
static const uint8_t connect_attrs[] = {
	12,  '_', 'c', 'l', 'i', 'e', 'n', 't', '_', 'n', 'a', 'm',
	'e', 10,  'c', 'o', 'n', 'n', 'd', 'o', 'c', 't', 'o', 'r',
	12,  'p', 'r', 'o', 'g', 'r', 'a', 'm', '_', 'n', 'a', 'm',
	'e', 10,  'c', 'o', 'n', 'n', 'd', 'o', 'c', 't', 'o', 'r',
};

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

static void take_err(struct conn *c, const uint8_t *p, size_t len)
{
	struct mysql_err err;

	if (mysql_err_parse(p, len, &err) != MYSQL_OK) {
		set_message(c, "%s", "malformed ERR packet");
		return;
	}
	c->at.mysql_code = err.code;
	memcpy(c->at.sqlstate, err.sqlstate, sizeof(c->at.sqlstate));
	set_message(c, "%.*s", (int)sizeof(c->at.message) - 1, err.message);
}

/* Codes a server sends instead of letting a client in. */
static int refusal_code(unsigned code)
{
	return code == 1040 || code == 1129 || code == 1130 || code == 1203 ||
	       code == 1226 || code == 1152;
}

/* Codes that mean the session itself was ended by the server. */
static int gone_code(unsigned code)
{
	return code == 1927 || code == 4031 || code == 1053 || code == 1152 ||
	       code == 1158 || code == 1159 || code == 1160 || code == 1161;
}

/* ---- I/O ---- */

/* Sends buf (which must stay valid until sent: wbuf or the shared command).
 * Returns 0 (sent or pending) or an errno. */
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
			eng_want(c, EPOLLIN | EPOLLOUT);
			return 0;
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
	eng_want(c, EPOLLIN | EPOLLOUT);
	return 0;
}

/* Frames payload (already in wbuf + 4) as packet `seq` and sends it. */
static int send_wbuf(struct conn *c, size_t payload_len, uint8_t seq)
{
	mysql_frame_header(c->wbuf, (uint32_t)payload_len, seq);
	return conn_send(c, c->wbuf, payload_len + MYSQL_HEADER_LEN);
}

/* A send failed: the class depends on where we were. */
static void send_failed(struct conn *c, int err)
{
	switch (c->state) {
	case C_QUERY:
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
		eng_finish(c, CD_AUTH_FAILED, err);
		break;
	}
}

/* ---- phases ---- */

static void send_quit(struct conn *c)
{
	static const uint8_t quit[] = {1, 0, 0, 0, MYSQL_COM_QUIT};
	int err;

	SET_STATE(c, C_CLOSING);
	eng_want(c, EPOLLIN);
	err = conn_send(c, quit, sizeof(quit));
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

	mysql_rs_init(&c->rs, c->caps);
	SET_STATE(c, C_QUERY);
	eng_want(c, EPOLLIN);
	eng_command(c, &pkt, &len);
	err = conn_send(c, pkt, len);
	if (err) {
		send_failed(c, err);
		return;
	}
	eng_timer(c, eng_cfg(c)->timeout_s[CD_PH_QUERY]);
}

static void logged_in(struct conn *c)
{
	const struct probe_config *cfg = eng_cfg(c);

	if (cfg->idle_s > 0) {
		SET_STATE(c, C_IDLE);
		eng_want(c, EPOLLIN | EPOLLRDHUP);
		eng_timer(c, cfg->idle_s);
		return;
	}
	send_command(c);
}

/* Computes the auth response for plugin into out (>= 32 bytes). Returns its
 * length, or -1 when the plugin is not one we speak. */
static int auth_response(struct conn *c, const char *plugin, uint8_t *out)
{
	const char *pw = eng_cfg(c)->password ? eng_cfg(c)->password : "";
	int n = mysql_auth_response(plugin, pw, strlen(pw), c->scramble,
				    c->scramble_len, out);

	if (n >= 0 && !strcmp(plugin, sha2_plugin))
		c->sha2 = SHA2_WAIT_RESULT;
	return n < 0 ? -1 : n;
}

static void send_login(struct conn *c, uint8_t seq)
{
	const struct probe_config *cfg = eng_cfg(c);
	struct mysql_login l;
	uint8_t auth[32];
	int alen;
	long n;
	int err;

	alen = auth_response(c, c->plugin, auth);
	if (alen < 0) {
		/* Start with native; the server switches us if it must. */
		snprintf(c->plugin, sizeof(c->plugin), "%s", native_plugin);
		alen = auth_response(c, c->plugin, auth);
	}
	if (alen < 0)
		alen = 0;
	memset(&l, 0, sizeof(l));
	l.caps = c->caps;
	l.max_packet = MAX_PACKET;
	l.charset = CHARSET_UTF8MB4;
	l.user = cfg->user ? cfg->user : "";
	l.auth = auth;
	l.auth_len = (size_t)alen;
	l.db = cfg->database;
	l.plugin = c->plugin;
	if (c->caps & MYSQL_CLIENT_CONNECT_ATTRS) {
		l.attrs = connect_attrs;
		l.attrs_len = sizeof(connect_attrs);
	}
	n = mysql_login_write(c->wbuf + MYSQL_HEADER_LEN,
			      sizeof(c->wbuf) - MYSQL_HEADER_LEN, &l);
	if (n < 0) {
		set_message(c, "%s",
			    "login packet does not fit (user too long?)");
		eng_finish(c, CD_AUTH_FAILED, 0);
		return;
	}
	SET_STATE(c, C_AUTH);
	eng_want(c, EPOLLIN);
	err = send_wbuf(c, (size_t)n, seq);
	if (err) {
		send_failed(c, err);
		return;
	}
	eng_timer(c, cfg->timeout_s[CD_PH_AUTH]);
}

static void tls_step(struct conn *c)
{
	int r = SSL_connect(c->ssl);
	unsigned long e;

	if (r == 1) {
		c->at.tls = 1;
		send_login(c, 2);
		return;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		eng_want(c, EPOLLIN);
		return;
	case SSL_ERROR_WANT_WRITE:
		eng_want(c, EPOLLIN | EPOLLOUT);
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

static void on_greeting(struct conn *c, const uint8_t *p, size_t len)
{
	const struct probe_config *cfg = eng_cfg(c);
	struct mysql_greeting g;
	int want_tls;
	long n;
	int err;

	if (len && p[0] == 0xff) {
		take_err(c, p, len);
		eng_finish(c, CD_SERVER_REFUSED, 0);
		return;
	}
	if (mysql_greeting_parse(p, len, &g) != MYSQL_OK) {
		foreign_bytes(c);
		eng_finish(c, CD_PROTOCOL_ERROR, 0);
		return;
	}
	c->at.conn_id = g.conn_id;
	eng_note_server(c, &g);
	if (cfg->stop_after == PROBE_STOP_GREETING) {
		eng_finish(c, CD_OK, 0);
		return;
	}
	if (!(g.caps & MYSQL_CLIENT_PROTOCOL_41)) {
		set_message(c, "%s", "server does not speak protocol 4.1");
		eng_finish(c, CD_PROTOCOL_ERROR, 0);
		return;
	}
	memcpy(c->scramble, g.scramble, MYSQL_SCRAMBLE_LEN);
	c->scramble_len = g.scramble_len > MYSQL_SCRAMBLE_LEN
				  ? MYSQL_SCRAMBLE_LEN
				  : g.scramble_len;
	snprintf(c->plugin, sizeof(c->plugin), "%s", g.auth_plugin);
	c->caps = CLIENT_WANT & g.caps;
	if (cfg->database && (g.caps & MYSQL_CLIENT_CONNECT_WITH_DB))
		c->caps |= MYSQL_CLIENT_CONNECT_WITH_DB;

	want_tls = cfg->ssl_mode != PROBE_SSL_DISABLED &&
		   c->target->transport == CD_TCP;
	if (want_tls && !(g.caps & MYSQL_CLIENT_SSL)) {
		if (cfg->ssl_mode >= PROBE_SSL_REQUIRED) {
			set_message(c, "%s",
				    "TLS is required but the server does not "
				    "support it");
			eng_finish(c, CD_TLS_FAILED, 0);
			return;
		}
		want_tls = 0;
	}
	if (!want_tls) {
		send_login(c, 1);
		return;
	}
	c->caps |= MYSQL_CLIENT_SSL;
	n = mysql_ssl_request_write(c->wbuf + MYSQL_HEADER_LEN,
				    sizeof(c->wbuf) - MYSQL_HEADER_LEN, c->caps,
				    MAX_PACKET, CHARSET_UTF8MB4);
	SET_STATE(c, C_TLS);
	eng_timer(c, cfg->timeout_s[CD_PH_TLS]);
	err = n < 0 ? EPROTO : send_wbuf(c, (size_t)n, 1);
	if (err) {
		send_failed(c, err);
		return;
	}
	if (!c->wleft)
		start_tls(c);
}

/* caching_sha2_password's AuthMoreData: fast-auth result, or a request for
 * the full path, or the server's public key we asked for. */
static void on_sha2_more(struct conn *c, const uint8_t *p, size_t len,
			 uint8_t seq)
{
	const struct probe_config *cfg = eng_cfg(c);
	const char *pw = cfg->password ? cfg->password : "";
	size_t pwlen = strlen(pw);
	long n;
	int err = 0;

	if (c->sha2 == SHA2_WAIT_KEY) {
		n = mysql_sha2_rsa_encrypt(c->wbuf + MYSQL_HEADER_LEN,
					   sizeof(c->wbuf) - MYSQL_HEADER_LEN,
					   pw, pwlen, c->scramble,
					   c->scramble_len, (const char *)p + 1,
					   len - 1);
		if (n < 0) {
			set_message(c, "%s", "cannot use the server's RSA key");
			eng_finish(c, CD_AUTH_FAILED, 0);
			return;
		}
		c->sha2 = SHA2_WAIT_RESULT;
		err = send_wbuf(c, (size_t)n, seq);
	} else if (len >= 2 && p[1] == MYSQL_SHA2_FAST_AUTH_OK) {
		return; /* the OK follows */
	} else if (len >= 2 && p[1] == MYSQL_SHA2_PERFORM_FULL_AUTH) {
		if (c->ssl) {
			if (pwlen + 1 > sizeof(c->wbuf) - MYSQL_HEADER_LEN) {
				eng_finish(c, CD_AUTH_FAILED, 0);
				return;
			}
			memcpy(c->wbuf + MYSQL_HEADER_LEN, pw, pwlen + 1);
			err = send_wbuf(c, pwlen + 1, seq);
		} else if (cfg->server_key_pem) {
			n = mysql_sha2_rsa_encrypt(
				c->wbuf + MYSQL_HEADER_LEN,
				sizeof(c->wbuf) - MYSQL_HEADER_LEN, pw, pwlen,
				c->scramble, c->scramble_len,
				cfg->server_key_pem, cfg->server_key_pem_len);
			if (n < 0) {
				set_message(c, "%s",
					    "cannot use --server-public-key");
				eng_finish(c, CD_AUTH_FAILED, 0);
				return;
			}
			err = send_wbuf(c, (size_t)n, seq);
		} else if (cfg->get_server_public_key) {
			c->wbuf[MYSQL_HEADER_LEN] =
				MYSQL_SHA2_REQUEST_PUBLIC_KEY;
			c->sha2 = SHA2_WAIT_KEY;
			err = send_wbuf(c, 1, seq);
		} else {
			c->at.mysql_code = 2061;
			set_message(c, "%s",
				    "Authentication plugin "
				    "'caching_sha2_password' reported error: "
				    "Authentication requires secure "
				    "connection.");
			eng_finish(c, CD_AUTH_FAILED, 0);
			return;
		}
	} else {
		set_message(c, "%s", "unexpected caching_sha2_password data");
		eng_finish(c, CD_PROTOCOL_ERROR, 0);
		return;
	}
	if (err)
		send_failed(c, err);
}

static void on_auth(struct conn *c, const uint8_t *p, size_t len, uint8_t seq)
{
	struct mysql_auth_switch as;
	uint8_t auth[32];
	int alen, err;

	switch (mysql_reply_kind(p, len, MYSQL_PHASE_AUTH, c->caps)) {
	case MYSQL_REPLY_OK:
		logged_in(c);
		return;
	case MYSQL_REPLY_ERR:
		take_err(c, p, len);
		eng_finish(c,
			   refusal_code(c->at.mysql_code) ? CD_SERVER_REFUSED
							  : CD_AUTH_FAILED,
			   0);
		return;
	case MYSQL_REPLY_AUTH_SWITCH:
		if (mysql_auth_switch_parse(p, len, &as) != MYSQL_OK) {
			set_message(c, "%s", "malformed auth switch request");
			eng_finish(c, CD_PROTOCOL_ERROR, 0);
			return;
		}
		snprintf(c->plugin, sizeof(c->plugin), "%s", as.plugin);
		if (as.data_len >= MYSQL_SCRAMBLE_LEN) {
			memcpy(c->scramble, as.data, MYSQL_SCRAMBLE_LEN);
			c->scramble_len = MYSQL_SCRAMBLE_LEN;
		}
		alen = auth_response(c, c->plugin, auth);
		if (alen < 0) {
			c->at.mysql_code = 2059;
			set_message(c,
				    "the server asks for auth plugin '%s', "
				    "which conndoctor does not speak",
				    as.plugin);
			eng_finish(c, CD_AUTH_FAILED, 0);
			return;
		}
		memcpy(c->wbuf + MYSQL_HEADER_LEN, auth, (size_t)alen);
		err = send_wbuf(c, (size_t)alen, (uint8_t)(seq + 1));
		if (err)
			send_failed(c, err);
		return;
	case MYSQL_REPLY_AUTH_MORE:
		if (c->sha2 != SHA2_NONE) {
			on_sha2_more(c, p, len, (uint8_t)(seq + 1));
			return;
		}
		set_message(c, "%s", "unexpected AuthMoreData");
		eng_finish(c, CD_PROTOCOL_ERROR, 0);
		return;
	default:
		set_message(c, "%s", "unexpected packet during login");
		eng_finish(c, CD_PROTOCOL_ERROR, 0);
		return;
	}
}

static void on_query(struct conn *c, const uint8_t *p, size_t len)
{
	int r = mysql_rs_feed(&c->rs, p, len);

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
			   gone_code(c->rs.err.code) ? CD_GONE_AWAY
						     : CD_QUERY_ERROR,
			   0);
		return;
	}
	send_quit(c);
}

static void on_packet(struct conn *c, const uint8_t *p, size_t len, uint8_t seq)
{
	switch (c->state) {
	case C_GREETING:
		on_greeting(c, p, len);
		break;
	case C_AUTH:
		on_auth(c, p, len, seq);
		break;
	case C_IDLE:
		/* A server that ends an idle session may say why first. */
		if (len && p[0] == 0xff)
			take_err(c, p, len);
		break;
	case C_QUERY:
		on_query(c, p, len);
		break;
	default:
		break; /* CLOSING: nothing is expected; TLS: not framed */
	}
}

/* Splits the read buffer into packets and hands each to on_packet(). */
static void process(struct conn *c)
{
	uint32_t gen = c->gen;
	size_t off = 0;

	while (c->gen == gen && c->state != C_FREE && off < c->rlen) {
		struct mysql_packet pk;
		const uint8_t *payload;
		uint8_t *tmp = NULL;
		long n;

		if (c->state == C_GREETING && c->rlen - off >= 4 &&
		    (c->rbuf[off + 3] != 0 ||
		     (c->rbuf[off] | c->rbuf[off + 1] << 8 |
		      c->rbuf[off + 2] << 16) > GREETING_MAX)) {
			foreign_bytes(c);
			eng_finish(c, CD_PROTOCOL_ERROR, 0);
			return;
		}
		n = mysql_packet_parse(c->rbuf + off, c->rlen - off,
				       CONN_RBUF_MAX, &pk);
		if (n == MYSQL_NEED_MORE)
			break;
		if (n < 0) {
			set_message(c, "%s",
				    n == MYSQL_TOOBIG ? "packet over 64 MiB"
						      : "bad packet framing");
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
		on_packet(c, payload, pk.len, pk.last_seq);
		free(tmp);
	}
	if (c->gen != gen || c->state == C_FREE)
		return;
	if (off) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
}

/* The peer closed (err == 0) or reset (err) the connection. */
static void on_closed(struct conn *c, int err)
{
	switch (c->state) {
	case C_GREETING:
		if (c->rlen) {
			foreign_bytes(c);
			eng_finish(c, CD_PROTOCOL_ERROR, err);
			return;
		}
		eng_finish(c, CD_CLOSED_BEFORE_GREETING, err);
		return;
	case C_TLS:
		set_message(c, "%s",
			    "the server closed during the TLS handshake");
		eng_finish(c, CD_TLS_FAILED, err);
		return;
	case C_AUTH:
		if (!c->at.message[0])
			set_message(c, "%s",
				    "the server closed the connection during "
				    "authentication");
		eng_finish(c, CD_AUTH_FAILED, err);
		return;
	case C_IDLE:
		/* Noticed now; the application notices at its next query. */
		c->server_eof = 1;
		c->at.idle_cut_ns = eng_now(c) - c->t_phase;
		c->at.sys_errno = err;
		eng_want(c, 0);
		return;
	case C_QUERY:
		if (!c->at.message[0])
			set_message(c, "%s",
				    "the server closed the connection during "
				    "the query");
		eng_finish(c, CD_GONE_AWAY, err);
		return;
	default:
		eng_finish(c, CD_OK, 0); /* CLOSING: the EOF we wait for */
		return;
	}
}

static int grow_rbuf(struct conn *c)
{
	size_t ncap = c->rcap ? c->rcap * 2 : CONN_RBUF_MIN;
	uint8_t *n;

	if (c->rcap >= CONN_RBUF_MAX + 16)
		return -1;
	if (ncap > CONN_RBUF_MAX + 16)
		ncap = CONN_RBUF_MAX + 16;
	n = realloc(c->rbuf, ncap);
	if (!n)
		return -1;
	c->rbuf = n;
	c->rcap = ncap;
	return 0;
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

		if (c->rlen == c->rcap && grow_rbuf(c) < 0) {
			set_message(c, "%s", "packet too large");
			eng_finish(c, CD_PROTOCOL_ERROR, ENOMEM);
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
		process(c);
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
	eng_want(c, c->state == C_IDLE ? EPOLLIN | EPOLLRDHUP : EPOLLIN);
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
	SET_STATE(c, C_GREETING);
	eng_want(c, EPOLLIN);
	eng_timer(c, cfg->timeout_s[CD_PH_GREETING]);
}

void client_timeout(struct conn *c)
{
	c->at.timed_out = 1;
	switch (c->state) {
	case C_GREETING:
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
	default:
		/* CLOSING: no EOF after COM_QUIT; the query itself worked. */
		c->at.timed_out = 0;
		set_message(c, "%s", "no EOF from the server after COM_QUIT");
		eng_finish(c, CD_OK, 0);
		return;
	}
}
