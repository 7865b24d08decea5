/* test_mysql_greeting.c - Protocol::HandshakeV10 parse and write against
 * real greetings (MariaDB 10.11, MySQL's documented 5.5 and 5.6 examples)
 * and a MySQL 8 one built field by field, with the per-byte split and the
 * guard page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mysql/mysql.h"
#include "guard.h"

/* MariaDB 10.11.19 (Debian 12 package), captured from a throwaway server by
 * tests/data/mysql/capture.py (tests/data/mysql/mariadb-10.11.19.hex,
 * "greeting", frame header removed). Note the "5.5.5-" prefix, the caps
 * without CLIENT_LONG_PASSWORD and MariaDB's caps 0x1d in the filler. */
static const uint8_t mariadb_greeting[] = {
	0x0a, 0x35, 0x2e, 0x35, 0x2e, 0x35, 0x2d, 0x31, 0x30, 0x2e, 0x31, 0x31,
	0x2e, 0x31, 0x39, 0x2d, 0x4d, 0x61, 0x72, 0x69, 0x61, 0x44, 0x42, 0x2d,
	0x30, 0x2b, 0x64, 0x65, 0x62, 0x31, 0x32, 0x75, 0x31, 0x00, 0x2b, 0x00,
	0x00, 0x00, 0x2f, 0x53, 0x36, 0x50, 0x70, 0x62, 0x7b, 0x63, 0x00, 0xfe,
	0xf7, 0x08, 0x02, 0x00, 0xff, 0x81, 0x15, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x1d, 0x00, 0x00, 0x00, 0x5d, 0x2b, 0x5a, 0x64, 0x69, 0x62, 0x2f,
	0x63, 0x28, 0x38, 0x24, 0x49, 0x00, 0x6d, 0x79, 0x73, 0x71, 0x6c, 0x5f,
	0x6e, 0x61, 0x74, 0x69, 0x76, 0x65, 0x5f, 0x70, 0x61, 0x73, 0x73, 0x77,
	0x6f, 0x72, 0x64, 0x00,
};

/* MySQL 5.5.2-m2 without CLIENT_PLUGIN_AUTH: the example of the MySQL
 * Protocol::HandshakeV10 page (frame header removed). */
static const uint8_t mysql552_greeting[] = {
	0x0a, 0x35, 0x2e, 0x35, 0x2e, 0x32, 0x2d, 0x6d, 0x32, 0x00, 0x0b,
	0x00, 0x00, 0x00, 0x64, 0x76, 0x48, 0x40, 0x49, 0x2d, 0x43, 0x4a,
	0x00, 0xff, 0xf7, 0x08, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x34, 0x64,
	0x7c, 0x63, 0x5a, 0x77, 0x6b, 0x34, 0x5e, 0x5d, 0x3a, 0x00,
};

/* MySQL 5.6.4-m7-log with CLIENT_PLUGIN_AUTH (mysql_native_password): the
 * second example of the same page (frame header removed). */
static const uint8_t mysql564_greeting[] = {
	0x0a, 0x35, 0x2e, 0x36, 0x2e, 0x34, 0x2d, 0x6d, 0x37, 0x2d, 0x6c, 0x6f,
	0x67, 0x00, 0x56, 0x0a, 0x00, 0x00, 0x52, 0x42, 0x33, 0x76, 0x7a, 0x26,
	0x47, 0x72, 0x00, 0xff, 0xff, 0x08, 0x02, 0x00, 0x0f, 0xc0, 0x15, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2b, 0x79, 0x44,
	0x26, 0x2f, 0x5a, 0x5a, 0x33, 0x30, 0x35, 0x5a, 0x47, 0x00, 0x6d, 0x79,
	0x73, 0x71, 0x6c, 0x5f, 0x6e, 0x61, 0x74, 0x69, 0x76, 0x65, 0x5f, 0x70,
	0x61, 0x73, 0x73, 0x77, 0x6f, 0x72, 0x64, 0x00,
};

