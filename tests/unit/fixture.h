/* fixture.h - what the unit tests share: a data file read whole, a fixture
 * program CMake built, census sockets made from address strings, and a
 * pointer the test cannot go on without.
 * Header-only, like guard.h; include it after <cmocka.h>. */
#ifndef CONNDOCTOR_TESTS_UNIT_FIXTURE_H
#define CONNDOCTOR_TESTS_UNIT_FIXTURE_H

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check/check.h"
#include "util/fileio.h"

#define FIXTURE_MAX (64u << 20)

/* p, which the test requires (what names it): fails the test when it is
 * NULL. cmocka's fail() jumps back to the runner but is not declared
 * noreturn; abort() ends that path for the compiler too, so no caller
 * reads through a NULL it cannot have (gcc -O3 warned of exactly that). */
static inline const void *fixture_need(const void *p, const char *what)
{
	if (!p) {
		fail_msg("missing: %s", what);
		abort();
	}
	return p;
}

/* $CD_TEST_DATA/SUBDIR/NAME (tests/data when unset), whole and
 * NUL-terminated; a file that cannot be read fails the test. */
static inline char *fixture_load(const char *subdir, const char *name,
				 size_t *len)
{
	const char *dir = getenv("CD_TEST_DATA");
	char path[1024];
	char *buf;

	snprintf(path, sizeof(path), "%s/%s/%s", dir ? dir : "tests/data",
		 subdir, name);
	buf = cd_read_text(path, FIXTURE_MAX, len);
	if (!buf)
		fail_msg("cannot read %s", path);
	return buf;
}

/* The path of fixture program NAME: $ENV when set, else the one CMake
 * built in tests/fixtures/DIR/ under the build directory's top, where the
 * unit tests are. 0 when it is there and executable. */
static inline int fixture_exe(const char *env, const char *dir,
			      const char *name, char *out, size_t len)
{
	const char *e = getenv(env);
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (e && *e) {
		snprintf(out, len, "%s", e);
		return access(out, X_OK);
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	if ((size_t)snprintf(out, len, "%s/tests/fixtures/%s/%s", self, dir,
			     name) >= len)
		return -1;
	return access(out, X_OK);
}

/* An IPv4 ("10.0.0.1", stored as ::ffff:10.0.0.1, as the census does) or
 * IPv6 address; anything else fails the test. */
static inline void fixture_addr(struct in6_addr *a, const char *s)
{
	struct in_addr v4;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &v4) == 1) {
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &v4, 4);
	} else {
		assert_int_equal(inet_pton(AF_INET6, s, a), 1);
	}
}

/* A census TCP socket, local src:sport, remote dst:dport. */
static inline void fixture_sock(struct chk_sock *k, const char *src,
				uint16_t sport, const char *dst, uint16_t dport,
				int state, int server_side)
{
	memset(k, 0, sizeof(*k));
	k->family = strchr(src, ':') ? AF_INET6 : AF_INET;
	k->state = (uint8_t)state;
	fixture_addr(&k->src, src);
	fixture_addr(&k->dst, dst);
	k->sport = sport;
	k->dport = dport;
	k->server_side = server_side;
}

#endif /* CONNDOCTOR_TESTS_UNIT_FIXTURE_H */
