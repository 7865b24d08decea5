/* login.c - the client's login packets, Protocol::HandshakeResponse41,
 * Protocol::SSLRequest (MySQL "Connection Phase Packets" page) and
 * COM_CHANGE_USER (MySQL "COM_CHANGE_USER" page), with
 * MariaDB's extended capabilities in the last 4 bytes of the 23-byte filler
 * (MariaDB "Connection" page) when the client clears CLIENT_LONG_PASSWORD.
 *
 * The parser takes a complete payload: a payload shorter than its
 * structure is MYSQL_BAD, never MYSQL_NEED_MORE. HandshakeResponse320
 * (no CLIENT_PROTOCOL_41) is MYSQL_BAD. Tolerated: a client plugin name
 * without its NUL, or missing, at the end of the payload; bytes after the
 * connection attributes (MySQL 8's zstd level) are ignored.
 */
#include <string.h>

#include "mysql/compress.h"
#include "mysql/mysql.h"
#include "mysql/wire.h"

#define FIXED_LEN	 32 /* caps, max packet, charset, filler */
#define FILLER_LEN	 23
#define MARIADB_CAPS_OFF 19 /* in the filler: payload bytes 28..31 */

/* Writes the 32 fixed bytes every response starts with. */
static void put_fixed(struct wr *w, uint32_t caps, uint32_t max_packet,
		      uint8_t charset, uint32_t mariadb_caps)
{
	wr_le32(w, caps);
	wr_le32(w, max_packet);
	wr_u8(w, charset);
	wr_zeros(w, MARIADB_CAPS_OFF);
	if (mariadb_caps && !(caps & MYSQL_CLIENT_LONG_PASSWORD))
		wr_le32(w, mariadb_caps);
	else
		wr_zeros(w, FILLER_LEN - MARIADB_CAPS_OFF);
}

/* Writes the auth response in the encoding the capabilities select. Without
 * CLIENT_SECURE_CONNECTION it is NUL-terminated, so it cannot hold a NUL. */
static int put_auth(struct wr *w, uint32_t caps, const uint8_t *auth,
		    size_t len)
{
	if (caps & MYSQL_CLIENT_PLUGIN_AUTH_LENENC_DATA) {
		wr_lenenc_str(w, auth, len);
	} else if (caps & MYSQL_CLIENT_SECURE_CONNECTION) {
		if (len > 0xff)
			return MYSQL_TOOBIG;
		wr_u8(w, (uint8_t)len);
		wr_bytes(w, auth, len);
	} else {
		if (len && memchr(auth, 0, len))
			return MYSQL_BAD;
		wr_bytes(w, auth, len);
		wr_u8(w, 0);
	}
	return MYSQL_OK;
}

/* Writes s (NULL: empty) with its NUL. */
static void put_cstr(struct wr *w, const char *s)
{
	if (s)
		wr_bytes(w, s, strlen(s));
	wr_u8(w, 0);
}

/* Fields whose capability flag is not in l->caps are not written (db
 * without CLIENT_CONNECT_WITH_DB, plugin without CLIENT_PLUGIN_AUTH, attrs
 * without CLIENT_CONNECT_ATTRS). MYSQL_BAD for an auth response with a NUL
 * when it must be NUL-terminated. */
long mysql_login_write(uint8_t *out, size_t cap, const struct mysql_login *l)
{
	struct wr w;
	int rc;

	wr_init(&w, out, cap);
	put_fixed(&w, l->caps, l->max_packet, l->charset, l->mariadb_caps);
	put_cstr(&w, l->user);
	rc = put_auth(&w, l->caps, l->auth, l->auth_len);
	if (rc)
		return rc;
	if (l->caps & MYSQL_CLIENT_CONNECT_WITH_DB)
		put_cstr(&w, l->db);
	if (l->caps & MYSQL_CLIENT_PLUGIN_AUTH)
		put_cstr(&w, l->plugin);
	if (l->caps & MYSQL_CLIENT_CONNECT_ATTRS)
		wr_lenenc_str(&w, l->attrs, l->attrs_len);
	if (l->caps & MYSQL_CLIENT_ZSTD_COMPRESSION_ALGORITHM)
		wr_u8(&w, l->zstd_level);
	return wr_result(&w);
}

