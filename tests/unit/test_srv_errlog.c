/* test_srv_errlog.c - the error log: the line classifier on real lines of
 * every format and class (each prefix of each behind a guard page), the
 * streaming reader on the corpora of tests/data/errlog (real MariaDB 10.11
 * logs among them) fed whole and byte by byte, long lines, tails, the
 * bisection to a start time, the buckets and host tables at their bounds,
 * journalctl through a stand-in, where the log is, and the rules on
 * hand-made aggregates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "guard.h"
#include "check/server.h"

/* ---- helpers ---- */

static const char *data_dir(void)
{
	const char *d = getenv("CD_TEST_DATA");

	return d ? d : "tests/data";
}

static void data_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/errlog/%s", data_dir(), name);
}

static struct srv_errlog_opts opts(void)
{
	struct srv_errlog_opts o;

	memset(&o, 0, sizeof(o));
	return o; /* zoneless stamps as UTC: deterministic on any host */
}

static void read_corpus(const char *name, const struct srv_errlog_opts *o,
			struct srv_errlog_stats *st)
{
	char path[512], err[256] = "";

	data_path(path, sizeof(path), name);
	assert_int_equal(srv_errlog_stats_init(st, o->bucket_s), 0);
	if (srv_errlog_read(path, o, st, err, sizeof(err)))
		fail_msg("%s: %s", name, err);
}

static const struct srv_errlog_key *host(const struct srv_errlog_stats *st,
					 const char *name)
{
	size_t i;

	for (i = 0; i < st->nhosts; i++)
		if (!strcmp(st->hosts[i].name, name))
			return &st->hosts[i];
	return NULL;
}

static const struct cd_finding *find(const struct cd_findings *f,
				     const char *code)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].def->code, code))
			return &f->v[i];
	return NULL;
}

static double ev_num(const struct cd_finding *f, const char *key)
{
	unsigned i;

	for (i = 0; i < f->nev; i++)
		if (!strcmp(f->ev[i].key, key))
			return f->ev[i].v[0];
	fail_msg("%s has no evidence %s", f->def->code, key);
	return -1;
}

/* Class counts a corpus must give (every class listed; others zero). */
struct want {
	enum srv_errlog_class c;
	uint64_t n;
};

static void check_counts(const struct srv_errlog_stats *st,
			 const struct want *w, size_t nw)
{
	uint64_t expect[SRV_EL_NCLASS] = {0};
	size_t i;

	for (i = 0; i < nw; i++)
		expect[w[i].c] = w[i].n;
	for (i = 0; i < SRV_EL_NCLASS; i++)
		if (st->n[i] != expect[i])
			fail_msg(
				"%s: %llu, want %llu",
				srv_errlog_class_name((enum srv_errlog_class)i),
				(unsigned long long)st->n[i],
				(unsigned long long)expect[i]);
}

/* ---- the classifier, line by line ---- */

struct line_case {
	const char *line;
	int rc;
	enum srv_errlog_class cls;
	enum srv_errlog_format fmt;
	enum srv_errlog_wrap wrap;
	int64_t t;	/* 0: undated */
	int64_t thread; /* -1: none */
	enum srv_errlog_level level;
	const char *code, *host, *user;
	int preauth;
};

#define T_180408 1795284248 /* 2026-11-21 18:04:08 UTC */
/* A line that must fail with rc (the rest is not looked at). */
#define BAD(l, rc)                                                             \
	{                                                                      \
		l, rc, SRV_EL_OTHER, SRV_EL_FMT_BARE, SRV_EL_WRAP_NONE, 0, -1, \
			SRV_EL_LVL_NONE, "", "", "", 0                         \
	}

