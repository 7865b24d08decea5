/* test_report_progress.c - the status line's text and when it is shown
 * (report/progress.c), on hand-made counts: the probe's line (done of
 * planned, ok, failed by its most frequent classes, in flight, level,
 * elapsed, time left), pcap's line (bytes of the size, MB/s, flows open),
 * the decision terminal/--json/--quiet/--progress, the counting of a
 * result's attempts, and a line cut to its buffer. No clocks asserted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/progress.h"

static void test_wanted(void **state)
{
	(void)state;
	/* force, quiet, machine output, tty */
	assert_int_equal(rpt_progress_wanted(0, 0, 0, 1), 1);
	assert_int_equal(rpt_progress_wanted(0, 0, 0, 0), 0); /* a pipe */
	assert_int_equal(rpt_progress_wanted(0, 1, 0, 1), 0); /* --quiet */
	assert_int_equal(rpt_progress_wanted(0, 0, 1, 1), 0); /* --json */
	assert_int_equal(rpt_progress_wanted(1, 0, 0, 0), 1); /* --progress */
	assert_int_equal(rpt_progress_wanted(1, 1, 1, 0), 1);
}

static void test_probe_line(void **state)
{
	struct rpt_progress p;
	char buf[256];

	(void)state;
	memset(&p, 0, sizeof(p));
	p.total = 100;
	p.ramp = 1;
	p.by[CD_OK] = 30;
	p.by[CD_REFUSED] = 5;
	p.by[CD_CONNECT_TIMEOUT] = 2;
	p.by[CD_GONE_AWAY] = 1;
	p.by[CD_AUTH_FAILED] = 1;
	/* 39 done in 13 s: 61 more at that pace take 20.3 s. */
	assert_string_equal(
		rpt_progress_probe_line(buf, sizeof(buf), &p, 4, 8, 13.0),
		"probe 39/100: 30 ok, 9 failed (5 refused, 2 "
		"connect_timeout, 1 auth_failed) | 4 in flight | "
		"level 8 | 13.0 s, ~20 s left");
}

static void test_probe_line_duration_and_no_failures(void **state)
{
	struct rpt_progress p;
	char buf[256];

	(void)state;
	memset(&p, 0, sizeof(p));
	p.duration_s = 60; /* no count: bounded by --duration */
	p.by[CD_OK] = 12;
	assert_string_equal(
		rpt_progress_probe_line(buf, sizeof(buf), &p, 1, 1, 15.0),
		"probe 12: 12 ok, 0 failed | 1 in flight | 15.0 s, ~45 s left");
	/* Nothing done yet and no bound: no estimate. */
	memset(&p, 0, sizeof(p));
	p.total = 10;
	assert_string_equal(
		rpt_progress_probe_line(buf, sizeof(buf), &p, 2, 2, 0.5),
		"probe 0/10: 0 ok, 0 failed | 2 in flight | 0.5 s");
}

static void test_probe_line_cut_to_buffer(void **state)
{
	struct rpt_progress p;
	char buf[16];

	(void)state;
	memset(&p, 0, sizeof(p));
	p.total = 100;
	p.by[CD_REFUSED] = 7;
	rpt_progress_probe_line(buf, sizeof(buf), &p, 0, 1, 1.0);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_memory_equal(buf, "probe 7/100: 0 ", 15);
}

static void test_bytes_line(void **state)
{
	char buf[256];

	(void)state;
	/* 120 MB of 480 in 0.4 s: 300 MB/s, 1.2 s left at that pace. */
	assert_string_equal(rpt_progress_bytes_line(buf, sizeof(buf), 120000000,
						    480000000, 1234, 0.4),
			    "pcap: 120.0 of 480.0 MB (25%), 300.0 MB/s, 1234 "
			    "connections open, ~1 s left");
	/* Standard input: no size, no estimate. */
	assert_string_equal(
		rpt_progress_bytes_line(buf, sizeof(buf), 2500000, 0, 3, 2.0),
		"pcap: 2.5 MB, 1.2 MB/s, 3 connections open");
}

static void test_trace_line(void **state)
{
	struct rpt_trace_counts c = {.connections = 120,
				     .failed = 3,
				     .retransmits = 2,
				     .resets = 1,
				     .drops = 5};
	char buf[256];

	(void)state;
	/* The time left comes from --duration. */
	assert_string_equal(
		rpt_progress_trace_line(buf, sizeof(buf), &c, 30, 12.3),
		"trace: 12.3 of 30.0 s | 120 connections, 3 "
		"failed, 2 retransmits, 1 resets, 5 drops, ~18 s "
		"left");
	/* A short buffer is cut, never overrun. */
	assert_string_equal(rpt_progress_trace_line(buf, 8, &c, 30, 12.3),
			    "trace: ");
}

static void test_counts_from_the_tally(void **state)
{
	struct rpt_progress p;
	struct probe_result res;
	char buf[256];

	(void)state;
	memset(&res, 0, sizeof(res));
	/* Counted from the tally, which sees every attempt (the records keep
	 * a sample of a long run): none of them need be kept. */
	res.tally.by_class[CD_OK] = 1;
	res.tally.by_class[CD_REFUSED] = 2;
	res.tally.by_class[CD_GREETING_TIMEOUT] = 1;
	res.tally.total = 4;
	/* Off: counts nothing, writes nothing (out is NULL). */
	rpt_progress_init(&p, NULL, 0);
	rpt_progress_probe(&p, &res, 0, 1);
	assert_int_equal(p.by[CD_OK], 0);
	/* On, into a memory stream: the tally's counts, however often the
	 * hook runs. */
	{
		char *mem = NULL;
		size_t memlen = 0;
		FILE *out = open_memstream(&mem, &memlen);

		assert_non_null(out);
		rpt_progress_init(&p, out, 1);
		p.total = 4;
		rpt_progress_probe(&p, &res, 2, 1);
		rpt_progress_probe(&p, &res, 0, 1);
		assert_int_equal(p.by[CD_OK], 1);
		assert_int_equal(p.by[CD_REFUSED], 2);
		assert_int_equal(p.by[CD_GREETING_TIMEOUT], 1);
		rpt_progress_probe_line(buf, sizeof(buf), &p, 0, 1, 1.0);
		assert_non_null(strstr(buf, "probe 4/4: 1 ok, 3 failed (2 "
					    "refused, 1 greeting_timeout)"));
		/* Clearing a line never drawn writes nothing. */
		p.drawn = 0;
		rpt_progress_clear(&p);
		fclose(out);
		assert_int_equal(memlen, 0);
		free(mem);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wanted),
		cmocka_unit_test(test_probe_line),
		cmocka_unit_test(test_probe_line_duration_and_no_failures),
		cmocka_unit_test(test_probe_line_cut_to_buffer),
		cmocka_unit_test(test_bytes_line),
		cmocka_unit_test(test_counts_from_the_tally),
		cmocka_unit_test(test_trace_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
