/* auth.c - client side of the password auth plugins: mysql_native_password
 * (MySQL "Native Authentication" page) and caching_sha2_password, fast
 * path and RSA full path (MySQL "Caching_sha2_password information" page,
 * MariaDB "caching_sha2_password" page), over OpenSSL 3 EVP.
 *
 * Only the first MYSQL_SCRAMBLE_LEN (20) bytes of a scramble are used, as
 * the servers do. Every buffer derived from the password is wiped with
 * OPENSSL_cleanse() before returning.
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "mysql/mysql.h"

#define SHA1_LEN   20
#define SHA256_LEN 32
#define OAEP_PAD   42	/* RSA_PKCS1_OAEP_PADDING overhead with SHA-1 */
#define RSA_IN_MAX 1024 /* pw + NUL: enough for 8192-bit keys */

/* out = a XOR b over n bytes. */
static void xor_into(uint8_t *out, const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = a[i] ^ b[i];
}

/* One-shot digest; 0 on success. */
static int digest(const EVP_MD *md, const void *in, size_t len, uint8_t *out)
{
	unsigned int n = 0;

	if (EVP_Digest(in, len, out, &n, md, NULL) != 1) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

int mysql_native_scramble(uint8_t out[20], const char *pw, size_t pwlen,
			  const uint8_t *scramble, size_t scramble_len)
{
	uint8_t stage1[SHA1_LEN], stage2[SHA1_LEN], h[SHA1_LEN];
	uint8_t buf[MYSQL_SCRAMBLE_LEN + SHA1_LEN];
	int rc = MYSQL_BAD;

	if (pwlen == 0)
		return 0; /* an empty password sends an empty response */
	if (scramble_len < MYSQL_SCRAMBLE_LEN)
		return MYSQL_BAD;
	if (digest(EVP_sha1(), pw, pwlen, stage1) ||
	    digest(EVP_sha1(), stage1, SHA1_LEN, stage2))
		goto out;
	memcpy(buf, scramble, MYSQL_SCRAMBLE_LEN);
	memcpy(buf + MYSQL_SCRAMBLE_LEN, stage2, SHA1_LEN);
	if (digest(EVP_sha1(), buf, sizeof(buf), h))
		goto out;
	xor_into(out, stage1, h, SHA1_LEN);
	rc = SHA1_LEN;
out:
	OPENSSL_cleanse(stage1, sizeof(stage1));
	OPENSSL_cleanse(stage2, sizeof(stage2));
	OPENSSL_cleanse(h, sizeof(h));
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

int mysql_sha2_scramble(uint8_t out[32], const char *pw, size_t pwlen,
			const uint8_t *scramble, size_t scramble_len)
{
	uint8_t d1[SHA256_LEN], d2[SHA256_LEN], h[SHA256_LEN];
	uint8_t buf[SHA256_LEN + MYSQL_SCRAMBLE_LEN];
	int rc = MYSQL_BAD;

	if (pwlen == 0)
		return 0;
	if (scramble_len < MYSQL_SCRAMBLE_LEN)
		return MYSQL_BAD;
	/* MySQL's Generate_scramble: d1 = SHA2(pw), d2 = SHA2(d1), then
	 * SHA2(d2 + scramble), the digest first. */
	if (digest(EVP_sha256(), pw, pwlen, d1) ||
	    digest(EVP_sha256(), d1, SHA256_LEN, d2))
		goto out;
	memcpy(buf, d2, SHA256_LEN);
	memcpy(buf + SHA256_LEN, scramble, MYSQL_SCRAMBLE_LEN);
	if (digest(EVP_sha256(), buf, sizeof(buf), h))
		goto out;
	xor_into(out, d1, h, SHA256_LEN);
	rc = SHA256_LEN;
out:
	OPENSSL_cleanse(d1, sizeof(d1));
	OPENSSL_cleanse(d2, sizeof(d2));
	OPENSSL_cleanse(h, sizeof(h));
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* PEM pass phrase callback: a public key never has one, and the default
 * callback would prompt on the terminal. Gives an empty phrase and fails. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)rwflag;
	(void)u;
	if (size > 0)
		buf[0] = 0;
	return -1;
}

/* Loads an RSA public key from PEM text; NULL when it is not one. */
static EVP_PKEY *load_rsa_pubkey(const char *pem, size_t pem_len)
{
	BIO *bio;
	EVP_PKEY *key;

	if (pem_len == 0 || pem_len > INT_MAX)
		return NULL;
	bio = BIO_new_mem_buf(pem, (int)pem_len);
	if (!bio)
		return NULL;
	key = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (key && !EVP_PKEY_is_a(key, "RSA")) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

long mysql_sha2_rsa_encrypt(uint8_t *out, size_t cap, const char *pw,
			    size_t pwlen, const uint8_t *scramble,
			    size_t scramble_len, const char *pem,
			    size_t pem_len)
{
	uint8_t in[RSA_IN_MAX];
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t i, n = pwlen + 1, outlen = 0;
	long rc = MYSQL_BAD;
	int ksize;

	if (scramble_len < MYSQL_SCRAMBLE_LEN)
		return MYSQL_BAD;
	if (pwlen >= sizeof(in))
		return MYSQL_TOOBIG;
	key = load_rsa_pubkey(pem, pem_len);
	if (!key)
		goto out;
	ksize = EVP_PKEY_get_size(key);
	if (ksize <= OAEP_PAD || n > (size_t)(ksize - OAEP_PAD)) {
		rc = MYSQL_TOOBIG; /* OAEP cannot carry this password */
		goto out;
	}
	if (pwlen)
		memcpy(in, pw, pwlen);
	in[pwlen] = 0;
	for (i = 0; i < n; i++)
		in[i] ^= scramble[i % MYSQL_SCRAMBLE_LEN];

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!ctx || EVP_PKEY_encrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_encrypt(ctx, NULL, &outlen, in, n) != 1)
		goto out;
	if (outlen > cap || outlen > LONG_MAX) {
		rc = MYSQL_TOOBIG;
		goto out;
	}
	if (EVP_PKEY_encrypt(ctx, out, &outlen, in, n) != 1)
		goto out;
	rc = (long)outlen;
out:
	OPENSSL_cleanse(in, sizeof(in));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
	if (rc < 0)
		ERR_clear_error();
	return rc;
}

int mysql_auth_response(const char *plugin, const char *pw, size_t pwlen,
			const uint8_t *scramble, size_t scramble_len,
			uint8_t out[32])
{
	if (!plugin[0] || !strcmp(plugin, "mysql_native_password"))
		return mysql_native_scramble(out, pw, pwlen, scramble,
					     scramble_len);
	if (!strcmp(plugin, "caching_sha2_password"))
		return mysql_sha2_scramble(out, pw, pwlen, scramble,
					   scramble_len);
	return MYSQL_BAD;
}
