/* test_cap_flow.c - the flow table, TCP analysis and passive MySQL decoder
 * (capture/flow.c, capture/mysql.c) fed hand-made segments: a whole
 * session written with the codec's own writers, then the same bytes split
 * at every byte, reordered, resent, cut by a gap, started mid-stream; port
 * reuse; the handshake failures; text written into the stream; the flow
 * table's size staying with the open connections, and bounded by
 * max_flows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture/capture.h"
#include "mysql/mysql.h"

#define SEC	1000000LL
#define ROWS	5
#define MSG_MAX 32

/* ---- what the engine hands out ---- */

struct rec {
	struct cap_conn conns[16];
	size_t nconns;
	struct cap_cmd cmds[64];
	size_t ncmds;
};

static void on_conn(void *ud, const struct cap_conn *c)
{
	struct rec *r = ud;

	if (r->nconns < 16)
		r->conns[r->nconns] = *c;
	r->nconns++;
}

static void on_cmd(void *ud, const struct cap_conn *c,
		   const struct cap_cmd *cmd)
{
	struct rec *r = ud;

	(void)c;
	if (r->ncmds < 64)
		r->cmds[r->ncmds] = *cmd;
	r->ncmds++;
}

/* ---- a session's messages, written with the codec ---- */

struct msg {
	int dir;
	uint8_t b[512];
	size_t n;
};

struct conv {
	struct msg m[MSG_MAX];
	size_t n;
};

static void put(struct conv *cv, int dir, const uint8_t *payload, size_t len,
		uint8_t seq)
{
	struct msg *m = &cv->m[cv->n++];
	uint8_t next;
	long w;

	assert_true(cv->n <= MSG_MAX);
	m->dir = dir;
	w = mysql_packet_write(m->b, sizeof(m->b), payload, len, seq, &next);
	assert_true(w > 0);
	m->n = (size_t)w;
}

/* Appends a frame to the last message (several frames in one write). */
static void put_more(struct conv *cv, const uint8_t *payload, size_t len,
		     uint8_t seq)
{
	struct msg *m = &cv->m[cv->n - 1];
	uint8_t next;
	long w = mysql_packet_write(m->b + m->n, sizeof(m->b) - m->n, payload,
				    len, seq, &next);

	assert_true(w > 0);
	m->n += (size_t)w;
}

static const uint32_t CAPS =
	MYSQL_CLIENT_LONG_PASSWORD | MYSQL_CLIENT_PROTOCOL_41 |
	MYSQL_CLIENT_SECURE_CONNECTION | MYSQL_CLIENT_PLUGIN_AUTH |
	MYSQL_CLIENT_TRANSACTIONS | MYSQL_CLIENT_CONNECT_WITH_DB;

static void greeting_login(struct conv *cv)
{
	struct mysql_greeting g;
	struct mysql_login l;
	struct mysql_ok ok;
	uint8_t p[256], auth[20];
	long n;

	memset(&g, 0, sizeof(g));
	g.protocol = 10;
	strcpy(g.version, "10.11.19-MariaDB");
	g.is_mariadb = 1;
	g.conn_id = 42;
	memset(g.scramble, 'a', MYSQL_SCRAMBLE_LEN);
	g.scramble_len = MYSQL_SCRAMBLE_LEN;
	g.caps = CAPS;
	g.charset = 45;
	g.status = 2;
	strcpy(g.auth_plugin, "mysql_native_password");
	n = mysql_greeting_write(p, sizeof(p), &g);
	assert_true(n > 0);
	put(cv, CAP_S2C, p, (size_t)n, 0);

	memset(&l, 0, sizeof(l));
	memset(auth, 'z', sizeof(auth));
	l.caps = CAPS;
	l.max_packet = 1 << 24;
	l.charset = 45;
	l.user = "app";
	l.auth = auth;
	l.auth_len = sizeof(auth);
	l.db = "shop";
	l.plugin = "mysql_native_password";
	n = mysql_login_write(p, sizeof(p), &l);
	assert_true(n > 0);
	put(cv, CAP_C2S, p, (size_t)n, 1);

	memset(&ok, 0, sizeof(ok));
	ok.status = 2;
	n = mysql_ok_write(p, sizeof(p), CAPS, &ok);
	assert_true(n > 0);
	put(cv, CAP_S2C, p, (size_t)n, 2);
}

/* "SELECT id FROM t" and its ROWS rows (text result set with EOFs). */
static void query_rows(struct conv *cv)
{
	static const uint8_t coldef[] = {
		3,  'd', 'e', 'f', 4,	's', 'h', 'o', 'p',  1,	   't',
		1,  't', 2,   'i', 'd', 2,   'i', 'd', 0x0c, 0x3f, 0,
		11, 0,	 0,   0,   3,	0,   0,	  0,   0,    0};
	static const uint8_t eof[] = {0xfe, 0, 0, 2, 0};
	uint8_t p[64];
	long n;
	int i;

	n = mysql_command_write(p, sizeof(p), MYSQL_COM_QUERY,
				"SELECT id FROM t", 16);
	put(cv, CAP_C2S, p, (size_t)n, 0);
	p[0] = 1;
	put(cv, CAP_S2C, p, 1, 1);
	put_more(cv, coldef, sizeof(coldef), 2);
	put_more(cv, eof, sizeof(eof), 3);
	for (i = 0; i < ROWS; i++) {
		p[0] = 1;
		p[1] = (uint8_t)('0' + i);
		put_more(cv, p, 2, (uint8_t)(4 + i));
	}
	put_more(cv, eof, sizeof(eof), (uint8_t)(4 + ROWS));
}

