/* sniff.c - a second look at a TCP target that accepted connections but
 * never greeted: one extra connection that first listens (a slow MySQL
 * server greets unprompted) and then speaks, the way a client of a
 * server-speaks-second protocol would (HTTP), to tell "a MySQL server that
 * hangs" from "not a MySQL server at all". */
#include "probe/probe.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/clock.h"

/* Waits for fd to be ready for events until deadline; 1 ready, 0 not. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left = deadline - cd_now_ns();

	if (left <= 0)
		return 0;
	return poll(&p, 1, (int)(left / 1000000 + 1)) == 1;
}

/* Bytes a MySQL server sends first: the start of a greeting, or an ERR in
 * its place. */
static int mysql_start(const char *buf, size_t n)
{
	const uint8_t *b = (const uint8_t *)buf;

	return cd_greeting_prefix(b, n) ||
	       (n >= 5 && b[2] == 0 && b[3] == 0 && b[4] == 0xff);
}

/* Reads what the peer sends until deadline, at most cap bytes into buf at
 * *n, stopping early once the bytes can no longer begin a MySQL greeting
 * (or once they are a greeting's header and protocol byte). Returns 1
 * when the peer closed or failed, 0 otherwise. */
static int read_some(int fd, char *buf, size_t cap, size_t *n, int64_t deadline)
{
	while (*n < cap && wait_fd(fd, POLLIN, deadline)) {
		ssize_t r = recv(fd, buf + *n, cap - *n, 0);

		if (r <= 0)
			return 1;
		*n += (size_t)r;
		if (*n >= 5 || !mysql_start(buf, *n))
			break;
	}
	return 0;
}

int probe_sniff(const struct probe_target *t, double timeout_s, char *out,
		size_t outlen)
{
	static const char req[] = "HEAD / HTTP/1.0\r\n\r\n";
	int64_t start = cd_now_ns(), deadline = start + cd_s_to_ns(timeout_s);
	char buf[128];
	size_t n = 0, i;
	int fd, err = 0, foreign = 0;
	socklen_t len = sizeof(err);

	if (t->transport != CD_TCP || outlen == 0)
		return 0;
	out[0] = '\0';
	fd = socket(t->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (const struct sockaddr *)&t->addr, t->addrlen) < 0 &&
	    errno != EINPROGRESS)
		goto out;
	if (!wait_fd(fd, POLLOUT, deadline) ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
		goto out;
	/* A third of the time to see whether the peer speaks unprompted: a
	 * slow MySQL server greets, a server-speaks-second protocol waits. */
	if (read_some(fd, buf, sizeof(buf) - 1, &n,
		      start + cd_s_to_ns(timeout_s / 3)) ||
	    n == 0) {
		if (n == 0 && send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) !=
				      (ssize_t)(sizeof(req) - 1))
			goto out;
		(void)read_some(fd, buf, sizeof(buf) - 1, &n, deadline);
	}
	/* Bytes that can begin a greeting are a slow MySQL server (our
	 * request may also have completed a handshake whose third ACK was
	 * lost); a single byte tells nothing either way. */
	if (n < 2 || mysql_start(buf, n))
		goto out;
	foreign = 1;
	for (i = 0; i < n && i + 1 < outlen; i++) {
		if (buf[i] == '\r' || buf[i] == '\n')
			break;
		out[i] = (buf[i] >= 0x20 && buf[i] < 0x7f) ? buf[i] : '.';
	}
	out[i] = '\0';
out:
	close(fd);
	return foreign && out[0] != '\0';
}
