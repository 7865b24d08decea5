/* cmd_trace.c - `conndoctor trace`: attaches the eBPF tracer (src/trace/)
 * to this network namespace and its uprobes to mysqld's resolver calls for
 * --duration seconds or until SIGINT/SIGTERM, then prints the summary as
 * text or JSON. Its few options are parsed here
 * with getopt_long, ready to join the common option table. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "trace/trace.h"
#include "trace/trace_report.h"
#include "util/clock.h"

#define TRACE_DEFAULT_PORT 3306
#define TRACE_DEFAULT_S	   30.0
#define TRACE_MIN_S	   0.1
#define TRACE_MAX_S	   86400.0
#define TRACE_POLL_NS	   (200 * CD_NS_PER_MS)

static volatile sig_atomic_t trace_stop;

/* Whose resolver calls to trace: --pid, --comm, else the listener's. */
struct trace_who {
	pid_t pids[TRACE_MAX_PIDS];
	size_t npids;
	const char *comm; /* borrowed from argv */
};

static void on_signal(int sig)
{
	(void)sig;
	trace_stop = 1;
}

static void trace_usage(FILE *out)
{
	fputs("usage: conndoctor trace [--port P]... [--pid PID]... [--comm "
	      "NAME]\n"
	      "                        [--duration S] [--json]\n"
	      "\n"
	      "Reads the kernel's TCP events for the MySQL port(s) in this "
	      "network\n"
	      "namespace with eBPF (state changes, SYN and SYN-ACK "
	      "retransmits with the\n"
	      "accept queue, resets, drops by reason) and "
	      "ListenOverflows/ListenDrops,\n"
	      "and, with uprobes on its libc, the time mysqld spent in "
	      "getnameinfo,\n"
	      "gethostbyaddr[_r], getaddrinfo and gethostbyname[_r] per "
	      "client address,\n"
	      "then prints a summary. Needs root, or CAP_BPF and "
	      "CAP_PERFMON, and a\n"
	      "kernel with BTF. Prints \"ready\" on stderr once attached.\n"
	      "\n"
	      "  -P, --port P      a MySQL port to trace (default 3306; up to "
	      "8, repeat)\n"
	      "  -p, --pid PID     trace this process's name resolution (up "
	      "to 16, repeat;\n"
	      "                    default: the process listening on the "
	      "first port)\n"
	      "  -c, --comm NAME   ... that of every process named NAME (e.g. "
	      "a libwrap\n"
	      "                    front end)\n"
	      "  -d, --duration S  trace S seconds (default 30, 0.1 to "
	      "86400); SIGINT or\n"
	      "                    SIGTERM ends it early\n"
	      "      --json        the summary as JSON\n"
	      "  -?, --help        this text\n"
	      "\n"
	      "Exit status: 0 traced, 64 usage error, 69 eBPF unavailable.\n",
	      out);
}

/* Parses argv into cfg, duration and json; 0, -1 after --help, or
 * CD_EXIT_USAGE with err set. */
static int trace_parse(int argc, char **argv, struct trace_config *cfg,
		       struct trace_who *who, double *duration_s, int *json,
		       char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{"port", required_argument, NULL, 'P'},
		{"pid", required_argument, NULL, 'p'},
		{"comm", required_argument, NULL, 'c'},
		{"duration", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, '?'},
		{NULL, 0, NULL, 0},
	};
	unsigned long port, pid;
	char *end;
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "P:p:c:d:", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'P':
			errno = 0;
			port = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || port < 1 ||
			    port > 65535) {
				snprintf(err, errlen,
					 "--port: '%s' is not a port (1 to "
					 "65535)",
					 optarg);
				return CD_EXIT_USAGE;
			}
			if (cfg->nports >= TRACE_MAX_PORTS) {
				snprintf(err, errlen, "at most %d --port",
					 TRACE_MAX_PORTS);
				return CD_EXIT_USAGE;
			}
			cfg->ports[cfg->nports++] = (uint16_t)port;
			break;
		case 'p':
			errno = 0;
			pid = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || pid < 1 ||
			    pid > 0x3fffffffUL) {
				snprintf(err, errlen,
					 "--pid: '%s' is not a process id",
					 optarg);
				return CD_EXIT_USAGE;
			}
			if (who->npids >= TRACE_MAX_PIDS) {
				snprintf(err, errlen, "at most %d --pid",
					 TRACE_MAX_PIDS);
				return CD_EXIT_USAGE;
			}
			who->pids[who->npids++] = (pid_t)pid;
			break;
		case 'c':
			if (!optarg[0] || strlen(optarg) > 15) {
				snprintf(err, errlen,
					 "--comm: '%s' is not a process name "
					 "(1 to 15 characters)",
					 optarg);
				return CD_EXIT_USAGE;
			}
			who->comm = optarg;
			break;
		case 'd':
			errno = 0;
			*duration_s = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(*duration_s >= TRACE_MIN_S &&
			      *duration_s <= TRACE_MAX_S)) {
				snprintf(err, errlen,
					 "--duration: '%s' is not a number "
					 "of seconds from 0.1 to 86400",
					 optarg);
				return CD_EXIT_USAGE;
			}
			break;
		case 'j':
			*json = 1;
			break;
		case '?':
			if (optopt) {
				snprintf(err, errlen,
					 "option '-%c' needs a value or is "
					 "unknown",
					 optopt);
				return CD_EXIT_USAGE;
			}
			if (strcmp(argv[optind - 1], "--help") &&
			    strcmp(argv[optind - 1], "-?")) {
				snprintf(err, errlen, "unknown option '%s'",
					 argv[optind - 1]);
				return CD_EXIT_USAGE;
			}
			trace_usage(stdout);
			return -1;
		default:
			snprintf(err, errlen, "unknown option");
			return CD_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return CD_EXIT_USAGE;
	}
	if (!cfg->nports)
		cfg->ports[cfg->nports++] = TRACE_DEFAULT_PORT;
	return 0;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / CD_NS_PER_S),
			      .tv_nsec = (long)(ns % CD_NS_PER_S)};

	nanosleep(&ts, NULL); /* EINTR: a signal ends the wait early */
}

