/* test_mysql_compress.c - the compressed protocol's inflater
 * (mysql/compress.h) on streams laid out as MySQL's "Compression" pages
 * show them: 7-byte headers (compressed length, compressed sequence id,
 * length before compression, 0 for a payload stored as it is), zlib and
 * zstd payloads, MySQL packets spanning compressed packets. Every stream
 * is fed whole and one byte at a time; both must give the same bytes
 * (a damaged one: the same verdict and offset).
 * Damaged streams end in MYSQL_BAD with the offset of the packet at fault.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>

#include "mysql/compress.h"

/* The MySQL packet "COM_QUERY SELECT "0123...789"" (50-byte payload), and
 * its zlib stream as zlib's compress() writes it (level 6). */
static const uint8_t query[] = "\x32\x00\x00\x00\x03SELECT "
			       "\"0123456789012345678901234567890123456789\"";
#define QUERY_LEN (sizeof(query) - 1)
static const uint8_t query_z[] = {
	0x78, 0x9c, 0x33, 0x62, 0x60, 0x60, 0x60, 0x0e, 0x76, 0xf5, 0x71, 0x75,
	0x0e, 0x51, 0x50, 0x32, 0x30, 0x34, 0x32, 0x36, 0x31, 0x35, 0x33, 0xb7,
	0xb0, 0xc4, 0xcf, 0x52, 0x02, 0x00, 0x16, 0xf5, 0x0a, 0x8e};

/* COM_PING, stored as it is (under the 50-byte threshold): header
 * 05 00 00 | 00 | 00 00 00, then the packet 01 00 00 00 0e. */
static const uint8_t ping_stored[] = {0x05, 0x00, 0x00, 0x00, 0x00, 0x00,
				      0x00, 0x01, 0x00, 0x00, 0x00, 0x0e};

struct sink {
	uint8_t buf[1 << 17];
	size_t n;
	unsigned starts; /* calls that began a compressed packet's output */
};

static void collect(void *ud, const uint8_t *p, size_t n, int packet_start)
{
	struct sink *s = ud;

	assert_true(s->n + n <= sizeof(s->buf));
	memcpy(s->buf + s->n, p, n);
	s->n += n;
	s->starts += packet_start ? 1u : 0u;
}

/* Feeds the stream whole, then byte by byte; both sinks must agree.
 * Returns the result of the byte-by-byte run (*off on MYSQL_BAD). */
static int feed_both(enum mysql_comp_algo algo, const uint8_t *p, size_t n,
		     struct sink *out, uint64_t *off)
{
	struct mysql_inflater *z = mysql_inflater_new(algo);
	struct sink *whole = calloc(1, sizeof(*whole));
	uint64_t off1 = 0, off2 = 0;
	int rc1, rc2 = MYSQL_OK;
	size_t i;

	assert_non_null(z);
	assert_non_null(whole);
	rc1 = mysql_inflater_feed(z, p, n, collect, whole, &off1);
	mysql_inflater_free(z);
	z = mysql_inflater_new(algo);
	memset(out, 0, sizeof(*out));
	for (i = 0; i < n && rc2 == MYSQL_OK; i++)
		rc2 = mysql_inflater_feed(z, p + i, 1, collect, out, &off2);
	mysql_inflater_free(z);
	assert_int_equal(rc1, rc2);
	if (rc1 == MYSQL_OK) {
		assert_int_equal(whole->n, out->n);
		assert_memory_equal(whole->buf, out->buf, out->n);
	} else {
		/* what came out before the damage was found depends on the
		 * cuts; where the bad packet starts does not */
		assert_int_equal(off1, off2);
	}
	*off = off2;
	free(whole);
	return rc2;
}

static size_t put_header(uint8_t *b, uint32_t clen, uint8_t seq, uint32_t rlen)
{
	b[0] = (uint8_t)clen;
	b[1] = (uint8_t)(clen >> 8);
	b[2] = (uint8_t)(clen >> 16);
	b[3] = seq;
	b[4] = (uint8_t)rlen;
	b[5] = (uint8_t)(rlen >> 8);
	b[6] = (uint8_t)(rlen >> 16);
	return MYSQL_COMP_HEADER_LEN;
}

