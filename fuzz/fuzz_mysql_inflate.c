/* fuzz_mysql_inflate.c - the compressed protocol's inflater
 * (mysql/compress.h) over any stream: the first byte picks zlib or zstd
 * and the cut size; the rest is fed whole and in cuts. Nothing may crash
 * or leak; both runs reach the same verdict (and offset); a packet never
 * produces more than its header's length, so the whole output is bounded
 * by the sum of the headers' lengths; a whole run's output equals the
 * cut run's when the stream inflates.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mysql/compress.h"

struct sink {
	uint64_t n;
	uint64_t sum; /* a checksum of the bytes, in order */
};

static void out(void *ud, const uint8_t *p, size_t n, int packet_start)
{
	struct sink *s = ud;
	size_t i;

	(void)packet_start;
	for (i = 0; i < n; i++)
		s->sum = s->sum * 31 + p[i];
	s->n += n;
}

/* The most the stream's headers allow (every header counted once). */
static uint64_t bound(const uint8_t *p, size_t n)
{
	uint64_t b = 0;
	size_t off = 0;

	while (n - off >= MYSQL_COMP_HEADER_LEN) {
		struct mysql_comp_header h;

		mysql_comp_header_parse(p + off, n - off, &h);
		b += h.raw_len ? h.raw_len : h.comp_len;
		off += MYSQL_COMP_HEADER_LEN + h.comp_len;
		if (off > n)
			break;
	}
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum mysql_comp_algo algo;
	struct mysql_inflater *z;
	struct sink a = {0, 0}, b = {0, 0};
	uint64_t off1 = 0, off2 = 0;
	size_t cut, i;
	int rc1, rc2 = MYSQL_OK;

	if (size < 1)
		return 0;
	algo = (data[0] & 1) ? MYSQL_COMP_ZSTD : MYSQL_COMP_ZLIB;
	cut = (size_t)(data[0] >> 1) + 1;
	data++;
	size--;
	z = mysql_inflater_new(algo);
	CHECK(z != NULL);
	rc1 = mysql_inflater_feed(z, data, size, out, &a, &off1);
	mysql_inflater_free(z);
	z = mysql_inflater_new(algo);
	CHECK(z != NULL);
	for (i = 0; i < size && rc2 == MYSQL_OK; i += cut)
		rc2 = mysql_inflater_feed(z, data + i,
					  size - i < cut ? size - i : cut, out,
					  &b, &off2);
	mysql_inflater_free(z);
	CHECK(rc1 == rc2);
	CHECK(a.n <= bound(data, size) && b.n <= bound(data, size));
	if (rc1 == MYSQL_OK)
		CHECK(a.n == b.n && a.sum == b.sum);
	else
		CHECK(off1 == off2 && off1 < size);
	return 0;
}
