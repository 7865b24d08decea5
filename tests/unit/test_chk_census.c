/* test_chk_census.c - the sock_diag message parser on hand-made netlink
 * byte vectors (inet_diag and unix_diag replies, NLMSG_DONE/ERROR, bad and
 * cut lengths, every prefix under a guard page) and the choice of mysqld's
 * side of its Unix socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/tcp.h>

#include "check/census.h"
#include "guard.h"

/* Netlink and diag constants, written out so the vectors do not depend on
 * the code under test (linux/netlink.h, sock_diag.h, unix_diag.h). */
#define T_NOOP	   1
#define T_ERROR	   2
#define T_DONE	   3
#define T_OVERRUN  4
#define T_DIAG	   20
#define F_INET	   2
#define F_INET6	   10
#define F_UNIX	   1
#define U_NAME	   0
#define U_PEER	   2
#define U_ICONS	   3
#define U_RQLEN	   4
#define I_INFO	   2
#define I_SHUTDOWN 8

struct nlbuf {
	uint8_t b[16384];
	size_t n;
};

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void bytes(struct nlbuf *nb, const void *p, size_t n)
{
	assert_true(nb->n + n <= sizeof(nb->b));
	memcpy(nb->b + nb->n, p, n);
	nb->n += n;
}

static void pad4(struct nlbuf *nb)
{
	static const uint8_t z[4];

	bytes(nb, z, (4 - nb->n % 4) % 4);
}

/* Starts a message; returns where its header is. */
static size_t msg_begin(struct nlbuf *nb, uint16_t type)
{
	uint8_t h[16] = {0};
	size_t at = nb->n;

	put16(h + 4, type);
	put16(h + 6, 2); /* NLM_F_MULTI */
	put32(h + 8, 1);
	bytes(nb, h, sizeof(h));
	return at;
}

static void msg_end(struct nlbuf *nb, size_t at)
{
	put32(nb->b + at, (uint32_t)(nb->n - at));
	pad4(nb);
}

static void attr(struct nlbuf *nb, uint16_t type, const void *data, size_t len)
{
	uint8_t h[4];

	put16(h, (uint16_t)(4 + len));
	put16(h + 2, type);
	bytes(nb, h, 4);
	bytes(nb, data, len);
	pad4(nb);
}

struct isock {
	uint8_t family, state, timer, retrans;
	uint16_t sport, dport;
	uint8_t src[16], dst[16];
	uint32_t expires, rq, wq, uid, inode;
};

/* The 72 bytes of struct inet_diag_msg. */
static void inet_body(struct nlbuf *nb, const struct isock *s)
{
	uint8_t m[72] = {0};

	m[0] = s->family;
	m[1] = s->state;
	m[2] = s->timer;
	m[3] = s->retrans;
	m[4] = (uint8_t)(s->sport >> 8); /* network order */
	m[5] = (uint8_t)s->sport;
	m[6] = (uint8_t)(s->dport >> 8);
	m[7] = (uint8_t)s->dport;
	memcpy(m + 8, s->src, 16);
	memcpy(m + 24, s->dst, 16);
	put32(m + 44, 0x11223344); /* cookie */
	put32(m + 52, s->expires);
	put32(m + 56, s->rq);
	put32(m + 60, s->wq);
	put32(m + 64, s->uid);
	put32(m + 68, s->inode);
	bytes(nb, m, sizeof(m));
}

static void inet_msg(struct nlbuf *nb, const struct isock *s)
{
	size_t at = msg_begin(nb, T_DIAG);

	inet_body(nb, s);
	msg_end(nb, at);
}

static struct isock v4(uint8_t state, uint16_t sport, uint16_t dport,
		       uint32_t inode)
{
	struct isock s;
	static const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};

	memset(&s, 0, sizeof(s));
	s.family = F_INET;
	s.state = state;
	s.sport = sport;
	s.dport = dport;
	memcpy(s.src, a, 4);
	memcpy(s.dst, b, 4);
	s.inode = inode;
	return s;
}

