/* mysql.h - the MySQL/MariaDB client/server protocol codec (pure: no sockets,
 * no clocks, no allocation). Reference: MySQL "Client/Server Protocol" pages
 * (dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html) and MariaDB's
 * "Clients & Connectors / Client/Server Protocol" pages.
 *
 * Contract shared by every parser here (picohttpparser's):
 *  - input is a borrowed byte range; nothing is copied unless a struct field
 *    says it is a copy; borrowed pointers live as long as the input buffer;
 *  - the return value is MYSQL_OK (or a byte count, for framing), or
 *    MYSQL_NEED_MORE when the input is a truncated prefix of something valid,
 *    or MYSQL_BAD when no continuation could make it valid;
 *  - only the framing parsers (mysql_frame_parse, mysql_packet_parse) and
 *    mysql_lenenc_int() see stream prefixes and answer MYSQL_NEED_MORE;
 *    payload parsers (greeting, login, OK, ERR, EOF, auth switch) are given
 *    a complete payload, so one shorter than its structure is MYSQL_BAD;
 *  - output structs are written only on success.
 * Builders write into a caller buffer of `cap` bytes and return the number of
 * bytes written, or MYSQL_TOOBIG when it does not fit (MYSQL_BAD when the
 * struct cannot be encoded; the writers' comments in the .c files say when).
 */
#ifndef CONNDOCTOR_MYSQL_MYSQL_H
#define CONNDOCTOR_MYSQL_MYSQL_H

#include <stddef.h>
#include <stdint.h>

enum mysql_rc {
	MYSQL_OK = 0,
	MYSQL_NEED_MORE = -1, /* truncated: a valid prefix, more bytes needed */
	MYSQL_BAD = -2,	      /* invalid: cannot be this protocol element */
	MYSQL_TOOBIG = -3     /* over a hard cap or over the output buffer */
};

/* Framing: 3-byte little-endian payload length, 1-byte sequence id. */
#define MYSQL_HEADER_LEN 4
#define MYSQL_MAX_FRAME	 0xffffffu /* a frame this long is continued */

/* Capability flags (the low 32 bits; MariaDB's extension is separate). */
#define MYSQL_CLIENT_LONG_PASSWORD	     0x00000001u
#define MYSQL_CLIENT_FOUND_ROWS		     0x00000002u
#define MYSQL_CLIENT_LONG_FLAG		     0x00000004u
#define MYSQL_CLIENT_CONNECT_WITH_DB	     0x00000008u
#define MYSQL_CLIENT_COMPRESS		     0x00000020u
#define MYSQL_CLIENT_LOCAL_FILES	     0x00000080u
#define MYSQL_CLIENT_PROTOCOL_41	     0x00000200u
#define MYSQL_CLIENT_INTERACTIVE	     0x00000400u
#define MYSQL_CLIENT_SSL		     0x00000800u
#define MYSQL_CLIENT_TRANSACTIONS	     0x00002000u
#define MYSQL_CLIENT_SECURE_CONNECTION	     0x00008000u
#define MYSQL_CLIENT_MULTI_STATEMENTS	     0x00010000u
#define MYSQL_CLIENT_MULTI_RESULTS	     0x00020000u
#define MYSQL_CLIENT_PS_MULTI_RESULTS	     0x00040000u
#define MYSQL_CLIENT_PLUGIN_AUTH	     0x00080000u
#define MYSQL_CLIENT_CONNECT_ATTRS	     0x00100000u
#define MYSQL_CLIENT_PLUGIN_AUTH_LENENC_DATA 0x00200000u
#define MYSQL_CLIENT_SESSION_TRACK	     0x00800000u
#define MYSQL_CLIENT_DEPRECATE_EOF	     0x01000000u

/* Server status flags used by the decoders. */
#define MYSQL_SERVER_MORE_RESULTS_EXISTS 0x0008u

