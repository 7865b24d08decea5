/* facts.h - collectors for the host facts the probe's rules need: kernel
 * TCP sysctls and the resolver's settings. They read; they never decide. */
#ifndef CONNDOCTOR_CHECK_FACTS_H
#define CONNDOCTOR_CHECK_FACTS_H

#include "analysis/analysis.h"

/* Reads the sysctls under procroot ("/proc", or a test's copy) and the
 * resolver configuration file (usually /etc/resolv.conf, with RES_OPTIONS
 * applied when res_options is not NULL). Missing files leave -1/defaults. */
void chk_host_facts_read(struct cd_host_facts *f, const char *procroot,
			 const char *resolv_conf, const char *res_options);

/* The running kernel's CONFIG_HZ, from <procroot>/config.gz or
 * /boot/config-RELEASE; -1 when neither says. */
int chk_kernel_hz(const char *procroot);

/* Finds "CONFIG_HZ=N" in kernel config text; -1 when absent or odd. */
int chk_kernel_hz_parse(const char *text, size_t len);

/* Parses resolv.conf text (NUL-terminated) and RES_OPTIONS words (NULL:
 * none) into f's resolver fields. */
void chk_resolv_parse(struct cd_host_facts *f, const char *text,
		      const char *res_options);

#endif /* CONNDOCTOR_CHECK_FACTS_H */
