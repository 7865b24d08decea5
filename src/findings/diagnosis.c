/* diagnosis.c - ranks the findings of a `diagnose` run into one root cause:
 * the symptom the probe measured, joined with the findings of other layers
 * that explain it. Pure: it only reads findings. */
#include "findings/diagnosis.h"

#include <string.h>

/* Which host-side findings explain which measured symptom, the most
 * telling (the most specific, with the numbers) first. A symptom with a
 * corroborating cause is reported as that cause, proven by both. */
static const struct {
	const char *symptom;
	const char *causes[16];
} explains[] = {
	{"CD2003", /* greetings wait on a resolver */
	 {"CD2020", "CD5002", "CD5003", "CD5001", "CD6040", "CD2010", "CD2011",
	  "CD2012", "CD6044", "CD6028", "CD6029", NULL}},
	{"CD3001", /* SYN ladder */
	 {"CD3072", "CD3071", "CD4002", "CD3040", "CD3041", "CD3042", "CD3043",
	  "CD3063", "CD3064", NULL}},
	{"CD3003", /* established, never greeted */
	 {"CD3070", "CD3071", "CD2020", "CD3072", "CD3040", "CD3041", "CD3042",
	  "CD3043", "CD5002", "CD2012", "CD6045", "CD3063", "CD3064", NULL}},
	{"CD3002", /* refused */
	 {"CD6053", "CD3073", NULL}},
	{"CD3004", /* local ports exhausted */
	 {"CD3045", "CD3044", "CD3062", NULL}},
	{"CD3006", /* the socket works, TCP fails */
	 {"CD4002", "CD5002", "CD3040", "CD3041", NULL}},
	{"CD6001", /* too many connections */
	 {"CD6047", "CD6055", "CD6041", "CD6026", NULL}},
	{"CD6054", /* the account's connection limit (1203, 1226) */
	 {"CD6058", "CD6047", "CD6055", NULL}},
	{"CD6002", /* host blocked */
	 {"CD6043", "CD6027", "CD6020", NULL}},
	{"CD6004", /* access denied */
	 {"CD6025", NULL}},
	{"CD6005", /* idle cut */
	 {"CD6048", "CD6060", "CD6023", "CD4005", "CD4004", "CD6053", NULL}},
	{"CD6006", /* gone away (not CD6052: Com_kill counts since the
		    * start, not only during the probe) */
	 {"CD6053", "CD6046", "CD1002", "CD6022", "CD6061", "CD6060", "CD6024",
	  "CD6030", "CD6031", "CD6032", "CD6033", NULL}},
	{"CD6007", /* closed before greeting */
	 {"CD6053", "CD2020", "CD5002", "CD5003", "CD5001", "CD6042", NULL}},
	{"CD6011", /* closed during login */
	 {"CD6053", "CD6033", "CD6032", "CD6030", "CD6023", "CD6042", "CD4003",
	  "CD4004", NULL}},
	{"CD1004", /* a reply over the client's limit (2020) */
	 {"CD6057", NULL}},
	{"CD6013", /* a packet over the server's limit (1153) */
	 {"CD6046", "CD6031", NULL}},
	{"CD6051", /* sessions killed (1927) */
	 {"CD6030", "CD6052", NULL}},
	{"CD6049", /* a statement killed at the time limit (1969, 3024) */
	 {"CD6050", NULL}},
	{"CD8003", /* a MySQL server broke the protocol after its greeting */
	 {"CD1002", "CD6022", NULL}},
};

/* The causes that explain symptom, most telling first; NULL: none. */
static const char *const *causes_of(const char *symptom)
{
	size_t i;

	for (i = 0; i < sizeof(explains) / sizeof(explains[0]); i++)
		if (!strcmp(explains[i].symptom, symptom))
			return explains[i].causes;
	return NULL;
}

/* Adds the host findings that explain s to d, the most severe first and,
 * among equals, in the order of the table (the most telling first: the
 * first cause titles the report). */
static void join(const struct cd_finding *s, const struct cd_findings *host,
		 struct cd_diagnosis *d)
{
	const char *const *c = causes_of(s->def->code);
	int sev;
	size_t j, k;

	for (sev = CD_SEV_CRITICAL; sev >= (int)CD_SEV_INFO; sev--)
		for (j = 0; c && c[j]; j++)
			for (k = 0; k < host->n; k++)
				if ((int)host->v[k].severity == sev &&
				    !strcmp(host->v[k].def->code, c[j]) &&
				    d->ncauses < CD_DIAG_MAX_CAUSES)
					d->causes[d->ncauses++] = &host->v[k];
}

void cd_diagnose(const struct cd_findings *measured,
		 const struct cd_findings *host, struct cd_diagnosis *d)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	/* Findings are sorted most severe first: the first measured symptom
	 * of warning level or worse that a host finding explains wins; else
	 * the most severe measured symptom stands alone. */
	for (i = 0; i < measured->n && !d->root; i++) {
		const struct cd_finding *s = &measured->v[i];

		if (s->severity < CD_SEV_WARNING)
			continue;
		join(s, host, d);
		if (d->ncauses)
			d->root = s;
	}
	if (!d->root)
		for (i = 0; i < measured->n && !d->root; i++)
			if (measured->v[i].severity >= CD_SEV_WARNING)
				d->root = &measured->v[i];
	if (d->root) {
		d->unexplained = d->ncauses == 0;
		return;
	}
	/* Every attempt behaved: the host's own risks, if any. */
	for (i = 0; i < host->n; i++)
		if (host->v[i].severity >= CD_SEV_WARNING) {
			d->risk = &host->v[i];
			break;
		}
}

void cd_diagnosis_unchecked(struct cd_diagnosis *d, const char *what,
			    const char *why)
{
	if (!strcmp(what, "server"))
		d->server_unchecked = 1;
	if (d->nunchecked >= CD_DIAG_MAX_UNCHECKED)
		return;
	d->unchecked[d->nunchecked].what = what;
	d->unchecked[d->nunchecked].why = why;
	d->nunchecked++;
}
