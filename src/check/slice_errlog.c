/* slice_errlog.c - the "errlog" slice of `check`: reads the server's error
 * log (a file or the unit's journal), then pure rules turn the aggregate
 * into findings CD6020-CD6033, each saying when its class started, and
 * CD6060/CD6061 joined with the server audit's timeouts. The
 * texts behind each class are those of MySQL's and MariaDB's "Communication
 * Errors and Aborted Connections" and "DNS Lookups and the Host Cache". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/fields.h"
#include "check/server.h"
#include "check/slices.h"

/* An errlog fact's definition (check/fields.c). */
#define FE(x) (&chk_fields_errlog[CHK_FE_##x])

#define MANY	       10  /* events of a class that make it a pattern */
#define CONNECT_ERRORS 100 /* max_connect_errors' default */
#define TOP	       5   /* hosts named in a finding */

/* "2026-11-21 18:04:08 UTC" (pure: gmtime_r). */
static void utc(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm)) {
		snprintf(out, len, "(undated)");
		return;
	}
	strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* Which sessions of a class a rule counts. */
enum who { ALL, PREAUTH, POSTAUTH };

/* Count, first and last time of a set of classes (a bit mask). Times and
 * the peak bucket are those of the whole classes (the log's buckets do not
 * split sessions by login). */
struct agg {
	uint64_t n;
	int64_t first, last;
	uint32_t peak;	 /* most events of the set in one bucket */
	int64_t peak_at; /* that bucket's start */
};

static uint32_t bit(enum srv_errlog_class c)
{
	return 1u << c;
}

static uint64_t pick(uint64_t n, uint64_t pre, enum who w)
{
	if (w == PREAUTH)
		return pre;
	if (w == POSTAUTH)
		return n > pre ? n - pre : 0;
	return n;
}

static struct agg aggregate(const struct srv_errlog_stats *st, uint32_t set,
			    enum who w)
{
	struct agg a;
	unsigned c, b;

	memset(&a, 0, sizeof(a));
	for (c = 0; c < SRV_EL_NCLASS; c++) {
		if (!(set & bit(c)) || !pick(st->n[c], st->pre[c], w))
			continue;
		a.n += pick(st->n[c], st->pre[c], w);
		if (st->first_s[c] && (!a.first || st->first_s[c] < a.first))
			a.first = st->first_s[c];
		if (st->last_s[c] > a.last)
			a.last = st->last_s[c];
	}
	for (b = 0; a.n && st->bucket && b < st->nbuckets; b++) {
		uint32_t sum = 0;

		for (c = 0; c < SRV_EL_NCLASS; c++)
			if (set & bit(c))
				sum += st->bucket[b][c];
		if (sum > a.peak) {
			a.peak = sum;
			a.peak_at = st->bucket0_s + (int64_t)b * st->bucket_s;
		}
	}
	return a;
}

static uint32_t key_count(const struct srv_errlog_key *k, uint32_t set,
			  enum who w)
{
	uint32_t sum = 0;
	unsigned c;

	for (c = 0; c < SRV_EL_NCLASS; c++)
		if (set & bit(c))
			sum += (uint32_t)pick(k->n[c], k->pre[c], w);
	return sum;
}

struct top {
	const struct srv_errlog_key *k[TOP];
	uint32_t n[TOP];
	size_t used;
	size_t keys; /* keys with any */
};

/* The TOP keys of a table by their count in the set, without sorting it. */
static struct top top_keys(const struct srv_errlog_key *table, size_t n,
			   uint32_t set, enum who w)
{
	struct top t;
	size_t i, j;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < n; i++) {
		uint32_t v = key_count(&table[i], set, w);

		if (!v)
			continue;
		t.keys++;
		/* insertion into the short sorted list */
		j = t.used < TOP ? t.used : TOP;
		while (j > 0 && t.n[j - 1] < v) {
			if (j < TOP) {
				t.k[j] = t.k[j - 1];
				t.n[j] = t.n[j - 1];
			}
			j--;
		}
		if (j < TOP) {
			t.k[j] = &table[i];
			t.n[j] = v;
			if (t.used < TOP)
				t.used++;
		}
	}
	return t;
}

