/* fuzz_watch_webcfg.c - watch's --web-config file (exporter-toolkit YAML,
 * read with libyaml): every byte sequence is accepted or refused with a
 * reason, never a crash; an accepted file has a certificate exactly when
 * it has a key, and bcrypt hashes only. The input is written to a memfd
 * and read through /proc/self/fd. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "watch/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch_web w;
	char path[64], err[512];
	unsigned i;
	int fd, rc;

	fd = fuzz_memfile("webcfg", data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	memset(&w, 0, sizeof(w));
	err[0] = '\0';
	rc = watch_web_load(&w, path, err, sizeof(err));
	CHECK(rc == 0 || rc == -1);
	if (rc < 0) {
		CHECK(err[0] != '\0');
		CHECK(!w.cert_pem && !w.key_pem && !w.nusers);
	} else {
		CHECK(!w.cert_pem == !w.key_pem);
		CHECK(w.nusers <= WATCH_WEB_USERS_MAX);
		for (i = 0; i < w.nusers; i++)
			CHECK(!strncmp(w.users[i].hash, "$2", 2));
	}
	watch_web_free(&w);
	close(fd);
	return 0;
}
