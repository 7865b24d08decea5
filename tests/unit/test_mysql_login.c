/* test_mysql_login.c - HandshakeResponse41 and SSLRequest, written and
 * parsed: a real libmariadb response (lenenc auth, db, plugin, connection
 * attributes, MariaDB caps in the filler), MySQL's documented example (1-byte
 * auth length), the old NUL-terminated auth, and every strict prefix at the
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

/* The mariadb command-line client (libmariadb 3.3.20, Debian 12) logging in
 * as cd/secret to db t, answering the MariaDB 10.11.19 greeting: captured
 * by tests/data/mysql/capture_client.py (libmariadb-3.3.20.hex,
 * "client_login", frame header removed). */
static const uint8_t libmariadb_login[] = {
	0x8c, 0xa2, 0xbf, 0x00, 0x00, 0x00, 0x10, 0x00, 0x21, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x1d, 0x00, 0x00, 0x00, 0x63, 0x64, 0x00, 0x14,
	0x84, 0x6c, 0x69, 0xe7, 0x90, 0x95, 0x8b, 0x1f, 0x22, 0x5d, 0xb7, 0x1b,
	0xcc, 0x43, 0x9b, 0x55, 0x99, 0x8a, 0xbf, 0x20, 0x74, 0x00, 0x6d, 0x79,
	0x73, 0x71, 0x6c, 0x5f, 0x6e, 0x61, 0x74, 0x69, 0x76, 0x65, 0x5f, 0x70,
	0x61, 0x73, 0x73, 0x77, 0x6f, 0x72, 0x64, 0x00, 0x7f, 0x03, 0x5f, 0x6f,
	0x73, 0x05, 0x4c, 0x69, 0x6e, 0x75, 0x78, 0x0c, 0x5f, 0x63, 0x6c, 0x69,
	0x65, 0x6e, 0x74, 0x5f, 0x6e, 0x61, 0x6d, 0x65, 0x0a, 0x6c, 0x69, 0x62,
	0x6d, 0x61, 0x72, 0x69, 0x61, 0x64, 0x62, 0x04, 0x5f, 0x70, 0x69, 0x64,
	0x05, 0x31, 0x30, 0x31, 0x36, 0x33, 0x0f, 0x5f, 0x63, 0x6c, 0x69, 0x65,
	0x6e, 0x74, 0x5f, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x06, 0x33,
	0x2e, 0x33, 0x2e, 0x32, 0x30, 0x09, 0x5f, 0x70, 0x6c, 0x61, 0x74, 0x66,
	0x6f, 0x72, 0x6d, 0x06, 0x78, 0x38, 0x36, 0x5f, 0x36, 0x34, 0x0c, 0x70,
	0x72, 0x6f, 0x67, 0x72, 0x61, 0x6d, 0x5f, 0x6e, 0x61, 0x6d, 0x65, 0x05,
	0x6d, 0x79, 0x73, 0x71, 0x6c, 0x0c, 0x5f, 0x73, 0x65, 0x72, 0x76, 0x65,
	0x72, 0x5f, 0x68, 0x6f, 0x73, 0x74, 0x09, 0x31, 0x32, 0x37, 0x2e, 0x30,
	0x2e, 0x30, 0x2e, 0x31,
};

/* The same client's SSLRequest ("client_ssl_request"), to a greeting with
 * CLIENT_SSL: MariaDB's caps 0x1d are in it too. */
static const uint8_t libmariadb_ssl_request[] = {
	0x84, 0xaa, 0xbf, 0x00, 0x00, 0x00, 0x10, 0x00, 0x21, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1d, 0x00, 0x00, 0x00,
};

/* MySQL's HandshakeResponse41 example (the "TLS" page of the protocol
 * documentation): root, 1-byte auth length, frame header removed. */
static const uint8_t mysql_doc_login[] = {
	0x05, 0xa6, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x72, 0x6f, 0x6f, 0x74,
	0x00, 0x14, 0x14, 0x63, 0x6b, 0x70, 0x99, 0x8a, 0xb6, 0x9e, 0x96, 0x87,
	0xa2, 0x30, 0x9a, 0x40, 0x67, 0x2b, 0x83, 0x38, 0x85, 0x4b,
};

