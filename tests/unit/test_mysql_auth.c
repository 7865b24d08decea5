/* test_mysql_auth.c - mysql_native_password and caching_sha2_password (fast
 * path and RSA full path) against vectors computed independently with the
 * openssl command line, and one from a real client.
 *
 * caching_sha2_password cannot be tested against MariaDB (it has no such
 * server plugin), so its vectors come from OpenSSL's CLI only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "mysql/mysql.h"

/* The MariaDB 10.11.19 greeting's scramble ("/S6Ppb{c" + "]+Zdib/c(8$I",
 * tests/data/mysql/mariadb-10.11.19.hex). */
static const uint8_t scramble_a[20] = {
	0x2f, 0x53, 0x36, 0x50, 0x70, 0x62, 0x7b, 0x63, 0x5d, 0x2b,
	0x5a, 0x64, 0x69, 0x62, 0x2f, 0x63, 0x28, 0x38, 0x24, 0x49,
};

/* The scramble of MySQL's documented 5.5.2-m2 greeting. */
static const uint8_t scramble_b[20] = {
	0x64, 0x76, 0x48, 0x40, 0x49, 0x2d, 0x43, 0x4a, 0x2a, 0x34,
	0x64, 0x7c, 0x63, 0x5a, 0x77, 0x6b, 0x34, 0x5e, 0x5d, 0x3a,
};

#define PW_B "correct horse battery staple"

/* mysql_native_password, SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))):
 *   S=2f53365070627b635d2b5a6469622f6328382449 P=secret
 *   printf '%s' "$P" | openssl sha1 -binary > s1
 *   openssl sha1 -binary < s1 > s2
 *   { printf "$S" | xxd -r -p; cat s2; } | openssl sha1 -binary > h
 *   then s1 XOR h, byte by byte (xxd -p, shell arithmetic).
 * The real libmariadb 3.3.20 client sent the same 20 bytes for cd/secret
 * (tests/data/mysql/libmariadb-3.3.20.hex), and MariaDB accepted them. */
static const uint8_t native_a[20] = {
	0x84, 0x6c, 0x69, 0xe7, 0x90, 0x95, 0x8b, 0x1f, 0x22, 0x5d,
	0xb7, 0x1b, 0xcc, 0x43, 0x9b, 0x55, 0x99, 0x8a, 0xbf, 0x20,
};

/* The same commands with S=64764840492d434a2a34647c635a776b345e5d3a
 * P='correct horse battery staple'. */
static const uint8_t native_b[20] = {
	0x02, 0xbe, 0x84, 0xbc, 0xe5, 0x13, 0xb1, 0x82, 0x6c, 0x39,
	0x04, 0xef, 0xac, 0x92, 0xc0, 0x20, 0x91, 0x58, 0x49, 0x7c,
};

/* caching_sha2_password fast path, SHA256(pw) XOR SHA256(SHA256(SHA256(pw))
 * + scramble), with S and P as for native_a:
 *   printf '%s' "$P" | openssl sha256 -binary > d1
 *   openssl sha256 -binary < d1 > d2
 *   { cat d2; printf "$S" | xxd -r -p; } | openssl sha256 -binary > h
 *   then d1 XOR h. */
static const uint8_t sha2_a[32] = {
	0xde, 0x9c, 0xbd, 0xdb, 0x55, 0x61, 0xb5, 0x40, 0xa3, 0x9c, 0x65,
	0x46, 0x3c, 0x7b, 0xab, 0xf8, 0xa8, 0xa9, 0xfe, 0xfb, 0x47, 0x59,
	0x87, 0x6e, 0x80, 0x45, 0x05, 0xec, 0x86, 0x54, 0xac, 0x87,
};