static void test_header(void **state)
{
	struct mysql_comp_header h;

	(void)state;
	assert_int_equal(mysql_comp_header_parse(ping_stored, 6, &h),
			 MYSQL_NEED_MORE);
	assert_int_equal(mysql_comp_header_parse(ping_stored, 7, &h), MYSQL_OK);
	assert_int_equal(h.comp_len, 5);
	assert_int_equal(h.seq, 0);
	assert_int_equal(h.raw_len, 0);
	assert_int_equal(mysql_comp_algo(MYSQL_CLIENT_COMPRESS),
			 MYSQL_COMP_ZLIB);
	assert_int_equal(
		mysql_comp_algo(MYSQL_CLIENT_ZSTD_COMPRESSION_ALGORITHM),
		MYSQL_COMP_ZSTD);
	assert_int_equal(mysql_comp_algo(0), MYSQL_COMP_NONE);
}

/* A stored packet, then the zlib query: both come out as they were. */
static void test_zlib_fixed(void **state)
{
	uint8_t s[256];
	size_t n = 0;
	struct sink *out = malloc(sizeof(*out));
	uint64_t off;

	(void)state;
	memcpy(s, ping_stored, sizeof(ping_stored));
	n += sizeof(ping_stored);
	n += put_header(s + n, sizeof(query_z), 1, QUERY_LEN);
	memcpy(s + n, query_z, sizeof(query_z));
	n += sizeof(query_z);
	assert_int_equal(feed_both(MYSQL_COMP_ZLIB, s, n, out, &off), MYSQL_OK);
	assert_int_equal(out->n, 5 + QUERY_LEN);
	assert_memory_equal(out->buf, ping_stored + 7, 5);
	assert_memory_equal(out->buf + 5, query, QUERY_LEN);
	assert_int_equal(out->starts, 2);
	free(out);
}

/* One large result (a 40,000-byte MySQL packet) split into three
 * compressed packets, each its own zlib stream or zstd frame: the
 * inflated bytes join into the one packet. */
static void spanning(enum mysql_comp_algo algo)
{
	size_t plen = 40000, cuts[4] = {0, 12000, 30000, 40004};
	uint8_t *pkt = malloc(plen + 4);
	uint8_t *s = malloc(3 * (plen + 1024));
	struct sink *out = malloc(sizeof(*out));
	size_t n = 0, i;
	uint64_t off;

	pkt[0] = (uint8_t)plen;
	pkt[1] = (uint8_t)(plen >> 8);
	pkt[2] = 0;
	pkt[3] = 1;
	for (i = 0; i < plen; i++)
		pkt[4 + i] = (uint8_t)("row data "[i % 9] + (i / 997) % 3);
	for (i = 0; i < 3; i++) {
		size_t raw = cuts[i + 1] - cuts[i], cl;

		if (algo == MYSQL_COMP_ZLIB) {
			uLongf zl = (uLongf)(plen + 1024);

			assert_int_equal(compress2(s + n + 7, &zl,
						   pkt + cuts[i], raw, 6),
					 Z_OK);
			cl = zl;
		} else {
			cl = ZSTD_compress(s + n + 7, plen + 1024,
					   pkt + cuts[i], raw, 3);
			assert_false(ZSTD_isError(cl));
		}
		put_header(s + n, (uint32_t)cl, (uint8_t)i, (uint32_t)raw);
		n += 7 + cl;
	}
	assert_int_equal(feed_both(algo, s, n, out, &off), MYSQL_OK);
	assert_int_equal(out->n, plen + 4);
	assert_memory_equal(out->buf, pkt, plen + 4);
	assert_int_equal(out->starts, 3);
	free(pkt);
	free(s);
	free(out);
}

static void test_zlib_spanning(void **state)
{
	(void)state;
	spanning(MYSQL_COMP_ZLIB);
}

static void test_zstd_spanning(void **state)
{
	(void)state;
	spanning(MYSQL_COMP_ZSTD);
}