/* Commands (first payload byte of a client command packet). */
enum mysql_command {
	MYSQL_COM_SLEEP = 0x00,
	MYSQL_COM_QUIT = 0x01,
	MYSQL_COM_INIT_DB = 0x02,
	MYSQL_COM_QUERY = 0x03,
	MYSQL_COM_FIELD_LIST = 0x04,
	MYSQL_COM_STATISTICS = 0x09,
	MYSQL_COM_PROCESS_KILL = 0x0c,
	MYSQL_COM_PING = 0x0e,
	MYSQL_COM_CHANGE_USER = 0x11,
	MYSQL_COM_BINLOG_DUMP = 0x12,
	MYSQL_COM_REGISTER_SLAVE = 0x15,
	MYSQL_COM_STMT_PREPARE = 0x16,
	MYSQL_COM_STMT_EXECUTE = 0x17,
	MYSQL_COM_STMT_CLOSE = 0x19,
	MYSQL_COM_SET_OPTION = 0x1b,
	MYSQL_COM_RESET_CONNECTION = 0x1f,
	MYSQL_COM_BINLOG_DUMP_GTID = 0x1e
};

/* Name of a command byte ("COM_QUERY"), or NULL when unknown. */
const char *mysql_command_name(uint8_t cmd);

/* ---- bounds-checked little-endian getters and length-encoded values ---- */

/* Length-encoded integer at p. On MYSQL_OK sets *v and *used (1, 3, 4 or 9).
 * 0xfb (NULL) and 0xff are MYSQL_BAD here: callers that accept NULL check
 * for 0xfb themselves. */
int mysql_lenenc_int(const uint8_t *p, size_t len, uint64_t *v, size_t *used);

/* Bytes mysql_put_lenenc_int() needs for v. */
size_t mysql_lenenc_size(uint64_t v);

/* Writes v length-encoded; returns bytes written or MYSQL_TOOBIG. */
long mysql_put_lenenc_int(uint8_t *out, size_t cap, uint64_t v);

/* ---- framing ---- */

struct mysql_frame {
	uint32_t len;		/* payload length, 0 .. MYSQL_MAX_FRAME */
	uint8_t seq;		/* sequence id */
	const uint8_t *payload; /* borrowed from the input */
};

/* One frame at buf. Returns the bytes it spans (4 + len) with *f set, or
 * MYSQL_NEED_MORE. Any 4 bytes are a valid header, so it never says BAD. */
long mysql_frame_parse(const uint8_t *buf, size_t len, struct mysql_frame *f);

/* Writes a frame header. len must be <= MYSQL_MAX_FRAME. */
void mysql_frame_header(uint8_t out[MYSQL_HEADER_LEN], uint32_t len,
			uint8_t seq);

/* A logical packet: one frame, or a chain of MYSQL_MAX_FRAME frames ended by
 * a shorter one (payloads of 16 MiB - 1 and more). */
struct mysql_packet {
	size_t len;		/* total payload length over all frames */
	uint8_t seq;		/* sequence id of the first frame */
	uint8_t last_seq;	/* sequence id of the last frame */
	unsigned nframes;	/* frames spanned */
	const uint8_t *payload; /* borrowed; NULL when nframes > 1 (gather) */
};

/* One logical packet at buf. Returns the bytes it spans with *pk set,
 * MYSQL_NEED_MORE, MYSQL_BAD when a continuation frame's sequence id does not
 * follow, or MYSQL_TOOBIG when the payload would exceed max_payload. */
long mysql_packet_parse(const uint8_t *buf, size_t len, size_t max_payload,
			struct mysql_packet *pk);

/* Copies the payload of a packet that mysql_packet_parse() accepted over
 * `span` bytes at buf into out (pk->len bytes, which the caller provides). */
void mysql_packet_gather(const uint8_t *buf, size_t span, uint8_t *out);

/* Writes payload as one logical packet (split into frames as needed),
 * starting at sequence id seq. Returns bytes written or MYSQL_TOOBIG;
 * *next_seq is the sequence id the following packet must carry. */
long mysql_packet_write(uint8_t *out, size_t cap, const uint8_t *payload,
			size_t len, uint8_t seq, uint8_t *next_seq);

/* ---- server greeting: Protocol::HandshakeV10 ---- */

#define MYSQL_SCRAMBLE_LEN 20
#define MYSQL_NAME_MAX	   64

struct mysql_greeting {
	uint8_t protocol;	      /* 10 */
	char version[MYSQL_NAME_MAX]; /* copy, NUL-terminated, without "5.5.5-"
				       */
	int is_mariadb;		      /* "5.5.5-" prefix or "MariaDB" in it */
	uint32_t conn_id;	      /* server thread / connection id */
	uint8_t scramble[MYSQL_SCRAMBLE_LEN + 1]; /* copy of auth-plugin-data */
	size_t scramble_len;			  /* 8 (old servers) or 20 */
	uint32_t caps;				  /* lower | upper << 16 */
	uint32_t mariadb_caps; /* MariaDB extended caps, 0 if none */
	uint8_t charset;
	uint16_t status;
	char auth_plugin[MYSQL_NAME_MAX]; /* copy; "" when not sent */
};

