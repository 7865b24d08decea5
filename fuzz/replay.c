/* replay.c - runs a fuzz target's LLVMFuzzerTestOneInput over corpus files
 * without libFuzzer (libpcap's onefile.c), so gcc builds replay the corpus
 * as a test. Each argument is a file or a directory; a directory's files
 * and those of its subdirectories (one level) are replayed, in name order.
 * Exit 1 when a path cannot be read or nothing was replayed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Replays one file; 0 on success. */
static int replay_file(const char *path, unsigned long *count)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;
	int rc = -1;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	len = fseek(f, 0, SEEK_END) ? -1 : ftell(f);
	if (len < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "replay: %s: cannot size\n", path);
		goto out;
	}
	buf = malloc(len ? (size_t)len : 1);
	if (!buf) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		goto out;
	}
	if (len && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "replay: %s: short read\n", path);
		goto out;
	}
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	(*count)++;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

/* Replays a file, or a directory's entries down to `depth` more levels. */
static int replay_path(const char *path, int depth, unsigned long *count)
{
	struct dirent **names;
	struct stat st;
	char sub[4096];
	int n, i, rc = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? replay_file(path, count) : 0;
	if (depth < 0)
		return 0;
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *e = names[i]->d_name;

		if (strcmp(e, ".") != 0 && strcmp(e, "..") != 0) {
			if (snprintf(sub, sizeof(sub), "%s/%s", path, e) >=
			    (int)sizeof(sub)) {
				fprintf(stderr, "replay: %s/%s: too long\n",
					path, e);
				rc = -1;
			} else if (replay_path(sub, depth - 1, count)) {
				rc = -1;
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	int i, rc = 0;

	for (i = 1; i < argc; i++)
		if (replay_path(argv[i], 1, &count))
			rc = 1;
	printf("replayed %lu inputs\n", count);
	if (count == 0) {
		fprintf(stderr, "replay: empty corpus\n");
		rc = 1;
	}
	return rc;
}
