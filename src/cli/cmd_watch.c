/* cmd_watch.c - `conndoctor watch`: reads the config (or the quick form's
 * flags), then probes each target every interval (jittered) with a full
 * login + query + COM_QUIT through the probe engine, and serves the
 * counts as Prometheus metrics on /metrics, from one epoll loop. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "check/facts.h"
#include "cli/cli.h"
#include "util/fileio.h"
#include "watch/watch.h"

/* Per target: the engine configuration, built once, and when it is due. */
struct runner {
	struct probe_config pc;
	int ready;	 /* addresses resolved, socket found */
	int64_t next_ns; /* monotonic time of the next attempt */
	int warned;	 /* the setup failure was reported once */
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
	probe_interrupt();
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void usage(FILE *out)
{
	fputs("usage: conndoctor watch --config FILE [--listen ADDR:PORT]\n"
	      "       conndoctor watch -h HOST|-S SOCKET -u USER "
	      "[--interval S] [options]\n"
	      "\n"
	      "Probes targets continuously (login, query, COM_QUIT every "
	      "interval,\n"
	      "jittered by +-10%) and serves Prometheus metrics on /metrics.\n"
	      "\n"
	      "  --config FILE        [watch] defaults and [target NAME] "
	      "groups\n"
	      "                       (docs/watch.md)\n"
	      "  --listen ADDR:PORT   where to serve HTTP (default "
	      "127.0.0.1:9979)\n"
	      "quick form, one target named after the host (or \"socket\"):\n"
	      "  -h, --host HOST      probe over TCP (never the socket)\n"
	      "  -P, --port PORT      default 3306\n"
	      "  -S, --socket PATH    probe the Unix socket\n"
	      "  -u, --user USER\n"
	      "  --password-file FILE the password's first line (not readable "
	      "by\n"
	      "                       others); else MYSQL_PWD\n"
	      "  --interval S         seconds between attempts (default 30)\n"
	      "  --timeout S          bound on each phase (default 10, below "
	      "the\n"
	      "                       interval)\n"
	      "  --query SQL          default SELECT 1\n"
	      "  --ssl-mode MODE      DISABLED, PREFERRED (default), REQUIRED, "
	      "...\n"
	      "  --ssl-ca FILE\n",
	      out);
}

enum {
	OPT_CONFIG = 256,
	OPT_LISTEN,
	OPT_PWFILE,
	OPT_INTERVAL,
	OPT_TIMEOUT,
	OPT_QUERY,
	OPT_SSL_MODE,
	OPT_SSL_CA,
	OPT_HELP
};

/* The quick form's flags go to the target as config keys would. */
static const char *quick_key(int opt)
{
	switch (opt) {
	case 'h':
		return "host";
	case 'P':
		return "port";
	case 'S':
		return "socket";
	case 'u':
		return "user";
	case OPT_PWFILE:
		return "password-file";
	case OPT_INTERVAL:
		return "interval";
	case OPT_TIMEOUT:
		return "timeout";
	case OPT_QUERY:
		return "query";
	case OPT_SSL_MODE:
		return "ssl-mode";
	case OPT_SSL_CA:
		return "ssl-ca";
	default:
		return NULL;
	}
}

/* Parses argv into c. Returns 0, -1 after --help, or CD_EXIT_USAGE. */
static int parse(int argc, char **argv, struct watch_config *c, char *err,
		 size_t errlen)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, OPT_CONFIG},
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"host", required_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'P'},
		{"socket", required_argument, NULL, 'S'},
		{"user", required_argument, NULL, 'u'},
		{"password-file", required_argument, NULL, OPT_PWFILE},
		{"interval", required_argument, NULL, OPT_INTERVAL},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"query", required_argument, NULL, OPT_QUERY},
		{"ssl-mode", required_argument, NULL, OPT_SSL_MODE},
		{"ssl-ca", required_argument, NULL, OPT_SSL_CA},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0}};
	struct watch_target quick;
	const char *config = NULL, *listen = NULL, *pw;
	char why[384];
	int opt, nquick = 0, rc = CD_EXIT_USAGE;

	memset(&quick, 0, sizeof(quick));
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h:P:S:u:", longopts, NULL)) !=
	       -1) {
		if (opt == OPT_HELP) {
			usage(stdout);
			rc = -1;
			goto out;
		}
		if (opt == '?' || opt == ':') {
			cd_errf(err, errlen, "%s '%s' (see --help)",
				opt == ':' ? "a value is needed for"
					   : "unknown option",
				argv[optind - 1]);
			goto out;
		}
		if (opt == OPT_CONFIG) {
			config = optarg;
			continue;
		}
		if (opt == OPT_LISTEN) {
			listen = optarg;
			continue;
		}
		if (watch_target_set(&quick, quick_key(opt), optarg, why,
				     sizeof(why)) < 0) {
			cd_errf(err, errlen, "%s", why);
			goto out;
		}
		nquick++;
	}
	if (optind < argc) {
		cd_errf(err, errlen, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (config && nquick) {
		cd_errf(err, errlen,
			"--config and the quick form's target options do not "
			"mix");
		goto out;
	}
	if (config) {
		if (watch_config_load(c, config, err, errlen) < 0)
			goto out;
	} else {
		if (!quick.host && !quick.socket) {
			cd_errf(err, errlen,
				"nothing to watch: --config FILE, or -h HOST "
				"/ -S SOCKET with -u USER");
			goto out;
		}
		pw = getenv("MYSQL_PWD");
		if (!quick.password && pw &&
		    watch_target_set(&quick, "password", pw, why, sizeof(why)) <
			    0) {
			cd_errf(err, errlen, "%s", why);
			goto out;
		}
		snprintf(quick.name, sizeof(quick.name), "%s",
			 quick.host ? quick.host : "socket");
		if (watch_config_add(c, &quick) < 0) {
			cd_errf(err, errlen, "out of memory");
			goto out;
		}
		memset(&quick, 0, sizeof(quick)); /* c owns it now */
		if (watch_config_finish(c, err, errlen) < 0)
			goto out;
	}
	if (listen) {
		if (strlen(listen) >= sizeof(c->listen)) {
			cd_errf(err, errlen, "--listen: too long");
			goto out;
		}
		snprintf(c->listen, sizeof(c->listen), "%s", listen);
	}
	rc = 0;
out:
	watch_target_free(&quick);
	return rc;
}

static void runner_config(struct runner *r, const struct watch_target *t)
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
	r->pc.concurrency = 1; /* one attempt in flight per target */
	for (p = 0; p < CD_PH__COUNT; p++)
		if (r->pc.timeout_s[p] > t->timeout_s)
			r->pc.timeout_s[p] = t->timeout_s;
}

