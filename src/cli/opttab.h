/* opttab.h - the one table of command-line options: names, argument kinds
 * and ranges, the commands each applies to, help text and the mysql
 * client's spelling. Parsing, --help (and later man pages and shell
 * completions) are generated from it; it is data, read through the small
 * accessor API below. */
#ifndef CONNDOCTOR_CLI_OPTTAB_H
#define CONNDOCTOR_CLI_OPTTAB_H

#include <stddef.h>
#include <stdio.h>

/* The commands, as bits of an option's mask. */
enum cli_cmd {
	CLI_CMD_PROBE = 1u << 0,
	CLI_CMD_DIAGNOSE = 1u << 1,
	CLI_CMD_CHECK = 1u << 2,
	CLI_CMD_PCAP = 1u << 3,
	CLI_CMD_TRACE = 1u << 4,
	CLI_CMD_WATCH = 1u << 5,
	/* Commands without options (CLI_CF_NOOPTS): listed for conndoctor(1)
	 * and the completions. */
	CLI_CMD_EXPLAIN = 1u << 6,
	CLI_CMD_HELP = 1u << 7,
	CLI_CMD_VERSION = 1u << 8,
};

#define CLI_CMD_PROBING (CLI_CMD_PROBE | CLI_CMD_DIAGNOSE)
/* The commands that speak to a server as the mysql client does. */
#define CLI_CMD_ALL (CLI_CMD_PROBE | CLI_CMD_DIAGNOSE | CLI_CMD_CHECK)
#define CLI_CMD_EVERY                                                          \
	(CLI_CMD_ALL | CLI_CMD_PCAP | CLI_CMD_TRACE | CLI_CMD_WATCH)

/* Flags of a command. */
#define CLI_CF_OPERANDS 0x1u /* takes operands (pcap's FILE...) */
#define CLI_CF_OPTFILES 0x2u /* reads option files and the environment */
#define CLI_CF_NOOPTS	0x4u /* no options, no --help (explain, help) */

/* What an option's argument is, and how it is checked. */
enum cli_arg {
	CLI_ARG_NONE,	  /* a flag */
	CLI_ARG_OPTIONAL, /* --name=V or -xV; bare: no value (-p prompts) */
	CLI_ARG_STRING,	  /* any text */
	CLI_ARG_UINT,	  /* decimal integer in [min, max] */
	CLI_ARG_REAL,	  /* decimal number in [min, max] */
	CLI_ARG_SECONDS,  /* "10", "2.5", "250ms", "2m" in [min, max] s */
	CLI_ARG_CHOICE,	  /* one of choices(), case-insensitive */
	CLI_ARG_SPEC,	  /* structured (FROM:TO:STEP, PHASE=S, LIST); its
			     numbers are checked against [min, max] */
};

/* Flags of an option. */
#define CLI_OF_FILE	    0x1u /* option files may set it ([client], ...) */
#define CLI_OF_SECRET	    0x2u /* its value is never echoed, and is wiped */
#define CLI_OF_FILESEL	    0x4u /* selects option files: command line only */
#define CLI_OF_REPEAT	    0x8u /* each use adds (check's --port) */
#define CLI_OF_HELP	    0x10u
#define CLI_OF_CMDLINE_ONLY (CLI_OF_FILESEL | CLI_OF_HELP)

/* The help sections, in the order --help prints them. */
enum cli_section {
	CLI_SEC_CONNECTION,
	CLI_SEC_FILES,
	CLI_SEC_LOAD,
	CLI_SEC_TARGETS,
	CLI_SEC_AUDIT,
	CLI_SEC_CAPTURE,
	CLI_SEC_TRACE,
	CLI_SEC_WATCH,
	CLI_SEC_OUTPUT,
	CLI_SEC__COUNT
};

/* Which setting an option changes; several rows (one per command group)
 * may share one id when their help or range differ by command. */
