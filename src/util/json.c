/* json.c - the JSON writer (RFC 8259). It fills a buffer and writes it
 * whole, copies unescaped runs in one go and prints integers and integer
 * microseconds without printf's floating point: the capture report writes
 * hundreds of thousands of objects a second, where a stdio call per
 * character would cost more than decoding the packets. Strings are checked
 * as UTF-8 (RFC 3629); a byte that is not is written as U+FFFD. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/json.h"

void json_init(struct json *j, FILE *out, int line_flush)
{
	j->out = out;
	j->n = 0;
	j->depth = 0;
	j->first[0] = 1;
	j->after_key = 0;
	j->line_flush = line_flush;
	j->failed = 0;
}

void json_flush(struct json *j)
{
	if (j->n && fwrite(j->buf, 1, j->n, j->out) != j->n)
		j->failed = 1;
	j->n = 0;
}

/* Room for n more bytes (n <= JSON_BUF). */
static char *room(struct json *j, size_t n)
{
	if (j->n + n > JSON_BUF)
		json_flush(j);
	return j->buf + j->n;
}

static void put(struct json *j, const char *s, size_t n)
{
	if (j->n + n <= JSON_BUF) { /* the usual case: it fits */
		memcpy(j->buf + j->n, s, n);
		j->n += n;
		return;
	}
	while (n) {
		size_t k = n < JSON_BUF / 2 ? n : JSON_BUF / 2;

		memcpy(room(j, k), s, k);
		j->n += k;
		s += k;
		n -= k;
	}
}

static void put1(struct json *j, char c)
{
	*room(j, 1) = c;
	j->n++;
}

/* The comma that separates this value from the previous one. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->depth == 0)
		return; /* top-level values are lines of their own */
	if (!j->first[j->depth])
		put1(j, ',');
	j->first[j->depth] = 0;
}

static void open_(struct json *j, char c)
{
	sep(j);
	put1(j, c);
	if (j->depth < JSON_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = 1;
}

static void close_(struct json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	put1(j, c);
	if (j->depth == 0) {
		put1(j, '\n');
		if (j->line_flush)
			json_flush(j);
	}
}

void json_obj(struct json *j)
{
	open_(j, '{');
}

void json_obj_end(struct json *j)
{
	close_(j, '}');
}

void json_arr(struct json *j)
{
	open_(j, '[');
}

void json_arr_end(struct json *j)
{
	close_(j, ']');
}

/* Bytes a JSON string cannot hold as they are: '"', '\\', controls, and
 * the start of anything that is not plain ASCII (checked as UTF-8). */
static int special(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

/* Length of a valid UTF-8 sequence at p (2-4), or 0 when it is not one;
 * overlong forms and surrogates are not valid (RFC 3629). */
static int utf8_len(const unsigned char *p)
{
	unsigned cp;
	int n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1fu;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07u;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A string: '"' and '\\' escaped, control characters as \n \t \r or
 * \u00XX, valid UTF-8 as it is, other bytes as \ufffd. Runs of plain
 * bytes are copied whole. */
static void string(struct json *j, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	put1(j, '"');
	for (;; s++) {
		unsigned char c = (unsigned char)*s;
		char e[6];

		if (c && !special(c))
			continue;
		put(j, run, (size_t)(s - run));
		if (!c)
			break;
		run = s + 1;
		if (c >= 0x80) {
			int n = utf8_len((const unsigned char *)s);

			if (n) {
				put(j, s, (size_t)n);
				s += n - 1;
				run = s + 1;
			} else {
				put(j, "\\ufffd", 6);
			}
			continue;
		}
		e[0] = '\\';
		if (c == '"' || c == '\\') {
			e[1] = (char)c;
			put(j, e, 2);
		} else if (c == '\n' || c == '\t' || c == '\r') {
			e[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			put(j, e, 2);
		} else {
			memcpy(e + 1, "u00", 3);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			put(j, e, 6);
		}
	}
	put1(j, '"');
}

void json_rawkey(struct json *j, const char *quoted, size_t n)
{
	sep(j);
	put(j, quoted, n);
	j->after_key = 1;
}

/* Keys are the report's own names: plain ASCII, copied in one go. */
void json_key(struct json *j, const char *k)
{
	size_t n = strlen(k);
	char *o;

	sep(j);
	if (n + 3 > JSON_BUF / 2) {
		string(j, k);
		put1(j, ':');
	} else {
		o = room(j, n + 3);
		o[0] = '"';
		memcpy(o + 1, k, n);
		o[n + 1] = '"';
		o[n + 2] = ':';
		j->n += n + 3;
	}
	j->after_key = 1;
}

void json_str(struct json *j, const char *s)
{
	sep(j);
	string(j, s);
}

/* Decimal digits of v written backwards ending at end; returns the
 * start. Two digits a step. */
static char *digits(char *end, uint64_t v)
{
	static const char pairs[] = "00010203040506070809"
				    "10111213141516171819"
				    "20212223242526272829"
				    "30313233343536373839"
				    "40414243444546474849"
				    "50515253545556575859"
				    "60616263646566676869"
				    "70717273747576777879"
				    "80818283848586878889"
				    "90919293949596979899";

	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		*--end = pairs[d + 1];
		*--end = pairs[d];
	}
	if (v >= 10) {
		unsigned d = (unsigned)v * 2;

		*--end = pairs[d + 1];
		*--end = pairs[d];
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

void json_int(struct json *j, int64_t v)
{
	char b[24], *e = b + sizeof(b), *s;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	sep(j);
	s = digits(e, u);
	if (v < 0)
		*--s = '-';
	put(j, s, (size_t)(e - s));
}

void json_uint(struct json *j, uint64_t v)
{
	char b[24], *e = b + sizeof(b), *s;

	sep(j);
	s = digits(e, v);
	put(j, s, (size_t)(e - s));
}

void json_us(struct json *j, int64_t us)
{
	char b[32], *e = b + sizeof(b), *s;
	uint64_t u = us < 0 ? 0 - (uint64_t)us : (uint64_t)us;
	uint64_t frac = u % 1000000;

	sep(j);
	/* six digits of fraction: 1000000 + frac, its leading 1 dropped */
	s = digits(e, 1000000 + frac) + 1;
	*--s = '.';
	s = digits(s, u / 1000000);
	if (us < 0)
		*--s = '-';
	put(j, s, (size_t)(e - s));
}

void json_num(struct json *j, double v)
{
	char b[64];
	int n;

	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		json_int(j, (int64_t)v);
		return;
	}
	sep(j);
	n = snprintf(b, sizeof(b), "%.6f", v);
	if (n > 0)
		put(j, b, (size_t)n < sizeof(b) ? (size_t)n : sizeof(b) - 1);
}

void json_fixed(struct json *j, double v, int decimals)
{
	char b[64];
	int n;

	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	sep(j);
	n = snprintf(b, sizeof(b), "%.*f",
		     decimals < 0   ? 0
		     : decimals > 9 ? 9
				    : decimals,
		     v);
	if (n > 0)
		put(j, b, (size_t)n < sizeof(b) ? (size_t)n : sizeof(b) - 1);
}

void json_bool(struct json *j, int v)
{
	sep(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json *j)
{
	sep(j);
	put(j, "null", 4);
}