static void query_err(struct conv *cv)
{
	struct mysql_err e;
	uint8_t p[128];
	long n;

	n = mysql_command_write(p, sizeof(p), MYSQL_COM_QUERY, "SELEC 1", 7);
	put(cv, CAP_C2S, p, (size_t)n, 0);
	memset(&e, 0, sizeof(e));
	e.code = 1064;
	strcpy(e.sqlstate, "42000");
	strcpy(e.message, "You have an error in your SQL syntax");
	n = mysql_err_write(p, sizeof(p), &e);
	put(cv, CAP_S2C, p, (size_t)n, 1);
}

static void quit(struct conv *cv)
{
	uint8_t q = MYSQL_COM_QUIT;

	put(cv, CAP_C2S, &q, 1, 0);
}

static void session(struct conv *cv)
{
	cv->n = 0;
	greeting_login(cv);
	query_rows(cv);
	query_err(cv);
	quit(cv);
}

/* ---- a TCP connection carrying it ---- */

struct bench {
	struct cap_engine *e;
	struct rec r;
	struct cap_endpoint ep[2]; /* by sender: client, server */
	uint32_t seq[2], isn[2];
	int64_t t;
};

static void bench_init(struct bench *b, const struct cap_opts *o)
{
	struct cap_opts def;
	struct cap_sink s = {NULL, on_conn, on_cmd, NULL};

	memset(b, 0, sizeof(*b));
	if (!o) {
		cap_opts_init(&def);
		o = &def;
	}
	s.ud = &b->r;
	b->e = cap_engine_new(o, &s);
	assert_non_null(b->e);
	b->ep[0].family = b->ep[1].family = 4;
	memcpy(b->ep[0].addr, "\x0a\x00\x00\x01", 4);
	memcpy(b->ep[1].addr, "\x0a\x00\x00\x02", 4);
	b->ep[0].port = 40000;
	b->ep[1].port = 3306;
	b->isn[0] = b->seq[0] = 1000;
	b->isn[1] = b->seq[1] = 0xfffff000u; /* wraps during the session */
	b->t = 1700000000 * SEC;
}

static void bench_free(struct bench *b)
{
	cap_engine_free(b->e);
}

/* One segment at an explicit sequence number; caplen < len: cut. */
static void seg_at(struct bench *b, int dir, uint8_t flags, uint32_t seq,
		   const uint8_t *data, size_t len, size_t caplen)
{
	struct cap_pkt p;

	memset(&p, 0, sizeof(p));
	p.ts_us = b->t;
	p.src = b->ep[dir];
	p.dst = b->ep[!dir];
	p.seq = seq;
	p.ack = b->seq[!dir];
	p.flags = flags;
	p.win = 512;
	p.wscale = -1;
	p.len = (uint32_t)len;
	p.caplen = (uint32_t)caplen;
	p.payload = data;
	cap_engine_frame(b->e, b->t, (uint32_t)(54 + len),
			 (uint32_t)(54 + caplen), CAP_DEC_OK);
	cap_engine_packet(b->e, &p);
	b->t += 100;
}

/* The next segment of dir, advancing its sequence number. */
static void seg(struct bench *b, int dir, uint8_t flags, const uint8_t *data,
		size_t len)
{
	seg_at(b, dir, flags, b->seq[dir], data, len, len);
	b->seq[dir] +=
		(uint32_t)len + ((flags & (CAP_TH_SYN | CAP_TH_FIN)) ? 1 : 0);
}

static void handshake(struct bench *b)
{
	seg(b, CAP_C2S, CAP_TH_SYN, NULL, 0);
	seg(b, CAP_S2C, CAP_TH_SYN | CAP_TH_ACK, NULL, 0);
	seg(b, CAP_C2S, CAP_TH_ACK, NULL, 0);
}

static void close_both(struct bench *b)
{
	seg(b, CAP_C2S, CAP_TH_FIN | CAP_TH_ACK, NULL, 0);
	seg(b, CAP_S2C, CAP_TH_FIN | CAP_TH_ACK, NULL, 0);
	seg(b, CAP_C2S, CAP_TH_ACK, NULL, 0);
}

/* Sends each message split into pieces of at most `piece` bytes (and at
 * byte `cut` of the message first, when cut > 0). */
static void send_conv(struct bench *b, const struct conv *cv, size_t piece,
		      size_t cut)
{
	size_t i, off;

	for (i = 0; i < cv->n; i++) {
		const struct msg *m = &cv->m[i];

		off = 0;
		if (cut && cut < m->n) {
			seg(b, m->dir, CAP_TH_ACK | CAP_TH_PSH, m->b, cut);
			off = cut;
		}
		while (off < m->n) {
			size_t k = m->n - off < piece ? m->n - off : piece;

			seg(b, m->dir, CAP_TH_ACK | CAP_TH_PSH, m->b + off, k);
			off += k;
		}
		/* the receiver acknowledges */
		seg(b, !m->dir, CAP_TH_ACK, NULL, 0);
	}
}

