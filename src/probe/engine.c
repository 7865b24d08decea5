/* engine.c - the probe's event loop: epoll, a preallocated connection slab
 * with a free list, one timer per connection in a binary heap, and the
 * scheduler that starts attempts by count, rate, duration and concurrency. */
#include "probe/engine_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mysql/qattr.h"
#include "probe/resolver.h"
#include "util/clock.h"

#define RESOLVER_SLOT UINT32_MAX
#define MAX_EVENTS    256

/* What one probe_config needs prebuilt: the command packet, the TLS
 * context (made on first use), whether its host is an address. */
struct probe_job {
	const struct probe_config *cfg; /* borrowed */
	uint8_t *cmd; /* prebuilt COM_QUERY / COM_PING packet */
	size_t cmdlen;
	/* --query-attribute: the COM_QUERY with them, for sessions that
	 * agreed on CLIENT_QUERY_ATTRIBUTES; NULL: none given */
	uint8_t *cmd_qa;
	size_t cmd_qa_len;
	SSL_CTX *ssl_ctx;
	int numeric_host;
};

struct engine {
	const struct probe_config *cfg; /* probe_run(): its one job's */
	struct probe_job own;		/* probe_run()'s job */
	struct probe_result *res;	/* probe_run(): where attempts go */
	probe_done_fn done;		/* external loop: where they go */
	void *done_ctx;
	uint16_t level, repeat;
	int ep;
	struct conn *slab;
	uint32_t nslab;
	struct conn *free_list;
	struct conn **heap; /* min-heap on deadline */
	size_t hlen;
	struct resolver *resolver;
	uint64_t started;
	unsigned active;
	int64_t t0;	   /* this batch's start */
	int64_t now;	   /* loop time, for deadlines only */
	size_t rbuf_extra; /* read buffer bytes beyond CONN_RBUF_MIN, all */
};

static volatile sig_atomic_t interrupted;

void probe_interrupt(void)
{
	interrupted = 1;
}

static const enum cd_phase state_phase[C__COUNT] = {
	[C_FREE] = CD_PH_RESOLVE,
	[C_RESOLVING] = CD_PH_RESOLVE,
	[C_CONNECTING] = CD_PH_CONNECT,
	[C_GREETING] = CD_PH_GREETING,
	[C_TLS] = CD_PH_TLS,
	[C_AUTH] = CD_PH_AUTH,
	[C_IDLE] = CD_PH_IDLE,
	[C_QUERY] = CD_PH_QUERY,
	[C_REUSE] = CD_PH_REUSE,
	[C_CLOSING] = CD_PH_CLOSE,
};

#ifdef CD_DEBUG
static const char *const state_names[C__COUNT] = {
	"FREE", "RESOLVING", "CONNECTING", "GREETING", "TLS",
	"AUTH", "IDLE",	     "QUERY",	   "REUSE",    "CLOSING",
};
#endif

/* ---- timer heap ---- */

static void heap_swap(struct engine *e, size_t i, size_t j)
{
	struct conn *t = e->heap[i];

	e->heap[i] = e->heap[j];
	e->heap[j] = t;
	e->heap[i]->heap_idx = i;
	e->heap[j]->heap_idx = j;
}

static void heap_up(struct engine *e, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (e->heap[p]->deadline <= e->heap[i]->deadline)
			break;
		heap_swap(e, i, p);
		i = p;
	}
}

static void heap_down(struct engine *e, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < e->hlen && e->heap[l]->deadline < e->heap[m]->deadline)
			m = l;
		if (r < e->hlen && e->heap[r]->deadline < e->heap[m]->deadline)
			m = r;
		if (m == i)
			break;
		heap_swap(e, i, m);
		i = m;
	}
}

