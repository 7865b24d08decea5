/* handshake.c - the client's connection phase as a sans-I/O machine (MySQL
 * "Connection Phase", "Caching_sha2_password information", "SHA-256
 * Pluggable Authentication", "Client-Side Cleartext Pluggable
 * Authentication", "COM_CHANGE_USER" and the "Sequence ID" notes of the
 * "MySQL Packets" page; MariaDB "Connection" page and its ed25519 and
 * PARSEC plugin pages). See handshake.h for how a caller drives it. */
#include "mysql/handshake.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mysql/compress.h"
#include "mysql/ed25519.h"
#include "mysql/qattr.h"
#include "mysql/wire.h"

/* Capabilities the client asks for, like libmysqlclient does. */
#define CLIENT_WANT                                                            \
	(MYSQL_CLIENT_LONG_PASSWORD | MYSQL_CLIENT_LONG_FLAG |                 \
	 MYSQL_CLIENT_PROTOCOL_41 | MYSQL_CLIENT_TRANSACTIONS |                \
	 MYSQL_CLIENT_SECURE_CONNECTION | MYSQL_CLIENT_PLUGIN_AUTH |           \
	 MYSQL_CLIENT_PLUGIN_AUTH_LENENC_DATA | MYSQL_CLIENT_MULTI_RESULTS |   \
	 MYSQL_CLIENT_DEPRECATE_EOF | MYSQL_CLIENT_CONNECT_ATTRS)

#define MAX_PACKET	(16u << 20)
#define CHARSET_UTF8MB4 45
#define PAYLOAD_MAX	(MYSQL_HS_OUT_MAX - MYSQL_HEADER_LEN)

static const char native_plugin[] = "mysql_native_password";
static const char sha2_plugin[] = "caching_sha2_password";
static const char sha256_plugin[] = "sha256_password";
static const char clear_plugin[] = "mysql_clear_password";
static const char ed25519_plugin[] = "client_ed25519";
static const char parsec_plugin[] = "parsec";

/* Connection attributes: _client_name=conndoctor, program_name=conndoctor,
 * so a DBA sees in performance_schema who is connecting. */
static const uint8_t connect_attrs[] = {
	12,  '_', 'c', 'l', 'i', 'e', 'n', 't', '_', 'n', 'a', 'm',
	'e', 10,  'c', 'o', 'n', 'n', 'd', 'o', 'c', 't', 'o', 'r',
	12,  'p', 'r', 'o', 'g', 'r', 'a', 'm', '_', 'n', 'a', 'm',
	'e', 10,  'c', 'o', 'n', 'n', 'd', 'o', 'c', 't', 'o', 'r',
};

static const char *const state_names[] = {
	[MYSQL_HS_S_GREETING] = "greeting", [MYSQL_HS_S_GREETED] = "greeted",
	[MYSQL_HS_S_TLS] = "tls",	    [MYSQL_HS_S_AUTH] = "auth",
	[MYSQL_HS_S_DONE] = "done",	    [MYSQL_HS_S_FAILED] = "failed",
};

const char *mysql_hs_state_name(enum mysql_hs_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0])
		       ? state_names[s]
		       : "?";
}

void mysql_hs_init(struct mysql_hs *hs, const struct mysql_hs_config *cfg)
{
	memset(hs, 0, offsetof(struct mysql_hs, out));
	hs->out_len = 0;
	hs->cfg = cfg;
	hs->state = MYSQL_HS_S_GREETING;
}

/* Only the last output can be there: each one wipes the one before. */
void mysql_hs_wipe(struct mysql_hs *hs)
{
	if (hs->out_len)
		OPENSSL_cleanse(hs->out, hs->out_len);
	hs->out_len = 0;
}

const uint8_t *mysql_hs_output(const struct mysql_hs *hs, size_t *len)
{
	*len = hs->out_len;
	return hs->out_len ? hs->out : NULL;
}

