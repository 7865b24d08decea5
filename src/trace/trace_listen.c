/* trace_listen.c - the accept queues of the MySQL ports' listeners,
 * sampled each second beside the BPF programs: a queue full when a SYN
 * arrives makes the kernel drop or ignore it without a drop event, so only
 * the queue itself (and ListenOverflows) shows it. Read through the same
 * sock_diag dump as the census, listeners only. */
#include <stdio.h>
#include <string.h>

#include "check/census.h"
#include "trace/trace.h"

void trace_listeners_add(struct trace_listeners *L, const struct chk_sock *s,
			 size_t n)
{
	struct trace_listener *l;
	char addr[46];
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (s[i].state != CHK_TCP_LISTEN)
			continue;
		chk_addr_str(&s[i].src, addr, sizeof(addr));
		for (k = 0; k < L->n; k++)
			if (L->v[k].port == s[i].sport &&
			    !strcmp(L->v[k].addr, addr))
				break;
		if (k == L->n) {
			if (L->n == TRACE_MAX_LISTENERS) {
				L->not_kept++;
				continue;
			}
			l = &L->v[L->n++];
			memset(l, 0, sizeof(*l));
			snprintf(l->addr, sizeof(l->addr), "%s", addr);
			l->port = s[i].sport;
		}
		l = &L->v[k];
		l->limit = s[i].wqueue;
		l->queue_last = s[i].rqueue;
		if (s[i].rqueue > l->queue_max)
			l->queue_max = s[i].rqueue;
		l->queue_sum += s[i].rqueue;
		l->samples++;
		if (s[i].rqueue > s[i].wqueue)
			l->full_samples++;
	}
}

int trace_listeners_sample(struct trace_listeners *L, const uint16_t *ports,
			   size_t nports)
{
	struct chk_census c;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = chk_listeners_read(&c, ports, nports, L->err, sizeof(L->err));
	if (rc) {
		L->failed++;
	} else {
		L->samples++;
		trace_listeners_add(L, c.tcp, c.ntcp);
	}
	chk_census_free(&c);
	return rc ? -1 : 0;
}
