/* wire.c - MySQL packet framing, length-encoded integers and command
 * packets. Implements the MySQL "MySQL Packets" page (3-byte length,
 * sequence id, payloads of 16 MiB - 1 and more split over several frames),
 * "Basic Data Types: Integer Types" (length-encoded integers) and the
 * "Text Protocol" command byte table.
 *
 * Only the framing parsers (mysql_frame_parse, mysql_packet_parse) answer
 * MYSQL_NEED_MORE: their input is a stream prefix. mysql_lenenc_int() also
 * does, for a value cut by the end of its range; payload parsers elsewhere
 * turn that into MYSQL_BAD.
 */
#include <limits.h>
#include <string.h>

#include "mysql/mysql.h"
#include "mysql/wire.h"

const char *mysql_command_name(uint8_t cmd)
{
	switch (cmd) {
	case MYSQL_COM_SLEEP:
		return "COM_SLEEP";
	case MYSQL_COM_QUIT:
		return "COM_QUIT";
	case MYSQL_COM_INIT_DB:
		return "COM_INIT_DB";
	case MYSQL_COM_QUERY:
		return "COM_QUERY";
	case MYSQL_COM_FIELD_LIST:
		return "COM_FIELD_LIST";
	case MYSQL_COM_STATISTICS:
		return "COM_STATISTICS";
	case MYSQL_COM_PROCESS_KILL:
		return "COM_PROCESS_KILL";
	case MYSQL_COM_PING:
		return "COM_PING";
	case MYSQL_COM_CHANGE_USER:
		return "COM_CHANGE_USER";
	case MYSQL_COM_BINLOG_DUMP:
		return "COM_BINLOG_DUMP";
	case MYSQL_COM_REGISTER_SLAVE:
		return "COM_REGISTER_SLAVE";
	case MYSQL_COM_STMT_PREPARE:
		return "COM_STMT_PREPARE";
	case MYSQL_COM_STMT_EXECUTE:
		return "COM_STMT_EXECUTE";
	case MYSQL_COM_STMT_CLOSE:
		return "COM_STMT_CLOSE";
	case MYSQL_COM_SET_OPTION:
		return "COM_SET_OPTION";
	case MYSQL_COM_BINLOG_DUMP_GTID:
		return "COM_BINLOG_DUMP_GTID";
	case MYSQL_COM_RESET_CONNECTION:
		return "COM_RESET_CONNECTION";
	default:
		return NULL;
	}
}

int mysql_lenenc_int(const uint8_t *p, size_t len, uint64_t *v, size_t *used)
{
	size_t n, i;
	uint64_t x = 0;

	if (len == 0)
		return MYSQL_NEED_MORE;
	switch (p[0]) {
	case 0xfb: /* NULL in a row */
	case 0xff: /* an ERR header, never an integer */
		return MYSQL_BAD;
	case 0xfc:
		n = 2;
		break;
	case 0xfd:
		n = 3;
		break;
	case 0xfe:
		n = 8;
		break;
	default:
		*v = p[0];
		*used = 1;
		return MYSQL_OK;
	}
	if (len < 1 + n)
		return MYSQL_NEED_MORE;
	for (i = 0; i < n; i++)
		x |= (uint64_t)p[1 + i] << (8 * i);
	*v = x;
	*used = 1 + n;
	return MYSQL_OK;
}

size_t mysql_lenenc_size(uint64_t v)
{
	if (v < 0xfb)
		return 1;
	if (v <= 0xffff)
		return 3;
	if (v <= 0xffffff)
		return 4;
	return 9;
}

long mysql_put_lenenc_int(uint8_t *out, size_t cap, uint64_t v)
{
	size_t n = mysql_lenenc_size(v), i;

	if (n > cap)
		return MYSQL_TOOBIG;
	if (n == 1) {
		out[0] = (uint8_t)v;
		return 1;
	}
	out[0] = n == 3 ? 0xfc : n == 4 ? 0xfd : 0xfe;
	for (i = 1; i < n; i++)
		out[i] = (uint8_t)(v >> (8 * (i - 1)));
	return (long)n;
}

