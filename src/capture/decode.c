/* decode.c - link, IP and TCP headers of one captured frame (tcpdump's
 * print-ether.c, print-sll.c, print-null.c, print-ip.c, print-ip6.c,
 * print-tcp.c as the map; RFC 791, RFC 8200, RFC 9293, IEEE 802.1Q; the
 * link types of www.tcpdump.org/linktypes.html).
 *
 * Every field is read through a cursor that checks the bytes are there
 * (tcpdump's GET_ macros): a frame that ends inside a header is
 * CAP_DEC_TRUNCATED, a header whose own lengths contradict each other is
 * CAP_DEC_INVALID. Payload lengths come from the IP header, not from the
 * capture length, so Ethernet padding is ignored and a snaplen cut shows as
 * caplen < len.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "capture/capture.h"
#include "util/bytes.h"

/* Link types libpcap may hand out under more than one number. */
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#define DLT_RAW_OPENBSD 14 /* DLT_RAW's number on OpenBSD */

#define ETH_HLEN	14
#define SLL_HLEN	16
#define SLL2_HLEN	20
#define NULL_HLEN	4
#define ETHERTYPE_IP	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100
#define ETHERTYPE_QINQ	0x88a8
#define ETHERTYPE_QINQ2 0x9100
#define VLAN_TAGS_MAX	4
#define IPPROTO_TCP_	6

/* A cursor over the frame: each header is measured with have() before
 * its fields are read, big-endian, through util/bytes.h's getters. */
struct cur {
	const uint8_t *p;
	size_t len, off;
};

static int have(const struct cur *c, size_t n)
{
	return n <= c->len - c->off;
}

static uint8_t at8(const struct cur *c, size_t i)
{
	return c->p[c->off + i];
}

static uint16_t at16(const struct cur *c, size_t i)
{
	return cd_be16_at(c->p + c->off + i);
}

static uint32_t at32(const struct cur *c, size_t i)
{
	return cd_be32_at(c->p + c->off + i);
}

/* Link layer: leaves c at the network header; *ethertype says which. */
static enum cap_dec_rc link_layer(int linktype, struct cur *c,
				  uint16_t *ethertype)
{
	uint32_t af;
	int tags = 0;

	switch (linktype) {
	case DLT_EN10MB:
		if (!have(c, ETH_HLEN))
			return CAP_DEC_TRUNCATED;
		*ethertype = at16(c, 12);
		c->off += ETH_HLEN;
		while (*ethertype == ETHERTYPE_VLAN ||
		       *ethertype == ETHERTYPE_QINQ ||
		       *ethertype == ETHERTYPE_QINQ2) {
			if (++tags > VLAN_TAGS_MAX)
				return CAP_DEC_INVALID;
			if (!have(c, 4))
				return CAP_DEC_TRUNCATED;
			*ethertype = at16(c, 2);
			c->off += 4;
		}
		return CAP_DEC_OK;
	case DLT_LINUX_SLL:
		if (!have(c, SLL_HLEN))
			return CAP_DEC_TRUNCATED;
		*ethertype = at16(c, 14);
		c->off += SLL_HLEN;
		return CAP_DEC_OK;
	case DLT_LINUX_SLL2:
		if (!have(c, SLL2_HLEN))
			return CAP_DEC_TRUNCATED;
		*ethertype = at16(c, 0);
		c->off += SLL2_HLEN;
		return CAP_DEC_OK;
	case DLT_NULL:
	case DLT_LOOP:
		if (!have(c, NULL_HLEN))
			return CAP_DEC_TRUNCATED;
		af = at32(c, 0);
		/* DLT_NULL is in the writer's byte order: try both. */
		if (linktype == DLT_NULL && (af & 0xffff) == 0)
			af = (af >> 24) | ((af >> 8) & 0xff00);
		c->off += NULL_HLEN;
		if (af == 2)
			*ethertype = ETHERTYPE_IP;
		else if (af == 10 || af == 24 || af == 28 || af == 30)
			*ethertype = ETHERTYPE_IPV6; /* Linux, BSDs, macOS */
		else
			*ethertype = 0;
		return CAP_DEC_OK;
	case DLT_RAW:
	case DLT_RAW_OPENBSD:
	case DLT_IPV4:
	case DLT_IPV6:
		if (!have(c, 1))
			return CAP_DEC_TRUNCATED;
		*ethertype =
			(at8(c, 0) >> 4) == 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP;
		return CAP_DEC_OK;
	default:
		return CAP_DEC_OTHER;
	}
}

/* IPv4: leaves c at the TCP header, *plen = bytes of TCP segment. */
static enum cap_dec_rc ipv4(struct cur *c, struct cap_pkt *out, size_t *plen)
{
	size_t ihl, total;
	uint16_t frag;

	if (!have(c, 20))
		return CAP_DEC_TRUNCATED;
	if (at8(c, 0) >> 4 != 4)
		return CAP_DEC_INVALID;
	ihl = (size_t)(at8(c, 0) & 0x0f) * 4;
	total = at16(c, 2);
	if (ihl < 20)
		return CAP_DEC_INVALID;
	/* TSO on the capturing host can leave a total length of 0. */
	if (total == 0)
		total = c->len - c->off;
	if (total < ihl)
		return CAP_DEC_INVALID;
	frag = at16(c, 6);
	if (at8(c, 9) != IPPROTO_TCP_)
		return CAP_DEC_OTHER;
	if (frag & 0x3fff) /* more fragments, or an offset */
		return CAP_DEC_FRAGMENT;
	if (!have(c, ihl))
		return CAP_DEC_TRUNCATED;
	out->src.family = out->dst.family = 4;
	memset(out->src.addr, 0, sizeof(out->src.addr));
	memset(out->dst.addr, 0, sizeof(out->dst.addr));
	memcpy(out->src.addr, c->p + c->off + 12, 4);
	memcpy(out->dst.addr, c->p + c->off + 16, 4);
	c->off += ihl;
	*plen = total - ihl;
	return CAP_DEC_OK;
}

