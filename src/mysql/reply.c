/* reply.c - server replies: OK_Packet, ERR_Packet, EOF_Packet and
 * AuthSwitchRequest (MySQL "Generic Response Packets" and "Connection Phase
 * Packets" pages, MariaDB "OK_Packet", "ERR_Packet", "EOF_Packet" pages),
 * how the first byte of a reply is read in each phase, and the names of
 * the error codes that matter when diagnosing connections (MySQL "Server
 * Error Message Reference" and "Client Error Message Reference", MariaDB
 * "Error Codes", checked against MariaDB 10.11's perror).
 *
 * Parsers take a complete payload: a payload shorter than its structure is
 * MYSQL_BAD, never MYSQL_NEED_MORE. Tolerated, as the client libraries do:
 * an OK without the human info or session-state string at its end.
 */
#include <string.h>

#include "mysql/mysql.h"
#include "mysql/wire.h"

#define SERVER_SESSION_STATE_CHANGED 0x4000u
#define EOF_MAX_LEN		     9 /* an EOF is shorter than this */
#define SQLSTATE_LEN		     5

enum mysql_reply mysql_reply_kind(const uint8_t *p, size_t len,
				  enum mysql_phase phase, uint32_t caps)
{
	if (len == 0)
		return MYSQL_REPLY_DATA;
	switch (p[0]) {
	case 0xff:
		return MYSQL_REPLY_ERR;
	case 0x00:
		/* In a result set 0x00 starts a row (an empty first value). */
		return phase == MYSQL_PHASE_ROWS ? MYSQL_REPLY_DATA
						 : MYSQL_REPLY_OK;
	case 0xfe:
		if (phase == MYSQL_PHASE_AUTH)
			return MYSQL_REPLY_AUTH_SWITCH;
		/* With DEPRECATE_EOF a result set ends with an OK that starts
		 * with 0xfe; a row starting with 0xfe (a value of 2^24 bytes
		 * or more) is always longer than a frame. */
		if (phase == MYSQL_PHASE_ROWS &&
		    (caps & MYSQL_CLIENT_DEPRECATE_EOF) &&
		    len < MYSQL_MAX_FRAME)
			return MYSQL_REPLY_OK;
		return len < EOF_MAX_LEN ? MYSQL_REPLY_EOF : MYSQL_REPLY_DATA;
	case 0x01:
		return phase == MYSQL_PHASE_AUTH ? MYSQL_REPLY_AUTH_MORE
						 : MYSQL_REPLY_DATA;
	case 0xfb:
		return phase == MYSQL_PHASE_COMMAND ? MYSQL_REPLY_LOCAL_INFILE
						    : MYSQL_REPLY_DATA;
	default:
		return MYSQL_REPLY_DATA;
	}
}

/* caps: the capabilities both sides agreed on. Accepts the 0x00 and the
 * 0xfe (DEPRECATE_EOF terminator) header. Session-state data is skipped. */
int mysql_ok_parse(const uint8_t *p, size_t len, uint32_t caps,
		   struct mysql_ok *ok)
{
	struct mysql_ok out;
	struct cd_bytes r;
	uint8_t hdr;
	size_t n;

	memset(&out, 0, sizeof(out));
	rd_init(&r, p, len);
	hdr = rd_u8(&r);
	if (r.bad || (hdr != 0x00 && hdr != 0xfe))
		return MYSQL_BAD;
	out.affected_rows = rd_lenenc(&r);
	out.insert_id = rd_lenenc(&r);
	if (caps & MYSQL_CLIENT_PROTOCOL_41) {
		out.status = rd_le16(&r);
		out.warnings = rd_le16(&r);
	} else if (caps & MYSQL_CLIENT_TRANSACTIONS) {
		out.status = rd_le16(&r);
	}
	if (r.bad)
		return MYSQL_BAD;
	if (caps & MYSQL_CLIENT_SESSION_TRACK) {
		if (rd_left(&r)) {
			out.info = (const char *)rd_lenenc_str(&r, &n);
			out.info_len = n;
		}
		if ((out.status & SERVER_SESSION_STATE_CHANGED) && rd_left(&r))
			rd_lenenc_str(&r, &n);
		if (r.bad)
			return MYSQL_BAD;
	} else {
		out.info_len = rd_left(&r);
		out.info = (const char *)rd_take(&r, out.info_len);
	}
	if (out.info_len == 0)
		out.info = NULL;
	*ok = out;
	return MYSQL_OK;
}

