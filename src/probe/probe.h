/* probe.h - the probe engine: opens connections the way an application does
 * on one epoll loop, times every phase and records one Attempt each. */
#ifndef CONNDOCTOR_PROBE_PROBE_H
#define CONNDOCTOR_PROBE_PROBE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "probe/attempt.h"
#include "probe/tally.h"

enum probe_ssl_mode {
	PROBE_SSL_DISABLED,
	PROBE_SSL_PREFERRED,
	PROBE_SSL_REQUIRED,
	PROBE_SSL_VERIFY_CA,
	PROBE_SSL_VERIFY_IDENTITY
};

/* Where the probe stops each connection (--stop-after). */
enum probe_stop { PROBE_STOP_NONE, PROBE_STOP_CONNECT, PROBE_STOP_GREETING };

/* --query-attribute: at most this many, sent with the query when the
 * server sets CLIENT_QUERY_ATTRIBUTES. */
#define PROBE_QATTR_MAX 32
struct probe_qattr {
	const char *name, *value; /* borrowed */
	size_t name_len;
};

/* What --reuse sends between two queries on one connection. */
enum probe_reuse { PROBE_REUSE_RESET, PROBE_REUSE_CHANGE_USER };

/* One endpoint: a TCP address or a Unix socket path. */
struct probe_target {
	enum cd_transport transport;
	int family;		      /* AF_INET / AF_INET6 / AF_UNIX */
	struct sockaddr_storage addr; /* resolved address, port set */
	socklen_t addrlen;
	char label[CD_ADDR_MAX + 8]; /* "127.0.0.1:3306" or the path */
};

struct probe_result;

struct probe_config {
	const char *host; /* as given, for resolve and messages */
	unsigned port;
	const char *socket_path; /* Unix socket, NULL: none */
	const char *user;
	const char *password; /* borrowed; never printed */
	const char *database; /* NULL: none */
	const char *query;    /* NULL: SELECT 1 */
	int ping;	      /* COM_PING instead of a query */
	struct probe_qattr qattrs[PROBE_QATTR_MAX];
	unsigned nqattrs;
	enum probe_ssl_mode ssl_mode;
	const char *ssl_ca;
	const char *server_key_pem; /* PEM (contents) for sha2 full auth */
	size_t server_key_pem_len;
	int get_server_public_key;
	int enable_cleartext; /* mysql_clear_password allowed */
	uint8_t compress[2];  /* compression to ask for (mysql_hs_config) */
	int resolve_each;     /* resolve per attempt (named hosts) */
	enum probe_stop stop_after;

	struct probe_target targets[PROBE_MAX_TARGETS];
	unsigned ntargets;

	/* Load shape. */
	uint64_t count;	      /* attempts per level; 0: until duration */
	unsigned concurrency; /* at most this many in flight */
	double rate;	      /* starts per second, 0: as fast as allowed */
	double duration_s;    /* stop starting after this, 0: none */
	double idle_s;	      /* held idle after login before the query */
	int idle_end_on_cut;  /* a cut while idle ends the attempt now, as
				 gone_away with idle_cut_ns set (watch's idle
				 sessions), not at the idle period's end */
	/* The largest reply packet the client takes (--max-allowed-packet,
	 * as a client library's option): a longer one is ERROR 2020 and the
	 * client drops the session. 0: the probe's own buffer cap. */
	uint32_t max_allowed_packet;
	unsigned reuse; /* queries per connection (--reuse), 0: one */
	enum probe_reuse reuse_mode;

	/* Per-phase timeouts, seconds (0: none). */
	double timeout_s[CD_PH__COUNT];

	/* A progress hook (report/progress.c): called from the engine's loop
	 * at least every PROBE_TICK_MS while a batch runs, with the result so
	 * far, the attempts in flight and the batch's level. NULL: none. */
	void (*tick)(void *ud, const struct probe_result *res,
		     unsigned in_flight, unsigned level);
	void *tick_ud;

