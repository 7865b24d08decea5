/* fileio.c - small whole-file readers, a line walker and the error buffer
 * setter. */
#include "util/fileio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cd_read_text(const char *path, size_t max, size_t *len)
{
	FILE *fp = fopen(path, "re");
	char *buf;
	size_t n;
	int saved;

	if (!fp)
		return NULL;
	buf = malloc(max + 1);
	if (!buf) {
		fclose(fp);
		errno = ENOMEM;
		return NULL;
	}
	n = fread(buf, 1, max, fp);
	if (ferror(fp)) {
		saved = errno ? errno : EIO;
		fclose(fp);
		free(buf);
		errno = saved;
		return NULL;
	}
	fclose(fp);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int cd_read_long(const char *path, long *v)
{
	char buf[64], *end;
	FILE *fp = fopen(path, "re");
	long x;

	if (!fp)
		return -1;
	if (!fgets(buf, sizeof(buf), fp)) {
		fclose(fp);
		return -1;
	}
	fclose(fp);
	errno = 0;
	x = strtol(buf, &end, 10);
	if (end == buf || errno || x < 0)
		return -1;
	*v = x;
	return 0;
}

size_t cd_next_line(const char *text, size_t len, size_t *off,
		    const char **line)
{
	const char *nl = memchr(text + *off, '\n', len - *off);
	size_t n = nl ? (size_t)(nl - (text + *off)) : len - *off;

	*line = text + *off;
	*off += n + (nl ? 1 : 0);
	return n;
}

void cd_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
