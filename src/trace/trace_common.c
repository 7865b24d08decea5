/* trace_common.c - the parts of `trace`'s source that do not need libbpf:
 * counter, closer and function tokens, and freeing results. */
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

static const char *const counter_names[TRACE_COUNTER__COUNT] = {
	[TRACE_SYN_RETRANS] = "syn_retransmits",
	[TRACE_DATA_RETRANS] = "data_retransmits",
	[TRACE_SYNACK_RETRANS_EMPTY] = "synack_retransmits_queue_empty",
	[TRACE_SYNACK_RETRANS_FULL] = "synack_retransmits_queue_full",
	[TRACE_SYNACK_RETRANS_OTHER] = "synack_retransmits_queue_partial",
	[TRACE_RST_SENT] = "resets_sent",
	[TRACE_RST_RECEIVED] = "resets_received",
	[TRACE_CONNECTED] = "connected",
	[TRACE_ACCEPTED] = "accepted",
	[TRACE_FAILED] = "failed_before_established",
	[TRACE_CLOSED_LOCAL] = "closed_by_local",
	[TRACE_CLOSED_PEER] = "closed_by_peer",
	[TRACE_CLOSED_RESET] = "closed_by_reset",
	[TRACE_DROPS] = "drops",
};

const char *trace_counter_name(enum trace_counter c)
{
	if ((unsigned)c >= TRACE_COUNTER__COUNT)
		return "?";
	return counter_names[c];
}

const char *trace_closer_name(enum trace_closer c)
{
	static const char *const names[TRACE_CLOSER__COUNT] = {
		[TRACE_CLOSER_NONE] = "",
		[TRACE_CLOSER_LOCAL] = "local",
		[TRACE_CLOSER_PEER] = "peer",
		[TRACE_CLOSER_LOCAL_RST] = "local_reset",
		[TRACE_CLOSER_PEER_RST] = "peer_reset",
		[TRACE_CLOSER_GAVE_UP] = "gave_up",
	};

	if ((unsigned)c >= TRACE_CLOSER__COUNT)
		return "?";
	return names[c];
}

void trace_result_free(struct trace_result *r)
{
	if (!r)
		return;
	free(r->drops);
	free(r->conns);
	free(r->reqs);
	memset(r, 0, sizeof(*r));
}

const char *trace_fn_name(enum trace_fn f)
{
	static const char *const names[TRACE_FN__COUNT] = {
		[TRACE_FN_GETNAMEINFO] = "getnameinfo",
		[TRACE_FN_GETHOSTBYADDR] = "gethostbyaddr",
		[TRACE_FN_GETHOSTBYADDR_R] = "gethostbyaddr_r",
		[TRACE_FN_GETADDRINFO] = "getaddrinfo",
		[TRACE_FN_GETHOSTBYNAME] = "gethostbyname",
		[TRACE_FN_GETHOSTBYNAME_R] = "gethostbyname_r",
	};

	if ((unsigned)f >= TRACE_FN__COUNT)
		return "?";
	return names[f];
}

void trace_resolve_result_free(struct trace_resolve_result *r)
{
	if (!r)
		return;
	free(r->clients);
	free(r->slow);
	memset(r, 0, sizeof(*r));
}