/* Parses a greeting payload (after the frame header). A payload starting with
 * 0xff is an ERR, not a greeting: MYSQL_BAD (the caller checks for ERR first
 * with mysql_reply_kind()). Versions other than 10 are MYSQL_BAD. */
int mysql_greeting_parse(const uint8_t *p, size_t len,
			 struct mysql_greeting *g);

/* Writes a greeting payload (for tests, fuzz seeds and fixtures). */
long mysql_greeting_write(uint8_t *out, size_t cap,
			  const struct mysql_greeting *g);

/* ---- client login: Protocol::HandshakeResponse41 and SSLRequest ---- */

struct mysql_login {
	uint32_t caps;	       /* capabilities the client sends */
	uint32_t max_packet;   /* max packet size the client accepts */
	uint8_t charset;       /* e.g. 45 utf8mb4_general_ci, 8 latin1 */
	uint32_t mariadb_caps; /* sent in the filler when both sides know */
	const char *user;      /* borrowed */
	const uint8_t *auth;   /* borrowed auth response */
	size_t auth_len;
	const char *db;	      /* borrowed; NULL: none */
	const char *plugin;   /* borrowed; NULL: none */
	const uint8_t *attrs; /* borrowed, already encoded key/value pairs */
	size_t attrs_len;
	uint8_t zstd_level; /* with CLIENT_ZSTD_COMPRESSION_ALGORITHM: the
			       byte after the attributes */
};

/* Writes a HandshakeResponse41 payload (with the zstd level byte last
 * when caps has CLIENT_ZSTD_COMPRESSION_ALGORITHM, 0x04000000). */
long mysql_login_write(uint8_t *out, size_t cap, const struct mysql_login *l);

/* Writes a COM_CHANGE_USER payload from the same fields: the command byte,
 * user, auth response (length-prefixed with CLIENT_SECURE_CONNECTION),
 * database (always, "" for none), charset (2 bytes), then plugin and attrs
 * as their capability flags in l->caps allow. */
long mysql_change_user_write(uint8_t *out, size_t cap,
			     const struct mysql_login *l);

/* Writes an SSLRequest payload (the first 32 bytes of a response). */
long mysql_ssl_request_write(uint8_t *out, size_t cap, uint32_t caps,
			     uint32_t max_packet, uint8_t charset);

/* Parses a HandshakeResponse41 or an SSLRequest payload (passive decoder).
 * For an SSLRequest, *is_ssl_request is 1 and only caps/max_packet/charset
 * (and mariadb_caps) are set. Strings are borrowed: user, db and plugin point
 * into p and are not NUL-terminated; their lengths are in the *_len fields. */
struct mysql_login_view {
	uint32_t caps, max_packet, mariadb_caps;
	uint8_t charset;
	int is_ssl_request;
	const char *user;
	size_t user_len;
	const uint8_t *auth;
	size_t auth_len;
	const char *db;
	size_t db_len;
	const char *plugin;
	size_t plugin_len;
};
int mysql_login_parse(const uint8_t *p, size_t len, struct mysql_login_view *v);

/* ---- authentication ---- */

/* mysql_native_password: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))).
 * An empty password gives an empty response: returns 0 bytes then. Returns
 * bytes written (0 or 20) or MYSQL_BAD when the scramble is short. */
int mysql_native_scramble(uint8_t out[20], const char *pw, size_t pwlen,
			  const uint8_t *scramble, size_t scramble_len);

/* caching_sha2_password fast path: SHA256(pw) XOR SHA256(SHA256(SHA256(pw))
 * + scramble). Returns 0 or 32 bytes written, or MYSQL_BAD. */
int mysql_sha2_scramble(uint8_t out[32], const char *pw, size_t pwlen,
			const uint8_t *scramble, size_t scramble_len);

/* caching_sha2_password full path without TLS: (pw + NUL) XOR scramble
 * (repeated), encrypted with the server's RSA public key (PEM) using OAEP.
 * Returns bytes written or MYSQL_BAD (bad key) or MYSQL_TOOBIG. */
