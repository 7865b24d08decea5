/* holders.h - who holds the server's sessions: the client ends of the
 * census's connections to the server's port and socket grouped by the
 * local process that holds them (/proc/PID/fd), and the server's accepted
 * ends by remote address; the rule that compares the biggest holder with
 * max_connections (MariaDB "Handling Too Many Connections"). */
#ifndef CONNDOCTOR_CHECK_HOLDERS_H
#define CONNDOCTOR_CHECK_HOLDERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "check/fds.h"
#include "findings/findings.h"

/* One local process's client ends to the server. */
struct chk_holder {
	pid_t pid;
	char comm[16];
	char user[32]; /* its owner's name (or uid), "" unknown */
	unsigned tcp, unix_;
};

/* One remote address with sessions the server accepted on its port. */
struct chk_peer_count {
	char addr[48];
	unsigned sessions;
};

#define CHK_MAX_HOLDERS 8

/* Everything the holders rule looks at. */
struct chk_holders {
	struct chk_holder v[CHK_MAX_HOLDERS]; /* most sessions first */
	size_t n;
	struct chk_peer_count peers[CHK_MAX_HOLDERS]; /* most first */
	size_t npeers;
	unsigned server_ends; /* accepted ends the server holds (tcp+unix) */
};

/* Groups (pure) the client ends of fds by process and the server's
 * accepted TCP ends by remote address. Users are left empty. */
void chk_holders_group(const struct chk_census *c, const struct chk_fds *fds,
		       struct chk_holders *h);

/* The limit the holders are compared with. */
struct chk_limit {
	long long max_connections; /* from the audit, -1: not read */
	/* When the audit could not log in: the server's refusal code (1040,
	 * 1203, 1226; 0 none), the account it refused (borrowed, NULL) and,
	 * for 1203/1226, max_user_connections when the refusal names it
	 * (1226's "current value"), else -1. */
	unsigned refused_code;
	const char *db_user;
	long long max_user_connections;
};

/* CD6047: the biggest local holder against lim. Pure. Returns 0, or -1
 * when out of memory. */
int chk_holders_rule(const struct chk_holders *h, const struct chk_limit *lim,
		     struct cd_findings *out);

/* max_user_connections as ERROR 1226's text names it ("... has exceeded
 * the 'max_user_connections' resource (current value: 3)"), or -1. */
long long chk_user_limit_of(const char *message);

#endif /* CONNDOCTOR_CHECK_HOLDERS_H */