/* Ends the handshake with error e and a printf-formatted reason. */
__attribute__((format(printf, 4, 5))) static enum mysql_hs_event
fail(struct mysql_hs *hs, enum mysql_hs_error e, uint16_t code, const char *fmt,
     ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(hs->reason, sizeof(hs->reason), fmt, ap);
	va_end(ap);
	hs->error = e;
	hs->client_code = code;
	hs->state = MYSQL_HS_S_FAILED;
	mysql_hs_wipe(hs);
	return MYSQL_HS_FAILED;
}

/* Frames the n payload bytes already at out + 4 with the next sequence id. */
static void put_packet(struct mysql_hs *hs, size_t n)
{
	mysql_frame_header(hs->out, (uint32_t)n, hs->seq++);
	hs->out_len = MYSQL_HEADER_LEN + n;
}

static uint8_t *payload_room(struct mysql_hs *hs)
{
	return hs->out + MYSQL_HEADER_LEN;
}

static const char *password(const struct mysql_hs *hs, size_t *len)
{
	const char *pw = hs->cfg->password ? hs->cfg->password : "";

	*len = strlen(pw);
	return pw;
}

/* The scrambled password for plugin into out (32 bytes); its length, or -1
 * when the plugin is not one the codec speaks. Arms caching_sha2's step. */
static int auth_response(struct mysql_hs *hs, const char *plugin, uint8_t *out)
{
	size_t pwlen;
	const char *pw = password(hs, &pwlen);
	int n = mysql_auth_response(plugin, pw, pwlen, hs->scramble,
				    hs->scramble_len, out);

	if (n < 0)
		return -1;
	hs->more = strcmp(plugin, sha2_plugin) ? MYSQL_HS_MORE_NONE
					       : MYSQL_HS_MORE_SHA2_RESULT;
	return n;
}

/* Writes the HandshakeResponse41 with the next sequence id. */
/* Writes the login (HandshakeResponse41) or, with change, COM_CHANGE_USER:
 * the same fields, with the answer for the plugin in use (native when the
 * codec cannot answer it at once; the server switches us if it must). */
static enum mysql_hs_event write_login_as(struct mysql_hs *hs, int change)
{
	const struct mysql_hs_config *cfg = hs->cfg;
	struct mysql_login l;
	uint8_t auth[32];
	int alen;
	long n;

	alen = auth_response(hs, hs->plugin, auth);
	if (alen < 0) {
		snprintf(hs->plugin, sizeof(hs->plugin), "%s", native_plugin);
		alen = auth_response(hs, hs->plugin, auth);
	}
	if (alen < 0)
		alen = 0;
	memset(&l, 0, sizeof(l));
	l.caps = hs->caps;
	l.max_packet = MAX_PACKET;
	l.charset = CHARSET_UTF8MB4;
	l.user = cfg->user ? cfg->user : "";
	l.auth = auth;
	l.auth_len = (size_t)alen;
	l.db = cfg->database;
	l.plugin = hs->plugin;
	l.zstd_level =
		cfg->zstd_level ? cfg->zstd_level : MYSQL_ZSTD_LEVEL_DEFAULT;
	if (hs->caps & MYSQL_CLIENT_CONNECT_ATTRS) {
		l.attrs = connect_attrs;
		l.attrs_len = sizeof(connect_attrs);
	}
	n = change ? mysql_change_user_write(payload_room(hs), PAYLOAD_MAX, &l)
		   : mysql_login_write(payload_room(hs), PAYLOAD_MAX, &l);
	OPENSSL_cleanse(auth, sizeof(auth));
	if (n < 0)
		return fail(hs, MYSQL_HS_E_AUTH, 0, "%s",
			    "login packet does not fit (user too long?)");
	put_packet(hs, (size_t)n);
	hs->state = MYSQL_HS_S_AUTH;
	return MYSQL_HS_READ;
}

static enum mysql_hs_event write_login(struct mysql_hs *hs)
{
	return write_login_as(hs, 0);
}

