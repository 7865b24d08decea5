/* test_chk_fds.c - the fd scan on a fake /proc tree made by the test
 * (socket links, unreadable and vanished processes) and on the real /proc
 * (this process with a loopback MySQL-port connection on fd 0), and the
 * fd rule on hand-made records. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "check/census.h"
#include "check/fds.h"

static char root[64];

static void mkdirs(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void link_to(const char *target, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static void write_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void rm_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static struct chk_sock socks[4];
static struct chk_usock usocks[4];

static void v4(struct in6_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = 0xff;
	a->s6_addr[11] = 0xff;
	a->s6_addr[12] = 10;
	a->s6_addr[15] = last;
}

/* tcp[0]: a client connection (inode 1001); tcp[1]: mysqld's end of it
 * (1002); tcp[2]: the listener (1003); unix_[0]: the listener (2000),
 * unix_[1]: an accepted end (2001), unix_[2]: its client (2002). */
static void make_census(struct chk_census *c)
{
	memset(c, 0, sizeof(*c));
	memset(socks, 0, sizeof(socks));
	memset(usocks, 0, sizeof(usocks));
	c->tcp = socks;
	c->unix_ = usocks;
	c->tcp_ok = c->unix_ok = 1;
	socks[0].state = CHK_TCP_ESTABLISHED;
	v4(&socks[0].src, 1);
	v4(&socks[0].dst, 2);
	socks[0].sport = 40000;
	socks[0].dport = 3306;
	socks[0].inode = 1001;
	socks[1] = socks[0];
	socks[1].src = socks[0].dst;
	socks[1].dst = socks[0].src;
	socks[1].sport = 3306;
	socks[1].dport = 40000;
	socks[1].server_side = 1;
	socks[1].inode = 1002;
	socks[2].state = CHK_TCP_LISTEN;
	socks[2].sport = 3306;
	socks[2].server_side = 1;
	socks[2].inode = 1003;
	c->ntcp = 3;
	usocks[0].inode = 2000;
	usocks[0].state = CHK_TCP_LISTEN;
	usocks[0].role = CHK_UROLE_LISTENER;
	strcpy(usocks[0].path, "/run/mysqld/mysqld.sock");
	usocks[1].inode = 2001;
	usocks[1].peer_inode = 2002;
	usocks[1].role = CHK_UROLE_SERVER;
	strcpy(usocks[1].path, "/run/mysqld/mysqld.sock");
	usocks[2].inode = 2002;
	usocks[2].peer_inode = 2001;
	usocks[2].role = CHK_UROLE_CLIENT;
	c->nunix = 3;
}

static const struct chk_fdsock *find(const struct chk_fds *f, pid_t pid, int fd)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i].pid == pid && f->v[i].fd == fd)
			return &f->v[i];
	return NULL;
}

static double ev(const struct cd_finding *f, const char *key)
{
	unsigned i;

	for (i = 0; i < f->nev; i++)
		if (!strcmp(f->ev[i].key, key))
			return f->ev[i].v[0];
	fail_msg("no evidence %s", key);
	return -1;
}

