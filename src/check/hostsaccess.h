/* hostsaccess.h - TCP wrappers access tables (hosts_access(5),
 * hosts_options(5)) read and evaluated as libwrap 7.6 does (Debian's
 * 7.6.q: IPv6, n.n.n.n/len, wildcards, /file patterns), to tell which
 * rules make every connection to mysqld wait on DNS; and the wrappers
 * slice's view and rules. */
#ifndef CONNDOCTOR_CHECK_HOSTSACCESS_H
#define CONNDOCTOR_CHECK_HOSTSACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/analysis.h"
#include "check/elf.h"
#include "findings/findings.h"

#define CHK_WRAP_BUFLEN	    2048 /* tcpd's BUFLEN: the logical line buffer */
#define CHK_WRAP_MAX_FILE   (1024 * 1024) /* bytes read of a table */
#define CHK_WRAP_MAX_RULES  4096
#define CHK_WRAP_MAX_NOTES  1024
#define CHK_WRAP_MAX_TOKS   65536
#define CHK_WRAP_MAX_FILES  32 /* /path pattern files per table */
#define CHK_WRAP_FILE_DEPTH 4  /* /path patterns inside pattern files */

/* What a host pattern is, in libwrap's host_match() order. */
enum chk_wrap_kind {
	CHK_WK_ALL = 1,	 /* ALL */
	CHK_WK_KNOWN,	 /* KNOWN: address and name known */
	CHK_WK_LOCAL,	 /* LOCAL: a name without a dot */
	CHK_WK_UNKNOWN,	 /* UNKNOWN: compared with the looked-up name */
	CHK_WK_PARANOID, /* PARANOID: name and address disagree */
	CHK_WK_NETGROUP, /* @group (NIS) */
	CHK_WK_FILE,	 /* /path: a file of patterns */
	CHK_WK_NETMASK,	 /* n.n.n.n/m.m.m.m, n.n.n.n/len, [v6]/len */
	CHK_WK_ADDR,	 /* digits and dots only: 1.2.3.4, 1.2., .4 */
	CHK_WK_ADDR6,	 /* [v6] */
	CHK_WK_WILDCARD, /* has * or ? */
	CHK_WK_DOMAIN,	 /* .example.com */
	CHK_WK_NAME	 /* a host name, or anything else */
};

/* When matching a host pattern needs the client's name (a reverse and a
 * forward DNS lookup in libwrap's sock_hostname()). */
enum chk_wrap_need {
	CHK_WN_NEVER = 0,	/* matched on the address alone */
	CHK_WN_UNLESS_ADDR = 1, /* when the address does not match it */
	CHK_WN_ALWAYS = 2	/* for every client it is tried on */
};

/* One pattern of a daemon or client list (or of a /path file). */
struct chk_wrap_tok {
	uint32_t text;	/* offset of the token in the pool */
	uint32_t host;	/* offset of its host part (after '@'), or text */
	uint8_t at;	/* daemon@host or user@host */
	uint8_t except; /* the word EXCEPT */
	uint8_t kind;	/* enum chk_wrap_kind of the host part */
	uint8_t need;	/* enum chk_wrap_need of the host part */
	int16_t file;	/* CHK_WK_FILE: index in files[], -1 not read */
};

/* Option flags of a rule (hosts_options(5)). */
enum {
	CHK_WO_ALLOW = 0x01,	   /* ends with allow */
	CHK_WO_DENY = 0x02,	   /* ends with deny */
	CHK_WO_BAD = 0x04,	   /* libwrap rejects an option: a match is
				      denied */
	CHK_WO_NAME = 0x08,	   /* expands %n: the client's name */
	CHK_WO_IDENT = 0x10,	   /* rfc931, or %u: asks the client's identd */
	CHK_WO_PROCESS = 0x20,	   /* twist, user, group, nice, umask, banners:
				      act on the process that calls libwrap
				      (mysqld itself) or its client stream */
	CHK_WO_SERVER_NAME = 0x40, /* expands %N: the server's own name */
};

struct chk_wrap_rule {
	unsigned line;	 /* first physical line (1-based) */
	unsigned nlines; /* physical lines joined by backslash-newline */
	uint32_t text;	 /* the logical line, for evidence */
	uint32_t daemons, ndaemons; /* range in toks[] */
	uint32_t clients, nclients;
	uint32_t options; /* offset of the option text, when has_options */
	uint8_t has_options;
	uint8_t opt; /* CHK_WO_* */
};