/* MySQL 8.0 with caching_sha2_password, built field by field after the
 * HandshakeV10 page with the values MySQL 8.0 sends (no MySQL server here
 * to capture from): capabilities 0xdfffffff, charset 255
 * (utf8mb4_0900_ai_ci), status 2, auth_plugin_data_len 21. */
static const uint8_t mysql8_greeting[] = {
	0x0a,						/* protocol */
	'8',  '.',  '0',  '.',	'3',  '6',  0x00,	/* version */
	0x21, 0x00, 0x00, 0x00,				/* conn id 33 */
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x08, /* part 1 */
	0x00,						/* filler */
	0xff, 0xff,					/* caps lower */
	0xff,						/* charset */
	0x02, 0x00,					/* status */
	0xff, 0xdf,					/* caps upper */
	0x15,						/* apdl 21 */
	0,    0,    0,	  0,	0,    0,    0,	  0,	0,    0, /* reserved */
	0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x7f, 0x80, 0xfe,
	0x01, 0x00, /* part 2: 12 bytes and a NUL */
	'c',  'a',  'c',  'h',	'i',  'n',  'g',  '_',	's',  'h',  'a',
	'2',  '_',  'p',  'a',	's',  's',  'w',  'o',	'r',  'd',  0x00,
};

static void parse_ok(const uint8_t *p, size_t n, struct mysql_greeting *g)
{
	struct guard gd;

	guard_init(&gd, n);
	assert_int_equal(mysql_greeting_parse(guard_put(&gd, p, n), n, g),
			 MYSQL_OK);
	guard_free(&gd);
}

/* Every strict prefix, at the guard page: MYSQL_BAD, or a parse that agrees
 * with the whole (the pre-4.1 short form, a plugin name cut short). Then
 * the whole parsed at the guard page. */
static void check_prefixes(const uint8_t *p, size_t n)
{
	struct mysql_greeting full, g;
	struct guard gd;
	size_t i;
	int rc;

	parse_ok(p, n, &full);
	guard_init(&gd, n);
	for (i = 0; i < n; i++) {
		memset(&g, 0xa5, sizeof(g));
		rc = mysql_greeting_parse(guard_put(&gd, p, i), i, &g);
		if (rc == MYSQL_BAD)
			continue;
		assert_int_equal(rc, MYSQL_OK);
		assert_string_equal(g.version, full.version);
		assert_int_equal(g.conn_id, full.conn_id);
		assert_memory_equal(g.scramble, full.scramble, 8);
		assert_int_equal(g.caps & 0xffff, full.caps & 0xffff);
		assert_true(strncmp(full.auth_plugin, g.auth_plugin,
				    strlen(g.auth_plugin)) == 0);
	}
	guard_free(&gd);
}

/* write(parse(p)) gives p back byte for byte, and every smaller buffer is
 * MYSQL_TOOBIG. */
static void check_write_back(const uint8_t *p, size_t n)
{
	struct mysql_greeting g;
	uint8_t out[256];
	size_t cap;

	parse_ok(p, n, &g);
	assert_int_equal(mysql_greeting_write(out, sizeof(out), &g), (long)n);
	assert_memory_equal(out, p, n);
	for (cap = 0; cap < n; cap++)
		assert_int_equal(mysql_greeting_write(out, cap, &g),
				 MYSQL_TOOBIG);
}

static void test_mariadb(void **state)
{
	static const uint8_t scramble[] = "/S6Ppb{c]+Zdib/c(8$I";
	struct mysql_greeting g;

	(void)state;
	parse_ok(mariadb_greeting, sizeof(mariadb_greeting), &g);
	assert_int_equal(g.protocol, 10);
	assert_string_equal(g.version, "10.11.19-MariaDB-0+deb12u1");
	assert_true(g.is_mariadb);
	assert_int_equal(g.conn_id, 43);
	assert_int_equal(g.scramble_len, 20);
	assert_memory_equal(g.scramble, scramble, 20);
	assert_int_equal(g.caps, 0x81fff7fe);
	assert_false(g.caps & MYSQL_CLIENT_LONG_PASSWORD);
	assert_int_equal(g.mariadb_caps, 0x1d);
	assert_int_equal(g.charset, 8);
	assert_int_equal(g.status, 2);
	assert_string_equal(g.auth_plugin, "mysql_native_password");
	check_prefixes(mariadb_greeting, sizeof(mariadb_greeting));
	check_write_back(mariadb_greeting, sizeof(mariadb_greeting));
}

