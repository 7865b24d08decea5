/* hostfacts.c - reads kernel TCP sysctls from /proc/sys/net/ipv4, the
 * kernel's CONFIG_HZ (its timer granularity) from its config, and the
 * resolver's timeout/attempts/nameservers from resolv.conf (resolv.conf(5),
 * util/resolvconf.c), as this process's network namespace sees them. */
#include "probe/hostfacts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

#include "util/fileio.h"
#include "util/resolvconf.h"

void cd_host_facts_init(struct cd_host_facts *f)
{
	f->syn_retries = -1;
	f->syn_linear_timeouts = -1;
	f->synack_retries = -1;
	f->rto_init_s = 1.0;
	f->hz = -1;
	f->resolv_timeout_s = 5;
	f->resolv_attempts = 2;
	f->resolv_nameservers = -1;
}

#define RESOLV_MAX  (64 * 1024)
#define KCONFIG_MAX (1024 * 1024) /* a kernel config is ~250 KiB */

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

int probe_kernel_hz_parse(const char *text, size_t len)
{
	static const char key[] = "\nCONFIG_HZ=";
	const char *p, *end = text + len;
	int hz = 0;

	p = memmem(text, len, key, sizeof(key) - 1);
	if (!p)
		return -1;
	p += sizeof(key) - 1;
	if (p == end || *p < '0' || *p > '9')
		return -1;
	while (p < end && *p >= '0' && *p <= '9' && hz < 100000)
		hz = hz * 10 + (*p++ - '0');
	if (p < end && *p != '\n')
		return -1;
	return hz >= 24 && hz <= 10000 ? hz : -1;
}

/* Reads up to KCONFIG_MAX bytes of a gzip (or plain) file; NULL if absent. */
static char *read_gz(const char *path, size_t *len)
{
	gzFile gz = gzopen(path, "rb");
	char *buf;
	int n;

	if (!gz)
		return NULL;
	buf = malloc(KCONFIG_MAX + 1);
	if (!buf) {
		gzclose(gz);
		return NULL;
	}
	buf[0] = '\n'; /* so the first line matches "\nCONFIG_HZ=" too */
	n = gzread(gz, buf + 1, KCONFIG_MAX - 1);
	gzclose(gz);
	if (n <= 0) {
		free(buf);
		return NULL;
	}
	*len = (size_t)n + 1;
	buf[*len] = 0;
	return buf;
}

int probe_kernel_hz(const char *procroot)
{
	char path[512];
	struct utsname u;
	size_t len = 0;
	char *text;
	int hz;

	snprintf(path, sizeof(path), "%s/config.gz", procroot);
	text = read_gz(path, &len);
	if (!text && uname(&u) == 0) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		text = read_gz(path, &len);
	}
	if (!text)
		return -1;
	hz = probe_kernel_hz_parse(text, len);
	free(text);
	return hz;
}

void probe_resolv_facts(struct cd_host_facts *f, const char *text,
			const char *res_options)
{
	struct cd_resolv_conf r;

	cd_resolv_conf_parse(text, res_options, &r);
	f->resolv_timeout_s = r.timeout_s;
	f->resolv_attempts = r.attempts;
	f->resolv_nameservers = (int)r.nns;
}

void probe_host_facts_read(struct cd_host_facts *f, const char *procroot,
			   const char *resolv_conf, const char *res_options)
{
	char *text;

	cd_host_facts_init(f);
	f->syn_retries = read_sysctl(procroot, "tcp_syn_retries");
	f->syn_linear_timeouts =
		read_sysctl(procroot, "tcp_syn_linear_timeouts");
	f->synack_retries = read_sysctl(procroot, "tcp_synack_retries");
	f->hz = probe_kernel_hz(procroot);
	text = cd_read_text(resolv_conf, RESOLV_MAX, NULL);
	if (text) {
		probe_resolv_facts(f, text, res_options);
		free(text);
	}
}