/* Why tcpd skips a line, or what makes a rule act unlike it reads. */
enum chk_wrap_problem {
	CHK_WP_NO_NEWLINE = 1, /* skipped: no newline at the end of file */
	CHK_WP_TOO_LONG,       /* skipped: logical line over 2046 bytes */
	CHK_WP_NUL,	       /* skipped: a NUL byte ("missing newline") */
	CHK_WP_NO_COLON,       /* skipped: no ':' separator */
	CHK_WP_BAD_OPTION,     /* a connection matching it is denied */
	CHK_WP_IPV6_BARE,      /* an IPv6 address without brackets: its first
				  ':' ended the client list */
	CHK_WP_HASH,	       /* '#' inside a rule: not a comment */
	CHK_WP_BAD_PATTERN,    /* a pattern that does not match what it
				  seems to (never, or every client) */
	CHK_WP_OPTION_ACTS,    /* an option acting on the calling process
				  (mysqld) or writing to the client */
	CHK_WP_EMPTY_LIST,     /* an empty daemon or client list */
	CHK_WP_FILE_UNREAD     /* a /path pattern file that was not read */
};

struct chk_wrap_note {
	unsigned line;
	int rule; /* index in rules[], -1 for a skipped line */
	enum chk_wrap_problem what;
	char detail[120];
};

/* A /path pattern file: whitespace-separated host patterns. */
struct chk_wrap_file {
	char path[256]; /* as written in the table */
	int err;	/* errno of reading it; ENOENT: absent (no match) */
	int unread;	/* not read: outside the tables' directory */
	uint32_t toks, ntoks; /* range in toks[] */
};

/* One access table (hosts.allow or hosts.deny), parsed. Owned: init and
 * free. Token and text offsets index into pool. */
struct chk_wrap_table {
	char path[512];
	int found;    /* the file was read */
	int read_err; /* errno when it could not be (ENOENT: absent) */
	unsigned lines;
	struct chk_wrap_rule *rules;
	size_t nrules, rules_cap;
	struct chk_wrap_note *notes;
	size_t nnotes, notes_cap;
	struct chk_wrap_tok *toks;
	size_t ntoks, toks_cap;
	struct chk_wrap_file files[CHK_WRAP_MAX_FILES];
	size_t nfiles;
	char *pool;
	size_t pool_len, pool_cap;
	int capped; /* a bound was reached: the rest was not parsed */
};

void chk_wrap_table_init(struct chk_wrap_table *t);
void chk_wrap_table_free(struct chk_wrap_table *t);

/* Parses a table's bytes (NUL bytes included) as tcpd's table_match()
 * reads them: backslash-newline joins lines, '#' in column 1 comments,
 * lines split at the first ':' outside brackets into daemons, clients and
 * options. Lines tcpd skips are notes. /path patterns are recorded, not
 * read. Returns 0, or -1 when out of memory. */
int chk_wrap_parse(struct chk_wrap_table *t, const char *buf, size_t len);

/* Reads and parses the table at path (absent: found = 0, read_err =
 * ENOENT), then the /path pattern files its rules name that lie in the
 * same directory or under etcroot (a leading "/etc/" is read under
 * etcroot). Returns 0, or -1 when out of memory. */
int chk_wrap_load(struct chk_wrap_table *t, const char *path,
		  const char *etcroot);

static inline const char *chk_wrap_str(const struct chk_wrap_table *t,
				       uint32_t off)
{
	return t->pool + off;
}

/* ---- evaluation of one connection (hosts_access(3)) ---- */

struct chk_wrap_query {
	const char *daemon;	 /* libwrap's daemon name: "mysqld" */
	const char *client_addr; /* "10.1.2.3", "::ffff:10.1.2.3", "::1" */
	const char *client_name; /* what the lookup would give; NULL:
				    "unknown" (no PTR), or "paranoid" */
	const char *server_addr; /* NULL: unknown */
	const char *server_name;
	const char *user; /* what identd would say; NULL: unknown */
};

struct chk_wrap_result {
	int allow;	 /* the verdict */
	int table;	 /* 0 hosts.allow, 1 hosts.deny, -1 no rule matched */
	int rule;	 /* index in that table's rules, -1 */
	int client_name; /* the client's name was looked up */
	int server_name; /* the server's own name was looked up */
	int ident;	 /* identd was asked */
	int undecidable; /* a @netgroup was consulted (taken as no match) */
};

/* Evaluates a connection against hosts.allow then hosts.deny (either
 * may be NULL) like hosts_access(): the first matching rule decides,
 * options may turn the verdict, no match allows. */
void chk_wrap_eval(const struct chk_wrap_table *allow,
		   const struct chk_wrap_table *deny,
		   const struct chk_wrap_query *q, struct chk_wrap_result *r);

/* ---- which rules make connections wait on DNS ---- */

/* A share of the clients that reach a point of the evaluation. */
enum chk_wrap_share { CHK_WS_NONE = 0, CHK_WS_SOME = 1, CHK_WS_EVERY = 2 };

#define CHK_WRAP_MAX_STEPS 64

