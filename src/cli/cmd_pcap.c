/* cmd_pcap.c - `conndoctor pcap`: its options, the inputs in order (files,
 * "-" for standard input, or --live), the rules run on each finished
 * connection, the renderer, and the exit status of DESIGN.md (0 healthy,
 * 1 warnings, 2 critical, 64 usage, 69 input unreadable). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture.h"
#include "cli/cli.h"
#include "report/pcap.h"
#include "report/progress.h"

#define INPUTS_MAX 4096
#define FILTER_MAX 1024

struct run {
	struct rpt_pcap rep;
	struct rpt_progress prog; /* the status line on stderr */
	struct cap_engine *eng;
	struct cap_source *src; /* the one being read */
	uint64_t before;	/* bytes of the inputs read before it */
	uint64_t size;		/* of all inputs, 0: unknown (a pipe) */
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
	rpt_progress_clear(&r->prog); /* the row goes where the line was */
	r->out->conn(&r->rep, c, &f);
	if (r->html)
		rpt_pcap_html.conn(&r->hrep, c, &f);
	cd_findings_free(&f);
}

static void on_command(void *ud, const struct cap_conn *c,
		       const struct cap_cmd *cmd)
{
	struct run *r = ud;

	rpt_progress_clear(&r->prog);
	r->out->command(&r->rep, c, cmd);
}

static void on_event(void *ud, const struct cap_event *e)
{
	struct run *r = ud;

	rpt_progress_clear(&r->prog);
	r->out->event(&r->rep, e);
}

/* The capture's progress hook: bytes read of the inputs, flows open. */
static void on_tick(void *ud)
{
	struct run *r = ud;
	int64_t off = cap_source_offset(r->src);

	/* A pipe or a live capture cannot tell its offset: the frames' bytes
	 * stand in. */
	rpt_progress_bytes(&r->prog,
			   off >= 0 ? r->before + (uint64_t)off
				    : cap_engine_totals(r->eng)->bytes,
			   r->size, cap_engine_open(r->eng));
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

/* What the command line asks for, beside the engine's cap_opts. */
struct pcap_args {
	const char *inputs[INPUTS_MAX];
	size_t ninputs;
	const char *live, *filter;
	uint64_t duration;
	enum cli_color color;
	const char *html; /* --html FILE */
	int json, progress, quiet;
};

/* The inputs' total size, 0 when one is not a regular file. */
static uint64_t inputs_size(const struct pcap_args *p)
{
	struct stat st;
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < p->ninputs; i++) {
		if (!strcmp(p->inputs[i], "-") || stat(p->inputs[i], &st) ||
		    !S_ISREG(st.st_mode))
			return 0;
		n += (uint64_t)st.st_size;
	}
	return n;
}

static int add_input(struct pcap_args *p, const char *name, char *err,
		     size_t errlen)
{
	if (p->ninputs == INPUTS_MAX) {
		snprintf(err, errlen, "at most %d inputs", INPUTS_MAX);
		return CD_EXIT_USAGE;
	}
	p->inputs[p->ninputs++] = name;
	return 0;
}

/* The command line by the option table into o and p. Returns 0, -1 after
 * --help, or CD_EXIT_USAGE with err set. */
static int pcap_parse(int argc, char **argv, struct cap_opts *o,
		      struct pcap_args *p, char *err, size_t errlen)
{
	struct cli_args a;
	char range[96];
	size_t k;
	int rc;

