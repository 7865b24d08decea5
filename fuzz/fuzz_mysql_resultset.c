/* fuzz_mysql_resultset.c - the COM_QUERY response decoder. The first byte
 * picks the capabilities; the rest is a server byte stream, cut into
 * packets by mysql_packet_parse() and fed to mysql_rs_feed() until the
 * response ends, is refused, or the stream runs out.
 */
#include <string.h>

#include "fuzz.h"
#include "mysql/mysql.h"

#define MAXP (1u << 16)

static uint32_t pick_caps(uint8_t sel)
{
	uint32_t caps = MYSQL_CLIENT_PROTOCOL_41;

	if (sel & 1)
		caps |= MYSQL_CLIENT_DEPRECATE_EOF;
	if (sel & 2)
		caps |= MYSQL_CLIENT_SESSION_TRACK;
	if (sel & 4)
		caps |= 0x02000000u; /* CLIENT_OPTIONAL_RESULTSET_METADATA */
	if (sel & 8)
		caps &= ~MYSQL_CLIENT_PROTOCOL_41;
	return caps;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mysql_packet pk;
	struct mysql_rs rs;
	uint64_t rows = 0;
	size_t off = 1;
	long n;
	int rc = MYSQL_NEED_MORE;

	if (size == 0)
		return 0;
	mysql_rs_init(&rs, pick_caps(data[0]));
	while (off < size && rc == MYSQL_NEED_MORE) {
		n = mysql_packet_parse(data + off, size - off, MAXP, &pk);
		if (n <= 0)
			break;
		rc = mysql_rs_feed(&rs, pk.payload, pk.len);
		CHECK(rc == MYSQL_OK || rc == MYSQL_NEED_MORE ||
		      rc == MYSQL_BAD);
		CHECK(rs.col_seen <= rs.columns);
		CHECK(rs.rows >= rows && rs.rows <= rows + 1);
		rows = rs.rows;
		if (rc == MYSQL_OK) {
			CHECK(rs.state == MYSQL_RS_DONE);
			CHECK(!rs.is_err ||
			      rs.err.message[MYSQL_ERRMSG_MAX - 1] == 0);
			/* Nothing may follow the end. */
			CHECK(mysql_rs_feed(&rs, pk.payload, pk.len) ==
			      MYSQL_BAD);
		} else if (rc == MYSQL_NEED_MORE) {
			CHECK(rs.state != MYSQL_RS_DONE && !rs.is_err);
		}
		off += (size_t)n;
	}
	return 0;
}
