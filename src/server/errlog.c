/* errlog.c - classifies one line of a MySQL or MariaDB error log: the
 * timestamp layouts of MySQL 5.7/8.x (log_timestamps, ISO 8601 with a
 * zone), MariaDB 10.x/11.x and MySQL 5.6 ("%Y-%m-%d %2H:%M:%S"), and the
 * older "%y%m%d %2H:%M:%S"; the journald (short-iso) and syslog wrappers;
 * and the messages of ER_NEW_ABORTING_CONNECTION / ER_ABORTING_USER_
 * CONNECTION (MY-010914), ER_ACCESS_DENIED_ERROR, ER_CON_COUNT_ERROR,
 * ER_HOST_IS_BLOCKED and sql/hostname.cc's resolver warnings. Pure: every
 * read is bounded by the line's length, nothing is allocated. */
#include "server/errlog.h"

#include <string.h>

static const char *const class_names[SRV_EL_NCLASS] = {
	[SRV_EL_OTHER] = "other",
	[SRV_EL_ABORTED_READ_ERROR] = "aborted_read_error",
	[SRV_EL_ABORTED_WRITE_ERROR] = "aborted_write_error",
	[SRV_EL_ABORTED_READ_TIMEOUT] = "aborted_read_timeout",
	[SRV_EL_ABORTED_WRITE_TIMEOUT] = "aborted_write_timeout",
	[SRV_EL_ABORTED_OUT_OF_ORDER] = "aborted_packets_out_of_order",
	[SRV_EL_ABORTED_TOO_LARGE] = "aborted_packet_too_large",
	[SRV_EL_ABORTED_CLOSE_CONN] = "aborted_close_connection",
	[SRV_EL_ABORTED_NO_AUTH] = "aborted_no_auth",
	[SRV_EL_ABORTED_KILLED] = "aborted_killed",
	[SRV_EL_ABORTED_OTHER] = "aborted_other",
	[SRV_EL_ACCESS_DENIED] = "access_denied",
	[SRV_EL_TOO_MANY_CONNECTIONS] = "too_many_connections",
	[SRV_EL_HOST_BLOCKED] = "host_blocked",
	[SRV_EL_IP_NOT_RESOLVED] = "ip_not_resolved",
	[SRV_EL_HOSTNAME_MISMATCH] = "hostname_mismatch",
	[SRV_EL_CONNECTION_KILLED] = "connection_killed",
	[SRV_EL_COULD_NOT_READ] = "could_not_read_packet",
	[SRV_EL_SERVER_START] = "server_start",
	[SRV_EL_SERVER_READY] = "server_ready",
	[SRV_EL_SHUTDOWN_NORMAL] = "shutdown_normal",
	[SRV_EL_SHUTDOWN_COMPLETE] = "shutdown_complete",
	[SRV_EL_CRASH] = "crash",
};

const char *srv_errlog_class_name(enum srv_errlog_class c)
{
	return (unsigned)c < SRV_EL_NCLASS ? class_names[c] : "?";
}

const char *srv_errlog_level_name(enum srv_errlog_level l)
{
	static const char *const names[] = {"none",  "note",   "warning",
					    "error", "system", "other"};

	return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "?";
}

const char *srv_errlog_format_name(enum srv_errlog_format f)
{
	static const char *const names[SRV_EL_NFORMAT] = {
		"bare", "mysql57", "mysql8", "mariadb", "json", "legacy"};

	return (unsigned)f < SRV_EL_NFORMAT ? names[f] : "?";
}

/* ---- bounded text helpers ---- */

/* A span of the line: [p, e). */
struct span {
	const char *p, *e;
};

static size_t span_len(struct span s)
{
	return (size_t)(s.e - s.p);
}

/* First occurrence of needle in [p, e), or NULL. */
static const char *find(const char *p, const char *e, const char *needle)
{
	if (!p || p >= e)
		return NULL;
	return memmem(p, (size_t)(e - p), needle, strlen(needle));
}

static int has(struct span s, const char *needle)
{
	return find(s.p, s.e, needle) != NULL;
}

