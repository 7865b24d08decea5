/* config.c - watch's configuration file: the my.cnf syntax of
 * cli/optfile.c with a [watch] group of defaults, one [target NAME]
 * group per target and a [module NAME] group per /probe module
 * (docs/watch.md). Unknown keys and bad values are
 * refused with file, line and reason; values of passwords never appear in
 * messages. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/optfile.h"
#include "util/fileio.h"
#include "util/vec.h"
#include "watch/watch.h"

#define PASSWORD_MAX 1024
#define VALUE_MAX    4096
#define DAY_S	     86400.0

enum key {
	K_HOST,
	K_PORT,
	K_SOCKET,
	K_USER,
	K_PASSWORD,
	K_PASSWORD_FILE,
	K_SSL_MODE,
	K_SSL_CA,
	K_INTERVAL,
	K_TIMEOUT,
	K_QUERY,
	K_IDLE_SURVIVAL,
	K_REPLICA,
	K_SOCKET_BESIDE,
	K_IDLE_CHECK,
	K_HOST_CACHE,
	K__COUNT
};

static const char *const key_names[K__COUNT] = {
	"host",	    "port",	     "socket",	   "user",
	"password", "password-file", "ssl-mode",   "ssl-ca",
	"interval", "timeout",	     "query",	   "idle-survival",
	"replica",  "socket-beside", "idle-check", "host-cache"};

/* Label names the exporter uses itself, or Prometheus reserves. */
static const char *const reserved_labels[] = {"target", "transport", "outcome",
					      "phase",	"le",	     "instance",
					      "job",	"version",   NULL};

#define DEFAULT_INTERVAL_S 30.0
#define DEFAULT_TIMEOUT_S  10.0
/* How long an idle session is held before it is checked and reopened. */
#define DEFAULT_IDLE_CHECK_S 3600.0
/* How often host-cache = on reads the server's host cache. */
#define DEFAULT_HOST_CACHE_S 60.0

void watch_config_init(struct watch_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "%s", WATCH_DEFAULT_LISTEN);
}

static void wipe(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void watch_target_free(struct watch_target *t)
{
	free(t->host);
	free(t->socket);
	free(t->user);
	wipe(t->password);
	free(t->password_file);
	free(t->ssl_ca);
	free(t->query);
	free(t->beside_path);
	memset(t, 0, sizeof(*t));
}

void watch_config_free(struct watch_config *c)
{
	size_t i;

	for (i = 0; i < c->ntargets; i++)
		watch_target_free(&c->targets[i]);
	free(c->targets);
	for (i = 0; i < c->nmodules; i++)
		free(c->modules[i].query);
	free(c->modules);
	watch_target_free(&c->defaults);
	free(c->file);
	memset(c, 0, sizeof(*c));
}

int watch_parse_seconds(const char *v, double *out)
{
	char *end;
	double s;

	if (!v || !*v || isspace((unsigned char)*v))
		return -1;
	errno = 0;
	s = strtod(v, &end);
	if (errno || end == v || !isfinite(s))
		return -1;
	if (!strcmp(end, "ms"))
		s /= 1000.0;
	else if (!strcmp(end, "m"))
		s *= 60.0;
	else if (*end && strcmp(end, "s"))
		return -1;
	if (!(s > 0) || s > DAY_S)
		return -1;
	*out = s;
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	static const char *const yes[] = {"on", "1", "true", "yes", NULL};
	static const char *const no[] = {"off", "0", "false", "no", NULL};
	int i;

	for (i = 0; yes[i]; i++)
		if (!strcasecmp(v, yes[i])) {
			*out = 1;
			return 0;
		}
	for (i = 0; no[i]; i++)
		if (!strcasecmp(v, no[i])) {
			*out = 0;
			return 0;
		}
	return -1;
}

static int parse_ssl_mode(const char *v, enum probe_ssl_mode *out)
{
	static const char *const names[] = {"DISABLED", "PREFERRED", "REQUIRED",
					    "VERIFY_CA", "VERIFY_IDENTITY"};
	unsigned i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(v, names[i])) {
			*out = (enum probe_ssl_mode)i;
			return 0;
		}
	return -1;
}

/* A Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, no leading "__") that
 * the exporter does not use itself. */
