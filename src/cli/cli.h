/* cli.h - the command line: options as the mysql client spells them, option
 * files, environment, and the probe's own flags. */
#ifndef CONNDOCTOR_CLI_CLI_H
#define CONNDOCTOR_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "cli/opttab.h"
#include "probe/probe.h"

#define CD_EXIT_OK	    0
#define CD_EXIT_WARNING	    1
#define CD_EXIT_CRITICAL    2
#define CD_EXIT_USAGE	    64
#define CD_EXIT_UNAVAILABLE 69

/* --color's three answers; cli_opts.color holds one. */
enum cli_color {
	CLI_COLOR_AUTO = -1, /* by the terminal and the environment */
	CLI_COLOR_NEVER = 0,
	CLI_COLOR_ALWAYS = 1,
};

struct cli_opts {
	char *host, *user, *password, *socket, *database, *query;
	char *ssl_ca, *server_key_path, *address;
	unsigned port;
	int port_set;
	int protocol; /* 0: as the mysql client decides, else CD_TCP+1 /
			 CD_SOCKET+1 */
	enum probe_ssl_mode ssl_mode;
	int prompt_password; /* -p without a value */
	int get_server_public_key;
	int enable_cleartext; /* --enable-cleartext-plugin */
	/* --compress / --compression-algorithms: enum mysql_comp_algo values
	 * in order of preference, 0 ending the list */
	uint8_t compress[2];
	/* --query-attribute NAME=VALUE, in order (owned) */
	char *qattrs[PROBE_QATTR_MAX];
	unsigned nqattrs;
	double timeout_s[CD_PH__COUNT];
	uint64_t count;
	int count_set;
	unsigned concurrency;
	double rate, duration_s, idle_s;
	unsigned reuse;		     /* --reuse N */
	enum probe_reuse reuse_mode; /* --reuse-mode */
	int ramp;
	unsigned ramp_from, ramp_to, ramp_step, repeat;
	int compare, family, ping, json, nagios, verbose;
	char *html; /* --html FILE: also write the HTML report there */
	enum cli_color color;
	int no_second_look;  /* no extra connection to silent targets */
	int progress, quiet; /* --progress forces the status line, --quiet
				drops it */
	enum probe_stop stop_after;
	int resolve_once;

	/* The audit (check, diagnose). */
	unsigned only_mask; /* --only: slices to run, 0: all */
	char *mysqld, *hosts_allow, *hosts_deny, *error_log;
	double since_s, interval_s, dns_timeout_s;
	double asleep_over_s; /* --asleep-over, 0: the default */
	/* --audit-defaults-file and the account its [client] group names
	 * (password wiped on free), NULL: the audit logs in as the probe. */
	char *audit_defaults_file, *audit_user, *audit_password;
	uint32_t max_allowed_packet; /* --max-allowed-packet, 0: none */
	int no_dns;
	int trace; /* diagnose --trace */
	/* --port values of the command line, in order (check's census). */
	uint16_t argv_ports[16];
	unsigned nargv_ports;
	/* Which options the command line gave (not files or environment). */
	unsigned char given[CLI_O__COUNT];
};

/* A value checked against its row's kind and range. */
union cli_value {
	unsigned long long u; /* CLI_ARG_UINT */
	double d;	      /* CLI_ARG_REAL, CLI_ARG_SECONDS */
	size_t choice;	      /* CLI_ARG_CHOICE, CLI_ARG_OPTIONAL's word */
};

/* One option of a command line, in order. */
struct cli_tok {
	const struct cli_optdef *d;
	const char *value; /* in argv, or secret (a copy); NULL: none */
	char *secret;	   /* owned copy of a wiped password */
	union cli_value v; /* value, parsed */
};

/* A command line split by the option table. */
struct cli_args {
	struct cli_tok *tok; /* the options, in order */
	size_t ntok;
	char **operands; /* in argv; only for a CLI_CF_OPERANDS command */
	size_t noperands;
};

/* Splits cmd's argv (argv[0] is the command's name) by the option table:
 * every option must be the command's, every value of its row's kind and
 * in its range (a CLI_ARG_SPEC's form is the caller's to check); operands
 * only for a command that takes them. Reads no file and no environment.
 * Returns 0 (free a with cli_args_free()), -1 when --help was printed, or
 * CD_EXIT_USAGE with a one-line reason in err; a is empty on failure. */
