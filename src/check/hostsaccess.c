/* hostsaccess.c - TCP wrappers access tables: hosts_access(5) and
 * hosts_options(5) as libwrap 7.6.q (Debian) reads and matches them
 * (tcpd hosts_access.c table_match/list_match/host_match/string_match,
 * misc.c xgets, options.c process_options): the table storage, the
 * grammar parser and the reader of tables and pattern files. Matching a
 * connection and the abstract walk are in hostsaccess_eval.c. */
#include "check/hostsaccess.h"
#include "check/hostsaccess_tcpd.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/vec.h"

#define POOL_MAX    (8u * 1024 * 1024)
#define PATFILE_MAX (64 * 1024)
#define LIST_SEP    ", \t\r\n" /* tcpd's sep[] */

/* ---- table storage ---- */

void chk_wrap_table_init(struct chk_wrap_table *t)
{
	memset(t, 0, sizeof(*t));
}

void chk_wrap_table_free(struct chk_wrap_table *t)
{
	free(t->rules);
	free(t->notes);
	free(t->toks);
	free(t->pool);
	memset(t, 0, sizeof(*t));
}

/* What cd_vec_grow() gave, as the parsers here want it: 0 grown, 1 when
 * the bound is reached (the caller stops parsing), -1 out of memory. */
static int grown(const void *nv)
{
	if (nv)
		return 0;
	return errno == E2BIG ? 1 : -1;
}

/* Copies n bytes of s into the pool, NUL-terminated; returns the offset
 * in *off. -1 out of memory, 1 pool full. */
static int pool_add(struct chk_wrap_table *t, const char *s, size_t n,
		    uint32_t *off)
{
	char *np = cd_vec_grow(t->pool, 1, t->pool_len + n + 1, &t->pool_cap,
			       POOL_MAX, 4096);

	if (!np)
		return grown(np);
	t->pool = np;
	memcpy(t->pool + t->pool_len, s, n);
	t->pool[t->pool_len + n] = '\0';
	*off = (uint32_t)t->pool_len;
	t->pool_len += n + 1;
	return 0;
}

/* Records a note; -1 only when out of memory (a full list drops notes). */
__attribute__((format(printf, 5, 6))) static int
note(struct chk_wrap_table *t, unsigned line, int rule,
     enum chk_wrap_problem what, const char *fmt, ...)
{
	struct chk_wrap_note *n =
		cd_vec_grow(t->notes, sizeof(*n), t->nnotes + 1, &t->notes_cap,
			    CHK_WRAP_MAX_NOTES, 16);
	va_list ap;
	int g = grown(n);

	if (n)
		t->notes = n;
	if (g)
		return g < 0 ? -1 : 0;
	n = &t->notes[t->nnotes++];
	n->line = line;
	n->rule = rule;
	n->what = what;
	va_start(ap, fmt);
	vsnprintf(n->detail, sizeof(n->detail), fmt, ap);
	va_end(ap);
	return 0;
}

/* ---- classification of host patterns ---- */

/* Characters an address string can have (hex digits, dots, colons). */
static int addr_chars(const char *s)
{
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) && !strchr(".:[]*?%", *s))
			return 0;
	return 1;
}

