/* watch.h - the watch daemon's engine side: its configuration (a my.cnf
 * style file with [watch] defaults and one [target NAME] group per target),
 * per-target metrics state, and the HTTP endpoint serving /metrics. */
#ifndef CONNDOCTOR_WATCH_WATCH_H
#define CONNDOCTOR_WATCH_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "check/check.h" /* CHK_MAX_PORTS */
#include "probe/probe.h"
#include "report/prom.h"

#define WATCH_NAME_MAX	   64
#define WATCH_LABELS_MAX   16
#define WATCH_LABEL_KEYMAX 64
#define WATCH_LABEL_VALMAX 256
#define WATCH_TARGETS_MAX  1024
/* Default --listen: 127.0.0.1 and port 9979, in Prometheus' exporter range
 * (9100-9999); see docs/watch.md for why this one. */
#define WATCH_DEFAULT_LISTEN "127.0.0.1:9979"

struct watch_label {
	char key[WATCH_LABEL_KEYMAX];
	char value[WATCH_LABEL_VALMAX];
};

/* One target as configured (owned strings; password never printed). */
struct watch_target {
	char name[WATCH_NAME_MAX];
	char *host; /* NULL: no TCP probe */
	unsigned port;
	char *socket; /* NULL: no Unix socket probe */
	char *user;
	char *password;	     /* from password= or password-file=, or NULL */
	char *password_file; /* as configured, for messages */
	enum probe_ssl_mode ssl_mode;
	char *ssl_ca;
	double interval_s;
	double timeout_s; /* bound on each phase of an attempt */
	char *query;	  /* NULL: SELECT 1 */
	int idle_survival;
	double idle_check_s; /* an idle session is checked and reopened after */
	int replica;
	int host_cache;	     /* read the server's host cache now and then */
	double host_cache_s; /* that often (at most each round) */
	int socket_beside;   /* probe the local server's own socket too */
	char *beside_path;   /* that socket's path, NULL: the default one */
	struct watch_label labels[WATCH_LABELS_MAX];
	unsigned nlabels;
	unsigned line;	/* where its group starts */
	uint32_t isset; /* bit per key set in this group (config.c) */
};

/* A /probe module of the config's own, [module NAME] (blackbox_exporter's
 * modules): what the attempts of /probe?module=NAME do differently from
 * the target's rounds. */
#define WATCH_MODULES_MAX 64
struct watch_module {
	char name[WATCH_NAME_MAX];
	unsigned transports; /* bit per enum cd_transport */
	char *query;	     /* NULL: the target's */
	double timeout_s;    /* 0: the target's */
	int ssl_mode_set;
	enum probe_ssl_mode ssl_mode;
	unsigned line; /* where its group starts */
};

struct watch_config {
	char *file; /* the config file, NULL for the quick form */
	struct watch_module *modules;
	size_t nmodules;
	char listen[128];
	int listen_cli; /* listen came from --listen: a reload keeps it */
	struct watch_target defaults; /* [watch] */
	struct watch_target *targets;
	size_t ntargets;
	size_t targets_cap; /* allocated (util/vec.h) */
};

void watch_config_init(struct watch_config *c);
/* Frees the strings, clearing passwords first. */
void watch_config_free(struct watch_config *c);

/* Reads path into c (initialised by the caller). Returns 0, or -1 with
 * "file:line: reason" in err (unknown keys, bad values, a password file
 * that others can read, a timeout not shorter than the interval, ...). */
int watch_config_load(struct watch_config *c, const char *path, char *err,
		      size_t errlen);

/* Sets one key of target t as the config file's key = value would (key in
 * either spelling, '-' or '_'). Returns 0 or -1 with the reason (no file or
 * line) in err. Used by the file reader and the quick form. */
int watch_target_set(struct watch_target *t, const char *key, const char *value,
		     char *err, size_t errlen);

/* Frees t's strings (the password cleared first) and zeroes it. */
void watch_target_free(struct watch_target *t);

/* Appends a target named name with t's values. Returns 0 or -1. */
int watch_config_add(struct watch_config *c, const struct watch_target *t);

