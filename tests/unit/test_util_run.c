/* test_util_run.c - cd_run() and cd_proc_* with real small programs
 * (/bin/sh -c here only): plain output, output past the maximum, a child
 * past its deadline, exit 3, death by a signal, a program that is not
 * there, stderr kept or dropped, and the fixed environment. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/clock.h"
#include "util/run.h"

/* Runs the shell line cmd under o. */
static int sh(const char *cmd, const struct cd_run_opts *o,
	      struct cd_run_result *r)
{
	char *argv[] = {(char *)"sh", (char *)"-c", (char *)cmd, NULL};

	return cd_run("/bin/sh", argv, o, r);
}

static void output_and_exit_status(void **state)
{
	const struct cd_run_opts o = {10 * CD_NS_PER_S, 1024, 64,
				      CD_RUN_STDERR};
	struct cd_run_result r;

	(void)state;
	assert_int_equal(sh("printf 'a\\nb'; echo oops >&2; exit 3", &o, &r),
			 0);
	assert_int_equal(r.nout, 3);
	assert_string_equal(r.out, "a\nb");
	assert_string_equal(r.err, "oops\n");
	assert_int_equal(r.nerr, 5);
	assert_int_equal(r.exited, 1);
	assert_int_equal(r.exit_status, 3);
	assert_int_equal(r.signal, 0);
	assert_int_equal(r.timed_out, 0);
	assert_int_equal(r.truncated, 0);
	assert_int_equal(r.spawn_errno, 0);
	cd_run_result_free(&r);
}

static void stderr_discarded_and_capped(void **state)
{
	struct cd_run_opts o = {10 * CD_NS_PER_S, 1024, 4, 0};
	struct cd_run_result r;

	(void)state;
	assert_int_equal(sh("echo out; echo err >&2", &o, &r), 0);
	assert_string_equal(r.out, "out\n");
	assert_int_equal(r.nerr, 0);
	assert_string_equal(r.err, "");
	cd_run_result_free(&r);

	/* kept, but only err_max bytes of it; the child is not killed */
	o.flags = CD_RUN_STDERR;
	assert_int_equal(sh("echo 0123456789 >&2; exit 0", &o, &r), 0);
	assert_int_equal(r.nerr, 4);
	assert_string_equal(r.err, "0123");
	assert_int_equal(r.exited, 1);
	assert_int_equal(r.exit_status, 0);
	assert_int_equal(r.truncated, 0);
	cd_run_result_free(&r);
}

static void output_past_the_maximum(void **state)
{
	const struct cd_run_opts o = {10 * CD_NS_PER_S, 100, 0, 0};
	struct cd_run_result r;
	size_t i;

	(void)state;
	/* a child that would write forever: killed once past 100 bytes */
	assert_int_equal(sh("while :; do echo xxxxxxxxx; done", &o, &r), 0);
	assert_int_equal(r.truncated, 1);
	assert_int_equal(r.nout, 100);
	assert_int_equal(strlen(r.out), 100);
	for (i = 0; i < 100; i++)
		assert_int_equal(r.out[i], i % 10 == 9 ? '\n' : 'x');
	assert_int_equal(r.exited, 0);
	assert_int_equal(r.signal, SIGKILL);
	cd_run_result_free(&r);

	/* exactly the maximum is not over it */
	assert_int_equal(sh("printf '%0100d' 0", &o, &r), 0);
	assert_int_equal(r.truncated, 0);
	assert_int_equal(r.nout, 100);
	assert_int_equal(r.exited, 1);
	cd_run_result_free(&r);
}

static void past_the_deadline(void **state)
{
	const struct cd_run_opts o = {200 * CD_NS_PER_MS, 1024, 0, 0};
	struct cd_run_result r;

	(void)state;
	assert_int_equal(sh("echo started; exec sleep 30", &o, &r), 0);
	assert_int_equal(r.timed_out, 1);
	assert_string_equal(r.out, "started\n");
	assert_int_equal(r.exited, 0);
	assert_int_equal(r.signal, SIGKILL);
	cd_run_result_free(&r);
}

