/* optfile.c - a reader for MySQL option files following "Using Option
 * Files" (MySQL reference manual) and MariaDB's "Configuring MariaDB with
 * Option Files": comments (# ;), [group], opt, opt=value, quoted values
 * with \b \t \n \r \\ \s escapes, !include FILE and !includedir DIR. */
#include "util/optfile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/vec.h"

#define MAX_DEPTH 10
#define MAX_LINE  4096

struct reader {
	const char *const *groups;
	cd_optfile_cb cb;
	cd_optfile_group_cb gcb; /* set: every group, keys as written */
	void *ctx;
	char *errbuf;
	size_t errlen;
};

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int group_wanted(const struct reader *r, const char *g)
{
	const char *const *p;

	if (!r->groups)
		return 0; /* read_all: its group callback sees every group */
	for (p = r->groups; *p; p++)
		if (!strcasecmp(*p, g))
			return 1;
	return 0;
}

/* Unquotes and unescapes a value in place. Returns -1 when a quote is not
 * closed. */
static int unquote(char *v)
{
	char q = 0, *in = v, *out = v;

	if (*v == '\'' || *v == '"')
		q = *in++;
	for (; *in; in++) {
		if (q && *in == q) {
			/* Only a comment may follow the closing quote. */
			char *rest = trim(in + 1);

			if (*rest && *rest != '#' && *rest != ';')
				return -1;
			*out = '\0';
			return 0;
		}
		if (*in == '\\' && in[1]) {
			in++;
			switch (*in) {
			case 'b':
				*out++ = '\b';
				break;
			case 't':
				*out++ = '\t';
				break;
			case 'n':
				*out++ = '\n';
				break;
			case 'r':
				*out++ = '\r';
				break;
			case 's':
				*out++ = ' ';
				break;
			default:
				*out++ = *in;
			}
			continue;
		}
		if (!q && (*in == '#'))
			break; /* an unquoted value ends at a comment */
		*out++ = *in;
	}
	if (q)
		return -1;
	*out = '\0';
	/* Trailing blanks before a comment are not part of the value. */
	while (out > v && isspace((unsigned char)out[-1]))
		*--out = '\0';
	return 0;
}

static int read_file(struct reader *r, const char *path, int must_exist,
		     int depth);

/* What a file that is not one is, for the message. */
static const char *file_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISBLK(m))
		return "a block device";
	return NULL;
}

/* Opens an option file without waiting on it: a FIFO (which would block
 * until someone writes, with a password still in argv), a directory or a
 * socket is refused; a regular file or a character device (/dev/null)
 * is read. NULL with errno set, or with *kind set for a refusal. */
static FILE *open_option_file(const char *path, const char **kind)
{
	struct stat st;
	FILE *fp;
	int fd, flags;

	*kind = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		goto fail;
	*kind = file_kind(st.st_mode);
	if (*kind)
		goto fail;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		goto fail;
	fp = fdopen(fd, "r");
	if (fp)
		return fp;
fail:
	flags = errno;
	close(fd);
	errno = flags;
	return NULL;
}

/* Option files one !includedir may name. */
#define INCLUDEDIR_MAX (1u << 16)

/* An include's path; a relative one is taken from the including file's
 * folder, so a configuration tree can be moved as a whole. */