/* A rule that applies to the daemon, in evaluation order. */
struct chk_wrap_step {
	uint8_t table;		     /* 0 hosts.allow, 1 hosts.deny */
	uint32_t rule;		     /* index in that table */
	enum chk_wrap_share daemon;  /* EVERY: applies under each of the
					daemon's names and server addresses;
					SOME: under some; NONE: never, but a
					daemon@host pattern was tried */
	enum chk_wrap_share reach;   /* connections that get this far */
	enum chk_wrap_share name;    /* of those, the ones whose check looks
					up the client's name */
	enum chk_wrap_share matched; /* of those, the ones it decides */
	int name_tok;		     /* toks[] index of the first pattern that
					needs the name; -1: options, or none */
	uint8_t server_name;	     /* a daemon@host pattern looks up the
					server's own name */
	uint8_t ident;		     /* user@host or rfc931/%u: asks identd */
	uint8_t paranoid;	     /* a PARANOID pattern is tried */
	uint8_t options_name;	     /* options expand %n/%N */
};

struct chk_wrap_analysis {
	struct chk_wrap_step steps[CHK_WRAP_MAX_STEPS];
	size_t nsteps;
	size_t nsteps_total; /* steps beyond CHK_WRAP_MAX_STEPS too */
	int first_dns;	     /* steps[] index of the first that looks up a
				name (client or server), -1 */
	int first_paranoid;  /* -1 when none */
	int first_ident;
	size_t rules_named; /* rules naming the daemon (not only ALL) */
	size_t rules_all;   /* rules that apply through ALL-like patterns */
	size_t unreachable; /* rules for the daemon after a catch-all */
};

/* Walks hosts.allow then hosts.deny (either may be NULL) for a daemon
 * known by any of the names daemons[0..n) and reports, for unknown
 * clients, which rules are reached and which need the client's name. */
void chk_wrap_analyze(const struct chk_wrap_table *allow,
		      const struct chk_wrap_table *deny,
		      const char *const *daemons, size_t ndaemons,
		      struct chk_wrap_analysis *a);

/* Whether rule `rule` of t applies to a daemon known by any of the names
 * (EVERY: under all of them and every server address, SOME, NONE). */
enum chk_wrap_share chk_wrap_applies(const struct chk_wrap_table *t,
				     size_t rule, const char *const *daemons,
				     size_t ndaemons);

const char *chk_wrap_problem_name(enum chk_wrap_problem p);

/* ---- the wrappers slice ---- */

/* Where the mysqld examined came from. */
enum chk_mysqld_src {
	CHK_MYSQLD_NONE = 0,
	CHK_MYSQLD_RUNNING,  /* a running process */
	CHK_MYSQLD_OPTION,   /* --mysqld PATH */
	CHK_MYSQLD_INSTALLED /* /usr/sbin/mariadbd or mysqld, not running */
};

struct chk_mysqld {
	enum chk_mysqld_src src;
	int pid;
	char comm[32];
	char path[CHK_ELF_PATH]; /* the binary as the process sees it */
	char open[CHK_ELF_PATH]; /* the file read (/proc/PID/exe) */
	char rootdir[128];	 /* its root when not ours, "" for ours */
	char argv0[64];		 /* basename of argv[0]: the daemon name
				    MySQL passes to libwrap */
	int exe_err;		 /* readlink(/proc/PID/exe) errno, 0 */
	int maps;		 /* libwrap mapped into the process: -1
				    unknown, 0 no, 1 yes */
	char maps_path[CHK_ELF_PATH];
};

/* Finds mysqld: a process whose comm or exe is mysqld or mariadbd under
 * procroot; else the path given (--mysqld); else an installed binary.
 * Returns 0 found, -1 none. */
int chk_find_mysqld(const char *procroot, const char *option_path,
		    const char *installed_root, struct chk_mysqld *m);

/* Reads the running process pid under procroot into m (as found running),
 * whatever its name. Returns 1 when it is a mysqld or mariadbd, else 0. */
int chk_mysqld_of_pid(const char *procroot, int pid, struct chk_mysqld *m);

enum chk_libwrap {
	CHK_LIBWRAP_UNKNOWN = -1,
	CHK_LIBWRAP_NO = 0,
	CHK_LIBWRAP_YES = 1
};

/* Everything the slice's rules look at. */
struct chk_wrappers_view {
	struct chk_mysqld mysqld;
	enum chk_libwrap libwrap;
	char libwrap_name[CHK_ELF_NAME]; /* "libwrap.so.0" */
	char libwrap_path[CHK_ELF_PATH];
	char libwrap_chain[512];		/* "mariadbd -> libwrap.so.0" */
	unsigned libwrap_depth;			/* 1: needed by mysqld itself */
	size_t nlibs;				/* libraries examined */
	char why_unknown[256];			/* when libwrap is UNKNOWN */
	const struct chk_wrap_table *tables[2]; /* allow, deny; may be NULL */
	const char *daemons[4];
	size_t ndaemons;
	struct chk_wrap_analysis an;
	int resolv_timeout_s, resolv_attempts, resolv_nameservers;
	size_t clients;		  /* client addresses in the census */
	size_t clients_need_name; /* of them, checked with a name lookup */
};

/* The slice's rules (pure). Returns 0, or -1 when out of memory. */
int chk_wrappers_rules(const struct chk_wrappers_view *v,
		       struct cd_findings *out);

#endif /* CONNDOCTOR_CHECK_HOSTSACCESS_H */
