/* hostsaccess_tcpd.h - tcpd 7.6.q's string helpers, shared by the
 * hosts_access(5) parser (hostsaccess.c) and the evaluator
 * (hostsaccess_eval.c). Private to those files. */
#ifndef CONNDOCTOR_CHECK_HOSTSACCESS_TCPD_H
#define CONNDOCTOR_CHECK_HOSTSACCESS_TCPD_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* split_at(): the first delim outside [brackets] (a ']' before any '['
 * makes the count negative, as in tcpd); its index, or -1. */
long chk_wrap_split_at(const char *s, size_t len, int delim);
/* NOT_INADDR(): the pattern has a character other than digits, '.' and
 * '/', so libwrap also tries it on the client's name. */
int chk_wrap_not_inaddr(const char *s);
/* atoi() without its undefined overflow. */
long chk_wrap_atoi_clamped(const char *s);
/* The pattern has a '*' or '?' (libwrap then globs it). */
int chk_wrap_has_wildcard(const char *s);
/* An IPv6 address with an optional %scope, as getaddrinfo() with
 * AI_NUMERICHOST takes it; 0, or -1 when it is not one. */
int chk_wrap_parse_v6(const char *s, size_t len, struct in6_addr *a);
/* string_match(): pattern tok against a daemon name, address or host
 * name. */
int chk_wrap_string_match(const char *tok, const char *string);
/* An IPv4 net/mask pair as the Debian libwrap takes it (host order);
 * 0, or -1 when either half is not valid. */
int chk_wrap_v4_netmask(const char *net, const char *mask, uint32_t *n,
			uint32_t *m);
/* masked_match(): net/mask against the client's address. */
int chk_wrap_masked_match(const char *net, const char *mask, const char *addr);

#endif /* CONNDOCTOR_CHECK_HOSTSACCESS_TCPD_H */
