/* test_probe_run.c - the engine's whole-measurement API (probe/run.h) that
 * probe, diagnose and watch drive: probe_measure() reads the host facts
 * from the plan's files along with the run (a hand-made /proc tree and
 * resolv.conf), and runs the batch (one attempt to a closed loopback
 * port, refused). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe/run.h"

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A loopback port nothing listens on. */
static unsigned closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void measure_reads_host_facts(void **state)
{
	char dir[] = "/tmp/cd-probe-run-XXXXXX", path[256], resolv[256];
	struct probe_config cfg;
	struct probe_plan plan;
	struct probe_result res;
	struct cd_host_facts facts;
	char err[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sys", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sys/net", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sys/net/ipv4", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sys/net/ipv4/tcp_syn_retries", dir);
	put(path, "3\n");
	snprintf(resolv, sizeof(resolv), "%s/resolv.conf", dir);
	put(resolv, "nameserver 10.0.0.1\noptions timeout:2 attempts:4\n");

	probe_config_init(&cfg);
	cfg.host = "127.0.0.1";
	cfg.port = closed_port();
	cfg.count = 1;
	assert_int_equal(probe_add_tcp_targets(&cfg, AF_INET, err, sizeof(err)),
			 0);
	probe_plan_init(&plan);
	plan.procroot = dir;
	plan.resolv_conf = resolv;
	plan.res_options = "attempts:1";
	probe_result_init(&res);
	assert_int_equal(
		probe_measure(&cfg, &plan, &res, &facts, err, sizeof(err)), 0);
	assert_int_equal(facts.syn_retries, 3);
	assert_int_equal(facts.synack_retries, -1); /* not in the tree */
	assert_int_equal(facts.resolv_timeout_s, 2);
	assert_int_equal(facts.resolv_attempts, 1); /* RES_OPTIONS wins */
	assert_int_equal(facts.resolv_nameservers, 1);
	assert_int_equal(res.tally.total, 1);
	assert_int_equal(res.nattempts, 1);
	assert_int_equal(res.attempts[0].outcome, CD_REFUSED);
	probe_result_free(&res);

	unlink(resolv);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sys/net/ipv4", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/sys/net", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/sys", dir);
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(measure_reads_host_facts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
