/* test_chk_counters.c - the /proc/net/netstat and /proc/net/snmp parser on
 * real sample files (tests/data/netstat/), their per-byte prefixes under a
 * guard page, and truncated and malformed variants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#include "check/counters.h"
#include "guard.h"

static char *data_path(const char *name)
{
	static char path[1024];
	const char *dir = getenv("CD_TEST_DATA");

	snprintf(path, sizeof(path), "%s/netstat/%s", dir ? dir : "tests/data",
		 name);
	return path;
}

static char *load(const char *name, size_t *len)
{
	return fixture_load("netstat", name, len);
}

static int64_t get(const struct chk_counters *c, const char *name)
{
	int64_t v = -12345;

	assert_int_equal(chk_counters_get(c, name, &v), 0);
	return v;
}

static void test_netstat_sample(void **state)
{
	struct chk_counters c;
	char err[128] = "";
	size_t len;
	char *text = load("host-netstat.txt", &len);
	int64_t v;

	(void)state;
	chk_counters_init(&c);
	assert_int_equal(chk_counters_parse(&c, text, len, err, sizeof(err)),
			 0);
	assert_int_equal(c.n, 229); /* TcpExt, IpExt, MPTcpExt, ... */
	assert_int_equal(get(&c, "TcpExt.ListenOverflows"), 4176);
	assert_int_equal(get(&c, "TcpExt.ListenDrops"), 4176);
	assert_int_equal(get(&c, "TcpExt.SyncookiesSent"), 423);
	assert_int_equal(get(&c, "TcpExt.SyncookiesRecv"), 623);
	assert_int_equal(get(&c, "TcpExt.SyncookiesFailed"), 0);
	assert_int_equal(get(&c, "TcpExt.TCPSynRetrans"), 5893);
	assert_int_equal(get(&c, "TcpExt.TCPTimeouts"), 5895);
	assert_int_equal(get(&c, "TcpExt.TCPFastOpenListenOverflow"), 0);
	assert_int_equal(get(&c, "IpExt.InOctets"), 64704681);
	/* A prefix is not a name, and names are matched whole. */
	assert_int_equal(chk_counters_get(&c, "ListenOverflows", &v), -1);
	assert_int_equal(chk_counters_get(&c, "TcpExt.ListenOverflow", &v), -1);
	assert_int_equal(chk_counters_get(&c, "Tcp.ListenOverflows", &v), -1);
	chk_counters_free(&c);
	free(text);
}

static void test_snmp_sample(void **state)
{
	struct chk_counters c;
	size_t len;
	char *text = load("host-snmp.txt", &len);

	(void)state;
	chk_counters_init(&c);
	assert_int_equal(chk_counters_parse(&c, text, len, NULL, 0), 0);
	assert_int_equal(c.n, 83);
	assert_int_equal(get(&c, "Tcp.MaxConn"), -1); /* signed */
	assert_int_equal(get(&c, "Tcp.RetransSegs"), 5897);
	assert_int_equal(get(&c, "Tcp.OutSegs"), 565520);
	assert_int_equal(get(&c, "Tcp.AttemptFails"), 29);
	assert_int_equal(get(&c, "Tcp.EstabResets"), 287);
	assert_int_equal(get(&c, "IcmpMsg.InType3"), 1);
	assert_int_equal(get(&c, "Ip.Forwarding"), 2);
	chk_counters_free(&c);
	free(text);
}

/* Where a prefix of len bytes may stop and still parse: nowhere but the
 * end of a value line (every second non-blank line) or the very start. */
static int complete_at(const char *text, size_t len)
{
	size_t i, lines = 0;

	if (len == 0)
		return 1;
	if (text[len - 1] != '\n')
		return 0;
	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			lines++;
	return lines % 2 == 0;
}

/* Every prefix, ending at a guard page: parses, or is truncated; never
 * invalid, never reads past its end, leaves nothing behind on failure. */
static void per_byte(const char *name)
{
	struct chk_counters c;
	struct guard g;
	size_t len, cut;
	char *text = load(name, &len);

	guard_init(&g, len);
	chk_counters_init(&c);
	for (cut = 0; cut <= len; cut++) {
		const char *at = (const char *)guard_put(&g, text, cut);
		int rc = chk_counters_parse(&c, at, cut, NULL, 0);

		if (complete_at(text, cut)) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, CHK_CNT_TRUNCATED);
			assert_int_equal(c.n, 0);
		}
		c.n = 0;
	}
	chk_counters_free(&c);
	guard_free(&g);
	free(text);
}

static void test_per_byte_netstat(void **state)
{
	(void)state;
	per_byte("host-netstat.txt");
}

static void test_per_byte_snmp(void **state)
{
	(void)state;
	per_byte("host-snmp.txt");
}

static void expect_file(const char *name, int want, const char *err_has)
{
	struct chk_counters c;
	char err[128] = "";
	size_t len;
	char *text = load(name, &len);

	chk_counters_init(&c);
	assert_int_equal(chk_counters_parse(&c, text, len, err, sizeof(err)),
			 want);
	assert_int_equal(c.n, 0);
	assert_non_null(strstr(err, err_has));
	chk_counters_free(&c);
	free(text);
}