/* Fills what each target left unset from [watch] and the built-in defaults
 * and checks the result (host or socket, a user, timeout < interval).
 * Returns 0 or -1 with err. */
int watch_config_finish(struct watch_config *c, char *err, size_t errlen);

/* Sets one key of module m as [module NAME]'s key = value would (either
 * spelling). Returns 0 or -1 with the reason in err. */
int watch_module_set(struct watch_module *m, const char *key, const char *value,
		     char *err, size_t errlen);
/* The transports (bit per enum cd_transport) of a built-in module name
 * (all, tcp, socket; NULL or empty: all), 0 for another name. */
unsigned watch_module_builtin(const char *name);

/* Parses "1.5", "10s", "500ms", "2m" into seconds (0 < s <= 1 day).
 * Returns 0 or -1. */
int watch_parse_seconds(const char *v, double *out);

/* Histogram bucket edges (seconds, ascending, unique) for the durations
 * of phase (enum cd_phase): fine ones below 100 ms and 1 s for every
 * phase; then for each mechanism time T of the phase (connect: every SYN
 * retransmission of the host's schedule; resolve and greeting: every rung
 * k x timeout of its resolver's ladder) the pair T and T + max(10% of T,
 * 0.1 s), so that the bucket (T, T+] holds exactly the attempts that waited
 * for that timer; the other phases get coarse edges (2.5, 5, 10 s).
 * facts from probe_host_facts_read() or cd_host_facts_init(). Returns the
 * number of edges written to out (at most max). */
struct cd_host_facts;
size_t watch_buckets_of(const struct cd_host_facts *f, int phase, double *out,
			size_t max);

/* ---- metrics (metrics.c) ---- */

/* Distinct (outcome, MySQL error code) pairs counted per series; further
 * codes count without their code label. */
#define WATCH_CODES_MAX 16
/* Findings kept per target from its last evaluation. */
#define WATCH_FINDINGS_MAX 16

struct watch_code_count {
	enum cd_outcome outcome;
	uint16_t code;
	uint64_t n;
};

struct watch_finding {
	char code[16];
	int severity; /* enum cd_severity */
};

/* What watch has measured of one target over one transport. */
struct watch_series {
	uint64_t attempts[CD_OUTCOME__COUNT]; /* those without a code */
	struct watch_code_count codes[WATCH_CODES_MAX];
	unsigned ncodes;
	uint64_t skipped; /* rounds skipped: the last attempt still ran */
	int seen;	  /* an attempt was counted (a socket found beside) */
	struct rpt_prom_hist phase[CD_PH__COUNT];
	int have_last;	      /* an attempt has ended */
	enum cd_outcome last; /* the last attempt's outcome */
};

struct watch_link;

/* ---- host gauges (host.c) ---- */

/* One destination of the targets (address and port). */
struct watch_host_dest {
	struct in6_addr dst; /* IPv4 as ::ffff:a.b.c.d */
	uint16_t port;
	uint32_t in_use;      /* sockets whose local port is in the ephemeral
				 range, from the fullest source address */
	uint32_t time_wait;   /* ... in TIME_WAIT, from every source */
	int8_t stateful_only; /* 1, 0, -1: not known */
	char label[CD_ADDR_MAX + 8]; /* "127.0.0.1:3306", "[::1]:3306" */
};

/* A listener on one of the targets' ports on this host. */
struct watch_host_listener {
	char label[CD_ADDR_MAX + 8];
	uint32_t queue, limit; /* accept queue length and its limit */
};

/* What `check` reads of this host, for the targets' destinations. */
struct watch_host {
	int64_t next_ns;      /* not read again before this */
	int port_lo, port_hi; /* ip_local_port_range, -1: unknown */
	int census_ok;	      /* the last census read worked */
	int fds_ok;	      /* the last /proc fd scan worked */
	uint32_t stdio_procs; /* processes with a MySQL client on fd 0-2 */
	uint16_t ports[CHK_MAX_PORTS]; /* the targets' TCP ports */
	size_t nports;
	struct watch_host_dest *dests;
	size_t ndests, dests_cap;
	struct watch_host_listener *lis;
	size_t nlis, lis_cap;
	int warned_census, warned_fds, warned_fw;
};

