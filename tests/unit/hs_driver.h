/* hs_driver.h - the server's side and the driver of the handshake machine
 * tests (test_mysql_handshake.c, test_mysql_hs_plugins.c): byte streams
 * built packet by packet, and a loop that hands them to mysql_hs_feed() all
 * at once or one byte at a time, collecting everything the client sends.
 * The includer defines PW (the password every run logs in with). */
#ifndef CONNDOCTOR_TESTS_HS_DRIVER_H
#define CONNDOCTOR_TESTS_HS_DRIVER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "mysql/handshake.h"

/* ---- building the server's side ---- */

/* A byte stream the server sends, built packet by packet. */
struct stream {
	uint8_t b[8192];
	size_t len;
};

static inline void put(struct stream *s, uint8_t seq, const void *p, size_t n)
{
	assert_true(s->len + 4 + n <= sizeof(s->b));
	s->b[s->len++] = (uint8_t)n;
	s->b[s->len++] = (uint8_t)(n >> 8);
	s->b[s->len++] = (uint8_t)(n >> 16);
	s->b[s->len++] = seq;
	memcpy(s->b + s->len, p, n);
	s->len += n;
}

/* A HandshakeV10 payload written byte by byte (MariaDB 10.11's layout). */
static inline size_t greeting(uint8_t *out, uint32_t caps, const char *plugin,
			      const uint8_t *scramble)
{
	static const char ver[] = "5.5.5-10.11.19-MariaDB";
	size_t n = 0, plen = strlen(plugin);

	out[n++] = 10;
	memcpy(out + n, ver, sizeof(ver));
	n += sizeof(ver);
	out[n++] = 7; /* connection id 7 */
	out[n++] = 0;
	out[n++] = 0;
	out[n++] = 0;
	memcpy(out + n, scramble, 8);
	n += 8;
	out[n++] = 0;
	out[n++] = (uint8_t)caps;
	out[n++] = (uint8_t)(caps >> 8);
	out[n++] = 45;
	out[n++] = 2;
	out[n++] = 0;
	out[n++] = (uint8_t)(caps >> 16);
	out[n++] = (uint8_t)(caps >> 24);
	out[n++] = 21;
	memset(out + n, 0, 10);
	n += 10;
	memcpy(out + n, scramble + 8, 12);
	n += 12;
	out[n++] = 0;
	memcpy(out + n, plugin, plen + 1);
	return n + plen + 1;
}

static inline void put_greeting(struct stream *s, uint32_t caps,
				const char *plugin, const uint8_t *scramble)
{
	uint8_t g[128];

	put(s, 0, g, greeting(g, caps, plugin, scramble));
}

/* An auth switch request to plugin with a new 20-byte scramble. */
static inline void put_switch(struct stream *s, uint8_t seq, const char *plugin,
			      const uint8_t *scramble)
{
	uint8_t p[96];
	size_t n = strlen(plugin) + 1;

	p[0] = 0xfe;
	memcpy(p + 1, plugin, n);
	memcpy(p + 1 + n, scramble, 20);
	p[1 + n + 20] = 0;
	put(s, seq, p, n + 22);
}

/* An auth switch request to plugin with n bytes of data as they are (the
 * Ed25519 plugins' 32-byte nonce has no NUL after it). */
static inline void put_switch_data(struct stream *s, uint8_t seq,
				   const char *plugin, const uint8_t *data,
				   size_t n)
{
	uint8_t p[128];
	size_t pl = strlen(plugin) + 1;

	assert_true(1 + pl + n <= sizeof(p));
	p[0] = 0xfe;
	memcpy(p + 1, plugin, pl);
	memcpy(p + 1 + pl, data, n);
	put(s, seq, p, 1 + pl + n);
}

/* ---- driving the machine ---- */

struct run {
	struct mysql_hs hs;
	struct mysql_hs_config cfg;
	uint8_t in[8192]; /* bytes received, not yet consumed */
	size_t have;
	const struct stream *src;
	size_t given;	   /* bytes of src handed over so far */
	int per_byte;	   /* hand them over one at a time */
	uint8_t out[8192]; /* everything the client sent */
	size_t out_len;
};

