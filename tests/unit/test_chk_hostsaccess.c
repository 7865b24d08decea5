/* test_chk_hostsaccess.c - hosts_access(5) tables: the parser on the
 * corpora in tests/data/hosts (malformed lines, EXCEPT, IPv6,
 * continuations, options) byte by byte and against a guard page, the
 * evaluator against libwrap's own verdicts (the wrapelf_wrap fixture),
 * the DNS analysis, the wrappers slice's rules on hand-made views, and
 * finding mysqld in a fake /proc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

#include "check/hostsaccess.h"
#include "check/resolver.h"
#include "check/slices.h"
#include "guard.h"

static char data_dir[PATH_MAX];

/* snprintf() that fails the test when the text does not fit. */
__attribute__((format(printf, 3, 4))) static void fmt(char *out, size_t len,
						      const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(out, len, f, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < len);
}

static const char *data(const char *name, char *buf, size_t len)
{
	fmt(buf, len, "%s/%s", data_dir, name);
	return buf;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* Loads tests/data/hosts/NAME (etcroot: the data directory). */
static void load(struct chk_wrap_table *t, const char *name)
{
	char p[PATH_MAX];

	chk_wrap_table_init(t);
	assert_int_equal(chk_wrap_load(t, data(name, p, sizeof(p)), data_dir),
			 0);
}

static const struct chk_wrap_note *note_at(const struct chk_wrap_table *t,
					   unsigned line,
					   enum chk_wrap_problem what)
{
	size_t i;

	for (i = 0; i < t->nnotes; i++)
		if (t->notes[i].line == line && t->notes[i].what == what)
			return &t->notes[i];
	return NULL;
}

static int rule_at(const struct chk_wrap_table *t, unsigned line)
{
	size_t i;

	for (i = 0; i < t->nrules; i++)
		if (t->rules[i].line == line)
			return (int)i;
	return -1;
}

/* ---- parsing ---- */

static void test_parse_basic(void **state)
{
	struct chk_wrap_table t;
	const struct chk_wrap_rule *r;

	(void)state;
	load(&t, "basic.allow");
	assert_true(t.found);
	assert_int_equal(t.lines, 6);
	assert_int_equal(t.nrules, 4);
	assert_int_equal(t.nnotes, 0);
	r = &t.rules[1];
	assert_int_equal(r->line, 4);
	assert_string_equal(chk_wrap_str(&t, r->text),
			    "mysqld: 10.1.0.0/255.255.0.0, 192.168.7.");
	assert_int_equal(r->ndaemons, 1);
	assert_int_equal(r->nclients, 2);
	assert_string_equal(chk_wrap_str(&t, t.toks[r->clients].text),
			    "10.1.0.0/255.255.0.0");
	assert_int_equal(t.toks[r->clients].kind, CHK_WK_NETMASK);
	assert_int_equal(t.toks[r->clients + 1].kind, CHK_WK_ADDR);
	r = &t.rules[2];
	assert_int_equal(t.toks[r->clients + 1].kind, CHK_WK_ADDR6);
	assert_int_equal(t.toks[r->clients + 1].need, CHK_WN_UNLESS_ADDR);
	r = &t.rules[3];
	assert_int_equal(r->line, 6);
	assert_int_equal(t.toks[r->clients].kind, CHK_WK_NAME);
	assert_int_equal(t.toks[r->clients].need, CHK_WN_ALWAYS);
	chk_wrap_table_free(&t);
}

static void test_parse_continuation(void **state)
{
	struct chk_wrap_table t;
	const struct chk_wrap_rule *r;
	int i;

	(void)state;
	load(&t, "continuation.allow");
	assert_int_equal(t.lines, 10);
	i = rule_at(&t, 2);
	assert_true(i >= 0);
	r = &t.rules[i];
	assert_int_equal(r->nlines, 3);
	assert_int_equal(r->nclients, 3);
	assert_string_equal(chk_wrap_str(&t, t.toks[r->clients + 2].text),
			    "10.1.2.5");
	/* backslash, CR, LF: no continuation; the CR and the backslash are
	 * a separator and a pattern */
	i = rule_at(&t, 6);
	assert_true(i >= 0);
	assert_int_equal(t.rules[i].nlines, 1);
	assert_int_equal(t.rules[i].nclients, 2);
	assert_string_equal(
		chk_wrap_str(&t, t.toks[t.rules[i].clients + 1].text), "\\");
	assert_non_null(note_at(&t, 7, CHK_WP_NO_COLON));
	/* the comment line joined to line 9 is patterns */
	i = rule_at(&t, 9);
	assert_true(i >= 0);
	assert_int_equal(t.rules[i].nlines, 2);
	assert_int_equal(t.rules[i].nclients, 7);
	assert_non_null(note_at(&t, 9, CHK_WP_HASH));
	chk_wrap_table_free(&t);
}

static void test_parse_malformed(void **state)
{
	struct chk_wrap_table t;
	const struct chk_wrap_note *n;
	int i;

	(void)state;
	load(&t, "malformed.allow");
	assert_non_null(note_at(&t, 2, CHK_WP_NO_COLON));
	/* "  # mysqld: ALL" is a rule with daemons "#" and "mysqld" */
	i = rule_at(&t, 3);
	assert_true(i >= 0);
	assert_int_equal(t.rules[i].ndaemons, 2);
	n = note_at(&t, 3, CHK_WP_HASH);
	assert_non_null(n);
	assert_non_null(note_at(&t, 4, CHK_WP_HASH));
	i = rule_at(&t, 4);
	assert_true(i >= 0);
	assert_int_equal(t.rules[i].nclients,
			 5); /* 10.2.0.3 # the app server */
	assert_non_null(note_at(&t, 5, CHK_WP_IPV6_BARE));
	assert_non_null(note_at(&t, 5, CHK_WP_BAD_OPTION));
	assert_non_null(note_at(&t, 6, CHK_WP_EMPTY_LIST));
	/* 10.2.0.0/8 (host bits), /0, leading zeros, [10.2.0.7] */
	i = rule_at(&t, 7);
	assert_true(i >= 0);
	{
		size_t k, bad = 0;

		for (k = 0; k < t.nnotes; k++)
			bad += t.notes[k].line == 7 &&
			       t.notes[k].what == CHK_WP_BAD_PATTERN;
		assert_int_equal(bad, 4);
	}
	/* "]mysqld:" - the ']' makes the bracket count negative: no ':' */
	assert_non_null(note_at(&t, 8, CHK_WP_NO_COLON));
	assert_true(rule_at(&t, 9) >= 0);
	assert_non_null(note_at(&t, 10, CHK_WP_TOO_LONG));
	assert_non_null(note_at(&t, 11, CHK_WP_NUL));
	assert_non_null(note_at(&t, 12, CHK_WP_NO_NEWLINE));
	assert_int_equal(rule_at(&t, 10), -1);
	assert_int_equal(rule_at(&t, 11), -1);
	assert_int_equal(rule_at(&t, 12), -1);
	assert_int_equal(t.lines, 11);
	chk_wrap_table_free(&t);
}

static void test_parse_options(void **state)
{
	struct chk_wrap_table t;
	static const struct {
		unsigned line;
		unsigned opt;
	} want[] = {
		{1, CHK_WO_ALLOW},	 {2, CHK_WO_BAD},
		{3, CHK_WO_BAD},	 {4, CHK_WO_BAD},
		{5, CHK_WO_SERVER_NAME}, {6, CHK_WO_BAD},
		{7, CHK_WO_BAD},	 {8, CHK_WO_DENY | CHK_WO_PROCESS},
		{9, CHK_WO_ALLOW},	 {10, CHK_WO_NAME | CHK_WO_ALLOW},
	};
	size_t k;

	(void)state;
	load(&t, "options.allow");
	assert_int_equal(t.nrules, 10);
	for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		int i = rule_at(&t, want[k].line);

		assert_true(i >= 0);
		assert_int_equal(t.rules[i].opt, want[k].opt);
	}
	assert_non_null(note_at(&t, 8, CHK_WP_OPTION_ACTS));
	assert_non_null(strstr(note_at(&t, 3, CHK_WP_BAD_OPTION)->detail,
			       "takes no value"));
	assert_non_null(strstr(note_at(&t, 4, CHK_WP_BAD_OPTION)->detail,
			       "must be the last"));
	chk_wrap_table_free(&t);
}