enum mysql_hs_event mysql_hs_change_user(struct mysql_hs *hs,
					 const struct mysql_hs_config *cfg)
{
	mysql_hs_wipe(hs);
	if (hs->state != MYSQL_HS_S_DONE || hs->in_greeting)
		return fail(hs, MYSQL_HS_E_PROTOCOL, 0, "%s",
			    "change user on a connection not logged in");
	hs->cfg = cfg;
	hs->seq = 0;
	hs->rounds = 0;
	hs->packet = NULL;
	hs->packet_len = 0;
	return write_login_as(hs, 1);
}

enum mysql_hs_event mysql_hs_tls_done(struct mysql_hs *hs)
{
	mysql_hs_wipe(hs);
	if (hs->state != MYSQL_HS_S_TLS)
		return fail(hs, MYSQL_HS_E_PROTOCOL, 0, "%s",
			    "TLS set up outside the handshake");
	hs->tls = 1;
	return write_login(hs);
}

/* The capability flag of the first algorithm of cfg's list the server
 * offers, 0: none (the session stays uncompressed). */
static uint32_t compress_flag(const struct mysql_hs_config *cfg,
			      uint32_t server_caps)
{
	for (size_t i = 0; i < sizeof(cfg->compress); i++) {
		uint32_t f = cfg->compress[i] == MYSQL_COMP_ZLIB
				     ? MYSQL_CLIENT_COMPRESS
			     : cfg->compress[i] == MYSQL_COMP_ZSTD
				     ? MYSQL_CLIENT_ZSTD_COMPRESSION_ALGORITHM
				     : 0;

		if (!f)
			break;
		if (server_caps & f)
			return f;
	}
	return 0;
}

/* The answer to the greeting: an SSLRequest, or the login. */
static enum mysql_hs_event answer_greeting(struct mysql_hs *hs)
{
	const struct mysql_hs_config *cfg = hs->cfg;
	const struct mysql_greeting *g = &hs->greeting;
	long n;

	if (!(g->caps & MYSQL_CLIENT_PROTOCOL_41))
		return fail(hs, MYSQL_HS_E_PROTOCOL, 0, "%s",
			    "server does not speak protocol 4.1");
	hs->caps = CLIENT_WANT & g->caps;
	if (cfg->database && (g->caps & MYSQL_CLIENT_CONNECT_WITH_DB))
		hs->caps |= MYSQL_CLIENT_CONNECT_WITH_DB;
	hs->caps |= compress_flag(cfg, g->caps);
	if (cfg->query_attrs)
		hs->caps |= g->caps & MYSQL_CLIENT_QUERY_ATTRIBUTES;
	if (cfg->tls == MYSQL_HS_TLS_OFF ||
	    (!(g->caps & MYSQL_CLIENT_SSL) && cfg->tls == MYSQL_HS_TLS_PREFER))
		return write_login(hs);
	if (!(g->caps & MYSQL_CLIENT_SSL))
		return fail(hs, MYSQL_HS_E_NO_TLS, 0, "%s",
			    "TLS is required but the server does not support "
			    "it");
	hs->caps |= MYSQL_CLIENT_SSL;
	n = mysql_ssl_request_write(payload_room(hs), PAYLOAD_MAX, hs->caps,
				    MAX_PACKET, CHARSET_UTF8MB4);
	if (n < 0)
		return fail(hs, MYSQL_HS_E_PROTOCOL, 0, "%s",
			    "cannot encode the SSL request");
	put_packet(hs, (size_t)n);
	hs->state = MYSQL_HS_S_TLS;
	return MYSQL_HS_START_TLS;
}