/* What a healthy run of session() must give. */
static void check_session(const struct rec *r)
{
	const struct cap_conn *c = &r->conns[0];

	assert_int_equal(r->nconns, 1);
	assert_int_equal(c->id, 1);
	assert_true(c->established);
	assert_int_equal(c->my.state, CAP_MY_QUIT);
	assert_string_equal(c->my.version, "10.11.19-MariaDB");
	assert_true(c->my.mariadb);
	assert_int_equal(c->my.conn_id, 42);
	assert_string_equal(c->my.user, "app");
	assert_string_equal(c->my.schema, "shop");
	assert_string_equal(c->my.client_plugin, "mysql_native_password");
	assert_int_equal(c->my.login, CAP_LOGIN_OK);
	assert_int_equal(c->my.commands, 3);
	assert_int_equal(c->my.errors, 1);
	assert_int_equal(c->my.rows, ROWS);
	assert_true(c->my.quit);
	assert_int_equal(c->my.cmd_err.code, 1064);
	assert_int_equal(r->ncmds, 3);
	assert_int_equal(r->cmds[0].cmd, MYSQL_COM_QUERY);
	assert_string_equal(r->cmds[0].arg, "SELECT id FROM t");
	assert_int_equal(r->cmds[0].result, CAP_RES_ROWS);
	assert_int_equal(r->cmds[0].rows, ROWS);
	assert_true(r->cmds[0].end_us >= r->cmds[0].first_us);
	assert_true(r->cmds[0].first_us > r->cmds[0].start_us);
	assert_int_equal(r->cmds[1].result, CAP_RES_ERR);
	assert_int_equal(r->cmds[1].err.code, 1064);
	assert_string_equal(r->cmds[1].err.sqlstate, "42000");
	assert_int_equal(r->cmds[2].cmd, MYSQL_COM_QUIT);
	assert_int_equal(r->cmds[2].result, CAP_RES_NONE);
	for (int k = 0; k < CAP_AN__COUNT; k++)
		assert_int_equal(c->my.an[k].count, 0);
}

static void test_session_whole(void **state)
{
	struct bench b;
	struct conv cv;
	const struct cap_conn *c;

	(void)state;
	session(&cv);
	bench_init(&b, NULL);
	handshake(&b);
	send_conv(&b, &cv, 4096, 0);
	close_both(&b);
	cap_engine_finish(b.e);
	check_session(&b.r);
	c = &b.r.conns[0];
	assert_int_equal(c->syn.n, 1);
	assert_int_equal(c->synack.n, 1);
	assert_int_not_equal(c->hs_ack_us, 0);
	assert_int_equal(c->closer, CAP_C2S);
	assert_int_equal(c->close_how, CAP_CLOSE_FIN);
	assert_int_equal(c->dir[0].retrans + c->dir[1].retrans, 0);
	assert_int_equal(c->dir[0].gaps + c->dir[1].gaps, 0);
	assert_false(c->mid_stream);
	bench_free(&b);
}

/* The same bytes cut at every position, and one byte per segment. */
static void test_session_split_every_byte(void **state)
{
	struct conv cv;
	size_t cut;

	(void)state;
	session(&cv);
	for (cut = 0; cut < 120; cut++) {
		struct bench b;

		bench_init(&b, NULL);
		handshake(&b);
		send_conv(&b, &cv, cut ? 4096 : 1, cut);
		close_both(&b);
		cap_engine_finish(b.e);
		check_session(&b.r);
		bench_free(&b);
	}
}

/* Server segments out of order and one resent: the same session. */
static void test_reorder_and_resend(void **state)
{
	struct bench b;
	struct conv cv;
	const struct msg *m;
	uint32_t s0;
	size_t i;

	(void)state;
	session(&cv);
	bench_init(&b, NULL);
	handshake(&b);
	for (i = 0; i < cv.n; i++) {
		m = &cv.m[i];
		if (i == 4) { /* the result set */
			/* three pieces: send 2, 1 (twice), then 3 */
			s0 = b.seq[CAP_S2C];
			seg_at(&b, CAP_S2C, CAP_TH_ACK, s0 + 10, m->b + 10, 10,
			       10);
			seg_at(&b, CAP_S2C, CAP_TH_ACK, s0, m->b, 10, 10);
			seg_at(&b, CAP_S2C, CAP_TH_ACK, s0, m->b, 10, 10);
			seg_at(&b, CAP_S2C, CAP_TH_ACK, s0 + 20, m->b + 20,
			       m->n - 20, m->n - 20);
			b.seq[CAP_S2C] = s0 + (uint32_t)m->n;
		} else {
			seg(&b, m->dir, CAP_TH_ACK, m->b, m->n);
		}
		seg(&b, !m->dir, CAP_TH_ACK, NULL, 0);
	}
	close_both(&b);
	cap_engine_finish(b.e);
	check_session(&b.r);
	assert_int_equal(b.r.conns[0].dir[CAP_S2C].ooo, 1);
	assert_int_equal(b.r.conns[0].dir[CAP_S2C].retrans, 1);
	bench_free(&b);
}

/* A server segment the capture lost (the client acknowledges it): the
 * command is unknown, the next one decodes again. */
static void test_gap_then_resync(void **state)
{
	struct bench b;
	struct conv cv;
	const struct msg *m;
	size_t i;

	(void)state;
	session(&cv);
	bench_init(&b, NULL);
	handshake(&b);
	for (i = 0; i < cv.n; i++) {
		m = &cv.m[i];
		if (i == 4) { /* the result set */
			uint32_t s0 = b.seq[CAP_S2C];

			seg_at(&b, CAP_S2C, CAP_TH_ACK, s0, m->b, 7, 7);
			/* bytes 7..30 never captured */
			seg_at(&b, CAP_S2C, CAP_TH_ACK, s0 + 30, m->b + 30,
			       m->n - 30, m->n - 30);
			b.seq[CAP_S2C] = s0 + (uint32_t)m->n;
		} else {
			seg(&b, m->dir, CAP_TH_ACK, m->b, m->n);
		}
		seg(&b, !m->dir, CAP_TH_ACK, NULL, 0);
	}
	close_both(&b);
	cap_engine_finish(b.e);
	assert_int_equal(b.r.nconns, 1);
	assert_int_equal(b.r.conns[0].dir[CAP_S2C].gaps, 1);
	assert_int_equal(b.r.conns[0].dir[CAP_S2C].gap_bytes, 23);
	assert_int_equal(b.r.ncmds, 3);
	assert_int_equal(b.r.cmds[0].result, CAP_RES_UNKNOWN);
	assert_int_equal(b.r.cmds[1].result, CAP_RES_ERR);
	assert_int_equal(b.r.cmds[1].err.code, 1064);
	assert_int_equal(b.r.cmds[2].cmd, MYSQL_COM_QUIT);
	for (i = 0; i < CAP_AN__COUNT; i++)
		assert_int_equal(b.r.conns[0].my.an[i].count, 0);
	bench_free(&b);
}

