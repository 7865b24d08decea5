/* compress.c - the compressed protocol's framing and inflation (MySQL
 * "Compression" pages: Compressed Packet Header, zlib and zstd; MariaDB
 * "0 - packet"), one direction at a time, resumable at any byte.
 *
 * Each compressed packet is a 7-byte header and comp_len payload bytes.
 * With raw_len 0 the payload is passed on as it is; otherwise it is one
 * zlib stream or one zstd frame that must inflate to exactly raw_len
 * bytes (at most 16 MiB - 1: the field has 3 bytes), which bounds what a
 * packet can produce. Output goes out in chunks of CHUNK bytes as input
 * arrives, so nothing of a packet is buffered.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "mysql/compress.h"
#include "mysql/wire.h"

#define CHUNK	      16384
#define ZSTD_WLOG_MAX 24 /* 16 MiB: no packet inflates past that */

struct mysql_inflater {
	enum mysql_comp_algo algo;
	uint8_t hdr[MYSQL_COMP_HEADER_LEN];
	uint8_t hdr_have;
	int bad;
	int fresh;	/* no output of this packet yet */
	int stream_end; /* the zlib stream / zstd frame ended */
	struct mysql_comp_header h;
	uint32_t got;	  /* payload bytes consumed */
	uint32_t out;	  /* bytes produced by this packet */
	uint64_t off;	  /* stream bytes consumed */
	uint64_t pkt_off; /* offset of this packet's header */
	z_stream zs;
	int zs_init;
	ZSTD_DStream *zd;
	uint8_t magic[4]; /* a zstd payload's first bytes, until checked */
	uint8_t magic_have;
};

/* The one frame format MySQL sends (RFC 8878: 0xFD2FB528, little endian).
 * libzstd would also take its legacy formats and skippable frames, whose
 * streaming decoders give other verdicts on the same bytes cut
 * differently; a MySQL peer sends neither. */
static const uint8_t zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

int mysql_comp_header_parse(const uint8_t *p, size_t len,
			    struct mysql_comp_header *h)
{
	if (len < MYSQL_COMP_HEADER_LEN)
		return MYSQL_NEED_MORE;
	h->comp_len = le24_at(p);
	h->seq = p[3];
	h->raw_len = le24_at(p + 4);
	return MYSQL_OK;
}

enum mysql_comp_algo mysql_comp_algo(uint32_t caps)
{
	if (caps & MYSQL_CLIENT_COMPRESS)
		return MYSQL_COMP_ZLIB;
	if (caps & MYSQL_CLIENT_ZSTD_COMPRESSION_ALGORITHM)
		return MYSQL_COMP_ZSTD;
	return MYSQL_COMP_NONE;
}

const char *mysql_comp_algo_name(enum mysql_comp_algo a)
{
	return a == MYSQL_COMP_ZLIB   ? "zlib"
	       : a == MYSQL_COMP_ZSTD ? "zstd"
				      : "none";
}

size_t mysql_deflate_bound(size_t n)
{
	size_t z = compressBound((uLong)n), d = ZSTD_compressBound(n);

	return MYSQL_COMP_HEADER_LEN + (z > d ? z : d);
}

static void put_comp_header(uint8_t *out, size_t comp_len, uint8_t seq,
			    size_t raw_len)
{
	out[0] = (uint8_t)comp_len;
	out[1] = (uint8_t)(comp_len >> 8);
	out[2] = (uint8_t)(comp_len >> 16);
	out[3] = seq;
	out[4] = (uint8_t)raw_len;
	out[5] = (uint8_t)(raw_len >> 8);
	out[6] = (uint8_t)(raw_len >> 16);
}