static int starts(struct span s, const char *prefix)
{
	size_t n = strlen(prefix);

	return span_len(s) >= n && !memcmp(s.p, prefix, n);
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of a valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

size_t srv_errlog_sanitize(char *out, size_t outlen, const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0, n;

	if (!outlen)
		return 0;
	while (i < len && o + 1 < outlen) {
		n = utf8_len(p + i, len - i);
		if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))
			n = 0;
		if (n == 0) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + n + 1 > outlen)
			break; /* never cut a character in two */
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return o;
}

/* The quoted text after `open` in s, up to the first `close` after it. */
static int quoted(struct span s, const char *open, const char *close,
		  struct span *out)
{
	const char *a = find(s.p, s.e, open), *b;

	if (!a)
		return 0;
	a += strlen(open);
	b = find(a, s.e, close);
	if (!b)
		return 0;
	out->p = a;
	out->e = b;
	return 1;
}

static void copy_field(char *dst, size_t dstlen, struct span s)
{
	srv_errlog_sanitize(dst, dstlen, s.p, span_len(s));
}

/* ---- timestamps ---- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (eras of 400 years, March-based years so leap days fall last). */
static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static unsigned days_in_month(int y, unsigned m)
{
	static const unsigned dm[] = {31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* Matches a template at p: 'D' a digit, 'd' a digit or a space (the %2d
 * of MariaDB's hour and syslog's day), '?' 'T' or a space, others
 * literally. Returns 1 on a full match, 0 when the line ends first
 * (truncated), -1 on a mismatch (*at: its offset). */
static int match(const char *p, const char *e, const char *tpl, size_t *at)
{
	size_t i;

	for (i = 0; tpl[i]; i++) {
		char c, t = tpl[i];
		int ok;

		if (p + i >= e) {
			*at = i;
			return 0;
		}
		c = p[i];
		if (t == 'D')
			ok = is_digit(c);
		else if (t == 'd')
			ok = is_digit(c) || c == ' ';
		else if (t == '?')
			ok = c == 'T' || c == ' ';
		else
			ok = c == t;
		if (!ok) {
			*at = i;
			return -1;
		}
	}
	*at = i;
	return 1;
}

/* Value of the n characters at p, spaces read as leading zeros. */
static unsigned num(const char *p, size_t n)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v * 10 + (is_digit(p[i]) ? (unsigned)(p[i] - '0') : 0);
	return v;
}

/* A field of %2d must hold a digit in its last place. */
static int field_ok(const char *p)
{
	return is_digit(p[1]);
}

struct stamp {
	int64_t t;
	int zone;
	int iso_t; /* the date and time were joined by 'T' */
};

static int civil_to_epoch(int y, unsigned mo, unsigned d, unsigned h,
			  unsigned mi, unsigned s, int64_t *t)
{
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
		return -1;
	*t = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 +
	     (int64_t)mi * 60 + s;
	return 0;
}

/* An optional fraction and zone after the seconds at *pp. */
static int frac_zone(const char **pp, const char *e, struct stamp *st)
{
	const char *p = *pp;
	size_t at;
	int r;

	if (p < e && *p == '.') {
		const char *q = ++p;

		while (p < e && is_digit(*p) && p - q < 9)
			p++;
		if (p == q)
			return p >= e ? SRV_EL_TRUNCATED : SRV_EL_INVALID;
	}
	if (p < e && *p == 'Z') {
		st->zone = 1;
		p++;
	} else if (p < e && (*p == '+' || *p == '-')) {
		int sign = *p == '-' ? -1 : 1;
		unsigned hh, mm;

		p++;
		r = match(p, e, "DD:DD", &at);
		if (r == 0)
			return SRV_EL_TRUNCATED;
		if (r == 1) {
			hh = num(p, 2);
			mm = num(p + 3, 2);
			p += 5;
		} else if (at != 2) {
			return SRV_EL_INVALID;
		} else {
			r = match(p, e, "DDDD", &at);
			if (r == 0)
				return SRV_EL_TRUNCATED;
			if (r < 0)
				return SRV_EL_INVALID;
			hh = num(p, 2);
			mm = num(p + 2, 2);
			p += 4;
		}
		if (hh > 14 || mm > 59)
			return SRV_EL_INVALID;
		st->t -= sign * ((int64_t)hh * 3600 + (int64_t)mm * 60);
		st->zone = 1;
	}
	*pp = p;
	return SRV_EL_OK;
}

/* "YYYY-MM-DD[T ]HH:MM:SS[.f][zone]" or "YYYY-MM-DD  H:MM:SS" at *pp.
 * Returns SRV_EL_OK (advanced), SRV_EL_BARE (not a stamp), or a failure. */
static int iso_stamp(const char **pp, const char *e, struct stamp *st)
{
	const char *p = *pp;
	size_t at;
	int r = match(p, e, "DDDD-DD-DD?dD:DD:DD", &at);

	if (r < 0 && at < 5)
		return SRV_EL_BARE;
	if (r == 0)
		return at < 5 ? SRV_EL_BARE : SRV_EL_TRUNCATED;
	if (r < 0 || !field_ok(p + 11))
		return SRV_EL_INVALID;
	memset(st, 0, sizeof(*st));
	st->iso_t = p[10] == 'T';
	if (civil_to_epoch((int)num(p, 4), num(p + 5, 2), num(p + 8, 2),
			   num(p + 11, 2), num(p + 14, 2), num(p + 17, 2),
			   &st->t))
		return SRV_EL_INVALID;
	p += 19;
	r = frac_zone(&p, e, st);
	if (r != SRV_EL_OK)
		return r;
	*pp = p;
	return SRV_EL_OK;
}

/* "YYMMDD HH:MM:SS" (%2d hour) of MySQL <= 5.5 and MariaDB <= 10.0. */
static int legacy_stamp(const char **pp, const char *e, struct stamp *st)
{
	const char *p = *pp;
	size_t at;
	int r = match(p, e, "DDDDDD dD:DD:DD", &at);

	if (at < 7)
		return SRV_EL_BARE;
	if (r == 0)
		return SRV_EL_TRUNCATED;
	if (r < 0 || !field_ok(p + 7))
		return SRV_EL_INVALID;
	memset(st, 0, sizeof(*st));
	if (civil_to_epoch(2000 + (int)num(p, 2), num(p + 2, 2), num(p + 4, 2),
			   num(p + 7, 2), num(p + 10, 2), num(p + 13, 2),
			   &st->t))
		return SRV_EL_INVALID;
	*pp = p + 15;
	return SRV_EL_OK;
}

/* ---- the server's own line ---- */

static enum srv_errlog_level level_of(struct span s)
{
	static const struct {
		const char *name;
		enum srv_errlog_level l;
	} levels[] = {{"note", SRV_EL_LVL_NOTE},
		      {"warning", SRV_EL_LVL_WARNING},
		      {"error", SRV_EL_LVL_ERROR},
		      {"system", SRV_EL_LVL_SYSTEM}};
	size_t i, n = span_len(s);

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strlen(levels[i].name) == n &&
		    !strncasecmp(levels[i].name, s.p, n))
			return levels[i].l;
	return SRV_EL_LVL_OTHER;
}