static inline void run_init(struct run *r, const struct stream *src,
			    int per_byte)
{
	memset(&r->cfg, 0, sizeof(r->cfg));
	r->cfg.user = "cd";
	r->cfg.password = PW;
	r->cfg.tls = MYSQL_HS_TLS_PREFER;
	r->have = r->given = r->out_len = 0;
	r->src = src;
	r->per_byte = per_byte;
	mysql_hs_init(&r->hs, &r->cfg);
}

static inline void collect(struct run *r)
{
	size_t n;
	const uint8_t *p = mysql_hs_output(&r->hs, &n);

	if (!n)
		return;
	assert_true(r->out_len + n <= sizeof(r->out));
	memcpy(r->out + r->out_len, p, n);
	r->out_len += n;
}

/* Feeds the server's bytes until the machine has an event other than
 * MYSQL_HS_READ, or needs more bytes when there are none left (then
 * MYSQL_HS_READ). */
static inline enum mysql_hs_event drive(struct run *r)
{
	enum mysql_hs_event ev;
	size_t used, before;

	for (;;) {
		before = r->out_len;
		ev = mysql_hs_feed(&r->hs, r->in, r->have, &used);
		collect(r);
		assert_true(used <= r->have);
		memmove(r->in, r->in + used, r->have - used);
		r->have -= used;
		if (ev != MYSQL_HS_READ)
			return ev;
		if (used || r->out_len > before)
			continue; /* progress: go on with what is left */
		if (r->given == r->src->len)
			return MYSQL_HS_READ;
		if (r->per_byte) {
			r->in[r->have++] = r->src->b[r->given++];
		} else {
			memcpy(r->in + r->have, r->src->b + r->given,
			       r->src->len - r->given);
			r->have += r->src->len - r->given;
			r->given = r->src->len;
		}
	}
}

/* The greeting, then on to the next event. */
static inline enum mysql_hs_event drive_past_greeting(struct run *r)
{
	assert_int_equal(drive(r), MYSQL_HS_GREETING);
	return drive(r);
}

/* Checks the client's output from offset *off is the packet of n bytes. */
static inline void expect_out(struct run *r, size_t *off, const uint8_t *pkt,
			      size_t n)
{
	assert_true(*off + n <= r->out_len);
	assert_memory_equal(r->out + *off, pkt, n);
	*off += n;
}

/* The client's packet at *off: checks its sequence id, returns its payload
 * and length, moves *off past it. */
static inline const uint8_t *out_packet(struct run *r, size_t *off, uint8_t seq,
					size_t *len)
{
	const uint8_t *p = r->out + *off;

	assert_true(*off + 4 <= r->out_len);
	*len = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16;
	assert_int_equal(p[3], seq);
	assert_true(*off + 4 + *len <= r->out_len);
	*off += 4 + *len;
	return p + 4;
}

/* ---- RSA ---- */

/* A 2048-bit RSA key made for this run; its public half as PEM text. */
static inline EVP_PKEY *make_key(char *pem, size_t cap, size_t *pem_len)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;

	assert_non_null(key);
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, key), 1);
	n = BIO_get_mem_data(bio, &data);
	assert_true(n > 0 && (size_t)n < cap);
	memcpy(pem, data, (size_t)n);
	pem[n] = 0;
	*pem_len = (size_t)n;
	BIO_free(bio);
	return key;
}

/* Decrypts (OAEP) and checks the plaintext is (pw + NUL) XOR scramble. */
static inline void check_rsa(EVP_PKEY *key, const uint8_t *c, size_t clen,
			     const uint8_t *scramble)
{
	uint8_t plain[512];
	size_t plen = sizeof(plain), i;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);

	assert_non_null(ctx);
	assert_int_equal(clen, 256);
	assert_int_equal(EVP_PKEY_decrypt_init(ctx), 1);
	assert_int_equal(
		EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING), 1);
	assert_int_equal(EVP_PKEY_decrypt(ctx, plain, &plen, c, clen), 1);
	EVP_PKEY_CTX_free(ctx);
	assert_int_equal(plen, sizeof(PW));
	for (i = 0; i < plen; i++)
		assert_int_equal(plain[i], (uint8_t)PW[i] ^ scramble[i % 20]);
}

#endif /* CONNDOCTOR_TESTS_HS_DRIVER_H */
