/* test_chk_holders.c - who holds the server's sessions, from a hand-made
 * census and fd scan: client ends grouped by process (most first), the
 * server's TCP ends by client address, and CD6047 against max_connections
 * or the audit's refusal; an account's sessions in a hand-made processlist
 * against its max_user_connections (CD6058). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Adds a processlist client (user at host) with n sessions, tcp of them
 * over TCP; returns its index. */
static size_t client(struct srv_audit *a, const char *user, const char *host,
		     unsigned n, unsigned tcp_n)
{
	struct srv_client *x = &a->clients[a->nclients];

	snprintf(x->user, sizeof(x->user), "%s", user);
	snprintf(x->host, sizeof(x->host), "%s", host);
	x->sessions = n;
	x->tcp = tcp_n;
	return a->nclients++;
}

static void asleep(struct srv_audit *a, size_t k, uint32_t s)
{
	a->asleep_client[a->nasleep] = (uint16_t)k;
	a->asleep_s[a->nasleep++] = s;
}

static void peer(struct srv_audit *a, size_t k, const char *ip, uint16_t port)
{
	snprintf(a->peer_ip[a->npeers], sizeof(a->peer_ip[0]), "%s", ip);
	a->peer_port[a->npeers] = port;
	a->peer_client[a->npeers++] = (uint16_t)k;
}

static void account(struct srv_audit *a, const char *host, long long max)
{
	a->have_accounts = 1;
	snprintf(a->accounts[a->naccounts].host, sizeof(a->accounts[0].host),
		 "%s", host);
	a->accounts[a->naccounts++].max_user_connections = max;
}

static void var(struct srv_audit *a, const char *name, const char *value)
{
	snprintf(a->vars[a->nvars].name, sizeof(a->vars[0].name), "%s", name);
	snprintf(a->vars[a->nvars].value, sizeof(a->vars[0].value), "%s",
		 value);
	a->nvars++;
}

/* The server's order: an exact host, then the longest literal pattern,
 * '%' (and '') last; without a host, the one account or '%'. */
static void account_matching(void **state)
{
	struct srv_audit *a = calloc(1, sizeof(*a));

	(void)state;
	assert_non_null(a);
	assert_null(chk_account_for(a, "localhost"));
	account(a, "%", 3);
	assert_ptr_equal(chk_account_for(a, NULL), &a->accounts[0]);
	account(a, "LocalHost", 0);
	account(a, "10.0.%", 5);
	account(a, "10.0.0._", 7);
	assert_ptr_equal(chk_account_for(a, "localhost"), &a->accounts[1]);
	assert_ptr_equal(chk_account_for(a, "10.0.1.7"), &a->accounts[2]);
	assert_ptr_equal(chk_account_for(a, "10.0.0.7"), &a->accounts[3]);
	assert_ptr_equal(chk_account_for(a, "10.0.0.17"), &a->accounts[2]);
	assert_ptr_equal(chk_account_for(a, "192.168.1.1"), &a->accounts[0]);
	assert_ptr_equal(chk_account_for(a, NULL), &a->accounts[0]);
	a->accounts[0].host[0] = '\0'; /* '' is any host too */
	assert_ptr_equal(chk_account_for(a, "192.168.1.1"), &a->accounts[0]);
	a->naccounts = 1;
	snprintf(a->accounts[0].host, sizeof(a->accounts[0].host), "db1");
	assert_null(chk_account_for(a, "db2"));
	free(a);
}

/* app: 3 sessions from 10.0.0.7 (two asleep over 60 s), 2 over the
 * socket (one asleep 300 s), 1 from 127.0.0.1 held here by pid 4242 over
 * TCP (client port 40001), which holds the socket's two client ends too;
 * root and other users' sessions are not app's. */
static struct srv_audit *user_audit(void)
{
	struct srv_audit *a = calloc(1, sizeof(*a));
	size_t k;

	assert_non_null(a);
	a->have_processlist = 1;
	k = client(a, "app", "10.0.0.7", 3, 3);
	asleep(a, k, 120);
	asleep(a, k, 90);
	asleep(a, k, 30);
	peer(a, k, "10.0.0.7", 50001);
	peer(a, k, "10.0.0.7", 50002);
	peer(a, k, "10.0.0.7", 50003);
	k = client(a, "root", "localhost", 1, 0);
	asleep(a, k, 999);
	k = client(a, "app", "localhost", 2, 0);
	asleep(a, k, 300);
	k = client(a, "app", "127.0.0.1", 1, 1);
	peer(a, k, "127.0.0.1", 40001);
	k = client(a, "other", "127.0.0.1", 1, 1);
	peer(a, k, "127.0.0.1", 40002);
	var(a, "max_user_connections", "0");
	return a;
}

