/* qattr.c - query attributes in COM_QUERY and parameters in
 * COM_STMT_EXECUTE (MySQL "COM_QUERY", "COM_STMT_EXECUTE" and "Binary
 * Protocol Value" pages).
 *
 * COM_QUERY with CLIENT_QUERY_ATTRIBUTES:
 *   0x03, parameter_count (lenenc), parameter_set_count (lenenc, 1),
 *   when parameter_count > 0: null_bitmap ((count + 7) / 8 bytes),
 *   new_params_bind_flag (1), when set: per parameter type (2: type,
 *   flags) and name (lenenc string); then the non-NULL values, each in its
 *   type's binary encoding; then the statement text to the end.
 * COM_STMT_EXECUTE: 0x17, id (4), flags (1), iteration_count (4), then
 *   with CLIENT_QUERY_ATTRIBUTES and (params > 0 or flags &
 *   PARAMETER_COUNT_AVAILABLE) parameter_count (lenenc); the same block.
 */
#include <stdio.h>
#include <string.h>

#include "mysql/qattr.h"
#include "mysql/wire.h"

/* Field types (MySQL "Column Types" enum_field_types). */
enum {
	T_DECIMAL = 0x00,
	T_TINY = 0x01,
	T_SHORT = 0x02,
	T_LONG = 0x03,
	T_FLOAT = 0x04,
	T_DOUBLE = 0x05,
	T_NULL = 0x06,
	T_TIMESTAMP = 0x07,
	T_LONGLONG = 0x08,
	T_INT24 = 0x09,
	T_DATE = 0x0a,
	T_TIME = 0x0b,
	T_DATETIME = 0x0c,
	T_YEAR = 0x0d
};

/* Bytes of a fixed-size value, 0 for a length-prefixed one; -1 for a
 * date/time (one length byte, then that many). */
static int fixed_size(uint8_t t)
{
	switch (t) {
	case T_TINY:
		return 1;
	case T_SHORT:
	case T_YEAR:
		return 2;
	case T_LONG:
	case T_INT24:
	case T_FLOAT:
		return 4;
	case T_LONGLONG:
	case T_DOUBLE:
		return 8;
	case T_DATE:
	case T_DATETIME:
	case T_TIMESTAMP:
	case T_TIME:
		return -1;
	case T_NULL:
		return -2;
	default:
		return 0; /* strings, decimals, blobs, JSON, bit, ...: lenenc */
	}
}

/* Reads one value of type t at r into a. */
static void read_value(struct cd_bytes *r, struct mysql_qattr *a)
{
	int sz = fixed_size(a->type);
	size_t n;

	if (sz == -2) {
		a->is_null = 1;
		return;
	}
	if (sz > 0) {
		a->val_len = (size_t)sz;
		a->val = rd_take(r, a->val_len);
		return;
	}
	if (sz == -1) {
		n = rd_u8(r);
		if ((a->type == T_TIME && n != 0 && n != 8 && n != 12) ||
		    (a->type != T_TIME && n != 0 && n != 4 && n != 7 &&
		     n != 11)) {
			r->bad = CD_BYTES_INVALID;
			return;
		}
		a->val_len = n;
		a->val = rd_take(r, n);
		return;
	}
	a->val = rd_lenenc_str(r, &a->val_len);
}

/* The block from the null bitmap on; r is past parameter_count (and
 * parameter_set_count). names: types carry names (query attributes). The
 * type list is walked a second time, in step with the values, by its own
 * cursor: linear in the count, whatever it is. */
static int read_block(struct cd_bytes *r, uint64_t count, int names,
		      struct mysql_qattrs *q)
{
	const uint8_t *bitmap;
	struct cd_bytes tr;
	size_t types_off;
	uint64_t i;

