/* test_mysql_wire.c - framing, length-encoded integers and command packets:
 * every strict prefix of a frame or packet must be MYSQL_NEED_MORE (the
 * per-byte split), also at the guard page, including the 16 MiB - 1 payload
 * split over two frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mysql/mysql.h"
#include "guard.h"

/* MariaDB 10.11.19's OK after login, a whole frame (seq 2), from
 * tests/data/mysql/mariadb-10.11.19.hex ("login_ok"). */
static const uint8_t login_ok_frame[] = {0x07, 0x00, 0x00, 0x02, 0x00, 0x00,
					 0x00, 0x02, 0x00, 0x00, 0x00};

/* The same server's "SELECT a, b FROM t.x" response, frames 1, 2 and 4
 * (column count, first column definition, EOF). */
static const uint8_t rs_frames[] = {
	0x01, 0x00, 0x00, 0x01, 0x02, 0x1b, 0x00, 0x00, 0x02, 0x03, 0x64, 0x65,
	0x66, 0x01, 0x74, 0x01, 0x78, 0x01, 0x78, 0x01, 0x61, 0x01, 0x61, 0x0c,
	0x3f, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x05, 0x00, 0x00, 0x04, 0xfe, 0x00, 0x00, 0x22, 0x00,
};

static void test_lenenc_vectors(void **state)
{
	static const struct {
		uint8_t b[9];
		size_t n;
		uint64_t v;
	} vec[] = {
		{{0x00}, 1, 0},
		{{0xfa}, 1, 250},
		{{0xfc, 0xfb, 0x00}, 3, 251},
		{{0xfc, 0xff, 0xff}, 3, 0xffff},
		{{0xfd, 0x00, 0x00, 0x01}, 4, 0x10000},
		{{0xfd, 0xff, 0xff, 0xff}, 4, 0xffffff},
		{{0xfe, 1, 2, 3, 4, 5, 6, 7, 8}, 9, 0x0807060504030201ull},
		{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		 9,
		 UINT64_MAX},
	};
	struct guard g;
	size_t i, k, used;
	uint64_t v;
	const uint8_t *p;

	(void)state;
	guard_init(&g, 16);
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		for (k = 0; k < vec[i].n; k++) {
			p = guard_put(&g, vec[i].b, k);
			assert_int_equal(mysql_lenenc_int(p, k, &v, &used),
					 MYSQL_NEED_MORE);
		}
		p = guard_put(&g, vec[i].b, vec[i].n);
		assert_int_equal(mysql_lenenc_int(p, vec[i].n, &v, &used),
				 MYSQL_OK);
		assert_int_equal(used, vec[i].n);
		assert_true(v == vec[i].v);
	}
	/* 0xfb is NULL, 0xff an ERR header: neither is an integer. */
	p = guard_put(&g, "\xfb", 1);
	assert_int_equal(mysql_lenenc_int(p, 1, &v, &used), MYSQL_BAD);
	p = guard_put(&g, "\xff", 1);
	assert_int_equal(mysql_lenenc_int(p, 1, &v, &used), MYSQL_BAD);
	guard_free(&g);
}

static void test_lenenc_put(void **state)
{
	static const uint64_t vals[] = {0,	  1,	     250,
					251,	  0xffff,    0x10000,
					0xffffff, 0x1000000, UINT64_MAX};
	uint8_t buf[9];
	size_t i, used;
	uint64_t v;
	long n;

	(void)state;
	assert_int_equal(mysql_lenenc_size(250), 1);
	assert_int_equal(mysql_lenenc_size(251), 3);
	assert_int_equal(mysql_lenenc_size(0xffff), 3);
	assert_int_equal(mysql_lenenc_size(0x10000), 4);
	assert_int_equal(mysql_lenenc_size(0xffffff), 4);
	assert_int_equal(mysql_lenenc_size(0x1000000), 9);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		n = mysql_put_lenenc_int(buf, sizeof(buf), vals[i]);
		assert_int_equal(n, (long)mysql_lenenc_size(vals[i]));
		assert_int_equal(mysql_lenenc_int(buf, (size_t)n, &v, &used),
				 MYSQL_OK);
		assert_true(v == vals[i]);
		assert_int_equal(used, (size_t)n);
		assert_int_equal(
			mysql_put_lenenc_int(buf, (size_t)n - 1, vals[i]),
			MYSQL_TOOBIG);
	}
}