void watch_host_init(struct watch_host *h);
void watch_host_free(struct watch_host *h);
/* Sets the destinations to the TCP addresses among t[0..n) (the targets'
 * resolved addresses); their readings start from 0. 0 or -1. */
int watch_host_set_dests(struct watch_host *h, const struct probe_target *t,
			 size_t n);
/* Reads the gauges again when now_ns has reached the time set by the last
 * reading plus period_ns: the census of the targets' ports (with
 * unix_path's socket, NULL: none), the fd scan of procroot, the rulesets.
 * What cannot be read is said once on stderr and left out. */
void watch_host_refresh(struct watch_host *h, int64_t now_ns, int64_t period_ns,
			const char *unix_path, const char *procroot);

struct watch_state {
	const struct watch_config *cfg;			/* borrowed */
	double edges[CD_PH__COUNT][RPT_PROM_EDGES_MAX]; /* per phase */
	size_t nedges[CD_PH__COUNT];
	struct watch_series (*series)[2]; /* [target][CD_TCP/CD_SOCKET] */
	struct watch_targetfind {
		struct watch_finding v[WATCH_FINDINGS_MAX];
		unsigned n;
		int evaluated;
	} * findings; /* [target]: the last evaluation's */
	struct watch_link
		*links;	       /* [target]: idle session, replica (links.h) */
	uint64_t probe_cpu_us; /* CPU spent in the probe engine */
	uint64_t reloads;      /* SIGHUP reloads applied */
	uint64_t reload_failures; /* SIGHUP reloads refused */
	int reload_ok;		  /* the last reload (if any) was applied */
	const struct watch_host *host; /* host gauges, NULL: none */
};

/* Allocates the series of cfg's targets over the bucket edges of f.
 * Returns 0 or -1 (memory). */
int watch_state_init(struct watch_state *s, const struct watch_config *cfg,
		     const struct cd_host_facts *f);
void watch_state_free(struct watch_state *s);
/* Counts attempt a of target ti over transport tr. */
void watch_state_record(struct watch_state *s, size_t ti, enum cd_transport tr,
			const struct cd_attempt *a);
/* Counts a round of target ti over tr skipped because its last attempt
 * was still in flight. */
void watch_state_skipped(struct watch_state *s, size_t ti,
			 enum cd_transport tr);
/* Points the histograms at s's own edges again after s was copied. */
void watch_state_rebase(struct watch_state *s);
/* Copies target oi's series, findings and links of old into target ti of s (a
 * reload that left the target as it was). */
void watch_state_carry(struct watch_state *s, size_t ti,
		       const struct watch_state *old, size_t oi);
/* The labels of target t's series ("target", its label.* labels, then
 * "transport" when tr >= 0); l has room for WATCH_LABELS_MAX + 2. */
size_t watch_target_labels(const struct watch_target *t,
			   struct rpt_prom_label *l, int tr);
/* Writes every series as Prometheus text; scrape_start_ns is when the
 * scrape began (monotonic) for conndoctor_scrape_duration_seconds. */
void watch_state_render(FILE *out, const struct watch_state *s,
			int64_t scrape_start_ns);
/* The same into a malloc'd buffer, the way /metrics serves it: one
 * buffer, label prefixes built once per series. *body (NULL, or a
 * malloc'd buffer of *cap bytes to render into again) comes back with the
 * text, *len its length, *cap its size. Returns 0, or -1 (memory: *body
 * freed and NULL). */
int watch_state_render_buf(const struct watch_state *s, int64_t scrape_start_ns,
			   char **body, size_t *len, size_t *cap);

/* ---- HTTP (http.c) ---- */

/* --web-config (webcfg.c): Prometheus' exporter-toolkit file, the parts
 * watch takes: TLS certificate and key, basic auth users. */
#define WATCH_WEB_USERS_MAX 32
struct watch_web_user {
	char name[128];
	char hash[128]; /* crypt(3) hash: bcrypt $2y$/$2b$/$2a$ */
};
struct watch_web {
	char *cert_pem; /* NULL: plain HTTP */
	char *key_pem;	/* wiped on free */
	struct watch_web_user users[WATCH_WEB_USERS_MAX];
	unsigned nusers; /* 0: no authentication */
};
/* Reads path into w (zeroed by the caller). Returns 0 or -1 with
 * "file:line: reason" in err. */
