/* trace.h - `trace`'s source: the kernel's TCP evidence for the MySQL
 * ports of this network namespace, read live with eBPF (tp_btf programs on
 * inet_sock_set_state, tcp_retransmit_skb, tcp_retransmit_synack,
 * tcp_send_reset, tcp_receive_reset, kfree_skb) beside the namespace's
 * ListenOverflows/ListenDrops sampled each second; and, with uprobes on
 * its libc, the time mysqld spent resolving each client address. A
 * collector: it reads and counts; rules decide what the numbers mean. */
#ifndef CONNDOCTOR_TRACE_TRACE_H
#define CONNDOCTOR_TRACE_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TRACE_MAX_PORTS	 8
#define TRACE_MAX_CONNS	 4096 /* anomalous connections kept per run */
#define TRACE_MAX_REQS	 4096
#define TRACE_MAX_DROPS	 1024
#define TRACE_REASON_LEN 48

/* trace_open()/trace_attach() results: 0 or one of these; err says what. */
#define TRACE_ERR_NOBUILD  (-1) /* built without CD_BPF */
#define TRACE_ERR_PRIV	   (-2) /* not root / no CAP_BPF+CAP_PERFMON */
#define TRACE_ERR_NOBTF	   (-3) /* no /sys/kernel/btf/vmlinux */
#define TRACE_ERR_LOAD	   (-4) /* the kernel refused a program or map */
#define TRACE_ERR_ATTACH   (-5)
#define TRACE_ERR_NOMEM	   (-6)
#define TRACE_ERR_INTERNAL (-7)

/* Per-port counters; the same order as enum tr_counter (trace_abi.h). */
enum trace_counter {
	TRACE_SYN_RETRANS,
	TRACE_DATA_RETRANS,
	TRACE_SYNACK_RETRANS_EMPTY,
	TRACE_SYNACK_RETRANS_FULL,
	TRACE_SYNACK_RETRANS_OTHER,
	TRACE_RST_SENT,
	TRACE_RST_RECEIVED,
	TRACE_CONNECTED,
	TRACE_ACCEPTED,
	TRACE_FAILED,
	TRACE_CLOSED_LOCAL,
	TRACE_CLOSED_PEER,
	TRACE_CLOSED_RESET,
	TRACE_DROPS,
	TRACE_COUNTER__COUNT
};

/* Stable token of each counter (JSON keys, text labels). */
const char *trace_counter_name(enum trace_counter c);

enum trace_closer {
	TRACE_CLOSER_NONE,
	TRACE_CLOSER_LOCAL,
	TRACE_CLOSER_PEER,
	TRACE_CLOSER_LOCAL_RST,
	TRACE_CLOSER_PEER_RST,
	TRACE_CLOSER_GAVE_UP,
	TRACE_CLOSER__COUNT
};

/* "local", "peer", "local_reset", "peer_reset", "gave_up" ("" for none). */
const char *trace_closer_name(enum trace_closer c);

struct trace_config {
	uint16_t ports[TRACE_MAX_PORTS];
	size_t nports;
};

struct trace_port {
	uint16_t port;
	uint64_t c[TRACE_COUNTER__COUNT];
};

/* Drops of a port's packets for one reason (enum skb_drop_reason's name
 * without SKB_DROP_REASON_, from the running kernel's BTF). */
struct trace_drop {
	uint16_t port;
	uint32_t reason;
	char name[TRACE_REASON_LEN];
	uint64_t count;
};

/* Addresses as text (inet_ntop), ports in host order. */
struct trace_endpoints {
	char laddr[46], raddr[46];
	uint16_t lport, rport;
};

/* A connection that ended abnormally: never established, reset, or with
 * SYN retransmits. Times in microseconds. */
struct trace_conn {
	struct trace_endpoints e;
	uint16_t port; /* the MySQL port it matched */
	int server;    /* 1: this namespace accepted it, 0: it connected */
	int64_t at_us; /* end, since the trace began */
	int64_t syn_sent_us, syn_recv_us, established_us;
	uint32_t syn_retrans, data_retrans;
	int established, rst_sent, rst_received;
	enum trace_closer closer;
};

/* A connection request whose SYN-ACK was retransmitted. */
struct trace_req {
	struct trace_endpoints e;
	uint16_t port;
	uint32_t synack_retrans;
	uint32_t backlog, max_backlog; /* the listener's accept queue then */
	int64_t first_us, last_us;     /* since the trace began */
	int established;	       /* a connection came of it */
};