static void heap_remove(struct engine *e, struct conn *c)
{
	size_t i = c->heap_idx;
	struct conn *moved;

	if (i == SIZE_MAX)
		return;
	c->heap_idx = SIZE_MAX;
	e->hlen--;
	if (i == e->hlen)
		return;
	moved = e->heap[e->hlen]; /* heap[0 .. hlen] are all set */
	e->heap[i] = moved;
	moved->heap_idx = i; // NOLINT(clang-analyzer-core.NullDereference)
	heap_up(e, i);
	heap_down(e, moved->heap_idx);
}

void eng_timer(struct conn *c, double seconds)
{
	struct engine *e = c->eng;

	heap_remove(e, c);
	if (seconds <= 0)
		return;
	c->deadline = cd_now_ns() + cd_s_to_ns(seconds);
	c->heap_idx = e->hlen;
	e->heap[e->hlen++] = c;
	heap_up(e, c->heap_idx);
}

/* ---- services for client.c ---- */

const struct probe_config *eng_cfg(const struct conn *c)
{
	return c->job->cfg;
}

static int build_ssl(struct probe_job *j, char *errbuf, size_t errlen);

/* Made on first use: OpenSSL's setup costs milliseconds, which a run
 * against a server without TLS should not pay. NULL when it fails. */
SSL_CTX *eng_ssl_ctx(struct conn *c)
{
	char err[128];

	if (!c->job->ssl_ctx && build_ssl(c->job, err, sizeof(err)) < 0)
		return NULL;
	return c->job->ssl_ctx;
}

void eng_command(struct conn *c, const uint8_t **pkt, size_t *len)
{
	if (c->job->cmd_qa && (c->hs.caps & MYSQL_CLIENT_QUERY_ATTRIBUTES)) {
		*pkt = c->job->cmd_qa;
		*len = c->job->cmd_qa_len;
		c->at.qattrs_sent = 1;
		return;
	}
	*pkt = c->job->cmd;
	*len = c->job->cmdlen;
}

int64_t eng_now(const struct conn *c)
{
	(void)c;
	return cd_now_ns();
}

size_t *eng_rbuf_extra(struct conn *c)
{
	return &c->eng->rbuf_extra;
}

void eng_note_server(struct conn *c, const struct mysql_greeting *g)
{
	struct probe_result *r = c->eng->res;

	if (!r || r->server_version[0])
		return;
	snprintf(r->server_version, sizeof(r->server_version), "%s",
		 g->version);
	r->server_caps = g->caps;
	r->server_is_mariadb = g->is_mariadb;
}

/* A phase entered more than once (--reuse: query, reuse, query, ...) sums
 * its times, so the phases still add up to the total. */
static void add_phase(struct cd_attempt *a, enum cd_phase p, int64_t ns)
{
	a->phase_ns[p] = (a->phase_ns[p] > 0 ? a->phase_ns[p] : 0) + ns;
}

void eng_set_state(struct conn *c, enum conn_state s, int line)
{
	enum cd_phase p = state_phase[s];
	int64_t now;

#ifdef CD_DEBUG
	fprintf(stderr, "conn %u: %s -> %s (line %d)\n", c->slot,
		state_names[c->state], state_names[s], line);
#else
	(void)line;
#endif
	if (p != c->phase) {
		now = cd_now_ns();
		add_phase(&c->at, c->phase, now - c->t_phase);
		c->t_phase = now;
		c->phase = p;
	}
	c->state = s;
}

/* events == 0 takes the fd out of epoll altogether: a socket the peer has
 * reset reports EPOLLERR|EPOLLHUP whatever the interest, and an idle
 * connection must not spin on it. */
int eng_want(struct conn *c, uint32_t events)
{
	struct epoll_event ev;
	int op;

	if (c->events == events)
		return 0;
	if (events == 0)
		op = EPOLL_CTL_DEL;
	else if (c->events == 0)
		op = EPOLL_CTL_ADD;
	else
		op = EPOLL_CTL_MOD;
	ev.events = events;
	ev.data.u64 = ((uint64_t)c->gen << 32) | c->slot;
	if (epoll_ctl(c->eng->ep, op, c->fd, &ev) < 0)
		return -1;
	c->events = events;
	return 0;
}