int watch_web_load(struct watch_web *w, const char *path, char *err,
		   size_t errlen);
void watch_web_free(struct watch_web *w);
/* 1 when user and password match one of w's users (crypt(3)). */
int watch_web_check(const struct watch_web *w, const char *user,
		    const char *password);

/* Options of the daemon beyond its config. */
struct watch_opts {
	unsigned max_in_flight; /* 0: one per transport, at most 256 */
	/* --web-config as loaded (NULL: plain HTTP, no auth); the daemon
	 * takes its contents, leaving it empty */
	struct watch_web *web;
	const char *web_file; /* read again on SIGHUP; NULL: none */
};

/* Runs the daemon over cfg (whose contents it takes, leaving cfg empty)
 * until SIGINT or SIGTERM; SIGHUP reloads cfg's file. Returns 0 after a
 * clean stop, -1 when it could not start (said on stderr). The caller
 * blocks SIGINT, SIGTERM and SIGHUP first (they are read by signalfd). */
int watch_daemon_run(struct watch_config *cfg, const struct watch_opts *o);

struct watch_http;
struct watch_http_req; /* a /probe request waiting for its attempts */
/* Renders the /metrics body as watch_state_render_buf() does (*body
 * NULL or a buffer of *cap bytes to reuse); ctx as given to
 * watch_http_start. Returns 0 or -1. */
typedef int (*watch_render_fn)(void *ctx, char **body, size_t *len,
			       size_t *cap);
/* Begins /probe?target=&module= for req: 0 when started (the answer
 * comes through watch_http_answer()), or an HTTP status with msg. */
typedef int (*watch_probe_fn)(void *ctx, struct watch_http_req *req,
			      const char *target, const char *module, char *msg,
			      size_t msglen);

/* Listens on listen ("ADDR:PORT", "[V6ADDR]:PORT"; numeric addresses) in
 * libmicrohttpd's external epoll mode, over TLS and with basic auth when
 * web says so. Returns 0 with *out set, or -1 with err. */
int watch_http_start(struct watch_http **out, const char *listen,
		     const struct watch_web *web, watch_render_fn render,
		     void *ctx, watch_probe_fn probe, char *err, size_t errlen);
/* Serves web (borrowed like watch_http_start's, NULL: plain HTTP) from
 * now on. Its users apply from the next request. A changed certificate
 * or key (or TLS turned on or off) starts a new server on the same
 * listening socket; the one it replaces stops accepting and finishes the
 * connections it has (for at most the connection timeout, 10 s), and
 * keeps using the watch_web it had until watch_http_retire() or
 * watch_http_stop(). Returns 0, or -1 with err and nothing changed. */
int watch_http_set_web(struct watch_http *h, const struct watch_web *web,
		       char *err, size_t errlen);
/* Stops the server a TLS change replaced, now (no-op without one). Its
 * epoll descriptor, still in the caller's epoll set from before, goes
 * with it. */
void watch_http_retire(struct watch_http *h);
/* "http" or "https". */
const char *watch_http_scheme(const struct watch_http *h);
/* Answers a /probe request with body (malloc'd; taken). */
void watch_http_answer(struct watch_http *h, struct watch_http_req *req,
		       unsigned status, char *body, size_t len);
/* Lets answered requests go out before the daemon stops. */
void watch_http_run_final(struct watch_http *h);
/* The epoll descriptor to wait on for readability. */
int watch_http_fd(const struct watch_http *h);
/* Serves what is ready (call when the fd is readable or the timeout has
 * passed). */
void watch_http_run(struct watch_http *h);
/* Milliseconds until the server wants watch_http_run() again, -1: none. */
int watch_http_timeout_ms(const struct watch_http *h);
void watch_http_stop(struct watch_http *h);

/* Parses "ADDR:PORT" / "[ADDR]:PORT" into ss. Returns 0 or -1. */
int watch_parse_listen(const char *listen, struct sockaddr_storage *ss,
		       socklen_t *len);

#endif /* CONNDOCTOR_WATCH_WATCH_H */