static const struct line_case cases[] = {
	/* MySQL 5.7 (log_timestamps=UTC and SYSTEM) */
	{"2026-11-21T18:04:08.123456Z 12 [Note] Aborted connection 12 to db: "
	 "'x' user: 'u' host: 'h' (Got an error reading communication "
	 "packets)",
	 SRV_EL_OK, SRV_EL_ABORTED_READ_ERROR, SRV_EL_FMT_MYSQL57,
	 SRV_EL_WRAP_NONE, T_180408, 12, SRV_EL_LVL_NOTE, "", "h", "u", 0},
	{"2026-11-21T19:04:08.123456+01:00 12 [Note] Aborted connection 12 to "
	 "db: 'unconnected' user: 'unauthenticated' host: '10.0.0.1' (Got "
	 "timeout reading communication packets)",
	 SRV_EL_OK, SRV_EL_ABORTED_READ_TIMEOUT, SRV_EL_FMT_MYSQL57,
	 SRV_EL_WRAP_NONE, T_180408, 12, SRV_EL_LVL_NOTE, "", "10.0.0.1",
	 "unauthenticated", 1},
	{"2026-11-21T13:04:08.1-0500 3 [Warning] IP address '10.0.0.7' could "
	 "not be resolved: Name or service not known",
	 SRV_EL_OK, SRV_EL_IP_NOT_RESOLVED, SRV_EL_FMT_MYSQL57,
	 SRV_EL_WRAP_NONE, T_180408, 3, SRV_EL_LVL_WARNING, "", "10.0.0.7", "",
	 0},
	/* MySQL 8 */
	{"2026-11-21T18:04:08.123456Z 12 [Note] [MY-010914] [Server] Aborted "
	 "connection 12 to db: 'x' user: 'u' host: 'h' (Got packets out of "
	 "order).",
	 SRV_EL_OK, SRV_EL_ABORTED_OUT_OF_ORDER, SRV_EL_FMT_MYSQL8,
	 SRV_EL_WRAP_NONE, T_180408, 12, SRV_EL_LVL_NOTE, "MY-010914", "h", "u",
	 0},
	{"2026-11-21T18:04:08.000000Z 9 [Note] [MY-010926] [Server] Access "
	 "denied for user 'app'@'172.21.0.9' (using password: YES)",
	 SRV_EL_OK, SRV_EL_ACCESS_DENIED, SRV_EL_FMT_MYSQL8, SRV_EL_WRAP_NONE,
	 T_180408, 9, SRV_EL_LVL_NOTE, "MY-010926", "172.21.0.9", "app", 0},
	{"2026-11-21T18:04:08.000000Z 0 [System] [MY-010910] [Server] "
	 "/usr/sbin/mysqld: Shutdown complete (mysqld 8.0.36)  MySQL "
	 "Community Server - GPL.",
	 SRV_EL_OK, SRV_EL_SHUTDOWN_COMPLETE, SRV_EL_FMT_MYSQL8,
	 SRV_EL_WRAP_NONE, T_180408, 0, SRV_EL_LVL_SYSTEM, "MY-010910", "", "",
	 0},
	{"2026-11-21T18:04:08.000000Z 0 [System] [MY-013172] [Server] "
	 "Received SHUTDOWN from user <via user signal>. Shutting down mysqld "
	 "(Version: 8.0.36).",
	 SRV_EL_OK, SRV_EL_SHUTDOWN_NORMAL, SRV_EL_FMT_MYSQL8, SRV_EL_WRAP_NONE,
	 T_180408, 0, SRV_EL_LVL_SYSTEM, "MY-013172", "", "", 0},
	/* MariaDB 10.x / 11.x, as 10.11 writes them (tests/integration) */
	{"2026-11-21 18:04:08 12 [Warning] Aborted connection 12 to db: "
	 "'unconnected' user: 'unauthenticated' host: '10.0.0.1' (This "
	 "connection closed normally without authentication)",
	 SRV_EL_OK, SRV_EL_ABORTED_NO_AUTH, SRV_EL_FMT_MARIADB,
	 SRV_EL_WRAP_NONE, T_180408, 12, SRV_EL_LVL_WARNING, "", "10.0.0.1",
	 "unauthenticated", 1},
	{"2026-11-21 18:04:08 0 [Warning] Aborted connection 0 to db: "
	 "'unconnected' user: 'unauthenticated' host: 'connecting host' (Too "
	 "many connections)",
	 SRV_EL_OK, SRV_EL_TOO_MANY_CONNECTIONS, SRV_EL_FMT_MARIADB,
	 SRV_EL_WRAP_NONE, T_180408, 0, SRV_EL_LVL_WARNING, "", "",
	 "unauthenticated", 0},
	{"2026-11-21 18:04:08 26 [Warning] Aborted connection 25 to db: "
	 "'unconnected' user: 'conndoctor' host: 'localhost' (KILLED)",
	 SRV_EL_OK, SRV_EL_ABORTED_KILLED, SRV_EL_FMT_MARIADB, SRV_EL_WRAP_NONE,
	 T_180408, 26, SRV_EL_LVL_WARNING, "", "localhost", "conndoctor", 0},
	{"2026-11-21 18:04:08 25 [ERROR] mariadbd: Connection was killed",
	 SRV_EL_OK, SRV_EL_CONNECTION_KILLED, SRV_EL_FMT_MARIADB,
	 SRV_EL_WRAP_NONE, T_180408, 25, SRV_EL_LVL_ERROR, "", "", "", 0},
	{"2026-11-21 18:04:08 19 [ERROR] mariadbd: Got packets out of order",
	 SRV_EL_OK, SRV_EL_ABORTED_OUT_OF_ORDER, SRV_EL_FMT_MARIADB,
	 SRV_EL_WRAP_NONE, T_180408, 19, SRV_EL_LVL_ERROR, "", "", "", 0},
	{"2026-11-21 18:04:08 4 [Warning] Access denied for user "
	 "'conndoctor'@'localhost' (using password: YES)",
	 SRV_EL_OK, SRV_EL_ACCESS_DENIED, SRV_EL_FMT_MARIADB, SRV_EL_WRAP_NONE,
	 T_180408, 4, SRV_EL_LVL_WARNING, "", "localhost", "conndoctor", 0},
	{"2026-11-21 18:04:08 11 [Warning] Hostname 'liar.lab' does not "
	 "resolve to '10.213.51.4'.",
	 SRV_EL_OK, SRV_EL_HOSTNAME_MISMATCH, SRV_EL_FMT_MARIADB,
	 SRV_EL_WRAP_NONE, T_180408, 11, SRV_EL_LVL_WARNING, "", "10.213.51.4",
	 "", 0},
	{"2026-11-21 18:04:08 11 [Warning] Host name 'db.example' could not "
	 "be resolved: Name or service not known",
	 SRV_EL_OK, SRV_EL_HOSTNAME_MISMATCH, SRV_EL_FMT_MARIADB,
	 SRV_EL_WRAP_NONE, T_180408, 11, SRV_EL_LVL_WARNING, "", "db.example",
	 "", 0},
	{"2026-11-21 18:04:08 3 [Warning] Aborted connection 3 to db: "
	 "'unconnected' user: 'unauthenticated' host: '10.0.0.2' (Host "
	 "'10.0.0.2' is blocked because of many connection errors; unblock "
	 "with 'mariadb-admin flush-hosts')",
	 SRV_EL_OK, SRV_EL_HOST_BLOCKED, SRV_EL_FMT_MARIADB, SRV_EL_WRAP_NONE,
	 T_180408, 3, SRV_EL_LVL_WARNING, "", "10.0.0.2", "unauthenticated", 1},
	{"2026-11-21 18:04:08 3 [Warning] Host '10.0.0.3' is blocked because "
	 "of many connection errors; unblock with 'mysqladmin flush-hosts'",
	 SRV_EL_OK, SRV_EL_HOST_BLOCKED, SRV_EL_FMT_MARIADB, SRV_EL_WRAP_NONE,
	 T_180408, 3, SRV_EL_LVL_WARNING, "", "10.0.0.3", "", 0},
	{"2026-11-21 18:04:08 0 [Note] Starting MariaDB 10.11.19-MariaDB-0+"
	 "deb12u1 source revision 5843d84 server_uid x= as process 22204",
	 SRV_EL_OK, SRV_EL_SERVER_START, SRV_EL_FMT_MARIADB, SRV_EL_WRAP_NONE,
	 T_180408, 0, SRV_EL_LVL_NOTE, "", "", "", 0},
	{"2026-11-21 18:04:08 0 [Note] mariadbd (initiated by: unknown): "
	 "Normal shutdown",
	 SRV_EL_OK, SRV_EL_SHUTDOWN_NORMAL, SRV_EL_FMT_MARIADB,
	 SRV_EL_WRAP_NONE, T_180408, 0, SRV_EL_LVL_NOTE, "", "", "", 0},
	{"2026-11-21 18:04:08 0 [Note] Shutdown completed; log sequence "
	 "number 44776; transaction id 15",
	 SRV_EL_OK, SRV_EL_OTHER, SRV_EL_FMT_MARIADB, SRV_EL_WRAP_NONE,
	 T_180408, 0, SRV_EL_LVL_NOTE, "", "", "", 0},
	{"2026-11-21 18:04:08 0 [ERROR] mariadbd got signal 11 ;", SRV_EL_OK,
	 SRV_EL_CRASH, SRV_EL_FMT_MARIADB, SRV_EL_WRAP_NONE, T_180408, 0,
	 SRV_EL_LVL_ERROR, "", "", "", 0},
	{"2026-11-21 18:04:08 5 [Warning] Could not read packet: fd: 41  "
	 "state: 1  read_length: 4  errno: 11  vio_errno: 1158  length: 0",
	 SRV_EL_OK, SRV_EL_COULD_NOT_READ, SRV_EL_FMT_MARIADB, SRV_EL_WRAP_NONE,
	 T_180408, 5, SRV_EL_LVL_WARNING, "", "", "", 0},
	{"2024-02-21  7:59:54 5 [Warning] Aborted connection 5 to db: "
	 "'unconnected' user: 'unauthenticated' host: '172.25.0.4' (This "
	 "connection closed normally without authentication)",
	 SRV_EL_OK, SRV_EL_ABORTED_NO_AUTH, SRV_EL_FMT_MARIADB,
	 SRV_EL_WRAP_NONE, 1708502394, 5, SRV_EL_LVL_WARNING, "", "172.25.0.4",
	 "unauthenticated", 1},
	{"2021-10-12 10:00:01 1381 [Warning] Aborted connection 1381 to db: "
	 "'unconnected' user: 'iobroker' host: '192.168.1.20' "
	 "(CLOSE_CONNECTION)",
	 SRV_EL_OK, SRV_EL_ABORTED_CLOSE_CONN, SRV_EL_FMT_MARIADB,
	 SRV_EL_WRAP_NONE, 1634032801, 1381, SRV_EL_LVL_WARNING, "",
	 "192.168.1.20", "iobroker", 0},
	{"2019-01-11 13:35:23 140454900524800 [Warning] Aborted connection 377 "
	 "to db: 'db_A' user: 'db_A' host: '192.168.151.10' (Got an error "
	 "writing communication packets)",
	 SRV_EL_OK, SRV_EL_ABORTED_WRITE_ERROR, SRV_EL_FMT_MARIADB,
	 SRV_EL_WRAP_NONE, 1547213723, 140454900524800LL, SRV_EL_LVL_WARNING,
	 "", "192.168.151.10", "db_A", 0},
	{"2026-11-21 18:04:08 7 [Warning] Aborted connection 7 to db: 'x' "
	 "user: 'u' host: 'h' (Got a packet bigger than 'max_allowed_packet' "
	 "bytes)",
	 SRV_EL_OK, SRV_EL_ABORTED_TOO_LARGE, SRV_EL_FMT_MARIADB,
	 SRV_EL_WRAP_NONE, T_180408, 7, SRV_EL_LVL_WARNING, "", "h", "u", 0},
	{"2026-11-21 18:04:08 7 [Warning] Aborted connection 7 to db: 'x' "
	 "user: 'u' host: 'h' (init_connect command failed)",
	 SRV_EL_OK, SRV_EL_ABORTED_OTHER, SRV_EL_FMT_MARIADB, SRV_EL_WRAP_NONE,
	 T_180408, 7, SRV_EL_LVL_WARNING, "", "h", "u", 0},
	/* a replica reporting its primary's refusal is not ours */
	{"2026-11-21 18:04:08 9 [ERROR] Slave I/O: error connecting to master "
	 "'repl@10.0.0.1:3306' - retry-time: 60  maximum-retries: 86400  "
	 "message: Too many connections, Internal MariaDB error code: 1040",
	 SRV_EL_OK, SRV_EL_OTHER, SRV_EL_FMT_MARIADB, SRV_EL_WRAP_NONE,
	 T_180408, 9, SRV_EL_LVL_ERROR, "", "", "", 0},
	/* legacy: MySQL <= 5.5, MariaDB <= 10.0 */
	{"150809  7:56:08 [Warning] Aborted connection 282 to db: 'db-name' "
	 "user: 'user-name' host: 'localhost' (Unknown error)",
	 SRV_EL_OK, SRV_EL_ABORTED_OTHER, SRV_EL_FMT_LEGACY, SRV_EL_WRAP_NONE,
	 1439106968, -1, SRV_EL_LVL_WARNING, "", "localhost", "user-name", 0},
	{"160521 18:49:27 mysqld_safe mysqld restarted", SRV_EL_OK,
	 SRV_EL_CRASH, SRV_EL_FMT_LEGACY, SRV_EL_WRAP_NONE, 1463856567, -1,
	 SRV_EL_LVL_NONE, "", "", "", 0},
	{"180816 13:39:30 [Warning] Aborted connection 3434103 to db: 'xxx' "
	 "user: 'xxx' (Got timeout writing communication packets).",
	 SRV_EL_OK, SRV_EL_ABORTED_WRITE_TIMEOUT, SRV_EL_FMT_LEGACY,
	 SRV_EL_WRAP_NONE, 1534426770, -1, SRV_EL_LVL_WARNING, "", "", "xxx",
	 0},
	/* journald (short-iso, both zone spellings) and syslog */
	{"2026-11-21T19:04:08+0100 db1 mariadbd[658]: 2026-11-21 19:04:08 "
	 "1157 [Warning] Aborted connection 1157 to db: 'unconnected' user: "
	 "'unauthenticated' host: 'localhost' (This connection closed "
	 "normally without authentication)",
	 SRV_EL_OK, SRV_EL_ABORTED_NO_AUTH, SRV_EL_FMT_MARIADB,
	 SRV_EL_WRAP_JOURNAL, T_180408, 1157, SRV_EL_LVL_WARNING, "",
	 "localhost", "unauthenticated", 1},
	{"2026-11-21T18:04:08+00:00 db1 mariadbd[658]: Version: '10.11.19'  "
	 "socket: '/run/mysqld/mysqld.sock'  port: 3306  Debian 12",
	 SRV_EL_OK, SRV_EL_OTHER, SRV_EL_FMT_BARE, SRV_EL_WRAP_JOURNAL,
	 T_180408, -1, SRV_EL_LVL_NONE, "", "", "", 0},
	{"Jan 11 13:35:23 localhost mysqld[19836]: 2019-01-11 13:35:23 "
	 "140454900524800 [Warning] Aborted connection 377 to db: 'db_A' "
	 "user: 'db_A' host: '192.168.151.10' (Got an error reading "
	 "communication packets)",
	 SRV_EL_OK, SRV_EL_ABORTED_READ_ERROR, SRV_EL_FMT_MARIADB,
	 SRV_EL_WRAP_SYSLOG, 1547213723, 140454900524800LL, SRV_EL_LVL_WARNING,
	 "", "192.168.151.10", "db_A", 0},
	{"Jan 11 13:36:55 localhost mysqld: [Warning] Access denied for user "
	 "'a'@'b' (using password: NO)",
	 SRV_EL_BARE, SRV_EL_ACCESS_DENIED, SRV_EL_FMT_BARE, SRV_EL_WRAP_SYSLOG,
	 0, -1, SRV_EL_LVL_WARNING, "", "b", "a", 0},
	/* bare, truncated, invalid */
	{"Version: '10.11.19-MariaDB-0+deb12u1'  socket: '/tmp/x.sock'  port: "
	 "3306  Debian 12",
	 SRV_EL_BARE, SRV_EL_OTHER, SRV_EL_FMT_BARE, SRV_EL_WRAP_NONE, 0, -1,
	 SRV_EL_LVL_NONE, "", "", "", 0},
	{"", SRV_EL_BARE, SRV_EL_OTHER, SRV_EL_FMT_BARE, SRV_EL_WRAP_NONE, 0,
	 -1, SRV_EL_LVL_NONE, "", "", "", 0},
	BAD("2026-11-21T18:0", SRV_EL_TRUNCATED),
	BAD("2026-11-21 18:04:08.", SRV_EL_TRUNCATED),
	BAD("2026-11-21T18:04:08+01:", SRV_EL_TRUNCATED),
	BAD("201121 18:04", SRV_EL_TRUNCATED),
	BAD("2026-13-01 00:00:00 0 [Note] x", SRV_EL_INVALID),
	BAD("2026-02-29 00:00:00 0 [Note] x", SRV_EL_INVALID),
	BAD("2026-11-21 18:60:00 0 [Note] x", SRV_EL_INVALID),
	BAD("2026-11-21 18:04:08X [Note] x", SRV_EL_INVALID),
	BAD("2026-11-21T18:04:08+1500 0 [Note] x", SRV_EL_INVALID),
	BAD("1969-12-31 23:59:59 0 [Note] x", SRV_EL_INVALID),
};