static void test_parse_patfile(void **state)
{
	struct chk_wrap_table t;
	const struct chk_wrap_tok *k;

	(void)state;
	load(&t, "patfile.allow");
	assert_int_equal(t.nfiles, 2);
	k = &t.toks[t.rules[0].clients];
	assert_int_equal(k->kind, CHK_WK_FILE);
	assert_int_equal(k->file, 0);
	assert_int_equal(t.files[0].err, 0);
	assert_int_equal(t.files[0].ntoks, 3);
	assert_int_equal(t.toks[t.files[0].toks + 2].kind, CHK_WK_NAME);
	assert_true(t.files[1].unread);
	assert_non_null(note_at(&t, 0, CHK_WP_FILE_UNREAD));
	chk_wrap_table_free(&t);
}

static void test_parse_absent(void **state)
{
	struct chk_wrap_table t;

	(void)state;
	load(&t, "no-such-file");
	assert_false(t.found);
	assert_int_equal(t.read_err, ENOENT);
	assert_int_equal(t.nrules, 0);
	chk_wrap_table_free(&t);
}

static const char *const corpora[] = {
	"basic.allow",	 "continuation.allow", "except.allow",	"except.deny",
	"ipv6.allow",	 "wild.allow",	       "paranoid.deny", "ident.allow",
	"options.allow", "malformed.allow",    "patfile.allow", "healthy.allow",
	"healthy.deny",	 "netgroup.allow",     "all.deny",
};

/* Every prefix of every corpus parses without reading past its end (the
 * guard page), and the whole file's rules are a superset of the rules of
 * a prefix cut at a line end. */
static void test_parse_prefixes_guard(void **state)
{
	struct guard g;
	size_t c;

	(void)state;
	guard_init(&g, 4096);
	for (c = 0; c < sizeof(corpora) / sizeof(corpora[0]); c++) {
		char p[PATH_MAX];
		size_t len, cut;
		char *text = slurp(data(corpora[c], p, sizeof(p)), &len);

		for (cut = 0; cut <= len; cut++) {
			struct chk_wrap_table t;
			const char *at = (const char *)guard_put(&g, text, cut);

			chk_wrap_table_init(&t);
			assert_int_equal(chk_wrap_parse(&t, at, cut), 0);
			assert_true(t.lines <= 13);
			chk_wrap_table_free(&t);
		}
		free(text);
	}
	guard_free(&g);
}

/* Byte by byte: no line is ever parsed before its newline is seen, so a
 * table fed up to each newline has exactly the rules that end there. */
static void test_parse_per_line(void **state)
{
	char p[PATH_MAX];
	size_t len, i, last = 0;
	char *text = slurp(data("basic.allow", p, sizeof(p)), &len);

	(void)state;
	for (i = 0; i < len; i++) {
		struct chk_wrap_table t;

		chk_wrap_table_init(&t);
		assert_int_equal(chk_wrap_parse(&t, text, i + 1), 0);
		assert_true(t.nrules >= last);
		last = t.nrules;
		chk_wrap_table_free(&t);
	}
	assert_int_equal(last, 4);
	free(text);
}

/* ---- evaluation ---- */

struct ev_case {
	const char *allow, *deny; /* table text */
	const char *daemon, *addr, *name;
	int allow_v, name_looked, ident;
};