static void top_text(const struct top *t, char *out, size_t len)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < t->used && o + 1 < len; i++) {
		int w = snprintf(out + o, len - o, "%s%s %u", i ? ", " : "",
				 t->k[i]->name, t->n[i]);

		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/* "at T" or "from T1 to T2", for a summary. */
static void when(const struct agg *a, char *out, size_t len)
{
	char f[40], l[40];

	utc(a->first, f, sizeof(f));
	utc(a->last, l, sizeof(l));
	if (!a->first)
		snprintf(out, len, "(undated lines)");
	else if (a->first == a->last)
		snprintf(out, len, "at %s", f);
	else
		snprintf(out, len, "from %s to %s", f, l);
}

/* One finding for a class set: "HEAD: N from FIRST to LAST" with the hosts,
 * the busiest bucket and the standard evidence numbers. Returns the finding,
 * or NULL when out of memory. */
static struct cd_finding *add(struct cd_findings *out, const char *code,
			      enum cd_severity sev,
			      const struct srv_errlog_stats *st, uint32_t set,
			      enum who w, const char *head, const char *why)
{
	struct agg a = aggregate(st, set, w);
	struct top t = top_keys(st->hosts, st->nhosts, set, w);
	struct cd_finding *f = cd_finding_add(out, code, sev);
	char span[96], hosts[400], peak[40];
	double v[TOP];
	size_t i;

	if (!f)
		return NULL;
	when(&a, span, sizeof(span));
	snprintf(f->summary, sizeof(f->summary), "%s: %llu, %s", head,
		 (unsigned long long)a.n, span);
	top_text(&t, hosts, sizeof(hosts));
	snprintf(f->evidence, sizeof(f->evidence), "error log: %s%s%s", why,
		 t.used ? "; by host: " : "", hosts);
	if (a.peak) {
		size_t o = strlen(f->evidence);

		utc(a.peak_at, peak, sizeof(peak));
		snprintf(f->evidence + o, sizeof(f->evidence) - o,
			 "; busiest %llu s from %s: %u",
			 (unsigned long long)st->bucket_s, peak, a.peak);
	}
	cd_finding_num(f, "count", (double)a.n);
	cd_finding_num(f, "first_seen_epoch", (double)a.first);
	cd_finding_num(f, "last_seen_epoch", (double)a.last);
	cd_finding_num(f, "peak_per_bucket", a.peak);
	cd_finding_num(f, "bucket_s", (double)st->bucket_s);
	if (t.used) {
		for (i = 0; i < t.used; i++)
			v[i] = t.n[i];
		cd_finding_num(f, "hosts", (double)t.keys);
		cd_finding_list(f, "top_host_counts", v, t.used);
	}
	return f;
}

static int is_loopback(const char *h)
{
	return !strcmp(h, "localhost") || !strncmp(h, "127.", 4) ||
	       !strcmp(h, "::1");
}

/* Classes of a session that ends on the server's side of the handshake. */
#define ABORTS                                                                 \
	(bit(SRV_EL_ABORTED_READ_ERROR) | bit(SRV_EL_ABORTED_WRITE_ERROR) |    \
	 bit(SRV_EL_ABORTED_READ_TIMEOUT) |                                    \
	 bit(SRV_EL_ABORTED_WRITE_TIMEOUT) |                                   \
	 bit(SRV_EL_ABORTED_OUT_OF_ORDER) | bit(SRV_EL_ABORTED_TOO_LARGE) |    \
	 bit(SRV_EL_ABORTED_CLOSE_CONN) | bit(SRV_EL_ABORTED_NO_AUTH) |        \
	 bit(SRV_EL_ABORTED_OTHER))

/* CD6020: sessions that end before authentication, by host. */
static int rule_handshake_aborts(const struct srv_errlog_stats *st,
				 struct cd_findings *out)
{
	struct top t = top_keys(st->hosts, st->nhosts, ABORTS, PREAUTH);
	enum cd_severity sev = CD_SEV_WARNING;
	struct cd_finding *f;
	int loop;

	if (!t.used || t.n[0] < MANY)
		return 0;
	loop = is_loopback(t.k[0]->name);
	if (t.n[0] >= CONNECT_ERRORS && !loop)
		sev = CD_SEV_CRITICAL;
	f = add(out, "CD6020", sev, st, ABORTS, PREAUTH,
		"sessions ended before logging in",
		loop ? "\"Aborted connection\" with user 'unauthenticated' "
		       "(probes, health checks or clients that stop in the "
		       "handshake); loopback clients are never blocked"
		     : "\"Aborted connection\" with user 'unauthenticated' "
		       "(probes, health checks or clients that stop in the "
		       "handshake): each counts toward max_connect_errors "
		       "(default 100) for its host until a login succeeds");
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "%u session(s) from %.120s ended before logging in (%zu "
		 "host(s) in all)",
		 t.n[0], t.k[0]->name, t.keys);
	cd_finding_num(f, "top_host_preauth", t.n[0]);
	return 0;
}