static void killed_by_a_signal(void **state)
{
	const struct cd_run_opts o = {10 * CD_NS_PER_S, 1024, 0, 0};
	struct cd_run_result r;

	(void)state;
	assert_int_equal(sh("kill -TERM $$", &o, &r), 0);
	assert_int_equal(r.exited, 0);
	assert_int_equal(r.signal, SIGTERM);
	assert_int_equal(r.timed_out, 0);
	cd_run_result_free(&r);
}

static void not_found(void **state)
{
	const struct cd_run_opts o = {10 * CD_NS_PER_S, 1024, 0, 0};
	char *argv[] = {(char *)"nope", NULL};
	struct cd_run_result r;

	(void)state;
	assert_int_equal(cd_run("/nonexistent/nope", argv, &o, &r), -1);
	assert_int_equal(r.spawn_errno, ENOENT);
	assert_int_equal(r.exited, 0);
	assert_non_null(r.out);
	assert_int_equal(r.nout, 0);
	cd_run_result_free(&r);
}

static void fixed_environment(void **state)
{
	const struct cd_run_opts o = {10 * CD_NS_PER_S, 1024, 0, 0};
	struct cd_run_result r;

	(void)state;
	setenv("CD_RUN_TEST_SECRET", "x", 1);
	assert_int_equal(sh("env | LC_ALL=C sort | grep -v '^PWD=' | "
			    "grep -v '^SHLVL=' | grep -v '^_='",
			    &o, &r),
			 0);
	assert_string_equal(r.out,
			    "LC_ALL=C\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n");
	cd_run_result_free(&r);
	unsetenv("CD_RUN_TEST_SECRET");
}

static void stdin_is_dev_null_and_signals_default(void **state)
{
	const struct cd_run_opts o = {10 * CD_NS_PER_S, 1024, 0, 0};
	struct cd_run_result r;
	sigset_t block, old;

	(void)state;
	/* a parent that ignores and blocks SIGTERM: the child does not */
	signal(SIGTERM, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	assert_int_equal(sh("cat; kill -TERM $$; echo alive", &o, &r), 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGTERM, SIG_DFL);
	assert_string_equal(r.out, "");
	assert_int_equal(r.signal, SIGTERM);
	cd_run_result_free(&r);
}

static void streamed(void **state)
{
	char *argv[] = {(char *)"sh", (char *)"-c",
			(char *)"echo hello; exit 7", NULL};
	char buf[64];
	struct cd_proc p;
	int exited, status, sig;
	ssize_t n;

	(void)state;
	assert_int_equal(cd_proc_start(&p, "/bin/sh", argv), 0);
	n = read(p.out_fd, buf, sizeof(buf));
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "hello\n", 6);
	assert_int_equal(cd_proc_finish(&p, 0, &exited, &status, &sig), 0);
	assert_int_equal(exited, 1);
	assert_int_equal(status, 7);
	assert_int_equal(p.pid, -1);
	assert_int_equal(p.out_fd, -1);

	/* killed by us before it ends */
	argv[2] = (char *)"exec sleep 30";
	assert_int_equal(cd_proc_start(&p, "/bin/sh", argv), 0);
	assert_int_equal(cd_proc_finish(&p, 1, &exited, &status, &sig), 0);
	assert_int_equal(exited, 0);
	assert_int_equal(sig, SIGKILL);

	assert_int_equal(cd_proc_start(&p, "/nonexistent/x", argv), ENOENT);
	assert_int_equal(p.pid, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(output_and_exit_status),
		cmocka_unit_test(stderr_discarded_and_capped),
		cmocka_unit_test(output_past_the_maximum),
		cmocka_unit_test(past_the_deadline),
		cmocka_unit_test(killed_by_a_signal),
		cmocka_unit_test(not_found),
		cmocka_unit_test(fixed_environment),
		cmocka_unit_test(stdin_is_dev_null_and_signals_default),
		cmocka_unit_test(streamed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