long mysql_change_user_write(uint8_t *out, size_t cap,
			     const struct mysql_login *l)
{
	struct wr w;

	wr_init(&w, out, cap);
	wr_u8(&w, MYSQL_COM_CHANGE_USER);
	put_cstr(&w, l->user);
	if (l->caps & MYSQL_CLIENT_SECURE_CONNECTION) {
		if (l->auth_len > 0xff)
			return MYSQL_TOOBIG;
		wr_u8(&w, (uint8_t)l->auth_len);
		wr_bytes(&w, l->auth, l->auth_len);
	} else {
		if (l->auth_len && memchr(l->auth, 0, l->auth_len))
			return MYSQL_BAD;
		wr_bytes(&w, l->auth, l->auth_len);
		wr_u8(&w, 0);
	}
	put_cstr(&w, l->db);
	wr_u8(&w, l->charset);
	wr_u8(&w, 0);
	if (l->caps & MYSQL_CLIENT_PLUGIN_AUTH)
		put_cstr(&w, l->plugin);
	if (l->caps & MYSQL_CLIENT_CONNECT_ATTRS)
		wr_lenenc_str(&w, l->attrs, l->attrs_len);
	return wr_result(&w);
}

long mysql_ssl_request_write(uint8_t *out, size_t cap, uint32_t caps,
			     uint32_t max_packet, uint8_t charset)
{
	struct wr w;

	wr_init(&w, out, cap);
	put_fixed(&w, caps | MYSQL_CLIENT_SSL, max_packet, charset, 0);
	return wr_result(&w);
}

int mysql_login_parse(const uint8_t *p, size_t len, struct mysql_login_view *v)
{
	struct mysql_login_view out;
	struct cd_bytes r;
	const uint8_t *filler, *s;
	size_t n;

	memset(&out, 0, sizeof(out));
	rd_init(&r, p, len);
	out.caps = rd_le32(&r);
	out.max_packet = rd_le32(&r);
	out.charset = rd_u8(&r);
	filler = rd_take(&r, FILLER_LEN);
	if (r.bad || !(out.caps & MYSQL_CLIENT_PROTOCOL_41))
		return MYSQL_BAD;
	if (!(out.caps & MYSQL_CLIENT_LONG_PASSWORD))
		out.mariadb_caps = le32_at(filler + MARIADB_CAPS_OFF);
	if (len == FIXED_LEN) {
		/* No response is this short: it needs a user name. */
		if (!(out.caps & MYSQL_CLIENT_SSL))
			return MYSQL_BAD;
		out.is_ssl_request = 1;
		goto done;
	}

	s = rd_nulstr(&r, &n, 0);
	out.user = (const char *)s;
	out.user_len = n;
	if (out.caps & MYSQL_CLIENT_PLUGIN_AUTH_LENENC_DATA) {
		out.auth = rd_lenenc_str(&r, &out.auth_len);
	} else if (out.caps & MYSQL_CLIENT_SECURE_CONNECTION) {
		out.auth_len = rd_u8(&r);
		out.auth = rd_take(&r, out.auth_len);
	} else {
		out.auth = rd_nulstr(&r, &out.auth_len, 0);
	}
	if (out.caps & MYSQL_CLIENT_CONNECT_WITH_DB) {
		s = rd_nulstr(&r, &n, 0);
		out.db = (const char *)s;
		out.db_len = n;
	}
	if (r.bad)
		return MYSQL_BAD;
	if ((out.caps & MYSQL_CLIENT_PLUGIN_AUTH) && rd_left(&r)) {
		s = rd_nulstr(&r, &n, 1);
		out.plugin = (const char *)s;
		out.plugin_len = n;
	}
	if ((out.caps & MYSQL_CLIENT_CONNECT_ATTRS) && rd_left(&r))
		rd_lenenc_str(&r, &n); /* key/value pairs: skipped */
	if (r.bad)
		return MYSQL_BAD;
done:
	*v = out;
	return MYSQL_OK;
}
