/* qattr.h - query attributes and named parameters on the wire (MySQL
 * "COM_QUERY" page with CLIENT_QUERY_ATTRIBUTES, MySQL 8.0.23+;
 * "COM_STMT_EXECUTE" page; "Binary Protocol Value" page for the values).
 * Pure and bounds-checked like the rest of the codec: borrowed pointers
 * into the caller's payload, no allocation.
 */
#ifndef CONNDOCTOR_MYSQL_QATTR_H
#define CONNDOCTOR_MYSQL_QATTR_H

#include <stddef.h>
#include <stdint.h>

#include "mysql/mysql.h"

#define MYSQL_CLIENT_QUERY_ATTRIBUTES 0x08000000u
/* COM_STMT_EXECUTE flags: parameter_count follows the iteration count. */
#define MYSQL_PARAMETER_COUNT_AVAILABLE 0x08u

#define MYSQL_TYPE_STRING                                                      \
	0xfeu			 /* the type the mysql client's                \
				    query_attributes command sends */
#define MYSQL_QATTR_KEEP 8	 /* attributes returned; the rest counted */
#define MYSQL_QATTR_MAX	 0xffffu /* a parameter count past this is BAD */

/* One attribute or parameter, borrowed from the payload. */
struct mysql_qattr {
	const uint8_t *name; /* NULL when the types were not sent */
	size_t name_len;
	uint8_t type;	    /* MYSQL_TYPE_* (field type byte) */
	int is_unsigned;    /* the flag byte's 0x80 */
	int is_null;	    /* its bit in the null bitmap */
	const uint8_t *val; /* the value's bytes (no length prefix) */
	size_t val_len;
};

struct mysql_qattrs {
	uint64_t count; /* parameter_count */
	size_t end;	/* offset of what follows (COM_QUERY: the text) */
	unsigned kept;	/* entries filled in a[] (<= MYSQL_QATTR_KEEP) */
	int types_sent; /* new_params_bind_flag */
	struct mysql_qattr a[MYSQL_QATTR_KEEP];
};

/* COM_QUERY when both sides set CLIENT_QUERY_ATTRIBUTES: p is the whole
 * payload (0x03 first). Fills q (end: where the statement text starts).
 * MYSQL_BAD for another command, a parameter_set_count other than 1, a
 * count over MYSQL_QATTR_MAX, or a block that runs past len. */
int mysql_query_attrs_parse(const uint8_t *p, size_t len,
			    struct mysql_qattrs *q);

/* COM_STMT_EXECUTE's parameters: p is the whole payload (0x17 first);
 * nparams the statement's parameter count from its prepare reply, or -1
 * unknown; qa: both sides set CLIENT_QUERY_ATTRIBUTES (the names are
 * then sent with the types). MYSQL_NEED_MORE when the count is unknown
 * and the packet does not carry it (the block cannot be delimited);
 * MYSQL_BAD as above. */
int mysql_execute_params_parse(const uint8_t *p, size_t len, long nparams,
			       int qa, struct mysql_qattrs *q);

/* Writes a COM_QUERY payload for a session where both sides set
 * CLIENT_QUERY_ATTRIBUTES: 0x03, parameter_count n and parameter_set_count
 * 1 (lenenc), then for n > 0 the null bitmap, new_params_bind_flag 1, each
 * attribute's type (2 bytes: type, flags with 0x80 for unsigned) and name
 * (lenenc), the non-NULL values (lenenc strings), and the statement text
 * q[0, qlen). Values are length-prefixed ones (MYSQL_TYPE_STRING 0xfe,
 * the other string types, decimals); a fixed-size or date/time type is
 * MYSQL_BAD. Returns the bytes written or
 * MYSQL_TOOBIG when cap is short. */
long mysql_query_attrs_write(uint8_t *out, size_t cap,
			     const struct mysql_qattr *a, size_t n,
			     const char *q, size_t qlen);

/* Writes a's value as text (decimal integers, %.17g floats, dates as
 * YYYY-MM-DD hh:mm:ss[.ffffff], strings as their bytes, unescaped: the
 * caller escapes) into out, cut to fit cap (NUL-terminated when cap > 0).
 * NULL prints as NULL. Returns the bytes written. */
size_t mysql_qattr_value_text(const struct mysql_qattr *a, char *out,
			      size_t cap);

#endif /* CONNDOCTOR_MYSQL_QATTR_H */