static void done_msg(struct nlbuf *nb, int32_t status)
{
	size_t at = msg_begin(nb, T_DONE);
	uint8_t v[4];

	put32(v, (uint32_t)status);
	bytes(nb, v, 4);
	msg_end(nb, at);
}

static void error_msg(struct nlbuf *nb, int32_t e)
{
	size_t at = msg_begin(nb, T_ERROR);
	uint8_t v[20] = {0};

	put32(v, (uint32_t)e);
	bytes(nb, v, sizeof(v)); /* error + the request's header */
	msg_end(nb, at);
}

struct usock {
	uint8_t type, state;
	uint32_t inode, peer;
	const char *name; /* NULL: no name attribute */
	size_t namelen;	  /* 0: strlen(name) */
	int rqlen;
	uint32_t rq, wq;
	const uint32_t *icons;
	size_t nicons;
};

static void unix_msg(struct nlbuf *nb, const struct usock *u)
{
	size_t at = msg_begin(nb, T_DIAG);
	uint8_t m[16] = {0}, q[8];

	m[0] = F_UNIX;
	m[1] = u->type;
	m[2] = u->state;
	put32(m + 4, u->inode);
	bytes(nb, m, sizeof(m));
	if (u->name)
		attr(nb, U_NAME, u->name,
		     u->namelen ? u->namelen : strlen(u->name));
	if (u->peer) {
		uint8_t p[4];

		put32(p, u->peer);
		attr(nb, U_PEER, p, 4);
	}
	if (u->rqlen) {
		put32(q, u->rq);
		put32(q + 4, u->wq);
		attr(nb, U_RQLEN, q, 8);
	}
	if (u->icons) {
		uint8_t ic[64];
		size_t i;

		for (i = 0; i < u->nicons; i++)
			put32(ic + 4 * i, u->icons[i]);
		attr(nb, U_ICONS, ic, 4 * u->nicons);
	}
	msg_end(nb, at);
}

static const uint16_t mysql_ports[] = {3306, 3307};

struct fx {
	struct chk_census c;
	struct chk_diag_parse p;
	struct nlbuf nb;
};

static struct fx *fx_new(const char *unix_path)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->p.ports = mysql_ports;
	f->p.nports = 2;
	f->p.unix_path = unix_path;
	f->p.c = &f->c;
	return f;
}

static void fx_free(struct fx *f)
{
	chk_diag_parse_free(&f->p);
	chk_census_free(&f->c);
	free(f);
}

static enum chk_diag_rc parse(struct fx *f)
{
	return chk_sockdiag_parse(&f->p, f->nb.b, f->nb.n);
}

static void test_inet4_fields(void **state)
{
	struct fx *f = fx_new(NULL);
	struct isock s = v4(1, 40000, 3306, 777);
	const struct chk_sock *k;
	char ep[128];

	(void)state;
	s.timer = 2;
	s.retrans = 3;
	s.expires = 7200000;
	s.rq = 5;
	s.wq = 9;
	s.uid = 1000;
	inet_msg(&f->nb, &s);
	assert_int_equal(parse(f), CHK_DIAG_MORE);
	assert_int_equal(f->c.ntcp, 1);
	assert_int_equal(f->p.nmsgs, 1);
	k = &f->c.tcp[0];
	assert_int_equal(k->family, F_INET);
	assert_int_equal(k->state, CHK_TCP_ESTABLISHED);
	assert_int_equal(k->timer, 2);
	assert_int_equal(k->retrans, 3);
	assert_int_equal(k->sport, 40000);
	assert_int_equal(k->dport, 3306);
	assert_int_equal(k->expires_ms, 7200000);
	assert_int_equal(k->rqueue, 5);
	assert_int_equal(k->wqueue, 9);
	assert_int_equal(k->uid, 1000);
	assert_int_equal(k->inode, 777);
	assert_int_equal(k->server_side, 0);
	assert_true(IN6_IS_ADDR_V4MAPPED(&k->src));
	assert_int_equal(k->src.s6_addr[12], 10);
	assert_int_equal(k->src.s6_addr[15], 1);
	assert_int_equal(k->dst.s6_addr[15], 2);
	chk_sock_endpoints(k, ep, sizeof(ep));
	assert_string_equal(ep, "10.0.0.1:40000 -> 10.0.0.2:3306");
	fx_free(f);
}

