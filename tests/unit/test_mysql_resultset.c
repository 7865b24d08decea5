/* test_mysql_resultset.c - COM_QUERY responses fed packet by packet: real
 * MariaDB 10.11 result sets with NULLs, multi-results and an ERR, with and
 * without CLIENT_DEPRECATE_EOF (captured by tests/data/mysql/capture.py,
 * whole frames from tests/data/mysql/mariadb-10.11.19.hex), plus built
 * malformed ones. Each stream is also read one byte at a time through
 * mysql_packet_parse() at the guard page, and every strict prefix of every
 * packet is fed to a copy of the decoder at the guard page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mysql/mysql.h"
#include "guard.h"

#define CAPS41		  (MYSQL_CLIENT_PROTOCOL_41 | MYSQL_CLIENT_TRANSACTIONS)
#define CAPS_DEOF	  (CAPS41 | MYSQL_CLIENT_DEPRECATE_EOF)
#define OPTIONAL_METADATA 0x02000000u

/* "SELECT a, b FROM t.x" (rows 1,'one'; NULL,'two'; 3,NULL) without
 * CLIENT_DEPRECATE_EOF: count, 2 column definitions, EOF, 3 rows, EOF. */
static const uint8_t rs_eof_stream[] = {
	0x01, 0x00, 0x00, 0x01, 0x02, 0x1b, 0x00, 0x00, 0x02, 0x03, 0x64, 0x65,
	0x66, 0x01, 0x74, 0x01, 0x78, 0x01, 0x78, 0x01, 0x61, 0x01, 0x61, 0x0c,
	0x3f, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x1b, 0x00, 0x00, 0x03, 0x03, 0x64, 0x65, 0x66, 0x01, 0x74, 0x01, 0x78,
	0x01, 0x78, 0x01, 0x62, 0x01, 0x62, 0x0c, 0x2d, 0x00, 0x28, 0x00, 0x00,
	0x00, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x04, 0xfe,
	0x00, 0x00, 0x22, 0x00, 0x06, 0x00, 0x00, 0x05, 0x01, 0x31, 0x03, 0x6f,
	0x6e, 0x65, 0x05, 0x00, 0x00, 0x06, 0xfb, 0x03, 0x74, 0x77, 0x6f, 0x03,
	0x00, 0x00, 0x07, 0x01, 0x33, 0xfb, 0x05, 0x00, 0x00, 0x08, 0xfe, 0x00,
	0x00, 0x22, 0x00,
};

/* "SELECT 1 AS n; SELECT NULL AS z" without CLIENT_DEPRECATE_EOF: the
 * first EOF after the rows has SERVER_MORE_RESULTS_EXISTS (status 0x0a). */
static const uint8_t multi_eof_stream[] = {
	0x01, 0x00, 0x00, 0x01, 0x01, 0x17, 0x00, 0x00, 0x02, 0x03, 0x64, 0x65,
	0x66, 0x00, 0x00, 0x00, 0x01, 0x6e, 0x00, 0x0c, 0x3f, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x03, 0x81, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x03,
	0xfe, 0x00, 0x00, 0x0a, 0x00, 0x02, 0x00, 0x00, 0x04, 0x01, 0x31, 0x05,
	0x00, 0x00, 0x05, 0xfe, 0x00, 0x00, 0x0a, 0x00, 0x01, 0x00, 0x00, 0x06,
	0x01, 0x17, 0x00, 0x00, 0x07, 0x03, 0x64, 0x65, 0x66, 0x00, 0x00, 0x00,
	0x01, 0x7a, 0x00, 0x0c, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x80,
	0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x08, 0xfe, 0x00, 0x00, 0x02,
	0x00, 0x01, 0x00, 0x00, 0x09, 0xfb, 0x05, 0x00, 0x00, 0x0a, 0xfe, 0x00,
	0x00, 0x02, 0x00,
};

/* The same SELECT with CLIENT_DEPRECATE_EOF: no EOF after the columns, an
 * OK with the 0xfe header at the end. */
