/* cmd_pcap.c - `conndoctor pcap`: its options, the inputs in order (files,
 * "-" for standard input, or --live), the rules run on each finished
 * connection, the renderer, and the exit status of DESIGN.md (0 healthy,
 * 1 warnings, 2 critical, 64 usage, 69 input unreadable). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture.h"
#include "cli/cli.h"
#include "report/pcap.h"

/* The longest live capture --duration asks for: a week, in seconds. */
#define PCAP_DURATION_MAX 604800u

#define INPUTS_MAX 4096
#define FILTER_MAX 1024

static void usage(FILE *out)
{
	fputs("usage: conndoctor pcap [OPTIONS] FILE...\n"
	      "       conndoctor pcap [OPTIONS] --live IFACE\n"
	      "\n"
	      "Rebuilds every TCP connection and MySQL session of a capture "
	      "(pcap or\n"
	      "pcapng; \"-\" reads standard input; several files are read "
	      "in order as one\n"
	      "capture, e.g. tcpdump -C/-G rotations) and reports where each "
	      "went wrong.\n"
	      "\n"
	      "  -r, --read FILE      read FILE (the same as naming it)\n"
	      "  -i, --live IFACE     capture live on IFACE until Ctrl-C or "
	      "--duration\n"
	      "  -P, --port PORT      a MySQL server port besides 3306 "
	      "(repeat, or 3307,3308)\n"
	      "  -f, --filter EXPR    BPF filter (live default: tcp port "
	      "3306 and --port's)\n"
	      "      --duration S     stop a live capture after S seconds "
	      "(1 to 604800)\n"
	      "  -c, --conn ID        one connection's timeline (ID from the "
	      "table)\n"
	      "  -v, --segments       with --conn, every segment too\n"
	      "      --json           JSON lines: one object per connection, "
	      "command, finding\n"
	      "      --html FILE      also write the report as one "
	      "self-contained HTML file\n"
	      "                       with the connections on a time axis "
	      "(docs/html.md)\n"
	      "      --color WHEN     auto (default), always or never\n"
	      "      --max-flows N    connections held at once, 1-10000000 "
	      "(default 100000,\n"
	      "                       about 490 MiB); past it the least "
	      "recently active\n"
	      "                       handshake, else connection, is "
	      "evicted and counted\n"
	      "  -h, --help           this text\n"
	      "\n"
	      "Exit status: 0 healthy, 1 warnings, 2 critical findings, 64 "
	      "usage error,\n"
	      "69 input unreadable or cut short. Findings: conndoctor explain "
	      "CODE.\n",
	      out);
}

struct run {
	struct rpt_pcap rep;
	const struct rpt_pcap_renderer *out; /* text or JSON */
	struct rpt_pcap hrep;		     /* --html: its own renderer */
	FILE *html;			     /* --html FILE, NULL: none */
	struct cap_agg agg;
	uint64_t conn_id;
	struct cd_findings conn_findings; /* --conn: that one's */
	int oom;
};

static void on_conn(void *ud, const struct cap_conn *c)
{
	struct run *r = ud;
	struct cd_findings f;
	size_t i;

	cd_findings_init(&f);
	if (cap_rules_conn(c, &f))
		r->oom = 1;
	cd_findings_sort(&f);
	if (cap_agg_add(&r->agg, c, &f))
		r->oom = 1;
	if (r->conn_id && c->id == r->conn_id)
		for (i = 0; i < f.n; i++) {
			struct cd_finding *x = cd_finding_add(&r->conn_findings,
							      f.v[i].def->code,
							      f.v[i].severity);

			if (!x) {
				r->oom = 1;
				break;
			}
			*x = f.v[i];
		}
	r->out->conn(&r->rep, c, &f);
	if (r->html)
		rpt_pcap_html.conn(&r->hrep, c, &f);
	cd_findings_free(&f);
}

static void on_command(void *ud, const struct cap_conn *c,
		       const struct cap_cmd *cmd)
{
	struct run *r = ud;

	r->out->command(&r->rep, c, cmd);
}

static void on_event(void *ud, const struct cap_event *e)
{
	struct run *r = ud;

	r->out->event(&r->rep, e);
}

static void on_signal(int sig)
{
	(void)sig;
	cap_source_stop();
}

/* Adds "3307" or "3307,3308" to the server ports. */
static int add_ports(struct cap_opts *o, const char *arg)
{
	const char *p = arg;

	while (*p) {
		char *end;
		unsigned long v;
		unsigned i;

		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || end == p || v == 0 || v > 65535 ||
		    (*end && *end != ','))
			return -1;
		for (i = 0; i < o->nports; i++)
			if (o->ports[i] == v)
				break;
		if (i == o->nports) {
			if (o->nports == CAP_PORTS_MAX)
				return -1;
			o->ports[o->nports++] = (uint16_t)v;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || end == s || *end || x == 0)
		return -1;
	*v = x;
	return 0;
}

