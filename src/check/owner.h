/* owner.h - does the server on a local TCP port own a Unix socket path?
 * (owner.c, over the census and /proc/PID/fd). */
#ifndef CONNDOCTOR_CHECK_OWNER_H
#define CONNDOCTOR_CHECK_OWNER_H

#include <stddef.h>
#include <stdint.h>

/* The socket path the packaged servers listen on by default. */
#define CHK_DEFAULT_SOCKET "/run/mysqld/mysqld.sock"

/* Does the process that listens on TCP port also own the Unix socket
 * path's listener? 1 yes, 0 no or unknown; why says which, in a sentence
 * that starts with path ("... probed: ..." / "... not probed: ..."). */
int chk_listener_owns_socket(uint16_t port, const char *path, char *why,
			     size_t len);

/* The other TCP ports the process listening on port listens on (MariaDB's
 * extra_port, MySQL's admin_port), at most max of them, into out; pid and
 * comm (16 bytes) name that process. Returns how many, 0 when none or
 * unknown (no such listener, /proc unreadable). */
size_t chk_listener_other_ports(uint16_t port, uint16_t *out, size_t max,
				long *pid, char *comm);

/* 1 for localhost and loopback addresses (127.0.0.0/8, ::1). */
int chk_host_is_loopback(const char *host);

#endif /* CONNDOCTOR_CHECK_OWNER_H */
