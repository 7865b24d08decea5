/* counters.h - the kernel's TCP counters from /proc/net/netstat and
 * /proc/net/snmp (header line / value line pairs per protocol prefix, see
 * net/ipv4/proc.c), as "Prefix.Name" records. */
#ifndef CONNDOCTOR_CHECK_COUNTERS_H
#define CONNDOCTOR_CHECK_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

/* Parse results: 0 or one of these. */
#define CHK_CNT_TRUNCATED (-1) /* the text ends inside a line or a pair */
#define CHK_CNT_INVALID	  (-2) /* a line that cannot be a counter line */
#define CHK_CNT_NOMEM	  (-3)

#define CHK_CNT_NAME 64

/* One counter: "TcpExt.ListenOverflows" = 12. Tcp.MaxConn is -1, so
 * values are signed. */
struct chk_counter {
	char name[CHK_CNT_NAME];
	int64_t value;
};

/* A growable list of counters (owned). */
struct chk_counters {
	struct chk_counter *v;
	size_t n, cap;
};

void chk_counters_init(struct chk_counters *c);
void chk_counters_free(struct chk_counters *c);

/* Parses the text of /proc/net/netstat or /proc/net/snmp (len bytes, need
 * not be NUL-terminated) and appends its counters to c. Every line must end
 * with '\n': text ending inside a line, or a header line without its value
 * line, is CHK_CNT_TRUNCATED; a value line whose prefix or field count
 * differs from its header, or a value that is not an integer, is
 * CHK_CNT_INVALID. On failure c is left as it was; err (may be NULL) says
 * which line. Names longer than CHK_CNT_NAME - 1 are skipped. */
int chk_counters_parse(struct chk_counters *c, const char *text, size_t len,
		       char *err, size_t errlen);

/* Reads procroot/net/netstat and procroot/net/snmp into c (cleared
 * first). Returns 0, or a CHK_CNT_* code, or -errno when a file cannot be
 * read; err says which file. */
int chk_counters_read(struct chk_counters *c, const char *procroot, char *err,
		      size_t errlen);

/* The value of "Prefix.Name"; 0 when found, -1 when absent. */
int chk_counters_get(const struct chk_counters *c, const char *name,
		     int64_t *value);

/* after - before for one counter; 0 when both have it, else -1. */
int chk_counters_delta(const struct chk_counters *before,
		       const struct chk_counters *after, const char *name,
		       int64_t *delta);

#endif /* CONNDOCTOR_CHECK_COUNTERS_H */