static void default_filter(const struct cap_opts *o, char *buf, size_t len)
{
	size_t n = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < o->nports && n < len; i++) {
		int k = snprintf(buf + n, len - n, "%stcp port %u",
				 i ? " or " : "", o->ports[i]);

		if (k < 0)
			return;
		n += (size_t)k;
	}
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
}

int cmd_pcap(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"read", required_argument, NULL, 'r'},
		{"live", required_argument, NULL, 'i'},
		{"port", required_argument, NULL, 'P'},
		{"filter", required_argument, NULL, 'f'},
		{"conn", required_argument, NULL, 'c'},
		{"segments", no_argument, NULL, 'v'},
		{"json", no_argument, NULL, 'j'},
		{"html", required_argument, NULL, 'H'},
		{"color", required_argument, NULL, 'C'},
		{"duration", required_argument, NULL, 'd'},
		{"max-flows", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *inputs[INPUTS_MAX], *live = NULL, *filter = NULL;
	const char *html_path = NULL;
	struct rpt_pcap_opts ro;
	struct cap_engine *eng = NULL;
	struct cap_sink sink;
	struct cap_opts o;
	struct cd_findings all;
	struct run run;
	char err[768], why[512], dflt[FILTER_MAX];
	const char *input_error = NULL;
	uint64_t drops = 0, duration = 0, max_flows;
	size_t ninputs = 0, i;
	int opt, color = -1, json = 0, rc = CD_EXIT_OK;

	cap_opts_init(&o);
	memset(&ro, 0, sizeof(ro));
	memset(&run, 0, sizeof(run));
	ro.out = stdout;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":r:i:P:f:c:vh", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'r':
			if (ninputs == INPUTS_MAX)
				goto too_many;
			inputs[ninputs++] = optarg;
			break;
		case 'i':
			live = optarg;
			break;
		case 'P':
			if (add_ports(&o, optarg)) {
				fprintf(stderr,
					"conndoctor pcap: --port needs port "
					"numbers 1-65535, not '%s'\n",
					optarg);
				return CD_EXIT_USAGE;
			}
			break;
		case 'f':
			filter = optarg;
			break;
		case 'c':
			if (parse_u64(optarg, &o.trace_id)) {
				fprintf(stderr,
					"conndoctor pcap: --conn needs a "
					"connection number, not '%s'\n",
					optarg);
				return CD_EXIT_USAGE;
			}
			break;
		case 'v':
			o.trace_segments = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'H':
			html_path = optarg;
			break;
		case 'C':
			if (!strcmp(optarg, "always"))
				color = 1;
			else if (!strcmp(optarg, "never"))
				color = 0;
			else if (!strcmp(optarg, "auto"))
				color = -1;
			else {
				fprintf(stderr, "conndoctor pcap: --color is "
						"auto, always or never\n");
				return CD_EXIT_USAGE;
			}
			break;
		case 'd':
			if (parse_u64(optarg, &duration) || duration < 1 ||
			    duration > PCAP_DURATION_MAX) {
				fprintf(stderr,
					"conndoctor pcap: --duration needs "
					"whole seconds (1 to %u)\n",
					PCAP_DURATION_MAX);
				return CD_EXIT_USAGE;
			}
			break;
		case 'm':
			if (parse_u64(optarg, &max_flows) ||
			    max_flows > CAP_MAX_FLOWS_LIMIT) {
				fprintf(stderr,
					"conndoctor pcap: --max-flows needs a "
					"number from 1 to %d, not '%s'\n",
					CAP_MAX_FLOWS_LIMIT, optarg);
				return CD_EXIT_USAGE;
			}
			o.max_flows = (size_t)max_flows;
			break;
		case 'h':
			usage(stdout);
			return CD_EXIT_OK;
		case ':':
			fprintf(stderr,
				"conndoctor pcap: option '%s' needs a value\n",
				argv[optind - 1]);
			return CD_EXIT_USAGE;
		default:
			fprintf(stderr,
				"conndoctor pcap: unknown option '%s' (try "
				"--help)\n",
				argv[optind - 1]);
			return CD_EXIT_USAGE;
		}
	}
	for (; optind < argc; optind++) {
		if (ninputs == INPUTS_MAX)
			goto too_many;
		inputs[ninputs++] = argv[optind];
	}
	if (!ninputs == !live) {
		fprintf(stderr, "conndoctor pcap: %s (try --help)\n",
			live ? "--live reads no files"
			     : "name a capture file, \"-\" or --live IFACE");
		return CD_EXIT_USAGE;
	}
	if (duration && !live) {
		fprintf(stderr, "conndoctor pcap: --duration is for --live\n");
		return CD_EXIT_USAGE;
	}
	if (o.trace_segments && !o.trace_id) {
		fprintf(stderr, "conndoctor pcap: --segments goes with "
				"--conn ID\n");
		return CD_EXIT_USAGE;
	}
	ro.conn_id = o.trace_id;
	ro.line_flush = live != NULL;
	/* pcap's own colour decision until it joins the option table and
	 * cli_color_enabled() (that one also honours FORCE_COLOR) */
	ro.color = color >= 0 ? color
			      : !json && isatty(STDOUT_FILENO) &&
					!getenv("NO_COLOR");
	run.out = json ? &rpt_pcap_json : &rpt_pcap_text;

	run.conn_id = o.trace_id;
	if (html_path) {
		run.html = cli_html_open(html_path, err, sizeof(err));
		if (!run.html) {
			fprintf(stderr, "conndoctor pcap: %s\n", err);
			return CD_EXIT_USAGE;
		}
	}
	cap_agg_init(&run.agg);
	cd_findings_init(&run.conn_findings);
	cd_findings_init(&all);
	memset(&sink, 0, sizeof(sink));
	sink.ud = &run;
	sink.conn_done = on_conn;
	sink.command = on_command;
	sink.event = on_event;
	eng = cap_engine_new(&o, &sink);
	if (!eng) {
		fprintf(stderr, "conndoctor pcap: out of memory\n");
		rc = CD_EXIT_UNAVAILABLE;
		goto out;
	}
	rpt_pcap_init(&run.rep, &ro, cap_engine_totals(eng));
	if (run.html) {
		struct rpt_pcap_opts hro = ro;

		hro.out = run.html;
		hro.line_flush = 0;
		rpt_pcap_init(&run.hrep, &hro, cap_engine_totals(eng));
	}
	install_signals();
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < (live ? 1 : ninputs) && !input_error; i++) {
		const char *name = live ? live : inputs[i];
		struct cap_source *src;

		if (!name)
			break;
		if (live) {
			default_filter(&o, dflt, sizeof(dflt));
			src = cap_source_live(live, filter ? filter : dflt, err,
					      sizeof(err));
			if (src && duration)
				alarm((unsigned)duration);
		} else {
			src = cap_source_file(name, err, sizeof(err));
			if (src && filter &&
			    cap_source_filter(src, filter, err, sizeof(err))) {
				cap_source_close(src);
				fprintf(stderr, "conndoctor pcap: %s\n", err);
				rc = CD_EXIT_USAGE;
				goto out;
			}
		}
		if (!src) {
			fprintf(stderr, "conndoctor pcap: %s\n", err);
			input_error = err;
			break;
		}
		run.out->input(&run.rep, name, cap_source_linktype(src),
			       cap_source_snaplen(src));
		if (run.html)
			rpt_pcap_html.input(&run.hrep, name,
					    cap_source_linktype(src),
					    cap_source_snaplen(src));
		if (cap_source_run(src, eng, why, sizeof(why))) {
			/* keep what was read; say where it ended */
			snprintf(err, sizeof(err), "%s: %s",
				 !strcmp(name, "-") ? "stdin" : name, why);
			fprintf(stderr, "conndoctor pcap: %s\n", err);
			input_error = err;
		}
		drops += cap_source_drops(src);
		cap_source_close(src);
	}
	cap_engine_finish(eng);
	if (o.trace_id) {
		all = run.conn_findings;
		cd_findings_init(&run.conn_findings);
	} else if (cap_agg_findings(&run.agg, &all)) {
		run.oom = 1;
	}
	switch (cd_findings_worst(&all)) {
	case CD_SEV_CRITICAL:
		rc = CD_EXIT_CRITICAL;
		break;
	case CD_SEV_WARNING:
		rc = CD_EXIT_WARNING;
		break;
	default:
		rc = CD_EXIT_OK;
		break;
	}
	if (!all.n)
		rc = CD_EXIT_OK;
	if (input_error)
		rc = CD_EXIT_UNAVAILABLE;
	if (run.oom) {
		fprintf(stderr, "conndoctor pcap: out of memory: findings "
				"are incomplete\n");
		rc = CD_EXIT_UNAVAILABLE;
	}
	if (o.trace_id && !run.rep.conn_seen) {
		fprintf(stderr,
			"conndoctor pcap: no connection #%llu in the capture "
			"(%llu connections)\n",
			(unsigned long long)o.trace_id,
			(unsigned long long)cap_engine_totals(eng)->conns);
		if (!input_error)
			rc = CD_EXIT_USAGE;
	}
	if (run.out->finish(&run.rep, &all, drops, input_error, rc) ||
	    fflush(stdout) != 0) {
		fprintf(stderr, "conndoctor pcap: cannot write the report\n");
		rc = CD_EXIT_UNAVAILABLE;
	}
	if (run.html) {
		int hrc = rpt_pcap_html.finish(&run.hrep, &all, drops,
					       input_error, rc);

		hrc = cli_html_close("pcap", run.html, html_path, hrc);
		run.html = NULL;
		if (hrc)
			rc = CD_EXIT_UNAVAILABLE;
	}
out:
	cd_findings_free(&all);
	cd_findings_free(&run.conn_findings);
	cap_agg_free(&run.agg);
	if (eng) {
		rpt_pcap_free(&run.rep);
		if (html_path)
			rpt_pcap_free(&run.hrep);
	}
	if (run.html)
		fclose(run.html);
	cap_engine_free(eng);
	return rc;
too_many:
	fprintf(stderr, "conndoctor pcap: at most %d inputs\n", INPUTS_MAX);
	return CD_EXIT_USAGE;
}
