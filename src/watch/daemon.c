/* daemon.c - watch's one loop: an epoll set holding the probe engine's
 * descriptor (probe.h, driven from outside), libmicrohttpd's and a
 * signalfd; a heap of targets by due time; SIGHUP reloads the config
 * once the attempts in flight have ended, SIGINT/SIGTERM stop it the same
 * way (those still in flight after a grace period get a COM_QUIT). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "check/owner.h"
#include "findings/findings.h"
#include "probe/run.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "watch/alloc.h"
#include "watch/daemon_int.h"

/* epoll tags of watch's own loop. */
enum { TAG_ENGINE = 1, TAG_HTTP, TAG_SIGNAL };

/* How long a stop waits for attempts in flight before it quits them. */
#define STOP_GRACE_NS (2 * (int64_t)1000000000)

/* ---- the due-time heap of runners ---- */

static int due_before(const struct watch_daemon *d, size_t a, size_t b)
{
	return d->rs[d->heap[a]].next_ns < d->rs[d->heap[b]].next_ns;
}

static void heap_swap(struct watch_daemon *d, size_t a, size_t b)
{
	size_t t = d->heap[a];

	d->heap[a] = d->heap[b];
	d->heap[b] = t;
	d->rs[d->heap[a]].heap_idx = a;
	d->rs[d->heap[b]].heap_idx = b;
}

static void heap_fix(struct watch_daemon *d, size_t i)
{
	while (i > 0 && due_before(d, i, (i - 1) / 2)) {
		heap_swap(d, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < d->hlen && due_before(d, l, m))
			m = l;
		if (r < d->hlen && due_before(d, r, m))
			m = r;
		if (m == i)
			break;
		heap_swap(d, i, m);
		i = m;
	}
}

/* ---- runners: one per configured target ---- */

static void runner_config(struct watch_runner *r, const struct watch_target *t)
{
	int p;

	probe_config_init(&r->pc);
	r->pc.host = t->host;
	r->pc.port = t->port;
	r->pc.user = t->user;
	r->pc.password = t->password;
	r->pc.query = t->query;
	r->pc.ssl_mode = t->ssl_mode;
	r->pc.ssl_ca = t->ssl_ca;
	r->pc.concurrency = 1;
	for (p = 0; p < CD_PH__COUNT; p++)
		if (r->pc.timeout_s[p] > t->timeout_s)
			r->pc.timeout_s[p] = t->timeout_s;
}

/* Finds the target's addresses and socket and prebuilds its job; 0 or -1
 * with err. */
int watch_runner_ready(struct watch_runner *r, const struct watch_target *t,
		       char *err, size_t errlen)
{
	r->pc.ntargets = 0;
	if (t->host && probe_add_tcp_targets(&r->pc, AF_UNSPEC, err, errlen))
		return -1;
	if (t->socket &&
	    probe_add_socket_target(&r->pc, t->socket, err, errlen) < 0)
		return -1;
	if (!t->socket && t->host && t->socket_beside &&
	    chk_host_is_loopback(t->host)) {
		const char *path =
			t->beside_path ? t->beside_path : CHK_DEFAULT_SOCKET;
		char why[384];

		/* The server's own socket beside it, never an assumed one. */
		if (chk_listener_owns_socket((uint16_t)t->port, path, why,
					     sizeof(why)) == 1 &&
		    probe_add_socket_target(&r->pc, path, err, errlen) < 0)
			return -1;
		fprintf(stderr, "conndoctor watch: [target %s]: %s\n", t->name,
			why);
	}
	if (!r->job && probe_job_new(&r->job, &r->pc, err, errlen) < 0)
		return -1;
	if (watch_links_jobs(r, t, err, errlen) < 0)
		return -1;
	r->ready = 1;
	return 0;
}

/* An attempt that could not start (the name did not resolve, the socket
 * is something else), counted as the engine would have. */
static void record_setup_failure(struct watch_daemon *d, size_t ti,
				 const struct watch_target *t)
{
	struct cd_attempt a;
	int p;

	memset(&a, 0, sizeof(a));
	for (p = 0; p < CD_PH__COUNT; p++)
		a.phase_ns[p] = -1;
	if (t->host) {
		a.outcome = CD_DNS_FAIL;
		a.failed_phase = CD_PH_RESOLVE;
		watch_state_record(&d->st, ti, CD_TCP, &a);
	}
	if (t->socket) {
		a.outcome = CD_CONNECT_FAILED;
		a.failed_phase = CD_PH_CONNECT;
		watch_state_record(&d->st, ti, CD_SOCKET, &a);
	}
}

