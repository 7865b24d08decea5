/* fuzz_mysql_commands.c - the prepared-statement and replication pieces of
 * the codec (mysql/commands.h) over any bytes: an accepted input says
 * what its bytes say, a borrowed file name lies inside the input, and a
 * strict prefix of an accepted fixed structure is refused.
 */
#include <string.h>

#include "fuzz.h"
#include "mysql/commands.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mysql_stmt_cmd sc;
	struct mysql_prepare_ok po;
	struct mysql_binlog_dump bd;
	struct mysql_binlog_event ev;

	if (mysql_stmt_cmd_parse(data, size, &sc) == MYSQL_OK) {
		CHECK(size >= 5 && mysql_is_stmt_cmd(data[0]));
		CHECK(sc.cmd == data[0] && sc.stmt_id == le32(data + 1));
		CHECK(mysql_stmt_cmd_parse(data, 4, &sc) == MYSQL_BAD);
	}
	if (mysql_prepare_ok_parse(data, size, &po) == MYSQL_OK) {
		CHECK(size >= MYSQL_PREPARE_OK_LEN && data[0] == 0x00);
		CHECK(po.stmt_id == le32(data + 1));
		CHECK(mysql_prepare_ok_packets(&po, 0) <= 2 * 0x10000ull);
		CHECK(mysql_prepare_ok_packets(&po, 0) >=
		      mysql_prepare_ok_packets(&po,
					       MYSQL_CLIENT_DEPRECATE_EOF));
		CHECK(mysql_prepare_ok_parse(data, MYSQL_PREPARE_OK_LEN - 1,
					     &po) == MYSQL_BAD);
	}
	if (mysql_binlog_dump_parse(data, size, &bd) == MYSQL_OK) {
		CHECK(size >= 11 && data[0] == MYSQL_COM_BINLOG_DUMP);
		CHECK(bd.pos == le32(data + 1) &&
		      bd.server_id == le32(data + 7));
		CHECK(bd.file_len == size - 11);
		CHECK(bd.file_len == 0 || bd.file == data + 11);
	}
	if (mysql_binlog_event_parse(data, size, &ev) == MYSQL_OK) {
		CHECK(size >= MYSQL_BINLOG_HEADER_LEN && data[0] == 0x00);
		CHECK(ev.type == data[5] && ev.log_pos == le32(data + 14));
		CHECK(mysql_binlog_event_parse(data,
					       MYSQL_BINLOG_HEADER_LEN - 1,
					       &ev) == MYSQL_BAD);
	}
	return 0;
}
