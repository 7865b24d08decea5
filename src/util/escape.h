/* escape.h - the one sanitizer for untrusted text (server messages and
 * versions, plugin names, capture bytes, log lines) on its way to a
 * terminal: printable ASCII stays, \n \r \t \\ become two-character escapes
 * and every other byte \xNN, so no ESC, BEL, CR or LF from a peer reaches
 * the screen; and its HTML form. JSON has its own escaping (util/json.c). */
#ifndef CONNDOCTOR_UTIL_ESCAPE_H
#define CONNDOCTOR_UTIL_ESCAPE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes p[0..n) escaped into out, cut at a whole escape to fit cap
 * (always NUL-terminated when cap > 0). Returns the length written. */
size_t cd_escape(char *out, size_t cap, const uint8_t *p, size_t n);

/* cd_escape() of the NUL-terminated s (NULL prints as ""); returns out. */
const char *cd_escape_str(char *out, size_t cap, const char *s);

/* Writes the NUL-terminated s to f escaped, whatever its length. */
void cd_fputs_escaped(const char *s, FILE *f);

/* The same for HTML text and attribute values (report/html.c): the bytes
 * cd_fputs_escaped() escapes are escaped so, and & < > " ' become
 * character references, so nothing a peer sent can open a tag, end an
 * attribute or smuggle a control byte into the page. */
void cd_fputs_html(const char *s, FILE *f);

#endif /* CONNDOCTOR_UTIL_ESCAPE_H */
