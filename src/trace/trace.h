/* trace.h - `trace`'s source: the kernel's TCP evidence for the MySQL
 * ports of this network namespace, read live with eBPF (tp_btf programs on
 * inet_sock_set_state, tcp_retransmit_skb, tcp_retransmit_synack,
 * tcp_send_reset, tcp_receive_reset, kfree_skb) beside the namespace's
 * ListenOverflows/ListenDrops sampled each second. A collector: it reads
 * and counts; rules decide what the numbers mean. */
#ifndef CONNDOCTOR_TRACE_TRACE_H
#define CONNDOCTOR_TRACE_TRACE_H

#include <stddef.h>
#include <stdint.h>

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
	uint64_t events_lost;	 /* the ring buffer was full */
	uint64_t tables_full;	 /* a connection/request/drop not followed */
	uint64_t drops_unplaced; /* a drop of the port in no known namespace */
	int drops_traced;	 /* 0: this kernel's kfree_skb has no reason */
};

void trace_result_free(struct trace_result *r);

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
/* Detaches and frees; t may be NULL. */
void trace_close(struct tracer *t);

#endif /* CONNDOCTOR_TRACE_TRACE_H */