	q->count = count;
	q->kept = 0;
	q->types_sent = 0;
	if (count == 0)
		return r->bad ? MYSQL_BAD : MYSQL_OK;
	if (count > MYSQL_QATTR_MAX)
		return MYSQL_BAD;
	bitmap = rd_take(r, (size_t)((count + 7) / 8));
	q->types_sent = rd_u8(r) == 1;
	if (r->bad)
		return MYSQL_BAD;
	if (!q->types_sent)
		return MYSQL_NEED_MORE; /* types from an earlier execute */
	types_off = r->off;
	for (i = 0; i < count && !r->bad; i++) {
		size_t nl;

		(void)rd_take(r, 2);
		if (names)
			(void)rd_lenenc_str(r, &nl);
	}
	if (r->bad)
		return MYSQL_BAD;
	rd_init(&tr, r->p + types_off, r->off - types_off);
	for (i = 0; i < count && !r->bad; i++) {
		struct mysql_qattr tmp;
		struct mysql_qattr *a = i < MYSQL_QATTR_KEEP ? &q->a[i] : &tmp;
		const uint8_t *t = rd_take(&tr, 2);

		memset(a, 0, sizeof(*a));
		if (names)
			a->name = rd_lenenc_str(&tr, &a->name_len);
		if (!t || tr.bad)
			return MYSQL_BAD;
		a->type = t[0];
		a->is_unsigned = !!(t[1] & 0x80);
		a->is_null = !!(bitmap[i / 8] & (1u << (i % 8)));
		if (!a->is_null)
			read_value(r, a);
	}
	if (r->bad)
		return MYSQL_BAD;
	q->kept = count < MYSQL_QATTR_KEEP ? (unsigned)count : MYSQL_QATTR_KEEP;
	return MYSQL_OK;
}

int mysql_query_attrs_parse(const uint8_t *p, size_t len,
			    struct mysql_qattrs *q)
{
	struct cd_bytes r;
	uint64_t count, sets;
	int rc;

	rd_init(&r, p, len);
	if (rd_u8(&r) != MYSQL_COM_QUERY)
		return MYSQL_BAD;
	count = rd_lenenc(&r);
	sets = rd_lenenc(&r);
	if (r.bad || sets != 1)
		return MYSQL_BAD;
	rc = read_block(&r, count, 1, q);
	if (rc)
		return MYSQL_BAD; /* COM_QUERY always sends the types */
	q->end = len - rd_left(&r);
	return MYSQL_OK;
}

int mysql_execute_params_parse(const uint8_t *p, size_t len, long nparams,
			       int qa, struct mysql_qattrs *q)
{
	struct cd_bytes r;
	uint64_t count;
	uint8_t flags;
	int rc;

	rd_init(&r, p, len);
	if (rd_u8(&r) != MYSQL_COM_STMT_EXECUTE)
		return MYSQL_BAD;
	(void)rd_le32(&r); /* statement id */
	flags = rd_u8(&r);
	(void)rd_le32(&r); /* iteration count */
	if (r.bad)
		return MYSQL_BAD;
	if (qa && (nparams > 0 || (flags & MYSQL_PARAMETER_COUNT_AVAILABLE))) {
		count = rd_lenenc(&r);
		if (r.bad)
			return MYSQL_BAD;
	} else if (nparams >= 0) {
		count = (uint64_t)nparams;
	} else {
		return MYSQL_NEED_MORE;
	}
	rc = read_block(&r, count, qa, q);
	if (rc)
		return rc;
	q->end = len - rd_left(&r);
	return MYSQL_OK;
}

long mysql_query_attrs_write(uint8_t *out, size_t cap,
			     const struct mysql_qattr *a, size_t n,
			     const char *q, size_t qlen)
{
	struct wr w;
	size_t i;

	if (n > MYSQL_QATTR_MAX)
		return MYSQL_BAD;
	for (i = 0; i < n; i++)
		if (fixed_size(a[i].type) != 0)
			return MYSQL_BAD; /* length-prefixed values only */
	wr_init(&w, out, cap);
	wr_u8(&w, MYSQL_COM_QUERY);
	wr_lenenc(&w, n);
	wr_lenenc(&w, 1);
	if (n) {
		for (i = 0; i < (n + 7) / 8; i++) {
			uint8_t b = 0;

			for (size_t j = i * 8; j < n && j < i * 8 + 8; j++)
				if (a[j].is_null)
					b |= (uint8_t)(1u << (j % 8));
			wr_u8(&w, b);
		}
		wr_u8(&w, 1); /* new_params_bind_flag */
		for (i = 0; i < n; i++) {
			wr_u8(&w, a[i].type);
			wr_u8(&w, a[i].is_unsigned ? 0x80 : 0);
			wr_lenenc_str(&w, a[i].name, a[i].name_len);
		}
		for (i = 0; i < n; i++)
			if (!a[i].is_null)
				wr_lenenc_str(&w, a[i].val, a[i].val_len);
	}
	wr_bytes(&w, q, qlen);
	return wr_result(&w);
}

