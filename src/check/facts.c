/* facts.c - reads kernel TCP sysctls from /proc/sys/net/ipv4 and the
 * resolver's timeout/attempts/nameservers from resolv.conf (resolv.conf(5)),
 * as this process's network namespace sees them. */
#include "check/facts.h"

#include "check/resolver.h"
#include "util/fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESOLV_MAX (64 * 1024)

/* Reads one integer sysctl; -1 when absent or not a number. */
/* Reads one integer sysctl; -1 when absent or not a number. */
static int read_sysctl(const char *procroot, const char *name)
{
	char path[512];
	long v;

	snprintf(path, sizeof(path), "%s/sys/net/ipv4/%s", procroot, name);
	if (cd_read_long(path, &v) < 0 || v > 1000000)
		return -1;
	return (int)v;
}

void chk_resolv_parse(struct cd_host_facts *f, const char *text,
		      const char *res_options)
{
	struct chk_resolv r;

	chk_resolv_conf_parse(text, res_options, &r);
	f->resolv_timeout_s = r.timeout_s;
	f->resolv_attempts = r.attempts;
	f->resolv_nameservers = (int)r.nns;
}

void chk_host_facts_read(struct cd_host_facts *f, const char *procroot,
			 const char *resolv_conf, const char *res_options)
{
	char *text;

	cd_host_facts_init(f);
	f->syn_retries = read_sysctl(procroot, "tcp_syn_retries");
	f->syn_linear_timeouts =
		read_sysctl(procroot, "tcp_syn_linear_timeouts");
	f->synack_retries = read_sysctl(procroot, "tcp_synack_retries");
	text = cd_read_text(resolv_conf, RESOLV_MAX, NULL);
	if (text) {
		chk_resolv_parse(f, text, res_options);
		free(text);
	}
}