/* interval x (1 +- 10%), so targets of one interval spread out. */
static int64_t jittered(double interval_s)
{
	double u = drand48() * 0.2 - 0.1;

	return (int64_t)(interval_s * (1.0 + u) * 1e9);
}

static void runner_reschedule(struct watch_daemon *d, struct watch_runner *r,
			      double interval_s)
{
	int64_t now = cd_now_ns();

	r->next_ns += jittered(interval_s);
	if (r->next_ns < now) /* fell behind: no burst */
		r->next_ns = now + jittered(interval_s);
	heap_fix(d, r->heap_idx);
}

/* Starts what is due, as far as free slots allow. */
static void start_due(struct watch_daemon *d)
{
	int64_t now = cd_now_ns();
	char err[512];

	while (d->hlen && !d->draining) {
		size_t ti = d->heap[0];
		struct watch_runner *r = &d->rs[ti];
		const struct watch_target *t = &d->cfg->targets[ti];
		unsigned k;

		if (r->next_ns > now)
			break;
		if (!r->todo) { /* a new round */
			if (!r->ready &&
			    watch_runner_ready(r, t, err, sizeof(err)) < 0) {
				if (!r->warned)
					fprintf(stderr,
						"conndoctor watch: [target "
						"%s]: %s (retrying every "
						"interval)\n",
						t->name, err);
				r->warned = 1;
				record_setup_failure(d, ti, t);
				runner_reschedule(d, r, t->interval_s);
				continue;
			}
			for (k = 0; k < r->pc.ntargets; k++) {
				if (r->busy & 1u << k)
					watch_state_skipped(
						&d->st, ti,
						r->pc.targets[k].transport);
				else
					r->todo |= 1u << k;
			}
			watch_links_round(d, ti);
			if (!r->todo) {
				runner_reschedule(d, r, t->interval_s);
				continue;
			}
		}
		for (k = 0; k < r->pc.ntargets && r->todo; k++) {
			if (!(r->todo & 1u << k))
				continue;
			r->ticket[k].r = r;
			r->ticket[k].req = NULL;
			r->ticket[k].k = k;
			r->ticket[k].kind = WATCH_TK_ROUND;
			if (probe_engine_start(d->eng, r->job, k,
					       &r->ticket[k]) < 0)
				return; /* no free slot: wait for one */
			r->todo &= ~(1u << k);
			r->busy |= 1u << k;
		}
		if (!r->todo)
			runner_reschedule(d, r, t->interval_s);
	}
}

/* ---- attempts ending ---- */

/* Keeps a in the target's window of recent attempts (the findings'
 * input). */
static void window_add(struct watch_runner *r, const struct cd_attempt *a)
{
	r->window[r->wnext] = *a;
	r->wnext = (r->wnext + 1) % WATCH_WINDOW;
	if (r->wlen < WATCH_WINDOW)
		r->wlen++;
}

/* Evaluates the probe rules over the target's window, and adds CD7002
 * while its replica link is stalled (links.c). */
void watch_evaluate(struct watch_daemon *d, struct watch_runner *r)
{
	struct probe_result res;
	struct cd_findings f;
	struct cd_probe_input in;
	size_t i, start;

	probe_result_init(&res);
	res.attempts = calloc(r->wlen ? r->wlen : 1, sizeof(*res.attempts));
	if (!res.attempts)
		return;
	start = (r->wnext + WATCH_WINDOW - r->wlen) % WATCH_WINDOW;
	for (i = 0; i < r->wlen; i++)
		res.attempts[i] = r->window[(start + i) % WATCH_WINDOW];
	res.nattempts = res.cap = r->wlen;
	memset(&in, 0, sizeof(in));
	in.cfg = &r->pc;
	in.res = &res;
	in.facts = &d->facts;
	cd_findings_init(&f);
	if (cd_rules_probe(&in, &f) == 0) {
		struct watch_targetfind *tf = &d->st.findings[r - d->rs];

		tf->n = 0;
		tf->evaluated = 1;
		for (i = 0; i < f.n && tf->n < WATCH_FINDINGS_MAX; i++) {
			struct watch_finding *w = &tf->v[tf->n++];

			snprintf(w->code, sizeof(w->code), "%s",
				 f.v[i].def->code);
			w->severity = f.v[i].severity;
		}
		if (d->st.links[r - d->rs].stalled &&
		    tf->n < WATCH_FINDINGS_MAX) {
			snprintf(tf->v[tf->n].code, sizeof(tf->v[0].code),
				 "CD7002");
			tf->v[tf->n++].severity = CD_SEV_CRITICAL;
		}
	}
	cd_findings_free(&f);
	probe_result_free(&res);
}