static enum mysql_hs_event on_greeting(struct mysql_hs *hs, const uint8_t *p,
				       size_t len)
{
	if (len && p[0] == 0xff) {
		hs->in_greeting = 1;
		hs->state = MYSQL_HS_S_DONE;
		return MYSQL_HS_SERVER_ERR;
	}
	if (mysql_greeting_parse(p, len, &hs->greeting) != MYSQL_OK)
		return fail(hs, MYSQL_HS_E_NOT_MYSQL, 0, "%s",
			    "not a MySQL greeting");
	memcpy(hs->scramble, hs->greeting.scramble, MYSQL_SCRAMBLE_LEN);
	hs->scramble_len = hs->greeting.scramble_len > MYSQL_SCRAMBLE_LEN
				   ? MYSQL_SCRAMBLE_LEN
				   : hs->greeting.scramble_len;
	snprintf(hs->plugin, sizeof(hs->plugin), "%s",
		 hs->greeting.auth_plugin);
	hs->state = MYSQL_HS_S_GREETED;
	return MYSQL_HS_GREETING;
}

/* The RSA-encrypted password with the key in pem as the next packet. */
static enum mysql_hs_event send_rsa(struct mysql_hs *hs, const char *pem,
				    size_t pem_len, const char *whose)
{
	size_t pwlen;
	const char *pw = password(hs, &pwlen);
	long n = mysql_sha2_rsa_encrypt(payload_room(hs), PAYLOAD_MAX, pw,
					pwlen, hs->scramble, hs->scramble_len,
					pem, pem_len);

	if (n < 0)
		return fail(hs, MYSQL_HS_E_AUTH, 2061, "cannot use %s", whose);
	hs->more = strcmp(hs->plugin, sha2_plugin) ? MYSQL_HS_MORE_NONE
						   : MYSQL_HS_MORE_SHA2_RESULT;
	put_packet(hs, (size_t)n);
	return MYSQL_HS_READ;
}

/* The password in clear with its NUL as the next packet: over TLS or a
 * socket only (the callers check). */
static enum mysql_hs_event send_clear(struct mysql_hs *hs)
{
	size_t pwlen;
	const char *pw = password(hs, &pwlen);

	if (pwlen + 1 > PAYLOAD_MAX)
		return fail(hs, MYSQL_HS_E_AUTH, 2061, "%s",
			    "password too long");
	memcpy(payload_room(hs), pw, pwlen + 1);
	put_packet(hs, pwlen + 1);
	hs->more = MYSQL_HS_MORE_NONE;
	return MYSQL_HS_READ;
}

/* caching_sha2_password's AuthMoreData: the fast-auth result, a request for
 * the full path, or the public key the client asked for. */
static enum mysql_hs_event on_sha2_more(struct mysql_hs *hs, const uint8_t *p,
					size_t len)
{
	const struct mysql_hs_config *cfg = hs->cfg;

	if (hs->more == MYSQL_HS_MORE_SHA2_KEY)
		return send_rsa(hs, (const char *)p + 1, len - 1,
				"the server's RSA key");
	if (len >= 2 && p[1] == MYSQL_SHA2_FAST_AUTH_OK)
		return MYSQL_HS_READ; /* the OK follows */
	if (len < 2 || p[1] != MYSQL_SHA2_PERFORM_FULL_AUTH)
		return fail(hs, MYSQL_HS_E_PROTOCOL, 2027, "%s",
			    "unexpected caching_sha2_password data");
	if (hs->tls || cfg->secure_transport)
		return send_clear(hs);
	if (cfg->server_key_pem)
		return send_rsa(hs, cfg->server_key_pem,
				cfg->server_key_pem_len,
				"--server-public-key-path");
	if (cfg->get_server_public_key) {
		payload_room(hs)[0] = MYSQL_SHA2_REQUEST_PUBLIC_KEY;
		put_packet(hs, 1);
		hs->more = MYSQL_HS_MORE_SHA2_KEY;
		return MYSQL_HS_READ;
	}
	return fail(hs, MYSQL_HS_E_AUTH, 2061, "%s",
		    "Authentication plugin 'caching_sha2_password' reported "
		    "error: Authentication requires secure connection.");
}

