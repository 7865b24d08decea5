/* resolver.h - getaddrinfo() on worker threads, so a slow resolver costs an
 * attempt its resolve phase and never blocks the event loop. */
#ifndef CONNDOCTOR_PROBE_RESOLVER_H
#define CONNDOCTOR_PROBE_RESOLVER_H

#include <stdint.h>
#include <sys/socket.h>

struct resolver;

/* A finished lookup: the first address of the wanted family, or rc != 0
 * (a getaddrinfo EAI_* code). */
struct resolver_done {
	uint64_t tag; /* the caller's cookie from resolver_submit() */
	int rc;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/* Starts nthreads workers. Readiness is signalled on the returned
 * resolver's eventfd (resolver_fd()). Returns NULL on failure. */
struct resolver *resolver_start(unsigned nthreads);
int resolver_fd(const struct resolver *r);
/* Queues a lookup of host (borrowed, must outlive the resolver) for
 * port/family. Returns 0, or -1 when out of memory. */
int resolver_submit(struct resolver *r, const char *host, unsigned port,
		    int family, uint64_t tag);
/* Takes up to max finished lookups; returns how many. */
unsigned resolver_collect(struct resolver *r, struct resolver_done *out,
			  unsigned max);
/* Stops the workers (waiting for lookups in flight) and frees r. */
void resolver_stop(struct resolver *r);

#endif /* CONNDOCTOR_PROBE_RESOLVER_H */
