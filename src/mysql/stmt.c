/* stmt.c - prepared statements on the wire: the commands that name a
 * statement by id and COM_STMT_PREPARE's first reply (MySQL "Prepared
 * Statements" pages: COM_STMT_PREPARE Response, COM_STMT_EXECUTE,
 * COM_STMT_CLOSE, COM_STMT_RESET, COM_STMT_SEND_LONG_DATA, COM_STMT_FETCH).
 */
#include "mysql/commands.h"
#include "mysql/wire.h"

int mysql_is_stmt_cmd(uint8_t cmd)
{
	switch (cmd) {
	case MYSQL_COM_STMT_EXECUTE:
	case MYSQL_COM_STMT_SEND_LONG_DATA:
	case MYSQL_COM_STMT_CLOSE:
	case MYSQL_COM_STMT_RESET:
	case MYSQL_COM_STMT_FETCH:
		return 1;
	default:
		return 0;
	}
}

int mysql_stmt_cmd_parse(const uint8_t *p, size_t len,
			 struct mysql_stmt_cmd *out)
{
	struct cd_bytes r;
	uint8_t cmd;
	uint32_t id;

	rd_init(&r, p, len);
	cmd = rd_u8(&r);
	id = rd_le32(&r);
	if (r.bad || !mysql_is_stmt_cmd(cmd))
		return MYSQL_BAD;
	out->cmd = cmd;
	out->stmt_id = id;
	return MYSQL_OK;
}

int mysql_prepare_ok_parse(const uint8_t *p, size_t len,
			   struct mysql_prepare_ok *ok)
{
	struct mysql_prepare_ok v;
	struct cd_bytes r;

	rd_init(&r, p, len);
	if (rd_u8(&r) != 0x00)
		return MYSQL_BAD;
	v.stmt_id = rd_le32(&r);
	v.columns = rd_le16(&r);
	v.params = rd_le16(&r);
	(void)rd_u8(&r); /* filler: 0x00, not checked (servers vary) */
	v.warnings = rd_le16(&r);
	if (r.bad)
		return MYSQL_BAD;
	*ok = v;
	return MYSQL_OK;
}

uint64_t mysql_prepare_ok_packets(const struct mysql_prepare_ok *ok,
				  uint32_t caps)
{
	int eof = !(caps & MYSQL_CLIENT_DEPRECATE_EOF);
	uint64_t n = 0;

	if (ok->params)
		n += (uint64_t)ok->params + (uint64_t)eof;
	if (ok->columns)
		n += (uint64_t)ok->columns + (uint64_t)eof;
	return n;
}
