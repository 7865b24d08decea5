/* check.c - the `conndoctor check` report: findings first, then the facts
 * each slice read (grouped by slice), then what could not be read. A fact
 * is typed values; its definition's template (check/fields.c) phrases it
 * in text, and JSON gives the values under their keys. Values come from
 * the server and from files: text shows them escaped. */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/escape.h"
#include "util/json.h"

/* An output cursor over a fixed buffer; it truncates, never overflows. */
struct out {
	char *buf;
	size_t len, pos;
};

static void put(struct out *o, const char *s, size_t n)
{
	while (n-- && o->pos + 1 < o->len)
		o->buf[o->pos++] = *s++;
	o->buf[o->pos < o->len ? o->pos : o->len - 1] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* The closing '}' that matches the '{' before p (p just after it); NULL
 * when the template is unbalanced. */
static const char *closing(const char *p, const char *end)
{
	int depth = 1;

	for (; p < end; p++) {
		if (*p == '{')
			depth++;
		else if (*p == '}' && --depth == 0)
			return p;
	}
	return NULL;
}

static int truthy(const struct chk_value *v)
{
	switch (v ? v->type : CHK_T_NULL) {
	case CHK_T_INT:
	case CHK_T_BOOL:
		return v->i != 0;
	case CHK_T_UINT:
		return v->u != 0;
	case CHK_T_DOUBLE:
		return v->d != 0;
	case CHK_T_STR:
		return v->s[0] != '\0';
	default:
		return 0;
	}
}

/* A value's integer (for choices), -1 when it has none. */
static long long as_index(const struct chk_value *v)
{
	switch (v ? v->type : CHK_T_NULL) {
	case CHK_T_INT:
	case CHK_T_BOOL:
		return v->i;
	case CHK_T_UINT:
		return v->u > 1000000 ? -1 : (long long)v->u;
	default:
		return -1;
	}
}

/* Reads a spec's precision ".N" (default def); returns the rest. */
static const char *precision(const char *spec, int *prec, int def)
{
	*prec = def;
	if (*spec == '.') {
		*prec = (int)strtol(spec + 1, (char **)&spec, 10);
		if (*prec < 0 || *prec > 20)
			*prec = def;
	}
	return spec;
}

/* One value as text. spec: "" default, for doubles "[+][.N](f|g)" or
 * "min" (the seconds as minutes, .1f), for strings ".N" (at most N
 * bytes), for ints "utc" (Unix seconds as a UTC date), for bools
 * "onoff". Null is "?". */
static void value_text(struct out *o, const struct chk_value *v,
		       const char *spec)
{
	char b[64];
	int prec;

	switch (v ? v->type : CHK_T_NULL) {
	case CHK_T_INT:
		if (!strcmp(spec, "utc")) {
			time_t t = (time_t)v->i;
			struct tm tm;

			if (gmtime_r(&t, &tm) &&
			    strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S UTC",
				     &tm)) {
				puts_(o, b);
				return;
			}
		}
		snprintf(b, sizeof(b), "%lld", v->i);
		break;
	case CHK_T_UINT:
		snprintf(b, sizeof(b), "%llu", v->u);
		break;
	case CHK_T_BOOL:
		if (!strcmp(spec, "onoff"))
			snprintf(b, sizeof(b), "%s", v->i ? "ON" : "OFF");
		else
			snprintf(b, sizeof(b), "%s", v->i ? "yes" : "no");
		break;
	case CHK_T_DOUBLE: {
		int plus = *spec == '+';
		const char *conv;

		if (!strcmp(spec, "min")) {
			snprintf(b, sizeof(b), "%.1f", v->d / 60);
			break;
		}
		conv = precision(spec + plus, &prec, -1);
		if (*conv == 'g')
			snprintf(b, sizeof(b), plus ? "%+.*g" : "%.*g",
				 prec < 0 ? 6 : prec, v->d);
		else
			snprintf(b, sizeof(b), plus ? "%+.*f" : "%.*f",
				 prec < 0 ? 3 : prec, v->d);
		break;
	}
	case CHK_T_STR:
		precision(spec, &prec, -1);
		put(o, v->s,
		    prec < 0 ? strlen(v->s) : strnlen(v->s, (size_t)prec));
		return;
	default:
		snprintf(b, sizeof(b), "?");
	}
	puts_(o, b);
}

static void render(struct out *o, const struct chk_fact *x, const char *p,
		   const char *end);

/* One placeholder, the text between '{' and its '}'. */
static void placeholder(struct out *o, const struct chk_fact *x, const char *p,
			const char *end)
{
	char key[48], spec[16] = "";
	const struct chk_value *v;
	const char *k = p, *stop;
	size_t n;
	int cond = 0;

	if (*p == '?' || *p == '!')
		cond = (unsigned char)*k++;
	for (stop = k; stop < end && *stop != ':' && *stop != '|'; stop++)
		;
	n = (size_t)(stop - k) < sizeof(key) ? (size_t)(stop - k)
					     : sizeof(key) - 1;
	memcpy(key, k, n);
	key[n] = '\0';
	v = chk_fact_value(x, key);
	if (cond) {
		/* {?key:text} / {!key:text} */
		if (stop < end && *stop == ':' && truthy(v) == (cond == '?'))
			render(o, x, stop + 1, end);
		return;
	}
	if (stop < end && *stop == '|') {
		/* {key|word0|word1|...}: the word at the value's index */
		long long idx = as_index(v), i = 0;
		const char *w = stop + 1, *we;

		for (;; i++) {
			for (we = w; we < end && *we != '|'; we++)
				;
			if (i == idx) {
				put(o, w, (size_t)(we - w));
				return;
			}
			if (we >= end)
				return;
			w = we + 1;
		}
	}
	if (stop < end && *stop == ':') {
		n = (size_t)(end - stop - 1) < sizeof(spec)
			    ? (size_t)(end - stop - 1)
			    : sizeof(spec) - 1;
		memcpy(spec, stop + 1, n);
		spec[n] = '\0';
	}
	value_text(o, v, spec);
}

