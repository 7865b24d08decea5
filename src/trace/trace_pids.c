/* trace_pids.c - which processes `trace` puts uprobes on: by name
 * (/proc/PID/comm), or the owners of a MySQL listener in this network
 * namespace (the census's sock_diag dump, then /proc/PID/fd, proc(5)), and
 * the libc each one maps (/proc/PID/maps). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/fds.h"
#include "check/slices.h"
#include "trace/trace.h"

/* Adds pid to pids unless it is there already or the list is full. */
static void add_pid(pid_t pid, pid_t *pids, size_t *npids)
{
	size_t i;

	for (i = 0; i < *npids; i++)
		if (pids[i] == pid)
			return;
	if (*npids < TRACE_MAX_PIDS)
		pids[(*npids)++] = pid;
}

int trace_find_by_comm(const char *comm, pid_t *pids, size_t *npids, char *err,
		       size_t errlen)
{
	char path[64], buf[32];
	struct dirent *de;
	unsigned long v;
	DIR *d = opendir("/proc");
	FILE *f;
	char *end;
	size_t n;

	if (!d) {
		snprintf(err, errlen, "/proc: %s", strerror(errno));
		return -1;
	}
	*npids = 0;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		errno = 0;
		v = strtoul(de->d_name, &end, 10);
		if (errno || *end || !v || v > 0x7fffffffUL)
			continue;
		snprintf(path, sizeof(path), "/proc/%lu/comm", v);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (!strcmp(buf, comm))
			add_pid((pid_t)v, pids, npids);
	}
	closedir(d);
	if (!*npids) {
		snprintf(err, errlen, "no process named '%s'", comm);
		return -1;
	}
	return 0;
}

int trace_find_listeners(const uint16_t *ports, size_t nports, pid_t *pids,
			 size_t *npids, char *err, size_t errlen)
{
	struct chk_census c;
	struct chk_fds fds;
	const struct chk_sock *s;
	size_t i;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	chk_fds_init(&fds);
	*npids = 0;
	if (chk_census_read(&c, ports, nports, NULL, err, errlen) < 0)
		goto out;
	if (chk_fds_scan(&fds, "/proc", &c, err, errlen))
		goto out;
	for (i = 0; i < fds.n; i++) {
		if (fds.v[i].kind != CHK_FD_TCP || fds.v[i].idx >= c.ntcp)
			continue;
		s = &c.tcp[fds.v[i].idx];
		if (s->state == CHK_TCP_LISTEN && s->server_side)
			add_pid(fds.v[i].pid, pids, npids);
	}
	if (!*npids) {
		snprintf(err, errlen,
			 "no process in this network namespace listens on "
			 "port %u",
			 nports ? ports[0] : 0);
		goto out;
	}
	rc = 0;
out:
	chk_fds_free(&fds);
	chk_census_free(&c);
	return rc;
}

/* 1 when a mapped file's name is glibc's libc: libc.so.6, libc-2.31.so. */
static int is_libc(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) ||
	       (!strncmp(base, "libc-", 5) && strstr(base, ".so"));
}

int trace_find_libc(pid_t pid, char *path, size_t len, char *err, size_t errlen)
{
	char mpath[64], line[4096 + 128], *p;
	FILE *f;
	int rc = -1;

	snprintf(mpath, sizeof(mpath), "/proc/%d/maps", (int)pid);
	f = fopen(mpath, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", mpath, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		p = strchr(line, '/');
		if (!p || !is_libc(p))
			continue;
		if (strlen(p) >= len)
			continue;
		snprintf(path, len, "%s", p);
		rc = 0;
		break;
	}
	fclose(f);
	if (rc)
		snprintf(err, errlen,
			 "pid %d maps no glibc libc (statically linked, or "
			 "another libc): its resolver calls cannot be traced",
			 (int)pid);
	return rc;
}
