/* test_watch_config.c - watch's configuration file: defaults from [watch],
 * one target per [target NAME], labels, password files and their modes,
 * and every refusal with its file:line and reason. */
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

#include "watch/watch.h"

static char dir[] = "/tmp/cd_watch_cfg_XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to dir/name with mode; returns the path (static buffer). */
static const char *put(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static int load(const char *text, struct watch_config *c, char *err,
		size_t errlen)
{
	const char *path = put("watch.cnf", text, 0600);

	watch_config_init(c);
	return watch_config_load(c, path, err, errlen);
}

static void full_config(void **state)
{
	struct watch_config c;
	char err[512], text[1024];
	const struct watch_target *a, *b;

	(void)state;
	put("pw", "s3cret\nignored second line\n", 0640);
	snprintf(text, sizeof(text),
		 "# fleet\n"
		 "[watch]\n"
		 "listen = 0.0.0.0:9979\n"
		 "user = monitor\n"
		 "interval = 15s\n"
		 "timeout = 5\n"
		 "label.env = prod\n"
		 "idle-check = 10m\n"
		 "label.team = \"db \\\"core\\\"\"\n"
		 "\n"
		 "[target db1]\n"
		 "host = 10.0.0.1\n"
		 "port = 3307\n"
		 "password-file = %s/pw\n"
		 "ssl-mode = required\n"
		 "ssl_ca = /etc/ca.pem\n"
		 "query = SELECT 2\n"
		 "idle-survival = on\n"
		 "idle_check = 90s\n"
		 "replica = yes\n"
		 "label.env = staging\n"
		 "label.rack_id = r7\n"
		 "[target local]\n"
		 "socket = /run/mysqld/mysqld.sock\n"
		 "user = other\n"
		 "password = pw2\n"
		 "interval = 500ms\n"
		 "timeout = 100ms\n",
		 dir);
	assert_int_equal(load(text, &c, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "0.0.0.0:9979");
	assert_int_equal(c.ntargets, 2);
	a = &c.targets[0];
	assert_string_equal(a->name, "db1");
	assert_string_equal(a->host, "10.0.0.1");
	assert_null(a->socket);
	assert_int_equal(a->port, 3307);
	assert_string_equal(a->user, "monitor");
	assert_string_equal(a->password, "s3cret");
	assert_int_equal(a->ssl_mode, PROBE_SSL_REQUIRED);
	assert_string_equal(a->ssl_ca, "/etc/ca.pem");
	assert_string_equal(a->query, "SELECT 2");
	assert_int_equal(a->idle_survival, 1);
	assert_true(a->idle_check_s == 90.0);
	assert_int_equal(a->replica, 1);
	assert_true(a->interval_s == 15.0);
	assert_true(a->timeout_s == 5.0);
	assert_int_equal(a->line, 11);
	/* Own labels first, [watch]'s added where not overridden; the key
	 * keeps its underscore. */
	assert_int_equal(a->nlabels, 3);
	assert_string_equal(a->labels[0].key, "env");
	assert_string_equal(a->labels[0].value, "staging");
	assert_string_equal(a->labels[1].key, "rack_id");
	assert_string_equal(a->labels[2].key, "team");
	assert_string_equal(a->labels[2].value, "db \"core\"");
	b = &c.targets[1];
	assert_null(b->host);
	assert_string_equal(b->socket, "/run/mysqld/mysqld.sock");
	assert_int_equal(b->port, 3306);
	assert_string_equal(b->user, "other");
	assert_string_equal(b->password, "pw2");
	assert_int_equal(b->ssl_mode, PROBE_SSL_PREFERRED);
	assert_true(b->interval_s == 0.5);
	assert_true(b->timeout_s == 0.1);
	assert_int_equal(b->idle_survival, 0);
	assert_true(b->idle_check_s == 600.0); /* [watch]'s */
	assert_int_equal(b->nlabels, 2);
	assert_string_equal(b->labels[0].value, "prod");
	watch_config_free(&c);
}

static void defaults_when_unset(void **state)
{
	struct watch_config c;
	char err[512];

	(void)state;
	assert_int_equal(
		load("[target a]\nhost=db\nuser=u\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.listen, WATCH_DEFAULT_LISTEN);
	assert_true(c.targets[0].interval_s == 30.0);
	assert_true(c.targets[0].timeout_s == 10.0);
	assert_true(c.targets[0].idle_check_s == 3600.0);
	assert_null(c.targets[0].password);
	assert_null(c.targets[0].query);
	watch_config_free(&c);
}

/* The text must be refused with exactly this message after "DIR/". */
static void refused(const char *text, const char *want)
{
	struct watch_config c;
	char err[512], full[512];

	assert_int_equal(load(text, &c, err, sizeof(err)), -1);
	snprintf(full, sizeof(full), "%s/watch.cnf%s", dir, want);
	assert_string_equal(err, full);
	assert_null(strstr(err, "hunter2"));
	watch_config_free(&c);
}

static void refusals(void **state)
{
	(void)state;
	refused("[target a]\nhost=db\nuser=u\ncolour=red\n",
		":4: unknown key 'colour'");
	refused("[target a]\nhost=db\nport=70000\n",
		":3: port: '70000' is not a port number (1-65535)");
	refused("[target a]\nport=33x\n",
		":2: port: '33x' is not a port number (1-65535)");
	refused("[target a]\ninterval=soon\n",
		":2: interval: 'soon' is not a duration (e.g. 10, 10s, 500ms, "
		"2m; at most a day)");
	refused("[target a]\ninterval=-1\n",
		":2: interval: '-1' is not a duration (e.g. 10, 10s, 500ms, "
		"2m; at most a day)");
	refused("[target a]\nssl-mode=maybe\n",
		":2: ssl-mode: 'maybe' is not one of DISABLED, PREFERRED, "
		"REQUIRED, VERIFY_CA, VERIFY_IDENTITY");
	refused("[target a]\nidle-check=2d\n",
		":2: idle-check: '2d' is not a duration (e.g. 10, 10s, 500ms, "
		"2m; at most a day)");
	refused("[target a]\nreplica=perhaps\n",
		":2: replica: 'perhaps' is not on or off");
	refused("[target a]\nhost\n", ":2: host needs a value");
	refused("[target a]\nlabel.job=x\n",
		":2: label.job: not a label name of our own "
		"([a-zA-Z_][a-zA-Z0-9_]*, not reserved)");
	refused("[target a]\nlabel.9x=x\n",
		":2: label.9x: not a label name of our own "
		"([a-zA-Z_][a-zA-Z0-9_]*, not reserved)");
	refused("[target a]\nlabel.a-b=x\n",
		":2: label.a-b: not a label name of our own "
		"([a-zA-Z_][a-zA-Z0-9_]*, not reserved)");
	refused("host=db\n", ":1: 'host' outside a group");
	refused("[client]\nhost=db\n",
		":1: unknown group [client] (only [watch], [target NAME] "
		"and [module NAME])");
	refused("[target a/b]\n",
		":1: target name 'a/b' must be 1-63 letters, digits, '.', '_' "
		"or '-'");
	refused("[target a]\nhost=x\nuser=u\n[target a]\n",
		":4: [target a] defined twice (first at line 1)");
	refused("[watch]\nuser=u\n", ": no [target NAME] group");
	refused("[watch]\ninterval=5\ntimeout=5\n[target a]\nhost=h\nuser=u\n",
		":4: [target a]: timeout 5s must be shorter than interval 5s");
	refused("[target a]\nuser=u\n", ":1: [target a]: needs host or socket");
	refused("[target a]\nhost=h\n", ":1: [target a]: needs user");
	{
		char text[512];

		put("pw3", "x\n", 0600);
		snprintf(text, sizeof(text),
			 "[target a]\n\nhost=h\nuser=u\npassword=hunter2\n"
			 "password-file=%s/pw3\n",
			 dir);
		refused(text, ":1: [target a]: password and password-file "
			      "both set; keep one");
	}
	refused("[target a]\nhost=h\nuser=u\npassword='hunter2\n",
		":4: unterminated quote in 'password'");
}

static void password_file_refusals(void **state)
{
	struct watch_config c;
	char err[512], text[512], want[512];

	(void)state;
	put("open", "hunter2\n", 0644);
	snprintf(text, sizeof(text),
		 "[target a]\nhost=h\nuser=u\npassword-file=%s/open\n", dir);
	assert_int_equal(load(text, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
		 "%s/watch.cnf:4: password-file %s/open: readable by every "
		 "user (mode 0644); chmod o-r it",
		 dir, dir);
	assert_string_equal(err, want);
	watch_config_free(&c);

	snprintf(text, sizeof(text),
		 "[target a]\nhost=h\nuser=u\npassword-file=%s/none\n", dir);
	assert_int_equal(load(text, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
		 "%s/watch.cnf:4: password-file %s/none: No such file or "
		 "directory",
		 dir, dir);
	assert_string_equal(err, want);
	watch_config_free(&c);

	put("empty", "\n", 0600);
	snprintf(text, sizeof(text),
		 "[target a]\nhost=h\nuser=u\npassword-file=%s/empty\n", dir);
	assert_int_equal(load(text, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty first line"));
	watch_config_free(&c);

	snprintf(text, sizeof(text),
		 "[target a]\nhost=h\nuser=u\npassword-file=%s\n", dir);
	assert_int_equal(load(text, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":4: password-file"));
	watch_config_free(&c);
}

static void seconds(void **state)
{
	double s = 0;

	(void)state;
	assert_int_equal(watch_parse_seconds("10", &s), 0);
	assert_true(s == 10.0);
	assert_int_equal(watch_parse_seconds("1.5s", &s), 0);
	assert_true(s == 1.5);
	assert_int_equal(watch_parse_seconds("250ms", &s), 0);
	assert_true(s == 0.25);
	assert_int_equal(watch_parse_seconds("2m", &s), 0);
	assert_true(s == 120.0);
	assert_int_equal(watch_parse_seconds("0", &s), -1);
	assert_int_equal(watch_parse_seconds("", &s), -1);
	assert_int_equal(watch_parse_seconds(" 1", &s), -1);
	assert_int_equal(watch_parse_seconds("1h", &s), -1);
	assert_int_equal(watch_parse_seconds("nan", &s), -1);
	assert_int_equal(watch_parse_seconds("inf", &s), -1);
	assert_int_equal(watch_parse_seconds("86401", &s), -1);
}

/* [module NAME]: its keys, defaults, and refusals with their line. */
static void modules(void **state)
{
	struct watch_config c;
	char err[512];

	(void)state;
	assert_int_equal(load("[target a]\nhost=db\nuser=u\n"
			      "[module slow]\ntransport=socket\n"
			      "query=SELECT SLEEP(1)\ntimeout=2500ms\n"
			      "ssl_mode=DISABLED\n"
			      "[module bare]\n",
			      &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.nmodules, 2);
	assert_string_equal(c.modules[0].name, "slow");
	assert_int_equal(c.modules[0].transports, 1u << CD_SOCKET);
	assert_string_equal(c.modules[0].query, "SELECT SLEEP(1)");
	assert_true(c.modules[0].timeout_s == 2.5);
	assert_int_equal(c.modules[0].ssl_mode_set, 1);
	assert_int_equal(c.modules[0].ssl_mode, PROBE_SSL_DISABLED);
	assert_int_equal(c.modules[0].line, 4);
	assert_int_equal(c.modules[1].transports,
			 1u << CD_TCP | 1u << CD_SOCKET);
	assert_null(c.modules[1].query);
	assert_true(c.modules[1].timeout_s == 0);
	assert_int_equal(c.modules[1].ssl_mode_set, 0);
	watch_config_free(&c);
	assert_int_equal(watch_module_builtin(NULL),
			 1u << CD_TCP | 1u << CD_SOCKET);
	assert_int_equal(watch_module_builtin("tcp"), 1u << CD_TCP);
	assert_int_equal(watch_module_builtin("slow"), 0);

	refused("[module m]\nhost=db\n",
		":2: unknown key 'host' in [module m] (transport, query, "
		"timeout, ssl-mode)");
	refused("[module m]\ntransport=udp\n",
		":2: transport: 'udp' is not all, tcp or socket");
	refused("[module m]\ntimeout=soon\n",
		":2: timeout: 'soon' is not a duration (e.g. 10, 10s, 500ms, "
		"2m; at most a day)");
	refused("[module m]\nssl-mode=maybe\n",
		":2: ssl-mode: 'maybe' is not one of DISABLED, PREFERRED, "
		"REQUIRED, VERIFY_CA, VERIFY_IDENTITY");
	refused("[module m]\nquery\n", ":2: query needs a value");
	refused("[module all]\n",
		":1: [module all]: all, tcp and socket are built in");
	refused("[module a/b]\n", ":1: module name 'a/b' must be 1-63 "
				  "letters, digits, '.', '_' or '-'");
	refused("[module m]\n[module m]\n",
		":2: [module m] defined twice (first at line 1)");
}

/* host-cache: off by default, on (every minute) or a period, from
 * [watch] or the target. */
static void host_cache(void **state)
{
	struct watch_config c;
	char err[512];

	(void)state;
	assert_int_equal(load("[watch]\nuser=u\nhost=h\nhost-cache=on\n"
			      "[target a]\n[target b]\nhost_cache=5m\n"
			      "[target c]\nhost-cache=off\n",
			      &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.targets[0].host_cache, 1);
	assert_true(c.targets[0].host_cache_s == 60);
	assert_int_equal(c.targets[1].host_cache, 1);
	assert_true(c.targets[1].host_cache_s == 300);
	assert_int_equal(c.targets[2].host_cache, 0);
	watch_config_free(&c);
	assert_int_equal(
		load("[target a]\nhost=h\nuser=u\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.targets[0].host_cache, 0);
	watch_config_free(&c);
	refused("[target a]\nhost-cache=sometimes\n",
		":2: host-cache: 'sometimes' is not on, off or how often "
		"(e.g. 1m, 30s; at most a day)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_config),
		cmocka_unit_test(defaults_when_unset),
		cmocka_unit_test(refusals),
		cmocka_unit_test(password_file_refusals),
		cmocka_unit_test(seconds),
		cmocka_unit_test(modules),
		cmocka_unit_test(host_cache),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