static void attempt_store(struct engine *e, const struct cd_attempt *a)
{
	/* Out of memory: the attempt is counted in the tally, not kept. */
	(void)probe_result_add(e->res, a);
}

static void conn_release(struct engine *e, struct conn *c)
{
	heap_remove(e, c);
	client_release(c);
	if (c->ssl) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	c->state = C_FREE;
	c->gen++;
	c->events = 0;
	c->wleft = 0;
	c->rlen = 0;
	c->next_free = e->free_list;
	e->free_list = c;
	e->active--;
}

/* Kernel TCP state numbers worth naming; tcp_states.h is not exported. */
#define CD_TCP_ESTABLISHED 1

void eng_finish(struct conn *c, enum cd_outcome o, int err)
{
	struct engine *e = c->eng;
	struct cd_attempt *a = &c->at;
	int64_t now = cd_now_ns();

	add_phase(a, c->phase, now - c->t_phase);
	a->total_ns = now - c->t_start;
	a->outcome = o;
	if (o != CD_OK) {
		a->failed_phase = c->phase;
		a->sys_errno = err;
	}
	if (o != CD_OK && c->fd >= 0 && c->target->transport == CD_TCP) {
		struct tcp_info ti;
		socklen_t len = sizeof(ti);

		if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
			a->tcp_state_at_fail = ti.tcpi_state;
			if (c->phase == CD_PH_CONNECT) {
				a->have_tcpi = 1;
				a->tcpi.total_retrans = ti.tcpi_total_retrans;
				a->tcpi.retransmits = ti.tcpi_retransmits;
				a->tcpi.state = ti.tcpi_state;
			}
		}
	}
	if (e->done)
		e->done(e->done_ctx, c->udata, a);
	else
		attempt_store(e, a);
	conn_release(e, c);
}

/* ---- starting attempts ---- */

static enum cd_outcome connect_errno_class(int err)
{
	switch (err) {
	case ECONNREFUSED:
	case ENOENT:
		return CD_REFUSED;
	case ETIMEDOUT:
		return CD_CONNECT_TIMEOUT;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
		return CD_UNREACHABLE;
	case EADDRNOTAVAIL:
		return CD_LOCAL_PORTS_EXHAUSTED;
	case EMFILE:
	case ENFILE:
		return CD_FD_EXHAUSTED;
	default:
		return CD_CONNECT_FAILED;
	}
}

static void start_connect(struct conn *c, const struct sockaddr *sa,
			  socklen_t salen)
{
	struct engine *e = c->eng;
	struct epoll_event ev;
	int fd, rc;

	SET_STATE(c, C_CONNECTING);
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		eng_finish(c, connect_errno_class(errno), errno);
		return;
	}
	c->fd = fd;
	ev.events = EPOLLOUT;
	ev.data.u64 = ((uint64_t)c->gen << 32) | c->slot;
	if (epoll_ctl(e->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = errno;

		/* The probe failed, not the path to the server. */
		snprintf(c->at.message, sizeof(c->at.message), "epoll_ctl: %s",
			 strerror(err));
		eng_finish(c, CD_LOCAL_ERROR, err);
		return;
	}
	c->events = EPOLLOUT;
	rc = connect(fd, sa, salen);
	if (rc == 0) {
		client_connected(c);
		return;
	}
	if (errno != EINPROGRESS) {
		eng_finish(c, connect_errno_class(errno), errno);
		return;
	}
	eng_timer(c, c->job->cfg->timeout_s[CD_PH_CONNECT]);
}

static int start_resolver(struct engine *e, unsigned nthreads);

