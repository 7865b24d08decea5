/* test_trace_report.c - `trace`'s summary renderers over a hand-made
 * trace_result: the exact JSON document and the text lines a reader (and
 * the lab tests) rely on. No kernel needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check/check.h"
#include "trace/trace.h"
#include "trace/trace_report.h"

/* One LISTEN socket on 10.213.12.2:3306 with queue of its limit 128, and
 * a connected socket the sampler must skip. */
static void listen_sample(struct trace_listeners *L, uint32_t queue)
{
	struct chk_sock s[2];

	memset(s, 0, sizeof(s));
	s[0].family = s[1].family = 2;
	s[0].state = CHK_TCP_LISTEN;
	s[1].state = CHK_TCP_ESTABLISHED;
	s[0].src.s6_addr[10] = s[0].src.s6_addr[11] = 0xff;
	s[0].src.s6_addr[12] = 10;
	s[0].src.s6_addr[13] = 213;
	s[0].src.s6_addr[14] = 12;
	s[0].src.s6_addr[15] = 2;
	s[0].sport = s[1].sport = 3306;
	s[0].rqueue = queue;
	s[0].wqueue = 128;
	s[1].rqueue = 999;
	trace_listeners_add(L, s, 2);
	L->samples++;
}

static void endpoints(struct trace_endpoints *e, const char *l, uint16_t lport,
		      const char *r, uint16_t rport)
{
	strcpy(e->laddr, l);
	strcpy(e->raddr, r);
	e->lport = lport;
	e->rport = rport;
}

/* A third ACK lost on the server: one request resent twice with an empty
 * queue, two ACKs dropped by the firewall, one client that gave up. */
static void fill(struct trace_result *r, struct trace_drop *drop,
		 struct trace_req *req, struct trace_conn *conn)
{
	memset(r, 0, sizeof(*r));
	r->duration_us = 5000123;
	r->nports = 1;
	r->ports[0].port = 3306;
	r->ports[0].c[TRACE_SYNACK_RETRANS_EMPTY] = 2;
	r->ports[0].c[TRACE_SYN_RETRANS] = 2;
	r->ports[0].c[TRACE_FAILED] = 1;
	r->ports[0].c[TRACE_DROPS] = 2;
	memset(drop, 0, sizeof(*drop));
	drop->port = 3306;
	drop->reason = 12;
	strcpy(drop->name, "NETFILTER_DROP");
	drop->count = 2;
	r->drops = drop;
	r->ndrops = 1;
	memset(req, 0, sizeof(*req));
	endpoints(&req->e, "10.213.12.2", 3306, "10.213.12.1", 40000);
	req->port = 3306;
	req->synack_retrans = 2;
	req->max_backlog = 128;
	req->first_us = 1000000;
	req->last_us = 3000001;
	r->reqs = req;
	r->nreqs = 1;
	memset(conn, 0, sizeof(*conn));
	endpoints(&conn->e, "10.213.12.1", 40001, "10.213.12.2", 3306);
	conn->port = 3306;
	conn->at_us = 3100000;
	conn->syn_sent_us = 3078001;
	conn->syn_retrans = 2;
	conn->closer = TRACE_CLOSER_GAVE_UP;
	r->conns = conn;
	r->nconns = 1;
	r->listen.ok = 1;
	r->listen.overflows = 9;
	r->listen.drops = 9;
	r->listen.max_overflows_per_s = 3;
	r->listen.samples = 5;
	/* A burst that overflowed the queue in one of three samples. */
	listen_sample(&r->listeners, 0);
	listen_sample(&r->listeners, 129);
	listen_sample(&r->listeners, 5);
	r->drops_traced = 1;
}