/* A bracketed word of at most max bytes at *pp: "[Note]". */
static int bracket(const char **pp, const char *e, size_t max, struct span *out)
{
	const char *p = *pp, *q;

	if (p >= e || *p != '[')
		return 0;
	for (q = p + 1; q < e && q - p <= (ptrdiff_t)max; q++)
		if (*q == ']') {
			out->p = p + 1;
			out->e = q;
			*pp = q + 1;
			return 1;
		}
	return 0;
}

static const char *skip_spaces(const char *p, const char *e)
{
	while (p < e && *p == ' ')
		p++;
	return p;
}

/* [Level] [MY-code] [Subsystem] message, each part optional. */
static void level_and_msg(const char *p, const char *e,
			  struct srv_errlog_event *ev)
{
	const char *q;
	struct span w;

	if (bracket(&p, e, 16, &w)) {
		ev->level = level_of(w);
		p = skip_spaces(p, e);
		q = p;
		if (bracket(&q, e, 12, &w) && span_len(w) > 3 &&
		    !memcmp(w.p, "MY-", 3)) {
			copy_field(ev->code, sizeof(ev->code), w);
			ev->format = SRV_EL_FMT_MYSQL8;
			p = skip_spaces(q, e);
			q = p;
			if (bracket(&q, e, 24, &w))
				p = skip_spaces(q, e);
		}
	}
	ev->msg = p;
	ev->msg_len = (size_t)(e - p);
}