static void on_attempt(void *ctx, void *udata, const struct cd_attempt *a)
{
	struct watch_daemon *d = ctx;
	struct watch_ticket *tk = udata;
	struct watch_runner *r = tk->r;
	enum cd_transport tr = r->pc.targets[tk->k].transport;

	if (tk->req) {
		watch_probe_req_done(d, tk, a);
		return;
	}
	if (tk->kind != WATCH_TK_ROUND) {
		watch_links_done(d, tk, a);
		return;
	}
	r->busy &= ~(1u << tk->k);
	watch_state_record(&d->st, (size_t)(r - d->rs), tr, a);
	window_add(r, a);
	if (!r->busy && !r->todo)
		watch_evaluate(d, r);
}

/* ---- building and swapping configurations ---- */

static void runners_free(struct watch_runner *rs, size_t n)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < n; i++) {
		size_t m;

		probe_job_free(rs[i].job);
		probe_job_free(rs[i].ijob);
		probe_job_free(rs[i].rjob);
		if (rs[i].hc)
			probe_job_free(rs[i].hc->job);
		free(rs[i].hc);
		for (m = 0; m < rs[i].nm; m++)
			probe_job_free(rs[i].mjob[m]);
		free(rs[i].mjob);
		free(rs[i].mpc);
	}
	free(rs);
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Whether a reload leaves target a as b: every key the same. */
static int same_target(const struct watch_target *a,
		       const struct watch_target *b)
{
	unsigned i;

	if (strcmp(a->name, b->name) || !same_str(a->host, b->host) ||
	    a->port != b->port || !same_str(a->socket, b->socket) ||
	    !same_str(a->user, b->user) ||
	    !same_str(a->password, b->password) || a->ssl_mode != b->ssl_mode ||
	    !same_str(a->ssl_ca, b->ssl_ca) || a->interval_s != b->interval_s ||
	    a->timeout_s != b->timeout_s || !same_str(a->query, b->query) ||
	    a->idle_survival != b->idle_survival ||
	    a->idle_check_s != b->idle_check_s || a->replica != b->replica ||
	    a->host_cache != b->host_cache ||
	    a->host_cache_s != b->host_cache_s ||
	    a->socket_beside != b->socket_beside ||
	    !same_str(a->beside_path, b->beside_path) ||
	    a->nlabels != b->nlabels)
		return 0;
	for (i = 0; i < a->nlabels; i++)
		if (strcmp(a->labels[i].key, b->labels[i].key) ||
		    strcmp(a->labels[i].value, b->labels[i].value))
			return 0;
	return 1;
}

/* Makes runners and series for cfg; from old (may be NULL) it keeps the
 * counters of targets that did not change. Returns 0 or -1. */
static int install(struct watch_daemon *d, struct watch_config *cfg,
		   const struct watch_config *old_cfg,
		   const struct watch_state *old_st, size_t *kept)
{
	struct watch_runner *rs;
	struct watch_state st;
	size_t *heap, i, j;
	int64_t start = cd_now_ns();

	*kept = 0;
	rs = calloc(cfg->ntargets, sizeof(*rs));
	heap = calloc(cfg->ntargets, sizeof(*heap));
	if (!rs || !heap || watch_state_init(&st, cfg, &d->facts) < 0) {
		free(rs);
		free(heap);
		return -1;
	}
	for (i = 0; i < cfg->ntargets; i++) {
		runner_config(&rs[i], &cfg->targets[i]);
		/* First attempts spread over a tenth of the interval. */
		rs[i].next_ns =
			start + (int64_t)(drand48() * 0.1 *
					  cfg->targets[i].interval_s * 1e9);
		heap[i] = i;
		rs[i].heap_idx = i;
		for (j = 0; old_cfg && j < old_cfg->ntargets; j++)
			if (same_target(&old_cfg->targets[j],
					&cfg->targets[i])) {
				watch_state_carry(&st, i, old_st, j);
				(*kept)++;
				break;
			}
	}
	if (old_st) {
		st.probe_cpu_us = old_st->probe_cpu_us;
		st.reloads = old_st->reloads;
		st.reload_failures = old_st->reload_failures;
	}
	runners_free(d->rs, d->cfg ? d->cfg->ntargets : 0);
	free(d->heap);
	d->rs = rs; /* the caller frees the old series and config */
	d->heap = heap;
	d->hlen = cfg->ntargets;
	d->st = st;
	watch_state_rebase(&d->st); /* its edges moved with it */
	d->cfg = cfg;
	for (i = d->hlen / 2 + 1; i-- > 0;)
		if (i < d->hlen)
			heap_fix(d, i);
	if (watch_links_index(d) < 0)
		fprintf(stderr, "conndoctor watch: out of memory: no idle "
				"sessions or replica polls\n");
	return 0;
}

