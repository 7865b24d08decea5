/* test_chk_fields.c - check's typed facts: chk_fact_add() stores typed
 * values, the report renders hand-made facts as text (the definition's
 * template) and as JSON (numbers under unit-suffixed keys), and every
 * definition of check/fields.c is well formed and documented in
 * docs/json.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check/fields.h"
#include "fixture.h"
#include "report/report.h"
#include "util/json.h"

/* A definition made for these tests, every placeholder form in one. */
static const struct chk_fact_def demo = {
	"demo",
	"demo",
	"{n} ({mode|off|on|always}){?rate_s: at {rate_s:+.1f}/s}{!rate_s: "
	"idle}, {name:.3s}{?flag:, flagged {when:utc}}; {t_s:min} min, "
	"{t_s:g} s, {on:onoff}",
	{{"n", CHK_T_UINT},
	 {"mode", CHK_T_INT},
	 {"rate_s", CHK_T_DOUBLE},
	 {"name", CHK_T_STR},
	 {"flag", CHK_T_BOOL},
	 {"when", CHK_T_INT},
	 {"t_s", CHK_T_DOUBLE},
	 {"on", CHK_T_BOOL}}};

static void text_of(const struct chk_facts *f, size_t i, char *buf, size_t len)
{
	assert_true(i < f->n);
	rpt_fact_text(&f->v[i], buf, len);
}

static char *json_of(const struct chk_fact *x)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct json j;

	assert_non_null(m);
	json_init(&j, m, 0);
	rpt_fact_json(&j, x);
	json_flush(&j);
	fclose(m);
	return buf;
}

static void renders_every_placeholder(void **state)
{
	struct chk_facts f;
	char t[512];

	(void)state;
	chk_facts_init(&f);
	chk_fact_add(&f, &demo, NULL, CHK_UINT(3), CHK_INT(2), CHK_DBL(1.25),
		     CHK_STR("abcdef"), CHK_BOOL(1), CHK_INT(1795284248),
		     CHK_DBL(90), CHK_BOOL(1));
	chk_fact_add(&f, &demo, "second", CHK_UINT(0), CHK_INT(7), CHK_NUL,
		     CHK_STR(""), CHK_BOOL(0), CHK_NUL, CHK_NUL, CHK_BOOL(0));
	assert_int_equal(f.n, 2);
	text_of(&f, 0, t, sizeof(t));
	assert_string_equal(t, "3 (always) at +1.2/s, abc, flagged "
			       "2026-11-21 18:04:08 UTC; 1.5 min, 90 s, ON");
	/* an index out of the words is empty; null is "?" */
	text_of(&f, 1, t, sizeof(t));
	assert_string_equal(t, "0 () idle, ; ? min, ? s, OFF");
	assert_string_equal(f.v[0].key, "demo");
	assert_string_equal(f.v[1].key, "second");
	chk_facts_free(&f);
}

static void truncates_to_the_buffer(void **state)
{
	struct chk_facts f;
	char t[8];

	(void)state;
	chk_facts_init(&f);
	chk_fact_add(&f, &demo, NULL, CHK_UINT(123456), CHK_INT(0), CHK_NUL,
		     CHK_STR("x"), CHK_BOOL(0), CHK_NUL, CHK_NUL, CHK_BOOL(0));
	memset(t, 'Z', sizeof(t));
	text_of(&f, 0, t, sizeof(t));
	assert_string_equal(t, "123456 ");
	chk_facts_free(&f);
}

static void kernel_text_as_before(void **state)
{
	struct chk_facts f;
	char t[512];

	(void)state;
	chk_facts_init(&f);
	chk_fact_add(&f, &chk_fields_kernel[CHK_FK_SYN_RETRIES], NULL,
		     CHK_INT(6), CHK_INT(0), CHK_DBL(127));
	chk_fact_add(&f, &chk_fields_kernel[CHK_FK_RETRIES2], NULL, CHK_INT(15),
		     CHK_DBL(924.6));
	chk_fact_add(&f, &chk_fields_kernel[CHK_FK_TW_REUSE], NULL, CHK_INT(2));
	text_of(&f, 0, t, sizeof(t));
	assert_string_equal(t, "6 (linear timeouts 0): a connect to a dead or "
			       "filtered server fails after 127 s without a "
			       "connect timeout");
	text_of(&f, 1, t, sizeof(t));
	assert_string_equal(t, "15: a query to a server that died mid-session "
			       "fails after at least 925 s (15.4 min)");
	text_of(&f, 2, t, sizeof(t));
	assert_string_equal(t, "2 (loopback only)");
	chk_facts_free(&f);
}

static void json_holds_numbers(void **state)
{
	struct chk_facts f;
	char *j;

	(void)state;
	chk_facts_init(&f);
	chk_fact_add(&f, &demo, "k", CHK_UINT(18446744073709551615ull),
		     CHK_INT(-1), CHK_DBL(0.5), CHK_STR("a\"b"), CHK_BOOL(1),
		     CHK_NUL, CHK_DBL(60), CHK_BOOL(0));
	j = json_of(&f.v[0]);
	assert_string_equal(
		j, "{\"section\":\"demo\",\"fact\":\"demo\",\"key\":\"k\","
		   "\"values\":{\"n\":18446744073709551615,\"mode\":-1,"
		   "\"rate_s\":0.500000,\"name\":\"a\\\"b\",\"flag\":true,"
		   "\"when\":null,\"t_s\":60,\"on\":false}}\n");
	free(j);
	chk_facts_free(&f);
}

/* A string for a number, or a number for a string, is stored as null:
 * prose cannot reach a measurement. */
