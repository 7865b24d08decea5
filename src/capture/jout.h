/* jout.h - the capture report's buffered JSON-lines writer (jout.c). The
 * caller nests objects and arrays; keys must be NUL-terminated strings
 * (escaped like values). Output goes out when the buffer fills, at the end
 * of each line when line_flush is set (live captures), and at jo_flush(). */
#ifndef CONNDOCTOR_CAPTURE_JOUT_H
#define CONNDOCTOR_CAPTURE_JOUT_H

#include <stdint.h>
#include <stdio.h>

#define JO_BUF	 65536
#define JO_DEPTH 16

struct jout {
	FILE *out;
	size_t n; /* bytes buffered */
	int depth;
	unsigned char first[JO_DEPTH]; /* no element yet at this depth */
	int after_key;
	int line_flush;
	int failed; /* a write to out failed */
	char buf[JO_BUF];
};

void jo_init(struct jout *j, FILE *out, int line_flush);
void jo_flush(struct jout *j);
void jo_obj(struct jout *j);
void jo_obj_end(struct jout *j);
void jo_arr(struct jout *j);
void jo_arr_end(struct jout *j);
void jo_key(struct jout *j, const char *k);
/* A key given as its quoted literal with the colon ("\"name\":") and its
 * length: JO_KEY(j, "name") costs one copy. */
void jo_rawkey(struct jout *j, const char *quoted, size_t n);
#define JO_KEY(j, lit) jo_rawkey((j), "\"" lit "\":", sizeof(lit) + 2)
void jo_str(struct jout *j, const char *s);
void jo_int(struct jout *j, int64_t v);
/* Seconds with six decimals from integer microseconds, exactly. */
void jo_us(struct jout *j, int64_t us);
/* Integral values as integers, others with six decimals; not finite:
 * null. */
void jo_num(struct jout *j, double v);
void jo_bool(struct jout *j, int v);
void jo_null(struct jout *j);

#endif /* CONNDOCTOR_CAPTURE_JOUT_H */