/* Starts an attempt of job j against its target t in a free slot. */
static void start_on(struct engine *e, struct probe_job *j,
		     const struct probe_target *t, void *udata)
{
	const struct probe_config *cfg = j->cfg;
	struct conn *c = e->free_list;
	int i;

	e->free_list = c->next_free;
	e->active++;
	c->job = j;
	c->udata = udata;
	memset(&c->at, 0, sizeof(c->at));
	for (i = 0; i < CD_PH__COUNT; i++)
		c->at.phase_ns[i] = -1;
	c->at.idle_cut_ns = -1;
	c->at.seq = e->res ? e->res->next_seq++ : (uint32_t)e->started;
	c->at.target = (uint16_t)(t - cfg->targets);
	c->at.level = e->level;
	c->at.repeat = e->repeat;
	c->t_start = c->t_phase = cd_now_ns();
	c->at.start_ns = c->t_start - (e->res ? e->res->base_ns : e->t0);
	c->target = t;
	c->phase = CD_PH_RESOLVE;
	c->state = C_RESOLVING;
	c->rlen = 0;
	c->wleft = 0;
	c->server_eof = 0;
	c->queries = 0;
	e->started++;

	if (t->transport == CD_TCP && cfg->resolve_each && !j->numeric_host &&
	    !e->resolver && e->done)
		start_resolver(e, 4); /* the external loop's, on first need */
	if (t->transport == CD_TCP && cfg->resolve_each && !j->numeric_host &&
	    e->resolver) {
		if (resolver_submit(e->resolver, cfg->host, cfg->port,
				    t->family,
				    ((uint64_t)c->gen << 32) | c->slot) < 0) {
			eng_finish(c, CD_DNS_FAIL, ENOMEM);
			return;
		}
		eng_timer(c, cfg->timeout_s[CD_PH_RESOLVE]);
		return;
	}
	/* Nothing to resolve: a numeric address or a socket path. */
	c->phase = CD_PH_CONNECT;
	start_connect(c, (const struct sockaddr *)&t->addr, t->addrlen);
}

/* probe_run()'s scheduler: the next target in turn. */
static void start_attempt(struct engine *e)
{
	const struct probe_config *cfg = e->cfg;

	start_on(e, &e->own, &cfg->targets[e->started % cfg->ntargets], NULL);
}

static void resolved(struct engine *e)
{
	struct resolver_done done[64];
	unsigned n, i;

	n = resolver_collect(e->resolver, done, 64);
	for (i = 0; i < n; i++) {
		uint32_t slot = (uint32_t)done[i].tag;
		struct conn *c;

		if (slot >= e->nslab)
			continue;
		c = &e->slab[slot];
		if (c->gen != (uint32_t)(done[i].tag >> 32) ||
		    c->state != C_RESOLVING)
			continue; /* timed out meanwhile */
		heap_remove(e, c);
		if (done[i].rc) {
			eng_finish(c, CD_DNS_FAIL, done[i].rc);
			continue;
		}
		/* The address the name resolves to now, port as configured. */
		start_connect(c, (const struct sockaddr *)&done[i].addr,
			      done[i].addrlen);
	}
}

/* ---- events ---- */

static void on_event(struct engine *e, const struct epoll_event *ev)
{
	uint32_t slot = (uint32_t)ev->data.u64;
	uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
	struct conn *c;

	if (slot == RESOLVER_SLOT) {
		resolved(e);
		return;
	}
	if (slot >= e->nslab)
		return;
	c = &e->slab[slot];
	if (c->gen != gen || c->state == C_FREE)
		return; /* a stale event for a reused slot */
	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		heap_remove(e, c);
		if (err) {
			eng_finish(c, connect_errno_class(err), err);
			return;
		}
		client_connected(c);
		return;
	}
	if (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
		client_readable(c);
	if (c->gen == gen && c->state != C_FREE && (ev->events & EPOLLOUT))
		client_writable(c);
}

