/* trace_bpf.c - `trace`'s loader: checks privileges and BTF, picks the
 * program variants the running kernel's tracepoint prototypes allow, loads
 * bpf/tcp.bpf.c (its bpftool skeleton), attaches, drains the ring buffer
 * and reads the per-CPU maps (libbpf 1.x API). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "tcp.skel.h"
#pragma GCC diagnostic pop

#include "check/counters.h"
#include "trace/trace.h"
#include "trace/trace_abi.h"
#include "util/clock.h"

_Static_assert((int)TRACE_COUNTER__COUNT == (int)TR_C__COUNT,
	       "trace.h and trace_abi.h counters differ");
_Static_assert(TRACE_MAX_PORTS == TR_MAX_PORTS, "port limits differ");

#define CAP_PERFMON_   38
#define CAP_BPF_       39
#define CAP_SYS_ADMIN_ 21
#define MAX_REASONS    1024

struct reason_name {
	uint32_t value;
	char name[TRACE_REASON_LEN];
};

struct tracer {
	struct cd_tcp *skel;
	struct ring_buffer *rb;
	struct trace_config cfg;
	int64_t t0_ns; /* attach time, monotonic (bpf_ktime_get_ns's clock) */
	int drops_traced;
	struct reason_name *reasons;
	size_t nreasons;
	/* Anomalous connections from the ring buffer. */
	struct trace_conn *conns;
	size_t nconns;
	uint64_t conns_not_kept;
	/* ListenOverflows/ListenDrops samples. */
	int listen_ok;
	int64_t ovf0, drp0, ovf_prev, ovf_last, drp_last, max_ovf_per_s;
	int64_t last_sample_ns;
	unsigned samples;
	struct trace_listeners listeners; /* their accept queues, sampled */
};

/* libbpf's messages, shown only with CD_TRACE_DEBUG set. */
__attribute__((format(printf, 2, 0))) static int
quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!getenv("CD_TRACE_DEBUG"))
		return 0;
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

/* 1 when the effective capabilities allow loading tracing programs. */
static int have_privileges(void)
{
	char line[256];
	unsigned long long caps = 0;
	FILE *f = fopen("/proc/self/status", "r");
	int found = 0;

	if (!f)
		return geteuid() == 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "CapEff:", 7)) {
			caps = strtoull(line + 7, NULL, 16);
			found = 1;
			break;
		}
	}
	fclose(f);
	if (!found)
		return geteuid() == 0;
	if (caps & (1ULL << CAP_SYS_ADMIN_))
		return 1;
	return (caps & (1ULL << CAP_BPF_)) && (caps & (1ULL << CAP_PERFMON_));
}

/* The number of arguments of tracepoint name's prototype in BTF (the
 * context pointer not counted), or -1. */
static int tp_nargs(const struct btf *btf, const char *name)
{
	char tname[128];
	const struct btf_type *t;
	int id;

	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	id = btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, (__u32)id);
	if (!t)
		return -1;
	t = btf__type_by_id(btf, t->type); /* the pointer */
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1;
}

/* enum skb_drop_reason's names from BTF; *consumed = SKB_CONSUMED. */
static int load_reasons(struct tracer *t, const struct btf *btf,
			uint32_t *consumed)
{
	const struct btf_type *bt;
	const struct btf_enum *e;
	const char *name;
	int id, i, n;

	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id < 0)
		return -1;
	bt = btf__type_by_id(btf, (__u32)id);
	if (!bt)
		return -1;
	n = btf_vlen(bt);
	if (n > MAX_REASONS)
		n = MAX_REASONS;
	t->reasons = calloc((size_t)n + 1, sizeof(*t->reasons));
	if (!t->reasons)
		return TRACE_ERR_NOMEM;
	e = btf_enum(bt);
	for (i = 0; i < n; i++) {
		name = btf__name_by_offset(btf, e[i].name_off);
		if (!name)
			continue;
		if (!strcmp(name, "SKB_CONSUMED"))
			*consumed = (uint32_t)e[i].val;
		if (!strncmp(name, "SKB_DROP_REASON_", 16))
			name += 16;
		t->reasons[t->nreasons].value = (uint32_t)e[i].val;
		snprintf(t->reasons[t->nreasons].name, TRACE_REASON_LEN, "%s",
			 name);
		t->nreasons++;
	}
	return 0;
}

static const char *reason_name(const struct tracer *t, uint32_t v)
{
	size_t i;

	for (i = 0; i < t->nreasons; i++)
		if (t->reasons[i].value == v)
			return t->reasons[i].name;
	return NULL;
}

