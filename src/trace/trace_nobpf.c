/* trace_nobpf.c - `trace`'s source in a build without libbpf (CD_BPF=OFF):
 * every open says so, nothing else runs. */
#include <stdio.h>

#include "trace/trace.h"

int trace_open(const struct trace_config *cfg, struct tracer **out, char *err,
	       size_t errlen)
{
	(void)cfg;
	(void)out;
	snprintf(err, errlen,
		 "this conndoctor was built without eBPF support (CD_BPF=OFF: "
		 "libbpf, bpftool or clang missing at build time)");
	return TRACE_ERR_NOBUILD;
}

int trace_attach(struct tracer *t, char *err, size_t errlen)
{
	(void)t;
	snprintf(err, errlen, "built without eBPF support");
	return TRACE_ERR_NOBUILD;
}

int trace_poll(struct tracer *t)
{
	(void)t;
	return -1;
}

int trace_count(struct tracer *t, uint64_t c[TRACE_COUNTER__COUNT])
{
	(void)t;
	(void)c;
	return -1;
}

int trace_read(struct tracer *t, struct trace_result *r)
{
	(void)t;
	(void)r;
	return TRACE_ERR_NOBUILD;
}

void trace_close(struct tracer *t)
{
	(void)t;
}

int trace_resolve_open(const pid_t *pids, size_t npids,
		       struct trace_resolver **out, char *err, size_t errlen)
{
	(void)pids;
	(void)npids;
	(void)out;
	snprintf(err, errlen, "built without eBPF support");
	return TRACE_ERR_NOBUILD;
}

int trace_resolve_poll(struct trace_resolver *t)
{
	(void)t;
	return -1;
}

int trace_resolve_read(struct trace_resolver *t, struct trace_resolve_result *r)
{
	(void)t;
	(void)r;
	return TRACE_ERR_NOBUILD;
}

void trace_resolve_close(struct trace_resolver *t)
{
	(void)t;
}
