/* hostsaccess_eval.c - matching a connection against hosts.allow and
 * hosts.deny as libwrap 7.6.q does (tcpd hosts_access.c table_match,
 * list_match, host_match), and an abstract walk telling which clients'
 * verdicts need their name (so a DNS lookup). */
#include "check/hostsaccess.h"
#include "check/hostsaccess_tcpd.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The tokens of a list from index i (none when the table has none). */
static const struct chk_wrap_tok *toks_at(const struct chk_wrap_table *t,
					  uint32_t i)
{
	return t->toks ? t->toks + i : NULL;
}

/* ---- evaluation of one connection ---- */

struct ev {
	const struct chk_wrap_table *t;
	const struct chk_wrap_query *q;
	struct chk_wrap_result *r;
};

/* eval_hostname(): the name, looked up on first use. */
static const char *ev_name(struct ev *e, int server)
{
	const char *n = server ? e->q->server_name : e->q->client_name;

	if (server)
		e->r->server_name = 1;
	else
		e->r->client_name = 1;
	return n && n[0] ? n : "unknown";
}

static const char *ev_addr(const struct ev *e, int server)
{
	const char *a = server ? e->q->server_addr : e->q->client_addr;

	return a && a[0] ? a : "unknown";
}

/* HOSTNAME_KNOWN() */
static int name_known(const char *n)
{
	return strcasecmp(n, "unknown") && strcasecmp(n, "paranoid");
}

static int host_match(struct ev *e, const struct chk_wrap_tok *k, int server,
		      int depth);

/* hostfile_match() */
static int file_match(struct ev *e, const struct chk_wrap_tok *k, int server,
		      int depth)
{
	const struct chk_wrap_file *f;
	uint32_t i;

	if (k->file < 0 || depth > CHK_WRAP_FILE_DEPTH)
		return 0;
	f = &e->t->files[k->file];
	for (i = f->toks; i < f->toks + f->ntoks; i++)
		if (host_match(e, &e->t->toks[i], server, depth + 1))
			return 1;
	return 0;
}

/* host_match() */
static int host_match(struct ev *e, const struct chk_wrap_tok *k, int server,
		      int depth)
{
	const char *h = e->t->pool + k->host;
	const char *addr = ev_addr(e, server);
	char net[CHK_WRAP_BUFLEN];
	long slash;

	switch (k->kind) {
	case CHK_WK_NETGROUP:
		ev_name(e, server);
		e->r->undecidable = 1; /* innetgr() needs NIS */
		return 0;
	case CHK_WK_FILE:
		return file_match(e, k, server, depth);
	case CHK_WK_KNOWN:
		return name_known(ev_name(e, server)) &&
		       strcasecmp(addr, "unknown");
	case CHK_WK_LOCAL: {
		const char *n = ev_name(e, server);

		return !strchr(n, '.') && name_known(n);
	}
	case CHK_WK_NETMASK:
		slash = chk_wrap_split_at(h, strlen(h), '/');
		snprintf(net, sizeof(net), "%.*s", (int)slash, h);
		return chk_wrap_masked_match(net, h + slash + 1, addr);
	default:
		return chk_wrap_string_match(h, addr) ||
		       (chk_wrap_not_inaddr(h) &&
			chk_wrap_string_match(h, ev_name(e, server)));
	}
}

/* client_match(): host, then (user@host) the identd answer. */
static int client_match(struct ev *e, const struct chk_wrap_tok *k)
{
	if (!host_match(e, k, 0, 0))
		return 0;
	if (!k->at)
		return 1;
	e->r->ident = 1;
	return chk_wrap_string_match(e->t->pool + k->text,
				     e->q->user && e->q->user[0] ? e->q->user
								 : "unknown");
}

/* server_match(): daemon name, then (daemon@host) the server's host. */
static int server_match(struct ev *e, const struct chk_wrap_tok *k)
{
	if (!chk_wrap_string_match(e->t->pool + k->text, e->q->daemon))
		return 0;
	return !k->at || host_match(e, k, 1, 0);
}

typedef int (*match_fn)(struct ev *e, const struct chk_wrap_tok *k);

/* list_match(): the first match, then its EXCEPT list, recursively. */
static int list_match(struct ev *e, const struct chk_wrap_tok *v, size_t n,
		      match_fn fn)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].except)
			return 0;
		if (fn(e, &v[i])) {
			while (++i < n && !v[i].except)
				;
			return i >= n ||
			       !list_match(e, v + i + 1, n - i - 1, fn);
		}
	}
	return 0;
}