static void endpoints(const struct tr_tuple *tp, struct trace_endpoints *e)
{
	int af = tp->family == AF_INET6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, tp->laddr, e->laddr, sizeof(e->laddr)))
		e->laddr[0] = '\0';
	if (!inet_ntop(af, tp->raddr, e->raddr, sizeof(e->raddr)))
		e->raddr[0] = '\0';
	e->lport = tp->lport;
	e->rport = tp->rport;
}

static int64_t since_us(const struct tracer *t, uint64_t ns)
{
	if (!ns || (int64_t)ns < t->t0_ns)
		return 0;
	return ((int64_t)ns - t->t0_ns) / 1000;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct tracer *t = ctx;
	const struct tr_event *ev = data;
	struct trace_conn *c;
	const struct tr_conn *k;

	if (len < sizeof(*ev) || ev->kind != TR_EV_CONN_END)
		return 0;
	if (t->nconns >= TRACE_MAX_CONNS) {
		t->conns_not_kept++;
		return 0;
	}
	k = &ev->c;
	c = &t->conns[t->nconns++];
	memset(c, 0, sizeof(*c));
	endpoints(&k->t, &c->e);
	c->port = k->port_idx < t->cfg.nports ? t->cfg.ports[k->port_idx] : 0;
	c->server = k->role == TR_ROLE_SERVER;
	c->at_us = since_us(t, ev->ts);
	c->syn_sent_us = (int64_t)(k->ns_syn_sent / 1000);
	c->syn_recv_us = (int64_t)(k->ns_syn_recv / 1000);
	c->established_us = (int64_t)(k->ns_established / 1000);
	c->syn_retrans = k->syn_retrans;
	c->data_retrans = k->data_retrans;
	c->established = k->established;
	c->rst_sent = k->rst_sent;
	c->rst_received = k->rst_received;
	c->closer = k->closer < TRACE_CLOSER__COUNT
			    ? (enum trace_closer)k->closer
			    : TRACE_CLOSER_NONE;
	return 0;
}

/* ListenOverflows and ListenDrops of this namespace; 0 or -1. */
static int read_listen(int64_t *ovf, int64_t *drp)
{
	struct chk_counters c;
	char err[128];
	int rc;

	chk_counters_init(&c);
	rc = chk_counters_read(&c, "/proc", err, sizeof(err));
	if (!rc)
		rc = chk_counters_get(&c, "TcpExt.ListenOverflows", ovf);
	if (!rc)
		rc = chk_counters_get(&c, "TcpExt.ListenDrops", drp);
	chk_counters_free(&c);
	return rc ? -1 : 0;
}

/* A sample once a second, or now when force is set (the last one). */
static void sample_listen(struct tracer *t, int64_t now, int force)
{
	int64_t ovf, drp, rise;

	if (!force && now - t->last_sample_ns < CD_NS_PER_S)
		return;
	t->last_sample_ns = now;
	trace_listeners_sample(&t->listeners, t->cfg.ports, t->cfg.nports);
	if (!t->listen_ok || read_listen(&ovf, &drp))
		return;
	rise = ovf - t->ovf_prev;
	if (rise > t->max_ovf_per_s)
		t->max_ovf_per_s = rise;
	t->ovf_prev = ovf;
	t->ovf_last = ovf;
	t->drp_last = drp;
	t->samples++;
}

