/* test_chk_kernel_resolver.c - the kernel slice's rules on hand-made
 * sysctl values, the retries2 model, and the resolver's parsers and DNS
 * messages on byte vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "probe/hostfacts.h"
#include "check/kernel.h"
#include "check/resolver.h"

static const struct cd_finding *find(const struct cd_findings *f,
				     const char *code)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].def->code, code))
			return &f->v[i];
	return NULL;
}

static void defaults(struct chk_kernel *k)
{
	k->syn_retries = 6;
	k->syn_linear = 4;
	k->synack_retries = 5;
	k->retries2 = 15;
	k->keepalive_time = 7200;
	k->keepalive_intvl = 75;
	k->keepalive_probes = 9;
	k->fin_timeout = 60;
	k->tw_reuse = 2;
	k->syncookies = 1;
	k->somaxconn = 4096;
	k->max_syn_backlog = 2048;
	k->port_lo = 32768;
	k->port_hi = 60999;
	k->hz = 250;
}

static void kernel_defaults_are_quiet(void **state)
{
	struct chk_kernel k;
	struct chk_facts facts;
	struct cd_findings out;
	size_t i;
	int saw_synack = 0;

	(void)state;
	defaults(&k);
	chk_facts_init(&facts);
	cd_findings_init(&out);
	assert_int_equal(chk_kernel_rules(&k, &facts, &out), 0);
	assert_int_equal(out.n, 0);
	for (i = 0; i < facts.n; i++)
		if (!strcmp(facts.v[i].key, "tcp_synack_retries")) {
			saw_synack = 1;
			/* 1 + 2 + 4 + 8 + 16 + 32 s */
			assert_float_equal(
				chk_fact_value(&facts.v[i], "half_open_drop_s")
					->d,
				63, 1e-9);
		}
	assert_true(saw_synack);
	chk_facts_free(&facts);
	cd_findings_free(&out);
}

static void kernel_risky_values(void **state)
{
	struct chk_kernel k;
	struct chk_facts facts;
	struct cd_findings out;
	const struct cd_finding *f;

	(void)state;
	defaults(&k);
	k.syn_retries = 8;
	k.retries2 = 20;
	k.port_lo = 40000;
	k.port_hi = 40100;
	k.syncookies = 0;
	k.somaxconn = 128;
	chk_facts_init(&facts);
	cd_findings_init(&out);
	assert_int_equal(chk_kernel_rules(&k, &facts, &out), 0);
	f = find(&out, "CD3060");
	assert_non_null(f);
	/* 12 retransmissions (8 + 4 linear) are done at 371 s of timers,
	 * before the classic budget of 511 s; the timers run 4.6 s late on
	 * average at HZ=250 (tests/harness/kernel.py). */
	assert_float_equal(f->ev[1].v[0], 375.602, 1e-6);
	f = find(&out, "CD3061");
	assert_non_null(f);
	assert_float_equal(f->ev[1].v[0], 204.6 + 11 * 120, 1e-6);
	f = find(&out, "CD3062");
	assert_non_null(f);
	assert_float_equal(f->ev[0].v[0], 101, 1e-9);
	assert_non_null(find(&out, "CD3063"));
	assert_non_null(find(&out, "CD3064"));
	chk_facts_free(&facts);
	cd_findings_free(&out);
}

static void retries2_model(void **state)
{
	(void)state;
	/* tcp_model_timeout() with TCP_RTO_MIN 200 ms: 15 -> 924.6 s. */
	assert_float_equal(chk_retries2_timeout(15), 924.6, 1e-6);
	assert_float_equal(chk_retries2_timeout(8), 102.2, 1e-6);
	assert_float_equal(chk_retries2_timeout(-1), -1, 1e-9);
}

/* CONFIG_HZ from kernel config text: the first line, a later one, and
 * values that are not a kernel's HZ. */
static void kernel_hz(void **state)
{
	static const char a[] = "\nCONFIG_HZ=250\n";
	static const char b[] =
		"\n# CONFIG_HZ_100 is not set\nCONFIG_HZ_250=y\n"
		"CONFIG_HZ=1000\nCONFIG_HZ_PERIODIC=y\n";
	static const char c[] = "\nCONFIG_HZ=\n";
	static const char d[] = "\nCONFIG_HZ=9999999\n";
	static const char e[] = "\nCONFIG_HZ=250x\n";
	static const char f[] = "\nCONFIG_HZ=300"; /* ends at the buffer */

	(void)state;
	assert_int_equal(probe_kernel_hz_parse(a, sizeof(a) - 1), 250);
	assert_int_equal(probe_kernel_hz_parse(b, sizeof(b) - 1), 1000);
	assert_int_equal(probe_kernel_hz_parse(c, sizeof(c) - 1), -1);
	assert_int_equal(probe_kernel_hz_parse(d, sizeof(d) - 1), -1);
	assert_int_equal(probe_kernel_hz_parse(e, sizeof(e) - 1), -1);
	assert_int_equal(probe_kernel_hz_parse(f, sizeof(f) - 1), 300);
	assert_int_equal(probe_kernel_hz_parse(f, 5), -1);
}

