/* options.c - the probe's options: one table serves the command line and
 * the option files ([client], [client-server], [client-mariadb],
 * [conndoctor]); the environment (MYSQL_HOST, MYSQL_TCP_PORT,
 * MYSQL_UNIX_PORT, MYSQL_PWD) sits between the files and the command line,
 * as with the mysql client. */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "cli/optfile.h"

#define MAX_COUNT	1000000u
#define MAX_CONCURRENCY 20000u
#define MAX_SECONDS	86400.0

enum opt_id {
	O_HOST = 'h',
	O_PORT = 'P',
	O_USER = 'u',
	O_PASSWORD = 'p',
	O_SOCKET = 'S',
	O_DATABASE = 'D',
	O_COUNT = 'n',
	O_CONCURRENCY = 'c',
	O_VERBOSE = 'v',
	O_IPV4 = '4',
	O_IPV6 = '6',
	O_PROTOCOL = 256,
	O_SSL_MODE,
	O_SSL_CA,
	O_SSL,
	O_SKIP_SSL,
	O_SERVER_KEY,
	O_GET_SERVER_KEY,
	O_CONNECT_TIMEOUT,
	O_READ_TIMEOUT,
	O_TIMEOUT,
	O_RATE,
	O_DURATION,
	O_RAMP,
	O_REPEAT,
	O_IDLE,
	O_QUERY,
	O_PING,
	O_COMPARE,
	O_ADDRESS,
	O_STOP_AFTER,
	O_NO_SECOND_LOOK,
	O_JSON,
	O_COLOR,
	O_NO_COLOR,
	O_RESOLVE_ONCE,
	O_DEFAULTS_FILE,
	O_DEFAULTS_EXTRA_FILE,
	O_NO_DEFAULTS,
	O_HELP
};

/* Which options an option file's [client] groups may set: the connection
 * ones. [conndoctor] may set any but the file selectors. */
struct opt_def {
	const char *name;
	int has_arg;
	enum opt_id id;
	int client_group;
};