/* The same commands with S and P as for native_b. */
static const uint8_t sha2_b[32] = {
	0xb0, 0x51, 0xd0, 0xfc, 0x4f, 0xd7, 0x0c, 0x98, 0x4a, 0xe0, 0xc8,
	0x45, 0x06, 0x39, 0x23, 0x22, 0xad, 0x90, 0x14, 0x5b, 0x8b, 0x47,
	0xa1, 0x50, 0xc5, 0x6c, 0x78, 0xb2, 0x7c, 0x1b, 0xa5, 0x8b,
};

/* A 2048-bit RSA key pair made for this test only (openssl genpkey
 * -algorithm RSA -pkeyopt rsa_keygen_bits:2048; openssl pkey -pubout):
 * it protects nothing. */
static const char rsa_public_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAk76VPvsGJKfq/jmzzvrD\n"
	"m2Skspkh4hAe2aFPh6vDiT+B8+MQm8qF7Xwd4xKCN/8HvxqVticvCwLYfptQtOPw\n"
	"9dA/3yT+9ia2vhXOmmTMTvFns/lyWGC9+/q9h6ruVGAE4WDpCXH0w4XBCnhXLEw0\n"
	"yZmPaAEk5ONyiGPDopUAKc5O4laQCxGPcLTPYuQ5uNaNuV/v/uC8m3N/sgjQCaGx\n"
	"BaINZ+tWuiK/F32MVIHi2k3juNyX5Ofb2EWqE/cu0n6RmRps/TRGYHZr6cwiAp9c\n"
	"24aAp/eqtBXDkVt7qpMra33vEt25u6B+GzQudRSTzb9VrnHiyyCT56TlOK2r5U4U\n"
	"rQIDAQAB\n"
	"-----END PUBLIC KEY-----\n";

static const char rsa_private_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCTvpU++wYkp+r+\n"
	"ObPO+sObZKSymSHiEB7ZoU+Hq8OJP4Hz4xCbyoXtfB3jEoI3/we/GpW2Jy8LAth+\n"
	"m1C04/D10D/fJP72Jra+Fc6aZMxO8Wez+XJYYL37+r2Hqu5UYAThYOkJcfTDhcEK\n"
	"eFcsTDTJmY9oASTk43KIY8OilQApzk7iVpALEY9wtM9i5Dm41o25X+/+4Lybc3+y\n"
	"CNAJobEFog1n61a6Ir8XfYxUgeLaTeO43Jfk59vYRaoT9y7SfpGZGmz9NEZgdmvp\n"
	"zCICn1zbhoCn96q0FcORW3uqkytrfe8S3bm7oH4bNC51FJPNv1WuceLLIJPnpOU4\n"
	"ravlThStAgMBAAECggEABLwXk9ZfFscj1oRaYRBzutPhnFCgf5plJrPO9OnaARi+\n"
	"LSbydg+qNZdj7M4/ypQbdzIeqKD+VrO/ZOVM05M3emUzWs8YdaJ9ej+AKL4Atynw\n"
	"2RluIutswznAn6uoah9OoLtmlHUosyhi7Jc5MfP6QBix+hMJT+WDGuBZmWj9gZls\n"
	"u+07C7lGlkYLtejdf8m+S2VH3Lbc9QBoLGiKacHr7qCn9ZhCYSVGJl8LIsyZO60O\n"
	"fB55TAdHZc1tQN5WBPRibitqq/8g0Q9P05HA+TzHDX5ahZ+TBY8gIUAJeKq4J1ob\n"
	"e0uNrNHIxmvnaP6tv5fX8C3Q5y0WqdWk0hj7Y/04IQKBgQDPCgGAkWID5S+U7VTs\n"
	"mqJESA1M1xo3gAhpiOSMEB5V0SJDN1ozWKG+rp7N413IzrldWnmSb0/T1RUbfL+w\n"
	"UuFrYxgJJGtm2a4koDmtIaoIhtyw4NN/zzN+LlFuqEcsI42/eQMsy4VzrnHfSA4c\n"
	"5GL76/T4lj/anitstiEpXOIZYQKBgQC2ruyiY51oEaT7kbzWnznacdToFb0dD06K\n"
	"/AvwkLz07uObeaTbapDnGYbEzKbqoH6oDMlMJ8nFguvtDNR40107WjLr8qZXDCUk\n"
	"aSmQlFHW15W6cy15d3BfPiWplSbASRhHE6X1YgRbjFZVxTHETyiLH14odoRKIeoE\n"
	"eLMmii0CzQKBgF8WFliI7L4jPTYlxfIgltPLT6hxxg2lVLe7clPNd1EsipLaUifw\n"
	"1eAwbKjceo8mOkXgrqMNUllUrKwCIDuH5RWf3kMcoeMLqIoTuEmGg4QFBEiMCTbS\n"
	"37Bc73Nl/8IK1igRGN8y3aiifpPwkOK+FaPj249r2gm6yPDVuOc5THIhAoGAWJKB\n"
	"Os6vf8imRC7J7wkuRKJSRuBbW56TR0GjDFUwuFSm2DfnXVbSwKmYtQxAlZuRLStd\n"
	"4eWcp32to7ZHwflAx8kYzVtNmQDTdU7jjyzKbS8Dcm3ri2wEeLkqC4m8Sxhlg/ib\n"
	"y1hlonltVpKQaYyzrJhdz6J+y26cBuT6f2IZJrUCgYB6CwmmdO8yy0kUDhlCrnQ6\n"
	"XrWQ03KVPhg3AYuRyYsn1SZprSq1esbuT7Hs23sl0sYJ4syt6tPc+xG/vcXrDIuN\n"
	"p6Jf2b5bKenWW+pqpaW5IaLnxAxrd70D/VNC4jdpBm8N0HAi0jtSgJB4j1NmS+F7\n"
	"IdgKSYulZB2lFRPK3aHlew==\n"
	"-----END PRIVATE KEY-----\n";