/* After the stamp: [thread id] then the level and message. */
static void after_stamp(const char *p, const char *e,
			struct srv_errlog_event *ev)
{
	const char *q;

	p = skip_spaces(p, e);
	/* a thread id: digits then a space (MariaDB 10.2 prints pthread
	   ids, 15 digits; more than 20 cannot be one) */
	for (q = p; q < e && is_digit(*q) && q - p <= 20; q++)
		;
	if (q > p && q < e && *q == ' ' && q - p <= 20) {
		uint64_t v = 0;
		const char *d;
		int ovf = 0;

		for (d = p; d < q; d++) {
			unsigned dig = (unsigned)(*d - '0');

			if (v > (UINT64_MAX - dig) / 10)
				ovf = 1;
			v = v * 10 + dig;
		}
		if (!ovf) {
			ev->has_thread = 1;
			ev->thread_id = v;
			p = skip_spaces(q, e);
		}
	}
	level_and_msg(p, e, ev);
}

/* ---- messages ---- */

/* The host a line names, unless it is MariaDB's placeholder for a client
 * not yet known. */
static void set_host(struct srv_errlog_event *ev, struct span h)
{
	static const char placeholder[] = "connecting host";

	if (span_len(h) == sizeof(placeholder) - 1 &&
	    !memcmp(h.p, placeholder, span_len(h)))
		return;
	copy_field(ev->host, sizeof(ev->host), h);
}

/* Lines of the replica's I/O thread report the other server's refusals
 * ("error connecting to master ... Too many connections"): not ours. */
static int replication_line(struct span m)
{
	return has(m, "Slave") || has(m, "Replica") || has(m, "master") ||
	       has(m, "source '");
}

static enum srv_errlog_class reason_class(struct span r)
{
	static const struct {
		const char *text;
		enum srv_errlog_class c;
	} reasons[] = {
		{"Got an error reading communication packet",
		 SRV_EL_ABORTED_READ_ERROR},
		{"Got an error writing communication packet",
		 SRV_EL_ABORTED_WRITE_ERROR},
		{"Got timeout reading communication packet",
		 SRV_EL_ABORTED_READ_TIMEOUT},
		{"Got timeout writing communication packet",
		 SRV_EL_ABORTED_WRITE_TIMEOUT},
		{"Got packets out of order", SRV_EL_ABORTED_OUT_OF_ORDER},
		{"Got a packet bigger than", SRV_EL_ABORTED_TOO_LARGE},
		{"CLOSE_CONNECTION", SRV_EL_ABORTED_CLOSE_CONN},
		{"without authentication", SRV_EL_ABORTED_NO_AUTH},
		{"KILLED", SRV_EL_ABORTED_KILLED},
		{"Connection was killed", SRV_EL_ABORTED_KILLED},
		{"Too many connections", SRV_EL_TOO_MANY_CONNECTIONS},
		{"is blocked because of many connection errors",
		 SRV_EL_HOST_BLOCKED},
		{"Access denied for user", SRV_EL_ACCESS_DENIED},
	};
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (has(r, reasons[i].text))
			return reasons[i].c;
	return SRV_EL_ABORTED_OTHER;
}

/* "Aborted connection N to db: 'D' user: 'U' host: 'H' (REASON)[.]";
 * the oldest form has no host. */
