/* handshake.h - the client side of the MySQL connection phase as one sans-I/O
 * machine (MySQL "Connection Phase" page; MariaDB "Connection" page): bytes
 * in, bytes and events out. Greeting, SSLRequest (the caller runs TLS and
 * says when it is up), HandshakeResponse41, auth switch,
 * compression negotiated (CLIENT_COMPRESS, CLIENT_ZSTD_COMPRESSION_ALGORITHM),
 * caching_sha2_password's fast and full paths (cleartext over a secure
 * transport, or RSA with a given or requested public key), sha256_password
 * (the same two ways), mysql_clear_password (only when enabled, and only
 * over TLS or a socket), MariaDB's client_ed25519 and PARSEC, OK and ERR;
 * and COM_CHANGE_USER, which runs the same auth exchange on a logged-in
 * connection (mysql_hs_change_user()).
 * Every server packet's sequence id is checked, and the auth exchange has a
 * hard limit on rounds. No sockets, no clocks, no allocation: the probe's
 * epoll client and the audit's blocking session drive the same machine.
 *
 * How a caller drives it:
 *   mysql_hs_init(&hs, &cfg);
 *   loop: ev = mysql_hs_feed(&hs, buf, len, &used); drop `used` bytes of buf;
 *         send the output (mysql_hs_output) if there is any;
 *         MYSQL_HS_READ: when the call made progress (used > 0, or there
 *                        was output), call again with what is left;
 *                        otherwise read more bytes, then call again;
 *         MYSQL_HS_GREETING: hs.greeting is set; call again to go on;
 *         MYSQL_HS_START_TLS: after sending the SSLRequest, run the TLS
 *                        handshake, then mysql_hs_tls_done() (an event too);
 *         MYSQL_HS_LOGGED_IN, MYSQL_HS_SERVER_ERR, MYSQL_HS_FAILED: the end.
 */
#ifndef CONNDOCTOR_MYSQL_HANDSHAKE_H
#define CONNDOCTOR_MYSQL_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

#include "mysql/mysql.h"

/* Output room: the largest packet the client sends is an RSA-encrypted
 * password (1024 bytes for an 8192-bit key) or a login with a long user
 * and schema name; both with their 4-byte header. */
#define MYSQL_HS_OUT_MAX 1100
/* A first frame longer than this is no greeting (real ones are < 200). */
#define MYSQL_HS_GREETING_MAX 4096
/* No packet of the auth exchange is longer (an 8192-bit PEM key is about
 * 1.5 KiB): a longer one is a protocol error, never buffered. */
#define MYSQL_HS_PACKET_MAX 16384
/* Auth switches plus AuthMoreData packets one login may take. libmysqlclient
 * follows one auth switch; caching_sha2_password's longest exchange (full
 * path with the key requested) is two AuthMoreData packets after it; MariaDB
 * may switch once per alternative of IDENTIFIED VIA ... OR .... A server
 * that asks for more is stopped here. */
#define MYSQL_HS_MAX_ROUNDS 8

/* The reason every sequence-id violation starts with: what mysqld logs
 * ("Got packets out of order") and libmysqlclient reports (2027). */
#define MYSQL_HS_OUT_OF_ORDER "packets out of order"

/* Whether to ask for TLS when the server offers it. */
enum mysql_hs_tls {
	MYSQL_HS_TLS_OFF,     /* never (ssl-mode DISABLED, or a Unix socket) */
	MYSQL_HS_TLS_PREFER,  /* when the server offers it */
	MYSQL_HS_TLS_REQUIRE, /* fail when the server does not offer it */
};