static void test_frame_split(void **state)
{
	struct mysql_frame f;
	struct guard g;
	const uint8_t *p;
	size_t k, n = sizeof(login_ok_frame);

	(void)state;
	guard_init(&g, n);
	for (k = 0; k < n; k++) {
		p = guard_put(&g, login_ok_frame, k);
		assert_int_equal(mysql_frame_parse(p, k, &f), MYSQL_NEED_MORE);
	}
	p = guard_put(&g, login_ok_frame, n);
	assert_int_equal(mysql_frame_parse(p, n, &f), (long)n);
	assert_int_equal(f.len, 7);
	assert_int_equal(f.seq, 2);
	assert_ptr_equal(f.payload, p + 4);
	guard_free(&g);

	/* Bytes after the frame are not part of it. */
	assert_int_equal(mysql_frame_parse(rs_frames, sizeof(rs_frames), &f),
			 5);
	assert_int_equal(f.len, 1);
	assert_int_equal(f.seq, 1);
	assert_int_equal(f.payload[0], 2);
	/* An empty payload is a whole frame. */
	assert_int_equal(mysql_frame_parse((const uint8_t *)"\0\0\0\7", 4, &f),
			 4);
	assert_int_equal(f.len, 0);
	assert_int_equal(f.seq, 7);
}

static void test_frame_header(void **state)
{
	uint8_t h[4];

	(void)state;
	mysql_frame_header(h, 0x123456, 9);
	assert_memory_equal(h, "\x56\x34\x12\x09", 4);
	mysql_frame_header(h, MYSQL_MAX_FRAME, 255);
	assert_memory_equal(h, "\xff\xff\xff\xff", 4);
}

/* A stream of frames read packet by packet, one byte more at a time. */
static void test_packet_stream_split(void **state)
{
	static const size_t ends[] = {5, 36, 45};
	static const uint8_t seqs[] = {1, 2, 4};
	struct mysql_packet pk;
	struct guard g;
	const uint8_t *p;
	size_t k, start = 0, e = 0;
	long rc;

	(void)state;
	guard_init(&g, sizeof(rs_frames));
	for (k = 0; k <= sizeof(rs_frames); k++) {
		p = guard_put(&g, rs_frames + start, k - start);
		rc = mysql_packet_parse(p, k - start, 1024, &pk);
		if (k < ends[e]) {
			assert_int_equal(rc, MYSQL_NEED_MORE);
			continue;
		}
		assert_int_equal(rc, (long)(ends[e] - start));
		assert_int_equal(pk.nframes, 1);
		assert_int_equal(pk.seq, seqs[e]);
		assert_int_equal(pk.last_seq, seqs[e]);
		assert_int_equal(pk.len, ends[e] - start - 4);
		assert_ptr_equal(pk.payload, p + 4);
		start = ends[e++];
	}
	assert_int_equal(e, 3);
	guard_free(&g);
}

/* Writes a payload of len bytes as a packet, parses it back with every
 * strict prefix MYSQL_NEED_MORE, and gathers it. */
static void check_big_packet(size_t len, unsigned frames, uint8_t seq)
{
	size_t span = len + 4 * frames, k;
	uint8_t *payload = malloc(len + 1), *buf = malloc(span), *back;
	struct mysql_packet pk;
	struct guard g;
	const uint8_t *p;
	uint8_t next = 0;
	size_t i;
	static const size_t probes[] = {0, 1, 3, 4, 5, 100};

	assert_non_null(payload);
	assert_non_null(buf);
	for (i = 0; i < len; i++)
		payload[i] = (uint8_t)(i * 7 + i / 251);
	assert_int_equal(
		mysql_packet_write(buf, span - 1, payload, len, seq, &next),
		MYSQL_TOOBIG);
	assert_int_equal(
		mysql_packet_write(buf, span, payload, len, seq, &next),
		(long)span);
	assert_int_equal(next, (uint8_t)(seq + frames));

	/* The per-byte split: every prefix of the stream. */
	for (k = 0; k < span; k++)
		assert_int_equal(mysql_packet_parse(buf, k, len, &pk),
				 MYSQL_NEED_MORE);
	assert_int_equal(mysql_packet_parse(buf, span, len, &pk), (long)span);
	assert_int_equal(pk.len, len);
	assert_int_equal(pk.nframes, frames);
	assert_int_equal(pk.seq, seq);
	assert_int_equal(pk.last_seq, (uint8_t)(seq + frames - 1));
	if (frames > 1)
		assert_null(pk.payload);
	/* One byte under the cap is too big, once a header says so. */
	if (len)
		assert_int_equal(mysql_packet_parse(buf, span, len - 1, &pk),
				 MYSQL_TOOBIG);

	back = malloc(len + 1);
	assert_non_null(back);
	mysql_packet_gather(buf, span, back);
	assert_memory_equal(back, payload, len);
	free(back);

	/* At the guard page: the whole, and prefixes near each frame end. */
	guard_init(&g, span);
	p = guard_put(&g, buf, span);
	assert_int_equal(mysql_packet_parse(p, span, len, &pk), (long)span);
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		size_t f;

		for (f = 0; f < frames; f++) {
			k = f * (MYSQL_MAX_FRAME + 4) + probes[i];
			if (k >= span)
				continue;
			p = guard_put(&g, buf, k);
			assert_int_equal(mysql_packet_parse(p, k, len, &pk),
					 MYSQL_NEED_MORE);
		}
		k = span - 1 - probes[i] % span;
		p = guard_put(&g, buf, k);
		assert_int_equal(mysql_packet_parse(p, k, len, &pk),
				 MYSQL_NEED_MORE);
	}
	guard_free(&g);
	free(payload);
	free(buf);
}

