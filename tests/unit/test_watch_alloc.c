/* test_watch_alloc.c - watch's malloc settings (watch/alloc.h): once set,
 * a large block freed does not raise glibc's mmap threshold, so the large
 * blocks after it (the socket census' arrays, a /metrics answer) are still
 * mmap'd, each its own mapping given back to the system when freed, rather
 * than carved from the heap, which keeps them (the RSS climb that
 * docs/watch.md, "Cost", measured). Counts of mappings from mallinfo2(),
 * no timing. Skipped where glibc's malloc is not the one in use (ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "watch/alloc.h"

#if defined(__SANITIZE_ADDRESS__)
#define CD_OTHER_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CD_OTHER_MALLOC 1
#endif
#endif

#if defined(__GLIBC__) && !defined(CD_OTHER_MALLOC) && __GLIBC_PREREQ(2, 33)
#define CD_CAN_TEST 1

/* A block of n bytes, written to, then freed: asserts that it was a
 * mapping of its own (one more mmap'd block while held, at least n bytes
 * more mmap'd) and that freeing it gave the mapping back. */
static void assert_mapped_alone(size_t n)
{
	struct mallinfo2 before, held, after;
	char *p;

	before = mallinfo2();
	p = malloc(n);
	assert_non_null(p);
	memset(p, 0x5a, n);
	held = mallinfo2();
	assert_int_equal(held.hblks, before.hblks + 1);
	assert_true(held.hblkhd >= before.hblkhd + n);
	free(p);
	after = mallinfo2();
	assert_int_equal(after.hblks, before.hblks);
	assert_int_equal(after.hblkhd, before.hblkhd);
}
#endif

static void large_blocks_stay_mapped(void **state)
{
	(void)state;
#ifdef CD_CAN_TEST
	{
		static const size_t sizes[] = {WATCH_MMAP_THRESHOLD, 256 * 1024,
					       1024 * 1024, 3 * 1024 * 1024,
					       12 * 1024 * 1024};
		char *big;
		size_t i;
		int round;

		assert_int_equal(watch_malloc_setup(), 0);
		for (round = 0; round < 3; round++) {
			/* glibc's default would now raise the threshold
			 * to 24 MiB, and the trim threshold to 48 MiB. */
			big = malloc(24u * 1024 * 1024);
			assert_non_null(big);
			memset(big, 1, 24u * 1024 * 1024);
			free(big);
			for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
				assert_mapped_alone(sizes[i]);
		}
	}
#else
	skip();
#endif
}

/* A census array grown by doubling, as cd_vec_grow() does, with small
 * blocks kept between its steps: once it is past the threshold, every
 * later step is a mapping, and freeing the array leaves no mapping. */
static void growing_array_leaves_no_mapping(void **state)
{
	(void)state;
#ifdef CD_CAN_TEST
	{
		struct mallinfo2 before, after;
		void *keep[64];
		char *v = NULL, *nv;
		size_t cap = 4096, k = 0;
		int round;

		assert_int_equal(watch_malloc_setup(), 0);
		for (round = 0; round < 4; round++) {
			before = mallinfo2();
			for (cap = 4096; cap <= 8u * 1024 * 1024; cap *= 2) {
				nv = realloc(v, cap);
				assert_non_null(nv);
				v = nv;
				memset(v, 2, cap);
				if (k < 64)
					keep[k++] = malloc(48);
				if (cap >= 2 * WATCH_MMAP_THRESHOLD) {
					after = mallinfo2();
					assert_int_equal(after.hblks,
							 before.hblks + 1);
				}
			}
			free(v);
			v = NULL;
			after = mallinfo2();
			assert_int_equal(after.hblks, before.hblks);
			assert_int_equal(after.hblkhd, before.hblkhd);
		}
		while (k > 0)
			free(keep[--k]);
	}
#else
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(large_blocks_stay_mapped),
		cmocka_unit_test(growing_array_leaves_no_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
