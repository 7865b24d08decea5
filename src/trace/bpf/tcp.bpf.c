// SPDX-License-Identifier: GPL-2.0
/* tcp.bpf.c - conndoctor trace's kernel side: TCP state changes, SYN and
 * SYN-ACK retransmits, resets and drops with reason for the MySQL ports of
 * one network namespace (tp_btf programs on the tracepoints of
 * include/trace/events/{sock,tcp,skb}.h). Exact counts go to per-CPU maps;
 * only connections that ended abnormally go to the ring buffer, without
 * waking the reader. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace/trace_abi.h"

#define AF_INET_       2
#define AF_INET6_      10
#define ETH_P_IP_      0x0800
#define ETH_P_IPV6_    0x86DD
#define IPPROTO_TCP_   6
#define ST_ESTABLISHED 1
#define ST_SYN_SENT    2
#define ST_SYN_RECV    3
#define ST_FIN_WAIT1   4
#define ST_CLOSE       7
#define ST_CLOSE_WAIT  8
#define ST_LISTEN      10

/* Set by the loader before load. */
const volatile __u32 netns_ino = 0;
const volatile __u32 nports = 0;
const volatile __u16 ports[TR_MAX_PORTS] = {};
const volatile __u32 reason_consumed = 1; /* SKB_CONSUMED: not a drop */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TR_MAX_PORTS *TR_C__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TR_G__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} globals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TR_MAX_DROPS);
	__type(key, struct tr_drop_key);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TR_MAX_CONNS);
	__type(key, __u64);
	__type(value, struct tr_conn);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TR_MAX_REQS);
	__type(key, struct tr_tuple);
	__type(value, struct tr_req);
} reqs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TR_RINGBUF);
} events SEC(".maps");

static __always_inline void count(__u32 port_idx, __u32 c)
{
	__u32 key = port_idx * TR_C__COUNT + c;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (v)
		*v += 1;
}

static __always_inline void count_global(__u32 g)
{
	__u64 *v = bpf_map_lookup_elem(&globals, &g);

	if (v)
		*v += 1;
}

/* The index of port in the list, or -1. */
static __always_inline int port_index(__u16 port)
{
	if (!port)
		return -1;
	for (__u32 i = 0; i < TR_MAX_PORTS; i++) {
		if (i >= nports)
			break;
		if (ports[i] == port)
			return (int)i;
	}
	return -1;
}

static __always_inline int same_netns(const struct sock_common *skc)
{
	return skc->skc_net.net->ns.inum == netns_ino;
}

/* The addresses and ports of a socket or request socket (both start with
 * struct sock_common). lport from skc_num, which is 0 once closed: then
 * the caller keeps what it had. */
static __always_inline void read_tuple(const struct sock_common *skc,
				       struct tr_tuple *t)
{
	__u16 family = skc->skc_family;
	__u16 lport = skc->skc_num;
	__u16 rport = bpf_ntohs(skc->skc_dport);

	t->family = family;
	if (lport)
		t->lport = lport;
	if (rport)
		t->rport = rport;
	if (family == AF_INET_) {
		__be32 l = skc->skc_rcv_saddr;
		__be32 r = skc->skc_daddr;

		if (l)
			__builtin_memcpy(t->laddr, &l, 4);
		if (r)
			__builtin_memcpy(t->raddr, &r, 4);
	} else if (family == AF_INET6_) {
		BPF_CORE_READ_INTO(&t->laddr, skc, skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&t->raddr, skc, skc_v6_daddr);
	}
}

/* The states whose time is kept: only entering or leaving one of them
 * needs the clock, which costs as much as the rest of an event. */
static __always_inline int timed_state(int st)
{
	return st == ST_SYN_SENT || st == ST_SYN_RECV || st == ST_ESTABLISHED;
}

static __always_inline void leave_state(struct tr_conn *c, __u64 now)
{
	__u64 d = now - c->t_state;

	if (c->state == ST_SYN_SENT)
		c->ns_syn_sent += d;
	else if (c->state == ST_SYN_RECV)
		c->ns_syn_recv += d;
	else if (c->state == ST_ESTABLISHED)
		c->ns_established += d;
	c->t_state = now;
}

