/* midstream.c - where a capture that starts mid-session can get in step
 * (MySQL "Connection Phase" and "Command Phase" pages): a segment that
 * starts with the server's greeting (sequence id 0, protocol 10) or the
 * client's login (sequence id 1, HandshakeResponse41 or SSLRequest), or
 * with a command (sequence id 0, a command byte this decoder knows, and a
 * length that command can have). */
#include <string.h>

#include "capture/cap_int.h"
#include "mysql/commands.h"
#include "mysql/wire.h"

#define LOGIN_MAX (1u << 16) /* no login is longer */

int cap_mid_greeting(const uint8_t *p, size_t n)
{
	struct mysql_greeting g;
	uint32_t len;

	if (n < MYSQL_HEADER_LEN + 1)
		return 0;
	len = le24_at(p);
	if (p[3] != 0 || p[4] != 10 || len > n - MYSQL_HEADER_LEN)
		return 0;
	return mysql_greeting_parse(p + MYSQL_HEADER_LEN, len, &g) == MYSQL_OK;
}

int cap_mid_login(const uint8_t *p, size_t n)
{
	struct mysql_login_view v;
	uint32_t len;

	if (n < MYSQL_HEADER_LEN + 1)
		return 0;
	len = le24_at(p);
	if (p[3] != 1 || len > LOGIN_MAX || len > n - MYSQL_HEADER_LEN)
		return 0;
	return mysql_login_parse(p + MYSQL_HEADER_LEN, len, &v) == MYSQL_OK &&
	       (v.caps & MYSQL_CLIENT_PROTOCOL_41);
}

int cap_mid_command(const uint8_t *p, size_t n)
{
	uint32_t len;
	int whole;

	if (n < MYSQL_HEADER_LEN + 1 || p[3] != 0)
		return 0;
	len = le24_at(p);
	whole = len <= n - MYSQL_HEADER_LEN;
	switch (p[4]) {
	case MYSQL_COM_QUIT:
	case MYSQL_COM_STATISTICS:
	case MYSQL_COM_PING:
	case MYSQL_COM_RESET_CONNECTION:
		return len == 1 && whole;
	case MYSQL_COM_PROCESS_KILL:
	case MYSQL_COM_STMT_CLOSE:
	case MYSQL_COM_STMT_RESET:
		return len == 5 && whole;
	case MYSQL_COM_STMT_FETCH:
		return len == 9 && whole;
	case MYSQL_COM_SET_OPTION:
		return len == 3 && whole;
	case MYSQL_COM_INIT_DB:
	case MYSQL_COM_FIELD_LIST:
		return len >= 2 && len <= 4096 && whole;
	case MYSQL_COM_STMT_SEND_LONG_DATA:
		return len >= 7;
	case MYSQL_COM_STMT_EXECUTE:
		return len >= 10;
	case MYSQL_COM_QUERY:
	case MYSQL_COM_STMT_PREPARE:
		return len >= 2;
	case MYSQL_COM_CHANGE_USER:
	case MYSQL_COM_BINLOG_DUMP:
	case MYSQL_COM_BINLOG_DUMP_GTID:
	case MYSQL_COM_REGISTER_SLAVE:
		return len >= 2 && whole;
	default:
		return 0;
	}
}

int cap_mid_compressed(const uint8_t *p, size_t n, int dir, int stored)
{
	static const uint8_t zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
	struct mysql_comp_header h;
	const uint8_t *b = p + MYSQL_COMP_HEADER_LEN;
	size_t have;

	if (n < MYSQL_COMP_HEADER_LEN + 2 ||
	    mysql_comp_header_parse(p, n, &h) != MYSQL_OK || h.comp_len < 2)
		return 0;
	if (dir == CAP_C2S && h.seq != 0)
		return 0;
	have = n - MYSQL_COMP_HEADER_LEN;
	if (have > h.comp_len)
		have = h.comp_len;
	if (h.raw_len == 0) {
		/* stored: whole packets inside, a command from the client, a
		 * reply (sequence id past 0) from the server */
		if (!stored || have < MYSQL_HEADER_LEN + 1 ||
		    le24_at(b) + MYSQL_HEADER_LEN > h.comp_len)
			return 0;
		if (dir == CAP_C2S)
			return cap_mid_command(b, have) ? CAP_MID_STORED : 0;
		return b[3] != 0 ? CAP_MID_STORED : 0;
	}
	if (b[0] == 0x78 && ((unsigned)b[0] << 8 | b[1]) % 31 == 0)
		return MYSQL_COMP_ZLIB;
	if (have >= sizeof(zstd_magic) &&
	    !memcmp(b, zstd_magic, sizeof(zstd_magic)))
		return MYSQL_COMP_ZSTD;
	return 0;
}

int cap_mid_sender_is_server(const uint8_t *p, size_t n)
{
	if (cap_mid_greeting(p, n))
		return 1;
	if (n < MYSQL_HEADER_LEN || cap_mid_command(p, n) ||
	    cap_mid_login(p, n))
		return 0;
	return p[3] != 0;
}

/* Mid-session without the handshake the capabilities that shape a text
 * result set are unknown; its packets say them: a column count followed
 * by one more byte (0 or 1) carries the metadata flag (MariaDB's cache
 * metadata, MySQL's optional metadata), and what follows the column
 * definitions is an EOF (5 bytes, 0xfe) unless CLIENT_DEPRECATE_EOF is on.
 * Adjusts *caps and rs before the packet p is fed to it. */
void cap_mid_guess_text(uint32_t *caps, struct mysql_rs *rs, const uint8_t *p,
			size_t n)
{
	uint64_t cols;
	size_t used;

	if (!n)
		return;
	if (rs->state == MYSQL_RS_FIRST) {
		if (p[0] == 0x00 || p[0] == 0xff || p[0] == 0xfb ||
		    p[0] == 0xfe ||
		    mysql_lenenc_int(p, n, &cols, &used) != MYSQL_OK)
			return;
		if (used + 1 == n && p[used] <= 1)
			*caps |= CAP_OPTIONAL_METADATA;
		else if (used == n)
			*caps &= ~CAP_OPTIONAL_METADATA;
		rs->caps = *caps;
		return;
	}
	if (rs->state == MYSQL_RS_COLEOF && !(p[0] == 0xfe && n < 9)) {
		/* a row (or the closing OK) right after the columns */
		*caps |= MYSQL_CLIENT_DEPRECATE_EOF;
		rs->caps = *caps;
		rs->state = MYSQL_RS_ROWS;
	} else if (rs->state == MYSQL_RS_ROWS && rs->rows == 0 &&
		   rs->col_seen == rs->columns &&
		   (rs->caps & MYSQL_CLIENT_DEPRECATE_EOF) && p[0] == 0xfe &&
		   n == 5) {
		/* an EOF where DEPRECATE_EOF would have none */
		*caps &= ~MYSQL_CLIENT_DEPRECATE_EOF;
		rs->caps = *caps;
		rs->state = MYSQL_RS_COLEOF;
	}
}
