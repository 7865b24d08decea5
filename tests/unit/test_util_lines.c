/* test_util_lines.c - cd_next_line over texts with and without a final
 * newline, empty lines and NUL bytes (which it passes through: the
 * parsers decide what a NUL means). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/fileio.h"

/* Splits text into want[0..nwant) exactly. */
static void expect_lines(const char *text, size_t len, const char **want,
			 size_t nwant)
{
	size_t off = 0, i = 0;

	while (off < len) {
		const char *line;
		size_t n = cd_next_line(text, len, &off, &line);

		assert_true(i < nwant);
		assert_int_equal(n, strlen(want[i]));
		assert_memory_equal(line, want[i], n);
		assert_true(off <= len);
		i++;
	}
	assert_int_equal(i, nwant);
}

static void test_lines(void **state)
{
	static const char *three[] = {"a", "bc", "", "d"};
	static const char *one[] = {"x"};
	static const char *blank[] = {"", ""};

	(void)state;
	expect_lines("a\nbc\n\nd", 7, three, 4);
	expect_lines("a\nbc\n\nd\n", 8, three, 4);
	expect_lines("x\n", 2, one, 1);
	expect_lines("x", 1, one, 1);
	expect_lines("\n\n", 2, blank, 2);
	expect_lines("", 0, NULL, 0);
}

static void test_nul_passes_through(void **state)
{
	static const char text[] = {'a', '\0', 'b', '\n', 'c'};
	size_t off = 0;
	const char *line;

	(void)state;
	assert_int_equal(cd_next_line(text, sizeof(text), &off, &line), 3);
	assert_ptr_equal(line, text);
	assert_int_equal(off, 4);
	assert_int_equal(cd_next_line(text, sizeof(text), &off, &line), 1);
	assert_ptr_equal(line, text + 4);
	assert_int_equal(off, sizeof(text));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_nul_passes_through),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
