/* test_trace_pids.c - which processes `trace` puts uprobes on: the libc a
 * process maps (this test's own, from /proc/self's maps), a process found
 * by name (this one), and the one-line refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "trace/trace.h"

static void test_own_libc(void **state)
{
	char path[256], err[256] = "";
	const char *base;

	(void)state;
	assert_int_equal(
		trace_find_libc(getpid(), path, sizeof(path), err, sizeof(err)),
		0);
	assert_int_equal(path[0], '/');
	base = strrchr(path, '/') + 1;
	assert_true(!strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5));
	assert_int_equal(access(path, R_OK), 0);
}

static void test_gone_process(void **state)
{
	char path[256], err[256] = "";

	(void)state;
	/* Above pid_max's hard limit (2^22): never a process. */
	assert_int_equal(
		trace_find_libc(5000000, path, sizeof(path), err, sizeof(err)),
		-1);
	assert_non_null(strstr(err, "/proc/5000000/maps: "));
}

static void test_by_comm(void **state)
{
	pid_t pids[TRACE_MAX_PIDS];
	size_t n = 0, i;
	char comm[32], err[256] = "";
	FILE *f = fopen("/proc/self/comm", "r");
	int found = 0;

	(void)state;
	assert_non_null(f);
	assert_non_null(fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	assert_int_equal(trace_find_by_comm(comm, pids, &n, err, sizeof(err)),
			 0);
	for (i = 0; i < n; i++)
		found |= pids[i] == getpid();
	assert_true(found);
	assert_int_equal(trace_find_by_comm("cd-no-such-proc", pids, &n, err,
					    sizeof(err)),
			 -1);
	assert_string_equal(err, "no process named 'cd-no-such-proc'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_libc),
		cmocka_unit_test(test_gone_process),
		cmocka_unit_test(test_by_comm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