/* What the caller tells the machine; borrowed for the whole handshake. */
struct mysql_hs_config {
	const char *user;     /* NULL: "" */
	const char *password; /* NULL: none; never copied but into output */
	const char *database; /* NULL: none */
	enum mysql_hs_tls tls;
	int secure_transport; /* a Unix socket: cleartext is safe without TLS */
	const char *server_key_pem; /* RSA public key (PEM text), NULL: none */
	size_t server_key_pem_len;
	int get_server_public_key; /* may ask the server for its key */
	int enable_cleartext; /* mysql_clear_password allowed (over TLS or a
				 socket only) */
	/* PARSEC's 32-byte client nonce; NULL: random (tests set it). */
	const uint8_t *parsec_client_nonce;
	/* Compression algorithms the client permits (enum mysql_comp_algo of
	 * mysql/compress.h), in its order of preference, MYSQL_COMP_NONE
	 * (0) ending the list: the first one the greeting offers is asked
	 * for (CLIENT_COMPRESS or CLIENT_ZSTD_COMPRESSION_ALGORITHM, the
	 * latter with zstd_level in the login); none offered: the session
	 * stays uncompressed, as MySQL's "Compression" page has it. The
	 * agreed one is mysql_comp_algo(hs.caps); the caller frames every
	 * packet after the login's OK through it. */
	uint8_t compress[2];
	uint8_t zstd_level;
	/* Ask for CLIENT_QUERY_ATTRIBUTES when the greeting offers it (the
	 * caller then writes every COM_QUERY with the attribute block). */
	int query_attrs;
};

enum mysql_hs_event {
	MYSQL_HS_READ,	     /* send the output; used == 0: read more bytes */
	MYSQL_HS_GREETING,   /* hs->greeting is set; call mysql_hs_feed again */
	MYSQL_HS_START_TLS,  /* send the output, run TLS, mysql_hs_tls_done() */
	MYSQL_HS_LOGGED_IN,  /* the server's OK: the connection phase is over */
	MYSQL_HS_SERVER_ERR, /* an ERR: hs->packet; hs->in_greeting when it came
				in place of a greeting */
	MYSQL_HS_FAILED	     /* hs->error, hs->client_code and hs->reason */
};

/* Why the machine gave up (MYSQL_HS_FAILED). */
enum mysql_hs_error {
	MYSQL_HS_E_NONE,
	MYSQL_HS_E_NOT_MYSQL, /* the first bytes are no MySQL greeting */
	MYSQL_HS_E_PROTOCOL,  /* a malformed or unexpected packet */
	MYSQL_HS_E_SEQUENCE,  /* a sequence id out of order */
	MYSQL_HS_E_ROUNDS,    /* more than MYSQL_HS_MAX_ROUNDS auth packets */
	MYSQL_HS_E_NO_TLS,    /* TLS required, the server does not offer it */
	MYSQL_HS_E_AUTH	      /* the client cannot authenticate: a plugin it
				 does not speak, a full authentication without
				 a secure transport or key, an unusable key */
};

/* Machine states, in order; names in mysql_hs_state_name(). */
enum mysql_hs_state {
	MYSQL_HS_S_GREETING, /* waiting for the greeting */
	MYSQL_HS_S_GREETED,  /* greeting read, the answer not yet written */
	MYSQL_HS_S_TLS,	     /* SSLRequest written, TLS being set up */
	MYSQL_HS_S_AUTH,     /* login written, reading the server's answers */
	MYSQL_HS_S_DONE,     /* logged in, or the server's ERR */
	MYSQL_HS_S_FAILED
};

/* What the server's next AuthMoreData (0x01) packet means. */
enum mysql_hs_more {
	MYSQL_HS_MORE_NONE,	   /* none is expected */
	MYSQL_HS_MORE_SHA2_RESULT, /* caching_sha2: fast-auth result */
	MYSQL_HS_MORE_SHA2_KEY,	   /* caching_sha2: the RSA key asked for */
	MYSQL_HS_MORE_SHA256_KEY,  /* sha256_password: the RSA key */
	MYSQL_HS_MORE_PARSEC_SALT  /* PARSEC: the ext-salt */
};