/* IPv6 with its extension headers (hop-by-hop, routing, destination
 * options; a fragment header means a fragment). */
static enum cap_dec_rc ipv6(struct cur *c, struct cap_pkt *out, size_t *plen)
{
	size_t payload, ext;
	uint8_t next;
	int hops = 0;

	if (!have(c, 40))
		return CAP_DEC_TRUNCATED;
	if (at8(c, 0) >> 4 != 6)
		return CAP_DEC_INVALID;
	payload = at16(c, 4);
	next = at8(c, 6);
	out->src.family = out->dst.family = 6;
	memcpy(out->src.addr, c->p + c->off + 8, 16);
	memcpy(out->dst.addr, c->p + c->off + 24, 16);
	c->off += 40;
	if (payload == 0) /* jumbogram or TSO: take what was captured */
		payload = c->len - c->off;
	for (;;) {
		switch (next) {
		case IPPROTO_TCP_:
			*plen = payload;
			return CAP_DEC_OK;
		case 0:	 /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
			if (++hops > 8)
				return CAP_DEC_INVALID;
			if (!have(c, 2))
				return CAP_DEC_TRUNCATED;
			ext = ((size_t)at8(c, 1) + 1) * 8;
			if (ext > payload)
				return CAP_DEC_INVALID;
			next = at8(c, 0);
			if (!have(c, ext))
				return CAP_DEC_TRUNCATED;
			c->off += ext;
			payload -= ext;
			break;
		case 44:
			return CAP_DEC_FRAGMENT;
		default:
			return CAP_DEC_OTHER;
		}
	}
}

/* TCP options: MSS and window scale (RFC 9293 3.2, RFC 7323). */
static void tcp_options(const uint8_t *o, size_t len, struct cap_pkt *out)
{
	size_t i = 0, olen;

	while (i < len) {
		uint8_t kind = o[i];

		if (kind == 0)
			return;
		if (kind == 1) {
			i++;
			continue;
		}
		if (len - i < 2)
			return;
		olen = o[i + 1];
		if (olen < 2 || olen > len - i)
			return;
		if (kind == 2 && olen == 4)
			out->mss = cd_be16_at(o + i + 2);
		else if (kind == 3 && olen == 3)
			out->wscale = o[i + 2];
		i += olen;
	}
}

static enum cap_dec_rc tcp(struct cur *c, size_t seglen, struct cap_pkt *out)
{
	size_t doff, avail;

	if (seglen < 20)
		return CAP_DEC_INVALID;
	if (!have(c, 20))
		return CAP_DEC_TRUNCATED;
	doff = (size_t)(at8(c, 12) >> 4) * 4;
	if (doff < 20 || doff > seglen)
		return CAP_DEC_INVALID;
	if (!have(c, doff))
		return CAP_DEC_TRUNCATED;
	out->src.port = at16(c, 0);
	out->dst.port = at16(c, 2);
	out->seq = at32(c, 4);
	out->ack = at32(c, 8);
	out->flags = at8(c, 13) & 0x3f;
	out->win = at16(c, 14);
	out->mss = 0;
	out->wscale = -1;
	tcp_options(c->p + c->off + 20, doff - 20, out);
	c->off += doff;
	out->len = (uint32_t)(seglen - doff);
	avail = c->len - c->off;
	out->caplen = avail < out->len ? (uint32_t)avail : out->len;
	out->payload = c->p + c->off;
	return CAP_DEC_OK;
}

enum cap_dec_rc cap_decode(int linktype, const uint8_t *p, size_t caplen,
			   int64_t ts_us, struct cap_pkt *out)
{
	struct cur c = {p, caplen, 0};
	struct cap_pkt pk;
	uint16_t ethertype = 0;
	size_t seglen = 0;
	enum cap_dec_rc rc;

	rc = link_layer(linktype, &c, &ethertype);
	if (rc != CAP_DEC_OK)
		return rc;
	memset(&pk, 0, sizeof(pk));
	if (ethertype == ETHERTYPE_IP)
		rc = ipv4(&c, &pk, &seglen);
	else if (ethertype == ETHERTYPE_IPV6)
		rc = ipv6(&c, &pk, &seglen);
	else
		return CAP_DEC_OTHER;
	if (rc != CAP_DEC_OK)
		return rc;
	if (seglen > 0xffffffu)
		return CAP_DEC_INVALID;
	rc = tcp(&c, seglen, &pk);
	if (rc != CAP_DEC_OK)
		return rc;
	pk.ts_us = ts_us;
	*out = pk;
	return CAP_DEC_OK;
}

int cap_linktype_supported(int linktype)
{
	switch (linktype) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_RAW:
	case DLT_RAW_OPENBSD:
	case DLT_IPV4:
	case DLT_IPV6:
		return 1;
	default:
		return 0;
	}
}

const char *cap_linktype_name(int linktype, char *buf, size_t len)
{
	switch (linktype) {
	case DLT_EN10MB:
		return "ethernet";
	case DLT_LINUX_SLL:
		return "linux-sll";
	case DLT_LINUX_SLL2:
		return "linux-sll2";
	case DLT_NULL:
		return "null";
	case DLT_LOOP:
		return "loop";
	case DLT_RAW:
	case DLT_RAW_OPENBSD:
		return "raw";
	case DLT_IPV4:
		return "ipv4";
	case DLT_IPV6:
		return "ipv6";
	default:
		snprintf(buf, len, "dlt-%d", linktype);
		return buf;
	}
}
