/* fuzz_mysql_qattr.c - query attributes (COM_QUERY with
 * CLIENT_QUERY_ATTRIBUTES) and COM_STMT_EXECUTE parameters
 * (mysql/qattr.h) over any bytes: an accepted block ends inside the
 * input, names and values lie inside it, at most MYSQL_QATTR_KEEP are
 * kept, every value prints within its buffer, NUL-terminated (a string
 * value may hold NULs of its own: the caller escapes it), and no strict
 * prefix that cuts the block is accepted.
 */
#include <string.h>

#include "fuzz.h"
#include "mysql/qattr.h"

static int inside(const uint8_t *p, size_t n, const uint8_t *d, size_t size)
{
	return !n || (p && p >= d && p + n <= d + size);
}

static void check_block(const struct mysql_qattrs *q, const uint8_t *data,
			size_t size)
{
	unsigned i;
	char buf[80];

	CHECK(q->end <= size);
	CHECK(q->kept <= MYSQL_QATTR_KEEP && q->kept <= q->count);
	for (i = 0; i < q->kept; i++) {
		const struct mysql_qattr *a = &q->a[i];
		size_t w;

		CHECK(inside(a->name, a->name_len, data, size));
		CHECK(a->is_null || inside(a->val, a->val_len, data, size));
		w = mysql_qattr_value_text(a, buf, sizeof(buf));
		CHECK(w < sizeof(buf) && buf[w] == '\0');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mysql_qattrs q;
	long nparams;

	if (mysql_query_attrs_parse(data, size, &q) == MYSQL_OK) {
		check_block(&q, data, size);
		if (q.end > 0)
			CHECK(mysql_query_attrs_parse(data, q.end - 1, &q) ==
			      MYSQL_BAD);
	}
	nparams = size ? (long)(data[size - 1] % 4) - 1 : -1;
	if (mysql_execute_params_parse(data, size, nparams, size & 1, &q) ==
	    MYSQL_OK) {
		check_block(&q, data, size);
		CHECK(q.end >= 10);
		CHECK(mysql_execute_params_parse(data, q.end - 1, nparams,
						 size & 1, &q) != MYSQL_OK);
	}
	return 0;
}