static void test_fake_proc(void **state)
{
	struct chk_census c;
	struct chk_fds fds;
	struct cd_findings out;
	const struct chk_fdsock *s;
	const struct cd_finding *f;
	char err[256] = "", peer[200];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/cd-fds-XXXXXX");
	assert_non_null(mkdtemp(root));
	/* 100 "perl": MySQL TCP client on fd 2, stdin a tty, a pipe. */
	mkdirs("100");
	mkdirs("100/fd");
	write_file("100/comm", "perl\n");
	link_to("/dev/pts/0", "100/fd/0");
	link_to("pipe:[77]", "100/fd/1");
	link_to("socket:[1001]", "100/fd/2");
	link_to("socket:[999]", "100/fd/3"); /* not a census socket */
	/* 200 "mysqld": its ends on fds 1 (inetd style) and 10, 11, 12. */
	mkdirs("200");
	mkdirs("200/fd");
	write_file("200/comm", "mysqld\n");
	link_to("socket:[1002]", "200/fd/1");
	link_to("socket:[1003]", "200/fd/10");
	link_to("socket:[2000]", "200/fd/11");
	link_to("socket:[2001]", "200/fd/12");
	/* 300 "php": the Unix client on fd 0, no comm file. */
	mkdirs("300");
	mkdirs("300/fd");
	link_to("socket:[2002]", "300/fd/0");
	link_to("socket:[]", "300/fd/4");
	link_to("socket:[99999999999]", "300/fd/5");
	/* 400: an fd table we may not read (here: not a directory). */
	mkdirs("400");
	write_file("400/fd", "");
	/* Not processes. */
	mkdirs("sys");
	write_file("uptime", "1 1\n");
	mkdirs("500"); /* exited: no fd directory */

	make_census(&c);
	chk_fds_init(&fds);
	assert_int_equal(chk_fds_scan(&fds, root, &c, err, sizeof(err)), 0);
	assert_int_equal(fds.procs, 3);
	assert_int_equal(fds.unreadable, 1);
	assert_int_equal(fds.unreadable_errno, ENOTDIR);
	assert_int_equal(fds.nfds, 4 + 4 + 3);
	assert_int_equal(fds.n, 6);
	s = find(&fds, 100, 2);
	assert_non_null(s);
	assert_string_equal(s->comm, "perl");
	assert_int_equal(s->inode, 1001);
	assert_int_equal(s->kind, CHK_FD_TCP);
	assert_true(chk_fd_is_client(&c, s));
	chk_fd_peer(&c, s, peer, sizeof(peer));
	assert_string_equal(peer,
			    "tcp 10.0.0.1:40000 -> 10.0.0.2:3306 ESTABLISHED");
	s = find(&fds, 200, 1);
	assert_non_null(s);
	assert_false(chk_fd_is_client(&c, s));
	s = find(&fds, 300, 0);
	assert_non_null(s);
	assert_string_equal(s->comm, "?");
	assert_int_equal(s->kind, CHK_FD_UNIX);
	assert_true(chk_fd_is_client(&c, s));
	chk_fd_peer(&c, s, peer, sizeof(peer));
	assert_string_equal(peer, "unix /run/mysqld/mysqld.sock, client end");
	s = find(&fds, 200, 12);
	chk_fd_peer(&c, s, peer, sizeof(peer));
	assert_string_equal(peer, "unix /run/mysqld/mysqld.sock, server end");

	/* The rule: the two client ends on 0-2, not mysqld's fd 1. */
	cd_findings_init(&out);
	assert_int_equal(chk_rules_fds(&c, &fds, &out), 0);
	assert_int_equal(out.n, 2);
	/* In /proc's order: which one comes first is up to readdir. */
	f = ev(&out.v[0], "pid") == 100 ? &out.v[0] : &out.v[1];
	assert_string_equal(f->def->code, "CD1002");
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	assert_int_equal(ev(f, "pid"), 100);
	assert_int_equal(ev(f, "fd"), 2);
	assert_int_equal(ev(f, "inode"), 1001);
	assert_non_null(strstr(f->summary, "perl (pid 100)"));
	assert_non_null(strstr(f->summary, "fd 2 (stderr)"));
	assert_non_null(strstr(f->evidence, "/proc/100/fd/2 -> socket:[1001]"));
	assert_non_null(strstr(f->evidence, "10.0.0.2:3306"));
	f = f == &out.v[0] ? &out.v[1] : &out.v[0];
	assert_string_equal(f->def->code, "CD1002");
	assert_int_equal(ev(f, "pid"), 300);
	assert_int_equal(ev(f, "fd"), 0);
	cd_findings_free(&out);
	chk_fds_free(&fds);

	/* A census without sockets matches nothing but still counts. */
	c.ntcp = c.nunix = 0;
	chk_fds_init(&fds);
	assert_int_equal(chk_fds_scan(&fds, root, &c, err, sizeof(err)), 0);
	assert_int_equal(fds.n, 0);
	assert_int_equal(fds.procs, 3);
	chk_fds_free(&fds);
	rm_tree();

	/* No such procroot. */
	chk_fds_init(&fds);
	assert_int_equal(
		chk_fds_scan(&fds, "/nonexistent", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent"));
	chk_fds_free(&fds);
}

/* This very process: a loopback connection to a "MySQL port" moved onto
 * fd 0 is found in /proc and flagged; moved back, nothing is. */
static void test_live_self(void **state)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	struct chk_census c;
	struct chk_fds fds;
	struct cd_findings out;
	char err[256] = "";
	int l, cl, sv, saved;
	uint16_t port;
	size_t i, mine = 0;

	(void)state;
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(l >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 4), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	cl = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(cl >= 0);
	assert_int_equal(connect(cl, (struct sockaddr *)&a, sizeof(a)), 0);
	sv = accept(l, NULL, NULL);
	assert_true(sv >= 0);
	saved = dup(0);
	assert_true(saved >= 0);
	assert_int_equal(dup2(cl, 0), 0);

	memset(&c, 0, sizeof(c));
	assert_int_equal(chk_census_read(&c, &port, 1, NULL, err, sizeof(err)),
			 0);
	chk_fds_init(&fds);
	assert_int_equal(chk_fds_scan(&fds, "/proc", &c, err, sizeof(err)), 0);
	assert_true(fds.procs >= 1);
	cd_findings_init(&out);
	assert_int_equal(chk_rules_fds(&c, &fds, &out), 0);
	for (i = 0; i < out.n; i++)
		if (ev(&out.v[i], "pid") == getpid()) {
			mine++;
			assert_int_equal(ev(&out.v[i], "fd"), 0);
		}
	assert_int_equal(mine, 1);
	/* The listener and the server end are ours too, not on 0-2. */
	assert_non_null(find(&fds, getpid(), l));
	assert_non_null(find(&fds, getpid(), sv));
	assert_non_null(find(&fds, getpid(), cl));
	cd_findings_free(&out);
	chk_fds_free(&fds);

	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	chk_fds_init(&fds);
	cd_findings_init(&out);
	assert_int_equal(chk_fds_scan(&fds, "/proc", &c, err, sizeof(err)), 0);
	assert_int_equal(chk_rules_fds(&c, &fds, &out), 0);
	for (i = 0; i < out.n; i++)
		assert_true(ev(&out.v[i], "pid") != getpid());
	cd_findings_free(&out);
	chk_fds_free(&fds);
	chk_census_free(&c);
	close(cl);
	close(sv);
	close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fake_proc),
		cmocka_unit_test(test_live_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
