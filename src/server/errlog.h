/* errlog.h - the server's error log: a pure line classifier for the MySQL
 * 5.x/8.x and MariaDB formats (also inside journald and syslog lines), a
 * streaming reader that aggregates classes per client host and per time
 * bucket in bounded memory, and where to find the log. The rules that turn
 * the aggregate into findings are check/'s (check/server.h). */
#ifndef CONNDOCTOR_SERVER_ERRLOG_H
#define CONNDOCTOR_SERVER_ERRLOG_H

#include <stddef.h>
#include <stdint.h>

/* What a line says, as stable tokens (srv_errlog_class_name()). */
enum srv_errlog_class {
	SRV_EL_OTHER = 0,
	SRV_EL_ABORTED_READ_ERROR,    /* Got an error reading comm... */
	SRV_EL_ABORTED_WRITE_ERROR,   /* Got an error writing comm... */
	SRV_EL_ABORTED_READ_TIMEOUT,  /* Got timeout reading comm... */
	SRV_EL_ABORTED_WRITE_TIMEOUT, /* Got timeout writing comm... */
	SRV_EL_ABORTED_OUT_OF_ORDER,  /* Got packets out of order */
	SRV_EL_ABORTED_TOO_LARGE,     /* Got a packet bigger than ... */
	SRV_EL_ABORTED_CLOSE_CONN,    /* (CLOSE_CONNECTION) */
	SRV_EL_ABORTED_NO_AUTH, /* closed normally without authentication */
	SRV_EL_ABORTED_KILLED,	/* (KILLED) */
	SRV_EL_ABORTED_OTHER,	/* any other reason */
	SRV_EL_ACCESS_DENIED,
	SRV_EL_TOO_MANY_CONNECTIONS,
	SRV_EL_HOST_BLOCKED,
	SRV_EL_IP_NOT_RESOLVED,	  /* IP address '...' could not be resolved */
	SRV_EL_HOSTNAME_MISMATCH, /* Hostname '...' does not resolve to ... */
	SRV_EL_CONNECTION_KILLED, /* the killed thread's own line */
	SRV_EL_COULD_NOT_READ,	  /* MariaDB's "Could not read packet:" */
	SRV_EL_SERVER_START,	  /* starting as process / Starting MariaDB */
	SRV_EL_SERVER_READY,	  /* ready for connections */
	SRV_EL_SHUTDOWN_NORMAL,	  /* Normal shutdown / Received SHUTDOWN */
	SRV_EL_SHUTDOWN_COMPLETE, /* mysqld: Shutdown complete */
	SRV_EL_CRASH,		  /* got signal / Assertion failure /
				     mysqld_safe restarted it */
	SRV_EL_NCLASS
};

enum srv_errlog_level {
	SRV_EL_LVL_NONE = 0, /* no [Level] on the line */
	SRV_EL_LVL_NOTE,
	SRV_EL_LVL_WARNING,
	SRV_EL_LVL_ERROR,
	SRV_EL_LVL_SYSTEM, /* MySQL 8's [System] */
	SRV_EL_LVL_OTHER
};

/* The timestamp layout the line was written in. */
enum srv_errlog_format {
	SRV_EL_FMT_BARE = 0, /* no timestamp: continuation, stderr noise */
	SRV_EL_FMT_MYSQL57,  /* 2026-11-21T18:04:08.123456Z 12 [Note] ... */
	SRV_EL_FMT_MYSQL8,   /* ... as 5.7, then [MY-010914] [Server] ... */
	SRV_EL_FMT_MARIADB,  /* 2026-11-21 18:04:08 12 [Warning] ... (and
				MySQL 5.6) */
	SRV_EL_FMT_JSON,     /* MySQL 8's log_sink_json: one object a line,
				"time", "thread", "label", "err_code",
				"msg" (its escapes left as they are) */
	SRV_EL_FMT_LEGACY,   /* 201121 18:04:08 [Warning] ... (MySQL <= 5.5,
				MariaDB <= 10.0) */
	SRV_EL_NFORMAT
};

/* The wrapper around the server's own line, if any. */
enum srv_errlog_wrap {
	SRV_EL_WRAP_NONE = 0,
	SRV_EL_WRAP_JOURNAL, /* journalctl -o short-iso: ISO HOST ID[PID]: */
	SRV_EL_WRAP_SYSLOG   /* syslog file: Mon DD HH:MM:SS HOST ID[PID]: */
};

