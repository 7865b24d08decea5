/* test_cap_decode.c - link, IP and TCP decoding (capture/decode.c) from
 * hand-made frames: every link type, VLAN tags, IPv6 extension headers,
 * Ethernet padding, snaplen cuts (every prefix, ending at a guard page),
 * and headers whose lengths cannot be. */
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "capture/capture.h"
#include "guard.h"

#define PAYLOAD "\x05\x00\x00\x00\x03SELECT"

/* A TCP header with MSS 1460 and window scale 7 options (28 bytes). */
static size_t tcp_hdr(uint8_t *o, uint16_t sport, uint16_t dport)
{
	static const uint8_t h[28] = {
		0,    0,    0,	  0,	/* ports, set below */
		0x01, 0x02, 0x03, 0x04, /* seq */
		0x0a, 0x0b, 0x0c, 0x0d, /* ack */
		0x70, 0x18,		/* doff 7, PSH|ACK */
		0x01, 0x00,		/* window 256 */
		0,    0,    0,	  0,	/* checksum, urgent */
		2,    4,    0x05, 0xb4, /* MSS 1460 */
		1,    3,    3,	  7,	/* NOP, window scale 7 */
	};

	memcpy(o, h, sizeof(h));
	o[0] = (uint8_t)(sport >> 8);
	o[1] = (uint8_t)sport;
	o[2] = (uint8_t)(dport >> 8);
	o[3] = (uint8_t)dport;
	return sizeof(h);
}

static size_t ipv4_hdr(uint8_t *o, size_t tcp_len, uint8_t proto)
{
	size_t total = 20 + tcp_len;
	static const uint8_t h[20] = {0x45, 0,	0,  0,	  0,	1,   0x40,
				      0,    64, 6,  0,	  0,	10,  0,
				      0,    1,	10, 0x00, 0x00, 0x02};

	memcpy(o, h, sizeof(h));
	o[2] = (uint8_t)(total >> 8);
	o[3] = (uint8_t)total;
	o[9] = proto;
	return sizeof(h);
}

/* Ethernet + IPv4 + TCP + payload into o; returns the frame length. */
static size_t eth_v4(uint8_t *o, const char *payload, size_t plen)
{
	size_t n = 0;

	memset(o, 0, 12);
	o[12] = 0x08;
	o[13] = 0x00;
	n = 14;
	n += ipv4_hdr(o + n, 28 + plen, 6);
	n += tcp_hdr(o + n, 40000, 3306);
	memcpy(o + n, payload, plen);
	return n + plen;
}

static void check_tcp(const struct cap_pkt *p, size_t plen)
{
	assert_int_equal(p->src.port, 40000);
	assert_int_equal(p->dst.port, 3306);
	assert_int_equal(p->seq, 0x01020304);
	assert_int_equal(p->ack, 0x0a0b0c0d);
	assert_int_equal(p->flags, CAP_TH_PSH | CAP_TH_ACK);
	assert_int_equal(p->win, 256);
	assert_int_equal(p->mss, 1460);
	assert_int_equal(p->wscale, 7);
	assert_int_equal(p->len, plen);
}

static void test_ethernet_ipv4(void **state)
{
	uint8_t f[256];
	size_t n = eth_v4(f, PAYLOAD, sizeof(PAYLOAD) - 1);
	struct cap_pkt p;

	(void)state;
	assert_int_equal(cap_decode(DLT_EN10MB, f, n, 77, &p), CAP_DEC_OK);
	check_tcp(&p, sizeof(PAYLOAD) - 1);
	assert_int_equal(p.caplen, p.len);
	assert_int_equal(p.ts_us, 77);
	assert_int_equal(p.src.family, 4);
	assert_memory_equal(p.src.addr, "\x0a\x00\x00\x01", 4);
	assert_memory_equal(p.dst.addr, "\x0a\x00\x00\x02", 4);
	assert_memory_equal(p.payload, PAYLOAD, p.len);
}

/* Ethernet pads short frames to 60 bytes: the IP length rules. */
static void test_ethernet_padding(void **state)
{
	uint8_t f[256];
	size_t n = eth_v4(f, "", 0);
	struct cap_pkt p;

	(void)state;
	assert_true(n < 64);
	memset(f + n, 0xee, 8);
	assert_int_equal(cap_decode(DLT_EN10MB, f, n + 8, 0, &p), CAP_DEC_OK);
	assert_int_equal(p.len, 0);
	assert_int_equal(p.caplen, 0);
}

