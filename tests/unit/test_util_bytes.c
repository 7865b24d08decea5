/* test_util_bytes.c - util/bytes.h: every getter's exact value in both
 * byte orders, truncation at every shorter length (sticky, and told apart
 * from invalid), and every read fed at a guard page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "util/bytes.h"

static const uint8_t in[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xf8};

/* Reads one value of width n with the getter for (n, be) from r. */
static uint64_t get(struct cd_bytes *r, unsigned n, int be)
{
	switch (n) {
	case 1:
		return cd_bytes_u8(r);
	case 2:
		return be ? cd_bytes_be16(r) : cd_bytes_le16(r);
	case 3:
		return be ? cd_bytes_be24(r) : cd_bytes_le24(r);
	case 4:
		return be ? cd_bytes_be32(r) : cd_bytes_le32(r);
	default:
		return be ? cd_bytes_be64(r) : cd_bytes_le64(r);
	}
}

static const unsigned widths[] = {1, 2, 3, 4, 8};

static void exact_values(void **state)
{
	struct cd_bytes r;

	(void)state;
	cd_bytes_init(&r, in, sizeof(in));
	assert_int_equal(cd_bytes_u8(&r), 0x01);
	assert_int_equal(cd_bytes_le16(&r), 0x0302);
	assert_int_equal(cd_bytes_le24(&r), 0x060504);
	assert_int_equal(cd_bytes_left(&r), 2);
	assert_int_equal(cd_bytes_peek(&r), 0x07);
	cd_bytes_init(&r, in, sizeof(in));
	assert_int_equal(cd_bytes_le32(&r), 0x04030201);
	assert_int_equal(cd_bytes_be32(&r), 0x050607f8);
	cd_bytes_init(&r, in, sizeof(in));
	assert_int_equal(cd_bytes_be16(&r), 0x0102);
	assert_int_equal(cd_bytes_be24(&r), 0x030405);
	cd_bytes_init(&r, in, sizeof(in));
	assert_true(cd_bytes_le64(&r) == 0xf807060504030201ull);
	assert_int_equal(r.bad, CD_BYTES_OK);
	assert_int_equal(cd_bytes_left(&r), 0);
	assert_int_equal(cd_bytes_peek(&r), -1);
	cd_bytes_init(&r, in, sizeof(in));
	assert_true(cd_bytes_be64(&r) == 0x01020304050607f8ull);
	/* the _at forms agree */
	assert_int_equal(cd_le16_at(in + 6), 0xf807);
	assert_int_equal(cd_be16_at(in + 6), 0x07f8);
	assert_int_equal(cd_le24_at(in + 5), 0xf80706);
	assert_int_equal(cd_be24_at(in + 5), 0x0607f8);
	/* host order: netlink's, this CPU's */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	assert_int_equal(cd_h16_at(in), 0x0201);
	assert_int_equal(cd_h32_at(in + 4), 0xf8070605);
#else
	assert_int_equal(cd_h16_at(in), 0x0102);
	assert_int_equal(cd_h32_at(in + 4), 0x050607f8);
#endif
}

static void truncated_at_every_length(void **state)
{
	struct cd_bytes r;
	size_t w, len;
	int be;

	(void)state;
	for (w = 0; w < sizeof(widths) / sizeof(widths[0]); w++)
		for (be = 0; be < 2; be++)
			for (len = 0; len < widths[w]; len++) {
				cd_bytes_init(&r, in, len);
				assert_true(get(&r, widths[w], be) == 0);
				assert_int_equal(r.bad, CD_BYTES_TRUNCATED);
				assert_int_equal(r.off, 0); /* nothing taken */
				assert_int_equal(cd_bytes_left(&r), 0);
				/* sticky: a read that would fit fails too */
				assert_int_equal(cd_bytes_u8(&r), 0);
				assert_int_equal(r.bad, CD_BYTES_TRUNCATED);
			}
}

static void invalid_is_told_apart(void **state)
{
	struct cd_bytes r;

	(void)state;
	cd_bytes_init(&r, in, sizeof(in));
	assert_int_equal(cd_bytes_u8(&r), 1);
	cd_bytes_invalid(&r);
	assert_int_equal(r.bad, CD_BYTES_INVALID);
	assert_int_equal(cd_bytes_u8(&r), 0);
	assert_int_equal(r.bad, CD_BYTES_INVALID); /* the first reason stays */
	cd_bytes_init(&r, in, 1);
	cd_bytes_skip(&r, 2);
	assert_int_equal(r.bad, CD_BYTES_TRUNCATED);
	cd_bytes_invalid(&r);
	assert_int_equal(r.bad, CD_BYTES_TRUNCATED);
	/* an empty take is no failure, even over NULL */
	cd_bytes_init(&r, NULL, 0);
	(void)cd_bytes_take(&r, 0);
	assert_int_equal(r.bad, CD_BYTES_OK);
}

static void at_the_guard_page(void **state)
{
	struct guard g;
	struct cd_bytes r;
	const uint8_t *p;
	size_t w, len;
	int be;

	(void)state;
	guard_init(&g, sizeof(in));
	for (w = 0; w < sizeof(widths) / sizeof(widths[0]); w++)
		for (be = 0; be < 2; be++)
			for (len = 0; len <= widths[w]; len++) {
				p = guard_put(&g, in, len);
				cd_bytes_init(&r, p, len);
				(void)get(&r, widths[w], be);
				assert_int_equal(r.bad,
						 len == widths[w]
							 ? CD_BYTES_OK
							 : CD_BYTES_TRUNCATED);
				assert_int_equal(cd_bytes_peek(&r), -1);
			}
	guard_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_values),
		cmocka_unit_test(truncated_at_every_length),
		cmocka_unit_test(invalid_is_told_apart),
		cmocka_unit_test(at_the_guard_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