/* srv_errlog_line() results. */
#define SRV_EL_OK	 0    /* a timestamped line */
#define SRV_EL_BARE	 1    /* no timestamp; the text was still classified */
#define SRV_EL_TRUNCATED (-1) /* a timestamp that the line cuts short */
#define SRV_EL_INVALID	 (-2) /* a timestamp with impossible values */

#define SRV_EL_HOST_MAX 128 /* host names are cut (sanitized) to fit */
#define SRV_EL_USER_MAX 96

/* One classified line. msg points into the caller's line and lives as long
 * as it; host and user are sanitized copies (printable, valid UTF-8). */
struct srv_errlog_event {
	enum srv_errlog_class cls;
	enum srv_errlog_level level;
	enum srv_errlog_format format;
	enum srv_errlog_wrap wrap;
	int has_time;	/* time_s is set */
	int has_zone;	/* the stamp carried Z or an offset: true UTC */
	int64_t time_s; /* epoch seconds; a zoneless stamp read as UTC */
	int has_thread; /* thread_id is set */
	uint64_t thread_id;
	char code[12];	 /* MySQL 8's "MY-010914", or "" */
	const char *msg; /* the message (after level, code, subsystem) */
	size_t msg_len;
	char host[SRV_EL_HOST_MAX]; /* client host or address, or "" */
	char user[SRV_EL_USER_MAX]; /* account user, or "" */
	int preauth; /* the session ended before authentication: it counts
			toward max_connect_errors for its host */
};

/* Classifies one line (without its newline; a trailing CR is ignored).
 * Pure: reads only line[0..len). Returns SRV_EL_OK or SRV_EL_BARE with ev
 * filled, or SRV_EL_TRUNCATED / SRV_EL_INVALID with ev untouched. */
int srv_errlog_line(const char *line, size_t len, struct srv_errlog_event *ev);

const char *srv_errlog_class_name(enum srv_errlog_class c);
const char *srv_errlog_level_name(enum srv_errlog_level l);
const char *srv_errlog_format_name(enum srv_errlog_format f);
/* Copies len bytes into out (size outlen, always terminated): control
 * bytes and invalid UTF-8 become '?', so the text is safe for a terminal
 * and for JSON. Returns the length written. */
size_t srv_errlog_sanitize(char *out, size_t outlen, const char *in,
			   size_t len);

/* ---- aggregation ---- */

#define SRV_EL_NBUCKETS 240 /* time buckets; widths double to fit the span */
#define SRV_EL_NHOSTS	512 /* distinct client hosts counted exactly */
#define SRV_EL_NACCTS	128 /* distinct user@host of access denied */
#define SRV_EL_EXAMPLE	200 /* bytes of the first line kept per class */

/* One client host (or, for access denied, one user@host). */
struct srv_errlog_key {
	char name[SRV_EL_HOST_MAX + SRV_EL_USER_MAX];
	uint32_t n[SRV_EL_NCLASS];
	uint32_t pre[SRV_EL_NCLASS]; /* of n: ended before authentication */
	uint32_t preauth;	     /* sum of pre */
	uint32_t total;
	int64_t first_s, last_s; /* 0: undated */
};

/* Everything read from one log (owned: srv_errlog_stats_init/free). */
struct srv_errlog_stats {
	/* input */
	uint64_t bytes, lines;
	uint64_t lines_long;	  /* over the line cap: counted, skipped */
	uint64_t lines_bare;	  /* without a timestamp */
	uint64_t lines_truncated; /* a timestamp cut short */
	uint64_t lines_invalid;	  /* a timestamp with impossible values */
	uint64_t lines_outside;	  /* before the window's start */
	uint64_t formats[SRV_EL_NFORMAT];
	uint64_t journal_lines, syslog_lines;
	int partial; /* the read stopped early (error, timeout) */
	/* per class */
	uint64_t n[SRV_EL_NCLASS];
	uint64_t pre[SRV_EL_NCLASS]; /* of n: sessions that ended before
					authentication (ev.preauth) */
	int64_t first_s[SRV_EL_NCLASS], last_s[SRV_EL_NCLASS]; /* 0: none */
	char example[SRV_EL_NCLASS][SRV_EL_EXAMPLE];
	int64_t t_first, t_last; /* dated events in the window */
	/* per client host, and per user@host denied or aborted on a
	   timeout or a failed write */
	struct srv_errlog_key *hosts;
	size_t nhosts;
	uint64_t hosts_untracked; /* events of hosts beyond SRV_EL_NHOSTS */
	struct srv_errlog_key *accts;
	size_t naccts;
	uint64_t accts_untracked;
	/* per time bucket: bucket[i][c] counts class c in
	   [bucket0_s + i * bucket_s, + bucket_s) */
	uint32_t (*bucket)[SRV_EL_NCLASS];
	int64_t bucket0_s;
	uint64_t bucket_s; /* width: starts at the reader's, doubles */
	unsigned nbuckets; /* in use */
	struct srv_errlog_index *index; /* private: lookups by name */
};

