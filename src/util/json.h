/* json.h - the one JSON writer (RFC 8259): every report's documents, and
 * the capture's JSON lines (one value per line) at capture speed. The
 * caller nests objects and arrays; commas, escaping and UTF-8 checking are
 * done here. Output goes out when the buffer fills, at the end of each
 * top-level value when line_flush is set (live captures), and at
 * json_flush(), which every writer of a document calls at its end. */
#ifndef CONNDOCTOR_UTIL_JSON_H
#define CONNDOCTOR_UTIL_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_BUF   65536
#define JSON_DEPTH 16

struct json {
	FILE *out;
	size_t n; /* bytes buffered */
	int depth;
	unsigned char first[JSON_DEPTH]; /* no element yet at this depth */
	int after_key;
	int line_flush;
	int failed; /* a write to out failed */
	char buf[JSON_BUF];
};

void json_init(struct json *j, FILE *out, int line_flush);
void json_flush(struct json *j);
void json_obj(struct json *j);
void json_obj_end(struct json *j);
void json_arr(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *k);
/* A key given as its quoted literal with the colon ("\"name\":") and its
 * length: JSON_KEY(j, "name") costs one copy. */
void json_rawkey(struct json *j, const char *quoted, size_t n);
#define JSON_KEY(j, lit) json_rawkey((j), "\"" lit "\":", sizeof(lit) + 2)
void json_str(struct json *j, const char *s);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
/* Seconds with six decimals from integer microseconds, exactly. */
void json_us(struct json *j, int64_t us);
/* Integral values as integers, others with six decimals; not finite:
 * null. */
void json_num(struct json *j, double v);
/* v with exactly `decimals` decimals (0 to 9); not finite: null. */
void json_fixed(struct json *j, double v, int decimals);
void json_bool(struct json *j, int v);
void json_null(struct json *j);

#endif /* CONNDOCTOR_UTIL_JSON_H */