static void aborted(struct span m, struct srv_errlog_event *ev)
{
	struct span user, host, reason = {m.e, m.e};
	const char *after_user = NULL, *open, *close;

	ev->cls = SRV_EL_ABORTED_OTHER;
	if (quoted(m, "' user: '", "'", &user)) {
		copy_field(ev->user, sizeof(ev->user), user);
		after_user = user.e;
	}
	if (after_user && starts((struct span){after_user, m.e}, "' host: '") &&
	    quoted((struct span){after_user, m.e}, "' host: '", "' (", &host)) {
		set_host(ev, host);
		after_user = host.e;
	}
	/* the reason: from the first "(" after the fields to the last ")" */
	open = find(after_user ? after_user : m.p, m.e, "(");
	close = NULL;
	if (open) {
		const char *q;

		for (q = m.e; q > open; q--)
			if (q[-1] == ')') {
				close = q - 1;
				break;
			}
	}
	if (open && close) {
		reason.p = open + 1;
		reason.e = close;
	} else if (open) {
		reason.p = open + 1; /* cut short: classify what is there */
	}
	ev->cls = reason_class(reason);
	ev->preauth = !strcmp(ev->user, "unauthenticated") ||
		      ev->cls == SRV_EL_ABORTED_NO_AUTH;
	if (ev->cls == SRV_EL_TOO_MANY_CONNECTIONS)
		ev->preauth = 0; /* a full server is not the host's error */
}

static void access_denied(struct span m, struct srv_errlog_event *ev)
{
	struct span user, host;

	ev->cls = SRV_EL_ACCESS_DENIED;
	if (quoted(m, "Access denied for user '", "'@'", &user)) {
		copy_field(ev->user, sizeof(ev->user), user);
		if (quoted((struct span){user.e, m.e}, "'@'", "'", &host))
			set_host(ev, host);
	}
}

static int marker(struct span m, struct srv_errlog_event *ev)
{
	const char *c;

	if (has(m, "starting as process") || starts(m, "Starting MariaDB")) {
		ev->cls = SRV_EL_SERVER_START;
	} else if (has(m, "ready for connections")) {
		ev->cls = SRV_EL_SERVER_READY;
	} else if (has(m, "Normal shutdown") ||
		   has(m, "Received SHUTDOWN from user")) {
		ev->cls = SRV_EL_SHUTDOWN_NORMAL;
	} else if ((c = find(m.p, m.e, ": Shutdown complete")) &&
		   (c + 19 == m.e || c[19] != 'd')) {
		ev->cls = SRV_EL_SHUTDOWN_COMPLETE; /* not InnoDB's
						       "completed;" */
	} else if (has(m, "d got signal ") || has(m, "Assertion failure") ||
		   has(m, "mysqld restarted") || has(m, "got exception")) {
		ev->cls = SRV_EL_CRASH;
	} else {
		return 0;
	}
	return 1;
}

static void classify(struct span m, struct srv_errlog_event *ev)
{
	struct span q, q2;

	ev->cls = SRV_EL_OTHER;
	if (starts(m, "Aborted connection ")) {
		aborted(m, ev);
	} else if (has(m, "Access denied for user '")) {
		if (!replication_line(m))
			access_denied(m, ev);
	} else if (has(m, "Too many connections")) {
		if (!replication_line(m))
			ev->cls = SRV_EL_TOO_MANY_CONNECTIONS;
	} else if (has(m, "is blocked because of many connection errors")) {
		ev->cls = SRV_EL_HOST_BLOCKED;
		if (quoted(m, "Host '", "' is blocked", &q))
			set_host(ev, q);
	} else if (starts(m, "IP address '") && quoted(m, "'", "'", &q)) {
		if (has(m, "could not be resolved")) {
			ev->cls = SRV_EL_IP_NOT_RESOLVED;
			set_host(ev, q);
		} else if (has(m, "which resembles")) {
			ev->cls = SRV_EL_HOSTNAME_MISMATCH;
			set_host(ev, q);
		}
	} else if (starts(m, "Hostname '") &&
		   has(m, "' does not resolve to '")) {
		ev->cls = SRV_EL_HOSTNAME_MISMATCH;
		if (quoted(m, "' does not resolve to '", "'", &q2))
			set_host(ev, q2);
	} else if (starts(m, "Host name '") &&
		   has(m, "could not be resolved") && quoted(m, "'", "'", &q)) {
		ev->cls = SRV_EL_HOSTNAME_MISMATCH;
		set_host(ev, q);
	} else if (has(m, "Got packets out of order")) {
		ev->cls = SRV_EL_ABORTED_OUT_OF_ORDER; /* MariaDB's own line
							  for it */
	} else if (has(m, "Connection was killed")) {
		ev->cls = SRV_EL_CONNECTION_KILLED;
	} else if (starts(m, "Could not read packet:")) {
		ev->cls = SRV_EL_COULD_NOT_READ;
	} else {
		marker(m, ev);
	}
}