static void check_case(const struct line_case *c, const char *line, size_t len)
{
	struct srv_errlog_event ev;
	int rc;

	memset(&ev, 0xa5, sizeof(ev)); /* untouched on failure */
	rc = srv_errlog_line(line, len, &ev);
	if (rc != c->rc)
		fail_msg("rc %d, want %d: %s", rc, c->rc, c->line);
	if (rc < 0) {
		assert_int_equal(((unsigned char *)&ev)[0], 0xa5);
		return;
	}
	if (ev.cls != c->cls)
		fail_msg("class %s, want %s: %s", srv_errlog_class_name(ev.cls),
			 srv_errlog_class_name(c->cls), c->line);
	assert_int_equal(ev.format, c->fmt);
	assert_int_equal(ev.wrap, c->wrap);
	assert_int_equal(ev.has_time, c->t != 0);
	if (c->t)
		assert_int_equal(ev.time_s, c->t);
	assert_int_equal(ev.has_thread, c->thread >= 0);
	if (c->thread >= 0)
		assert_int_equal(ev.thread_id, (uint64_t)c->thread);
	assert_int_equal(ev.level, c->level);
	assert_string_equal(ev.code, c->code);
	assert_string_equal(ev.host, c->host);
	assert_string_equal(ev.user, c->user);
	assert_int_equal(ev.preauth, c->preauth);
	assert_true(ev.msg >= line && ev.msg + ev.msg_len <= line + len);
}

static void every_case(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i], cases[i].line, strlen(cases[i].line));
}

/* Each line with CRLF gives the same; each prefix of each line is read
 * behind a guard page without reading past it, and gives a result. */
static void prefixes_and_crlf(void **state)
{
	struct guard g;
	char buf[512];
	size_t i, k;

	(void)state;
	guard_init(&g, 512);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *l = cases[i].line;
		size_t n = strlen(l);

		assert_true(n + 2 < sizeof(buf));
		memcpy(buf, l, n);
		memcpy(buf + n, "\r", 1);
		check_case(&cases[i], buf, n + 1);
		for (k = 0; k <= n; k++) {
			struct srv_errlog_event ev;
			const uint8_t *p = guard_put(&g, l, k);
			int rc = srv_errlog_line((const char *)p, k, &ev);

			assert_true(rc >= SRV_EL_INVALID && rc <= SRV_EL_BARE);
			if (rc >= 0)
				assert_true((unsigned)ev.cls < SRV_EL_NCLASS);
		}
	}
	guard_free(&g);
	assert_int_equal(srv_errlog_line(NULL, 0, NULL), SRV_EL_INVALID);
}

