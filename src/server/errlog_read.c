/* errlog_read.c - reads a server error log in bounded memory: a file
 * (optionally its tail, or bisected to a start time), or the journal of
 * the server's systemd unit through journalctl (journalctl(1), -o
 * short-iso, run through util/run.h); every line goes through srv_errlog_line()
 * into an aggregate per class, per client host and per time bucket. Also where
 * the log is when nobody says (Debian and RPM defaults, DATADIR/HOSTNAME.err).
 */
#include "server/errlog.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/run.h"

#define LINE_MAX_DEFAULT (16 * 1024)
#define BLOCK		 (64 * 1024)
#define BISECT_MIN	 (4u << 20) /* smaller files are read whole */
#define INDEX_SLOTS	 1024	    /* > SRV_EL_NHOSTS, a power of two */

/* ---- the aggregate ---- */

/* Hash indexes of the key tables (slot = index + 1, 0 = empty). */
struct srv_errlog_index {
	uint16_t hosts[INDEX_SLOTS];
	uint16_t accts[INDEX_SLOTS];
};

int srv_errlog_stats_init(struct srv_errlog_stats *st, unsigned bucket_s)
{
	memset(st, 0, sizeof(*st));
	st->hosts = calloc(SRV_EL_NHOSTS, sizeof(*st->hosts));
	st->accts = calloc(SRV_EL_NACCTS, sizeof(*st->accts));
	st->bucket = calloc(SRV_EL_NBUCKETS, sizeof(*st->bucket));
	st->index = calloc(1, sizeof(*st->index));
	if (!st->hosts || !st->accts || !st->bucket || !st->index) {
		srv_errlog_stats_free(st);
		return -1;
	}
	st->bucket_s = bucket_s ? bucket_s : 60;
	return 0;
}

void srv_errlog_stats_free(struct srv_errlog_stats *st)
{
	free(st->hosts);
	free(st->accts);
	free(st->bucket);
	free(st->index);
	memset(st, 0, sizeof(*st));
}

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The entry for name in table (n used of max), added when new; NULL when
 * the table is full. */
static struct srv_errlog_key *key_get(struct srv_errlog_key *table, size_t *n,
				      size_t max, uint16_t *index,
				      const char *name)
{
	uint32_t slot = hash(name) & (INDEX_SLOTS - 1);
	struct srv_errlog_key *k;

	for (;; slot = (slot + 1) & (INDEX_SLOTS - 1)) {
		if (!index[slot])
			break;
		k = &table[index[slot] - 1];
		if (!strcmp(k->name, name))
			return k;
	}
	if (*n >= max)
		return NULL;
	k = &table[*n];
	snprintf(k->name, sizeof(k->name), "%s", name);
	index[slot] = (uint16_t)(++*n);
	return k;
}

static void key_count(struct srv_errlog_key *k,
		      const struct srv_errlog_event *ev, int64_t t)
{
	if (k->n[ev->cls] < UINT32_MAX)
		k->n[ev->cls]++;
	if (k->total < UINT32_MAX)
		k->total++;
	if (ev->preauth && k->preauth < UINT32_MAX) {
		k->preauth++;
		k->pre[ev->cls]++;
	}
	if (t > 0) {
		if (!k->first_s || t < k->first_s)
			k->first_s = t;
		if (t > k->last_s)
			k->last_s = t;
	}
}

/* Halves the resolution: pairs of buckets become one. */
static void bucket_merge(struct srv_errlog_stats *st)
{
	unsigned i, k;

	for (i = 0; i < SRV_EL_NBUCKETS / 2; i++)
		for (k = 0; k < SRV_EL_NCLASS; k++) {
			uint64_t s = (uint64_t)st->bucket[2 * i][k] +
				     st->bucket[2 * i + 1][k];

			st->bucket[i][k] =
				s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
		}
	memset(st->bucket[SRV_EL_NBUCKETS / 2], 0,
	       sizeof(*st->bucket) * (SRV_EL_NBUCKETS / 2));
	st->bucket_s *= 2;
	st->nbuckets = (st->nbuckets + 1) / 2;
}

/* Counts class c at time t; the buckets cover any span in
 * SRV_EL_NBUCKETS by doubling their width, and shift to take a time
 * before the first (a log that is not in time order). */
static void bucket_add(struct srv_errlog_stats *st, int64_t t,
		       enum srv_errlog_class c)
{
	uint64_t idx;