/* Returns 0, or -1 when out of memory. bucket_s: the first bucket width
 * (0: 60 s). */
int srv_errlog_stats_init(struct srv_errlog_stats *st, unsigned bucket_s);
void srv_errlog_stats_free(struct srv_errlog_stats *st);
/* Adds one classified event (time_s already in UTC). line/len: the raw
 * line, kept as the class's example when it is the first. */
void srv_errlog_stats_add(struct srv_errlog_stats *st,
			  const struct srv_errlog_event *ev, int64_t time_s,
			  const char *line, size_t len);
/* The hosts sorted by total, most first (in place). */
void srv_errlog_stats_sort(struct srv_errlog_stats *st);

/* ---- reading ---- */

struct srv_errlog_opts {
	size_t line_max;     /* longest line classified; 0: 16 KiB */
	uint64_t tail_bytes; /* only the last N bytes; 0: all */
	uint64_t tail_lines; /* only the last N lines; 0: all */
	int64_t since_s;     /* only events at or after (epoch s); 0: all */
	int naive_local;     /* zoneless stamps are this host's local time
				(MariaDB, MySQL 5.6 and older write those);
				0: read them as UTC plus tz_offset_s */
	int64_t tz_offset_s; /* seconds east of UTC for zoneless stamps when
				!naive_local */
	unsigned bucket_s;   /* first bucket width; 0: 60 s */
	size_t read_block;   /* bytes per read(2); 0: 64 KiB (tests: 1, so
				every line is split at every byte) */
	/* journald */
	const char *journalctl; /* program; NULL: /usr/bin/journalctl,
				   /bin/journalctl */
	double timeout_s;	/* bound for journalctl; 0: 30 s */
};

/* Streams a log file line by line (a bounded buffer; a file of any size
 * reads in the same memory) into st (initialized by the caller). With
 * since_s, a large file is first bisected on its timestamps (the log is
 * written in time order). Returns 0, or -1 with err set when the file
 * cannot be opened or read (st then holds what was read). */
int srv_errlog_read(const char *path, const struct srv_errlog_opts *o,
		    struct srv_errlog_stats *st, char *err, size_t errlen);

/* Reads the journal of the mariadb/mysql/mysqld units through journalctl
 * (fork/exec, no shell, bounded by timeout_s) into st. Returns 0, or -1
 * with err set (journalctl missing, failed or timed out; st holds what
 * was read, partial set on a timeout). */
int srv_errlog_read_journal(const struct srv_errlog_opts *o,
			    struct srv_errlog_stats *st, char *err,
			    size_t errlen);

/* Reads from any fd until EOF (used by both readers). Returns 0 or -1
 * (errno set). deadline_ns: CLOCK_MONOTONIC bound, 0: none. */
int srv_errlog_read_fd(int fd, const struct srv_errlog_opts *o,
		       struct srv_errlog_stats *st, int64_t deadline_ns);

/* Where the log is when nobody says. */
enum srv_errlog_source {
	SRV_EL_SRC_NONE = 0,
	SRV_EL_SRC_FILE,   /* path set */
	SRV_EL_SRC_JOURNAL /* no file; a mariadb/mysql unit exists */
};

/* Looks under root ("" or NULL: /) for the usual places: the Debian and
 * RPM log files, then DATADIR/HOSTNAME.err (datadir NULL: /var/lib/mysql,
 * hostname NULL: this host's), then a mariadb/mysql/mysqld systemd unit.
 * The lead's server audit passes log_error itself when it knows it. */
enum srv_errlog_source srv_errlog_default_path(const char *root,
					       const char *datadir,
					       const char *hostname, char *path,
					       size_t pathlen);

#endif /* CONNDOCTOR_SERVER_ERRLOG_H */