/* SIGHUP with --web-config: the file again, served from the next
 * request (a new server for new connections when TLS changed); the
 * running settings stay when it does not load or serve. 0 or -1. */
static int reload_web(struct watch_daemon *d)
{
	const char *file = d->opts->web_file;
	struct watch_web *nw = &d->web[!d->webcur];
	char err[512];
	int fd;

	watch_http_retire(d->http); /* it may hold nw */
	watch_web_free(nw);
	if (watch_web_load(nw, file, err, sizeof(err)) < 0) {
		fprintf(stderr,
			"conndoctor watch: web config reload refused, the "
			"running one stays: %s\n",
			err);
		return -1;
	}
	if (watch_http_set_web(d->http, nw, err, sizeof(err)) < 0) {
		fprintf(stderr,
			"conndoctor watch: web config reload refused, the "
			"running one stays: %s: %s\n",
			file, err);
		watch_web_free(nw);
		return -1;
	}
	d->webcur = !d->webcur;
	fd = watch_http_fd(d->http);
	if (fd != d->http_fd) { /* a new server; the old one's goes with it */
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.u32 = TAG_HTTP};

		if (epoll_ctl(d->ep, EPOLL_CTL_ADD, fd, &ev) < 0 &&
		    errno != EEXIST)
			fprintf(stderr, "conndoctor watch: epoll: %s\n",
				strerror(errno));
		d->http_fd = fd;
	}
	fprintf(stderr,
		"conndoctor watch: reloaded %s: serving %s, %u user(s)\n", file,
		watch_http_scheme(d->http), nw->nusers);
	return 0;
}

/* Counts a SIGHUP reload as applied or refused. */
static void reload_count(struct watch_daemon *d, int ok)
{
	if (ok) {
		d->st.reloads++;
		d->st.reload_ok = 1;
	} else {
		d->st.reload_failures++;
		d->st.reload_ok = 0;
	}
}

/* SIGHUP, once nothing is in flight: the new files, or the old config
 * and web config kept with the reason. */
static void reload(struct watch_daemon *d)
{
	struct watch_config *nc, *oc = d->cfg;
	struct watch_state old_st;
	char err[512];
	size_t kept;
	int web_ok = 1;

	if (d->opts->web_file)
		web_ok = reload_web(d) == 0;
	if (!oc->file) { /* the quick form: only the web config */
		reload_count(d, web_ok);
		return;
	}
	nc = malloc(sizeof(*nc));
	if (!nc)
		return;
	watch_config_init(nc);
	if (watch_config_load(nc, oc->file, err, sizeof(err)) < 0) {
		fprintf(stderr,
			"conndoctor watch: reload refused, the running "
			"config stays: %s\n",
			err);
		watch_config_free(nc);
		free(nc);
		reload_count(d, 0);
		return;
	}
	if (oc->listen_cli) { /* --listen still wins over the file */
		snprintf(nc->listen, sizeof(nc->listen), "%s", oc->listen);
		nc->listen_cli = 1;
	}
	if (strcmp(nc->listen, oc->listen))
		fprintf(stderr,
			"conndoctor watch: reload: listen changed to %s; it "
			"takes a restart, still serving %s\n",
			nc->listen, oc->listen);
	old_st = d->st;
	if (install(d, nc, oc, &old_st, &kept) < 0) {
		watch_config_free(nc);
		free(nc);
		fprintf(stderr, "conndoctor watch: reload: out of memory\n");
		return;
	}
	watch_state_free(&old_st);
	watch_config_free(oc);
	free(oc);
	reload_count(d, web_ok);
	fprintf(stderr,
		"conndoctor watch: reloaded %s: %zu target(s), %zu "
		"unchanged kept their counters\n",
		nc->file, nc->ntargets, kept);
}

/* ---- the loop ---- */