/* Damage: each case is the stored ping, then a packet at offset 12 that
 * must be refused, with that offset. */
static void test_damaged(void **state)
{
	uint8_t s[256];
	struct sink *out = malloc(sizeof(*out));
	uint64_t off = 0;
	size_t n;

	(void)state;
	/* a flipped byte inside the deflate data */
	memcpy(s, ping_stored, 12);
	n = 12 + put_header(s + 12, sizeof(query_z), 1, QUERY_LEN);
	memcpy(s + n, query_z, sizeof(query_z));
	s[n + 10] ^= 0x55;
	n += sizeof(query_z);
	assert_int_equal(feed_both(MYSQL_COMP_ZLIB, s, n, out, &off),
			 MYSQL_BAD);
	assert_int_equal(off, 12);
	/* a header that promises fewer bytes than the data inflates to */
	n = 12 + put_header(s + 12, sizeof(query_z), 1, QUERY_LEN - 1);
	memcpy(s + n, query_z, sizeof(query_z));
	n += sizeof(query_z);
	assert_int_equal(feed_both(MYSQL_COMP_ZLIB, s, n, out, &off),
			 MYSQL_BAD);
	assert_int_equal(off, 12);
	assert_true(out->n <= 5 + QUERY_LEN - 1);
	/* ... or more than it does */
	n = 12 + put_header(s + 12, sizeof(query_z), 1, QUERY_LEN + 1);
	memcpy(s + n, query_z, sizeof(query_z));
	n += sizeof(query_z);
	assert_int_equal(feed_both(MYSQL_COMP_ZLIB, s, n, out, &off),
			 MYSQL_BAD);
	/* nothing to inflate into something */
	n = 12 + put_header(s + 12, 0, 1, 100);
	assert_int_equal(feed_both(MYSQL_COMP_ZLIB, s, n, out, &off),
			 MYSQL_BAD);
	assert_int_equal(off, 12);
	/* zlib bytes handed to zstd */
	n = 12 + put_header(s + 12, sizeof(query_z), 1, QUERY_LEN);
	memcpy(s + n, query_z, sizeof(query_z));
	n += sizeof(query_z);
	assert_int_equal(feed_both(MYSQL_COMP_ZSTD, s, n, out, &off),
			 MYSQL_BAD);
	assert_int_equal(off, 12);
	free(out);
}

static void count(void *ud, const uint8_t *p, size_t n, int packet_start)
{
	size_t *total = ud;

	(void)p;
	(void)packet_start;
	*total += n;
}

/* A bomb: 16 MiB + 4 KiB of zeros under a header that claims 16 MiB - 1
 * (the most it can): the inflater stops at the header's length and
 * refuses the packet, having handed out no more than that. */
static void test_bound(void **state)
{
	size_t raw = 0xffffff, big = raw + 4096, total = 0;
	uint8_t *zeros = calloc(1, big);
	uLongf zl = (uLongf)compressBound((uLong)big);
	uint8_t *s = malloc(zl + 7);
	struct mysql_inflater *z = mysql_inflater_new(MYSQL_COMP_ZLIB);
	uint64_t off = 99;

	(void)state;
	assert_int_equal(compress2(s + 7, &zl, zeros, big, 9), Z_OK);
	put_header(s, (uint32_t)zl, 0, (uint32_t)raw);
	assert_int_equal(mysql_inflater_feed(z, s, zl + 7, count, &total, &off),
			 MYSQL_BAD);
	assert_int_equal(off, 0);
	assert_true(total <= raw);
	/* it takes nothing more afterwards */
	assert_int_equal(mysql_inflater_feed(z, ping_stored,
					     sizeof(ping_stored), count, &total,
					     &off),
			 MYSQL_BAD);
	assert_true(total <= raw);
	mysql_inflater_free(z);
	free(zeros);
	free(s);
}

/* The sender's side: COM_PING (5 bytes, under the 50-byte threshold) goes
 * stored, byte for byte the ping_stored vector; the 54-byte query packet
 * goes as the zlib stream zlib's compress() writes (query_z) behind the
 * header 22 00 00 | 00 | 36 00 00. */