/* The uprobes on the chosen processes' resolver calls; NULL with why set
 * when there is nothing to trace or they cannot attach (the TCP part goes
 * on without them). */
static struct trace_resolver *resolve_open(const struct trace_config *cfg,
					   struct trace_who *who, char *why,
					   size_t whylen)
{
	struct trace_resolver *rt = NULL;
	size_t n = 0;
	int rc = 0;

	if (who->comm) {
		rc = trace_find_by_comm(who->comm, who->pids + who->npids, &n,
					why, whylen);
		if (n > TRACE_MAX_PIDS - who->npids)
			n = TRACE_MAX_PIDS - who->npids;
		who->npids += n;
		if (rc && who->npids)
			rc = 0; /* the --pid ones remain */
	} else if (!who->npids) {
		rc = trace_find_listeners(cfg->ports, 1, who->pids, &who->npids,
					  why, whylen);
	}
	if (!rc && trace_resolve_open(who->pids, who->npids, &rt, why, whylen))
		rt = NULL;
	return rt;
}

int cmd_trace(int argc, char **argv)
{
	struct trace_config cfg = {0};
	struct trace_result res = {0};
	struct trace_resolve_result rres = {0};
	struct trace_who who = {0};
	struct tracer *t = NULL;
	struct trace_resolver *rt = NULL;
	char why[256] = "";
	struct sigaction sa;
	double duration_s = TRACE_DEFAULT_S;
	int64_t end_ns, now;
	char err[256];
	int json = 0, rc;
	size_t i;

	rc = trace_parse(argc, argv, &cfg, &who, &duration_s, &json, err,
			 sizeof(err));
	if (rc == -1)
		return CD_EXIT_OK;
	if (rc) {
		fprintf(stderr, "conndoctor trace: %s\n", err);
		return rc;
	}
	rc = trace_open(&cfg, &t, err, sizeof(err));
	if (!rc)
		rc = trace_attach(t, err, sizeof(err));
	if (rc) {
		fprintf(stderr,
			"conndoctor trace: eBPF unavailable: %s; `conndoctor "
			"check` still reads the counters and sockets\n",
			err);
		trace_close(t);
		return CD_EXIT_UNAVAILABLE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rt = resolve_open(&cfg, &who, why, sizeof(why));
	fprintf(stderr, "conndoctor trace: ready, port");
	for (i = 0; i < cfg.nports; i++)
		fprintf(stderr, "%s%u", i ? "," : " ", cfg.ports[i]);
	fprintf(stderr, ", %.1f s", duration_s);
	if (rt)
		fputs(", name resolution traced", stderr);
	if (why[0])
		fprintf(stderr, "; name resolution %s: %s",
			rt ? "partly traced" : "not traced", why);
	fputc('\n', stderr);
	fflush(stderr);
	end_ns = cd_now_ns() + cd_s_to_ns(duration_s);
	while (!trace_stop) {
		now = cd_now_ns();
		if (now >= end_ns)
			break;
		sleep_ns(end_ns - now < TRACE_POLL_NS ? end_ns - now
						      : TRACE_POLL_NS);
		trace_poll(t);
		if (rt)
			trace_resolve_poll(rt);
	}
	rc = trace_read(t, &res);
	trace_close(t);
	if (!rc && rt && trace_resolve_read(rt, &rres))
		snprintf(why, sizeof(why), "cannot read the uprobes' maps");
	else if (!rc && rt)
		res.resolve = &rres;
	if (!rc)
		snprintf(res.resolve_why, sizeof(res.resolve_why), "%s", why);
	trace_resolve_close(rt);
	if (rc) {
		fprintf(stderr, "conndoctor trace: cannot read the maps\n");
		return CD_EXIT_UNAVAILABLE;
	}
	if (json)
		trace_report_json(stdout, &res);
	else
		trace_report_text(stdout, &res);
	trace_result_free(&res);
	trace_resolve_result_free(&rres);
	return CD_EXIT_OK;
}