/* A capture that begins after the login: in step at the next command. */
static void test_mid_stream(void **state)
{
	struct bench b;
	struct conv cv;
	size_t i;

	(void)state;
	cv.n = 0;
	query_rows(&cv);
	query_err(&cv);
	bench_init(&b, NULL);
	for (i = 0; i < cv.n; i++)
		seg(&b, cv.m[i].dir, CAP_TH_ACK, cv.m[i].b, cv.m[i].n);
	cap_engine_finish(b.e);
	assert_int_equal(b.r.nconns, 1);
	assert_true(b.r.conns[0].mid_stream);
	assert_true(b.r.conns[0].ended_by_capture);
	assert_int_equal(b.r.ncmds, 2);
	assert_int_equal(b.r.cmds[0].result, CAP_RES_ROWS);
	assert_int_equal(b.r.cmds[0].rows, ROWS);
	assert_int_equal(b.r.cmds[1].result, CAP_RES_ERR);
	bench_free(&b);
}

/* A capture that begins after a compressed login (MySQL "Compression":
 * 7-byte header comp_len, seq, raw_len; raw_len 0: stored). Nothing says
 * the session is compressed until a packet with a zlib header: the stored
 * COM_PING and its stored OK before it are skipped (12 and 18 bytes, and
 * the 20 bytes of a reply the capture caught the end of); the zlib query
 * (the 54-byte COM_QUERY SELECT "0123...789" as zlib's compress() writes
 * it) says it; the server gets in step at its stored ERR 1064 (a reply:
 * sequence id 1); the client's stored COM_QUIT is read. */
static void test_mid_stream_compressed(void **state)
{
	static const uint8_t tail[20] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
					 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	static const uint8_t ping[] = {0x05, 0,	   0, 0, 0, 0,
				       0,    0x01, 0, 0, 0, 0x0e};
	static const uint8_t ok[] = {0x0b, 0,	 0, 0x01, 0, 0,	   0, 0x07, 0,
				     0,	   0x01, 0, 0,	  0, 0x02, 0, 0,    0};
	static const uint8_t query[] = {
		0x22, 0x00, 0x00, 0x00, 0x36, 0x00, 0x00, 0x78, 0x9c,
		0x33, 0x62, 0x60, 0x60, 0x60, 0x0e, 0x76, 0xf5, 0x71,
		0x75, 0x0e, 0x51, 0x50, 0x32, 0x30, 0x34, 0x32, 0x36,
		0x31, 0x35, 0x33, 0xb7, 0xb0, 0xc4, 0xcf, 0x52, 0x02,
		0x00, 0x16, 0xf5, 0x0a, 0x8e};
	static const uint8_t err[] = {
		0x0f, 0,    0,	  0x01, 0,   0,	  0, /* stored, seq 1 */
		0x0b, 0,    0,	  0x01,		     /* ERR, seq 1 */
		0xff, 0x28, 0x04, '#',	'4', '2', '0', '0', '0', 'x', 'y'};
	static const uint8_t quit[] = {0x05, 0,	   0, 0, 0, 0,
				       0,    0x01, 0, 0, 0, 0x01};
	struct bench b;
	const struct cap_conn *c;

	(void)state;
	bench_init(&b, NULL);
	seg(&b, CAP_S2C, CAP_TH_ACK, tail, sizeof(tail));
	seg(&b, CAP_C2S, CAP_TH_ACK, ping, sizeof(ping));
	seg(&b, CAP_S2C, CAP_TH_ACK, ok, sizeof(ok));
	seg(&b, CAP_C2S, CAP_TH_ACK, query, sizeof(query));
	seg(&b, CAP_S2C, CAP_TH_ACK, err, sizeof(err));
	seg(&b, CAP_C2S, CAP_TH_ACK, quit, sizeof(quit));
	cap_engine_finish(b.e);
	assert_int_equal(b.r.nconns, 1);
	c = &b.r.conns[0];
	assert_true(c->mid_stream);
	assert_true(c->my.compressed);
	assert_true(c->my.compress_inferred);
	assert_int_equal(c->my.compress_algo, 1); /* zlib */
	assert_int_equal(c->my.skipped[CAP_C2S], sizeof(ping));
	assert_int_equal(c->my.skipped[CAP_S2C], sizeof(tail) + sizeof(ok));
	assert_int_equal(c->my.an[CAP_AN_INFLATE].count, 0);
	assert_int_equal(b.r.ncmds, 2);
	assert_int_equal(b.r.cmds[0].cmd, MYSQL_COM_QUERY);
	assert_string_equal(
		b.r.cmds[0].arg,
		"SELECT \"0123456789012345678901234567890123456789\"");
	assert_int_equal(b.r.cmds[0].result, CAP_RES_ERR);
	assert_int_equal(b.r.cmds[0].err.code, 1064);
	assert_int_equal(b.r.cmds[1].cmd, MYSQL_COM_QUIT);
	bench_free(&b);
}

