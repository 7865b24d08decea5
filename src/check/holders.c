/* holders.c - who holds the server's sessions (see holders.h). Pure: it
 * reads the census and the fd scan, never the system. */
#include "check/holders.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
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

/* ---- one account's sessions against max_user_connections ---- */

/* Whether host matches an account's host pattern (% any run, _ one
 * character, letters in any case), as the server compares them. */
static int host_like(const char *p, const char *h)
{
	for (; *p; p++, h++) {
		if (*p == '%') {
			for (;; h++) {
				if (host_like(p + 1, h))
					return 1;
				if (!*h)
					return 0;
			}
		}
		if (!*h)
			return 0;
		if (*p != '_' &&
		    tolower((unsigned char)*p) != tolower((unsigned char)*h))
			return 0;
	}
	return !*h;
}

/* How specific a host pattern is: exact hosts first, then patterns by
 * their literal characters; '%' and '' (any host) last. */
static size_t host_rank(const char *p)
{
	size_t lit = 0, wild = 0;

	for (; *p; p++)
		if (*p == '%' || *p == '_')
			wild++;
		else
			lit++;
	return wild ? lit : lit + 1000;
}

const struct srv_account *chk_account_for(const struct srv_audit *a,
					  const char *host)
{
	const struct srv_account *best = NULL;
	size_t i;

	if (!a->have_accounts)
		return NULL;
	if (!host) {
		if (a->naccounts == 1)
			return &a->accounts[0];
		for (i = 0; i < a->naccounts; i++)
			if (!strcmp(a->accounts[i].host, "%") ||
			    !a->accounts[i].host[0])
				return &a->accounts[i];
		return NULL;
	}
	for (i = 0; i < a->naccounts; i++) {
		const char *p =
			a->accounts[i].host[0] ? a->accounts[i].host : "%";

		if (host_like(p, host) &&
		    (!best || host_rank(p) > host_rank(best->host)))
			best = &a->accounts[i];
	}
	return best;
}

/* The local holder entry of pid in us, added when new; NULL when full. */
static struct chk_holder *local_of(struct chk_user_sessions *us,
				   const struct chk_fdsock *s)
{
	size_t i;

	for (i = 0; i < us->nlocal; i++)
		if (us->local[i].pid == s->pid)
			return &us->local[i];
	if (us->nlocal == CHK_MAX_HOLDERS)
		return NULL;
	memset(&us->local[us->nlocal], 0, sizeof(us->local[0]));
	us->local[us->nlocal].pid = s->pid;
	snprintf(us->local[us->nlocal].comm, sizeof(us->local[0].comm), "%s",
		 s->comm);
	return &us->local[us->nlocal++];
}

/* The process holding the client end of a's TCP session j (its client
 * port and address in the census, the socket's inode in the fd scan). */
static const struct chk_fdsock *tcp_holder(const struct srv_audit *a, size_t j,
					   const struct chk_census *c,
					   const struct chk_fds *fds)
{
	size_t i, k;

	for (i = 0; i < c->ntcp; i++) {
		char addr[INET6_ADDRSTRLEN];

		if (c->tcp[i].server_side || c->tcp[i].sport != a->peer_port[j])
			continue;
		chk_addr_str(&c->tcp[i].src, addr, sizeof(addr));
		if (strcmp(addr, a->peer_ip[j]))
			continue;
		for (k = 0; k < fds->n; k++)
			if (fds->v[k].kind == CHK_FD_TCP && fds->v[k].idx == i)
				return &fds->v[k];
	}
	return NULL;
}

/* Joins the counted clients' TCP sessions, and the socket's client ends
 * when the user has socket sessions, with the processes here. */
static void join_local(const struct srv_audit *a, const unsigned char *counted,
		       const struct chk_census *c, const struct chk_fds *fds,
		       struct chk_user_sessions *us)
{
	struct chk_holder *x;
	size_t j;

	for (j = 0; j < a->npeers; j++) {
		const struct chk_fdsock *s;

		if (!counted[a->peer_client[j]])
			continue;
		s = tcp_holder(a, j, c, fds);
		if (s && (x = local_of(us, s)) != NULL)
			x->tcp++;
	}
	if (us->total == us->tcp)
		return;
	for (j = 0; j < fds->n; j++)
		if (fds->v[j].kind == CHK_FD_UNIX &&
		    chk_fd_is_client(c, &fds->v[j]) &&
		    (x = local_of(us, &fds->v[j])) != NULL)
			x->unix_++;
}