struct rule {
	const char *code;
	uint32_t set;
	enum who who;
	uint64_t warn_at;     /* count from which sev applies (0: never) */
	enum cd_severity sev; /* below warn_at: info */
	const char *head;
	const char *why;
};

static const struct rule rules[] = {
	{"CD6021",
	 1u << SRV_EL_ABORTED_READ_ERROR | 1u << SRV_EL_ABORTED_CLOSE_CONN,
	 POSTAUTH, MANY, CD_SEV_WARNING,
	 "logged-in sessions ended without COM_QUIT",
	 "\"Got an error reading communication packets\" / CLOSE_CONNECTION "
	 "after login: the client closed its socket without COM_QUIT, died, "
	 "or something on the path cut the connection"},
	{"CD6022", 1u << SRV_EL_ABORTED_OUT_OF_ORDER, ALL, 1, CD_SEV_WARNING,
	 "the server received bytes that are not MySQL packets",
	 "\"Got packets out of order\": foreign bytes in a session's "
	 "stream, e.g. a client whose MySQL socket is its fd 2 writing a "
	 "warning to stderr, or a non-MySQL client on the port; the client "
	 "then gets \"MySQL server has gone away\""},
	{"CD6023", 1u << SRV_EL_ABORTED_READ_TIMEOUT, ALL, MANY, CD_SEV_WARNING,
	 "the server closed sessions on a read timeout",
	 "\"Got timeout reading communication packets\": a session idle "
	 "longer than wait_timeout (interactive_timeout), or a read stalled "
	 "longer than net_read_timeout; a pool that keeps connections idle "
	 "longer meets \"gone away\" on their next use"},
	{"CD6024",
	 1u << SRV_EL_ABORTED_WRITE_ERROR | 1u << SRV_EL_ABORTED_WRITE_TIMEOUT,
	 ALL, 1, CD_SEV_WARNING, "the server could not send to clients",
	 "\"Got an error/timeout writing communication packets\": the client "
	 "went away mid-result or read slower than net_write_timeout "
	 "allows"},
	{"CD6025", 1u << SRV_EL_ACCESS_DENIED, ALL, MANY, CD_SEV_WARNING,
	 "logins refused: access denied",
	 "\"Access denied for user\": a wrong password, an account without "
	 "a host pattern for that client, or someone guessing"},
	{"CD6026", 1u << SRV_EL_TOO_MANY_CONNECTIONS, ALL, 1, CD_SEV_CRITICAL,
	 "connections refused: too many connections",
	 "ER_CON_COUNT_ERROR: the connections reached max_connections (plus "
	 "one kept for an admin)"},
	{"CD6027", 1u << SRV_EL_HOST_BLOCKED, ALL, 1, CD_SEV_CRITICAL,
	 "client hosts blocked after connection errors",
	 "ER_HOST_IS_BLOCKED: a host's handshake errors reached "
	 "max_connect_errors; it stays blocked until FLUSH HOSTS"},
	{"CD6028", 1u << SRV_EL_IP_NOT_RESOLVED, ALL, 1, CD_SEV_WARNING,
	 "client addresses could not be resolved by the server",
	 "\"IP address ... could not be resolved\": mysqld resolves each new "
	 "client (skip_name_resolve=OFF) and the resolver it uses fails; "
	 "such connections wait for it before the greeting"},
	{"CD6029", 1u << SRV_EL_HOSTNAME_MISMATCH, ALL, 1, CD_SEV_WARNING,
	 "client names do not resolve back to their addresses",
	 "the server's forward-confirmed reverse lookup failed: accounts "
	 "granted to those host names do not match these clients"},
	{"CD6030", 1u << SRV_EL_ABORTED_KILLED, ALL, 0, CD_SEV_INFO,
	 "sessions were killed",
	 "KILL (an operator, pt-kill, a proxy) ended these sessions; their "
	 "clients saw the connection drop"},
	{"CD6031", 1u << SRV_EL_ABORTED_TOO_LARGE, ALL, 1, CD_SEV_WARNING,
	 "clients sent packets over max_allowed_packet",
	 "\"Got a packet bigger than 'max_allowed_packet' bytes\": the "
	 "server closed the session; the client sees \"gone away\""},
};

