/* alloc.h - glibc malloc settings for watch, a process that runs for
 * months (docs/watch.md, "Cost"). */
#ifndef CONNDOCTOR_WATCH_ALLOC_H
#define CONNDOCTOR_WATCH_ALLOC_H

/* Blocks of this size or more are mmap'd, and given back when freed;
 * glibc's default at start, kept fixed. */
#define WATCH_MMAP_THRESHOLD (128 * 1024)
/* Free memory at the heap's top beyond this goes back to the system. */
#define WATCH_TRIM_THRESHOLD (128 * 1024)

/* Fixes glibc's mmap and trim thresholds. By default a freed mmap'd block
 * raises both (the mmap threshold to the block's size, the trim threshold
 * to twice that, up to 32 and 64 MiB): after the first /metrics answer or
 * socket census is freed, the census' growing arrays (megabytes while
 * thousands of probe sockets sit in TIME_WAIT) come from the heap, which
 * then keeps them, fragmented, and RSS climbs. 0 when set, -1 when this
 * malloc has no such settings (not glibc, or a sanitizer's). */
int watch_malloc_setup(void);

#endif
