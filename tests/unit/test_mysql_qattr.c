/* test_mysql_qattr.c - query attributes in COM_QUERY and named parameters
 * in COM_STMT_EXECUTE (mysql/qattr.h), on byte vectors laid out as MySQL's
 * "COM_QUERY" (CLIENT_QUERY_ATTRIBUTES), "COM_STMT_EXECUTE" and "Binary
 * Protocol Value" pages show them; every strict prefix is parsed at the
 * guard page (none may read past its end, and none may pass for a whole
 * block with a statement text it does not have).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mysql/qattr.h"
#include "guard.h"

/* No attributes: 0x03, parameter_count 0, parameter_set_count 1, text. */
static const uint8_t q_none[] = {0x03, 0x00, 0x01, 'S', 'E', 'L',
				 'E',  'C',  'T',  ' ', '1'};

/* Three attributes: n1 = 'v1' (MYSQL_TYPE_STRING), id = 42 unsigned
 * LONGLONG, gone = NULL (bit 2 of the bitmap); then "SELECT 1". */
static const uint8_t q_three[] = {
	0x03,				      /* COM_QUERY */
	0x03,				      /* parameter_count */
	0x01,				      /* parameter_set_count */
	0x04,				      /* null bitmap: parameter 2 */
	0x01,				      /* new_params_bind_flag */
	0xfe, 0x00, 0x02, 'n', '1',	      /* type STRING, name "n1" */
	0x08, 0x80, 0x02, 'i', 'd',	      /* type LONGLONG unsigned, "id" */
	0xfe, 0x00, 0x04, 'g', 'o', 'n', 'e', /* "gone" */
	0x02, 'v',  '1',		      /* "v1" */
	0x2a, 0,    0,	  0,   0,   0,	 0,   0, /* 42 */
	'S',  'E',  'L',  'E', 'C', 'T', ' ', '1'};

/* A DATETIME (2024-12-06 23:47:05), a signed TINY -3, a DOUBLE 1.5. */
static const uint8_t q_types[] = {
	0x03, 0x03, 0x01, 0x00, 0x01, 0x0c, 0x00, 0x01, 't',  0x01, 0x00, 0x01,
	'x',  0x05, 0x00, 0x01, 'd',  0x07, 0xe8, 0x07, 0x0c, 0x06, 0x17, 0x2f,
	0x05, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f, 'D',  'O'};

/* COM_STMT_EXECUTE of statement 5 with PARAMETER_COUNT_AVAILABLE: one
 * named parameter (a query attribute) "tag" = 'x', then nothing. */
static const uint8_t exec_named[] = {
	0x17, 0x05, 0x00, 0x00, 0x00, 0x08, 0x01, 0x00, 0x00, 0x00, /* head */
	0x01,				   /* parameter_count */
	0x00, 0x01,			   /* bitmap, bind flag */
	0xfd, 0x00, 0x03, 't',	'a',  'g', /* VAR_STRING "tag" */
	0x01, 'x'};

/* Parses p[0..n) at the guard page, then again in place so that the
 * borrowed pointers in q stay valid for the caller. */
static int query_at_guard(const uint8_t *p, size_t n, struct mysql_qattrs *q)
{
	struct guard gd;
	int rc, rc2;

	guard_init(&gd, n ? n : 1);
	rc = mysql_query_attrs_parse(guard_put(&gd, p, n), n, q);
	guard_free(&gd);
	rc2 = mysql_query_attrs_parse(p, n, q);
	assert_int_equal(rc, rc2);
	return rc;
}