static void test_inet6_fields(void **state)
{
	struct fx *f = fx_new(NULL);
	struct isock s = v4(10, 3307, 0, 55);
	char ep[128];

	(void)state;
	s.family = F_INET6;
	memset(s.src, 0, 16); /* :: */
	memset(s.dst, 0, 16);
	s.dst[0] = 0xfe;
	s.dst[1] = 0x80;
	s.dst[15] = 1;
	s.rq = 3;
	s.wq = 80;
	inet_msg(&f->nb, &s);
	assert_int_equal(parse(f), CHK_DIAG_MORE);
	assert_int_equal(f->c.ntcp, 1);
	assert_int_equal(f->c.tcp[0].state, CHK_TCP_LISTEN);
	assert_int_equal(f->c.tcp[0].server_side, 1);
	assert_int_equal(f->c.tcp[0].wqueue, 80);
	chk_sock_endpoints(&f->c.tcp[0], ep, sizeof(ep));
	assert_string_equal(ep, "[::]:3307 -> [fe80::1]:0");
	fx_free(f);
}

static void test_port_filter(void **state)
{
	struct fx *f = fx_new(NULL);
	struct isock a = v4(1, 40000, 3306, 1), b = v4(1, 3306, 40000, 2),
		     c = v4(1, 40001, 22, 3), d = v4(12, 3307, 5000, 0);

	(void)state;
	d.retrans = 2; /* TCP_NEW_SYN_RECV: a request socket */
	inet_msg(&f->nb, &a);
	inet_msg(&f->nb, &b);
	inet_msg(&f->nb, &c);
	inet_msg(&f->nb, &d);
	assert_int_equal(parse(f), CHK_DIAG_MORE);
	assert_int_equal(f->p.nmsgs, 4);
	assert_int_equal(f->c.ntcp, 3); /* the ssh socket is not kept */
	assert_int_equal(f->c.tcp[0].server_side, 0);
	assert_int_equal(f->c.tcp[1].server_side, 1);
	assert_int_equal(f->c.tcp[2].state, CHK_TCP_SYN_RECV);
	assert_int_equal(f->c.tcp[2].server_side, 1);
	assert_int_equal(f->c.tcp[2].retrans, 2);
	/* No ports: every socket is kept. */
	f->c.ntcp = 0;
	f->p.nports = 0;
	assert_int_equal(parse(f), CHK_DIAG_MORE);
	assert_int_equal(f->c.ntcp, 4);
	fx_free(f);
}

static void test_inet_attrs(void **state)
{
	struct fx *f = fx_new(NULL);
	struct isock s = v4(1, 40000, 3306, 9);
	uint8_t sd = 0, bad[4];
	size_t at;

	(void)state;
	/* Attributes after the message (shutdown, padded) are stepped. */
	at = msg_begin(&f->nb, T_DIAG);
	inet_body(&f->nb, &s);
	attr(&f->nb, I_SHUTDOWN, &sd, 1);
	attr(&f->nb, 99, "abcdefgh", 8);
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_MORE);
	assert_int_equal(f->c.ntcp, 1);

	/* An attribute shorter than its header. */
	f->nb.n = 0;
	at = msg_begin(&f->nb, T_DIAG);
	inet_body(&f->nb, &s);
	put16(bad, 3);
	put16(bad + 2, I_SHUTDOWN);
	bytes(&f->nb, bad, 4);
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);

	/* An attribute longer than the message around it. */
	f->nb.n = 0;
	at = msg_begin(&f->nb, T_DIAG);
	inet_body(&f->nb, &s);
	put16(bad, 12);
	put16(bad + 2, I_SHUTDOWN);
	bytes(&f->nb, bad, 4);
	bytes(&f->nb, "abcd", 4);
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);

	/* Two bytes of trailing garbage: not even an attribute header. */
	f->nb.n = 0;
	at = msg_begin(&f->nb, T_DIAG);
	inet_body(&f->nb, &s);
	bytes(&f->nb, "xy", 2);
	put32(f->nb.b + at, (uint32_t)(f->nb.n - at));
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	fx_free(f);
}