int trace_open(const struct trace_config *cfg, struct tracer **out, char *err,
	       size_t errlen)
{
	struct tracer *t = NULL;
	struct btf *btf = NULL;
	struct stat st;
	uint32_t consumed = 1;
	int rc, nargs;
	size_t i;

	if (!cfg->nports || cfg->nports > TRACE_MAX_PORTS) {
		snprintf(err, errlen, "between 1 and %d ports",
			 TRACE_MAX_PORTS);
		return TRACE_ERR_INTERNAL;
	}
	if (!have_privileges()) {
		snprintf(err, errlen,
			 "eBPF tracing needs root, or CAP_BPF and CAP_PERFMON");
		return TRACE_ERR_PRIV;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, errlen,
			 "this kernel has no BTF (/sys/kernel/btf/vmlinux: "
			 "%s); CONFIG_DEBUG_INFO_BTF is needed",
			 strerror(errno));
		return TRACE_ERR_NOBTF;
	}
	if (stat("/proc/self/ns/net", &st)) {
		snprintf(err, errlen, "/proc/self/ns/net: %s", strerror(errno));
		return TRACE_ERR_INTERNAL;
	}
	libbpf_set_print(quiet_print);
	t = calloc(1, sizeof(*t));
	if (t)
		t->conns = calloc(TRACE_MAX_CONNS, sizeof(*t->conns));
	if (!t || !t->conns) {
		rc = TRACE_ERR_NOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	t->cfg = *cfg;
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		rc = TRACE_ERR_NOBTF;
		snprintf(err, errlen, "cannot read the kernel's BTF: %s",
			 strerror(errno));
		goto out;
	}
	rc = load_reasons(t, btf, &consumed);
	if (rc == TRACE_ERR_NOMEM) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	nargs = tp_nargs(btf, "kfree_skb");
	t->skel = cd_tcp__open();
	if (!t->skel) {
		rc = TRACE_ERR_LOAD;
		snprintf(err, errlen, "cannot open the BPF object: %s",
			 strerror(errno));
		goto out;
	}
	t->skel->rodata->netns_ino = (__u32)st.st_ino;
	t->skel->rodata->nports = (__u32)cfg->nports;
	for (i = 0; i < cfg->nports; i++)
		t->skel->rodata->ports[i] = cfg->ports[i];
	t->skel->rodata->reason_consumed = consumed;
	/* kfree_skb: (skb, location, reason, rx_sk) from 6.12, (skb,
	 * location, reason) from 5.17; earlier kernels give no reason. */
	t->drops_traced = t->nreasons > 0 && nargs >= 3;
	bpf_program__set_autoload(t->skel->progs.cd_kfree_skb_rx_sk,
				  t->drops_traced && nargs >= 4);
	bpf_program__set_autoload(t->skel->progs.cd_kfree_skb,
				  t->drops_traced && nargs == 3);
	rc = cd_tcp__load(t->skel);
	if (rc) {
		snprintf(err, errlen,
			 "the kernel refused the BPF programs: %s%s",
			 strerror(-rc),
			 rc == -EPERM ? " (lockdown, or missing CAP_BPF)" : "");
		rc = TRACE_ERR_LOAD;
		goto out;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_event, t,
				 NULL);
	if (!t->rb) {
		snprintf(err, errlen, "cannot map the ring buffer: %s",
			 strerror(errno));
		rc = TRACE_ERR_LOAD;
		goto out;
	}
	rc = 0;
out:
	btf__free(btf);
	if (rc) {
		trace_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

int trace_attach(struct tracer *t, char *err, size_t errlen)
{
	int rc = cd_tcp__attach(t->skel);

	if (rc) {
		snprintf(err, errlen, "cannot attach to the tracepoints: %s",
			 strerror(-rc));
		return TRACE_ERR_ATTACH;
	}
	t->t0_ns = cd_now_ns();
	t->last_sample_ns = t->t0_ns;
	t->listen_ok = !read_listen(&t->ovf0, &t->drp0);
	t->ovf_prev = t->ovf_last = t->ovf0;
	t->drp_last = t->drp0;
	trace_listeners_sample(&t->listeners, t->cfg.ports, t->cfg.nports);
	return 0;
}

int trace_poll(struct tracer *t)
{
	int rc = ring_buffer__consume(t->rb);

	sample_listen(t, cd_now_ns(), 0);
	return rc < 0 ? -1 : 0;
}

/* The sum over CPUs of a per-CPU u64 map's value at key; 0 or -1. */
static int percpu_sum(int fd, const void *key, __u64 *vals, int ncpu,
		      uint64_t *sum)
{
	int i;

	if (bpf_map_lookup_elem(fd, key, vals))
		return -1;
	*sum = 0;
	for (i = 0; i < ncpu; i++)
		*sum += vals[i];
	return 0;
}

static int read_drops(struct tracer *t, struct trace_result *r, __u64 *vals,
		      int ncpu)
{
	int fd = bpf_map__fd(t->skel->maps.drops);
	struct tr_drop_key key, next, *prev = NULL;
	struct trace_drop *d;
	const char *name;
	uint64_t sum;

	r->drops = calloc(TRACE_MAX_DROPS, sizeof(*r->drops));
	if (!r->drops)
		return TRACE_ERR_NOMEM;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (r->ndrops >= TRACE_MAX_DROPS)
			break;
		if (percpu_sum(fd, &key, vals, ncpu, &sum) || !sum)
			continue;
		d = &r->drops[r->ndrops++];
		d->port = key.port_idx < t->cfg.nports
				  ? t->cfg.ports[key.port_idx]
				  : 0;
		d->reason = key.reason;
		name = reason_name(t, key.reason);
		if (name)
			snprintf(d->name, sizeof(d->name), "%s", name);
		else
			snprintf(d->name, sizeof(d->name), "%u", key.reason);
		d->count = sum;
	}
	return 0;
}

