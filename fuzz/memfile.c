/* memfile.c - the input as a file, for the targets whose parser reads a
 * path or a descriptor (option files, the error log, watch's configs): a
 * memfd holding the bytes, nothing on disk. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

int fuzz_memfile(const char *name, const uint8_t *data, size_t size, char *path,
		 size_t pathlen)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if ((size && write(fd, data, size) != (ssize_t)size) ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	if (path)
		snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}
