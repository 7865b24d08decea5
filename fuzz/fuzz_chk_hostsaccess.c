/* fuzz_chk_hostsaccess.c - hosts_access(5) tables: any bytes parse; every
 * rule, token and note stays within the table; evaluating connections
 * against them terminates; and the DNS analysis agrees with the
 * evaluator: when it says no rule needs a name, no connection of either
 * daemon name looks one up.
 */
#include <string.h>

#include "check/hostsaccess.h"
#include "fuzz.h"

static const char *const daemons[] = {"mysqld", "mariadbd"};

static const struct chk_wrap_query queries[] = {
	{"mysqld", "10.1.2.3", NULL, NULL, NULL, NULL},
	{"mariadbd", "::1", "db.example.com", "10.0.0.1", "srv.example", NULL},
	{"mysqld", "::ffff:10.0.0.1", "paranoid", "::1", NULL, "joe"},
	{"mariadbd", "2001:db8::5", "localhost", NULL, NULL, NULL},
	{"mysqld", "192.168.1.9", "x.example.org", "10.0.0.2", NULL, NULL},
};

static void check_table(const struct chk_wrap_table *t, const uint8_t *data,
			size_t size)
{
	size_t i, nl = 0;

	for (i = 0; i < size; i++)
		nl += data[i] == '\n';
	if (!t->capped)
		CHECK(t->lines == nl);
	CHECK(t->ntoks <= CHK_WRAP_MAX_TOKS);
	for (i = 0; i < t->nrules; i++) {
		const struct chk_wrap_rule *r = &t->rules[i];

		CHECK(r->line >= 1 && r->line + r->nlines - 1 <= t->lines);
		CHECK(r->daemons + r->ndaemons <= t->ntoks);
		CHECK(r->clients + r->nclients <= t->ntoks);
		CHECK(r->text < t->pool_len);
		CHECK(strlen(chk_wrap_str(t, r->text)) < CHK_WRAP_BUFLEN);
		if (r->has_options)
			CHECK(r->options < t->pool_len);
	}
	for (i = 0; i < t->ntoks; i++) {
		CHECK(t->toks[i].text < t->pool_len);
		CHECK(t->toks[i].host < t->pool_len);
		CHECK(t->toks[i].file < (int)t->nfiles);
	}
	for (i = 0; i < t->nnotes; i++) {
		CHECK(t->notes[i].rule < (int)t->nrules);
		CHECK(t->notes[i].line <= t->lines + 1);
		CHECK(strcmp(chk_wrap_problem_name(t->notes[i].what), "?"));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chk_wrap_table t;
	struct chk_wrap_analysis an;
	size_t i, half = 0;

	chk_wrap_table_init(&t);
	CHECK(chk_wrap_parse(&t, (const char *)data, size) == 0);
	check_table(&t, data, size);
	/* The input split in two: hosts.allow, then hosts.deny. */
	chk_wrap_analyze(&t, NULL, daemons, 2, &an);
	CHECK(an.nsteps <= CHK_WRAP_MAX_STEPS);
	CHECK(an.nsteps <= an.nsteps_total);
	CHECK(an.first_dns < (int)an.nsteps);
	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		struct chk_wrap_result r;

		chk_wrap_eval(&t, NULL, &queries[i], &r);
		CHECK(r.allow == 0 || r.allow == 1);
		CHECK(r.rule < (int)t.nrules);
		if (an.first_dns < 0)
			CHECK(!r.client_name && !r.server_name);
	}
	for (i = 0; i < t.nrules; i++)
		half += chk_wrap_applies(&t, i, daemons, 2) != CHK_WS_NONE;
	CHECK(half == an.rules_named + an.rules_all);
	chk_wrap_table_free(&t);
	return 0;
}
