/* fuzz_srv_errlog.c - the error log line classifier, then the streaming
 * reader over the same bytes as a file of lines: the classifier stays in
 * the line, gives the same answer twice, and its copies (host, user, code)
 * are terminated, printable, valid UTF-8; the reader counts every line
 * once, whatever the line cap.
 */
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "server/errlog.h"

/* Printable, valid UTF-8, terminated within n bytes. */
static int clean(const char *s, size_t n)
{
	const char *end = memchr(s, 0, n);
	size_t len;
	char copy[256];

	if (!end)
		return 0;
	len = (size_t)(end - s);
	if (len >= sizeof(copy))
		return 0;
	/* sanitizing clean text changes nothing */
	return srv_errlog_sanitize(copy, sizeof(copy), s, len) == len &&
	       !memcmp(copy, s, len);
}

static void one_line(const char *p, size_t n)
{
	struct srv_errlog_event a, b;
	int ra = srv_errlog_line(p, n, &a);
	int rb = srv_errlog_line(p, n, &b);

	CHECK(ra == rb);
	CHECK(ra >= SRV_EL_INVALID && ra <= SRV_EL_BARE);
	if (ra < 0)
		return;
	CHECK((unsigned)a.cls < SRV_EL_NCLASS);
	CHECK((unsigned)a.format < SRV_EL_NFORMAT);
	CHECK(a.cls == b.cls && a.time_s == b.time_s && a.msg == b.msg);
	CHECK(a.msg >= p && a.msg_len <= n && a.msg + a.msg_len <= p + n);
	CHECK(clean(a.host, sizeof(a.host)));
	CHECK(clean(a.user, sizeof(a.user)));
	CHECK(clean(a.code, sizeof(a.code)));
	CHECK(!strcmp(a.host, b.host) && !strcmp(a.user, b.user));
	/* years 1970 to 9999, give or take a zone */
	if (a.has_time)
		CHECK(a.time_s >= -15 * 3600 && a.time_s < 253402387200LL);
	CHECK(a.has_time || ra == SRV_EL_BARE || a.wrap);
	CHECK(!a.preauth || a.cls != SRV_EL_TOO_MANY_CONNECTIONS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *e = p + size;
	struct srv_errlog_opts o;
	struct srv_errlog_stats st;
	uint64_t lines = 0, sum = 0;
	unsigned c;
	int fd;

	one_line(p, size);
	while (p < e) { /* each line on its own too */
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(e - p);

		one_line(p, n);
		lines++;
		p += n + (nl != NULL);
	}

	fd = fuzz_memfile("fuzz_srv_errlog", data, size, NULL, 0);
	if (fd < 0)
		return 0;
	memset(&o, 0, sizeof(o));
	o.line_max = 64; /* some lines are over the cap */
	o.read_block = size % 7 + 1;
	if (srv_errlog_stats_init(&st, 1)) {
		close(fd);
		return 0;
	}
	CHECK(srv_errlog_read_fd(fd, &o, &st, 0) == 0);
	CHECK(st.bytes == size);
	CHECK(st.lines == lines);
	for (c = 0; c < SRV_EL_NCLASS; c++)
		sum += st.n[c];
	CHECK(sum + st.lines_long + st.lines_truncated + st.lines_invalid ==
	      st.lines);
	CHECK(st.nbuckets <= SRV_EL_NBUCKETS && st.nhosts <= SRV_EL_NHOSTS);
	srv_errlog_stats_free(&st);
	close(fd);
	return 0;
}
