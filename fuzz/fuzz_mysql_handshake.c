/* fuzz_mysql_handshake.c - the connection-phase machine (mysql/handshake.c)
 * against any server byte stream. The first byte picks the client's
 * settings (1 TLS preferred, 2 TLS required, 4 secure transport, 8 may ask
 * for the RSA key, 16 a bad RSA key given, 32 mysql_clear_password
 * enabled, 64 a COM_CHANGE_USER after the login, whose exchange the rest of
 * the stream answers: auth switch to client_ed25519, parsec, sha256_password
 * and the rest), the second how the stream is
 * cut into reads (0: all at once, n: n bytes at a time). Properties: it
 * never consumes more than it was given, its output is one well-framed
 * packet that fits its buffer, it always ends (the rounds limit), and a
 * terminal event is final.
 */
#include <string.h>

#include "fuzz.h"
#include "mysql/handshake.h"

static const char bad_pem[] = "-----BEGIN PUBLIC KEY-----\nAAAA\n"
			      "-----END PUBLIC KEY-----\n";

/* The output, when there is some, is one packet filling it exactly. */
static void check_output(const struct mysql_hs *hs)
{
	size_t n;
	const uint8_t *p = mysql_hs_output(hs, &n);

	if (!n)
		return;
	CHECK(n >= MYSQL_HEADER_LEN && n <= MYSQL_HS_OUT_MAX);
	CHECK(((size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16) ==
	      n - MYSQL_HEADER_LEN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mysql_hs_config cfg;
	struct mysql_hs hs;
	static const uint8_t cnonce[32] = {1};
	enum mysql_hs_event ev = MYSQL_HS_READ;
	int change = 0;
	size_t off = 0, have = 0, step, used, out, calls = 0;

	if (size < 2)
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.user = "fuzz";
	cfg.password = "pw";
	cfg.tls = data[0] & 2	? MYSQL_HS_TLS_REQUIRE
		  : data[0] & 1 ? MYSQL_HS_TLS_PREFER
				: MYSQL_HS_TLS_OFF;
	cfg.secure_transport = (data[0] & 4) != 0;
	cfg.get_server_public_key = (data[0] & 8) != 0;
	cfg.enable_cleartext = (data[0] & 32) != 0;
	change = (data[0] & 64) != 0;
	cfg.parsec_client_nonce = cnonce; /* deterministic runs */
	if (data[0] & 16) {
		cfg.server_key_pem = bad_pem;
		cfg.server_key_pem_len = sizeof(bad_pem) - 1;
	}
	step = data[1];
	data += 2;
	size -= 2;
	mysql_hs_init(&hs, &cfg);
	for (;;) {
		CHECK(++calls < 4 * size + 16);
		ev = mysql_hs_feed(&hs, data + off, have, &used);
		CHECK(used <= have);
		check_output(&hs);
		mysql_hs_output(&hs, &out);
		off += used;
		have -= used;
		if (ev == MYSQL_HS_START_TLS) {
			ev = mysql_hs_tls_done(&hs);
			check_output(&hs);
			CHECK(ev == MYSQL_HS_READ || ev == MYSQL_HS_FAILED);
			if (ev == MYSQL_HS_READ)
				continue;
		}
		if (ev == MYSQL_HS_LOGGED_IN && change) {
			change = 0;
			ev = mysql_hs_change_user(&hs, &cfg);
			check_output(&hs);
			CHECK(ev == MYSQL_HS_READ);
			continue;
		}
		if (ev == MYSQL_HS_READ || ev == MYSQL_HS_GREETING) {
			if (used || out || ev == MYSQL_HS_GREETING)
				continue;
			if (off + have == size)
				break; /* no more bytes: it waits */
			have += step && step < size - off - have
					? step
					: size - off - have;
			continue;
		}
		break;
	}
	CHECK(hs.rounds <= MYSQL_HS_MAX_ROUNDS + 1);
	CHECK(hs.more <= MYSQL_HS_MORE_PARSEC_SALT);
	if (ev == MYSQL_HS_FAILED) {
		CHECK(hs.error != MYSQL_HS_E_NONE && hs.reason[0]);
		CHECK(mysql_hs_feed(&hs, data, size, &used) == MYSQL_HS_FAILED);
		CHECK(used == 0);
	}
	if (ev == MYSQL_HS_SERVER_ERR)
		CHECK(hs.packet_len > 0 && hs.packet[0] == 0xff);
	mysql_hs_wipe(&hs);
	return 0;
}
