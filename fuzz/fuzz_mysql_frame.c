/* fuzz_mysql_frame.c - framing and length-encoded integers: frames and
 * packets read from arbitrary bytes must stay inside them, every strict
 * prefix of an accepted packet must be MYSQL_NEED_MORE, and gathering then
 * writing an accepted packet must give its bytes back.
 */
#include <string.h>

#include "fuzz.h"
#include "mysql/mysql.h"

#define MAXP 4096 /* max_payload: fuzz inputs stay far below a frame */

/* Length-encoded integers: a value read back after writing is the same. */
static void check_lenenc(const uint8_t *data, size_t size)
{
	uint8_t buf[9];
	uint64_t v, w;
	size_t used, used2;
	long n;

	if (mysql_lenenc_int(data, size, &v, &used) != MYSQL_OK)
		return;
	CHECK(used >= 1 && used <= 9 && used <= size);
	n = mysql_put_lenenc_int(buf, sizeof(buf), v);
	CHECK(n > 0 && (size_t)n == mysql_lenenc_size(v) && (size_t)n <= used);
	CHECK(mysql_lenenc_int(buf, (size_t)n, &w, &used2) == MYSQL_OK);
	CHECK(w == v && used2 == (size_t)n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t payload[MAXP], out[MAXP + 4], next;
	struct mysql_packet pk, pk2;
	struct mysql_frame f;
	size_t off = 0;
	long n, w;

	check_lenenc(data, size);

	n = mysql_frame_parse(data, size, &f);
	if (n == MYSQL_NEED_MORE) {
		CHECK(size < MYSQL_HEADER_LEN ||
		      size - MYSQL_HEADER_LEN <
			      (size_t)(data[0] | data[1] << 8 | data[2] << 16));
	} else {
		CHECK(n == (long)(MYSQL_HEADER_LEN + f.len) &&
		      (size_t)n <= size);
		CHECK(f.payload == data + MYSQL_HEADER_LEN && f.seq == data[3]);
		CHECK(mysql_frame_parse(data, (size_t)n - 1, &f) ==
		      MYSQL_NEED_MORE);
	}

	/* The input as a stream of packets. */
	while (off < size) {
		n = mysql_packet_parse(data + off, size - off, MAXP, &pk);
		if (n < 0) {
			CHECK(n == MYSQL_NEED_MORE || n == MYSQL_TOOBIG ||
			      n == MYSQL_BAD);
			break;
		}
		CHECK(n > 0 && (size_t)n <= size - off);
		CHECK(pk.len <= MAXP && pk.nframes == 1);
		CHECK((size_t)n == pk.len + MYSQL_HEADER_LEN);
		CHECK(mysql_packet_parse(data + off, (size_t)n - 1, MAXP,
					 &pk2) == MYSQL_NEED_MORE);
		mysql_packet_gather(data + off, (size_t)n, payload);
		CHECK(pk.len == 0 || memcmp(payload, pk.payload, pk.len) == 0);
		w = mysql_packet_write(out, sizeof(out), payload, pk.len,
				       pk.seq, &next);
		CHECK(w == n && memcmp(out, data + off, (size_t)n) == 0);
		CHECK(next == (uint8_t)(pk.seq + 1));
		CHECK(mysql_packet_parse(out, (size_t)w, MAXP, &pk2) == w);
		CHECK(pk2.len == pk.len && pk2.seq == pk.seq &&
		      pk2.last_seq == pk.last_seq);
		off += (size_t)n;
	}
	return 0;
}