/* The census and fd scan for user_audit(): pid 4242's TCP client ends
 * 127.0.0.1:40001 (app's) and :40002 (other's, held by pid 9), and two
 * client ends of the socket. */
static void user_census(void)
{
	memset(&c, 0, sizeof(c));
	memset(&fds, 0, sizeof(fds));
	c.tcp = tcp;
	c.unix_ = ux;
	memset(tcp, 0, sizeof(tcp));
	tcp[0].state = CHK_TCP_ESTABLISHED;
	v4(&tcp[0].src, "127.0.0.1");
	tcp[0].sport = 40001;
	tcp[0].dport = 3306;
	tcp[1] = tcp[0];
	tcp[1].sport = 40002;
	tcp[2] = tcp[0]; /* the server's end of 40001 */
	tcp[2].server_side = 1;
	tcp[2].sport = 3306;
	tcp[2].dport = 40001;
	c.ntcp = 3;
	ux[0].role = CHK_UROLE_CLIENT;
	ux[1].role = CHK_UROLE_SERVER;
	ux[2].role = CHK_UROLE_CLIENT;
	ux[3].role = CHK_UROLE_SERVER;
	c.nunix = 4;
	fdv[0] = (struct chk_fdsock){4242, 5, 0, "python3", CHK_FD_TCP, 0};
	fdv[1] = (struct chk_fdsock){9, 5, 0, "perl", CHK_FD_TCP, 1};
	fdv[2] = (struct chk_fdsock){4242, 6, 0, "python3", CHK_FD_UNIX, 0};
	fdv[3] = (struct chk_fdsock){4242, 7, 0, "python3", CHK_FD_UNIX, 2};
	fds.v = fdv;
	fds.n = 4;
}

static void user_sessions(void **state)
{
	struct srv_audit *a = user_audit();
	struct chk_user_limit lim = {"app", "localhost", 1226, 6, 60};
	struct chk_user_sessions us;
	struct cd_findings out;
	const struct cd_finding *f;

	(void)state;
	user_census();
	account(a, "%", 6);
	chk_user_sessions_group(a, &lim, &c, &fds, &us);
	assert_ptr_equal(us.account, &a->accounts[0]);
	assert_int_equal(us.total, 6);
	assert_int_equal(us.tcp, 4);
	assert_int_equal(us.asleep, 3);
	assert_int_equal(us.longest_asleep_s, 300);
	assert_int_equal(us.nhosts, 3);
	assert_string_equal(us.hosts[0].host, "10.0.0.7");
	assert_int_equal(us.hosts[0].asleep, 2);
	assert_string_equal(us.hosts[1].host, "localhost");
	assert_int_equal(us.nlocal, 1);
	assert_int_equal(us.local[0].pid, 4242);
	assert_int_equal(us.local[0].tcp, 1);
	assert_int_equal(us.local[0].unix_, 2);
	cd_findings_init(&out);
	assert_int_equal(chk_user_limit_rule(a, &us, &lim, &out), 0);
	assert_int_equal(out.n, 1);
	f = &out.v[0];
	assert_string_equal(f->def->code, "CD6058");
	assert_int_equal(f->severity, CD_SEV_CRITICAL);
	assert_string_equal(
		f->summary,
		"user app holds 6 of its max_user_connections=6 (account "
		"app@'%' in mysql.user): 3 from 10.0.0.7, 2 over the socket, 1 "
		"from 127.0.0.1; 3 asleep > 60 s (the longest 300 s); on this "
		"host pid 4242 (python3) holds 1 of them over TCP and 2 socket "
		"sessions");
	assert_non_null(strstr(f->evidence,
			       "information_schema.PROCESSLIST: 6 sessions of "
			       "app (4 over TCP, 2 over the socket), by host: "
			       "10.0.0.7 3 (2 asleep > 60 s), localhost "
			       "(socket) 2 (1 asleep > 60 s), 127.0.0.1 1 (0 "
			       "asleep > 60 s); mysql.user: app@'%' "
			       "max_user_connections=6; global "
			       "max_user_connections=0; ERROR 1226 (current "
			       "value: 6) to the probe"));
	assert_true(ev(f, "max_user_connections") == 6);
	assert_true(ev(f, "account_max_user_connections") == 6);
	assert_true(ev(f, "global_max_user_connections") == 0);
	assert_true(ev(f, "account_limit_read") == 1);
	assert_true(ev(f, "pid") == 4242);
	assert_true(ev(f, "local_tcp_sessions") == 1);
	assert_true(ev(f, "local_socket_sessions") == 2);
	cd_findings_free(&out);
	free(a);
}

