/* test_mysql_hs_plugins.c - the auth plugins the handshake machine
 * (mysql/handshake.c) speaks beyond native and caching_sha2: MariaDB's
 * client_ed25519 and PARSEC, sha256_password (cleartext over TLS, RSA with
 * a given or requested key), mysql_clear_password (refused unless enabled,
 * and unless over TLS or a socket), and COM_CHANGE_USER through an auth
 * switch. Every exchange runs twice: the server's bytes all at once, then
 * one byte at a time. The server's packets are written here from MariaDB's
 * "Connection" page (auth switch, AuthMoreData 0x01, PARSEC's ext-salt
 * 'P' + factor + salt) and MySQL's "COM_CHANGE_USER" and "SHA-256
 * Pluggable Authentication" pages. The Ed25519 answers are checked with
 * libsodium's stock verifier; their exact bytes against independent
 * vectors are in test_mysql_ed25519.c.
 */
#define PW "secret"
#include "hs_driver.h"

#include <sodium.h>

#include "mysql/ed25519.h"

#define SERVER_CAPS 0x1baae5du

static const uint8_t S1[20] = "ABCDEFGHIJKLMNOPQRST";
static const uint8_t ok_payload[7] = {0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};

/* The server's 32-byte nonce; its last byte is 0, which a NUL-stripping
 * parser would lose. */
static void nonce32(uint8_t n[32])
{
	for (int i = 0; i < 32; i++)
		n[i] = (uint8_t)(0x20 + i);
	n[31] = 0;
}

static void ed25519_switch(int per_byte)
{
	struct stream s = {.len = 0};
	struct run r;
	uint8_t nonce[32], pk[32];
	size_t off = 0, n;
	const uint8_t *p;

	nonce32(nonce);
	put_greeting(&s, SERVER_CAPS & ~0x800u, "mysql_native_password", S1);
	put_switch_data(&s, 2, "client_ed25519", nonce, sizeof(nonce));
	put(&s, 4, ok_payload, sizeof(ok_payload));
	run_init(&r, &s, per_byte);
	assert_int_equal(drive_past_greeting(&r), MYSQL_HS_LOGGED_IN);
	(void)out_packet(&r, &off, 1, &n); /* the login */
	p = out_packet(&r, &off, 3, &n);
	assert_int_equal(n, 64);
	assert_int_equal(mysql_ed25519_pubkey(pk, PW, strlen(PW)), 0);
	assert_int_equal(crypto_sign_verify_detached(p, nonce, 32, pk), 0);
	assert_string_equal(r.hs.plugin, "client_ed25519");
	assert_int_equal(r.out_len, off);
}

static void test_ed25519(void **state)
{
	(void)state;
	ed25519_switch(0);
	ed25519_switch(1);
}

static void short_nonce(int per_byte)
{
	struct stream s = {.len = 0};
	struct run r;

	put_greeting(&s, SERVER_CAPS & ~0x800u, "mysql_native_password", S1);
	put_switch(&s, 2, "client_ed25519", S1); /* 20 bytes + NUL */
	run_init(&r, &s, per_byte);
	assert_int_equal(drive_past_greeting(&r), MYSQL_HS_FAILED);
	assert_int_equal(r.hs.error, MYSQL_HS_E_PROTOCOL);
	assert_non_null(strstr(r.hs.reason, "21-byte nonce"));
}

static void test_ed25519_short_nonce(void **state)
{
	(void)state;
	short_nonce(0);
	short_nonce(1);
}

