/* fuzz_cap_flow.c - the flow table, stream reassembly and passive MySQL
 * decoder driven by made-up segments: after a normal handshake, the input
 * is a list of segments (direction, flags, a sequence offset that may go
 * back or jump ahead, a length, bytes). Nothing may crash or leak, and
 * every flow must be handed out at the end, and the bytes the decoder
 * skipped out of step never exceed the bytes sent (uncompressed).
 * fuzz_cap_midstream.c builds this file without the handshake.
 */
#include <string.h>

#include "capture/capture.h"
#include "fuzz.h"

struct seen {
	uint64_t conns, commands;
};

static void on_conn(void *ud, const struct cap_conn *c)
{
	struct seen *s = ud;
	struct cd_findings f;

	s->conns++;
	/* (inflated bytes can outnumber those on the wire) */
	CHECK(c->my.compressed || (c->my.skipped[0] <= c->dir[0].bytes &&
				   c->my.skipped[1] <= c->dir[1].bytes));
	cd_findings_init(&f);
	CHECK(cap_rules_conn(c, &f) == 0);
	cd_findings_free(&f);
}

static void on_cmd(void *ud, const struct cap_conn *c,
		   const struct cap_cmd *cmd)
{
	struct seen *s = ud;

	(void)c;
	(void)cmd;
	s->commands++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cap_sink sink = {NULL, on_conn, on_cmd, NULL};
	struct cap_endpoint ep[2];
	struct cap_engine *e;
	struct cap_opts o;
	struct cap_pkt p;
	struct seen s;
	uint32_t seq[2] = {1000, 0xffffff00u};
	int64_t t = 1000000;
	size_t off = 0;
	int i;

	memset(&s, 0, sizeof(s));
	memset(ep, 0, sizeof(ep));
	ep[0].family = ep[1].family = 4;
	ep[0].addr[0] = ep[1].addr[0] = 10;
	ep[1].addr[3] = 2;
	ep[0].port = 40000;
	ep[1].port = 3306;
	cap_opts_init(&o);
	o.ooo_max_bytes = 4096; /* reach the cap often */
	o.frame_keep = 1024;	/* and the long-frame path */
	o.trace_id = 1;
	sink.ud = &s;
	e = cap_engine_new(&o, &sink);
	CHECK(e != NULL);

#ifndef FUZZ_CAP_MIDSTREAM
	/* SYN, SYN-ACK, ACK */
	for (i = 0; i < 3; i++) {
		int d = i == 1;

		memset(&p, 0, sizeof(p));
		p.ts_us = t++;
		p.src = ep[d];
		p.dst = ep[!d];
		p.flags = i == 0   ? CAP_TH_SYN
			  : i == 1 ? CAP_TH_SYN | CAP_TH_ACK
				   : CAP_TH_ACK;
		p.seq = i == 2 ? seq[0] + 1 : seq[d];
		p.ack = i ? seq[!d] + 1 : 0;
		p.wscale = -1;
		cap_engine_packet(e, &p);
	}
	seq[0]++;
	seq[1]++;
#else
	(void)i;
#endif

	while (size - off >= 4) {
		int d = data[off] & 1;
		uint8_t flags = (uint8_t)((data[off] >> 1) & 0x1f);
		int8_t delta = (int8_t)data[off + 1];
		size_t len = data[off + 2] | (size_t)(data[off + 3] & 0x7) << 8;
		size_t caplen;

		off += 4;
		if (len > size - off)
			len = size - off;
		caplen = (data[off - 1] & 0x80) && len ? len / 2 : len;
		memset(&p, 0, sizeof(p));
		p.ts_us = t;
		t += (data[off - 1] & 0x40) ? 2000000 : 100;
		p.src = ep[d];
		p.dst = ep[!d];
		p.flags = (uint8_t)(flags | CAP_TH_ACK);
		p.seq = seq[d] + (uint32_t)(int32_t)delta;
		p.ack = seq[!d];
		p.win = (data[off - 1] & 0x20) ? 0 : 512;
		p.wscale = -1;
		p.len = (uint32_t)len;
		p.caplen = (uint32_t)caplen;
		p.payload = data + off;
		cap_engine_packet(e, &p);
		if (delta == 0)
			seq[d] += (uint32_t)len;
		off += len;
	}
	cap_engine_finish(e);
	CHECK(cap_engine_open(e) == 0);
	CHECK(s.conns == cap_engine_totals(e)->conns);
	CHECK(s.commands == cap_engine_totals(e)->commands);
	cap_engine_free(e);
	return 0;
}