static int label_key_ok(const char *k)
{
	const char *p;
	int i;

	if (!*k || strlen(k) >= WATCH_LABEL_KEYMAX ||
	    isdigit((unsigned char)*k))
		return 0;
	if (!strncmp(k, "__", 2))
		return 0;
	for (p = k; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return 0;
	for (i = 0; reserved_labels[i]; i++)
		if (!strcmp(k, reserved_labels[i]))
			return 0;
	return 1;
}

/* Reads the first line of a password file that only its owner (and group)
 * may read: a file anyone can read is refused, as ssh refuses a key. */
static int read_password_file(const char *path, char **out, char *err,
			      size_t errlen)
{
	struct stat st;
	char buf[PASSWORD_MAX + 2];
	ssize_t n;
	size_t len;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		cd_errf(err, errlen, "password-file %s: %s", path,
			strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		cd_errf(err, errlen, "password-file %s: %s", path,
			strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		cd_errf(err, errlen, "password-file %s: not a regular file",
			path);
		goto out;
	}
	if (st.st_mode & S_IROTH) {
		cd_errf(err, errlen,
			"password-file %s: readable by every user (mode %04o); "
			"chmod o-r it",
			path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		cd_errf(err, errlen, "password-file %s: %s", path,
			strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	len = strcspn(buf, "\r\n");
	if (len > PASSWORD_MAX) {
		cd_errf(err, errlen, "password-file %s: first line too long",
			path);
		goto out;
	}
	if (len == 0) {
		cd_errf(err, errlen, "password-file %s: empty first line",
			path);
		goto out;
	}
	buf[len] = '\0';
	*out = strdup(buf);
	if (!*out) {
		cd_errf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

static int set_str(char **field, const char *v, char *err, size_t errlen)
{
	char *dup = strdup(v);

	if (!dup) {
		cd_errf(err, errlen, "out of memory");
		return -1;
	}
	free(*field);
	*field = dup;
	return 0;
}

static int set_label(struct watch_target *t, const char *k, const char *v,
		     char *err, size_t errlen)
{
	unsigned i;

	if (!label_key_ok(k)) {
		cd_errf(err, errlen,
			"label.%s: not a label name of our own "
			"([a-zA-Z_][a-zA-Z0-9_]*, not reserved)",
			k);
		return -1;
	}
	if (strlen(v) >= WATCH_LABEL_VALMAX) {
		cd_errf(err, errlen, "label.%s: value longer than %d bytes", k,
			WATCH_LABEL_VALMAX - 1);
		return -1;
	}
	for (i = 0; i < t->nlabels; i++)
		if (!strcmp(t->labels[i].key, k))
			break;
	if (i == t->nlabels) {
		if (t->nlabels == WATCH_LABELS_MAX) {
			cd_errf(err, errlen, "more than %d labels",
				WATCH_LABELS_MAX);
			return -1;
		}
		t->nlabels++;
	}
	snprintf(t->labels[i].key, sizeof(t->labels[i].key), "%s", k);
	snprintf(t->labels[i].value, sizeof(t->labels[i].value), "%s", v);
	return 0;
}

/* The value's setter for key k; value is non-NULL and bounded. */
static int set_key(struct watch_target *t, enum key k, const char *v, char *err,
		   size_t errlen)
{
	const char *name = key_names[k];
	char *end;
	unsigned long n;

	switch (k) {
	case K_HOST:
	case K_SOCKET:
	case K_USER:
	case K_SSL_CA:
	case K_QUERY:
		if (!*v) {
			cd_errf(err, errlen, "%s: empty value", name);
			return -1;
		}
		return set_str(k == K_HOST     ? &t->host
			       : k == K_SOCKET ? &t->socket
			       : k == K_USER   ? &t->user
			       : k == K_SSL_CA ? &t->ssl_ca
					       : &t->query,
			       v, err, errlen);
	case K_PORT:
		errno = 0;
		n = strtoul(v, &end, 10);
		if (errno || end == v || *end || !isdigit((unsigned char)*v) ||
		    n < 1 || n > 65535) {
			cd_errf(err, errlen,
				"port: '%s' is not a port number (1-65535)", v);
			return -1;
		}
		t->port = (unsigned)n;
		return 0;
	case K_PASSWORD:
		wipe(t->password);
		t->password = strdup(v);
		if (!t->password) {
			cd_errf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	case K_PASSWORD_FILE: {
		char *pw = NULL;

		if (!*v) {
			cd_errf(err, errlen, "password-file: empty value");
			return -1;
		}
		if (read_password_file(v, &pw, err, errlen) < 0)
			return -1;
		if (set_str(&t->password_file, v, err, errlen) < 0) {
			wipe(pw);
			return -1;
		}
		wipe(t->password);
		t->password = pw;
		return 0;
	}
	case K_SSL_MODE:
		if (parse_ssl_mode(v, &t->ssl_mode) < 0) {
			cd_errf(err, errlen,
				"ssl-mode: '%s' is not one of DISABLED, "
				"PREFERRED, REQUIRED, VERIFY_CA, "
				"VERIFY_IDENTITY",
				v);
			return -1;
		}
		return 0;
	case K_INTERVAL:
	case K_TIMEOUT:
	case K_IDLE_CHECK:
		if (watch_parse_seconds(v, k == K_INTERVAL ? &t->interval_s
					   : k == K_TIMEOUT
						   ? &t->timeout_s
						   : &t->idle_check_s)) {
			cd_errf(err, errlen,
				"%s: '%s' is not a duration (e.g. 10, 10s, "
				"500ms, 2m; at most a day)",
				name, v);
			return -1;
		}
		return 0;
	case K_SOCKET_BESIDE:
		if (v && v[0] == '/') { /* a path: that socket, if owned */
			t->socket_beside = 1;
			return set_str(&t->beside_path, v, err, errlen);
		}
		free(t->beside_path);
		t->beside_path = NULL;
		/* fall through */
	case K_HOST_CACHE:
		t->host_cache_s = DEFAULT_HOST_CACHE_S;
		if (!parse_bool(v, &t->host_cache))
			return 0;
		if (!watch_parse_seconds(v, &t->host_cache_s)) {
			t->host_cache = 1;
			return 0;
		}
		cd_errf(err, errlen,
			"host-cache: '%s' is not on, off or how often (e.g. "
			"1m, 30s; at most a day)",
			v);
		return -1;
	case K_IDLE_SURVIVAL:
	case K_REPLICA:
		if (parse_bool(v, k == K_REPLICA	 ? &t->replica
				  : k == K_SOCKET_BESIDE ? &t->socket_beside
							 : &t->idle_survival)) {
			cd_errf(err, errlen, "%s: '%s' is not on or off%s",
				name, v,
				k == K_SOCKET_BESIDE ? " (or a /path)" : "");
			return -1;
		}
		return 0;
	case K__COUNT:
		break;
	}
	return -1;
}

int watch_target_set(struct watch_target *t, const char *key, const char *value,
		     char *err, size_t errlen)
{
	char norm[64];
	size_t i;

	if (!strncmp(key, "label.", 6)) {
		if (!value) {
			cd_errf(err, errlen, "%s needs a value", key);
			return -1;
		}
		return set_label(t, key + 6, value, err, errlen);
	}
	if (strlen(key) >= sizeof(norm)) {
		cd_errf(err, errlen, "unknown key '%.40s...'", key);
		return -1;
	}
	for (i = 0; key[i]; i++)
		norm[i] = key[i] == '_' ? '-' : key[i];
	norm[i] = '\0';
	for (i = 0; i < K__COUNT; i++)
		if (!strcmp(norm, key_names[i]))
			break;
	if (i == K__COUNT) {
		cd_errf(err, errlen, "unknown key '%s'", norm);
		return -1;
	}
	if (!value) {
		cd_errf(err, errlen, "%s needs a value", norm);
		return -1;
	}
	if (strlen(value) >= VALUE_MAX) {
		cd_errf(err, errlen, "%s: value too long", norm);
		return -1;
	}
	if (set_key(t, (enum key)i, value, err, errlen) < 0)
		return -1;
	t->isset |= 1u << i;
	return 0;
}

unsigned watch_module_builtin(const char *name)
{
	if (!name || !*name || !strcmp(name, "all"))
		return 1u << CD_TCP | 1u << CD_SOCKET;
	if (!strcmp(name, "tcp"))
		return 1u << CD_TCP;
	if (!strcmp(name, "socket"))
		return 1u << CD_SOCKET;
	return 0;
}

int watch_module_set(struct watch_module *m, const char *key, const char *value,
		     char *err, size_t errlen)
{
	char norm[32];
	size_t i;

	for (i = 0; key[i] && i < sizeof(norm) - 1; i++)
		norm[i] = key[i] == '_' ? '-' : key[i];
	norm[i] = '\0';
	if (key[i] || (strcmp(norm, "transport") && strcmp(norm, "query") &&
		       strcmp(norm, "timeout") && strcmp(norm, "ssl-mode"))) {
		cd_errf(err, errlen,
			"unknown key '%.40s' in [module %s] (transport, "
			"query, timeout, ssl-mode)",
			key, m->name);
		return -1;
	}
	if (!value || !*value || strlen(value) >= VALUE_MAX) {
		cd_errf(err, errlen, "%s needs a value", norm);
		return -1;
	}
	if (!strcmp(norm, "transport")) {
		m->transports = watch_module_builtin(value);
		if (!m->transports) {
			cd_errf(err, errlen,
				"transport: '%s' is not all, tcp or socket",
				value);
			return -1;
		}
		return 0;
	}
	if (!strcmp(norm, "query"))
		return set_str(&m->query, value, err, errlen);
	if (!strcmp(norm, "timeout")) {
		if (watch_parse_seconds(value, &m->timeout_s) < 0) {
			cd_errf(err, errlen,
				"timeout: '%s' is not a duration (e.g. 10, "
				"10s, 500ms, 2m; at most a day)",
				value);
			return -1;
		}
		return 0;
	}
	if (parse_ssl_mode(value, &m->ssl_mode) < 0) {
		cd_errf(err, errlen,
			"ssl-mode: '%s' is not one of DISABLED, PREFERRED, "
			"REQUIRED, VERIFY_CA, VERIFY_IDENTITY",
			value);
		return -1;
	}
	m->ssl_mode_set = 1;
	return 0;
}

int watch_config_add(struct watch_config *c, const struct watch_target *t)
{
	struct watch_target *nt;

	nt = cd_vec_grow(c->targets, sizeof(*nt), c->ntargets + 1,
			 &c->targets_cap, WATCH_TARGETS_MAX, 8);
	if (!nt)
		return -1;
	c->targets = nt;
	c->targets[c->ntargets++] = *t;
	return 0;
}

/* What the reader is in: before any group, [watch], or a target. */
struct loader {
	struct watch_config *c;
	struct watch_target *cur; /* NULL: not in a group of ours */
	struct watch_module *mod; /* in [module NAME] */
	size_t modules_cap;
	int in_watch;
};

static int name_ok(const char *n)
{
	const char *p;

	if (!*n || strlen(n) >= WATCH_NAME_MAX)
		return 0;
	for (p = n; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
			return 0;
	return 1;
}

/* [module NAME]: a /probe module; name after "module". */
static int on_module(struct loader *l, const char *file, unsigned line,
		     const char *name, char *err, size_t errlen)
{
	struct watch_config *c = l->c;
	struct watch_module *nm;
	size_t i;

	while (isspace((unsigned char)*name))
		name++;
	if (!name_ok(name)) {
		cd_errf(err, errlen,
			"%s:%u: module name '%s' must be 1-%d letters, digits, "
			"'.', '_' or '-'",
			file, line, name, WATCH_NAME_MAX - 1);
		return -1;
	}
	if (watch_module_builtin(name)) {
		cd_errf(err, errlen,
			"%s:%u: [module %s]: all, tcp and socket are built in",
			file, line, name);
		return -1;
	}
	for (i = 0; i < c->nmodules; i++)
		if (!strcmp(c->modules[i].name, name)) {
			cd_errf(err, errlen,
				"%s:%u: [module %s] defined twice (first at "
				"line %u)",
				file, line, name, c->modules[i].line);
			return -1;
		}
	nm = cd_vec_grow(c->modules, sizeof(*nm), c->nmodules + 1,
			 &l->modules_cap, WATCH_MODULES_MAX, 4);
	if (!nm) {
		cd_errf(err, errlen, "%s:%u: more than %d modules", file, line,
			WATCH_MODULES_MAX);
		return -1;
	}
	c->modules = nm;
	l->mod = &c->modules[c->nmodules++];
	memset(l->mod, 0, sizeof(*l->mod));
	snprintf(l->mod->name, sizeof(l->mod->name), "%s", name);
	l->mod->transports = watch_module_builtin("all");
	l->mod->line = line;
	return 0;
}

static int on_group(struct loader *l, const char *file, unsigned line,
		    const char *group, char *err, size_t errlen)
{
	struct watch_target t;
	const char *name;
	size_t i;

	l->cur = NULL;
	l->mod = NULL;
	l->in_watch = 0;
	if (!strcmp(group, "watch")) {
		l->in_watch = 1;
		l->cur = &l->c->defaults;
		return 0;
	}
	if (!strncmp(group, "module", 6) && isspace((unsigned char)group[6]))
		return on_module(l, file, line, group + 6, err, errlen);
	if (strncmp(group, "target", 6) || !isspace((unsigned char)group[6])) {
		cd_errf(err, errlen,
			"%s:%u: unknown group [%s] (only [watch], "
			"[target NAME] and [module NAME])",
			file, line, group);
		return -1;
	}
	name = group + 6;
	while (isspace((unsigned char)*name))
		name++;
	if (!name_ok(name)) {
		cd_errf(err, errlen,
			"%s:%u: target name '%s' must be 1-%d letters, digits, "
			"'.', '_' or '-'",
			file, line, name, WATCH_NAME_MAX - 1);
		return -1;
	}
	for (i = 0; i < l->c->ntargets; i++)
		if (!strcmp(l->c->targets[i].name, name)) {
			cd_errf(err, errlen,
				"%s:%u: [target %s] defined twice (first at "
				"line %u)",
				file, line, name, l->c->targets[i].line);
			return -1;
		}
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "%s", name);
	t.line = line;
	if (watch_config_add(l->c, &t) < 0) {
		cd_errf(err, errlen, "%s:%u: more than %d targets", file, line,
			WATCH_TARGETS_MAX);
		return -1;
	}
	l->cur = &l->c->targets[l->c->ntargets - 1];
	return 0;
}

static int on_option(void *ctx, const char *file, unsigned line,
		     const char *group, const char *key, const char *value,
		     char *err, size_t errlen)
{
	struct loader *l = ctx;
	char why[384];

	if (!key)
		return on_group(l, file, line, group, err, errlen);
	if (!group) {
		cd_errf(err, errlen, "%s:%u: '%s' outside a group", file, line,
			key);
		return -1;
	}
	if (l->in_watch && !strcmp(key, "listen")) {
		if (!value || !*value ||
		    strlen(value) >= sizeof(l->c->listen)) {
			cd_errf(err, errlen, "%s:%u: listen needs ADDR:PORT",
				file, line);
			return -1;
		}
		snprintf(l->c->listen, sizeof(l->c->listen), "%s", value);
		return 0;
	}
	if (l->mod) {
		if (watch_module_set(l->mod, key, value, why, sizeof(why)) <
		    0) {
			cd_errf(err, errlen, "%s:%u: %s", file, line, why);
			return -1;
		}
		return 0;
	}
	if (watch_target_set(l->cur, key, value, why, sizeof(why)) < 0) {
		cd_errf(err, errlen, "%s:%u: %s", file, line, why);
		return -1;
	}
	return 0;
}

static int inherit_str(char **dst, const char *src)
{
	if (*dst || !src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

/* Copies into t what it did not set itself from d ([watch]). */
static int inherit(struct watch_target *t, const struct watch_target *d)
{
	unsigned i, j;

	if (inherit_str(&t->host, d->host) ||
	    inherit_str(&t->socket, d->socket) ||
	    inherit_str(&t->user, d->user) ||
	    inherit_str(&t->ssl_ca, d->ssl_ca) ||
	    inherit_str(&t->query, d->query))
		return -1;
	if (!(t->isset & (1u << K_PASSWORD | 1u << K_PASSWORD_FILE))) {
		if (inherit_str(&t->password, d->password) ||
		    inherit_str(&t->password_file, d->password_file))
			return -1;
	}
	if (!(t->isset & 1u << K_PORT))
		t->port = d->isset & 1u << K_PORT ? d->port : 3306;
	if (!(t->isset & 1u << K_SSL_MODE))
		t->ssl_mode = d->isset & 1u << K_SSL_MODE ? d->ssl_mode
							  : PROBE_SSL_PREFERRED;
	if (!(t->isset & 1u << K_INTERVAL))
		t->interval_s = d->isset & 1u << K_INTERVAL
					? d->interval_s
					: DEFAULT_INTERVAL_S;
	if (!(t->isset & 1u << K_TIMEOUT))
		t->timeout_s = d->isset & 1u << K_TIMEOUT ? d->timeout_s
							  : DEFAULT_TIMEOUT_S;
	if (!(t->isset & 1u << K_IDLE_SURVIVAL))
		t->idle_survival = d->idle_survival;
	if (!(t->isset & 1u << K_IDLE_CHECK))
		t->idle_check_s = d->isset & 1u << K_IDLE_CHECK
					  ? d->idle_check_s
					  : DEFAULT_IDLE_CHECK_S;
	if (!(t->isset & 1u << K_REPLICA))
		t->replica = d->replica;
	if (!(t->isset & 1u << K_HOST_CACHE)) {
		t->host_cache = d->host_cache;
		t->host_cache_s = d->isset & 1u << K_HOST_CACHE
					  ? d->host_cache_s
					  : DEFAULT_HOST_CACHE_S;
	}
	if (!(t->isset & 1u << K_SOCKET_BESIDE)) {
		t->socket_beside =
			d->isset & 1u << K_SOCKET_BESIDE ? d->socket_beside : 1;
		if (inherit_str(&t->beside_path, d->beside_path))
			return -1;
	}
	for (i = 0; i < d->nlabels; i++) {
		for (j = 0; j < t->nlabels; j++)
			if (!strcmp(t->labels[j].key, d->labels[i].key))
				break;
		if (j < t->nlabels)
			continue;
		if (t->nlabels == WATCH_LABELS_MAX)
			return -2;
		t->labels[t->nlabels++] = d->labels[i];
	}
	return 0;
}

int watch_config_finish(struct watch_config *c, char *err, size_t errlen)
{
	const char *file = c->file ? c->file : "command line";
	char where[320];
	size_t i;

	if (c->ntargets == 0) {
		cd_errf(err, errlen, "%s: no [target NAME] group", file);
		return -1;
	}
	for (i = 0; i < c->ntargets; i++) {
		struct watch_target *t = &c->targets[i];
		int rc = inherit(t, &c->defaults);

		if (c->file)
			snprintf(where, sizeof(where), "%s:%u: [target %s]",
				 file, t->line, t->name);
		else
			snprintf(where, sizeof(where), "[target %s]", t->name);

		if (rc) {
			cd_errf(err, errlen,
				rc == -2 ? "%s: more than 16 "
					   "labels with [watch]'s"
					 : "%s: out of memory",
				where);
			return -1;
		}
		if ((t->isset & 1u << K_PASSWORD) &&
		    (t->isset & 1u << K_PASSWORD_FILE)) {
			cd_errf(err, errlen,
				"%s: password and "
				"password-file both set; keep one",
				where);
			return -1;
		}
		if (!t->host && !t->socket) {
			cd_errf(err, errlen, "%s: needs host or socket", where);
			return -1;
		}
		if (!t->user) {
			cd_errf(err, errlen, "%s: needs user", where);
			return -1;
		}
		if (t->timeout_s >= t->interval_s) {
			cd_errf(err, errlen,
				"%s: timeout %gs must be "
				"shorter than interval %gs",
				where, t->timeout_s, t->interval_s);
			return -1;
		}
	}
	return 0;
}

int watch_config_load(struct watch_config *c, const char *path, char *err,
		      size_t errlen)
{
	struct loader l = {c, NULL, NULL, 0, 0};

	free(c->file);
	c->file = strdup(path);
	if (!c->file) {
		cd_errf(err, errlen, "out of memory");
		return -1;
	}
	if (cd_optfile_read_all(path, on_option, &l, err, errlen) < 0)
		return -1;
	return watch_config_finish(c, err, errlen);
}