/* Finds the target's addresses and socket; 0 or -1 with err. */
static int runner_ready(struct runner *r, const struct watch_target *t,
			char *err, size_t errlen)
{
	r->pc.ntargets = 0;
	if (t->host && probe_add_tcp_targets(&r->pc, AF_UNSPEC, err, errlen))
		return -1;
	if (t->socket &&
	    probe_add_socket_target(&r->pc, t->socket, err, errlen) < 0)
		return -1;
	/* One attempt per address (and the socket) each interval. */
	r->pc.count = r->pc.ntargets;
	r->ready = 1;
	return 0;
}

/* An attempt that could not start (the name did not resolve, the socket
 * is gone), counted like the engine would have. */
static void record_setup_failure(struct watch_state *st, size_t ti,
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
		watch_state_record(st, ti, CD_TCP, &a);
	}
	if (t->socket) {
		a.outcome = CD_CONNECT_FAILED;
		a.failed_phase = CD_PH_CONNECT;
		watch_state_record(st, ti, CD_SOCKET, &a);
	}
}

static void run_target(struct watch_state *st, struct runner *r, size_t ti,
		       const struct watch_target *t)
{
	struct probe_result res;
	char err[512];
	size_t i;

	if (!r->ready && runner_ready(r, t, err, sizeof(err)) < 0) {
		if (!r->warned)
			fprintf(stderr,
				"conndoctor watch: [target %s]: %s (retrying "
				"every interval)\n",
				t->name, err);
		r->warned = 1;
		record_setup_failure(st, ti, t);
		return;
	}
	probe_result_init(&res);
	if (probe_run(&r->pc, 1, 0, &res, err, sizeof(err)) != 0) {
		if (!r->warned)
			fprintf(stderr, "conndoctor watch: [target %s]: %s\n",
				t->name, err);
		r->warned = 1;
	}
	for (i = 0; i < res.nattempts; i++) {
		const struct cd_attempt *a = &res.attempts[i];

		if (a->target < r->pc.ntargets)
			watch_state_record(
				st, ti, r->pc.targets[a->target].transport, a);
	}
	st->probe_cpu_us += res.cpu_us;
	probe_result_free(&res);
}