/* INET_DIAG_INFO: the tcp_info fields watch's replica link reads; one
 * shorter than bytes_received's end (an old kernel) is stepped over. */
static void test_inet_tcp_info(void **state)
{
	struct fx *f = fx_new(NULL);
	struct isock s = v4(1, 40000, 3306, 9);
	uint8_t info[sizeof(struct tcp_info)];
	uint64_t rx = 0x123456789aULL;
	size_t at;

	(void)state;
	memset(info, 0, sizeof(info));
	put32(info + offsetof(struct tcp_info, tcpi_last_data_recv), 4500);
	put32(info + offsetof(struct tcp_info, tcpi_total_retrans), 7);
	memcpy(info + offsetof(struct tcp_info, tcpi_bytes_received), &rx, 8);
	at = msg_begin(&f->nb, T_DIAG);
	inet_body(&f->nb, &s);
	attr(&f->nb, I_INFO, info, sizeof(info));
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_MORE);
	assert_int_equal(f->c.ntcp, 1);
	assert_int_equal(f->c.tcp[0].have_info, 1);
	assert_int_equal(f->c.tcp[0].last_data_recv_ms, 4500);
	assert_int_equal(f->c.tcp[0].total_retrans, 7);
	assert_true(f->c.tcp[0].bytes_received == rx);

	f->nb.n = 0;
	f->c.ntcp = 0;
	at = msg_begin(&f->nb, T_DIAG);
	inet_body(&f->nb, &s);
	attr(&f->nb, I_INFO, info,
	     offsetof(struct tcp_info, tcpi_bytes_received) + 7);
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_MORE);
	assert_int_equal(f->c.ntcp, 1);
	assert_int_equal(f->c.tcp[0].have_info, 0);
	assert_int_equal(f->c.tcp[0].last_data_recv_ms, 0);
	fx_free(f);
}

static void test_bad_lengths(void **state)
{
	struct fx *f = fx_new(NULL);
	struct isock s = v4(1, 40000, 3306, 9);
	uint8_t fam = 42;
	size_t at;

	(void)state;
	/* nlmsg_len below the header's own size. */
	inet_msg(&f->nb, &s);
	put32(f->nb.b, 15);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	/* nlmsg_len beyond the buffer: the read cut it. */
	put32(f->nb.b, (uint32_t)f->nb.n + 4);
	assert_int_equal(parse(f), CHK_DIAG_TRUNCATED);
	/* A complete message too short for inet_diag_msg. */
	f->nb.n = 0;
	at = msg_begin(&f->nb, T_DIAG);
	bytes(&f->nb, "\x02\x01\x00\x00", 4);
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	/* No payload at all. */
	f->nb.n = 0;
	at = msg_begin(&f->nb, T_DIAG);
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	/* An address family no diag dump has. */
	f->nb.n = 0;
	at = msg_begin(&f->nb, T_DIAG);
	bytes(&f->nb, &fam, 1);
	bytes(&f->nb,
	      "0123456789012345678901234567890123456789"
	      "0123456789012345678901234567890",
	      71);
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	/* A TCP state no kernel has. */
	f->nb.n = 0;
	s.state = 0;
	inet_msg(&f->nb, &s);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	f->nb.n = 0;
	s.state = 16;
	inet_msg(&f->nb, &s);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	/* A message type we never asked for. */
	f->nb.n = 0;
	at = msg_begin(&f->nb, 0x77);
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	assert_int_equal(f->c.ntcp, 0);
	fx_free(f);
}