/* ---- wrappers ---- */

/* "HOST IDENT[PID]: " or "HOST IDENT: " at p; returns the text after. */
static const char *wrapper_tail(const char *p, const char *e)
{
	const char *q = p, *host_end;

	while (q < e && *q != ' ')
		q++;
	if (q == p || q >= e)
		return NULL;
	host_end = q;
	q++;
	p = q;
	/* the ident: no spaces, ends with ':' then a space or the end */
	while (q < e && *q != ' ' && *q != ':')
		q++;
	if (q == p || q >= e || *q != ':' || host_end == p)
		return NULL;
	q++;
	if (q < e && *q == ' ')
		q++;
	return q;
}

static int month_of(const char *p)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int i;

	for (i = 0; i < 12; i++)
		if (!memcmp(months + 3 * i, p, 3))
			return i + 1;
	return 0;
}

/* The server line proper, from p: its stamp, then what follows. */
static int server_line(const char *p, const char *e,
		       struct srv_errlog_event *ev)
{
	struct stamp st;
	const char *q = p;
	int r = iso_stamp(&q, e, &st);

	if (r == SRV_EL_OK) {
		ev->format = st.iso_t ? SRV_EL_FMT_MYSQL57 : SRV_EL_FMT_MARIADB;
	} else if (r == SRV_EL_BARE) {
		r = legacy_stamp(&q, e, &st);
		if (r == SRV_EL_OK)
			ev->format = SRV_EL_FMT_LEGACY;
	}
	if (r == SRV_EL_BARE) {
		/* no stamp (syslog's mysqld with --syslog, stderr noise):
		   still a [Level] and the message */
		ev->format = SRV_EL_FMT_BARE;
		level_and_msg(p, e, ev);
		ev->format = SRV_EL_FMT_BARE;
		return SRV_EL_BARE;
	}
	if (r != SRV_EL_OK)
		return r;
	if (q < e && *q != ' ')
		return SRV_EL_INVALID; /* e.g. a stamp glued to a word */
	ev->has_time = 1;
	ev->has_zone = st.zone;
	ev->time_s = st.t;
	after_stamp(q, e, ev);
	return SRV_EL_OK;
}

/* The value of member key of the JSON object in [p, e): a string's bytes
 * between its quotes (escapes as they are) or a number's digits. 0 when
 * absent. A key inside a string value is escaped (\"key\"): skipped. */
static int json_member(const char *p, const char *e, const char *key,
		       struct span *out)
{
	char needle[24];
	const char *q = p, *v;
	size_t n = strlen(key) + 2;

	if (n >= sizeof(needle))
		return 0;
	needle[0] = '"';
	memcpy(needle + 1, key, n - 2);
	needle[n - 1] = '"';
	needle[n] = '\0';
	while ((q = find(q, e, needle)) != NULL) {
		v = skip_spaces(q + n, e);
		if ((q > p && q[-1] == '\\') || v >= e || *v != ':') {
			q += n;
			continue;
		}
		v = skip_spaces(v + 1, e);
		if (v < e && *v == '"') {
			const char *s = ++v;

			while (v < e && *v != '"')
				v += (*v == '\\' && v + 1 < e) ? 2 : 1;
			if (v >= e)
				return 0; /* unterminated */
			*out = (struct span){s, v};
			return 1;
		}
		out->p = v;
		while (v < e && is_digit(*v))
			v++;
		out->e = v;
		return v > out->p;
	}
	return 0;
}

