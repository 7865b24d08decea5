/* test_cli_options.c - the option table and the parser it drives: each
 * command's --help lists exactly its options, values are checked against
 * their ranges (exit 64 naming the range), unknown options are refused,
 * and a command-line password is wiped before any option file is read and
 * never quoted in an error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli.h"

#define MAXARGS 16

/* A writable argv (the parser wipes passwords in place). */
struct args {
	char *v[MAXARGS + 1];
	int n;
};

static void args_make(struct args *a, const char *first, ...)
{
	va_list ap;
	const char *s;

	a->n = 0;
	va_start(ap, first);
	for (s = first; s && a->n < MAXARGS; s = va_arg(ap, const char *))
		a->v[a->n++] = strdup(s);
	va_end(ap);
	a->v[a->n] = NULL;
}

static void args_free(struct args *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
}

/* Parses a's arguments for cmd; returns the result and keeps err. */
static int parse(enum cli_cmd cmd, struct args *a, struct cli_opts *o,
		 char *err, size_t errlen)
{
	err[0] = '\0';
	return cli_parse(cmd, a->n, a->v, o, err, errlen);
}

/* The option names a --help text lists: "--name" or "-X" for a short-only
 * option, one per line that starts an option. */
static size_t help_names(enum cli_cmd cmd, char names[][48], size_t max)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0, n = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	cli_usage(f, cmd);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *p;

		if (strncmp(line, "  -", 3) && strncmp(line, "      --", 8))
			continue;
		p = strstr(line, "--");
		if (p && p < line + 10) {
			size_t k = strcspn(p, "=[ ");

			snprintf(names[n++], 48, "%.*s", (int)k, p);
		} else {
			snprintf(names[n++], 48, "-%c", line[3]);
		}
	}
	free(text);
	return n;
}

static void help_lists_exactly_the_table(void **state)
{
	static const enum cli_cmd cmds[] = {CLI_CMD_PROBE, CLI_CMD_DIAGNOSE,
					    CLI_CMD_CHECK};
	char names[128][48], want[48];
	size_t c, n, i, j, ntab, expected;
	const struct cli_optdef *t = cli_opttab(&ntab);

	(void)state;
	for (c = 0; c < 3; c++) {
		n = help_names(cmds[c], names, 128);
		expected = 0;
		for (i = 0; i < ntab; i++) {
			if (!(t[i].commands & cmds[c]))
				continue;
			expected++;
			if (t[i].name)
				snprintf(want, sizeof(want), "--%s", t[i].name);
			else
				snprintf(want, sizeof(want), "-%c",
					 t[i].short_name);
			for (j = 0; j < n; j++)
				if (!strcmp(names[j], want))
					break;
			if (j == n)
				fail_msg("%s missing from command %u's help",
					 want, (unsigned)cmds[c]);
		}
		assert_int_equal(n, expected);
	}
	/* And what must not be there. */
	n = help_names(CLI_CMD_CHECK, names, 128);
	for (j = 0; j < n; j++) {
		assert_string_not_equal(names[j], "--count");
		assert_string_not_equal(names[j], "--ramp");
	}
	n = help_names(CLI_CMD_PROBE, names, 128);
	for (j = 0; j < n; j++) {
		assert_string_not_equal(names[j], "--only");
		assert_string_not_equal(names[j], "--no-dns");
	}
}

/* One row per name and command: the lookups never see two. */
static void table_is_consistent(void **state)
{
	size_t n, i, j;
	const struct cli_optdef *t = cli_opttab(&n);

	(void)state;
	for (i = 0; i < n; i++) {
		assert_true(t[i].name || t[i].short_name);
		assert_non_null(t[i].help);
		assert_true(t[i].commands != 0);
		if (t[i].arg == CLI_ARG_UINT || t[i].arg == CLI_ARG_REAL ||
		    t[i].arg == CLI_ARG_SECONDS)
			assert_true(t[i].min > 0 && t[i].max >= t[i].min);
		for (j = i + 1; j < n; j++) {
			if (!(t[i].commands & t[j].commands))
				continue;
			if (t[i].name && t[j].name)
				assert_string_not_equal(t[i].name, t[j].name);
			if (t[i].short_name)
				assert_int_not_equal(t[i].short_name,
						     t[j].short_name);
		}
	}
	assert_non_null(cli_opt_by_name(CLI_CMD_CHECK, "only", 4));
	assert_null(cli_opt_by_name(CLI_CMD_PROBE, "only", 4));
	assert_int_equal(cli_opt_by_short(CLI_CMD_CHECK, 'P')->flags &
				 CLI_OF_REPEAT,
			 CLI_OF_REPEAT);
	assert_int_equal(
		cli_opt_by_short(CLI_CMD_PROBE, 'P')->flags & CLI_OF_REPEAT, 0);
}