static void value_is(const struct mysql_qattr *a, const char *want)
{
	char buf[64];

	mysql_qattr_value_text(a, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_query_none(void **state)
{
	struct mysql_qattrs q;

	(void)state;
	assert_int_equal(query_at_guard(q_none, sizeof(q_none), &q), MYSQL_OK);
	assert_int_equal(q.count, 0);
	assert_int_equal(q.kept, 0);
	assert_int_equal(q.end, 3);
}

static void test_query_three(void **state)
{
	struct mysql_qattrs q;

	(void)state;
	assert_int_equal(query_at_guard(q_three, sizeof(q_three), &q),
			 MYSQL_OK);
	assert_int_equal(q.count, 3);
	assert_int_equal(q.kept, 3);
	assert_memory_equal(q_three + q.end, "SELECT 1", 8);
	assert_int_equal(sizeof(q_three) - q.end, 8);
	assert_int_equal(q.a[0].name_len, 2);
	assert_memory_equal(q.a[0].name, "n1", 2);
	value_is(&q.a[0], "v1");
	assert_memory_equal(q.a[1].name, "id", 2);
	assert_true(q.a[1].is_unsigned);
	value_is(&q.a[1], "42");
	assert_memory_equal(q.a[2].name, "gone", 4);
	assert_true(q.a[2].is_null);
	value_is(&q.a[2], "NULL");
}

static void test_query_types(void **state)
{
	struct mysql_qattrs q;

	(void)state;
	assert_int_equal(query_at_guard(q_types, sizeof(q_types), &q),
			 MYSQL_OK);
	value_is(&q.a[0], "2024-12-06 23:47:05");
	value_is(&q.a[1], "-3");
	value_is(&q.a[2], "1.5");
	assert_int_equal(sizeof(q_types) - q.end, 2);
}

/* Every strict prefix: BAD while the block is cut; once it is whole, OK
 * with the text shorter by the bytes cut. */
static void test_query_prefixes(void **state)
{
	const uint8_t *vec[] = {q_none, q_three, q_types};
	size_t len[] = {sizeof(q_none), sizeof(q_three), sizeof(q_types)};
	size_t v, n;

	(void)state;
	for (v = 0; v < 3; v++) {
		struct mysql_qattrs whole;

		assert_int_equal(query_at_guard(vec[v], len[v], &whole),
				 MYSQL_OK);
		for (n = 0; n < len[v]; n++) {
			struct mysql_qattrs q;
			int rc = query_at_guard(vec[v], n, &q);

			if (n < whole.end) {
				assert_int_equal(rc, MYSQL_BAD);
			} else {
				assert_int_equal(rc, MYSQL_OK);
				assert_int_equal(q.end, whole.end);
			}
		}
	}
}

static void test_query_bad(void **state)
{
	struct mysql_qattrs q;
	uint8_t b[sizeof(q_three)];

	(void)state;
	/* not COM_QUERY */
	memcpy(b, q_three, sizeof(b));
	b[0] = 0x16;
	assert_int_equal(query_at_guard(b, sizeof(b), &q), MYSQL_BAD);
	/* parameter_set_count must be 1 */
	memcpy(b, q_three, sizeof(b));
	b[2] = 2;
	assert_int_equal(query_at_guard(b, sizeof(b), &q), MYSQL_BAD);
	/* a name longer than the packet */
	memcpy(b, q_three, sizeof(b));
	b[7] = 0xfc;
	b[8] = 0xff;
	b[9] = 0xff;
	assert_int_equal(query_at_guard(b, sizeof(b), &q), MYSQL_BAD);
	/* a count far past what the packet can hold */
	{
		const uint8_t big[] = {0x03, 0xfd, 0xff, 0xff, 0xff, 0x01};

		assert_int_equal(query_at_guard(big, sizeof(big), &q),
				 MYSQL_BAD);
	}
	/* a DATETIME with a length no DATETIME has */
	memcpy(b, q_types,
	       sizeof(q_types) < sizeof(b) ? sizeof(q_types) : sizeof(b));
	{
		uint8_t t[sizeof(q_types)];

		memcpy(t, q_types, sizeof(t));
		t[17] = 5;
		assert_int_equal(query_at_guard(t, sizeof(t), &q), MYSQL_BAD);
	}
}

/* More attributes than kept: all are walked (the text is found), the
 * first MYSQL_QATTR_KEEP returned. */
static void test_query_many(void **state)
{
	uint8_t b[512];
	size_t n = 0;
	unsigned i, count = MYSQL_QATTR_KEEP + 4;
	struct mysql_qattrs q;

	(void)state;
	b[n++] = 0x03;
	b[n++] = (uint8_t)count;
	b[n++] = 0x01;
	b[n++] = 0x00;
	b[n++] = 0x00; /* bitmap: two bytes for 12 */
	b[n++] = 0x01;
	for (i = 0; i < count; i++) {
		b[n++] = 0x01; /* TINY */
		b[n++] = 0x00;
		b[n++] = 0x01;
		b[n++] = (uint8_t)('a' + i);
	}
	for (i = 0; i < count; i++)
		b[n++] = (uint8_t)i;
	memcpy(b + n, "DO 1", 4);
	n += 4;
	assert_int_equal(query_at_guard(b, n, &q), MYSQL_OK);
	assert_int_equal(q.count, count);
	assert_int_equal(q.kept, MYSQL_QATTR_KEEP);
	assert_int_equal(n - q.end, 4);
	value_is(&q.a[MYSQL_QATTR_KEEP - 1], "7");
}

static void test_execute(void **state)
{
	struct mysql_qattrs q;
	struct guard gd;
	size_t n;

	(void)state;
	assert_int_equal(mysql_execute_params_parse(
				 exec_named, sizeof(exec_named), -1, 1, &q),
			 MYSQL_OK);
	assert_int_equal(q.count, 1);
	assert_memory_equal(q.a[0].name, "tag", 3);
	value_is(&q.a[0], "x");
	assert_int_equal(q.end, sizeof(exec_named));
	/* without the flag and without the statement's count: unknown */
	{
		uint8_t b[sizeof(exec_named)];

		memcpy(b, exec_named, sizeof(b));
		b[5] = 0;
		assert_int_equal(
			mysql_execute_params_parse(b, sizeof(b), -1, 1, &q),
			MYSQL_NEED_MORE);
		/* with the count from the prepare reply it is read */
		assert_int_equal(
			mysql_execute_params_parse(b, sizeof(b), 1, 1, &q),
			MYSQL_OK);
	}
	for (n = 0; n < sizeof(exec_named); n++) {
		guard_init(&gd, n ? n : 1);
		assert_int_equal(
			mysql_execute_params_parse(
				guard_put(&gd, exec_named, n), n, -1, 1, &q),
			MYSQL_BAD);
		guard_free(&gd);
	}
}

/* The writer (the probe's --query-attribute): the vectors above, written
 * back from their fields, byte for byte (q_none; q_three's strings and
 * NULL with "v1" the only value, laid out the same way by hand below);
 * then read back by the pcap decoder's parser. */
static const uint8_t q_two[] = {
	0x03,				      /* COM_QUERY */
	0x02,				      /* parameter_count */
	0x01,				      /* parameter_set_count */
	0x02,				      /* null bitmap: parameter 1 */
	0x01,				      /* new_params_bind_flag */
	0xfe, 0x00, 0x02, 'n', '1',	      /* type STRING, name "n1" */
	0xfe, 0x00, 0x04, 'g', 'o', 'n', 'e', /* "gone" */
	0x02, 'v',  '1',		      /* "v1" (NULL has no value) */
	'S',  'E',  'L',  'E', 'C', 'T', ' ', '1'};

static void test_write(void **state)
{
	struct mysql_qattr a[2] = {
		{.name = (const uint8_t *)"n1",
		 .name_len = 2,
		 .type = 0xfe,
		 .val = (const uint8_t *)"v1",
		 .val_len = 2},
		{.name = (const uint8_t *)"gone",
		 .name_len = 4,
		 .type = 0xfe,
		 .is_null = 1},
	};
	struct mysql_qattrs q;
	uint8_t out[64];
	long n;

	(void)state;
	n = mysql_query_attrs_write(out, sizeof(out), NULL, 0, "SELECT 1", 8);
	assert_int_equal(n, sizeof(q_none));
	assert_memory_equal(out, q_none, sizeof(q_none));

	n = mysql_query_attrs_write(out, sizeof(out), a, 2, "SELECT 1", 8);
	assert_int_equal(n, sizeof(q_two));
	assert_memory_equal(out, q_two, sizeof(q_two));
	assert_int_equal(mysql_query_attrs_parse(out, (size_t)n, &q), MYSQL_OK);
	assert_int_equal(q.count, 2);
	assert_int_equal(q.kept, 2);
	assert_true(q.types_sent);
	assert_int_equal(q.end, (size_t)n - 8);
	assert_memory_equal(q.a[0].name, "n1", 2);
	assert_int_equal(q.a[0].val_len, 2);
	assert_memory_equal(q.a[0].val, "v1", 2);
	assert_int_equal(q.a[1].name_len, 4);
	assert_true(q.a[1].is_null);

	/* Short room; a type whose value is not length-prefixed. */
	assert_int_equal(mysql_query_attrs_write(out, sizeof(q_two) - 1, a, 2,
						 "SELECT 1", 8),
			 MYSQL_TOOBIG);
	a[0].type = 0x08; /* LONGLONG */
	assert_int_equal(
		mysql_query_attrs_write(out, sizeof(out), a, 2, "SELECT 1", 8),
		MYSQL_BAD);
}

/* Nine attributes take a 2-byte null bitmap (the ninth NULL: 00 01), and
 * a 251-byte name its 3-byte length (fc fb 00); the parser reads them all
 * back, keeping MYSQL_QATTR_KEEP. */
static void test_write_wide(void **state)
{
	static char longname[251];
	struct mysql_qattr a[9];
	struct mysql_qattrs q;
	uint8_t out[1024];
	long n;
	size_t i;

	(void)state;
	memset(longname, 'x', sizeof(longname));
	memset(a, 0, sizeof(a));
	for (i = 0; i < 9; i++) {
		a[i].name = (const uint8_t *)"k";
		a[i].name_len = 1;
		a[i].type = 0xfe;
		a[i].val = (const uint8_t *)"v";
		a[i].val_len = 1;
	}
	a[0].name = (const uint8_t *)longname;
	a[0].name_len = sizeof(longname);
	a[8].is_null = 1;
	n = mysql_query_attrs_write(out, sizeof(out), a, 9, "DO 1", 4);
	assert_true(n > 0);
	assert_memory_equal(out, "\x03\x09\x01\x00\x01\x01\xfe\x00\xfc\xfb\x00",
			    11);
	assert_int_equal(mysql_query_attrs_parse(out, (size_t)n, &q), MYSQL_OK);
	assert_int_equal(q.count, 9);
	assert_int_equal(q.kept, MYSQL_QATTR_KEEP);
	assert_int_equal(q.a[0].name_len, sizeof(longname));
	assert_memory_equal(out + q.end, "DO 1", 4);
	assert_int_equal(q.end + 4, (size_t)n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_none),
		cmocka_unit_test(test_query_three),
		cmocka_unit_test(test_query_types),
		cmocka_unit_test(test_query_prefixes),
		cmocka_unit_test(test_query_bad),
		cmocka_unit_test(test_query_many),
		cmocka_unit_test(test_execute),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_write_wide),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