static void sanitize(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(srv_errlog_sanitize(out, sizeof(out), "h\xc3\xa9t", 4),
			 4);
	assert_string_equal(out, "h\xc3\xa9t");
	srv_errlog_sanitize(out, sizeof(out), "a\xff\x1b[0m\x7f", 7);
	assert_string_equal(out, "a??[0m?");
	srv_errlog_sanitize(out, sizeof(out), "\xc0\xaf\xed\xa0\x80", 5);
	assert_string_equal(out, "?????"); /* overlong, surrogate */
	srv_errlog_sanitize(out, sizeof(out), "\xe2\x82", 2);
	assert_string_equal(out, "??"); /* cut sequence */
	/* a full buffer never splits a character */
	assert_int_equal(srv_errlog_sanitize(out, 4, "ab\xc3\xa9", 4), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(srv_errlog_sanitize(out, 0, "x", 1), 0);
	assert_string_equal(srv_errlog_class_name(SRV_EL_NCLASS), "?");
	assert_string_equal(srv_errlog_class_name(SRV_EL_ABORTED_OUT_OF_ORDER),
			    "aborted_packets_out_of_order");
}

/* ---- the corpora ---- */

static void corpus_mysql57(void **state)
{
	static const struct want w[] = {
		{SRV_EL_OTHER, 6},
		{SRV_EL_ABORTED_READ_ERROR, 2},
		{SRV_EL_ABORTED_WRITE_ERROR, 1},
		{SRV_EL_ABORTED_READ_TIMEOUT, 1},
		{SRV_EL_ABORTED_WRITE_TIMEOUT, 1},
		{SRV_EL_ABORTED_OUT_OF_ORDER, 1},
		{SRV_EL_ABORTED_TOO_LARGE, 1},
		{SRV_EL_ACCESS_DENIED, 1},
		{SRV_EL_IP_NOT_RESOLVED, 1},
		{SRV_EL_HOSTNAME_MISMATCH, 1},
		{SRV_EL_SERVER_START, 1},
		{SRV_EL_SERVER_READY, 1},
		{SRV_EL_SHUTDOWN_NORMAL, 1},
		{SRV_EL_SHUTDOWN_COMPLETE, 1},
	};
	struct srv_errlog_opts o = opts();
	struct srv_errlog_stats st;

	(void)state;
	read_corpus("mysql-5.7.log", &o, &st);
	check_counts(&st, w, sizeof(w) / sizeof(w[0]));
	assert_int_equal(st.lines, 20);
	assert_int_equal(st.lines_bare, 2);
	assert_int_equal(st.formats[SRV_EL_FMT_MYSQL57], 18);
	/* the +01:00 line is 18:05:08 UTC */
	assert_int_equal(st.last_s[SRV_EL_ABORTED_READ_ERROR], 1795284308);
	assert_int_equal(st.pre[SRV_EL_ABORTED_READ_ERROR], 1);
	assert_int_equal(host(&st, "10.0.0.5")->total, 5);
	srv_errlog_stats_free(&st);
}

static void corpus_mysql8(void **state)
{
	static const struct want w[] = {
		{SRV_EL_OTHER, 1},
		{SRV_EL_ABORTED_READ_ERROR, 2},
		{SRV_EL_ABORTED_WRITE_ERROR, 1},
		{SRV_EL_ABORTED_READ_TIMEOUT, 1},
		{SRV_EL_ABORTED_OUT_OF_ORDER, 1},
		{SRV_EL_ACCESS_DENIED, 1},
		{SRV_EL_IP_NOT_RESOLVED, 1},
		{SRV_EL_HOSTNAME_MISMATCH, 1},
		{SRV_EL_SERVER_START, 1},
		{SRV_EL_SERVER_READY, 1},
		{SRV_EL_SHUTDOWN_NORMAL, 1},
		{SRV_EL_SHUTDOWN_COMPLETE, 1},
	};
	struct srv_errlog_opts o = opts();
	struct srv_errlog_stats st;

	(void)state;
	read_corpus("mysql-8.0.log", &o, &st);
	check_counts(&st, w, sizeof(w) / sizeof(w[0]));
	assert_int_equal(st.formats[SRV_EL_FMT_MYSQL8], 13);
	assert_int_equal(st.pre[SRV_EL_ABORTED_READ_ERROR], 1);
	srv_errlog_stats_free(&st);
}

/* The same events in MySQL 8's JSON error log (log_sink_json): the same
 * classes, hosts and pre-auth count; every line dated (one message quotes
 * "time" escaped, which is not the line's time) with its thread, level and
 * code. */
static void corpus_mysql8_json(void **state)
{
	static const struct want w[] = {
		{SRV_EL_OTHER, 2},
		{SRV_EL_ABORTED_READ_ERROR, 2},
		{SRV_EL_ABORTED_WRITE_ERROR, 1},
		{SRV_EL_ABORTED_READ_TIMEOUT, 1},
		{SRV_EL_ABORTED_OUT_OF_ORDER, 1},
		{SRV_EL_ACCESS_DENIED, 1},
		{SRV_EL_IP_NOT_RESOLVED, 1},
		{SRV_EL_HOSTNAME_MISMATCH, 1},
		{SRV_EL_SERVER_START, 1},
		{SRV_EL_SERVER_READY, 1},
		{SRV_EL_SHUTDOWN_NORMAL, 1},
		{SRV_EL_SHUTDOWN_COMPLETE, 1},
	};
	static const char line[] =
		"{ \"prio\" : 3, \"err_code\" : 10914, \"subsystem\" : "
		"\"Server\", \"msg\" : \"Aborted connection 58291 to db: 'so' "
		"user: 'root' host: '172.21.0.1' (Got an error reading "
		"communication packets).\", \"time\" : "
		"\"2026-11-21T18:05:00.100000Z\", \"thread\" : 58291, "
		"\"label\" : \"Note\" }";
	struct srv_errlog_opts o = opts();
	struct srv_errlog_stats st;
	struct srv_errlog_event ev;
	struct guard g;

	(void)state;
	read_corpus("mysql-8.0.json", &o, &st);
	check_counts(&st, w, sizeof(w) / sizeof(w[0]));
	assert_int_equal(st.formats[SRV_EL_FMT_JSON], 14);
	assert_int_equal(st.lines_bare, 0);
	assert_int_equal(st.pre[SRV_EL_ABORTED_READ_ERROR], 1);
	srv_errlog_stats_free(&st);

	assert_int_equal(srv_errlog_line(line, sizeof(line) - 1, &ev),
			 SRV_EL_OK);
	assert_int_equal(ev.format, SRV_EL_FMT_JSON);
	assert_int_equal(ev.cls, SRV_EL_ABORTED_READ_ERROR);
	assert_int_equal(ev.level, SRV_EL_LVL_NOTE);
	assert_string_equal(ev.code, "MY-010914");
	assert_true(ev.has_thread);
	assert_int_equal(ev.thread_id, 58291);
	assert_true(ev.has_zone);
	assert_int_equal(ev.time_s, 1795284300); /* 2026-11-21 18:05:00 UTC */
	assert_string_equal(ev.host, "172.21.0.1");
	assert_string_equal(ev.user, "root");
	/* Every prefix: never read past the end, never a crash. */
	guard_init(&g, sizeof(line));
	for (size_t n = 0; n < sizeof(line) - 1; n++)
		(void)srv_errlog_line((const char *)guard_put(&g, line, n), n,
				      &ev);
	guard_free(&g);
}

static void corpus_legacy_journal_syslog(void **state)
{
	static const struct want legacy[] = {
		{SRV_EL_OTHER, 2},
		{SRV_EL_ABORTED_READ_ERROR, 3},
		{SRV_EL_ABORTED_CLOSE_CONN, 1},
		{SRV_EL_ABORTED_NO_AUTH, 1},
		{SRV_EL_ABORTED_OTHER, 1},
		{SRV_EL_IP_NOT_RESOLVED, 2},
		{SRV_EL_SERVER_START, 1},
		{SRV_EL_SERVER_READY, 1},
		{SRV_EL_CRASH, 1},
	};
	static const struct want journal[] = {
		{SRV_EL_OTHER, 4},	     {SRV_EL_ABORTED_READ_TIMEOUT, 1},
		{SRV_EL_ABORTED_NO_AUTH, 1}, {SRV_EL_ACCESS_DENIED, 1},
		{SRV_EL_SERVER_START, 1},    {SRV_EL_SERVER_READY, 1},
		{SRV_EL_SHUTDOWN_NORMAL, 1}, {SRV_EL_SHUTDOWN_COMPLETE, 1},
	};
	static const struct want syslog[] = {
		{SRV_EL_ABORTED_READ_ERROR, 2},
		{SRV_EL_ABORTED_OTHER, 1},
	};
	struct srv_errlog_opts o = opts();
	struct srv_errlog_stats st;

	(void)state;
	read_corpus("mariadb-legacy.log", &o, &st);
	check_counts(&st, legacy, sizeof(legacy) / sizeof(legacy[0]));
	assert_int_equal(st.formats[SRV_EL_FMT_LEGACY], 8);
	assert_int_equal(st.formats[SRV_EL_FMT_MARIADB], 4);
	srv_errlog_stats_free(&st);

	read_corpus("journal.txt", &o, &st);
	check_counts(&st, journal, sizeof(journal) / sizeof(journal[0]));
	assert_int_equal(st.journal_lines, 10);
	assert_int_equal(st.lines_bare, 1); /* "-- Boot ... --" */
	/* the journal's zoned stamp: 19:05:03+0100 is 18:05:03 UTC */
	assert_int_equal(st.first_s[SRV_EL_ABORTED_NO_AUTH], 1795284303);
	srv_errlog_stats_free(&st);

	read_corpus("syslog.txt", &o, &st);
	check_counts(&st, syslog, sizeof(syslog) / sizeof(syslog[0]));
	assert_int_equal(st.syslog_lines, 3);
	srv_errlog_stats_free(&st);
}

static void corpus_malformed(void **state)
{
	static const struct want w[] = {
		{SRV_EL_OTHER, 3},
		{SRV_EL_ABORTED_READ_ERROR, 1},
		{SRV_EL_ABORTED_READ_TIMEOUT, 1},
		{SRV_EL_ABORTED_OTHER, 2},
		{SRV_EL_ACCESS_DENIED, 1},
		{SRV_EL_TOO_MANY_CONNECTIONS, 1}, /* the last line, no '\n' */
	};
	struct srv_errlog_opts o = opts();
	struct srv_errlog_stats st;
	size_t i;

	(void)state;
	read_corpus("malformed.log", &o, &st);
	check_counts(&st, w, sizeof(w) / sizeof(w[0]));
	assert_int_equal(st.lines, 16);
	assert_int_equal(st.lines_truncated, 1);
	assert_int_equal(st.lines_invalid, 6);
	assert_int_equal(st.lines_bare, 1);
	assert_non_null(host(&st, "10.0.0.1")); /* CRLF: no '\r' kept */
	assert_non_null(host(&st, "evil?[31m"));
	/* the denied login, and the read timeout's account (CD6060) */
	assert_int_equal(st.naccts, 2);
	assert_string_equal(st.accts[0].name, "r??ot@10.9.9.9");
	assert_string_equal(st.accts[1].name, "u@evil?[31m");
	assert_int_equal(st.accts[1].n[SRV_EL_ABORTED_READ_TIMEOUT], 1);
	for (i = 0; i < SRV_EL_NCLASS; i++)
		assert_null(strchr(st.example[i], '\x1b'));
	srv_errlog_stats_free(&st);
}

/* The logs MariaDB 10.11 wrote in tests/integration/test_errlog.py. */
static void corpus_real_mariadb(void **state)
{
	static const struct want w[] = {
		{SRV_EL_OTHER, 18},
		{SRV_EL_ABORTED_READ_ERROR, 3},	  /* closed without COM_QUIT */
		{SRV_EL_ABORTED_READ_TIMEOUT, 1}, /* wait_timeout = 1 */
		{SRV_EL_ABORTED_OUT_OF_ORDER, 2}, /* the fd 2 text */
		{SRV_EL_ABORTED_NO_AUTH, 12},	  /* aborted handshakes */
		{SRV_EL_ABORTED_KILLED, 2},	  /* KILL */
		{SRV_EL_ACCESS_DENIED, 3},	  /* wrong passwords */
		{SRV_EL_TOO_MANY_CONNECTIONS, 3},
		{SRV_EL_CONNECTION_KILLED, 4},
		{SRV_EL_COULD_NOT_READ, 16},
		{SRV_EL_SERVER_START, 1},
		{SRV_EL_SERVER_READY, 1},
	};
	static const struct want dns[] = {
		{SRV_EL_OTHER, 20},	     {SRV_EL_ABORTED_NO_AUTH, 9},
		{SRV_EL_IP_NOT_RESOLVED, 2}, {SRV_EL_HOSTNAME_MISMATCH, 1},
		{SRV_EL_COULD_NOT_READ, 7},  {SRV_EL_SERVER_START, 1},
		{SRV_EL_SERVER_READY, 1},
	};
	struct srv_errlog_opts o = opts();
	struct srv_errlog_stats st;

	(void)state;
	read_corpus("mariadb-10.11-real.log", &o, &st);
	check_counts(&st, w, sizeof(w) / sizeof(w[0]));
	assert_int_equal(st.lines, 66);
	assert_int_equal(st.nhosts, 1);
	assert_string_equal(st.hosts[0].name, "localhost");
	assert_int_equal(st.hosts[0].preauth, 12);
	assert_int_equal(st.pre[SRV_EL_TOO_MANY_CONNECTIONS], 0);
	assert_int_equal(st.first_s[SRV_EL_ACCESS_DENIED], 1795286390);
	srv_errlog_stats_free(&st);

	read_corpus("mariadb-10.11-dns-real.log", &o, &st);
	check_counts(&st, dns, sizeof(dns) / sizeof(dns[0]));
	assert_int_equal(host(&st, "10.213.51.3")->n[SRV_EL_IP_NOT_RESOLVED],
			 2);
	assert_int_equal(host(&st, "10.213.51.4")->n[SRV_EL_HOSTNAME_MISMATCH],
			 1);
	assert_int_equal(host(&st, "goodclient")->preauth, 3);
	srv_errlog_stats_free(&st);
}

/* Every corpus gives the same read one byte at a time (lines split at
 * every byte) as read whole. */
static void byte_by_byte(void **state)
{
	static const char *const names[] = {"mysql-5.7.log",
					    "mysql-8.0.log",
					    "mariadb-legacy.log",
					    "journal.txt",
					    "syslog.txt",
					    "malformed.log",
					    "mariadb-10.11-real.log",
					    "mariadb-10.11-dns-real.log"};
	struct srv_errlog_opts o = opts(), one = opts();
	struct srv_errlog_stats a, b;
	size_t i, k;

	(void)state;
	one.read_block = 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		read_corpus(names[i], &o, &a);
		read_corpus(names[i], &one, &b);
		for (k = 0; k < SRV_EL_NCLASS; k++)
			assert_int_equal(a.n[k], b.n[k]);
		assert_int_equal(a.lines, b.lines);
		assert_int_equal(a.bytes, b.bytes);
		assert_int_equal(a.nhosts, b.nhosts);
		srv_errlog_stats_free(&a);
		srv_errlog_stats_free(&b);
	}
}