static void test_done_and_errors(void **state)
{
	struct fx *f = fx_new(NULL);
	struct isock s = v4(6, 40000, 3306, 0);
	size_t at;

	(void)state;
	/* Records, then DONE: everything before DONE is kept. */
	inet_msg(&f->nb, &s);
	done_msg(&f->nb, 0);
	assert_int_equal(parse(f), CHK_DIAG_DONE);
	assert_int_equal(f->c.ntcp, 1);
	/* DONE carrying a failure. */
	f->nb.n = 0;
	done_msg(&f->nb, -1); /* -EPERM */
	assert_int_equal(parse(f), CHK_DIAG_ERROR);
	assert_int_equal(f->p.nl_errno, 1);
	/* DONE without a status (old kernels). */
	f->nb.n = 0;
	at = msg_begin(&f->nb, T_DONE);
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_DONE);
	/* An error (a rejected request). */
	f->nb.n = 0;
	error_msg(&f->nb, -22);
	assert_int_equal(parse(f), CHK_DIAG_ERROR);
	assert_int_equal(f->p.nl_errno, 22);
	/* An ACK, a NOOP, then records go on. */
	f->nb.n = 0;
	f->c.ntcp = 0;
	error_msg(&f->nb, 0);
	at = msg_begin(&f->nb, T_NOOP);
	msg_end(&f->nb, at);
	inet_msg(&f->nb, &s);
	assert_int_equal(parse(f), CHK_DIAG_MORE);
	assert_int_equal(f->c.ntcp, 1);
	/* A positive "errno", one beyond the kernel's range (found by the
	 * fuzzer: -INT32_MIN overflows), and an error without its status. */
	f->nb.n = 0;
	error_msg(&f->nb, 5);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	f->nb.n = 0;
	error_msg(&f->nb, INT32_MIN);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	f->nb.n = 0;
	done_msg(&f->nb, INT32_MIN);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	f->nb.n = 0;
	done_msg(&f->nb, -4096);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	f->nb.n = 0;
	at = msg_begin(&f->nb, T_ERROR);
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	f->nb.n = 0;
	at = msg_begin(&f->nb, T_OVERRUN);
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_ERROR);
	fx_free(f);
}

/* A dump in one buffer: boundaries of its messages in bounds[]. */
static size_t mixed_dump(struct nlbuf *nb, size_t *bounds)
{
	static const uint32_t icons[] = {300, 301};
	struct isock a = v4(1, 40000, 3306, 11), b = v4(10, 3306, 0, 12),
		     c = v4(6, 40002, 3306, 0);
	struct usock l = {1, 10, 100,	0, "/run/mysqld/mysqld.sock", 0, 1,
			  2, 80, icons, 2};
	struct usock x = {1, 1, 200, 101, NULL, 0, 1, 0, 0, NULL, 0};
	size_t n = 0;

	nb->n = 0;
	bounds[n++] = 0;
	inet_msg(nb, &a);
	bounds[n++] = nb->n;
	inet_msg(nb, &b);
	bounds[n++] = nb->n;
	inet_msg(nb, &c);
	bounds[n++] = nb->n;
	unix_msg(nb, &l);
	bounds[n++] = nb->n;
	unix_msg(nb, &x);
	bounds[n++] = nb->n;
	done_msg(nb, 0);
	bounds[n++] = nb->n;
	return n;
}

/* Every prefix, ending at a guard page: whole messages parse (MORE, DONE
 * at the very end), a cut one is TRUNCATED; nothing reads past the end. */
static void test_per_byte(void **state)
{
	size_t bounds[16], nb_bounds, cut, i;
	struct nlbuf *nb = calloc(1, sizeof(*nb));
	struct guard g;

	(void)state;
	assert_non_null(nb);
	nb_bounds = mixed_dump(nb, bounds);
	guard_init(&g, nb->n);
	for (cut = 0; cut <= nb->n; cut++) {
		struct fx *f = fx_new("/run/mysqld/mysqld.sock");
		const uint8_t *at = guard_put(&g, nb->b, cut);
		enum chk_diag_rc rc = chk_sockdiag_parse(&f->p, at, cut);
		int boundary = 0;

		for (i = 0; i < nb_bounds; i++)
			if (bounds[i] == cut)
				boundary = 1;
		if (cut == nb->n)
			assert_int_equal(rc, CHK_DIAG_DONE);
		else if (boundary)
			assert_int_equal(rc, CHK_DIAG_MORE);
		else
			assert_int_equal(rc, CHK_DIAG_TRUNCATED);
		fx_free(f);
	}
	/* The whole: 3 TCP sockets, 2 Unix ones, the listener's 2 icons. */
	{
		struct fx *f = fx_new("/run/mysqld/mysqld.sock");

		assert_int_equal(chk_sockdiag_parse(&f->p, nb->b, nb->n),
				 CHK_DIAG_DONE);
		assert_int_equal(f->c.ntcp, 3);
		assert_int_equal(f->c.nunix, 2);
		assert_int_equal(f->p.nicons, 2);
		assert_int_equal(f->p.icons[1], 301);
		fx_free(f);
	}
	guard_free(&g);
	free(nb);
}

