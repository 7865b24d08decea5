/* trace_report.c - `trace`'s summary as text and as JSON, both from the
 * same trace_result (counter tokens from trace_counter_name()), with
 * mysqld's name resolution per client address when it was traced. */
#include <inttypes.h>
#include <stdio.h>

#include "trace/trace.h"
#include "trace/trace_report.h"
#include "util/json.h"

static void json_endpoints(struct json *j, const struct trace_endpoints *e)
{
	JSON_KEY(j, "local");
	json_str(j, e->laddr);
	JSON_KEY(j, "local_port");
	json_int(j, e->lport);
	JSON_KEY(j, "remote");
	json_str(j, e->raddr);
	JSON_KEY(j, "remote_port");
	json_int(j, e->rport);
}

static void json_port(struct json *j, const struct trace_result *r,
		      const struct trace_port *p)
{
	size_t i;
	int c;

	json_obj(j);
	JSON_KEY(j, "port");
	json_int(j, p->port);
	for (c = 0; c < TRACE_COUNTER__COUNT; c++) {
		json_key(j, trace_counter_name((enum trace_counter)c));
		json_int(j, (int64_t)p->c[c]);
	}
	JSON_KEY(j, "drops_by_reason");
	json_obj(j);
	for (i = 0; i < r->ndrops; i++) {
		if (r->drops[i].port != p->port)
			continue;
		json_key(j, r->drops[i].name);
		json_int(j, (int64_t)r->drops[i].count);
	}
	json_obj_end(j);
	json_obj_end(j);
}

static void json_req(struct json *j, const struct trace_req *q)
{
	json_obj(j);
	JSON_KEY(j, "port");
	json_int(j, q->port);
	json_endpoints(j, &q->e);
	JSON_KEY(j, "synack_retransmits");
	json_int(j, q->synack_retrans);
	JSON_KEY(j, "accept_queue");
	json_int(j, q->backlog);
	JSON_KEY(j, "accept_queue_limit");
	json_int(j, q->max_backlog);
	JSON_KEY(j, "first_s");
	json_us(j, q->first_us);
	JSON_KEY(j, "last_s");
	json_us(j, q->last_us);
	JSON_KEY(j, "established");
	json_bool(j, q->established);
	json_obj_end(j);
}

static void json_conn(struct json *j, const struct trace_conn *c)
{
	json_obj(j);
	JSON_KEY(j, "port");
	json_int(j, c->port);
	JSON_KEY(j, "role");
	json_str(j, c->server ? "server" : "client");
	json_endpoints(j, &c->e);
	JSON_KEY(j, "end_s");
	json_us(j, c->at_us);
	JSON_KEY(j, "syn_sent_s");
	json_us(j, c->syn_sent_us);
	JSON_KEY(j, "syn_recv_s");
	json_us(j, c->syn_recv_us);
	JSON_KEY(j, "established_s");
	json_us(j, c->established_us);
	JSON_KEY(j, "syn_retransmits");
	json_int(j, c->syn_retrans);
	JSON_KEY(j, "data_retransmits");
	json_int(j, c->data_retrans);
	JSON_KEY(j, "established");
	json_bool(j, c->established);
	JSON_KEY(j, "reset_sent");
	json_bool(j, c->rst_sent);
	JSON_KEY(j, "reset_received");
	json_bool(j, c->rst_received);
	JSON_KEY(j, "closed_by");
	json_str(j, trace_closer_name(c->closer));
	json_obj_end(j);
}

