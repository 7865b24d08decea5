/* options.c - every command's command line, split and checked by the option
 * table (opttab.c): cli_args_parse() for all, and cli_parse() for the
 * commands that read option files (probe, diagnose, check): option files
 * ([client], [client-server], [client-mariadb], [conndoctor]) come first,
 * the environment (MYSQL_HOST, MYSQL_TCP_PORT, MYSQL_UNIX_PORT, MYSQL_PWD)
 * next and the command line last, as with the mysql client. A password in
 * argv is wiped before any file is read. */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "mysql/compress.h"
#include "util/optfile.h"

#define MAX_RAMP_LEVELS 64

/* Where a value came from: files and the environment are applied before
 * the command line, and only the command line counts as "given". */
enum source { SRC_FILE, SRC_ENV, SRC_ARGV };

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return CD_EXIT_USAGE;
}

/* "--name" or "-4", for messages. */
static const char *shown_name(const struct cli_optdef *d, char *buf, size_t len)
{
	if (d->name)
		snprintf(buf, len, "--%s", d->name);
	else
		snprintf(buf, len, "-%c", d->short_name);
	return buf;
}

/* A value out of a row's range or form: the message names the range. */
static int bad_value(const struct cli_optdef *d, const char *v, char *err,
		     size_t errlen)
{
	char name[64], range[96];

	shown_name(d, name, sizeof(name));
	if (d->flags & CLI_OF_SECRET)
		return fail(err, errlen, "invalid %s", name);
	if (d->arg == CLI_ARG_UINT || d->arg == CLI_ARG_REAL ||
	    d->arg == CLI_ARG_SECONDS) {
		cli_opt_range(d, range, sizeof(range));
		return fail(err, errlen, "invalid %s '%s' (%s)", name, v,
			    range);
	}
	return fail(err, errlen, "invalid %s '%s'", name, v);
}

/* "10", "2.5", "250ms", "2m", "10s" to seconds; -1 when malformed. */
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
	return v;
}

static int parse_uint(const char *s, unsigned long long max,
		      unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno || v > max)
		return -1;
	*out = v;
	return 0;
}

static int in_range(const struct cli_optdef *d, double v)
{
	return v >= d->min && v <= d->max;
}

/* Checks a value against its row's kind and range. */
static int parse_value(const struct cli_optdef *d, const char *v,
		       union cli_value *out, char *err, size_t errlen)
{
	char *end;
	const char *c;
	size_t i;

