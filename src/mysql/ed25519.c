/* ed25519.c - MariaDB's client_ed25519 and PARSEC answers (MariaDB
 * "Authentication Plugin - ed25519" and "Authentication Plugin - PARSEC"
 * pages; RFC 8032 section 5.1.6 for the signature) over libsodium.
 *
 * client_ed25519 is Ed25519 with one change: the secret is SHA-512 of the
 * password itself, whatever its length, where RFC 8032 hashes a 32-byte
 * seed. libsodium's crypto_sign API takes only such a seed, so the signing
 * is spelled out here with its primitives: SHA-512, scalar reduction modulo
 * the group order, scalar multiply-add and base-point multiplication.
 * PARSEC uses stock Ed25519 with a PBKDF2-derived seed, so crypto_sign does.
 */
#include "mysql/ed25519.h"

#include <limits.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>

#define SC_LEN 32 /* a scalar or a point, encoded */

/* libsodium wants sodium_init() once before use (thread-safe, idempotent). */
static int ready(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* az = SHA-512(pw), its first half clamped: the secret scalar a and the
 * nonce prefix (RFC 8032 5.1.5 steps 1-2, with pw in place of the seed). */
static void expand(uint8_t az[64], const char *pw, size_t pwlen)
{
	crypto_hash_sha512(az, (const unsigned char *)pw, pwlen);
	az[0] &= 248;
	az[31] &= 63;
	az[31] |= 64;
}

/* out = SHA-512(a + b + c) reduced modulo the group order. */
static void hash_reduce(uint8_t out[SC_LEN], const uint8_t *a, size_t alen,
			const uint8_t *b, size_t blen, const uint8_t *c,
			size_t clen)
{
	crypto_hash_sha512_state st;
	uint8_t h[64];

	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, a, alen);
	crypto_hash_sha512_update(&st, b, blen);
	crypto_hash_sha512_update(&st, c, clen);
	crypto_hash_sha512_final(&st, h);
	crypto_core_ed25519_scalar_reduce(out, h);
	sodium_memzero(h, sizeof(h));
	sodium_memzero(&st, sizeof(st));
}

int mysql_ed25519_pubkey(uint8_t pk[MYSQL_ED25519_PK_LEN], const char *pw,
			 size_t pwlen)
{
	uint8_t az[64];
	int rc;

	if (ready())
		return -1;
	expand(az, pw, pwlen);
	rc = crypto_scalarmult_ed25519_base_noclamp(pk, az) ? -1 : 0;
	sodium_memzero(az, sizeof(az));
	return rc;
}

int mysql_ed25519_sign(uint8_t sig[MYSQL_ED25519_SIG_LEN], const char *pw,
		       size_t pwlen, const uint8_t *msg, size_t msglen)
{
	uint8_t az[64], wide[64], a[SC_LEN], pk[SC_LEN], r[SC_LEN];
	uint8_t R[SC_LEN], k[SC_LEN], ka[SC_LEN];
	int rc = -1;

	if (ready())
		return -1;
	expand(az, pw, pwlen);
	/* A = aB, with a as clamped (not reduced), as RFC 8032 does. */
	if (crypto_scalarmult_ed25519_base_noclamp(pk, az))
		goto out;
	/* r = SHA-512(prefix + M) mod L; R = rB. */
	hash_reduce(r, az + 32, 32, msg, msglen, NULL, 0);
	if (crypto_scalarmult_ed25519_base_noclamp(R, r))
		goto out;
	/* k = SHA-512(R + A + M) mod L; S = (r + k a) mod L. */
	hash_reduce(k, R, SC_LEN, pk, SC_LEN, msg, msglen);
	memcpy(wide, az, 32);
	memset(wide + 32, 0, 32);
	crypto_core_ed25519_scalar_reduce(a, wide);
	crypto_core_ed25519_scalar_mul(ka, k, a);
	memcpy(sig, R, SC_LEN);
	crypto_core_ed25519_scalar_add(sig + SC_LEN, ka, r);
	rc = 0;
out:
	sodium_memzero(az, sizeof(az));
	sodium_memzero(wide, sizeof(wide));
	sodium_memzero(a, sizeof(a));
	sodium_memzero(r, sizeof(r));
	sodium_memzero(ka, sizeof(ka));
	return rc;
}

int mysql_parsec_response(uint8_t out[MYSQL_PARSEC_RESPONSE_LEN],
			  const char *pw, size_t pwlen,
			  const uint8_t server_nonce[32],
			  const uint8_t client_nonce[32], const uint8_t *ext,
			  size_t extlen)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t msg[64];
	int rc = -1;

	/* ext-salt: 'P' (PBKDF2), the iteration factor, the salt. */
	if (extlen < 3 || ext[0] != 'P' || ext[1] > MYSQL_PARSEC_FACTOR_MAX ||
	    extlen - 2 > INT_MAX || pwlen > INT_MAX || ready())
		return -1;
	if (PKCS5_PBKDF2_HMAC(pw, (int)pwlen, ext + 2, (int)(extlen - 2),
			      1024 << ext[1], EVP_sha512(), (int)sizeof(seed),
			      seed) != 1)
		goto out;
	if (crypto_sign_seed_keypair(pk, sk, seed))
		goto out;
	memcpy(msg, server_nonce, 32);
	memcpy(msg + 32, client_nonce, 32);
	if (crypto_sign_detached(out + 32, NULL, msg, sizeof(msg), sk))
		goto out;
	memcpy(out, client_nonce, 32);
	rc = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

int mysql_random_bytes(uint8_t *buf, size_t n)
{
	return n <= INT_MAX && RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}