long mysql_deflate_packet(enum mysql_comp_algo algo, int zstd_level,
			  uint8_t seq, const uint8_t *p, size_t n, uint8_t *out,
			  size_t cap)
{
	uint8_t *body = out + MYSQL_COMP_HEADER_LEN;
	size_t room, made = 0;

	if (algo != MYSQL_COMP_ZLIB && algo != MYSQL_COMP_ZSTD)
		return MYSQL_BAD;
	if (n > MYSQL_MAX_FRAME)
		return MYSQL_TOOBIG;
	if (cap < mysql_deflate_bound(n))
		return MYSQL_TOOBIG;
	room = cap - MYSQL_COMP_HEADER_LEN;
	if (n >= MYSQL_MIN_COMPRESS_LENGTH) {
		if (algo == MYSQL_COMP_ZLIB) {
			uLongf zl = (uLongf)room;

			if (compress2(body, &zl, p, (uLong)n,
				      Z_DEFAULT_COMPRESSION) != Z_OK)
				return MYSQL_BAD;
			made = (size_t)zl;
		} else {
			made = ZSTD_compress(body, room, p, n, zstd_level);
			if (ZSTD_isError(made))
				return MYSQL_BAD;
		}
	}
	if (made && made < n) {
		put_comp_header(out, made, seq, n);
		return (long)(MYSQL_COMP_HEADER_LEN + made);
	}
	memcpy(body, p, n);
	put_comp_header(out, n, seq, 0);
	return (long)(MYSQL_COMP_HEADER_LEN + n);
}

size_t mysql_inflater_want(const struct mysql_inflater *z)
{
	if (z->hdr_have < MYSQL_COMP_HEADER_LEN)
		return MYSQL_COMP_HEADER_LEN - z->hdr_have;
	return z->h.comp_len - z->got;
}

uint8_t mysql_inflater_seq(const struct mysql_inflater *z)
{
	return z->h.seq;
}

struct mysql_inflater *mysql_inflater_new(enum mysql_comp_algo algo)
{
	struct mysql_inflater *z;

	if (algo != MYSQL_COMP_ZLIB && algo != MYSQL_COMP_ZSTD)
		return NULL;
	z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	z->algo = algo;
	if (algo == MYSQL_COMP_ZLIB) {
		if (inflateInit(&z->zs) != Z_OK) {
			free(z);
			return NULL;
		}
		z->zs_init = 1;
	} else {
		z->zd = ZSTD_createDStream();
		if (!z->zd ||
		    ZSTD_isError(ZSTD_DCtx_setParameter(
			    z->zd, ZSTD_d_windowLogMax, ZSTD_WLOG_MAX))) {
			ZSTD_freeDStream(z->zd);
			free(z);
			return NULL;
		}
	}
	return z;
}

void mysql_inflater_free(struct mysql_inflater *z)
{
	if (!z)
		return;
	if (z->zs_init)
		inflateEnd(&z->zs);
	ZSTD_freeDStream(z->zd);
	free(z);
}

/* Starts the packet whose header was just read. */
static int packet_start(struct mysql_inflater *z)
{
	mysql_comp_header_parse(z->hdr, MYSQL_COMP_HEADER_LEN, &z->h);
	z->got = z->out = 0;
	z->fresh = 1;
	z->stream_end = 0;
	z->magic_have = 0;
	if (!z->h.raw_len)
		return MYSQL_OK;
	if (z->h.comp_len == 0)
		return MYSQL_BAD; /* nothing cannot inflate to something */
	if (z->algo == MYSQL_COMP_ZLIB)
		return inflateReset(&z->zs) == Z_OK ? MYSQL_OK : MYSQL_BAD;
	return ZSTD_isError(ZSTD_DCtx_reset(z->zd, ZSTD_reset_session_only))
		       ? MYSQL_BAD
		       : MYSQL_OK;
}

/* Inflates n bytes of a zstd frame (after its magic was checked). */
static int zstd_some(struct mysql_inflater *z, const uint8_t *p, size_t n,
		     mysql_inflate_out out, void *ud)
{
	uint8_t buf[CHUNK];
	ZSTD_inBuffer in = {p, n, 0};

	if (z->stream_end)
		return n ? MYSQL_BAD : MYSQL_OK; /* a second frame */
	for (;;) {
		ZSTD_outBuffer o = {buf, sizeof(buf), 0};
		size_t rc = ZSTD_decompressStream(z->zd, &o, &in);

		if (ZSTD_isError(rc))
			return MYSQL_BAD;
		if (rc == 0)
			z->stream_end = 1;
		if (o.pos > z->h.raw_len - z->out)
			return MYSQL_BAD;
		z->out += (uint32_t)o.pos;
		if (o.pos) {
			out(ud, buf, o.pos, z->fresh);
			z->fresh = 0;
		}
		if (z->stream_end)
			return in.pos < in.size ? MYSQL_BAD : MYSQL_OK;
		if (in.pos == in.size && o.pos < o.size)
			break;
	}
	return MYSQL_OK;
}