/* Two accounts: the socket's login matches app@localhost, whose own
 * limit is 2; the sessions from elsewhere count for app@'%'. */
static void user_sessions_per_account(void **state)
{
	struct srv_audit *a = user_audit();
	struct chk_user_limit lim = {"app", "localhost", 1226, 2, 60};
	struct chk_user_sessions us;
	struct cd_findings out;

	(void)state;
	account(a, "%", 0);
	account(a, "localhost", 2);
	chk_user_sessions_group(a, &lim, NULL, NULL, &us);
	assert_ptr_equal(us.account, &a->accounts[1]);
	assert_int_equal(us.total, 2);
	assert_int_equal(us.tcp, 0);
	assert_int_equal(us.nlocal, 0);
	cd_findings_init(&out);
	assert_int_equal(chk_user_limit_rule(a, &us, &lim, &out), 0);
	assert_string_equal(out.v[0].summary,
			    "user app holds 2 of its max_user_connections=2 "
			    "(account app@'localhost' in mysql.user): 2 over "
			    "the socket; 1 asleep > 60 s (the longest 300 s)");
	cd_findings_free(&out);
	free(a);
}

/* mysql.user unreadable: 1203 is the global value, 1226 names its own;
 * without either the limit is unknown, never guessed. */
static void user_limit_not_read(void **state)
{
	struct srv_audit *a = user_audit();
	struct chk_user_limit lim = {"app", NULL, 1203, -1, 60};
	struct chk_user_sessions us;
	struct cd_findings out;
	unsigned k;

	(void)state;
	snprintf(a->vars[0].value, sizeof(a->vars[0].value), "6");
	snprintf(a->accounts_why, sizeof(a->accounts_why),
		 "ERROR 1142 (42000): SELECT command denied");
	chk_user_sessions_group(a, &lim, NULL, NULL, &us);
	assert_null(us.account);
	assert_int_equal(us.total, 6);
	cd_findings_init(&out);
	assert_int_equal(chk_user_limit_rule(a, &us, &lim, &out), 0);
	assert_non_null(
		strstr(out.v[0].summary,
		       "user app holds 6 of its "
		       "max_user_connections=6 (account limit not "
		       "read; the global value, as ERROR 1203 says): "));
	assert_non_null(strstr(out.v[0].evidence,
			       "mysql.user not read: ERROR 1142 (42000): "
			       "SELECT command denied"));
	assert_true(ev(&out.v[0], "account_limit_read") == 0);
	cd_findings_free(&out);
	cd_findings_init(&out);
	lim.refused_code = 1226;
	assert_int_equal(chk_user_limit_rule(a, &us, &lim, &out), 0);
	assert_non_null(strstr(out.v[0].summary,
			       "user app holds 6 sessions, its limit unknown "
			       "(account limit not read): "));
	for (k = 0; k < out.v[0].nev; k++) /* no limit to show */
		assert_string_not_equal(out.v[0].ev[k].key,
					"max_user_connections");
	cd_findings_free(&out);
	/* Not the account's limit, or no processlist: nothing to say. */
	cd_findings_init(&out);
	lim.refused_code = 1040;
	assert_int_equal(chk_user_limit_rule(a, &us, &lim, &out), 0);
	lim.refused_code = 1226;
	a->have_processlist = 0;
	assert_int_equal(chk_user_limit_rule(a, &us, &lim, &out), 0);
	assert_int_equal(out.n, 0);
	cd_findings_free(&out);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grouped),
		cmocka_unit_test(user_limit_of),
		cmocka_unit_test(rule),
		cmocka_unit_test(account_matching),
		cmocka_unit_test(user_sessions),
		cmocka_unit_test(user_sessions_per_account),
		cmocka_unit_test(user_limit_not_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
