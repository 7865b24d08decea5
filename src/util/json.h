/* json.h - a small streaming JSON writer (RFC 8259) onto a FILE: callers
 * nest objects and arrays; commas and string escaping are handled here. */
#ifndef CONNDOCTOR_UTIL_JSON_H
#define CONNDOCTOR_UTIL_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH 16

struct json {
	FILE *out;
	int depth;
	int first[JSON_DEPTH]; /* no element written yet at this depth */
	int after_key;	       /* a key was written; the value follows */
};

void json_init(struct json *j, FILE *out);
void json_obj(struct json *j);
void json_obj_end(struct json *j);
void json_arr(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_int(struct json *j, int64_t v);
/* Non-finite values are written as null. */
void json_num(struct json *j, double v, int decimals);
void json_bool(struct json *j, int v);
void json_null(struct json *j);

#endif /* CONNDOCTOR_UTIL_JSON_H */
