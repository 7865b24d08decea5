/* trace_rules.c - findings from a trace: each one a mechanism the kernel
 * or mysqld itself recorded, with the counts that show it. They confirm
 * (or rule out) a cause the probe could only infer from its timings. */
#include <stdio.h>
#include <string.h>

#include "trace/trace_rules.h"

static const struct trace_port *port_of(const struct trace_result *r,
					uint16_t port)
{
	size_t i;

	for (i = 0; i < r->nports; i++)
		if (r->ports[i].port == port)
			return &r->ports[i];
	return NULL;
}

static uint64_t drops_named(const struct trace_result *r, uint16_t port,
			    const char *name)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < r->ndrops; i++)
		if (r->drops[i].port == port && !strcmp(r->drops[i].name, name))
			n += r->drops[i].count;
	return n;
}

/* CD2020: the client address mysqld spent longest resolving. */
static int resolve_rule(const struct trace_result *r, struct cd_findings *out)
{
	const struct trace_resolve_result *rr = r->resolve;
	const struct trace_client *worst = NULL;
	struct cd_finding *f;
	uint64_t slow = 0;
	size_t i;

	if (!rr)
		return 0;
	for (i = 0; i < rr->nclients; i++) {
		const struct trace_client *c = &rr->clients[i];

		if (c->max_us < TRACE_RULE_SLOW_RESOLVE_US)
			continue;
		slow++;
		if (!worst || c->total_us > worst->total_us)
			worst = c;
	}
	if (!worst)
		return 0;
	f = cd_finding_add(out, "CD2020", CD_SEV_WARNING);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "mysqld spent %.2f s resolving %s (%llu lookups, the "
		 "longest %.2f s)%s",
		 (double)worst->total_us / 1e6,
		 worst->addr[0] ? worst->addr : "an unknown address",
		 (unsigned long long)worst->lookups,
		 (double)worst->max_us / 1e6,
		 slow > 1 ? ", and other clients too" : "");
	snprintf(f->evidence, sizeof(f->evidence),
		 "uprobes on mysqld's libc: getnameinfo %llu calls %.2f s, "
		 "getaddrinfo %llu calls %.2f s, gethostbyaddr_r %llu calls "
		 "%.2f s for %s; %llu client addresses resolved slowly",
		 (unsigned long long)worst->fn[TRACE_FN_GETNAMEINFO].calls,
		 (double)worst->fn[TRACE_FN_GETNAMEINFO].total_us / 1e6,
		 (unsigned long long)worst->fn[TRACE_FN_GETADDRINFO].calls,
		 (double)worst->fn[TRACE_FN_GETADDRINFO].total_us / 1e6,
		 (unsigned long long)worst->fn[TRACE_FN_GETHOSTBYADDR_R].calls,
		 (double)worst->fn[TRACE_FN_GETHOSTBYADDR_R].total_us / 1e6,
		 worst->addr[0] ? worst->addr : "?", (unsigned long long)slow);
	cd_finding_num(f, "resolve_total_s", (double)worst->total_us / 1e6);
	cd_finding_num(f, "resolve_max_s", (double)worst->max_us / 1e6);
	cd_finding_num(f, "lookups", (double)worst->lookups);
	cd_finding_num(f, "slow_clients", (double)slow);
	return 0;
}

/* CD3070: requests whose SYN-ACK was resent while the accept queue was
 * empty and that never became connections: the client's third ACK never
 * arrived (or the SYN-ACK never reached it). */
static int half_open_rule(const struct trace_result *r, uint16_t port,
			  uint64_t fw, struct cd_findings *out)
{
	uint64_t reqs = 0, resent = 0;
	struct cd_finding *f;
	size_t i;

	for (i = 0; i < r->nreqs; i++) {
		const struct trace_req *q = &r->reqs[i];

		if (q->port != port || q->established || q->backlog > 0)
			continue;
		reqs++;
		resent += q->synack_retrans;
	}
	if (!reqs)
		return 0;
	f = cd_finding_add(out, "CD3070", CD_SEV_CRITICAL);
	if (!f)
		return -1;
	snprintf(f->summary, sizeof(f->summary),
		 "the server resent SYN-ACKs for %llu connection requests "
		 "with its accept queue empty, and none completed%s",
		 (unsigned long long)reqs,
		 fw ? ": this host's firewall dropped the client's ACKs" : "");
	snprintf(f->evidence, sizeof(f->evidence),
		 "tcp_retransmit_synack: %llu SYN-ACKs resent for %llu "
		 "requests, accept queue 0 each time; kfree_skb "
		 "NETFILTER_DROP on port %u: %llu",
		 (unsigned long long)resent, (unsigned long long)reqs,
		 (unsigned)port, (unsigned long long)fw);
	cd_finding_num(f, "requests", (double)reqs);
	cd_finding_num(f, "synack_retransmits", (double)resent);
	cd_finding_num(f, "netfilter_drops", (double)fw);
	return 0;
}

