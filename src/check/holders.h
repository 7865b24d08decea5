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
#include "server/audit.h"

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

/* ---- one account's sessions against max_user_connections (CD6058) ---- */

/* Sessions of the user from one client host, from the processlist. */
struct chk_user_host {
	char host[96];		/* the address, or "localhost" */
	unsigned sessions, tcp; /* tcp: of them with a client port */
	unsigned asleep;	/* in Sleep longer than the threshold */
};

/* What the probe was refused with, and what the rule compares. */
struct chk_user_limit {
	const char *user; /* the probe's user (borrowed) */
	/* The host the probe logs in from as the server sees it
	 * ("localhost" over the socket, an address over TCP), which picks
	 * the account; NULL: unknown (the one account, else '%'). */
	const char *client_host;
	unsigned refused_code;	 /* 1203 or 1226 */
	long long message_limit; /* 1226's "current value", -1 none */
	double asleep_over_s;	 /* Sleep longer than this counts */
};

/* The user's sessions that count against the account the probe matched,
 * by client host, and the local processes that hold them. */
struct chk_user_sessions {
	const struct srv_account *account; /* matched, NULL: none read */
	unsigned total, tcp, asleep;
	unsigned longest_asleep_s;
	struct chk_user_host hosts[CHK_MAX_HOLDERS]; /* most first */
	size_t nhosts;
	/* tcp: the user's TCP sessions whose client port this process
	 * holds (census + /proc/PID/fd); unix_: the client ends of the
	 * server's socket it holds, of any account (the socket does not
	 * say whose). */
	struct chk_holder local[CHK_MAX_HOLDERS];
	size_t nlocal;
};

/* The account of a's accounts that a login from host matches (the
 * server's order: an exact host first, then patterns with % and _ by
 * the length of their literal part, '%' last); NULL: none. */
const struct srv_account *chk_account_for(const struct srv_audit *a,
					  const char *host);

/* Groups (pure) lim->user's sessions of the processlist that count
 * against the matched account, and joins their TCP client ports with
 * the census and the fd scan (either may be NULL). */
void chk_user_sessions_group(const struct srv_audit *a,
			     const struct chk_user_limit *lim,
			     const struct chk_census *c,
			     const struct chk_fds *fds,
			     struct chk_user_sessions *us);

/* CD6058: the probe's user, refused with 1203/1226, against the limit
 * that applies to it (the account's own, else the global
 * max_user_connections), from the server's own processlist. Pure.
 * Returns 0, or -1 when out of memory. */
int chk_user_limit_rule(const struct srv_audit *a,
			const struct chk_user_sessions *us,
			const struct chk_user_limit *lim,
			struct cd_findings *out);

#endif /* CONNDOCTOR_CHECK_HOLDERS_H */
