/* test_chk_holders.c - who holds the server's sessions, from a hand-made
 * census and fd scan: client ends grouped by process (most first), the
 * server's TCP ends by client address, and CD6047 against max_connections
 * or the audit's refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "check/holders.h"

static struct chk_sock tcp[8];
static struct chk_usock ux[32];
static struct chk_fdsock fdv[40];
static struct chk_census c;
static struct chk_fds fds;

static void v4(struct in6_addr *a, const char *ip)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	inet_pton(AF_INET, ip, &a->s6_addr[12]);
}

/* pid 4242 (python3): 11 over the socket; pid 77 (php): 1 over TCP;
 * one remote TCP client. */
static void build(void)
{
	size_t i;

	memset(&c, 0, sizeof(c));
	memset(&fds, 0, sizeof(fds));
	c.tcp = tcp;
	c.unix_ = ux;
	for (i = 0; i < 11; i++) {
		ux[c.nunix].role = CHK_UROLE_CLIENT;
		fdv[fds.n] =
			(struct chk_fdsock){4242,      (int)(10 + i), 0,
					    "python3", CHK_FD_UNIX,   c.nunix};
		c.nunix++;
		fds.n++;
		ux[c.nunix++].role = CHK_UROLE_SERVER;
	}
	memset(&tcp[0], 0, sizeof(tcp[0]));
	tcp[0].state = CHK_TCP_ESTABLISHED; /* php's client end */
	tcp[0].dport = 3306;
	fdv[fds.n++] = (struct chk_fdsock){77, 5, 0, "php", CHK_FD_TCP, 0};
	tcp[1] = tcp[0]; /* the server's end of it */
	tcp[1].server_side = 1;
	v4(&tcp[1].dst, "127.0.0.1");
	tcp[2] = tcp[1]; /* a remote client */
	v4(&tcp[2].dst, "10.0.0.5");
	tcp[3] = tcp[2];
	c.ntcp = 4;
	fds.v = fdv;
}

static double ev(const struct cd_finding *f, const char *key)
{
	unsigned k;

	for (k = 0; k < f->nev; k++)
		if (!strcmp(f->ev[k].key, key))
			return f->ev[k].v[0];
	fail_msg("no evidence %s", key);
	return 0;
}

static void grouped(void **state)
{
	struct chk_holders h;

	(void)state;
	build();
	chk_holders_group(&c, &fds, &h);
	assert_int_equal(h.n, 2);
	assert_int_equal(h.v[0].pid, 4242);
	assert_int_equal(h.v[0].unix_, 11);
	assert_int_equal(h.v[0].tcp, 0);
	assert_int_equal(h.v[1].pid, 77);
	assert_int_equal(h.v[1].tcp, 1);
	assert_int_equal(h.server_ends, 11 + 3);
	assert_int_equal(h.npeers, 2);
	assert_string_equal(h.peers[0].addr, "10.0.0.5");
	assert_int_equal(h.peers[0].sessions, 2);
}

static void rule(void **state)
{
	struct chk_holders h;
	struct cd_findings out;
	const struct cd_finding *f;
	const struct chk_limit lim151 = {151, 0, NULL, -1},
			       lim10 = {10, 0, NULL, -1},
			       refused = {-1, 1040, NULL, -1},
			       user1226 = {-1, 1226, "app", 5},
			       user1203 = {-1, 1203, "app", -1};

	(void)state;
	build();
	chk_holders_group(&c, &fds, &h);
	snprintf(h.v[0].user, sizeof(h.v[0].user), "app");
	cd_findings_init(&out);
	/* Far below the limit and not refused: nothing to say. */
	assert_int_equal(chk_holders_rule(&h, &lim151, &out), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(chk_holders_rule(&h, &lim10, &out), 0);
	assert_int_equal(out.n, 1);
	f = &out.v[0];
	assert_string_equal(f->def->code, "CD6047");
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	assert_string_equal(f->summary, "pid 4242 (python3, user app) holds 11 "
					"of max_connections=10 (+1 for admin)");
	assert_true(ev(f, "sessions") == 11);
	assert_true(ev(f, "max_connections") == 10);
	assert_non_null(strstr(f->evidence, "other holders: pid 77 (php) 1"));
	assert_non_null(strstr(f->evidence, "10.0.0.5 2, 127.0.0.1 1"));
	cd_findings_free(&out);
	cd_findings_init(&out);
	assert_int_equal(chk_holders_rule(&h, &refused, &out), 0);
	assert_int_equal(out.n, 1);
	assert_true(ev(&out.v[0], "refused_code") == 1040);
	assert_non_null(strstr(out.v[0].summary, "ERROR 1040"));
	cd_findings_free(&out);
	/* The account's own limit, named by 1226, and 1203's without it. */
	cd_findings_init(&out);
	assert_int_equal(chk_holders_rule(&h, &user1226, &out), 0);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].severity, CD_SEV_CRITICAL);
	assert_string_equal(out.v[0].summary,
			    "user app holds 5 of max_user_connections=5 "
			    "(ERROR 1226 to the audit's login); pid 4242 "
			    "(python3, user app) holds 11 sessions to the "
			    "server");
	assert_true(ev(&out.v[0], "max_user_connections") == 5);
	cd_findings_free(&out);
	cd_findings_init(&out);
	assert_int_equal(chk_holders_rule(&h, &user1203, &out), 0);
	assert_non_null(strstr(out.v[0].summary,
			       "user app is at max_user_connections (ERROR "
			       "1203 to the audit's login)"));
	cd_findings_free(&out);
}

/* 1226's text names the limit; 1203's and others do not. */
static void user_limit_of(void **state)
{
	(void)state;
	assert_true(chk_user_limit_of("User 'app' has exceeded the "
				      "'max_user_connections' resource "
				      "(current value: 5)") == 5);
	assert_true(chk_user_limit_of("User app already has more than "
				      "'max_user_connections' active "
				      "connections") == -1);
	assert_true(chk_user_limit_of("User 'app' has exceeded the "
				      "'max_questions' resource (current "
				      "value: 9)") == -1);
	assert_true(chk_user_limit_of(NULL) == -1);
	assert_true(chk_user_limit_of("'max_user_connections' (current "
				      "value: x)") == -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grouped),
		cmocka_unit_test(user_limit_of),
		cmocka_unit_test(rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