static const struct opt_def opts[] = {
	{"host", required_argument, O_HOST, 1},
	{"port", required_argument, O_PORT, 1},
	{"user", required_argument, O_USER, 1},
	{"password", optional_argument, O_PASSWORD, 1},
	{"socket", required_argument, O_SOCKET, 1},
	{"database", required_argument, O_DATABASE, 1},
	{"protocol", required_argument, O_PROTOCOL, 1},
	{"ssl-mode", required_argument, O_SSL_MODE, 1},
	{"ssl-ca", required_argument, O_SSL_CA, 1},
	{"ssl", no_argument, O_SSL, 1},
	{"skip-ssl", no_argument, O_SKIP_SSL, 1},
	{"server-public-key-path", required_argument, O_SERVER_KEY, 1},
	{"get-server-public-key", no_argument, O_GET_SERVER_KEY, 1},
	{"connect-timeout", required_argument, O_CONNECT_TIMEOUT, 1},
	{"read-timeout", required_argument, O_READ_TIMEOUT, 0},
	{"timeout", required_argument, O_TIMEOUT, 0},
	{"count", required_argument, O_COUNT, 0},
	{"concurrency", required_argument, O_CONCURRENCY, 0},
	{"rate", required_argument, O_RATE, 0},
	{"duration", required_argument, O_DURATION, 0},
	{"ramp", required_argument, O_RAMP, 0},
	{"repeat", required_argument, O_REPEAT, 0},
	{"idle", required_argument, O_IDLE, 0},
	{"query", required_argument, O_QUERY, 0},
	{"ping", no_argument, O_PING, 0},
	{"compare", no_argument, O_COMPARE, 0},
	{"address", required_argument, O_ADDRESS, 0},
	{"stop-after", required_argument, O_STOP_AFTER, 0},
	{"no-second-look", no_argument, O_NO_SECOND_LOOK, 0},
	{"json", no_argument, O_JSON, 0},
	{"color", no_argument, O_COLOR, 0},
	{"no-color", no_argument, O_NO_COLOR, 0},
	{"resolve-once", no_argument, O_RESOLVE_ONCE, 0},
	{"verbose", no_argument, O_VERBOSE, 0},
	{"defaults-file", required_argument, O_DEFAULTS_FILE, -1},
	{"defaults-extra-file", required_argument, O_DEFAULTS_EXTRA_FILE, -1},
	{"no-defaults", no_argument, O_NO_DEFAULTS, -1},
	{"help", no_argument, O_HELP, -1},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

void cli_probe_usage(void)
{
	fputs("usage: conndoctor probe [OPTIONS]\n"
	      "\n"
	      "Opens connections to a MySQL or MariaDB server the way an "
	      "application does,\n"
	      "times every phase (resolve, connect, greeting, tls, auth, "
	      "query, close),\n"
	      "classifies every failure and names the pattern behind it.\n"
	      "\n"
	      "Connection (as the mysql client; also read from option files):\n"
	      "  -h, --host=NAME          server host (default localhost: the "
	      "Unix socket)\n"
	      "  -P, --port=N             TCP port (default 3306)\n"
	      "  -u, --user=NAME          user (default: the login name)\n"
	      "  -p, --password[=PW]      password; without a value, prompt on "
	      "the tty.\n"
	      "                           Prefer MYSQL_PWD or an option file: "
	      "a value on\n"
	      "                           the command line is wiped from argv "
	      "at start\n"
	      "  -S, --socket=PATH        Unix socket (default "
	      "/run/mysqld/mysqld.sock)\n"
	      "  -D, --database=NAME      schema to log in to\n"
	      "      --protocol=tcp|socket  force the transport\n"
	      "      --ssl-mode=MODE      DISABLED, PREFERRED (default), "
	      "REQUIRED,\n"
	      "                           VERIFY_CA, VERIFY_IDENTITY; --ssl = "
	      "REQUIRED,\n"
	      "                           --skip-ssl = DISABLED\n"
	      "      --ssl-ca=FILE        CA certificates for "
	      "VERIFY_CA/VERIFY_IDENTITY\n"
	      "      --server-public-key-path=FILE  RSA key for "
	      "caching_sha2_password\n"
	      "      --get-server-public-key        ask the server for that "
	      "key\n"
	      "      --connect-timeout=S  TCP connect and greeting timeout, "
	      "each (10)\n"
	      "      --read-timeout=S     login and query timeout (10 and 30)\n"
	      "      --timeout=PHASE=S    one phase's timeout: resolve, "
	      "connect,\n"
	      "                           greeting, tls, auth, query, close\n"
	      "      --defaults-file=F    read only this option file\n"
	      "      --defaults-extra-file=F  read this file after the global "
	      "ones\n"
	      "      --no-defaults        read no option file\n"
	      "\n"
	      "Load shape (polite by default: 10 attempts, one at a time):\n"
	      "  -n, --count=N            attempts per target (per level with "
	      "--ramp;\n"
	      "                           max 1000000)\n"
	      "  -c, --concurrency=N      attempts in flight at once (max "
	      "20000)\n"
	      "      --rate=R             start at most R attempts per second\n"
	      "      --duration=S         stop starting attempts after S "
	      "seconds\n"
	      "      --ramp=FROM:TO:STEP  raise concurrency step by step; "
	      "report the\n"
	      "                           level where failures or latency "
	      "begin\n"
	      "      --repeat=N           run the ramp N times (default 2) to "
	      "see\n"
	      "                           whether that threshold is stable\n"
	      "      --idle=S             hold each logged-in connection idle "
	      "S seconds\n"
	      "                           before its query (finds idle cuts)\n"
	      "      --query=SQL          the query (default SELECT 1)\n"
	      "      --ping               COM_PING instead of a query\n"
	      "      --stop-after=connect|greeting  stop before login (counts "
	      "against\n"
	      "                           the server's max_connect_errors)\n"
	      "      --no-second-look     when a TCP target accepts but never "
	      "greets,\n"
	      "                           do not open one more connection "
	      "that sends\n"
	      "                           an HTTP request to tell what it "
	      "is\n"
	      "\n"
	      "Targets:\n"
	      "      --compare            probe TCP and the Unix socket side "
	      "by side\n"
	      "  -4, -6                   only IPv4 / IPv6 addresses of the "
	      "host\n"
	      "      --address=IP         only this one of the host's "
	      "addresses\n"
	      "      --resolve-once       resolve the host once, not per "
	      "attempt\n"
	      "\n"
	      "Output:\n"
	      "      --json               one JSON document (docs/json.md)\n"
	      "  -v, --verbose            one line per attempt\n"
	      "      --color, --no-color  force colour on or off (default: on "
	      "a tty)\n"
	      "\n"
	      "Option files: /etc/my.cnf, /etc/mysql/my.cnf, ~/.my.cnf, groups "
	      "[client],\n"
	      "[client-server], [client-mariadb] and [conndoctor]. "
	      "Environment:\n"
	      "MYSQL_HOST, MYSQL_TCP_PORT, MYSQL_UNIX_PORT, MYSQL_PWD.\n"
	      "\n"
	      "Exit status: 0 healthy, 1 warnings, 2 critical findings, 64 "
	      "usage error,\n"
	      "69 target unavailable (no attempt reached the server).\n",
	      stdout);
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return CD_EXIT_USAGE;
}

/* "10", "2.5", "250ms", "2m" to seconds; -1 when malformed. */
static double parse_seconds(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -1;
	if (!strcmp(end, "ms"))
		v /= 1000;
	else if (!strcmp(end, "m"))
		v *= 60;
	else if (*end && strcmp(end, "s"))
		return -1;
	return v > MAX_SECONDS ? -1 : v;
}

static int parse_uint(const char *s, unsigned long long max,
		      unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s == '-' || *s == '\0')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno || v > max)
		return -1;
	*out = v;
	return 0;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v ? v : "");
}