/* mysql_native_password("secret") for the MariaDB greeting's scramble, as
 * the client computed it (see test_mysql_auth.c for the openssl check). */
static const uint8_t native_secret[20] = {
	0x84, 0x6c, 0x69, 0xe7, 0x90, 0x95, 0x8b, 0x1f, 0x22, 0x5d,
	0xb7, 0x1b, 0xcc, 0x43, 0x9b, 0x55, 0x99, 0x8a, 0xbf, 0x20,
};

static void parse_ok(const uint8_t *p, size_t n, struct mysql_login_view *v)
{
	assert_int_equal(mysql_login_parse(p, n, v), MYSQL_OK);
}

static int same_str(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Every strict prefix at the guard page: MYSQL_BAD, or a parse that agrees
 * with the whole as far as it goes. */
static void check_prefixes(const uint8_t *p, size_t n)
{
	struct mysql_login_view full, v;
	struct guard g;
	const uint8_t *at;
	size_t i;
	int rc;

	guard_init(&g, n);
	at = guard_put(&g, p, n);
	parse_ok(at, n, &full);
	for (i = 0; i < n; i++) {
		at = guard_put(&g, p, i);
		rc = mysql_login_parse(at, i, &v);
		if (rc == MYSQL_BAD)
			continue;
		assert_int_equal(rc, MYSQL_OK);
		assert_int_equal(v.caps, full.caps);
		assert_int_equal(v.mariadb_caps, full.mariadb_caps);
		if (v.is_ssl_request)
			continue;
		assert_true(
			same_str(v.user, v.user_len, full.user, full.user_len));
		assert_int_equal(v.auth_len, full.auth_len);
		assert_true(v.plugin_len <= full.plugin_len);
	}
	guard_free(&g);
}

static void test_libmariadb_login(void **state)
{
	struct mysql_login_view v;

	(void)state;
	parse_ok(libmariadb_login, sizeof(libmariadb_login), &v);
	assert_false(v.is_ssl_request);
	assert_int_equal(v.caps, 0x00bfa28c);
	assert_true(v.caps & MYSQL_CLIENT_PLUGIN_AUTH_LENENC_DATA);
	assert_true(v.caps & MYSQL_CLIENT_CONNECT_ATTRS);
	assert_int_equal(v.max_packet, 0x00100000);
	assert_int_equal(v.charset, 33);
	assert_int_equal(v.mariadb_caps, 0x1d);
	assert_true(same_str(v.user, v.user_len, "cd", 2));
	assert_int_equal(v.auth_len, 20);
	assert_memory_equal(v.auth, native_secret, 20);
	assert_true(same_str(v.db, v.db_len, "t", 1));
	assert_true(
		same_str(v.plugin, v.plugin_len, "mysql_native_password", 21));
	check_prefixes(libmariadb_login, sizeof(libmariadb_login));
}

static void test_mysql_doc_login(void **state)
{
	struct mysql_login_view v;

	(void)state;
	parse_ok(mysql_doc_login, sizeof(mysql_doc_login), &v);
	assert_int_equal(v.caps, 0x0003a605);
	assert_int_equal(v.max_packet, 0x01000000);
	assert_int_equal(v.charset, 8);
	assert_int_equal(v.mariadb_caps, 0);
	assert_true(same_str(v.user, v.user_len, "root", 4));
	assert_int_equal(v.auth_len, 20);
	assert_memory_equal(v.auth, mysql_doc_login + 38, 20);
	assert_null(v.db);
	assert_null(v.plugin);
	check_prefixes(mysql_doc_login, sizeof(mysql_doc_login));
}

static void test_ssl_request(void **state)
{
	struct mysql_login_view v;
	uint8_t out[64];

	(void)state;
	parse_ok(libmariadb_ssl_request, sizeof(libmariadb_ssl_request), &v);
	assert_true(v.is_ssl_request);
	assert_int_equal(v.caps, 0x00bfaa84);
	assert_true(v.caps & MYSQL_CLIENT_SSL);
	assert_int_equal(v.charset, 33);
	assert_int_equal(v.mariadb_caps, 0x1d);
	assert_null(v.user);
	check_prefixes(libmariadb_ssl_request, sizeof(libmariadb_ssl_request));

	assert_int_equal(mysql_ssl_request_write(out, sizeof(out), 0x0003a205,
						 0x01000000, 45),
			 32);
	parse_ok(out, 32, &v);
	assert_true(v.is_ssl_request);
	assert_int_equal(v.caps, 0x0003a205 | MYSQL_CLIENT_SSL);
	assert_int_equal(v.max_packet, 0x01000000);
	assert_int_equal(v.charset, 45);
	assert_int_equal(mysql_ssl_request_write(out, 31, 0, 0, 0),
			 MYSQL_TOOBIG);
	/* 32 bytes without CLIENT_SSL: a response without a user name. */
	out[1] &= (uint8_t) ~(MYSQL_CLIENT_SSL >> 8);
	assert_int_equal(mysql_login_parse(out, 32, &v), MYSQL_BAD);
}

/* Writing the libmariadb login from its parts gives its bytes back. */
static void test_write_libmariadb(void **state)
{
	struct mysql_login_view v;
	struct mysql_login l;
	uint8_t out[512];
	size_t attrs_off = sizeof(libmariadb_login) - 128;
	size_t cap;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.caps = 0x00bfa28c;
	l.max_packet = 0x00100000;
	l.charset = 33;
	l.mariadb_caps = 0x1d;
	l.user = "cd";
	l.auth = native_secret;
	l.auth_len = 20;
	l.db = "t";
	l.plugin = "mysql_native_password";
	l.attrs = libmariadb_login + attrs_off + 1; /* after the 0x7f */
	l.attrs_len = 127;
	assert_int_equal(mysql_login_write(out, sizeof(out), &l),
			 (long)sizeof(libmariadb_login));
	assert_memory_equal(out, libmariadb_login, sizeof(libmariadb_login));
	for (cap = 0; cap < sizeof(libmariadb_login); cap++)
		assert_int_equal(mysql_login_write(out, cap, &l), MYSQL_TOOBIG);

	/* With CLIENT_LONG_PASSWORD the MariaDB caps are not sent. */
	l.caps |= MYSQL_CLIENT_LONG_PASSWORD;
	assert_int_equal(mysql_login_write(out, sizeof(out), &l),
			 (long)sizeof(libmariadb_login));
	parse_ok(out, sizeof(libmariadb_login), &v);
	assert_int_equal(v.mariadb_caps, 0);
	assert_memory_equal(out + 28, "\0\0\0\0", 4);
}

/* The MySQL example, rebuilt. */
static void test_write_doc(void **state)
{
	struct mysql_login l;
	uint8_t out[128];

	(void)state;
	memset(&l, 0, sizeof(l));
	l.caps = 0x0003a605;
	l.max_packet = 0x01000000;
	l.charset = 8;
	l.user = "root";
	l.auth = mysql_doc_login + 38;
	l.auth_len = 20;
	l.db = "ignored: no CLIENT_CONNECT_WITH_DB";
	assert_int_equal(mysql_login_write(out, sizeof(out), &l),
			 (long)sizeof(mysql_doc_login));
	assert_memory_equal(out, mysql_doc_login, sizeof(mysql_doc_login));
	/* A 1-byte length cannot say 256. */
	l.auth_len = 256;
	{
		uint8_t big[256] = {0};

		l.auth = big;
		assert_int_equal(mysql_login_write(out, sizeof(out), &l),
				 MYSQL_TOOBIG);
	}
}

/* Without CLIENT_SECURE_CONNECTION the auth data is NUL-terminated. */
static void test_old_auth(void **state)
{
	static const uint8_t scrambled[8] = {'A', 'B', 'C', 'D',
					     'E', 'F', 'G', 'H'};
	struct mysql_login_view v;
	struct mysql_login l;
	uint8_t out[128];
	long n;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.caps = MYSQL_CLIENT_PROTOCOL_41 | MYSQL_CLIENT_LONG_PASSWORD |
		 MYSQL_CLIENT_CONNECT_WITH_DB;
	l.user = "old";
	l.auth = scrambled;
	l.auth_len = sizeof(scrambled);
	l.db = "test";
	n = mysql_login_write(out, sizeof(out), &l);
	assert_int_equal(n, 32 + 4 + 9 + 5);
	parse_ok(out, (size_t)n, &v);
	assert_true(same_str(v.user, v.user_len, "old", 3));
	assert_int_equal(v.auth_len, 8);
	assert_memory_equal(v.auth, scrambled, 8);
	assert_true(same_str(v.db, v.db_len, "test", 4));
	check_prefixes(out, (size_t)n);
	/* A NUL inside cannot be NUL-terminated. */
	l.auth = (const uint8_t *)"AB\0D";
	l.auth_len = 4;
	assert_int_equal(mysql_login_write(out, sizeof(out), &l), MYSQL_BAD);
}

/* A client plugin name without its NUL at the end is read to the end. */
static void test_plugin_tolerance(void **state)
{
	uint8_t p[sizeof(mysql_doc_login) + 8];
	struct mysql_login_view v;

	(void)state;
	memcpy(p, mysql_doc_login, sizeof(mysql_doc_login));
	p[2] |= MYSQL_CLIENT_PLUGIN_AUTH >> 16;
	parse_ok(p, sizeof(mysql_doc_login), &v); /* no plugin at all */
	assert_null(v.plugin);
	memcpy(p + sizeof(mysql_doc_login), "sha256_p", 8);
	parse_ok(p, sizeof(p), &v);
	assert_true(same_str(v.plugin, v.plugin_len, "sha256_p", 8));
}

static void test_rejects(void **state)
{
	uint8_t p[sizeof(libmariadb_login)];
	struct mysql_login_view v;

	(void)state;
	assert_int_equal(mysql_login_parse(NULL, 0, &v), MYSQL_BAD);
	/* HandshakeResponse320: no CLIENT_PROTOCOL_41. */
	memcpy(p, mysql_doc_login, sizeof(mysql_doc_login));
	p[1] &= (uint8_t) ~(MYSQL_CLIENT_PROTOCOL_41 >> 8);
	assert_int_equal(mysql_login_parse(p, sizeof(mysql_doc_login), &v),
			 MYSQL_BAD);
	/* A 1-byte auth length past the end. */
	memcpy(p, mysql_doc_login, sizeof(mysql_doc_login));
	p[37] = 21;
	assert_int_equal(mysql_login_parse(p, sizeof(mysql_doc_login), &v),
			 MYSQL_BAD);
	/* A lenenc auth length past the end. */
	memcpy(p, libmariadb_login, sizeof(libmariadb_login));
	p[35] = 0xfc;
	assert_int_equal(mysql_login_parse(p, sizeof(libmariadb_login), &v),
			 MYSQL_BAD);
	/* Connection attributes longer than what is left. */
	memcpy(p, libmariadb_login, sizeof(libmariadb_login));
	p[sizeof(p) - 128] = 0x80;
	assert_int_equal(mysql_login_parse(p, sizeof(p), &v), MYSQL_BAD);
	/* A user name without its NUL. */
	memset(p, 'u', sizeof(p));
	memcpy(p, mysql_doc_login, 32);
	assert_int_equal(mysql_login_parse(p, sizeof(p), &v), MYSQL_BAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libmariadb_login),
		cmocka_unit_test(test_mysql_doc_login),
		cmocka_unit_test(test_ssl_request),
		cmocka_unit_test(test_write_libmariadb),
		cmocka_unit_test(test_write_doc),
		cmocka_unit_test(test_old_auth),
		cmocka_unit_test(test_plugin_tolerance),
		cmocka_unit_test(test_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