int mysql_err_parse(const uint8_t *p, size_t len, struct mysql_err *err)
{
	struct mysql_err out;
	struct cd_bytes r;
	const uint8_t *s, *z;
	size_t n;

	memset(&out, 0, sizeof(out));
	rd_init(&r, p, len);
	if (rd_u8(&r) != 0xff)
		return MYSQL_BAD;
	out.code = rd_le16(&r);
	if (r.bad)
		return MYSQL_BAD;
	/* '#' and five characters, unless sent before the handshake. */
	if (rd_peek(&r) == '#' && rd_left(&r) > SQLSTATE_LEN) {
		s = p + r.off + 1;
		if (!memchr(s, 0, SQLSTATE_LEN)) {
			memcpy(out.sqlstate, s, SQLSTATE_LEN);
			rd_take(&r, 1 + SQLSTATE_LEN);
		}
	}
	n = rd_left(&r);
	s = rd_take(&r, n);
	z = n ? memchr(s, 0, n) : NULL;
	if (z) /* a C string stops there */
		n = (size_t)(z - s);
	if (n > sizeof(out.message) - 1)
		n = sizeof(out.message) - 1;
	if (n)
		memcpy(out.message, s, n);
	*err = out;
	return MYSQL_OK;
}

/* A pre-4.1 EOF is the 0xfe byte alone: its fields are 0 then. */
int mysql_eof_parse(const uint8_t *p, size_t len, struct mysql_eof *eof)
{
	struct mysql_eof out = {0, 0};
	struct cd_bytes r;

	rd_init(&r, p, len);
	if (rd_u8(&r) != 0xfe || r.bad || len >= EOF_MAX_LEN)
		return MYSQL_BAD;
	if (len > 1) {
		out.warnings = rd_le16(&r);
		out.status = rd_le16(&r);
		if (r.bad)
			return MYSQL_BAD;
	}
	*eof = out;
	return MYSQL_OK;
}

/* A bare 0xfe is the old switch to mysql_old_password, which reuses the
 * greeting's scramble. Data past 20 bytes (after dropping one trailing NUL)
 * is cut: data holds a scramble of at most MYSQL_SCRAMBLE_LEN bytes. */
int mysql_auth_switch_parse(const uint8_t *p, size_t len,
			    struct mysql_auth_switch *as)
{
	static const char old[] = "mysql_old_password";
	struct mysql_auth_switch out;
	struct cd_bytes r;
	const uint8_t *name, *data;
	size_t nlen, dlen;

	memset(&out, 0, sizeof(out));
	rd_init(&r, p, len);
	if (rd_u8(&r) != 0xfe || r.bad)
		return MYSQL_BAD;
	if (len == 1) {
		memcpy(out.plugin, old, sizeof(old));
		*as = out;
		return MYSQL_OK;
	}
	name = rd_nulstr(&r, &nlen, 1);
	if (nlen == 0 || nlen > sizeof(out.plugin) - 1)
		return MYSQL_BAD;
	memcpy(out.plugin, name, nlen);
	dlen = rd_left(&r);
	data = rd_take(&r, dlen);
	/* Raw for the Ed25519 plugins, whose random nonce may end in 0. */
	out.raw_len = dlen > MYSQL_AUTH_DATA_MAX ? MYSQL_AUTH_DATA_MAX : dlen;
	if (out.raw_len)
		memcpy(out.data, data, out.raw_len);
	if (dlen && data[dlen - 1] == 0)
		dlen--;
	out.data_len = dlen > MYSQL_SCRAMBLE_LEN ? MYSQL_SCRAMBLE_LEN : dlen;
	*as = out;
	return MYSQL_OK;
}

/* Writes the 0x00 header; with CLIENT_SESSION_TRACK the info is a
 * length-encoded string, followed by an empty session-state string when
 * status has SERVER_SESSION_STATE_CHANGED. */
