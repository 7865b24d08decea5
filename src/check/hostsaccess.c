/* hostsaccess.c - TCP wrappers access tables: hosts_access(5) and
 * hosts_options(5) as libwrap 7.6.q (Debian) reads and matches them
 * (tcpd hosts_access.c table_match/list_match/host_match/string_match,
 * misc.c xgets/split_at/dot_quad_addr, options.c process_options), plus
 * an abstract walk telling which rules need the client's name. */
#include "check/hostsaccess.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Grows a table array to hold one more element; -1 out of memory, 1 when
 * the bound is reached (the caller stops parsing). */
static int grow(void **v, size_t *cap, size_t n, size_t size, size_t max)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	if (n >= max)
		return 1;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > max)
		ncap = max;
	nv = realloc(*v, ncap * size);
	if (!nv)
		return -1;
	*v = nv;
	*cap = ncap;
	return 0;
}

/* Copies n bytes of s into the pool, NUL-terminated; returns the offset
 * in *off. -1 out of memory, 1 pool full. */
static int pool_add(struct chk_wrap_table *t, const char *s, size_t n,
		    uint32_t *off)
{
	if (t->pool_len + n + 1 > t->pool_cap) {
		size_t ncap = t->pool_cap ? t->pool_cap : 4096;
		char *np;

		while (ncap < t->pool_len + n + 1)
			ncap *= 2;
		if (ncap > POOL_MAX)
			return 1;
		np = realloc(t->pool, ncap);
		if (!np)
			return -1;
		t->pool = np;
		t->pool_cap = ncap;
	}
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
	struct chk_wrap_note *n;
	va_list ap;
	int g = grow((void **)&t->notes, &t->notes_cap, t->nnotes,
		     sizeof(*t->notes), CHK_WRAP_MAX_NOTES);

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

/* ---- tcpd's string helpers ---- */

/* split_at(): the first `delim` outside [brackets] (a ']' before any '['
 * makes the count negative, as in tcpd); its index, or -1. */
static long split_at(const char *s, size_t len, int delim)
{
	int bracket = 0;
	size_t i;

	for (i = 0; i < len && s[i]; i++) {
		if (s[i] == '[')
			bracket++;
		else if (s[i] == ']')
			bracket--;
		else if (bracket == 0 && s[i] == delim)
			return (long)i;
	}
	return -1;
}

/* NOT_INADDR(): the pattern has a character other than digits, '.' and
 * '/', so libwrap also tries it on the client's name. */
static int not_inaddr(const char *s)
{
	return s[strspn(s, "01234567890./")] != '\0';
}

/* dot_quad_addr(): exactly four runs of non-dots, then inet_addr(); -1
 * (INADDR_NONE, so 255.255.255.255 too) when not. */
static int dot_quad(const char *s, uint32_t *out)
{
	struct in_addr a;
	int runs = 0, in_run = 0;
	const char *p;

	for (p = s; *p; p++) {
		if (*p == '.') {
			in_run = 0;
		} else if (!in_run) {
			in_run = 1;
			runs++;
		}
	}
	if (runs != 4 || !inet_aton(s, &a) || a.s_addr == INADDR_NONE)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

/* atoi() without its undefined overflow. */
static long atoi_clamped(const char *s)
{
	long v = 0;
	int neg = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	while (isdigit((unsigned char)*s) && v < 100000)
		v = v * 10 + (*s++ - '0');
	return neg ? -v : v;
}

/* Case-insensitive glob with * and ? (the Debian wildcard patch). */
static int glob_ci(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat && (*pat == '?' ||
				    tolower((unsigned char)*pat) ==
					    tolower((unsigned char)*s))) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

static int has_wildcard(const char *s)
{
	return strchr(s, '*') || strchr(s, '?');
}

/* An IPv6 address with an optional %scope, as getaddrinfo() with
 * AI_NUMERICHOST takes it: the scope must be a number or an interface of
 * this host. libwrap 7.6.q then compares the addresses alone (measured:
 * [fe80::1%eth0] matches fe80::1%lo). */
static int parse_v6(const char *s, size_t len, struct in6_addr *a)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *pct = memchr(s, '%', len);
	size_t n = pct ? (size_t)(pct - s) : len;

	if (len >= sizeof(buf))
		return -1;
	if (pct) {
		memcpy(buf, pct + 1, len - n - 1);
		buf[len - n - 1] = '\0';
		if (!buf[0] || (strspn(buf, "0123456789") != strlen(buf) &&
				!if_nametoindex(buf)))
			return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, a) == 1 ? 0 : -1;
}

/* The client string with an IPv4-mapped prefix removed (string_match
 * does this before anything else). */
static const char *unmap(const char *s)
{
	uint32_t a;

	if (!strncasecmp(s, "::ffff:", 7) && !dot_quad(s + 7, &a))
		return s + 7;
	return s;
}

/* string_match(): pattern tok against a daemon name, address or host
 * name. */
static int string_match(const char *tok, const char *string)
{
	size_t n = strlen(tok), sl;

	string = unmap(string);
	sl = strlen(string);
	if (has_wildcard(tok))
		return glob_ci(tok, string);
	if (tok[0] == '.')
		return sl > n && !strcasecmp(tok, string + (sl - n));
	if (!strcasecmp(tok, "ALL"))
		return 1;
	if (!strcasecmp(tok, "KNOWN"))
		return strcasecmp(string, "unknown") != 0;
	if (n && tok[n - 1] == '.')
		return !strncasecmp(tok, string, n);
	if (tok[0] == '[' && n >= 2 && tok[n - 1] == ']') {
		struct in6_addr pa, sa;

		if (parse_v6(tok + 1, n - 2, &pa) || parse_v6(string, sl, &sa))
			return 0;
		return !memcmp(&pa, &sa, sizeof(pa));
	}
	return !strcasecmp(tok, string);
}

/* An IPv4 net/mask pair as the Debian libwrap takes it: the net a dotted
 * quad, the mask a dotted quad or a length 1..32 (read by atoi()). */
static int v4_netmask(const char *net, const char *mask, uint32_t *n,
		      uint32_t *m)
{
	long bits;

	if (dot_quad(net, n))
		return -1;
	if (!dot_quad(mask, m))
		return 0;
	bits = atoi_clamped(mask);
	if (bits < 1 || bits > 32)
		return -1;
	*m = bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
	return 0;
}

/* masked_match(): net/mask against the client's address. */
static int masked_match(const char *net, const char *mask, const char *addr)
{
	const char *a4 = unmap(addr);
	uint32_t a, n, m;
	struct in6_addr pa, sa;
	size_t nl = strlen(net);
	long bits;
	int i;

	if (!dot_quad(a4, &a))
		return !v4_netmask(net, mask, &n, &m) && (a & m) == n;
	if (parse_v6(addr, strlen(addr), &sa))
		return 0;
	if (nl < 2 || net[0] != '[' || net[nl - 1] != ']' ||
	    parse_v6(net + 1, nl - 2, &pa))
		return 0;
	bits = atoi_clamped(mask);
	if (bits < 0 || bits > 128)
		return 0;
	for (i = 0; i < 16 && bits > 0; i++, bits -= 8) {
		unsigned bm = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;

		if ((pa.s6_addr[i] & bm) != (sa.s6_addr[i] & bm))
			return 0;
	}
	return 1;
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
	} else if (split_at(h, n, '/') >= 0) {
		*kind = CHK_WK_NETMASK;
	} else if (!strcasecmp(h, "ALL")) {
		*kind = CHK_WK_ALL;
	} else if (!not_inaddr(h)) {
		*kind = CHK_WK_ADDR;
	} else if (!strcasecmp(h, "UNKNOWN")) {
		*kind = CHK_WK_UNKNOWN;
		*need = CHK_WN_ALWAYS;
	} else if (!strcasecmp(h, "PARANOID")) {
		*kind = CHK_WK_PARANOID;
		*need = CHK_WN_ALWAYS;
	} else if (has_wildcard(h)) {
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
		g = grow((void **)&t->toks, &t->toks_cap, t->ntoks,
			 sizeof(*t->toks), CHK_WRAP_MAX_TOKS);
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
		/* server_match()/client_match(): split_at(tok + 1, '@'). */
		at = tl > 1 ? split_at(list + i + 1, tl - 1, '@') : -1;
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
			slash = split_at(h, strlen(h), '/');
			snprintf(net, sizeof(net), "%.*s", (int)slash, h);
			if (net[0] == '[') {
				struct in6_addr x;
				size_t nl = strlen(net);
				long bits = atoi_clamped(h + slash + 1);

				if (nl < 2 || net[nl - 1] != ']' ||
				    parse_v6(net + 1, nl - 2, &x) || bits < 0 ||
				    bits > 128) {
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
			} else if (v4_netmask(net, h + slash + 1, &a, &m) ||
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

			if (parse_v6(h + 1, strlen(h) - 2, &x) &&
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
	size_t r, ol;
	int g, hash = 0;
	const char *cl, *opt = NULL;
	uint32_t i;

	c1 = split_at(c, len, ':');
	if (c1 < 0) {
		size_t k = strspn(c, " \t");

		return note(t, line, -1, CHK_WP_NO_COLON,
			    "%s: libwrap skips the line",
			    c[k] == '#' ? "'#' after blanks does not start a "
					  "comment and there is no ':'"
					: "no ':' between daemons and clients");
	}
	g = grow((void **)&t->rules, &t->rules_cap, t->nrules,
		 sizeof(*t->rules), CHK_WRAP_MAX_RULES);
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
	c2 = split_at(cl, ol, ':');
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
		g = grow((void **)&t->toks, &t->toks_cap, t->ntoks,
			 sizeof(*t->toks), CHK_WRAP_MAX_TOKS);
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
		slash = split_at(h, strlen(h), '/');
		snprintf(net, sizeof(net), "%.*s", (int)slash, h);
		return masked_match(net, h + slash + 1, addr);
	default:
		return string_match(h, addr) ||
		       (not_inaddr(h) && string_match(h, ev_name(e, server)));
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
	return string_match(e->t->pool + k->text, e->q->user && e->q->user[0]
							  ? e->q->user
							  : "unknown");
}

/* server_match(): daemon name, then (daemon@host) the server's host. */
static int server_match(struct ev *e, const struct chk_wrap_tok *k)
{
	if (!string_match(e->t->pool + k->text, e->q->daemon))
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

		if (rem == CHK_WS_NONE || !string_match(d, name))
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
