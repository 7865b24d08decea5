/* slices.h - every slice of `conndoctor check`, and the runner. Each slice
 * lives in its own file (slice_NAME.c) with its collector and rules. */
#ifndef CONNDOCTOR_CHECK_SLICES_H
#define CONNDOCTOR_CHECK_SLICES_H

#include "check/check.h"

/* The socket census (census.c): reads TCP sockets whose source or
 * destination port is in ports, and mysqld's Unix socket (unix_path may
 * be NULL). Returns 0, or -1 with err set when netlink fails. */
int chk_census_read(struct chk_census *c, const uint16_t *ports, size_t nports,
		    const char *unix_path, char *err, size_t errlen);
void chk_census_free(struct chk_census *c);

int chk_slice_kernel(const struct chk_ctx *ctx, struct chk_facts *facts,
		     struct cd_findings *out);
int chk_slice_census(const struct chk_ctx *ctx, struct chk_facts *facts,
		     struct cd_findings *out);
int chk_slice_fds(const struct chk_ctx *ctx, struct chk_facts *facts,
		  struct cd_findings *out);
int chk_slice_wrappers(const struct chk_ctx *ctx, struct chk_facts *facts,
		       struct cd_findings *out);
int chk_slice_resolver(const struct chk_ctx *ctx, struct chk_facts *facts,
		       struct cd_findings *out);
int chk_slice_firewall(const struct chk_ctx *ctx, struct chk_facts *facts,
		       struct cd_findings *out);
/* The server audit (slice_server.c): needs ctx->server. */
int chk_slice_server(const struct chk_ctx *ctx, struct chk_facts *facts,
		     struct cd_findings *out);
/* The server's error log (slice_errlog.c). */
int chk_slice_errlog(const struct chk_ctx *ctx, struct chk_facts *facts,
		     struct cd_findings *out);

struct chk_slice_def {
	const char *name;
	chk_slice_fn fn;
	int needs_census; /* reads ctx->census */
};

/* The slices in running order; a run's mask has bit i for slice i. */
const struct chk_slice_def *chk_slices(size_t *n);

/* Reads the census when a chosen slice needs it, then runs the slices of
 * mask in order. Returns 0, or -1 when out of memory. */
int chk_run(struct chk_ctx *ctx, unsigned mask, struct chk_facts *facts,
	    struct cd_findings *out);

#endif /* CONNDOCTOR_CHECK_SLICES_H */