static char *render(void (*fn)(FILE *, const struct trace_result *),
		    const struct trace_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, r);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_json(void **state)
{
	struct trace_result r;
	struct trace_drop d;
	struct trace_req q;
	struct trace_conn c;
	char *out;

	(void)state;
	fill(&r, &d, &q, &c);
	out = render(trace_report_json, &r);
	assert_string_equal(
		out, "{\"duration_s\":5.000123,\"ports\":[{\"port\":3306,"
		     "\"syn_retransmits\":2,\"data_retransmits\":0,"
		     "\"synack_retransmits_queue_empty\":2,"
		     "\"synack_retransmits_queue_full\":0,"
		     "\"synack_retransmits_queue_partial\":0,\"resets_sent\":0,"
		     "\"resets_received\":0,\"connected\":0,\"accepted\":0,"
		     "\"failed_before_established\":1,\"closed_by_local\":0,"
		     "\"closed_by_peer\":0,\"closed_by_reset\":0,\"drops\":2,"
		     "\"drops_by_reason\":{\"NETFILTER_DROP\":2}}],"
		     "\"listen\":{\"overflows\":9,\"drops\":9,"
		     "\"max_overflows_per_s\":3,\"samples\":5},"
		     "\"listeners\":{\"samples\":3,\"failed_samples\":0,"
		     "\"error\":null,\"not_kept\":0,\"sockets\":[{"
		     "\"address\":\"10.213.12.2\",\"port\":3306,"
		     "\"limit\":128,\"queue_last\":5,\"queue_max\":129,"
		     "\"queue_mean\":44.67,\"samples\":3,"
		     "\"full_samples\":1}]},"
		     "\"requests\":[{\"port\":3306,\"local\":\"10.213.12.2\","
		     "\"local_port\":3306,\"remote\":\"10.213.12.1\","
		     "\"remote_port\":40000,\"synack_retransmits\":2,"
		     "\"accept_queue\":0,\"accept_queue_limit\":128,"
		     "\"first_s\":1.000000,\"last_s\":3.000001,"
		     "\"established\":false}],"
		     "\"connections\":[{\"port\":3306,\"role\":\"client\","
		     "\"local\":\"10.213.12.1\",\"local_port\":40001,"
		     "\"remote\":\"10.213.12.2\",\"remote_port\":3306,"
		     "\"end_s\":3.100000,\"syn_sent_s\":3.078001,"
		     "\"syn_recv_s\":0.000000,\"established_s\":0.000000,"
		     "\"syn_retransmits\":2,\"data_retransmits\":0,"
		     "\"established\":false,\"reset_sent\":false,"
		     "\"reset_received\":false,\"closed_by\":\"gave_up\"}],"
		     "\"connections_not_kept\":0,\"events_lost\":0,"
		     "\"tables_full\":0,\"drops_unplaced\":0,"
		     "\"drops_traced\":true,\"resolve\":null}\n");
	free(out);
}

static void test_text(void **state)
{
	struct trace_result r;
	struct trace_drop d;
	struct trace_req q;
	struct trace_conn c;
	char *out;

	(void)state;
	fill(&r, &d, &q, &c);
	out = render(trace_report_text, &r);
	assert_non_null(strstr(out, "conndoctor trace: 5.0 s in this network "
				    "namespace\nport 3306\n"));
	assert_non_null(strstr(out, "  SYN-ACKs retransmitted    2 (accept "
				    "queue empty 2, full 0, partly full 0)\n"));
	assert_non_null(strstr(
		out, "  drops                     2: NETFILTER_DROP 2\n"));
	assert_non_null(strstr(out, "ListenOverflows +9, ListenDrops +9 (at "
				    "most +3 in a second)\n"));
	assert_non_null(strstr(out, "listener 10.213.12.2:3306 accept queue at "
				    "most 129 of 128 (mean 44.67, full in 1 "
				    "of 3 samples)\n"));
	assert_non_null(strstr(out, "  10.213.12.2:3306 <- 10.213.12.1:40000  "
				    "2 SYN-ACK retransmits, accept queue "
				    "0/128, never ESTABLISHED\n"));
	assert_non_null(strstr(out, "  client 10.213.12.1:40001 -> "
				    "10.213.12.2:3306  SYN_SENT 3.078 s, "
				    "SYN_RECV 0.000 s, ESTABLISHED 0.000 s, 2 "
				    "SYN retransmits, closed by gave_up\n"));
	free(out);
}

/* mysqld's resolve time for one client: getnameinfo (with its inner
 * gethostbyaddr_r), the forward getaddrinfo and two numeric conversions;
 * one slow lookup. */
static void fill_resolve(struct trace_resolve_result *rr,
			 struct trace_client *cl, struct trace_slow *sl)
{
	memset(rr, 0, sizeof(*rr));
	memset(cl, 0, sizeof(*cl));
	memset(sl, 0, sizeof(*sl));
	rr->procs[0].pid = 4242;
	snprintf(rr->procs[0].comm, sizeof(rr->procs[0].comm), "mariadbd");
	snprintf(rr->procs[0].libc, sizeof(rr->procs[0].libc),
		 "/lib/x86_64-linux-gnu/libc.so.6");
	rr->nprocs = 1;
	snprintf(cl->addr, sizeof(cl->addr), "10.213.12.1");
	cl->lookups = 2;
	cl->total_us = 605000;
	cl->max_us = 303000;
	cl->fn[TRACE_FN_GETNAMEINFO] = (struct trace_calls){1, 302000, 302000};
	cl->fn[TRACE_FN_GETADDRINFO] = (struct trace_calls){1, 303000, 303000};
	cl->nested[TRACE_FN_GETHOSTBYADDR_R] =
		(struct trace_calls){1, 301000, 301000};
	cl->numeric[TRACE_FN_GETNAMEINFO] = (struct trace_calls){2, 12, 7};
	rr->clients = cl;
	rr->nclients = 1;
	snprintf(sl->addr, sizeof(sl->addr), "10.213.12.1");
	snprintf(sl->name, sizeof(sl->name), "db-client.lab.test");
	sl->fn = TRACE_FN_GETADDRINFO;
	sl->pid = 4242;
	sl->tid = 4250;
	sl->at_us = 1500000;
	sl->dur_us = 303000;
	rr->slow = sl;
	rr->nslow = 1;
}