static int rule_one(const struct srv_errlog_stats *st, const struct rule *r,
		    struct cd_findings *out)
{
	uint32_t set = r->set;
	struct agg a;
	struct cd_finding *f;

	/* MariaDB logs a kill from both threads; MySQL only from the
	   killed one */
	if (set == bit(SRV_EL_ABORTED_KILLED) && !st->n[SRV_EL_ABORTED_KILLED])
		set = bit(SRV_EL_CONNECTION_KILLED);
	a = aggregate(st, set, r->who);
	if (!a.n)
		return 0;
	f = add(out, r->code,
		r->warn_at && a.n >= r->warn_at ? r->sev : CD_SEV_INFO, st, set,
		r->who, r->head, r->why);
	if (!f)
		return -1;
	if (set == bit(SRV_EL_ACCESS_DENIED) && st->naccts) {
		struct top t = top_keys(st->accts, st->naccts, set, ALL);
		char accts[400];
		size_t o = strlen(f->evidence);

		top_text(&t, accts, sizeof(accts));
		snprintf(f->evidence + o, sizeof(f->evidence) - o,
			 "; by account: %s", accts);
		cd_finding_num(f, "accounts", (double)t.keys);
	}
	return 0;
}

/* CD6032/CD6033: restarts, and those without a normal shutdown. */
static int rule_restarts(const struct srv_errlog_stats *st,
			 struct cd_findings *out)
{
	uint64_t restarts = st->n[SRV_EL_SERVER_START];
	uint64_t clean = st->n[SRV_EL_SHUTDOWN_NORMAL];
	uint64_t unclean, down;
	struct cd_finding *f;
	char w[40];

	/* the log's (or window's) first line is a start, not a restart */
	if (restarts && st->first_s[SRV_EL_SERVER_START] == st->t_first)
		restarts--;
	unclean = restarts > clean ? restarts - clean : 0;
	if (st->n[SRV_EL_CRASH] || unclean) {
		f = add(out, "CD6033", CD_SEV_CRITICAL, st,
			bit(SRV_EL_CRASH) |
				(unclean ? bit(SRV_EL_SERVER_START) : 0),
			ALL, "the server went down without a normal shutdown",
			"crash lines (got signal, Assertion failure, mysqld_"
			"safe restarting it) or starts without a \"Normal "
			"shutdown\" before them: a crash or a kill (OOM "
			"killer, kill -9); every session dropped then");
		if (!f)
			return -1;
		down = st->n[SRV_EL_CRASH] > unclean ? st->n[SRV_EL_CRASH]
						     : unclean;
		utc(st->last_s[SRV_EL_CRASH] ? st->last_s[SRV_EL_CRASH]
					     : st->last_s[SRV_EL_SERVER_START],
		    w, sizeof(w));
		snprintf(f->summary, sizeof(f->summary),
			 "the server went down %llu time(s) without a normal "
			 "shutdown, last at %s",
			 (unsigned long long)down, w);
		f->ev[0].v[0] = (double)down; /* "count": times down */
		cd_finding_num(f, "crash_lines", (double)st->n[SRV_EL_CRASH]);
		cd_finding_num(f, "starts_without_shutdown", (double)unclean);
	}
	if (restarts) {
		f = add(out, "CD6032", CD_SEV_WARNING, st,
			bit(SRV_EL_SERVER_START), ALL, "the server restarted",
			"\"starting as process\" / \"Starting MariaDB\" lines "
			"after the log's first: every session was dropped at "
			"each");
		if (!f)
			return -1;
		utc(st->last_s[SRV_EL_SERVER_START], w, sizeof(w));
		snprintf(f->summary, sizeof(f->summary),
			 "the server restarted %llu time(s), last at %s",
			 (unsigned long long)restarts, w);
		cd_finding_num(f, "restarts", (double)restarts);
		cd_finding_num(f, "normal_shutdowns", (double)clean);
	}
	return 0;
}

