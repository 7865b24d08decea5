/* test_util_escape.c - the one text sanitizer (util/escape.h): every byte
 * outside printable ASCII leaves as an escape, cuts fall between escapes,
 * and the streaming form writes what the buffer form does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/escape.h"

static void control_bytes_are_escaped(void **state)
{
	static const uint8_t in[] = "\x1b]0;t\x07\r\n\tA\\\x7f\xc3\xa9";
	char out[128];
	size_t n;

	(void)state;
	n = cd_escape(out, sizeof(out), in, sizeof(in) - 1);
	assert_string_equal(out, "\\x1b]0;t\\x07\\r\\n\\tA\\\\\\x7f\\xc3\\xa9");
	assert_int_equal(n, strlen(out));
}

static void nul_is_escaped_inside_a_buffer(void **state)
{
	static const uint8_t in[] = {'a', 0, 'b'};
	char out[16];

	(void)state;
	cd_escape(out, sizeof(out), in, sizeof(in));
	assert_string_equal(out, "a\\x00b");
}

static void cut_at_a_whole_escape(void **state)
{
	static const uint8_t in[] = "ab\x1b";
	char out[6];

	(void)state;
	/* "ab\x1b" needs 6 characters and the NUL: the escape is dropped
	 * whole, never cut to "ab\x1". */
	assert_int_equal(cd_escape(out, sizeof(out), in, 3), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(cd_escape(out, 0, in, 3), 0);
	assert_string_equal(cd_escape_str(out, sizeof(out), NULL), "");
}

static void stream_matches_buffer(void **state)
{
	const char *in = "v8\x1b[2J\x07\r\nno problem found\\";
	char want[256], *got = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&got, &len);

	(void)state;
	assert_non_null(f);
	cd_fputs_escaped(in, f);
	cd_fputs_escaped(NULL, f);
	assert_int_equal(fclose(f), 0);
	cd_escape_str(want, sizeof(want), in);
	assert_string_equal(got, want);
	assert_string_equal(got, "v8\\x1b[2J\\x07\\r\\nno problem found\\\\");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(control_bytes_are_escaped),
		cmocka_unit_test(nul_is_escaped_inside_a_buffer),
		cmocka_unit_test(cut_at_a_whole_escape),
		cmocka_unit_test(stream_matches_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
