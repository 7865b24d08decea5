/* resultset.c - the response to COM_QUERY, read one packet at a time
 * (MySQL "COM_QUERY Response" and "Text Resultset" pages, "Column
 * Definition" page for Protocol::ColumnDefinition41; MariaDB "Result Set
 * Packets" page).
 *
 * A response is an OK, an ERR, a LOCAL INFILE request, or a result set:
 * column count, column definitions, an EOF unless CLIENT_DEPRECATE_EOF,
 * rows, then an EOF (or, with CLIENT_DEPRECATE_EOF, an OK with the 0xfe
 * header) or an ERR. SERVER_MORE_RESULTS_EXISTS in the status of a final
 * OK or EOF announces another response of the same shape.
 *
 * Each packet is complete: a packet shorter than its structure is
 * MYSQL_BAD. rs->ok.info borrows from the packet that ended the response
 * and lives as long as that packet's buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "mysql/mysql.h"
#include "mysql/wire.h"

/* MySQL 8's optional result set metadata: a byte after the column count
 * says whether column definitions follow. */
#define CLIENT_OPTIONAL_RESULTSET_METADATA 0x02000000u
#define RESULTSET_METADATA_NONE		   0
#define COLUMNS_MAX			   65535 /* generous: a table has <= 4096 */
#define COLDEF_FIXED_LEN		   0x0c /* charset .. filler */
#define COLDEF_STRINGS			   6	/* catalog .. org_name */

void mysql_rs_init(struct mysql_rs *rs, uint32_t caps)
{
	memset(rs, 0, sizeof(*rs));
	rs->state = MYSQL_RS_FIRST;
	rs->caps = caps;
}

/* Validates a Protocol::ColumnDefinition41: six length-encoded strings,
 * then the 0x0c-byte block of fixed fields. MariaDB's extended metadata
 * (one more string before the block) is accepted. Bytes after the block
 * (COM_FIELD_LIST default values) are allowed. */
static int coldef_ok(const uint8_t *p, size_t len)
{
	struct cd_bytes r;
	size_t n, i;
	uint64_t fixed;

	rd_init(&r, p, len);
	for (i = 0; i < COLDEF_STRINGS; i++)
		rd_lenenc_str(&r, &n);
	fixed = rd_lenenc(&r);
	if (!r.bad && fixed != COLDEF_FIXED_LEN) {
		/* That was MariaDB's extended metadata string. */
		if (fixed > rd_left(&r))
			return 0;
		rd_take(&r, (size_t)fixed);
		fixed = rd_lenenc(&r);
	}
	if (r.bad || fixed != COLDEF_FIXED_LEN)
		return 0;
	rd_take(&r, COLDEF_FIXED_LEN);
	return !r.bad;
}

/* Walks a text row: exactly `columns` values, each NULL (0xfb) or a
 * length-encoded string, filling the payload; the first max values go to
 * cells when it is not NULL. */
static int row_walk(const uint8_t *p, size_t len, uint64_t columns,
		    struct mysql_cell *cells, size_t max)
{
	struct cd_bytes r;
	uint64_t i;
	size_t n;

	rd_init(&r, p, len);
	for (i = 0; i < columns && !r.bad; i++) {
		struct mysql_cell c = {NULL, 0, 0};

		if (rd_peek(&r) == 0xfb) { /* NULL */
			rd_take(&r, 1);
			c.is_null = 1;
		} else {
			c.data = rd_lenenc_str(&r, &n);
			c.len = n;
		}
		if (cells && i < max)
			cells[i] = c;
	}
	return !r.bad && rd_left(&r) == 0;
}

static int row_ok(const uint8_t *p, size_t len, uint64_t columns)
{
	return row_walk(p, len, columns, NULL, 0);
}

int mysql_row_cells(const uint8_t *p, size_t len, uint64_t columns,
		    struct mysql_cell *cells, size_t max)
{
	if (columns > max || !row_walk(p, len, columns, cells, max))
		return MYSQL_BAD;
	return MYSQL_OK;
}

double mysql_cell_num(const struct mysql_cell *c)
{
	char buf[48], *end;
	double v;

	if (c->is_null || !c->data || !c->len || c->len >= sizeof(buf))
		return -1;
	memcpy(buf, c->data, c->len);
	buf[c->len] = '\0';
	v = strtod(buf, &end);
	return *end || end == buf || v < 0 ? -1 : v;
}

int mysql_coldef_name(const uint8_t *p, size_t len, const uint8_t **name,
		      size_t *name_len)
{
	struct cd_bytes r;
	const uint8_t *q = NULL;
	size_t n = 0, i;

	if (!coldef_ok(p, len))
		return MYSQL_BAD;
	/* catalog, schema, table, org_table, then name. */
	rd_init(&r, p, len);
	for (i = 0; i < 5; i++)
		q = rd_lenenc_str(&r, &n);
	if (r.bad)
		return MYSQL_BAD;
	*name = q;
	*name_len = n;
	return MYSQL_OK;
}