/* Inflates n payload bytes; MYSQL_BAD when they do not inflate or make
 * more than raw_len. */
static int inflate_some(struct mysql_inflater *z, const uint8_t *p, size_t n,
			mysql_inflate_out out, void *ud)
{
	uint8_t buf[CHUNK];

	if (z->algo == MYSQL_COMP_ZLIB) {
		z->zs.next_in = (Bytef *)(uintptr_t)p;
		z->zs.avail_in = (uInt)n;
		for (;;) {
			int rc;
			size_t made;

			z->zs.next_out = buf;
			z->zs.avail_out = sizeof(buf);
			rc = inflate(&z->zs, Z_NO_FLUSH);
			made = sizeof(buf) - z->zs.avail_out;
			if (rc == Z_STREAM_END)
				z->stream_end = 1;
			else if (rc == Z_BUF_ERROR && !made)
				break; /* needs more input */
			else if (rc != Z_OK && rc != Z_BUF_ERROR)
				return MYSQL_BAD;
			if (made > z->h.raw_len - z->out)
				return MYSQL_BAD;
			z->out += (uint32_t)made;
			if (made) {
				out(ud, buf, made, z->fresh);
				z->fresh = 0;
			}
			if (z->stream_end ||
			    (!z->zs.avail_in && z->zs.avail_out))
				break;
		}
		/* bytes after the stream's end: not zlib's */
		return z->zs.avail_in ? MYSQL_BAD : MYSQL_OK;
	}
	if (z->magic_have < sizeof(zstd_magic)) {
		size_t k = sizeof(zstd_magic) - z->magic_have;

		if (k > n)
			k = n;
		memcpy(z->magic + z->magic_have, p, k);
		z->magic_have = (uint8_t)(z->magic_have + k);
		p += k;
		n -= k;
		if (z->magic_have < sizeof(zstd_magic))
			return MYSQL_OK;
		if (memcmp(z->magic, zstd_magic, sizeof(zstd_magic)) ||
		    zstd_some(z, z->magic, sizeof(zstd_magic), out, ud))
			return MYSQL_BAD;
	}
	return zstd_some(z, p, n, out, ud);
}

int mysql_inflater_feed(struct mysql_inflater *z, const uint8_t *p, size_t n,
			mysql_inflate_out out, void *ud, uint64_t *bad_off)
{
	while (n > 0 && !z->bad) {
		uint32_t take;

		if (z->hdr_have < MYSQL_COMP_HEADER_LEN) {
			size_t k = MYSQL_COMP_HEADER_LEN - z->hdr_have;

			if (k > n)
				k = n;
			if (!z->hdr_have)
				z->pkt_off = z->off;
			memcpy(z->hdr + z->hdr_have, p, k);
			z->hdr_have = (uint8_t)(z->hdr_have + k);
			z->off += k;
			p += k;
			n -= k;
			if (z->hdr_have < MYSQL_COMP_HEADER_LEN)
				break;
			if (packet_start(z)) {
				z->bad = 1;
				break;
			}
			if (z->h.comp_len)
				continue;
			/* an empty stored packet: nothing to pass on */
			z->hdr_have = 0;
			continue;
		}
		take = z->h.comp_len - z->got;
		if (take > n)
			take = (uint32_t)n;
		if (!z->h.raw_len) {
			out(ud, p, take, z->fresh);
			z->fresh = 0;
		} else if (inflate_some(z, p, take, out, ud)) {
			z->bad = 1;
			break;
		}
		z->got += take;
		z->off += take;
		p += take;
		n -= take;
		if (z->got == z->h.comp_len) {
			if (z->h.raw_len &&
			    (!z->stream_end || z->out != z->h.raw_len)) {
				z->bad = 1;
				break;
			}
			z->hdr_have = 0;
		}
	}
	if (z->bad) {
		*bad_off = z->pkt_off;
		return MYSQL_BAD;
	}
	return MYSQL_OK;
}