static void parsec(int per_byte, uint8_t factor)
{
	struct stream s = {.len = 0};
	struct run r;
	uint8_t nonce[32], cnonce[32], salt[21], want[96];
	size_t off = 0, n;
	const uint8_t *p;

	nonce32(nonce);
	for (int i = 0; i < 32; i++)
		cnonce[i] = (uint8_t)(0x80 + i);
	salt[0] = 0x01; /* AuthMoreData */
	salt[1] = 'P';
	salt[2] = factor;
	for (int i = 0; i < 18; i++)
		salt[3 + i] = (uint8_t)(i + 1);
	put_greeting(&s, SERVER_CAPS & ~0x800u, "mysql_native_password", S1);
	put_switch_data(&s, 2, "parsec", nonce, sizeof(nonce));
	put(&s, 4, salt, sizeof(salt));
	put(&s, 6, ok_payload, sizeof(ok_payload));
	run_init(&r, &s, per_byte);
	r.cfg.parsec_client_nonce = cnonce;
	if (factor > MYSQL_PARSEC_FACTOR_MAX) {
		assert_int_equal(drive_past_greeting(&r), MYSQL_HS_FAILED);
		assert_int_equal(r.hs.error, MYSQL_HS_E_AUTH);
		assert_int_equal(r.hs.client_code, 2059);
		assert_non_null(strstr(r.hs.reason, "PBKDF2 iterations"));
		return;
	}
	assert_int_equal(drive_past_greeting(&r), MYSQL_HS_LOGGED_IN);
	(void)out_packet(&r, &off, 1, &n);
	(void)out_packet(&r, &off, 3, &n);
	assert_int_equal(n, 0); /* "send me the ext-salt" */
	p = out_packet(&r, &off, 5, &n);
	assert_int_equal(n, 96);
	assert_int_equal(mysql_parsec_response(want, PW, strlen(PW), nonce,
					       cnonce, salt + 1,
					       sizeof(salt) - 1),
			 0);
	assert_memory_equal(p, want, 96);
	assert_int_equal(r.out_len, off);
}

static void test_parsec(void **state)
{
	(void)state;
	parsec(0, 0);
	parsec(1, 0);
	parsec(0, MYSQL_PARSEC_FACTOR_MAX + 1);
	parsec(1, 200);
}

/* sha256_password: over TLS in clear; over TCP with --server-public-key-
 * path's key, or with the key it asks for (request byte 1). */
static void sha256(int per_byte, int mode)
{
	struct stream s = {.len = 0};
	struct run r;
	char pem[1024];
	uint8_t more[1100];
	size_t off = 0, n, pem_len = 0;
	const uint8_t *p;
	EVP_PKEY *key = mode ? make_key(pem, sizeof(pem), &pem_len) : NULL;
	uint8_t seq = mode ? 2 : 3; /* over TLS the SSLRequest took 1 */

	put_greeting(&s, mode ? SERVER_CAPS & ~0x800u : SERVER_CAPS,
		     "mysql_native_password", S1);
	put_switch(&s, seq, "sha256_password", S1);
	seq += 2;
	if (mode == 2) {
		more[0] = 0x01;
		memcpy(more + 1, pem, pem_len);
		put(&s, seq, more, pem_len + 1);
		seq += 2;
	}
	put(&s, seq, ok_payload, sizeof(ok_payload));
	run_init(&r, &s, per_byte);
	if (mode == 0) {
		r.cfg.tls = MYSQL_HS_TLS_REQUIRE;
		assert_int_equal(drive_past_greeting(&r), MYSQL_HS_START_TLS);
		(void)out_packet(&r, &off, 1, &n);
		assert_int_equal(mysql_hs_tls_done(&r.hs), MYSQL_HS_READ);
		collect(&r);
		assert_int_equal(drive(&r), MYSQL_HS_LOGGED_IN);
		(void)out_packet(&r, &off, 2, &n);
		p = out_packet(&r, &off, 4, &n);
		assert_int_equal(n, sizeof(PW));
		assert_memory_equal(p, PW, sizeof(PW));
		assert_int_equal(r.out_len, off);
		return;
	}
	r.cfg.tls = MYSQL_HS_TLS_OFF;
	if (mode == 1) {
		r.cfg.server_key_pem = pem;
		r.cfg.server_key_pem_len = pem_len;
	}
	assert_int_equal(drive_past_greeting(&r), MYSQL_HS_LOGGED_IN);
	(void)out_packet(&r, &off, 1, &n);
	if (mode == 2) {
		p = out_packet(&r, &off, 3, &n);
		assert_int_equal(n, 1);
		assert_int_equal(p[0], 0x01);
	}
	p = out_packet(&r, &off, (uint8_t)(seq - 1), &n);
	check_rsa(key, p, n, S1);
	assert_int_equal(r.out_len, off);
	EVP_PKEY_free(key);
}

static void test_sha256_password(void **state)
{
	(void)state;
	for (int mode = 0; mode < 3; mode++) {
		sha256(0, mode);
		sha256(1, mode);
	}
}

/* mysql_clear_password: enabled over a socket it goes; not enabled, or
 * enabled over plain TCP, it is refused before a byte of it is sent. */
