/* test_optfile.c - the option file reader on fixture files (tests/data/
 * optfile): groups, quoting, comments, includes, and malformed files that
 * must be refused with file:line. Plus resolv.conf parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe/hostfacts.h"
#include "util/optfile.h"

struct seen {
	char text[2048];
};

static int collect(void *ctx, const char *file, unsigned line, const char *key,
		   const char *value, char *err, size_t errlen)
{
	struct seen *s = ctx;
	size_t used = strlen(s->text);

	(void)file, (void)line, (void)err, (void)errlen;
	snprintf(s->text + used, sizeof(s->text) - used, "%s=%s;", key,
		 value ? value : "(none)");
	return 0;
}

static void data_path(char *out, size_t len, const char *name)
{
	const char *dir = getenv("CD_TEST_DATA");

	snprintf(out, len, "%s/optfile/%s", dir ? dir : "tests/data", name);
}

static const char *const groups[] = {"client", "client-mariadb", "conndoctor",
				     NULL};

static void reads_groups_quotes_includes(void **state)
{
	struct seen s = {""};
	char path[1024], err[512];

	(void)state;
	data_path(path, sizeof(path), "main.cnf");
	assert_int_equal(
		cd_optfile_read(path, groups, 1, collect, &s, err, sizeof(err)),
		0);
	assert_string_equal(s.text,
			    "user=app_user;password=p#ss w\"ord;port=3307;"
			    "socket=/run/mysqld/mysqld.sock;"
			    "default-character-set=utf8mb4;no-beep=(none);"
			    "connect-timeout=3;host=db.example;");
}

static void refuses(const char *name, const char *why)
{
	struct seen s = {""};
	char path[1024], err[512];

	data_path(path, sizeof(path), name);
	assert_int_equal(
		cd_optfile_read(path, groups, 1, collect, &s, err, sizeof(err)),
		-1);
	assert_non_null(strstr(err, why));
	assert_non_null(strstr(err, name));
}

static void malformed(void **state)
{
	(void)state;
	refuses("bad-quote.cnf", ":2: unterminated quote");
	refuses("bad-directive.cnf", ":2: unknown directive");
	refuses("bad-include.cnf", "No such file");
}

static void missing_file(void **state)
{
	struct seen s = {""};
	char err[256];

	(void)state;
	assert_int_equal(cd_optfile_read("/nonexistent/my.cnf", groups, 0,
					 collect, &s, err, sizeof(err)),
			 1);
	assert_int_equal(cd_optfile_read("/nonexistent/my.cnf", groups, 1,
					 collect, &s, err, sizeof(err)),
			 -1);
}

/* issue 15 defect 13: a FIFO would block the reader (with a password still
 * in argv) until someone writes; a directory is no option file either.
 * Both are refused by name, also through !include; /dev/null is read. */
static void refuses_fifo_and_directory(void **state)
{
	struct seen s = {""};
	char dir[] = "/tmp/cd-optfile-XXXXXX", fifo[64], inc[64], err[512];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/my.cnf", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(
		cd_optfile_read(fifo, groups, 1, collect, &s, err, sizeof(err)),
		-1);
	assert_non_null(strstr(err, "not a regular file (a FIFO)"));
	assert_int_equal(
		cd_optfile_read(dir, groups, 1, collect, &s, err, sizeof(err)),
		-1);
	assert_non_null(strstr(err, "not a regular file (a directory)"));
	snprintf(inc, sizeof(inc), "%s/inc.cnf", dir);
	f = fopen(inc, "w");
	assert_non_null(f);
	fprintf(f, "[client]\nuser=x\n!include %s\n", fifo);
	fclose(f);
	assert_int_equal(
		cd_optfile_read(inc, groups, 1, collect, &s, err, sizeof(err)),
		-1);
	assert_non_null(strstr(err, ":3: in !include: "));
	assert_non_null(strstr(err, "(a FIFO)"));
	/* A default location holding one is skipped, not waited on. */
	assert_int_equal(
		cd_optfile_read(fifo, groups, 0, collect, &s, err, sizeof(err)),
		1);
	assert_int_equal(cd_optfile_read("/dev/null", groups, 1, collect, &s,
					 err, sizeof(err)),
			 0);
	unlink(inc);
	unlink(fifo);
	rmdir(dir);
}

static void resolv(void **state)
{
	struct cd_host_facts f;

	(void)state;
	cd_host_facts_init(&f);
	probe_resolv_facts(&f,
			   "# comment\nnameserver 10.0.0.1\n"
			   "nameserver 10.0.0.2\nsearch example.com\n"
			   "options rotate timeout:2 attempts:3 ndots:1\n",
			   NULL);
	assert_int_equal(f.resolv_nameservers, 2);
	assert_int_equal(f.resolv_timeout_s, 2);
	assert_int_equal(f.resolv_attempts, 3);

	cd_host_facts_init(&f);
	probe_resolv_facts(&f,
			   "nameserver 1.1.1.1\nnameserver 2.2.2.2\n"
			   "nameserver 3.3.3.3\nnameserver 4.4.4.4\n"
			   "options timeout:99 attempts:x\n",
			   NULL);
	assert_int_equal(f.resolv_nameservers, 3); /* glibc's MAXNS */
	assert_int_equal(f.resolv_timeout_s, 30);  /* glibc's cap */
	assert_int_equal(f.resolv_attempts, 2);	   /* malformed: default */

	probe_resolv_facts(&f, "options attempts:4\n", "attempts:1");
	assert_int_equal(f.resolv_attempts, 1); /* RES_OPTIONS wins */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_groups_quotes_includes),
		cmocka_unit_test(malformed),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(refuses_fifo_and_directory),
		cmocka_unit_test(resolv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