/* The log-only rules, leaving out the code in skip[0..nskip). */
static int errlog_rules(const struct srv_errlog_stats *st,
			const char *const *skip, size_t nskip,
			struct cd_findings *out)
{
	size_t i, j;

	if (rule_handshake_aborts(st, out))
		return -1;
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		for (j = 0; j < nskip; j++)
			if (!strcmp(skip[j], rules[i].code))
				break;
		if (j == nskip && rule_one(st, &rules[i], out))
			return -1;
	}
	return rule_restarts(st, out);
}

int chk_errlog_rules(const struct srv_errlog_stats *st, struct cd_findings *out)
{
	return errlog_rules(st, NULL, 0, out);
}

/* "Aborted_clients=N since the server started" or "not read". */
static void aborted_clients(const struct chk_learned_server *l, char *out,
			    size_t len)
{
	if (l->aborted_clients >= 0)
		snprintf(out, len,
			 "Aborted_clients=%lld since the server "
			 "started",
			 l->aborted_clients);
	else
		snprintf(out, len, "Aborted_clients not read");
}

/* One joined finding: the count of set in the window after login, by
 * account (the busiest first), with the audit's numbers in text; a
 * warning from warn_at sessions. */
static struct cd_finding *joined(struct cd_findings *out, const char *code,
				 const struct srv_errlog_stats *st,
				 uint32_t set, uint64_t warn_at,
				 const char *vars,
				 const struct chk_learned_server *l)
{
	struct agg a = aggregate(st, set, POSTAUTH);
	struct top t = top_keys(st->accts, st->naccts, set, POSTAUTH);
	struct cd_finding *f;
	char span[96], accts[400], ac[80];
	double v[TOP];
	size_t i;

	f = cd_finding_add(out, code,
			   a.n >= warn_at ? CD_SEV_WARNING : CD_SEV_INFO);
	if (!f)
		return NULL;
	when(&a, span, sizeof(span));
	top_text(&t, accts, sizeof(accts));
	aborted_clients(l, ac, sizeof(ac));
	snprintf(f->evidence, sizeof(f->evidence),
		 "error log: %llu %s; by account: %s; SHOW GLOBAL VARIABLES: "
		 "%s; %s",
		 (unsigned long long)a.n, span, t.used ? accts : "(no user)",
		 vars, ac);
	cd_finding_num(f, "count", (double)a.n);
	cd_finding_num(f, "first_seen_epoch", (double)a.first);
	cd_finding_num(f, "last_seen_epoch", (double)a.last);
	cd_finding_num(f, "accounts", (double)t.keys);
	for (i = 0; i < t.used; i++)
		v[i] = t.n[i];
	if (t.used)
		cd_finding_list(f, "top_account_counts", v, t.used);
	if (l->aborted_clients >= 0)
		cd_finding_num(f, "aborted_clients",
			       (double)l->aborted_clients);
	return f;
}

/* The busiest account of set, "user@host N", for a summary. */
static void busiest(const struct srv_errlog_stats *st, uint32_t set, char *out,
		    size_t len)
{
	struct top t = top_keys(st->accts, st->naccts, set, POSTAUTH);

	if (!t.used)
		snprintf(out, len, "no account named");
	else
		snprintf(out, len, "%.120s %u of them%s", t.k[0]->name, t.n[0],
			 t.keys > 1 ? ", and others" : "");
}