	switch (d->arg) {
	case CLI_ARG_UINT:
		if (parse_uint(v, (unsigned long long)d->max, &out->u) ||
		    !in_range(d, (double)out->u))
			return bad_value(d, v, err, errlen);
		return 0;
	case CLI_ARG_REAL:
		errno = 0;
		out->d = strtod(v, &end);
		if (end == v || *end || errno || !isfinite(out->d) ||
		    !in_range(d, out->d))
			return bad_value(d, v, err, errlen);
		return 0;
	case CLI_ARG_SECONDS:
		out->d = parse_seconds(v);
		if (!in_range(d, out->d))
			return bad_value(d, v, err, errlen);
		return 0;
	case CLI_ARG_OPTIONAL:
		/* A value, when given, is one of the choices (--color=WHEN). */
		if (!v || !d->choice)
			return 0;
		/* fall through */
	case CLI_ARG_CHOICE:
		for (i = 0; (c = d->choice(i)); i++)
			if (!strcasecmp(v, c)) {
				out->choice = i;
				return 0;
			}
		return bad_value(d, v, err, errlen);
	default:
		return 0;
	}
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

/* --timeout PHASE=S */
static int apply_timeout(struct cli_opts *o, const struct cli_optdef *d,
			 const char *v, char *err, size_t errlen)
{
	const char *eq = strchr(v, '=');
	enum cd_phase p = CD_PH_RESOLVE;
	char range[96];
	double s;
	int ok = 0;

	if (eq)
		p = phase_by_name(v, (size_t)(eq - v), &ok);
	if (!ok || p == CD_PH_IDLE)
		return fail(err, errlen,
			    "invalid --timeout '%s' (PHASE=SECONDS)", v);
	s = parse_seconds(eq + 1);
	if (!in_range(d, s)) {
		cli_opt_range(d, range, sizeof(range));
		return fail(err, errlen, "invalid --timeout '%s' (%s seconds)",
			    v, range);
	}
	o->timeout_s[p] = s;
	return 0;
}

/* --ramp FROM:TO:STEP, each in the row's range, at most 64 levels. */
static int apply_ramp(struct cli_opts *o, const struct cli_optdef *d,
		      const char *v, char *err, size_t errlen)
{
	unsigned long long a = 0, b = 0, s = 0;
	unsigned long long max = (unsigned long long)d->max;
	char part[3][24];

	if (sscanf(v, "%23[0-9]:%23[0-9]:%23[0-9]", part[0], part[1],
		   part[2]) != 3 ||
	    strlen(part[0]) + strlen(part[1]) + strlen(part[2]) + 2 !=
		    strlen(v) ||
	    parse_uint(part[0], max, &a) || parse_uint(part[1], max, &b) ||
	    parse_uint(part[2], max, &s) || a < (unsigned long long)d->min ||
	    !s || b < a || (b - a) / s >= MAX_RAMP_LEVELS)
		return fail(err, errlen,
			    "invalid --ramp '%s' (FROM:TO:STEP, each %.15g to "
			    "%.15g, at most %d levels)",
			    v, d->min, d->max, MAX_RAMP_LEVELS);
	o->ramp = 1;
	o->ramp_from = (unsigned)a;
	o->ramp_to = (unsigned)b;
	o->ramp_step = (unsigned)s;
	return 0;
}

/* --compression-algorithms LIST: zlib, zstd and uncompressed (which asks
 * for nothing: any list falls back to it), case-insensitive, as the mysql
 * client spells them. */
static int apply_compression(struct cli_opts *o, const char *list, char *err,
			     size_t errlen)
{
	uint8_t want[2] = {0, 0};
	size_t n = 0;
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		uint8_t a = 0;

		if (len == 4 && !strncasecmp(p, "zlib", 4))
			a = MYSQL_COMP_ZLIB;
		else if (len == 4 && !strncasecmp(p, "zstd", 4))
			a = MYSQL_COMP_ZSTD;
		else if (len != 12 || strncasecmp(p, "uncompressed", 12))
			return fail(err, errlen,
				    "unknown compression algorithm '%.*s' in "
				    "--compression-algorithms (zlib, zstd, "
				    "uncompressed)",
				    (int)(len > 32 ? 32 : len), p);
		if (a && n < 2 && (n == 0 || want[0] != a))
			want[n++] = a;
		p += len;
		if (*p)
			p++;
	}
	memcpy(o->compress, want, sizeof(want));
	return 0;
}

/* --only a,b: slice names (the row's choices) to a mask. */
static int apply_only(struct cli_opts *o, const struct cli_optdef *d,
		      const char *list, char *err, size_t errlen)
{
	unsigned mask = 0;
	const char *p = list, *c;
	size_t i;

	while (*p) {
		size_t len = strcspn(p, ",");
		int found = 0;

		for (i = 0; (c = d->choice(i)); i++)
			if (strlen(c) == len && !strncmp(c, p, len)) {
				mask |= 1u << i;
				found = 1;
			}
		if (!found)
			return fail(err, errlen,
				    "unknown slice '%.*s' in --only", (int)len,
				    p);
		p += len;
		if (*p)
			p++;
	}
	if (!mask)
		return fail(err, errlen, "--only needs slice names");
	o->only_mask = mask;
	return 0;
}

/* Applies one option with its value (NULL when none). */
static int apply(struct cli_opts *o, const struct cli_optdef *d, const char *v,
		 enum source src, char *err, size_t errlen)
{
	union cli_value x = {0};
	int rc;

