/* compress.h - the compressed protocol's packet header (MySQL "Compressed
 * Packet Header" page of "Compression"; MariaDB "0 - packet" page):
 * 3-byte compressed payload length, 1-byte compressed sequence id, 3-byte
 * length before compression (0: the payload is stored as it is, under the
 * sender's threshold). The payload is a zlib stream (CLIENT_COMPRESS) or
 * a zstd frame (CLIENT_ZSTD_COMPRESSION_ALGORITHM) holding ordinary MySQL
 * packets, which may span compressed packets.
 */
#ifndef CONNDOCTOR_MYSQL_COMPRESS_H
#define CONNDOCTOR_MYSQL_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "mysql/mysql.h"

#define MYSQL_CLIENT_ZSTD_COMPRESSION_ALGORITHM 0x04000000u
#define MYSQL_COMP_HEADER_LEN			7
/* Payloads shorter than this go stored as they are (raw_len 0), as
 * libmysqlclient's MIN_COMPRESS_LENGTH has them. */
#define MYSQL_MIN_COMPRESS_LENGTH 50
/* zstd's level when none is given (MySQL's --zstd-compression-level). */
#define MYSQL_ZSTD_LEVEL_DEFAULT 3

enum mysql_comp_algo { MYSQL_COMP_NONE, MYSQL_COMP_ZLIB, MYSQL_COMP_ZSTD };

struct mysql_comp_header {
	uint32_t comp_len; /* payload bytes on the wire */
	uint8_t seq;	   /* compressed sequence id */
	uint32_t raw_len;  /* bytes once inflated; 0: stored as is */
};

/* Reads the 7 bytes at p. MYSQL_NEED_MORE under 7 bytes. */
int mysql_comp_header_parse(const uint8_t *p, size_t len,
			    struct mysql_comp_header *h);

/* The algorithm both sides agreed on from the agreed capabilities:
 * CLIENT_COMPRESS is zlib, CLIENT_ZSTD_COMPRESSION_ALGORITHM zstd. */
enum mysql_comp_algo mysql_comp_algo(uint32_t caps);

/* "zlib", "zstd", "none". */
const char *mysql_comp_algo_name(enum mysql_comp_algo a);

/* The sender's side: the n bytes at p (whole MySQL packets, headers
 * included; at most 16 MiB - 1) as one compressed packet with compressed
 * sequence id seq, zlib (level 6) or zstd at zstd_level: the 7-byte header
 * and the zlib stream or zstd frame; stored as they are (raw_len 0) under
 * MYSQL_MIN_COMPRESS_LENGTH bytes or when compressing does not make them
 * shorter. Returns the bytes written to out, or MYSQL_TOOBIG when cap is
 * under mysql_deflate_bound(n), MYSQL_BAD for a failure of the library
 * or an algorithm that is none. */
size_t mysql_deflate_bound(size_t n);
long mysql_deflate_packet(enum mysql_comp_algo algo, int zstd_level,
			  uint8_t seq, const uint8_t *p, size_t n, uint8_t *out,
			  size_t cap);

/* One direction's decompressor: fed the stream's bytes in any cuts, it
 * hands each inflated byte range to out(). Resumable at any byte; never
 * holds more than its zlib or zstd state (the zstd window is capped at
 * 16 MiB). Caller-owned: mysql_inflater_init()/_free(). */
struct mysql_inflater;
typedef void (*mysql_inflate_out)(void *ud, const uint8_t *p, size_t n,
				  int packet_start);

struct mysql_inflater *mysql_inflater_new(enum mysql_comp_algo algo);
void mysql_inflater_free(struct mysql_inflater *z);

/* Feeds n stream bytes. Returns MYSQL_OK, or MYSQL_BAD once a packet does
 * not inflate (corrupt data, a length over its header's, a header that
 * cannot be): the inflater then takes nothing more, and *bad_off is the
 * offset in the stream (from the first byte fed) of that packet's header. */
int mysql_inflater_feed(struct mysql_inflater *z, const uint8_t *p, size_t n,
			mysql_inflate_out out, void *ud, uint64_t *bad_off);

/* Bytes to feed to reach the end of the current compressed packet's header
 * (while it is incomplete) or payload: feeding no more than this at a
 * time bounds one call's output by one packet's raw_len. */
size_t mysql_inflater_want(const struct mysql_inflater *z);

/* The compressed sequence id of the last compressed packet whose header
 * was read (0 before any): the sender's next one carries it + 1. */
uint8_t mysql_inflater_seq(const struct mysql_inflater *z);

#endif /* CONNDOCTOR_MYSQL_COMPRESS_H */
