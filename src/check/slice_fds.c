/* slice_fds.c - the fds slice of `conndoctor check`: which processes hold
 * MySQL connections, and the rule of field report 002: a client whose
 * MySQL socket is descriptor 0, 1 or 2 sends whatever it (or a child)
 * writes to stdout/stderr into the MySQL stream. */
#include "check/fds.h"
#include "check/fields.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* An fds fact's definition (check/fields.c). */
#define FD(x)	     (&chk_fields_fds[CHK_FD_##x])
#define MAX_FD_FACTS 16
#define MAX_FD_FINDS 32

/* snprintf for human text: cutting a long address short is fine here. */
__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t len,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static const char *stdio_name(int fd)
{
	static const char *const names[] = {"stdin", "stdout", "stderr"};

	return fd >= 0 && fd <= 2 ? names[fd] : "?";
}

int chk_rules_fds(const struct chk_census *c, const struct chk_fds *fds,
		  struct cd_findings *out)
{
	unsigned found = 0;
	size_t i;

	for (i = 0; i < fds->n && found < MAX_FD_FINDS; i++) {
		const struct chk_fdsock *s = &fds->v[i];
		struct cd_finding *f;
		char peer[200];

		if (s->fd < 0 || s->fd > 2 || !chk_fd_is_client(c, s))
			continue;
		found++;
		f = cd_finding_add(out, "CD1002", CD_SEV_CRITICAL);
		if (!f)
			return -1;
		chk_fd_peer(c, s, peer, sizeof(peer));
		say(f->summary, sizeof(f->summary),
		    "%s (pid %d) holds its MySQL connection on fd %d "
		    "(%s): what it writes to %s goes into the MySQL "
		    "stream",
		    s->comm, (int)s->pid, s->fd, stdio_name(s->fd),
		    stdio_name(s->fd));
		say(f->evidence, sizeof(f->evidence),
		    "/proc/%d/fd/%d -> socket:[%u]: %s; process %s",
		    (int)s->pid, s->fd, s->inode, peer, s->comm);
		cd_finding_num(f, "pid", s->pid);
		cd_finding_num(f, "fd", s->fd);
		cd_finding_num(f, "inode", s->inode);
	}
	return 0;
}

int chk_slice_fds(const struct chk_ctx *ctx, struct chk_facts *facts,
		  struct cd_findings *out)
{
	const struct chk_census *c = ctx->census;
	struct chk_fds fds;
	unsigned clients = 0, shown = 0;
	char err[256];
	size_t i;
	int rc;

	if (!c || (!c->tcp_ok && !c->unix_ok)) {
		chk_unreadable(facts, "fds",
			       "no socket census to match descriptors with");
		return 0;
	}
	chk_fds_init(&fds);
	if (chk_fds_scan(&fds, ctx->procroot, c, err, sizeof(err))) {
		chk_unreadable(facts, "fds", "%s", err);
		chk_fds_free(&fds);
		return 0;
	}
	chk_fact_add(facts, FD(PROCESSES), NULL, CHK_UINT(fds.procs),
		     CHK_UINT(fds.nfds));
	if (fds.unreadable)
		chk_unreadable(facts, "fds",
			       "%u processes' fd tables not readable (%s)",
			       fds.unreadable, strerror(fds.unreadable_errno));
	for (i = 0; i < fds.n; i++)
		if (chk_fd_is_client(c, &fds.v[i]))
			clients++;
	chk_fact_add(facts, FD(MYSQL_SOCKETS), NULL, CHK_UINT(fds.n),
		     CHK_UINT(clients));
	for (i = 0; i < fds.n && shown < MAX_FD_FACTS; i++) {
		const struct chk_fdsock *s = &fds.v[i];
		struct chk_fd_peer peer;
		char key[48];

		shown++;
		say(key, sizeof(key), "pid %d fd %d", (int)s->pid, s->fd);
		chk_fd_peer_parts(c, s, &peer);
		chk_fact_add(facts, FD(HOLDER), key, CHK_INT(s->pid),
			     CHK_INT(s->fd), CHK_STR(s->comm),
			     CHK_STR(peer.transport), CHK_STR(peer.endpoint),
			     CHK_STR(peer.role));
	}
	rc = chk_rules_fds(c, &fds, out);
	chk_fds_free(&fds);
	return rc;
}