/* sha256_password's first answer (MySQL "SHA-256 Pluggable
 * Authentication"): the password in clear over TLS or a socket (and an
 * empty one always), else RSA-encrypted with --server-public-key-path's
 * key, else a request for the server's key (as libmysqlclient does for
 * this plugin without --get-server-public-key). */
static enum mysql_hs_event sha256_start(struct mysql_hs *hs)
{
	const struct mysql_hs_config *cfg = hs->cfg;
	size_t pwlen;

	(void)password(hs, &pwlen);
	if (hs->tls || cfg->secure_transport || pwlen == 0)
		return send_clear(hs);
	if (cfg->server_key_pem)
		return send_rsa(hs, cfg->server_key_pem,
				cfg->server_key_pem_len,
				"--server-public-key-path");
	payload_room(hs)[0] = 1; /* sha256_password's key request */
	put_packet(hs, 1);
	hs->more = MYSQL_HS_MORE_SHA256_KEY;
	return MYSQL_HS_READ;
}

/* mysql_clear_password: only when enabled, and only where nobody between
 * the two ends can read it. */
static enum mysql_hs_event clear_start(struct mysql_hs *hs)
{
	if (!hs->cfg->enable_cleartext)
		return fail(hs, MYSQL_HS_E_AUTH, 2059, "%s",
			    "the server asks for mysql_clear_password, which "
			    "sends the password in clear: not enabled "
			    "(--enable-cleartext-plugin)");
	if (!hs->tls && !hs->cfg->secure_transport)
		return fail(hs, MYSQL_HS_E_AUTH, 2059, "%s",
			    "the server asks for mysql_clear_password without "
			    "TLS: refused, the password would cross the "
			    "network in clear");
	return send_clear(hs);
}

/* client_ed25519: the signature of the server's 32-byte nonce. */
static enum mysql_hs_event ed25519_start(struct mysql_hs *hs, size_t nlen)
{
	size_t pwlen;
	const char *pw = password(hs, &pwlen);

	if (nlen < MYSQL_ED25519_NONCE_LEN)
		return fail(hs, MYSQL_HS_E_PROTOCOL, 2027,
			    "client_ed25519 with a %zu-byte nonce (32 due)",
			    nlen);
	if (mysql_ed25519_sign(payload_room(hs), pw, pwlen, hs->nonce,
			       MYSQL_ED25519_NONCE_LEN))
		return fail(hs, MYSQL_HS_E_AUTH, 2059, "%s",
			    "client_ed25519: signing failed");
	put_packet(hs, MYSQL_ED25519_SIG_LEN);
	return MYSQL_HS_READ;
}

/* PARSEC: an empty packet asks for the ext-salt (MariaDB "Authentication
 * Plugin - PARSEC"); the answer comes in on_parsec_salt(). */
static enum mysql_hs_event parsec_start(struct mysql_hs *hs, size_t nlen)
{
	if (nlen < MYSQL_ED25519_NONCE_LEN)
		return fail(hs, MYSQL_HS_E_PROTOCOL, 2027,
			    "parsec with a %zu-byte nonce (32 due)", nlen);
	put_packet(hs, 0);
	hs->more = MYSQL_HS_MORE_PARSEC_SALT;
	return MYSQL_HS_READ;
}

