/* fuzz_mysql_login.c - HandshakeResponse41 and SSLRequest: an accepted
 * response, rebuilt with mysql_login_write() from the parsed fields, parses
 * to the same fields (connection attributes, skipped by the parser, aside).
 */
#include <string.h>

#include "fuzz.h"
#include "mysql/mysql.h"

#define BUF 1024

/* Copies a borrowed string into dst as a C string; NULL stays NULL. */
static const char *cstr(char *dst, const char *s, size_t n)
{
	if (!s)
		return NULL;
	CHECK(n < BUF && memchr(s, 0, n) == NULL);
	if (n)
		memcpy(dst, s, n);
	dst[n] = 0;
	return dst;
}

static int same_bytes(const void *a, size_t alen, const void *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char user[BUF], db[BUF], plugin[BUF];
	struct mysql_login_view v, v2;
	struct mysql_login l;
	uint8_t out[2 * BUF + 64];
	long n;

	if (size > BUF || mysql_login_parse(data, size, &v) != MYSQL_OK)
		return 0;
	CHECK(v.caps & MYSQL_CLIENT_PROTOCOL_41);
	if (v.is_ssl_request) {
		CHECK(size == 32 && (v.caps & MYSQL_CLIENT_SSL));
		n = mysql_ssl_request_write(out, sizeof(out), v.caps,
					    v.max_packet, v.charset);
		CHECK(n == 32);
		CHECK(mysql_login_parse(out, 32, &v2) == MYSQL_OK);
		/* The writer has no MariaDB caps to send. */
		CHECK(v2.is_ssl_request && v2.caps == v.caps &&
		      v2.max_packet == v.max_packet && v2.charset == v.charset);
		return 0;
	}

	memset(&l, 0, sizeof(l));
	l.caps = v.caps;
	l.max_packet = v.max_packet;
	l.charset = v.charset;
	l.mariadb_caps = v.mariadb_caps;
	l.user = cstr(user, v.user, v.user_len);
	l.auth = v.auth;
	l.auth_len = v.auth_len;
	l.db = cstr(db, v.db, v.db_len);
	l.plugin = cstr(plugin, v.plugin, v.plugin_len);
	n = mysql_login_write(out, sizeof(out), &l);
	CHECK(n > 32);
	CHECK(mysql_login_parse(out, (size_t)n, &v2) == MYSQL_OK);
	CHECK(!v2.is_ssl_request && v2.caps == v.caps &&
	      v2.max_packet == v.max_packet && v2.charset == v.charset);
	CHECK(v2.mariadb_caps == v.mariadb_caps);
	CHECK(same_bytes(v2.user, v2.user_len, v.user, v.user_len));
	CHECK(same_bytes(v2.auth, v2.auth_len, v.auth, v.auth_len));
	CHECK(same_bytes(v2.db, v2.db_len, v.db, v.db_len));
	CHECK((v2.db == NULL) == (v.db == NULL));
	CHECK(same_bytes(v2.plugin, v2.plugin_len, v.plugin, v.plugin_len));
	return 0;
}
