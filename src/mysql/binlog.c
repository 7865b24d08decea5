/* binlog.c - replication on the wire: COM_BINLOG_DUMP and the event header
 * that starts each packet of the binlog stream (MySQL "Replication
 * Protocol": COM_BINLOG_DUMP, Binlog Network Stream, Binlog Event header;
 * MariaDB "COM_BINLOG_DUMP" and "Binlog Event Header" pages). */
#include "mysql/commands.h"
#include "mysql/wire.h"

int mysql_binlog_dump_parse(const uint8_t *p, size_t len,
			    struct mysql_binlog_dump *out)
{
	struct mysql_binlog_dump v;
	struct cd_bytes r;

	rd_init(&r, p, len);
	if (rd_u8(&r) != MYSQL_COM_BINLOG_DUMP)
		return MYSQL_BAD;
	v.pos = rd_le32(&r);
	v.flags = rd_le16(&r);
	v.server_id = rd_le32(&r);
	v.file_len = rd_left(&r);
	v.file = rd_take(&r, v.file_len);
	if (r.bad)
		return MYSQL_BAD;
	*out = v;
	return MYSQL_OK;
}

int mysql_binlog_event_parse(const uint8_t *p, size_t len,
			     struct mysql_binlog_event *ev)
{
	struct mysql_binlog_event v;
	struct cd_bytes r;

	rd_init(&r, p, len);
	if (rd_u8(&r) != 0x00)
		return MYSQL_BAD;
	v.timestamp = rd_le32(&r);
	v.type = rd_u8(&r);
	v.server_id = rd_le32(&r);
	v.event_size = rd_le32(&r);
	v.log_pos = rd_le32(&r);
	v.flags = rd_le16(&r);
	if (r.bad)
		return MYSQL_BAD;
	*ev = v;
	return MYSQL_OK;
}