/* CD6060: "Got timeout reading communication packets". The server writes
 * the same line for a session idle past wait_timeout and for a read that
 * stalls past net_read_timeout inside a statement (a LOAD DATA LOCAL
 * stream): a command packet cut short waits wait_timeout, not
 * net_read_timeout (MariaDB 10.11's do_command reads it under
 * wait_timeout). Both numbers are given. */
static int rule_read_timeouts(const struct srv_errlog_stats *st,
			      const struct chk_learned_server *l,
			      struct cd_findings *out)
{
	uint32_t set = bit(SRV_EL_ABORTED_READ_TIMEOUT);
	uint64_t n = pick(st->n[SRV_EL_ABORTED_READ_TIMEOUT],
			  st->pre[SRV_EL_ABORTED_READ_TIMEOUT], POSTAUTH);
	struct cd_finding *f;
	char vars[200], who[200];

	/* before login the wait is connect_timeout's (CD6023, CD6020) */
	if (!n || l->net_read_timeout < 0)
		return 0;
	snprintf(vars, sizeof(vars),
		 "net_read_timeout=%lld (a read inside a statement), "
		 "wait_timeout=%lld, interactive_timeout=%lld (between "
		 "statements)",
		 l->net_read_timeout, l->wait_timeout, l->interactive_timeout);
	f = joined(out, "CD6060", st, set, MANY, vars, l);
	if (!f)
		return -1;
	busiest(st, set, who, sizeof(who));
	snprintf(f->summary, sizeof(f->summary),
		 "the server aborted %llu session(s) on a read timeout "
		 "(net_read_timeout=%lld s inside a statement, wait_timeout="
		 "%lld s idle): %.80s",
		 (unsigned long long)n, l->net_read_timeout, l->wait_timeout,
		 who);
	cd_finding_num(f, "net_read_timeout_s", (double)l->net_read_timeout);
	if (l->wait_timeout >= 0)
		cd_finding_num(f, "wait_timeout_s", (double)l->wait_timeout);
	if (l->interactive_timeout >= 0)
		cd_finding_num(f, "interactive_timeout_s",
			       (double)l->interactive_timeout);
	return 0;
}

/* CD6061: sessions aborted while the server wrote to them. MySQL logs a
 * write past net_write_timeout as "Got timeout writing communication
 * packets"; MariaDB 10.11 logs it as "Got an error writing communication
 * packets" (its net_real_write() names only an interrupted write a
 * timeout), the same line as for a client that closed mid-result. */
static int rule_write_aborts(const struct srv_errlog_stats *st,
			     const struct chk_learned_server *l,
			     struct cd_findings *out)
{
	uint32_t set = bit(SRV_EL_ABORTED_WRITE_TIMEOUT) |
		       bit(SRV_EL_ABORTED_WRITE_ERROR);
	uint64_t timeouts =
		pick(st->n[SRV_EL_ABORTED_WRITE_TIMEOUT],
		     st->pre[SRV_EL_ABORTED_WRITE_TIMEOUT], POSTAUTH);
	uint64_t errors = pick(st->n[SRV_EL_ABORTED_WRITE_ERROR],
			       st->pre[SRV_EL_ABORTED_WRITE_ERROR], POSTAUTH);
	struct cd_finding *f;
	char vars[120], who[200];

	if (!timeouts && !errors)
		return 0;
	if (l->net_write_timeout < 0)
		return 0;
	snprintf(vars, sizeof(vars), "net_write_timeout=%lld",
		 l->net_write_timeout);
	f = joined(out, "CD6061", st, set, 1, vars, l);
	if (!f)
		return -1;
	busiest(st, set, who, sizeof(who));
	snprintf(f->summary, sizeof(f->summary),
		 "the server aborted %llu session(s) while writing to them "
		 "(%llu logged as a timeout, %llu as a write error; "
		 "net_write_timeout=%lld s): %.80s",
		 (unsigned long long)timeouts + errors,
		 (unsigned long long)timeouts, (unsigned long long)errors,
		 l->net_write_timeout, who);
	cd_finding_num(f, "net_write_timeout_s", (double)l->net_write_timeout);
	cd_finding_num(f, "write_timeouts", (double)timeouts);
	cd_finding_num(f, "write_errors", (double)errors);
	return 0;
}

