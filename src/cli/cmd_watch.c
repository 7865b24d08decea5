/* cmd_watch.c - `conndoctor watch`: reads the config (or the quick form's
 * flags) and --web-config, then hands them to the daemon (watch/daemon.c),
 * which probes each target every interval and serves /metrics and /probe
 * from one epoll loop. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/fileio.h"
#include "watch/watch.h"

static void usage(FILE *out)
{
	fputs("usage: conndoctor watch --config FILE [--listen ADDR:PORT]\n"
	      "       conndoctor watch -h HOST|-S SOCKET -u USER "
	      "[--interval S] [options]\n"
	      "\n"
	      "Probes targets continuously (login, query, COM_QUIT every "
	      "interval,\n"
	      "jittered by +-10%) and serves Prometheus metrics on /metrics.\n"
	      "\n"
	      "  --config FILE        [watch] defaults and [target NAME] "
	      "groups\n"
	      "                       (docs/watch.md)\n"
	      "  --listen ADDR:PORT   where to serve HTTP (default "
	      "127.0.0.1:9979)\n"
	      "  --web-config FILE    TLS and basic auth (Prometheus "
	      "exporter-toolkit\n"
	      "                       format: tls_server_config, "
	      "basic_auth_users)\n"
	      "  --max-in-flight N    attempts in flight at most (default: "
	      "one per\n"
	      "                       address and socket, at most 256)\n"
	      "quick form, one target named after the host (or \"socket\"):\n"
	      "  -h, --host HOST      probe over TCP (never the socket)\n"
	      "  -P, --port PORT      default 3306\n"
	      "  -S, --socket PATH    probe the Unix socket\n"
	      "  -u, --user USER\n"
	      "  --password-file FILE the password's first line (not readable "
	      "by\n"
	      "                       others); else MYSQL_PWD\n"
	      "  --interval S         seconds between attempts (default 30)\n"
	      "  --timeout S          bound on each phase (default 10, below "
	      "the\n"
	      "                       interval)\n"
	      "  --query SQL          default SELECT 1\n"
	      "  --ssl-mode MODE      DISABLED, PREFERRED (default), REQUIRED, "
	      "...\n"
	      "  --ssl-ca FILE\n",
	      out);
}

enum {
	OPT_CONFIG = 256,
	OPT_LISTEN,
	OPT_WEB_CONFIG,
	OPT_MAX_IN_FLIGHT,
	OPT_PWFILE,
	OPT_INTERVAL,
	OPT_TIMEOUT,
	OPT_QUERY,
	OPT_SSL_MODE,
	OPT_SSL_CA,
	OPT_HELP
};

/* The quick form's flags go to the target as config keys would. */
static const char *quick_key(int opt)
{
	switch (opt) {
	case 'h':
		return "host";
	case 'P':
		return "port";
	case 'S':
		return "socket";
	case 'u':
		return "user";
	case OPT_PWFILE:
		return "password-file";
	case OPT_INTERVAL:
		return "interval";
	case OPT_TIMEOUT:
		return "timeout";
	case OPT_QUERY:
		return "query";
	case OPT_SSL_MODE:
		return "ssl-mode";
	case OPT_SSL_CA:
		return "ssl-ca";
	default:
		return NULL;
	}
}

/* Parses argv into c and o (web config file in *web). Returns 0, -1
 * after --help, or CD_EXIT_USAGE. */
static int parse(int argc, char **argv, struct watch_config *c,
		 struct watch_opts *o, const char **web, char *err,
		 size_t errlen)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, OPT_CONFIG},
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"web-config", required_argument, NULL, OPT_WEB_CONFIG},
		{"max-in-flight", required_argument, NULL, OPT_MAX_IN_FLIGHT},
		{"host", required_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'P'},
		{"socket", required_argument, NULL, 'S'},
		{"user", required_argument, NULL, 'u'},
		{"password-file", required_argument, NULL, OPT_PWFILE},
		{"interval", required_argument, NULL, OPT_INTERVAL},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"query", required_argument, NULL, OPT_QUERY},
		{"ssl-mode", required_argument, NULL, OPT_SSL_MODE},
		{"ssl-ca", required_argument, NULL, OPT_SSL_CA},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0}};
	struct watch_target quick;
	const char *config = NULL, *listen = NULL, *pw;
	char why[384];
	int opt, nquick = 0, rc = CD_EXIT_USAGE;

	memset(&quick, 0, sizeof(quick));
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h:P:S:u:", longopts, NULL)) !=
	       -1) {
		if (opt == OPT_HELP) {
			usage(stdout);
			rc = -1;
			goto out;
		}
		if (opt == '?' || opt == ':') {
			cd_errf(err, errlen, "%s '%s' (see --help)",
				opt == ':' ? "a value is needed for"
					   : "unknown option",
				argv[optind - 1]);
			goto out;
		}
		if (opt == OPT_CONFIG) {
			config = optarg;
			continue;
		}
		if (opt == OPT_LISTEN) {
			listen = optarg;
			continue;
		}
		if (opt == OPT_WEB_CONFIG) {
			*web = optarg;
			continue;
		}
		if (opt == OPT_MAX_IN_FLIGHT) {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);

			if (*end || end == optarg || n < 1 || n > 65536) {
				cd_errf(err, errlen,
					"--max-in-flight: want 1-65536");
				goto out;
			}
			o->max_in_flight = (unsigned)n;
			continue;
		}
		if (watch_target_set(&quick, quick_key(opt), optarg, why,
				     sizeof(why)) < 0) {
			cd_errf(err, errlen, "%s", why);
			goto out;
		}
		nquick++;
	}
	if (optind < argc) {
		cd_errf(err, errlen, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (config && nquick) {
		cd_errf(err, errlen,
			"--config and the quick form's target options do not "
			"mix");
		goto out;
	}
	if (config) {
		if (watch_config_load(c, config, err, errlen) < 0)
			goto out;
	} else {
		if (!quick.host && !quick.socket) {
			cd_errf(err, errlen,
				"nothing to watch: --config FILE, or -h HOST "
				"/ -S SOCKET with -u USER");
			goto out;
		}
		pw = getenv("MYSQL_PWD");
		if (!quick.password && pw &&
		    watch_target_set(&quick, "password", pw, why, sizeof(why)) <
			    0) {
			cd_errf(err, errlen, "%s", why);
			goto out;
		}
		snprintf(quick.name, sizeof(quick.name), "%s",
			 quick.host ? quick.host : "socket");
		if (watch_config_add(c, &quick) < 0) {
			cd_errf(err, errlen, "out of memory");
			goto out;
		}
		memset(&quick, 0, sizeof(quick)); /* c owns it now */
		if (watch_config_finish(c, err, errlen) < 0)
			goto out;
	}
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
	rc = watch_daemon_run(&c, &o) == 0 ? CD_EXIT_OK : CD_EXIT_UNAVAILABLE;
out:
	watch_web_free(&web);
	watch_config_free(&c);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