static int read_reqs(struct tracer *t, struct trace_result *r)
{
	int fd = bpf_map__fd(t->skel->maps.reqs);
	struct tr_tuple key, next, *prev = NULL;
	struct tr_req v;
	struct trace_req *q;

	r->reqs = calloc(TRACE_MAX_REQS, sizeof(*r->reqs));
	if (!r->reqs)
		return TRACE_ERR_NOMEM;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (r->nreqs >= TRACE_MAX_REQS)
			break;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		q = &r->reqs[r->nreqs++];
		endpoints(&key, &q->e);
		q->port = v.port_idx < t->cfg.nports ? t->cfg.ports[v.port_idx]
						     : 0;
		q->synack_retrans = v.synack_retrans;
		q->backlog = v.backlog;
		q->max_backlog = v.max_backlog;
		q->first_us = since_us(t, v.t_first);
		q->last_us = since_us(t, v.t_last);
		q->established = v.t_established != 0;
	}
	return 0;
}

int trace_count(struct tracer *t, uint64_t c[TRACE_COUNTER__COUNT])
{
	int ncpu = libbpf_num_possible_cpus();
	int cfd = bpf_map__fd(t->skel->maps.counters);
	__u64 vals[256];
	uint64_t sum;
	__u32 key;
	size_t p;
	int k;

	memset(c, 0, TRACE_COUNTER__COUNT * sizeof(*c));
	if (ncpu <= 0 || ncpu > 256) /* a bigger machine: no line, no harm */
		return -1;
	for (p = 0; p < t->cfg.nports; p++)
		for (k = 0; k < TR_C__COUNT; k++) {
			key = (__u32)(p * TR_C__COUNT + (size_t)k);
			if (!percpu_sum(cfd, &key, vals, ncpu, &sum))
				c[k] += sum;
		}
	return 0;
}

int trace_read(struct tracer *t, struct trace_result *r)
{
	int ncpu = libbpf_num_possible_cpus();
	int cfd = bpf_map__fd(t->skel->maps.counters);
	int gfd = bpf_map__fd(t->skel->maps.globals);
	uint64_t sum;
	__u64 *vals;
	__u32 key;
	size_t p;
	int c, rc;

	memset(r, 0, sizeof(*r));
	if (ncpu <= 0)
		return TRACE_ERR_INTERNAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return TRACE_ERR_NOMEM;
	ring_buffer__consume(t->rb);
	r->duration_us = (cd_now_ns() - t->t0_ns) / 1000;
	r->nports = t->cfg.nports;
	for (p = 0; p < t->cfg.nports; p++) {
		r->ports[p].port = t->cfg.ports[p];
		for (c = 0; c < TR_C__COUNT; c++) {
			key = (__u32)(p * TR_C__COUNT + (size_t)c);
			if (!percpu_sum(cfd, &key, vals, ncpu, &sum))
				r->ports[p].c[c] = sum;
		}
	}
	for (key = 0; key < TR_G__COUNT; key++) {
		if (percpu_sum(gfd, &key, vals, ncpu, &sum))
			continue;
		if (key == TR_G_EVENTS_LOST)
			r->events_lost = sum;
		else if (key == TR_G_DROPS_UNPLACED)
			r->drops_unplaced = sum;
		else
			r->tables_full += sum;
	}
	rc = read_drops(t, r, vals, ncpu);
	if (!rc)
		rc = read_reqs(t, r);
	if (!rc && t->nconns) {
		r->conns = calloc(t->nconns, sizeof(*r->conns));
		if (!r->conns)
			rc = TRACE_ERR_NOMEM;
		else
			memcpy(r->conns, t->conns,
			       t->nconns * sizeof(*r->conns));
		r->nconns = r->conns ? t->nconns : 0;
	}
	r->conns_not_kept = t->conns_not_kept;
	r->drops_traced = t->drops_traced;
	sample_listen(t, cd_now_ns(), 1);
	r->listen.ok = t->listen_ok;
	r->listen.overflows = t->ovf_last - t->ovf0;
	r->listen.drops = t->drp_last - t->drp0;
	r->listen.max_overflows_per_s = t->max_ovf_per_s;
	r->listen.samples = t->samples;
	r->listeners = t->listeners;
	free(vals);
	if (rc)
		trace_result_free(r);
	return rc;
}

void trace_close(struct tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	cd_tcp__destroy(t->skel);
	free(t->reasons);
	free(t->conns);
	free(t);
}
