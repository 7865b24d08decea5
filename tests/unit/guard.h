/* guard.h - the guard page of picohttpparser's tests, for unit tests: input
 * copied so that it ends exactly where a PROT_NONE page begins, so a parser
 * that reads one byte too far dies with SIGSEGV (and ASan/valgrind say
 * where). Header-only; every function is static.
 */
#ifndef CONNDOCTOR_TESTS_UNIT_GUARD_H
#define CONNDOCTOR_TESTS_UNIT_GUARD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct guard {
	uint8_t *map;	/* the mapping: readable pages, then one PROT_NONE */
	size_t map_len; /* bytes mapped */
	size_t room;	/* readable bytes before the guard page */
};

/* Maps room for inputs of up to max_len bytes plus the guard page. */
static void guard_init(struct guard *g, size_t max_len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = (max_len + page - 1) / page;
	void *m;

	if (pages == 0)
		pages = 1;
	g->room = pages * page;
	g->map_len = g->room + page;
	m = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("guard: mmap");
		abort();
	}
	g->map = m;
	if (mprotect(g->map + g->room, page, PROT_NONE)) {
		perror("guard: mprotect");
		abort();
	}
}

/* Copies len bytes of data so they end at the guard page; returns where
 * they start (the guard page itself when len is 0). */
static const uint8_t *guard_put(struct guard *g, const void *data, size_t len)
{
	uint8_t *at;

	if (len > g->room) {
		fprintf(stderr, "guard: %zu bytes do not fit\n", len);
		abort();
	}
	at = g->map + g->room - len;
	if (len)
		memcpy(at, data, len);
	return at;
}

static void guard_free(struct guard *g)
{
	if (g->map && munmap(g->map, g->map_len)) {
		perror("guard: munmap");
		abort();
	}
	g->map = NULL;
}

#endif /* CONNDOCTOR_TESTS_UNIT_GUARD_H */