static void classify(const char *h, uint8_t *kind, uint8_t *need)
{
	size_t n = strlen(h);

	*need = CHK_WN_NEVER;
	if (h[0] == '@') {
		*kind = CHK_WK_NETGROUP;
		*need = CHK_WN_ALWAYS;
	} else if (h[0] == '/') {
		*kind = CHK_WK_FILE;
	} else if (!strcasecmp(h, "KNOWN")) {
		*kind = CHK_WK_KNOWN;
		*need = CHK_WN_ALWAYS;
	} else if (!strcasecmp(h, "LOCAL")) {
		*kind = CHK_WK_LOCAL;
		*need = CHK_WN_ALWAYS;
	} else if (chk_wrap_split_at(h, n, '/') >= 0) {
		*kind = CHK_WK_NETMASK;
	} else if (!strcasecmp(h, "ALL")) {
		*kind = CHK_WK_ALL;
	} else if (!chk_wrap_not_inaddr(h)) {
		*kind = CHK_WK_ADDR;
	} else if (!strcasecmp(h, "UNKNOWN")) {
		*kind = CHK_WK_UNKNOWN;
		*need = CHK_WN_ALWAYS;
	} else if (!strcasecmp(h, "PARANOID")) {
		*kind = CHK_WK_PARANOID;
		*need = CHK_WN_ALWAYS;
	} else if (chk_wrap_has_wildcard(h)) {
		*kind = CHK_WK_WILDCARD;
		if (strspn(h, "*") == n)
			*need = CHK_WN_NEVER; /* matches every address */
		else
			*need = addr_chars(h) ? CHK_WN_UNLESS_ADDR
					      : CHK_WN_ALWAYS;
	} else if (h[0] == '[' && n >= 2 && h[n - 1] == ']') {
		*kind = CHK_WK_ADDR6;
		*need = CHK_WN_UNLESS_ADDR;
	} else if (h[0] == '.') {
		*kind = CHK_WK_DOMAIN;
		*need = CHK_WN_ALWAYS;
	} else {
		*kind = CHK_WK_NAME;
		*need = CHK_WN_ALWAYS;
	}
}

/* ---- parsing ---- */

struct opt_def {
	const char *name;
	unsigned flags;
};

#define O_NEED_ARG 1 /* a value is required */
#define O_OPT_ARG  2 /* a value is allowed */
#define O_USE_LAST 4 /* must be the last option */
#define O_EXPAND   8 /* %-expanded */

/* options.c option_table[]. */
static const struct opt_def options[] = {
	{"user", O_NEED_ARG},
	{"group", O_NEED_ARG},
	{"umask", O_NEED_ARG},
	{"linger", O_NEED_ARG},
	{"keepalive", 0},
	{"spawn", O_NEED_ARG | O_EXPAND},
	{"twist", O_NEED_ARG | O_EXPAND | O_USE_LAST},
	{"rfc931", O_OPT_ARG},
	{"setenv", O_NEED_ARG | O_EXPAND},
	{"nice", O_OPT_ARG},
	{"severity", O_NEED_ARG},
	{"allow", O_USE_LAST},
	{"deny", O_USE_LAST},
	{"banners", O_NEED_ARG},
};

/* options.c log_fac[] and log_sev[]: tcpd's own tables, which lack
 * authpriv, syslog, ftp, "warn" and "error". */