	if (d->arg != CLI_ARG_NONE && d->arg != CLI_ARG_OPTIONAL && !v)
		return fail(err, errlen, "option '%s' needs a value", d->name);
	rc = parse_value(d, v, &x, err, errlen);
	if (rc)
		return rc;
	if (src == SRC_ARGV)
		o->given[d->id] = 1;
	switch (d->id) {
	case CLI_O_HOST:
		set_str(&o->host, v);
		break;
	case CLI_O_PORT:
		o->port = (unsigned)x.u;
		o->port_set = 1;
		if ((d->flags & CLI_OF_REPEAT) && src == SRC_ARGV &&
		    o->nargv_ports < sizeof(o->argv_ports) / 2)
			o->argv_ports[o->nargv_ports++] = (uint16_t)x.u;
		break;
	case CLI_O_USER:
		set_str(&o->user, v);
		break;
	case CLI_O_PASSWORD:
		o->prompt_password = !v;
		if (v)
			set_str(&o->password, v);
		break;
	case CLI_O_SOCKET:
		set_str(&o->socket, v);
		break;
	case CLI_O_DATABASE:
		set_str(&o->database, v);
		break;
	case CLI_O_PROTOCOL:
		o->protocol = x.choice == 0 ? CD_TCP + 1 : CD_SOCKET + 1;
		break;
	case CLI_O_SSL_MODE:
		o->ssl_mode = (enum probe_ssl_mode)x.choice;
		break;
	case CLI_O_SSL:
		o->ssl_mode = PROBE_SSL_REQUIRED;
		break;
	case CLI_O_SKIP_SSL:
		o->ssl_mode = PROBE_SSL_DISABLED;
		break;
	case CLI_O_SSL_CA:
		set_str(&o->ssl_ca, v);
		break;
	case CLI_O_SERVER_KEY:
		set_str(&o->server_key_path, v);
		break;
	case CLI_O_GET_SERVER_KEY:
		o->get_server_public_key = 1;
		break;
	case CLI_O_ENABLE_CLEARTEXT:
		o->enable_cleartext = 1;
		break;
	case CLI_O_COMPRESS:
		o->compress[0] = MYSQL_COMP_ZLIB;
		o->compress[1] = MYSQL_COMP_NONE;
		break;
	case CLI_O_COMPRESSION_ALGORITHMS:
		return apply_compression(o, v, err, errlen);
	case CLI_O_CONNECT_TIMEOUT:
		o->timeout_s[CD_PH_CONNECT] = o->timeout_s[CD_PH_GREETING] =
			x.d;
		break;
	case CLI_O_READ_TIMEOUT:
		o->timeout_s[CD_PH_AUTH] = o->timeout_s[CD_PH_QUERY] = x.d;
		break;
	case CLI_O_TIMEOUT:
		return apply_timeout(o, d, v, err, errlen);
	case CLI_O_COUNT:
		o->count = x.u;
		o->count_set = 1;
		break;
	case CLI_O_CONCURRENCY:
		o->concurrency = (unsigned)x.u;
		break;
	case CLI_O_RATE:
		o->rate = x.d;
		break;
	case CLI_O_DURATION:
		o->duration_s = x.d;
		break;
	case CLI_O_RAMP:
		return apply_ramp(o, d, v, err, errlen);
	case CLI_O_REPEAT:
		o->repeat = (unsigned)x.u;
		break;
	case CLI_O_IDLE:
		o->idle_s = x.d;
		break;
	case CLI_O_REUSE:
		o->reuse = (unsigned)x.u;
		break;
	case CLI_O_REUSE_MODE:
		o->reuse_mode = (enum probe_reuse)x.choice;
		break;
	case CLI_O_QUERY:
		set_str(&o->query, v);
		break;
	case CLI_O_QUERY_ATTRIBUTE:
		if (!strchr(v, '=') || v[0] == '=')
			return fail(err, errlen,
				    "invalid --query-attribute '%s' "
				    "(NAME=VALUE)",
				    v);
		if (o->nqattrs == PROBE_QATTR_MAX)
			return fail(err, errlen,
				    "at most %d --query-attribute options",
				    PROBE_QATTR_MAX);
		o->qattrs[o->nqattrs] = strdup(v);
		if (!o->qattrs[o->nqattrs])
			return fail(err, errlen, "out of memory");
		o->nqattrs++;
		break;
	case CLI_O_MAX_ALLOWED_PACKET:
		o->max_allowed_packet = (uint32_t)x.u;
		break;
	case CLI_O_PING:
		o->ping = 1;
		break;
	case CLI_O_STOP_AFTER:
		o->stop_after = x.choice == 0 ? PROBE_STOP_CONNECT
					      : PROBE_STOP_GREETING;
		break;
	case CLI_O_NO_SECOND_LOOK:
		o->no_second_look = 1;
		break;
	case CLI_O_COMPARE:
		o->compare = 1;
		break;
	case CLI_O_IPV4:
		o->family = 4;
		break;
	case CLI_O_IPV6:
		o->family = 6;
		break;
	case CLI_O_ADDRESS:
		set_str(&o->address, v);
		break;
	case CLI_O_RESOLVE_ONCE:
		o->resolve_once = 1;
		break;
	case CLI_O_ONLY:
		return apply_only(o, d, v, err, errlen);
	case CLI_O_MYSQLD:
		set_str(&o->mysqld, v);
		break;
	case CLI_O_HOSTS_ALLOW:
		set_str(&o->hosts_allow, v);
		break;
	case CLI_O_HOSTS_DENY:
		set_str(&o->hosts_deny, v);
		break;
	case CLI_O_ERROR_LOG:
		set_str(&o->error_log, v);
		break;
	case CLI_O_SINCE:
		o->since_s = x.d;
		break;
	case CLI_O_INTERVAL:
		o->interval_s = x.d;
		break;
	case CLI_O_ASLEEP_OVER:
		o->asleep_over_s = x.d;
		break;
	case CLI_O_AUDIT_DEFAULTS_FILE:
		set_str(&o->audit_defaults_file, v);
		break;
	case CLI_O_NO_DNS:
		o->no_dns = 1;
		break;
	case CLI_O_TRACE:
		o->trace = 1;
		break;
	case CLI_O_DNS_TIMEOUT:
		o->dns_timeout_s = x.d;
		break;
	case CLI_O_JSON:
		o->json = 1;
		break;
	case CLI_O_NAGIOS:
		o->nagios = 1;
		break;
	case CLI_O_HTML:
		set_str(&o->html, v);
		break;
	case CLI_O_VERBOSE:
		o->verbose = 1;
		break;
	case CLI_O_COLOR: /* choices: auto, always, never; bare: always */
		o->color = cli_color_choice(v, x.choice);
		break;
	case CLI_O_PROGRESS:
		o->progress = 1;
		break;
	case CLI_O_QUIET:
		o->quiet = 1;
		break;
	case CLI_O_NO_COLOR:
		o->color = CLI_COLOR_NEVER;
		break;
	default: /* file selection and help act before options apply */
		break;
	}
	return 0;
}