/* ListenOverflows/ListenDrops of the namespace (TcpExt), sampled. */
struct trace_listen {
	int ok;			  /* 0: /proc/net/netstat unreadable */
	int64_t overflows, drops; /* rise over the trace */
	int64_t max_overflows_per_s;
	unsigned samples;
};

/* One listener of a MySQL port, its accept queue sampled each second
 * over sock_diag (idiag_rqueue/idiag_wqueue of a LISTEN socket). */
#define TRACE_MAX_LISTENERS 32
struct trace_listener {
	char addr[46];
	uint16_t port;
	uint32_t limit;	       /* the backlog (sk_max_ack_backlog) */
	uint32_t queue_last;   /* queued connections at the last sample */
	uint32_t queue_max;    /* the most seen in one sample */
	uint64_t queue_sum;    /* over samples: the mean is sum/samples */
	unsigned samples;      /* samples this listener was seen in */
	unsigned full_samples; /* queue > limit: the kernel's "full" */
};

struct trace_listeners {
	struct trace_listener v[TRACE_MAX_LISTENERS];
	size_t n;
	uint64_t not_kept; /* listener samples beyond TRACE_MAX_LISTENERS */
	unsigned samples;  /* dumps that succeeded */
	unsigned failed;   /* dumps that failed (err holds the last reason) */
	char err[128];
};

struct chk_sock;

/* Adds one dump's LISTEN sockets to L (pure: the test feeds hand-made
 * sockets). Listeners are told apart by address and port. */
void trace_listeners_add(struct trace_listeners *L, const struct chk_sock *s,
			 size_t n);
/* One sock_diag dump of the listeners on ports into L. 0 or -1. */
int trace_listeners_sample(struct trace_listeners *L, const uint16_t *ports,
			   size_t nports);

struct trace_resolve_result;

/* What a trace measured. Owned by the caller: trace_result_free(). */
struct trace_result {
	int64_t duration_us;
	struct trace_port ports[TRACE_MAX_PORTS];
	size_t nports;
	struct trace_drop *drops;
	size_t ndrops;
	struct trace_conn *conns;
	size_t nconns;
	uint64_t conns_not_kept; /* beyond TRACE_MAX_CONNS */
	struct trace_req *reqs;
	size_t nreqs;
	struct trace_listen listen;
	struct trace_listeners listeners;
	uint64_t events_lost;	 /* the ring buffer was full */
	uint64_t tables_full;	 /* a connection/request/drop not followed */
	uint64_t drops_unplaced; /* a drop of the port in no known namespace */
	int drops_traced;	 /* 0: this kernel's kfree_skb has no reason */
	/* mysqld's name resolution (uprobes), borrowed from the caller; NULL
	 * when not traced, and then resolve_why says why ("": not asked). */
	const struct trace_resolve_result *resolve;
	char resolve_why[256];
};

void trace_result_free(struct trace_result *r);

/* ---- mysqld's own name resolution (uprobes, trace_resolve.c) ---- */

#define TRACE_MAX_PIDS	  16
#define TRACE_MAX_CLIENTS 1024
#define TRACE_MAX_SLOW	  1024
#define TRACE_SLOW_NS	  (100 * 1000 * 1000) /* a "slow" lookup: 100 ms */

/* The libc functions traced; the same order as enum tr_res_fn. */
enum trace_fn {
	TRACE_FN_GETNAMEINFO,
	TRACE_FN_GETHOSTBYADDR,
	TRACE_FN_GETHOSTBYADDR_R,
	TRACE_FN_GETADDRINFO,
	TRACE_FN_GETHOSTBYNAME,
	TRACE_FN_GETHOSTBYNAME_R,
	TRACE_FN__COUNT
};

/* The function's name ("getnameinfo", ...). */
const char *trace_fn_name(enum trace_fn f);

/* Calls of one function; times in microseconds. */
struct trace_calls {
	uint64_t calls;
	int64_t total_us, max_us;
};

/* What the traced processes spent resolving one client address. Only
 * outermost calls count in lookups/total/max; calls made inside another
 * traced call (glibc's getnameinfo calls gethostbyaddr_r) are in nested,
 * numeric-only conversions (NI_NUMERICHOST, AI_NUMERICHOST) in numeric. A
 * forward lookup counts for the address its thread last resolved
 * backwards; addr "" when the thread had resolved none. */