/* Verdicts measured with Debian's libwrap 7.6.q-32 (see wrapelf.c). */
static const struct ev_case ev_cases[] = {
	{"mysqld: 10.1.2.0/24\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 1, 0,
	 0},
	{"mysqld: 10.1.2.3/24\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 0, 0,
	 0},
	{"mysqld: 0.0.0.0/0\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 0, 0,
	 0},
	{"mysqld: 10.1.2.0/24x\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 1,
	 0, 0},
	{"mysqld: 10.1.2.0/24\n", "ALL:ALL\n", "mysqld", "::ffff:10.1.2.3",
	 NULL, 1, 0, 0},
	{"mysqld: 10.1.3.*\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 0, 1,
	 0},
	{"mysqld: 10.1.2.*\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 1, 0,
	 0},
	{"mysqld: 10.1.3.\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 0, 0, 0},
	{"mysqld: [::1]\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 0, 1, 0},
	{"mysqld: [2001:DB8::5]\n", "ALL:ALL\n", "mysqld", "2001:db8:0::5",
	 NULL, 1, 0, 0},
	{"mysqld: [2001:db8::]/32\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL,
	 0, 0, 0},
	{"mysqld: [2001:db9::]/x\n", "ALL:ALL\n", "mysqld", "2001:db8::5", NULL,
	 1, 0, 0},
	{"mysqld: ALL EXCEPT foo.example\n", "", "mysqld", "10.1.2.3", NULL, 1,
	 1, 0},
	{"mysqld: ALL EXCEPT\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 1, 0,
	 0},
	{"mysqld: EXCEPT 10.1.2.3\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL,
	 0, 0, 0},
	{"mysqld: 10.1.2.3 EXCEPT EXCEPT\n", "ALL:ALL\n", "mysqld", "10.1.2.3",
	 NULL, 1, 0, 0},
	{"mysqld: ALL EXCEPT 10.1.2.0/24 EXCEPT foo.example\n", "ALL:ALL\n",
	 "mysqld", "10.1.2.3", NULL, 0, 1, 0},
	{"mysqld: ALL EXCEPT 10.1.2.0/24 EXCEPT foo.example\n", "ALL:ALL\n",
	 "mysqld", "10.1.9.3", NULL, 1, 0, 0},
	{"mysqld: .example.com\n", "ALL:ALL\n", "mysqld", "10.1.2.3",
	 "example.com", 0, 1, 0},
	{"mysqld: .EXAMPLE.com\n", "ALL:ALL\n", "mysqld", "10.1.2.3",
	 "db.example.com", 1, 1, 0},
	{"mysqld: .3\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 1, 0, 0},
	{"mysqld: db*\n", "ALL:ALL\n", "mysqld", "10.1.2.3", "DB.example.com",
	 1, 1, 0},
	{"mysqld: PARANOID\n", "ALL:ALL\n", "mysqld", "10.1.2.3", "paranoid", 1,
	 1, 0},
	{"mysqld: UNKNOWN\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 1, 1, 0},
	{"mysqld: KNOWN\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 0, 1, 0},
	{"mysqld: LOCAL\n", "ALL:ALL\n", "mysqld", "127.0.0.1", "localhost", 1,
	 1, 0},
	{"mysqld: joe@10.1.2.3\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 0,
	 0, 1},
	{"mysqld: ALL@10.1.2.3\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 1,
	 0, 1},
	{"mysqld: 10.1.2.3 : badoption\n", "", "mysqld", "10.1.2.3", NULL, 0, 0,
	 0},
	{"mysqld: 10.1.2.3 : deny\n", "", "mysqld", "10.1.2.3", NULL, 0, 0, 0},
	{"mysqld: 10.1.2.3", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 0, 0, 0},
	{"MYSQLD: 10.1.2.3\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 1, 0,
	 0},
	{"mysql?: 10.1.2.3\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 1, 0,
	 0},
	{".sqld: 10.1.2.3\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 0, 0, 0},
	{"KNOWN: 10.1.2.3\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 1, 0, 0},
	{"ALL EXCEPT mysqld: ALL\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 0,
	 0, 0},
	{"   # mysqld: ALL\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 1, 0,
	 0},
	{"mysqld: 10.0.0.9 # foo\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 0,
	 1, 0},
	{"mysqld: ::ffff:10.1.2.3\n", "ALL:ALL\n", "mysqld", "::ffff:10.1.2.3",
	 NULL, 0, 0, 0},
	{"mysqld: 10.1.2.3 : setenv X %n\n", "ALL:ALL\n", "mysqld", "10.1.2.3",
	 NULL, 1, 1, 0},
	{"mysqld: 10.1.2.3 : rfc931\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL,
	 1, 0, 1},
	{"mysqld: 10.1.2.3 : ALLOW\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL,
	 1, 0, 0},
	{"mysqld: 10.1.2.3 :\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 0, 0,
	 0},
	{"mysqld: 10.1.2.3 \\\n , 10.1.2.4\n", "", "mysqld", "10.1.2.4", NULL,
	 1, 0, 0},
	{"mysqld: 010.001.002.003\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL,
	 0, 0, 0},
	{"mysqld: 10.1.2.3/255.255.255.255\n", "ALL:ALL\n", "mysqld",
	 "10.1.2.3", NULL, 0, 0, 0},
	{"mysqld: 10.0.0.0/255.0.0.255\n", "ALL:ALL\n", "mysqld", "10.1.2.0",
	 NULL, 1, 0, 0},
	{"mysqld: 10.01.2.3/32\n", "ALL:ALL\n", "mysqld", "10.1.2.3", NULL, 1,
	 0, 0},
};

static void parse_text(struct chk_wrap_table *t, const char *text)
{
	chk_wrap_table_init(t);
	assert_int_equal(chk_wrap_parse(t, text, strlen(text)), 0);
}

static void test_eval_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ev_cases) / sizeof(ev_cases[0]); i++) {
		const struct ev_case *c = &ev_cases[i];
		struct chk_wrap_table a, d;
		struct chk_wrap_query q;
		struct chk_wrap_result r;

		parse_text(&a, c->allow);
		parse_text(&d, c->deny);
		memset(&q, 0, sizeof(q));
		q.daemon = c->daemon;
		q.client_addr = c->addr;
		q.client_name = c->name;
		chk_wrap_eval(&a, &d, &q, &r);
		if (r.allow != c->allow_v || r.client_name != c->name_looked ||
		    r.ident != c->ident)
			fail_msg("case %zu (%s| %s| %s %s): got allow=%d "
				 "name=%d ident=%d",
				 i, c->allow, c->deny, c->daemon, c->addr,
				 r.allow, r.client_name, r.ident);
		chk_wrap_table_free(&a);
		chk_wrap_table_free(&d);
	}
}

/* ---- the libwrap oracle ---- */

static const char *const q_addrs[] = {
	"10.1.2.3",    "10.1.9.9",    "192.168.7.20",	 "127.0.0.1",
	"::1",	       "2001:db8::5", "::ffff:10.1.2.3", "10.3.5.7",
	"10.4.2.1",    "10.0.0.1",    "10.2.0.3",	 "10.2.0.9",
	"10.5.1.1",    "10.6.0.1",    "10.6.0.2",	 "10.8.0.1",
	"10.8.0.2",    "10.8.0.4",    "10.8.0.5",	 "10.8.0.9",
	"10.12.0.1",   "172.16.1.1",  "8.8.8.8",	 "10.7.7.7",
	"10.7.7.8",    "10.1.2.4",    "192.168.1.9",	 "fe80::1",
	"10.11.0.1",   "10.8.0.10",   "10.8.0.3",	 "10.8.0.6",
	"10.8.0.7",    "10.8.0.8",    "10.2.1.1",	 "10.2.0.8",
	"192.168.0.1", "10.6.0.9",    "2001:db9::1",
};
static const char *const q_names[] = {
	"-",
	"db-client.example.com",
	"x.trusted.example.com",
	"monitor.example.com",
	"host.example.org",
	"a.example.net",
	"localhost",
	"paranoid",
};
static const char *const q_daemons[] = {"mysqld", "mariadbd", "sshd"};
/* The server side of a query: address and name, chosen per query. */
static const char *const q_saddrs[] = {"-", "10.0.0.1", "::1", "10.0.0.2"};

static const char *q_saddr(size_t i, size_t j)
{
	return q_saddrs[(i + j) % 4];
}

static const char *q_sname(size_t i, size_t j)
{
	return (i + j) % 3 ? "db.example.com" : "-";
}

static const char *dash_null(const char *s)
{
	return strcmp(s, "-") ? s : NULL;
}

/* Pairs for the oracle: none uses spawn, twist, user or group, or a
 * pattern file (libwrap would read the real /etc). */
static const char *const oracle_pairs[][2] = {
	{"basic.allow", "all.deny"},	 {"continuation.allow", "all.deny"},
	{"except.allow", "except.deny"}, {"ipv6.allow", "all.deny"},
	{"wild.allow", "all.deny"},	 {"empty.deny", "paranoid.deny"},
	{"ident.allow", "all.deny"},	 {"options.allow", "all.deny"},
	{"malformed.allow", "all.deny"}, {"healthy.allow", "healthy.deny"},
	{"netgroup.allow", "all.deny"},	 {"server.allow", "all.deny"},
};

static void test_eval_vs_libwrap(void **state)
{
	char oracle[PATH_MAX];
	size_t p, compared = 0;

	(void)state;
	if (fixture_exe("CD_WRAPELF_WRAP", "wrapelf", "wrapelf_wrap", oracle,
			sizeof(oracle))) {
		skip();
		return;
	}
	for (p = 0; p < sizeof(oracle_pairs) / sizeof(oracle_pairs[0]); p++) {
		char ap[PATH_MAX], dp[PATH_MAX], qpath[] = "/tmp/cdwrapqXXXXXX";
		char cmd[3 * PATH_MAX], line[256];
		struct chk_wrap_table a, d;
		size_t i, j, k;
		FILE *qf, *out;
		int fd;

		load(&a, oracle_pairs[p][0]);
		load(&d, oracle_pairs[p][1]);
		data(oracle_pairs[p][0], ap, sizeof(ap));
		data(oracle_pairs[p][1], dp, sizeof(dp));
		fd = mkstemp(qpath);
		assert_true(fd >= 0);
		qf = fdopen(fd, "w");
		assert_non_null(qf);
		for (k = 0; k < sizeof(q_daemons) / sizeof(q_daemons[0]); k++)
			for (i = 0; i < sizeof(q_addrs) / sizeof(q_addrs[0]);
			     i++)
				for (j = 0;
				     j < sizeof(q_names) / sizeof(q_names[0]);
				     j++)
					fprintf(qf, "%s %s %s %s %s\n",
						q_daemons[k], q_addrs[i],
						q_names[j], q_saddr(i, j),
						q_sname(i, j));
		fclose(qf);
		fmt(cmd, sizeof(cmd),
		    "ASAN_OPTIONS=detect_leaks=0 '%s' '%s' '%s' < '%s'", oracle,
		    ap, dp, qpath);
		out = popen(cmd, "r");
		assert_non_null(out);
		for (k = 0; k < sizeof(q_daemons) / sizeof(q_daemons[0]); k++)
			for (i = 0; i < sizeof(q_addrs) / sizeof(q_addrs[0]);
			     i++)
				for (j = 0;
				     j < sizeof(q_names) / sizeof(q_names[0]);
				     j++) {
					struct chk_wrap_query q;
					struct chk_wrap_result r;
					char verdict[16];
					int cn, sn, id;

					assert_non_null(
						fgets(line, sizeof(line), out));
					assert_int_equal(
						sscanf(line,
						       "%15s client_name=%d "
						       "server_name=%d "
						       "ident=%d",
						       verdict, &cn, &sn, &id),
						4);
					memset(&q, 0, sizeof(q));
					q.daemon = q_daemons[k];
					q.client_addr = q_addrs[i];
					q.client_name = dash_null(q_names[j]);
					q.server_addr =
						dash_null(q_saddr(i, j));
					q.server_name =
						dash_null(q_sname(i, j));
					chk_wrap_eval(&a, &d, &q, &r);
					if (r.allow !=
						    !strcmp(verdict, "allow") ||
					    r.client_name != (cn > 0) ||
					    r.server_name != (sn > 0) ||
					    r.ident != id)
						fail_msg("%s/%s: %s %s %s: "
							 "libwrap says %s"
							 "conndoctor allow=%d "
							 "name=%d server=%d "
							 "ident=%d",
							 oracle_pairs[p][0],
							 oracle_pairs[p][1],
							 q_daemons[k],
							 q_addrs[i], q_names[j],
							 line, r.allow,
							 r.client_name,
							 r.server_name,
							 r.ident);
					compared++;
				}
		assert_int_equal(pclose(out), 0);
		unlink(qpath);
		chk_wrap_table_free(&a);
		chk_wrap_table_free(&d);
	}
	assert_true(compared > 5000);
}

/* The oracle-checked evaluator also agrees with the analysis: a rule the
 * analysis calls DNS-free never makes any sampled client look up a name,
 * and the analysis' first DNS rule is where the evaluator first needs
 * one for an address no earlier rule takes. */
static void test_analysis_agrees_with_eval(void **state)
{
	static const char *const daemons[] = {"mysqld"};
	size_t p;

	(void)state;
	for (p = 0; p < sizeof(oracle_pairs) / sizeof(oracle_pairs[0]); p++) {
		struct chk_wrap_table a, d;
		struct chk_wrap_analysis an;
		size_t i;
		int any = 0;

		load(&a, oracle_pairs[p][0]);
		load(&d, oracle_pairs[p][1]);
		chk_wrap_analyze(&a, &d, daemons, 1, &an);
		for (i = 0; i < sizeof(q_addrs) / sizeof(q_addrs[0]); i++) {
			struct chk_wrap_query q;
			struct chk_wrap_result r;

			memset(&q, 0, sizeof(q));
			q.daemon = "mysqld";
			q.client_addr = q_addrs[i];
			chk_wrap_eval(&a, &d, &q, &r);
			any |= r.client_name || r.server_name;
		}
		if (any && an.first_dns < 0)
			fail_msg("%s/%s: a client needs a name, the analysis "
				 "says none does",
				 oracle_pairs[p][0], oracle_pairs[p][1]);
		chk_wrap_table_free(&a);
		chk_wrap_table_free(&d);
	}
}

/* ---- the DNS analysis ---- */

static void analyze_files(const char *allow, const char *deny,
			  struct chk_wrap_analysis *an,
			  struct chk_wrap_table *a, struct chk_wrap_table *d)
{
	static const char *const daemons[] = {"mysqld", "mariadbd"};

	load(a, allow);
	load(d, deny);
	chk_wrap_analyze(a, d, daemons, 2, an);
}

static void test_analysis_basic(void **state)
{
	struct chk_wrap_table a, d;
	struct chk_wrap_analysis an;
	const struct chk_wrap_step *s;

	(void)state;
	analyze_files("basic.allow", "all.deny", &an, &a, &d);
	/* sshd's rule does not apply; mysqld: 3 rules, ALL:ALL in deny */
	assert_int_equal(an.nsteps, 4);
	assert_int_equal(an.rules_named, 3);
	assert_int_equal(an.rules_all, 1);
	assert_true(an.first_dns >= 0);
	s = &an.steps[an.first_dns];
	/* [::1] on line 5 needs the name for every client but ::1 */
	assert_int_equal(a.rules[s->rule].line, 5);
	assert_int_equal(s->name, CHK_WS_SOME);
	assert_int_equal(s->reach, CHK_WS_SOME);
	assert_int_equal(s->daemon, CHK_WS_SOME); /* 'mysqld' only */
	assert_string_equal(chk_wrap_str(&a, a.toks[s->name_tok].host),
			    "[::1]");
	s = &an.steps[an.first_dns + 1];
	assert_int_equal(a.rules[s->rule].line, 6);
	assert_int_equal(s->name, CHK_WS_EVERY);
	assert_int_equal(an.first_paranoid, -1);
	assert_int_equal(an.first_ident, -1);
	chk_wrap_table_free(&a);
	chk_wrap_table_free(&d);
}

static void test_analysis_except(void **state)
{
	struct chk_wrap_table a, d;
	struct chk_wrap_analysis an;
	const struct chk_wrap_step *s;

	(void)state;
	analyze_files("except.allow", "except.deny", &an, &a, &d);
	assert_true(an.first_dns >= 0);
	s = &an.steps[an.first_dns];
	/* the monitoring name only for the 10/8 clients */
	assert_int_equal(s->table, 0);
	assert_int_equal(a.rules[s->rule].line, 3);
	assert_int_equal(s->name, CHK_WS_SOME);
	assert_string_equal(chk_wrap_str(&a, a.toks[s->name_tok].host),
			    "monitor.example.com");
	/* "ALL EXCEPT mysqld mariadbd" does not apply; the deny rule's
	 * ".trusted.example.com" exception needs every name. */
	assert_int_equal(an.nsteps, 2);
	s = &an.steps[1];
	assert_int_equal(s->table, 1);
	assert_int_equal(s->name, CHK_WS_EVERY);
	assert_int_equal(s->daemon, CHK_WS_EVERY);
	chk_wrap_table_free(&a);
	chk_wrap_table_free(&d);
}

static void test_analysis_healthy(void **state)
{
	struct chk_wrap_table a, d;
	struct chk_wrap_analysis an;

	(void)state;
	analyze_files("healthy.allow", "healthy.deny", &an, &a, &d);
	assert_int_equal(an.first_dns, -1);
	assert_int_equal(an.nsteps, 3);
	assert_int_equal(an.steps[2].matched, CHK_WS_EVERY);
	chk_wrap_table_free(&a);
	chk_wrap_table_free(&d);
}

static void test_analysis_paranoid_ident(void **state)
{
	struct chk_wrap_table a, d;
	struct chk_wrap_analysis an;

	(void)state;
	analyze_files("empty.deny", "paranoid.deny", &an, &a, &d);
	assert_int_equal(an.first_paranoid, 0);
	assert_int_equal(an.first_dns, 0);
	assert_int_equal(an.steps[0].name, CHK_WS_EVERY);
	assert_int_equal(an.steps[0].reach, CHK_WS_EVERY);
	assert_int_equal(an.rules_all, 1);
	assert_int_equal(an.rules_named, 0);
	chk_wrap_table_free(&a);
	chk_wrap_table_free(&d);

	analyze_files("ident.allow", "all.deny", &an, &a, &d);
	assert_int_equal(an.first_ident, 1);
	assert_int_equal(an.first_dns, -1);
	chk_wrap_table_free(&a);
	chk_wrap_table_free(&d);
}

static void test_analysis_catch_all(void **state)
{
	static const char *const daemons[] = {"mysqld"};
	struct chk_wrap_table a, d;
	struct chk_wrap_analysis an;

	(void)state;
	parse_text(&a, "ALL: ALL\nmysqld: db.example.com\n");
	parse_text(&d, "mysqld: PARANOID\n");
	chk_wrap_analyze(&a, &d, daemons, 1, &an);
	assert_int_equal(an.nsteps, 1);
	assert_int_equal(an.unreachable, 2);
	assert_int_equal(an.first_dns, -1);
	chk_wrap_table_free(&a);
	chk_wrap_table_free(&d);

	/* the pattern file's host name makes the rule need names */
	analyze_files("patfile.allow", "empty.deny", &an, &a, &d);
	assert_int_equal(an.first_dns, 0);
	assert_int_equal(an.steps[0].name, CHK_WS_SOME);
	chk_wrap_table_free(&a);
	chk_wrap_table_free(&d);
}

/* ---- the slice's rules on hand-made views ---- */

static struct chk_wrap_table va, vd;
static struct chk_wrappers_view view;
static struct cd_findings out;

static void make_view(const char *allow, const char *deny, int libwrap)
{
	parse_text(&va, allow);
	parse_text(&vd, deny);
	memset(&view, 0, sizeof(view));
	view.mysqld.src = CHK_MYSQLD_RUNNING;
	view.mysqld.pid = 4242;
	strcpy(view.mysqld.path, "/usr/sbin/mariadbd");
	view.libwrap = (enum chk_libwrap)libwrap;
	strcpy(view.libwrap_name, "libwrap.so.0");
	strcpy(view.libwrap_path, "/lib/x86_64-linux-gnu/libwrap.so.0");
	strcpy(view.libwrap_chain, "mariadbd -> libwrap.so.0");
	view.libwrap_depth = 1;
	view.nlibs = 14;
	view.tables[0] = &va;
	view.tables[1] = &vd;
	view.daemons[0] = "mariadbd";
	view.ndaemons = 1;
	view.resolv_timeout_s = 5;
	view.resolv_attempts = 2;
	view.resolv_nameservers = 1;
	chk_wrap_analyze(&va, &vd, view.daemons, 1, &view.an);
	cd_findings_init(&out);
	assert_int_equal(chk_wrappers_rules(&view, &out), 0);
}

static void drop_view(void)
{
	cd_findings_free(&out);
	chk_wrap_table_free(&va);
	chk_wrap_table_free(&vd);
}

static const struct cd_finding *find(const char *code)
{
	size_t i;

	for (i = 0; i < out.n; i++)
		if (!strcmp(out.v[i].def->code, code))
			return &out.v[i];
	return NULL;
}

static double ev(const struct cd_finding *f, const char *key)
{
	unsigned i;

	for (i = 0; i < f->nev; i++)
		if (!strcmp(f->ev[i].key, key))
			return f->ev[i].v[0];
	fail_msg("no evidence %s in %s", key, f->def->code);
	return -1;
}

static void test_rules_dns(void **state)
{
	const struct cd_finding *f;

	(void)state;
	make_view("mariadbd: 10.0.0.0/255.0.0.0\nmariadbd: app.example.com\n",
		  "ALL: ALL\n", CHK_LIBWRAP_YES);
	f = find("CD5001");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	f = find("CD5002");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_true(ev(f, "line") == 2);
	assert_true(ev(f, "table") == 0);
	assert_true(ev(f, "every") == 0); /* 10/8 is decided first */
	assert_true(ev(f, "lookup_dead_s") == 10);
	assert_non_null(strstr(f->evidence, "'mariadbd: app.example.com'"));
	assert_non_null(strstr(f->evidence, "pattern 'app.example.com'"));
	assert_non_null(strstr(f->evidence, "clients matching hosts.allow:1"));
	assert_non_null(strstr(f->summary, "hosts.allow:2"));
	assert_null(find("CD5005"));
	drop_view();
}

static void test_rules_dns_every_and_cost(void **state)
{
	const struct cd_finding *f;

	(void)state;
	make_view("", "ALL: ALL EXCEPT .corp.example.com\n", CHK_LIBWRAP_YES);
	view.resolv_nameservers = 3;
	cd_findings_free(&out);
	cd_findings_init(&out);
	assert_int_equal(chk_wrappers_rules(&view, &out), 0);
	f = find("CD5002");
	assert_non_null(f);
	assert_true(ev(f, "every") == 1);
	assert_true(ev(f, "table") == 1);
	/* glibc: 5 + (10 / 3) + (20 / 3) = 14 s per attempt, 2 attempts */
	assert_true(ev(f, "lookup_dead_s") == 28);
	assert_non_null(strstr(f->summary, "every connection to mysqld"));
	drop_view();
	assert_true(chk_resolv_dead_lookup_s(5, 2, 1) == 10);
	assert_true(chk_resolv_dead_lookup_s(5, 2, 2) == 20);
	assert_true(chk_resolv_dead_lookup_s(1, 1, 1) == 1);
	assert_true(chk_resolv_dead_lookup_s(1, 1, 3) == 3);
	assert_true(chk_resolv_dead_lookup_s(0, 0, 0) == 10); /* defaults */
}

static void test_rules_libwrap_alone_info(void **state)
{
	const struct cd_finding *f;

	(void)state;
	make_view("mariadbd: 10.0.0.0/255.0.0.0\n", "mariadbd: ALL\n",
		  CHK_LIBWRAP_YES);
	assert_int_equal(out.n, 1);
	f = find("CD5001");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_INFO);
	assert_true(ev(f, "rules_named") == 2);
	assert_true(ev(f, "libwrap_depth") == 1);
	drop_view();
}

static void test_rules_not_linked(void **state)
{
	const struct cd_finding *f;

	(void)state;
	make_view("mariadbd: app.example.com\n", "ALL: ALL\n", CHK_LIBWRAP_NO);
	assert_int_equal(out.n, 1);
	f = find("CD5005");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_INFO);
	assert_true(ev(f, "rules_named") == 1);
	assert_true(ev(f, "rules_all") == 1);
	assert_true(ev(f, "dns_rules") == 1);
	drop_view();

	/* no rules for mysqld at all: nothing to say */
	make_view("sshd: ALL\n", "", CHK_LIBWRAP_NO);
	assert_int_equal(out.n, 0);
	drop_view();
}

static void test_rules_unknown(void **state)
{
	const struct cd_finding *f;

	(void)state;
	make_view("mariadbd: app.example.com\n", "", CHK_LIBWRAP_UNKNOWN);
	strcpy(view.why_unknown, "mysqld pid 4242: its binary is not readable");
	cd_findings_free(&out);
	cd_findings_init(&out);
	assert_int_equal(chk_wrappers_rules(&view, &out), 0);
	f = find("CD5008");
	assert_non_null(f);
	assert_non_null(strstr(f->evidence, "not readable"));
	f = find("CD5002");
	assert_non_null(f);
	assert_int_equal(f->severity, CD_SEV_INFO);
	assert_null(find("CD5001"));
	drop_view();
}

static void test_rules_paranoid_ident_options(void **state)
{
	const struct cd_finding *f;

	(void)state;
	make_view("mariadbd: backup@10.6.0.1\n"
		  "mariadbd: 10.6.0.2 : twist /bin/echo no\n",
		  "ALL: PARANOID\n", CHK_LIBWRAP_YES);
	f = find("CD5003");
	assert_non_null(f);
	assert_true(ev(f, "table") == 1);
	assert_non_null(strstr(f->summary, "refused"));
	f = find("CD5006");
	assert_non_null(f);
	assert_true(ev(f, "line") == 1);
	f = find("CD5007");
	assert_non_null(f);
	assert_true(ev(f, "line") == 2);
	assert_int_equal(f->severity, CD_SEV_WARNING);
	drop_view();
}

static void test_rules_malformed(void **state)
{
	char text[4096] = "";
	const struct cd_finding *f;
	size_t i, n4 = 0;
	int k;

	(void)state;
	for (k = 0; k < 12; k++)
		strcat(text, "mariadbd 10.0.0.1\n");
	strcat(text, "sshd: 10.0.0.1 : bogus\n");
	make_view(text, "mariadbd: ALL", CHK_LIBWRAP_YES);
	for (i = 0; i < out.n; i++)
		n4 += !strcmp(out.v[i].def->code, "CD5004");
	/* eight from hosts.allow, then a count; one from hosts.deny */
	assert_int_equal(n4, 9);
	f = find("CD5004");
	assert_int_equal(f->severity, CD_SEV_WARNING);
	assert_true(ev(f, "line") == 1);
	assert_non_null(strstr(f->summary, "hosts.allow:1"));
	for (i = 0; i < out.n; i++)
		if (!strcmp(out.v[i].def->code, "CD5004") &&
		    strstr(out.v[i].evidence, "more problem(s)"))
			break;
	assert_true(i < out.n);
	assert_non_null(strstr(out.v[i].evidence, "5 more problem(s)"));
	drop_view();
}

/* ---- finding mysqld ---- */

static char tmpdir[PATH_MAX];

static void put_file(const char *rel, const char *text, size_t len)
{
	char p[PATH_MAX], *slash;
	FILE *f;

	fmt(p, sizeof(p), "%s/%s", tmpdir, rel);
	for (slash = strchr(p + strlen(tmpdir) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(p, 0755);
		*slash = '/';
	}
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void test_find_mysqld(void **state)
{
	char proc[PATH_MAX + 8], link[PATH_MAX + 32];
	struct chk_mysqld m;
	static const char cmdline[] = "/usr/sbin/mariadbd\0--user=mysql";
	static const char maps[] =
		"7f00-7f01 r-xp 00000000 08:01 12 /usr/lib/x86_64-linux-gnu/"
		"libc.so.6\n7f02-7f03 r-xp 00000000 08:01 13 /usr/lib/"
		"x86_64-linux-gnu/libwrap.so.0.7.6\n";

	(void)state;
	fmt(tmpdir, sizeof(tmpdir), "/tmp/cdfindXXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	put_file("proc/77/comm", "bash\n", 5);
	put_file("proc/123/comm", "mariadbd\n", 9);
	put_file("proc/123/cmdline", cmdline, sizeof(cmdline));
	put_file("proc/123/maps", maps, strlen(maps));
	put_file("proc/124/comm", "mariadbd\n", 9);
	put_file("proc/self/comm", "mariadbd\n", 9);
	fmt(link, sizeof(link), "%s/proc/123/exe", tmpdir);
	assert_int_equal(symlink("/usr/sbin/mariadbd", link), 0);
	fmt(proc, sizeof(proc), "%s/proc", tmpdir);
	assert_int_equal(chk_find_mysqld(proc, NULL, NULL, &m), 0);
	assert_int_equal(m.src, CHK_MYSQLD_RUNNING);
	assert_int_equal(m.pid, 123);
	assert_string_equal(m.path, "/usr/sbin/mariadbd");
	assert_string_equal(m.argv0, "mariadbd");
	assert_int_equal(m.maps, 1);
	assert_non_null(strstr(m.maps_path, "libwrap.so.0"));
	assert_string_equal(m.rootdir, "");

	/* --mysqld wins over the process */
	assert_int_equal(chk_find_mysqld(proc, "/opt/my/mysqld", NULL, &m), 0);
	assert_int_equal(m.src, CHK_MYSQLD_OPTION);
	assert_string_equal(m.path, "/opt/my/mysqld");

	/* no process: the installed binary, said to be one */
	put_file("root/usr/sbin/mysqld", "x", 1);
	fmt(proc, sizeof(proc), "%s/root", tmpdir);
	fmt(link, sizeof(link), "%s/empty", tmpdir);
	mkdir(link, 0755);
	assert_int_equal(chk_find_mysqld(link, NULL, proc, &m), 0);
	assert_int_equal(m.src, CHK_MYSQLD_INSTALLED);
	assert_string_equal(m.path, "/usr/sbin/mysqld");
	fmt(proc, sizeof(proc), "%s/nothing", tmpdir);
	assert_int_equal(chk_find_mysqld(link, NULL, proc, &m), -1);

	/* pid 124 has no exe link: found, exe_err says why */
	fmt(link, sizeof(link), "%s/proc/123", tmpdir);
	fmt(proc, sizeof(proc), "rm -rf '%s'", link);
	assert_int_equal(system(proc), 0);
	fmt(proc, sizeof(proc), "%s/proc", tmpdir);
	assert_int_equal(chk_find_mysqld(proc, NULL, NULL, &m), 0);
	assert_int_equal(m.pid, 124);
	assert_int_equal(m.exe_err, ENOENT);
	assert_int_equal(m.maps, -1);
	fmt(proc, sizeof(proc), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(proc), 0);
}

/* ---- the whole slice on a fixture tree ---- */

static void test_slice_fixture(void **state)
{
	char wrap[PATH_MAX], etc[PATH_MAX + 8], proc[PATH_MAX + 8];
	struct chk_ctx ctx;
	struct chk_facts facts;
	struct cd_findings fs;
	const struct cd_finding *f = NULL;
	size_t i;

	(void)state;
	if (fixture_exe("CD_WRAPELF_WRAP", "wrapelf", "wrapelf_wrap", wrap,
			sizeof(wrap))) {
		skip();
		return;
	}
	fmt(tmpdir, sizeof(tmpdir), "/tmp/cdsliceXXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	put_file("etc/hosts.allow", "mysqld: 10.0.0.1\nmysqld: db.example\n",
		 36);
	put_file("etc/hosts.deny", "ALL: ALL\n", 9);
	put_file("etc/resolv.conf",
		 "nameserver 192.0.2.53\noptions timeout:1 attempts:3\n", 51);
	fmt(etc, sizeof(etc), "%s/etc", tmpdir);
	fmt(proc, sizeof(proc), "%s/proc", tmpdir);
	mkdir(proc, 0755);
	memset(&ctx, 0, sizeof(ctx));
	ctx.procroot = proc;
	ctx.etcroot = etc;
	ctx.mysqld_path = wrap;
	/* The census: two connections from 10.0.0.1 (decided on its
	 * address), one from 192.0.2.7 (reaches the name rule), and the
	 * listener. */
	{
		static struct chk_sock socks[4];
		static struct chk_census census;
		static const char *const from[] = {"10.0.0.1", "10.0.0.1",
						   "192.0.2.7", "0.0.0.0"};
		size_t k;

		memset(socks, 0, sizeof(socks));
		for (k = 0; k < 4; k++) {
			socks[k].family = AF_INET;
			socks[k].state =
				k == 3 ? CHK_TCP_LISTEN : CHK_TCP_ESTABLISHED;
			socks[k].server_side = 1;
			socks[k].sport = 3306;
			socks[k].dst.s6_addr[10] = 0xff;
			socks[k].dst.s6_addr[11] = 0xff;
			assert_int_equal(inet_pton(AF_INET, from[k],
						   &socks[k].dst.s6_addr[12]),
					 1);
		}
		census.tcp = socks;
		census.ntcp = 4;
		census.tcp_ok = 1;
		ctx.census = &census;
	}
	chk_facts_init(&facts);
	cd_findings_init(&fs);
	assert_int_equal(chk_slice_wrappers(&ctx, &facts, &fs), 0);
	for (i = 0; i < fs.n; i++)
		if (!strcmp(fs.v[i].def->code, "CD5002"))
			f = &fs.v[i];
	assert_non_null(f);
	assert_true(f->ev[0].v[0] == 2); /* line */
	for (i = 0; i < f->nev; i++) {
		if (!strcmp(f->ev[i].key, "lookup_dead_s"))
			assert_true(f->ev[i].v[0] == 3);
		if (!strcmp(f->ev[i].key, "clients"))
			assert_true(f->ev[i].v[0] == 2);
		if (!strcmp(f->ev[i].key, "clients_need_name"))
			assert_true(f->ev[i].v[0] == 1);
	}
	assert_int_equal(f->nev, 11);
	assert_non_null(strstr(f->summary, "hosts.allow:2"));
	for (i = 0; i < facts.n; i++)
		if (!strcmp(facts.v[i].key, "libwrap")) {
			const struct chk_value *l =
				chk_fact_value(&facts.v[i], "linked");

			assert_non_null(l);
			assert_int_equal(l->type, CHK_T_BOOL);
			assert_int_equal(l->i, 1);
		}
	chk_facts_free(&facts);
	cd_findings_free(&fs);
	fmt(proc, sizeof(proc), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(proc), 0);
}

int main(void)
{
	const char *d = getenv("CD_TEST_DATA");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_basic),
		cmocka_unit_test(test_parse_continuation),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_options),
		cmocka_unit_test(test_parse_patfile),
		cmocka_unit_test(test_parse_absent),
		cmocka_unit_test(test_parse_prefixes_guard),
		cmocka_unit_test(test_parse_per_line),
		cmocka_unit_test(test_eval_cases),
		cmocka_unit_test(test_eval_vs_libwrap),
		cmocka_unit_test(test_analysis_agrees_with_eval),
		cmocka_unit_test(test_analysis_basic),
		cmocka_unit_test(test_analysis_except),
		cmocka_unit_test(test_analysis_healthy),
		cmocka_unit_test(test_analysis_paranoid_ident),
		cmocka_unit_test(test_analysis_catch_all),
		cmocka_unit_test(test_rules_dns),
		cmocka_unit_test(test_rules_dns_every_and_cost),
		cmocka_unit_test(test_rules_libwrap_alone_info),
		cmocka_unit_test(test_rules_not_linked),
		cmocka_unit_test(test_rules_unknown),
		cmocka_unit_test(test_rules_paranoid_ident_options),
		cmocka_unit_test(test_rules_malformed),
		cmocka_unit_test(test_find_mysqld),
		cmocka_unit_test(test_slice_fixture),
	};

	fmt(data_dir, sizeof(data_dir), "%s/hosts", d ? d : "tests/data");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