static void test_truncated_files(void **state)
{
	(void)state;
	expect_file("truncated-netstat.txt", CHK_CNT_TRUNCATED,
		    "line 2: no end of line");
	expect_file("truncated-header.txt", CHK_CNT_TRUNCATED,
		    "line 3: header without values");
}

static void test_malformed_files(void **state)
{
	(void)state;
	expect_file("malformed-count.txt", CHK_CNT_INVALID,
		    "line 2: fewer values than names");
	expect_file("malformed-number.txt", CHK_CNT_INVALID,
		    "line 2: not an integer");
	expect_file("malformed-prefix.txt", CHK_CNT_INVALID,
		    "line 2: value line of another prefix");
}

static int parse_str(struct chk_counters *c, const char *s)
{
	return chk_counters_parse(c, s, strlen(s), NULL, 0);
}

static void test_edge_lines(void **state)
{
	struct chk_counters c;
	char longname[200];
	int64_t v;

	(void)state;
	chk_counters_init(&c);
	/* More values than names. */
	assert_int_equal(parse_str(&c, "A: x\nA: 1 2\n"), CHK_CNT_INVALID);
	/* No prefix at all; a bad character in a name. */
	assert_int_equal(parse_str(&c, "x y\n1 2\n"), CHK_CNT_INVALID);
	assert_int_equal(parse_str(&c, "A: x-y\nA: 1\n"), CHK_CNT_INVALID);
	/* 2^63 does not fit; -(2^63 - 1) does; a lone '-' is no number. */
	assert_int_equal(parse_str(&c, "A: x\nA: 9223372036854775808\n"),
			 CHK_CNT_INVALID);
	assert_int_equal(parse_str(&c, "A: x\nA: -\n"), CHK_CNT_INVALID);
	assert_int_equal(parse_str(&c, "A: x\nA: -9223372036854775807\n"), 0);
	assert_true(get(&c, "A.x") == -INT64_MAX);
	/* Blank lines between pairs are skipped; tabs separate too. */
	c.n = 0;
	assert_int_equal(parse_str(&c, "\nB:\ty  z \nB: 7\t8\n\n"), 0);
	assert_int_equal(get(&c, "B.y"), 7);
	assert_int_equal(get(&c, "B.z"), 8);
	/* A name we would have to cut is skipped, its line still counts. */
	memset(longname, 'n', 100);
	longname[100] = '\0';
	{
		char text[400];

		snprintf(text, sizeof(text), "C: %s k\nC: 1 2\n", longname);
		c.n = 0;
		assert_int_equal(parse_str(&c, text), 0);
		assert_int_equal(c.n, 1);
		assert_int_equal(get(&c, "C.k"), 2);
	}
	/* On failure, what an earlier call added stays, nothing more. */
	c.n = 0;
	assert_int_equal(parse_str(&c, "D: a\nD: 1\n"), 0);
	assert_int_equal(parse_str(&c, "E: a\nE: 1\nF: b\nF: x\n"),
			 CHK_CNT_INVALID);
	assert_int_equal(c.n, 1);
	assert_int_equal(chk_counters_get(&c, "E.a", &v), -1);
	chk_counters_free(&c);
}

static void test_delta(void **state)
{
	struct chk_counters a, b;
	int64_t d;

	(void)state;
	chk_counters_init(&a);
	chk_counters_init(&b);
	assert_int_equal(parse_str(&a, "T: L D\nT: 10 4\n"), 0);
	assert_int_equal(parse_str(&b, "T: L D\nT: 25 4\n"), 0);
	assert_int_equal(chk_counters_delta(&a, &b, "T.L", &d), 0);
	assert_int_equal(d, 15);
	assert_int_equal(chk_counters_delta(&a, &b, "T.D", &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(chk_counters_delta(&a, &b, "T.X", &d), -1);
	chk_counters_free(&a);
	chk_counters_free(&b);
}

static void test_read_procroot(void **state)
{
	struct chk_counters c;
	char root[1024], err[256] = "";

	(void)state;
	snprintf(root, sizeof(root), "%s", data_path("proc"));
	chk_counters_init(&c);
	assert_int_equal(chk_counters_read(&c, root, err, sizeof(err)), 0);
	assert_int_equal(c.n, 229 + 83);
	assert_int_equal(get(&c, "TcpExt.ListenOverflows"), 4176);
	assert_int_equal(get(&c, "Tcp.RetransSegs"), 5897);
	/* A missing file says which. */
	assert_true(chk_counters_read(&c, "/nonexistent-procroot", err,
				      sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent-procroot/net/netstat"));
	assert_int_equal(c.n, 0);
	/* The live files parse too (whatever their values). */
	assert_int_equal(chk_counters_read(&c, "/proc", err, sizeof(err)), 0);
	assert_true(c.n > 50);
	chk_counters_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netstat_sample),
		cmocka_unit_test(test_snmp_sample),
		cmocka_unit_test(test_per_byte_netstat),
		cmocka_unit_test(test_per_byte_snmp),
		cmocka_unit_test(test_truncated_files),
		cmocka_unit_test(test_malformed_files),
		cmocka_unit_test(test_edge_lines),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_read_procroot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
