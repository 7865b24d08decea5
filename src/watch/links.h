/* links.h - watch's long-lived links: the idle session kept open per target
 * with idle-survival (what cuts it, when, after how long idle) and, for a
 * target with replica, the replica's status joined with its TCP connection
 * to its primary as sock_diag sees it. Private to watch/. */
#ifndef CONNDOCTOR_WATCH_LINKS_H
#define CONNDOCTOR_WATCH_LINKS_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>

#include "probe/probe.h"

/* How an idle session ended without our asking (the `how` label). */
enum watch_cut {
	WATCH_CUT_FIN,		/* the peer closed it, no error first */
	WATCH_CUT_RST,		/* the peer reset it */
	WATCH_CUT_SERVER_ERROR, /* the server sent an ERR, then closed */
	WATCH_CUT_CHECK_FAILED, /* no cut seen, but the check query at the
				   end of idle-check failed */
	WATCH_CUT__COUNT
};

/* A replica's SHOW ALL SLAVES STATUS, its first row. */
struct watch_replica_status {
	/* MariaDB's names; MySQL 8's Replica_*, Source_* alike */
	int io_running;	       /* Slave_IO_Running: 1 Yes, 0 otherwise */
	int sql_running;       /* Slave_SQL_Running: 1 Yes */
	double lag_s;	       /* Seconds_Behind_Master, -1: NULL */
	double heartbeat_s;    /* Slave_heartbeat_period, -1: unknown */
	double heartbeats;     /* Slave_received_heartbeats, -1: unknown */
	char master_host[256]; /* Master_Host */
	unsigned master_port;  /* Master_Port */
};

/* The replica's TCP connection to its primary (sock_diag, tcp_info). */
struct watch_replica_link {
	int found;
	double recv_idle_s;	 /* tcpi_last_data_recv */
	uint64_t bytes_received; /* tcpi_bytes_received */
	uint32_t total_retrans;	 /* tcpi_total_retrans */
	int keepalive;		 /* a keepalive timer is armed */
	double keepalive_s;	 /* ... firing in this long */
	int stateful_only; /* the host's firewall takes the primary's packets
			      only as ESTABLISHED: 1, 0, -1 unknown */
};

/* What watch keeps per target of both (in struct watch_state, carried
 * over a reload that leaves the target unchanged). */
/* The server's host cache (hostcache.c): the rows of this host's
 * addresses, at most WATCH_HC_ROWS of them (kept small: every target's
 * series state has room for them). */
#define WATCH_HC_ROWS	   4
#define WATCH_HC_IP_MAX	   48
#define WATCH_HC_LOCAL_MAX 32
/* One row of max_connect_errors, then one per host_cache entry; both need
 * only SELECT on performance_schema. */
#define WATCH_HOSTCACHE_QUERY                                                  \
	"SELECT 'max_connect_errors', @@GLOBAL.max_connect_errors "            \
	"UNION ALL SELECT IP, SUM_CONNECT_ERRORS FROM "                        \
	"performance_schema.host_cache"
struct watch_hc_row {
	char ip[WATCH_HC_IP_MAX];
	double errors; /* SUM_CONNECT_ERRORS */
};
/* The parse of one read. */
struct watch_hc_parse {
	unsigned ncols;
	int bad;      /* not the shape of WATCH_HOSTCACHE_QUERY's answer */
	int have_max; /* its first row came */
	double max;   /* max_connect_errors, -1: not read */
	struct watch_hc_row rows[WATCH_HC_ROWS];
	unsigned n;
	struct in6_addr local[WATCH_HC_LOCAL_MAX]; /* this host's, v4 mapped */
	unsigned nlocal;
};
/* Clears p; with read_local, reads this host's interface addresses
 * (getifaddrs) to keep their rows (loopback ones always are). */
void watch_hc_parse_init(struct watch_hc_parse *p, int read_local);
/* Feeds one packet (probe_config.result_pkt's row and payload). */
void watch_hc_parse_pkt(struct watch_hc_parse *p, int row, const uint8_t *pkt,
			size_t len);