static void render(struct out *o, const struct chk_fact *x, const char *p,
		   const char *end)
{
	while (p < end) {
		const char *brace = memchr(p, '{', (size_t)(end - p)), *close;

		if (!brace) {
			put(o, p, (size_t)(end - p));
			return;
		}
		put(o, p, (size_t)(brace - p));
		close = closing(brace + 1, end);
		if (!close) {
			put(o, brace, (size_t)(end - brace));
			return;
		}
		placeholder(o, x, brace + 1, close);
		p = close + 1;
	}
}

void rpt_fact_text(const struct chk_fact *x, char *buf, size_t len)
{
	struct out o = {buf, len, 0};

	if (!len)
		return;
	buf[0] = '\0';
	if (x->def)
		render(&o, x, x->def->text,
		       x->def->text + strlen(x->def->text));
	else
		puts_(&o, x->why);
}

void rpt_fact_json(struct json *jp, const struct chk_fact *x)
{
	size_t i;

	json_obj(jp);
	json_key(jp, "section");
	json_str(jp, x->section);
	json_key(jp, "fact");
	json_str(jp, x->def ? x->def->name : x->key);
	json_key(jp, "key");
	json_str(jp, x->key);
	json_key(jp, "values");
	json_obj(jp);
	for (i = 0; x->def && i < x->nv; i++) {
		const struct chk_value *v = &x->v[i];

		json_key(jp, x->def->f[i].key);
		switch (v->type) {
		case CHK_T_INT:
			json_int(jp, v->i);
			break;
		case CHK_T_UINT:
			json_uint(jp, v->u);
			break;
		case CHK_T_DOUBLE:
			json_num(jp, v->d);
			break;
		case CHK_T_BOOL:
			json_bool(jp, v->i != 0);
			break;
		case CHK_T_STR:
			json_str(jp, v->s);
			break;
		default:
			json_null(jp);
		}
	}
	json_obj_end(jp);
	json_obj_end(jp);
}

/* "  KEY VALUE\n", both escaped, the key padded to width. */
static void fact_line(FILE *out, int width, const char *key, const char *value)
{
	char k[4 * 64];

	fprintf(out, "  %-*s ", width, cd_escape_str(k, sizeof(k), key));
	cd_fputs_escaped(value, out);
	fputc('\n', out);
}

/* "server, fds": the keys of the parts that could not be read, into buf. */
static const char *unchecked_list(const struct chk_facts *facts, char *buf,
				  size_t len)
{
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < facts->n; i++) {
		if (facts->v[i].def || used >= len)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
			     facts->v[i].key);
		if (n > 0)
			used += (size_t)n;
	}
	return buf;
}

void rpt_check_text(FILE *out, const struct cd_findings *fs,
		    const struct chk_facts *facts, const struct rpt_opts *o)
{
	const char *section = "";
	char line[1024];
	size_t i, unreadable = 0;

	fprintf(out, "conndoctor check: %zu finding(s)\n\n", fs->n);
	for (i = 0; i < facts->n; i++)
		unreadable += !facts->v[i].def;
	/* Nothing found is not "no problem" when parts were not read. */
	if (fs->n == 0 && unreadable)
		fprintf(out,
			"no problem found in what could be read; not checked: "
			"%s (see \"could not read\" below), so that part is "
			"unknown, not healthy\n\n",
			unchecked_list(facts, line, sizeof(line)));
	else
		rpt_findings_text(out, fs, o);
	for (i = 0; i < facts->n; i++) {
		const struct chk_fact *f = &facts->v[i];

		if (!f->def)
			continue;
		if (strcmp(section, f->section)) {
			section = f->section;
			fprintf(out, "%s%s:\n", i ? "\n" : "", section);
		}
		rpt_fact_text(f, line, sizeof(line));
		fact_line(out, 24, f->key, line);
	}
	if (unreadable) {
		fprintf(out, "\ncould not read (results above are partial):\n");
		for (i = 0; i < facts->n; i++)
			if (!facts->v[i].def)
				fact_line(out, 22, facts->v[i].key,
					  facts->v[i].why);
	}
}

void rpt_check_json_obj(struct json *jp, const struct cd_findings *fs,
			const struct chk_facts *facts, int exit_status)
{
	size_t i;

	json_obj(jp);
	json_key(jp, "conndoctor");
	json_str(jp, CD_VERSION);
	json_key(jp, "command");
	json_str(jp, "check");
	json_key(jp, "exit_status");
	json_int(jp, exit_status);
	json_key(jp, "findings");
	rpt_findings_json(jp, fs);
	json_key(jp, "facts");
	json_arr(jp);
	for (i = 0; i < facts->n; i++)
		if (facts->v[i].def)
			rpt_fact_json(jp, &facts->v[i]);
	json_arr_end(jp);
	/* What could not be read, with the reason as the system said it. */
	json_key(jp, "unreadable");
	json_arr(jp);
	for (i = 0; i < facts->n; i++) {
		const struct chk_fact *f = &facts->v[i];

		if (f->def)
			continue;
		json_obj(jp);
		json_key(jp, "what");
		json_str(jp, f->key);
		json_key(jp, "why");
		json_str(jp, f->why);
		json_obj_end(jp);
	}
	json_arr_end(jp);
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