static enum cd_phase phase_by_name(const char *s, size_t len, int *ok)
{
	int p;

	for (p = 0; p < CD_PH__COUNT; p++)
		if (strlen(cd_phase_name((enum cd_phase)p)) == len &&
		    !strncmp(cd_phase_name((enum cd_phase)p), s, len)) {
			*ok = 1;
			return (enum cd_phase)p;
		}
	*ok = 0;
	return CD_PH_RESOLVE;
}

/* Applies one option with its value (NULL when none). */
static int apply(struct cli_opts *o, enum opt_id id, const char *name,
		 const char *v, char *err, size_t errlen)
{
	unsigned long long u;
	double d;

	switch (id) {
	case O_HOST:
		set_str(&o->host, v);
		return 0;
	case O_PORT:
		if (parse_uint(v, 65535, &u) || u == 0)
			return fail(err, errlen, "invalid port '%s'", v);
		o->port = (unsigned)u;
		o->port_set = 1;
		return 0;
	case O_USER:
		set_str(&o->user, v);
		return 0;
	case O_PASSWORD:
		if (!v) {
			o->prompt_password = 1;
			return 0;
		}
		o->prompt_password = 0;
		set_str(&o->password, v);
		return 0;
	case O_SOCKET:
		set_str(&o->socket, v);
		return 0;
	case O_DATABASE:
		set_str(&o->database, v);
		return 0;
	case O_PROTOCOL:
		if (!strcasecmp(v, "tcp"))
			o->protocol = CD_TCP + 1;
		else if (!strcasecmp(v, "socket"))
			o->protocol = CD_SOCKET + 1;
		else
			return fail(err, errlen,
				    "invalid --protocol '%s' (tcp or socket)",
				    v);
		return 0;
	case O_SSL_MODE: {
		static const char *const modes[] = {"DISABLED", "PREFERRED",
						    "REQUIRED", "VERIFY_CA",
						    "VERIFY_IDENTITY"};
		size_t m;

		for (m = 0; m < 5; m++)
			if (!strcasecmp(v, modes[m])) {
				o->ssl_mode = (enum probe_ssl_mode)m;
				return 0;
			}
		return fail(err, errlen, "invalid --ssl-mode '%s'", v);
	}
	case O_SSL:
		o->ssl_mode = PROBE_SSL_REQUIRED;
		return 0;
	case O_SKIP_SSL:
		o->ssl_mode = PROBE_SSL_DISABLED;
		return 0;
	case O_SSL_CA:
		set_str(&o->ssl_ca, v);
		return 0;
	case O_SERVER_KEY:
		set_str(&o->server_key_path, v);
		return 0;
	case O_GET_SERVER_KEY:
		o->get_server_public_key = 1;
		return 0;
	case O_CONNECT_TIMEOUT:
		d = parse_seconds(v);
		if (d <= 0)
			return fail(err, errlen,
				    "invalid --connect-timeout '%s'", v);
		o->timeout_s[CD_PH_CONNECT] = o->timeout_s[CD_PH_GREETING] = d;
		return 0;
	case O_READ_TIMEOUT:
		d = parse_seconds(v);
		if (d <= 0)
			return fail(err, errlen, "invalid --read-timeout '%s'",
				    v);
		o->timeout_s[CD_PH_AUTH] = o->timeout_s[CD_PH_QUERY] = d;
		return 0;
	case O_TIMEOUT: {
		const char *eq = strchr(v, '=');
		enum cd_phase p;
		int ok = 0;

		if (eq)
			p = phase_by_name(v, (size_t)(eq - v), &ok);
		if (!ok || p == CD_PH_IDLE)
			return fail(err, errlen,
				    "invalid --timeout '%s' (PHASE=SECONDS)",
				    v);
		d = parse_seconds(eq + 1);
		if (d <= 0)
			return fail(err, errlen, "invalid --timeout '%s'%s", v,
				    "");
		o->timeout_s[p] = d;
		return 0;
	}
	case O_COUNT:
		if (parse_uint(v, MAX_COUNT, &u) || u == 0)
			return fail(err, errlen,
				    "invalid --count '%s' (1 to 1000000)%s", v,
				    "");
		o->count = u;
		o->count_set = 1;
		return 0;
	case O_CONCURRENCY:
		if (parse_uint(v, MAX_CONCURRENCY, &u) || u == 0)
			return fail(err, errlen,
				    "invalid --concurrency '%s' (1 to 20000)",
				    v);
		o->concurrency = (unsigned)u;
		return 0;
	case O_RATE:
		d = parse_seconds(v);
		if (d <= 0)
			return fail(err, errlen, "invalid --rate '%s'", v);
		o->rate = d;
		return 0;
	case O_DURATION:
		d = parse_seconds(v);
		if (d <= 0)
			return fail(err, errlen, "invalid --duration '%s'%s", v,
				    "");
		o->duration_s = d;
		return 0;
	case O_IDLE:
		d = parse_seconds(v);
		if (d <= 0)
			return fail(err, errlen, "invalid --idle '%s'", v);
		o->idle_s = d;
		return 0;
	case O_RAMP: {
		unsigned long long a = 0, b = 0, s = 0;
		char part[3][24];

		if (sscanf(v, "%23[0-9]:%23[0-9]:%23[0-9]", part[0], part[1],
			   part[2]) != 3 ||
		    strlen(part[0]) + strlen(part[1]) + strlen(part[2]) + 2 !=
			    strlen(v) ||
		    parse_uint(part[0], MAX_CONCURRENCY, &a) ||
		    parse_uint(part[1], MAX_CONCURRENCY, &b) ||
		    parse_uint(part[2], MAX_CONCURRENCY, &s) || !a || !s ||
		    b < a || (b - a) / s >= 64)
			return fail(
				err, errlen,
				"invalid --ramp '%s' (FROM:TO:STEP, at most "
				"64 levels)",
				v);
		o->ramp = 1;
		o->ramp_from = (unsigned)a;
		o->ramp_to = (unsigned)b;
		o->ramp_step = (unsigned)s;
		return 0;
	}
	case O_REPEAT:
		if (parse_uint(v, 12, &u) || u == 0)
			return fail(err, errlen, "invalid --repeat '%s' (1-12)",
				    v);
		o->repeat = (unsigned)u;
		return 0;
	case O_QUERY:
		set_str(&o->query, v);
		return 0;
	case O_PING:
		o->ping = 1;
		return 0;
	case O_COMPARE:
		o->compare = 1;
		return 0;
	case O_ADDRESS:
		set_str(&o->address, v);
		return 0;
	case O_NO_SECOND_LOOK:
		o->no_second_look = 1;
		return 0;
	case O_STOP_AFTER:
		if (!strcmp(v, "connect"))
			o->stop_after = PROBE_STOP_CONNECT;
		else if (!strcmp(v, "greeting"))
			o->stop_after = PROBE_STOP_GREETING;
		else
			return fail(err, errlen,
				    "invalid --stop-after '%s' (connect or "
				    "greeting)",
				    v);
		return 0;
	case O_JSON:
		o->json = 1;
		return 0;
	case O_COLOR:
		o->color = 1;
		return 0;
	case O_NO_COLOR:
		o->color = 0;
		return 0;
	case O_RESOLVE_ONCE:
		o->resolve_once = 1;
		return 0;
	case O_VERBOSE:
		o->verbose = 1;
		return 0;
	case O_IPV4:
		o->family = 4;
		return 0;
	case O_IPV6:
		o->family = 6;
		return 0;
	default:
		return fail(err, errlen, "option --%s is not valid here", name);
	}
}

