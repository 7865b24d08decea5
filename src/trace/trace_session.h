/* trace_session.h - `trace` running beside another job (`diagnose
 * --trace`): the TCP programs and, when a local process listens on the
 * port, the resolver uprobes on it, polled from a thread of their own
 * until the job is done. */
#ifndef CONNDOCTOR_TRACE_TRACE_SESSION_H
#define CONNDOCTOR_TRACE_TRACE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

struct trace_session;

/* Starts tracing port in this network namespace. 0 and *out once
 * counting, or TRACE_ERR_* with one line in err (no BPF, no privileges, no
 * BTF). Name resolution is traced when a local process listens on port;
 * otherwise (or when its uprobes cannot attach) the result's resolve_why
 * says why. */
int trace_session_start(uint16_t port, struct trace_session **out, char *err,
			size_t errlen);

/* Stops the thread, reads everything counted into r (r->resolve points
 * into rr, both owned by the caller) and frees the session. 0, or
 * TRACE_ERR_NOMEM when the maps cannot be read. */
int trace_session_stop(struct trace_session *s, struct trace_result *r,
		       struct trace_resolve_result *rr);

#endif /* CONNDOCTOR_TRACE_TRACE_SESSION_H */