void chk_user_sessions_group(const struct srv_audit *a,
			     const struct chk_user_limit *lim,
			     const struct chk_census *c,
			     const struct chk_fds *fds,
			     struct chk_user_sessions *us)
{
	unsigned char counted[SRV_MAX_HOSTS] = {0};
	size_t i, k;

	memset(us, 0, sizeof(*us));
	us->account = chk_account_for(a, lim->client_host);
	for (i = 0; i < a->nclients && i < SRV_MAX_HOSTS; i++) {
		const struct srv_client *cl = &a->clients[i];

		if (!lim->user || strcmp(cl->user, lim->user))
			continue;
		if (us->account && chk_account_for(a, cl->host) != us->account)
			continue; /* another account's: counted apart */
		counted[i] = 1;
		us->total += cl->sessions;
		us->tcp += cl->tcp;
		if (us->nhosts < CHK_MAX_HOLDERS) {
			struct chk_user_host *h = &us->hosts[us->nhosts++];

			snprintf(h->host, sizeof(h->host), "%s", cl->host);
			h->sessions = cl->sessions;
			h->tcp = cl->tcp;
		}
	}
	for (i = 0; i < a->nasleep; i++) {
		const struct srv_client *cl = &a->clients[a->asleep_client[i]];

		if (!counted[a->asleep_client[i]] ||
		    (double)a->asleep_s[i] <= lim->asleep_over_s)
			continue;
		us->asleep++;
		if (a->asleep_s[i] > us->longest_asleep_s)
			us->longest_asleep_s = a->asleep_s[i];
		for (k = 0; k < us->nhosts; k++)
			if (!strcmp(us->hosts[k].host, cl->host))
				us->hosts[k].asleep++;
	}
	for (i = 1; i < us->nhosts; i++)
		for (k = i;
		     k > 0 && us->hosts[k].sessions > us->hosts[k - 1].sessions;
		     k--) {
			struct chk_user_host t = us->hosts[k];

			us->hosts[k] = us->hosts[k - 1];
			us->hosts[k - 1] = t;
		}
	if (c && fds)
		join_local(a, counted, c, fds, us);
}

/* Appends to buf (a string of len bytes) as snprintf would. */
__attribute__((format(printf, 3, 4))) static void append(char *buf, size_t len,
							 const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* The limit that applies to the user, and where it comes from. */
static long long user_limit(const struct srv_audit *a,
			    const struct chk_user_sessions *us,
			    const struct chk_user_limit *lim, char *src,
			    size_t len)
{
	const char *gv = srv_var(a, "max_user_connections");
	long long global = gv ? strtoll(gv, NULL, 10) : -1;
	const char *user = lim->user ? lim->user : "?";

	if (us->account && us->account->max_user_connections > 0) {
		snprintf(src, len, "account %s@'%s' in mysql.user", user,
			 us->account->host);
		return us->account->max_user_connections;
	}
	if (us->account && global > 0) {
		snprintf(src, len,
			 "the global value: account %s@'%s' has none of its "
			 "own",
			 user, us->account->host);
		return global;
	}
	if (a->have_accounts && !us->account)
		snprintf(src, len, "no account of %s in mysql.user matches",
			 user);
	else
		snprintf(src, len, "account limit not read");
	if (lim->refused_code == 1226 && lim->message_limit >= 0) {
		append(src, len, "; ERROR 1226's current value");
		return lim->message_limit;
	}
	if (lim->refused_code == 1203 && global > 0) {
		append(src, len, "; the global value, as ERROR 1203 says");
		return global;
	}
	return -1;
}

/* "2 from 10.0.0.7, 1 over the socket" */
static void host_parts(const struct chk_user_sessions *us, char *buf,
		       size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < us->nhosts; i++) {
		const struct chk_user_host *h = &us->hosts[i];

		if (h->tcp)
			append(buf, len, "%s%u from %s", buf[0] ? ", " : "",
			       h->tcp, h->host);
		if (h->sessions > h->tcp)
			append(buf, len, "%s%u over the socket",
			       buf[0] ? ", " : "", h->sessions - h->tcp);
	}
}

/* "pid 4242 (python3) holds 2 of them over TCP and 1 socket session" */
static void local_parts(const struct chk_user_sessions *us, char *buf,
			size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < us->nlocal; i++) {
		const struct chk_holder *x = &us->local[i];

		append(buf, len, "%spid %d (%s) holds ", i ? ", " : "",
		       (int)x->pid, x->comm);
		if (x->tcp)
			append(buf, len, "%u of them over TCP%s", x->tcp,
			       x->unix_ ? " and " : "");
		if (x->unix_)
			append(buf, len, "%u socket session%s", x->unix_,
			       x->unix_ == 1 ? "" : "s");
	}
}

