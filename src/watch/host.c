/* host.c - the host gauges of `conndoctor check` that node_exporter does
 * not export, read for watch's own targets with check's collectors: the
 * socket census over sock_diag (check/census.c) for ephemeral ports and
 * TIME_WAIT per destination and the accept queues of the MySQL ports'
 * listeners, the /proc fd scan (check/fds.c) for processes holding a MySQL
 * connection on descriptor 0, 1 or 2, and the firewall's evaluator
 * (check/slice_firewall.c) for destinations whose return path only
 * conntrack state holds. Read when a scrape comes and the last reading is
 * older than the refresh period, never more often. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check/census.h"
#include "check/fds.h"
#include "check/firewall.h"
#include "util/vec.h"
#include "watch/watch.h"

#define DESTS_MAX (WATCH_TARGETS_MAX * PROBE_MAX_TARGETS)

void watch_host_init(struct watch_host *h)
{
	memset(h, 0, sizeof(*h));
	h->port_lo = h->port_hi = -1;
}

void watch_host_free(struct watch_host *h)
{
	free(h->dests);
	free(h->lis);
	memset(h, 0, sizeof(*h));
}

static void to_v6(const struct sockaddr_storage *ss, struct in6_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12],
		       &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else {
		*a = ((const struct sockaddr_in6 *)ss)->sin6_addr;
	}
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET
			     ? ((const struct sockaddr_in *)ss)->sin_port
			     : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

int watch_host_set_dests(struct watch_host *h, const struct probe_target *t,
			 size_t n)
{
	struct watch_host_dest *d;
	size_t i, k;

	h->ndests = 0;
	h->nports = 0;
	for (i = 0; i < n && h->ndests < DESTS_MAX; i++) {
		struct in6_addr a;
		uint16_t port;

		if (t[i].transport != CD_TCP ||
		    (t[i].family != AF_INET && t[i].family != AF_INET6))
			continue;
		to_v6(&t[i].addr, &a);
		port = port_of(&t[i].addr);
		for (k = 0; k < h->ndests; k++)
			if (h->dests[k].port == port &&
			    !memcmp(&h->dests[k].dst, &a, sizeof(a)))
				break;
		if (k < h->ndests)
			continue;
		d = cd_vec_grow(h->dests, sizeof(*d), h->ndests + 1,
				&h->dests_cap, DESTS_MAX, 64);
		if (!d)
			return -1;
		h->dests = d;
		d = &h->dests[h->ndests++];
		memset(d, 0, sizeof(*d));
		d->dst = a;
		d->port = port;
		d->stateful_only = -1;
		snprintf(d->label, sizeof(d->label), "%s", t[i].label);
		for (k = 0; k < h->nports; k++)
			if (h->ports[k] == port)
				break;
		if (k == h->nports && h->nports < CHK_MAX_PORTS)
			h->ports[h->nports++] = port;
	}
	return 0;
}

/* Says once on stderr why a reading is missing. */
static void warn_once(int *warned, const char *what, const char *err)
{
	if (*warned)
		return;
	*warned = 1;
	fprintf(stderr, "conndoctor watch: host gauges: %s: %s\n", what, err);
}

static struct watch_host_dest *dest_of(struct watch_host *h,
				       const struct in6_addr *a, uint16_t port)
{
	size_t k;

	for (k = 0; k < h->ndests; k++)
		if (h->dests[k].port == port &&
		    !memcmp(&h->dests[k].dst, a, sizeof(*a)))
			return &h->dests[k];
	return NULL;
}

/* The ports in use and TIME_WAIT towards each destination. */
static int read_ports(struct watch_host *h, const struct chk_census *c)
{
	struct chk_census_sum sum;
	size_t k;

	memset(&sum, 0, sizeof(sum));
	if (chk_census_summarize(c, h->port_lo, h->port_hi, &sum))
		return -1;
	for (k = 0; k < h->ndests; k++)
		h->dests[k].in_use = h->dests[k].time_wait = 0;
	for (k = 0; k < sum.ndests; k++) {
		const struct chk_dest_use *u = &sum.dests[k];
		struct watch_host_dest *d = dest_of(h, &u->dst, u->dport);

		if (!d)
			continue;
		/* A connect() draws from the ports of one (source,
		 * destination) pair: the fullest one is what runs out. */
		if (u->in_range > d->in_use)
			d->in_use = u->in_range;
		d->time_wait += u->time_wait;
	}
	chk_census_sum_free(&sum);
	return 0;
}