static uint64_t le_n(const uint8_t *v, size_t n)
{
	uint64_t x = 0;
	size_t i;

	for (i = n; i > 0; i--)
		x = x << 8 | v[i - 1];
	return x;
}

static int64_t sign_extend(uint64_t x, size_t n)
{
	uint64_t m;

	if (n == 0 || n >= 8)
		return (int64_t)x;
	m = 1ull << (n * 8 - 1);
	return (int64_t)((x ^ m) - m);
}

size_t mysql_qattr_value_text(const struct mysql_qattr *a, char *out,
			      size_t cap)
{
	const uint8_t *v = a->val;
	size_t n = a->val_len;
	int w = 0;

	if (!cap)
		return 0;
	out[0] = '\0';
	if (a->is_null || (!v && n))
		return (size_t)snprintf(out, cap, "NULL") < cap ? 4 : cap - 1;
	if (fixed_size(a->type) > 0 &&
	    (!v || n != (size_t)fixed_size(a->type))) {
		/* not as the parser gives it: nothing to print */
		return (size_t)snprintf(out, cap, "?") < cap ? 1 : 0;
	}
	if (fixed_size(a->type) == -1 && n && !v)
		return (size_t)snprintf(out, cap, "?") < cap ? 1 : 0;
	switch (fixed_size(a->type)) {
	case 1:
	case 2:
	case 4:
	case 8:
		if (a->type == T_FLOAT) {
			float f;
			uint32_t u = (uint32_t)le_n(v, 4);

			memcpy(&f, &u, sizeof(f));
			w = snprintf(out, cap, "%.9g", (double)f);
		} else if (a->type == T_DOUBLE) {
			double d;
			uint64_t u = le_n(v, 8);

			memcpy(&d, &u, sizeof(d));
			w = snprintf(out, cap, "%.17g", d);
		} else if (a->is_unsigned) {
			w = snprintf(out, cap, "%llu",
				     (unsigned long long)le_n(v, n));
		} else {
			w = snprintf(out, cap, "%lld",
				     (long long)sign_extend(le_n(v, n), n));
		}
		break;
	case -1:
		if (a->type == T_TIME) {
			/* is_negative, days (4), h, m, s, [usec (4)] */
			if (n == 0)
				w = snprintf(out, cap, "00:00:00");
			else if (n == 8)
				w = snprintf(out, cap, "%s%u %02u:%02u:%02u",
					     v[0] ? "-" : "", le32_at(v + 1),
					     v[5], v[6], v[7]);
			else
				w = snprintf(out, cap,
					     "%s%u %02u:%02u:%02u.%06u",
					     v[0] ? "-" : "", le32_at(v + 1),
					     v[5], v[6], v[7], le32_at(v + 8));
		} else if (n == 0) {
			w = snprintf(out, cap, "0000-00-00 00:00:00");
		} else if (n == 4) {
			w = snprintf(out, cap, "%04u-%02u-%02u",
				     (unsigned)le16_at(v), v[2], v[3]);
		} else if (n == 7) {
			w = snprintf(out, cap, "%04u-%02u-%02u %02u:%02u:%02u",
				     (unsigned)le16_at(v), v[2], v[3], v[4],
				     v[5], v[6]);
		} else {
			w = snprintf(out, cap,
				     "%04u-%02u-%02u %02u:%02u:%02u.%06u",
				     (unsigned)le16_at(v), v[2], v[3], v[4],
				     v[5], v[6], le32_at(v + 7));
		}
		break;
	default:
		if (n >= cap)
			n = cap - 1;
		if (n)
			memcpy(out, v, n);
		out[n] = '\0';
		return n;
	}
	if (w < 0)
		return 0;
	return (size_t)w < cap ? (size_t)w : cap - 1;
}
