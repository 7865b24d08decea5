/* fds.h - fd hygiene: which processes hold the census's MySQL sockets, on
 * which descriptors (proc(5): /proc/PID/fd/N -> "socket:[INODE]"). */
#ifndef CONNDOCTOR_CHECK_FDS_H
#define CONNDOCTOR_CHECK_FDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "check/check.h"
#include "check/slices.h" /* chk_slice_fds */

enum chk_fd_kind { CHK_FD_TCP = 1, CHK_FD_UNIX };

/* One descriptor that is a census socket. */
struct chk_fdsock {
	pid_t pid;
	int fd;
	uint32_t inode;
	char comm[16]; /* /proc/PID/comm, "?" when unreadable */
	uint8_t kind;  /* enum chk_fd_kind */
	size_t idx;    /* into the census's tcp[] or unix_[] */
};

/* What a scan found, and how much of /proc it could read (owned). */
struct chk_fds {
	struct chk_fdsock *v;
	size_t n, cap;
	unsigned procs;	      /* processes whose fd table was read */
	unsigned unreadable;  /* processes whose fd table was refused */
	unsigned long nfds;   /* descriptors looked at */
	int unreadable_errno; /* why the first refusal happened */
};

void chk_fds_init(struct chk_fds *f);
void chk_fds_free(struct chk_fds *f);

/* Scans procroot/PID/fd/ of every process for descriptors that are
 * sockets of the census c (TCP sockets with an inode, and the Unix ones
 * chk_unix_select kept). Processes that exit meanwhile are skipped; those
 * whose fd table cannot be read are counted. Returns 0, or -1 with err set
 * when procroot cannot be read or memory runs out. */
int chk_fds_scan(struct chk_fds *out, const char *procroot,
		 const struct chk_census *c, char *err, size_t errlen);

/* What the socket behind a descriptor is, for humans: "10.0.0.1:40000 ->
 * 10.0.0.2:3306 ESTABLISHED", "unix /run/mysqld/mysqld.sock (client)". */
void chk_fd_peer(const struct chk_census *c, const struct chk_fdsock *s,
		 char *buf, size_t len);

/* The same in parts: transport ("tcp", "unix", "socket"), the endpoints
 * (addresses, the socket's path, or "[inode]") and the role (the TCP
 * state's name; "listener", "server", "client", "client_pending" for the
 * Unix socket; "" for other sockets). */
struct chk_fd_peer {
	const char *transport;
	char endpoint[160];
	const char *role;
};
void chk_fd_peer_parts(const struct chk_census *c, const struct chk_fdsock *s,
		       struct chk_fd_peer *p);

/* 1 when the descriptor is a client's end of a MySQL connection (TCP to
 * a MySQL port, or connected or queued on mysqld's Unix socket). */
int chk_fd_is_client(const struct chk_census *c, const struct chk_fdsock *s);

/* The fd rule: every client end on descriptor 0, 1 or 2 is critical.
 * Returns 0, or -1 when out of memory. */
int chk_rules_fds(const struct chk_census *c, const struct chk_fds *fds,
		  struct cd_findings *out);

#endif /* CONNDOCTOR_CHECK_FDS_H */