/* A refused value: exit 64 and the range in the message. */
static void refused(enum cli_cmd cmd, const char *arg, const char *range)
{
	struct args a;
	struct cli_opts o;
	char err[256];

	args_make(&a, "cmd", "--no-defaults", arg, NULL);
	assert_int_equal(parse(cmd, &a, &o, err, sizeof(err)), CD_EXIT_USAGE);
	if (!strstr(err, range))
		fail_msg("%s: '%s' does not name '%s'", arg, err, range);
	cli_opts_free(&o);
	args_free(&a);
}

static void ranges_are_checked(void **state)
{
	(void)state;
	/* issue 15 defect 11: a tiny rate overflowed the engine's int64. */
	refused(CLI_CMD_PROBE, "--rate=1e-10", "0.001 to 1000000 per second");
	refused(CLI_CMD_PROBE, "--rate=1e300", "0.001 to 1000000 per second");
	refused(CLI_CMD_PROBE, "--rate=nan", "0.001 to 1000000");
	refused(CLI_CMD_DIAGNOSE, "--rate=-1", "0.001 to 1000000");
	refused(CLI_CMD_PROBE, "--duration=4294967297", "0.001 to 86400 s");
	refused(CLI_CMD_PROBE, "--duration=0", "0.001 to 86400 s");
	refused(CLI_CMD_PROBE, "--idle=1e-9", "0.001 to 86400 s");
	refused(CLI_CMD_PROBE, "--connect-timeout=2d", "0.001 to 86400 s");
	refused(CLI_CMD_PROBE, "--timeout=auth=1e9", "0.001 to 86400 s");
	refused(CLI_CMD_PROBE, "--count=1000001", "1 to 1000000");
	refused(CLI_CMD_PROBE, "-c0", "1 to 20000");
	refused(CLI_CMD_PROBE, "--repeat=13", "1 to 12");
	refused(CLI_CMD_PROBE, "-P70000", "1 to 65535");
	refused(CLI_CMD_PROBE, "--ramp=1:30000:1000", "1 to 20000");
	refused(CLI_CMD_CHECK, "--port=0", "1 to 65535");
	refused(CLI_CMD_CHECK, "--interval=3601", "0.001 to 3600 s");
	refused(CLI_CMD_CHECK, "--dns-timeout=61", "0.001 to 60 s");
	refused(CLI_CMD_CHECK, "--since=1e12", "0.001 to 315360000 s");
	refused(CLI_CMD_DIAGNOSE, "--interval=0", "0.001 to 3600 s");
}

