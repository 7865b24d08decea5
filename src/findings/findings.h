/* findings.h - the finding record (DESIGN.md "Core records"), the catalogue
 * of codes, and the rules that turn measurements into findings. Rules are
 * pure: they read records, never the system. */
#ifndef CONNDOCTOR_FINDINGS_FINDINGS_H
#define CONNDOCTOR_FINDINGS_FINDINGS_H

#include <stddef.h>

#include "analysis/analysis.h"
#include "probe/probe.h"

enum cd_severity { CD_SEV_INFO, CD_SEV_WARNING, CD_SEV_CRITICAL };

enum cd_layer {
	CD_LAYER_CLIENT = 1,
	CD_LAYER_DNS,
	CD_LAYER_TCP,
	CD_LAYER_FIREWALL,
	CD_LAYER_WRAPPERS,
	CD_LAYER_SERVER,
	CD_LAYER_REPLICATION,
	CD_LAYER_PROTOCOL
};

/* One row of the catalogue: what never changes about a code. */
struct cd_finding_def {
	const char *code; /* "CD3001" */
	const char *slug; /* "syn-retransmission-ladder" */
	enum cd_layer layer;
	const char *title; /* one line */
	const char *advice;
};

const struct cd_finding_def *cd_finding_lookup(const char *code);
const struct cd_finding_def *cd_catalogue(size_t *n);
const char *cd_severity_name(enum cd_severity s);
const char *cd_layer_name(enum cd_layer l);
/* The documentation page of a code (docs/findings/CODE.md, built in), or
 * NULL. */
const char *cd_finding_doc(const char *code);

/* A measured number (or a short list of them) behind a finding. */
#define CD_EV_VALUES 12
struct cd_evidence {
	char key[32];
	unsigned n; /* values in v; 1 for a scalar */
	double v[CD_EV_VALUES];
};

#define CD_EV_MAX 12
struct cd_finding {
	const struct cd_finding_def *def;
	enum cd_severity severity;
	char summary[256];   /* this case in one line, with its numbers */
	char evidence[1024]; /* where the numbers came from, for humans */
	struct cd_evidence ev[CD_EV_MAX];
	unsigned nev;
};

/* A growable list of findings (owned). */
struct cd_findings {
	struct cd_finding *v;
	size_t n, cap;
};

void cd_findings_init(struct cd_findings *f);
void cd_findings_free(struct cd_findings *f);
/* Appends a finding for code (which must be in the catalogue); returns it,
 * or NULL when out of memory. */
struct cd_finding *cd_finding_add(struct cd_findings *f, const char *code,
				  enum cd_severity sev);
void cd_finding_num(struct cd_finding *f, const char *key, double v);
void cd_finding_list(struct cd_finding *f, const char *key, const double *v,
		     size_t n);
/* Orders findings critical first, then by code. */
void cd_findings_sort(struct cd_findings *f);
enum cd_severity cd_findings_worst(const struct cd_findings *f);

/* Everything the probe rules look at. */
struct cd_probe_input {
	const struct probe_config *cfg;
	const struct probe_result *res;
	const struct cd_host_facts *facts;
	int ramp;	  /* the attempts come from a --ramp */
	unsigned repeats; /* ramp repeats */
};

/* Evaluates every probe rule. Returns 0 or -1 when out of memory. */
int cd_rules_probe(const struct cd_probe_input *in, struct cd_findings *out);

/* Per-level statistics of a ramp for one repeat (lv has room for max). */
size_t cd_ramp_levels(const struct probe_result *res, unsigned repeat,
		      struct cd_level_stat *lv, size_t max);

#endif /* CONNDOCTOR_FINDINGS_FINDINGS_H */
