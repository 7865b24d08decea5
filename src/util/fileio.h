/* fileio.h - the small file readers every collector needs (a /proc or
 * /etc file read whole under a cap, one number from a sysctl file, the
 * lines of a text read whole) and the printf-style error buffer setter. */
#ifndef CONNDOCTOR_UTIL_FILEIO_H
#define CONNDOCTOR_UTIL_FILEIO_H

#include <stddef.h>

/* Reads at most max bytes of path into a NUL-terminated malloc'ed buffer
 * (*len, when not NULL, gets the length). NULL with errno set when the
 * file cannot be read. */
char *cd_read_text(const char *path, size_t max, size_t *len);

/* Reads the non-negative integer at the start of path (a sysctl).
 * Returns 0 with *v set, or -1 (absent, unreadable, not a number). */
int cd_read_long(const char *path, long *v);

/* Walks text[0..len) line by line: the line starting at *off goes to
 * *line, without its '\n', and its length is returned; *off moves past the
 * newline. Call while *off < len; a last line without '\n' counts. */
size_t cd_next_line(const char *text, size_t len, size_t *off,
		    const char **line);

/* snprintf into an error buffer; does nothing when err is NULL or errlen
 * is 0. A message cut short is acceptable for a human error text. */
__attribute__((format(printf, 3, 4))) void cd_errf(char *err, size_t errlen,
						   const char *fmt, ...);

#endif /* CONNDOCTOR_UTIL_FILEIO_H */