	if (!st->nbuckets) {
		st->bucket0_s = t - t % st->bucket_s;
		st->nbuckets = 1;
	}
	while (t < st->bucket0_s) {
		uint64_t need =
			((uint64_t)(st->bucket0_s - t) + st->bucket_s - 1) /
			st->bucket_s;

		if (st->nbuckets + need <= SRV_EL_NBUCKETS) {
			memmove(st->bucket[need], st->bucket[0],
				sizeof(*st->bucket) * st->nbuckets);
			memset(st->bucket[0], 0, sizeof(*st->bucket) * need);
			st->nbuckets += (unsigned)need;
			st->bucket0_s -= (int64_t)(need * st->bucket_s);
		} else {
			bucket_merge(st);
		}
	}
	idx = (uint64_t)(t - st->bucket0_s) / st->bucket_s;
	while (idx >= SRV_EL_NBUCKETS) {
		bucket_merge(st);
		idx = (uint64_t)(t - st->bucket0_s) / st->bucket_s;
	}
	if (idx + 1 > st->nbuckets)
		st->nbuckets = (unsigned)idx + 1;
	if (st->bucket[idx][c] < UINT32_MAX)
		st->bucket[idx][c]++;
}

void srv_errlog_stats_add(struct srv_errlog_stats *st,
			  const struct srv_errlog_event *ev, int64_t t,
			  const char *line, size_t len)
{
	enum srv_errlog_class c = ev->cls;
	struct srv_errlog_key *k;

	if ((unsigned)c >= SRV_EL_NCLASS)
		return;
	st->n[c]++;
	if (ev->preauth)
		st->pre[c]++;
	if (!st->example[c][0] && line)
		srv_errlog_sanitize(st->example[c], sizeof(st->example[c]),
				    line, len);
	if (!ev->has_time)
		t = 0;
	if (t > 0) {
		if (!st->first_s[c] || t < st->first_s[c])
			st->first_s[c] = t;
		if (t > st->last_s[c])
			st->last_s[c] = t;
		if (!st->t_first || t < st->t_first)
			st->t_first = t;
		if (t > st->t_last)
			st->t_last = t;
		bucket_add(st, t, c);
	}
	if (ev->host[0]) {
		k = key_get(st->hosts, &st->nhosts, SRV_EL_NHOSTS,
			    st->index->hosts, ev->host);
		if (k)
			key_count(k, ev, t);
		else
			st->hosts_untracked++;
	}
	/* per account: the denied logins, and the sessions the server
	   aborted on a timeout or a failed write (CD6060, CD6061) */
	if ((c == SRV_EL_ACCESS_DENIED || c == SRV_EL_ABORTED_READ_TIMEOUT ||
	     c == SRV_EL_ABORTED_WRITE_TIMEOUT ||
	     c == SRV_EL_ABORTED_WRITE_ERROR) &&
	    ev->user[0]) {
		char name[sizeof(k->name)];

		snprintf(name, sizeof(name), "%s@%s", ev->user, ev->host);
		k = key_get(st->accts, &st->naccts, SRV_EL_NACCTS,
			    st->index->accts, name);
		if (k)
			key_count(k, ev, t);
		else
			st->accts_untracked++;
	}
}

