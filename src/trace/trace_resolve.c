/* trace_resolve.c - `trace`'s uprobe loader: puts bpf/resolve.bpf.c's
 * entry and return probes on the resolver functions of each traced
 * process's libc (opened as /proc/PID/root/<path>, pid-scoped), drains the
 * slow lookups from the ring buffer and folds the per-CPU counters into one
 * row per client address (libbpf 1.x API). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "resolve.skel.h"
#pragma GCC diagnostic pop

#include "trace/trace.h"
#include "trace/trace_abi.h"
#include "util/clock.h"

_Static_assert((int)TRACE_FN__COUNT == (int)TR_FN__COUNT,
	       "trace.h and trace_abi.h functions differ");

#define MAX_LINKS (TRACE_MAX_PIDS * TR_FN__COUNT * 2)

struct trace_resolver {
	struct cd_resolve *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[MAX_LINKS];
	size_t nlinks;
	struct trace_proc procs[TRACE_MAX_PIDS];
	size_t nprocs;
	int64_t t0_ns;
	struct trace_slow *slow;
	size_t nslow;
	uint64_t slow_not_kept;
};

static void addr_text(const struct tr_res_key *k, char *buf, size_t len)
{
	int af = k->family == AF_INET6 ? AF_INET6 : AF_INET;

	buf[0] = '\0';
	if (k->family && !inet_ntop(af, k->addr, buf, (socklen_t)len))
		buf[0] = '\0';
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct trace_resolver *t = ctx;
	const struct tr_res_event *ev = data;
	struct trace_slow *s;

	if (len < sizeof(*ev) || ev->kind != TR_EV_SLOW_RESOLVE)
		return 0;
	if (t->nslow >= TRACE_MAX_SLOW) {
		t->slow_not_kept++;
		return 0;
	}
	s = &t->slow[t->nslow++];
	memset(s, 0, sizeof(*s));
	addr_text(&ev->k, s->addr, sizeof(s->addr));
	memcpy(s->name, ev->name, sizeof(s->name) - 1);
	s->fn = ev->k.fn < TRACE_FN__COUNT ? (enum trace_fn)ev->k.fn
					   : TRACE_FN_GETNAMEINFO;
	s->nested = ev->k.how == TR_HOW_NESTED;
	s->pid = (pid_t)ev->pid;
	s->tid = (pid_t)ev->tid;
	s->at_us = (int64_t)ev->ts > t->t0_ns
			   ? ((int64_t)ev->ts - t->t0_ns) / 1000
			   : 0;
	s->dur_us = (int64_t)(ev->dur_ns / 1000);
	return 0;
}

/* The entry and return programs of function f. */
static void progs_of(struct cd_resolve *s, int f, struct bpf_program **in,
		     struct bpf_program **ret)
{
	switch (f) {
	case TR_FN_GETNAMEINFO:
		*in = s->progs.cd_getnameinfo_enter;
		*ret = s->progs.cd_getnameinfo_leave;
		break;
	case TR_FN_GETHOSTBYADDR:
		*in = s->progs.cd_gethostbyaddr_enter;
		*ret = s->progs.cd_gethostbyaddr_leave;
		break;
	case TR_FN_GETHOSTBYADDR_R:
		*in = s->progs.cd_gethostbyaddr_r_enter;
		*ret = s->progs.cd_gethostbyaddr_r_leave;
		break;
	case TR_FN_GETADDRINFO:
		*in = s->progs.cd_getaddrinfo_enter;
		*ret = s->progs.cd_getaddrinfo_leave;
		break;
	case TR_FN_GETHOSTBYNAME:
		*in = s->progs.cd_gethostbyname_enter;
		*ret = s->progs.cd_gethostbyname_leave;
		break;
	default:
		*in = s->progs.cd_gethostbyname_r_enter;
		*ret = s->progs.cd_gethostbyname_r_leave;
		break;
	}
}

