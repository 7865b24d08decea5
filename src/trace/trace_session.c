/* trace_session.c - the tracer polled from its own thread while another
 * job runs in the foreground. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace/trace_session.h"

#define POLL_NS (200 * 1000 * 1000) /* ring buffers and queue samples */

struct trace_session {
	struct tracer *t;
	struct trace_resolver *rt;
	char why[256]; /* why name resolution is not (fully) traced */
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, started;
};

static void *poller(void *arg)
{
	struct trace_session *s = arg;
	struct timespec due;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		clock_gettime(CLOCK_REALTIME, &due);
		due.tv_nsec += POLL_NS;
		if (due.tv_nsec >= 1000000000L) {
			due.tv_sec++;
			due.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->cv, &s->mu, &due);
		if (s->stop)
			break;
		trace_poll(s->t);
		if (s->rt)
			trace_resolve_poll(s->rt);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int trace_session_start(uint16_t port, struct trace_session **out, char *err,
			size_t errlen)
{
	struct trace_config cfg = {.ports = {port}, .nports = 1};
	struct trace_session *s = calloc(1, sizeof(*s));
	pid_t pids[TRACE_MAX_PIDS];
	size_t npids = 0;
	int rc;

	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return TRACE_ERR_NOMEM;
	}
	rc = trace_open(&cfg, &s->t, err, errlen);
	if (!rc)
		rc = trace_attach(s->t, err, errlen);
	if (rc) {
		trace_close(s->t);
		free(s);
		return rc;
	}
	if (!trace_find_listeners(&port, 1, pids, &npids, s->why,
				  sizeof(s->why)) &&
	    trace_resolve_open(pids, npids, &s->rt, s->why, sizeof(s->why)))
		s->rt = NULL;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->started = !pthread_create(&s->tid, NULL, poller, s);
	*out = s;
	return 0;
}

int trace_session_stop(struct trace_session *s, struct trace_result *r,
		       struct trace_resolve_result *rr)
{
	int rc;

	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->tid, NULL);
	}
	trace_poll(s->t);
	if (s->rt)
		trace_resolve_poll(s->rt);
	rc = trace_read(s->t, r);
	if (!rc && s->rt && trace_resolve_read(s->rt, rr))
		snprintf(s->why, sizeof(s->why),
			 "cannot read the uprobes' maps");
	else if (!rc && s->rt)
		r->resolve = rr;
	if (!rc)
		snprintf(r->resolve_why, sizeof(r->resolve_why), "%s", s->why);
	trace_resolve_close(s->rt);
	trace_close(s->t);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
	return rc;
}