/* CD3071: the accept queue overflowed: ListenOverflows rose, SYN-ACKs
 * were resent with the queue full, the listener's sampled queue was over
 * its limit, or the kernel dropped with TCP_LISTEN_OVERFLOW. */
static int overflow_rule(const struct trace_result *r, uint16_t port,
			 const struct trace_port *p, struct cd_findings *out)
{
	uint64_t full = p ? p->c[TRACE_SYNACK_RETRANS_FULL] : 0;
	uint64_t drops = drops_named(r, port, "TCP_LISTEN_OVERFLOW");
	const struct trace_listener *worst = NULL;
	struct cd_finding *f;
	size_t i;

	for (i = 0; i < r->listeners.n; i++) {
		const struct trace_listener *l = &r->listeners.v[i];

		if (l->port == port && l->full_samples &&
		    (!worst || l->full_samples > worst->full_samples))
			worst = l;
	}
	if (!full && !drops && !worst &&
	    !(r->listen.ok && r->listen.overflows > 0))
		return 0;
	/* ListenOverflows is the namespace's: alone, it may be another
	 * port's queue; with this port's own evidence it is this one. */
	f = cd_finding_add(out, "CD3071",
			   full || drops || worst ? CD_SEV_CRITICAL
						  : CD_SEV_WARNING);
	if (!f)
		return -1;
	if (worst)
		snprintf(f->summary, sizeof(f->summary),
			 "the accept queue of %s:%u held %u of its limit %u: "
			 "mysqld does not accept connections as fast as they "
			 "arrive",
			 worst->addr, (unsigned)port, worst->queue_max,
			 worst->limit);
	else
		snprintf(f->summary, sizeof(f->summary),
			 "an accept queue overflowed %lld times%s",
			 (long long)(r->listen.ok ? r->listen.overflows : 0),
			 full || drops ? " on this port"
				       : " in this namespace");
	snprintf(f->evidence, sizeof(f->evidence),
		 "ListenOverflows +%lld, ListenDrops +%lld; SYN-ACKs resent "
		 "with the queue full: %llu; kfree_skb TCP_LISTEN_OVERFLOW: "
		 "%llu; listener samples with the queue full: %u of %u",
		 (long long)(r->listen.ok ? r->listen.overflows : 0),
		 (long long)(r->listen.ok ? r->listen.drops : 0),
		 (unsigned long long)full, (unsigned long long)drops,
		 worst ? worst->full_samples : 0, worst ? worst->samples : 0);
	cd_finding_num(f, "listen_overflows",
		       (double)(r->listen.ok ? r->listen.overflows : 0));
	cd_finding_num(f, "synack_retransmits_queue_full", (double)full);
	cd_finding_num(f, "overflow_drops", (double)drops);
	if (worst) {
		cd_finding_num(f, "accept_queue_max", worst->queue_max);
		cd_finding_num(f, "accept_queue_limit", worst->limit);
	}
	return 0;
}

int trace_rules(const struct trace_result *r, uint16_t port,
		struct cd_findings *out)
{
	const struct trace_port *p = port_of(r, port);
	uint64_t fw = drops_named(r, port, "NETFILTER_DROP");
	uint64_t rst = p ? p->c[TRACE_RST_SENT] : 0;
	struct cd_finding *f;

	if (resolve_rule(r, out) || half_open_rule(r, port, fw, out) ||
	    overflow_rule(r, port, p, out))
		return -1;
	if (fw) {
		f = cd_finding_add(out, "CD3072", CD_SEV_CRITICAL);
		if (!f)
			return -1;
		snprintf(f->summary, sizeof(f->summary),
			 "this host's firewall dropped %llu packets of port "
			 "%u",
			 (unsigned long long)fw, (unsigned)port);
		snprintf(f->evidence, sizeof(f->evidence),
			 "kfree_skb with reason NETFILTER_DROP on port %u: "
			 "%llu; SYN retransmits seen here: %llu",
			 (unsigned)port, (unsigned long long)fw,
			 (unsigned long long)(p ? p->c[TRACE_SYN_RETRANS] : 0));
		cd_finding_num(f, "netfilter_drops", (double)fw);
		cd_finding_num(f, "syn_retransmits",
			       (double)(p ? p->c[TRACE_SYN_RETRANS] : 0));
	}
	if (rst) {
		f = cd_finding_add(out, "CD3073", CD_SEV_WARNING);
		if (!f)
			return -1;
		snprintf(f->summary, sizeof(f->summary),
			 "this host's kernel answered port %u with %llu "
			 "resets",
			 (unsigned)port, (unsigned long long)rst);
		snprintf(f->evidence, sizeof(f->evidence),
			 "tcp_send_reset on port %u: %llu (with no socket: a "
			 "segment for a port nothing listens on, or a "
			 "connection the kernel no longer knows); resets "
			 "received: %llu",
			 (unsigned)port, (unsigned long long)rst,
			 (unsigned long long)p->c[TRACE_RST_RECEIVED]);
		cd_finding_num(f, "resets_sent", (double)rst);
	}
	return 0;
}