static void expire_timers(struct engine *e)
{
	int64_t now = cd_now_ns();

	while (e->hlen && e->heap[0]->deadline <= now) {
		struct conn *c = e->heap[0];

		heap_remove(e, c);
		if (c->state == C_RESOLVING) {
			c->at.timed_out = 1;
			eng_finish(c, CD_DNS_FAIL, ETIMEDOUT);
			continue;
		}
		if (c->state == C_CONNECTING) {
			c->at.timed_out = 1;
			eng_finish(c, CD_CONNECT_TIMEOUT, ETIMEDOUT);
			continue;
		}
		client_timeout(c);
	}
}

/* May another attempt start now? Sets *wait_ns when only the rate says no. */
static int may_start(struct engine *e, int64_t now, int64_t *wait_ns)
{
	const struct probe_config *cfg = e->cfg;

	*wait_ns = -1;
	if (interrupted || !e->free_list)
		return 0;
	if (cfg->count && e->started >= cfg->count)
		return 0;
	if (cfg->duration_s > 0 && now - e->t0 >= cd_s_to_ns(cfg->duration_s))
		return 0;
	if (cfg->rate > 0) {
		int64_t due =
			e->t0 + (int64_t)((double)e->started * 1e9 / cfg->rate);

		if (due > now) {
			*wait_ns = due - now;
			return 0;
		}
	}
	return 1;
}

static int more_to_start(const struct engine *e)
{
	const struct probe_config *cfg = e->cfg;
	int64_t now = cd_now_ns();

	if (interrupted)
		return 0;
	if (cfg->count && e->started >= cfg->count)
		return 0;
	if (cfg->duration_s > 0 && now - e->t0 >= cd_s_to_ns(cfg->duration_s))
		return 0;
	return 1;
}

/* ---- setup ---- */

/* The COM_QUERY with --query-attribute's attributes (MySQL "COM_QUERY"
 * with CLIENT_QUERY_ATTRIBUTES), as strings (MYSQL_TYPE_STRING). */