/* table_match(); -1 no match, else the rule index. */
static int table_match(struct ev *e, const struct chk_wrap_table *t)
{
	size_t i;

	if (!t)
		return -1;
	e->t = t;
	for (i = 0; i < t->nrules; i++) {
		const struct chk_wrap_rule *ru = &t->rules[i];

		if (list_match(e, toks_at(t, ru->daemons), ru->ndaemons,
			       server_match) &&
		    list_match(e, toks_at(t, ru->clients), ru->nclients,
			       client_match))
			return (int)i;
	}
	return -1;
}

void chk_wrap_eval(const struct chk_wrap_table *allow,
		   const struct chk_wrap_table *deny,
		   const struct chk_wrap_query *q, struct chk_wrap_result *r)
{
	const struct chk_wrap_table *tabs[2] = {allow, deny};
	struct ev e = {NULL, q, r};
	int k;

	memset(r, 0, sizeof(*r));
	r->table = r->rule = -1;
	r->allow = 1;
	for (k = 0; k < 2; k++) {
		const struct chk_wrap_rule *ru;
		int m = table_match(&e, tabs[k]);

		if (m < 0)
			continue;
		ru = &tabs[k]->rules[m];
		r->table = k;
		r->rule = m;
		r->allow = k == 0;
		/* process_options(): expansions run before allow/deny; a
		 * bad option jumps to a denial. */
		if (ru->opt & CHK_WO_NAME)
			r->client_name = 1;
		if (ru->opt & CHK_WO_SERVER_NAME)
			r->server_name = 1;
		if (ru->opt & CHK_WO_IDENT)
			r->ident = 1;
		if (ru->opt & (CHK_WO_BAD | CHK_WO_DENY))
			r->allow = 0;
		else if (ru->opt & CHK_WO_ALLOW)
			r->allow = 1;
		return;
	}
}

/* ---- the abstract walk: which clients need a name ---- */

static enum chk_wrap_share smax(enum chk_wrap_share a, enum chk_wrap_share b)
{
	return a > b ? a : b;
}

static enum chk_wrap_share smin(enum chk_wrap_share a, enum chk_wrap_share b)
{
	return a < b ? a : b;
}

struct walk {
	enum chk_wrap_share need;    /* of the clients walked: need a name */
	enum chk_wrap_share matched; /* of the clients walked: matched */
	int name_tok;
	int ident, paranoid;
};

/* A host pattern, abstractly: whether it matches every client, some, or
 * none without its name; and when it needs the name. */
static void abs_host(const struct chk_wrap_table *t,
		     const struct chk_wrap_tok *k, int depth,
		     enum chk_wrap_share *match, enum chk_wrap_need *need,
		     int *paranoid)
{
	const struct chk_wrap_file *f;
	uint32_t i;

	*need = (enum chk_wrap_need)k->need;
	*match = CHK_WS_SOME;
	if (k->kind == CHK_WK_PARANOID)
		*paranoid = 1;
	if (k->kind == CHK_WK_ALL ||
	    (k->kind == CHK_WK_WILDCARD && k->need == CHK_WN_NEVER)) {
		*match = CHK_WS_EVERY;
		return;
	}
	if (k->kind != CHK_WK_FILE)
		return;
	/* A pattern file: its words in order, until one matches. */
	*need = CHK_WN_NEVER;
	*match = CHK_WS_NONE;
	if (k->file < 0 || depth > CHK_WRAP_FILE_DEPTH)
		return;
	f = &t->files[k->file];
	if (f->unread) {
		*match = CHK_WS_SOME;
		return;
	}
	for (i = f->toks; i < f->toks + f->ntoks; i++) {
		enum chk_wrap_share m;
		enum chk_wrap_need n;

		abs_host(t, &t->toks[i], depth + 1, &m, &n, paranoid);
		/* After a word that matched some clients, only the others
		 * get to a word that needs the name. */
		if (n == CHK_WN_ALWAYS && *match != CHK_WS_NONE)
			n = CHK_WN_UNLESS_ADDR;
		if (n > *need)
			*need = n;
		*match = smax(*match, m);
		if (m == CHK_WS_EVERY)
			return;
	}
}

/* Walks a client list for the share `reach` of the clients, like
 * list_match(): needs and matches of each pattern until the first EXCEPT,
 * then the exceptions for the clients matched. */
static void walk_clients(const struct chk_wrap_table *t,
			 const struct chk_wrap_tok *v, size_t n,
			 enum chk_wrap_share reach, struct walk *w)
{
	enum chk_wrap_share rem = reach;
	size_t i;