static const uint8_t rs_deof_stream[] = {
	0x01, 0x00, 0x00, 0x01, 0x02, 0x1b, 0x00, 0x00, 0x02, 0x03, 0x64, 0x65,
	0x66, 0x01, 0x74, 0x01, 0x78, 0x01, 0x78, 0x01, 0x61, 0x01, 0x61, 0x0c,
	0x3f, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x1b, 0x00, 0x00, 0x03, 0x03, 0x64, 0x65, 0x66, 0x01, 0x74, 0x01, 0x78,
	0x01, 0x78, 0x01, 0x62, 0x01, 0x62, 0x0c, 0x2d, 0x00, 0x28, 0x00, 0x00,
	0x00, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x04, 0x01,
	0x31, 0x03, 0x6f, 0x6e, 0x65, 0x05, 0x00, 0x00, 0x05, 0xfb, 0x03, 0x74,
	0x77, 0x6f, 0x03, 0x00, 0x00, 0x06, 0x01, 0x33, 0xfb, 0x07, 0x00, 0x00,
	0x07, 0xfe, 0x00, 0x00, 0x22, 0x00, 0x00, 0x00,
};

/* "DO 1; SELECT 2 AS m" with CLIENT_DEPRECATE_EOF: an OK with
 * SERVER_MORE_RESULTS_EXISTS, then a result set. */
static const uint8_t multi_deof_stream[] = {
	0x07, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x02, 0x01, 0x17, 0x00, 0x00, 0x03, 0x03, 0x64, 0x65, 0x66,
	0x00, 0x00, 0x00, 0x01, 0x6d, 0x00, 0x0c, 0x3f, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x03, 0x81, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x04, 0x01,
	0x32, 0x07, 0x00, 0x00, 0x05, 0xfe, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
};

/* "SELECT * FROM nosuch.t": 1146. */
static const uint8_t query_err_stream[] = {
	0x27, 0x00, 0x00, 0x01, 0xff, 0x7a, 0x04, 0x23, 0x34, 0x32, 0x53,
	0x30, 0x32, 0x54, 0x61, 0x62, 0x6c, 0x65, 0x20, 0x27, 0x6e, 0x6f,
	0x73, 0x75, 0x63, 0x68, 0x2e, 0x74, 0x27, 0x20, 0x64, 0x6f, 0x65,
	0x73, 0x6e, 0x27, 0x74, 0x20, 0x65, 0x78, 0x69, 0x73, 0x74,
};

/* Feeds every packet of a stream; the last one must end the response. */
static void run_stream(const uint8_t *s, size_t n, uint32_t caps,
		       struct mysql_rs *rs)
{
	struct mysql_packet pk;
	size_t off = 0;
	long span;
	int rc = MYSQL_NEED_MORE;

	mysql_rs_init(rs, caps);
	while (off < n) {
		assert_int_equal(rc, MYSQL_NEED_MORE);
		span = mysql_packet_parse(s + off, n - off, 1 << 20, &pk);
		assert_true(span > 0);
		rc = mysql_rs_feed(rs, pk.payload, pk.len);
		off += (size_t)span;
	}
	assert_int_equal(rc, MYSQL_OK);
	assert_int_equal(rs->state, MYSQL_RS_DONE);
}

/* The per-byte split: a receiver that gets one byte at a time and hands
 * each packet to the decoder as soon as mysql_packet_parse() has it, the
 * unread bytes always ending at the guard page. Must end like run_stream(). */
static void run_bytewise(const uint8_t *s, size_t n, uint32_t caps,
			 const struct mysql_rs *want)
{
	struct mysql_packet pk;
	struct mysql_rs rs;
	struct guard g;
	const uint8_t *at;
	size_t have, start = 0;
	long span;
	int rc = MYSQL_NEED_MORE;

	mysql_rs_init(&rs, caps);
	guard_init(&g, n);
	for (have = 0; have <= n; have++) {
		at = guard_put(&g, s + start, have - start);
		span = mysql_packet_parse(at, have - start, 1 << 20, &pk);
		if (span == MYSQL_NEED_MORE)
			continue;
		assert_true(span > 0);
		assert_int_equal(rc, MYSQL_NEED_MORE);
		rc = mysql_rs_feed(&rs, pk.payload, pk.len);
		assert_true(rc == MYSQL_OK || rc == MYSQL_NEED_MORE);
		/* Done exactly when the last byte is in. */
		assert_int_equal(rc == MYSQL_OK, have == n);
		start = have;
	}
	assert_int_equal(rc, MYSQL_OK);
	assert_int_equal(rs.results, want->results);
	assert_true(rs.rows == want->rows);
	assert_true(rs.columns == want->columns);
	assert_int_equal(rs.is_err, want->is_err);
	assert_int_equal(rs.ok.status, want->ok.status);
	assert_int_equal(rs.err.code, want->err.code);
	guard_free(&g);
}

