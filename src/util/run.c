/* run.c - runs another program: posix_spawn, pipes, a deadline, a reap
 * (see run.h for the contract). */
#include "util/run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/vec.h"

/* Spawns path with stdin /dev/null, stdout to out_w, stderr to err_w (or
 * /dev/null when -1), the fixed environment and default signals. Returns 0
 * or an errno value. */
static int spawn(pid_t *pid, const char *path, char *const argv[], int out_w,
		 int err_w)
{
	static char *const envp[] = {"PATH=" CD_RUN_PATH, "LC_ALL=C", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int rc;

	rc = posix_spawn_file_actions_init(&fa);
	if (rc)
		return rc;
	rc = posix_spawnattr_init(&attr);
	if (rc) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	sigemptyset(&none);
	sigfillset(&all);
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, out_w, 1);
	if (!rc && err_w >= 0)
		rc = posix_spawn_file_actions_adddup2(&fa, err_w, 2);
	if (!rc && err_w < 0)
		rc = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null",
						      O_WRONLY, 0);
	if (!rc)
		rc = posix_spawnattr_setsigmask(&attr, &none);
	if (!rc)
		rc = posix_spawnattr_setsigdefault(&attr, &all);
	if (!rc)
		rc = posix_spawnattr_setflags(
			&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (!rc)
		rc = posix_spawn(pid, path, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

/* Reaps pid (retrying on EINTR) and decodes its status. */
static int reap(pid_t pid, int *exited, int *status, int *sig)
{
	int wst = 0;

	*exited = 0;
	*status = -1;
	*sig = 0;
	while (waitpid(pid, &wst, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (WIFEXITED(wst)) {
		*exited = 1;
		*status = WEXITSTATUS(wst);
	} else if (WIFSIGNALED(wst)) {
		*sig = WTERMSIG(wst);
	}
	return 0;
}

int cd_proc_start(struct cd_proc *p, const char *path, char *const argv[])
{
	int fd[2], rc;

	p->pid = -1;
	p->out_fd = -1;
	if (pipe2(fd, O_CLOEXEC))
		return errno;
	rc = spawn(&p->pid, path, argv, fd[1], -1);
	close(fd[1]);
	if (rc) {
		close(fd[0]);
		p->pid = -1;
		return rc;
	}
	p->out_fd = fd[0];
	return 0;
}

int cd_proc_finish(struct cd_proc *p, int kill_it, int *exited, int *status,
		   int *sig)
{
	int rc = 0;

	if (p->out_fd >= 0)
		close(p->out_fd);
	p->out_fd = -1;
	*exited = 0;
	*status = -1;
	*sig = 0;
	if (p->pid > 0) {
		if (kill_it)
			kill(p->pid, SIGKILL); /* our own child, by its pid */
		rc = reap(p->pid, exited, status, sig);
	}
	p->pid = -1;
	return rc;
}

/* One captured stream. */
struct stream {
	int fd;		 /* read end, or -1 once at EOF */
	struct cd_vec b; /* bytes kept, plus a NUL */
	size_t max;	 /* bytes kept at most */
	int over;	 /* more than max arrived */
};

/* Reads what fd has into s; 1 at EOF or on a read error. */
static int drain(struct stream *s)
{
	char tmp[16384];
	ssize_t r = read(s->fd, tmp, sizeof(tmp));
	size_t k;

	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	if (r == 0)
		return 1;
	k = (size_t)r;
	if (s->b.n - 1 + k > s->max) {
		s->over = 1;
		k = s->max - (s->b.n - 1);
	}
	/* the NUL stays last: drop it, append k bytes and a new NUL (the
	   vec's maximum is max + 1, so there is room for both) */
	s->b.n--;
	if (cd_vec_append(&s->b, tmp, k))
		s->over = 1; /* out of memory: keep what we have */
	if (cd_vec_append(&s->b, "", 1)) {
		/* no memory for the NUL: it takes the last byte's place */
		s->over = 1;
		((char *)s->b.data)[s->b.n - 1] = '\0';
	}
	return 0;
}

static int stream_init(struct stream *s, size_t max)
{
	char *nul;

	s->fd = -1;
	s->max = max;
	s->over = 0;
	cd_vec_init(&s->b, 1, max == SIZE_MAX ? max : max + 1);
	nul = cd_vec_push(&s->b);
	return nul ? 0 : -1;
}

/* Hands s's bytes over (NUL-terminated, never NULL). */
static char *stream_take(struct stream *s, size_t *len)
{
	char *p = s->b.data;

	*len = s->b.n ? s->b.n - 1 : 0;
	if (!p)
		p = calloc(1, 1);
	s->b.data = NULL;
	return p;
}

int cd_run(const char *path, char *const argv[], const struct cd_run_opts *o,
	   struct cd_run_result *r)
{
	struct stream s[2];
	int pout[2] = {-1, -1}, perr[2] = {-1, -1}, rc = -1, open = 0, i;
	int want_err = (o->flags & CD_RUN_STDERR) != 0;
	int64_t deadline = 0;
	pid_t pid = -1;

	memset(r, 0, sizeof(*r));
	r->exit_status = -1;
	i = stream_init(&s[0], o->out_max);
	i |= stream_init(&s[1], o->err_max);
	if (i) {
		r->spawn_errno = ENOMEM;
		goto out;
	}
	if (pipe2(pout, O_CLOEXEC) || (want_err && pipe2(perr, O_CLOEXEC))) {
		r->spawn_errno = errno;
		goto out;
	}
	r->spawn_errno = spawn(&pid, path, argv, pout[1], perr[1]);
	close(pout[1]);
	pout[1] = -1;
	if (perr[1] >= 0)
		close(perr[1]);
	perr[1] = -1;
	if (r->spawn_errno) {
		pid = -1;
		goto out;
	}
	s[0].fd = pout[0];
	s[1].fd = perr[0];
	pout[0] = perr[0] = -1;
	open = want_err ? 2 : 1;
	if (o->timeout_ns > 0)
		deadline = cd_now_ns() + o->timeout_ns;
	while (open > 0 && !s[0].over) {
		struct pollfd p[2] = {{s[0].fd, POLLIN, 0},
				      {s[1].fd, POLLIN, 0}};
		int wait_ms = -1, n;

		if (deadline) {
			int64_t left = deadline - cd_now_ns();

			if (left <= 0) {
				r->timed_out = 1;
				break;
			}
			wait_ms = (int)(left / CD_NS_PER_MS) + 1;
		}
		n = poll(p, 2, wait_ms);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			if (s[i].fd < 0 ||
			    !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (drain(&s[i])) {
				close(s[i].fd);
				s[i].fd = -1;
				open--;
			}
		}
	}
	r->truncated = s[0].over;
	{
		struct cd_proc pr = {pid, -1};

		pid = -1;
		if (cd_proc_finish(&pr, r->timed_out || r->truncated || open,
				   &r->exited, &r->exit_status, &r->signal))
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < 2; i++)
		if (s[i].fd >= 0)
			close(s[i].fd);
	if (pout[0] >= 0)
		close(pout[0]);
	if (pout[1] >= 0)
		close(pout[1]);
	if (perr[0] >= 0)
		close(perr[0]);
	if (perr[1] >= 0)
		close(perr[1]);
	r->out = stream_take(&s[0], &r->nout);
	r->err = stream_take(&s[1], &r->nerr);
	cd_vec_free(&s[0].b);
	cd_vec_free(&s[1].b);
	return rc;
}

void cd_run_result_free(struct cd_run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}