struct trace_client {
	char addr[46];
	uint64_t lookups;
	int64_t total_us, max_us;
	struct trace_calls fn[TRACE_FN__COUNT];
	struct trace_calls nested[TRACE_FN__COUNT];
	struct trace_calls numeric[TRACE_FN__COUNT];
};

/* One lookup slower than TRACE_SLOW_NS. */
struct trace_slow {
	char addr[46];
	char name[64]; /* forward lookups: the name asked for */
	enum trace_fn fn;
	int nested;
	pid_t pid, tid;
	int64_t at_us; /* its end, since the trace began */
	int64_t dur_us;
};

/* A process whose resolver calls are traced, and its libc. */
struct trace_proc {
	pid_t pid;
	char comm[16];
	char libc[256]; /* as the process sees it (/proc/PID/maps) */
};

/* The name-resolution part of a trace. Owned: trace_resolve_result_free. */
struct trace_resolve_result {
	int64_t duration_us;
	struct trace_proc procs[TRACE_MAX_PIDS];
	size_t nprocs;
	struct trace_client *clients;
	size_t nclients;
	struct trace_slow *slow;
	size_t nslow;
	uint64_t slow_not_kept; /* beyond TRACE_MAX_SLOW */
	uint64_t events_lost;	/* the ring buffer was full */
	uint64_t not_followed;	/* tables full, too deep or unbalanced */
};

void trace_resolve_result_free(struct trace_resolve_result *r);

/* Processes to trace: --pid, --comm NAME, or the owners of a listener on
 * one of ports in this network namespace (sock_diag, then
 * /proc/PID/fd). Fills pids (at most TRACE_MAX_PIDS), 0, or -1 with one
 * line in err (none found, or /proc unreadable). */
int trace_find_by_comm(const char *comm, pid_t *pids, size_t *npids, char *err,
		       size_t errlen);
int trace_find_listeners(const uint16_t *ports, size_t nports, pid_t *pids,
			 size_t *npids, char *err, size_t errlen);

/* The libc a process maps (the first mapping named libc.so* or libc-*),
 * as the process sees it, into path; 0, or -1 with err set (none: a
 * static or non-glibc program, or the process is gone). */
int trace_find_libc(pid_t pid, char *path, size_t len, char *err,
		    size_t errlen);

/* The resolver tracer (opaque). */
struct trace_resolver;

/* Loads the uprobes and attaches them to each pid's libc (through
 * /proc/PID/root). 0 and *out when at least one process is traced (err
 * then names those that were not, or is ""), TRACE_ERR_* with one line in
 * err otherwise. */
int trace_resolve_open(const pid_t *pids, size_t npids,
		       struct trace_resolver **out, char *err, size_t errlen);
/* Drains the ring buffer without waiting; 0 or -1. */
int trace_resolve_poll(struct trace_resolver *t);
/* Everything counted so far into r (cleared first); 0 or TRACE_ERR_NOMEM. */
int trace_resolve_read(struct trace_resolver *t,
		       struct trace_resolve_result *r);
/* Detaches and frees; t may be NULL. */
void trace_resolve_close(struct trace_resolver *t);

/* The tracer (opaque). */
struct tracer;

/* Checks the privileges and BTF, loads the programs for cfg's ports in the
 * caller's network namespace. 0 and *out, or TRACE_ERR_* with one line in
 * err saying what is missing. */
int trace_open(const struct trace_config *cfg, struct tracer **out, char *err,
	       size_t errlen);
/* Attaches every program; counting starts. 0 or TRACE_ERR_ATTACH. */
int trace_attach(struct tracer *t, char *err, size_t errlen);
/* Reads the ring buffer (without waiting) and, once a second, the
 * namespace's counters. Call it every few hundred ms. 0 or -1. */
int trace_poll(struct tracer *t);
/* Everything counted so far into r (cleared first). 0 or TRACE_ERR_NOMEM. */
int trace_read(struct tracer *t, struct trace_result *r);
/* The per-port counters summed over the ports, cheaply (for a progress
 * line); 0 or -1. */
int trace_count(struct tracer *t, uint64_t c[TRACE_COUNTER__COUNT]);
/* Detaches and frees; t may be NULL. */
void trace_close(struct tracer *t);

#endif /* CONNDOCTOR_TRACE_TRACE_H */