static int build_qa_command(struct probe_job *e, const char *q, size_t qlen,
			    char *errbuf, size_t errlen)
{
	const struct probe_config *cfg = e->cfg;
	struct mysql_qattr a[PROBE_QATTR_MAX];
	size_t cap = qlen + 16, i;
	uint8_t *payload;
	long n;
	uint8_t next;

	memset(a, 0, sizeof(a));
	for (i = 0; i < cfg->nqattrs; i++) {
		a[i].name = (const uint8_t *)cfg->qattrs[i].name;
		a[i].name_len = cfg->qattrs[i].name_len;
		a[i].type = MYSQL_TYPE_STRING;
		a[i].val = (const uint8_t *)cfg->qattrs[i].value;
		a[i].val_len = strlen(cfg->qattrs[i].value);
		cap += a[i].name_len + a[i].val_len + 2 * 9 + 3;
	}
	payload = malloc(cap);
	e->cmd_qa = malloc(cap + MYSQL_HEADER_LEN * 2);
	if (!payload || !e->cmd_qa) {
		free(payload);
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	n = mysql_query_attrs_write(payload, cap, a, cfg->nqattrs, q, qlen);
	if (n >= 0)
		n = mysql_packet_write(e->cmd_qa, cap + MYSQL_HEADER_LEN * 2,
				       payload, (size_t)n, 0, &next);
	free(payload);
	if (n < 0) {
		snprintf(errbuf, errlen, "cannot encode the query attributes");
		return -1;
	}
	e->cmd_qa_len = (size_t)n;
	return 0;
}

static int build_command(struct probe_job *e, char *errbuf, size_t errlen)
{
	const struct probe_config *cfg = e->cfg;
	const char *q = cfg->query ? cfg->query : "SELECT 1";
	size_t qlen = strlen(q);
	uint8_t *payload;
	size_t cap;
	long n;
	uint8_t next;

	if (qlen > (1u << 20)) {
		snprintf(errbuf, errlen, "query longer than 1 MiB");
		return -1;
	}
	payload = malloc(qlen + 1);
	cap = qlen + 1 + MYSQL_HEADER_LEN * 2;
	e->cmd = malloc(cap);
	if (!payload || !e->cmd) {
		free(payload);
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	if (cfg->ping)
		n = mysql_command_write(payload, qlen + 1, MYSQL_COM_PING, NULL,
					0);
	else
		n = mysql_command_write(payload, qlen + 1, MYSQL_COM_QUERY, q,
					qlen);
	if (n >= 0)
		n = mysql_packet_write(e->cmd, cap, payload, (size_t)n, 0,
				       &next);
	free(payload);
	if (n < 0) {
		snprintf(errbuf, errlen, "cannot encode the query");
		return -1;
	}
	e->cmdlen = (size_t)n;
	if (cfg->nqattrs && !cfg->ping)
		return build_qa_command(e, q, qlen, errbuf, errlen);
	return 0;
}

static int build_ssl(struct probe_job *e, char *errbuf, size_t errlen)
{
	if (e->cfg->ssl_mode == PROBE_SSL_DISABLED)
		return 0;
	e->ssl_ctx = probe_tls_ctx(e->cfg, errbuf, errlen);
	return e->ssl_ctx ? 0 : -1;
}

static int host_is_numeric(const char *host)
{
	struct in6_addr a6;

	return !host || inet_pton(AF_INET, host, &a6) == 1 ||
	       inet_pton(AF_INET6, host, &a6) == 1;
}

static void engine_free(struct engine *e)
{
	uint32_t i;

	if (e->slab) {
		for (i = 0; i < e->nslab; i++) {
			struct conn *c = &e->slab[i];

			client_release(c);
			if (c->ssl)
				SSL_free(c->ssl);
			if (c->fd >= 0)
				close(c->fd);
			free(c->rbuf);
		}
	}
	free(e->slab);
	free(e->heap);
	free(e->own.cmd);
	free(e->own.cmd_qa);
	if (e->resolver)
		resolver_stop(e->resolver);
	if (e->own.ssl_ctx)
		SSL_CTX_free(e->own.ssl_ctx);
	if (e->ep >= 0)
		close(e->ep);
}

static int start_resolver(struct engine *e, unsigned nthreads)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = RESOLVER_SLOT};

	e->resolver = resolver_start(nthreads);
	if (!e->resolver)
		return -1;
	if (epoll_ctl(e->ep, EPOLL_CTL_ADD, resolver_fd(e->resolver), &ev) <
	    0) {
		resolver_stop(e->resolver);
		e->resolver = NULL;
		return -1;
	}
	return 0;
}

static uint64_t cpu_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

int probe_run(const struct probe_config *cfg, uint16_t level, uint16_t repeat,
	      struct probe_result *res, char *errbuf, size_t errlen)
{
	struct engine e;
	struct epoll_event evs[MAX_EVENTS];
	uint64_t cpu0;
	uint32_t i;
	int rc = -1;

	memset(&e, 0, sizeof(e));
	e.ep = -1;
	e.cfg = cfg;
	e.own.cfg = cfg;
	e.res = res;
	e.level = level;
	e.repeat = repeat;
	if (cfg->ntargets == 0 || cfg->concurrency == 0) {
		snprintf(errbuf, errlen, "nothing to probe");
		return -1;
	}
	e.nslab = cfg->concurrency;
	e.slab = calloc(e.nslab, sizeof(*e.slab));
	e.heap = calloc(e.nslab, sizeof(struct conn *));
	if (!e.slab || !e.heap) {
		snprintf(errbuf, errlen, "out of memory for %u connections",
			 e.nslab);
		goto out;
	}
	for (i = e.nslab; i-- > 0;) {
		struct conn *c = &e.slab[i];

		c->eng = &e;
		c->fd = -1;
		c->slot = i;
		c->heap_idx = SIZE_MAX;
		c->next_free = e.free_list;
		e.free_list = c;
	}
	e.ep = epoll_create1(EPOLL_CLOEXEC);
	if (e.ep < 0) {
		snprintf(errbuf, errlen, "epoll_create1: %s", strerror(errno));
		goto out;
	}
	/* Verifying modes load the CA now, so a bad CA file is a usage
	 * error up front rather than a TLS failure per attempt. */
	if (build_command(&e.own, errbuf, errlen) ||
	    (cfg->ssl_mode >= PROBE_SSL_VERIFY_CA &&
	     build_ssl(&e.own, errbuf, errlen))) {
		rc = -2; /* the configuration, not the system */
		goto out;
	}
	e.own.numeric_host = host_is_numeric(cfg->host);
	if (cfg->resolve_each && !e.own.numeric_host &&
	    start_resolver(&e, cfg->concurrency < 8 ? cfg->concurrency : 8) <
		    0) {
		snprintf(errbuf, errlen, "cannot start the resolver");
		goto out;
	}

