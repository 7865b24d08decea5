/* fuzz_cap_pcap.c - a whole capture file image (pcap or pcapng) through
 * libpcap, the decoder, the flow table with reassembly, the passive MySQL
 * decoder, the rules and both renderers: nothing may crash, every flow
 * must be handed out at the end, and the counts must agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "fuzz.h"

struct seen {
	struct cap_report *rep;
	struct cap_agg agg;
	uint64_t conns, commands, last_id;
};

static void on_conn(void *ud, const struct cap_conn *c)
{
	struct seen *s = ud;
	struct cd_findings f;

	s->conns++;
	CHECK(c->id >= 1);
	CHECK(c->first_us <= c->last_us);
	CHECK(c->my.errors <= c->my.commands);
	cd_findings_init(&f);
	CHECK(cap_rules_conn(c, &f) == 0);
	CHECK(cap_agg_add(&s->agg, c, &f) == 0);
	cap_report_conn(s->rep, c, &f);
	cd_findings_free(&f);
}

static void on_cmd(void *ud, const struct cap_conn *c,
		   const struct cap_cmd *cmd)
{
	struct seen *s = ud;

	s->commands++;
	CHECK(cmd->n >= 1);
	CHECK(strlen(cmd->arg) < sizeof(cmd->arg));
	cap_report_command(s->rep, c, cmd);
}

static void on_event(void *ud, const struct cap_event *e)
{
	struct seen *s = ud;

	cap_report_event(s->rep, e);
}

/* One run: JSON or text, tracing connection 1 or not. */
static void run(const uint8_t *data, size_t size, int json, uint64_t trace)
{
	struct cap_sink sink = {NULL, on_conn, on_cmd, on_event};
	struct cap_report_opts ro;
	struct cap_source *src;
	struct cap_engine *e;
	struct cd_findings all;
	struct cap_opts o;
	struct seen s;
	char err[512], *mem = NULL;
	size_t memlen = 0, i;
	FILE *in, *out;

	in = fmemopen((void *)data, size, "rb");
	out = json ? open_memstream(&mem, &memlen) : fopen("/dev/null", "w");
	if (!in || !out) {
		if (in)
			fclose(in);
		if (out)
			fclose(out);
		return;
	}
	memset(&s, 0, sizeof(s));
	cap_agg_init(&s.agg);
	cap_opts_init(&o);
	o.trace_id = trace;
	o.trace_segments = trace != 0;
	memset(&ro, 0, sizeof(ro));
	ro.out = out;
	ro.json = json;
	ro.conn_id = trace;
	sink.ud = &s;
	e = cap_engine_new(&o, &sink);
	CHECK(e != NULL);
	s.rep = cap_report_new(&ro, cap_engine_totals(e));
	CHECK(s.rep != NULL);
	src = cap_source_fp(in, "fuzz", err, sizeof(err));
	if (src) {
		cap_report_input(s.rep, "fuzz", cap_source_linktype(src),
				 cap_source_snaplen(src));
		if (cap_source_run(src, e, err, sizeof(err)))
			CHECK(err[0] != '\0'); /* a reason is given */
		cap_source_close(src);
	} else {
		CHECK(err[0] != '\0');
	}
	cap_engine_finish(e);
	CHECK(cap_engine_open(e) == 0);
	CHECK(s.conns == cap_engine_totals(e)->conns);
	CHECK(s.commands == cap_engine_totals(e)->commands);
	cd_findings_init(&all);
	CHECK(cap_agg_findings(&s.agg, &all) == 0);
	CHECK(cap_report_finish(s.rep, &all, 0, NULL, 0) == 0);
	cd_findings_free(&all);
	cap_agg_free(&s.agg);
	cap_report_free(s.rep);
	cap_engine_free(e);
	fclose(out);
	/* whatever the bytes, the JSON is printable ASCII lines */
	for (i = 0; i < memlen; i++)
		CHECK(mem[i] == '\n' || (mem[i] >= 0x20 && mem[i] < 0x7f));
	free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size, 1, 0);
	run(data, size, 0, 1);
	return 0;
}
