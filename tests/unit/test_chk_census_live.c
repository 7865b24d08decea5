/* test_chk_census_live.c - chk_census_read against this kernel over
 * loopback (no privileges needed): the port bytecode is accepted and
 * filters, listener/client/server ends and TIME_WAIT are reported with
 * the right inodes, keepalive timers show, and mysqld-like Unix sockets
 * (listener, accepted end, connected and queued clients) are told apart. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "check/census.h"

static uint32_t inode_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint32_t)st.st_ino;
}

static int listener(uint16_t *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 7), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int connect_to(uint16_t port, uint16_t *local)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	if (local)
		*local = ntohs(a.sin_port);
	return fd;
}

static const struct chk_sock *find(const struct chk_census *c, uint8_t state,
				   uint16_t sport, uint16_t dport)
{
	size_t i;

	for (i = 0; i < c->ntcp; i++)
		if (c->tcp[i].state == state && c->tcp[i].sport == sport &&
		    (!dport || c->tcp[i].dport == dport))
			return &c->tcp[i];
	return NULL;
}

static void read_census(struct chk_census *c, const uint16_t *ports, size_t n,
			const char *upath)
{
	char err[256] = "";
	int rc = chk_census_read(c, ports, n, upath, err, sizeof(err));

	if (rc)
		fail_msg("chk_census_read: %s", err);
	assert_true(c->tcp_ok);
}

static void test_tcp(void **state)
{
	uint16_t p, q, cport, cport2, ports[CHK_MAX_PORTS];
	int l = listener(&p), l2 = listener(&q);
	int cl = connect_to(p, &cport), other = connect_to(q, NULL);
	int sv = accept(l, NULL, NULL), ka = 1, i;
	size_t j;
	int cl2 = connect_to(p, &cport2); /* left in the accept queue */
	struct chk_census c;
	const struct chk_sock *k;

	(void)state;
	assert_true(sv >= 0);
	assert_int_equal(
		setsockopt(cl, SOL_SOCKET, SO_KEEPALIVE, &ka, sizeof(ka)), 0);
	memset(&c, 0, sizeof(c));
	read_census(&c, &p, 1, NULL);
	assert_true(c.kernel_filter);
	/* Listener, client end, server end, the queued client and its
	 * not-yet-accepted server end; nothing of the other port. */
	assert_int_equal(c.ntcp, 5);
	k = find(&c, CHK_TCP_LISTEN, p, 0);
	assert_non_null(k);
	assert_true(k->server_side);
	assert_int_equal(k->inode, inode_of(l));
	assert_int_equal(k->wqueue, 7); /* backlog */
	assert_int_equal(k->rqueue, 1); /* cl2, not accepted */
	k = find(&c, CHK_TCP_ESTABLISHED, cport, p);
	assert_non_null(k);
	assert_false(k->server_side);
	assert_int_equal(k->inode, inode_of(cl));
	assert_int_equal(k->timer, 2); /* SO_KEEPALIVE */
	k = find(&c, CHK_TCP_ESTABLISHED, cport2, p);
	assert_non_null(k);
	assert_int_equal(k->timer, 0); /* no keepalive, nothing in flight */
	k = find(&c, CHK_TCP_ESTABLISHED, p, cport);
	assert_non_null(k);
	assert_true(k->server_side);
	assert_int_equal(k->inode, inode_of(sv));
	assert_null(find(&c, CHK_TCP_LISTEN, q, 0));

	/* The longest bytecode (16 ports) is accepted by the kernel too. */
	for (i = 0; i < CHK_MAX_PORTS; i++)
		ports[i] = (uint16_t)(p == 1000 + i ? 999 : 1000 + i);
	ports[CHK_MAX_PORTS - 1] = p;
	read_census(&c, ports, CHK_MAX_PORTS, NULL);
	assert_true(c.kernel_filter);
	assert_true(c.ntcp >= 5);
	assert_non_null(find(&c, CHK_TCP_LISTEN, p, 0));
	for (j = 0; j < c.ntcp; j++) {
		int hit = 0;

		for (i = 0; i < CHK_MAX_PORTS; i++)
			hit |= c.tcp[j].sport == ports[i] ||
			       c.tcp[j].dport == ports[i];
		assert_true(hit);
	}

	/* The client closes first: its end goes to TIME_WAIT (no inode). */
	close(cl);
	close(sv);
	for (i = 0; i < 200; i++) {
		read_census(&c, &p, 1, NULL);
		if (find(&c, CHK_TCP_TIME_WAIT, cport, p))
			break;
		usleep(10000);
	}
	k = find(&c, CHK_TCP_TIME_WAIT, cport, p);
	assert_non_null(k);
	assert_false(k->server_side);
	assert_int_equal(k->inode, 0);
	assert_int_equal(k->timer, 3);
	assert_true(k->expires_ms <= 60000);

	chk_census_free(&c);
	close(cl2);
	close(other);
	close(l);
	close(l2);
}