/* A server connection became ESTABLISHED: the request it came from, if it
 * was retransmitting SYN-ACKs, is done. */
static __always_inline void req_established(const struct tr_tuple *t, __u64 now)
{
	struct tr_req *r = bpf_map_lookup_elem(&reqs, t);

	if (r && !r->t_established)
		r->t_established = now;
}

static __always_inline void conn_end(__u64 key, struct tr_conn *c, int oldstate,
				     __u64 now)
{
	struct tr_event *e;

	if (c->closer == TR_CLOSER_NONE) {
		if (c->rst_received)
			c->closer = TR_CLOSER_PEER_RST;
		else if (c->rst_sent || oldstate == ST_ESTABLISHED)
			c->closer = TR_CLOSER_LOCAL_RST;
		else
			c->closer = TR_CLOSER_GAVE_UP;
	}
	if (!c->established)
		count(c->port_idx, TR_C_FAILED);
	if (c->closer == TR_CLOSER_LOCAL)
		count(c->port_idx, TR_C_CLOSED_LOCAL);
	else if (c->closer == TR_CLOSER_PEER)
		count(c->port_idx, TR_C_CLOSED_PEER);
	else if (c->closer == TR_CLOSER_LOCAL_RST ||
		 c->closer == TR_CLOSER_PEER_RST)
		count(c->port_idx, TR_C_CLOSED_RESET);
	if (!c->established || c->rst_sent || c->rst_received ||
	    c->syn_retrans || c->closer == TR_CLOSER_LOCAL_RST ||
	    c->closer == TR_CLOSER_PEER_RST) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			count_global(TR_G_EVENTS_LOST);
		} else {
			e->kind = TR_EV_CONN_END;
			e->pad = 0;
			e->ts = now ? now : bpf_ktime_get_ns();
			__builtin_memcpy(&e->c, c, sizeof(*c));
			bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
		}
	}
	bpf_map_delete_elem(&conns, &key);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(cd_set_state, const struct sock *sk, int oldstate, int newstate)
{
	const struct sock_common *skc = &sk->__sk_common;
	__u64 key = (__u64)(unsigned long)sk;
	__u64 now = 0;
	struct tr_conn *c, fresh = {};
	int idx;

	if (sk->sk_protocol != IPPROTO_TCP_)
		return 0;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c) {
		/* Follow connections from their first state only: connect()
		 * (CLOSE -> SYN_SENT), or a child cloned from its listener
		 * (LISTEN -> SYN_RECV, inet_csk_clone_lock()). */
		if (!(oldstate == ST_CLOSE && newstate == ST_SYN_SENT) &&
		    !(oldstate == ST_LISTEN && newstate == ST_SYN_RECV))
			return 0;
		if (!same_netns(skc))
			return 0;
		if (newstate == ST_SYN_SENT) {
			idx = port_index(bpf_ntohs(skc->skc_dport));
			fresh.role = TR_ROLE_CLIENT;
		} else {
			idx = port_index(skc->skc_num);
			fresh.role = TR_ROLE_SERVER;
		}
		if (idx < 0)
			return 0;
		now = bpf_ktime_get_ns();
		fresh.port_idx = (__u8)idx;
		fresh.t_start = now;
		fresh.t_state = now;
		fresh.state = (__u8)newstate;
		read_tuple(skc, &fresh.t);
		if (bpf_map_update_elem(&conns, &key, &fresh, BPF_NOEXIST))
			count_global(TR_G_CONNS_FULL);
		return 0;
	}
	if (timed_state(c->state) || timed_state(newstate)) {
		now = bpf_ktime_get_ns();
		leave_state(c, now);
	}
	/* A client's local port is bound after SYN_SENT: read the tuple
	 * again when the connection is established or still lacks it. */
	if (newstate == ST_ESTABLISHED || !c->t.lport)
		read_tuple(skc, &c->t);
	if (newstate != ST_CLOSE && !c->t.lport) {
		__u16 sport =
			BPF_CORE_READ((const struct inet_sock *)sk, inet_sport);
		c->t.lport = bpf_ntohs(sport);
	}
	c->state = (__u8)newstate;
	if (newstate == ST_ESTABLISHED && !c->established) {
		c->established = 1;
		if (c->role == TR_ROLE_CLIENT) {
			count(c->port_idx, TR_C_CONNECTED);
		} else {
			count(c->port_idx, TR_C_ACCEPTED);
			req_established(&c->t, now);
		}
	} else if (newstate == ST_FIN_WAIT1 && c->closer == TR_CLOSER_NONE) {
		c->closer = TR_CLOSER_LOCAL;
	} else if (newstate == ST_CLOSE_WAIT && c->closer == TR_CLOSER_NONE) {
		c->closer = TR_CLOSER_PEER;
	} else if (newstate == ST_CLOSE) {
		if (!c->t.lport) {
			__u16 sport = BPF_CORE_READ(
				(const struct inet_sock *)sk, inet_sport);
			c->t.lport = bpf_ntohs(sport);
		}
		conn_end(key, c, oldstate, now);
	}
	return 0;
}

