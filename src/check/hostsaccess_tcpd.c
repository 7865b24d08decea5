/* hostsaccess_tcpd.c - the string helpers of tcpd 7.6.q that both the
 * hosts_access(5) parser and the evaluator use (misc.c split_at and
 * dot_quad_addr, hosts_access.c string_match and masked_match). */
#include "check/hostsaccess_tcpd.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* split_at(): the first `delim` outside [brackets] (a ']' before any '['
 * makes the count negative, as in tcpd); its index, or -1. */
long chk_wrap_split_at(const char *s, size_t len, int delim)
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
int chk_wrap_not_inaddr(const char *s)
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
long chk_wrap_atoi_clamped(const char *s)
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

int chk_wrap_has_wildcard(const char *s)
{
	return strchr(s, '*') || strchr(s, '?');
}

/* An IPv6 address with an optional %scope, as getaddrinfo() with
 * AI_NUMERICHOST takes it: the scope must be a number or an interface of
 * this host. libwrap 7.6.q then compares the addresses alone (measured:
 * [fe80::1%eth0] matches fe80::1%lo). */
int chk_wrap_parse_v6(const char *s, size_t len, struct in6_addr *a)
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
int chk_wrap_string_match(const char *tok, const char *string)
{
	size_t n = strlen(tok), sl;

	string = unmap(string);
	sl = strlen(string);
	if (chk_wrap_has_wildcard(tok))
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

		if (chk_wrap_parse_v6(tok + 1, n - 2, &pa) ||
		    chk_wrap_parse_v6(string, sl, &sa))
			return 0;
		return !memcmp(&pa, &sa, sizeof(pa));
	}
	return !strcasecmp(tok, string);
}

/* An IPv4 net/mask pair as the Debian libwrap takes it: the net a dotted
 * quad, the mask a dotted quad or a length 1..32 (read by atoi()). */
int chk_wrap_v4_netmask(const char *net, const char *mask, uint32_t *n,
			uint32_t *m)
{
	long bits;

	if (dot_quad(net, n))
		return -1;
	if (!dot_quad(mask, m))
		return 0;
	bits = chk_wrap_atoi_clamped(mask);
	if (bits < 1 || bits > 32)
		return -1;
	*m = bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
	return 0;
}

/* masked_match(): net/mask against the client's address. */
int chk_wrap_masked_match(const char *net, const char *mask, const char *addr)
{
	const char *a4 = unmap(addr);
	uint32_t a, n, m;
	struct in6_addr pa, sa;
	size_t nl = strlen(net);
	long bits;
	int i;

	if (!dot_quad(a4, &a))
		return !chk_wrap_v4_netmask(net, mask, &n, &m) && (a & m) == n;
	if (chk_wrap_parse_v6(addr, strlen(addr), &sa))
		return 0;
	if (nl < 2 || net[0] != '[' || net[nl - 1] != ']' ||
	    chk_wrap_parse_v6(net + 1, nl - 2, &pa))
		return 0;
	bits = chk_wrap_atoi_clamped(mask);
	if (bits < 0 || bits > 128)
		return 0;
	for (i = 0; i < 16 && bits > 0; i++, bits -= 8) {
		unsigned bm = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;

		if ((pa.s6_addr[i] & bm) != (sa.s6_addr[i] & bm))
			return 0;
	}
	return 1;
}