long mysql_sha2_rsa_encrypt(uint8_t *out, size_t cap, const char *pw,
			    size_t pwlen, const uint8_t *scramble,
			    size_t scramble_len, const char *pem,
			    size_t pem_len);

/* caching_sha2_password AuthMoreData status bytes and client requests. */
#define MYSQL_SHA2_FAST_AUTH_OK	      0x03
#define MYSQL_SHA2_PERFORM_FULL_AUTH  0x04
#define MYSQL_SHA2_REQUEST_PUBLIC_KEY 0x02

/* ---- server replies ---- */

enum mysql_reply {
	MYSQL_REPLY_OK,		  /* 0x00 (or 0xfe as OK with DEPRECATE_EOF) */
	MYSQL_REPLY_ERR,	  /* 0xff */
	MYSQL_REPLY_EOF,	  /* 0xfe, short */
	MYSQL_REPLY_AUTH_SWITCH,  /* 0xfe during authentication */
	MYSQL_REPLY_AUTH_MORE,	  /* 0x01 during authentication */
	MYSQL_REPLY_LOCAL_INFILE, /* 0xfb as the first reply to a query */
	MYSQL_REPLY_DATA /* anything else: a result set header, a row */
};

/* Where a reply is read, which changes what its first byte means. */
enum mysql_phase {
	MYSQL_PHASE_AUTH,    /* after HandshakeResponse or auth switch */
	MYSQL_PHASE_COMMAND, /* first reply to a command */
	MYSQL_PHASE_ROWS     /* inside a result set (column defs or rows) */
};

/* Classifies a reply payload. Never fails: an empty payload is DATA. */
enum mysql_reply mysql_reply_kind(const uint8_t *p, size_t len,
				  enum mysql_phase phase, uint32_t caps);

struct mysql_ok {
	uint64_t affected_rows;
	uint64_t insert_id;
	uint16_t status;
	uint16_t warnings;
	const char *info; /* borrowed human info, not NUL-terminated */
	size_t info_len;
};

#define MYSQL_ERRMSG_MAX 512

struct mysql_err {
	uint16_t code;
	char sqlstate[6];		/* "" when the server sent none */
	char message[MYSQL_ERRMSG_MAX]; /* copy, NUL-terminated, truncated */
};

struct mysql_eof {
	uint16_t warnings;
	uint16_t status;
};

/* The longest auth switch data kept: client_ed25519's and PARSEC's 32-byte
 * nonce (native and caching_sha2 use the first 20 bytes). */
#define MYSQL_AUTH_DATA_MAX 32

struct mysql_auth_switch {
	char plugin[MYSQL_NAME_MAX];	       /* copy */
	uint8_t data[MYSQL_AUTH_DATA_MAX + 1]; /* copy, the new scramble */
	size_t data_len; /* without a trailing NUL, at most 20 */
	size_t raw_len;	 /* as sent, NUL included, at most 32 */
};

int mysql_ok_parse(const uint8_t *p, size_t len, uint32_t caps,
		   struct mysql_ok *ok);
/* Accepts ERR with and without the '#' SQLSTATE marker (errors sent before
 * the handshake, such as 1040 in place of a greeting, have none). */
int mysql_err_parse(const uint8_t *p, size_t len, struct mysql_err *err);
int mysql_eof_parse(const uint8_t *p, size_t len, struct mysql_eof *eof);
int mysql_auth_switch_parse(const uint8_t *p, size_t len,
			    struct mysql_auth_switch *as);

/* What a server's ERR during the login (or in place of the greeting) says
 * about it, decided by the code alone (messages are localised): only
 * MYSQL_LOGIN_CREDENTIALS is the server rejecting the user and password. */
enum mysql_login_err {
	MYSQL_LOGIN_ERR_OTHER,	     /* another code: the message says why */
	MYSQL_LOGIN_ERR_REFUSED,     /* no session for anyone, or for this
					host or user now: 1040, 1129, 1130,
					1152, 1203, 1226 */
	MYSQL_LOGIN_ERR_CREDENTIALS, /* 1045, 1698 access denied */
	MYSQL_LOGIN_ERR_PLUGIN,	     /* 1251 the client's auth protocol */
	MYSQL_LOGIN_ERR_DATABASE,    /* 1044 denied, 1049 unknown database */
	MYSQL_LOGIN_ERR_LOCKED,	     /* 3118, 4151 locked; 4150 blocked after
					max_password_errors (MariaDB) */
	MYSQL_LOGIN_ERR_EXPIRED,     /* 1820, 1862 the password expired */
	MYSQL_LOGIN_ERR_TLS_REQUIRED /* 3159 require_secure_transport (MySQL;
					MariaDB sends 1045) */
};