static void values_parse(void **state)
{
	struct args a;
	struct cli_opts o;
	char err[256];

	(void)state;
	/* More options than arguments: "-v46" is three. */
	args_make(&a, "probe", "--no-defaults", "-v46", NULL);
	assert_int_equal(parse(CLI_CMD_PROBE, &a, &o, err, sizeof(err)), 0);
	assert_int_equal(o.verbose, 1);
	assert_int_equal(o.family, 6);
	cli_opts_free(&o);
	args_free(&a);
	args_make(&a, "probe", "--no-defaults", "--rate", "0.5", "--dur=250ms",
		  "-vn5", "--timeout=greeting=2m", "--ssl-mode=verify_ca",
		  "--ramp=1:9:4", "-4", NULL);
	assert_int_equal(parse(CLI_CMD_PROBE, &a, &o, err, sizeof(err)), 0);
	assert_true(o.rate == 0.5);
	assert_true(o.duration_s == 0.25);
	assert_int_equal(o.verbose, 1);
	assert_int_equal(o.count, 5);
	assert_true(o.timeout_s[CD_PH_GREETING] == 120);
	assert_int_equal(o.ssl_mode, PROBE_SSL_VERIFY_CA);
	assert_int_equal(o.ramp_from, 1);
	assert_int_equal(o.ramp_to, 9);
	assert_int_equal(o.ramp_step, 4);
	assert_int_equal(o.family, 4);
	cli_opts_free(&o);
	args_free(&a);

	args_make(&a, "check", "--no-defaults", "-P", "3307", "--port=3308",
		  "--only=kernel,census", "--since", "60", "--no-dns", NULL);
	assert_int_equal(parse(CLI_CMD_CHECK, &a, &o, err, sizeof(err)), 0);
	assert_int_equal(o.nargv_ports, 2);
	assert_int_equal(o.argv_ports[0], 3307);
	assert_int_equal(o.argv_ports[1], 3308);
	assert_int_equal(o.port, 3308);
	assert_int_equal(o.only_mask, 3); /* kernel and census run first */
	assert_true(o.since_s == 60);
	assert_int_equal(o.no_dns, 1);
	cli_opts_free(&o);
	args_free(&a);
}

static void unknown_and_misplaced(void **state)
{
	struct args a;
	struct cli_opts o;
	char err[256];

	(void)state;
	args_make(&a, "probe", "--no-defaults", "--bogus", NULL);
	assert_int_equal(parse(CLI_CMD_PROBE, &a, &o, err, sizeof(err)), 64);
	assert_string_equal(err, "unknown option '--bogus'");
	cli_opts_free(&o);
	args_free(&a);
	/* A check-only option is unknown to probe, and the reverse. */
	args_make(&a, "probe", "--no-defaults", "--only=kernel", NULL);
	assert_int_equal(parse(CLI_CMD_PROBE, &a, &o, err, sizeof(err)), 64);
	cli_opts_free(&o);
	args_free(&a);
	args_make(&a, "check", "--no-defaults", "-n", "3", NULL);
	assert_int_equal(parse(CLI_CMD_CHECK, &a, &o, err, sizeof(err)), 64);
	assert_string_equal(err, "unknown option -n");
	cli_opts_free(&o);
	args_free(&a);
	args_make(&a, "probe", "--no-defaults", "--json=yes", NULL);
	assert_int_equal(parse(CLI_CMD_PROBE, &a, &o, err, sizeof(err)), 64);
	cli_opts_free(&o);
	args_free(&a);
	args_make(&a, "probe", "--no-defaults", "--co", NULL);
	assert_int_equal(parse(CLI_CMD_PROBE, &a, &o, err, sizeof(err)), 64);
	assert_non_null(strstr(err, "ambiguous"));
	cli_opts_free(&o);
	args_free(&a);
	args_make(&a, "probe", "--no-defaults", "--conc", "3", NULL);
	assert_int_equal(parse(CLI_CMD_PROBE, &a, &o, err, sizeof(err)), 0);
	assert_int_equal(o.concurrency, 3);
	cli_opts_free(&o);
	args_free(&a);
}

/* issue 15 defect 13: the password left argv only after the option files
 * were read. A defaults file that cannot be read stops the parse at the
 * files: argv must already be wiped. */
static void password_wiped_before_files(void **state)
{
	struct args a;
	struct cli_opts o;
	char err[256], dir[] = "/tmp/cd-optdir-XXXXXX", arg[64];
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(arg, sizeof(arg), "--defaults-file=%s", dir);
	args_make(&a, "probe", "-vpS3cr3t-one", arg, "--password=S3cr3t-two",
		  NULL);
	assert_int_equal(parse(CLI_CMD_PROBE, &a, &o, err, sizeof(err)), 64);
	assert_non_null(strstr(err, "a directory"));
	for (i = 0; i < a.n; i++)
		assert_null(strstr(a.v[i], "S3cr3t"));
	assert_string_equal(a.v[1], "-vpxxxxxxxxxx");
	cli_opts_free(&o);
	args_free(&a);
	rmdir(dir);
}