static void test_mysql55_native(void **state)
{
	static const uint8_t scramble[] = "dvH@I-CJ*4d|cZwk4^]:";
	struct mysql_greeting g;

	(void)state;
	parse_ok(mysql552_greeting, sizeof(mysql552_greeting), &g);
	assert_string_equal(g.version, "5.5.2-m2");
	assert_false(g.is_mariadb);
	assert_int_equal(g.conn_id, 11);
	assert_int_equal(g.caps, 0xf7ff);
	assert_int_equal(g.mariadb_caps, 0);
	assert_int_equal(g.charset, 8);
	assert_int_equal(g.status, 2);
	assert_int_equal(g.scramble_len, 20);
	assert_memory_equal(g.scramble, scramble, 20);
	assert_string_equal(g.auth_plugin, "");
	check_prefixes(mysql552_greeting, sizeof(mysql552_greeting));
	check_write_back(mysql552_greeting, sizeof(mysql552_greeting));
}

static void test_mysql56_plugin(void **state)
{
	static const uint8_t scramble[] = "RB3vz&Gr+yD&/ZZ305ZG";
	struct mysql_greeting g;

	(void)state;
	parse_ok(mysql564_greeting, sizeof(mysql564_greeting), &g);
	assert_string_equal(g.version, "5.6.4-m7-log");
	assert_int_equal(g.conn_id, 0x0a56);
	assert_int_equal(g.caps, 0xc00fffff);
	assert_memory_equal(g.scramble, scramble, 20);
	assert_string_equal(g.auth_plugin, "mysql_native_password");
	check_prefixes(mysql564_greeting, sizeof(mysql564_greeting));
	check_write_back(mysql564_greeting, sizeof(mysql564_greeting));
}

static void test_mysql8_sha2(void **state)
{
	static const uint8_t scramble[] = {
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x08, 0x09, 0x0a,
		0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x7f, 0x80, 0xfe, 0x01};
	struct mysql_greeting g;

	(void)state;
	parse_ok(mysql8_greeting, sizeof(mysql8_greeting), &g);
	assert_string_equal(g.version, "8.0.36");
	assert_false(g.is_mariadb);
	assert_int_equal(g.conn_id, 33);
	assert_int_equal(g.caps, 0xdfffffff);
	assert_int_equal(g.charset, 255);
	assert_int_equal(g.scramble_len, 20);
	assert_memory_equal(g.scramble, scramble, 20);
	assert_string_equal(g.auth_plugin, "caching_sha2_password");
	check_prefixes(mysql8_greeting, sizeof(mysql8_greeting));
	check_write_back(mysql8_greeting, sizeof(mysql8_greeting));
}

/* MySQL bug #59453: 5.5 before 5.5.10 sent the plugin name without its
 * NUL at the end of the payload. */
static void test_plugin_without_nul(void **state)
{
	struct mysql_greeting g;

	(void)state;
	parse_ok(mysql564_greeting, sizeof(mysql564_greeting) - 1, &g);
	assert_string_equal(g.auth_plugin, "mysql_native_password");
}

/* A pre-4.1 greeting ends after the lower capability flags. */
static void test_short_form(void **state)
{
	static const uint8_t p[] = {0x0a, '4', '.', '0', 0,    7,   0,
				    0,	  0,   'a', 'b', 'c',  'd', 'e',
				    'f',  'g', 'h', 0,	 0x2c, 0x02};
	struct mysql_greeting g;
	uint8_t out[64];

	(void)state;
	parse_ok(p, sizeof(p), &g);
	assert_string_equal(g.version, "4.0");
	assert_int_equal(g.conn_id, 7);
	assert_int_equal(g.scramble_len, 8);
	assert_memory_equal(g.scramble, "abcdefgh", 8);
	assert_int_equal(g.caps, 0x022c);
	assert_int_equal(g.charset, 0);
	assert_string_equal(g.auth_plugin, "");
	assert_int_equal(mysql_greeting_write(out, sizeof(out), &g),
			 (long)sizeof(p));
	assert_memory_equal(out, p, sizeof(p));
	check_prefixes(p, sizeof(p));
}