/* The port index of a socket in our namespace (local port first), or -1. */
static __always_inline int sock_port(const struct sock *sk)
{
	const struct sock_common *skc = &sk->__sk_common;
	int idx;

	if (!same_netns(skc))
		return -1;
	idx = port_index(skc->skc_num);
	if (idx < 0)
		idx = port_index(bpf_ntohs(skc->skc_dport));
	return idx;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(cd_retransmit_skb, const struct sock *sk)
{
	__u64 key = (__u64)(unsigned long)sk;
	struct tr_conn *c;
	int idx = sock_port(sk);
	int syn;

	if (idx < 0)
		return 0;
	syn = BPF_CORE_READ(sk, __sk_common.skc_state) == ST_SYN_SENT;
	count((__u32)idx, syn ? TR_C_SYN_RETRANS : TR_C_DATA_RETRANS);
	c = bpf_map_lookup_elem(&conns, &key);
	if (c) {
		if (syn)
			c->syn_retrans++;
		else
			c->data_retrans++;
	}
	return 0;
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(cd_retransmit_synack, const struct sock *sk,
	     const struct request_sock *req)
{
	const struct sock_common *rq = &req->__req_common;
	struct tr_tuple t = {};
	struct tr_req *r, fresh = {};
	__u64 now = bpf_ktime_get_ns();
	__u32 backlog, max_backlog;
	int idx;

	if (!same_netns(&sk->__sk_common))
		return 0;
	idx = port_index(BPF_CORE_READ(rq, skc_num));
	if (idx < 0)
		return 0;
	backlog = BPF_CORE_READ(sk, sk_ack_backlog);
	max_backlog = BPF_CORE_READ(sk, sk_max_ack_backlog);
	if (backlog == 0)
		count((__u32)idx, TR_C_SYNACK_RETRANS_EMPTY);
	else if (backlog > max_backlog) /* sk_acceptq_is_full() */
		count((__u32)idx, TR_C_SYNACK_RETRANS_FULL);
	else
		count((__u32)idx, TR_C_SYNACK_RETRANS_OTHER);
	read_tuple(rq, &t);
	r = bpf_map_lookup_elem(&reqs, &t);
	if (!r) {
		fresh.t_first = now;
		fresh.port_idx = (__u32)idx;
		if (bpf_map_update_elem(&reqs, &t, &fresh, BPF_NOEXIST)) {
			count_global(TR_G_REQS_FULL);
			return 0;
		}
		r = bpf_map_lookup_elem(&reqs, &t);
		if (!r)
			return 0;
	}
	r->t_last = now;
	r->synack_retrans++;
	r->backlog = backlog;
	r->max_backlog = max_backlog;
	return 0;
}

/* The TCP ports of a packet (network header onwards), 0 when not TCP. */
static __always_inline int skb_ports(const struct sk_buff *skb, __u16 *sport,
				     __u16 *dport)
{
	unsigned char *head = skb->head;
	__u16 nh = skb->network_header;
	__u16 proto = bpf_ntohs(skb->protocol);
	__u16 p[2];
	__u8 b[10];
	__u32 off;

	if (nh == (__u16)~0U)
		return -1;
	if (proto == ETH_P_IP_) {
		if (bpf_probe_read_kernel(b, sizeof(b), head + nh))
			return -1;
		if (b[9] != IPPROTO_TCP_ || (b[0] >> 4) != 4)
			return -1;
		off = nh + (__u32)(b[0] & 0x0f) * 4;
	} else if (proto == ETH_P_IPV6_) {
		if (bpf_probe_read_kernel(b, sizeof(b), head + nh))
			return -1;
		if (b[6] != IPPROTO_TCP_)
			return -1;
		off = nh + 40;
	} else {
		return -1;
	}
	if (bpf_probe_read_kernel(p, sizeof(p), head + off))
		return -1;
	*sport = bpf_ntohs(p[0]);
	*dport = bpf_ntohs(p[1]);
	return 0;
}

/* The index of a packet's MySQL port (destination first), or -1. */
static __always_inline int skb_port_index(const struct sk_buff *skb)
{
	__u16 sport, dport;
	int idx;

	if (skb_ports(skb, &sport, &dport))
		return -1;
	idx = port_index(dport);
	if (idx < 0)
		idx = port_index(sport);
	return idx;
}

static __always_inline __u32 dev_netns(const struct net_device *dev)
{
	return dev->nd_net.net->ns.inum;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(cd_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	__u64 key = (__u64)(unsigned long)sk;
	struct tr_conn *c;
	int idx;

	if (sk) {
		idx = sock_port(sk);
		if (idx < 0)
			return 0;
		c = bpf_map_lookup_elem(&conns, &key);
		if (c)
			c->rst_sent = 1;
	} else {
		/* No socket: skb is the segment answered, as received. */
		if (!skb)
			return 0;
		if (dev_netns(skb->dev) != netns_ino)
			return 0;
		idx = skb_port_index(skb);
		if (idx < 0)
			return 0;
	}
	count((__u32)idx, TR_C_RST_SENT);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(cd_receive_reset, const struct sock *sk)
{
	__u64 key = (__u64)(unsigned long)sk;
	struct tr_conn *c;
	int idx = sock_port(sk);

	if (idx < 0)
		return 0;
	count((__u32)idx, TR_C_RST_RECEIVED);
	c = bpf_map_lookup_elem(&conns, &key);
	if (c)
		c->rst_received = 1;
	return 0;
}

static __always_inline int on_drop(const struct sk_buff *skb, __u32 reason,
				   const struct sock *rx_sk)
{
	struct tr_drop_key k = {};
	const struct net_device *dev;
	const struct sock *sk;
	__u64 *v, one = 1;
	__u32 ino = 0;
	int idx;

	if (reason == reason_consumed)
		return 0;
	idx = skb_port_index(skb);
	if (idx < 0)
		return 0;
	dev = skb->dev;
	sk = skb->sk;
	if (dev)
		ino = dev_netns(dev);
	else if (sk)
		ino = sk->__sk_common.skc_net.net->ns.inum;
	else if (rx_sk)
		ino = rx_sk->__sk_common.skc_net.net->ns.inum;
	if (!ino) {
		count_global(TR_G_DROPS_UNPLACED);
		return 0;
	}
	if (ino != netns_ino)
		return 0;
	count((__u32)idx, TR_C_DROPS);
	k.port_idx = (__u32)idx;
	k.reason = reason;
	v = bpf_map_lookup_elem(&drops, &k);
	if (v)
		*v += 1;
	else if (bpf_map_update_elem(&drops, &k, &one, BPF_NOEXIST))
		count_global(TR_G_DROPS_FULL);
	return 0;
}

/* kfree_skb from 6.12: (skb, location, reason, rx_sk). */
SEC("tp_btf/kfree_skb")
int BPF_PROG(cd_kfree_skb_rx_sk, const struct sk_buff *skb, void *location,
	     int reason, const struct sock *rx_sk)
{
	return on_drop(skb, (__u32)reason, rx_sk);
}

/* kfree_skb from 5.17 to 6.11: (skb, location, reason). */
SEC("tp_btf/kfree_skb")
int BPF_PROG(cd_kfree_skb, const struct sk_buff *skb, void *location,
	     int reason)
{
	return on_drop(skb, (__u32)reason, NULL);
}

char LICENSE[] SEC("license") = "GPL";