long mysql_ok_write(uint8_t *out, size_t cap, uint32_t caps,
		    const struct mysql_ok *ok)
{
	struct wr w;

	wr_init(&w, out, cap);
	wr_u8(&w, 0x00);
	wr_lenenc(&w, ok->affected_rows);
	wr_lenenc(&w, ok->insert_id);
	if (caps & MYSQL_CLIENT_PROTOCOL_41) {
		wr_le16(&w, ok->status);
		wr_le16(&w, ok->warnings);
	} else if (caps & MYSQL_CLIENT_TRANSACTIONS) {
		wr_le16(&w, ok->status);
	}
	if (caps & MYSQL_CLIENT_SESSION_TRACK) {
		wr_lenenc_str(&w, ok->info, ok->info_len);
		if (ok->status & SERVER_SESSION_STATE_CHANGED)
			wr_lenenc(&w, 0);
	} else {
		wr_bytes(&w, ok->info, ok->info_len);
	}
	return wr_result(&w);
}

/* Writes '#' and the SQLSTATE when sqlstate is set (it must then be 5
 * characters). MYSQL_BAD when the result would not parse back the same: a
 * message starting with '#' and 5 more characters but no SQLSTATE. */
long mysql_err_write(uint8_t *out, size_t cap, const struct mysql_err *err)
{
	struct wr w;
	size_t slen = str_len_max(err->sqlstate, sizeof(err->sqlstate));
	size_t mlen = str_len_max(err->message, sizeof(err->message));

	if (slen != 0 && slen != SQLSTATE_LEN)
		return MYSQL_BAD;
	if (mlen == sizeof(err->message))
		return MYSQL_BAD; /* not NUL-terminated */
	if (slen == 0 && mlen > SQLSTATE_LEN && err->message[0] == '#')
		return MYSQL_BAD;
	wr_init(&w, out, cap);
	wr_u8(&w, 0xff);
	wr_le16(&w, err->code);
	if (slen) {
		wr_u8(&w, '#');
		wr_bytes(&w, err->sqlstate, SQLSTATE_LEN);
	}
	wr_bytes(&w, err->message, mlen);
	return wr_result(&w);
}

struct err_name {
	unsigned code;
	const char *name;
};

/* Server (ER_) and client library (CR_) codes, sorted by code. 4031 is
 * MySQL's (8.0.24+); MariaDB uses that number for a trigger error that no
 * connection gets. 4150 and 4151 are MariaDB's (a blocked and a locked
 * account), 3118 MySQL's locked account. */
static const struct err_name err_names[] = {
	{1040, "ER_CON_COUNT_ERROR"},
	{1041, "ER_OUT_OF_RESOURCES"},
	{1042, "ER_BAD_HOST_ERROR"},
	{1043, "ER_HANDSHAKE_ERROR"},
	{1044, "ER_DBACCESS_DENIED_ERROR"},
	{1045, "ER_ACCESS_DENIED_ERROR"},
	{1047, "ER_UNKNOWN_COM_ERROR"},
	{1049, "ER_BAD_DB_ERROR"},
	{1053, "ER_SERVER_SHUTDOWN"},
	{1077, "ER_NORMAL_SHUTDOWN"},
	{1078, "ER_GOT_SIGNAL"},
	{1079, "ER_SHUTDOWN_COMPLETE"},
	{1080, "ER_FORCING_CLOSE"},
	{1081, "ER_IPSOCK_ERROR"},
	{1129, "ER_HOST_IS_BLOCKED"},
	{1130, "ER_HOST_NOT_PRIVILEGED"},
	{1152, "ER_ABORTING_CONNECTION"},
	{1153, "ER_NET_PACKET_TOO_LARGE"},
	{1154, "ER_NET_READ_ERROR_FROM_PIPE"},
	{1155, "ER_NET_FCNTL_ERROR"},
	{1156, "ER_NET_PACKETS_OUT_OF_ORDER"},
	{1157, "ER_NET_UNCOMPRESS_ERROR"},
	{1158, "ER_NET_READ_ERROR"},
	{1159, "ER_NET_READ_INTERRUPTED"},
	{1160, "ER_NET_ERROR_ON_WRITE"},
	{1161, "ER_NET_WRITE_INTERRUPTED"},
	{1184, "ER_NEW_ABORTING_CONNECTION"},
	{1203, "ER_TOO_MANY_USER_CONNECTIONS"},
	{1226, "ER_USER_LIMIT_REACHED"},
	{1251, "ER_NOT_SUPPORTED_AUTH_MODE"},
	{1275, "ER_SERVER_IS_IN_SECURE_AUTH_MODE"},
	{1290, "ER_OPTION_PREVENTS_STATEMENT"},
	{1396, "ER_CANNOT_USER"},
	{1698, "ER_ACCESS_DENIED_NO_PASSWORD_ERROR"},
	{1820, "ER_MUST_CHANGE_PASSWORD"},
	{1862, "ER_MUST_CHANGE_PASSWORD_LOGIN"},
	{1927, "ER_CONNECTION_KILLED"},
	{2000, "CR_UNKNOWN_ERROR"},
	{2001, "CR_SOCKET_CREATE_ERROR"},
	{2002, "CR_CONNECTION_ERROR"},
	{2003, "CR_CONN_HOST_ERROR"},
	{2004, "CR_IPSOCK_ERROR"},
	{2005, "CR_UNKNOWN_HOST"},
	{2006, "CR_SERVER_GONE_ERROR"},
	{2007, "CR_VERSION_ERROR"},
	{2008, "CR_OUT_OF_MEMORY"},
	{2009, "CR_WRONG_HOST_INFO"},
	{2010, "CR_LOCALHOST_CONNECTION"},
	{2011, "CR_TCP_CONNECTION"},
	{2012, "CR_SERVER_HANDSHAKE_ERR"},
	{2013, "CR_SERVER_LOST"},
	{2014, "CR_COMMANDS_OUT_OF_SYNC"},
	{2020, "CR_NET_PACKET_TOO_LARGE"},
	{2026, "CR_SSL_CONNECTION_ERROR"},
	{2027, "CR_MALFORMED_PACKET"},
	{2049, "CR_SECURE_AUTH"},
	{2055, "CR_SERVER_LOST_EXTENDED"},
	{2059, "CR_AUTH_PLUGIN_CANNOT_LOAD"},
	{2061, "CR_AUTH_PLUGIN_ERR"},
	{3118, "ER_ACCOUNT_HAS_BEEN_LOCKED"},
	{3159, "ER_SECURE_TRANSPORT_REQUIRED"},
	{4031, "ER_CLIENT_INTERACTION_TIMEOUT"},
	{4150, "ER_USER_IS_BLOCKED"},
	{4151, "ER_ACCOUNT_HAS_BEEN_LOCKED"},
};