static void test_rejects(void **state)
{
	/* 1040 in place of a greeting: an ERR, not a greeting. */
	static const uint8_t err[] = {0xff, 0x10, 0x04, 'T', 'o', 'o'};
	static const uint8_t v9[] = {0x09, '3', '.', '2', 0,   1,
				     0,	   0,	0,   's', 'c', 'r',
				     'a',  'm', 'b', 'l', 'e', 0};
	uint8_t p[sizeof(mariadb_greeting)];
	struct mysql_greeting g;

	(void)state;
	assert_int_equal(mysql_greeting_parse(err, sizeof(err), &g), MYSQL_BAD);
	assert_int_equal(mysql_greeting_parse(v9, sizeof(v9), &g), MYSQL_BAD);
	assert_int_equal(mysql_greeting_parse(NULL, 0, &g), MYSQL_BAD);
	/* Version without its NUL: runs to the end. */
	assert_int_equal(mysql_greeting_parse(mariadb_greeting, 20, &g),
			 MYSQL_BAD);
	/* An auth plugin name too long to be one. */
	memcpy(p, mariadb_greeting, sizeof(p));
	assert_int_equal(mysql_greeting_parse(p, sizeof(p) - 1, &g), MYSQL_OK);
	{
		uint8_t big[200];
		size_t n = sizeof(p) - 22; /* up to the plugin name */

		memcpy(big, p, n);
		memset(big + n, 'x', sizeof(big) - n - 1);
		big[sizeof(big) - 1] = 0;
		assert_int_equal(mysql_greeting_parse(big, sizeof(big), &g),
				 MYSQL_BAD);
	}
}

/* auth_plugin_data_len over 21 gives a longer part 2; the scramble keeps
 * its first 20 bytes. */
static void test_long_apdl(void **state)
{
	uint8_t p[sizeof(mysql8_greeting) + 4];
	size_t apdl_off = 1 + 7 + 4 + 8 + 1 + 2 + 1 + 2 + 2;
	size_t part2_off = apdl_off + 1 + 10;
	struct mysql_greeting g;

	(void)state;
	memcpy(p, mysql8_greeting, part2_off + 12);
	memcpy(p + part2_off + 12, "WXYZ", 4);
	memcpy(p + part2_off + 16, mysql8_greeting + part2_off + 12,
	       sizeof(mysql8_greeting) - part2_off - 12);
	p[apdl_off] = 25;
	parse_ok(p, sizeof(p), &g);
	assert_int_equal(g.scramble_len, 20);
	assert_memory_equal(g.scramble + 8, mysql8_greeting + part2_off, 12);
	assert_string_equal(g.auth_plugin, "caching_sha2_password");
}

static void test_write_rejects(void **state)
{
	struct mysql_greeting g;
	uint8_t out[256];

	(void)state;
	parse_ok(mysql8_greeting, sizeof(mysql8_greeting), &g);
	g.scramble_len = 8; /* CLIENT_SECURE_CONNECTION wants 20 */
	assert_int_equal(mysql_greeting_write(out, sizeof(out), &g), MYSQL_BAD);
	g.scramble_len = 13;
	assert_int_equal(mysql_greeting_write(out, sizeof(out), &g), MYSQL_BAD);
	g.scramble_len = 20;
	memset(g.version, 'v', sizeof(g.version));
	assert_int_equal(mysql_greeting_write(out, sizeof(out), &g), MYSQL_BAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mariadb),
		cmocka_unit_test(test_mysql55_native),
		cmocka_unit_test(test_mysql56_plugin),
		cmocka_unit_test(test_mysql8_sha2),
		cmocka_unit_test(test_plugin_without_nul),
		cmocka_unit_test(test_short_form),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_long_apdl),
		cmocka_unit_test(test_write_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
