/* facts.c - reads kernel TCP sysctls from /proc/sys/net/ipv4 and the
 * resolver's timeout/attempts/nameservers from resolv.conf (resolv.conf(5)),
 * as this process's network namespace sees them. */
#include "check/facts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESOLV_MAX (64 * 1024)

/* Reads one integer sysctl; -1 when absent or not a number. */
static int read_sysctl(const char *procroot, const char *name)
{
	char path[512], buf[32];
	FILE *fp;
	char *end;
	long v;

	snprintf(path, sizeof(path), "%s/sys/net/ipv4/%s", procroot, name);
	fp = fopen(path, "re");
	if (!fp)
		return -1;
	if (!fgets(buf, sizeof(buf), fp)) {
		fclose(fp);
		return -1;
	}
	fclose(fp);
	v = strtol(buf, &end, 10);
	if (end == buf || v < 0 || v > 1000000)
		return -1;
	return (int)v;
}

/* "timeout:3" style option value after the colon; -1 when malformed. */
static int opt_value(const char *word, size_t len, const char *name)
{
	size_t n = strlen(name);
	long v = 0;
	size_t i;

	if (len <= n + 1 || strncmp(word, name, n) || word[n] != ':')
		return -1;
	for (i = n + 1; i < len; i++) {
		if (!isdigit((unsigned char)word[i]) || v > 100000)
			return -1;
		v = v * 10 + (word[i] - '0');
	}
	return (int)v;
}

void chk_resolv_options(struct cd_host_facts *f, const char *words)
{
	const char *p = words;

	while (*p) {
		size_t len;
		int v;

		while (*p && isspace((unsigned char)*p))
			p++;
		len = strcspn(p, " \t\r\n");
		if (!len)
			break;
		/* glibc caps timeout at 30 s and attempts at 5 (RES_MAX*). */
		v = opt_value(p, len, "timeout");
		if (v >= 0)
			f->resolv_timeout_s = v > 30 ? 30 : (v < 1 ? 1 : v);
		v = opt_value(p, len, "attempts");
		if (v >= 0)
			f->resolv_attempts = v > 5 ? 5 : (v < 1 ? 1 : v);
		p += len;
	}
}

void chk_resolv_parse(struct cd_host_facts *f, const char *text)
{
	const char *line = text;

	f->resolv_nameservers = 0;
	while (*line) {
		size_t len = strcspn(line, "\n");
		char buf[512];

		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			if (!strncmp(buf, "nameserver", 10) &&
			    isspace((unsigned char)buf[10]))
				f->resolv_nameservers++;
			else if (!strncmp(buf, "options", 7) &&
				 isspace((unsigned char)buf[7]))
				chk_resolv_options(f, buf + 8);
		}
		line += len;
		if (*line)
			line++;
	}
	/* glibc uses at most 3 nameservers (MAXNS). */
	if (f->resolv_nameservers > 3)
		f->resolv_nameservers = 3;
}

void chk_host_facts_read(struct cd_host_facts *f, const char *procroot,
			 const char *resolv_conf, const char *res_options)
{
	FILE *fp;

	cd_host_facts_init(f);
	f->syn_retries = read_sysctl(procroot, "tcp_syn_retries");
	f->syn_linear_timeouts =
		read_sysctl(procroot, "tcp_syn_linear_timeouts");
	f->synack_retries = read_sysctl(procroot, "tcp_synack_retries");
	fp = fopen(resolv_conf, "re");
	if (fp) {
		char *text = malloc(RESOLV_MAX + 1);
		size_t n;

		if (text) {
			n = fread(text, 1, RESOLV_MAX, fp);
			text[n] = '\0';
			chk_resolv_parse(f, text);
			free(text);
		}
		fclose(fp);
	}
	if (res_options)
		chk_resolv_options(f, res_options);
}
