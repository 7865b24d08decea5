/* test_mysql_binlog.c - the replication pieces of the codec
 * (mysql/commands.h): COM_BINLOG_DUMP and the event header of each binlog
 * stream packet, on byte vectors laid out as the MySQL "Replication
 * Protocol" pages show (hand-made, field by field), every strict prefix
 * parsed at the guard page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mysql/commands.h"
#include "guard.h"

/* COM_BINLOG_DUMP from position 4, flags 0, replica server id 99, file
 * "mysql-bin.000001". */
static const uint8_t dump[] = {
	0x12, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x63, 0x00,
	0x00, 0x00, 'm',  'y',	's',  'q',  'l',  '-',	'b',
	'i',  'n',  '.',  '0',	'0',  '0',  '0',  '0',	'1',
};

/* A stream packet: 0x00, then a ROTATE_EVENT (4) header: timestamp 0,
 * server id 1, event size 0x2c, next position 0, flags 0x20
 * (LOG_EVENT_ARTIFICIAL_F), then its body (position 4, the file name). */
static const uint8_t rotate[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00, 0x2c,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x04, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 'b',  'i',	'n',  '.',  '1',
};

/* A HEARTBEAT_LOG_EVENT (27) header alone: timestamp 0x65f00000, server
 * id 1, size 0x27, next position 0x0172, flags 0. */
static const uint8_t heartbeat[] = {0x00, 0x00, 0x00, 0xf0, 0x65, 0x1b, 0x01,
				    0x00, 0x00, 0x00, 0x27, 0x00, 0x00, 0x00,
				    0x72, 0x01, 0x00, 0x00, 0x00, 0x00};

static int dump_at_guard(const uint8_t *p, size_t n,
			 struct mysql_binlog_dump *o)
{
	struct guard gd;
	int rc;

	guard_init(&gd, n ? n : 1);
	rc = mysql_binlog_dump_parse(guard_put(&gd, p, n), n, o);
	if (rc == MYSQL_OK && o->file_len)
		assert_memory_equal(o->file, p + 11, o->file_len);
	guard_free(&gd);
	return rc;
}

static int event_at_guard(const uint8_t *p, size_t n,
			  struct mysql_binlog_event *o)
{
	struct guard gd;
	int rc;

	guard_init(&gd, n ? n : 1);
	rc = mysql_binlog_event_parse(guard_put(&gd, p, n), n, o);
	guard_free(&gd);
	return rc;
}

static void test_dump(void **state)
{
	struct mysql_binlog_dump d;

	(void)state;
	assert_int_equal(dump_at_guard(dump, sizeof(dump), &d), MYSQL_OK);
	assert_int_equal(d.pos, 4);
	assert_int_equal(d.flags, 0);
	assert_int_equal(d.server_id, 99);
	assert_int_equal(d.file_len, 16);
	/* no file name: the server's current binlog */
	assert_int_equal(dump_at_guard(dump, 11, &d), MYSQL_OK);
	assert_int_equal(d.server_id, 99);
	assert_int_equal(d.file_len, 0);
}

static void test_dump_bad(void **state)
{
	static const uint8_t gtid[] = {0x1e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	struct mysql_binlog_dump d = {5, 5, 5, NULL, 5};
	size_t n;

	(void)state;
	for (n = 0; n < 11; n++)
		assert_int_equal(dump_at_guard(dump, n, &d), MYSQL_BAD);
	assert_int_equal(dump_at_guard(gtid, sizeof(gtid), &d), MYSQL_BAD);
	assert_int_equal(d.pos, 5);
	assert_int_equal(d.file_len, 5);
}

static void test_event(void **state)
{
	struct mysql_binlog_event ev;

	(void)state;
	assert_int_equal(event_at_guard(rotate, sizeof(rotate), &ev), MYSQL_OK);
	assert_int_equal(ev.timestamp, 0);
	assert_int_equal(ev.type, 4);
	assert_int_equal(ev.server_id, 1);
	assert_int_equal(ev.event_size, 0x2c);
	assert_int_equal(ev.log_pos, 0);
	assert_int_equal(ev.flags, 0x20);
	assert_int_equal(event_at_guard(heartbeat, sizeof(heartbeat), &ev),
			 MYSQL_OK);
	assert_int_equal(ev.type, MYSQL_BINLOG_HEARTBEAT);
	assert_int_equal(ev.timestamp, 0x65f00000u);
	assert_int_equal(ev.event_size, 0x27);
	assert_int_equal(ev.log_pos, 0x0172);
	/* the header alone is enough: a capture may keep only that */
	assert_int_equal(event_at_guard(rotate, MYSQL_BINLOG_HEADER_LEN, &ev),
			 MYSQL_OK);
	assert_int_equal(ev.event_size, 0x2c);
}

/* Strict prefixes of the header, and an ERR or EOF in its place. */
static void test_event_bad(void **state)
{
	static const uint8_t eof[] = {0xfe, 0x00, 0x00, 0x02, 0x00};
	static const uint8_t err[] = {0xff, 0xd4, 0x04, '#', 'H', 'Y', '0',
				      '0',  '0',  'n',	'o', ' ', 'b', 'i',
				      'n',  'l',  'o',	'g', 'x', 'y'};
	struct mysql_binlog_event ev = {9, 9, 9, 9, 9, 9};
	size_t n;

	(void)state;
	for (n = 0; n < MYSQL_BINLOG_HEADER_LEN; n++)
		assert_int_equal(event_at_guard(heartbeat, n, &ev), MYSQL_BAD);
	assert_int_equal(event_at_guard(eof, sizeof(eof), &ev), MYSQL_BAD);
	assert_int_equal(event_at_guard(err, sizeof(err), &ev), MYSQL_BAD);
	assert_int_equal(ev.type, 9);
	assert_int_equal(ev.log_pos, 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_dump_bad),
		cmocka_unit_test(test_event),
		cmocka_unit_test(test_event_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