static void test_unix_fields(void **state)
{
	struct fx *f = fx_new("/run/mysqld/mysqld.sock");
	static const uint32_t icons[] = {7, 8, 9};
	struct usock l = {1, 10, 100,	0, "/run/mysqld/mysqld.sock", 0, 1,
			  3, 80, icons, 3};
	/* The kernel may include the path's NUL. */
	struct usock srv = {1, 1, 101,	201, "/run/mysqld/mysqld.sock\0", 24, 1,
			    0, 0, NULL, 0};
	struct usock cli = {1, 1, 201, 101, NULL, 0, 1, 0, 0, NULL, 0};
	struct usock abs = {1, 1, 202, 0, "\0abstract", 9, 0, 0, 0, NULL, 0};
	struct usock other = {1, 10, 300,   0, "/run/other.sock", 0, 1,
			      0, 5,  icons, 3};
	struct usock dgram = {2, 7, 301, 0, NULL, 0, 0, 0, 0, NULL, 0};

	(void)state;
	unix_msg(&f->nb, &l);
	unix_msg(&f->nb, &srv);
	unix_msg(&f->nb, &cli);
	unix_msg(&f->nb, &abs);
	unix_msg(&f->nb, &other);
	unix_msg(&f->nb, &dgram);
	assert_int_equal(parse(f), CHK_DIAG_MORE);
	assert_int_equal(f->p.nmsgs, 6);
	/* Other paths' sockets and datagram sockets are not kept; the
	 * abstract name is not our path either. */
	assert_int_equal(f->c.nunix, 3);
	assert_string_equal(f->c.unix_[0].path, "/run/mysqld/mysqld.sock");
	assert_int_equal(f->c.unix_[0].state, 10);
	assert_int_equal(f->c.unix_[0].rqueue, 3);
	assert_int_equal(f->c.unix_[0].wqueue, 80);
	assert_string_equal(f->c.unix_[1].path, "/run/mysqld/mysqld.sock");
	assert_int_equal(f->c.unix_[1].peer_inode, 201);
	assert_string_equal(f->c.unix_[2].path, "");
	assert_int_equal(f->c.unix_[2].inode, 201);
	/* Only the listener of our path gives icons. */
	assert_int_equal(f->p.nicons, 3);
	assert_int_equal(f->p.icons[0], 7);

	/* Without a path every stream socket is kept; abstract names are
	 * shown as "@name". */
	fx_free(f);
	f = fx_new(NULL);
	unix_msg(&f->nb, &abs);
	assert_int_equal(parse(f), CHK_DIAG_MORE);
	assert_int_equal(f->c.nunix, 1);
	assert_string_equal(f->c.unix_[0].path, "@abstract");
	fx_free(f);
}