struct watch_link {
	/* idle survival */
	int idle_tr; /* transport of the idle session, -1: none yet */
	uint64_t cuts[WATCH_CUT__COUNT];
	uint64_t survived; /* sessions that held idle-check and answered */
	int have_cut;
	enum watch_cut last_how;
	uint16_t last_code;   /* the server's ERR before the last cut, 0 */
	double last_idle_s;   /* how long the last cut session was idle */
	double last_cut_unix; /* when it was cut, Unix time */
	/* replica */
	int rep_polled; /* a status query has ended */
	int rep_ok;	/* the last one was answered */
	int rep_have;	/* ... with a row: a replica */
	struct watch_replica_status st;
	struct watch_replica_link link;
	char addrs_of[256];	  /* the Master_Host addrs[] were found for */
	struct in6_addr addrs[8]; /* its addresses, IPv4 mapped */
	size_t naddrs;
	int stalled; /* IO running, link silent past 1.5 heartbeats */
	/* host cache */
	int hc_state; /* 0: not read yet, 1: read, -1: not readable */
	double hc_max;
	struct watch_hc_row hc_rows[WATCH_HC_ROWS];
	unsigned hc_n;
};

/* Stores a host cache read's end (a, its attempt; p, its parse) in l.
 * Returns 1 when it found the host cache unreadable and the last read
 * did not (say so once). */
int watch_hc_done(struct watch_link *l, const struct cd_attempt *a,
		  const struct watch_hc_parse *p);

/* Sorts one idle session's end (a, its attempt) into l. Returns 1 when it
 * reached idle (reopen soon), 0 when it failed before (wait an
 * interval). */
int watch_idle_done(struct watch_link *l, enum cd_transport tr,
		    const struct cd_attempt *a);

/* The replica status parse of one attempt: column positions from the
 * column definitions, values from the first row. */
struct watch_replica_parse {
	unsigned ncols;
	int col[8]; /* index of each wanted column, -1: absent */
	int have_row;
	struct watch_replica_status st;
};
void watch_replica_parse_init(struct watch_replica_parse *p);
/* Feeds one packet (probe_config.result_pkt's row and payload). */
void watch_replica_parse_pkt(struct watch_replica_parse *p, int row,
			     const uint8_t *pkt, size_t len);
/* The host's firewall as the replica links are judged against (read
 * again every WATCH_FW_EVERY_S). */
#define WATCH_FW_EVERY_S 60
struct chk_ruleset;
struct watch_fw {
	const struct chk_ruleset *rs; /* NULL: no ruleset readable */
	int tcp_loose;		      /* nf_conntrack_tcp_loose, -1 unknown */
};

/* Stores a status query's end: its attempt, the parse, and the link
 * looked up through sock_diag, judged against fw. */
void watch_replica_done(struct watch_link *l, const struct cd_attempt *a,
			const struct watch_replica_parse *p,
			const struct watch_fw *fw);

/* The replica's status queries, in the order they are tried: MariaDB's
 * (the heartbeat period and count are only in the ALL form), MySQL
 * 8.0.22+'s (Replica_*, Source_* columns), older MySQL's. */
#define WATCH_REPLICA_QUERIES 3
extern const char *const watch_replica_queries[WATCH_REPLICA_QUERIES];
/* The query to use after a poll with query cur ended as a: the next one
 * when the server did not know the statement (ERROR 1064), else cur. */
int watch_replica_next_query(int cur, const struct cd_attempt *a);

struct watch_state;
/* 1 when some target has idle-survival or replica on. */
int watch_links_any(const struct watch_state *s);
/* Writes the idle and replica series of every target. */
void watch_links_render(FILE *out, const struct watch_state *s);
/* The host cache's series of the targets with host-cache on. */
void watch_hc_render(FILE *out, const struct watch_state *s);

#endif /* CONNDOCTOR_WATCH_LINKS_H */