	memset(w, 0, sizeof(*w));
	w->name_tok = -1;
	for (i = 0; i < n && !v[i].except; i++) {
		enum chk_wrap_share m;
		enum chk_wrap_need nd;
		enum chk_wrap_share nshare = CHK_WS_NONE;

		if (rem == CHK_WS_NONE)
			continue;
		abs_host(t, &v[i], 0, &m, &nd, &w->paranoid);
		if (nd == CHK_WN_ALWAYS)
			nshare = rem;
		else if (nd == CHK_WN_UNLESS_ADDR)
			nshare = smin(rem, CHK_WS_SOME);
		if (nshare > w->need)
			w->need = nshare;
		if (nshare != CHK_WS_NONE && w->name_tok < 0)
			w->name_tok = (int)(&v[i] - t->toks);
		if (v[i].at && m != CHK_WS_NONE)
			w->ident = 1; /* eval_user() once the host matched */
		if (m == CHK_WS_EVERY && !v[i].at) {
			w->matched = smax(w->matched, rem);
			rem = CHK_WS_NONE;
		} else if (m != CHK_WS_NONE) {
			w->matched = smax(w->matched, CHK_WS_SOME);
			rem = smin(rem, CHK_WS_SOME);
		}
	}
	if (i < n && w->matched != CHK_WS_NONE) {
		struct walk ex;

		walk_clients(t, v + i + 1, n - i - 1, w->matched, &ex);
		if (ex.need > w->need)
			w->need = ex.need;
		if (w->name_tok < 0)
			w->name_tok = ex.name_tok;
		w->ident |= ex.ident;
		w->paranoid |= ex.paranoid;
		if (ex.matched == CHK_WS_EVERY)
			w->matched = CHK_WS_NONE;
		else if (ex.matched != CHK_WS_NONE)
			w->matched = CHK_WS_SOME;
	}
}

/* A daemon list for one daemon name: EVERY when it applies whatever the
 * server address, SOME when a daemon@host pattern makes that depend on
 * it, NONE when never. server_need: a daemon@host pattern tried needs the
 * server's own name; named: a pattern other than ALL matched. */
static enum chk_wrap_share walk_daemon(const struct chk_wrap_table *t,
				       const struct chk_wrap_tok *v, size_t n,
				       const char *name, int *server_need,
				       int *named)
{
	enum chk_wrap_share res = CHK_WS_NONE, rem = CHK_WS_EVERY;
	size_t i;

	for (i = 0; i < n && !v[i].except; i++) {
		const char *d = t->pool + v[i].text;
		enum chk_wrap_share m = CHK_WS_EVERY;

		if (rem == CHK_WS_NONE || !chk_wrap_string_match(d, name))
			continue;
		if (strcasecmp(d, "ALL"))
			*named = 1;
		if (v[i].at) {
			enum chk_wrap_share hm;
			enum chk_wrap_need nd;
			int paranoid = 0;

			/* daemon@host: the host part is matched against the
			 * server's address (and name). */
			abs_host(t, &v[i], 0, &hm, &nd, &paranoid);
			if (nd != CHK_WN_NEVER)
				*server_need = 1;
			if (hm == CHK_WS_NONE)
				continue;
			m = hm;
		}
		res = smax(res, smin(m, rem));
		rem = m == CHK_WS_EVERY ? CHK_WS_NONE : smin(rem, CHK_WS_SOME);
	}
	if (i < n && res != CHK_WS_NONE) {
		int sn = 0, nm = 0;
		enum chk_wrap_share ex =
			walk_daemon(t, v + i + 1, n - i - 1, name, &sn, &nm);

		*server_need |= sn;
		if (ex == CHK_WS_EVERY)
			res = CHK_WS_NONE;
		else if (ex != CHK_WS_NONE)
			res = CHK_WS_SOME;
	}
	return res;
}

/* The same for every name the daemon may have: EVERY when the list
 * applies under all of them, SOME under some, NONE under none. */
static enum chk_wrap_share walk_daemons(const struct chk_wrap_table *t,
					const struct chk_wrap_tok *v, size_t n,
					const char *const *names, size_t nnames,
					int *server_need, int *named)
{
	enum chk_wrap_share lo = CHK_WS_EVERY, hi = CHK_WS_NONE;
	size_t k;

	for (k = 0; k < nnames; k++) {
		enum chk_wrap_share s =
			walk_daemon(t, v, n, names[k], server_need, named);

		lo = smin(lo, s);
		hi = smax(hi, s);
	}
	if (hi == CHK_WS_NONE)
		return CHK_WS_NONE;
	return lo == CHK_WS_EVERY ? CHK_WS_EVERY : CHK_WS_SOME;
}

