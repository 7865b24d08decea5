/* fuzz_cap_pcap.c - a whole capture file image (pcap or pcapng) through
 * libpcap, the decoder, the flow table with reassembly, the passive MySQL
 * decoder, the rules and both renderers: nothing may crash, every flow
 * must be handed out at the end, and the counts must agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "report/pcap.h"
#include "fuzz.h"

struct seen {
	struct rpt_pcap rep;
	const struct rpt_pcap_renderer *out;
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
	s->out->conn(&s->rep, c, &f);
	cd_findings_free(&f);
}

static void on_cmd(void *ud, const struct cap_conn *c,
		   const struct cap_cmd *cmd)
{
	struct seen *s = ud;

	s->commands++;
	CHECK(cmd->n >= 1);
	CHECK(strlen(cmd->arg) < sizeof(cmd->arg));
	s->out->command(&s->rep, c, cmd);
}

static void on_event(void *ud, const struct cap_event *e)
{
	struct seen *s = ud;

	s->out->event(&s->rep, e);
}

/* One run: JSON or text, tracing connection 1 or not. */
static void run(const uint8_t *data, size_t size, int json, uint64_t trace)
{
	struct cap_sink sink = {NULL, on_conn, on_cmd, on_event};
	struct rpt_pcap_opts ro;
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
	ro.conn_id = trace;
	sink.ud = &s;
	e = cap_engine_new(&o, &sink);
	CHECK(e != NULL);
	s.out = json ? &rpt_pcap_json : &rpt_pcap_text;
	rpt_pcap_init(&s.rep, &ro, cap_engine_totals(e));
	src = cap_source_fp(in, "fuzz", err, sizeof(err));
	if (src) {
		s.out->input(&s.rep, "fuzz", cap_source_linktype(src),
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
	CHECK(s.out->finish(&s.rep, &all, 0, NULL, 0) == 0);
	cd_findings_free(&all);
	cap_agg_free(&s.agg);
	rpt_pcap_free(&s.rep);
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