static void test_vlan_qinq(void **state)
{
	uint8_t plain[256], f[256];
	size_t n = eth_v4(plain, PAYLOAD, sizeof(PAYLOAD) - 1);
	struct cap_pkt p;

	(void)state;
	/* 802.1ad outer tag, then 802.1Q inner tag, then IPv4 */
	memcpy(f, plain, 12);
	memcpy(f + 12, "\x88\xa8\x00\x64\x81\x00\x00\x0a", 8);
	memcpy(f + 20, plain + 12, n - 12);
	assert_int_equal(cap_decode(DLT_EN10MB, f, n + 8, 0, &p), CAP_DEC_OK);
	check_tcp(&p, sizeof(PAYLOAD) - 1);
	/* too many tags is not a frame */
	memcpy(f + 12,
	       "\x81\x00\x00\x01\x81\x00\x00\x01\x81\x00\x00\x01"
	       "\x81\x00\x00\x01\x81\x00\x00\x01\x08\x00",
	       22);
	assert_int_equal(cap_decode(DLT_EN10MB, f, 34 + 60, 0, &p),
			 CAP_DEC_INVALID);
}

static void test_linux_cooked(void **state)
{
	uint8_t plain[256], f[256];
	size_t n = eth_v4(plain, PAYLOAD, sizeof(PAYLOAD) - 1), ip = n - 14;
	struct cap_pkt p;

	(void)state;
	memset(f, 0, 16); /* SLL: ... protocol at 14 */
	f[14] = 0x08;
	memcpy(f + 16, plain + 14, ip);
	assert_int_equal(cap_decode(DLT_LINUX_SLL, f, 16 + ip, 0, &p),
			 CAP_DEC_OK);
	check_tcp(&p, sizeof(PAYLOAD) - 1);
	memset(f, 0, 20); /* SLL2: protocol at 0 */
	f[0] = 0x08;
	memcpy(f + 20, plain + 14, ip);
	assert_int_equal(cap_decode(276, f, 20 + ip, 0, &p), CAP_DEC_OK);
	check_tcp(&p, sizeof(PAYLOAD) - 1);
}

static void test_raw_and_loopback(void **state)
{
	uint8_t plain[256], f[256];
	size_t n = eth_v4(plain, PAYLOAD, sizeof(PAYLOAD) - 1), ip = n - 14;
	struct cap_pkt p;

	(void)state;
	assert_int_equal(cap_decode(DLT_RAW, plain + 14, ip, 0, &p),
			 CAP_DEC_OK);
	check_tcp(&p, sizeof(PAYLOAD) - 1);
	assert_int_equal(cap_decode(228, plain + 14, ip, 0, &p), CAP_DEC_OK);
	/* DLT_NULL: AF_INET in the writer's byte order (either) */
	memcpy(f, "\x02\x00\x00\x00", 4);
	memcpy(f + 4, plain + 14, ip);
	assert_int_equal(cap_decode(DLT_NULL, f, 4 + ip, 0, &p), CAP_DEC_OK);
	memcpy(f, "\x00\x00\x00\x02", 4);
	assert_int_equal(cap_decode(DLT_NULL, f, 4 + ip, 0, &p), CAP_DEC_OK);
	assert_int_equal(cap_decode(DLT_LOOP, f, 4 + ip, 0, &p), CAP_DEC_OK);
	check_tcp(&p, sizeof(PAYLOAD) - 1);
	/* an address family that is not IP */
	memcpy(f, "\x00\x00\x00\x07", 4);
	assert_int_equal(cap_decode(DLT_LOOP, f, 4 + ip, 0, &p), CAP_DEC_OTHER);
	assert_int_equal(cap_decode(147, f, 4 + ip, 0, &p), CAP_DEC_OTHER);
}

/* IPv6 with a hop-by-hop options header before TCP. */
static void test_ipv6_ext(void **state)
{
	uint8_t f[256];
	size_t n = 0, plen = sizeof(PAYLOAD) - 1;
	struct cap_pkt p;

	(void)state;
	memset(f, 0, sizeof(f));
	f[0] = 0x60;
	f[4] = 0;
	f[5] = (uint8_t)(8 + 28 + plen);
	f[6] = 0; /* hop-by-hop */
	f[7] = 64;
	f[8 + 15] = 1;	/* ::1 */
	f[24 + 15] = 2; /* ::2 */
	n = 40;
	f[n] = 6; /* next: TCP */
	f[n + 1] = 0;
	n += 8;
	n += tcp_hdr(f + n, 40000, 3306);
	memcpy(f + n, PAYLOAD, plen);
	n += plen;
	assert_int_equal(cap_decode(229, f, n, 0, &p), CAP_DEC_OK);
	check_tcp(&p, plen);
	assert_int_equal(p.src.family, 6);
	assert_int_equal(p.src.addr[15], 1);
	assert_int_equal(p.dst.addr[15], 2);
	/* a fragment header instead */
	f[6] = 44;
	assert_int_equal(cap_decode(229, f, n, 0, &p), CAP_DEC_FRAGMENT);
}

