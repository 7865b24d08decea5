/* resolvconf.c - resolv.conf(5) and RES_OPTIONS as glibc's resolver reads
 * them (res_init.c: nameserver, search/domain, options timeout, attempts,
 * ndots, rotate, with glibc's defaults and clamps). */
#include "util/resolvconf.h"

#include <ctype.h>
#include <string.h>

static int word_is(const char *p, size_t len, const char *w)
{
	return strlen(w) == len && !strncmp(p, w, len);
}

/* "name:N" with N in [lo, hi] (clamped, as glibc does); -1 if not name. */
static int opt_num(const char *p, size_t len, const char *name, int lo, int hi)
{
	size_t n = strlen(name), i;
	long v = 0;

	if (len <= n + 1 || strncmp(p, name, n) || p[n] != ':')
		return -1;
	for (i = n + 1; i < len; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		if (v < 100000)
			v = v * 10 + (p[i] - '0');
	}
	return v < lo ? lo : (v > hi ? hi : (int)v);
}

static void apply_options(const char *p, struct cd_resolv_conf *r)
{
	while (*p) {
		size_t len;
		int v;

		while (*p == ' ' || *p == '\t')
			p++;
		len = strcspn(p, " \t\r\n");
		if (!len)
			break;
		if (word_is(p, len, "rotate"))
			r->rotate = 1;
		v = opt_num(p, len, "timeout", 1, 30); /* RES_MAXRETRANS */
		if (v >= 0)
			r->timeout_s = v;
		v = opt_num(p, len, "attempts", 1, 5); /* RES_MAXRETRY */
		if (v >= 0)
			r->attempts = v;
		v = opt_num(p, len, "ndots", 0, 15);
		if (v >= 0)
			r->ndots = v;
		p += len;
	}
}

void cd_resolv_conf_parse(const char *text, const char *res_options,
			  struct cd_resolv_conf *r)
{
	const char *line = text;

	memset(r, 0, sizeof(*r));
	r->timeout_s = 5; /* RES_TIMEOUT */
	r->attempts = 2;  /* RES_DFLRETRY */
	r->ndots = 1;
	r->found = 1;
	while (*line) {
		size_t len = strcspn(line, "\n");
		char buf[512], *p, *w;

		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			p = buf + strspn(buf, " \t");
			w = p + strcspn(p, " \t");
			if (*w)
				*w++ = '\0';
			w += strspn(w, " \t");
			if (!strcmp(p, "nameserver")) {
				size_t n = strcspn(w, " \t\r#;");

				if (r->nns < CD_RESOLV_MAXNS && n &&
				    n < CD_RESOLV_NS_STR) {
					memcpy(r->ns[r->nns], w, n);
					r->ns[r->nns++][n] = '\0';
				} else {
					r->nns_ignored++;
				}
			} else if (!strcmp(p, "options")) {
				apply_options(w, r);
			} else if (!strcmp(p, "search") ||
				   !strcmp(p, "domain")) {
				r->nsearch = 0;
				while (*w && *w != '#' && *w != ';') {
					size_t n = strcspn(w, " \t\r");

					if (!n)
						break;
					r->nsearch++;
					w += n;
					w += strspn(w, " \t\r");
				}
			}
		}
		line += len;
		if (*line)
			line++;
	}
	if (res_options)
		apply_options(res_options, r);
}
