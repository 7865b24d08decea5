/* check.c - the list of typed facts every slice writes to, and the runner that
 * reads the census once and then runs the slices asked for, in order. */
#include "check/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/slices.h"
#include "util/vec.h"

void chk_facts_init(struct chk_facts *f)
{
	memset(f, 0, sizeof(*f));
}

void chk_facts_free(struct chk_facts *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

/* Facts one run may hold: far above any host's, a bound on a runaway. */
#define FACTS_MAX (1u << 20)

/* A new fact at the end of the list; NULL when out of memory (a lost
 * fact is not worth failing the run). */
static struct chk_fact *grow(struct chk_facts *f)
{
	struct chk_fact *x, *n;

	n = cd_vec_grow(f->v, sizeof(*n), f->n + 1, &f->cap, FACTS_MAX, 32);
	if (!n)
		return NULL;
	f->v = n;
	x = &f->v[f->n++];
	memset(x, 0, sizeof(*x));
	return x;
}

/* Stores a as the value of field fd; a type that does not fit is null. */
static void set_value(struct chk_value *v, const struct chk_field *fd,
		      const struct chk_arg *a)
{
	int want_str = fd->type == CHK_T_STR, is_str = a->type == CHK_T_STR;

	v->type = a->type;
	if (a->type == CHK_T_NULL || want_str != is_str || (is_str && !a->s)) {
		v->type = CHK_T_NULL;
		return;
	}
	v->i = a->i;
	v->u = a->u;
	v->d = a->d;
	if (is_str)
		snprintf(v->s, sizeof(v->s), "%s", a->s);
}

void chk_fact_addv(struct chk_facts *f, const struct chk_fact_def *def,
		   const char *key, const struct chk_arg *v, size_t n)
{
	struct chk_fact *x;
	size_t i, nf = 0;

	while (nf < CHK_FACT_MAXV && def->f[nf].key)
		nf++;
	if (n != nf) {
		chk_unreadable(f, "internal",
			       "fact %s/%s given %zu values for "
			       "%zu fields",
			       def->section, def->name, n, nf);
		return;
	}
	x = grow(f);
	if (!x)
		return;
	snprintf(x->section, sizeof(x->section), "%s", def->section);
	snprintf(x->key, sizeof(x->key), "%s", key ? key : def->name);
	x->def = def;
	for (i = 0; i < nf; i++)
		set_value(&x->v[i], &def->f[i], &v[i]);
	x->nv = nf;
}

void chk_unreadable(struct chk_facts *f, const char *what, const char *fmt, ...)
{
	struct chk_fact *x = grow(f);
	va_list ap;

	if (!x)
		return;
	snprintf(x->section, sizeof(x->section), "unreadable");
	snprintf(x->key, sizeof(x->key), "%s", what);
	va_start(ap, fmt);
	vsnprintf(x->why, sizeof(x->why), fmt, ap);
	va_end(ap);
}

const struct chk_value *chk_fact_value(const struct chk_fact *x,
				       const char *key)
{
	size_t i;

	for (i = 0; x->def && i < x->nv; i++)
		if (!strcmp(x->def->f[i].key, key))
			return &x->v[i];
	return NULL;
}

static const struct chk_slice_def slices[] = {
	{"kernel", chk_slice_kernel, 0},
	{"census", chk_slice_census, 1},
	{"fds", chk_slice_fds, 1},
	{"wrappers", chk_slice_wrappers, 1}, /* the listener's owner */
	{"resolver", chk_slice_resolver, 1},
	{"firewall", chk_slice_firewall, 1},
	{"server", chk_slice_server, 1},
	{"errlog", chk_slice_errlog, 0},
};

const struct chk_slice_def *chk_slices(size_t *n)
{
	*n = sizeof(slices) / sizeof(slices[0]);
	return slices;
}

int chk_run(struct chk_ctx *ctx, unsigned mask, struct chk_facts *facts,
	    struct cd_findings *out)
{
	struct chk_census census;
	char err[256];
	size_t i;
	int rc = 0, need_census = 0;

	memset(&census, 0, sizeof(census));
	for (i = 0; i < sizeof(slices) / sizeof(slices[0]); i++)
		if ((mask & (1u << i)) && slices[i].needs_census)
			need_census = 1;
	if (need_census) {
		if (chk_census_read(&census, ctx->ports, ctx->nports,
				    ctx->socket_path, err, sizeof(err)) < 0)
			chk_unreadable(facts, "census", "%s", err);
		ctx->census = &census;
	}
	for (i = 0; i < sizeof(slices) / sizeof(slices[0]) && !rc; i++)
		if (mask & (1u << i))
			rc = slices[i].fn(ctx, facts, out);
	cd_findings_sort(out);
	ctx->census = NULL;
	chk_census_free(&census);
	return rc;
}