int chk_errlog_timeout_rules(const struct srv_errlog_stats *st,
			     const struct chk_learned_server *l,
			     struct cd_findings *out)
{
	if (!l)
		return 0;
	if (rule_read_timeouts(st, l, out))
		return -1;
	return rule_write_aborts(st, l, out);
}

int chk_errlog_rules_joined(const struct srv_errlog_stats *st,
			    const struct chk_learned_server *l,
			    struct cd_findings *out)
{
	const char *skip[2] = {NULL, NULL};
	size_t n = 0;

	/* the joined finding says all the log-only one says, with the
	   accounts and the audit's numbers; a read timeout before login
	   (connect_timeout's) keeps CD6023 */
	if (l && l->net_read_timeout >= 0 &&
	    st->n[SRV_EL_ABORTED_READ_TIMEOUT] &&
	    !st->pre[SRV_EL_ABORTED_READ_TIMEOUT])
		skip[n++] = "CD6023";
	if (l && l->net_write_timeout >= 0 &&
	    !st->pre[SRV_EL_ABORTED_WRITE_TIMEOUT] &&
	    !st->pre[SRV_EL_ABORTED_WRITE_ERROR])
		skip[n++] = "CD6024";
	if (errlog_rules(st, skip, n, out))
		return -1;
	return chk_errlog_timeout_rules(st, l, out);
}

void chk_errlog_facts(const struct srv_errlog_stats *st, const char *source,
		      struct chk_facts *facts)
{
	size_t i;
	unsigned c;
	uint64_t aborted = 0;
	int journal = !strcmp(source, "journal");

	chk_fact_add(facts, FE(SOURCE), NULL, CHK_BOOL(journal),
		     journal ? CHK_NUL : CHK_STR(source));
	chk_fact_add(facts, FE(READ), NULL, CHK_UINT(st->lines),
		     CHK_UINT(st->bytes), CHK_BOOL(st->partial),
		     CHK_UINT(st->journal_lines), CHK_UINT(st->syslog_lines));
	if (!st->lines)
		return;
	for (c = 0; c < SRV_EL_NFORMAT; c++)
		if (st->formats[c]) {
			char key[40];

			snprintf(key, sizeof(key), "format %s",
				 srv_errlog_format_name(c));
			chk_fact_add(facts, FE(FORMAT), key,
				     CHK_STR(srv_errlog_format_name(c)),
				     CHK_UINT(st->formats[c]));
		}
	if (st->lines_long || st->lines_truncated || st->lines_invalid)
		chk_fact_add(facts, FE(SKIPPED), NULL, CHK_UINT(st->lines_long),
			     CHK_UINT(st->lines_truncated),
			     CHK_UINT(st->lines_invalid));
	if (st->lines_outside)
		chk_fact_add(facts, FE(BEFORE_WINDOW), NULL,
			     CHK_UINT(st->lines_outside));
	if (st->t_first)
		chk_fact_add(facts, FE(SPAN), NULL, CHK_INT(st->t_first),
			     CHK_INT(st->t_last));
	else
		chk_fact_add(facts, FE(SPAN), NULL, CHK_NUL, CHK_NUL);
	for (c = 0; c < SRV_EL_NCLASS; c++) {
		if (!st->n[c])
			continue;
		if (c >= SRV_EL_ABORTED_READ_ERROR && c <= SRV_EL_ABORTED_OTHER)
			aborted += st->n[c];
		chk_fact_add(facts, FE(CLASS), srv_errlog_class_name(c),
			     CHK_STR(srv_errlog_class_name(c)),
			     CHK_UINT(st->n[c]), CHK_INT(st->first_s[c]),
			     CHK_INT(st->last_s[c]));
	}
	if (!aborted)
		chk_fact_add(facts, FE(NO_ABORTED), NULL, CHK_UINT(0));
	for (i = 0; i < st->nhosts && i < TOP; i++) {
		const struct srv_errlog_key *k = &st->hosts[i];
		unsigned top = SRV_EL_NCLASS, second = SRV_EL_NCLASS, seen = 0;
		char key[24];

		/* The two classes with the most events, the first on a tie. */
		for (c = 0; c < SRV_EL_NCLASS; c++) {
			if (!k->n[c])
				continue;
			seen++;
			if (top == SRV_EL_NCLASS || k->n[c] > k->n[top]) {
				second = top;
				top = c;
			} else if (second == SRV_EL_NCLASS ||
				   k->n[c] > k->n[second]) {
				second = c;
			}
		}
		if (top == SRV_EL_NCLASS)
			continue;
		snprintf(key, sizeof(key), "host #%zu", i + 1);
		chk_fact_add(facts, FE(HOST), key, CHK_STR(k->name),
			     CHK_UINT(k->total),
			     CHK_STR(srv_errlog_class_name(top)),
			     CHK_UINT(k->n[top]),
			     second < SRV_EL_NCLASS
				     ? CHK_STR(srv_errlog_class_name(second))
				     : CHK_NUL,
			     second < SRV_EL_NCLASS ? CHK_UINT(k->n[second])
						    : CHK_NUL,
			     CHK_UINT(seen > 2 ? seen - 2 : 0));
	}
	if (st->hosts_untracked)
		chk_fact_add(facts, FE(HOSTS_UNTRACKED), NULL,
			     CHK_UINT(st->hosts_untracked),
			     CHK_UINT(SRV_EL_NHOSTS));
}