static int by_total(const void *a, const void *b)
{
	const struct srv_errlog_key *x = a, *y = b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void reindex(struct srv_errlog_key *table, size_t n, uint16_t *index)
{
	size_t i;

	memset(index, 0, INDEX_SLOTS * sizeof(*index));
	for (i = 0; i < n; i++) {
		uint32_t slot = hash(table[i].name) & (INDEX_SLOTS - 1);

		while (index[slot])
			slot = (slot + 1) & (INDEX_SLOTS - 1);
		index[slot] = (uint16_t)(i + 1);
	}
}

void srv_errlog_stats_sort(struct srv_errlog_stats *st)
{
	qsort(st->hosts, st->nhosts, sizeof(*st->hosts), by_total);
	qsort(st->accts, st->naccts, sizeof(*st->accts), by_total);
	if (st->index) {
		reindex(st->hosts, st->nhosts, st->index->hosts);
		reindex(st->accts, st->naccts, st->index->accts);
	}
}

/* ---- lines ---- */

struct feeder {
	const struct srv_errlog_opts *o;
	struct srv_errlog_stats *st;
	char *line;
	size_t len, cap;
	int overlong;	  /* the current line went past the cap */
	int skip_partial; /* drop bytes up to the first newline */
	int last_outside; /* the last dated line was before the window */
	int64_t tz_hour;  /* naive_local: cached hour and its offset */
	int64_t tz_off;
	int tz_valid;
};

/* A zoneless local time to UTC, by mktime() once per hour of stamps (so
 * a log that spans a DST change is still right). */
static int64_t local_to_utc(struct feeder *f, int64_t naive)
{
	int64_t hour = naive / 3600;
	struct tm tm;
	time_t t = (time_t)naive, u;

	if (f->tz_valid && hour == f->tz_hour)
		return naive - f->tz_off;
	if (!gmtime_r(&t, &tm))
		return naive;
	tm.tm_isdst = -1;
	u = mktime(&tm);
	if (u == (time_t)-1)
		return naive;
	f->tz_hour = hour;
	f->tz_off = naive - (int64_t)u;
	f->tz_valid = 1;
	return (int64_t)u;
}

static void one_line(struct feeder *f, const char *line, size_t len)
{
	struct srv_errlog_stats *st = f->st;
	struct srv_errlog_event ev;
	int64_t t = 0;
	int r;

	st->lines++;
	r = srv_errlog_line(line, len, &ev);
	if (r == SRV_EL_TRUNCATED) {
		st->lines_truncated++;
		return;
	}
	if (r == SRV_EL_INVALID) {
		st->lines_invalid++;
		return;
	}
	if (r == SRV_EL_BARE && !ev.wrap)
		st->lines_bare++;
	st->formats[ev.format]++;
	if (ev.wrap == SRV_EL_WRAP_JOURNAL)
		st->journal_lines++;
	else if (ev.wrap == SRV_EL_WRAP_SYSLOG)
		st->syslog_lines++;
	if (ev.has_time) {
		t = ev.time_s;
		if (!ev.has_zone)
			t = f->o->naive_local ? local_to_utc(f, t)
					      : t - f->o->tz_offset_s;
		f->last_outside = f->o->since_s && t < f->o->since_s;
	}
	/* an undated line belongs with the dated line before it */
	if (f->last_outside) {
		st->lines_outside++;
		return;
	}
	srv_errlog_stats_add(st, &ev, t, line, len);
}

/* Splits bytes into lines; lines over the cap are counted, not kept. */
static void feed(struct feeder *f, const char *p, size_t n)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;

		int skipping = f->skip_partial;

		if (skipping) {
			if (nl)
				f->skip_partial = 0;
		} else if (!f->overlong) {
			if (f->len + k > f->cap) {
				f->overlong = 1;
			} else {
				memcpy(f->line + f->len, p, k);
				f->len += k;
			}
		}
		if (nl) {
			if (skipping) {
				/* the tail of a line begun before the start */
			} else if (f->overlong) {
				f->st->lines++;
				f->st->lines_long++;
			} else {
				one_line(f, f->line, f->len);
			}
			f->len = 0;
			f->overlong = 0;
			k++;
		}
		p += k;
		n -= k;
	}
}

static void feed_end(struct feeder *f)
{
	if (f->overlong) {
		f->st->lines++;
		f->st->lines_long++;
	} else if (f->len && !f->skip_partial) {
		one_line(f, f->line, f->len); /* a last line without '\n' */
	}
	f->len = 0;
	f->overlong = 0;
}

static size_t line_cap(const struct srv_errlog_opts *o)
{
	return o->line_max ? o->line_max : LINE_MAX_DEFAULT;
}

/* The caller owns line (line_cap(o) bytes) and frees it. */
static void feeder_init(struct feeder *f, const struct srv_errlog_opts *o,
			struct srv_errlog_stats *st, char *line)
{
	memset(f, 0, sizeof(*f));
	f->o = o;
	f->st = st;
	f->cap = line_cap(o);
	f->line = line;
}

static int read_into(int fd, struct feeder *f, int64_t deadline_ns)
{
	size_t block = f->o->read_block && f->o->read_block < BLOCK
			       ? f->o->read_block
			       : BLOCK;
	char *buf = malloc(BLOCK);
	int rc = 0;

	if (!buf) {
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		ssize_t n;

		if (deadline_ns) {
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			int64_t left = deadline_ns - cd_now_ns();
			int pr;

			if (left <= 0) {
				errno = ETIMEDOUT;
				rc = -1;
				break;
			}
			pr = poll(&pfd, 1, (int)(left / CD_NS_PER_MS) + 1);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr < 0) {
				rc = -1;
				break;
			}
			if (pr == 0)
				continue;
		}
		n = read(fd, buf, block);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		f->st->bytes += (uint64_t)n;
		feed(f, buf, (size_t)n);
	}
	feed_end(f);
	free(buf);
	return rc;
}

int srv_errlog_read_fd(int fd, const struct srv_errlog_opts *o,
		       struct srv_errlog_stats *st, int64_t deadline_ns)
{
	char *line = malloc(line_cap(o));
	struct feeder f;
	int rc, saved;