static enum mysql_hs_event on_parsec_salt(struct mysql_hs *hs, const uint8_t *p,
					  size_t len)
{
	const struct mysql_hs_config *cfg = hs->cfg;
	uint8_t cnonce[32];
	size_t pwlen;
	const char *pw = password(hs, &pwlen);

	hs->more = MYSQL_HS_MORE_NONE;
	if (len < 4 || p[1] != 'P')
		return fail(hs, MYSQL_HS_E_PROTOCOL, 2027, "%s",
			    "malformed parsec ext-salt");
	if (p[2] > MYSQL_PARSEC_FACTOR_MAX)
		return fail(hs, MYSQL_HS_E_AUTH, 2059,
			    "parsec asks for %lu PBKDF2 iterations; the "
			    "client allows at most %lu",
			    1024ul << (p[2] > 40 ? 40 : p[2]),
			    1024ul << MYSQL_PARSEC_FACTOR_MAX);
	if (cfg->parsec_client_nonce)
		memcpy(cnonce, cfg->parsec_client_nonce, sizeof(cnonce));
	else if (mysql_random_bytes(cnonce, sizeof(cnonce)))
		return fail(hs, MYSQL_HS_E_AUTH, 2059, "%s",
			    "parsec: no random bytes for the client nonce");
	if (mysql_parsec_response(payload_room(hs), pw, pwlen, hs->nonce,
				  cnonce, p + 1, len - 1))
		return fail(hs, MYSQL_HS_E_AUTH, 2059, "%s",
			    "parsec: signing failed");
	put_packet(hs, MYSQL_PARSEC_RESPONSE_LEN);
	return MYSQL_HS_READ;
}

/* The first answer for the plugin the server switched to. */
static enum mysql_hs_event plugin_start(struct mysql_hs *hs, size_t nlen)
{
	uint8_t auth[32];
	int alen;

	hs->more = MYSQL_HS_MORE_NONE;
	if (!strcmp(hs->plugin, sha256_plugin))
		return sha256_start(hs);
	if (!strcmp(hs->plugin, clear_plugin))
		return clear_start(hs);
	if (!strcmp(hs->plugin, ed25519_plugin))
		return ed25519_start(hs, nlen);
	if (!strcmp(hs->plugin, parsec_plugin))
		return parsec_start(hs, nlen);
	alen = auth_response(hs, hs->plugin, auth);
	if (alen < 0)
		return fail(hs, MYSQL_HS_E_AUTH, 2059,
			    "the server asks for auth plugin '%.64s', which "
			    "conndoctor does not speak",
			    hs->plugin);
	memcpy(payload_room(hs), auth, (size_t)alen);
	OPENSSL_cleanse(auth, sizeof(auth));
	put_packet(hs, (size_t)alen);
	return MYSQL_HS_READ;
}

static enum mysql_hs_event on_switch(struct mysql_hs *hs, const uint8_t *p,
				     size_t len)
{
	struct mysql_auth_switch as;

	if (mysql_auth_switch_parse(p, len, &as) != MYSQL_OK)
		return fail(hs, MYSQL_HS_E_PROTOCOL, 2027, "%s",
			    "malformed auth switch request");
	snprintf(hs->plugin, sizeof(hs->plugin), "%s", as.plugin);
	if (as.data_len >= MYSQL_SCRAMBLE_LEN) {
		memcpy(hs->scramble, as.data, MYSQL_SCRAMBLE_LEN);
		hs->scramble_len = MYSQL_SCRAMBLE_LEN;
	}
	memcpy(hs->nonce, as.data, as.raw_len);
	return plugin_start(hs, as.raw_len);
}

static enum mysql_hs_event on_auth(struct mysql_hs *hs, const uint8_t *p,
				   size_t len)
{
	switch (mysql_reply_kind(p, len, MYSQL_PHASE_AUTH, hs->caps)) {
	case MYSQL_REPLY_OK:
		hs->state = MYSQL_HS_S_DONE;
		return MYSQL_HS_LOGGED_IN;
	case MYSQL_REPLY_ERR:
		hs->state = MYSQL_HS_S_DONE;
		return MYSQL_HS_SERVER_ERR;
	case MYSQL_REPLY_AUTH_SWITCH:
	case MYSQL_REPLY_AUTH_MORE:
		break;
	default:
		return fail(hs, MYSQL_HS_E_PROTOCOL, 2027, "%s",
			    "unexpected packet during login");
	}
	if (++hs->rounds > MYSQL_HS_MAX_ROUNDS)
		return fail(hs, MYSQL_HS_E_ROUNDS, 2027,
			    "the server asked for more than %d authentication "
			    "rounds",
			    MYSQL_HS_MAX_ROUNDS);
	if (p[0] == 0xfe)
		return on_switch(hs, p, len);
	switch (hs->more) {
	case MYSQL_HS_MORE_SHA2_RESULT:
	case MYSQL_HS_MORE_SHA2_KEY:
		return on_sha2_more(hs, p, len);
	case MYSQL_HS_MORE_SHA256_KEY:
		return send_rsa(hs, (const char *)p + 1, len - 1,
				"the server's RSA key");
	case MYSQL_HS_MORE_PARSEC_SALT:
		return on_parsec_salt(hs, p, len);
	default:
		return fail(hs, MYSQL_HS_E_PROTOCOL, 2027, "%s",
			    "unexpected AuthMoreData");
	}
}

