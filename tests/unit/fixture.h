/* fixture.h - reads a unit test's data file, $CD_TEST_DATA/SUBDIR/NAME
 * (tests/data when unset), whole and NUL-terminated; a file that cannot be
 * read fails the test. Header-only, like guard.h. */
#ifndef CONNDOCTOR_TESTS_UNIT_FIXTURE_H
#define CONNDOCTOR_TESTS_UNIT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "util/fileio.h"

#define FIXTURE_MAX (64u << 20)

static inline char *fixture_load(const char *subdir, const char *name,
				 size_t *len)
{
	const char *dir = getenv("CD_TEST_DATA");
	char path[1024];
	char *buf;

	snprintf(path, sizeof(path), "%s/%s/%s", dir ? dir : "tests/data",
		 subdir, name);
	buf = cd_read_text(path, FIXTURE_MAX, len);
	if (!buf)
		fail_msg("cannot read %s", path);
	return buf;
}

#endif /* CONNDOCTOR_TESTS_UNIT_FIXTURE_H */
