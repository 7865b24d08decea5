/* cmd_watch.c - `conndoctor watch`: reads the config (or the quick form's
 * flags) and --web-config, then hands them to the daemon (watch/daemon.c),
 * which probes each target every interval and serves /metrics and /probe
 * from one epoll loop. Its options are rows of the option table
 * (opttab.c). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/fileio.h"
#include "watch/watch.h"

/* The quick form's options go to the target as config keys would. */
static const char *quick_key(enum cli_opt id)
{
	switch (id) {
	case CLI_O_HOST:
		return "host";
	case CLI_O_PORT:
		return "port";
	case CLI_O_SOCKET:
		return "socket";
	case CLI_O_USER:
		return "user";
	case CLI_O_PASSWORD_FILE:
		return "password-file";
	case CLI_O_INTERVAL:
		return "interval";
	case CLI_O_TIMEOUT:
		return "timeout";
	case CLI_O_QUERY:
		return "query";
	case CLI_O_SSL_MODE:
		return "ssl-mode";
	case CLI_O_SSL_CA:
		return "ssl-ca";
	default:
		return NULL;
	}
}

/* The quick form's one target from its options (and MYSQL_PWD) into c. */
static int quick_target(struct watch_config *c, struct watch_target *quick,
			char *err, size_t errlen)
{
	const char *pw = getenv("MYSQL_PWD");
	char why[384];

	if (!quick->host && !quick->socket) {
		cd_errf(err, errlen,
			"nothing to watch: --config FILE, or -h HOST / -S "
			"SOCKET with -u USER");
		return -1;
	}
	if (!quick->password && pw &&
	    watch_target_set(quick, "password", pw, why, sizeof(why)) < 0) {
		cd_errf(err, errlen, "%s", why);
		return -1;
	}
	snprintf(quick->name, sizeof(quick->name), "%s",
		 quick->host ? quick->host : "socket");
	if (watch_config_add(c, quick) < 0) {
		cd_errf(err, errlen, "out of memory");
		return -1;
	}
	memset(quick, 0, sizeof(*quick)); /* c owns it now */
	return watch_config_finish(c, err, errlen);
}

/* Parses argv by the option table into c and o (web config file in
 * *web). Returns 0, -1 after --help, or CD_EXIT_USAGE. */
static int parse(int argc, char **argv, struct watch_config *c,
		 struct watch_opts *o, const char **web, char *err,
		 size_t errlen)
{
	struct watch_target quick;
	struct cli_args a;
	const char *config = NULL, *listen = NULL, *key;
	char why[384];
	int nquick = 0, rc;
	size_t k;

	memset(&quick, 0, sizeof(quick));
	rc = cli_args_parse(CLI_CMD_WATCH, argc, argv, &a, err, errlen);
	if (rc)
		return rc;
	rc = CD_EXIT_USAGE;
	for (k = 0; k < a.ntok; k++) {
		const struct cli_tok *t = &a.tok[k];

		switch (t->d->id) {
		case CLI_O_CONFIG:
			config = t->value;
			continue;
		case CLI_O_LISTEN:
			listen = t->value;
			continue;
		case CLI_O_WEB_CONFIG:
			*web = t->value; /* argv outlives a */
			continue;
		case CLI_O_MAX_IN_FLIGHT:
			o->max_in_flight = (unsigned)t->v.u;
			continue;
		default:
			break;
		}
		key = quick_key(t->d->id);
		if (key && watch_target_set(&quick, key, t->value, why,
					    sizeof(why)) < 0) {
			cd_errf(err, errlen, "%s", why);
			goto out;
		}
		nquick += key != NULL;
	}
	if (config && nquick) {
		cd_errf(err, errlen,
			"--config and the quick form's target options do not "
			"mix");
		goto out;
	}
	if (config ? watch_config_load(c, config, err, errlen) < 0
		   : quick_target(c, &quick, err, errlen) < 0)
		goto out;
	if (listen) {
		if (strlen(listen) >= sizeof(c->listen)) {
			cd_errf(err, errlen, "--listen: too long");
			goto out;
		}
		snprintf(c->listen, sizeof(c->listen), "%s", listen);
		c->listen_cli = 1;
	}
	rc = 0;
out:
	cli_args_free(&a);
	watch_target_free(&quick);
	return rc;
}

int cmd_watch(int argc, char **argv)
{
	struct watch_config c;
	struct watch_opts o;
	struct watch_web web;
	const char *webfile = NULL;
	sigset_t ss, old;
	char err[512];
	int rc;

	/* Blocked from the start and read by the daemon's signalfd: a
	 * SIGTERM while the config loads still ends cleanly. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, &old);
	signal(SIGPIPE, SIG_IGN);
	watch_config_init(&c);
	memset(&o, 0, sizeof(o));
	memset(&web, 0, sizeof(web));
	rc = parse(argc, argv, &c, &o, &webfile, err, sizeof(err));
	if (!rc && webfile && watch_web_load(&web, webfile, err, sizeof(err)))
		rc = CD_EXIT_USAGE;
	if (rc) {
		if (rc > 0)
			fprintf(stderr, "conndoctor watch: %s\n", err);
		rc = rc < 0 ? CD_EXIT_OK : rc;
		goto out;
	}
	o.web = webfile ? &web : NULL;
	o.web_file = webfile;
	rc = watch_daemon_run(&c, &o) == 0 ? CD_EXIT_OK : CD_EXIT_UNAVAILABLE;
out:
	watch_web_free(&web);
	watch_config_free(&c);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
