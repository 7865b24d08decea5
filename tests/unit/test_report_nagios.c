/* test_report_nagios.c - the Nagios/Icinga plugin line on hand-made
 * results: the status word and exit code per state, the exact text and
 * perfdata of a healthy run, every perfdata item valid by the Monitoring
 * Plugins guidelines' syntax, and text a server shaped escaped (no control
 * byte, no '|' before the perfdata). */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/report.h"

#define MAXA 16

struct fixture {
	struct probe_config cfg;
	struct probe_result res;
	struct cd_attempt a[MAXA];
	struct cd_host_facts facts;
	struct cd_findings findings, extra;
	struct rpt_probe rp;
};

static struct fixture fx;

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	probe_config_init(&fx.cfg);
	fx.cfg.ntargets = 1;
	fx.cfg.targets[0].transport = CD_TCP;
	strcpy(fx.cfg.targets[0].label, "10.0.0.1:3306");
	fx.res.attempts = fx.a;
	cd_host_facts_init(&fx.facts);
	cd_findings_init(&fx.findings);
	cd_findings_init(&fx.extra);
	fx.rp.cfg = &fx.cfg;
	fx.rp.res = &fx.res;
	fx.rp.findings = &fx.findings;
	fx.rp.facts = &fx.facts;
	fx.rp.repeats = 1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cd_findings_free(&fx.findings);
	cd_findings_free(&fx.extra);
	return 0;
}

/* An attempt through every phase: connect 0.1 ms, greeting 0.2, auth 0.3,
 * query 0.2, close 0.1 (0.9 ms in all). */
static struct cd_attempt *ok_attempt(void)
{
	struct cd_attempt *a = &fx.a[fx.res.nattempts];
	int p;

	memset(a, 0, sizeof(*a));
	a->seq = (uint32_t)fx.res.nattempts;
	for (p = 0; p < CD_PH__COUNT; p++)
		a->phase_ns[p] = -1;
	a->phase_ns[CD_PH_CONNECT] = 100000;
	a->phase_ns[CD_PH_GREETING] = 200000;
	a->phase_ns[CD_PH_AUTH] = 300000;
	a->phase_ns[CD_PH_QUERY] = 200000;
	a->phase_ns[CD_PH_CLOSE] = 100000;
	a->total_ns = 900000;
	a->idle_cut_ns = -1;
	a->outcome = CD_OK;
	fx.res.nattempts++;
	return a;
}

/* An attempt refused at connect after 0.05 ms. */
static void refused_attempt(void)
{
	struct cd_attempt *a = ok_attempt();
	int p;

	for (p = 0; p < CD_PH__COUNT; p++)
		a->phase_ns[p] = -1;
	a->outcome = CD_REFUSED;
	a->failed_phase = CD_PH_CONNECT;
	a->sys_errno = 111;
	a->total_ns = 50000;
}

static void add_finding(struct cd_findings *fs, const char *code,
			enum cd_severity sev, const char *summary)
{
	struct cd_finding *f = cd_finding_add(fs, code, sev);

	assert_non_null(f);
	snprintf(f->summary, sizeof(f->summary), "%s", summary);
}

/* Renders into *text (the caller's pointer, which open_memstream()
 * updates until fclose(); the caller frees it); returns the state. */
static int render(const struct cd_findings *extra, char **text)
{
	size_t len = 0;
	FILE *f;
	int st;

	*text = NULL;
	f = open_memstream(text, &len);
	assert_non_null(f);
	st = rpt_probe_nagios(f, &fx.rp, extra);
	fclose(f);
	return st;
}

/* The line's shape: one line, the status word, one '|', and each
 * perfdata item as 'label'=value[UOM];[warn];[crit];[min];[max] with a
 * UOM the guidelines know (none, s, %, c, B) and plain numbers. */
static void assert_plugin_line(const char *line, const char *word)
{
	static const char *const item_re =
		"^'[^'=]+'=-?[0-9]+(\\.[0-9]+)?(s|%|c|B)?"
		"(;(-?[0-9]+(\\.[0-9]+)?)?){0,4}$";
	char head[64], *copy, *perf, *tok, *save = NULL;
	regex_t re;
	size_t n = strlen(line), items = 0;
	const char *p;

	assert_true(n > 0 && line[n - 1] == '\n');
	assert_ptr_equal(strchr(line, '\n'), line + n - 1); /* one line */
	for (p = line; *p; p++)
		if (*p != '\n')
			assert_true(*p >= 0x20 && *p < 0x7f);
	snprintf(head, sizeof(head), "CONNDOCTOR %s - ", word);
	assert_memory_equal(line, head, strlen(head));
	perf = strchr(line, '|');
	assert_non_null(perf);
	assert_null(strchr(perf + 1, '|'));
	assert_int_equal(regcomp(&re, item_re, REG_EXTENDED | REG_NOSUB), 0);
	copy = strndup(perf + 1, strlen(perf + 1) - 1);
	assert_non_null(copy);
	for (tok = strtok_r(copy, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (regexec(&re, tok, 0, NULL, 0))
			fail_msg("perfdata item '%s' breaks the syntax", tok);
		items++;
	}
	assert_true(items >= 5);
	free(copy);
	regfree(&re);
}

static void states_map_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(rpt_nagios_state(0), RPT_NAGIOS_OK);
	assert_int_equal(rpt_nagios_state(1), RPT_NAGIOS_WARNING);
	assert_int_equal(rpt_nagios_state(2), RPT_NAGIOS_CRITICAL);
	assert_int_equal(rpt_nagios_state(69), RPT_NAGIOS_CRITICAL);
	assert_int_equal(rpt_nagios_state(64), RPT_NAGIOS_UNKNOWN);
	assert_int_equal(rpt_nagios_state(70), RPT_NAGIOS_UNKNOWN);
	assert_int_equal(RPT_NAGIOS_OK, 0);
	assert_int_equal(RPT_NAGIOS_WARNING, 1);
	assert_int_equal(RPT_NAGIOS_CRITICAL, 2);
	assert_int_equal(RPT_NAGIOS_UNKNOWN, 3);
}

