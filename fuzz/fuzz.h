/* fuzz.h - what every fuzz target shares: the libFuzzer entry point's
 * prototype (also called by replay.c) and CHECK(), which aborts on a
 * violated property so libFuzzer and the replay test both see it.
 */
#ifndef CONNDOCTOR_FUZZ_FUZZ_H
#define CONNDOCTOR_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: property violated: %s\n",      \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

#endif /* CONNDOCTOR_FUZZ_FUZZ_H */