	if (!res->base_ns)
		res->base_ns = cd_now_ns();
	cpu0 = cpu_us();
	e.t0 = cd_now_ns();
	for (;;) {
		int64_t now = cd_now_ns(), wait_ns = -1, tmo_ns;
		int n, k, timeout_ms;

		while (may_start(&e, now, &wait_ns))
			start_attempt(&e);
		if (interrupted)
			break;
		if (e.active == 0 && !more_to_start(&e))
			break;
		tmo_ns = wait_ns;
		if (e.hlen) {
			int64_t t = e.heap[0]->deadline - cd_now_ns();

			if (tmo_ns < 0 || t < tmo_ns)
				tmo_ns = t;
		}
		if (tmo_ns < 0 && e.active == 0)
			tmo_ns = 1000000; /* duration-bound: check again */
		timeout_ms =
			tmo_ns < 0 ? -1 : (int)((tmo_ns + 999999) / 1000000);
		if (cfg->tick) { /* the progress line: wake for it too */
			cfg->tick(cfg->tick_ud, res, e.active, e.level);
			if (timeout_ms < 0 || timeout_ms > PROBE_TICK_MS)
				timeout_ms = PROBE_TICK_MS;
		}
		n = epoll_wait(e.ep, evs, MAX_EVENTS, timeout_ms);
		if (n < 0 && errno != EINTR) {
			snprintf(errbuf, errlen, "epoll_wait: %s",
				 strerror(errno));
			goto out;
		}
		for (k = 0; k < n; k++)
			on_event(&e, &evs[k]);
		expire_timers(&e);
	}
	if (interrupted)
		res->interrupted = 1;
	probe_result_order(res);
	res->wall_ns += cd_now_ns() - e.t0;
	res->cpu_us += cpu_us() - cpu0;
	rc = 0;
out:
	engine_free(&e);
	return rc;
}

/* ---- driven from an outside loop ---- */

struct probe_engine {
	struct engine e;
	uint64_t cpu_us; /* spent in probe_engine_step() */
};

int probe_job_new(struct probe_job **out, const struct probe_config *cfg,
		  char *errbuf, size_t errlen)
{
	struct probe_job *j = calloc(1, sizeof(*j));

	if (!j) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	j->cfg = cfg;
	j->numeric_host = host_is_numeric(cfg->host);
	if (build_command(j, errbuf, errlen) ||
	    (cfg->ssl_mode >= PROBE_SSL_VERIFY_CA &&
	     build_ssl(j, errbuf, errlen))) {
		probe_job_free(j);
		return -2;
	}
	*out = j;
	return 0;
}

void probe_job_free(struct probe_job *j)
{
	if (!j)
		return;
	free(j->cmd);
	free(j->cmd_qa);
	if (j->ssl_ctx)
		SSL_CTX_free(j->ssl_ctx);
	free(j);
}