static void healthy_line_exact(void **state)
{
	char *out;
	int st;

	(void)state;
	ok_attempt();
	ok_attempt();
	ok_attempt();
	fx.rp.exit_status = 0;
	st = render(NULL, &out);
	assert_int_equal(st, 0);
	assert_string_equal(
		out, "CONNDOCTOR OK - 3 of 3 attempts ok | 'attempts'=3;;;0 "
		     "'ok'=3;;;0 'failed'=0;;;0 'connect_p90'=0.0001s;;;0 "
		     "'greeting_p90'=0.0002s;;;0 'auth_p90'=0.0003s;;;0 "
		     "'query_p90'=0.0002s;;;0 'close_p90'=0.0001s;;;0 "
		     "'total_p90'=0.0009s;;;0 'findings_critical'=0;;;0 "
		     "'findings_warning'=0;;;0\n");
	assert_plugin_line(out, "OK");
	free(out);
}

static void critical_names_worst_finding_escaped(void **state)
{
	char *out, *perf;
	int st;

	(void)state;
	refused_attempt();
	refused_attempt();
	ok_attempt();
	add_finding(&fx.findings, "CD2002", CD_SEV_WARNING, "slow resolve");
	add_finding(&fx.findings, "CD3002", CD_SEV_CRITICAL,
		    "2 of 3 refused | by \"x\"\033[2J\nnext");
	fx.rp.exit_status = 2;
	st = render(NULL, &out);
	assert_int_equal(st, 2);
	assert_plugin_line(out, "CRITICAL");
	perf = strchr(out, '|');
	*perf = '\0';
	assert_string_equal(out, "CONNDOCTOR CRITICAL - CD3002 2 of 3 refused "
				 "\\x7c by \"x\"\\x1b[2J\\nnext; 1 of 3 "
				 "attempts ok, 2 findings ");
	assert_non_null(strstr(perf + 1, " 'refused'=2;;;0 "));
	assert_non_null(strstr(perf + 1, " 'failed'=2;;;0 "));
	assert_non_null(strstr(perf + 1, " 'findings_critical'=1;;;0 "));
	assert_non_null(strstr(perf + 1, " 'findings_warning'=1;;;0\n"));
	free(out);
}

static void unreachable_without_finding(void **state)
{
	char *out;
	int st;

	(void)state;
	refused_attempt();
	fx.rp.exit_status = 69;
	st = render(NULL, &out);
	assert_int_equal(st, 2);
	assert_plugin_line(out, "CRITICAL");
	assert_non_null(strstr(out, " - no attempt reached the server; 0 of 1 "
				    "attempts ok |"));
	assert_null(strstr(out, "_p90"));
	free(out);
}

/* diagnose: the audit's findings count, and its worst can be the one. */
static void warning_from_extra_findings(void **state)
{
	char *out;
	int st;

	(void)state;
	ok_attempt();
	add_finding(&fx.findings, "CD2002", CD_SEV_INFO, "an info");
	add_finding(&fx.extra, "CD2011", CD_SEV_WARNING, "nameserver slow");
	fx.rp.exit_status = 1;
	st = render(&fx.extra, &out);
	assert_int_equal(st, 1);
	assert_plugin_line(out, "WARNING");
	assert_non_null(strstr(out, " - CD2011 nameserver slow; 1 of 1 "
				    "attempts ok, 2 findings |"));
	assert_non_null(strstr(out, "'findings_warning'=1;;;0\n"));
	free(out);
}

static void error_line(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_int_equal(rpt_nagios_error(f, 64, "bad | option\n"), 3);
	assert_int_equal(rpt_nagios_error(f, 69, "cannot resolve 'x'"), 2);
	fclose(f);
	assert_string_equal(out, "CONNDOCTOR UNKNOWN - bad \\x7c option\\n\n"
				 "CONNDOCTOR CRITICAL - cannot resolve 'x'\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(states_map_exit_codes),
		cmocka_unit_test_setup_teardown(healthy_line_exact, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			critical_names_worst_finding_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(unreachable_without_finding,
						setup, teardown),
		cmocka_unit_test_setup_teardown(warning_from_extra_findings,
						setup, teardown),
		cmocka_unit_test(error_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