static void test_not_tcp_and_fragments(void **state)
{
	uint8_t f[256];
	size_t n = eth_v4(f, PAYLOAD, sizeof(PAYLOAD) - 1);
	struct cap_pkt p;

	(void)state;
	f[14 + 9] = 17; /* UDP */
	assert_int_equal(cap_decode(DLT_EN10MB, f, n, 0, &p), CAP_DEC_OTHER);
	f[14 + 9] = 6;
	f[14 + 6] = 0x20; /* more fragments */
	assert_int_equal(cap_decode(DLT_EN10MB, f, n, 0, &p), CAP_DEC_FRAGMENT);
	f[14 + 6] = 0x40;
	f[12] = 0x08;
	f[13] = 0x06; /* ARP */
	assert_int_equal(cap_decode(DLT_EN10MB, f, n, 0, &p), CAP_DEC_OTHER);
}

static void test_invalid_lengths(void **state)
{
	uint8_t f[256], g[256];
	size_t n = eth_v4(f, PAYLOAD, sizeof(PAYLOAD) - 1);
	struct cap_pkt p;

	(void)state;
	memcpy(g, f, n);
	g[14] = 0x44; /* IHL 4 */
	assert_int_equal(cap_decode(DLT_EN10MB, g, n, 0, &p), CAP_DEC_INVALID);
	memcpy(g, f, n);
	g[14 + 2] = 0;
	g[14 + 3] = 19; /* total length below the header */
	assert_int_equal(cap_decode(DLT_EN10MB, g, n, 0, &p), CAP_DEC_INVALID);
	memcpy(g, f, n);
	g[34 + 12] = 0x40; /* TCP data offset 4 */
	assert_int_equal(cap_decode(DLT_EN10MB, g, n, 0, &p), CAP_DEC_INVALID);
	memcpy(g, f, n);
	g[34 + 12] = 0xf0; /* data offset 60 > segment */
	assert_int_equal(cap_decode(DLT_EN10MB, g, n, 0, &p), CAP_DEC_INVALID);
	memcpy(g, f, n);
	g[14] = 0x65; /* version 6 inside an IPv4 ethertype */
	assert_int_equal(cap_decode(DLT_EN10MB, g, n, 0, &p), CAP_DEC_INVALID);
}

/* Every prefix: cut inside the headers is TRUNCATED, after them OK with
 * caplen < len; the input ends at a guard page, so no read goes past. */
static void test_every_prefix_guard(void **state)
{
	static const int types[] = {DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL};
	uint8_t f[256], fr[256];
	size_t n = eth_v4(f, PAYLOAD, sizeof(PAYLOAD) - 1), k, t;
	struct guard g;
	struct cap_pkt p;

	(void)state;
	guard_init(&g, sizeof(fr));
	for (t = 0; t < 3; t++) {
		size_t m, hdr;

		if (types[t] == DLT_RAW) {
			m = n - 14;
			memcpy(fr, f + 14, m);
		} else if (types[t] == DLT_LINUX_SLL) {
			memset(fr, 0, 16);
			fr[14] = 0x08;
			memcpy(fr + 16, f + 14, n - 14);
			m = n + 2;
		} else {
			m = n;
			memcpy(fr, f, n);
		}
		hdr = m - (sizeof(PAYLOAD) - 1);
		for (k = 0; k <= m; k++) {
			const uint8_t *at = guard_put(&g, fr, k);
			enum cap_dec_rc rc = cap_decode(types[t], at, k, 0, &p);

			if (k < hdr) {
				assert_int_equal(rc, CAP_DEC_TRUNCATED);
			} else {
				assert_int_equal(rc, CAP_DEC_OK);
				assert_int_equal(p.len, sizeof(PAYLOAD) - 1);
				assert_int_equal(p.caplen, k - hdr);
			}
		}
	}
	guard_free(&g);
}

static void test_names(void **state)
{
	char b[64];
	struct cap_endpoint e = {4, {127, 0, 0, 1}, 3306};
	struct cap_endpoint e6 = {6, {0}, 3307};

	(void)state;
	e6.addr[15] = 1;
	assert_string_equal(cap_endpoint_str(&e, b, sizeof(b)),
			    "127.0.0.1:3306");
	assert_string_equal(cap_endpoint_str(&e6, b, sizeof(b)), "[::1]:3307");
	assert_string_equal(cap_linktype_name(DLT_EN10MB, b, sizeof(b)),
			    "ethernet");
	assert_string_equal(cap_linktype_name(147, b, sizeof(b)), "dlt-147");
	assert_true(cap_linktype_supported(DLT_LINUX_SLL));
	assert_false(cap_linktype_supported(147));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_ipv4),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_vlan_qinq),
		cmocka_unit_test(test_linux_cooked),
		cmocka_unit_test(test_raw_and_loopback),
		cmocka_unit_test(test_ipv6_ext),
		cmocka_unit_test(test_not_tcp_and_fragments),
		cmocka_unit_test(test_invalid_lengths),
		cmocka_unit_test(test_every_prefix_guard),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