/* Ends the response with an ERR. */
static int end_err(struct mysql_rs *rs, const uint8_t *p, size_t len)
{
	if (mysql_err_parse(p, len, &rs->err))
		return MYSQL_BAD;
	rs->is_err = 1;
	rs->state = MYSQL_RS_DONE;
	return MYSQL_OK;
}

/* Ends one response with an OK or EOF: another follows when the status
 * says SERVER_MORE_RESULTS_EXISTS. */
static int end_ok(struct mysql_rs *rs, const struct mysql_ok *ok)
{
	rs->ok = *ok;
	if (ok->status & MYSQL_SERVER_MORE_RESULTS_EXISTS) {
		rs->state = MYSQL_RS_FIRST;
		return MYSQL_NEED_MORE;
	}
	rs->state = MYSQL_RS_DONE;
	return MYSQL_OK;
}

/* The first packet of a response. */
static int feed_first(struct mysql_rs *rs, const uint8_t *p, size_t len)
{
	struct mysql_ok ok;
	struct cd_bytes r;
	uint64_t ncol;
	int metadata = 1;

	switch (mysql_reply_kind(p, len, MYSQL_PHASE_COMMAND, rs->caps)) {
	case MYSQL_REPLY_OK:
		if (mysql_ok_parse(p, len, rs->caps, &ok))
			return MYSQL_BAD;
		rs->results++;
		return end_ok(rs, &ok);
	case MYSQL_REPLY_ERR:
		return end_err(rs, p, len);
	case MYSQL_REPLY_LOCAL_INFILE:
		/* The client sends the file (or an empty packet); the server
		 * then answers with an OK or an ERR, read as a first packet. */
		rs->local_infile = 1;
		return MYSQL_NEED_MORE;
	case MYSQL_REPLY_DATA:
		break;
	default:
		return MYSQL_BAD; /* a short 0xfe: no response starts so */
	}
	rd_init(&r, p, len);
	ncol = rd_lenenc(&r);
	if (rs->caps & CLIENT_OPTIONAL_RESULTSET_METADATA)
		metadata = rd_u8(&r) != RESULTSET_METADATA_NONE;
	if (r.bad || rd_left(&r) || ncol == 0 || ncol > COLUMNS_MAX)
		return MYSQL_BAD;
	rs->columns = ncol;
	rs->col_seen = 0;
	rs->results++;
	if (metadata)
		rs->state = MYSQL_RS_COLUMNS;
	else if (rs->caps & MYSQL_CLIENT_DEPRECATE_EOF)
		rs->state = MYSQL_RS_ROWS;
	else
		rs->state = MYSQL_RS_COLEOF;
	return MYSQL_NEED_MORE;
}

/* A packet inside a result set: column definition, EOF or row. */
static int feed_rows(struct mysql_rs *rs, const uint8_t *p, size_t len)
{
	enum mysql_reply kind;
	struct mysql_ok ok;
	struct mysql_eof eof;

	kind = mysql_reply_kind(p, len, MYSQL_PHASE_ROWS, rs->caps);
	if (kind == MYSQL_REPLY_ERR)
		return end_err(rs, p, len);

	switch (rs->state) {
	case MYSQL_RS_COLUMNS:
		if (!coldef_ok(p, len))
			return MYSQL_BAD;
		if (++rs->col_seen == rs->columns)
			rs->state = rs->caps & MYSQL_CLIENT_DEPRECATE_EOF
					    ? MYSQL_RS_ROWS
					    : MYSQL_RS_COLEOF;
		return MYSQL_NEED_MORE;
	case MYSQL_RS_COLEOF:
		if (kind != MYSQL_REPLY_EOF || mysql_eof_parse(p, len, &eof))
			return MYSQL_BAD;
		rs->state = MYSQL_RS_ROWS;
		return MYSQL_NEED_MORE;
	case MYSQL_RS_ROWS:
		break;
	default:
		return MYSQL_BAD;
	}

	if (kind == MYSQL_REPLY_OK) {
		if (mysql_ok_parse(p, len, rs->caps, &ok))
			return MYSQL_BAD;
		return end_ok(rs, &ok);
	}
	if (kind == MYSQL_REPLY_EOF) {
		if (mysql_eof_parse(p, len, &eof))
			return MYSQL_BAD;
		memset(&ok, 0, sizeof(ok));
		ok.status = eof.status;
		ok.warnings = eof.warnings;
		return end_ok(rs, &ok);
	}
	if (!row_ok(p, len, rs->columns))
		return MYSQL_BAD;
	rs->rows++;
	return MYSQL_NEED_MORE;
}

int mysql_rs_feed(struct mysql_rs *rs, const uint8_t *p, size_t len)
{
	switch (rs->state) {
	case MYSQL_RS_FIRST:
		return feed_first(rs, p, len);
	case MYSQL_RS_COLUMNS:
	case MYSQL_RS_COLEOF:
	case MYSQL_RS_ROWS:
		return feed_rows(rs, p, len);
	default:
		return MYSQL_BAD; /* DONE: nothing may follow */
	}
}