int probe_engine_new(struct probe_engine **out, unsigned slots,
		     probe_done_fn done, void *ctx, char *errbuf, size_t errlen)
{
	struct probe_engine *pe;
	struct engine *e;
	uint32_t i;

	if (slots == 0 || !done) {
		snprintf(errbuf, errlen, "an engine needs slots and a sink");
		return -1;
	}
	pe = calloc(1, sizeof(*pe));
	if (!pe) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	e = &pe->e;
	e->ep = -1;
	e->done = done;
	e->done_ctx = ctx;
	e->nslab = slots;
	e->slab = calloc(e->nslab, sizeof(*e->slab));
	e->heap = calloc(e->nslab, sizeof(struct conn *));
	if (!e->slab || !e->heap) {
		snprintf(errbuf, errlen, "out of memory for %u connections",
			 slots);
		goto fail;
	}
	for (i = e->nslab; i-- > 0;) {
		struct conn *c = &e->slab[i];

		c->eng = e;
		c->fd = -1;
		c->slot = i;
		c->heap_idx = SIZE_MAX;
		c->next_free = e->free_list;
		e->free_list = c;
	}
	e->ep = epoll_create1(EPOLL_CLOEXEC);
	if (e->ep < 0) {
		snprintf(errbuf, errlen, "epoll_create1: %s", strerror(errno));
		goto fail;
	}
	e->t0 = cd_now_ns();
	*out = pe;
	return 0;
fail:
	engine_free(e);
	free(pe);
	return -1;
}

int probe_engine_start(struct probe_engine *pe, struct probe_job *j,
		       unsigned ti, void *udata)
{
	struct engine *e = &pe->e;
	uint64_t cpu0;

	if (!e->free_list || ti >= j->cfg->ntargets)
		return -1;
	cpu0 = cpu_us();
	start_on(e, j, &j->cfg->targets[ti], udata);
	pe->cpu_us += cpu_us() - cpu0;
	return 0;
}

unsigned probe_engine_active(const struct probe_engine *pe)
{
	return pe->e.active;
}

int probe_engine_fd(const struct probe_engine *pe)
{
	return pe->e.ep;
}

int probe_engine_timeout_ms(const struct probe_engine *pe)
{
	const struct engine *e = &pe->e;
	int64_t t;

	if (!e->hlen)
		return -1;
	t = e->heap[0]->deadline - cd_now_ns();
	if (t <= 0)
		return 0;
	return t > 3600 * (int64_t)1000000000 ? 3600 * 1000
					      : (int)((t + 999999) / 1000000);
}

int probe_engine_step(struct probe_engine *pe, int timeout_ms)
{
	struct engine *e = &pe->e;
	struct epoll_event evs[MAX_EVENTS];
	uint64_t cpu0;
	int n, k;

	n = epoll_wait(e->ep, evs, MAX_EVENTS, timeout_ms);
	if (n < 0 && errno != EINTR)
		return -1;
	if (n <= 0 && !e->hlen)
		return 0; /* nothing to do: no rusage call either */
	cpu0 = cpu_us();
	for (k = 0; k < n; k++)
		on_event(e, &evs[k]);
	expire_timers(e);
	pe->cpu_us += cpu_us() - cpu0;
	return 0;
}

uint64_t probe_engine_cpu_us(const struct probe_engine *pe)
{
	return pe->cpu_us;
}

static void abort_some(struct probe_engine *pe, const struct probe_job *j)
{
	struct engine *e = &pe->e;
	uint32_t i;

	for (i = 0; i < e->nslab; i++) {
		struct conn *c = &e->slab[i];

		if (c->state == C_FREE || (j && c->job != j))
			continue;
		client_quit_now(c);
		/* A refused epoll change in it ended the attempt already. */
		if (c->state != C_FREE)
			conn_release(e, c);
	}
}

void probe_engine_abort(struct probe_engine *pe)
{
	abort_some(pe, NULL);
}

void probe_engine_abort_job(struct probe_engine *pe, const struct probe_job *j)
{
	abort_some(pe, j);
}

void probe_engine_free(struct probe_engine *pe)
{
	if (!pe)
		return;
	probe_engine_abort(pe);
	engine_free(&pe->e);
	free(pe);
}
