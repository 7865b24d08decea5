/* fuzz_mysql_greeting.c - Protocol::HandshakeV10: an accepted greeting,
 * written back and parsed again, gives the same fields.
 */
#include <string.h>

#include "fuzz.h"
#include "mysql/mysql.h"

/* Field by field: struct padding is not part of the value. */
static int same(const struct mysql_greeting *a, const struct mysql_greeting *b)
{
	return a->protocol == b->protocol &&
	       strcmp(a->version, b->version) == 0 &&
	       a->is_mariadb == b->is_mariadb && a->conn_id == b->conn_id &&
	       a->scramble_len == b->scramble_len &&
	       memcmp(a->scramble, b->scramble, a->scramble_len) == 0 &&
	       a->caps == b->caps && a->mariadb_caps == b->mariadb_caps &&
	       a->charset == b->charset && a->status == b->status &&
	       strcmp(a->auth_plugin, b->auth_plugin) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mysql_greeting g, g2;
	uint8_t out[512];
	long n;

	if (mysql_greeting_parse(data, size, &g) != MYSQL_OK)
		return 0;
	CHECK(g.protocol == 10);
	CHECK(g.scramble_len == 8 || g.scramble_len == MYSQL_SCRAMBLE_LEN);
	CHECK(memchr(g.version, 0, sizeof(g.version)) != NULL);
	CHECK(memchr(g.auth_plugin, 0, sizeof(g.auth_plugin)) != NULL);
	CHECK(g.mariadb_caps == 0 || !(g.caps & MYSQL_CLIENT_LONG_PASSWORD));

	n = mysql_greeting_write(out, sizeof(out), &g);
	CHECK(n > 0);
	CHECK(mysql_greeting_write(out, (size_t)n - 1, &g) == MYSQL_TOOBIG);
	n = mysql_greeting_write(out, sizeof(out), &g);
	CHECK(mysql_greeting_parse(out, (size_t)n, &g2) == MYSQL_OK);
	CHECK(same(&g, &g2));
	return 0;
}