/* ---- the reader's bounds ---- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cd-errlog-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char line_a[] =
	"2026-11-21 18:04:08 4 [Warning] Access denied for user 'u'@'h1' "
	"(using password: YES)\n";
static const char line_b[] =
	"2026-11-21 18:04:09 5 [Warning] Aborted connection 5 to db: 'x' "
	"user: 'u' host: 'h2' (Got timeout reading communication packets)\n";

static void long_lines(void **state)
{
	struct srv_errlog_opts o = opts();
	struct srv_errlog_stats st;
	char path[128], err[256];
	FILE *f;
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/long.log", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(line_a, f);
	for (i = 0; i < (1u << 20); i++) /* 1 MiB without a newline */
		fputc(i % 64 ? 'x' : ' ', f);
	fputc('\n', f);
	fputs(line_b, f);
	for (i = 0; i < 5000; i++) /* over the cap, no final newline */
		fputc('y', f);
	fclose(f);
	o.line_max = 4096;
	assert_int_equal(srv_errlog_stats_init(&st, 0), 0);
	assert_int_equal(srv_errlog_read(path, &o, &st, err, sizeof(err)), 0);
	assert_int_equal(st.lines, 4);
	assert_int_equal(st.lines_long, 2);
	assert_int_equal(st.n[SRV_EL_ACCESS_DENIED], 1);
	assert_int_equal(st.n[SRV_EL_ABORTED_READ_TIMEOUT], 1);
	srv_errlog_stats_free(&st);

	/* a line of exactly the cap is kept */
	o.line_max = strlen(line_b) - 1;
	assert_int_equal(srv_errlog_stats_init(&st, 0), 0);
	assert_int_equal(srv_errlog_read(path, &o, &st, err, sizeof(err)), 0);
	assert_int_equal(st.n[SRV_EL_ABORTED_READ_TIMEOUT], 1);
	srv_errlog_stats_free(&st);
	o.line_max = strlen(line_b) - 2;
	assert_int_equal(srv_errlog_stats_init(&st, 0), 0);
	assert_int_equal(srv_errlog_read(path, &o, &st, err, sizeof(err)), 0);
	assert_int_equal(st.n[SRV_EL_ABORTED_READ_TIMEOUT], 0);
	srv_errlog_stats_free(&st);
}

