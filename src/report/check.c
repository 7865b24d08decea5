/* check.c - the `conndoctor check` report: findings first, then the facts
 * each slice read (grouped by slice), then what could not be read. Fact
 * values come from the server and from files: text shows them escaped. */
#include "report/report.h"

#include <string.h>

#include "util/escape.h"
#include "util/json.h"

/* "  KEY VALUE\n", both escaped, the key padded to width. */
static void fact_line(FILE *out, int width, const char *key, const char *value)
{
	char k[4 * 64];

	fprintf(out, "  %-*s ", width, cd_escape_str(k, sizeof(k), key));
	cd_fputs_escaped(value, out);
	fputc('\n', out);
}

void rpt_check_text(FILE *out, const struct cd_findings *fs,
		    const struct chk_facts *facts, const struct rpt_opts *o)
{
	const char *section = "";
	size_t i, unreadable = 0;

	fprintf(out, "conndoctor check: %zu finding(s)\n\n", fs->n);
	rpt_findings_text(out, fs, o);
	for (i = 0; i < facts->n; i++) {
		const struct chk_fact *f = &facts->v[i];

		if (!strcmp(f->section, "unreadable")) {
			unreadable++;
			continue;
		}
		if (strcmp(section, f->section)) {
			section = f->section;
			fprintf(out, "%s%s:\n", i ? "\n" : "", section);
		}
		fact_line(out, 24, f->key, f->value);
	}
	if (unreadable) {
		fprintf(out, "\ncould not read (results above are partial):\n");
		for (i = 0; i < facts->n; i++)
			if (!strcmp(facts->v[i].section, "unreadable"))
				fact_line(out, 22, facts->v[i].key,
					  facts->v[i].value);
	}
}

void rpt_check_json_obj(struct json *jp, const struct cd_findings *fs,
			const struct chk_facts *facts, int exit_status)
{
	size_t i;
	int pass;

	json_obj(jp);
	json_key(jp, "conndoctor");
	json_str(jp, CD_VERSION);
	json_key(jp, "command");
	json_str(jp, "check");
	json_key(jp, "exit_status");
	json_int(jp, exit_status);
	json_key(jp, "findings");
	rpt_findings_json(jp, fs);
	/* Facts, then the unreadable ones in their own list. */
	for (pass = 0; pass < 2; pass++) {
		json_key(jp, pass ? "unreadable" : "facts");
		json_arr(jp);
		for (i = 0; i < facts->n; i++) {
			const struct chk_fact *f = &facts->v[i];

			if ((strcmp(f->section, "unreadable") == 0) != pass)
				continue;
			json_obj(jp);
			if (!pass) {
				json_key(jp, "section");
				json_str(jp, f->section);
			}
			json_key(jp, pass ? "what" : "key");
			json_str(jp, f->key);
			json_key(jp, pass ? "why" : "value");
			json_str(jp, f->value);
			json_obj_end(jp);
		}
		json_arr_end(jp);
	}
	json_obj_end(jp);
}

void rpt_check_json(FILE *out, const struct cd_findings *fs,
		    const struct chk_facts *facts, int exit_status)
{
	struct json j;

	json_init(&j, out, 0);
	rpt_check_json_obj(&j, fs, facts, exit_status);
	json_flush(&j);
}