struct file_ctx {
	struct cli_opts *o;
	enum cli_cmd cmd;
};

static int file_option(void *ctx, const char *file, unsigned line,
		       const char *key, const char *value, char *err,
		       size_t errlen)
{
	struct file_ctx *fc = ctx;
	const struct cli_optdef *d = cli_opt_by_name(fc->cmd, key, strlen(key));
	char why[256];

	/* Options of other programs and of other commands share the groups;
	 * file selection belongs to the command line. */
	if (!d || !cli_opt_in_files(d))
		return 0;
	if (apply(fc->o, d, value, SRC_FILE, why, sizeof(why))) {
		snprintf(err, errlen, "%s:%u: %s", file, line, why);
		return -1;
	}
	return 0;
}

static int read_option_files(struct cli_opts *o, enum cli_cmd cmd,
			     const char *defaults_file, const char *extra,
			     int no_defaults, char *err, size_t errlen)
{
	static const char *const groups[] = {"client", "client-server",
					     "client-mariadb", "conndoctor",
					     NULL};
	struct file_ctx fc = {o, cmd};
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

/* The environment variables of the table; an empty or invalid value is
 * ignored, as the mysql client does (MYSQL_PWD may be empty). */
static void apply_env(struct cli_opts *o, enum cli_cmd cmd)
{
	const struct cli_optdef *t;
	size_t n, i;
	char why[256];

	t = cli_opttab(&n);
	for (i = 0; i < n; i++) {
		const char *v;

		if (!(t[i].commands & cmd) || !t[i].env)
			continue;
		v = getenv(t[i].env);
		if (!v || (!*v && !(t[i].flags & CLI_OF_SECRET)))
			continue;
		(void)apply(o, &t[i], v, SRC_ENV, why, sizeof(why));
	}
}

/* Asks for the password on the terminal, without echo. */
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

/* The row a long option names: exact, or an unambiguous prefix (as
 * getopt_long and the mysql client accept). */
static const struct cli_optdef *long_option(enum cli_cmd cmd, const char *name,
					    size_t len, int *ambiguous)
{
	const struct cli_optdef *t, *found;
	size_t n, i;

	*ambiguous = 0;
	found = cli_opt_by_name(cmd, name, len);
	if (found || !len)
		return found;
	t = cli_opttab(&n);
	for (i = 0; i < n; i++) {
		if (!(t[i].commands & cmd) || !t[i].name ||
		    strncmp(t[i].name, name, len))
			continue;
		if (found && found->id != t[i].id) {
			*ambiguous = 1;
			return NULL;
		}
		found = &t[i];
	}
	return found;
}

/* Overwrites a password given on the command line, as mysql does. */
static void scrub(char *s)
{
	while (s && *s)
		*s++ = 'x';
}

/* Keeps a secret value out of argv: the token gets a copy, argv gets x's. */
static int keep_secret(struct cli_tok *t, char *v)
{
	t->secret = strdup(v);
	scrub(v);
	if (!t->secret)
		return -1;
	t->value = t->secret;
	return 0;
}

struct scan {
	enum cli_cmd cmd;
	struct cli_tok *tok;
	size_t ntok;
	char **operands; /* NULL: the command takes none */
	size_t noperands;
	char *err;
	size_t errlen;
	int failed; /* the first error is kept; scanning goes on to wipe */
};

__attribute__((format(printf, 2, 3))) static void
scan_fail(struct scan *s, const char *fmt, ...)
{
	va_list ap;

	if (s->failed++)
		return;
	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
}

static int takes_value(const struct cli_optdef *d)
{
	return d->arg != CLI_ARG_NONE && d->arg != CLI_ARG_OPTIONAL;
}

/* "--name", "--name=V", "--name V"; returns the next argv index. */
static int scan_long(struct scan *s, int argc, char **argv, int i)
{
	char *name = argv[i] + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	int ambiguous;
	const struct cli_optdef *d = long_option(s->cmd, name, len, &ambiguous);
	struct cli_tok *t = &s->tok[s->ntok];

	if (!d) {
		/* Only the name: a misspelt --pasword=X must not echo X. */
		scan_fail(s, "%s option '--%.*s'",
			  ambiguous ? "ambiguous" : "unknown", (int)len, name);
		return i + 1;
	}
	t->d = d;
	if (eq && d->arg == CLI_ARG_NONE) {
		scan_fail(s, "option '--%s' takes no value", d->name);
		return i + 1;
	}
	if (eq) {
		t->value = eq + 1;
	} else if (takes_value(d)) {
		if (i + 1 >= argc) {
			scan_fail(s, "option '--%s' needs a value", d->name);
			return i + 1;
		}
		t->value = argv[++i];
	}
	if ((d->flags & CLI_OF_SECRET) && t->value &&
	    keep_secret(t, (char *)t->value))
		scan_fail(s, "out of memory");
	s->ntok++;
	return i + 1;
}

/* "-v4", "-pPW", "-n5", "-n 5"; returns the next argv index. */
static int scan_short(struct scan *s, int argc, char **argv, int i)
{
	char *a = argv[i];
	size_t j;

	for (j = 1; a[j]; j++) {
		const struct cli_optdef *d = cli_opt_by_short(s->cmd, a[j]);
		struct cli_tok *t = &s->tok[s->ntok];

		if (!d) {
			scan_fail(s, "unknown option -%c", a[j]);
			return i + 1;
		}
		t->d = d;
		if (d->arg != CLI_ARG_NONE && a[j + 1]) {
			t->value = &a[j + 1];
		} else if (takes_value(d)) {
			if (i + 1 >= argc) {
				scan_fail(s, "option '-%c' needs a value",
					  a[j]);
				return i + 1;
			}
			t->value = argv[++i];
		}
		if ((d->flags & CLI_OF_SECRET) && t->value &&
		    keep_secret(t, (char *)t->value))
			scan_fail(s, "out of memory");
		s->ntok++;
		if (t->value || d->arg != CLI_ARG_NONE)
			break;
	}
	return i + 1;
}

/* Splits argv into tokens without reading anything else, and wipes every
 * password in it, even after an error (kept in err). Operands ("-" among
 * them, and all after "--") go to s->operands when the command takes them.
 * Returns 0 or CD_EXIT_USAGE. */
static int scan_argv(struct scan *s, int argc, char **argv)
{
	int i = 1, operands = 0;

	while (i < argc) {
		char *a = argv[i];
		const struct cli_tok *prev =
			s->ntok ? &s->tok[s->ntok - 1] : NULL;

		if (s->operands && (operands || a[0] != '-' || !a[1]) &&
		    !(prev && (prev->d->flags & CLI_OF_SECRET) &&
		      !prev->value && !operands)) {
			s->operands[s->noperands++] = a;
			i++;
		} else if (operands || a[0] != '-' || !a[1]) {
			/* "-p SECRET" or "--password SECRET": the word after
			 * a bare password option is likely the password. */
			if (prev && (prev->d->flags & CLI_OF_SECRET) &&
			    !prev->value && !operands) {
				scrub(a);
				scan_fail(s,
					  "unexpected argument after "
					  "--password (give it as -pPASSWORD "
					  "or --password=PASSWORD, or -p "
					  "alone to be prompted)");
			} else {
				scan_fail(s, "unexpected argument '%s'", a);
			}
			i++;
		} else if (!strcmp(a, "--")) {
			operands = 1;
			i++;
		} else if (a[1] == '-') {
			i = scan_long(s, argc, argv, i);
		} else {
			i = scan_short(s, argc, argv, i);
		}
	}
	return s->failed ? CD_EXIT_USAGE : 0;
}

void cli_args_free(struct cli_args *a)
{
	size_t i;

	for (i = 0; i < a->ntok; i++)
		if (a->tok[i].secret) {
			memset(a->tok[i].secret, 0, strlen(a->tok[i].secret));
			free(a->tok[i].secret);
		}
	free(a->tok);
	free(a->operands);
	memset(a, 0, sizeof(*a));
}

int cli_args_parse(enum cli_cmd cmd, int argc, char **argv, struct cli_args *a,
		   char *err, size_t errlen)
{
	const struct cli_cmddef *c = cli_cmd_def(cmd);
	struct scan s = {cmd, NULL, 0, NULL, 0, err, errlen, 0};
	size_t k, ntok_max = 1;
	int rc, i;

	memset(a, 0, sizeof(*a));
	/* A token per option: "-v46" holds three in one argument. */
	for (i = 1; i < argc; i++)
		ntok_max += strlen(argv[i]);
	s.tok = calloc(ntok_max, sizeof(*s.tok));
	if (c && (c->flags & CLI_CF_OPERANDS))
		s.operands = calloc((size_t)argc + 1, sizeof(*s.operands));
	if (!s.tok || (c && (c->flags & CLI_CF_OPERANDS) && !s.operands)) {
		free(s.tok);
		free(s.operands);
		return fail(err, errlen, "out of memory");
	}
	/* Before anything else, so no file read can keep a password in
	 * /proc/PID/cmdline. */
	rc = scan_argv(&s, argc, argv);
	a->tok = s.tok;
	a->ntok = s.ntok;
	a->operands = s.operands;
	a->noperands = s.noperands;
	for (k = 0; k < s.ntok; k++)
		if (s.tok[k].d->flags & CLI_OF_HELP) {
			cli_usage(stdout, cmd);
			rc = -1;
			break;
		}
	/* Each value against its row's kind and range; a SPEC's form is
	 * the command's to check. */
	for (k = 0; !rc && k < s.ntok; k++) {
		struct cli_tok *t = &s.tok[k];

		if (t->d->arg != CLI_ARG_NONE &&
		    t->d->arg != CLI_ARG_OPTIONAL && !t->value)
			rc = fail(err, errlen, "option '%s' needs a value",
				  t->d->name);
		else
			rc = parse_value(t->d, t->value, &t->v, err, errlen);
	}
	if (rc)
		cli_args_free(a);
	return rc;
}

enum cli_color cli_color_choice(const char *v, size_t choice)
{
	/* color_choice()'s order: auto, always, never; bare: always */
	return !v || choice == 1 ? CLI_COLOR_ALWAYS
	       : choice == 2	 ? CLI_COLOR_NEVER
				 : CLI_COLOR_AUTO;
}

static void opts_defaults(struct cli_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->port = 3306;
	o->concurrency = 1;
	o->color = CLI_COLOR_AUTO;
	o->repeat = 2;
	o->ssl_mode = PROBE_SSL_PREFERRED;
}

/* The user and password of --audit-defaults-file's [client] groups. */
static int audit_option(void *ctx, const char *file, unsigned line,
			const char *key, const char *value, char *err,
			size_t errlen)
{
	struct cli_opts *o = ctx;

	(void)file;
	(void)line;
	(void)err;
	(void)errlen;
	if (!strcmp(key, "user") && value)
		set_str(&o->audit_user, value);
	else if (!strcmp(key, "password"))
		set_str(&o->audit_password, value ? value : "");
	return 0;
}

/* Reads the audit's account from --audit-defaults-file: a file that
 * names no user is a usage error (the audit would log in as nobody). */
static int read_audit_account(struct cli_opts *o, char *err, size_t errlen)
{
	static const char *const groups[] = {"client", "client-server",
					     "client-mariadb", NULL};

	if (!o->audit_defaults_file)
		return 0;
	if (cd_optfile_read(o->audit_defaults_file, groups, 1, audit_option, o,
			    err, errlen) < 0)
		return CD_EXIT_USAGE;
	if (!o->audit_user)
		return fail(err, errlen,
			    "--audit-defaults-file %s: no user in "
			    "its [client] group",
			    o->audit_defaults_file);
	return 0;
}

int cli_parse(enum cli_cmd cmd, int argc, char **argv, struct cli_opts *o,
	      char *err, size_t errlen)
{
	struct cli_args s;
	const char *defaults_file = NULL, *extra = NULL;
	int no_defaults = 0, rc = 0, warned = 0;
	size_t k;

	opts_defaults(o);
	rc = cli_args_parse(cmd, argc, argv, &s, err, errlen);
	if (rc)
		return rc;

	/* Option file selection first: it decides what the files say. */
	for (k = 0; k < s.ntok; k++) {
		if (s.tok[k].d->id == CLI_O_DEFAULTS_FILE)
			defaults_file = s.tok[k].value;
		else if (s.tok[k].d->id == CLI_O_DEFAULTS_EXTRA_FILE)
			extra = s.tok[k].value;
		else if (s.tok[k].d->id == CLI_O_NO_DEFAULTS)
			no_defaults = 1;
	}
	rc = read_option_files(o, cmd, defaults_file, extra, no_defaults, err,
			       errlen);
	if (rc)
		goto out;
	apply_env(o, cmd);
	for (k = 0; k < s.ntok; k++) {
		const struct cli_tok *t = &s.tok[k];

		rc = apply(o, t->d, t->value, SRC_ARGV, err, errlen);
		if (rc)
			goto out;
		if (t->secret && !warned++)
			fputs("conndoctor: warning: a password on the command "
			      "line can be seen by other users before it is "
			      "wiped; prefer -p alone, MYSQL_PWD or an option "
			      "file\n",
			      stderr);
	}
	if (o->prompt_password) {
		rc = prompt_password(o, err, errlen);
		if (rc)
			goto out;
	}
	rc = read_audit_account(o, err, errlen);
	if (rc)
		goto out;
	if (o->ping && o->query)
		rc = fail(err, errlen, "--ping and --query exclude each other");
	else if (o->json && o->nagios)
		rc = fail(err, errlen,
			  "--json and --nagios exclude each other");
out:
	cli_args_free(&s);
	return rc;
}

int cli_wants_nagios(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		size_t len = strlen(argv[i]);

		if (!strcmp(argv[i], "--"))
			break;
		/* "--nagios" or an unambiguous prefix of it, as parsed. */
		if (len >= 4 && len <= 8 && !strncmp(argv[i], "--nagios", len))
			return 1;
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
	for (unsigned i = 0; i < o->nqattrs; i++)
		free(o->qattrs[i]);
	free(o->ssl_ca);
	free(o->server_key_path);
	free(o->address);
	free(o->mysqld);
	free(o->hosts_allow);
	free(o->hosts_deny);
	free(o->error_log);
	if (o->audit_password)
		memset(o->audit_password, 0, strlen(o->audit_password));
	free(o->audit_defaults_file);
	free(o->audit_user);
	free(o->audit_password);
	free(o->html);
	memset(o, 0, sizeof(*o));
}