/* 16 MiB - 1 is a full frame and an empty one; a sequence id wraps. */
static void test_packet_16m_minus_1(void **state)
{
	(void)state;
	check_big_packet(MYSQL_MAX_FRAME, 2, 0);
	check_big_packet(MYSQL_MAX_FRAME, 2, 255);
}

static void test_packet_over_16m(void **state)
{
	(void)state;
	check_big_packet(MYSQL_MAX_FRAME + 10, 2, 3);
	check_big_packet(2 * (size_t)MYSQL_MAX_FRAME, 3, 0);
}

static void test_packet_small(void **state)
{
	uint8_t buf[64], next;
	struct mysql_packet pk;

	(void)state;
	check_big_packet(0, 1, 0);
	check_big_packet(1, 1, 9);
	assert_int_equal(
		mysql_packet_write(buf, sizeof(buf), NULL, 0, 4, &next), 4);
	assert_memory_equal(buf, "\0\0\0\4", 4);
	assert_int_equal(next, 5);
	/* The cap is checked from the header, before the payload arrives. */
	assert_int_equal(mysql_packet_parse(login_ok_frame, 4, 6, &pk),
			 MYSQL_TOOBIG);
	assert_int_equal(mysql_packet_parse(login_ok_frame, 4, 7, &pk),
			 MYSQL_NEED_MORE);
}

/* A continuation frame must carry the next sequence id. */
static void test_packet_bad_seq(void **state)
{
	size_t len = MYSQL_MAX_FRAME + 1, span = len + 8;
	uint8_t *payload = calloc(1, len), *buf = malloc(span), next;
	struct mysql_packet pk;
	size_t second = MYSQL_MAX_FRAME + 4;

	(void)state;
	assert_non_null(payload);
	assert_non_null(buf);
	assert_int_equal(mysql_packet_write(buf, span, payload, len, 7, &next),
			 (long)span);
	assert_int_equal(mysql_packet_parse(buf, span, len, &pk), (long)span);
	buf[second + 3] = 9; /* should be 8 */
	assert_int_equal(mysql_packet_parse(buf, span, len, &pk), MYSQL_BAD);
	/* Known as soon as the header is there. */
	assert_int_equal(mysql_packet_parse(buf, second + 4, len, &pk),
			 MYSQL_BAD);
	assert_int_equal(mysql_packet_parse(buf, second + 3, len, &pk),
			 MYSQL_NEED_MORE);
	free(payload);
	free(buf);
}

static void test_command_name(void **state)
{
	(void)state;
	assert_string_equal(mysql_command_name(MYSQL_COM_QUERY), "COM_QUERY");
	assert_string_equal(mysql_command_name(MYSQL_COM_QUIT), "COM_QUIT");
	assert_string_equal(mysql_command_name(MYSQL_COM_PING), "COM_PING");
	assert_string_equal(mysql_command_name(MYSQL_COM_BINLOG_DUMP_GTID),
			    "COM_BINLOG_DUMP_GTID");
	assert_string_equal(mysql_command_name(MYSQL_COM_RESET_CONNECTION),
			    "COM_RESET_CONNECTION");
	assert_null(mysql_command_name(0x05));
	assert_null(mysql_command_name(0xff));
}

static void test_command_write(void **state)
{
	uint8_t buf[16];

	(void)state;
	assert_int_equal(mysql_command_write(buf, sizeof(buf), MYSQL_COM_QUERY,
					     "SELECT 1", 8),
			 9);
	assert_memory_equal(buf, "\x03SELECT 1", 9);
	assert_int_equal(mysql_command_write(buf, 1, MYSQL_COM_PING, NULL, 0),
			 1);
	assert_int_equal(buf[0], 0x0e);
	assert_int_equal(mysql_command_write(buf, 0, MYSQL_COM_QUIT, NULL, 0),
			 MYSQL_TOOBIG);
	assert_int_equal(
		mysql_command_write(buf, 8, MYSQL_COM_QUERY, "SELECT 1", 8),
		MYSQL_TOOBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lenenc_vectors),
		cmocka_unit_test(test_lenenc_put),
		cmocka_unit_test(test_frame_split),
		cmocka_unit_test(test_frame_header),
		cmocka_unit_test(test_packet_stream_split),
		cmocka_unit_test(test_packet_16m_minus_1),
		cmocka_unit_test(test_packet_over_16m),
		cmocka_unit_test(test_packet_small),
		cmocka_unit_test(test_packet_bad_seq),
		cmocka_unit_test(test_command_name),
		cmocka_unit_test(test_command_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
