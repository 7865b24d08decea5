/* test_trace_rules.c - the findings a trace gives diagnose, from
 * hand-made trace results: each mechanism named with its numbers, nothing
 * from a quiet trace or from lookups a resolver answered at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "trace/trace_rules.h"

static const struct cd_finding *find(const struct cd_findings *f,
				     const char *code)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].def->code, code))
			return &f->v[i];
	return NULL;
}

static double ev(const struct cd_finding *f, const char *key)
{
	unsigned i;

	for (i = 0; i < f->nev; i++)
		if (!strcmp(f->ev[i].key, key))
			return f->ev[i].v[0];
	fail_msg("no evidence %s in %s", key, f->def->code);
	return 0;
}

static void base(struct trace_result *r)
{
	memset(r, 0, sizeof(*r));
	r->nports = 1;
	r->ports[0].port = 3306;
	r->listen.ok = 1;
	r->drops_traced = 1;
}

static void test_quiet_trace_says_nothing(void **state)
{
	struct trace_result r;
	struct trace_resolve_result rr;
	struct trace_client c;
	struct cd_findings f;

	(void)state;
	base(&r);
	/* A resolver that answers: 3 lookups of at most 2 ms. */
	memset(&rr, 0, sizeof(rr));
	memset(&c, 0, sizeof(c));
	strcpy(c.addr, "10.0.0.7");
	c.lookups = 3;
	c.total_us = 4000;
	c.max_us = 2000;
	rr.clients = &c;
	rr.nclients = 1;
	r.resolve = &rr;
	r.ports[0].c[TRACE_CONNECTED] = 10;
	r.ports[0].c[TRACE_ACCEPTED] = 10;
	cd_findings_init(&f);
	assert_int_equal(trace_rules(&r, 3306, &f), 0);
	assert_int_equal(f.n, 0);
	cd_findings_free(&f);
}

static void test_slow_resolve(void **state)
{
	struct trace_result r;
	struct trace_resolve_result rr;
	struct trace_client c[2];
	const struct cd_finding *x;
	struct cd_findings f;

	(void)state;
	base(&r);
	memset(&rr, 0, sizeof(rr));
	memset(c, 0, sizeof(c));
	strcpy(c[0].addr, "10.0.0.7");
	c[0].lookups = 2;
	c[0].total_us = 4000000;
	c[0].max_us = 2000000;
	c[0].fn[TRACE_FN_GETNAMEINFO].calls = 2;
	c[0].fn[TRACE_FN_GETNAMEINFO].total_us = 4000000;
	strcpy(c[1].addr, "10.0.0.8");
	c[1].lookups = 1;
	c[1].total_us = 150000; /* just over the 100 ms line */
	c[1].max_us = 150000;
	rr.clients = c;
	rr.nclients = 2;
	r.resolve = &rr;
	cd_findings_init(&f);
	assert_int_equal(trace_rules(&r, 3306, &f), 0);
	assert_int_equal(f.n, 1);
	x = fixture_need(find(&f, "CD2020"), "CD2020");
	assert_non_null(strstr(x->summary, "4.00 s resolving 10.0.0.7"));
	assert_non_null(strstr(x->summary, "other clients too"));
	assert_true(ev(x, "resolve_total_s") == 4.0);
	assert_true(ev(x, "resolve_max_s") == 2.0);
	assert_true(ev(x, "lookups") == 2);
	assert_true(ev(x, "slow_clients") == 2);
	cd_findings_free(&f);
}

static void test_third_ack_lost_here(void **state)
{
	struct trace_result r;
	struct trace_req q[3];
	struct trace_drop d;
	const struct cd_finding *x;
	struct cd_findings f;

	(void)state;
	base(&r);
	memset(q, 0, sizeof(q));
	q[0].port = q[1].port = q[2].port = 3306;
	q[0].synack_retrans = 2;
	q[1].synack_retrans = 1;
	q[2].synack_retrans = 1; /* completed later: not counted */
	q[2].established = 1;
	r.reqs = q;
	r.nreqs = 3;
	memset(&d, 0, sizeof(d));
	d.port = 3306;
	strcpy(d.name, "NETFILTER_DROP");
	d.count = 5;
	r.drops = &d;
	r.ndrops = 1;
	cd_findings_init(&f);
	assert_int_equal(trace_rules(&r, 3306, &f), 0);
	x = fixture_need(find(&f, "CD3070"), "CD3070");
	assert_int_equal(x->severity, CD_SEV_CRITICAL);
	assert_true(ev(x, "requests") == 2);
	assert_true(ev(x, "synack_retransmits") == 3);
	assert_true(ev(x, "netfilter_drops") == 5);
	assert_non_null(strstr(x->summary, "firewall dropped the client"));
	x = fixture_need(find(&f, "CD3072"), "CD3072");
	assert_true(ev(x, "netfilter_drops") == 5);
	assert_null(find(&f, "CD3071"));
	/* Another port's drops are not this port's. */
	cd_findings_free(&f);
	cd_findings_init(&f);
	assert_int_equal(trace_rules(&r, 3307, &f), 0);
	assert_int_equal(f.n, 0);
	cd_findings_free(&f);
}

static void test_overflow(void **state)
{
	struct trace_result r;
	const struct cd_finding *x;
	struct cd_findings f;

	(void)state;
	/* Only the namespace's counter: a warning, it may be another port. */
	base(&r);
	r.listen.overflows = 7;
	cd_findings_init(&f);
	assert_int_equal(trace_rules(&r, 3306, &f), 0);
	x = fixture_need(find(&f, "CD3071"), "CD3071");
	assert_int_equal(x->severity, CD_SEV_WARNING);
	assert_true(ev(x, "listen_overflows") == 7);
	cd_findings_free(&f);
	/* This listener's own queue seen full: critical, with its numbers. */
	r.listeners.n = 1;
	strcpy(r.listeners.v[0].addr, "10.0.0.1");
	r.listeners.v[0].port = 3306;
	r.listeners.v[0].limit = 1;
	r.listeners.v[0].queue_max = 2;
	r.listeners.v[0].samples = 4;
	r.listeners.v[0].full_samples = 3;
	cd_findings_init(&f);
	assert_int_equal(trace_rules(&r, 3306, &f), 0);
	x = fixture_need(find(&f, "CD3071"), "CD3071");
	assert_int_equal(x->severity, CD_SEV_CRITICAL);
	assert_true(ev(x, "accept_queue_max") == 2);
	assert_true(ev(x, "accept_queue_limit") == 1);
	assert_non_null(
		strstr(x->summary, "10.0.0.1:3306 held 2 of its limit 1"));
	cd_findings_free(&f);
}

static void test_resets(void **state)
{
	struct trace_result r;
	const struct cd_finding *x;
	struct cd_findings f;

	(void)state;
	base(&r);
	r.ports[0].c[TRACE_RST_SENT] = 3;
	cd_findings_init(&f);
	assert_int_equal(trace_rules(&r, 3306, &f), 0);
	x = fixture_need(find(&f, "CD3073"), "CD3073");
	assert_true(ev(x, "resets_sent") == 3);
	cd_findings_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet_trace_says_nothing),
		cmocka_unit_test(test_slow_resolve),
		cmocka_unit_test(test_third_ack_lost_here),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_resets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
