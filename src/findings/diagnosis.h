/* diagnosis.h - one root cause out of a `diagnose` run's findings. */
#ifndef CONNDOCTOR_FINDINGS_DIAGNOSIS_H
#define CONNDOCTOR_FINDINGS_DIAGNOSIS_H

#include "findings/findings.h"

#define CD_DIAG_MAX_CAUSES    8
#define CD_DIAG_MAX_UNCHECKED 16

/* A part of the audit that could not run, and why (borrowed strings). */
struct cd_unchecked {
	const char *what; /* the slice or source: "server", "fds", ... */
	const char *why;
};

/* Borrowed pointers into the two finding lists given to cd_diagnose(). */
struct cd_diagnosis {
	const struct cd_finding *root; /* the measured symptom, NULL: none */
	const struct cd_finding *causes[CD_DIAG_MAX_CAUSES]; /* explain it */
	unsigned ncauses;
	int unexplained; /* a symptom no host finding accounts for */
	const struct cd_finding *risk; /* no symptom: the worst host risk */
	/* What was not checked: never read as healthy. */
	struct cd_unchecked unchecked[CD_DIAG_MAX_UNCHECKED];
	unsigned nunchecked;
	int server_unchecked; /* the server audit could not log in */
};

/* measured: the probe's findings; host: check's and the audit's. Both
 * sorted most severe first. */
void cd_diagnose(const struct cd_findings *measured,
		 const struct cd_findings *host, struct cd_diagnosis *d);

/* Records that `what` could not be checked (call after cd_diagnose()).
 * The server's own layer is remembered apart: with it unchecked, an
 * unexplained symptom is not "nothing accounts for it". */
void cd_diagnosis_unchecked(struct cd_diagnosis *d, const char *what,
			    const char *why);

#endif /* CONNDOCTOR_FINDINGS_DIAGNOSIS_H */