static void tails_and_errors(void **state)
{
	struct srv_errlog_opts o = opts();
	struct srv_errlog_stats st;
	char path[512], err[256];

	(void)state;
	/* the last 2 lines of mysql-8.0.log: "Binlog end", "Shutdown
	   complete" */
	o.tail_lines = 2;
	read_corpus("mysql-8.0.log", &o, &st);
	assert_int_equal(st.lines, 2);
	assert_int_equal(st.n[SRV_EL_SHUTDOWN_COMPLETE], 1);
	assert_int_equal(st.n[SRV_EL_OTHER], 1);
	srv_errlog_stats_free(&st);
	o.tail_lines = 1000;
	read_corpus("mysql-8.0.log", &o, &st);
	assert_int_equal(st.lines, 13);
	srv_errlog_stats_free(&st);
	/* the last bytes start inside a line: it is dropped */
	o = opts();
	o.tail_bytes = 200;
	read_corpus("mysql-8.0.log", &o, &st);
	assert_int_equal(st.lines, 1);
	assert_int_equal(st.n[SRV_EL_SHUTDOWN_COMPLETE], 1);
	srv_errlog_stats_free(&st);

	assert_int_equal(srv_errlog_stats_init(&st, 0), 0);
	assert_int_equal(srv_errlog_read("/nonexistent/x.log", &o, &st, err,
					 sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "No such file"));
	data_path(path, sizeof(path), "");
	assert_int_equal(srv_errlog_read(path, &o, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	srv_errlog_stats_free(&st);
}

/* A log over the bisection size read from a start time: only the lines
 * from then on are read (most of the file is skipped). */
static void since_bisects(void **state)
{
	struct srv_errlog_opts o = opts();
	struct srv_errlog_stats st;
	char path[128], err[256];
	const int64_t t0 = 1795284248;
	const unsigned total = 60000; /* about 7 MiB */
	unsigned i;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/big.log", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (i = 0; i < total; i++) {
		time_t t = (time_t)(t0 + i);
		struct tm tm;
		char stamp[32];

		gmtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(f,
			"%s %u [Warning] Aborted connection %u to db: 'shop' "
			"user: 'app' host: '10.0.%u.%u' (Got an error reading "
			"communication packets)\n",
			stamp, i, i, i % 7, i % 13);
	}
	fclose(f);
	o.since_s = t0 + total - 1000;
	assert_int_equal(srv_errlog_stats_init(&st, 0), 0);
	assert_int_equal(srv_errlog_read(path, &o, &st, err, sizeof(err)), 0);
	assert_int_equal(st.n[SRV_EL_ABORTED_READ_ERROR], 1000);
	assert_true(st.lines < total / 10); /* bisected, not scanned */
	assert_int_equal(st.first_s[SRV_EL_ABORTED_READ_ERROR], o.since_s);
	assert_int_equal(st.nhosts, 7 * 13);
	srv_errlog_stats_free(&st);

	/* zoneless stamps written 2 h east of UTC */
	o.tz_offset_s = 7200;
	assert_int_equal(srv_errlog_stats_init(&st, 0), 0);
	assert_int_equal(srv_errlog_read(path, &o, &st, err, sizeof(err)), 0);
	assert_int_equal(st.n[SRV_EL_ABORTED_READ_ERROR], 0);
	srv_errlog_stats_free(&st);
}

/* ---- the aggregate's bounds ---- */

static struct srv_errlog_event event(enum srv_errlog_class c, int64_t t,
				     const char *h, const char *user,
				     int preauth)
{
	struct srv_errlog_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.cls = c;
	ev.has_time = t != 0;
	ev.has_zone = 1;
	ev.time_s = t;
	snprintf(ev.host, sizeof(ev.host), "%s", h ? h : "");
	snprintf(ev.user, sizeof(ev.user), "%s", user ? user : "");
	ev.preauth = preauth;
	return ev;
}

static void add_n(struct srv_errlog_stats *st, enum srv_errlog_class c,
		  unsigned n, int64_t t, const char *h, const char *user,
		  int preauth)
{
	struct srv_errlog_event ev = event(c, t, h, user, preauth);
	unsigned i;

	for (i = 0; i < n; i++)
		srv_errlog_stats_add(st, &ev, t, "line", 4);
}

static void buckets_and_tables(void **state)
{
	struct srv_errlog_stats st;
	const int64_t t0 = 1795284248;
	uint64_t sum = 0;
	unsigned i, c;
	char name[32];

	(void)state;
	assert_int_equal(srv_errlog_stats_init(&st, 60), 0);
	for (i = 0; i < 24 * 60; i++) /* one a minute for a day */
		add_n(&st, SRV_EL_ABORTED_READ_ERROR, 1, t0 + 60 * i, "h", "u",
		      0);
	assert_true(st.nbuckets <= SRV_EL_NBUCKETS);
	assert_int_equal(st.bucket_s, 480); /* 60 doubled until a day fits */
	/* an event before the first bucket: the buckets shift */
	add_n(&st, SRV_EL_ACCESS_DENIED, 1, t0 - 3600, "h", "u", 0);
	assert_true(st.bucket0_s <= t0 - 3600);
	for (i = 0; i < st.nbuckets; i++)
		for (c = 0; c < SRV_EL_NCLASS; c++)
			sum += st.bucket[i][c];
	assert_int_equal(sum, 24 * 60 + 1);
	/* a year later still fits */
	add_n(&st, SRV_EL_ACCESS_DENIED, 1, t0 + 366 * 86400, "h", "u", 0);
	assert_true(st.nbuckets <= SRV_EL_NBUCKETS);
	assert_int_equal(st.first_s[SRV_EL_ACCESS_DENIED], t0 - 3600);
	assert_int_equal(st.last_s[SRV_EL_ACCESS_DENIED], t0 + 366 * 86400);
	srv_errlog_stats_free(&st);

	/* more distinct hosts than the table: the rest are counted apart */
	assert_int_equal(srv_errlog_stats_init(&st, 0), 0);
	for (i = 0; i < SRV_EL_NHOSTS + 88; i++) {
		snprintf(name, sizeof(name), "10.1.%u.%u", i / 256, i % 256);
		add_n(&st, SRV_EL_ABORTED_NO_AUTH, 1 + (i == 599), t0, name,
		      "unauthenticated", 1);
	}
	assert_int_equal(st.nhosts, SRV_EL_NHOSTS);
	assert_int_equal(st.hosts_untracked, 89);
	add_n(&st, SRV_EL_ABORTED_NO_AUTH, 5, t0, "10.1.0.7", "x", 1);
	srv_errlog_stats_sort(&st);
	assert_string_equal(st.hosts[0].name, "10.1.0.7");
	assert_int_equal(st.hosts[0].total, 6);
	/* lookups still work after sorting */
	add_n(&st, SRV_EL_ABORTED_NO_AUTH, 1, t0, "10.1.0.7", "x", 1);
	assert_int_equal(st.hosts[0].total, 7);
	assert_int_equal(st.nhosts, SRV_EL_NHOSTS);
	srv_errlog_stats_free(&st);
}

/* ---- journalctl, through a stand-in ---- */

/* What the stand-in does next (a file: journalctl runs with util/run.h's
 * fixed environment, so no variable of ours reaches it). */
static void set_mode(const char *path, const char *mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "%s\n", mode);
	assert_int_equal(fclose(f), 0);
}