struct file_ctx {
	struct cli_opts *o;
};

static int file_option(void *ctx, const char *file, unsigned line,
		       const char *key, const char *value, char *err,
		       size_t errlen)
{
	struct file_ctx *fc = ctx;
	size_t i;
	char why[160];

	(void)fc;
	for (i = 0; i < NOPTS; i++) {
		if (strcmp(opts[i].name, key))
			continue;
		if (opts[i].client_group < 0)
			return 0; /* file selection belongs to the command line
				   */
		if (opts[i].has_arg == required_argument && !value) {
			snprintf(err, errlen,
				 "%s:%u: option '%s' needs a value", file, line,
				 key);
			return -1;
		}
		if (apply(fc->o, opts[i].id, key, value, why, sizeof(why))) {
			snprintf(err, errlen, "%s:%u: %s", file, line, why);
			return -1;
		}
		return 0;
	}
	return 0; /* options of other programs share [client] */
}

static int read_option_files(struct cli_opts *o, const char *defaults_file,
			     const char *extra, int no_defaults, char *err,
			     size_t errlen)
{
	static const char *const groups[] = {"client", "client-server",
					     "client-mariadb", "conndoctor",
					     NULL};
	struct file_ctx fc = {o};
	char home_cnf[4096];
	const char *home = getenv("HOME");
	const char *files[4];
	size_t n = 0, i;

	if (no_defaults)
		return 0;
	if (defaults_file) {
		if (cd_optfile_read(defaults_file, groups, 1, file_option, &fc,
				    err, errlen) < 0)
			return CD_EXIT_USAGE;
		return 0;
	}
	files[n++] = "/etc/my.cnf";
	files[n++] = "/etc/mysql/my.cnf";
	if (extra)
		files[n++] = extra;
	if (home) {
		snprintf(home_cnf, sizeof(home_cnf), "%s/.my.cnf", home);
		files[n++] = home_cnf;
	}
	for (i = 0; i < n; i++)
		if (cd_optfile_read(files[i], groups, files[i] == extra,
				    file_option, &fc, err, errlen) < 0)
			return CD_EXIT_USAGE;
	return 0;
}

