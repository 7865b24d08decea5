/* escape.c - untrusted bytes as printable ASCII for text renderers (see
 * escape.h): the escaping `pcap` always did, shared by every text report. */
#include "util/escape.h"

#include <string.h>

/* The escape of byte b into esc (at most 4 characters); returns its
 * length. */
static size_t escape_byte(uint8_t b, char esc[4])
{
	static const char hex[] = "0123456789abcdef";

	if (b >= 0x20 && b < 0x7f && b != '\\') {
		esc[0] = (char)b;
		return 1;
	}
	esc[0] = '\\';
	if (b == '\n' || b == '\r' || b == '\t' || b == '\\') {
		esc[1] = b == '\n'   ? 'n'
			 : b == '\r' ? 'r'
			 : b == '\t' ? 't'
				     : '\\';
		return 2;
	}
	esc[1] = 'x';
	esc[2] = hex[b >> 4];
	esc[3] = hex[b & 15];
	return 4;
}

size_t cd_escape(char *out, size_t cap, const uint8_t *p, size_t n)
{
	size_t o = 0, i;

	if (!cap)
		return 0;
	for (i = 0; i < n; i++) {
		char esc[4];
		size_t k = escape_byte(p[i], esc);

		if (o + k >= cap)
			break;
		memcpy(out + o, esc, k);
		o += k;
	}
	out[o] = '\0';
	return o;
}

const char *cd_escape_str(char *out, size_t cap, const char *s)
{
	if (!s)
		s = "";
	cd_escape(out, cap, (const uint8_t *)s, strlen(s));
	return out;
}

void cd_fputs_escaped(const char *s, FILE *f)
{
	const char *run = s;

	if (!s)
		return;
	for (;; s++) {
		uint8_t b = (uint8_t)*s;
		char esc[4];
		size_t k;

		if (b >= 0x20 && b < 0x7f && b != '\\')
			continue;
		fwrite(run, 1, (size_t)(s - run), f);
		if (!b)
			break;
		k = escape_byte(b, esc);
		fwrite(esc, 1, k, f);
		run = s + 1;
	}
}

void cd_fputs_html(const char *s, FILE *f)
{
	const char *run = s;

	if (!s)
		return;
	for (;; s++) {
		uint8_t b = (uint8_t)*s;
		const char *ent = b == '&'    ? "&amp;"
				  : b == '<'  ? "&lt;"
				  : b == '>'  ? "&gt;"
				  : b == '"'  ? "&quot;"
				  : b == '\'' ? "&#39;"
					      : NULL;
		char esc[4];
		size_t k;

		if (!ent && b >= 0x20 && b < 0x7f && b != '\\')
			continue;
		fwrite(run, 1, (size_t)(s - run), f);
		if (!b)
			break;
		if (ent) {
			fputs(ent, f);
		} else {
			k = escape_byte(b, esc);
			fwrite(esc, 1, k, f);
		}
		run = s + 1;
	}
}
