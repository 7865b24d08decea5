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

/* cd_fputs_html() of s, as a malloc'd string. */
static char *html_of(const char *s)
{
	char *got = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&got, &len);

	assert_non_null(f);
	cd_fputs_html(s, f);
	assert_int_equal(fclose(f), 0);
	return got;
}

static void html_markup_is_data(void **state)
{
	static const struct {
		const char *in, *want;
	} v[] = {
		{"<script>alert(1)</script>",
		 "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"\"><img src=x onerror=alert(1)>",
		 "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"},
		{"' onmouseover='alert(1)", "&#39; onmouseover=&#39;alert(1)"},
		{"&lt; stays text", "&amp;lt; stays text"},
		{"</style></svg><svg onload=alert(1)>",
		 "&lt;/style&gt;&lt;/svg&gt;&lt;svg onload=alert(1)&gt;"},
		{"<!--", "&lt;!--"},
		{"]]><![CDATA[", "]]&gt;&lt;![CDATA["},
		{"Access denied for user 'a'@'h'",
		 "Access denied for user &#39;a&#39;@&#39;h&#39;"},
		{"", ""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *got = html_of(v[i].in);

		assert_string_equal(got, v[i].want);
		assert_null(strpbrk(got, "<>\"'"));
		free(got);
	}
}

static void html_control_bytes_are_escaped(void **state)
{
	/* ESC, BEL, CR, LF, NUL-free high bytes and a backslash: the text
	 * sanitizer's escapes, which contain nothing HTML gives a meaning. */
	char *got = html_of("a\x1b[2J\x07\r\n\t\xc3\xa9\\<b>");

	(void)state;
	assert_string_equal(got,
			    "a\\x1b[2J\\x07\\r\\n\\t\\xc3\\xa9\\\\&lt;b&gt;");
	free(got);
	got = html_of(NULL);
	assert_string_equal(got, "");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(control_bytes_are_escaped),
		cmocka_unit_test(nul_is_escaped_inside_a_buffer),
		cmocka_unit_test(cut_at_a_whole_escape),
		cmocka_unit_test(stream_matches_buffer),
		cmocka_unit_test(html_markup_is_data),
		cmocka_unit_test(html_control_bytes_are_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
