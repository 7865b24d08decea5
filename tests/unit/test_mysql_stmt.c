/* test_mysql_stmt.c - the prepared-statement pieces of the codec
 * (mysql/commands.h): the statement id of COM_STMT_EXECUTE, _CLOSE,
 * _RESET, _SEND_LONG_DATA and _FETCH, and COM_STMT_PREPARE_OK with the
 * packets that follow it, on byte vectors laid out as the MySQL
 * "Prepared Statements" pages show, every strict prefix parsed at the
 * guard page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mysql/commands.h"
#include "guard.h"

/* COM_STMT_EXECUTE of statement 0x01020304: flags 0 (no cursor),
 * iteration count 1, no parameters. */
static const uint8_t execute[] = {0x17, 0x04, 0x03, 0x02, 0x01,
				  0x00, 0x01, 0x00, 0x00, 0x00};

/* COM_STMT_SEND_LONG_DATA: statement 7, parameter 1, "abc". */
static const uint8_t long_data[] = {0x18, 0x07, 0x00, 0x00, 0x00,
				    0x01, 0x00, 'a',  'b',  'c'};

/* COM_STMT_FETCH: statement 9, 100 rows. */
static const uint8_t fetch[] = {0x1c, 0x09, 0x00, 0x00, 0x00,
				0x64, 0x00, 0x00, 0x00};

/* COM_STMT_PREPARE_OK for "SELECT ?, ?, c FROM t WHERE id = ?": statement
 * 1, 3 columns, 3 parameters, filler, 2 warnings. */
static const uint8_t prepare_ok[] = {0x00, 0x01, 0x00, 0x00, 0x00, 0x03,
				     0x00, 0x03, 0x00, 0x00, 0x02, 0x00};

/* MySQL 8's form with the metadata byte after the warnings. */
static const uint8_t prepare_ok8[] = {0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
				      0x01, 0x00, 0x00, 0x00, 0x00, 0x01};

/* Parses p[0..n) placed at the guard page. */
static int stmt_at_guard(const uint8_t *p, size_t n, struct mysql_stmt_cmd *o)
{
	struct guard gd;
	int rc;

	guard_init(&gd, n ? n : 1);
	rc = mysql_stmt_cmd_parse(guard_put(&gd, p, n), n, o);
	guard_free(&gd);
	return rc;
}

static int prep_at_guard(const uint8_t *p, size_t n, struct mysql_prepare_ok *o)
{
	struct guard gd;
	int rc;

	guard_init(&gd, n ? n : 1);
	rc = mysql_prepare_ok_parse(guard_put(&gd, p, n), n, o);
	guard_free(&gd);
	return rc;
}

static void test_stmt_ids(void **state)
{
	static const uint8_t close_[] = {0x19, 0x2a, 0x00, 0x00, 0x00};
	static const uint8_t reset[] = {0x1a, 0x00, 0x00, 0x00, 0x80};
	struct mysql_stmt_cmd sc;

	(void)state;
	assert_int_equal(stmt_at_guard(execute, sizeof(execute), &sc),
			 MYSQL_OK);
	assert_int_equal(sc.cmd, MYSQL_COM_STMT_EXECUTE);
	assert_int_equal(sc.stmt_id, 0x01020304u);
	assert_int_equal(stmt_at_guard(long_data, sizeof(long_data), &sc),
			 MYSQL_OK);
	assert_int_equal(sc.cmd, MYSQL_COM_STMT_SEND_LONG_DATA);
	assert_int_equal(sc.stmt_id, 7);
	assert_int_equal(stmt_at_guard(fetch, sizeof(fetch), &sc), MYSQL_OK);
	assert_int_equal(sc.cmd, MYSQL_COM_STMT_FETCH);
	assert_int_equal(sc.stmt_id, 9);
	assert_int_equal(stmt_at_guard(close_, sizeof(close_), &sc), MYSQL_OK);
	assert_int_equal(sc.cmd, MYSQL_COM_STMT_CLOSE);
	assert_int_equal(sc.stmt_id, 42);
	assert_int_equal(stmt_at_guard(reset, sizeof(reset), &sc), MYSQL_OK);
	assert_int_equal(sc.cmd, MYSQL_COM_STMT_RESET);
	assert_int_equal(sc.stmt_id, 0x80000000u);
}

