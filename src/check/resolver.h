/* resolver.h - the resolver as glibc sees it (resolv.conf(5),
 * nsswitch.conf(5), hosts(5)) and measured lookups: reverse then forward
 * per client address (what mysqld and libwrap do per connection), and a
 * PTR query to each nameserver on its own (RFC 1035 messages). */
#ifndef CONNDOCTOR_CHECK_RESOLVER_H
#define CONNDOCTOR_CHECK_RESOLVER_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "check/check.h"
#include "util/resolvconf.h"

/* The sources of nsswitch.conf's hosts line in order ("files", "dns",
 * ...); returns how many (<= max), 0 when there is no hosts line. */
size_t chk_nsswitch_hosts(const char *text, char out[][16], size_t max);

/* One lookup's worst case when every nameserver is dead: glibc's
 * res_send tries each server in each attempt, waiting (timeout << i) /
 * count for server i > 0 and timeout for the first. */
double chk_resolv_dead_lookup_s(int timeout_s, int attempts, int nameservers);

/* Whether hosts(5) text lists addr (IPv4 as ::ffff:a.b.c.d). */
int chk_hosts_has(const char *text, const struct in6_addr *addr);

/* A PTR query for addr with id; returns its length or -1 (cap too small). */
long chk_dns_ptr_query(uint8_t *out, size_t cap, uint16_t id,
		       const struct in6_addr *addr);

struct chk_dns_reply {
	uint16_t id;
	unsigned rcode;	  /* 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ... */
	unsigned answers; /* ANCOUNT */
	int truncated;	  /* TC bit */
};

/* Parses a reply's header and checks it answers query id with QR set.
 * Returns 0, or -1 when it is not a reply to that query. */
int chk_dns_parse_reply(const uint8_t *p, size_t len, uint16_t id,
			struct chk_dns_reply *r);

/* A measured lookup of one client address. */
struct chk_lookup {
	struct in6_addr addr;
	char name[256];	   /* reverse result, "" when none */
	double reverse_s;  /* -1: still running at the deadline */
	int reverse_rc;	   /* getnameinfo() result (EAI_*) */
	double forward_s;  /* -1: not done */
	int forward_match; /* the name resolves back to the address */
};

/* A PTR query sent to one nameserver on its own. */
struct chk_ns_probe {
	char ns[CD_RESOLV_NS_STR];
	double rtt_s;	/* -1: no answer before the deadline */
	int rcode;	/* -1: no answer */
	int send_errno; /* the query could not be sent */
};

/* Starts every lookup of l[0..n) on its own thread (l must stay valid until
 * chk_lookups_finish()); returns a handle, NULL when out of memory. */
struct chk_lookups *chk_lookups_start(struct chk_lookup *l, size_t n);
/* Waits at most bound_s more, copies finished results into l (unfinished
 * ones keep reverse_s = -1) and abandons the rest. */
void chk_lookups_finish(struct chk_lookups *h, double bound_s);
/* Sends a PTR query for ask to each nameserver on its own and waits at
 * most bound_s for all answers. */
void chk_probe_nameservers(const struct cd_resolv_conf *r,
			   const struct in6_addr *ask, struct chk_ns_probe *out,
			   double bound_s);

#endif /* CONNDOCTOR_CHECK_RESOLVER_H */