enum cli_opt {
	CLI_O_HOST,
	CLI_O_PORT,
	CLI_O_USER,
	CLI_O_PASSWORD,
	CLI_O_SOCKET,
	CLI_O_DATABASE,
	CLI_O_PROTOCOL,
	CLI_O_SSL_MODE,
	CLI_O_SSL,
	CLI_O_SKIP_SSL,
	CLI_O_SSL_CA,
	CLI_O_SERVER_KEY,
	CLI_O_GET_SERVER_KEY,
	CLI_O_ENABLE_CLEARTEXT,
	CLI_O_CONNECT_TIMEOUT,
	CLI_O_READ_TIMEOUT,
	CLI_O_TIMEOUT,
	CLI_O_DEFAULTS_FILE,
	CLI_O_DEFAULTS_EXTRA_FILE,
	CLI_O_NO_DEFAULTS,
	CLI_O_COUNT,
	CLI_O_CONCURRENCY,
	CLI_O_RATE,
	CLI_O_DURATION,
	CLI_O_RAMP,
	CLI_O_REPEAT,
	CLI_O_IDLE,
	CLI_O_REUSE,
	CLI_O_REUSE_MODE,
	CLI_O_COMPRESS,
	CLI_O_COMPRESSION_ALGORITHMS,
	CLI_O_QUERY_ATTRIBUTE,
	CLI_O_QUERY,
	CLI_O_MAX_ALLOWED_PACKET,
	CLI_O_PING,
	CLI_O_STOP_AFTER,
	CLI_O_NO_SECOND_LOOK,
	CLI_O_COMPARE,
	CLI_O_IPV4,
	CLI_O_IPV6,
	CLI_O_ADDRESS,
	CLI_O_RESOLVE_ONCE,
	CLI_O_ONLY,
	CLI_O_MYSQLD,
	CLI_O_HOSTS_ALLOW,
	CLI_O_HOSTS_DENY,
	CLI_O_ERROR_LOG,
	CLI_O_SINCE,
	CLI_O_INTERVAL,
	CLI_O_ASLEEP_OVER,
	CLI_O_AUDIT_DEFAULTS_FILE,
	CLI_O_NO_DNS,
	CLI_O_TRACE,
	CLI_O_DNS_TIMEOUT,
	CLI_O_JSON,
	CLI_O_NAGIOS,
	CLI_O_HTML,
	CLI_O_VERBOSE,
	CLI_O_COLOR,
	CLI_O_NO_COLOR,
	CLI_O_HELP,
	CLI_O_PROGRESS,
	CLI_O_QUIET,
	/* pcap */
	CLI_O_READ,
	CLI_O_LIVE,
	CLI_O_FILTER,
	CLI_O_CONN,
	CLI_O_SEGMENTS,
	CLI_O_MAX_FLOWS,
	CLI_O_REASSEMBLY_BUDGET,
	/* trace */
	CLI_O_PID,
	CLI_O_COMM,
	/* watch */
	CLI_O_CONFIG,
	CLI_O_LISTEN,
	CLI_O_WEB_CONFIG,
	CLI_O_MAX_IN_FLIGHT,
	CLI_O_PASSWORD_FILE,
	CLI_O__COUNT
};

/* One row of the table. */
struct cli_optdef {
	enum cli_opt id;
	const char *name; /* long name, without "--" */
	char short_name;  /* 0: none */
	enum cli_arg arg;
	const char *metavar; /* the value's name in help ("N", "S") */
	double min, max;     /* numeric range (UINT, REAL, SECONDS, SPEC) */
	/* CHOICE: the i-th accepted word, NULL past the last. */
	const char *(*choice)(size_t i);
	unsigned commands; /* CLI_CMD_* bits */
	unsigned flags;	   /* CLI_OF_* */
	const char *env;   /* environment variable that sets it, or NULL */
	const char *mysql; /* the mysql client's spelling, NULL: none */
	enum cli_section section;
	const char *help; /* one or more sentences; --help wraps them */
};

/* A command's own text around its options. */
struct cli_cmddef {
	enum cli_cmd cmd;
	const char *name;
	/* After "usage: conndoctor "; more forms on lines of their own,
	 * each "       conndoctor CMD ..." or a continuation. */
	const char *usage;
	const char *about; /* what it does */
	const char *footer;
	/* One line for conndoctor(1), the NAME of its manual page and the
	 * completions ("audit this host ..."): lower case, no full stop. */
	const char *summary;
	unsigned flags;	      /* CLI_CF_* */
	const char *operands; /* what the operands are ("FILE..."), or NULL */
};

/* The whole table (n rows), in help order within each section. */
const struct cli_optdef *cli_opttab(size_t *n);
/* The command's row for a long name, exact; NULL when none applies. */
const struct cli_optdef *cli_opt_by_name(enum cli_cmd cmd, const char *name,
					 size_t len);
/* The command's row for a short name; NULL when none applies. */
const struct cli_optdef *cli_opt_by_short(enum cli_cmd cmd, char c);
/* The command's text; NULL for an unknown command. */
const struct cli_cmddef *cli_cmd_def(enum cli_cmd cmd);
const char *cli_section_title(enum cli_section s);
/* The commands that read option files (CLI_CF_OPTFILES), as a mask. */
unsigned cli_optfile_cmds(void);
/* Whether option files may set the row: an option of a command that reads
 * them, but not the command line's own (file selection, --help). */
int cli_opt_in_files(const struct cli_optdef *d);
/* Writes a row's range ("1 to 20000") into out. */
void cli_opt_range(const struct cli_optdef *d, char *out, size_t len);
/* Prints the command's --help, every option of the table that applies to
 * it, grouped by section. */
void cli_usage(FILE *out, enum cli_cmd cmd);

#endif /* CONNDOCTOR_CLI_OPTTAB_H */
