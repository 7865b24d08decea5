/* resolver.c - getaddrinfo() on worker threads, results signalled through an
 * eventfd (getaddrinfo(3) has no non-blocking form worth its complexity). */
#include "probe/resolver.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct job {
	struct job *next;
	const char *host;
	unsigned port;
	int family;
	struct resolver_done done;
};

struct resolver {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *todo, *todo_tail; /* FIFO of queued lookups */
	struct job *done;	      /* finished, any order */
	int efd;
	int quit;
	unsigned refs; /* workers alive + the owner; last one frees */
};

static void resolver_unref(struct resolver *r)
{
	struct job *j, *next;
	unsigned left;

	pthread_mutex_lock(&r->lock);
	left = --r->refs;
	pthread_mutex_unlock(&r->lock);
	if (left)
		return;
	for (j = r->todo; j; j = next) {
		next = j->next;
		free(j);
	}
	for (j = r->done; j; j = next) {
		next = j->next;
		free(j);
	}
	close(r->efd);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void lookup(struct job *j)
{
	struct addrinfo hints, *res = NULL;
	char port[16];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = j->family;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", j->port);
	j->done.rc = getaddrinfo(j->host, port, &hints, &res);
	if (j->done.rc == 0 && res) {
		memcpy(&j->done.addr, res->ai_addr, res->ai_addrlen);
		j->done.addrlen = res->ai_addrlen;
	} else if (j->done.rc == 0) {
		j->done.rc = EAI_NONAME;
	}
	if (res)
		freeaddrinfo(res);
}

static void *worker(void *arg)
{
	struct resolver *r = arg;
	struct job *j;
	uint64_t one = 1;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		while (!r->todo && !r->quit)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->quit) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		j = r->todo;
		r->todo = j->next;
		if (!r->todo)
			r->todo_tail = NULL;
		pthread_mutex_unlock(&r->lock);

		lookup(j);

		pthread_mutex_lock(&r->lock);
		j->next = r->done;
		r->done = j;
		pthread_mutex_unlock(&r->lock);
		if (write(r->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			break; /* cannot signal: the owner will time out */
	}
	resolver_unref(r);
	return NULL;
}

struct resolver *resolver_start(unsigned nthreads)
{
	struct resolver *r = calloc(1, sizeof(*r));
	pthread_attr_t attr;
	unsigned i;

	if (!r)
		return NULL;
	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->efd < 0) {
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->refs = 1;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < nthreads; i++) {
		pthread_t t;

		pthread_mutex_lock(&r->lock);
		r->refs++;
		pthread_mutex_unlock(&r->lock);
		if (pthread_create(&t, &attr, worker, r) != 0) {
			pthread_mutex_lock(&r->lock);
			r->refs--;
			pthread_mutex_unlock(&r->lock);
			break;
		}
	}
	pthread_attr_destroy(&attr);
	if (i == 0) {
		resolver_unref(r);
		return NULL;
	}
	return r;
}

int resolver_fd(const struct resolver *r)
{
	return r->efd;
}

int resolver_submit(struct resolver *r, const char *host, unsigned port,
		    int family, uint64_t tag)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return -1;
	j->host = host;
	j->port = port;
	j->family = family;
	j->done.tag = tag;
	pthread_mutex_lock(&r->lock);
	if (r->todo_tail)
		r->todo_tail->next = j;
	else
		r->todo = j;
	r->todo_tail = j;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

unsigned resolver_collect(struct resolver *r, struct resolver_done *out,
			  unsigned max)
{
	uint64_t n;
	unsigned got = 0;
	struct job *j;

	if (read(r->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return 0;
	pthread_mutex_lock(&r->lock);
	while (got < max && r->done) {
		j = r->done;
		r->done = j->next;
		out[got++] = j->done;
		free(j);
	}
	/* More than max finished: keep the eventfd readable for the rest. */
	if (r->done) {
		ssize_t w;

		n = 1;
		w = write(r->efd, &n, sizeof(n));
		(void)w; /* EAGAIN: the counter is full, so readable anyway */
	}
	pthread_mutex_unlock(&r->lock);
	return got;
}

void resolver_stop(struct resolver *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->quit = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	resolver_unref(r);
}