/* A line of MySQL 8's JSON error log (log_sink_json, "Error Log Output
 * Format": one object per line). */
static int json_line(const char *p, const char *e, struct srv_errlog_event *ev)
{
	struct span s;
	struct stamp st;
	const char *q;
	int r = SRV_EL_BARE;

	ev->format = SRV_EL_FMT_JSON;
	if (json_member(p, e, "time", &s)) {
		q = s.p;
		r = iso_stamp(&q, s.e, &st);
		if (r < 0)
			return r;
		if (r == SRV_EL_OK) {
			ev->has_time = 1;
			ev->has_zone = st.zone;
			ev->time_s = st.t;
		}
	}
	if (json_member(p, e, "thread", &s) && span_len(s) <= 9) {
		ev->has_thread = 1;
		ev->thread_id = num(s.p, span_len(s));
	}
	if (json_member(p, e, "label", &s))
		ev->level = level_of(s);
	if (json_member(p, e, "err_code", &s) && span_len(s) <= 6) {
		/* "MY-" and six digits, as the text format prints it */
		size_t k = span_len(s);

		memcpy(ev->code, "MY-000000", 10);
		memcpy(ev->code + 9 - k, s.p, k);
	}
	if (json_member(p, e, "msg", &s)) {
		ev->msg = s.p;
		ev->msg_len = span_len(s);
	} else {
		ev->msg = e;
		ev->msg_len = 0;
	}
	return r;
}

int srv_errlog_line(const char *line, size_t len, struct srv_errlog_event *ev)
{
	struct srv_errlog_event x;
	const char *p = line, *e = line + len, *q, *inner;
	struct stamp st;
	size_t at;
	int r;

	if (!line)
		return SRV_EL_INVALID;
	if (e > p && e[-1] == '\r')
		e--;
	memset(&x, 0, sizeof(x));

	/* journalctl -o short-iso: a zoned ISO stamp without a fraction,
	   then HOST IDENT[PID]: — told from MySQL 5.7's own zoned stamp by
	   what follows (a thread id and a [Level] there) */
	q = p;
	if (match(p, e, "DDDD-DD-DDTDD:DD:DD", &at) == 1 &&
	    iso_stamp(&q, e, &st) == SRV_EL_OK && st.zone && q < e &&
	    *q == ' ' && (inner = wrapper_tail(q + 1, e)) != NULL) {
		r = server_line(inner, e, &x);
		if (r < 0) { /* text that is not a server line: the text */
			memset(&x, 0, sizeof(x));
			level_and_msg(inner, e, &x);
			x.format = SRV_EL_FMT_BARE;
		}
		x.wrap = SRV_EL_WRAP_JOURNAL;
		x.has_time = 1; /* the journal's stamp has a zone: use it */
		x.has_zone = 1;
		x.time_s = st.t;
		classify((struct span){x.msg, x.msg + x.msg_len}, &x);
		*ev = x;
		return SRV_EL_OK;
	}

	/* syslog: "Mon DD HH:MM:SS HOST IDENT[PID]: " (no year, no zone) */
	if (e - p >= 16 && month_of(p) &&
	    match(p + 3, e, " dD DD:DD:DD ", &at) == 1 &&
	    (inner = wrapper_tail(p + 16, e)) != NULL) {
		r = server_line(inner, e, &x);
		if (r < 0) {
			memset(&x, 0, sizeof(x));
			level_and_msg(inner, e, &x);
			x.format = SRV_EL_FMT_BARE;
			r = SRV_EL_BARE;
		}
		x.wrap = SRV_EL_WRAP_SYSLOG;
		classify((struct span){x.msg, x.msg + x.msg_len}, &x);
		*ev = x;
		return r;
	}

	if (p < e && *p == '{')
		r = json_line(p, e, &x);
	else
		r = server_line(p, e, &x);
	if (r < 0)
		return r;
	classify((struct span){x.msg, x.msg + x.msg_len}, &x);
	*ev = x;
	return r;
}