/* interval x (1 +- 10%), so targets of one interval spread out. */
static int64_t jittered(double interval_s)
{
	double u = drand48() * 0.2 - 0.1;

	return (int64_t)(interval_s * (1.0 + u) * 1e9);
}

static void render(void *ctx, FILE *out)
{
	watch_state_render(out, ctx, now_ns());
}

static int serve(const struct watch_config *c, struct watch_state *st,
		 struct runner *rs)
{
	struct watch_http *h = NULL;
	struct epoll_event ev = {.events = EPOLLIN};
	char err[512];
	int ep = -1, rc = CD_EXIT_UNAVAILABLE;
	size_t i;

	if (watch_http_start(&h, c->listen, render, st, err, sizeof(err)) < 0) {
		fprintf(stderr, "conndoctor watch: %s\n", err);
		return CD_EXIT_UNAVAILABLE;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, watch_http_fd(h), &ev) < 0) {
		fprintf(stderr, "conndoctor watch: epoll: %s\n",
			strerror(errno));
		goto out;
	}
	fprintf(stderr,
		"conndoctor watch: serving http://%s/metrics for %zu "
		"target(s)\n",
		c->listen, c->ntargets);
	while (!stopping) {
		int64_t now = now_ns(), next = now + 60 * (int64_t)1000000000;
		int wait_ms, hms;

		for (i = 0; i < c->ntargets && !stopping; i++) {
			if (rs[i].next_ns > now)
				continue;
			run_target(st, &rs[i], i, &c->targets[i]);
			now = now_ns();
			rs[i].next_ns += jittered(c->targets[i].interval_s);
			if (rs[i].next_ns < now) /* fell behind: no burst */
				rs[i].next_ns =
					now +
					jittered(c->targets[i].interval_s);
			watch_http_run(h); /* scrapes waiting meanwhile */
		}
		for (i = 0; i < c->ntargets; i++)
			if (rs[i].next_ns < next)
				next = rs[i].next_ns;
		wait_ms = next > now ? (int)((next - now) / 1000000) + 1 : 0;
		hms = watch_http_timeout_ms(h);
		if (hms >= 0 && hms < wait_ms)
			wait_ms = hms;
		if (epoll_wait(ep, &ev, 1, wait_ms) < 0 && errno != EINTR) {
			fprintf(stderr, "conndoctor watch: epoll_wait: %s\n",
				strerror(errno));
			goto out;
		}
		watch_http_run(h);
	}
	rc = CD_EXIT_OK;
out:
	if (ep >= 0)
		close(ep);
	watch_http_stop(h);
	return rc;
}

int cmd_watch(int argc, char **argv)
{
	struct watch_config c;
	struct watch_state st;
	struct cd_host_facts facts;
	struct runner *rs = NULL;
	struct sigaction sa;
	char err[512];
	int64_t start;
	size_t i;
	int rc;

	/* Handlers first: a SIGTERM while the config loads still ends
	 * cleanly. No SA_RESTART, so epoll_wait returns on a signal. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	watch_config_init(&c);
	memset(&st, 0, sizeof(st));
	rc = parse(argc, argv, &c, err, sizeof(err));
	if (rc) {
		if (rc > 0)
			fprintf(stderr, "conndoctor watch: %s\n", err);
		rc = rc < 0 ? CD_EXIT_OK : rc;
		goto out;
	}
	chk_host_facts_read(&facts, "/proc", "/etc/resolv.conf",
			    getenv("RES_OPTIONS"));
	rs = calloc(c.ntargets, sizeof(*rs));
	if (!rs || watch_state_init(&st, &c, &facts) < 0) {
		fprintf(stderr, "conndoctor watch: out of memory\n");
		rc = CD_EXIT_UNAVAILABLE;
		goto out;
	}
	srand48((long)getpid() ^ (long)time(NULL));
	start = now_ns();
	for (i = 0; i < c.ntargets; i++) {
		runner_config(&rs[i], &c.targets[i]);
		/* First attempts spread over a tenth of the interval. */
		rs[i].next_ns =
			start + (int64_t)(drand48() * 0.1 *
					  c.targets[i].interval_s * 1e9);
	}
	rc = serve(&c, &st, rs);
	if (rc == CD_EXIT_OK)
		fprintf(stderr, "conndoctor watch: stopped\n");
out:
	free(rs);
	watch_state_free(&st);
	watch_config_free(&c);
	return rc;
}