/* Every strict prefix of every packet, at the guard page, fed to a copy of
 * the decoder in the state that packet finds: whatever the answer, nothing
 * is read past the end, and a prefix never ends the whole response unless
 * it is itself a valid end (a shorter OK info or ERR message). */
static void run_packet_prefixes(const uint8_t *s, size_t n, uint32_t caps)
{
	struct mysql_packet pk;
	struct mysql_rs rs, copy;
	struct guard g;
	size_t off = 0, i;
	long span;
	int rc;

	mysql_rs_init(&rs, caps);
	guard_init(&g, n);
	while (off < n) {
		span = mysql_packet_parse(s + off, n - off, 1 << 20, &pk);
		assert_true(span > 0);
		for (i = 0; i < pk.len; i++) {
			copy = rs;
			rc = mysql_rs_feed(&copy, guard_put(&g, pk.payload, i),
					   i);
			assert_true(rc == MYSQL_OK || rc == MYSQL_NEED_MORE ||
				    rc == MYSQL_BAD);
		}
		rc = mysql_rs_feed(&rs, guard_put(&g, pk.payload, pk.len),
				   pk.len);
		assert_true(rc == MYSQL_OK || rc == MYSQL_NEED_MORE);
		off += (size_t)span;
	}
	guard_free(&g);
}

static void check_stream(const uint8_t *s, size_t n, uint32_t caps,
			 struct mysql_rs *rs)
{
	run_stream(s, n, caps, rs);
	run_bytewise(s, n, caps, rs);
	run_packet_prefixes(s, n, caps);
}

static void test_rows_eof(void **state)
{
	struct mysql_rs rs;

	(void)state;
	check_stream(rs_eof_stream, sizeof(rs_eof_stream), CAPS41, &rs);
	assert_true(rs.columns == 2);
	assert_true(rs.col_seen == 2);
	assert_true(rs.rows == 3);
	assert_int_equal(rs.results, 1);
	assert_false(rs.is_err);
	assert_false(rs.local_infile);
	assert_int_equal(rs.ok.status, 0x22);
}

static void test_rows_deprecate_eof(void **state)
{
	struct mysql_rs rs;

	(void)state;
	check_stream(rs_deof_stream, sizeof(rs_deof_stream), CAPS_DEOF, &rs);
	assert_true(rs.columns == 2);
	assert_true(rs.rows == 3);
	assert_int_equal(rs.results, 1);
	assert_int_equal(rs.ok.status, 0x22);
}

static void test_multi_eof(void **state)
{
	struct mysql_rs rs;

	(void)state;
	check_stream(multi_eof_stream, sizeof(multi_eof_stream), CAPS41, &rs);
	assert_int_equal(rs.results, 2);
	assert_true(rs.rows == 2);
	assert_true(rs.columns == 1);
	assert_int_equal(rs.ok.status, 0x02);
}

static void test_multi_deprecate_eof(void **state)
{
	struct mysql_rs rs;

	(void)state;
	check_stream(multi_deof_stream, sizeof(multi_deof_stream), CAPS_DEOF,
		     &rs);
	assert_int_equal(rs.results, 2);
	assert_true(rs.rows == 1);
	assert_int_equal(rs.ok.status, 0x02);
}

static void test_query_err(void **state)
{
	struct mysql_rs rs;

	(void)state;
	check_stream(query_err_stream, sizeof(query_err_stream), CAPS41, &rs);
	assert_true(rs.is_err);
	assert_int_equal(rs.err.code, 1146);
	assert_string_equal(rs.err.sqlstate, "42S02");
	assert_int_equal(rs.results, 0);
}

/* Payloads of a built response: each ends the previous one. */
struct pl {
	const char *b;
	size_t n;
};

#define PL(s)                                                                  \
	{                                                                      \
		s, sizeof(s) - 1                                               \
	}

/* Feeds the payloads; every one but the last must say NEED_MORE, the last
 * must answer want. */
static void feed_all(struct mysql_rs *rs, uint32_t caps, const struct pl *p,
		     size_t np, int want)
{
	struct guard g;
	size_t i;
	int rc;

	mysql_rs_init(rs, caps);
	guard_init(&g, 256);
	for (i = 0; i < np; i++) {
		rc = mysql_rs_feed(rs, guard_put(&g, p[i].b, p[i].n), p[i].n);
		assert_int_equal(rc, i + 1 < np ? MYSQL_NEED_MORE : want);
	}
	guard_free(&g);
}

