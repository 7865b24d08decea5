/* cmd_trace.c - `conndoctor trace`: attaches the eBPF tracer (src/trace/)
 * to this network namespace and its uprobes to mysqld's resolver calls for
 * --duration seconds or until SIGINT/SIGTERM, then prints the summary as
 * text or JSON. Its options are rows of the option table (opttab.c). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "report/progress.h"
#include "trace/trace.h"
#include "trace/trace_report.h"
#include "util/clock.h"

#define TRACE_DEFAULT_PORT 3306
#define TRACE_DEFAULT_S	   30.0
#define TRACE_POLL_NS	   (200 * CD_NS_PER_MS)

static volatile sig_atomic_t trace_stop;

/* Whose resolver calls to trace: --pid, --comm, else the listener's. */
struct trace_who {
	pid_t pids[TRACE_MAX_PIDS];
	size_t npids;
	const char *comm; /* borrowed from argv */
};

/* How the summary is written: --json, and the status line's switches. */
struct trace_out {
	int json, progress, quiet;
};

static void on_signal(int sig)
{
	(void)sig;
	trace_stop = 1;
}

/* Parses argv by the option table into cfg, duration and o; 0, -1
 * after --help, or CD_EXIT_USAGE with err set. */
static int trace_parse(int argc, char **argv, struct trace_config *cfg,
		       struct trace_who *who, double *duration_s,
		       struct trace_out *o, char *err, size_t errlen)
{
	struct cli_args a;
	size_t k;
	int rc;

	rc = cli_args_parse(CLI_CMD_TRACE, argc, argv, &a, err, errlen);
	if (rc)
		return rc;
	for (k = 0; !rc && k < a.ntok; k++) {
		const struct cli_tok *t = &a.tok[k];

		switch (t->d->id) {
		case CLI_O_PORT:
			if (cfg->nports >= TRACE_MAX_PORTS) {
				snprintf(err, errlen, "at most %d --port",
					 TRACE_MAX_PORTS);
				rc = CD_EXIT_USAGE;
				break;
			}
			cfg->ports[cfg->nports++] = (uint16_t)t->v.u;
			break;
		case CLI_O_PID:
			if (who->npids >= TRACE_MAX_PIDS) {
				snprintf(err, errlen, "at most %d --pid",
					 TRACE_MAX_PIDS);
				rc = CD_EXIT_USAGE;
				break;
			}
			who->pids[who->npids++] = (pid_t)t->v.u;
			break;
		case CLI_O_COMM:
			/* The kernel's comm holds 15 characters. */
			if (!t->value[0] || strlen(t->value) > 15) {
				snprintf(err, errlen,
					 "invalid --comm '%s' (a process name, "
					 "1 to 15 characters)",
					 t->value);
				rc = CD_EXIT_USAGE;
				break;
			}
			who->comm = t->value; /* argv outlives a */
			break;
		case CLI_O_DURATION:
			*duration_s = t->v.d;
			break;
		case CLI_O_JSON:
			o->json = 1;
			break;
		case CLI_O_PROGRESS:
			o->progress = 1;
			break;
		case CLI_O_QUIET:
			o->quiet = 1;
			break;
		default:
			break;
		}
	}
	cli_args_free(&a);
	if (rc)
		return rc;
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

/* Redraws the status line from the counters so far. */
static void progress(struct rpt_progress *p, struct tracer *t,
		     double duration_s)
{
	uint64_t c[TRACE_COUNTER__COUNT];
	struct rpt_trace_counts k;

	if (trace_count(t, c))
		return;
	k.connections = c[TRACE_CONNECTED] + c[TRACE_ACCEPTED];
	k.failed = c[TRACE_FAILED];
	k.retransmits = c[TRACE_SYN_RETRANS] + c[TRACE_DATA_RETRANS] +
			c[TRACE_SYNACK_RETRANS_EMPTY] +
			c[TRACE_SYNACK_RETRANS_FULL] +
			c[TRACE_SYNACK_RETRANS_OTHER];
	k.resets = c[TRACE_RST_SENT] + c[TRACE_RST_RECEIVED];
	k.drops = c[TRACE_DROPS];
	rpt_progress_trace(p, &k, duration_s);
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
	struct trace_out out = {0};
	struct rpt_progress prog;
	int rc;
	size_t i;

	rc = trace_parse(argc, argv, &cfg, &who, &duration_s, &out, err,
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
	/* The status line starts after the ready line, on its own. */
	rpt_progress_init(&prog, stderr,
			  rpt_progress_wanted(out.progress, out.quiet, out.json,
					      isatty(STDERR_FILENO)));
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
		if (prog.on)
			progress(&prog, t, duration_s);
	}
	rpt_progress_clear(&prog);
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
	if (out.json)
		trace_report_json(stdout, &res);
	else
		trace_report_text(stdout, &res);
	trace_result_free(&res);
	trace_resolve_result_free(&rres);
	return CD_EXIT_OK;
}