/* A P-256 public key (openssl genpkey -algorithm EC): not RSA. */
static const char ec_public_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEk3i9hk5xSEg5LRwHztMnGqFSotJR\n"
	"AUg4CjQA+u2s9aH+tyuQYCwt4ovR7pwINJVhL+nuwDkIf2VHcGBUa1x+VA==\n"
	"-----END PUBLIC KEY-----\n";

static void test_native(void **state)
{
	uint8_t out[20];

	(void)state;
	assert_int_equal(
		mysql_native_scramble(out, "secret", 6, scramble_a, 20), 20);
	assert_memory_equal(out, native_a, 20);
	assert_int_equal(
		mysql_native_scramble(out, PW_B, strlen(PW_B), scramble_b, 20),
		20);
	assert_memory_equal(out, native_b, 20);
	/* A 21st byte (the greeting's NUL) is not used. */
	{
		uint8_t s21[21];

		memcpy(s21, scramble_a, 20);
		s21[20] = 0x55;
		assert_int_equal(
			mysql_native_scramble(out, "secret", 6, s21, 21), 20);
		assert_memory_equal(out, native_a, 20);
	}
	/* No password: an empty response; a short scramble: refused. */
	assert_int_equal(mysql_native_scramble(out, NULL, 0, scramble_a, 20),
			 0);
	assert_int_equal(mysql_native_scramble(out, "secret", 6, scramble_a, 8),
			 MYSQL_BAD);
}

static void test_sha2(void **state)
{
	uint8_t out[32];

	(void)state;
	assert_int_equal(mysql_sha2_scramble(out, "secret", 6, scramble_a, 20),
			 32);
	assert_memory_equal(out, sha2_a, 32);
	assert_int_equal(
		mysql_sha2_scramble(out, PW_B, strlen(PW_B), scramble_b, 20),
		32);
	assert_memory_equal(out, sha2_b, 32);
	assert_int_equal(mysql_sha2_scramble(out, "", 0, scramble_a, 20), 0);
	assert_int_equal(mysql_sha2_scramble(out, "secret", 6, scramble_a, 19),
			 MYSQL_BAD);
}

