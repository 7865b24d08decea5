/* holders.c - who holds the server's sessions (see holders.h). Pure: it
 * reads the census and the fd scan, never the system. */
#include "check/holders.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/census.h"

/* Adds n sessions of pid to h, keeping the biggest CHK_MAX_HOLDERS. */
static void add_holder(struct chk_holders *h, const struct chk_fdsock *s,
		       int is_tcp)
{
	struct chk_holder *x = NULL;
	size_t i;

	for (i = 0; i < h->n && !x; i++)
		if (h->v[i].pid == s->pid)
			x = &h->v[i];
	if (!x) {
		if (h->n == CHK_MAX_HOLDERS)
			return; /* the ninth process on: not among the top */
		x = &h->v[h->n++];
		memset(x, 0, sizeof(*x));
		x->pid = s->pid;
		snprintf(x->comm, sizeof(x->comm), "%s", s->comm);
	}
	if (is_tcp)
		x->tcp++;
	else
		x->unix_++;
}

static void add_peer(struct chk_holders *h, const char *addr)
{
	size_t i;

	for (i = 0; i < h->npeers; i++)
		if (!strcmp(h->peers[i].addr, addr)) {
			h->peers[i].sessions++;
			return;
		}
	if (h->npeers == CHK_MAX_HOLDERS)
		return;
	snprintf(h->peers[h->npeers].addr, sizeof(h->peers[0].addr), "%s",
		 addr);
	h->peers[h->npeers++].sessions = 1;
}

static unsigned total(const struct chk_holder *x)
{
	return x->tcp + x->unix_;
}

void chk_holders_group(const struct chk_census *c, const struct chk_fds *fds,
		       struct chk_holders *h)
{
	size_t i, k;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < fds->n; i++) {
		const struct chk_fdsock *s = &fds->v[i];

		if (!chk_fd_is_client(c, s))
			continue;
		if (s->kind == CHK_FD_TCP &&
		    c->tcp[s->idx].state != CHK_TCP_ESTABLISHED)
			continue;
		add_holder(h, s, s->kind == CHK_FD_TCP);
	}
	for (i = 0; i < c->ntcp; i++) {
		char addr[INET6_ADDRSTRLEN];

		if (!c->tcp[i].server_side ||
		    c->tcp[i].state != CHK_TCP_ESTABLISHED)
			continue;
		h->server_ends++;
		chk_addr_str(&c->tcp[i].dst, addr, sizeof(addr));
		add_peer(h, addr);
	}
	for (i = 0; i < c->nunix; i++)
		h->server_ends += c->unix_[i].role == CHK_UROLE_SERVER;
	/* Most sessions first (insertion sort: at most 8 each). */
	for (i = 1; i < h->n; i++)
		for (k = i; k > 0 && total(&h->v[k]) > total(&h->v[k - 1]);
		     k--) {
			struct chk_holder t = h->v[k];

			h->v[k] = h->v[k - 1];
			h->v[k - 1] = t;
		}
	for (i = 1; i < h->npeers; i++)
		for (k = i;
		     k > 0 && h->peers[k].sessions > h->peers[k - 1].sessions;
		     k--) {
			struct chk_peer_count t = h->peers[k];

			h->peers[k] = h->peers[k - 1];
			h->peers[k - 1] = t;
		}
}

long long chk_user_limit_of(const char *message)
{
	const char *p =
		message ? strstr(message, "'max_user_connections'") : NULL;
	char *end;
	long long v;

	if (p)
		p = strstr(p, "current value: ");
	if (!p || !isdigit((unsigned char)p[15]))
		return -1;
	errno = 0;
	v = strtoll(p + 15, &end, 10);
	if (errno || end == p + 15)
		return -1;
	return v;
}

/* The summary when the audit was refused for the account's own limit
 * (1203 global, 1226 the account's): the user, the limit when named. */
