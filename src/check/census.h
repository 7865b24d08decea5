/* census.h - the socket census: TCP sockets to and from the MySQL ports and
 * the Unix sockets of mysqld's socket path, read through netlink sock_diag
 * (linux/inet_diag.h, linux/unix_diag.h); the pure parser of its messages;
 * the summary and the rules of the census slice. */
#ifndef CONNDOCTOR_CHECK_CENSUS_H
#define CONNDOCTOR_CHECK_CENSUS_H

#include <stddef.h>
#include <stdint.h>

#include "check/check.h"
#include "check/counters.h"
#include "check/slices.h" /* chk_census_read, chk_census_free */

/* ---- the netlink message parser: bytes in, records out ---- */

/* What chk_sockdiag_parse says about one buffer. */
enum chk_diag_rc {
	CHK_DIAG_MORE = 0,	 /* every message read; the dump goes on */
	CHK_DIAG_DONE = 1,	 /* NLMSG_DONE: the dump is complete */
	CHK_DIAG_ERROR = -1,	 /* NLMSG_ERROR from the kernel: see nl_errno */
	CHK_DIAG_TRUNCATED = -2, /* a message or attribute runs past the end */
	CHK_DIAG_INVALID = -3,	 /* a length or a field no kernel sends */
	CHK_DIAG_NOMEM = -4
};

/* The state of one dump's parse: filters in, records out. */
struct chk_diag_parse {
	/* in */
	const uint16_t *ports; /* keep TCP sockets with sport or dport here */
	size_t nports;	       /* 0: keep every TCP socket */
	const char *unix_path; /* its listener's pending clients go to icons */
	/* out (appended to) */
	struct chk_census *c; /* TCP sockets to tcp[], Unix stream sockets
				 (unnamed or named unix_path) to unix_[] */
	uint32_t *icons;      /* inodes of clients queued on a listener of
				 unix_path, not yet accepted (owned) */
	size_t nicons, icons_cap;
	int nl_errno; /* the errno of an NLMSG_ERROR or a failed NLMSG_DONE */
	size_t nmsgs; /* SOCK_DIAG_BY_FAMILY messages seen */
};

/* Parses one buffer of netlink messages (one recvmsg's worth, len bytes)
 * from an inet_diag or unix_diag dump. Never reads outside [buf, buf+len);
 * records before a bad message are kept. */
enum chk_diag_rc chk_sockdiag_parse(struct chk_diag_parse *p,
				    const uint8_t *buf, size_t len);

/* chk_census_read with the IPv4 and IPv6 TCP dumps run one after the
 * other (threads 1), side by side in two threads (2), or as it decides (0:
 * two when the namespace holds thousands of TCP sockets and there is a
 * second CPU). */
int chk_census_read_threads(struct chk_census *c, const uint16_t *ports,
			    size_t nports, const char *unix_path, int threads,
			    char *err, size_t errlen);

/* Only the TCP listeners on ports (LISTEN sockets, rqueue/wqueue their
 * accept queue and its limit) into c, one thread: cheap enough to sample
 * each second. 0, or -1 with err set. */
int chk_listeners_read(struct chk_census *c, const uint16_t *ports,
		       size_t nports, char *err, size_t errlen);

/* The ESTABLISHED TCP sockets with sport or dport in ports, each with its
 * tcp_info (INET_DIAG_INFO: bytes received, time since data was last
 * received, retransmissions), into c, one thread. 0, or -1 with err. */
int chk_census_read_info(struct chk_census *c, const uint16_t *ports,
			 size_t nports, char *err, size_t errlen);

/* Frees what a parse owns (icons), not the census. */
void chk_diag_parse_free(struct chk_diag_parse *p);

/* Keeps, in c->unix_, only mysqld's side of path: its listeners, their
 * accepted ends (named path too) and the client ends connected to them or
 * queued on a listener (icons). Sets each one's role. */
void chk_unix_select(struct chk_census *c, const char *path,
		     const uint32_t *icons, size_t nicons);

/* "ESTABLISHED", "TIME_WAIT", ...; "?" for others. */
const char *chk_tcp_state_name(unsigned state);

/* "10.0.0.1:40000 -> 10.0.0.2:3306" (IPv4-mapped shown as IPv4). */
void chk_sock_endpoints(const struct chk_sock *s, char *buf, size_t len);

/* "10.0.0.2" or "fe80::1" into buf (INET6_ADDRSTRLEN). */
void chk_addr_str(const struct in6_addr *a, char *buf, size_t len);

/* ---- the census summary (pure) ---- */

/* Client sockets of one (source address, destination, port): the 4-tuple
 * space a connect() draws local ports from. */
struct chk_dest_use {
	struct in6_addr src, dst;
	uint16_t dport;
	uint32_t sockets;   /* client sockets of any state but LISTEN */
	uint32_t in_range;  /* ... whose local port is in the ephemeral range */
	uint32_t time_wait; /* ... in TIME_WAIT */
	uint32_t established;
};

struct chk_census_sum {
	uint32_t by_state[16];	      /* all kept TCP sockets by state */
	uint32_t client_by_state[16]; /* those whose dport is a MySQL port */
	uint32_t listeners;
	uint32_t time_wait_client, time_wait_server;
	uint32_t syn_recv;	       /* server side handshakes in progress */
	uint32_t syn_recv_retrans;     /* ... whose SYN-ACK was retransmitted */
	uint32_t est_client;	       /* established client connections */
	uint32_t est_client_keepalive; /* ... with a keepalive timer */
	uint32_t est_client_no_timer;  /* ... with no timer at all */
	uint32_t unix_listeners, unix_server_ends, unix_clients;
	uint32_t unix_pending;	    /* clients queued, not yet accepted */
	struct chk_dest_use *dests; /* most in_range first (owned) */
	size_t ndests;
};

/* Summarises the census against the ephemeral range [port_lo, port_hi]
 * (port_lo < 0: unknown, in_range counts every client socket). Returns 0
 * or -1 when out of memory. */
int chk_census_summarize(const struct chk_census *c, int port_lo, int port_hi,
			 struct chk_census_sum *s);
void chk_census_sum_free(struct chk_census_sum *s);

/* ---- the census slice's rules (pure) ---- */

struct chk_census_input {
	const struct chk_census *census; /* NULL or !tcp_ok: no socket rules */
	int port_lo, port_hi;		 /* ip_local_port_range, -1: unknown */
	const struct chk_counters *before; /* NULL: counters unreadable */
	const struct chk_counters *after;  /* second sample, or NULL */
	double interval_s;		   /* between before and after */
	const struct chk_census_sum *sum;  /* census summarised against the
					      same range, or NULL */
};

/* Applies every census and counter rule. Returns 0, or -1 when out of
 * memory. */
int chk_rules_census(const struct chk_census_input *in,
		     struct cd_findings *out);

/* Reads procroot/sys/net/ipv4/ip_local_port_range; 0 or -1. */
int chk_port_range_read(const char *procroot, int *lo, int *hi);

#endif /* CONNDOCTOR_CHECK_CENSUS_H */