static void on_signals(struct watch_daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (!d->cfg->file && !d->opts->web_file) {
				fprintf(stderr, "conndoctor watch: SIGHUP: "
						"no config file to reload\n");
				continue;
			}
			d->reload_pending = 1;
		} else if (!d->stopping) {
			d->stopping = 1;
			d->stop_deadline = cd_now_ns() + STOP_GRACE_NS;
		}
	}
}

/* Reads the host gauges again when they are due, for the addresses the
 * targets have now. */
static void host_refresh(struct watch_daemon *d, int64_t now)
{
	const struct watch_config *c = d->cfg;
	struct probe_target *t;
	const char *unix_path = NULL;
	int64_t period = 0;
	size_t i, n = 0;
	unsigned k;

	if (now < d->host.next_ns || !c->ntargets)
		return;
	for (i = 0; i < c->ntargets; i++)
		n += d->rs[i].ready ? d->rs[i].pc.ntargets : 0;
	t = calloc(n ? n : 1, sizeof(*t));
	if (!t)
		return;
	n = 0;
	for (i = 0; i < c->ntargets; i++) {
		const struct watch_runner *r = &d->rs[i];
		int64_t iv = (int64_t)(c->targets[i].interval_s * 1e9);

		if (!period || iv < period)
			period = iv;
		if (!unix_path)
			unix_path = c->targets[i].socket;
		for (k = 0; r->ready && k < r->pc.ntargets; k++)
			t[n++] = r->pc.targets[k];
	}
	if (period < WATCH_HOST_PERIOD_MIN_NS)
		period = WATCH_HOST_PERIOD_MIN_NS;
	if (watch_host_set_dests(&d->host, t, n) == 0)
		watch_host_refresh(&d->host, now, period, unix_path, "/proc");
	free(t);
}

static int render(void *ctx, char **body, size_t *len, size_t *cap)
{
	struct watch_daemon *d = ctx;
	int64_t start = cd_now_ns();

	host_refresh(d, start);
	d->st.host = &d->host;
	return watch_state_render_buf(&d->st, start, body, len, cap);
}

/* Milliseconds epoll_wait may sleep. */
static int wait_ms(struct watch_daemon *d)
{
	int64_t now = cd_now_ns(), next = now + 60 * (int64_t)1000000000;
	int ms, t;

	if (d->hlen && !d->draining && probe_engine_active(d->eng) < d->slots) {
		int64_t idle = watch_links_next_ns(d);

		next = d->rs[d->heap[0]].next_ns;
		if (idle < next)
			next = idle;
	}
	if (d->stopping && d->stop_deadline < next)
		next = d->stop_deadline;
	ms = next > now ? (int)((next - now + 999999) / 1000000) : 0;
	t = probe_engine_timeout_ms(d->eng);
	if (t >= 0 && t < ms)
		ms = t;
	t = watch_http_timeout_ms(d->http);
	if (t >= 0 && t < ms)
		ms = t;
	return ms;
}

static int loop(struct watch_daemon *d)
{
	struct epoll_event evs[8];
	int n, i, eng, http;

	for (;;) {
		d->draining = d->stopping || d->reload_pending;
		if (d->draining) /* idle sessions would hold it up */
			watch_links_abort(d);
		if (d->draining && probe_engine_active(d->eng) == 0) {
			if (d->stopping)
				return 0;
			d->reload_pending = 0;
			d->draining = 0;
			reload(d);
		}
		if (d->stopping && cd_now_ns() >= d->stop_deadline) {
			probe_engine_abort(d->eng); /* COM_QUIT to the rest */
			watch_probe_reqs_fail(d);
			return 0;
		}
		start_due(d);
		watch_links_start(d);
		n = epoll_wait(d->ep, evs, 8, wait_ms(d));
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "conndoctor watch: epoll_wait: %s\n",
				strerror(errno));
			return -1;
		}
		/* Each side runs only when its descriptor is ready or its
		 * timer is due: most wake-ups are one probe's event, and
		 * every run costs syscalls (epoll_wait, getrusage). */
		eng = http = d->reqs != NULL; /* an answer may be ready */
		for (i = 0; i < n; i++) {
			if (evs[i].data.u32 == TAG_SIGNAL)
				on_signals(d);
			else if (evs[i].data.u32 == TAG_ENGINE)
				eng = 1;
			else if (evs[i].data.u32 == TAG_HTTP)
				http = 1;
		}
		if ((eng || probe_engine_timeout_ms(d->eng) == 0) &&
		    probe_engine_step(d->eng, 0) < 0) {
			fprintf(stderr, "conndoctor watch: engine: %s\n",
				strerror(errno));
			return -1;
		}
		d->st.probe_cpu_us = probe_engine_cpu_us(d->eng);
		if (http || watch_http_timeout_ms(d->http) == 0)
			watch_http_run(d->http);
	}
}

