/* fuzz_mysql_reply.c - OK, ERR, EOF and auth switch parsers, and
 * mysql_reply_kind() in every phase. The first byte picks the capabilities,
 * the rest is the payload. An accepted OK or ERR, written back, parses to
 * the same fields.
 */
#include <string.h>

#include "fuzz.h"
#include "mysql/mysql.h"

/* Capabilities chosen by the selector byte's bits. */
static uint32_t pick_caps(uint8_t sel)
{
	uint32_t caps = 0;

	if (sel & 1)
		caps |= MYSQL_CLIENT_PROTOCOL_41;
	if (sel & 2)
		caps |= MYSQL_CLIENT_TRANSACTIONS;
	if (sel & 4)
		caps |= MYSQL_CLIENT_SESSION_TRACK;
	if (sel & 8)
		caps |= MYSQL_CLIENT_DEPRECATE_EOF;
	return caps;
}

static void check_kind(const uint8_t *p, size_t len, uint32_t caps)
{
	static const enum mysql_phase phases[] = {
		MYSQL_PHASE_AUTH, MYSQL_PHASE_COMMAND, MYSQL_PHASE_ROWS};
	enum mysql_reply k;
	size_t i;

	for (i = 0; i < 3; i++) {
		k = mysql_reply_kind(p, len, phases[i], caps);
		if (len == 0) {
			CHECK(k == MYSQL_REPLY_DATA);
			continue;
		}
		CHECK(k != MYSQL_REPLY_ERR || p[0] == 0xff);
		CHECK(p[0] != 0xff || k == MYSQL_REPLY_ERR);
		CHECK(k != MYSQL_REPLY_OK || p[0] == 0x00 || p[0] == 0xfe);
		CHECK(k != MYSQL_REPLY_EOF || (p[0] == 0xfe && len < 9));
		CHECK(k != MYSQL_REPLY_AUTH_SWITCH ||
		      phases[i] == MYSQL_PHASE_AUTH);
	}
}

#define MAX_IN 8192 /* longer inputs are skipped: out[] must hold them */

static void check_ok(const uint8_t *p, size_t len, uint32_t caps)
{
	struct mysql_ok ok, ok2;
	uint8_t out[MAX_IN + 64];
	long n;

	if (mysql_ok_parse(p, len, caps, &ok) != MYSQL_OK)
		return;
	CHECK(ok.info_len <= len);
	CHECK(ok.info_len == 0 ||
	      ((const uint8_t *)ok.info >= p &&
	       (const uint8_t *)ok.info + ok.info_len <= p + len));
	n = mysql_ok_write(out, sizeof(out), caps, &ok);
	CHECK(n > 0);
	CHECK(mysql_ok_parse(out, (size_t)n, caps, &ok2) == MYSQL_OK);
	CHECK(ok2.affected_rows == ok.affected_rows &&
	      ok2.insert_id == ok.insert_id && ok2.status == ok.status &&
	      ok2.warnings == ok.warnings && ok2.info_len == ok.info_len);
	CHECK(ok.info_len == 0 || memcmp(ok.info, ok2.info, ok.info_len) == 0);
}

static void check_err(const uint8_t *p, size_t len)
{
	struct mysql_err e, e2;
	uint8_t out[1024];
	size_t slen;
	long n;

	if (mysql_err_parse(p, len, &e) != MYSQL_OK)
		return;
	CHECK(len >= 3 && p[0] == 0xff);
	CHECK(memchr(e.sqlstate, 0, sizeof(e.sqlstate)) != NULL);
	slen = strlen(e.sqlstate);
	CHECK(slen == 0 || slen == 5);
	CHECK(memchr(e.message, 0, sizeof(e.message)) != NULL);
	n = mysql_err_write(out, sizeof(out), &e);
	CHECK(n >= 3);
	CHECK(mysql_err_parse(out, (size_t)n, &e2) == MYSQL_OK);
	CHECK(e2.code == e.code && strcmp(e2.sqlstate, e.sqlstate) == 0 &&
	      strcmp(e2.message, e.message) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mysql_auth_switch as;
	struct mysql_eof eof;
	const uint8_t *p;
	uint32_t caps;
	size_t len;

	if (size == 0 || size > MAX_IN)
		return 0;
	caps = pick_caps(data[0]);
	p = data + 1;
	len = size - 1;

	check_kind(p, len, caps);
	check_ok(p, len, caps);
	check_err(p, len);
	if (mysql_eof_parse(p, len, &eof) == MYSQL_OK)
		CHECK(len >= 1 && len < 9 && p[0] == 0xfe);
	if (mysql_auth_switch_parse(p, len, &as) == MYSQL_OK) {
		CHECK(p[0] == 0xfe && as.data_len <= MYSQL_SCRAMBLE_LEN);
		CHECK(memchr(as.plugin, 0, sizeof(as.plugin)) != NULL);
		CHECK(as.plugin[0] != 0);
	}
	return 0;
}