/* Only the five commands; the id is all that must be there. */
static void test_stmt_bad(void **state)
{
	static const uint8_t query[] = {0x03, 0x01, 0x00, 0x00, 0x00};
	static const uint8_t prepare[] = {0x16, 0x01, 0x00, 0x00, 0x00};
	struct mysql_stmt_cmd sc = {0xee, 0xdeadbeef};
	size_t n;

	(void)state;
	assert_int_equal(stmt_at_guard(query, sizeof(query), &sc), MYSQL_BAD);
	assert_int_equal(stmt_at_guard(prepare, sizeof(prepare), &sc),
			 MYSQL_BAD);
	for (n = 0; n < 5; n++)
		assert_int_equal(stmt_at_guard(execute, n, &sc), MYSQL_BAD);
	/* output untouched on failure */
	assert_int_equal(sc.cmd, 0xee);
	assert_int_equal(sc.stmt_id, 0xdeadbeef);
	/* an EXECUTE cut after the id still names its statement */
	assert_int_equal(stmt_at_guard(execute, 5, &sc), MYSQL_OK);
	assert_int_equal(sc.stmt_id, 0x01020304u);
	assert_true(mysql_is_stmt_cmd(0x17) && mysql_is_stmt_cmd(0x18) &&
		    mysql_is_stmt_cmd(0x19) && mysql_is_stmt_cmd(0x1a) &&
		    mysql_is_stmt_cmd(0x1c));
	assert_false(mysql_is_stmt_cmd(0x16) || mysql_is_stmt_cmd(0x1b) ||
		     mysql_is_stmt_cmd(0x03));
}

static void test_prepare_ok(void **state)
{
	struct mysql_prepare_ok ok;

	(void)state;
	assert_int_equal(prep_at_guard(prepare_ok, sizeof(prepare_ok), &ok),
			 MYSQL_OK);
	assert_int_equal(ok.stmt_id, 1);
	assert_int_equal(ok.columns, 3);
	assert_int_equal(ok.params, 3);
	assert_int_equal(ok.warnings, 2);
	assert_int_equal(prep_at_guard(prepare_ok8, sizeof(prepare_ok8), &ok),
			 MYSQL_OK);
	assert_int_equal(ok.stmt_id, 0xffffffffu);
	assert_int_equal(ok.columns, 0);
	assert_int_equal(ok.params, 1);
	assert_int_equal(ok.warnings, 0);
}

/* Every strict prefix is too short; an ERR or a result set is not it. */
static void test_prepare_ok_bad(void **state)
{
	static const uint8_t err[] = {0xff, 0x28, 0x04, '#', '4', '2',
				      '0',  '0',  '0',	'x', 'y', 'z'};
	struct mysql_prepare_ok ok = {77, 77, 77, 77};
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(prepare_ok); n++)
		assert_int_equal(prep_at_guard(prepare_ok, n, &ok), MYSQL_BAD);
	assert_int_equal(prep_at_guard(err, sizeof(err), &ok), MYSQL_BAD);
	assert_int_equal(ok.stmt_id, 77);
	assert_int_equal(ok.columns, 77);
}

/* Parameter definitions, then columns, each closed by an EOF unless
 * CLIENT_DEPRECATE_EOF; nothing for a part that is empty. */
static void test_prepare_ok_packets(void **state)
{
	struct mysql_prepare_ok ok = {1, 3, 2, 0};

	(void)state;
	assert_int_equal(mysql_prepare_ok_packets(&ok, 0), 3 + 1 + 2 + 1);
	assert_int_equal(
		mysql_prepare_ok_packets(&ok, MYSQL_CLIENT_DEPRECATE_EOF), 5);
	ok.columns = 0;
	assert_int_equal(mysql_prepare_ok_packets(&ok, 0), 3);
	ok.params = 0;
	assert_int_equal(mysql_prepare_ok_packets(&ok, 0), 0);
	ok.columns = 0xffff;
	ok.params = 0xffff;
	assert_int_equal(mysql_prepare_ok_packets(&ok, 0), 2 * 0x10000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stmt_ids),
		cmocka_unit_test(test_stmt_bad),
		cmocka_unit_test(test_prepare_ok),
		cmocka_unit_test(test_prepare_ok_bad),
		cmocka_unit_test(test_prepare_ok_packets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
