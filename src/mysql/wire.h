/* wire.h - private cursor helpers of the MySQL codec: bounds-checked
 * little-endian readers (over util/bytes.h) and writers over a byte range
 * (MySQL "Basic Data Types" page: fixed-length and length-encoded integers
 * and strings).
 *
 * A reader never dereferences a byte it has not checked against the end of
 * its range; once a read fails the cursor is marked bad and every later read
 * fails too, so a parser can read a whole structure and check once.
 * A writer does the same with its capacity.
 */
#ifndef CONNDOCTOR_MYSQL_WIRE_H
#define CONNDOCTOR_MYSQL_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mysql/mysql.h"
#include "util/bytes.h"

/* The reading half is util/bytes.h's cursor (struct cd_bytes); these are
 * the codec's short names for it. */
static inline uint16_t le16_at(const uint8_t *q)
{
	return cd_le16_at(q);
}

static inline uint32_t le24_at(const uint8_t *q)
{
	return cd_le24_at(q);
}

static inline uint32_t le32_at(const uint8_t *q)
{
	return cd_le32_at(q);
}

static inline void rd_init(struct cd_bytes *r, const uint8_t *p, size_t len)
{
	cd_bytes_init(r, p, len);
}

static inline size_t rd_left(const struct cd_bytes *r)
{
	return cd_bytes_left(r);
}

static inline const uint8_t *rd_take(struct cd_bytes *r, size_t n)
{
	return cd_bytes_take(r, n);
}

static inline int rd_peek(const struct cd_bytes *r)
{
	return cd_bytes_peek(r);
}

static inline uint8_t rd_u8(struct cd_bytes *r)
{
	return cd_bytes_u8(r);
}

static inline uint16_t rd_le16(struct cd_bytes *r)
{
	return cd_bytes_le16(r);
}

static inline uint32_t rd_le24(struct cd_bytes *r)
{
	return cd_bytes_le24(r);
}

static inline uint32_t rd_le32(struct cd_bytes *r)
{
	return cd_bytes_le32(r);
}

/* Length-encoded integer; 0xfb and 0xff (and truncation) mark bad. */
static inline uint64_t rd_lenenc(struct cd_bytes *r)
{
	uint64_t v = 0;
	size_t used = 0;

	if (r->bad || r->off == r->len) {
		cd_bytes_take(r, 1); /* marks truncated */
		return 0;
	}
	if (mysql_lenenc_int(r->p + r->off, r->len - r->off, &v, &used)) {
		r->bad = 1;
		return 0;
	}
	r->off += used;
	return v;
}

/* Length-encoded string: returns its bytes and sets *n, or NULL if bad. */
static inline const uint8_t *rd_lenenc_str(struct cd_bytes *r, size_t *n)
{
	uint64_t v = rd_lenenc(r);

	*n = 0;
	if (r->bad || v > rd_left(r)) {
		r->bad = 1;
		return NULL;
	}
	*n = (size_t)v;
	return rd_take(r, (size_t)v);
}

/* NUL-terminated string: returns its bytes (without the NUL), sets *n and
 * consumes the NUL. Without a NUL before the end: marks bad unless
 * nul_optional, in which case the rest of the range is the string. */
static inline const uint8_t *rd_nulstr(struct cd_bytes *r, size_t *n,
				       int nul_optional)
{
	const uint8_t *s, *z;
	size_t left = rd_left(r);

	*n = 0;
	if (r->bad)
		return NULL;
	if (left == 0) {
		if (!nul_optional)
			r->bad = 1;
		return NULL;
	}
	s = r->p + r->off;
	z = memchr(s, 0, left);
	if (!z) {
		if (!nul_optional) {
			r->bad = 1;
			return NULL;
		}
		*n = left;
		r->off += left;
		return s;
	}
	*n = (size_t)(z - s);
	r->off += *n + 1;
	return s;
}

/* Writing cursor over a caller buffer. */
struct wr {
	uint8_t *p; /* start of the buffer */
	size_t cap; /* its size */
	size_t off; /* bytes written */
	int full;   /* a write did not fit */
};

static inline void wr_init(struct wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->off = 0;
	w->full = 0;
}

/* Claims n bytes of room: returns their address, or NULL (marks full; for
 * n == 0 NULL is no failure). */
static inline uint8_t *wr_room(struct wr *w, size_t n)
{
	uint8_t *q;

	if (w->full || n > w->cap - w->off) {
		w->full = 1;
		return NULL;
	}
	if (n == 0)
		return NULL;
	q = w->p + w->off;
	w->off += n;
	return q;
}

static inline void wr_u8(struct wr *w, uint8_t v)
{
	uint8_t *q = wr_room(w, 1);

	if (q)
		q[0] = v;
}

static inline void wr_le16(struct wr *w, uint16_t v)
{
	uint8_t *q = wr_room(w, 2);

	if (q) {
		q[0] = (uint8_t)v;
		q[1] = (uint8_t)(v >> 8);
	}
}

static inline void wr_le32(struct wr *w, uint32_t v)
{
	uint8_t *q = wr_room(w, 4);

	if (q) {
		q[0] = (uint8_t)v;
		q[1] = (uint8_t)(v >> 8);
		q[2] = (uint8_t)(v >> 16);
		q[3] = (uint8_t)(v >> 24);
	}
}

/* Copies n bytes (src may be NULL when n is 0). */
static inline void wr_bytes(struct wr *w, const void *src, size_t n)
{
	uint8_t *q = wr_room(w, n);

	if (q && n)
		memcpy(q, src, n);
}

static inline void wr_zeros(struct wr *w, size_t n)
{
	uint8_t *q = wr_room(w, n);

	if (q && n)
		memset(q, 0, n);
}

static inline void wr_lenenc(struct wr *w, uint64_t v)
{
	uint8_t tmp[9];
	long n = mysql_put_lenenc_int(tmp, sizeof(tmp), v);

	if (n < 0)
		w->full = 1;
	else
		wr_bytes(w, tmp, (size_t)n);
}

/* Length-encoded string. */
static inline void wr_lenenc_str(struct wr *w, const void *s, size_t n)
{
	wr_lenenc(w, n);
	wr_bytes(w, s, n);
}

/* Length of the C string in a char array of `max` bytes; `max` when it has
 * no NUL (strnlen() without needing POSIX feature macros). */
static inline size_t str_len_max(const char *s, size_t max)
{
	const char *z = memchr(s, 0, max);

	return z ? (size_t)(z - s) : max;
}

/* Result of a builder: bytes written or MYSQL_TOOBIG. */
static inline long wr_result(const struct wr *w)
{
	return w->full ? MYSQL_TOOBIG : (long)w->off;
}

#endif /* CONNDOCTOR_MYSQL_WIRE_H */