	/* Called with each column definition (row 0) and each text row
	 * (row 1) of the query's result, the payload borrowed for the call;
	 * udata is the attempt's (probe_engine_start()). NULL: none. */
	void (*result_pkt)(void *udata, int row, const uint8_t *p, size_t len);
};

#define PROBE_TICK_MS 100

/* The records a result keeps, however long the run (issue 15, defect 8):
 * every failed attempt up to PROBE_KEEP_FAILURES, and a uniform sample
 * (reservoir) of PROBE_KEEP_OK ok ones. The tally counts them all. */
#define PROBE_KEEP_FAILURES 10000u
#define PROBE_KEEP_OK	    10000u

/* What one run produced: the kept attempt records (owned; in completion
 * order) and the tally of every attempt. */
struct probe_result {
	struct cd_attempt *attempts;
	size_t nattempts;
	size_t cap;
	struct probe_tally tally; /* every attempt, kept or not */
	uint64_t ok_seen;	  /* ok attempts offered to the sample */
	size_t kept_ok, kept_failed;
	uint32_t *ok_idx; /* which records are ok (the reservoir; owned) */
	size_t ok_cap;
	uint64_t dropped_ok, dropped_failed; /* counted, not kept */
	uint64_t rng;			     /* the reservoir's xorshift */
	int64_t base_ns;   /* monotonic time attempts' start_ns count from */
	uint32_t next_seq; /* sequence number of the next attempt */
	int64_t wall_ns;   /* the batches' summed duration */
	uint64_t cpu_us;   /* user + system CPU of this process during it */
	uint32_t server_caps;
	char server_version[64];
	int server_is_mariadb;
	int interrupted; /* stopped by probe_interrupt(): in-flight dropped */
};

void probe_config_init(struct probe_config *cfg);
void probe_result_init(struct probe_result *r);
void probe_result_free(struct probe_result *r);

/* Counts attempt a in r's tally and keeps its record by the rule above.
 * Returns 0, or -1 when out of memory (the attempt is counted, not kept). */
int probe_result_add(struct probe_result *r, const struct cd_attempt *a);
/* Attempts counted and not kept as records. */
uint64_t probe_result_dropped(const struct probe_result *r);
/* After sampling replaced records: back to completion order. */
void probe_result_order(struct probe_result *r);

/* Resolves cfg->host to targets (every address, or only `family` when not
 * AF_UNSPEC) and appends them. Returns 0 or -1 with errbuf set. */
int probe_add_tcp_targets(struct probe_config *cfg, int family, char *errbuf,
			  size_t errlen);
/* Adds the Unix socket target. Returns 0, or -1 (path is not a socket). */
int probe_add_socket_target(struct probe_config *cfg, const char *path,
			    char *errbuf, size_t errlen);

/* Runs one batch at cfg->concurrency, appending attempts to res tagged
 * with level/repeat. The batch cycles through the targets, so each gets a
 * share. Returns 0, or -1 with errbuf on a system failure (epoll, memory),
 * or -2 when the configuration cannot work (a CA file without certificates,
 * a query too long). */
int probe_run(const struct probe_config *cfg, uint16_t level, uint16_t repeat,
	      struct probe_result *res, char *errbuf, size_t errlen);

/* After greeting timeouts: one extra connection to t that waits a third
 * of timeout_s for the peer to speak unprompted, then sends an HTTP
 * request, and reads the first line of any answer into out. Returns 1
 * when the peer answered with bytes that cannot begin a MySQL greeting
 * (so not MySQL), 0 otherwise (silent, or a slow MySQL server's first
 * greeting bytes). Bounded by timeout_s. */
int probe_sniff(const struct probe_target *t, double timeout_s, char *out,
		size_t outlen);

/* The handshake settings (mysql/handshake.h) cfg gives a connection over
 * transport tr: how the probe logs in, and the audit the same way. */