static int read_listeners(struct watch_host *h, const struct chk_census *c)
{
	struct watch_host_listener *l;
	char addr[INET6_ADDRSTRLEN];
	size_t i;

	h->nlis = 0;
	for (i = 0; i < c->ntcp; i++) {
		const struct chk_sock *k = &c->tcp[i];

		if (k->state != CHK_TCP_LISTEN)
			continue;
		l = cd_vec_grow(h->lis, sizeof(*l), h->nlis + 1, &h->lis_cap,
				4096, 16);
		if (!l)
			return -1;
		h->lis = l;
		l = &h->lis[h->nlis++];
		chk_addr_str(&k->src, addr, sizeof(addr));
		snprintf(l->label, sizeof(l->label),
			 strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr,
			 (unsigned)k->sport);
		l->queue = k->rqueue;
		l->limit = k->wqueue;
	}
	return 0;
}

/* Processes holding a client end of a MySQL connection on fd 0-2. */
static void read_fds(struct watch_host *h, const struct chk_census *c,
		     const char *procroot)
{
	struct chk_fds fds;
	char err[256];
	size_t i, j;

	chk_fds_init(&fds);
	if (chk_fds_scan(&fds, procroot, c, err, sizeof(err))) {
		warn_once(&h->warned_fds, "fd scan", err);
		h->fds_ok = 0;
		chk_fds_free(&fds);
		return;
	}
	h->stdio_procs = 0;
	for (i = 0; i < fds.n; i++) {
		if (fds.v[i].fd > 2 || !chk_fd_is_client(c, &fds.v[i]))
			continue;
		for (j = 0; j < i; j++) /* a process counts once */
			if (fds.v[j].pid == fds.v[i].pid && fds.v[j].fd <= 2 &&
			    chk_fd_is_client(c, &fds.v[j]))
				break;
		if (j == i)
			h->stdio_procs++;
	}
	h->fds_ok = 1;
	chk_fds_free(&fds);
}

/* The source address a connect() to d would use (a UDP socket connected
 * there says, without a packet sent); 0 or -1. */
static int source_of(const struct watch_host_dest *d, struct in6_addr *src)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, v4 = d->dst.s6_addr[10] == 0xff && d->dst.s6_addr[11] == 0xff &&
		     !d->dst.s6_addr[0];
	int rc = -1;

	memset(&ss, 0, sizeof(ss));
	if (v4) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(d->port);
		memcpy(&a->sin_addr, &d->dst.s6_addr[12], 4);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(d->port);
		a->sin6_addr = d->dst;
		len = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
			to_v6(&ss, src);
			rc = 0;
		}
	}
	close(fd);
	return rc;
}

/* Whether each destination's return path is held only by conntrack:
 * one made-up established connection per destination, judged by check's
 * firewall evaluator against the rulesets read now. */
static void read_firewall(struct watch_host *h, const char *procroot)
{
	struct chk_census c;
	int8_t *out;
	char err[256];
	size_t k;

	memset(&c, 0, sizeof(c));
	c.tcp = calloc(h->ndests ? h->ndests : 1, sizeof(*c.tcp));
	out = calloc(h->ndests ? h->ndests : 1, sizeof(*out));
	if (!c.tcp || !out) {
		free(c.tcp);
		free(out);
		return;
	}
	for (k = 0; k < h->ndests; k++) {
		struct chk_sock *s = &c.tcp[k];

		s->family = AF_INET6;
		s->state = CHK_TCP_ESTABLISHED;
		s->dst = h->dests[k].dst;
		s->dport = h->dests[k].port;
		s->sport = (uint16_t)(h->port_lo > 0 ? h->port_lo : 32768);
		if (source_of(&h->dests[k], &s->src))
			s->src = s->dst; /* unknown: as loopback */
	}
	c.ntcp = h->ndests;
	c.tcp_ok = 1;
	if (chk_fw_stateful_only(procroot, &c, h->ports, h->nports, out, err,
				 sizeof(err))) {
		warn_once(&h->warned_fw, "firewall", err);
		for (k = 0; k < h->ndests; k++)
			h->dests[k].stateful_only = -1;
	} else {
		for (k = 0; k < h->ndests; k++)
			h->dests[k].stateful_only = out[k];
	}
	free(out);
	free(c.tcp);
}

void watch_host_refresh(struct watch_host *h, int64_t now_ns, int64_t period_ns,
			const char *unix_path, const char *procroot)
{
	struct chk_census c;
	char err[256];

	if (now_ns < h->next_ns || !h->nports)
		return;
	h->next_ns = now_ns + period_ns;
	if (chk_port_range_read(procroot, &h->port_lo, &h->port_hi))
		h->port_lo = h->port_hi = -1;
	memset(&c, 0, sizeof(c));
	/* One thread: watch has one. */
	if (chk_census_read_threads(&c, h->ports, h->nports, unix_path, 1, err,
				    sizeof(err))) {
		warn_once(&h->warned_census, "socket census", err);
		h->census_ok = 0;
		h->fds_ok = 0;
	} else if (read_ports(h, &c) || read_listeners(h, &c)) {
		h->census_ok = 0;
		h->fds_ok = 0;
	} else {
		h->census_ok = 1;
		read_fds(h, &c, procroot);
	}
	chk_census_free(&c);
	read_firewall(h, procroot);
}
