/* greeting.c - the server greeting, Protocol::HandshakeV10 (MySQL
 * "Connection Phase Packets" page), with MariaDB's additions from its
 * "Connection" page: the "5.5.5-" version prefix and the extended
 * capabilities in the reserved filler.
 *
 * The parser takes a complete payload, so a payload shorter than its
 * structure is MYSQL_BAD, never MYSQL_NEED_MORE (framing decides "more").
 * Tolerated, because real servers send them: a greeting that ends after the
 * lower capability flags (pre-4.1), and an auth plugin name without its NUL
 * at the end of the payload (MySQL bug #59453, 5.5 before 5.5.10).
 */
#include <string.h>

#include "mysql/mysql.h"
#include "mysql/wire.h"

#define MARIADB_PREFIX	   "5.5.5-"
#define MARIADB_PREFIX_LEN 6
#define PART1_LEN	   8  /* auth-plugin-data-part-1 */
#define PART2_MIN	   13 /* auth-plugin-data-part-2: 12 bytes and a NUL */
#define RESERVED_LEN	   10 /* reserved filler after auth_plugin_data_len */
#define MARIADB_CAPS_OFF   6  /* MariaDB's caps: last 4 bytes of the filler */

/* 1 when the n bytes at s contain the string "MariaDB". */
static int has_mariadb(const uint8_t *s, size_t n)
{
	static const char word[] = "MariaDB";
	size_t i, k = sizeof(word) - 1;

	for (i = 0; i + k <= n; i++)
		if (memcmp(s + i, word, k) == 0)
			return 1;
	return 0;
}

int mysql_greeting_parse(const uint8_t *p, size_t len, struct mysql_greeting *g)
{
	struct mysql_greeting out;
	struct cd_bytes r;
	const uint8_t *ver, *part1, *reserved, *part2, *name;
	size_t vlen, n2, nlen;
	uint8_t apdl;

	memset(&out, 0, sizeof(out));
	rd_init(&r, p, len);
	out.protocol = rd_u8(&r);
	if (r.bad || out.protocol != 10)
		return MYSQL_BAD; /* also an ERR (0xff) or protocol 9 */
	ver = rd_nulstr(&r, &vlen, 0);
	out.conn_id = rd_le32(&r);
	part1 = rd_take(&r, PART1_LEN);
	rd_u8(&r); /* filler, 0x00 */
	out.caps = rd_le16(&r);
	if (r.bad)
		return MYSQL_BAD;

	out.is_mariadb = has_mariadb(ver, vlen);
	if (vlen >= MARIADB_PREFIX_LEN &&
	    memcmp(ver, MARIADB_PREFIX, MARIADB_PREFIX_LEN) == 0) {
		out.is_mariadb = 1;
		ver += MARIADB_PREFIX_LEN;
		vlen -= MARIADB_PREFIX_LEN;
	}
	if (vlen > sizeof(out.version) - 1)
		vlen = sizeof(out.version) - 1; /* informational: truncate */
	if (vlen)
		memcpy(out.version, ver, vlen);
	memcpy(out.scramble, part1, PART1_LEN);
	out.scramble_len = PART1_LEN;

	if (rd_left(&r) == 0) /* pre-4.1 server: nothing more */
		goto done;

	out.charset = rd_u8(&r);
	out.status = rd_le16(&r);
	out.caps |= (uint32_t)rd_le16(&r) << 16;
	apdl = rd_u8(&r);
	reserved = rd_take(&r, RESERVED_LEN);
	if (r.bad)
		return MYSQL_BAD;
	if (!(out.caps & MYSQL_CLIENT_LONG_PASSWORD)) {
		/* MariaDB 10.2+ clears CLIENT_LONG_PASSWORD ("CLIENT_MYSQL")
		 * to say the filler ends with its extended capabilities. */
		out.mariadb_caps = le32_at(reserved + MARIADB_CAPS_OFF);
	}

	if (out.caps & MYSQL_CLIENT_SECURE_CONNECTION) {
		n2 = apdl > PART1_LEN + PART2_MIN ? (size_t)apdl - PART1_LEN
						  : PART2_MIN;
		part2 = rd_take(&r, n2);
		if (r.bad)
			return MYSQL_BAD;
		/* The last byte is a NUL that is not scramble; keep 20. */
		memcpy(out.scramble + PART1_LEN, part2,
		       MYSQL_SCRAMBLE_LEN - PART1_LEN);
		out.scramble_len = MYSQL_SCRAMBLE_LEN;
	}

	if (out.caps & MYSQL_CLIENT_PLUGIN_AUTH) {
		name = rd_nulstr(&r, &nlen, 1);
		if (nlen > sizeof(out.auth_plugin) - 1)
			return MYSQL_BAD; /* a name the client must echo */
		if (nlen)
			memcpy(out.auth_plugin, name, nlen);
	}
done:
	*g = out;
	return MYSQL_OK;
}

