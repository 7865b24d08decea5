/* check.h - `conndoctor check`: audits this host for what breaks MySQL
 * connections. The audit is made of slices (kernel, census, wrappers,
 * resolver, firewall, fds); each slice runs a collector that reads the
 * system into a plain struct, then pure rules that turn that struct into
 * findings, and adds the facts it read to the report. Nothing here
 * changes the host. */
#ifndef CONNDOCTOR_CHECK_CHECK_H
#define CONNDOCTOR_CHECK_CHECK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "findings/findings.h"
#include "probe/probe.h"

#define CHK_MAX_PORTS 16

/* ---- the socket census (netlink sock_diag), shared by later slices ---- */

/* Kernel TCP states (include/net/tcp_states.h). */
enum chk_tcp_state {
	CHK_TCP_ESTABLISHED = 1,
	CHK_TCP_SYN_SENT,
	CHK_TCP_SYN_RECV,
	CHK_TCP_FIN_WAIT1,
	CHK_TCP_FIN_WAIT2,
	CHK_TCP_TIME_WAIT,
	CHK_TCP_CLOSE,
	CHK_TCP_CLOSE_WAIT,
	CHK_TCP_LAST_ACK,
	CHK_TCP_LISTEN,
	CHK_TCP_CLOSING
};

/* One TCP socket to or from a MySQL port. */
struct chk_sock {
	uint8_t family;		  /* AF_INET / AF_INET6 */
	uint8_t state;		  /* enum chk_tcp_state */
	uint8_t timer;		  /* idiag_timer: 0 none, 1 retransmit,
				     2 keepalive, 3 TIME_WAIT, 4 zero window */
	uint8_t retrans;	  /* idiag_retrans */
	struct in6_addr src, dst; /* IPv4 as ::ffff:a.b.c.d */
	uint16_t sport, dport;
	uint32_t expires_ms;	 /* timer expiry */
	uint32_t rqueue, wqueue; /* LISTEN: accept queue length and backlog */
	uint32_t uid;
	uint32_t inode;	 /* 0 for TIME_WAIT and request sockets */
	int server_side; /* sport is a MySQL port (we are the server) */
	/* From INET_DIAG_INFO (tcp_info), chk_census_read_info() only. */
	int have_info;
	uint32_t last_data_recv_ms; /* since data was last received */
	uint32_t total_retrans;	    /* segments retransmitted, all told */
	uint64_t bytes_received;    /* payload bytes received */
};

/* One Unix stream socket of mysqld's socket path (listener and peers). */
struct chk_usock {
	uint32_t inode;
	uint32_t peer_inode;
	uint8_t state;
	uint32_t rqueue, wqueue;
	char path[108]; /* bound name; accepted ends carry the listener's
			   name, client ends have none */
	uint8_t role;	/* enum chk_urole (census.c) */
};

/* Which side of mysqld's Unix socket a chk_usock is. */
enum chk_urole {
	CHK_UROLE_OTHER = 0,
	CHK_UROLE_LISTENER, /* bound to the path, LISTEN */
	CHK_UROLE_SERVER,   /* an accepted end, held by mysqld */
	CHK_UROLE_CLIENT    /* a client's end (connected or still queued) */
};

struct chk_census {
	struct chk_sock *tcp;
	size_t ntcp, tcp_cap;
	struct chk_usock *unix_;
	size_t nunix, unix_cap;
	int tcp_ok, unix_ok; /* the dumps succeeded */
	int kernel_filter;   /* the kernel applied the port bytecode */
};

/* ---- what a check run knows and produces ---- */

struct chk_ctx {
	const char *procroot;	       /* "/proc", or a test's fixture tree */
	const char *etcroot;	       /* "/etc", or a test's fixture tree */
	uint16_t ports[CHK_MAX_PORTS]; /* MySQL TCP ports (3306 + --port) */
	size_t nports;
	const char *socket_path; /* mysqld's Unix socket, NULL: unknown */
	const char *mysqld_path; /* --mysqld, NULL: find the running one */
	const char *hosts_allow; /* --hosts-allow, NULL: etcroot's */
	const char *hosts_deny;	 /* --hosts-deny, NULL: etcroot's */
	double interval_s;	 /* counters sampled twice this far apart */
	/* Sessions asleep longer than this are a pool that never closes
	 * (CD6055); 0 leaves the rule out. */
	double asleep_over_s;
	int resolve;			 /* run DNS measurements */
	double dns_timeout_s;		 /* bound for all lookups together */
	const struct chk_census *census; /* filled by the census slice */
	/* The server to audit (the "server" slice), NULL: none. */
	const struct probe_target *server;
	const char *user, *password; /* borrowed; never printed */
	/* The probe's user when the audit logs in as another account
	 * (--audit-defaults-file), NULL: user. */
	const char *probe_user;
	/* How to log in to it as the probe would: --ssl-mode, --ssl-ca, the
	 * RSA-key options and the phase timeouts. NULL: the defaults. */
	const struct probe_config *server_cfg;
	/* The probe's attempts under `diagnose` (NULL: check alone), for
	 * what the audit compares with them (a restart between attempts). */
	const struct probe_result *probe_res;
	/* The "errlog" slice: a file, "journal", or NULL to find it. */
	const char *error_log;
	double errlog_since_s; /* only the last this many seconds, 0: all */
	/* Filled by the server slice with the server's log_error as a full
	 * path when it is a file ("" otherwise); the errlog slice reads it
	 * when error_log is NULL. Points to CHK_PATH_MAX bytes, may be NULL. */
	char *learned_error_log;
	/* Filled by the server slice with the numbers the errlog slice joins
	 * to the log's timeout aborts (CD6060, CD6061); may be NULL. */
	struct chk_learned_server *learned_server;
};