	if (!line) {
		errno = ENOMEM;
		return -1;
	}
	feeder_init(&f, o, st, line);
	rc = read_into(fd, &f, deadline_ns);
	saved = errno;
	free(line);
	errno = saved;
	return rc;
}

/* ---- where to start in a file ---- */

/* Offset of the start of the last n lines of a file of size bytes. */
static off_t tail_lines_start(int fd, off_t size, uint64_t n)
{
	char buf[4096];
	off_t pos = size;
	uint64_t seen = 0;
	int first = 1;

	while (pos > 0) {
		size_t k = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		ssize_t r;
		size_t i;

		pos -= (off_t)k;
		r = pread(fd, buf, k, pos);
		if (r != (ssize_t)k)
			return 0;
		for (i = k; i > 0; i--) {
			if (buf[i - 1] != '\n')
				continue;
			/* the file's own final newline ends a line, it
			   does not start one */
			if (first && pos + (off_t)i == size) {
				first = 0;
				continue;
			}
			if (++seen == n)
				return pos + (off_t)i;
		}
		first = 0;
	}
	return 0;
}

/* The time of the first dated line after the line that holds off (reads
 * at most one block); -1 when none is found there. */
static int64_t time_after(int fd, off_t off, const struct srv_errlog_opts *o)
{
	char *buf = malloc(BLOCK);
	int64_t t = -1;
	ssize_t n;
	char *p, *e, *nl;

	if (!buf)
		return -1;
	n = pread(fd, buf, BLOCK, off);
	if (n <= 0)
		goto out;
	p = buf;
	e = buf + n;
	if (off > 0) { /* skip the partial line */
		nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl)
			goto out;
		p = nl + 1;
	}
	while (p < e && (nl = memchr(p, '\n', (size_t)(e - p)))) {
		struct srv_errlog_event ev;

		if (srv_errlog_line(p, (size_t)(nl - p), &ev) >= 0 &&
		    ev.has_time) {
			t = ev.time_s;
			if (!ev.has_zone)
				t -= o->naive_local ? 0 : o->tz_offset_s;
			break;
		}
		p = nl + 1;
	}
out:
	free(buf);
	return t;
}

/* Bisects on timestamps for the last offset whose next dated line is
 * before since (zoneless stamps compared as UTC when naive_local: a few
 * hours of slack are kept for that). */
