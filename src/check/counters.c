/* counters.c - parses /proc/net/netstat and /proc/net/snmp: pairs of lines
 * "Prefix: Name1 Name2 ..." / "Prefix: 1 2 ..." (net/ipv4/proc.c), read as
 * this process's network namespace sees them. */
#include "util/fileio.h"
#include "check/counters.h"
#include "util/vec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COUNTERS_FILE_MAX (256 * 1024) /* the files are ~5 KiB today */

void chk_counters_init(struct chk_counters *c)
{
	memset(c, 0, sizeof(*c));
}

void chk_counters_free(struct chk_counters *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static int is_word_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* A line [p, end): its "Prefix:" length (without the colon), or 0 when the
 * line does not start with a prefix of word characters and a colon. */
static size_t prefix_len(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && is_word_char(p[n]))
		n++;
	if (!n || p + n >= end || p[n] != ':')
		return 0;
	return n;
}

/* Next blank-separated token of [*p, end): sets *tok and *toklen; 0 at the
 * end of the line. */
static int next_token(const char **p, const char *end, const char **tok,
		      size_t *toklen)
{
	const char *s = *p;

	while (s < end && is_blank(*s))
		s++;
	if (s == end) {
		*p = s;
		return 0;
	}
	*tok = s;
	while (s < end && !is_blank(*s))
		s++;
	*toklen = (size_t)(s - *tok);
	*p = s;
	return 1;
}