static void mismatched_types_are_null(void **state)
{
	struct chk_facts f;
	char *j;

	(void)state;
	chk_facts_init(&f);
	chk_fact_add(&f, &chk_fields_kernel[CHK_FK_SYNACK_RETRIES], NULL,
		     CHK_STR("5 retries"), CHK_DBL(63));
	chk_fact_add(&f, &chk_fields_server[CHK_FS_VERSION], NULL, CHK_INT(10));
	assert_int_equal(f.v[0].v[0].type, CHK_T_NULL);
	assert_int_equal(f.v[0].v[1].type, CHK_T_DOUBLE);
	assert_int_equal(f.v[1].v[0].type, CHK_T_NULL);
	j = json_of(&f.v[0]);
	assert_non_null(strstr(j, "\"synack_retries_count\":null,"
				  "\"half_open_drop_s\":63}"));
	free(j);
	assert_null(chk_fact_value(&f.v[0], "nope"));
	assert_ptr_equal(chk_fact_value(&f.v[0], "half_open_drop_s"),
			 &f.v[0].v[1]);
	chk_facts_free(&f);
}

/* A call that gives a definition too few values is a bug made visible. */
static void wrong_count_is_reported(void **state)
{
	const struct chk_arg one[] = {CHK_INT(5)};
	struct chk_facts f;

	(void)state;
	chk_facts_init(&f);
	chk_fact_addv(&f, &chk_fields_kernel[CHK_FK_SYNACK_RETRIES], NULL, one,
		      1);
	assert_int_equal(f.n, 1);
	assert_null(f.v[0].def);
	assert_string_equal(f.v[0].key, "internal");
	assert_string_equal(f.v[0].why, "fact kernel/tcp_synack_retries given "
					"1 values for 2 fields");
	chk_facts_free(&f);
}

static void unreadable_has_a_reason(void **state)
{
	struct chk_facts f;
	char t[64];

	(void)state;
	chk_facts_init(&f);
	chk_unreadable(&f, "counters", "%s: %d", "open", 13);
	assert_null(f.v[0].def);
	assert_string_equal(f.v[0].section, "unreadable");
	text_of(&f, 0, t, sizeof(t));
	assert_string_equal(t, "open: 13");
	chk_facts_free(&f);
}

/* A key names its unit, or is one of the plain integers docs/json.md
 * lists, or is a bool or a name. */
static int has_unit(const char *k)
{
	static const char *const suffix[] = {
		"_s", "_ms", "_bytes", "_count", "_per_s", "_pct", "_mode"};
	static const char *const plain[] = {"bytes",   "port",	      "pid",
					    "fd",      "line",	      "ndots",
					    "rcode",   "priority",    "port_lo",
					    "port_hi", "master_port", "inode"};
	size_t i, n = strlen(k);

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		size_t m = strlen(suffix[i]);

		if (n > m && !strcmp(k + n - m, suffix[i]))
			return 1;
	}
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (!strcmp(k, plain[i]))
			return 1;
	return 0;
}

static void every_definition_is_sound_and_documented(void **state)
{
	size_t t, i, len, ndefs = 0;
	char *doc = fixture_load("..", "../docs/json.md", &len);
	char *names, *check = strstr(doc, "# `conndoctor check --json`");
	char want[80];

	(void)state;
	assert_non_null(check);
	names = strstr(check, "(name-valued fields):");
	assert_non_null(names);
	for (t = 0; chk_field_tables[t]; t++) {
		const struct chk_fact_def *d;

		for (d = chk_field_tables[t]; d->section; d++) {
			const char *p = d->text;

			ndefs++;
			assert_non_null(d->name);
			/* every placeholder names one of its fields */
			while ((p = strchr(p, '{'))) {
				char key[48];
				size_t n;

				p++;
				if (*p == '?' || *p == '!')
					p++;
				n = strcspn(p, ":|}");
				assert_true(n < sizeof(key));
				memcpy(key, p, n);
				key[n] = '\0';
				for (i = 0; i < CHK_FACT_MAXV && d->f[i].key;
				     i++)
					if (!strcmp(d->f[i].key, key))
						break;
				if (i == CHK_FACT_MAXV || !d->f[i].key)
					fail_msg("%s/%s: {%s} is no field",
						 d->section, d->name, key);
			}
			for (i = 0; i < CHK_FACT_MAXV && d->f[i].key; i++) {
				const struct chk_field *fd = &d->f[i];

				if ((fd->type == CHK_T_INT ||
				     fd->type == CHK_T_UINT ||
				     fd->type == CHK_T_DOUBLE) &&
				    !has_unit(fd->key))
					fail_msg("%s/%s: %s has no unit",
						 d->section, d->name, fd->key);
				snprintf(want, sizeof(want), "`%s`", fd->key);
				if (!strstr(check, want))
					fail_msg("%s not in docs/json.md",
						 fd->key);
				if (fd->type == CHK_T_STR &&
				    !strstr(names, want))
					fail_msg("string %s is not in the "
						 "name-valued list",
						 fd->key);
			}
			snprintf(want, sizeof(want), "| %s |", d->name);
			if (!strstr(check, want))
				fail_msg("fact %s not in docs/json.md",
					 d->name);
		}
	}
	assert_true(ndefs > 60);
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(renders_every_placeholder),
		cmocka_unit_test(truncates_to_the_buffer),
		cmocka_unit_test(kernel_text_as_before),
		cmocka_unit_test(json_holds_numbers),
		cmocka_unit_test(mismatched_types_are_null),
		cmocka_unit_test(wrong_count_is_reported),
		cmocka_unit_test(unreadable_has_a_reason),
		cmocka_unit_test(every_definition_is_sound_and_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
