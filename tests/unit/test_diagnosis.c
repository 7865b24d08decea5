/* test_diagnosis.c - ranking a root cause out of hand-made findings: a
 * measured symptom joined with the host findings that explain it, a
 * symptom nothing explains, and a clean run with a host risk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "findings/diagnosis.h"

static void add(struct cd_findings *f, const char *code, enum cd_severity s)
{
	assert_non_null(cd_finding_add(f, code, s));
}

static void explained(void **state)
{
	struct cd_findings m, h;
	struct cd_diagnosis d;

	(void)state;
	cd_findings_init(&m);
	cd_findings_init(&h);
	add(&m, "CD2003", CD_SEV_CRITICAL);
	add(&m, "CD3008", CD_SEV_WARNING);
	add(&h, "CD3060", CD_SEV_WARNING);  /* unrelated */
	add(&h, "CD5002", CD_SEV_WARNING);  /* hostname rule: DNS */
	add(&h, "CD2010", CD_SEV_CRITICAL); /* dead nameserver */
	cd_findings_sort(&m);
	cd_findings_sort(&h);
	cd_diagnose(&m, &h, &d);
	assert_non_null(d.root);
	assert_string_equal(d.root->def->code, "CD2003");
	assert_false(d.unexplained);
	assert_int_equal(d.ncauses, 2);
	assert_string_equal(d.causes[0]->def->code, "CD2010");
	assert_string_equal(d.causes[1]->def->code, "CD5002");
	assert_null(d.risk);
	cd_findings_free(&m);
	cd_findings_free(&h);
	/* Equal severities: the table's order (the audit's numbers, CD6046,
	 * before the error log's count, CD6031), not the codes'. */
	cd_findings_init(&m);
	cd_findings_init(&h);
	add(&m, "CD6013", CD_SEV_CRITICAL);
	add(&h, "CD6031", CD_SEV_WARNING);
	add(&h, "CD6046", CD_SEV_WARNING);
	cd_diagnose(&m, &h, &d);
	assert_int_equal(d.ncauses, 2);
	assert_string_equal(d.causes[0]->def->code, "CD6046");
	assert_string_equal(d.causes[1]->def->code, "CD6031");
	cd_findings_free(&m);
	cd_findings_free(&h);
}

static void unexplained_and_second_symptom(void **state)
{
	struct cd_findings m, h;
	struct cd_diagnosis d;

	(void)state;
	cd_findings_init(&m);
	cd_findings_init(&h);
	/* The worst symptom has no cause here, the second one has. */
	add(&m, "CD3002", CD_SEV_CRITICAL);
	add(&m, "CD3003", CD_SEV_WARNING);
	add(&h, "CD3041", CD_SEV_WARNING);
	cd_diagnose(&m, &h, &d);
	assert_string_equal(d.root->def->code, "CD3003");
	assert_int_equal(d.ncauses, 1);
	cd_findings_free(&h);
	cd_findings_init(&h);
	cd_diagnose(&m, &h, &d);
	assert_string_equal(d.root->def->code, "CD3002");
	assert_true(d.unexplained);
	cd_findings_free(&m);
	cd_findings_free(&h);
}

/* The symptoms whose causes were missing from the table: a packet over
 * the limit (CD6013), a close during login (CD6011), a broken protocol
 * after the greeting (CD8003). */