static void clear(int per_byte, int enabled, int socket)
{
	struct stream s = {.len = 0};
	struct run r;
	size_t off = 0, n;
	const uint8_t *p;

	put_greeting(&s, SERVER_CAPS & ~0x800u, "mysql_native_password", S1);
	put_switch(&s, 2, "mysql_clear_password", S1);
	put(&s, 4, ok_payload, sizeof(ok_payload));
	run_init(&r, &s, per_byte);
	r.cfg.tls = MYSQL_HS_TLS_OFF;
	r.cfg.enable_cleartext = enabled;
	r.cfg.secure_transport = socket;
	if (!enabled || !socket) {
		assert_int_equal(drive_past_greeting(&r), MYSQL_HS_FAILED);
		assert_int_equal(r.hs.error, MYSQL_HS_E_AUTH);
		assert_int_equal(r.hs.client_code, 2059);
		assert_non_null(strstr(r.hs.reason,
				       enabled ? "without TLS"
					       : "--enable-cleartext-plugin"));
		(void)out_packet(&r, &off, 1, &n);
		assert_int_equal(r.out_len, off); /* nothing after the login */
		return;
	}
	assert_int_equal(drive_past_greeting(&r), MYSQL_HS_LOGGED_IN);
	(void)out_packet(&r, &off, 1, &n);
	p = out_packet(&r, &off, 3, &n);
	assert_int_equal(n, sizeof(PW));
	assert_memory_equal(p, PW, sizeof(PW));
}

static void test_clear_password(void **state)
{
	(void)state;
	for (int i = 0; i < 8; i++)
		clear(i & 1, (i >> 1) & 1, (i >> 2) & 1);
}

/* Logged in with native, then COM_CHANGE_USER to "cd2" (sequence id 0,
 * native scramble of the greeting's S1), the server switches it to
 * client_ed25519 (seq 1), the signature goes as seq 2, OK is seq 3. */
static void change_user(int per_byte)
{
	static const uint8_t head[] = {0x11, 'c', 'd', '2', 0, 20};
	static const char plugin[] = "mysql_native_password";
	struct stream s = {.len = 0};
	struct mysql_hs_config cfg2;
	struct run r;
	uint8_t nonce[32], pk[32], native[32];
	size_t off = 0, n;
	const uint8_t *p;

	nonce32(nonce);
	put_greeting(&s, SERVER_CAPS & ~0x800u, "mysql_native_password", S1);
	put(&s, 2, ok_payload, sizeof(ok_payload));
	put_switch_data(&s, 1, "client_ed25519", nonce, sizeof(nonce));
	put(&s, 3, ok_payload, sizeof(ok_payload));
	run_init(&r, &s, per_byte);
	assert_int_equal(drive_past_greeting(&r), MYSQL_HS_LOGGED_IN);
	(void)out_packet(&r, &off, 1, &n);
	cfg2 = r.cfg;
	cfg2.user = "cd2";
	cfg2.password = "other";
	assert_int_equal(mysql_hs_change_user(&r.hs, &cfg2), MYSQL_HS_READ);
	collect(&r);
	p = out_packet(&r, &off, 0, &n);
	assert_int_equal(
		mysql_auth_response(plugin, "other", 5, S1, 20, native), 20);
	assert_memory_equal(p, head, sizeof(head));
	assert_memory_equal(p + sizeof(head), native, 20);
	p += sizeof(head) + 20;
	assert_int_equal(p[0], 0);  /* no database */
	assert_int_equal(p[1], 45); /* utf8mb4 */
	assert_int_equal(p[2], 0);
	assert_memory_equal(p + 3, plugin, sizeof(plugin));
	assert_int_equal(drive(&r), MYSQL_HS_LOGGED_IN);
	p = out_packet(&r, &off, 2, &n);
	assert_int_equal(n, 64);
	assert_int_equal(mysql_ed25519_pubkey(pk, "other", 5), 0);
	assert_int_equal(crypto_sign_verify_detached(p, nonce, 32, pk), 0);
	assert_int_equal(r.out_len, off);
	assert_int_equal(r.have, 0);
}

static void test_change_user(void **state)
{
	struct mysql_hs hs;
	struct mysql_hs_config cfg;

	(void)state;
	change_user(0);
	change_user(1);
	memset(&cfg, 0, sizeof(cfg));
	mysql_hs_init(&hs, &cfg);
	assert_int_equal(mysql_hs_change_user(&hs, &cfg), MYSQL_HS_FAILED);
	assert_int_equal(hs.error, MYSQL_HS_E_PROTOCOL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ed25519),
		cmocka_unit_test(test_ed25519_short_nonce),
		cmocka_unit_test(test_parsec),
		cmocka_unit_test(test_sha256_password),
		cmocka_unit_test(test_clear_password),
		cmocka_unit_test(test_change_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
