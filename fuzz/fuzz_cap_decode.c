/* fuzz_cap_decode.c - link, IP and TCP header decoding of arbitrary
 * frames under every supported link type (the first byte picks it): the
 * payload found must lie inside the frame, and a frame cut anywhere must
 * never decode to more than it holds.
 */
#include <pcap/pcap.h>
#include <string.h>

#include "capture/capture.h"
#include "fuzz.h"

static const int types[] = {DLT_EN10MB, DLT_LINUX_SLL, 276, DLT_NULL,
			    DLT_LOOP,	DLT_RAW,       228, 229};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cap_pkt p;
	enum cap_dec_rc rc;
	int t;

	if (size < 1)
		return 0;
	t = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	data++;
	size--;
	rc = cap_decode(t, data, size, 1, &p);
	CHECK(rc == CAP_DEC_OK || rc == CAP_DEC_OTHER ||
	      rc == CAP_DEC_FRAGMENT || rc == CAP_DEC_TRUNCATED ||
	      rc == CAP_DEC_INVALID);
	if (rc != CAP_DEC_OK)
		return 0;
	CHECK(p.caplen <= p.len);
	CHECK(p.payload >= data && p.payload + p.caplen <= data + size);
	CHECK(p.src.family == 4 || p.src.family == 6);
	/* the same frame cut one byte short of its payload's end */
	if (p.caplen) {
		struct cap_pkt q;
		size_t cut = (size_t)(p.payload - data) + p.caplen - 1;

		CHECK(cap_decode(t, data, cut, 1, &q) == CAP_DEC_OK);
		/* an IP length of 0 (TSO) takes the length captured */
		CHECK(q.caplen == p.caplen - 1 &&
		      (q.len == p.len || q.len == p.len - 1));
	}
	return 0;
}