const char *mysql_error_name(unsigned code)
{
	size_t i;

	for (i = 0; i < sizeof(err_names) / sizeof(err_names[0]); i++)
		if (err_names[i].code == code)
			return err_names[i].name;
	return NULL;
}

enum mysql_login_err mysql_login_err_kind(unsigned code)
{
	switch (code) {
	case 1040: /* too many connections */
	case 1129: /* host blocked after max_connect_errors */
	case 1130: /* no account for this host */
	case 1152: /* the server aborted the connection */
	case 1203: /* max_user_connections */
	case 1226: /* an account's resource limit */
		return MYSQL_LOGIN_ERR_REFUSED;
	case 1045:
	case 1698:
		return MYSQL_LOGIN_ERR_CREDENTIALS;
	case 1251:
		return MYSQL_LOGIN_ERR_PLUGIN;
	case 1044:
	case 1049:
		return MYSQL_LOGIN_ERR_DATABASE;
	case 3118:
	case 4150:
	case 4151:
		return MYSQL_LOGIN_ERR_LOCKED;
	case 1820:
	case 1862:
		return MYSQL_LOGIN_ERR_EXPIRED;
	case 3159:
		return MYSQL_LOGIN_ERR_TLS_REQUIRED;
	default:
		return MYSQL_LOGIN_ERR_OTHER;
	}
}

const char *mysql_login_err_what(enum mysql_login_err kind)
{
	switch (kind) {
	case MYSQL_LOGIN_ERR_REFUSED:
		return "a connection limit, or the host";
	case MYSQL_LOGIN_ERR_CREDENTIALS:
		return "the user or password";
	case MYSQL_LOGIN_ERR_PLUGIN:
		return "the client's authentication protocol";
	case MYSQL_LOGIN_ERR_DATABASE:
		return "the database asked for";
	case MYSQL_LOGIN_ERR_LOCKED:
		return "a locked or blocked account";
	case MYSQL_LOGIN_ERR_EXPIRED:
		return "an expired password";
	case MYSQL_LOGIN_ERR_TLS_REQUIRED:
		return "a connection without TLS";
	case MYSQL_LOGIN_ERR_OTHER:
		break;
	}
	return "another reason (see the message)";
}