/* A new SYN (another ISN) on a closed tuple is a new connection. */
static void test_port_reuse(void **state)
{
	struct bench b;
	struct conv cv;

	(void)state;
	session(&cv);
	bench_init(&b, NULL);
	handshake(&b);
	send_conv(&b, &cv, 4096, 0);
	/* both FINs, the last ACK not seen: the flow lingers */
	seg(&b, CAP_C2S, CAP_TH_FIN | CAP_TH_ACK, NULL, 0);
	seg(&b, CAP_S2C, CAP_TH_FIN | CAP_TH_ACK, NULL, 0);
	assert_int_equal(b.r.nconns, 0);
	assert_int_equal(cap_engine_open(b.e), 1);
	b.seq[0] += 100000;
	b.seq[1] += 777;
	b.t += SEC / 2; /* within the linger */
	handshake(&b);
	assert_int_equal(b.r.nconns, 1); /* the first, handed out */
	send_conv(&b, &cv, 4096, 0);
	close_both(&b);
	/* all acknowledged: out at once, no linger */
	assert_int_equal(b.r.nconns, 2);
	assert_int_equal(cap_engine_open(b.e), 0);
	cap_engine_finish(b.e);
	assert_int_equal(b.r.nconns, 2);
	assert_int_equal(b.r.conns[0].id, 1);
	assert_int_equal(b.r.conns[1].id, 2);
	assert_int_equal(b.r.conns[1].syn.n, 1);
	assert_int_equal(b.r.conns[1].my.commands, 3);
	assert_int_equal(b.r.ncmds, 6);
	bench_free(&b);
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

static const struct cd_evidence *ev(const struct cd_finding *f, const char *key)
{
	unsigned i;

	for (i = 0; i < f->nev; i++)
		if (!strcmp(f->ev[i].key, key))
			return &f->ev[i];
	fail_msg("no evidence %s in %s", key, f->def->code);
	return NULL;
}

/* Prepared statements (binary rows), COM_FIELD_LIST, COM_CHANGE_USER and a
 * binlog dump with a heartbeat, answered as the protocol pages show. */
static void test_other_commands(void **state)
{
	static const uint8_t coldef[] = {3,   'd', 'e',	 'f',  0, 0,  0, 1,
					 'x', 0,   0x0c, 0x3f, 0, 11, 0, 0,
					 0,   3,   0,	 0,    0, 0,  0};
	static const uint8_t eof[] = {0xfe, 0, 0, 2, 0};
	static const uint8_t prep_ok[] = {0, 7, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0};
	static const uint8_t exec[] = {
		MYSQL_COM_STMT_EXECUTE, 7, 0, 0, 0, 0, 1, 0, 0, 0};
	static const uint8_t brow[] = {0, 0, 42, 0, 0, 0};
	uint8_t hb[32] = {0}, ev[32] = {0};
	struct mysql_ok ok;
	struct bench b;
	struct conv cv;
	uint8_t p[64];
	long n;
	int i;

	(void)state;
	cv.n = 0;
	greeting_login(&cv);
	n = mysql_command_write(p, sizeof(p), MYSQL_COM_STMT_PREPARE,
				"SELECT ?", 8);
	put(&cv, CAP_C2S, p, (size_t)n, 0);
	put(&cv, CAP_S2C, prep_ok, sizeof(prep_ok), 1);
	put_more(&cv, coldef, sizeof(coldef), 2); /* the parameter */
	put_more(&cv, eof, sizeof(eof), 3);
	put_more(&cv, coldef, sizeof(coldef), 4); /* the column */
	put_more(&cv, eof, sizeof(eof), 5);
	put(&cv, CAP_C2S, exec, sizeof(exec), 0);
	p[0] = 1;
	put(&cv, CAP_S2C, p, 1, 1);
	put_more(&cv, coldef, sizeof(coldef), 2);
	put_more(&cv, eof, sizeof(eof), 3);
	for (i = 0; i < 3; i++)
		put_more(&cv, brow, sizeof(brow), (uint8_t)(4 + i));
	put_more(&cv, eof, sizeof(eof), 7);
	n = mysql_command_write(p, sizeof(p), MYSQL_COM_FIELD_LIST, "t\0", 2);
	put(&cv, CAP_C2S, p, (size_t)n, 0);
	put(&cv, CAP_S2C, coldef, sizeof(coldef), 1);
	put_more(&cv, coldef, sizeof(coldef), 2);
	put_more(&cv, eof, sizeof(eof), 3);
	n = mysql_command_write(p, sizeof(p), MYSQL_COM_CHANGE_USER,
				"other\0\0db\0", 11);
	put(&cv, CAP_C2S, p, (size_t)n, 0);
	memset(&ok, 0, sizeof(ok));
	n = mysql_ok_write(p, sizeof(p), CAPS, &ok);
	put(&cv, CAP_S2C, p, (size_t)n, 1);
	/* binlog: pos 4, server_id 99; an event, then a heartbeat (27) */
	n = mysql_command_write(p, sizeof(p), MYSQL_COM_BINLOG_DUMP,
				"\x04\0\0\0\0\0\x63\0\0\0", 10);
	put(&cv, CAP_C2S, p, (size_t)n, 0);
	ev[5] = 4; /* ROTATE_EVENT */
	put(&cv, CAP_S2C, ev, sizeof(ev), 1);
	hb[5] = 27;
	put(&cv, CAP_S2C, hb, sizeof(hb), 2);

	bench_init(&b, NULL);
	handshake(&b);
	send_conv(&b, &cv, 4096, 0);
	b.t += 3 * SEC;
	seg(&b, CAP_S2C, CAP_TH_ACK | CAP_TH_PSH, hb, 0);
	close_both(&b);
	cap_engine_finish(b.e);
	assert_int_equal(b.r.ncmds, 5);
	assert_int_equal(b.r.cmds[0].cmd, MYSQL_COM_STMT_PREPARE);
	assert_string_equal(b.r.cmds[0].arg, "SELECT ?");
	assert_int_equal(b.r.cmds[0].result, CAP_RES_DATA);
	assert_int_equal(b.r.cmds[0].insert_id, 7); /* the statement id */
	assert_int_equal(b.r.cmds[1].cmd, MYSQL_COM_STMT_EXECUTE);
	assert_string_equal(b.r.cmds[1].arg, "statement 7");
	assert_int_equal(b.r.cmds[1].result, CAP_RES_ROWS);
	assert_int_equal(b.r.cmds[1].rows, 3);
	assert_int_equal(b.r.cmds[2].cmd, MYSQL_COM_FIELD_LIST);
	assert_string_equal(b.r.cmds[2].arg, "t");
	assert_int_equal(b.r.cmds[2].result, CAP_RES_DATA);
	assert_int_equal(b.r.cmds[3].cmd, MYSQL_COM_CHANGE_USER);
	assert_string_equal(b.r.cmds[3].arg, "other");
	assert_int_equal(b.r.cmds[3].result, CAP_RES_OK);
	assert_int_equal(b.r.cmds[4].cmd, MYSQL_COM_BINLOG_DUMP);
	assert_string_equal(b.r.cmds[4].arg, "-:4 server_id 99");
	assert_int_equal(b.r.cmds[4].result, CAP_RES_STREAM);
	assert_int_equal(b.r.conns[0].my.change_user, 1);
	assert_int_equal(b.r.conns[0].my.binlog_events, 2);
	assert_int_equal(b.r.conns[0].my.heartbeats, 1);
	assert_int_equal(b.r.conns[0].my.errors, 0);
	for (i = 0; i < CAP_AN__COUNT; i++)
		assert_int_equal(b.r.conns[0].my.an[i].count, 0);
	bench_free(&b);
}

/* SYNs at 0, 1, 2, 3 s (the linear first timeouts), answered at 3 s. */
static void test_syn_ladder(void **state)
{
	struct bench b;
	struct cd_findings f;
	const struct cd_finding *x;
	const struct cd_evidence *e;
	int i;

	(void)state;
	bench_init(&b, NULL);
	for (i = 0; i < 4; i++) {
		seg_at(&b, CAP_C2S, CAP_TH_SYN, b.isn[0], NULL, 0, 0);
		b.t += SEC - 100;
	}
	b.t -= SEC - 100;
	b.t += 200;
	b.seq[0]++;
	seg(&b, CAP_S2C, CAP_TH_SYN | CAP_TH_ACK, NULL, 0);
	seg(&b, CAP_C2S, CAP_TH_ACK, NULL, 0);
	cap_engine_finish(b.e);
	assert_int_equal(b.r.nconns, 1);
	assert_int_equal(b.r.conns[0].syn.n, 4);
	cd_findings_init(&f);
	assert_int_equal(cap_rules_conn(&b.r.conns[0], &f), 0);
	x = find(&f, "CD3020");
	assert_non_null(x);
	e = ev(x, "intervals_s");
	assert_int_equal(e->n, 3);
	for (i = 0; i < 3; i++)
		assert_float_equal(e->v[i], 1.0, 1e-3);
	assert_float_equal(ev(x, "connect_s")->v[0], 3.0003, 1e-3);
	assert_non_null(strstr(x->evidence, "linear"));
	cd_findings_free(&f);
	bench_free(&b);
}

/* The client ACKs the SYN-ACK; the server resends it at 1 and 3 s. */
static void test_third_ack_lost(void **state)
{
	struct bench b;
	struct cd_findings f;
	const struct cd_finding *x;

	(void)state;
	bench_init(&b, NULL);
	handshake(&b);
	b.t += SEC;
	seg_at(&b, CAP_S2C, CAP_TH_SYN | CAP_TH_ACK, b.isn[1], NULL, 0, 0);
	seg_at(&b, CAP_C2S, CAP_TH_ACK, b.seq[0], NULL, 0, 0);
	b.t += 2 * SEC;
	seg_at(&b, CAP_S2C, CAP_TH_SYN | CAP_TH_ACK, b.isn[1], NULL, 0, 0);
	cap_engine_finish(b.e);
	assert_int_equal(b.r.conns[0].synack.n, 3);
	assert_int_equal(b.r.conns[0].synack_after_ack, 2);
	assert_false(b.r.conns[0].established);
	cd_findings_init(&f);
	cap_rules_conn(&b.r.conns[0], &f);
	x = find(&f, "CD3024");
	assert_non_null(x);
	assert_int_equal(x->severity, CD_SEV_CRITICAL);
	assert_float_equal(ev(x, "synack_after_ack")->v[0], 2, 0);
	assert_float_equal(ev(x, "greeting")->v[0], 0, 0);
	assert_float_equal(ev(x, "client_waited_s")->v[0], 3.0, 0.01);
	assert_null(find(&f, "CD3031")); /* the half-open case says it */
	cd_findings_free(&f);
	bench_free(&b);
}

/* SYN answered by RST, and a SYN never answered. */
static void test_refused_and_unanswered(void **state)
{
	struct bench b;
	struct cd_findings f;

	(void)state;
	bench_init(&b, NULL);
	seg(&b, CAP_C2S, CAP_TH_SYN, NULL, 0);
	seg_at(&b, CAP_S2C, CAP_TH_RST | CAP_TH_ACK, 0, NULL, 0, 0);
	b.ep[0].port++;
	seg_at(&b, CAP_C2S, CAP_TH_SYN, 5000, NULL, 0, 0);
	b.t += SEC;
	seg_at(&b, CAP_C2S, CAP_TH_SYN, 5000, NULL, 0, 0);
	cap_engine_finish(b.e);
	assert_int_equal(b.r.nconns, 2);
	cd_findings_init(&f);
	cap_rules_conn(&b.r.conns[0], &f);
	assert_non_null(find(&f, "CD3022"));
	cd_findings_free(&f);
	cd_findings_init(&f);
	cap_rules_conn(&b.r.conns[1], &f);
	assert_non_null(find(&f, "CD3021"));
	assert_float_equal(ev(find(&f, "CD3021"), "syn_count")->v[0], 2, 0);
	cd_findings_free(&f);
	bench_free(&b);
}

/* Field report 002: a line of text in the client's stream, then ERR 1156
 * and a reset. */
static void test_text_in_stream(void **state)
{
	static const char line[] = "Warning: something\n";
	struct mysql_err e;
	struct bench b;
	struct conv cv;
	struct cd_findings f;
	const struct cd_finding *x;
	uint8_t p[128];
	long n;

	(void)state;
	cv.n = 0;
	greeting_login(&cv);
	bench_init(&b, NULL);
	handshake(&b);
	send_conv(&b, &cv, 4096, 0);
	seg(&b, CAP_C2S, CAP_TH_ACK | CAP_TH_PSH, (const uint8_t *)line,
	    sizeof(line) - 1);
	memset(&e, 0, sizeof(e));
	e.code = 1156;
	strcpy(e.sqlstate, "08S01");
	strcpy(e.message, "Got packets out of order");
	n = mysql_err_write(p + 4, sizeof(p) - 4, &e);
	mysql_frame_header(p, (uint32_t)n, 1);
	seg(&b, CAP_S2C, CAP_TH_ACK | CAP_TH_PSH, p, (size_t)n + 4);
	seg(&b, CAP_S2C, CAP_TH_RST | CAP_TH_ACK, NULL, 0);
	cap_engine_finish(b.e);
	assert_int_equal(b.r.conns[0].my.an[CAP_AN_TEXT].count, 1);
	assert_string_equal(b.r.conns[0].my.an[CAP_AN_TEXT].text,
			    "Warning: something\\n");
	assert_int_equal(b.r.conns[0].my.an[CAP_AN_TEXT].text_len,
			 sizeof(line) - 1);
	assert_true(b.r.conns[0].my.has_err1156);
	cd_findings_init(&f);
	cap_rules_conn(&b.r.conns[0], &f);
	x = find(&f, "CD8010");
	assert_non_null(x);
	assert_non_null(strstr(x->summary, "Warning: something"));
	assert_non_null(find(&f, "CD8011"));
	assert_null(find(&f, "CD3029")); /* not an idle cut */
	cd_findings_free(&f);
	bench_free(&b);
}

/* Keepalive probes after a silence, and a zero window. */
static void test_keepalive_zero_window(void **state)
{
	struct bench b;
	struct conv cv;
	struct cap_pkt p;

	(void)state;
	cv.n = 0;
	greeting_login(&cv);
	bench_init(&b, NULL);
	handshake(&b);
	send_conv(&b, &cv, 4096, 0);
	b.t += 60 * SEC;
	seg_at(&b, CAP_C2S, CAP_TH_ACK, b.seq[0] - 1, NULL, 0, 0);
	seg(&b, CAP_S2C, CAP_TH_ACK, NULL, 0);
	memset(&p, 0, sizeof(p));
	p.ts_us = b.t;
	p.src = b.ep[0];
	p.dst = b.ep[1];
	p.seq = b.seq[0];
	p.ack = b.seq[1];
	p.flags = CAP_TH_ACK;
	p.win = 0;
	cap_engine_packet(b.e, &p);
	p.ts_us += 2 * SEC;
	p.win = 100;
	cap_engine_packet(b.e, &p);
	cap_engine_finish(b.e);
	assert_int_equal(b.r.conns[0].dir[CAP_C2S].keepalives, 1);
	assert_int_equal(b.r.conns[0].dir[CAP_C2S].keepalive_acks, 1);
	assert_int_equal(b.r.conns[0].dir[CAP_C2S].retrans, 0);
	assert_int_equal(b.r.conns[0].dir[CAP_C2S].zero_windows, 1);
	assert_int_equal(b.r.conns[0].dir[CAP_C2S].zero_win_us, 2 * SEC);
	assert_true(b.r.conns[0].max_idle_us >= 60 * SEC);
	bench_free(&b);
}

/* Segments cut by the snapshot length: counted, framing kept. */
static void test_snaplen_cut(void **state)
{
	struct bench b;
	struct conv cv;
	size_t i;

	(void)state;
	session(&cv);
	bench_init(&b, NULL);
	handshake(&b);
	for (i = 0; i < cv.n; i++) {
		const struct msg *m = &cv.m[i];

		/* the result set (message 4) loses its last rows */
		seg_at(&b, m->dir, CAP_TH_ACK, b.seq[m->dir], m->b, m->n,
		       i == 4 ? 60 : m->n);
		b.seq[m->dir] += (uint32_t)m->n;
		seg(&b, !m->dir, CAP_TH_ACK, NULL, 0);
	}
	close_both(&b);
	cap_engine_finish(b.e);
	assert_int_equal(b.r.nconns, 1);
	assert_int_equal(b.r.conns[0].dir[CAP_S2C].truncated, 1);
	assert_int_equal(b.r.conns[0].dir[CAP_S2C].gaps, 0);
	assert_int_equal(b.r.conns[0].my.login, CAP_LOGIN_OK);
	assert_int_equal(b.r.ncmds, 3);
	assert_int_equal(b.r.cmds[0].result, CAP_RES_UNKNOWN);
	assert_int_equal(b.r.cmds[1].result, CAP_RES_ERR);
	for (i = 0; i < CAP_AN__COUNT; i++)
		assert_int_equal(b.r.conns[0].my.an[i].count, 0);
	bench_free(&b);
}

/* Many short connections one after the other: the table holds only those
 * open or lingering. */
static void test_memory_follows_open(void **state)
{
	struct cap_opts o;
	struct bench b;
	size_t most = 0;
	int i;

	(void)state;
	cap_opts_init(&o);
	o.linger_us = 2 * SEC;
	bench_init(&b, &o);
	for (i = 0; i < 2000; i++) {
		b.ep[0].port = (uint16_t)(20000 + i);
		b.seq[0] = (uint32_t)i * 7919u;
		handshake(&b);
		close_both(&b);
		b.t += SEC / 2;
		if (cap_engine_open(b.e) > most)
			most = cap_engine_open(b.e);
	}
	assert_true(most <= 6);
	assert_int_equal(b.r.nconns + cap_engine_open(b.e), 2000);
	cap_engine_finish(b.e);
	assert_int_equal(b.r.nconns, 2000);
	assert_int_equal(cap_engine_open(b.e), 0);
	assert_int_equal(cap_engine_totals(b.e)->conns, 2000);
	bench_free(&b);
}

/* Starts connection number i of the bench (client port 20000 + i). */
static void conn_as(struct bench *b, int i, const uint32_t seq[2])
{
	b->ep[0].port = (uint16_t)(20000 + i);
	b->seq[0] = seq ? seq[0] : 1000u * (uint32_t)(i + 1);
	b->seq[1] = seq ? seq[1] : 5000u * (uint32_t)(i + 1);
}

/* A handshake the server then speaks on: established, on the open list. */
static void open_conn(struct bench *b)
{
	handshake(b);
	seg(b, CAP_S2C, CAP_TH_ACK, NULL, 0);
}

/* At --max-flows, a new connection evicts the least recently active
 * handshake first, then the least recently active open connection. */
static void test_max_flows_evicts(void **state)
{
	struct cap_opts o;
	struct bench b;
	uint32_t a_seq[2];
	const struct cap_totals *t;

	(void)state;
	cap_opts_init(&o);
	o.max_flows = 3;
	bench_init(&b, &o);
	conn_as(&b, 0, NULL); /* A: open */
	open_conn(&b);
	memcpy(a_seq, b.seq, sizeof(a_seq));
	conn_as(&b, 1, NULL); /* B: a lone SYN */
	seg(&b, CAP_C2S, CAP_TH_SYN, NULL, 0);
	conn_as(&b, 2, NULL); /* C: open */
	open_conn(&b);
	conn_as(&b, 0, a_seq); /* A is active again: C is now the oldest */
	seg(&b, CAP_C2S, CAP_TH_ACK, NULL, 0);
	assert_int_equal(b.r.nconns, 0);
	conn_as(&b, 3, NULL); /* D: its SYN evicts B */
	seg(&b, CAP_C2S, CAP_TH_SYN, NULL, 0);
	conn_as(&b, 4, NULL); /* E: its SYN evicts D, the only handshake */
	open_conn(&b);
	conn_as(&b, 5, NULL); /* F: no handshake left, evicts C */
	seg(&b, CAP_C2S, CAP_TH_SYN, NULL, 0);

	assert_int_equal(b.r.nconns, 3);
	assert_int_equal(b.r.conns[0].client.port, 20001);
	assert_int_equal(b.r.conns[1].client.port, 20003);
	assert_int_equal(b.r.conns[2].client.port, 20002);
	assert_true(b.r.conns[0].evicted && b.r.conns[0].ended_by_capture);
	assert_false(b.r.conns[0].established);
	assert_true(b.r.conns[2].evicted && b.r.conns[2].established);
	t = cap_engine_totals(b.e);
	assert_int_equal(t->evicted_embryonic, 2);
	assert_int_equal(t->evicted_open, 1);
	assert_int_equal(t->open_peak, 3);
	assert_int_equal(cap_engine_open(b.e), 3);
	cap_engine_finish(b.e);
	assert_int_equal(b.r.nconns, 6);
	assert_int_equal(b.r.conns[3].client.port, 20000);
	assert_false(b.r.conns[3].evicted);
	assert_true(b.r.conns[3].ended_by_capture);
	bench_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_whole),
		cmocka_unit_test(test_session_split_every_byte),
		cmocka_unit_test(test_reorder_and_resend),
		cmocka_unit_test(test_gap_then_resync),
		cmocka_unit_test(test_mid_stream),
		cmocka_unit_test(test_mid_stream_compressed),
		cmocka_unit_test(test_port_reuse),
		cmocka_unit_test(test_other_commands),
		cmocka_unit_test(test_syn_ladder),
		cmocka_unit_test(test_third_ack_lost),
		cmocka_unit_test(test_refused_and_unanswered),
		cmocka_unit_test(test_text_in_stream),
		cmocka_unit_test(test_keepalive_zero_window),
		cmocka_unit_test(test_snaplen_cut),
		cmocka_unit_test(test_memory_follows_open),
		cmocka_unit_test(test_max_flows_evicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
