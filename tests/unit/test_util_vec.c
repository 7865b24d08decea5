/* test_util_vec.c - the growable array: pushes up to the maximum, the
 * refusal one past it, growth keeping the elements, append, free, and
 * cd_vec_grow() on a caller's own (pointer, count, capacity), and
 * cd_vec_shrink() giving room back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/vec.h"

struct item {
	uint32_t a;
	uint16_t b;
};

static void push_to_the_maximum(void **state)
{
	struct cd_vec v;
	struct item *x;
	size_t i;

	(void)state;
	cd_vec_init(&v, sizeof(struct item), 100);
	for (i = 0; i < 100; i++) {
		x = cd_vec_push(&v);
		assert_non_null(x);
		assert_int_equal(x->a, 0); /* zeroed */
		x->a = (uint32_t)(i * 7);
		x->b = (uint16_t)i;
	}
	assert_int_equal(v.n, 100);
	assert_true(v.cap >= 100 && v.cap <= 100);
	/* growth moved them, and kept every one */
	for (i = 0; i < 100; i++) {
		x = cd_vec_at(&v, i);
		assert_int_equal(x->a, i * 7);
		assert_int_equal(x->b, i);
	}
	errno = 0;
	assert_null(cd_vec_push(&v));
	assert_int_equal(errno, E2BIG);
	assert_int_equal(v.n, 100);
	assert_int_equal(cd_vec_append(&v, x, 1), -1);
	assert_int_equal(errno, E2BIG);
	cd_vec_free(&v);
	assert_null(v.data);
	assert_int_equal(v.n, 0);
	assert_int_equal(v.cap, 0);
	/* usable again after free */
	assert_non_null(cd_vec_push(&v));
	assert_int_equal(v.n, 1);
	cd_vec_free(&v);
}

static void growth_doubles(void **state)
{
	struct cd_vec v;
	size_t i, caps[8], ncaps = 0, last = 0;

	(void)state;
	cd_vec_init(&v, 1, 1000);
	for (i = 0; i < 200; i++) {
		assert_non_null(cd_vec_push(&v));
		if (v.cap != last) {
			assert_true(ncaps < 8);
			caps[ncaps++] = v.cap;
			last = v.cap;
		}
	}
	assert_int_equal(ncaps, 5);
	assert_int_equal(caps[0], 16);
	assert_int_equal(caps[1], 32);
	assert_int_equal(caps[2], 64);
	assert_int_equal(caps[3], 128);
	assert_int_equal(caps[4], 256);
	cd_vec_free(&v);
}

static void append_bytes(void **state)
{
	struct cd_vec v;

	(void)state;
	cd_vec_init(&v, 1, 10);
	assert_int_equal(cd_vec_append(&v, "hello", 5), 0);
	assert_int_equal(cd_vec_append(&v, "world", 5), 0);
	assert_int_equal(v.n, 10);
	assert_memory_equal(v.data, "helloworld", 10);
	assert_int_equal(cd_vec_append(&v, "!", 1), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(v.n, 10);
	assert_int_equal(cd_vec_append(&v, "", 0), 0);
	cd_vec_free(&v);

	/* more than the maximum in one go is refused whole */
	cd_vec_init(&v, 1, 4);
	assert_int_equal(cd_vec_append(&v, "hello", 5), -1);
	assert_int_equal(v.n, 0);
	cd_vec_free(&v);
}

static void grow_a_callers_array(void **state)
{
	struct item *arr = NULL, *n;
	size_t count = 0, cap = 0;

	(void)state;
	while (count < 5) {
		n = cd_vec_grow(arr, sizeof(*arr), count + 1, &cap, 5, 2);
		assert_non_null(n);
		arr = n;
		arr[count].a = (uint32_t)count;
		count++;
	}
	assert_int_equal(cap, 5); /* 2, 4, then clamped at the maximum */
	errno = 0;
	assert_null(cd_vec_grow(arr, sizeof(*arr), count + 1, &cap, 5, 2));
	assert_int_equal(errno, E2BIG);
	assert_int_equal(arr[4].a, 4); /* untouched */
	/* an element size whose product overflows size_t is refused */
	cap = 0;
	assert_null(cd_vec_grow(NULL, SIZE_MAX / 2, 1, &cap, SIZE_MAX, 4));
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(cap, 0);
	free(arr);
}

/* A buffer grown for a large packet gives its room back and keeps its
 * first bytes; a shrink that is not one leaves it as it is. */
static void shrink_keeps_the_front(void **state)
{
	size_t cap = 0, i;
	uint8_t *b = cd_vec_grow(NULL, 1, 5000, &cap, 1u << 20, 2048);

	(void)state;
	assert_non_null(b);
	assert_int_equal(cap, 8192);
	for (i = 0; i < cap; i++)
		b[i] = (uint8_t)i;
	b = cd_vec_shrink(b, 1, 2048, &cap);
	assert_int_equal(cap, 2048);
	for (i = 0; i < cap; i++)
		assert_int_equal(b[i], (uint8_t)i);
	assert_ptr_equal(cd_vec_shrink(b, 1, 4096, &cap), b);
	assert_int_equal(cap, 2048);
	assert_ptr_equal(cd_vec_shrink(b, 1, 0, &cap), b);
	assert_int_equal(cap, 2048);
	assert_null(cd_vec_shrink(NULL, 1, 16, &cap));
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(push_to_the_maximum),
		cmocka_unit_test(growth_doubles),
		cmocka_unit_test(append_bytes),
		cmocka_unit_test(grow_a_callers_array),
		cmocka_unit_test(shrink_keeps_the_front),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