long mysql_frame_parse(const uint8_t *buf, size_t len, struct mysql_frame *f)
{
	uint32_t plen;

	if (len < MYSQL_HEADER_LEN)
		return MYSQL_NEED_MORE;
	plen = le24_at(buf);
	if (len - MYSQL_HEADER_LEN < plen)
		return MYSQL_NEED_MORE;
	f->len = plen;
	f->seq = buf[3];
	f->payload = buf + MYSQL_HEADER_LEN;
	return (long)(MYSQL_HEADER_LEN + plen);
}

void mysql_frame_header(uint8_t out[MYSQL_HEADER_LEN], uint32_t len,
			uint8_t seq)
{
	out[0] = (uint8_t)len;
	out[1] = (uint8_t)(len >> 8);
	out[2] = (uint8_t)(len >> 16);
	out[3] = seq;
}

/* Walks the frames of one logical packet. Checks every header as soon as it
 * is complete, so a bad sequence id or an over-cap length is reported
 * without waiting for the payload bytes. */
long mysql_packet_parse(const uint8_t *buf, size_t len, size_t max_payload,
			struct mysql_packet *pk)
{
	size_t off = 0, total = 0;
	unsigned nframes = 0;
	uint8_t first = 0, seq = 0;
	uint32_t flen;

	for (;;) {
		if (len - off < MYSQL_HEADER_LEN)
			return MYSQL_NEED_MORE;
		flen = le24_at(buf + off);
		if (nframes == 0)
			first = buf[off + 3];
		else if (buf[off + 3] != (uint8_t)(seq + 1))
			return MYSQL_BAD;
		seq = buf[off + 3];
		if (flen > max_payload - total)
			return MYSQL_TOOBIG;
		if (len - off - MYSQL_HEADER_LEN < flen)
			return MYSQL_NEED_MORE;
		off += MYSQL_HEADER_LEN + flen;
		total += flen;
		nframes++;
		if (flen < MYSQL_MAX_FRAME)
			break;
	}
	if (off > LONG_MAX)
		return MYSQL_TOOBIG;
	pk->len = total;
	pk->seq = first;
	pk->last_seq = seq;
	pk->nframes = nframes;
	pk->payload = nframes == 1 ? buf + MYSQL_HEADER_LEN : NULL;
	return (long)off;
}

void mysql_packet_gather(const uint8_t *buf, size_t span, uint8_t *out)
{
	size_t off = 0, n;

	while (span - off >= MYSQL_HEADER_LEN) {
		n = le24_at(buf + off);
		off += MYSQL_HEADER_LEN;
		/* Not what mysql_packet_parse() accepted: stay inside. */
		if (n > span - off)
			n = span - off;
		if (n)
			memcpy(out, buf + off, n);
		out += n;
		off += n;
	}
}

long mysql_packet_write(uint8_t *out, size_t cap, const uint8_t *payload,
			size_t len, uint8_t seq, uint8_t *next_seq)
{
	size_t nframes = len / MYSQL_MAX_FRAME + 1, need, off = 0, n;

	/* Every frame but the last is full; the last is shorter, possibly
	 * empty, which is how a reader knows the packet ended. */
	if (len > (size_t)LONG_MAX - MYSQL_HEADER_LEN * nframes)
		return MYSQL_TOOBIG;
	need = len + MYSQL_HEADER_LEN * nframes;
	if (need > cap)
		return MYSQL_TOOBIG;
	do {
		n = len - off < MYSQL_MAX_FRAME ? len - off : MYSQL_MAX_FRAME;
		mysql_frame_header(out, (uint32_t)n, seq++);
		out += MYSQL_HEADER_LEN;
		if (n)
			memcpy(out, payload + off, n);
		out += n;
		off += n;
	} while (n == MYSQL_MAX_FRAME);
	*next_seq = seq;
	return (long)need;
}

long mysql_command_write(uint8_t *out, size_t cap, uint8_t cmd, const void *arg,
			 size_t arg_len)
{
	struct wr w;

	wr_init(&w, out, cap);
	wr_u8(&w, cmd);
	wr_bytes(&w, arg, arg_len);
	return wr_result(&w);
}