static int cmp_key(const void *a, const void *b)
{
	const struct chk_sock *x = a, *y = b;

	if (x->sport != y->sport)
		return x->sport < y->sport ? -1 : 1;
	if (x->dport != y->dport)
		return x->dport < y->dport ? -1 : 1;
	return (int)x->state - (int)y->state;
}

/* The IPv4 and IPv6 dumps side by side (two threads) give the same
 * sockets as one after the other, each once; here with a connection
 * between two census ports, whose ends are both "server" sockets. */
static void test_threads(void **state)
{
	uint16_t p, q, ports[2];
	int l = listener(&p),
	    cl = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	struct chk_census c1, c2;
	size_t i;
	int sv;

	(void)state;
	assert_true(cl >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(cl, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(cl, (struct sockaddr *)&a, &len), 0);
	q = ntohs(a.sin_port);
	a.sin_port = htons(p);
	assert_int_equal(connect(cl, (struct sockaddr *)&a, sizeof(a)), 0);
	sv = accept(l, NULL, NULL);
	assert_true(sv >= 0);
	ports[0] = p;
	ports[1] = q;

	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	assert_int_equal(
		chk_census_read_threads(&c1, ports, 2, NULL, 1, NULL, 0), 0);
	assert_int_equal(
		chk_census_read_threads(&c2, ports, 2, NULL, 2, NULL, 0), 0);
	assert_true(c1.kernel_filter && c2.kernel_filter);
	assert_non_null(find(&c1, CHK_TCP_LISTEN, p, 0));
	assert_non_null(find(&c1, CHK_TCP_ESTABLISHED, p, q));
	assert_true(find(&c1, CHK_TCP_ESTABLISHED, q, p)->server_side);
	assert_int_equal(c1.ntcp, c2.ntcp);
	qsort(c1.tcp, c1.ntcp, sizeof(*c1.tcp), cmp_key);
	qsort(c2.tcp, c2.ntcp, sizeof(*c2.tcp), cmp_key);
	for (i = 0; i < c1.ntcp; i++) {
		assert_int_equal(cmp_key(&c1.tcp[i], &c2.tcp[i]), 0);
		assert_int_equal(c1.tcp[i].inode, c2.tcp[i].inode);
		if (i)
			assert_true(cmp_key(&c1.tcp[i - 1], &c1.tcp[i]) != 0 ||
				    c1.tcp[i - 1].inode != c1.tcp[i].inode);
	}
	chk_census_free(&c1);
	chk_census_free(&c2);
	close(cl);
	close(sv);
	close(l);
}

static int unix_fd(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	return fd;
}

static void test_unix(void **state)
{
	struct sockaddr_un a;
	char dir[] = "/tmp/cd-census-XXXXXX";
	struct chk_census c;
	int l, c1, c2, s1;
	size_t i, seen = 0;
	uint16_t port = 1; /* nothing listens there */

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/mysqld.sock", dir);
	l = unix_fd();
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 9), 0);
	c1 = unix_fd();
	assert_int_equal(connect(c1, (struct sockaddr *)&a, sizeof(a)), 0);
	s1 = accept(l, NULL, NULL);
	assert_true(s1 >= 0);
	c2 = unix_fd();
	assert_int_equal(connect(c2, (struct sockaddr *)&a, sizeof(a)), 0);

	memset(&c, 0, sizeof(c));
	read_census(&c, &port, 1, a.sun_path);
	assert_true(c.unix_ok);
	assert_int_equal(c.nunix, 4);
	for (i = 0; i < c.nunix; i++) {
		const struct chk_usock *u = &c.unix_[i];

		if (u->inode == inode_of(l)) {
			assert_int_equal(u->role, CHK_UROLE_LISTENER);
			assert_int_equal(u->rqueue, 1); /* c2 waits */
			assert_int_equal(u->wqueue, 9);
			seen |= 1;
		} else if (u->inode == inode_of(s1)) {
			assert_int_equal(u->role, CHK_UROLE_SERVER);
			assert_string_equal(u->path, a.sun_path);
			assert_int_equal(u->peer_inode, inode_of(c1));
			seen |= 2;
		} else if (u->inode == inode_of(c1)) {
			assert_int_equal(u->role, CHK_UROLE_CLIENT);
			assert_int_equal(u->peer_inode, inode_of(s1));
			seen |= 4;
		} else if (u->inode == inode_of(c2)) {
			assert_int_equal(u->role, CHK_UROLE_CLIENT);
			seen |= 8;
		}
	}
	assert_int_equal(seen, 15);
	/* Without a path there is no Unix census. */
	read_census(&c, &port, 1, NULL);
	assert_false(c.unix_ok);
	assert_int_equal(c.nunix, 0);
	chk_census_free(&c);
	close(c1);
	close(c2);
	close(s1);
	close(l);
	unlink(a.sun_path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_unix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
