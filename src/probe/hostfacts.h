/* hostfacts.h - the facts about this host that the probe's timings are
 * read against: kernel TCP sysctls, the kernel's CONFIG_HZ and the
 * resolver's settings. The probe engine reads them with its measurement
 * (run.h); check's slices and watch's buckets read them too. Readers: they
 * never decide. */
#ifndef CONNDOCTOR_PROBE_HOSTFACTS_H
#define CONNDOCTOR_PROBE_HOSTFACTS_H

#include <stddef.h>

/* What the collectors read about this host; -1 where unknown. */
struct cd_host_facts {
	int syn_retries;	 /* net.ipv4.tcp_syn_retries */
	int syn_linear_timeouts; /* net.ipv4.tcp_syn_linear_timeouts (6.7+) */
	int synack_retries;	 /* net.ipv4.tcp_synack_retries */
	double rto_init_s;	 /* initial RTO, 1 s unless a route says */
	int hz;			 /* the kernel's CONFIG_HZ (timer ticks/s) */
	int resolv_timeout_s;	 /* resolv.conf options timeout (default 5) */
	int resolv_attempts;	 /* resolv.conf options attempts (default 2) */
	int resolv_nameservers;	 /* nameserver lines */
};

void cd_host_facts_init(struct cd_host_facts *f);

/* Reads the sysctls under procroot ("/proc", or a test's copy) and the
 * resolver configuration file (usually /etc/resolv.conf, with RES_OPTIONS
 * applied when res_options is not NULL). Missing files leave -1/defaults. */
void probe_host_facts_read(struct cd_host_facts *f, const char *procroot,
			   const char *resolv_conf, const char *res_options);

/* The running kernel's CONFIG_HZ, from <procroot>/config.gz or
 * /boot/config-RELEASE; -1 when neither says. */
int probe_kernel_hz(const char *procroot);

/* Finds "CONFIG_HZ=N" in kernel config text; -1 when absent or odd. */
int probe_kernel_hz_parse(const char *text, size_t len);

/* Parses resolv.conf text (NUL-terminated) and RES_OPTIONS words (NULL:
 * none) into f's resolver fields. */
void probe_resolv_facts(struct cd_host_facts *f, const char *text,
			const char *res_options);

#endif /* CONNDOCTOR_PROBE_HOSTFACTS_H */
