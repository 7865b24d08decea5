/* fuzz_watch_config.c - watch's configuration file comes from an operator
 * but is parsed by a daemon: every byte sequence is accepted or refused
 * with file:line and a reason, never a crash, and an accepted config is
 * complete (each target has a host or socket, a user, timeout < interval).
 * The input is written to a memfd and read through /proc/self/fd. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "watch/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch_config c;
	char path[64], err[512];
	size_t i;
	int fd, rc;

	fd = fuzz_memfile("watchcfg", data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	watch_config_init(&c);
	rc = watch_config_load(&c, path, err, sizeof(err));
	CHECK(rc == 0 || rc == -1);
	if (rc < 0) {
		CHECK(err[0] != '\0');
	} else {
		CHECK(c.ntargets > 0);
		for (i = 0; i < c.ntargets; i++) {
			const struct watch_target *t = &c.targets[i];

			CHECK(t->host || t->socket);
			CHECK(t->user);
			CHECK(t->timeout_s < t->interval_s);
			CHECK(t->nlabels <= WATCH_LABELS_MAX);
		}
		CHECK(c.nmodules <= WATCH_MODULES_MAX);
		for (i = 0; i < c.nmodules; i++) {
			CHECK(c.modules[i].transports != 0);
			CHECK(!watch_module_builtin(c.modules[i].name));
		}
	}
	watch_config_free(&c);
	close(fd);
	return 0;
}