static void include_path(char *out, size_t len, const char *from,
			 const char *arg)
{
	const char *slash = strrchr(from, '/');

	if (arg[0] == '/' || !slash)
		snprintf(out, len, "%s", arg);
	else
		snprintf(out, len, "%.*s/%s", (int)(slash - from), from, arg);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_dir(struct reader *r, const char *dir, const char *file,
		    unsigned line, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, **nn;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if (!d) {
		snprintf(r->errbuf, r->errlen, "%s:%u: !includedir %s: %s",
			 file, line, dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len < 5 || (strcmp(de->d_name + len - 4, ".cnf") &&
				strcmp(de->d_name + len - 4, ".ini")))
			continue;
		nn = cd_vec_grow(names, sizeof(*names), n + 1, &cap,
				 INCLUDEDIR_MAX, 16);
		if (!nn) {
			rc = -1;
			break;
		}
		names = nn;
		names[n] = malloc(strlen(dir) + len + 2);
		if (!names[n]) {
			rc = -1;
			break;
		}
		sprintf(names[n], "%s/%s", dir, de->d_name);
		n++;
	}
	closedir(d);
	if (rc == 0 && n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		if (rc == 0 && read_file(r, names[i], 1, depth + 1) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	if (rc < 0 && !r->errbuf[0])
		snprintf(r->errbuf, r->errlen, "%s: out of memory", dir);
	return rc;
}

static int read_file(struct reader *r, const char *path, int must_exist,
		     int depth)
{
	char buf[MAX_LINE];
	FILE *fp;
	const char *kind;
	char group[256] = "";
	unsigned line = 0;
	int in_group = 0, have_group = 0, rc = 0;

	if (depth > MAX_DEPTH) {
		snprintf(r->errbuf, r->errlen, "%s: includes nested too deep",
			 path);
		return -1;
	}
	fp = open_option_file(path, &kind);
	if (!fp && kind && !must_exist) {
		/* A default location (~/.my.cnf) holding something else:
		 * skip it, as an unreadable one, but say so. */
		fprintf(stderr,
			"conndoctor: warning: skipping %s: not a regular file "
			"(%s)\n",
			path, kind);
		return 1;
	}
	if (!fp && kind) {
		snprintf(r->errbuf, r->errlen,
			 "%s: not a regular file (%s): refused as an option "
			 "file",
			 path, kind);
		return -1;
	}
	if (!fp) {
		if (errno == ENOENT && !must_exist)
			return 1;
		if (errno == EACCES && !must_exist) {
			/* Another user's file (HOME=/root under sudo -u): skip
			 * it, as the mysql client does, but say so. */
			fprintf(stderr,
				"conndoctor: warning: skipping %s: %s\n", path,
				strerror(errno));
			return 1;
		}
		snprintf(r->errbuf, r->errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), fp)) {
		char *s, *eq, *key, *val = NULL, *k;

		line++;
		if (!strchr(buf, '\n') && !feof(fp)) {
			snprintf(r->errbuf, r->errlen, "%s:%u: line too long",
				 path, line);
			rc = -1;
			break;
		}
		s = trim(buf);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '!') {
			char *arg, inc[4096];

			if (!strncmp(s, "!includedir", 11) &&
			    isspace((unsigned char)s[11])) {
				arg = trim(s + 11);
				include_path(inc, sizeof(inc), path, arg);
				if (read_dir(r, inc, path, line, depth) < 0) {
					rc = -1;
					break;
				}
			} else if (!strncmp(s, "!include", 8) &&
				   isspace((unsigned char)s[8])) {
				arg = trim(s + 8);
				include_path(inc, sizeof(inc), path, arg);
				if (read_file(r, inc, 1, depth + 1) < 0) {
					char inner[512];

					snprintf(inner, sizeof(inner), "%s",
						 r->errbuf);
					snprintf(r->errbuf, r->errlen,
						 "%s:%u: in !include: %s", path,
						 line, inner);
					rc = -1;
					break;
				}
			} else {
				snprintf(r->errbuf, r->errlen,
					 "%s:%u: unknown directive '%s'", path,
					 line, s);
				rc = -1;
				break;
			}
			continue;
		}
		if (*s == '[') {
			char *end = strchr(s, ']');

			if (!end || *trim(end + 1) || end == s + 1) {
				snprintf(r->errbuf, r->errlen,
					 "%s:%u: malformed group header '%s'",
					 path, line, s);
				rc = -1;
				break;
			}
			*end = '\0';
			if (r->gcb) {
				snprintf(group, sizeof(group), "%s",
					 trim(s + 1));
				have_group = 1;
				if (r->gcb(r->ctx, path, line, group, NULL,
					   NULL, r->errbuf, r->errlen)) {
					rc = -1;
					break;
				}
				continue;
			}
			in_group = group_wanted(r, trim(s + 1));
			continue;
		}
		eq = strchr(s, '=');
		if (eq) {
			*eq = '\0';
			val = trim(eq + 1);
		}
		key = trim(s);
		if (!*key) {
			snprintf(r->errbuf, r->errlen,
				 "%s:%u: an option without a name", path, line);
			rc = -1;
			break;
		}
		for (k = key; *k; k++) {
			if (*k == '_' && !r->gcb)
				*k = '-';
			if (isspace((unsigned char)*k)) {
				snprintf(r->errbuf, r->errlen,
					 "%s:%u: malformed option '%s'", path,
					 line, key);
				rc = -1;
				break;
			}
		}
		if (rc)
			break;
		if (val && unquote(val) < 0) {
			snprintf(r->errbuf, r->errlen,
				 "%s:%u: unterminated quote in '%s'", path,
				 line, key);
			rc = -1;
			break;
		}
		if (r->gcb) {
			if (r->gcb(r->ctx, path, line,
				   have_group ? group : NULL, key, val,
				   r->errbuf, r->errlen)) {
				rc = -1;
				break;
			}
			continue;
		}
		if (!in_group)
			continue;
		if (r->cb(r->ctx, path, line, key, val, r->errbuf, r->errlen)) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(fp)) {
		snprintf(r->errbuf, r->errlen, "%s: read error", path);
		rc = -1;
	}
	fclose(fp);
	return rc;
}

int cd_optfile_read(const char *path, const char *const *groups, int must_exist,
		    cd_optfile_cb cb, void *ctx, char *errbuf, size_t errlen)
{
	struct reader r = {groups, cb, NULL, ctx, errbuf, errlen};

	if (errlen)
		errbuf[0] = '\0';
	return read_file(&r, path, must_exist, 0);
}

int cd_optfile_read_all(const char *path, cd_optfile_group_cb cb, void *ctx,
			char *errbuf, size_t errlen)
{
	struct reader r = {NULL, NULL, cb, ctx, errbuf, errlen};

	if (errlen)
		errbuf[0] = '\0';
	return read_file(&r, path, 1, 0);
}