int cli_args_parse(enum cli_cmd cmd, int argc, char **argv, struct cli_args *a,
		   char *err, size_t errlen);
void cli_args_free(struct cli_args *a);
/* --color's value (NULL: bare) and its choice index to the mode. */
enum cli_color cli_color_choice(const char *v, size_t choice);

/* Parses cmd's arguments (argv[0] is the command's name), option files and
 * the environment into o, by the option table (opttab.c). Returns 0, or
 * CD_EXIT_USAGE with a one-line reason in err, or -1 when --help was
 * printed. A password's value in argv is overwritten before any file is
 * read, so /proc/PID/cmdline does not show it; no error quotes it. */
int cli_parse(enum cli_cmd cmd, int argc, char **argv, struct cli_opts *o,
	      char *err, size_t errlen);
void cli_opts_free(struct cli_opts *o);

/* Whether output gets colour (color.c): mode ALWAYS or NEVER decides;
 * AUTO: no when NO_COLOR is set and not empty, else yes when FORCE_COLOR
 * is set and not empty, else whether the output is a terminal. Pure. */
int cli_color_decide(enum cli_color mode, int is_tty, const char *no_color,
		     const char *force_color);
/* cli_color_decide() for fd and this process's environment. */
int cli_color_enabled(enum cli_color mode, int fd);

/* Whether argv asks for --nagios, even when it does not parse: a plugin's
 * bad options still answer with a plugin line (UNKNOWN). */
int cli_wants_nagios(int argc, char **argv);

/* Reports a failure before any report (cmd_probe.c): err on stderr as
 * "conndoctor CMD: err", and with nagios a plugin line on stdout too.
 * Returns the exit status: rc, or its plugin state with nagios. */
int cli_fail(const char *cmd, int nagios, int rc, const char *err);

/* --html FILE (cmd_probe.c): opened before any measuring, so a path that
 * cannot be written fails at once (NULL, err set); closed after the
 * report with cli_html_close(), which returns 0 or -1 (the reason on
 * stderr) when the file could not be written whole. */
FILE *cli_html_open(const char *path, char *err, size_t errlen);
int cli_html_close(const char *cmd, FILE *f, const char *path, int write_rc);

/* The commands; argv[0] is the command's name. */
int cmd_probe(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_pcap(int argc, char **argv);

/* The audit's context from the options (cmd_check.c; diagnose too): what
 * to read and how; the ports, socket and server are the caller's. learned
 * holds CHK_PATH_MAX bytes. ctx borrows o's strings. */
struct chk_ctx;
void cli_audit_ctx(const struct cli_opts *o, struct chk_ctx *ctx,
		   char *learned);

/* Shared by probe and diagnose (cmd_probe.c). */
struct cd_findings;
/* Targets, load shape, timeouts and TLS from parsed options; *key_pem is
 * the server key read from --server-public-key-path (freed by the caller).
 * Returns 0 or an exit status with err set. */
int cli_probe_configure(struct cli_opts *o, struct probe_config *cfg,
			char **key_pem, char *err, size_t errlen);
/* 69 when no attempt reached the server, else by the worst finding. */
int cli_probe_exit_status(const struct probe_result *r,
			  const struct cd_findings *f);
/* Measures the configured probe by the options' plan (probe_measure():
 * the host facts, a batch or a ramp's levels, and the second look at
 * silent targets), then applies the rules. Returns 0, or an exit status
 * with err set. facts receives the host facts the rules used. */
struct cd_host_facts;
int cli_probe_measure(const struct cli_opts *o, struct probe_config *cfg,
		      struct cd_host_facts *facts, struct probe_result *res,
		      struct cd_findings *findings, char *err, size_t errlen);
/* Fills the probe report's inputs (rp, and ro from the options and the
 * terminal) for a measured run that exits with exit_status. */
struct rpt_probe;
struct rpt_opts;
void cli_probe_report_init(const struct cli_opts *o,
			   const struct probe_config *cfg,
			   const struct probe_result *res,
			   const struct cd_findings *findings,
			   const struct cd_host_facts *facts, int exit_status,
			   struct rpt_probe *rp, struct rpt_opts *ro);

#endif /* CONNDOCTOR_CLI_CLI_H */
