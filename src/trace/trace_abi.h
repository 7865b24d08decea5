/* trace_abi.h - the records shared by the BPF programs (bpf/tcp.bpf.c) and
 * their loader (trace_bpf.c): map keys and values, counter indexes, ring
 * buffer events. Fixed-width kernel types only, so both sides agree. */
#ifndef CONNDOCTOR_TRACE_TRACE_ABI_H
#define CONNDOCTOR_TRACE_TRACE_ABI_H

#define TR_MAX_PORTS 8
#define TR_MAX_CONNS 16384 /* connections followed at once */
#define TR_MAX_REQS  4096  /* half-open requests seen retransmitting */
#define TR_MAX_DROPS 1024  /* (port, reason) pairs */
#define TR_RINGBUF   (256 * 1024)

/* Per-port counters: index port_idx * TR_C__COUNT + counter. */
enum tr_counter {
	TR_C_SYN_RETRANS,	   /* SYNs retransmitted (client side) */
	TR_C_DATA_RETRANS,	   /* other segments retransmitted */
	TR_C_SYNACK_RETRANS_EMPTY, /* SYN-ACK resent, accept queue empty */
	TR_C_SYNACK_RETRANS_FULL,  /* ... accept queue full */
	TR_C_SYNACK_RETRANS_OTHER, /* ... queue neither empty nor full */
	TR_C_RST_SENT,
	TR_C_RST_RECEIVED,
	TR_C_CONNECTED,	   /* client connections that became ESTABLISHED */
	TR_C_ACCEPTED,	   /* server connections that became ESTABLISHED */
	TR_C_FAILED,	   /* connections closed before ESTABLISHED */
	TR_C_CLOSED_LOCAL, /* closed, this side sent the first FIN */
	TR_C_CLOSED_PEER,  /* closed, the peer sent the first FIN */
	TR_C_CLOSED_RESET, /* ended by a reset */
	TR_C_DROPS,	   /* packets of the port freed as dropped */
	TR_C__COUNT
};

/* Global counters (one per-CPU array). */
enum tr_global {
	TR_G_EVENTS_LOST,    /* ring buffer full */
	TR_G_CONNS_FULL,     /* a connection not followed: table full */
	TR_G_REQS_FULL,	     /* a request not followed: table full */
	TR_G_DROPS_FULL,     /* a drop not counted by reason: table full */
	TR_G_DROPS_UNPLACED, /* a drop of the port with no namespace known */
	TR_G__COUNT
};

/* Who ended a connection. */
enum tr_closer {
	TR_CLOSER_NONE,
	TR_CLOSER_LOCAL,     /* this side's FIN first */
	TR_CLOSER_PEER,	     /* the peer's FIN first */
	TR_CLOSER_LOCAL_RST, /* this side reset or aborted it */
	TR_CLOSER_PEER_RST,  /* the peer reset it */
	TR_CLOSER_GAVE_UP,   /* closed in SYN_SENT/SYN_RECV without a reset */
	TR_CLOSER__COUNT
};

/* Which end of the connection this namespace is. */
enum tr_role { TR_ROLE_CLIENT = 1, TR_ROLE_SERVER = 2 };

/* Addresses and ports as this namespace sees them; ports in host order. */
struct tr_tuple {
	__u8 laddr[16], raddr[16]; /* IPv4 in the first 4 bytes */
	__u16 lport, rport;
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 pad;
};

/* A followed connection (key: the socket's address in the kernel). */
struct tr_conn {
	struct tr_tuple t;
	__u64 t_start; /* ns, monotonic: first state seen */
	__u64 t_state; /* ns: entry into the current state */
	__u64 ns_syn_sent, ns_syn_recv, ns_established;
	__u32 syn_retrans, data_retrans;
	__u8 role, port_idx, state, closer;
	__u8 established, rst_sent, rst_received, pad;
};

/* A connection request seen retransmitting SYN-ACKs (key: its tuple). */
struct tr_req {
	__u64 t_first, t_last; /* ns of the first and last SYN-ACK resent */
	__u64 t_established;   /* ns, 0 when it never became ESTABLISHED */
	__u32 synack_retrans;
	__u32 backlog, max_backlog; /* the listener's queue at t_last */
	__u32 port_idx;
};

/* Per-port drops by reason. */
struct tr_drop_key {
	__u32 port_idx;
	__u32 reason; /* enum skb_drop_reason of the running kernel */
};

/* Ring buffer events. */
enum tr_event_kind { TR_EV_CONN_END = 1 };

/* A connection that ended abnormally: never established, reset, or with
 * SYN retransmits. */
struct tr_event {
	__u32 kind;
	__u32 pad;
	__u64 ts;
	struct tr_conn c;
};

/* ---- mysqld's name resolution (bpf/resolve.bpf.c) ---- */

#define TR_RES_MAX_KEYS	 1024 /* (address, function, nesting) rows */
#define TR_RES_MAX_DEPTH 4    /* nested resolver calls kept per thread */
#define TR_RES_NAME_LEN	 64   /* the name a forward lookup asked for */
#define TR_RES_THREADS	 4096 /* threads inside a resolver call at once */
#define TR_RES_RINGBUF	 (64 * 1024)

/* The libc functions traced, in the loader's attach order. */
enum tr_res_fn {
	TR_FN_GETNAMEINFO,
	TR_FN_GETHOSTBYADDR,
	TR_FN_GETHOSTBYADDR_R,
	TR_FN_GETADDRINFO,
	TR_FN_GETHOSTBYNAME,
	TR_FN_GETHOSTBYNAME_R,
	TR_FN__COUNT
};

/* Global counters of the resolve object (one per-CPU array). */
enum tr_res_global {
	TR_RG_EVENTS_LOST,  /* ring buffer full */
	TR_RG_KEYS_FULL,    /* a lookup not counted: the table is full */
	TR_RG_THREADS_FULL, /* a call not followed: too many threads in one */
	TR_RG_TOO_DEEP,	    /* a call nested deeper than TR_RES_MAX_DEPTH */
	TR_RG_UNBALANCED,   /* a return that matched no entry (stack reset) */
	TR_RG__COUNT
};

/* How a call counts: a lookup, one inside another traced call (glibc's
 * getnameinfo calls gethostbyaddr_r), or a numeric-only conversion
 * (NI_NUMERICHOST, AI_NUMERICHOST: no resolver asked). */
enum tr_res_how { TR_HOW_LOOKUP, TR_HOW_NESTED, TR_HOW_NUMERIC };

/* Per client address, function and nesting: the counters' key. A
 * forward lookup is counted under the address its thread last resolved
 * backwards (mysqld's and libwrap's forward check); family 0: none yet. */
struct tr_res_key {
	__u8 addr[16]; /* IPv4 in the first 4 bytes */
	__u16 family;  /* AF_INET, AF_INET6 or 0 */
	__u8 fn;       /* enum tr_res_fn */
	__u8 how;      /* enum tr_res_how */
	__u32 pad;
};

struct tr_res_val {
	__u64 calls;
	__u64 total_ns;
	__u64 max_ns;
};

/* A lookup slower than the loader's threshold (ring buffer). */
struct tr_res_event {
	__u32 kind; /* TR_EV_SLOW_RESOLVE */
	__u32 pid, tid;
	__u32 pad;
	__u64 ts; /* ns, monotonic: the call's return */
	__u64 dur_ns;
	struct tr_res_key k;
	char name[TR_RES_NAME_LEN]; /* forward lookups: the name asked for */
};

#define TR_EV_SLOW_RESOLVE 2

#endif /* CONNDOCTOR_TRACE_TRACE_ABI_H */