/* A decimal integer, optionally negative; 0 when the token is one. */
static int parse_value(const char *tok, size_t len, int64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	int neg = 0;

	if (len && tok[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == len)
		return -1;
	for (; i < len; i++) {
		unsigned d;

		if (tok[i] < '0' || tok[i] > '9')
			return -1;
		d = (unsigned)(tok[i] - '0');
		if (v > ((uint64_t)INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/* Counters one reply may hold (SHOW GLOBAL STATUS has ~1,000). */
#define COUNTERS_MAX (1u << 20)

static int push(struct chk_counters *c, const char *prefix, size_t plen,
		const char *key, size_t klen, int64_t value)
{
	struct chk_counter *x, *nv;

	if (plen + 1 + klen >= CHK_CNT_NAME)
		return 0; /* a name we would have to cut: not one we look up */
	nv = cd_vec_grow(c->v, sizeof(*nv), c->n + 1, &c->cap, COUNTERS_MAX,
			 256);
	if (!nv)
		return -1;
	c->v = nv;
	x = &c->v[c->n++];
	memcpy(x->name, prefix, plen);
	x->name[plen] = '.';
	memcpy(x->name + plen + 1, key, klen);
	x->name[plen + 1 + klen] = '\0';
	x->value = value;
	return 0;
}

/* Parses one header/value pair; returns 0 or a CHK_CNT_* code. */
static int parse_pair(struct chk_counters *c, const char *h, const char *hend,
		      const char *v, const char *vend, unsigned lineno,
		      char *err, size_t errlen)
{
	size_t plen = prefix_len(h, hend), vplen = prefix_len(v, vend);
	const char *hp, *vp, *key, *val;
	size_t klen, vlen;
	int64_t value;

	if (!plen) {
		cd_errf(err, errlen, "line %u: no \"Prefix:\"", lineno);
		return CHK_CNT_INVALID;
	}
	if (vplen != plen || memcmp(h, v, plen)) {
		cd_errf(err, errlen, "line %u: value line of another prefix",
			lineno + 1);
		return CHK_CNT_INVALID;
	}
	hp = h + plen + 1;
	vp = v + plen + 1;
	for (;;) {
		int hk = next_token(&hp, hend, &key, &klen);
		int vk = next_token(&vp, vend, &val, &vlen);
		size_t i;

		if (!hk && !vk)
			return 0;
		if (hk != vk) {
			cd_errf(err, errlen,
				"line %u: %s values than names in the header",
				lineno + 1, hk ? "fewer" : "more");
			return CHK_CNT_INVALID;
		}
		for (i = 0; i < klen; i++)
			if (!is_word_char(key[i])) {
				cd_errf(err, errlen, "line %u: bad name",
					lineno);
				return CHK_CNT_INVALID;
			}
		if (parse_value(val, vlen, &value)) {
			cd_errf(err, errlen, "line %u: not an integer",
				lineno + 1);
			return CHK_CNT_INVALID;
		}
		if (push(c, h, plen, key, klen, value)) {
			cd_errf(err, errlen, "out of memory");
			return CHK_CNT_NOMEM;
		}
	}
}

static int only_blanks(const char *p, const char *end)
{
	while (p < end && (is_blank(*p) || *p == '\r'))
		p++;
	return p == end;
}

int chk_counters_parse(struct chk_counters *c, const char *text, size_t len,
		       char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	size_t start = c->n;
	unsigned lineno = 0;
	int rc = 0;

	while (p < end) {
		const char *h = p, *hend, *v, *vend;

		hend = memchr(h, '\n', (size_t)(end - h));
		lineno++;
		if (!hend) {
			cd_errf(err, errlen, "line %u: no end of line", lineno);
			rc = CHK_CNT_TRUNCATED;
			break;
		}
		p = hend + 1;
		if (only_blanks(h, hend))
			continue;
		v = p;
		if (v == end) {
			cd_errf(err, errlen, "line %u: header without values",
				lineno);
			rc = CHK_CNT_TRUNCATED;
			break;
		}
		vend = memchr(v, '\n', (size_t)(end - v));
		if (!vend) {
			cd_errf(err, errlen, "line %u: no end of line",
				lineno + 1);
			rc = CHK_CNT_TRUNCATED;
			break;
		}
		p = vend + 1;
		rc = parse_pair(c, h, hend, v, vend, lineno, err, errlen);
		lineno++;
		if (rc)
			break;
	}
	if (rc)
		c->n = start;
	return rc;
}

/* Reads a whole (small) file into a malloc'd buffer. */
static int slurp(const char *path, char **out, size_t *outlen)
{
	char *buf = malloc(COUNTERS_FILE_MAX);
	size_t n = 0;
	int fd, rc = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno ? -errno : -EIO;
		free(buf);
		return rc;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, COUNTERS_FILE_MAX - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = errno ? -errno : -EIO;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == COUNTERS_FILE_MAX) {
			rc = -EFBIG;
			break;
		}
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

int chk_counters_read(struct chk_counters *c, const char *procroot, char *err,
		      size_t errlen)
{
	static const char *const files[] = {"net/netstat", "net/snmp"};
	char path[512], why[128];
	size_t i;

	c->n = 0;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *text = NULL;
		size_t len = 0;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", procroot, files[i]);
		rc = slurp(path, &text, &len);
		if (rc || !text) {
			cd_errf(err, errlen, "%s: %s", path,
				strerror(rc ? -rc : EIO));
			c->n = 0;
			return rc ? rc : -EIO;
		}
		rc = chk_counters_parse(c, text, len, why, sizeof(why));
		free(text);
		if (rc) {
			cd_errf(err, errlen, "%s: %s", path, why);
			c->n = 0;
			return rc;
		}
	}
	return 0;
}

int chk_counters_get(const struct chk_counters *c, const char *name,
		     int64_t *value)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name)) {
			*value = c->v[i].value;
			return 0;
		}
	return -1;
}

int chk_counters_delta(const struct chk_counters *before,
		       const struct chk_counters *after, const char *name,
		       int64_t *delta)
{
	int64_t a, b;

	if (chk_counters_get(before, name, &b) ||
	    chk_counters_get(after, name, &a))
		return -1;
	/* Wraps like the kernel's unsigned counters, never overflows. */
	*delta = (int64_t)((uint64_t)a - (uint64_t)b);
	return 0;
}
