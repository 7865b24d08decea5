/* fuzz.h - what every fuzz target shares: the libFuzzer entry point's
 * prototype (also called by replay.c), CHECK(), which aborts on a
 * violated property so libFuzzer and the replay test both see it, and
 * fuzz_memfile() for parsers that read a file.
 */
#ifndef CONNDOCTOR_FUZZ_FUZZ_H
#define CONNDOCTOR_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes data to a new memfd (named name) and rewinds it; with path, puts
 * the "/proc/self/fd/N" that opens it there. Returns the descriptor, which
 * the caller closes, or -1 (the input is then skipped). In memfile.c. */
int fuzz_memfile(const char *name, const uint8_t *data, size_t size, char *path,
		 size_t pathlen);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: property violated: %s\n",      \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

#endif /* CONNDOCTOR_FUZZ_FUZZ_H */
