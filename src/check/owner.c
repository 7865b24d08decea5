/* owner.c - whether the server listening on a local TCP port also owns a
 * Unix socket path, read from the socket census (sock_diag) and the
 * owners of its sockets (/proc/PID/fd): diagnose and watch probe a socket
 * beside a TCP target only then, never an assumed one. */
#include "check/owner.h"

#include <stdio.h>
#include <string.h>

#include "check/census.h"
#include "check/fds.h"

/* Does the process that listens on TCP port also own the Unix socket
 * path's listener? Read from the census (sock_diag) and the owners of its
 * sockets (/proc/PID/fd). 1 yes, 0 no or unknown; why says which. */
int chk_listener_owns_socket(uint16_t port, const char *path, char *why,
			     size_t len)
{
	struct chk_census c;
	struct chk_fds fds;
	char err[256] = "";
	pid_t owner = 0;
	const char *comm = "?";
	size_t i, k;
	int owns = 0;

	memset(&c, 0, sizeof(c));
	chk_fds_init(&fds);
	if (chk_census_read(&c, &port, 1, path, err, sizeof(err)) < 0 ||
	    chk_fds_scan(&fds, "/proc", &c, err, sizeof(err)) < 0) {
		snprintf(why, len,
			 "%s not probed: who listens on port %u is "
			 "unknown (%s)",
			 path, (unsigned)port, err);
		goto out;
	}
	for (i = 0; i < fds.n && !owner; i++) {
		const struct chk_sock *t = &c.tcp[fds.v[i].idx];

		if (fds.v[i].kind == CHK_FD_TCP && t->state == CHK_TCP_LISTEN &&
		    t->sport == port) {
			owner = fds.v[i].pid;
			comm = fds.v[i].comm;
		}
	}
	if (!owner) {
		/* Nothing on the port (skip_networking, or TCP down): a
		 * server listening on the socket is this host's server. */
		for (k = 0; k < c.nunix && !owns; k++)
			owns = c.unix_[k].role == CHK_UROLE_LISTENER;
		snprintf(why, len,
			 "%s %s: nothing on this host listens on port %u%s",
			 path, owns ? "probed" : "not probed", (unsigned)port,
			 owns ? ", but a server listens on the socket"
			      : ", nor on the socket");
		goto out;
	}
	for (k = 0; k < fds.n && !owns; k++)
		owns = fds.v[k].pid == owner && fds.v[k].kind == CHK_FD_UNIX &&
		       c.unix_[fds.v[k].idx].role == CHK_UROLE_LISTENER;
	snprintf(why, len, "%s %s: the listener on port %u (pid %ld, %s) %s it",
		 path, owns ? "probed" : "not probed", (unsigned)port,
		 (long)owner, comm, owns ? "owns" : "does not own");
out:
	chk_fds_free(&fds);
	chk_census_free(&c);
	return owns;
}

size_t chk_listener_other_ports(uint16_t port, uint16_t *out, size_t max,
				long *pid, char *comm)
{
	struct chk_census c;
	struct chk_fds fds;
	char err[256] = "";
	pid_t owner = 0;
	size_t i, k, n = 0;

	*pid = 0;
	comm[0] = '\0';
	memset(&c, 0, sizeof(c));
	chk_fds_init(&fds);
	/* Every TCP listener of this namespace, then their owners. */
	if (chk_listeners_read(&c, NULL, 0, err, sizeof(err)) < 0 ||
	    chk_fds_scan(&fds, "/proc", &c, err, sizeof(err)) < 0)
		goto out;
	for (i = 0; i < fds.n && !owner; i++)
		if (fds.v[i].kind == CHK_FD_TCP &&
		    c.tcp[fds.v[i].idx].state == CHK_TCP_LISTEN &&
		    c.tcp[fds.v[i].idx].sport == port) {
			owner = fds.v[i].pid;
			snprintf(comm, 16, "%s", fds.v[i].comm);
		}
	for (i = 0; owner && i < fds.n && n < max; i++) {
		const struct chk_sock *t = &c.tcp[fds.v[i].idx];

		if (fds.v[i].pid != owner || fds.v[i].kind != CHK_FD_TCP ||
		    t->state != CHK_TCP_LISTEN || t->sport == port)
			continue;
		for (k = 0; k < n && out[k] != t->sport; k++)
			;
		if (k == n)
			out[n++] = t->sport;
	}
	*pid = (long)owner;
out:
	chk_fds_free(&fds);
	chk_census_free(&c);
	return n;
}

int chk_host_is_loopback(const char *host)
{
	return !strcmp(host, "localhost") || !strncmp(host, "127.", 4) ||
	       !strcmp(host, "::1");
}