/* A column definition for a column "a" (MariaDB's layout). */
#define COLDEF_A                                                               \
	"\x03"                                                                 \
	"def\x01t\x01x\x01x\x01"                                               \
	"a\x01"                                                                \
	"a\x0c\x3f\x00\x0b\x00\x00\x00\x03\x00\x00\x00\x00\x00"
#define EOF_22 "\xfe\x00\x00\x22\x00"

static void test_err_mid_rows(void **state)
{
	static const struct pl p[] = {
		PL("\x01"),
		PL(COLDEF_A),
		PL(EOF_22),
		PL("\x01\x31"),
		PL("\xff\x87\x07#70100Connection was killed"),
	};
	struct mysql_rs rs;

	(void)state;
	feed_all(&rs, CAPS41, p, 5, MYSQL_OK);
	assert_true(rs.is_err);
	assert_int_equal(rs.err.code, 1927);
	assert_string_equal(rs.err.sqlstate, "70100");
	assert_string_equal(mysql_error_name(rs.err.code),
			    "ER_CONNECTION_KILLED");
	assert_true(rs.rows == 1);
	assert_int_equal(rs.state, MYSQL_RS_DONE);
}

static void test_malformed_rows(void **state)
{
	static const struct pl too_few[] = {
		PL("\x02"), PL(COLDEF_A),   PL(COLDEF_A),
		PL(EOF_22), PL("\x01\x31"),
	};
	static const struct pl too_many[] = {
		PL("\x01"),
		PL(COLDEF_A),
		PL(EOF_22),
		PL("\x01\x31\x01\x32"),
	};
	static const struct pl past_end[] = {
		PL("\x01"),
		PL(COLDEF_A),
		PL(EOF_22),
		PL("\x05\x31"),
	};
	static const struct pl big_lenenc[] = {
		PL("\x01"),
		PL(COLDEF_A),
		PL(EOF_22),
		PL("\xfc\xff\xff\x31"),
	};
	static const struct pl bad_lenenc[] = {
		PL("\x01"), PL(COLDEF_A), PL(EOF_22),
		PL("\xff\xff"), /* an ERR, and a broken one */
	};
	static const struct pl empty_row[] = {
		PL("\x01"),
		PL(COLDEF_A),
		PL(EOF_22),
		PL(""),
	};
	static const struct pl nulls[] = {
		PL("\x02"),	PL(COLDEF_A),	PL(COLDEF_A),	PL(EOF_22),
		PL("\xfb\xfb"), PL("\x00\x00"), PL("\xfb\x00"), PL(EOF_22),
	};
	struct mysql_rs rs;

	(void)state;
	feed_all(&rs, CAPS41, too_few, 5, MYSQL_BAD);
	feed_all(&rs, CAPS41, too_many, 4, MYSQL_BAD);
	feed_all(&rs, CAPS41, past_end, 4, MYSQL_BAD);
	feed_all(&rs, CAPS41, big_lenenc, 4, MYSQL_BAD);
	feed_all(&rs, CAPS41, bad_lenenc, 4, MYSQL_BAD);
	feed_all(&rs, CAPS41, empty_row, 4, MYSQL_BAD);
	/* NULL and empty values are fine. */
	feed_all(&rs, CAPS41, nulls, 8, MYSQL_OK);
	assert_true(rs.rows == 3);
}

static void test_malformed_header(void **state)
{
	static const struct pl zero[] = {PL("\x00\x00\x00\x02\x00\x00\x00")};
	static const struct pl zero_cols[] = {PL("\xfc\x00\x00")};
	static const struct pl trailing[] = {PL("\x02\x00")};
	static const struct pl huge[] = {PL("\xfd\x00\x00\x01")};
	static const struct pl short_fe[] = {PL("\xfe\x00\x00\x02\x00")};
	static const struct pl cut_coldef[] = {PL("\x01"),
					       PL("\x03"
						  "def\x01t\x01x\x01x\x01"
						  "a\x01"
						  "a\x0c\x3f\x00")};
	static const struct pl fixed_0b[] = {
		PL("\x01"), PL("\x03"
			       "def\x01t\x01x\x01x\x01"
			       "a\x01"
			       "a\x0b\x3f\x00\x0b\x00\x00\x00\x03\x00\x00\x00"
			       "\x00")};
	static const struct pl row_for_eof[] = {PL("\x01"), PL(COLDEF_A),
						PL("\x01\x31")};
	static const struct pl bad_err[] = {PL("\xff\x01")};
	struct mysql_rs rs;

	(void)state;
	feed_all(&rs, CAPS41, zero, 1, MYSQL_OK);
	assert_int_equal(rs.results, 1);
	feed_all(&rs, CAPS41, zero_cols, 1, MYSQL_BAD);
	feed_all(&rs, CAPS41, trailing, 1, MYSQL_BAD);
	feed_all(&rs, CAPS41, huge, 1, MYSQL_BAD);
	feed_all(&rs, CAPS41, short_fe, 1, MYSQL_BAD);
	feed_all(&rs, CAPS41, cut_coldef, 2, MYSQL_BAD);
	feed_all(&rs, CAPS41, fixed_0b, 2, MYSQL_BAD);
	feed_all(&rs, CAPS41, row_for_eof, 3, MYSQL_BAD);
	feed_all(&rs, CAPS41, bad_err, 1, MYSQL_BAD);
	/* Nothing may follow the end. */
	feed_all(&rs, CAPS41, zero, 1, MYSQL_OK);
	assert_int_equal(
		mysql_rs_feed(&rs, (const uint8_t *)zero[0].b, zero[0].n),
		MYSQL_BAD);
}

