/* kernel.h - the kernel TCP settings `check` reads, and their rules. */
#ifndef CONNDOCTOR_CHECK_KERNEL_H
#define CONNDOCTOR_CHECK_KERNEL_H

#include "check/check.h"

/* Values as read; -1 when absent or unreadable. */
struct chk_kernel {
	int syn_retries, syn_linear, synack_retries, retries2;
	int keepalive_time, keepalive_intvl, keepalive_probes;
	int fin_timeout, tw_reuse, syncookies, somaxconn, max_syn_backlog;
	int port_lo, port_hi; /* ip_local_port_range */
	int hz;		      /* CONFIG_HZ, -1 unknown */
};

void chk_kernel_read(const char *procroot, struct chk_kernel *k);

/* Seconds until an established connection to a dead peer errors, with
 * the minimum RTO (the best case); -1 when retries2 is unknown. */
double chk_retries2_timeout(int retries2);

/* Facts with their costs, and findings for risky values. */
int chk_kernel_rules(const struct chk_kernel *k, struct chk_facts *facts,
		     struct cd_findings *out);

#endif /* CONNDOCTOR_CHECK_KERNEL_H */