	rc = cli_args_parse(CLI_CMD_PCAP, argc, argv, &a, err, errlen);
	if (rc)
		return rc;
	for (k = 0; !rc && k < a.ntok; k++) {
		const struct cli_tok *t = &a.tok[k];

		switch (t->d->id) {
		case CLI_O_READ:
			rc = add_input(p, t->value, err, errlen);
			break;
		case CLI_O_LIVE:
			p->live = t->value;
			break;
		case CLI_O_PORT:
			if (add_ports(o, t->value)) {
				cli_opt_range(t->d, range, sizeof(range));
				snprintf(err, errlen,
					 "invalid --port '%s' (port numbers "
					 "%s, at most %d)",
					 t->value, range, CAP_PORTS_MAX);
				rc = CD_EXIT_USAGE;
			}
			break;
		case CLI_O_FILTER:
			p->filter = t->value;
			break;
		case CLI_O_CONN:
			o->trace_id = t->v.u;
			break;
		case CLI_O_SEGMENTS:
			o->trace_segments = 1;
			break;
		case CLI_O_JSON:
			p->json = 1;
			break;
		case CLI_O_HTML:
			p->html = t->value;
			break;
		case CLI_O_COLOR:
			p->color = cli_color_choice(t->value, t->v.choice);
			break;
		case CLI_O_NO_COLOR:
			p->color = CLI_COLOR_NEVER;
			break;
		case CLI_O_DURATION:
			p->duration = t->v.u;
			break;
		case CLI_O_MAX_FLOWS:
			o->max_flows = (size_t)t->v.u;
			break;
		case CLI_O_REASSEMBLY_BUDGET:
			o->ooo_budget = (size_t)t->v.u << 20;
			break;
		case CLI_O_PROGRESS:
			p->progress = 1;
			break;
		case CLI_O_QUIET:
			p->quiet = 1;
			break;
		default:
			break;
		}
	}
	for (k = 0; !rc && k < a.noperands; k++)
		rc = add_input(p, a.operands[k], err, errlen);
	cli_args_free(&a);
	if (rc)
		return rc;
	if (!p->ninputs == !p->live) {
		snprintf(
			err, errlen, "%s (try --help)",
			p->live ? "--live reads no files"
				: "name a capture file, \"-\" or --live IFACE");
		return CD_EXIT_USAGE;
	}
	if (p->duration && !p->live) {
		snprintf(err, errlen, "--duration is for --live");
		return CD_EXIT_USAGE;
	}
	if (o->trace_segments && !o->trace_id) {
		snprintf(err, errlen, "--segments goes with --conn ID");
		return CD_EXIT_USAGE;
	}
	return 0;
}

int cmd_pcap(int argc, char **argv)
{
	struct pcap_args pa;
	const char *html_path;
	struct rpt_pcap_opts ro;
	struct cap_engine *eng = NULL;
	struct cap_sink sink;
	struct cap_opts o;
	struct cd_findings all;
	struct run run;
	char err[768], why[512], dflt[FILTER_MAX];
	const char *input_error = NULL, *live, *filter;
	uint64_t drops = 0, duration;
	size_t ninputs, i;
	int json, rc = CD_EXIT_OK;

	cap_opts_init(&o);
	memset(&ro, 0, sizeof(ro));
	memset(&run, 0, sizeof(run));
	memset(&pa, 0, sizeof(pa));
	pa.color = CLI_COLOR_AUTO;
	rc = pcap_parse(argc, argv, &o, &pa, err, sizeof(err));
	if (rc) {
		if (rc > 0)
			fprintf(stderr, "conndoctor pcap: %s\n", err);
		return rc < 0 ? CD_EXIT_OK : rc;
	}
	live = pa.live;
	filter = pa.filter;
	duration = pa.duration;
	ninputs = pa.ninputs;
	json = pa.json;
	html_path = pa.html;
	ro.out = stdout;
	ro.conn_id = o.trace_id;
	ro.line_flush = live != NULL;
	/* JSON lines are never coloured; --color=always is for text. */
	ro.color = !json && cli_color_enabled(pa.color, STDOUT_FILENO);
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
	rpt_progress_init(&run.prog, stderr,
			  rpt_progress_wanted(pa.progress, pa.quiet, json,
					      isatty(STDERR_FILENO)));
	run.eng = eng;
	run.size = live ? 0 : inputs_size(&pa);
	install_signals();
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < (live ? 1 : ninputs) && !input_error; i++) {
		const char *name = live ? live : pa.inputs[i];
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
				rpt_progress_clear(&run.prog);
				fprintf(stderr, "conndoctor pcap: %s\n", err);
				rc = CD_EXIT_USAGE;
				goto out;
			}
		}
		if (!src) {
			rpt_progress_clear(&run.prog);
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
		run.src = src;
		if (run.prog.on)
			cap_source_set_tick(src, on_tick, &run);
		if (cap_source_run(src, eng, why, sizeof(why))) {
			/* keep what was read; say where it ended */
			rpt_progress_clear(&run.prog);
			snprintf(err, sizeof(err), "%s: %s",
				 !strcmp(name, "-") ? "stdin" : name, why);
			fprintf(stderr, "conndoctor pcap: %s\n", err);
			input_error = err;
		}
		if (cap_source_offset(src) > 0)
			run.before += (uint64_t)cap_source_offset(src);
		drops += cap_source_drops(src);
		cap_source_close(src);
	}
	rpt_progress_clear(&run.prog);
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
}
