/* ed25519.h - the Ed25519 auth plugins of MariaDB: client_ed25519 (MariaDB
 * "Authentication Plugin - ed25519" page: the key comes from SHA-512 of a
 * password of any length) and PARSEC (MariaDB 11.6+, "Authentication
 * Plugin - PARSEC" page: PBKDF2-SHA512 with the server's salt and
 * iterations, then stock Ed25519), built on libsodium's primitives. Pure
 * functions over byte buffers; every buffer derived from the password is
 * wiped before they return.
 */
#ifndef CONNDOCTOR_MYSQL_ED25519_H
#define CONNDOCTOR_MYSQL_ED25519_H

#include <stddef.h>
#include <stdint.h>

#define MYSQL_ED25519_NONCE_LEN 32 /* the server's (and PARSEC client's) */
#define MYSQL_ED25519_SIG_LEN	64
#define MYSQL_ED25519_PK_LEN	32
/* PARSEC's answer: the client's nonce, then the signature. */
#define MYSQL_PARSEC_RESPONSE_LEN (32 + 64)
/* The largest iteration factor accepted (1024 << 3 = 8,192 PBKDF2
 * rounds), as MariaDB's Connector/C client: a server asking for more is
 * refused rather than let it make each attempt cost up to a second of
 * the probe's loop (the fuzz campaign's timeout with factor 10). MariaDB's
 * default is 0. */
#define MYSQL_PARSEC_FACTOR_MAX 3

/* The public key MariaDB stores for password pw (the base64 of it is the
 * account's authentication_string). Returns 0 or -1. */
int mysql_ed25519_pubkey(uint8_t pk[MYSQL_ED25519_PK_LEN], const char *pw,
			 size_t pwlen);

/* client_ed25519's answer: the Ed25519 signature of msg (the server's
 * 32-byte nonce) with the key derived from pw. Returns 0 or -1. */
int mysql_ed25519_sign(uint8_t sig[MYSQL_ED25519_SIG_LEN], const char *pw,
		       size_t pwlen, const uint8_t *msg, size_t msglen);

/* PARSEC's answer into out: client_nonce, then the Ed25519 signature of
 * server_nonce + client_nonce with the seed PBKDF2-SHA512(pw, salt,
 * 1024 << factor, 32). ext is the server's ext-salt ('P', factor, salt).
 * Returns 0, or -1 when ext is malformed, asks for more than
 * MYSQL_PARSEC_FACTOR_MAX, or the crypto fails. */
int mysql_parsec_response(uint8_t out[MYSQL_PARSEC_RESPONSE_LEN],
			  const char *pw, size_t pwlen,
			  const uint8_t server_nonce[32],
			  const uint8_t client_nonce[32], const uint8_t *ext,
			  size_t extlen);

/* Fills buf with n random bytes (PARSEC's client nonce). Returns 0 or -1. */
int mysql_random_bytes(uint8_t *buf, size_t n);

#endif /* CONNDOCTOR_MYSQL_ED25519_H */