static void user_limit_summary(char *buf, size_t len, const char *who,
			       unsigned n, const struct chk_limit *lim)
{
	const char *user = lim->db_user ? lim->db_user : "?";

	if (lim->max_user_connections >= 0)
		snprintf(buf, len,
			 "user %s holds %lld of max_user_connections=%lld "
			 "(ERROR %u to the audit's login); %s holds %u "
			 "sessions to the server",
			 user, lim->max_user_connections,
			 lim->max_user_connections, lim->refused_code, who, n);
	else
		snprintf(buf, len,
			 "user %s is at max_user_connections (ERROR %u to the "
			 "audit's login); %s holds %u sessions to the server",
			 user, lim->refused_code, who, n);
}

int chk_holders_rule(const struct chk_holders *h, const struct chk_limit *lim,
		     struct cd_findings *out)
{
	const struct chk_holder *top = h->n ? &h->v[0] : NULL;
	unsigned n = top ? total(top) : 0;
	long long max_connections = lim->max_connections;
	unsigned refused_code = lim->refused_code;
	int user_limit = refused_code == 1203 || refused_code == 1226;
	int at_limit = refused_code == 1040 || user_limit;
	struct cd_finding *f;
	char who[96], others[256] = "", peers[256] = "";
	size_t i, used;

	if (n < 2)
		return 0;
	if (!(max_connections > 0 && (long long)n * 2 >= max_connections) &&
	    !at_limit)
		return 0;
	f = cd_finding_add(out, "CD6047",
			   at_limit || (max_connections > 0 &&
					(long long)n >= max_connections)
				   ? CD_SEV_CRITICAL
				   : CD_SEV_WARNING);
	if (!f)
		return -1;
	snprintf(who, sizeof(who), "pid %d (%s%s%s)", (int)top->pid, top->comm,
		 top->user[0] ? ", user " : "", top->user);
	if (max_connections > 0)
		snprintf(f->summary, sizeof(f->summary),
			 "%s holds %u of max_connections=%lld (+1 for "
			 "admin)%s",
			 who, n, max_connections,
			 at_limit ? ": the server refuses new sessions" : "");
	else if (user_limit)
		user_limit_summary(f->summary, sizeof(f->summary), who, n, lim);
	else
		snprintf(f->summary, sizeof(f->summary),
			 "%s holds %u sessions to the server, which refused "
			 "the audit's login with ERROR %u (%s)",
			 who, n, refused_code, "max_connections reached");
	for (i = 1; i < h->n; i++) {
		used = strlen(others);
		if (used < sizeof(others))
			snprintf(others + used, sizeof(others) - used,
				 "%spid %d (%s) %u", i > 1 ? ", " : "",
				 (int)h->v[i].pid, h->v[i].comm,
				 total(&h->v[i]));
	}
	for (i = 0; i < h->npeers; i++) {
		used = strlen(peers);
		if (used < sizeof(peers))
			snprintf(peers + used, sizeof(peers) - used, "%s%s %u",
				 i ? ", " : "", h->peers[i].addr,
				 h->peers[i].sessions);
	}
	snprintf(f->evidence, sizeof(f->evidence),
		 "census (sock_diag) and /proc/%d/fd: %u over the Unix "
		 "socket, %u over TCP; the server holds %u accepted sessions "
		 "here%s%s%s%s%s",
		 (int)top->pid, top->unix_, top->tcp, h->server_ends,
		 others[0] ? "; other holders: " : "", others,
		 peers[0] ? "; TCP sessions by client address: " : "", peers,
		 max_connections > 0 ? "" : "; max_connections not read");
	cd_finding_num(f, "pid", top->pid);
	cd_finding_num(f, "sessions", n);
	cd_finding_num(f, "unix_sessions", top->unix_);
	cd_finding_num(f, "tcp_sessions", top->tcp);
	cd_finding_num(f, "server_sessions", h->server_ends);
	if (max_connections > 0)
		cd_finding_num(f, "max_connections", (double)max_connections);
	if (refused_code)
		cd_finding_num(f, "refused_code", refused_code);
	if (user_limit && lim->max_user_connections >= 0)
		cd_finding_num(f, "max_user_connections",
			       (double)lim->max_user_connections);
	return 0;
}
