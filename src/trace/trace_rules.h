/* trace_rules.h - what the kernel's and mysqld's own evidence (a trace
 * run beside `diagnose`) says about one MySQL port, as findings the
 * diagnosis joins with the probe's symptoms. Pure. */
#ifndef CONNDOCTOR_TRACE_TRACE_RULES_H
#define CONNDOCTOR_TRACE_TRACE_RULES_H

#include <stdint.h>

#include "findings/findings.h"
#include "trace/trace.h"

/* A lookup by mysqld this long or longer is worth a finding: below it, a
 * resolver is answering (a cache hit takes well under a millisecond). */
#define TRACE_RULE_SLOW_RESOLVE_US (100 * 1000)

/* Adds CD2020 (mysqld's measured resolve time), CD3070 (SYN-ACKs resent
 * with an empty accept queue), CD3071 (accept queue overflowed), CD3072
 * (this host's firewall dropped the port's packets) and CD3073 (the kernel
 * answered the port with resets) as r shows them for port. 0, or -1 when
 * out of memory. */
int trace_rules(const struct trace_result *r, uint16_t port,
		struct cd_findings *out);

#endif /* CONNDOCTOR_TRACE_TRACE_RULES_H */
