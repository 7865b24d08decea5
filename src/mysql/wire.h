/* wire.h - private cursor helpers of the MySQL codec: bounds-checked
 * little-endian readers and writers over a byte range (MySQL "Basic Data
 * Types" page: fixed-length and length-encoded integers and strings).
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

/* Little-endian values at q, whose bytes the caller has bounds-checked
 * (claimed with rd_take() or measured against the input length). */
static inline uint16_t le16_at(const uint8_t *q)
{
	return (uint16_t)(q[0] | (unsigned)q[1] << 8);
}

static inline uint32_t le24_at(const uint8_t *q)
{
	return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16;
}

static inline uint32_t le32_at(const uint8_t *q)
{
	return le24_at(q) | (uint32_t)q[3] << 24;
}

/* Reading cursor over a borrowed, complete payload. */
struct rd {
	const uint8_t *p; /* start of the range */
	size_t len;	  /* bytes in the range */
	size_t off;	  /* next byte to read */
	int bad;	  /* a read ran past the end */
};

static inline void rd_init(struct rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->bad = 0;
}

/* Bytes left to read (0 once bad). */
static inline size_t rd_left(const struct rd *r)
{
	return r->bad ? 0 : r->len - r->off;
}

/* Claims n bytes: returns their address, or NULL (and marks bad). For
 * n == 0 the result may be NULL without failing: check r->bad, not the
 * pointer, and never pass it to memcpy() with a zero length. */
static inline const uint8_t *rd_take(struct rd *r, size_t n)
{
	const uint8_t *q;

	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	if (n == 0)
		return r->p ? r->p + r->off : NULL;
	q = r->p + r->off;
	r->off += n;
	return q;
}

/* The next byte without consuming it, or -1 at the end. */
static inline int rd_peek(const struct rd *r)
{
	return rd_left(r) ? r->p[r->off] : -1;
}

static inline uint8_t rd_u8(struct rd *r)
{
	const uint8_t *q = rd_take(r, 1);

	return q ? q[0] : 0;
}

static inline uint16_t rd_le16(struct rd *r)
{
	const uint8_t *q = rd_take(r, 2);

	return q ? le16_at(q) : 0;
}

static inline uint32_t rd_le24(struct rd *r)
{
	const uint8_t *q = rd_take(r, 3);

	return q ? le24_at(q) : 0;
}

static inline uint32_t rd_le32(struct rd *r)
{
	const uint8_t *q = rd_take(r, 4);

	return q ? le32_at(q) : 0;
}

/* Length-encoded integer; 0xfb and 0xff (and truncation) mark bad. */
static inline uint64_t rd_lenenc(struct rd *r)
{
	uint64_t v = 0;
	size_t used = 0;

	if (r->bad || r->off == r->len) {
		r->bad = 1;
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
static inline const uint8_t *rd_lenenc_str(struct rd *r, size_t *n)
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
static inline const uint8_t *rd_nulstr(struct rd *r, size_t *n,
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