/* One probe on pid's libc at function name; 0 or -errno. */
static int attach_one(struct trace_resolver *t, struct bpf_program *prog,
		      pid_t pid, const char *path, const char *name, int ret)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = name,
		    .retprobe = ret != 0);
	struct bpf_link *l;

	l = bpf_program__attach_uprobe_opts(prog, pid, path, 0, &opts);
	if (!l)
		return errno ? -errno : -EINVAL;
	t->links[t->nlinks++] = l;
	return 0;
}

/* Every probe on one process; 0, or -1 with err set. Probes already
 * attached to it stay: a partial set still counts what it sees. */
static int attach_pid(struct trace_resolver *t, pid_t pid, char *err,
		      size_t errlen)
{
	struct trace_proc *p = &t->procs[t->nprocs];
	struct bpf_program *in, *ret;
	char path[320];
	FILE *f;
	size_t n;
	int fn, rc;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	if (trace_find_libc(pid, p->libc, sizeof(p->libc), err, errlen))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (f) {
		n = fread(p->comm, 1, sizeof(p->comm) - 1, f);
		p->comm[n] = '\0';
		p->comm[strcspn(p->comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, p->libc);
	for (fn = 0; fn < TR_FN__COUNT; fn++) {
		progs_of(t->skel, fn, &in, &ret);
		rc = attach_one(t, in, pid, path,
				trace_fn_name((enum trace_fn)fn), 0);
		if (!rc)
			rc = attach_one(t, ret, pid, path,
					trace_fn_name((enum trace_fn)fn), 1);
		if (rc) {
			snprintf(err, errlen,
				 "cannot put a uprobe on %s in pid %d's %s: %s",
				 trace_fn_name((enum trace_fn)fn), (int)pid,
				 p->libc, strerror(-rc));
			return -1;
		}
	}
	t->nprocs++;
	return 0;
}

int trace_resolve_open(const pid_t *pids, size_t npids,
		       struct trace_resolver **out, char *err, size_t errlen)
{
	struct trace_resolver *t;
	char why[256] = "";
	size_t i, failed = 0;
	int rc;

	err[0] = '\0';
	if (!npids || npids > TRACE_MAX_PIDS) {
		snprintf(err, errlen, "between 1 and %d processes",
			 TRACE_MAX_PIDS);
		return TRACE_ERR_INTERNAL;
	}
	t = calloc(1, sizeof(*t));
	if (t)
		t->slow = calloc(TRACE_MAX_SLOW, sizeof(*t->slow));
	if (!t || !t->slow) {
		rc = TRACE_ERR_NOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	t->skel = cd_resolve__open();
	if (!t->skel) {
		rc = TRACE_ERR_LOAD;
		snprintf(err, errlen, "cannot open the BPF object: %s",
			 strerror(errno));
		goto out;
	}
	t->skel->rodata->slow_ns = TRACE_SLOW_NS;
	rc = cd_resolve__load(t->skel);
	if (rc) {
		snprintf(err, errlen, "the kernel refused the uprobes: %s",
			 strerror(-rc));
		rc = TRACE_ERR_LOAD;
		goto out;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.res_events),
				 on_event, t, NULL);
	if (!t->rb) {
		snprintf(err, errlen, "cannot map the ring buffer: %s",
			 strerror(errno));
		rc = TRACE_ERR_LOAD;
		goto out;
	}
	t->t0_ns = cd_now_ns();
	for (i = 0; i < npids; i++) {
		if (!attach_pid(t, pids[i], why, sizeof(why)))
			continue;
		if (!failed++)
			snprintf(err, errlen, "%s", why);
	}
	if (!t->nprocs) {
		rc = TRACE_ERR_ATTACH;
		goto out;
	}
	rc = 0;
out:
	if (rc) {
		trace_resolve_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

int trace_resolve_poll(struct trace_resolver *t)
{
	return ring_buffer__consume(t->rb) < 0 ? -1 : 0;
}

/* The row of address a in r, added when new; NULL when r is full. */
static struct trace_client *client_of(struct trace_resolve_result *r,
				      const char *a)
{
	size_t i;

	for (i = 0; i < r->nclients; i++)
		if (!strcmp(r->clients[i].addr, a))
			return &r->clients[i];
	if (r->nclients >= TRACE_MAX_CLIENTS)
		return NULL;
	snprintf(r->clients[r->nclients].addr, sizeof(r->clients[0].addr), "%s",
		 a);
	return &r->clients[r->nclients++];
}

/* Adds one key's per-CPU values into its client's row. */
static void fold(struct trace_resolve_result *r, const struct tr_res_key *k,
		 const struct tr_res_val *v, int ncpu)
{
	struct trace_client *c;
	struct trace_calls *calls;
	uint64_t n = 0, total = 0, max = 0;
	char a[46];
	int i;

	for (i = 0; i < ncpu; i++) {
		n += v[i].calls;
		total += v[i].total_ns;
		if (v[i].max_ns > max)
			max = v[i].max_ns;
	}
	if (!n || k->fn >= TR_FN__COUNT)
		return;
	addr_text(k, a, sizeof(a));
	c = client_of(r, a);
	if (!c) {
		r->not_followed += n;
		return;
	}
	if (k->how == TR_HOW_NESTED)
		calls = &c->nested[k->fn];
	else if (k->how == TR_HOW_NUMERIC)
		calls = &c->numeric[k->fn];
	else
		calls = &c->fn[k->fn];
	calls->calls += n;
	calls->total_us += (int64_t)(total / 1000);
	if ((int64_t)(max / 1000) > calls->max_us)
		calls->max_us = (int64_t)(max / 1000);
	if (k->how != TR_HOW_LOOKUP)
		return;
	c->lookups += n;
	c->total_us += (int64_t)(total / 1000);
	if (calls->max_us > c->max_us)
		c->max_us = calls->max_us;
}

int trace_resolve_read(struct trace_resolver *t, struct trace_resolve_result *r)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(t->skel->maps.lookups);
	int gfd = bpf_map__fd(t->skel->maps.res_globals);
	struct tr_res_key key, next, *prev = NULL;
	struct tr_res_val *vals = NULL;
	__u64 *g = NULL;
	__u32 gk;
	int i, rc = TRACE_ERR_NOMEM;

	memset(r, 0, sizeof(*r));
	if (ncpu <= 0)
		return TRACE_ERR_INTERNAL;
	ring_buffer__consume(t->rb);
	vals = calloc((size_t)ncpu, sizeof(*vals));
	g = calloc((size_t)ncpu, sizeof(*g));
	r->clients = calloc(TRACE_MAX_CLIENTS, sizeof(*r->clients));
	r->slow = calloc(t->nslow ? t->nslow : 1, sizeof(*r->slow));
	if (!vals || !g || !r->clients || !r->slow)
		goto out;
	r->duration_us = (cd_now_ns() - t->t0_ns) / 1000;
	memcpy(r->procs, t->procs, sizeof(r->procs));
	r->nprocs = t->nprocs;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, vals))
			fold(r, &key, vals, ncpu);
	}
	for (gk = 0; gk < TR_RG__COUNT; gk++) {
		if (bpf_map_lookup_elem(gfd, &gk, g))
			continue;
		for (i = 0; i < ncpu; i++) {
			if (gk == TR_RG_EVENTS_LOST)
				r->events_lost += g[i];
			else
				r->not_followed += g[i];
		}
	}
	memcpy(r->slow, t->slow, t->nslow * sizeof(*r->slow));
	r->nslow = t->nslow;
	r->slow_not_kept = t->slow_not_kept;
	rc = 0;
out:
	free(vals);
	free(g);
	if (rc)
		trace_resolve_result_free(r);
	return rc;
}

void trace_resolve_close(struct trace_resolver *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	ring_buffer__free(t->rb);
	cd_resolve__destroy(t->skel);
	free(t->slow);
	free(t);
}