static int add_fd(int ep, int fd, uint32_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

int watch_daemon_run(struct watch_config *cfg, const struct watch_opts *o)
{
	struct watch_daemon d;
	struct watch_config *own;
	char err[512];
	size_t kept, total = 0, i;
	sigset_t ss;
	int rc = -1;

	memset(&d, 0, sizeof(d));
	(void)watch_malloc_setup(); /* RSS flat for months: alloc.h */
	watch_host_init(&d.host);
	d.ep = d.sfd = d.http_fd = -1;
	if (o->web) { /* its strings move with it */
		d.web[0] = *o->web;
		memset(o->web, 0, sizeof(*o->web));
	}
	d.opts = o;
	own = malloc(sizeof(*own));
	if (!own) {
		fprintf(stderr, "conndoctor watch: out of memory\n");
		return -1;
	}
	*own = *cfg; /* the strings move with it */
	memset(cfg, 0, sizeof(*cfg));
	cfg = own;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	d.sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	probe_host_facts_read(&d.facts, "/proc", "/etc/resolv.conf",
			      getenv("RES_OPTIONS"));
	srand48((long)getpid() ^ (long)time(NULL));
	if (install(&d, cfg, NULL, NULL, &kept) < 0) {
		fprintf(stderr, "conndoctor watch: out of memory\n");
		watch_config_free(cfg);
		free(cfg);
		goto out;
	}
	for (i = 0; i < cfg->ntargets; i++)
		total += (cfg->targets[i].host ? 2 : 0) +
			 (cfg->targets[i].socket ? 1 : 0) +
			 (cfg->targets[i].idle_survival ? 1 : 0) +
			 (cfg->targets[i].replica ? 1 : 0) +
			 (cfg->targets[i].host_cache && cfg->targets[i].host
				  ? 1
				  : 0);
	d.slots = o->max_in_flight;
	if (d.slots == 0)
		d.slots = total < WATCH_INFLIGHT_DEFAULT
				  ? (unsigned)total + WATCH_PROBE_SLOTS
				  : WATCH_INFLIGHT_DEFAULT;
	probe_raise_nofile(d.slots + 64);
	if (probe_engine_new(&d.eng, d.slots, on_attempt, &d, err,
			     sizeof(err)) < 0 ||
	    watch_http_start(&d.http, cfg->listen, o->web ? &d.web[0] : NULL,
			     render, &d, watch_probe_begin, err,
			     sizeof(err)) < 0) {
		fprintf(stderr, "conndoctor watch: %s\n", err);
		goto out;
	}
	d.http_fd = watch_http_fd(d.http);
	d.ep = epoll_create1(EPOLL_CLOEXEC);
	if (d.ep < 0 || d.sfd < 0 ||
	    add_fd(d.ep, probe_engine_fd(d.eng), TAG_ENGINE) < 0 ||
	    add_fd(d.ep, d.http_fd, TAG_HTTP) < 0 ||
	    add_fd(d.ep, d.sfd, TAG_SIGNAL) < 0) {
		fprintf(stderr, "conndoctor watch: epoll: %s\n",
			strerror(errno));
		goto out;
	}
	fprintf(stderr,
		"conndoctor watch: serving %s://%s/metrics for %zu "
		"target(s), at most %u attempts in flight\n",
		watch_http_scheme(d.http), cfg->listen, cfg->ntargets, d.slots);
	if (loop(&d) == 0) {
		rc = 0;
		fprintf(stderr, "conndoctor watch: stopped\n");
	}
out:
	probe_engine_free(d.eng); /* before the jobs it borrows */
	watch_http_run_final(d.http);
	watch_http_stop(d.http);
	watch_web_free(&d.web[0]);
	watch_web_free(&d.web[1]);
	if (d.ep >= 0)
		close(d.ep);
	if (d.sfd >= 0)
		close(d.sfd);
	runners_free(d.rs, d.cfg ? d.cfg->ntargets : 0);
	free(d.heap);
	free(d.linked);
	watch_links_free(&d);
	watch_host_free(&d.host);
	if (d.cfg) {
		watch_state_free(&d.st);
		watch_config_free(d.cfg);
		free(d.cfg);
	}
	return rc;
}
