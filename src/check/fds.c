/* fds.c - finds the processes that hold the census's sockets: reads every
 * /proc/PID/fd/N link ("socket:[INODE]", proc(5)) as far as permissions
 * allow, with readlinkat on each fd directory. */
#include "util/fileio.h"
#include "check/fds.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/census.h"
#include "util/vec.h"

/* A census socket by inode, for bsearch. */
struct sock_ref {
	uint32_t inode;
	uint8_t kind;
	size_t idx;
};

void chk_fds_init(struct chk_fds *f)
{
	memset(f, 0, sizeof(*f));
}

void chk_fds_free(struct chk_fds *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static int cmp_ref(const void *a, const void *b)
{
	const struct sock_ref *x = a, *y = b;

	return (x->inode > y->inode) - (x->inode < y->inode);
}

/* The census's sockets that have an inode, sorted by it. */
static struct sock_ref *build_index(const struct chk_census *c, size_t *n)
{
	size_t i, k = 0, total = c->ntcp + c->nunix;
	struct sock_ref *v = malloc((total ? total : 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (i = 0; c->tcp_ok && i < c->ntcp; i++)
		if (c->tcp[i].inode) {
			v[k].inode = c->tcp[i].inode;
			v[k].kind = CHK_FD_TCP;
			v[k++].idx = i;
		}
	for (i = 0; c->unix_ok && i < c->nunix; i++)
		if (c->unix_[i].inode) {
			v[k].inode = c->unix_[i].inode;
			v[k].kind = CHK_FD_UNIX;
			v[k++].idx = i;
		}
	qsort(v, k, sizeof(*v), cmp_ref);
	*n = k;
	return v;
}

/* "socket:[12345]" -> 12345; 0 for anything else. */
static uint32_t socket_inode(const char *link, size_t len)
{
	uint64_t v = 0;
	size_t i;

	if (len < 10 || memcmp(link, "socket:[", 8) || link[len - 1] != ']')
		return 0;
	for (i = 8; i < len - 1; i++) {
		if (link[i] < '0' || link[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(link[i] - '0');
		if (v > UINT32_MAX)
			return 0;
	}
	return (uint32_t)v;
}

/* A non-negative decimal name ("1234"), else -1. */
static long name_number(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static void read_comm(int procfd, const char *pid, char *comm, size_t len)
{
	char path[300];
	ssize_t n;
	int fd;

	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "%s/comm", pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, comm, len - 1);
	close(fd);
	if (n <= 0) {
		snprintf(comm, len, "?");
		return;
	}
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

/* Sockets one /proc/PID/fd walk may record (above any fd limit). */
#define FDSOCKS_MAX (1u << 24)

static int push(struct chk_fds *out, const struct chk_fdsock *s)
{
	struct chk_fdsock *nv = cd_vec_grow(out->v, sizeof(*nv), out->n + 1,
					    &out->cap, FDSOCKS_MAX, 16);

	if (!nv)
		return -1;
	out->v = nv;
	out->v[out->n++] = *s;
	return 0;
}

/* Reads one process's fd table; -1 only when out of memory. */
static int scan_pid(struct chk_fds *out, int procfd, const char *pid,
		    const struct sock_ref *idx, size_t nidx)
{
	char path[300], link[64], comm[16] = "";
	struct dirent *e;
	DIR *d;
	int fdfd, rc = 0;

	snprintf(path, sizeof(path), "%s/fd", pid);
	fdfd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fdfd < 0) {
		if (errno == ENOENT || errno == ESRCH)
			return 0; /* exited meanwhile */
		if (!out->unreadable)
			out->unreadable_errno = errno;
		out->unreadable++;
		return 0;
	}
	d = fdopendir(fdfd);
	if (!d) {
		if (!out->unreadable)
			out->unreadable_errno = errno;
		out->unreadable++;
		close(fdfd);
		return 0;
	}
	out->procs++;
	while ((e = readdir(d)) != NULL) {
		struct sock_ref key, *hit;
		struct chk_fdsock s;
		long fd = name_number(e->d_name);
		ssize_t n;

		if (fd < 0)
			continue;
		out->nfds++;
		n = readlinkat(fdfd, e->d_name, link, sizeof(link));
		if (n <= 0 || (size_t)n >= sizeof(link))
			continue;
		key.inode = socket_inode(link, (size_t)n);
		if (!key.inode || !nidx)
			continue;
		hit = bsearch(&key, idx, nidx, sizeof(*idx), cmp_ref);
		if (!hit)
			continue;
		if (!comm[0])
			read_comm(procfd, pid, comm, sizeof(comm));
		memset(&s, 0, sizeof(s));
		s.pid = (pid_t)name_number(pid);
		s.fd = (int)fd;
		s.inode = key.inode;
		memcpy(s.comm, comm, sizeof(s.comm));
		s.kind = hit->kind;
		s.idx = hit->idx;
		if (push(out, &s)) {
			rc = -1;
			break;
		}
	}
	closedir(d);
	return rc;
}

int chk_fds_scan(struct chk_fds *out, const char *procroot,
		 const struct chk_census *c, char *err, size_t errlen)
{
	struct sock_ref *idx;
	struct dirent *e;
	size_t nidx = 0;
	DIR *d;
	int rc = 0;

	idx = build_index(c, &nidx);
	if (!idx) {
		cd_errf(err, errlen, "out of memory");
		return -1;
	}
	d = opendir(procroot);
	if (!d) {
		cd_errf(err, errlen, "%s: %s", procroot, strerror(errno));
		free(idx);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (name_number(e->d_name) < 0)
			continue;
		if (scan_pid(out, dirfd(d), e->d_name, idx, nidx)) {
			cd_errf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
	}
	closedir(d);
	free(idx);
	return rc;
}

static const struct chk_usock *unix_by_inode(const struct chk_census *c,
					     uint32_t inode)
{
	size_t i;

	for (i = 0; inode && i < c->nunix; i++)
		if (c->unix_[i].inode == inode)
			return &c->unix_[i];
	return NULL;
}

int chk_fd_is_client(const struct chk_census *c, const struct chk_fdsock *s)
{
	if (s->kind == CHK_FD_TCP)
		return s->idx < c->ntcp && !c->tcp[s->idx].server_side &&
		       c->tcp[s->idx].state != CHK_TCP_LISTEN;
	if (s->kind == CHK_FD_UNIX)
		return s->idx < c->nunix &&
		       c->unix_[s->idx].role == CHK_UROLE_CLIENT;
	return 0;
}

void chk_fd_peer_parts(const struct chk_census *c, const struct chk_fdsock *s,
		       struct chk_fd_peer *p)
{
	if (s->kind == CHK_FD_TCP && s->idx < c->ntcp) {
		const struct chk_sock *k = &c->tcp[s->idx];

		p->transport = "tcp";
		chk_sock_endpoints(k, p->endpoint, sizeof(p->endpoint));
		p->role = chk_tcp_state_name(k->state);
	} else if (s->kind == CHK_FD_UNIX && s->idx < c->nunix) {
		const struct chk_usock *u = &c->unix_[s->idx];
		const struct chk_usock *pe = unix_by_inode(c, u->peer_inode);
		const char *path = u->path;
		size_t i;

		if (!path[0] && pe)
			path = pe->path;
		for (i = 0; !path[0] && i < c->nunix; i++)
			if (c->unix_[i].role == CHK_UROLE_LISTENER)
				path = c->unix_[i].path;
		p->transport = "unix";
		snprintf(p->endpoint, sizeof(p->endpoint), "%s", path);
		if (u->role == CHK_UROLE_CLIENT)
			p->role = u->peer_inode ? "client" : "client_pending";
		else
			p->role = u->role == CHK_UROLE_LISTENER ? "listener"
								: "server";
	} else {
		p->transport = "socket";
		snprintf(p->endpoint, sizeof(p->endpoint), "[%u]", s->inode);
		p->role = "";
	}
}

void chk_fd_peer(const struct chk_census *c, const struct chk_fdsock *s,
		 char *buf, size_t len)
{
	struct chk_fd_peer p;

	chk_fd_peer_parts(c, s, &p);
	if (!strcmp(p.transport, "tcp"))
		snprintf(buf, len, "tcp %s %s", p.endpoint, p.role);
	else if (!strcmp(p.transport, "unix"))
		snprintf(buf, len, "unix %s, %s", p.endpoint,
			 !strcmp(p.role, "client") ? "client end"
			 : !strcmp(p.role, "client_pending")
				 ? "client end (not "
				   "yet accepted)"
			 : !strcmp(p.role, "listener") ? "listener"
						       : "server end");
	else
		snprintf(buf, len, "socket:%s", p.endpoint);
}