/* The ERR every statement of a session whose password expired gets. */
#define MYSQL_ER_MUST_CHANGE_PASSWORD 1820

enum mysql_login_err mysql_login_err_kind(unsigned code);
/* A few words for the kind, for evidence lines ("a locked account"). */
const char *mysql_login_err_what(enum mysql_login_err kind);

/* Writers for tests and fixtures. */
long mysql_ok_write(uint8_t *out, size_t cap, uint32_t caps,
		    const struct mysql_ok *ok);
long mysql_err_write(uint8_t *out, size_t cap, const struct mysql_err *err);

/* ---- commands ---- */

/* Writes a command payload: the command byte then arg (may be empty). */
long mysql_command_write(uint8_t *out, size_t cap, uint8_t cmd, const void *arg,
			 size_t arg_len);

/* ---- text result sets (COM_QUERY response), resumable per packet ---- */

enum mysql_rs_state {
	MYSQL_RS_FIRST,	  /* waiting for the first reply */
	MYSQL_RS_COLUMNS, /* reading column definitions */
	MYSQL_RS_COLEOF,  /* EOF after the columns (no DEPRECATE_EOF) */
	MYSQL_RS_ROWS,	  /* reading rows */
	MYSQL_RS_DONE	  /* complete: ok / err hold the end */
};

struct mysql_rs {
	enum mysql_rs_state state;
	uint32_t caps;
	uint64_t columns;     /* column count of the current result */
	uint64_t col_seen;    /* column definitions read so far */
	uint64_t rows;	      /* rows over all results */
	unsigned results;     /* result sets and OKs seen */
	int is_err;	      /* the response ended with an ERR */
	int local_infile;     /* the server asked for LOCAL INFILE */
	struct mysql_ok ok;   /* the final OK/EOF, when !is_err; ok.info
				 borrows from the last packet fed */
	struct mysql_err err; /* the ERR, when is_err */
};

void mysql_rs_init(struct mysql_rs *rs, uint32_t caps);

/* Feeds the payload of the next reply packet. Returns MYSQL_NEED_MORE while
 * the response goes on, MYSQL_OK when it is complete (rs->state is DONE), or
 * MYSQL_BAD when the packet cannot be there. A row's content is validated
 * (each column a length-encoded string or NULL, within the payload). */
int mysql_rs_feed(struct mysql_rs *rs, const uint8_t *p, size_t len);

/* One value of a text row, borrowed from the row's payload. */
struct mysql_cell {
	const uint8_t *data; /* NULL for SQL NULL (and may be for "") */
	size_t len;
	int is_null;
};

/* Splits a text row into its `columns` values (columns <= max). Returns
 * MYSQL_OK with cells[0 .. columns) set, or MYSQL_BAD. */
int mysql_row_cells(const uint8_t *p, size_t len, uint64_t columns,
		    struct mysql_cell *cells, size_t max);

/* A text row's value as a non-negative number; -1 when NULL, empty, not
 * a number or negative. */
double mysql_cell_num(const struct mysql_cell *c);

/* The name (alias) of a ColumnDefinition41, borrowed. MYSQL_OK or BAD. */
int mysql_coldef_name(const uint8_t *p, size_t len, const uint8_t **name,
		      size_t *name_len);

/* The auth response for plugin (mysql_native_password, or "" for it, or
 * caching_sha2_password's fast path) into out (32 bytes). Returns its
 * length (0 for an empty password), or MYSQL_BAD when the plugin is not
 * one the codec speaks or the scramble is short. */
int mysql_auth_response(const char *plugin, const char *pw, size_t pwlen,
			const uint8_t *scramble, size_t scramble_len,
			uint8_t out[32]);

/* ---- server error codes ---- */

/* Symbolic name of a server or client error code ("ER_CON_COUNT_ERROR",
 * "CR_SERVER_GONE_ERROR"), or NULL when unknown. */
const char *mysql_error_name(unsigned code);

#endif /* CONNDOCTOR_MYSQL_MYSQL_H */
