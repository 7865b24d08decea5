/* run.h - the one way conndoctor runs another program (posix_spawn(3)):
 * argv only, never a shell; a fixed environment (CD_RUN_ENV: PATH of the
 * system directories and LC_ALL=C, so a root tool neither runs what an
 * inherited PATH names first nor prints translated text); stdin /dev/null;
 * every signal unblocked and at its default in the child; stdout captured
 * under a hard maximum; stderr captured or discarded; at the deadline the
 * child is killed (SIGKILL to its pid only, never a group) and reaped.
 * The parent only reads pipes, so SIGPIPE cannot reach it. */
#ifndef CONNDOCTOR_UTIL_RUN_H
#define CONNDOCTOR_UTIL_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The environment every child gets, and nothing else. */
#define CD_RUN_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

/* Capture stderr (else it goes to /dev/null). */
#define CD_RUN_STDERR 1u

/* How to run a program with cd_run(). */
struct cd_run_opts {
	int64_t timeout_ns; /* from the spawn to the kill; 0: no deadline */
	size_t out_max;	    /* stdout bytes kept; one more kills the child */
	size_t err_max;	    /* stderr bytes kept (more are read and dropped) */
	unsigned flags;	    /* CD_RUN_* */
};

/* What running a program gave. Free with cd_run_result_free(). */
struct cd_run_result {
	char *out;	 /* stdout, NUL-terminated (owned; never NULL) */
	size_t nout;	 /* its length */
	char *err;	 /* stderr, NUL-terminated (owned; never NULL) */
	size_t nerr;	 /* its length */
	int spawn_errno; /* not started: posix_spawn's error (ENOENT: absent) */
	int exited;	 /* it exited: exit_status is valid */
	int exit_status; /* its exit status */
	int signal;	 /* the signal that ended it, or 0 */
	int timed_out;	 /* killed at the deadline */
	int truncated;	 /* stdout passed out_max: killed, out holds out_max */
};

/* Runs path with argv (argv[0] its name) under o. Returns 0 when it ran
 * and was reaped (see r), -1 when it could not be started or reaped
 * (r->spawn_errno, or errno). r is always filled and must be freed. */
int cd_run(const char *path, char *const argv[], const struct cd_run_opts *o,
	   struct cd_run_result *r);

/* Frees what cd_run() filled. */
void cd_run_result_free(struct cd_run_result *r);

/* A started child whose stdout the caller reads itself (a stream too
 * large to hold, parsed as it comes). */
struct cd_proc {
	pid_t pid;  /* the child, or -1 */
	int out_fd; /* read end of its stdout (O_CLOEXEC), or -1 */
};

/* Starts path with argv as cd_run() does, stderr to /dev/null. Returns 0,
 * or an errno value (ENOENT: absent) with p->pid -1. */
int cd_proc_start(struct cd_proc *p, const char *path, char *const argv[]);

/* Closes the stdout pipe, kills the child first when kill_it, and reaps
 * it. Fills *exited, *status and *sig as struct cd_run_result does.
 * Returns 0, or -1 with errno when waitpid fails. */
int cd_proc_finish(struct cd_proc *p, int kill_it, int *exited, int *status,
		   int *sig);

#endif /* CONNDOCTOR_UTIL_RUN_H */