static void test_resolve_json(void **state)
{
	struct trace_resolve_result rr;
	struct trace_client cl;
	struct trace_slow sl;
	struct trace_result r;
	char *out;

	(void)state;
	memset(&r, 0, sizeof(r));
	fill_resolve(&rr, &cl, &sl);
	r.resolve = &rr;
	out = render(trace_report_json, &r);
	assert_non_null(strstr(
		out,
		"\"resolve\":{\"traced\":true,\"processes\":[{\"pid\":4242,"
		"\"comm\":\"mariadbd\",\"libc\":\"/lib/x86_64-linux-gnu/"
		"libc.so.6\"}],\"clients\":[{\"address\":\"10.213.12.1\","
		"\"lookups\":2,\"total_s\":0.605000,\"max_s\":0.303000,"
		"\"functions\":{\"getnameinfo\":{\"calls\":1,\"total_s\":"
		"0.302000,\"max_s\":0.302000},\"getaddrinfo\":{\"calls\":1,"
		"\"total_s\":0.303000,\"max_s\":0.303000}},\"nested\":{"
		"\"gethostbyaddr_r\":{\"calls\":1,\"total_s\":0.301000,"
		"\"max_s\":0.301000}},\"numeric\":{\"getnameinfo\":{"
		"\"calls\":2,\"total_s\":0.000012,\"max_s\":0.000007}}}],"
		"\"slow_lookups\":[{\"pid\":4242,\"tid\":4250,\"function\":"
		"\"getaddrinfo\",\"nested\":false,\"address\":"
		"\"10.213.12.1\",\"name\":\"db-client.lab.test\",\"end_s\":"
		"1.500000,\"duration_s\":0.303000}],\"slow_not_kept\":0,"
		"\"events_lost\":0,\"not_followed\":0}}\n"));
	free(out);
	/* Not traced: why, and nothing else. */
	r.resolve = NULL;
	snprintf(r.resolve_why, sizeof(r.resolve_why), "no mysqld");
	out = render(trace_report_json, &r);
	assert_non_null(strstr(
		out,
		"\"resolve\":{\"traced\":false,\"why\":\"no mysqld\"}}\n"));
	free(out);
}

static void test_resolve_text(void **state)
{
	struct trace_resolve_result rr;
	struct trace_client cl;
	struct trace_slow sl;
	struct trace_result r;
	char *out;

	(void)state;
	memset(&r, 0, sizeof(r));
	fill_resolve(&rr, &cl, &sl);
	r.resolve = &rr;
	out = render(trace_report_text, &r);
	assert_non_null(strstr(out, "name resolution traced in pid 4242 "
				    "(mariadbd, /lib/x86_64-linux-gnu/"
				    "libc.so.6)\n"));
	assert_non_null(strstr(
		out, "  client 10.213.12.1: 2 lookups, 0.605 s resolving (max "
		     "0.303 s), getnameinfo 1 (0.302 s), getaddrinfo 1 "
		     "(0.303 s); inside them, gethostbyaddr_r 1 (0.301 s); "
		     "numeric only, getnameinfo 2 (0.000 s)\n"));
	assert_non_null(strstr(out, "  1.500 s  pid 4242 tid 4250 getaddrinfo "
				    "10.213.12.1 name db-client.lab.test "
				    "0.303 s\n"));
	free(out);
	r.resolve = NULL;
	snprintf(r.resolve_why, sizeof(r.resolve_why), "no mysqld");
	out = render(trace_report_text, &r);
	assert_non_null(
		strstr(out, "name resolution: not traced: no mysqld\n"));
	free(out);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(trace_counter_name(TRACE_SYN_RETRANS),
			    "syn_retransmits");
	assert_string_equal(trace_counter_name(TRACE_DROPS), "drops");
	assert_string_equal(trace_counter_name(TRACE_COUNTER__COUNT), "?");
	assert_string_equal(trace_closer_name(TRACE_CLOSER_PEER_RST),
			    "peer_reset");
	assert_string_equal(trace_closer_name(TRACE_CLOSER_NONE), "");
	assert_string_equal(trace_fn_name(TRACE_FN_GETHOSTBYADDR_R),
			    "gethostbyaddr_r");
	assert_string_equal(trace_fn_name(TRACE_FN__COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_resolve_json),
		cmocka_unit_test(test_resolve_text),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
