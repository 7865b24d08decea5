/* fuzz_cli_optfile.c - option files (my.cnf) are read from disk and can be
 * anyone's: the reader must refuse or accept every byte sequence without
 * crashing, and report a file:line for what it refuses. The input is
 * written to a memfd and read through its /proc/self/fd path. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/optfile.h"
#include "fuzz.h"

static int count(void *ctx, const char *file, unsigned line, const char *key,
		 const char *value, char *err, size_t errlen)
{
	unsigned *n = ctx;

	(void)file, (void)line, (void)err, (void)errlen;
	CHECK(key && key[0]);
	CHECK(!value || strlen(value) < 4096);
	(*n)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const groups[] = {"client", "conndoctor", NULL};
	char path[64], err[512];
	unsigned n = 0;
	int fd, rc;

	fd = fuzz_memfile("optfile", data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	rc = cd_optfile_read(path, groups, 1, count, &n, err, sizeof(err));
	/* Includes of arbitrary paths may point anywhere: only refusals of
	 * the input itself must say where. */
	CHECK(rc == 0 || rc == -1);
	if (rc < 0)
		CHECK(err[0] != '\0');
	close(fd);
	return 0;
}
