/* probe.h - the probe engine: opens connections the way an application does
 * on one epoll loop, times every phase and records one Attempt each. */
#ifndef CONNDOCTOR_PROBE_PROBE_H
#define CONNDOCTOR_PROBE_PROBE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "probe/attempt.h"

enum probe_ssl_mode {
	PROBE_SSL_DISABLED,
	PROBE_SSL_PREFERRED,
	PROBE_SSL_REQUIRED,
	PROBE_SSL_VERIFY_CA,
	PROBE_SSL_VERIFY_IDENTITY
};

/* Where the probe stops each connection (--stop-after). */
enum probe_stop { PROBE_STOP_NONE, PROBE_STOP_CONNECT, PROBE_STOP_GREETING };

/* One endpoint: a TCP address or a Unix socket path. */
struct probe_target {
	enum cd_transport transport;
	int family;		      /* AF_INET / AF_INET6 / AF_UNIX */
	struct sockaddr_storage addr; /* resolved address, port set */
	socklen_t addrlen;
	char label[CD_ADDR_MAX + 8]; /* "127.0.0.1:3306" or the path */
};

#define PROBE_MAX_TARGETS 16

struct probe_config {
	const char *host; /* as given, for resolve and messages */
	unsigned port;
	const char *socket_path; /* Unix socket, NULL: none */
	const char *user;
	const char *password; /* borrowed; never printed */
	const char *database; /* NULL: none */
	const char *query;    /* NULL: SELECT 1 */
	int ping;	      /* COM_PING instead of a query */
	enum probe_ssl_mode ssl_mode;
	const char *ssl_ca;
	const char *server_key_pem; /* PEM (contents) for sha2 full auth */
	size_t server_key_pem_len;
	int get_server_public_key;
	int resolve_each; /* resolve per attempt (named hosts) */
	enum probe_stop stop_after;

	struct probe_target targets[PROBE_MAX_TARGETS];
	unsigned ntargets;

	/* Load shape. */
	uint64_t count;	      /* attempts per level; 0: until duration */
	unsigned concurrency; /* at most this many in flight */
	double rate;	      /* starts per second, 0: as fast as allowed */
	double duration_s;    /* stop starting after this, 0: none */
	double idle_s;	      /* held idle after login before the query */

	/* Per-phase timeouts, seconds (0: none). */
	double timeout_s[CD_PH__COUNT];
};

/* What one run produced: a growable array of attempts (owned). */
struct probe_result {
	struct cd_attempt *attempts;
	size_t nattempts;
	size_t cap;
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

/* The outcome class of a handshake the machine gave up on (protocol_error,
 * tls_failed, auth_failed). */
struct mysql_hs;
enum cd_outcome probe_hs_outcome(const struct mysql_hs *hs);

/* A TLS client context for cfg's --ssl-mode and --ssl-ca (certificates
 * verified from VERIFY_CA on). NULL with errbuf set when it cannot be made
 * (a CA file without certificates). Free with SSL_CTX_free(). */
struct ssl_ctx_st;
struct ssl_ctx_st *probe_tls_ctx(const struct probe_config *cfg, char *errbuf,
				 size_t errlen);

/* Async-signal-safe: makes a running probe_run() stop starting attempts,
 * drop those in flight and return. */
void probe_interrupt(void);

#endif /* CONNDOCTOR_PROBE_PROBE_H */