int chk_user_limit_rule(const struct srv_audit *a,
			const struct chk_user_sessions *us,
			const struct chk_user_limit *lim,
			struct cd_findings *out)
{
	const char *user = lim->user ? lim->user : "?";
	const char *gv = srv_var(a, "max_user_connections");
	char src[400], parts[320], local[400];
	long long limit;
	struct cd_finding *f;
	unsigned localtcp = 0, localunix = 0;
	size_t i;

	if ((lim->refused_code != 1203 && lim->refused_code != 1226) ||
	    !a->have_processlist)
		return 0;
	f = cd_finding_add(out, "CD6058", CD_SEV_CRITICAL);
	if (!f)
		return -1;
	limit = user_limit(a, us, lim, src, sizeof(src));
	host_parts(us, parts, sizeof(parts));
	local_parts(us, local, sizeof(local));
	if (limit > 0)
		append(f->summary, sizeof(f->summary),
		       "user %s holds %u of its max_user_connections=%lld "
		       "(%s)%s%s",
		       user, us->total, limit, src, parts[0] ? ": " : "",
		       parts);
	else
		append(f->summary, sizeof(f->summary),
		       "user %s holds %u sessions, its limit unknown "
		       "(%s)%s%s",
		       user, us->total, src, parts[0] ? ": " : "", parts);
	if (us->asleep)
		append(f->summary, sizeof(f->summary),
		       "; %u asleep > %.0f s (the longest %u s)", us->asleep,
		       lim->asleep_over_s, us->longest_asleep_s);
	if (local[0])
		append(f->summary, sizeof(f->summary), "; on this host %s",
		       local);
	append(f->evidence, sizeof(f->evidence),
	       "information_schema.PROCESSLIST: %u sessions of %s (%u over "
	       "TCP, %u over the socket)",
	       us->total, user, us->tcp, us->total - us->tcp);
	for (i = 0; i < us->nhosts; i++)
		append(f->evidence, sizeof(f->evidence),
		       "%s%s%s %u (%u asleep > %.0f s)",
		       i ? ", " : ", by host: ", us->hosts[i].host,
		       us->hosts[i].sessions > us->hosts[i].tcp ? " (socket)"
								: "",
		       us->hosts[i].sessions, us->hosts[i].asleep,
		       lim->asleep_over_s);
	if (a->have_accounts) {
		append(f->evidence, sizeof(f->evidence), "; mysql.user:");
		for (i = 0; i < a->naccounts; i++)
			append(f->evidence, sizeof(f->evidence),
			       "%s %s@'%s' max_user_connections=%lld",
			       i ? "," : "", user, a->accounts[i].host,
			       a->accounts[i].max_user_connections);
	} else {
		append(f->evidence, sizeof(f->evidence),
		       "; mysql.user not read: %s",
		       a->accounts_why[0] ? a->accounts_why : "not asked");
	}
	append(f->evidence, sizeof(f->evidence),
	       "; global max_user_connections=%s; ERROR %u",
	       gv ? gv : "(not read)", lim->refused_code);
	if (lim->message_limit >= 0)
		append(f->evidence, sizeof(f->evidence),
		       " (current value: %lld)", lim->message_limit);
	append(f->evidence, sizeof(f->evidence), " to the probe");
	if (local[0])
		append(f->evidence, sizeof(f->evidence),
		       "; census and /proc/PID/fd (socket sessions of any "
		       "account): %s",
		       local);
	for (i = 0; i < us->nlocal; i++) {
		localtcp += us->local[i].tcp;
		localunix += us->local[i].unix_;
	}
	cd_finding_num(f, "sessions", us->total);
	cd_finding_num(f, "tcp_sessions", us->tcp);
	cd_finding_num(f, "asleep", us->asleep);
	cd_finding_num(f, "asleep_over_s", lim->asleep_over_s);
	cd_finding_num(f, "refused_code", lim->refused_code);
	cd_finding_num(f, "account_limit_read", a->have_accounts);
	if (limit > 0)
		cd_finding_num(f, "max_user_connections", (double)limit);
	if (us->account)
		cd_finding_num(f, "account_max_user_connections",
			       (double)us->account->max_user_connections);
	if (gv)
		cd_finding_num(f, "global_max_user_connections",
			       (double)strtoll(gv, NULL, 10));
	if (us->nlocal) {
		cd_finding_num(f, "pid", us->local[0].pid);
		cd_finding_num(f, "local_tcp_sessions", localtcp);
		cd_finding_num(f, "local_socket_sessions", localunix);
	}
	return 0;
}