/* The audit's numbers that explain the error log's timeout aborts; -1:
 * not read (no audit, or the server lacks it). */
struct chk_learned_server {
	long long net_read_timeout, net_write_timeout; /* seconds */
	long long wait_timeout, interactive_timeout;   /* seconds */
	long long aborted_clients; /* since the server started */
};

/* Sets every number of l to -1 (not read). */
void chk_learned_server_init(struct chk_learned_server *l);

#define CHK_PATH_MAX 4096

/* --asleep-over's default, seconds. */
#define CHK_ASLEEP_OVER_S 60

/* ---- facts: typed measurements, rendered by report/ ----
 *
 * A fact is one line of the report: a slice's measurements of one thing
 * (a sysctl, a listener, a nameserver, ...). Collectors give numbers with
 * their units and names; they never write sentences. The fact's
 * definition (check/fields.c, one table per slice) names each value's
 * JSON key, with its unit as a suffix (_s, _ms, _bytes, _count, ...), and
 * the template the text report phrases it with. */

/* A value's type. Strings are for names, paths, addresses and versions,
 * never for prose. */
enum chk_type {
	CHK_T_NULL = 0, /* unknown or not applicable: null in JSON */
	CHK_T_INT,
	CHK_T_UINT,
	CHK_T_DOUBLE,
	CHK_T_BOOL,
	CHK_T_STR
};

#define CHK_FACT_MAXV 8	  /* values per fact */
#define CHK_STR_MAX   168 /* a string value, with its NUL */

/* One value of a definition: its JSON key and type. */
struct chk_field {
	const char *key;
	enum chk_type type;
};

/* What a kind of fact holds and how the text report phrases it. The text
 * template's placeholders (report/check.c renders them):
 *   {key} or {key:spec}   the value; spec for doubles "+.1f", ".0f", "g"
 *                         and for strings ".60s"
 *   {key|a|b|c}           the word at the value's index (0: a)
 *   {?key:text}, {!key:text}  text when the value is (not) true: nonzero,
 *                         non-empty, not null; text may hold placeholders */
struct chk_fact_def {
	const char *section; /* slice: "kernel", "census", ... */
	const char *name;    /* the fact's name; its key unless given */
	const char *text;
	struct chk_field f[CHK_FACT_MAXV]; /* ends at a NULL key */
};

/* One value of a fact. */
struct chk_value {
	enum chk_type type;
	long long i; /* CHK_T_INT, CHK_T_BOOL */
	unsigned long long u;
	double d;
	char s[CHK_STR_MAX];
};

/* A fact the report shows (def set), or something a run could not read
 * (section "unreadable", def NULL, key what, why the reason). */
struct chk_fact {
	char section[16];
	char key[64]; /* the fact's name, or an instance: "listen :3306" */
	const struct chk_fact_def *def;
	struct chk_value v[CHK_FACT_MAXV]; /* in def->f's order */
	size_t nv;
	char why[256];
};

/* Facts, and the things a run could not read (permissions, tools). */
struct chk_facts {
	struct chk_fact *v;
	size_t n, cap;
};

/* A value as a collector passes it to chk_fact_add(). */
struct chk_arg {
	enum chk_type type;
	long long i;
	unsigned long long u;
	double d;
	const char *s;
};

#define CHK_INT(x) ((struct chk_arg){.type = CHK_T_INT, .i = (long long)(x)})
#define CHK_UINT(x)                                                            \
	((struct chk_arg){.type = CHK_T_UINT, .u = (unsigned long long)(x)})
#define CHK_DBL(x)  ((struct chk_arg){.type = CHK_T_DOUBLE, .d = (double)(x)})
#define CHK_BOOL(x) ((struct chk_arg){.type = CHK_T_BOOL, .i = !!(x)})
#define CHK_STR(x)  ((struct chk_arg){.type = CHK_T_STR, .s = (x)})
#define CHK_NUL	    ((struct chk_arg){.type = CHK_T_NULL})
/* An int that is unknown when negative (the sysctl convention). */
#define CHK_INT_KNOWN(x) ((x) < 0 ? CHK_NUL : CHK_INT(x))

void chk_facts_init(struct chk_facts *f);
void chk_facts_free(struct chk_facts *f);
/* Adds a fact of def: key NULL is def->name; v holds n values, one per
 * field of def, in order. A string given for a number field, or a number
 * for a string field, is stored as null. A count that is not def's is a
 * bug: the fact is dropped and an "internal" unreadable entry says so. */
void chk_fact_addv(struct chk_facts *f, const struct chk_fact_def *def,
		   const char *key, const struct chk_arg *v, size_t n);
/* chk_fact_addv() with the values as arguments (CHK_INT(x), ...): the
 * compiler checks each is a struct chk_arg, and counts them. */
#define chk_fact_add(f, def, key, ...)                                         \
	chk_fact_addv((f), (def), (key),                                       \
		      (const struct chk_arg[]){__VA_ARGS__},                   \
		      sizeof((const struct chk_arg[]){__VA_ARGS__}) /          \
			      sizeof(struct chk_arg))
/* Records what could not be read and why (section "unreadable"). */
__attribute__((format(printf, 3, 4))) void
chk_unreadable(struct chk_facts *f, const char *what, const char *fmt, ...);
/* The value of field key of fact x, NULL when it has none. */
const struct chk_value *chk_fact_value(const struct chk_fact *x,
				       const char *key);

/* A slice: collects, applies its rules, adds facts and findings. Returns
 * 0, or -1 only when out of memory (an unreadable source is a fact). */
typedef int (*chk_slice_fn)(const struct chk_ctx *ctx, struct chk_facts *facts,
			    struct cd_findings *out);

#endif /* CONNDOCTOR_CHECK_CHECK_H */
