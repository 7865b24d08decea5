/* check.c - the facts list every slice writes to, and the runner that reads
 * the census once and then runs the slices asked for, in order. */
#include "check/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/slices.h"

void chk_facts_init(struct chk_facts *f)
{
	memset(f, 0, sizeof(*f));
}

void chk_facts_free(struct chk_facts *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

__attribute__((format(printf, 4, 0))) static void
vfact(struct chk_facts *f, const char *section, const char *key,
      const char *fmt, va_list ap)
{
	struct chk_fact *x;

	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 32;
		struct chk_fact *n = realloc(f->v, ncap * sizeof(*n));

		if (!n)
			return; /* a lost fact is not worth failing the run */
		f->v = n;
		f->cap = ncap;
	}
	x = &f->v[f->n++];
	snprintf(x->section, sizeof(x->section), "%s", section);
	snprintf(x->key, sizeof(x->key), "%s", key);
	vsnprintf(x->value, sizeof(x->value), fmt, ap);
}

void chk_fact(struct chk_facts *f, const char *section, const char *key,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfact(f, section, key, fmt, ap);
	va_end(ap);
}

void chk_unreadable(struct chk_facts *f, const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfact(f, "unreadable", what, fmt, ap);
	va_end(ap);
}

static const struct chk_slice_def slices[] = {
	{"kernel", chk_slice_kernel, 0},
	{"census", chk_slice_census, 1},
	{"fds", chk_slice_fds, 1},
	{"wrappers", chk_slice_wrappers, 0},
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