static void test_deflate_zlib(void **state)
{
	uint8_t out[256];
	long n;

	(void)state;
	n = mysql_deflate_packet(MYSQL_COMP_ZLIB, 0, 0, ping_stored + 7, 5, out,
				 sizeof(out));
	assert_int_equal(n, sizeof(ping_stored));
	assert_memory_equal(out, ping_stored, sizeof(ping_stored));

	n = mysql_deflate_packet(MYSQL_COMP_ZLIB, 0, 0, query, QUERY_LEN, out,
				 sizeof(out));
	assert_int_equal(n, 7 + sizeof(query_z));
	assert_memory_equal(out, "\x22\x00\x00\x00\x36\x00\x00", 7);
	assert_memory_equal(out + 7, query_z, sizeof(query_z));

	/* A cap under the bound is refused, whatever the data needs. */
	assert_int_equal(
		mysql_deflate_packet(MYSQL_COMP_ZLIB, 0, 0, query, QUERY_LEN,
				     out, mysql_deflate_bound(QUERY_LEN) - 1),
		MYSQL_TOOBIG);
	assert_int_equal(mysql_deflate_packet(MYSQL_COMP_NONE, 0, 0, query,
					      QUERY_LEN, out, sizeof(out)),
			 MYSQL_BAD);
}

/* zstd: a frame (its magic first) that the inflater gives back as it was;
 * bytes that do not compress (a xorshift sequence) go stored; the
 * compressed sequence id lands in byte 3 and is what the inflater reports
 * afterwards, and mysql_inflater_want() counts down to a packet's end. */
static void test_deflate_zstd_roundtrip(void **state)
{
	uint8_t in[4000], noise[200], out[8192];
	struct sink *got = calloc(1, sizeof(*got));
	struct mysql_inflater *z;
	uint64_t off = 0, x = 88172645463325252ull;
	size_t i;
	long n, m;

	(void)state;
	assert_non_null(got);
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)("SELECT 1;"[i % 9]);
	for (i = 0; i < sizeof(noise); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		noise[i] = (uint8_t)x;
	}
	n = mysql_deflate_packet(MYSQL_COMP_ZSTD, 3, 4, in, sizeof(in), out,
				 sizeof(out));
	assert_true(n > 7 && n < 200);
	assert_int_equal(out[0] | out[1] << 8 | out[2] << 16, n - 7);
	assert_int_equal(out[3], 4);
	assert_int_equal(out[4] | out[5] << 8 | out[6] << 16, sizeof(in));
	assert_memory_equal(out + 7, "\x28\xb5\x2f\xfd", 4);
	m = mysql_deflate_packet(MYSQL_COMP_ZSTD, 3, 5, noise, sizeof(noise),
				 out + n, sizeof(out) - (size_t)n);
	assert_int_equal(m, 7 + sizeof(noise));
	assert_memory_equal(out + n + 4, "\x00\x00\x00", 3); /* stored */

	z = mysql_inflater_new(MYSQL_COMP_ZSTD);
	assert_non_null(z);
	assert_int_equal(mysql_inflater_want(z), 7);
	assert_int_equal(mysql_inflater_feed(z, out, 7, collect, got, &off),
			 MYSQL_OK);
	assert_int_equal(mysql_inflater_seq(z), 4);
	assert_int_equal(mysql_inflater_want(z), (size_t)n - 7);
	assert_int_equal(mysql_inflater_feed(z, out + 7, (size_t)(n + m - 7),
					     collect, got, &off),
			 MYSQL_OK);
	assert_int_equal(mysql_inflater_seq(z), 5);
	assert_int_equal(mysql_inflater_want(z), 7);
	assert_int_equal(got->n, sizeof(in) + sizeof(noise));
	assert_memory_equal(got->buf, in, sizeof(in));
	assert_memory_equal(got->buf + sizeof(in), noise, sizeof(noise));
	mysql_inflater_free(z);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_zlib_fixed),
		cmocka_unit_test(test_zlib_spanning),
		cmocka_unit_test(test_zstd_spanning),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_deflate_zlib),
		cmocka_unit_test(test_deflate_zstd_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