static void apply_env(struct cli_opts *o)
{
	const char *v;
	unsigned long long u;

	v = getenv("MYSQL_HOST");
	if (v && *v)
		set_str(&o->host, v);
	v = getenv("MYSQL_TCP_PORT");
	if (v && !parse_uint(v, 65535, &u) && u) {
		o->port = (unsigned)u;
		o->port_set = 1;
	}
	v = getenv("MYSQL_UNIX_PORT");
	if (v && *v)
		set_str(&o->socket, v);
	v = getenv("MYSQL_PWD");
	if (v)
		set_str(&o->password, v);
}

/* Overwrites a password given on the command line, as mysql does. */
static void scrub(char *s)
{
	while (s && *s)
		*s++ = 'x';
}

static int prompt_password(struct cli_opts *o, char *err, size_t errlen)
{
	struct termios old, quiet;
	char buf[512];
	FILE *tty = fopen("/dev/tty", "r+e");
	size_t len;
	int echo_off;

	if (!tty) {
		snprintf(err, errlen,
			 "cannot prompt for the password: no terminal (use "
			 "MYSQL_PWD or an option file)");
		return CD_EXIT_USAGE;
	}
	/* Echo off (dropping what was typed ahead) before the prompt: done
	 * after it, the flush could eat a password typed at the prompt. */
	echo_off = tcgetattr(fileno(tty), &old) == 0;
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	fputs("Enter password: ", tty);
	fflush(tty);
	if (!fgets(buf, sizeof(buf), tty))
		buf[0] = '\0';
	if (echo_off)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	set_str(&o->password, buf);
	memset(buf, 0, sizeof(buf));
	return 0;
}