static void json_calls(struct json *j, const struct trace_calls *v)
{
	int f;

	json_obj(j);
	for (f = 0; f < TRACE_FN__COUNT; f++) {
		if (!v[f].calls)
			continue;
		json_key(j, trace_fn_name((enum trace_fn)f));
		json_obj(j);
		JSON_KEY(j, "calls");
		json_uint(j, v[f].calls);
		JSON_KEY(j, "total_s");
		json_us(j, v[f].total_us);
		JSON_KEY(j, "max_s");
		json_us(j, v[f].max_us);
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void json_client(struct json *j, const struct trace_client *c)
{
	json_obj(j);
	JSON_KEY(j, "address");
	if (c->addr[0])
		json_str(j, c->addr);
	else
		json_null(j);
	JSON_KEY(j, "lookups");
	json_uint(j, c->lookups);
	JSON_KEY(j, "total_s");
	json_us(j, c->total_us);
	JSON_KEY(j, "max_s");
	json_us(j, c->max_us);
	JSON_KEY(j, "functions");
	json_calls(j, c->fn);
	JSON_KEY(j, "nested");
	json_calls(j, c->nested);
	JSON_KEY(j, "numeric");
	json_calls(j, c->numeric);
	json_obj_end(j);
}

static void json_slow(struct json *j, const struct trace_slow *s)
{
	json_obj(j);
	JSON_KEY(j, "pid");
	json_int(j, s->pid);
	JSON_KEY(j, "tid");
	json_int(j, s->tid);
	JSON_KEY(j, "function");
	json_str(j, trace_fn_name(s->fn));
	JSON_KEY(j, "nested");
	json_bool(j, s->nested);
	JSON_KEY(j, "address");
	if (s->addr[0])
		json_str(j, s->addr);
	else
		json_null(j);
	JSON_KEY(j, "name");
	if (s->name[0])
		json_str(j, s->name);
	else
		json_null(j);
	JSON_KEY(j, "end_s");
	json_us(j, s->at_us);
	JSON_KEY(j, "duration_s");
	json_us(j, s->dur_us);
	json_obj_end(j);
}

/* The name-resolution part: null when not asked. */
static void json_resolve(struct json *j, const struct trace_result *tr)
{
	const struct trace_resolve_result *r = tr->resolve;
	size_t i;

	if (!r && !tr->resolve_why[0]) {
		json_null(j);
		return;
	}
	json_obj(j);
	JSON_KEY(j, "traced");
	json_bool(j, r != NULL);
	if (tr->resolve_why[0]) {
		JSON_KEY(j, "why");
		json_str(j, tr->resolve_why);
	}
	if (!r) {
		json_obj_end(j);
		return;
	}
	JSON_KEY(j, "processes");
	json_arr(j);
	for (i = 0; i < r->nprocs; i++) {
		json_obj(j);
		JSON_KEY(j, "pid");
		json_int(j, r->procs[i].pid);
		JSON_KEY(j, "comm");
		json_str(j, r->procs[i].comm);
		JSON_KEY(j, "libc");
		json_str(j, r->procs[i].libc);
		json_obj_end(j);
	}
	json_arr_end(j);
	JSON_KEY(j, "clients");
	json_arr(j);
	for (i = 0; i < r->nclients; i++)
		json_client(j, &r->clients[i]);
	json_arr_end(j);
	JSON_KEY(j, "slow_lookups");
	json_arr(j);
	for (i = 0; i < r->nslow; i++)
		json_slow(j, &r->slow[i]);
	json_arr_end(j);
	JSON_KEY(j, "slow_not_kept");
	json_uint(j, r->slow_not_kept);
	JSON_KEY(j, "events_lost");
	json_uint(j, r->events_lost);
	JSON_KEY(j, "not_followed");
	json_uint(j, r->not_followed);
	json_obj_end(j);
}

static void json_listeners(struct json *j, const struct trace_listeners *L)
{
	const struct trace_listener *l;
	size_t i;

	json_obj(j);
	JSON_KEY(j, "samples");
	json_uint(j, L->samples);
	JSON_KEY(j, "failed_samples");
	json_uint(j, L->failed);
	JSON_KEY(j, "error");
	if (L->failed)
		json_str(j, L->err);
	else
		json_null(j);
	JSON_KEY(j, "not_kept");
	json_uint(j, L->not_kept);
	JSON_KEY(j, "sockets");
	json_arr(j);
	for (i = 0; i < L->n; i++) {
		l = &L->v[i];
		json_obj(j);
		JSON_KEY(j, "address");
		json_str(j, l->addr);
		JSON_KEY(j, "port");
		json_uint(j, l->port);
		JSON_KEY(j, "limit");
		json_uint(j, l->limit);
		JSON_KEY(j, "queue_last");
		json_uint(j, l->queue_last);
		JSON_KEY(j, "queue_max");
		json_uint(j, l->queue_max);
		JSON_KEY(j, "queue_mean");
		json_fixed(j,
			   l->samples ? (double)l->queue_sum / l->samples : 0,
			   2);
		JSON_KEY(j, "samples");
		json_uint(j, l->samples);
		JSON_KEY(j, "full_samples");
		json_uint(j, l->full_samples);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

void trace_report_json_obj(struct json *j, const struct trace_result *r)
{
	size_t i;

	json_obj(j);
	JSON_KEY(j, "duration_s");
	json_us(j, r->duration_us);
	JSON_KEY(j, "ports");
	json_arr(j);
	for (i = 0; i < r->nports; i++)
		json_port(j, r, &r->ports[i]);
	json_arr_end(j);
	JSON_KEY(j, "listen");
	if (r->listen.ok) {
		json_obj(j);
		JSON_KEY(j, "overflows");
		json_int(j, r->listen.overflows);
		JSON_KEY(j, "drops");
		json_int(j, r->listen.drops);
		JSON_KEY(j, "max_overflows_per_s");
		json_int(j, r->listen.max_overflows_per_s);
		JSON_KEY(j, "samples");
		json_int(j, r->listen.samples);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	JSON_KEY(j, "listeners");
	json_listeners(j, &r->listeners);
	JSON_KEY(j, "requests");
	json_arr(j);
	for (i = 0; i < r->nreqs; i++)
		json_req(j, &r->reqs[i]);
	json_arr_end(j);
	JSON_KEY(j, "connections");
	json_arr(j);
	for (i = 0; i < r->nconns; i++)
		json_conn(j, &r->conns[i]);
	json_arr_end(j);
	JSON_KEY(j, "connections_not_kept");
	json_int(j, (int64_t)r->conns_not_kept);
	JSON_KEY(j, "events_lost");
	json_int(j, (int64_t)r->events_lost);
	JSON_KEY(j, "tables_full");
	json_int(j, (int64_t)r->tables_full);
	JSON_KEY(j, "drops_unplaced");
	json_int(j, (int64_t)r->drops_unplaced);
	JSON_KEY(j, "drops_traced");
	json_bool(j, r->drops_traced);
	JSON_KEY(j, "resolve");
	json_resolve(j, r);
	json_obj_end(j);
}

void trace_report_json(FILE *out, const struct trace_result *r)
{
	struct json j;

	json_init(&j, out, 0);
	trace_report_json_obj(&j, r);
	json_flush(&j); /* the writer ends a top-level value with '\n' */
}

static double sec(int64_t us)
{
	return (double)us / 1e6;
}

static void text_port(FILE *out, const struct trace_result *r,
		      const struct trace_port *p)
{
	const uint64_t *c = p->c;
	size_t i;
	int first = 1;

	fprintf(out, "port %u\n", p->port);
	fprintf(out, "  SYNs retransmitted        %" PRIu64 "\n",
		c[TRACE_SYN_RETRANS]);
	fprintf(out,
		"  SYN-ACKs retransmitted    %" PRIu64
		" (accept queue empty %" PRIu64 ", full %" PRIu64
		", partly full %" PRIu64 ")\n",
		c[TRACE_SYNACK_RETRANS_EMPTY] + c[TRACE_SYNACK_RETRANS_FULL] +
			c[TRACE_SYNACK_RETRANS_OTHER],
		c[TRACE_SYNACK_RETRANS_EMPTY], c[TRACE_SYNACK_RETRANS_FULL],
		c[TRACE_SYNACK_RETRANS_OTHER]);
	fprintf(out, "  resets sent / received    %" PRIu64 " / %" PRIu64 "\n",
		c[TRACE_RST_SENT], c[TRACE_RST_RECEIVED]);
	fprintf(out,
		"  connections               connected %" PRIu64
		", accepted %" PRIu64 ", failed before ESTABLISHED %" PRIu64
		"\n",
		c[TRACE_CONNECTED], c[TRACE_ACCEPTED], c[TRACE_FAILED]);
	fprintf(out,
		"  closed by                 local %" PRIu64 ", peer %" PRIu64
		", reset %" PRIu64 "\n",
		c[TRACE_CLOSED_LOCAL], c[TRACE_CLOSED_PEER],
		c[TRACE_CLOSED_RESET]);
	fprintf(out, "  data retransmits          %" PRIu64 "\n",
		c[TRACE_DATA_RETRANS]);
	fprintf(out, "  drops                     %" PRIu64, c[TRACE_DROPS]);
	for (i = 0; i < r->ndrops; i++) {
		if (r->drops[i].port != p->port)
			continue;
		fprintf(out, "%s%s %" PRIu64, first ? ": " : ", ",
			r->drops[i].name, r->drops[i].count);
		first = 0;
	}
	fputc('\n', out);
}

/* ", getnameinfo 1 x 0.302 s" for each function called. */
static void text_calls(FILE *out, const struct trace_calls *v)
{
	int f;

	for (f = 0; f < TRACE_FN__COUNT; f++)
		if (v[f].calls)
			fprintf(out, ", %s %" PRIu64 " (%.3f s)",
				trace_fn_name((enum trace_fn)f), v[f].calls,
				sec(v[f].total_us));
}

static int any_calls(const struct trace_calls *v)
{
	int f;

	for (f = 0; f < TRACE_FN__COUNT; f++)
		if (v[f].calls)
			return 1;
	return 0;
}

static void text_resolve(FILE *out, const struct trace_result *tr)
{
	const struct trace_resolve_result *r = tr->resolve;
	const struct trace_client *c;
	const struct trace_slow *s;
	size_t i;

	if (!r) {
		if (tr->resolve_why[0])
			fprintf(out, "name resolution: not traced: %s\n",
				tr->resolve_why);
		return;
	}
	fputs("name resolution traced in", out);
	for (i = 0; i < r->nprocs; i++)
		fprintf(out, "%s pid %d (%s, %s)", i ? "," : "",
			(int)r->procs[i].pid, r->procs[i].comm,
			r->procs[i].libc);
	fputc('\n', out);
	if (tr->resolve_why[0])
		fprintf(out, "  not traced: %s\n", tr->resolve_why);
	if (!r->nclients)
		fputs("  no lookups\n", out);
	for (i = 0; i < r->nclients; i++) {
		c = &r->clients[i];
		fprintf(out,
			"  client %s: %" PRIu64
			" lookups, %.3f s resolving (max %.3f s)",
			c->addr[0] ? c->addr : "(none resolved yet)",
			c->lookups, sec(c->total_us), sec(c->max_us));
		text_calls(out, c->fn);
		if (any_calls(c->nested)) {
			fputs("; inside them", out);
			text_calls(out, c->nested);
		}
		if (any_calls(c->numeric)) {
			fputs("; numeric only", out);
			text_calls(out, c->numeric);
		}
		fputc('\n', out);
	}
	if (r->nslow)
		fprintf(out, "lookups slower than %.3f s:\n",
			(double)TRACE_SLOW_NS / 1e9);
	for (i = 0; i < r->nslow; i++) {
		s = &r->slow[i];
		fprintf(out, "  %.3f s  pid %d tid %d %s%s %s%s%s %.3f s\n",
			sec(s->at_us), (int)s->pid, (int)s->tid,
			trace_fn_name(s->fn), s->nested ? " (nested)" : "",
			s->addr[0] ? s->addr : "-", s->name[0] ? " name " : "",
			s->name, sec(s->dur_us));
	}
	if (r->slow_not_kept || r->events_lost || r->not_followed)
		fprintf(out,
			"  slow lookups not listed %" PRIu64 ", lost %" PRIu64
			", calls not followed %" PRIu64 "\n",
			r->slow_not_kept, r->events_lost, r->not_followed);
}

static void text_listeners(FILE *out, const struct trace_listeners *L)
{
	const struct trace_listener *l;
	size_t i;

	if (!L->samples && L->failed) {
		fprintf(out, "listeners: not sampled (%s)\n", L->err);
		return;
	}
	if (!L->n) {
		fprintf(out, "listeners: none on these ports (%u samples)\n",
			L->samples);
		return;
	}
	for (i = 0; i < L->n; i++) {
		l = &L->v[i];
		fprintf(out,
			"listener %s:%u accept queue at most %u of %u (mean "
			"%.2f, full in %u of %u samples)\n",
			l->addr, l->port, l->queue_max, l->limit,
			l->samples ? (double)l->queue_sum / l->samples : 0,
			l->full_samples, l->samples);
	}
	if (L->not_kept)
		fprintf(out, "listeners: %" PRIu64 " more not kept\n",
			L->not_kept);
	if (L->failed)
		fprintf(out, "listeners: %u samples failed (%s)\n", L->failed,
			L->err);
}

void trace_report_text(FILE *out, const struct trace_result *r)
{
	const struct trace_conn *c;
	const struct trace_req *q;
	size_t i;

	fprintf(out, "conndoctor trace: %.1f s in this network namespace\n",
		sec(r->duration_us));
	for (i = 0; i < r->nports; i++)
		text_port(out, r, &r->ports[i]);
	if (r->listen.ok)
		fprintf(out,
			"listen queues (namespace) ListenOverflows +%" PRId64
			", ListenDrops +%" PRId64 " (at most +%" PRId64
			" in a second)\n",
			r->listen.overflows, r->listen.drops,
			r->listen.max_overflows_per_s);
	else
		fputs("listen queues (namespace) /proc/net/netstat "
		      "unreadable\n",
		      out);
	text_listeners(out, &r->listeners);
	if (!r->drops_traced)
		fputs("drops: not traced (this kernel's kfree_skb gives no "
		      "reason)\n",
		      out);
	if (r->nreqs)
		fputs("requests whose SYN-ACK was retransmitted:\n", out);
	for (i = 0; i < r->nreqs; i++) {
		q = &r->reqs[i];
		fprintf(out,
			"  %s:%u <- %s:%u  %u SYN-ACK retransmits, accept "
			"queue %u/%u, %s\n",
			q->e.laddr, q->e.lport, q->e.raddr, q->e.rport,
			q->synack_retrans, q->backlog, q->max_backlog,
			q->established ? "then ESTABLISHED"
				       : "never ESTABLISHED");
	}
	if (r->nconns)
		fputs("connections that ended abnormally:\n", out);
	for (i = 0; i < r->nconns; i++) {
		c = &r->conns[i];
		fprintf(out,
			"  %s %s:%u %s %s:%u  SYN_SENT %.3f s, SYN_RECV %.3f "
			"s, ESTABLISHED %.3f s, %u SYN retransmits, closed "
			"by %s\n",
			c->server ? "server" : "client", c->e.laddr, c->e.lport,
			c->server ? "<-" : "->", c->e.raddr, c->e.rport,
			sec(c->syn_sent_us), sec(c->syn_recv_us),
			sec(c->established_us), c->syn_retrans,
			trace_closer_name(c->closer));
	}
	if (r->conns_not_kept)
		fprintf(out, "connections not listed: %" PRIu64 "\n",
			r->conns_not_kept);
	fprintf(out,
		"events lost %" PRIu64 ", not followed (tables full) %" PRIu64
		"\n",
		r->events_lost, r->tables_full);
	text_resolve(out, r);
}