/* Caller-owned; mysql_hs_init() sets it up, nothing to free. */
struct mysql_hs {
	const struct mysql_hs_config *cfg;
	enum mysql_hs_state state;
	uint8_t seq; /* the sequence id the next packet carries, either way */
	uint8_t seq_got; /* MYSQL_HS_E_SEQUENCE: the id that came instead */
	uint32_t caps;	 /* the capabilities client and server agreed on */
	struct mysql_greeting greeting; /* set from MYSQL_HS_GREETING on */
	uint8_t scramble[MYSQL_SCRAMBLE_LEN];
	size_t scramble_len;
	char plugin[MYSQL_NAME_MAX]; /* the auth plugin in use */
	enum mysql_hs_more more;
	uint8_t nonce[MYSQL_AUTH_DATA_MAX]; /* Ed25519 plugins' server nonce */
	unsigned rounds; /* auth switches and AuthMoreData packets so far */
	int tls;	 /* mysql_hs_tls_done() was called */
	int in_greeting; /* the ERR came in place of a greeting */
	/* The payload of the packet the last call consumed, borrowed from its
	 * input: valid while the caller keeps those bytes. */
	const uint8_t *packet;
	size_t packet_len;
	enum mysql_hs_error error;
	uint16_t
		client_code; /* the client library's code for error, 0: none
				(2059 plugin, 2061 full auth, 2027 malformed) */
	char reason[160];    /* one line saying what happened, on failure */
	uint8_t out[MYSQL_HS_OUT_MAX]; /* pending output, framed */
	size_t out_len;
};

void mysql_hs_init(struct mysql_hs *hs, const struct mysql_hs_config *cfg);

/* Consumes at most one packet from in[0, len) (a stream prefix: the bytes
 * the caller holds and has not dropped). *used is the number of bytes to
 * drop; the returned event says what to do next (see the top). */
enum mysql_hs_event mysql_hs_feed(struct mysql_hs *hs, const uint8_t *in,
				  size_t len, size_t *used);

/* Starts COM_CHANGE_USER on a connection hs logged in (state DONE after
 * MYSQL_HS_LOGGED_IN) with the user, password and database of cfg (which
 * replaces the one given to mysql_hs_init): writes the command (sequence id
 * 0) with an answer for the plugin in use and the greeting's scramble.
 * Then drive it with mysql_hs_feed() as a login: OK (LOGGED_IN), ERR,
 * auth switch, AuthMoreData. Returns MYSQL_HS_READ or MYSQL_HS_FAILED. */
enum mysql_hs_event mysql_hs_change_user(struct mysql_hs *hs,
					 const struct mysql_hs_config *cfg);

/* The TLS handshake the caller ran after MYSQL_HS_START_TLS succeeded:
 * writes the login. Returns MYSQL_HS_READ (send it, then read) or
 * MYSQL_HS_FAILED. */
enum mysql_hs_event mysql_hs_tls_done(struct mysql_hs *hs);

/* The pending output and its length (NULL and 0 when there is none). The
 * bytes stay valid until the next mysql_hs_feed() or mysql_hs_tls_done(),
 * which wipe them (they may hold the password in clear). */
const uint8_t *mysql_hs_output(const struct mysql_hs *hs, size_t *len);

/* Wipes what the machine holds that came from the password. */
void mysql_hs_wipe(struct mysql_hs *hs);

/* "greeting", "auth", ... for logs. */
const char *mysql_hs_state_name(enum mysql_hs_state s);

/* Checks one reply packet's sequence id against *next and advances it past
 * the packet. Returns 0, or -1 with a one-line reason in buf (starting with
 * MYSQL_HS_OUT_OF_ORDER) when the server's id is not the one due. */
int mysql_seq_check(uint8_t *next, const struct mysql_packet *pk, char *buf,
		    size_t buflen);

#endif /* CONNDOCTOR_MYSQL_HANDSHAKE_H */