int cli_parse_probe(int argc, char **argv, struct cli_opts *o, char *err,
		    size_t errlen)
{
	struct option longopts[NOPTS + 1];
	const char *defaults_file = NULL, *extra = NULL;
	int no_defaults = 0, i, c, rc;
	size_t k;

	memset(o, 0, sizeof(*o));
	o->port = 3306;
	o->concurrency = 1;
	o->color = -1;
	o->repeat = 2;
	o->ssl_mode = PROBE_SSL_PREFERRED;

	/* Option file selection first: it decides what the files say. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strncmp(argv[i], "--defaults-file=", 16))
			defaults_file = argv[i] + 16;
		else if (!strncmp(argv[i], "--defaults-extra-file=", 22))
			extra = argv[i] + 22;
		else if (!strcmp(argv[i], "--no-defaults"))
			no_defaults = 1;
		else if (!strcmp(argv[i], "-?")) {
			cli_probe_usage();
			return -1;
		}
	}
	rc = read_option_files(o, defaults_file, extra, no_defaults, err,
			       errlen);
	if (rc)
		return rc;
	apply_env(o);

	for (k = 0; k < NOPTS; k++) {
		longopts[k].name = opts[k].name;
		longopts[k].has_arg = opts[k].has_arg;
		longopts[k].flag = NULL;
		longopts[k].val = (int)opts[k].id;
	}
	memset(&longopts[NOPTS], 0, sizeof(longopts[NOPTS]));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h:P:u:p::S:D:n:c:v46", longopts,
				NULL)) != -1) {
		const char *name = "";

		if (c == '?') {
			if (optopt)
				snprintf(err, errlen, "unknown option -%c",
					 optopt);
			else
				snprintf(err, errlen, "unknown option '%s'",
					 argv[optind - 1]);
			return CD_EXIT_USAGE;
		}
		if (c == ':') {
			snprintf(err, errlen, "option '%s' needs a value",
				 argv[optind - 1]);
			return CD_EXIT_USAGE;
		}
		if (c == O_HELP) {
			cli_probe_usage();
			return -1;
		}
		if (c == O_DEFAULTS_FILE || c == O_DEFAULTS_EXTRA_FILE ||
		    c == O_NO_DEFAULTS)
			continue;
		for (k = 0; k < NOPTS; k++)
			if ((int)opts[k].id == c)
				name = opts[k].name;
		rc = apply(o, (enum opt_id)c, name, optarg, err, errlen);
		if (rc)
			return rc;
		if (c == O_PASSWORD && optarg) {
			scrub(optarg);
			fputs("conndoctor: warning: a password on the command "
			      "line can be seen by other users before it is "
			      "wiped; prefer -p alone, MYSQL_PWD or an option "
			      "file\n",
			      stderr);
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return CD_EXIT_USAGE;
	}
	if (o->prompt_password) {
		rc = prompt_password(o, err, errlen);
		if (rc)
			return rc;
	}
	if (o->ping && o->query) {
		snprintf(err, errlen, "--ping and --query exclude each other");
		return CD_EXIT_USAGE;
	}
	return 0;
}

void cli_opts_free(struct cli_opts *o)
{
	if (o->password)
		memset(o->password, 0, strlen(o->password));
	free(o->host);
	free(o->user);
	free(o->password);
	free(o->socket);
	free(o->database);
	free(o->query);
	free(o->ssl_ca);
	free(o->server_key_path);
	free(o->address);
	memset(o, 0, sizeof(*o));
}