void chk_wrap_analyze(const struct chk_wrap_table *allow,
		      const struct chk_wrap_table *deny,
		      const char *const *daemons, size_t ndaemons,
		      struct chk_wrap_analysis *a)
{
	const struct chk_wrap_table *tabs[2] = {allow, deny};
	enum chk_wrap_share reach = CHK_WS_EVERY;
	size_t k, i;

	memset(a, 0, sizeof(*a));
	a->first_dns = a->first_paranoid = a->first_ident = -1;
	for (k = 0; k < 2; k++) {
		const struct chk_wrap_table *t = tabs[k];

		for (i = 0; t && i < t->nrules; i++) {
			const struct chk_wrap_rule *ru = &t->rules[i];
			struct chk_wrap_step *s;
			struct walk w;
			enum chk_wrap_share dm;
			int server_need = 0, named = 0;

			dm = walk_daemons(t, toks_at(t, ru->daemons),
					  ru->ndaemons, daemons, ndaemons,
					  &server_need, &named);
			/* A daemon list that does not apply may still have
			 * looked the server's name up on the way. */
			if (dm == CHK_WS_NONE && !server_need)
				continue;
			if (dm != CHK_WS_NONE && named)
				a->rules_named++;
			else if (dm != CHK_WS_NONE)
				a->rules_all++;
			if (reach == CHK_WS_NONE) {
				if (dm != CHK_WS_NONE)
					a->unreachable++;
				continue;
			}
			if (dm == CHK_WS_NONE) {
				memset(&w, 0, sizeof(w));
				w.name_tok = -1;
			} else {
				walk_clients(t, toks_at(t, ru->clients),
					     ru->nclients, CHK_WS_EVERY, &w);
			}
			if (dm != CHK_WS_EVERY)
				w.matched = smin(w.matched, CHK_WS_SOME);
			a->nsteps_total++;
			if (a->nsteps < CHK_WRAP_MAX_STEPS) {
				s = &a->steps[a->nsteps];
				memset(s, 0, sizeof(*s));
				s->table = (uint8_t)k;
				s->rule = (uint32_t)i;
				s->daemon = dm;
				s->reach = reach;
				s->name = w.need;
				s->matched = w.matched;
				s->name_tok = w.name_tok;
				s->server_name =
					(uint8_t)(server_need ||
						  (w.matched &&
						   (ru->opt &
						    CHK_WO_SERVER_NAME)));
				s->ident =
					(uint8_t)(w.ident ||
						  (w.matched &&
						   (ru->opt & CHK_WO_IDENT)));
				s->paranoid = (uint8_t)w.paranoid;
				s->options_name =
					(uint8_t)(w.matched &&
						  (ru->opt & CHK_WO_NAME));
				if (s->options_name && w.matched > s->name)
					s->name = w.matched;
				if (a->first_dns < 0 &&
				    (s->name || s->server_name))
					a->first_dns = (int)a->nsteps;
				if (a->first_paranoid < 0 && s->paranoid)
					a->first_paranoid = (int)a->nsteps;
				if (a->first_ident < 0 && s->ident)
					a->first_ident = (int)a->nsteps;
				a->nsteps++;
			}
			if (w.matched == CHK_WS_EVERY)
				reach = CHK_WS_NONE;
			else if (w.matched != CHK_WS_NONE)
				reach = smin(reach, CHK_WS_SOME);
		}
	}
}

enum chk_wrap_share chk_wrap_applies(const struct chk_wrap_table *t,
				     size_t rule, const char *const *daemons,
				     size_t ndaemons)
{
	const struct chk_wrap_rule *ru;
	int server_need = 0, named = 0;

	if (!t || rule >= t->nrules)
		return CHK_WS_NONE;
	ru = &t->rules[rule];
	return walk_daemons(t, toks_at(t, ru->daemons), ru->ndaemons, daemons,
			    ndaemons, &server_need, &named);
}

const char *chk_wrap_problem_name(enum chk_wrap_problem p)
{
	switch (p) {
	case CHK_WP_NO_NEWLINE:
		return "no-newline";
	case CHK_WP_TOO_LONG:
		return "too-long";
	case CHK_WP_NUL:
		return "nul-byte";
	case CHK_WP_NO_COLON:
		return "no-colon";
	case CHK_WP_BAD_OPTION:
		return "bad-option";
	case CHK_WP_IPV6_BARE:
		return "ipv6-without-brackets";
	case CHK_WP_HASH:
		return "hash-not-comment";
	case CHK_WP_BAD_PATTERN:
		return "bad-pattern";
	case CHK_WP_OPTION_ACTS:
		return "option-acts-on-mysqld";
	case CHK_WP_EMPTY_LIST:
		return "empty-list";
	case CHK_WP_FILE_UNREAD:
		return "pattern-file-unread";
	default:
		return "?";
	}
}