static const char *const facilities[] = {
	"kern",	  "user",   "mail",   "daemon", "auth",	  "lpr",
	"news",	  "uucp",   "cron",   "local0", "local1", "local2",
	"local3", "local4", "local5", "local6", "local7",
};
static const char *const levels[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

static int in_list(const char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(v[i], s))
			return 1;
	return 0;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The value check libwrap applies, or NULL when it passes. */
static const char *bad_value(const char *key, const char *value)
{
	char buf[128];
	const char *dot;

	if (!value)
		return NULL;
	if (!strcasecmp(key, "severity")) {
		dot = strchr(value, '.');
		if (!dot)
			return in_list(levels, NELEM(levels), value)
				       ? NULL
				       : "unknown syslog level";
		snprintf(buf, sizeof(buf), "%.*s", (int)(dot - value), value);
		return in_list(facilities, NELEM(facilities), buf) &&
				       in_list(levels, NELEM(levels), dot + 1)
			       ? NULL
			       : "unknown syslog facility or level";
	}
	if (!strcasecmp(key, "nice") || !strcasecmp(key, "linger") ||
	    !strcasecmp(key, "rfc931")) {
		const char *p = value + (*value == '-' || *value == '+');

		return *p && strspn(p, "0123456789") == strlen(p)
			       ? NULL
			       : "not a number";
	}
	if (!strcasecmp(key, "umask"))
		return strspn(value, "01234567") == strlen(value)
			       ? NULL
			       : "not an octal number";
	return NULL;
}

/* %n (client name), %N (server name) and %u (identd) in an expanded
 * option (percent_x()). */
static unsigned percent_flags(const char *v)
{
	unsigned f = 0;

	for (; v && *v; v++) {
		if (*v != '%' || !v[1])
			continue;
		v++;
		if (*v == 'n')
			f |= CHK_WO_NAME;
		else if (*v == 'N')
			f |= CHK_WO_SERVER_NAME;
		else if (*v == 'u')
			f |= CHK_WO_IDENT;
	}
	return f;
}

static void trim(char *s)
{
	size_t n = strlen(s), k = strspn(s, " \t\r\n");

	while (n > k && strchr(" \t\r\n", s[n - 1]))
		n--;
	memmove(s, s + k, n - k);
	s[n - k] = '\0';
}

/* Checks one option field as process_options() would; returns its
 * CHK_WO_* flags, CHK_WO_BAD with why set when libwrap rejects it. */
static unsigned check_option(char *field, int last, char *why, size_t wl)
{
	const struct opt_def *d = NULL;
	char *key = field, *value;
	const char *bad;
	size_t i, kl;
	unsigned f = 0;

	trim(field);
	if (!field[0]) {
		snprintf(why, wl, "empty option (a rule must not end in ':')");
		return CHK_WO_BAD;
	}
	kl = strcspn(field, "= \t\r\n");
	value = field + kl;
	if (*value) {
		*value++ = '\0';
		value += strspn(value, " \t\r\n=");
	}
	if (!*value)
		value = NULL;
	for (i = 0; i < NELEM(options) && !d; i++)
		if (!strcasecmp(options[i].name, key))
			d = &options[i];
	if (!d) {
		snprintf(why, wl, "unknown option '%.40s'", key);
		return CHK_WO_BAD;
	}
	if (!value && (d->flags & O_NEED_ARG)) {
		snprintf(why, wl, "option '%s' needs a value", d->name);
		return CHK_WO_BAD;
	}
	if (value && !(d->flags & (O_NEED_ARG | O_OPT_ARG))) {
		snprintf(why, wl, "option '%s' takes no value", d->name);
		return CHK_WO_BAD;
	}
	if ((d->flags & O_USE_LAST) && !last) {
		snprintf(why, wl, "option '%s' must be the last", d->name);
		return CHK_WO_BAD;
	}
	bad = bad_value(d->name, value);
	if (bad) {
		snprintf(why, wl, "%s: %s '%.40s'", d->name, bad, value);
		return CHK_WO_BAD;
	}
	if (!strcmp(d->name, "allow"))
		f |= CHK_WO_ALLOW;
	else if (!strcmp(d->name, "deny"))
		f |= CHK_WO_DENY;
	else if (!strcmp(d->name, "rfc931"))
		f |= CHK_WO_IDENT;
	if (d->flags & O_EXPAND)
		f |= percent_flags(value);
	if (!strcmp(d->name, "twist") || !strcmp(d->name, "user") ||
	    !strcmp(d->name, "group") || !strcmp(d->name, "nice") ||
	    !strcmp(d->name, "umask") || !strcmp(d->name, "banners")) {
		f |= CHK_WO_PROCESS;
		snprintf(why, wl, "%s", d->name);
	}
	return f;
}

/* Parses the option text of rule r; notes what libwrap would reject. */
static int parse_options(struct chk_wrap_table *t, size_t r, const char *text)
{
	char field[CHK_WRAP_BUFLEN], why[100];
	const char *p = text;
	unsigned flags = 0;
	size_t fl;
	int bad_noted = 0;

	while (1) {
		unsigned f;
		int last;

		/* get_field(): ':' separates, "\:" is a colon. */
		fl = 0;
		while (*p && *p != ':') {
			if (*p == '\\' && p[1] == ':')
				p++;
			if (fl < sizeof(field) - 1)
				field[fl++] = *p;
			p++;
		}
		field[fl] = '\0';
		last = *p == '\0';
		why[0] = '\0';
		f = check_option(field, last, why, sizeof(why));
		if ((f & CHK_WO_BAD) && !bad_noted) {
			bad_noted = 1;
			if (note(t, t->rules[r].line, (int)r, CHK_WP_BAD_OPTION,
				 "%s: a connection that matches this rule is "
				 "denied",
				 why))
				return -1;
		}
		if ((f & CHK_WO_PROCESS) &&
		    note(t, t->rules[r].line, (int)r, CHK_WP_OPTION_ACTS,
			 "option '%s' acts on the process that calls libwrap "
			 "(mysqld itself)",
			 why))
			return -1;
		flags |= f;
		if (last)
			break;
		p++;
	}
	t->rules[r].opt = (uint8_t)flags;
	return 0;
}

/* Adds the tokens of one list; returns the count in *n. The pool copy
 * of a user@host or daemon@host token holds "user\0host". */
static int add_tokens(struct chk_wrap_table *t, const char *list, size_t len,
		      int clients, uint32_t *first, uint32_t *n)
{
	size_t i = 0;

	*first = (uint32_t)t->ntoks;
	*n = 0;
	while (i < len) {
		struct chk_wrap_tok *k;
		size_t tl;
		long at;
		int g;

		i += strspn(list + i, LIST_SEP);
		if (i >= len)
			break;
		tl = strcspn(list + i, LIST_SEP);
		if (i + tl > len)
			tl = len - i;
		k = cd_vec_grow(t->toks, sizeof(*k), t->ntoks + 1, &t->toks_cap,
				CHK_WRAP_MAX_TOKS, 16);
		g = grown(k);
		if (k)
			t->toks = k;
		if (g) {
			t->capped = 1;
			return g < 0 ? -1 : 0;
		}
		k = &t->toks[t->ntoks];
		memset(k, 0, sizeof(*k));
		k->file = -1;
		g = pool_add(t, list + i, tl, &k->text);
		if (g) {
			t->capped = 1;
			return g < 0 ? -1 : 0;
		}
		k->host = k->text;
		k->except = !strcasecmp(t->pool + k->text, "EXCEPT");
		/* server_match()/client_match(): chk_wrap_split_at(tok + 1,
		 * '@'). */
		at = tl > 1 ? chk_wrap_split_at(list + i + 1, tl - 1, '@') : -1;
		if (at >= 0 && !k->except) {
			k->at = 1;
			t->pool[k->text + (size_t)at + 1] = '\0';
			k->host = k->text + (uint32_t)at + 2;
		}
		if (clients || k->at)
			classify(t->pool + k->host, &k->kind, &k->need);
		t->ntoks++;
		(*n)++;
		i += tl;
	}
	return 0;
}

/* An address as libwrap prints a client's: a.b.c.d, no leading zeros. */
static int canonical_v4(const char *s)
{
	struct in_addr a;
	char back[INET_ADDRSTRLEN];

	return inet_pton(AF_INET, s, &a) == 1 &&
	       inet_ntop(AF_INET, &a, back, sizeof(back)) && !strcmp(back, s);
}

/* Notes patterns that do not do what they seem to. */
static int check_patterns(struct chk_wrap_table *t, size_t r)
{
	const struct chk_wrap_rule *ru = &t->rules[r];
	uint32_t i;

	for (i = ru->clients; i < ru->clients + ru->nclients; i++) {
		const struct chk_wrap_tok *k = &t->toks[i];
		const char *h = t->pool + k->host;
		char net[CHK_WRAP_BUFLEN];
		uint32_t a, m;
		long slash;

		if (k->except)
			continue;
		if (k->kind == CHK_WK_NETMASK) {
			slash = chk_wrap_split_at(h, strlen(h), '/');
			snprintf(net, sizeof(net), "%.*s", (int)slash, h);
			if (net[0] == '[') {
				struct in6_addr x;
				size_t nl = strlen(net);
				long bits =
					chk_wrap_atoi_clamped(h + slash + 1);

				if (nl < 2 || net[nl - 1] != ']' ||
				    chk_wrap_parse_v6(net + 1, nl - 2, &x) ||
				    bits < 0 || bits > 128) {
					if (note(t, ru->line, (int)r,
						 CHK_WP_BAD_PATTERN,
						 "'%.60s' never matches", h))
						return -1;
				} else if (!isdigit((unsigned char)
							    h[slash + 1])) {
					if (note(t, ru->line, (int)r,
						 CHK_WP_BAD_PATTERN,
						 "'%.60s' has no prefix "
						 "length: libwrap reads /0 "
						 "and matches every IPv6 "
						 "client",
						 h))
						return -1;
				}
			} else if (chk_wrap_v4_netmask(net, h + slash + 1, &a,
						       &m) ||
				   (a & m) != a) {
				if (note(t, ru->line, (int)r,
					 CHK_WP_BAD_PATTERN,
					 "'%.60s' never matches (libwrap "
					 "wants n.n.n.n/m.m.m.m or a length "
					 "1-32, with no host bits set)",
					 h))
					return -1;
			}
		} else if (k->kind == CHK_WK_ADDR && h[0] && h[0] != '.' &&
			   h[strlen(h) - 1] != '.' && !canonical_v4(h)) {
			if (note(t, ru->line, (int)r, CHK_WP_BAD_PATTERN,
				 "'%.60s' never matches: libwrap compares "
				 "addresses as text (a.b.c.d, no leading "
				 "zeros)",
				 h))
				return -1;
		} else if (k->kind == CHK_WK_ADDR6) {
			struct in6_addr x;

			if (chk_wrap_parse_v6(h + 1, strlen(h) - 2, &x) &&
			    note(t, ru->line, (int)r, CHK_WP_BAD_PATTERN,
				 "'%.60s' is not an IPv6 address: libwrap "
				 "compares it with the client's name",
				 h))
				return -1;
		}
	}
	return 0;
}

/* A rule's token lists, options and the notes they call for. */
static int add_rule(struct chk_wrap_table *t, const char *c, size_t len,
		    unsigned line, unsigned nlines)
{
	struct chk_wrap_rule *ru;
	long c1, c2;
	struct chk_wrap_rule *nr;
	size_t r, ol;
	int g, hash = 0;
	const char *cl, *opt = NULL;
	uint32_t i;

	c1 = chk_wrap_split_at(c, len, ':');
	if (c1 < 0) {
		size_t k = strspn(c, " \t");

		return note(t, line, -1, CHK_WP_NO_COLON,
			    "%s: libwrap skips the line",
			    c[k] == '#' ? "'#' after blanks does not start a "
					  "comment and there is no ':'"
					: "no ':' between daemons and clients");
	}
	nr = cd_vec_grow(t->rules, sizeof(*nr), t->nrules + 1, &t->rules_cap,
			 CHK_WRAP_MAX_RULES, 16);
	g = grown(nr);
	if (nr)
		t->rules = nr;
	if (g) {
		t->capped = 1;
		return g < 0 ? -1 : 0;
	}
	r = t->nrules;
	ru = &t->rules[r];
	memset(ru, 0, sizeof(*ru));
	ru->line = line;
	ru->nlines = nlines;
	g = pool_add(t, c, len, &ru->text);
	if (!g)
		g = add_tokens(t, c, (size_t)c1, 0, &ru->daemons,
			       &ru->ndaemons);
	if (g > 0)
		t->capped = 1;
	if (g < 0 || t->capped)
		return g < 0 ? -1 : 0;
	cl = c + c1 + 1;
	ol = len - (size_t)c1 - 1;
	c2 = chk_wrap_split_at(cl, ol, ':');
	if (c2 >= 0) {
		opt = cl + c2 + 1;
		ol = (size_t)c2;
	}
	g = add_tokens(t, cl, ol, 1, &ru->clients, &ru->nclients);
	if (!g && opt) {
		ru->has_options = 1;
		g = pool_add(t, opt, len - (size_t)(opt - c), &ru->options);
	}
	if (g > 0)
		t->capped = 1;
	if (g < 0 || t->capped)
		return g < 0 ? -1 : 0; /* a cut rule is not kept */
	t->nrules++;
	for (i = ru->daemons; i < ru->clients + ru->nclients; i++)
		if (strchr(t->pool + t->toks[i].text, '#'))
			hash = 1;
	if (hash &&
	    note(t, line, (int)r, CHK_WP_HASH,
		 "'#' inside a rule is not a comment: libwrap reads it and the "
		 "words after it as patterns"))
		return -1;
	if (!ru->ndaemons && note(t, line, (int)r, CHK_WP_EMPTY_LIST,
				  "no daemon before the ':': never matches"))
		return -1;
	if (opt) {
		/* "mysqld: 2001:db8::1": the client list is "2001", the
		 * rest options. */
		const char *o = opt + strspn(opt, " \t");
		const char *last = ru->nclients
					   ? t->pool + t->toks[ru->clients +
							       ru->nclients - 1]
							       .text
					   : "";
		size_t ll = strlen(last);

		if ((isxdigit((unsigned char)*o) || *o == ':') && ll <= 4 &&
		    strspn(last, "0123456789abcdefABCDEF") == ll &&
		    note(t, line, (int)r, CHK_WP_IPV6_BARE,
			 "an IPv6 address needs [brackets]: its first ':' "
			 "ends the client list and the rest is read as "
			 "options"))
			return -1;
		if (parse_options(t, r, t->pool + t->rules[r].options))
			return -1;
	}
	ru = &t->rules[r];
	if (!ru->nclients && note(t, line, (int)r, CHK_WP_EMPTY_LIST,
				  "no client after the ':': never matches"))
		return -1;
	return check_patterns(t, r);
}

/* Whether skipped text would have been a rule (not blank, no comment). */
static int looks_like_rule(const char *c, size_t len)
{
	size_t k = 0;

	while (k < len && strchr(" \t\r\n", c[k]))
		k++;
	return k < len && c[0] != '#';
}

int chk_wrap_parse(struct chk_wrap_table *t, const char *buf, size_t len)
{
	char lbuf[CHK_WRAP_BUFLEN];
	size_t pos = 0;

	while (pos < len && !t->capped) {
		size_t used = 0;
		unsigned first = t->lines + 1, nphys = 0;
		int too_long = 0, newline = 0, nul = 0;

		/* xgets(): physical lines joined at backslash-newline, in a
		 * BUFLEN buffer; a segment that does not fit makes the line
		 * "too long" and it is skipped to its end. */
		for (;;) {
			const char *nl = memchr(buf + pos, '\n', len - pos);
			size_t end = nl ? (size_t)(nl - buf) + 1 : len;
			size_t m = end - pos;
			int cont = nl && m >= 2 && buf[end - 2] == '\\';
			size_t keep = nl ? m - 1 - (size_t)cont : m;

			if (memchr(buf + pos, '\0', m))
				nul = 1;
			if (nl) {
				t->lines++;
				nphys++;
			}
			/* fgets() into what is left of BUFLEN. */
			if (used + m > CHK_WRAP_BUFLEN - 1)
				too_long = 1;
			if (used < CHK_WRAP_BUFLEN - 1) {
				/* What fits, to tell a rule from a comment
				 * when the line is skipped. */
				size_t room = CHK_WRAP_BUFLEN - 1 - used;

				memcpy(lbuf + used, buf + pos,
				       keep < room ? keep : room);
				used += keep < room ? keep : room;
			}
			pos = end;
			if (!nl)
				break;
			if (!cont) {
				newline = 1;
				break;
			}
			if (pos >= len)
				break; /* backslash-newline, then EOF */
		}
		lbuf[used] = '\0';
		if (!nphys)
			nphys = 1;
		if (!newline || too_long || nul) {
			enum chk_wrap_problem p = too_long ? CHK_WP_TOO_LONG
						  : nul	   ? CHK_WP_NUL
							   : CHK_WP_NO_NEWLINE;

			if (looks_like_rule(lbuf, used) &&
			    note(t, first, -1, p, "%s: libwrap skips it",
				 p == CHK_WP_TOO_LONG
					 ? "line longer than 2046 bytes"
				 : p == CHK_WP_NUL
					 ? "NUL byte in the line"
					 : "no newline at the end of the file"))
				return -1;
			continue;
		}
		if (!used || lbuf[0] == '#' || strspn(lbuf, " \t\r\n") == used)
			continue;
		if (add_rule(t, lbuf, used, first, nphys))
			return -1;
	}
	return 0;
}

/* ---- reading tables and pattern files ---- */

/* Reads at most max bytes of a file into a new buffer (*out, *len).
 * Returns 0, or errno. */
static int read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err = errno ? errno : EINVAL;
		if (!S_ISREG(st.st_mode))
			err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		close(fd);
		return err;
	}
	buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		return ENOMEM;
	}
	while (n < max) {
		ssize_t r = read(fd, buf + n, max - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* Where a /path pattern named in a table is read: a leading "/etc/" under
 * etcroot; -1 when it lies neither there nor beside the table. */
static int patfile_path(const char *pattern, const char *etcroot,
			const char *table_dir, char *out, size_t len)
{
	size_t dl = strlen(table_dir);
	int n;

	if (!strncmp(pattern, "/etc/", 5) && etcroot)
		n = snprintf(out, len, "%s/%s", etcroot, pattern + 5);
	else if (!strncmp(pattern, table_dir, dl) && pattern[dl] == '/')
		n = snprintf(out, len, "%s", pattern);
	else
		return -1;
	if (n < 0 || (size_t)n >= len || strstr(pattern, "/../"))
		return -1;
	return 0;
}

/* Reads the pattern file for token index ti (and, depth first, those it
 * names), like hostfile_match()'s fscanf("%s"): words separated by white
 * space, each a host pattern. */
static int load_patfile(struct chk_wrap_table *t, size_t ti,
			const char *etcroot, const char *table_dir, int depth)
{
	char path[PATH_MAX], *text = NULL;
	struct chk_wrap_file *f;
	const char *name = t->pool + t->toks[ti].host;
	size_t i, len = 0, p;
	int err;

	for (i = 0; i < t->nfiles; i++)
		if (!strcmp(t->files[i].path, name)) {
			t->toks[ti].file = (int16_t)i;
			return 0;
		}
	if (t->nfiles >= CHK_WRAP_MAX_FILES || depth > CHK_WRAP_FILE_DEPTH)
		return 0;
	f = &t->files[t->nfiles];
	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s", name);
	t->toks[ti].file = (int16_t)t->nfiles++;
	if (patfile_path(name, etcroot, table_dir, path, sizeof(path))) {
		f->unread = 1;
		return note(t, 0, -1, CHK_WP_FILE_UNREAD,
			    "pattern file %.80s lies outside %s: not read",
			    name, table_dir);
	}
	err = read_file(path, PATFILE_MAX, &text, &len);
	if (err == ENOMEM)
		return -1;
	if (err) {
		f->err = err;
		return 0;
	}
	f->toks = (uint32_t)t->ntoks;
	for (p = 0; p < len;) {
		struct chk_wrap_tok *k;
		size_t wl;
		int g;

		while (p < len && isspace((unsigned char)text[p]))
			p++;
		if (p >= len)
			break;
		wl = strcspn(text + p, " \t\r\n\v\f");
		k = cd_vec_grow(t->toks, sizeof(*k), t->ntoks + 1, &t->toks_cap,
				CHK_WRAP_MAX_TOKS, 16);
		g = grown(k);
		if (k)
			t->toks = k;
		if (!g) {
			k = &t->toks[t->ntoks];
			memset(k, 0, sizeof(*k));
			k->file = -1;
			g = pool_add(t, text + p, wl, &k->text);
		}
		if (g) {
			free(text);
			t->capped = 1;
			return g < 0 ? -1 : 0;
		}
		k->host = k->text;
		classify(t->pool + k->host, &k->kind, &k->need);
		t->ntoks++;
		t->files[t->toks[ti].file].ntoks++;
		p += wl;
	}
	free(text);
	/* Nested pattern files; indices, since toks[] may move. */
	f = &t->files[t->toks[ti].file];
	for (i = f->toks; i < (size_t)f->toks + f->ntoks; i++)
		if (t->toks[i].kind == CHK_WK_FILE &&
		    load_patfile(t, i, etcroot, table_dir, depth + 1))
			return -1;
	return 0;
}

int chk_wrap_load(struct chk_wrap_table *t, const char *path,
		  const char *etcroot)
{
	char dir[512], *text = NULL;
	const char *slash;
	size_t len = 0, i, ntoks;
	int err;

	snprintf(t->path, sizeof(t->path), "%s", path);
	err = read_file(path, CHK_WRAP_MAX_FILE, &text, &len);
	if (err == ENOMEM)
		return -1;
	if (err) {
		t->read_err = err;
		return 0;
	}
	t->found = 1;
	if (chk_wrap_parse(t, text, len)) {
		free(text);
		return -1;
	}
	free(text);
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1,
		 slash ? path : ".");
	ntoks = t->ntoks;
	for (i = 0; i < ntoks; i++)
		if (t->toks[i].kind == CHK_WK_FILE &&
		    load_patfile(t, i, etcroot, dir, 1))
			return -1;
	return 0;
}