static void test_unix_bad_attrs(void **state)
{
	struct fx *f = fx_new(NULL);
	char longname[120];
	struct usock u = {1, 1, 5, 0, longname, 109, 0, 0, 0, NULL, 0};
	uint8_t m[16] = {0}, p[2] = {0};
	size_t at;

	(void)state;
	memset(longname, 'a', sizeof(longname));
	unix_msg(&f->nb, &u); /* a name longer than sun_path */
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	/* A 108-byte name is the most there can be. */
	f->nb.n = 0;
	u.namelen = 108;
	unix_msg(&f->nb, &u);
	assert_int_equal(parse(f), CHK_DIAG_MORE);
	assert_int_equal(strlen(f->c.unix_[0].path), 107);

	m[0] = F_UNIX;
	m[1] = 1;
	f->nb.n = 0;
	at = msg_begin(&f->nb, T_DIAG);
	bytes(&f->nb, m, 16);
	attr(&f->nb, U_PEER, p, 2); /* a peer needs 4 bytes */
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	f->nb.n = 0;
	at = msg_begin(&f->nb, T_DIAG);
	bytes(&f->nb, m, 16);
	attr(&f->nb, U_RQLEN, "1234", 4); /* rqlen needs 8 */
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	f->nb.n = 0;
	at = msg_begin(&f->nb, T_DIAG);
	bytes(&f->nb, m, 16);
	attr(&f->nb, U_ICONS, "123456", 6); /* not whole u32s */
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	f->nb.n = 0;
	at = msg_begin(&f->nb, T_DIAG);
	bytes(&f->nb, m, 12); /* shorter than unix_diag_msg */
	msg_end(&f->nb, at);
	assert_int_equal(parse(f), CHK_DIAG_INVALID);
	fx_free(f);
}

static struct chk_usock us(uint32_t inode, uint32_t peer, uint8_t st,
			   const char *path)
{
	struct chk_usock u;

	memset(&u, 0, sizeof(u));
	u.inode = inode;
	u.peer_inode = peer;
	u.state = st;
	snprintf(u.path, sizeof(u.path), "%s", path);
	return u;
}

static void test_unix_select(void **state)
{
	const char *P = "/run/mysqld/mysqld.sock";
	struct chk_usock v[] = {
		us(10, 0, 10, P),	  /* listener */
		us(21, 31, 1, P),	  /* accepted end of client 31 */
		us(31, 21, 1, ""),	  /* client */
		us(22, 32, 1, P),	  /* accepted end of client 32 */
		us(32, 22, 1, ""),	  /* client */
		us(33, 0, 1, ""),	  /* client queued, not accepted */
		us(40, 41, 1, ""),	  /* a socketpair: not ours */
		us(41, 40, 1, ""),	  /* ... */
		us(50, 0, 10, "/x.sock"), /* another listener */
		us(51, 0, 7, ""),	  /* unconnected */
	};
	static const uint32_t icons[] = {33};
	struct chk_census c;
	size_t i, roles[4] = {0};

	(void)state;
	memset(&c, 0, sizeof(c));
	c.unix_ = malloc(sizeof(v));
	assert_non_null(c.unix_);
	memcpy(c.unix_, v, sizeof(v));
	c.nunix = c.unix_cap = sizeof(v) / sizeof(v[0]);
	chk_unix_select(&c, P, icons, 1);
	assert_int_equal(c.nunix, 6);
	for (i = 0; i < c.nunix; i++)
		roles[c.unix_[i].role]++;
	assert_int_equal(roles[CHK_UROLE_LISTENER], 1);
	assert_int_equal(roles[CHK_UROLE_SERVER], 2);
	assert_int_equal(roles[CHK_UROLE_CLIENT], 3);
	assert_int_equal(roles[CHK_UROLE_OTHER], 0);
	for (i = 0; i < c.nunix; i++)
		if (c.unix_[i].role == CHK_UROLE_CLIENT)
			assert_true(c.unix_[i].inode == 31 ||
				    c.unix_[i].inode == 32 ||
				    c.unix_[i].inode == 33);
	/* No path: nothing is mysqld's. */
	chk_unix_select(&c, NULL, NULL, 0);
	assert_int_equal(c.nunix, 0);
	chk_census_free(&c);
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(chk_tcp_state_name(CHK_TCP_TIME_WAIT), "TIME_WAIT");
	assert_string_equal(chk_tcp_state_name(CHK_TCP_LISTEN), "LISTEN");
	assert_string_equal(chk_tcp_state_name(99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inet4_fields),
		cmocka_unit_test(test_inet6_fields),
		cmocka_unit_test(test_port_filter),
		cmocka_unit_test(test_inet_attrs),
		cmocka_unit_test(test_inet_tcp_info),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_done_and_errors),
		cmocka_unit_test(test_per_byte),
		cmocka_unit_test(test_unix_fields),
		cmocka_unit_test(test_unix_bad_attrs),
		cmocka_unit_test(test_unix_select),
		cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