/* LOAD DATA LOCAL INFILE: the server names a file, the client sends it (or
 * nothing), the server answers with an OK. */
static void test_local_infile(void **state)
{
	static const struct pl p[] = {
		PL("\xfb/tmp/data.csv"),
		PL("\x00\x03\x00\x02\x00\x00\x00"),
	};
	struct mysql_rs rs;

	(void)state;
	feed_all(&rs, CAPS41, p, 2, MYSQL_OK);
	assert_true(rs.local_infile);
	assert_true(rs.ok.affected_rows == 3);
	assert_false(rs.is_err);
}

/* MySQL 8's CLIENT_OPTIONAL_RESULTSET_METADATA with metadata_follows 0: no
 * column definitions. MariaDB's extended metadata in a definition. */
static void test_metadata_variants(void **state)
{
	static const struct pl none[] = {
		PL("\x02\x00"),
		PL("\x01\x31\xfb"),
		PL("\xfe\x00\x00\x02\x00\x00\x00"),
	};
	static const struct pl full[] = {
		PL("\x01\x01"),
		PL(COLDEF_A),
		PL("\x01\x31"),
		PL("\xfe\x00\x00\x02\x00\x00\x00"),
	};
	static const struct pl ext[] = {
		PL("\x01"),
		PL("\x03"
		   "def\x01t\x01x\x01x\x01"
		   "a\x01"
		   "a\x05\x00json\x0c\x3f\x00\x0b\x00\x00\x00\x03\x00\x00\x00"
		   "\x00\x00"),
		PL("\x01\x31"),
		PL("\xfe\x00\x00\x02\x00\x00\x00"),
	};
	struct mysql_rs rs;

	(void)state;
	feed_all(&rs, CAPS_DEOF | OPTIONAL_METADATA, none, 3, MYSQL_OK);
	assert_true(rs.rows == 1 && rs.col_seen == 0);
	feed_all(&rs, CAPS_DEOF | OPTIONAL_METADATA, full, 4, MYSQL_OK);
	assert_true(rs.rows == 1 && rs.col_seen == 1);
	feed_all(&rs, CAPS_DEOF, ext, 4, MYSQL_OK);
	assert_true(rs.rows == 1);
}

/* A text row's cell as a number: NULL, empty, junk and negative are -1. */
static void test_cell_num(void **state)
{
	static const struct {
		const char *text;
		double want;
	} v[] = {{"0", 0},
		 {"42", 42},
		 {"1.5", 1.5},
		 {"", -1},
		 {"12x", -1},
		 {"-3", -1},
		 {" ", -1},
		 {"123456789012345678901234567890123456789012345678", -1}};
	struct mysql_cell c = {NULL, 0, 1};
	size_t i;

	(void)state;
	assert_true(mysql_cell_num(&c) == -1); /* SQL NULL */
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		c.data = (const uint8_t *)v[i].text;
		c.len = strlen(v[i].text);
		c.is_null = 0;
		assert_true(mysql_cell_num(&c) == v[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_eof),
		cmocka_unit_test(test_rows_deprecate_eof),
		cmocka_unit_test(test_multi_eof),
		cmocka_unit_test(test_multi_deprecate_eof),
		cmocka_unit_test(test_query_err),
		cmocka_unit_test(test_err_mid_rows),
		cmocka_unit_test(test_malformed_rows),
		cmocka_unit_test(test_malformed_header),
		cmocka_unit_test(test_local_infile),
		cmocka_unit_test(test_metadata_variants),
		cmocka_unit_test(test_cell_num),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