static off_t since_start(int fd, off_t size, const struct srv_errlog_opts *o)
{
	int64_t since = o->since_s - (o->naive_local ? 14 * 3600 : 0);
	off_t lo = 0, hi = size;

	while (hi - lo > BLOCK) {
		off_t mid = lo + (hi - lo) / 2;
		int64_t t = time_after(fd, mid, o);

		if (t >= 0 && t < since)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

int srv_errlog_read(const char *path, const struct srv_errlog_opts *o,
		    struct srv_errlog_stats *st, char *err, size_t errlen)
{
	struct feeder f;
	struct stat sb;
	off_t start = 0;
	char *line;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode) && !S_ISFIFO(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	line = malloc(line_cap(o));
	if (!line) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	feeder_init(&f, o, st, line);
	if (S_ISREG(sb.st_mode)) {
		off_t s;

		if (o->tail_bytes && (uint64_t)sb.st_size > o->tail_bytes)
			start = sb.st_size - (off_t)o->tail_bytes;
		if (o->tail_lines) {
			s = tail_lines_start(fd, sb.st_size, o->tail_lines);
			if (s > start)
				start = s;
		}
		if (o->since_s && sb.st_size > (off_t)BISECT_MIN) {
			s = since_start(fd, sb.st_size, o);
			if (s > start)
				start = s;
		}
		if (start > 0) {
			char c;

			/* start inside a line: drop up to its end */
			if (pread(fd, &c, 1, start - 1) != 1 || c != '\n')
				f.skip_partial = 1;
			if (lseek(fd, start, SEEK_SET) < 0) {
				snprintf(err, errlen, "%s: %s", path,
					 strerror(errno));
				goto out;
			}
		}
	}
	if (read_into(fd, &f, 0)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		st->partial = 1;
		goto out;
	}
	rc = 0;
out:
	free(line);
	close(fd);
	return rc;
}

/* ---- journald ---- */

static const char *journalctl_path(const struct srv_errlog_opts *o)
{
	static const char *const paths[] = {"/usr/bin/journalctl",
					    "/bin/journalctl"};
	size_t i;

	if (o->journalctl)
		return o->journalctl;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

int srv_errlog_read_journal(const struct srv_errlog_opts *o,
			    struct srv_errlog_stats *st, char *err,
			    size_t errlen)
{
	const char *prog = journalctl_path(o);
	char since[32], lines[32];
	char *argv[20];
	struct cd_proc proc;
	int status = 0, exited = 0, sig = 0, rc = -1, n = 0, saved;
	int64_t deadline;

	if (!prog) {
		snprintf(err, errlen, "journalctl not found");
		return -1;
	}
	argv[n++] = (char *)"journalctl";
	argv[n++] = (char *)"-u";
	argv[n++] = (char *)"mariadb";
	argv[n++] = (char *)"-u";
	argv[n++] = (char *)"mysql";
	argv[n++] = (char *)"-u";
	argv[n++] = (char *)"mysqld";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"short-iso";
	argv[n++] = (char *)"--no-pager";
	argv[n++] = (char *)"-q";
	if (o->since_s) {
		snprintf(since, sizeof(since), "@%lld", (long long)o->since_s);
		argv[n++] = (char *)"--since";
		argv[n++] = since;
	}
	if (o->tail_lines) {
		snprintf(lines, sizeof(lines), "%llu",
			 (unsigned long long)o->tail_lines);
		argv[n++] = (char *)"-n";
		argv[n++] = lines;
	}
	argv[n] = NULL;

	saved = cd_proc_start(&proc, prog, argv);
	if (saved) {
		snprintf(err, errlen, "%s: %s", prog, strerror(saved));
		return -1;
	}
	deadline = cd_now_ns() +
		   cd_s_to_ns(o->timeout_s > 0 ? o->timeout_s : 30.0);
	if (srv_errlog_read_fd(proc.out_fd, o, st, deadline)) {
		saved = errno;
		st->partial = 1;
		if (saved == ETIMEDOUT)
			snprintf(err, errlen, "%s timed out after %.0f s", prog,
				 o->timeout_s > 0 ? o->timeout_s : 30.0);
		else
			snprintf(err, errlen, "reading %s: %s", prog,
				 strerror(saved));
		cd_proc_finish(&proc, 1, &exited, &status, &sig);
		return -1;
	}
	if (cd_proc_finish(&proc, 0, &exited, &status, &sig)) {
		snprintf(err, errlen, "waitpid: %s", strerror(errno));
		return -1;
	}
	if (exited && status == 0)
		rc = 0;
	else if (exited)
		snprintf(err, errlen, "%s exited with status %d", prog, status);
	else
		snprintf(err, errlen, "%s ended by signal %d", prog, sig);
	return rc;
}

/* ---- where the log is ---- */

static int regular(const char *path)
{
	struct stat sb;

	return !stat(path, &sb) && S_ISREG(sb.st_mode);
}

enum srv_errlog_source srv_errlog_default_path(const char *root,
					       const char *datadir,
					       const char *hostname, char *path,
					       size_t pathlen)
{
	static const char *const files[] = {
		"/var/log/mysql/error.log",	/* Debian, Ubuntu */
		"/var/log/mariadb/mariadb.log", /* RHEL's MariaDB */
		"/var/log/mysqld.log",		/* RHEL's MySQL */
		"/var/log/mysql/mysqld.log",
		"/var/log/mysql.err", /* old Debian */
	};
	static const char *const unitdirs[] = {"/etc/systemd/system",
					       "/lib/systemd/system",
					       "/usr/lib/systemd/system"};
	static const char *const units[] = {"mariadb", "mysql", "mysqld"};
	char host[256], buf[1024];
	size_t i, k;

	if (!root)
		root = "";
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", root, files[i]);
		if (regular(buf)) {
			snprintf(path, pathlen, "%s", buf);
			return SRV_EL_SRC_FILE;
		}
	}
	if (!hostname) {
		if (gethostname(host, sizeof(host)))
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		hostname = host;
	}
	if (hostname[0] && !strchr(hostname, '/')) {
		snprintf(buf, sizeof(buf), "%s%s/%s.err", root,
			 datadir ? datadir : "/var/lib/mysql", hostname);
		if (regular(buf)) {
			snprintf(path, pathlen, "%s", buf);
			return SRV_EL_SRC_FILE;
		}
	}
	for (i = 0; i < sizeof(unitdirs) / sizeof(unitdirs[0]); i++)
		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
			snprintf(buf, sizeof(buf), "%s%s/%s.service", root,
				 unitdirs[i], units[k]);
			if (!access(buf, F_OK)) {
				if (pathlen)
					path[0] = '\0';
				return SRV_EL_SRC_JOURNAL;
			}
		}
	return SRV_EL_SRC_NONE;
}