static void resolv_conf(void **state)
{
	struct cd_resolv_conf r;

	(void)state;
	cd_resolv_conf_parse("nameserver 10.0.0.1\n"
			     "nameserver 2001:db8::1 # v6\n"
			     "nameserver 10.0.0.3\nnameserver 10.0.0.4\n"
			     "search a.example b.example\n"
			     "options rotate timeout:1 attempts:9 ndots:3\n",
			     "timeout:2", &r);
	assert_int_equal(r.nns, 3);
	assert_int_equal(r.nns_ignored, 1);
	assert_string_equal(r.ns[1], "2001:db8::1");
	assert_int_equal(r.timeout_s, 2); /* RES_OPTIONS after the file */
	assert_int_equal(r.attempts, 5);  /* glibc's cap */
	assert_int_equal(r.ndots, 3);
	assert_true(r.rotate);
	assert_int_equal(r.nsearch, 2);

	cd_resolv_conf_parse("", NULL, &r);
	assert_int_equal(r.nns, 0);
	assert_int_equal(r.timeout_s, 5);
	assert_int_equal(r.attempts, 2);
}

static void nsswitch_and_hosts(void **state)
{
	char src[8][16];
	struct in6_addr a;

	(void)state;
	assert_int_equal(chk_nsswitch_hosts("passwd: files\n"
					    "hosts: dns [NOTFOUND=return] "
					    "files # x\n",
					    src, 8),
			 2);
	assert_string_equal(src[0], "dns");
	assert_string_equal(src[1], "files");
	assert_int_equal(chk_nsswitch_hosts("passwd: files\n", src, 8), 0);

	inet_pton(AF_INET6, "::ffff:10.1.2.3", &a);
	assert_true(chk_hosts_has("127.0.0.1 localhost\n"
				  "  10.1.2.3\tapp1 app1.example\n",
				  &a));
	assert_false(chk_hosts_has("10.1.2.30 other\n# 10.1.2.3 x\n", &a));
}

static void dns_messages(void **state)
{
	/* dig -x 10.1.2.3 +noedns: the question for 3.2.1.10.in-addr.arpa */
	static const uint8_t want[] = {
		0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x01, '3',	0x01, '2',  0x01, '1',	0x02, '1',
		'0',  0x07, 'i',  'n',	'-',  'a',  'd',  'd',	'r',  0x04,
		'a',  'r',  'p',  'a',	0x00, 0x00, 0x0c, 0x00, 0x01,
	};
	static const uint8_t nx[] = {0x12, 0x34, 0x81, 0x83, 0, 1,
				     0,	   0,	 0,    0,    0, 0};
	uint8_t q[128];
	struct in6_addr a;
	struct chk_dns_reply r;

	(void)state;
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &a);
	assert_int_equal(chk_dns_ptr_query(q, sizeof(q), 0x1234, &a),
			 sizeof(want));
	assert_memory_equal(q, want, sizeof(want));
	assert_int_equal(chk_dns_ptr_query(q, 20, 0x1234, &a), -1);
	inet_pton(AF_INET6, "2001:db8::1", &a);
	assert_int_equal(chk_dns_ptr_query(q, sizeof(q), 1, &a),
			 12 + 64 + 9 + 1 + 4);

	assert_int_equal(chk_dns_parse_reply(nx, sizeof(nx), 0x1234, &r), 0);
	assert_int_equal(r.rcode, 3);
	assert_int_equal(r.answers, 0);
	assert_int_equal(chk_dns_parse_reply(nx, sizeof(nx), 0x1235, &r), -1);
	assert_int_equal(chk_dns_parse_reply(nx, 11, 0x1234, &r), -1);
	assert_int_equal(chk_dns_parse_reply(want, sizeof(want), 0x1234, &r),
			 -1); /* a query, not a reply */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_defaults_are_quiet),
		cmocka_unit_test(kernel_risky_values),
		cmocka_unit_test(retries2_model),
		cmocka_unit_test(kernel_hz),
		cmocka_unit_test(resolv_conf),
		cmocka_unit_test(nsswitch_and_hosts),
		cmocka_unit_test(dns_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