/* "--password SECRET": SECRET is an unexpected argument, wiped and never
 * quoted; a misspelt password option does not quote its value either. */
static void password_never_echoed(void **state)
{
	static const char *const spellings[][2] = {{"--password", "S3cr3t"},
						   {"-p", "S3cr3t"},
						   {"--pasword=S3cr3t", NULL},
						   {"-vp", "S3cr3t"}};
	struct args a;
	struct cli_opts o;
	char err[256];
	size_t k;

	(void)state;
	for (k = 0; k < 4; k++) {
		args_make(&a, "probe", "--no-defaults", spellings[k][0],
			  spellings[k][1], NULL);
		assert_int_equal(parse(CLI_CMD_PROBE, &a, &o, err, sizeof(err)),
				 64);
		if (strstr(err, "S3cr3t"))
			fail_msg("'%s' echoes the password", err);
		if (k != 2)
			assert_null(strstr(a.v[2], "S3cr3t"));
		cli_opts_free(&o);
		args_free(&a);
	}
}

/* Option files set options of the command; values there are checked too,
 * and options of other commands are ignored as other programs' are. */
static void option_file_values(void **state)
{
	char path[] = "/tmp/cd-opt-XXXXXX", arg[64], err[256];
	struct args a;
	struct cli_opts o;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("[client]\nport=3310\nno-beep\n[conndoctor]\nonly=kernel\n"
	      "rate=1e-10\n",
	      f);
	fclose(f);
	snprintf(arg, sizeof(arg), "--defaults-file=%s", path);
	args_make(&a, "probe", arg, NULL);
	assert_int_equal(parse(CLI_CMD_PROBE, &a, &o, err, sizeof(err)), 64);
	assert_non_null(strstr(err, ":6: invalid --rate '1e-10' (0.001 to"));
	cli_opts_free(&o);
	args_free(&a);
	args_make(&a, "check", arg, NULL);
	assert_int_equal(parse(CLI_CMD_CHECK, &a, &o, err, sizeof(err)), 0);
	assert_int_equal(o.port, 3310);
	assert_int_equal(o.nargv_ports, 0); /* the census takes argv's */
	assert_int_equal(o.only_mask, 1);
	assert_int_equal(o.given[CLI_O_PORT], 0);
	cli_opts_free(&o);
	args_free(&a);
	unlink(path);
}

static void environment(void **state)
{
	struct args a;
	struct cli_opts o;
	char err[256];

	(void)state;
	setenv("MYSQL_TCP_PORT", "3399", 1);
	setenv("MYSQL_HOST", "db.example", 1);
	args_make(&a, "probe", "--no-defaults", NULL);
	assert_int_equal(parse(CLI_CMD_PROBE, &a, &o, err, sizeof(err)), 0);
	assert_int_equal(o.port, 3399);
	assert_string_equal(o.host, "db.example");
	cli_opts_free(&o);
	args_free(&a);
	/* The command line wins; an invalid variable is ignored. */
	setenv("MYSQL_TCP_PORT", "99999", 1);
	args_make(&a, "probe", "--no-defaults", "-h", "other", NULL);
	assert_int_equal(parse(CLI_CMD_PROBE, &a, &o, err, sizeof(err)), 0);
	assert_int_equal(o.port, 3306);
	assert_string_equal(o.host, "other");
	cli_opts_free(&o);
	args_free(&a);
	unsetenv("MYSQL_TCP_PORT");
	unsetenv("MYSQL_HOST");
}

/* --color[=WHEN] and --no-color by the table; the decision by the
 * no-color.org and force-color.org rules. */
