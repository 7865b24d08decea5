/* jout.c - JSON lines (RFC 8259, one value per line) at capture speed: the
 * capture report writes an object per connection and per command, so at
 * hundreds of thousands of objects a second a stdio call per character
 * (util/json.c) costs more than decoding the packets. This writer fills a
 * buffer and writes it whole; times, kept as integer microseconds, are
 * printed exactly without printf's floating point. Same rules as
 * util/json.c: commas and nesting handled here, strings escaped. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "capture/jout.h"

void jo_init(struct jout *j, FILE *out, int line_flush)
{
	j->out = out;
	j->n = 0;
	j->depth = 0;
	j->first[0] = 1;
	j->after_key = 0;
	j->line_flush = line_flush;
	j->failed = 0;
}

void jo_flush(struct jout *j)
{
	if (j->n && fwrite(j->buf, 1, j->n, j->out) != j->n)
		j->failed = 1;
	j->n = 0;
}

/* Room for n more bytes (n <= JO_BUF). */
static char *room(struct jout *j, size_t n)
{
	if (j->n + n > JO_BUF)
		jo_flush(j);
	return j->buf + j->n;
}

static void put(struct jout *j, const char *s, size_t n)
{
	if (j->n + n <= JO_BUF) { /* the usual case: it fits */
		memcpy(j->buf + j->n, s, n);
		j->n += n;
		return;
	}
	while (n) {
		size_t k = n < JO_BUF / 2 ? n : JO_BUF / 2;

		memcpy(room(j, k), s, k);
		j->n += k;
		s += k;
		n -= k;
	}
}

static void put1(struct jout *j, char c)
{
	*room(j, 1) = c;
	j->n++;
}

/* The comma that separates this value from the previous one. */
static void sep(struct jout *j)
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

static void open_(struct jout *j, char c)
{
	sep(j);
	put1(j, c);
	if (j->depth < JO_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = 1;
}

static void close_(struct jout *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	put1(j, c);
	if (j->depth == 0) {
		put1(j, '\n');
		if (j->line_flush)
			jo_flush(j);
	}
}

void jo_obj(struct jout *j)
{
	open_(j, '{');
}

void jo_obj_end(struct jout *j)
{
	close_(j, '}');
}

void jo_arr(struct jout *j)
{
	open_(j, '[');
}

void jo_arr_end(struct jout *j)
{
	close_(j, ']');
}

/* Bytes a JSON string cannot hold as they are: '"', '\\' and controls. */
static int special(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

/* A string: '"' and '\\' escaped, control characters as \n \t \r or
 * \u00XX; other bytes as they are (the capture's strings are escaped
 * ASCII, the catalogue's are UTF-8). Runs are copied whole. */
static void string(struct jout *j, const char *s)
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

void jo_rawkey(struct jout *j, const char *quoted, size_t n)
{
	sep(j);
	put(j, quoted, n);
	j->after_key = 1;
}

/* Keys are the report's own names: plain ASCII, copied in one go. */
void jo_key(struct jout *j, const char *k)
{
	size_t n = strlen(k);
	char *o;

	sep(j);
	if (n + 3 > JO_BUF / 2) {
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

void jo_str(struct jout *j, const char *s)
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

void jo_int(struct jout *j, int64_t v)
{
	char b[24], *e = b + sizeof(b), *s;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	sep(j);
	s = digits(e, u);
	if (v < 0)
		*--s = '-';
	put(j, s, (size_t)(e - s));
}

void jo_us(struct jout *j, int64_t us)
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

void jo_num(struct jout *j, double v)
{
	char b[64];
	int n;

	if (!isfinite(v)) {
		jo_null(j);
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		jo_int(j, (int64_t)v);
		return;
	}
	sep(j);
	n = snprintf(b, sizeof(b), "%.6f", v);
	if (n > 0)
		put(j, b, (size_t)n < sizeof(b) ? (size_t)n : sizeof(b) - 1);
}

void jo_bool(struct jout *j, int v)
{
	sep(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void jo_null(struct jout *j)
{
	sep(j);
	put(j, "null", 4);
}