static void joins(void **state)
{
	static const char *const pairs[][2] = {
		{"CD6013", "CD6046"}, {"CD6013", "CD6031"},
		{"CD6005", "CD6048"}, {"CD6001", "CD6047"},
		{"CD6006", "CD6046"}, {"CD6011", "CD6033"},
		{"CD6011", "CD6032"}, {"CD6011", "CD6030"},
		{"CD8003", "CD1002"}, {"CD8003", "CD6022"},
		{"CD6049", "CD6050"}, {"CD6051", "CD6030"},
		{"CD6051", "CD6052"}, {"CD3002", "CD6053"},
		{"CD6006", "CD6053"}, {"CD6011", "CD6053"},
		{"CD6007", "CD6053"}, {"CD6054", "CD6047"},
		{"CD6054", "CD6055"}, {"CD6001", "CD6055"},
		{"CD1004", "CD6057"}, {"CD6006", "CD6060"},
		{"CD6006", "CD6061"}, {"CD6005", "CD6060"},
		{"CD6054", "CD6058"},
	};
	struct cd_findings m, h;
	struct cd_diagnosis d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		cd_findings_init(&m);
		cd_findings_init(&h);
		add(&m, pairs[i][0], CD_SEV_CRITICAL);
		add(&h, pairs[i][1], CD_SEV_WARNING);
		cd_diagnose(&m, &h, &d);
		assert_non_null(d.root);
		assert_false(d.unexplained);
		assert_int_equal(d.ncauses, 1);
		assert_string_equal(d.causes[0]->def->code, pairs[i][1]);
		cd_findings_free(&m);
		cd_findings_free(&h);
	}
	/* the joined timeout aborts before the log-only write errors, and
	 * the audit's wait_timeout before the log's read timeouts */
	cd_findings_init(&m);
	cd_findings_init(&h);
	add(&m, "CD6006", CD_SEV_CRITICAL);
	add(&h, "CD6024", CD_SEV_WARNING);
	add(&h, "CD6060", CD_SEV_WARNING);
	add(&h, "CD6061", CD_SEV_WARNING);
	cd_diagnose(&m, &h, &d);
	assert_int_equal(d.ncauses, 3);
	assert_string_equal(d.causes[0]->def->code, "CD6061");
	assert_string_equal(d.causes[1]->def->code, "CD6060");
	assert_string_equal(d.causes[2]->def->code, "CD6024");
	cd_findings_free(&m);
	cd_findings_free(&h);
	cd_findings_init(&m);
	cd_findings_init(&h);
	add(&m, "CD6005", CD_SEV_WARNING);
	add(&h, "CD6060", CD_SEV_WARNING);
	add(&h, "CD6048", CD_SEV_WARNING);
	cd_diagnose(&m, &h, &d);
	assert_int_equal(d.ncauses, 2);
	assert_string_equal(d.causes[0]->def->code, "CD6048");
	assert_string_equal(d.causes[1]->def->code, "CD6060");
	cd_findings_free(&m);
	cd_findings_free(&h);
	/* The account's sessions in the processlist (CD6058) title a 1226
	 * before the local holders of every account (CD6047) */
	cd_findings_init(&m);
	cd_findings_init(&h);
	add(&m, "CD6054", CD_SEV_CRITICAL);
	add(&h, "CD6047", CD_SEV_CRITICAL);
	add(&h, "CD6058", CD_SEV_CRITICAL);
	cd_diagnose(&m, &h, &d);
	assert_int_equal(d.ncauses, 2);
	assert_string_equal(d.causes[0]->def->code, "CD6058");
	cd_findings_free(&m);
	cd_findings_free(&h);
	/* Com_kill counts since the start: beside a mere gone away it
	 * explains nothing (it may be older than the probe) */
	cd_findings_init(&m);
	cd_findings_init(&h);
	add(&m, "CD6006", CD_SEV_CRITICAL);
	add(&h, "CD6052", CD_SEV_INFO);
	cd_diagnose(&m, &h, &d);
	assert_non_null(d.root);
	assert_true(d.unexplained);
	cd_findings_free(&m);
	cd_findings_free(&h);
}

static void clean_run(void **state)
{
	struct cd_findings m, h;
	struct cd_diagnosis d;

	(void)state;
	cd_findings_init(&m);
	cd_findings_init(&h);
	add(&h, "CD3046", CD_SEV_INFO);
	cd_diagnose(&m, &h, &d);
	assert_null(d.root);
	assert_null(d.risk); /* info is no risk */
	add(&h, "CD6040", CD_SEV_WARNING);
	cd_diagnose(&m, &h, &d);
	assert_null(d.root);
	assert_string_equal(d.risk->def->code, "CD6040");
	cd_findings_free(&m);
	cd_findings_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(explained),
		cmocka_unit_test(unexplained_and_second_symptom),
		cmocka_unit_test(clean_run),
		cmocka_unit_test(joins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