static void color_modes(void **state)
{
	static const struct {
		const char *arg;
		int want;
	} cases[] = {
		{NULL, CLI_COLOR_AUTO},
		{"--color", CLI_COLOR_ALWAYS},
		{"--color=always", CLI_COLOR_ALWAYS},
		{"--color=never", CLI_COLOR_NEVER},
		{"--color=AUTO", CLI_COLOR_AUTO},
		{"--no-color", CLI_COLOR_NEVER},
	};
	struct args a;
	struct cli_opts o;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		args_make(&a, "probe", "--no-defaults", cases[i].arg, NULL);
		assert_int_equal(parse(CLI_CMD_PROBE, &a, &o, err, sizeof(err)),
				 0);
		assert_int_equal(o.color, cases[i].want);
		cli_opts_free(&o);
		args_free(&a);
	}
	args_make(&a, "check", "--no-defaults", "--color=sometimes", NULL);
	assert_int_equal(parse(CLI_CMD_CHECK, &a, &o, err, sizeof(err)), 64);
	assert_string_equal(err, "invalid --color 'sometimes'");
	cli_opts_free(&o);
	args_free(&a);

	/* auto: the terminal, NO_COLOR off, FORCE_COLOR on, NO_COLOR wins;
	 * empty values do not count; always and never beat both. */
	assert_int_equal(cli_color_decide(CLI_COLOR_AUTO, 1, NULL, NULL), 1);
	assert_int_equal(cli_color_decide(CLI_COLOR_AUTO, 0, NULL, NULL), 0);
	assert_int_equal(cli_color_decide(CLI_COLOR_AUTO, 1, "1", NULL), 0);
	assert_int_equal(cli_color_decide(CLI_COLOR_AUTO, 1, "", NULL), 1);
	assert_int_equal(cli_color_decide(CLI_COLOR_AUTO, 0, NULL, "1"), 1);
	assert_int_equal(cli_color_decide(CLI_COLOR_AUTO, 0, NULL, ""), 0);
	assert_int_equal(cli_color_decide(CLI_COLOR_AUTO, 1, "1", "1"), 0);
	assert_int_equal(cli_color_decide(CLI_COLOR_ALWAYS, 0, "1", NULL), 1);
	assert_int_equal(cli_color_decide(CLI_COLOR_NEVER, 1, NULL, "1"), 0);
}

/* --nagios: probe and diagnose only, never with --json, and seen in an
 * argv that does not parse. */
static void nagios_option(void **state)
{
	struct args a;
	struct cli_opts o;
	char err[256];

	(void)state;
	args_make(&a, "probe", "--no-defaults", "--nagios", NULL);
	assert_int_equal(parse(CLI_CMD_PROBE, &a, &o, err, sizeof(err)), 0);
	assert_int_equal(o.nagios, 1);
	assert_int_equal(cli_wants_nagios(a.n, a.v), 1);
	cli_opts_free(&o);
	args_free(&a);
	args_make(&a, "diagnose", "--no-defaults", "--nagios", "--json", NULL);
	assert_int_equal(parse(CLI_CMD_DIAGNOSE, &a, &o, err, sizeof(err)), 64);
	assert_string_equal(err, "--json and --nagios exclude each other");
	cli_opts_free(&o);
	args_free(&a);
	args_make(&a, "check", "--no-defaults", "--nagios", NULL);
	assert_int_equal(parse(CLI_CMD_CHECK, &a, &o, err, sizeof(err)), 64);
	cli_opts_free(&o);
	args_free(&a);
	args_make(&a, "probe", "--bogus", "--nag", NULL);
	assert_int_equal(cli_wants_nagios(a.n, a.v), 1);
	args_free(&a);
	args_make(&a, "probe", "--n", "--", "--nagios", "--nagiosx", NULL);
	assert_int_equal(cli_wants_nagios(a.n, a.v), 0);
	args_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(help_lists_exactly_the_table),
		cmocka_unit_test(table_is_consistent),
		cmocka_unit_test(ranges_are_checked),
		cmocka_unit_test(values_parse),
		cmocka_unit_test(unknown_and_misplaced),
		cmocka_unit_test(password_wiped_before_files),
		cmocka_unit_test(password_never_echoed),
		cmocka_unit_test(option_file_values),
		cmocka_unit_test(environment),
		cmocka_unit_test(color_modes),
		cmocka_unit_test(nagios_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