/* Decrypts with the private key (OAEP, SHA-1 as MySQL uses) and checks the
 * plaintext is (pw + NUL) XOR scramble, the scramble repeated. */
static void check_rsa(const char *pw, const uint8_t *scramble)
{
	uint8_t out[512], plain[512];
	size_t pwlen = strlen(pw), plen = sizeof(plain), i;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *key;
	BIO *bio;
	long n;

	n = mysql_sha2_rsa_encrypt(out, sizeof(out), pw, pwlen, scramble, 20,
				   rsa_public_pem, strlen(rsa_public_pem));
	assert_int_equal(n, 256);

	bio = BIO_new_mem_buf(rsa_private_pem, -1);
	assert_non_null(bio);
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(key);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_decrypt_init(ctx), 1);
	assert_int_equal(
		EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING), 1);
	assert_int_equal(EVP_PKEY_decrypt(ctx, plain, &plen, out, (size_t)n),
			 1);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);

	assert_int_equal(plen, pwlen + 1);
	for (i = 0; i < plen; i++) {
		uint8_t c = i < pwlen ? (uint8_t)pw[i] : 0;

		assert_int_equal(plain[i], c ^ scramble[i % 20]);
	}
}

static void test_rsa(void **state)
{
	(void)state;
	check_rsa("secret", scramble_a);
	check_rsa(PW_B, scramble_b); /* longer than the scramble */
	check_rsa("", scramble_a);   /* just the NUL */
}

static void test_rsa_rejects(void **state)
{
	static const char junk[] = "-----BEGIN PUBLIC KEY-----\nAAAA\n"
				   "-----END PUBLIC KEY-----\n";
	char pw[300];
	uint8_t out[512];

	(void)state;
	memset(pw, 'p', sizeof(pw));
	/* OAEP with SHA-1 carries 256 - 42 = 214 bytes: pw + NUL. */
	assert_int_equal(mysql_sha2_rsa_encrypt(out, sizeof(out), pw, 213,
						scramble_a, 20, rsa_public_pem,
						strlen(rsa_public_pem)),
			 256);
	assert_int_equal(mysql_sha2_rsa_encrypt(out, sizeof(out), pw, 214,
						scramble_a, 20, rsa_public_pem,
						strlen(rsa_public_pem)),
			 MYSQL_TOOBIG);
	assert_int_equal(mysql_sha2_rsa_encrypt(out, 255, "secret", 6,
						scramble_a, 20, rsa_public_pem,
						strlen(rsa_public_pem)),
			 MYSQL_TOOBIG);
	assert_int_equal(mysql_sha2_rsa_encrypt(out, sizeof(out), "secret", 6,
						scramble_a, 20, junk,
						strlen(junk)),
			 MYSQL_BAD);
	assert_int_equal(mysql_sha2_rsa_encrypt(out, sizeof(out), "secret", 6,
						scramble_a, 20, ec_public_pem,
						strlen(ec_public_pem)),
			 MYSQL_BAD);
	assert_int_equal(mysql_sha2_rsa_encrypt(out, sizeof(out), "secret", 6,
						scramble_a, 20, rsa_public_pem,
						0),
			 MYSQL_BAD);
	assert_int_equal(mysql_sha2_rsa_encrypt(out, sizeof(out), "secret", 6,
						scramble_a, 8, rsa_public_pem,
						strlen(rsa_public_pem)),
			 MYSQL_BAD);
	/* The private key is no public key. */
	assert_int_equal(mysql_sha2_rsa_encrypt(out, sizeof(out), "secret", 6,
						scramble_a, 20, rsa_private_pem,
						strlen(rsa_private_pem)),
			 MYSQL_BAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_native),
		cmocka_unit_test(test_sha2),
		cmocka_unit_test(test_rsa),
		cmocka_unit_test(test_rsa_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