static void journal(void **state)
{
	struct srv_errlog_opts o = opts();
	struct srv_errlog_stats st;
	char script[128], args[128], mode[128], corpus[512], err[256], buf[512];
	FILE *f;
	size_t n;

	(void)state;
	snprintf(script, sizeof(script), "%s/journalctl", tmpdir);
	snprintf(args, sizeof(args), "%s/args", tmpdir);
	snprintf(mode, sizeof(mode), "%s/mode", tmpdir);
	data_path(corpus, sizeof(corpus), "journal.txt");
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f,
		"#!/bin/sh\n"
		"printf '%%s\\n' \"$@\" > '%s'\n"
		"case \"$(cat '%s')\" in\n"
		"hang) exec sleep 30 ;;\n"
		"fail) echo 'No journal files were found.'; exit 1 ;;\n"
		"esac\n"
		"exec cat '%s'\n",
		args, mode, corpus);
	fclose(f);
	assert_int_equal(chmod(script, 0700), 0);
	o.journalctl = script;
	o.since_s = 1795284000;
	o.tail_lines = 5000;

	set_mode(mode, "ok");
	assert_int_equal(srv_errlog_stats_init(&st, 0), 0);
	if (srv_errlog_read_journal(&o, &st, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(st.journal_lines, 10);
	assert_int_equal(st.n[SRV_EL_ACCESS_DENIED], 1);
	srv_errlog_stats_free(&st);
	f = fopen(args, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, "-u\nmariadb\n-u\nmysql\n-u\nmysqld\n-o\n"
				 "short-iso\n--no-pager\n-q\n--since\n"
				 "@1795284000\n-n\n5000\n");

	set_mode(mode, "fail");
	assert_int_equal(srv_errlog_stats_init(&st, 0), 0);
	assert_int_equal(srv_errlog_read_journal(&o, &st, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "exited with status 1"));
	srv_errlog_stats_free(&st);

	/* a journalctl that never ends is killed at the bound */
	set_mode(mode, "hang");
	o.timeout_s = 0.3;
	assert_int_equal(srv_errlog_stats_init(&st, 0), 0);
	assert_int_equal(srv_errlog_read_journal(&o, &st, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "timed out"));
	assert_int_equal(st.partial, 1);
	srv_errlog_stats_free(&st);

	o.journalctl = "/nonexistent/journalctl";
	assert_int_equal(srv_errlog_stats_init(&st, 0), 0);
	assert_int_equal(srv_errlog_read_journal(&o, &st, err, sizeof(err)),
			 -1);
	srv_errlog_stats_free(&st);
}

/* ---- where the log is ---- */

static void touch(const char *root, const char *rel)
{
	char path[512], dir[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = strchr(dir + strlen(root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(dir, 0700);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

static void default_path(void **state)
{
	char root[128], path[512], want[512];

	(void)state;
	snprintf(root, sizeof(root), "%s/root", tmpdir);
	mkdir(root, 0700);
	assert_int_equal(
		srv_errlog_default_path(root, NULL, "db1", path, sizeof(path)),
		SRV_EL_SRC_NONE);
	touch(root, "/lib/systemd/system/mariadb.service");
	assert_int_equal(
		srv_errlog_default_path(root, NULL, "db1", path, sizeof(path)),
		SRV_EL_SRC_JOURNAL);
	touch(root, "/var/lib/mysql/db1.err");
	assert_int_equal(
		srv_errlog_default_path(root, NULL, "db1", path, sizeof(path)),
		SRV_EL_SRC_FILE);
	snprintf(want, sizeof(want), "%s/var/lib/mysql/db1.err", root);
	assert_string_equal(path, want);
	/* another datadir: not there */
	assert_int_equal(srv_errlog_default_path(root, "/srv/mysql", "db1",
						 path, sizeof(path)),
			 SRV_EL_SRC_JOURNAL);
	touch(root, "/var/log/mysql/error.log");
	assert_int_equal(
		srv_errlog_default_path(root, NULL, "db1", path, sizeof(path)),
		SRV_EL_SRC_FILE);
	snprintf(want, sizeof(want), "%s/var/log/mysql/error.log", root);
	assert_string_equal(path, want);
}

/* ---- the rules, on hand-made aggregates ---- */

struct run {
	struct srv_errlog_stats st;
	struct cd_findings out;
	struct chk_facts facts;
};

static void run_init(struct run *r)
{
	assert_int_equal(srv_errlog_stats_init(&r->st, 60), 0);
	cd_findings_init(&r->out);
	chk_facts_init(&r->facts);
}

static void run_rules(struct run *r)
{
	cd_findings_free(&r->out);
	cd_findings_init(&r->out);
	assert_int_equal(chk_errlog_rules(&r->st, &r->out), 0);
}

static void run_free(struct run *r)
{
	srv_errlog_stats_free(&r->st);
	cd_findings_free(&r->out);
	chk_facts_free(&r->facts);
}

static const int64_t T = 1795284248;

static void rules_quiet(void **state)
{
	struct run r;

	(void)state;
	run_init(&r);
	run_rules(&r);
	assert_int_equal(r.out.n, 0);
	add_n(&r.st, SRV_EL_SERVER_START, 1, T, NULL, NULL, 0);
	add_n(&r.st, SRV_EL_SERVER_READY, 1, T + 1, NULL, NULL, 0);
	add_n(&r.st, SRV_EL_OTHER, 50, T + 2, NULL, NULL, 0);
	add_n(&r.st, SRV_EL_COULD_NOT_READ, 50, T + 2, NULL, NULL, 0);
	run_rules(&r);
	assert_int_equal(r.out.n, 0); /* the log's first start is no restart */
	chk_errlog_facts(&r.st, "test", &r.facts);
	assert_string_equal(chk_fact_value(&r.facts.v[0], "path")->s, "test");
	run_free(&r);
}

static void rules_handshake_aborts(void **state)
{
	const struct cd_finding *f;
	struct run r;

	(void)state;
	run_init(&r);
	add_n(&r.st, SRV_EL_ABORTED_NO_AUTH, 9, T, "10.0.0.9",
	      "unauthenticated", 1);
	add_n(&r.st, SRV_EL_ABORTED_READ_ERROR, 3, T + 10, "10.0.0.9", "app",
	      0);
	run_rules(&r);
	assert_null(find(&r.out, "CD6020")); /* 9: below MANY */
	f = find(&r.out, "CD6021");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_INFO);
	assert_int_equal(ev_num(f, "count"), 3);

	add_n(&r.st, SRV_EL_ABORTED_READ_ERROR, 1, T + 20, "10.0.0.9",
	      "unauthenticated", 1);
	run_rules(&r);
	f = find(&r.out, "CD6020");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_int_equal(ev_num(f, "top_host_preauth"), 10);
	assert_int_equal(ev_num(f, "first_seen_epoch"), T);
	assert_int_equal(ev_num(f, "last_seen_epoch"), T + 20);
	assert_non_null(strstr(f->summary, "from 10.0.0.9"));
	/* the pre-login read error is not CD6021's */
	assert_int_equal(ev_num(find(&r.out, "CD6021"), "count"), 3);

	add_n(&r.st, SRV_EL_ABORTED_NO_AUTH, 90, T + 30, "10.0.0.9",
	      "unauthenticated", 1);
	run_rules(&r);
	assert_int_equal(find(&r.out, "CD6020")->severity, CD_SEV_CRITICAL);
	run_free(&r);

	/* loopback is never blocked: a warning at most */
	run_init(&r);
	add_n(&r.st, SRV_EL_ABORTED_NO_AUTH, 150, T, "localhost",
	      "unauthenticated", 1);
	run_rules(&r);
	assert_int_equal(find(&r.out, "CD6020")->severity, CD_SEV_WARNING);
	assert_non_null(
		strstr(find(&r.out, "CD6020")->evidence, "never blocked"));
	run_free(&r);
}

/* CD6060/CD6061: the timeout aborts by account, joined with the audit's
 * numbers, in place of CD6023/CD6024; none without the audit. */
static void rules_timeouts_joined(void **state)
{
	struct chk_learned_server l;
	const struct cd_finding *f;
	struct run r;

	(void)state;
	run_init(&r);
	chk_learned_server_init(&l);
	add_n(&r.st, SRV_EL_ABORTED_READ_TIMEOUT, 3, T, "10.0.0.2", "app", 0);
	add_n(&r.st, SRV_EL_ABORTED_READ_TIMEOUT, 1, T + 60, "10.0.0.3", "etl",
	      0);
	add_n(&r.st, SRV_EL_ABORTED_WRITE_ERROR, 2, T, "10.0.0.4", "dump", 0);
	add_n(&r.st, SRV_EL_ABORTED_WRITE_TIMEOUT, 1, T, "10.0.0.4", "dump", 0);
	/* no audit: the log-only findings */
	assert_int_equal(chk_errlog_rules_joined(&r.st, NULL, &r.out), 0);
	assert_non_null(find(&r.out, "CD6023"));
	assert_non_null(find(&r.out, "CD6024"));
	assert_null(find(&r.out, "CD6060"));
	assert_null(find(&r.out, "CD6061"));
	cd_findings_free(&r.out);
	cd_findings_init(&r.out);
	assert_int_equal(chk_errlog_rules_joined(&r.st, &l, &r.out), 0);
	assert_null(find(&r.out, "CD6060")); /* the timeouts were not read */
	assert_null(find(&r.out, "CD6061"));

	l.net_read_timeout = 30;
	l.net_write_timeout = 60;
	l.wait_timeout = 600;
	l.interactive_timeout = 28800;
	l.aborted_clients = 42;
	cd_findings_free(&r.out);
	cd_findings_init(&r.out);
	assert_int_equal(chk_errlog_rules_joined(&r.st, &l, &r.out), 0);
	assert_null(find(&r.out, "CD6023"));
	assert_null(find(&r.out, "CD6024"));
	f = find(&r.out, "CD6060");
	assert_int_equal(f->severity, CD_SEV_INFO);
	assert_int_equal(ev_num(f, "count"), 4);
	assert_int_equal(ev_num(f, "accounts"), 2);
	assert_int_equal(ev_num(f, "top_account_counts"), 3);
	assert_int_equal(ev_num(f, "net_read_timeout_s"), 30);
	assert_int_equal(ev_num(f, "wait_timeout_s"), 600);
	assert_int_equal(ev_num(f, "aborted_clients"), 42);
	assert_non_null(strstr(f->summary,
			       "aborted 4 session(s) on a read timeout "
			       "(net_read_timeout=30 s inside a statement, "
			       "wait_timeout=600 s idle): app@10.0.0.2 3 of "
			       "them, and others"));
	assert_non_null(strstr(f->evidence, "etl@10.0.0.3 1"));
	assert_non_null(strstr(f->evidence, "Aborted_clients=42 since"));
	f = find(&r.out, "CD6061");
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_int_equal(ev_num(f, "count"), 3);
	assert_int_equal(ev_num(f, "write_errors"), 2);
	assert_int_equal(ev_num(f, "write_timeouts"), 1);
	assert_int_equal(ev_num(f, "net_write_timeout_s"), 60);
	assert_non_null(strstr(f->summary, "(1 logged as a timeout, 2 as a "
					   "write error; net_write_timeout=60 "
					   "s): dump@10.0.0.4 3 of them"));

	/* a read timeout before login is connect_timeout's: CD6023 stays,
	   CD6060 counts only the sessions that had logged in */
	add_n(&r.st, SRV_EL_ABORTED_READ_TIMEOUT, 2, T, "10.0.0.5",
	      "unauthenticated", 1);
	cd_findings_free(&r.out);
	cd_findings_init(&r.out);
	assert_int_equal(chk_errlog_rules_joined(&r.st, &l, &r.out), 0);
	assert_int_equal(ev_num(find(&r.out, "CD6023"), "count"), 6);
	assert_int_equal(ev_num(find(&r.out, "CD6060"), "count"), 4);
	run_free(&r);
}

static void rules_classes(void **state)
{
	const struct cd_finding *f;
	struct run r;

	(void)state;
	run_init(&r);
	add_n(&r.st, SRV_EL_ABORTED_OUT_OF_ORDER, 1, T, "10.0.0.1", "app", 0);
	add_n(&r.st, SRV_EL_ABORTED_READ_TIMEOUT, 9, T, "10.0.0.2", "app", 0);
	add_n(&r.st, SRV_EL_ABORTED_WRITE_TIMEOUT, 1, T, "10.0.0.3", "app", 0);
	add_n(&r.st, SRV_EL_ACCESS_DENIED, 9, T, "10.0.0.4", "app", 0);
	add_n(&r.st, SRV_EL_TOO_MANY_CONNECTIONS, 1, T, NULL, NULL, 0);
	add_n(&r.st, SRV_EL_HOST_BLOCKED, 1, T, "10.0.0.5", NULL, 0);
	add_n(&r.st, SRV_EL_IP_NOT_RESOLVED, 1, T, "10.0.0.6", NULL, 0);
	add_n(&r.st, SRV_EL_HOSTNAME_MISMATCH, 1, T, "10.0.0.7", NULL, 0);
	add_n(&r.st, SRV_EL_ABORTED_TOO_LARGE, 1, T, "10.0.0.8", "app", 0);
	add_n(&r.st, SRV_EL_ABORTED_KILLED, 2, T, "10.0.0.9", "app", 0);
	add_n(&r.st, SRV_EL_CONNECTION_KILLED, 4, T, NULL, NULL, 0);
	run_rules(&r);
	assert_int_equal(find(&r.out, "CD6022")->severity, CD_SEV_WARNING);
	assert_int_equal(find(&r.out, "CD6023")->severity, CD_SEV_INFO);
	assert_int_equal(find(&r.out, "CD6024")->severity, CD_SEV_WARNING);
	assert_int_equal(find(&r.out, "CD6025")->severity, CD_SEV_INFO);
	assert_int_equal(find(&r.out, "CD6026")->severity, CD_SEV_CRITICAL);
	assert_int_equal(find(&r.out, "CD6027")->severity, CD_SEV_CRITICAL);
	assert_int_equal(find(&r.out, "CD6028")->severity, CD_SEV_WARNING);
	assert_non_null(strstr(find(&r.out, "CD6028")->evidence, "10.0.0.6"));
	assert_int_equal(find(&r.out, "CD6029")->severity, CD_SEV_WARNING);
	assert_int_equal(find(&r.out, "CD6031")->severity, CD_SEV_WARNING);
	/* MariaDB logs each kill twice: two kills, not six */
	f = find(&r.out, "CD6030");
	assert_int_equal(ev_num(f, "count"), 2);
	assert_null(find(&r.out, "CD6020"));
	assert_null(find(&r.out, "CD6021"));

	add_n(&r.st, SRV_EL_ABORTED_READ_TIMEOUT, 1, T + 60, "10.0.0.2", "app",
	      0);
	add_n(&r.st, SRV_EL_ACCESS_DENIED, 1, T + 120, "10.0.0.4", "root", 0);
	run_rules(&r);
	assert_int_equal(find(&r.out, "CD6023")->severity, CD_SEV_WARNING);
	f = find(&r.out, "CD6025");
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_int_equal(ev_num(f, "accounts"), 2);
	assert_int_equal(ev_num(f, "peak_per_bucket"), 9);
	assert_int_equal(ev_num(f, "last_seen_epoch"), T + 120);
	assert_non_null(strstr(f->evidence, "app@10.0.0.4 9, root@10.0.0.4 1"));
	run_free(&r);

	/* only the killed thread's line (MySQL): counted as is */
	run_init(&r);
	add_n(&r.st, SRV_EL_CONNECTION_KILLED, 3, T, NULL, NULL, 0);
	run_rules(&r);
	assert_int_equal(ev_num(find(&r.out, "CD6030"), "count"), 3);
	run_free(&r);
}

static void rules_restarts(void **state)
{
	const struct cd_finding *f;
	struct run r;

	(void)state;
	run_init(&r);
	add_n(&r.st, SRV_EL_SERVER_START, 1, T, NULL, NULL, 0);
	add_n(&r.st, SRV_EL_SHUTDOWN_NORMAL, 1, T + 100, NULL, NULL, 0);
	add_n(&r.st, SRV_EL_SERVER_START, 1, T + 110, NULL, NULL, 0);
	run_rules(&r);
	f = find(&r.out, "CD6032");
	assert_non_null(f);
	assert_int_equal(ev_num(f, "restarts"), 1);
	assert_null(find(&r.out, "CD6033"));
	/* a start without a normal shutdown before it */
	add_n(&r.st, SRV_EL_SERVER_START, 1, T + 500, NULL, NULL, 0);
	run_rules(&r);
	assert_int_equal(ev_num(find(&r.out, "CD6032"), "restarts"), 2);
	f = find(&r.out, "CD6033");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	assert_int_equal(ev_num(f, "count"), 1);
	assert_int_equal(ev_num(f, "starts_without_shutdown"), 1);
	run_free(&r);

	run_init(&r);
	add_n(&r.st, SRV_EL_CRASH, 1, T, NULL, NULL, 0);
	run_rules(&r);
	assert_non_null(strstr(find(&r.out, "CD6033")->summary, "1 time(s)"));
	run_free(&r);
}

static void facts_and_slice(void **state)
{
	struct chk_facts facts;
	struct cd_findings out;
	char path[512];
	size_t i;
	int saw_class = 0, saw_host = 0;

	(void)state;
	chk_facts_init(&facts);
	cd_findings_init(&out);
	data_path(path, sizeof(path), "mariadb-10.11-real.log");
	assert_int_equal(chk_errlog_run(path, 0, NULL, &facts, &out), 0);
	for (i = 0; i < facts.n; i++) {
		assert_string_equal(facts.v[i].section, "errlog");
		if (!strcmp(facts.v[i].key, "aborted_no_auth")) {
			saw_class = 1;
			assert_int_equal(
				chk_fact_value(&facts.v[i], "events_count")->u,
				12);
		}
		if (!strcmp(facts.v[i].key, "host #1")) {
			saw_host = 1;
			assert_string_equal(
				chk_fact_value(&facts.v[i], "host")->s,
				"localhost");
			assert_int_equal(
				chk_fact_value(&facts.v[i], "events_count")->u,
				21);
			/* its classes, most events first */
			assert_string_equal(
				chk_fact_value(&facts.v[i], "top_class")->s,
				"aborted_no_auth");
			assert_int_equal(
				chk_fact_value(&facts.v[i], "top_class_count")
					->u,
				12);
			assert_string_equal(
				chk_fact_value(&facts.v[i], "second_class")->s,
				"aborted_read_error");
			assert_int_equal(chk_fact_value(&facts.v[i],
							"other_classes_count")
						 ->u,
					 3);
		}
	}
	assert_true(saw_class && saw_host);
	assert_non_null(find(&out, "CD6020"));
	assert_non_null(find(&out, "CD6022"));
	assert_int_equal(ev_num(find(&out, "CD6026"), "count"), 3);
	assert_int_equal(cd_findings_worst(&out), CD_SEV_CRITICAL);
	chk_facts_free(&facts);
	cd_findings_free(&out);

	/* an unreadable log is a fact, not an error */
	chk_facts_init(&facts);
	cd_findings_init(&out);
	assert_int_equal(
		chk_errlog_run("/nonexistent/error.log", 0, NULL, &facts, &out),
		0);
	assert_int_equal(out.n, 0);
	assert_int_equal(facts.n, 1);
	assert_string_equal(facts.v[0].section, "unreadable");
	chk_facts_free(&facts);
	cd_findings_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_case),
		cmocka_unit_test(prefixes_and_crlf),
		cmocka_unit_test(sanitize),
		cmocka_unit_test(corpus_mysql57),
		cmocka_unit_test(corpus_mysql8),
		cmocka_unit_test(corpus_mysql8_json),
		cmocka_unit_test(corpus_legacy_journal_syslog),
		cmocka_unit_test(corpus_malformed),
		cmocka_unit_test(corpus_real_mariadb),
		cmocka_unit_test(byte_by_byte),
		cmocka_unit_test(long_lines),
		cmocka_unit_test(tails_and_errors),
		cmocka_unit_test(since_bisects),
		cmocka_unit_test(buckets_and_tables),
		cmocka_unit_test(journal),
		cmocka_unit_test(default_path),
		cmocka_unit_test(rules_quiet),
		cmocka_unit_test(rules_handshake_aborts),
		cmocka_unit_test(rules_classes),
		cmocka_unit_test(rules_timeouts_joined),
		cmocka_unit_test(rules_restarts),
		cmocka_unit_test(facts_and_slice),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