struct mysql_hs_config;
void probe_hs_config(const struct probe_config *cfg, enum cd_transport tr,
		     struct mysql_hs_config *out);

/* The outcome class of a well-formed ERR from the server, in place of the
 * greeting or during the login, by its code (mysql_login_err_kind()). */
enum cd_outcome probe_err_outcome(int in_greeting, unsigned code);

/* The outcome class of a handshake the machine gave up on (protocol_error,
 * tls_failed, auth_plugin_unsupported). */
struct mysql_hs;
enum cd_outcome probe_hs_outcome(const struct mysql_hs *hs);

/* A TLS client context for cfg's --ssl-mode and --ssl-ca (certificates
 * verified from VERIFY_CA on). NULL with errbuf set when it cannot be made
 * (a CA file without certificates). Free with SSL_CTX_free(). */
struct ssl_ctx_st;
struct ssl_ctx_st *probe_tls_ctx(const struct probe_config *cfg, char *errbuf,
				 size_t errlen);

/* ---- the engine driven from an outside loop (watch) ----
 * One engine runs attempts of many configurations at once: each
 * configuration is a job (its command packet and TLS context prebuilt),
 * each attempt a slot. The caller waits on probe_engine_fd() in its own
 * epoll loop and calls probe_engine_step() when it is readable or when
 * probe_engine_timeout_ms() has passed. */
struct probe_job;
struct probe_engine;

/* Called as each attempt ends, with the udata given when it started; a
 * is valid during the call only. */
typedef void (*probe_done_fn)(void *ctx, void *udata,
			      const struct cd_attempt *a);

/* Prebuilds what attempts of cfg need; cfg (and the strings it points to)
 * are borrowed until probe_job_free(). Returns 0, -1 (memory) or -2 (the
 * configuration cannot work: a query too long, a CA file without
 * certificates) with errbuf. */
int probe_job_new(struct probe_job **out, const struct probe_config *cfg,
		  char *errbuf, size_t errlen);
/* Frees j; no attempt of j may be in flight. NULL is fine. */
void probe_job_free(struct probe_job *j);

/* An engine with at most slots attempts in flight, reporting to done.
 * Returns 0 or -1 with errbuf. */
int probe_engine_new(struct probe_engine **out, unsigned slots,
		     probe_done_fn done, void *ctx, char *errbuf,
		     size_t errlen);
/* Starts one attempt of j against j's target ti (an index into its
 * config's targets). Returns 0, or -1 when no slot is free or ti is out of
 * range. The attempt may end (done called) before this returns. */
int probe_engine_start(struct probe_engine *e, struct probe_job *j, unsigned ti,
		       void *udata);
/* Attempts in flight. */
unsigned probe_engine_active(const struct probe_engine *e);
/* The descriptor to wait on for readability (the engine's epoll). */
int probe_engine_fd(const struct probe_engine *e);
/* Milliseconds until the next phase timeout, -1: none pending. */
int probe_engine_timeout_ms(const struct probe_engine *e);
/* Handles what is ready, waiting up to timeout_ms (0: not at all), and
 * the timeouts that have passed. Returns 0 or -1 (epoll failed). */
int probe_engine_step(struct probe_engine *e, int timeout_ms);
/* User + system CPU of this process spent in probe_engine_start() and
 * probe_engine_step(), in microseconds. */
uint64_t probe_engine_cpu_us(const struct probe_engine *e);
/* Ends every attempt in flight now without reporting it: logged-in ones
 * get a COM_QUIT first, the others are closed. */
void probe_engine_abort(struct probe_engine *e);
/* The same for the attempts of job j only. */
void probe_engine_abort_job(struct probe_engine *e, const struct probe_job *j);
/* Aborts what is in flight and frees e. NULL is fine. */
void probe_engine_free(struct probe_engine *e);

/* Async-signal-safe: makes a running probe_run() stop starting attempts,
 * drop those in flight and return. */
void probe_interrupt(void);

#endif /* CONNDOCTOR_PROBE_PROBE_H */