/* Reads the header of the next frame, before its payload is complete: a
 * first frame that cannot be a greeting, a sequence id out of order or an
 * over-long packet ends the handshake without waiting for more bytes. */
static enum mysql_hs_event check_header(struct mysql_hs *hs, const uint8_t *in)
{
	uint32_t flen = le24_at(in);
	uint8_t seq = in[3];

	if (hs->state == MYSQL_HS_S_GREETING) {
		if (seq != 0 || flen > MYSQL_HS_GREETING_MAX)
			return fail(hs, MYSQL_HS_E_NOT_MYSQL, 0, "%s",
				    "not a MySQL greeting");
		return MYSQL_HS_READ;
	}
	hs->seq_got = seq;
	if (seq != hs->seq)
		return fail(hs, MYSQL_HS_E_SEQUENCE, 2027,
			    MYSQL_HS_OUT_OF_ORDER
			    ": expected sequence id %u, got %u",
			    hs->seq, seq);
	if (flen > MYSQL_HS_PACKET_MAX)
		return fail(hs, MYSQL_HS_E_PROTOCOL, 2027,
			    "a packet of %u bytes during login", flen);
	return MYSQL_HS_READ;
}

enum mysql_hs_event mysql_hs_feed(struct mysql_hs *hs, const uint8_t *in,
				  size_t len, size_t *used)
{
	struct mysql_frame f;
	long n;

	*used = 0;
	if (hs->out_len)
		mysql_hs_wipe(hs);
	switch (hs->state) {
	case MYSQL_HS_S_GREETED:
		return answer_greeting(hs);
	case MYSQL_HS_S_GREETING:
	case MYSQL_HS_S_AUTH:
		break;
	case MYSQL_HS_S_TLS:
		return fail(hs, MYSQL_HS_E_PROTOCOL, 0, "%s",
			    "the server spoke before TLS was set up");
	case MYSQL_HS_S_DONE:
		return fail(hs, MYSQL_HS_E_PROTOCOL, 0, "%s",
			    "the handshake is over");
	default:
		return MYSQL_HS_FAILED;
	}
	if (len < MYSQL_HEADER_LEN)
		return MYSQL_HS_READ;
	if (check_header(hs, in) == MYSQL_HS_FAILED)
		return MYSQL_HS_FAILED;
	n = mysql_frame_parse(in, len, &f);
	if (n < 0)
		return MYSQL_HS_READ; /* the payload is not all here */
	*used = (size_t)n;
	hs->seq = (uint8_t)(f.seq + 1);
	hs->packet = f.payload;
	hs->packet_len = f.len;
	if (hs->state == MYSQL_HS_S_GREETING)
		return on_greeting(hs, f.payload, f.len);
	return on_auth(hs, f.payload, f.len);
}

int mysql_seq_check(uint8_t *next, const struct mysql_packet *pk, char *buf,
		    size_t buflen)
{
	if (pk->seq != *next) {
		snprintf(buf, buflen,
			 MYSQL_HS_OUT_OF_ORDER ": expected sequence id %u, "
					       "got %u",
			 *next, pk->seq);
		return -1;
	}
	*next = (uint8_t)(pk->last_seq + 1);
	return 0;
}
