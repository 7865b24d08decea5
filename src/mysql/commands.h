/* commands.h - the MySQL codec's prepared-statement and replication pieces
 * (pure, bounds-checked, the contract of mysql/mysql.h): the commands that
 * name a prepared statement, COM_STMT_PREPARE's first reply, COM_BINLOG_DUMP
 * and the header of each event of the binlog stream. Reference: MySQL
 * "Prepared Statements" (COM_STMT_PREPARE, COM_STMT_PREPARE Response,
 * COM_STMT_EXECUTE, COM_STMT_CLOSE, COM_STMT_RESET, COM_STMT_SEND_LONG_DATA,
 * COM_STMT_FETCH), "Replication Protocol" (COM_BINLOG_DUMP, Binlog Network
 * Stream, Binlog Event header); MariaDB "COM_STMT_PREPARE" and "Binlog
 * Event header" pages. Every parser is given a complete payload (command
 * byte or status byte first); one shorter than its structure is MYSQL_BAD.
 */
#ifndef CONNDOCTOR_MYSQL_COMMANDS_H
#define CONNDOCTOR_MYSQL_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#include "mysql/mysql.h"

/* Command bytes beside enum mysql_command's. */
#define MYSQL_COM_STMT_SEND_LONG_DATA 0x18
#define MYSQL_COM_STMT_RESET	      0x1a
#define MYSQL_COM_STMT_FETCH	      0x1c

/* ---- commands that name a prepared statement ---- */

/* COM_STMT_EXECUTE, _SEND_LONG_DATA, _CLOSE, _RESET and _FETCH all start
 * with the command byte and the 4-byte statement id. */
struct mysql_stmt_cmd {
	uint8_t cmd;	  /* the command byte */
	uint32_t stmt_id; /* from COM_STMT_PREPARE's reply */
};

/* 1 when cmd is one of those five. */
int mysql_is_stmt_cmd(uint8_t cmd);

/* Reads the statement id of such a command. MYSQL_BAD for another command
 * or fewer than 5 bytes. The rest (execute flags and parameters, long
 * data, fetch row count) is not read: a capture may keep only the start
 * of a long command. */
int mysql_stmt_cmd_parse(const uint8_t *p, size_t len,
			 struct mysql_stmt_cmd *out);

/* ---- COM_STMT_PREPARE's reply ---- */

#define MYSQL_PREPARE_OK_LEN 12 /* 0x00, id, columns, params, 0, warnings */

/* COM_STMT_PREPARE_OK: 0x00, statement id (4), columns (2), parameters
 * (2), a filler byte, warnings (2); MySQL 8 may add a metadata byte. */
struct mysql_prepare_ok {
	uint32_t stmt_id;
	uint16_t columns; /* column definitions of its result set */
	uint16_t params;  /* parameter definitions */
	uint16_t warnings;
};

/* MYSQL_BAD unless p starts with 0x00 and holds the 12 bytes. (An ERR in
 * its place is mysql_err_parse()'s.) */
int mysql_prepare_ok_parse(const uint8_t *p, size_t len,
			   struct mysql_prepare_ok *ok);

/* Packets that follow the reply: each parameter definition, then an EOF
 * unless CLIENT_DEPRECATE_EOF is in caps; the same for the columns. */
uint64_t mysql_prepare_ok_packets(const struct mysql_prepare_ok *ok,
				  uint32_t caps);

/* ---- replication ---- */

/* COM_BINLOG_DUMP: 0x12, position (4), flags (2), server id (4), the
 * binlog file name (the rest; may be empty). */
struct mysql_binlog_dump {
	uint32_t pos;
	uint16_t flags;
	uint32_t server_id;  /* the replica's */
	const uint8_t *file; /* borrowed from the input, not NUL-ended */
	size_t file_len;
};

int mysql_binlog_dump_parse(const uint8_t *p, size_t len,
			    struct mysql_binlog_dump *out);

#define MYSQL_BINLOG_HEADER_LEN 20 /* the 0x00 status byte and 19 bytes */
#define MYSQL_BINLOG_HEARTBEAT	27 /* HEARTBEAT_LOG_EVENT */

/* One packet of the binlog stream: 0x00, then the event header
 * (timestamp 4, type 1, server id 4, event size 4, log position 4, flags
 * 2), then the event's body. */
struct mysql_binlog_event {
	uint32_t timestamp;  /* seconds since the epoch, 0 for fake events */
	uint8_t type;	     /* Log_event_type */
	uint32_t server_id;  /* the server that wrote it */
	uint32_t event_size; /* header + body, as the event claims: not
				checked against len (a capture may keep
				only the start of a long event) */
	uint32_t log_pos;    /* position of the next event */
	uint16_t flags;
};

/* MYSQL_BAD unless p starts with 0x00 and holds the whole header (an ERR
 * or an EOF in its place is mysql_err_parse()'s or mysql_eof_parse()'s). */
int mysql_binlog_event_parse(const uint8_t *p, size_t len,
			     struct mysql_binlog_event *ev);

#endif /* CONNDOCTOR_MYSQL_COMMANDS_H */
