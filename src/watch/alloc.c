/* alloc.c - glibc malloc settings for watch (alloc.h). */
#include <stdlib.h> /* defines __GLIBC__ under glibc */

#include "watch/alloc.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

int watch_malloc_setup(void)
{
#ifdef __GLIBC__
	/* mallopt() returns 1 on success; setting either turns off the
	 * dynamic adjustment of both (mallopt(3)). */
	if (mallopt(M_MMAP_THRESHOLD, WATCH_MMAP_THRESHOLD) != 1 ||
	    mallopt(M_TRIM_THRESHOLD, WATCH_TRIM_THRESHOLD) != 1)
		return -1;
	return 0;
#else
	return -1;
#endif
}
