/* attrs.c - a command's query attributes (MySQL "COM_QUERY" page with
 * CLIENT_QUERY_ATTRIBUTES) and named COM_STMT_EXECUTE parameters, decoded
 * by mysql/qattr.c, copied escaped into the command record. */
#include <string.h>

#include "capture/cap_int.h"
#include "mysql/qattr.h"
#include "util/escape.h"

/* Appends one escaped string with its NUL; 0 when it does not fit. */
static int put(char *buf, size_t cap, size_t *off, const uint8_t *s, size_t n)
{
	char tmp[CAP_ATTRS_MAX];
	size_t w = cd_escape(tmp, sizeof(tmp), s, n);

	if (*off + w + 1 > cap)
		return 0;
	memcpy(buf + *off, tmp, w + 1);
	*off += w + 1;
	return 1;
}

/* NULL is stored as the one byte NULL_MARK, which no escaped string
 * holds (they are printable ASCII). */
#define NULL_MARK '\x01'

static int put_null(char *buf, size_t cap, size_t *off)
{
	if (*off + 2 > cap)
		return 0;
	buf[(*off)++] = NULL_MARK;
	buf[(*off)++] = '\0';
	return 1;
}

void cap_attrs_fill(struct cap_cmd *c, const struct mysql_qattrs *q,
		    int named_only)
{
	size_t off = 0;
	unsigned i;

	c->nattrs = 0;
	c->attrs_total = q->count > 0xffff ? 0xffff : (uint16_t)q->count;
	for (i = 0; i < q->kept; i++) {
		const struct mysql_qattr *a = &q->a[i];
		char val[96];
		size_t vl, save = off;

		if (named_only && !a->name_len) {
			c->attrs_total--;
			continue;
		}
		vl = mysql_qattr_value_text(a, val, sizeof(val));
		if (!put(c->attrs, sizeof(c->attrs), &off, a->name,
			 a->name_len) ||
		    !(a->is_null ? put_null(c->attrs, sizeof(c->attrs), &off)
				 : put(c->attrs, sizeof(c->attrs), &off,
				       (const uint8_t *)val, vl))) {
			off = save;
			break;
		}
		c->nattrs++;
	}
}

const char *cap_attr_at(const struct cap_cmd *c, unsigned i, const char **value)
{
	const char *p = c->attrs;
	unsigned k;

	if (i >= c->nattrs)
		return NULL;
	for (k = 0; k < 2 * i; k++)
		p += strlen(p) + 1;
	*value = p + strlen(p) + 1;
	if ((*value)[0] == NULL_MARK)
		*value = NULL;
	return p;
}