/* Writes the pre-4.1 short form when scramble_len is 8 and nothing the long
 * form carries is set; otherwise the long form, where
 * CLIENT_SECURE_CONNECTION needs a 20-byte scramble (MYSQL_BAD otherwise).
 * Fields the capabilities say are absent (auth_plugin without
 * CLIENT_PLUGIN_AUTH, mariadb_caps with CLIENT_LONG_PASSWORD) are not
 * written. is_mariadb adds the "5.5.5-" prefix. */
long mysql_greeting_write(uint8_t *out, size_t cap,
			  const struct mysql_greeting *g)
{
	struct wr w;
	size_t vlen = str_len_max(g->version, sizeof(g->version));
	size_t nlen = str_len_max(g->auth_plugin, sizeof(g->auth_plugin));
	int secure = (g->caps & MYSQL_CLIENT_SECURE_CONNECTION) != 0;
	int plugin = (g->caps & MYSQL_CLIENT_PLUGIN_AUTH) != 0;
	int short_form;

	if (g->scramble_len != PART1_LEN &&
	    g->scramble_len != MYSQL_SCRAMBLE_LEN)
		return MYSQL_BAD;
	if (vlen == sizeof(g->version) || nlen == sizeof(g->auth_plugin))
		return MYSQL_BAD; /* not NUL-terminated */
	short_form = g->scramble_len == PART1_LEN && g->charset == 0 &&
		     g->status == 0 && (g->caps >> 16) == 0 &&
		     (g->auth_plugin[0] == 0 || !plugin) &&
		     (g->mariadb_caps == 0 ||
		      (g->caps & MYSQL_CLIENT_LONG_PASSWORD));
	if (!short_form && secure && g->scramble_len != MYSQL_SCRAMBLE_LEN)
		return MYSQL_BAD;

	wr_init(&w, out, cap);
	wr_u8(&w, g->protocol);
	if (g->is_mariadb)
		wr_bytes(&w, MARIADB_PREFIX, MARIADB_PREFIX_LEN);
	wr_bytes(&w, g->version, vlen);
	wr_u8(&w, 0);
	wr_le32(&w, g->conn_id);
	wr_bytes(&w, g->scramble, PART1_LEN);
	wr_u8(&w, 0);
	wr_le16(&w, (uint16_t)g->caps);
	if (short_form)
		return wr_result(&w);

	wr_u8(&w, g->charset);
	wr_le16(&w, g->status);
	wr_le16(&w, (uint16_t)(g->caps >> 16));
	wr_u8(&w, plugin ? (uint8_t)(g->scramble_len + 1) : 0);
	wr_zeros(&w, MARIADB_CAPS_OFF);
	if (!(g->caps & MYSQL_CLIENT_LONG_PASSWORD))
		wr_le32(&w, g->mariadb_caps);
	else
		wr_zeros(&w, RESERVED_LEN - MARIADB_CAPS_OFF);
	if (secure) {
		wr_bytes(&w, g->scramble + PART1_LEN,
			 MYSQL_SCRAMBLE_LEN - PART1_LEN);
		wr_u8(&w, 0);
	}
	if (plugin) {
		wr_bytes(&w, g->auth_plugin, nlen);
		wr_u8(&w, 0);
	}
	return wr_result(&w);
}