int chk_errlog_run(const char *path, double since_s,
		   const struct chk_learned_server *l, struct chk_facts *facts,
		   struct cd_findings *out)
{
	struct srv_errlog_opts o;
	struct srv_errlog_stats *st;
	char found[1024], err[512] = "", source[1100];
	int journal = 0, rc;

	memset(&o, 0, sizeof(o));
	o.naive_local = 1; /* MariaDB and MySQL 5.6 write local time */
	o.timeout_s = 30;
	if (since_s > 0)
		o.since_s = (int64_t)time(NULL) - (int64_t)since_s;
	if (!path) {
		switch (srv_errlog_default_path(NULL, NULL, NULL, found,
						sizeof(found))) {
		case SRV_EL_SRC_FILE:
			path = found;
			break;
		case SRV_EL_SRC_JOURNAL:
			journal = 1;
			break;
		default:
			chk_unreadable(facts, "error log",
				       "not found in the usual places and no "
				       "mariadb/mysql unit: give --error-log "
				       "PATH (the server's log_error)");
			return 0;
		}
	} else if (!strcmp(path, "journal")) {
		journal = 1;
	}
	st = malloc(sizeof(*st));
	if (!st || srv_errlog_stats_init(st, 60)) {
		free(st);
		return -1;
	}
	if (journal) {
		snprintf(source, sizeof(source), "journal");
		rc = srv_errlog_read_journal(&o, st, err, sizeof(err));
	} else {
		snprintf(source, sizeof(source), "%s", path);
		rc = srv_errlog_read(path, &o, st, err, sizeof(err));
	}
	if (rc) {
		chk_unreadable(facts, "error log", "%s", err);
		if (!st->lines) {
			srv_errlog_stats_free(st);
			free(st);
			return 0;
		}
	}
	srv_errlog_stats_sort(st);
	chk_errlog_facts(st, source, facts);
	rc = chk_errlog_rules_joined(st, l, out);
	srv_errlog_stats_free(st);
	free(st);
	return rc;
}

int chk_slice_errlog(const struct chk_ctx *ctx, struct chk_facts *facts,
		     struct cd_findings *out)
{
	const char *path = ctx->error_log;

	if (!path && ctx->learned_error_log && ctx->learned_error_log[0])
		path = ctx->learned_error_log;
	return chk_errlog_run(path, ctx->errlog_since_s, ctx->learned_server,
			      facts, out);
}
