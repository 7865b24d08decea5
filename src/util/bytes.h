/* bytes.h - the one set of bounds-checked byte readers (tcpdump's
 * GET_LE_U_n idea, mysql/wire.h's sticky-error cursor made common): a
 * cursor over a borrowed (pointer, length) whose reads never touch a byte
 * past the end; the first failure sticks, so a parser reads a whole
 * structure and checks once, and it says whether the input was cut short
 * (CD_BYTES_TRUNCATED) or said something impossible (CD_BYTES_INVALID).
 * Little- and big-endian 8/16/24/32/64-bit getters (and host-order ones
 * for netlink). Header-only, static
 * inline: the MySQL codec and the capture decoder read through it per byte.
 */
#ifndef CONNDOCTOR_UTIL_BYTES_H
#define CONNDOCTOR_UTIL_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Why a cursor went bad (its sticky state). */
enum cd_bytes_err {
	CD_BYTES_OK = 0,	/* every read so far fitted */
	CD_BYTES_TRUNCATED = 1, /* a read ran past the end */
	CD_BYTES_INVALID = 2	/* the parser found a value it cannot take */
};

/* Values at q, whose bytes the caller has bounds-checked (claimed with
 * cd_bytes_take() or measured against the input length). */
static inline uint16_t cd_le16_at(const uint8_t *q)
{
	return (uint16_t)(q[0] | (unsigned)q[1] << 8);
}

static inline uint32_t cd_le24_at(const uint8_t *q)
{
	return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16;
}

static inline uint32_t cd_le32_at(const uint8_t *q)
{
	return cd_le24_at(q) | (uint32_t)q[3] << 24;
}

static inline uint64_t cd_le64_at(const uint8_t *q)
{
	return (uint64_t)cd_le32_at(q) | (uint64_t)cd_le32_at(q + 4) << 32;
}

static inline uint16_t cd_be16_at(const uint8_t *q)
{
	return (uint16_t)((unsigned)q[0] << 8 | q[1]);
}

static inline uint32_t cd_be24_at(const uint8_t *q)
{
	return (uint32_t)q[0] << 16 | (uint32_t)q[1] << 8 | (uint32_t)q[2];
}

static inline uint32_t cd_be32_at(const uint8_t *q)
{
	return (uint32_t)q[0] << 24 | cd_be24_at(q + 1);
}

static inline uint64_t cd_be64_at(const uint8_t *q)
{
	return (uint64_t)cd_be32_at(q) << 32 | (uint64_t)cd_be32_at(q + 4);
}

/* Host byte order (netlink's fields): the bytes as this CPU stores them. */
static inline uint16_t cd_h16_at(const uint8_t *q)
{
	uint16_t v;

	memcpy(&v, q, sizeof(v));
	return v;
}

static inline uint32_t cd_h32_at(const uint8_t *q)
{
	uint32_t v;

	memcpy(&v, q, sizeof(v));
	return v;
}

/* Reading cursor over a borrowed range (it must outlive the cursor). */
struct cd_bytes {
	const uint8_t *p; /* start of the range */
	size_t len;	  /* bytes in the range */
	size_t off;	  /* next byte to read */
	int bad;	  /* enum cd_bytes_err: 0 until a read fails */
};

static inline void cd_bytes_init(struct cd_bytes *r, const uint8_t *p,
				 size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->bad = CD_BYTES_OK;
}

/* Bytes left to read (0 once bad). */
static inline size_t cd_bytes_left(const struct cd_bytes *r)
{
	return r->bad ? 0 : r->len - r->off;
}

/* Marks the cursor invalid (a value the parser cannot take), unless it
 * already failed: the first reason is the one kept. */
static inline void cd_bytes_invalid(struct cd_bytes *r)
{
	if (!r->bad)
		r->bad = CD_BYTES_INVALID;
}

/* Claims n bytes: returns their address, or NULL (and marks truncated).
 * For n == 0 the result may be NULL without failing: check r->bad, not the
 * pointer, and never pass it to memcpy() with a zero length. */
static inline const uint8_t *cd_bytes_take(struct cd_bytes *r, size_t n)
{
	const uint8_t *q;

	if (r->bad || n > r->len - r->off) {
		if (!r->bad)
			r->bad = CD_BYTES_TRUNCATED;
		return NULL;
	}
	if (n == 0)
		return r->p ? r->p + r->off : NULL;
	q = r->p + r->off;
	r->off += n;
	return q;
}

/* Skips n bytes (truncated when fewer are left). */
static inline void cd_bytes_skip(struct cd_bytes *r, size_t n)
{
	(void)cd_bytes_take(r, n);
}

/* The next byte without consuming it, or -1 at the end. */
static inline int cd_bytes_peek(const struct cd_bytes *r)
{
	return cd_bytes_left(r) ? r->p[r->off] : -1;
}

/* The getters: the value, or 0 once the cursor is bad. */
static inline uint8_t cd_bytes_u8(struct cd_bytes *r)
{
	const uint8_t *q = cd_bytes_take(r, 1);

	return q ? q[0] : 0;
}

#define CD_BYTES_GETTER(name, type, n)                                         \
	static inline type cd_bytes_##name(struct cd_bytes *r)                 \
	{                                                                      \
		const uint8_t *q = cd_bytes_take(r, n);                        \
                                                                               \
		return q ? cd_##name##_at(q) : 0;                              \
	}

CD_BYTES_GETTER(le16, uint16_t, 2)
CD_BYTES_GETTER(le24, uint32_t, 3)
CD_BYTES_GETTER(le32, uint32_t, 4)
CD_BYTES_GETTER(le64, uint64_t, 8)
CD_BYTES_GETTER(be16, uint16_t, 2)
CD_BYTES_GETTER(be24, uint32_t, 3)
CD_BYTES_GETTER(be32, uint32_t, 4)
CD_BYTES_GETTER(be64, uint64_t, 8)

#undef CD_BYTES_GETTER

#endif /* CONNDOCTOR_UTIL_BYTES_H */
