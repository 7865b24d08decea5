/* sniff.c - a second look at a TCP target that accepted connections but
 * never greeted: one extra connection that speaks first, the way a client
 * of a server-speaks-second protocol would (HTTP), to tell "a MySQL server
 * that hangs" from "not a MySQL server at all". */
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

/* A MySQL frame header with sequence id 0 whose payload starts as a
 * greeting (protocol 10) or an ERR. */
static int looks_mysql(const uint8_t *b, size_t n)
{
	return n >= 5 && b[3] == 0 && (b[4] == 10 || b[4] == 0xff);
}

int probe_sniff(const struct probe_target *t, double timeout_s, char *out,
		size_t outlen)
{
	static const char req[] = "HEAD / HTTP/1.0\r\n\r\n";
	int64_t deadline = cd_now_ns() + cd_s_to_ns(timeout_s);
	char buf[128];
	ssize_t n = 0;
	size_t i;
	int fd, err = 0;
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
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) !=
	    (ssize_t)(sizeof(req) - 1))
		goto out;
	if (!wait_fd(fd, POLLIN, deadline))
		goto out;
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		goto out;
	/* Our request can complete a handshake whose third ACK was lost, and
	 * a slow MySQL server greets in the meantime: that is MySQL. */
	if (looks_mysql((const uint8_t *)buf, (size_t)n)) {
		n = 0;
		goto out;
	}
	for (i = 0; i < (size_t)n && i + 1 < outlen; i++) {
		if (buf[i] == '\r' || buf[i] == '\n')
			break;
		out[i] = (buf[i] >= 0x20 && buf[i] < 0x7f) ? buf[i] : '.';
	}
	out[i] = '\0';
out:
	close(fd);
	return n > 0 && out[0] != '\0';
}
