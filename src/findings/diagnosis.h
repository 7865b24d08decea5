/* diagnosis.h - one root cause out of a `diagnose` run's findings. */
#ifndef CONNDOCTOR_FINDINGS_DIAGNOSIS_H
#define CONNDOCTOR_FINDINGS_DIAGNOSIS_H

#include "findings/findings.h"

#define CD_DIAG_MAX_CAUSES 8

/* Borrowed pointers into the two finding lists given to cd_diagnose(). */
struct cd_diagnosis {
	const struct cd_finding *root; /* the measured symptom, NULL: none */
	const struct cd_finding *causes[CD_DIAG_MAX_CAUSES]; /* explain it */
	unsigned ncauses;
	int unexplained; /* a symptom no host finding accounts for */
	const struct cd_finding *risk; /* no symptom: the worst host risk */
};

/* measured: the probe's findings; host: check's and the audit's. Both
 * sorted most severe first. */
void cd_diagnose(const struct cd_findings *measured,
		 const struct cd_findings *host, struct cd_diagnosis *d);

#endif /* CONNDOCTOR_FINDINGS_DIAGNOSIS_H */
