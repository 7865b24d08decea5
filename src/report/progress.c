/* progress.c - the status line of long work on stderr: "\r", the text cut
 * to the terminal's width, then "\033[K" (erase to the end of the line, ECMA-48
 * EL), so each redraw replaces the last; cleared with "\r\033[K". */
#include "report/progress.h"

#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/clock.h"

#define LINE_MAX_ 512
#define SHOWN	  3 /* failure classes named in the line */

int rpt_progress_wanted(int force, int quiet, int machine_output, int is_tty)
{
	if (force)
		return 1;
	return is_tty && !quiet && !machine_output;
}

void rpt_progress_init(struct rpt_progress *p, FILE *out, int on)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->on = on;
	p->t0_ns = cd_now_ns();
}

/* Appends to buf at *used, as snprintf would, never past len. */
__attribute__((format(printf, 4, 5))) static void
add(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used + 1 >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += (size_t)n < len - *used ? (size_t)n : len - *used - 1;
}

/* ", ~N s left" from what is done of total so far, or a duration. */
static void left(char *buf, size_t len, size_t *used, double done, double total,
		 double elapsed_s, double duration_s)
{
	double l = -1;

	if (total > 0 && done > 0 && done <= total)
		l = elapsed_s * (total - done) / done;
	else if (duration_s > 0)
		l = duration_s > elapsed_s ? duration_s - elapsed_s : 0;
	if (l >= 0)
		add(buf, len, used, ", ~%.0f s left", l);
}

char *rpt_progress_probe_line(char *buf, size_t len,
			      const struct rpt_progress *p, unsigned in_flight,
			      unsigned level, double elapsed_s)
{
	uint64_t done = 0, failed = 0;
	int shown[CD_OUTCOME__COUNT] = {0};
	size_t used = 0;
	int o, k;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (o = 0; o < CD_OUTCOME__COUNT; o++)
		done += p->by[o];
	failed = done - p->by[CD_OK];
	add(buf, len, &used, "probe %llu", (unsigned long long)done);
	if (p->total)
		add(buf, len, &used, "/%llu", (unsigned long long)p->total);
	add(buf, len, &used, ": %llu ok, %llu failed",
	    (unsigned long long)p->by[CD_OK], (unsigned long long)failed);
	/* The most frequent failure classes, by their stable tokens. */
	for (k = 0; k < SHOWN; k++) {
		int best = -1;

		for (o = 1; o < CD_OUTCOME__COUNT; o++)
			if (p->by[o] && !shown[o] &&
			    (best < 0 || p->by[o] > p->by[best]))
				best = o;
		if (best < 0)
			break;
		shown[best] = 1;
		add(buf, len, &used, "%s%llu %s", k ? ", " : " (",
		    (unsigned long long)p->by[best],
		    cd_outcome_name((enum cd_outcome)best));
	}
	if (failed)
		add(buf, len, &used, ")");
	add(buf, len, &used, " | %u in flight", in_flight);
	if (p->ramp)
		add(buf, len, &used, " | level %u", level);
	add(buf, len, &used, " | %.1f s", elapsed_s);
	left(buf, len, &used, (double)done, (double)p->total, elapsed_s,
	     p->duration_s);
	return buf;
}

char *rpt_progress_bytes_line(char *buf, size_t len, uint64_t done,
			      uint64_t size, uint64_t open, double elapsed_s)
{
	const double mb = 1e6;
	size_t used = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	add(buf, len, &used, "pcap: %.1f", (double)done / mb);
	if (size)
		add(buf, len, &used, " of %.1f MB (%.0f%%)", (double)size / mb,
		    done <= size ? 100.0 * (double)done / (double)size : 100.0);
	else
		add(buf, len, &used, " MB");
	if (elapsed_s > 0)
		add(buf, len, &used, ", %.1f MB/s",
		    (double)done / mb / elapsed_s);
	add(buf, len, &used, ", %llu connections open",
	    (unsigned long long)open);
	if (size)
		left(buf, len, &used, (double)done, (double)size, elapsed_s, 0);
	return buf;
}

char *rpt_progress_trace_line(char *buf, size_t len,
			      const struct rpt_trace_counts *c,
			      double duration_s, double elapsed_s)
{
	size_t used = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	add(buf, len, &used, "trace: %.1f of %.1f s | %llu connections",
	    elapsed_s, duration_s, (unsigned long long)c->connections);
	add(buf, len, &used, ", %llu failed, %llu retransmits",
	    (unsigned long long)c->failed, (unsigned long long)c->retransmits);
	add(buf, len, &used, ", %llu resets, %llu drops",
	    (unsigned long long)c->resets, (unsigned long long)c->drops);
	left(buf, len, &used, 0, 0, elapsed_s, duration_s);
	return buf;
}

/* The terminal's width; no limit off a terminal (--progress on a pipe). */
static size_t width(FILE *out)
{
	struct winsize ws;

	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		return ws.ws_col;
	return LINE_MAX_;
}

/* Whether a redraw is due (and marks it done). */
static int due(struct rpt_progress *p, double *elapsed_s)
{
	int64_t now = cd_now_ns();

	if (!p->on || (p->last_ns && now - p->last_ns < RPT_PROGRESS_EVERY_NS))
		return 0;
	/* Work shorter than a redraw period shows no line at all. */
	if (now - p->t0_ns < RPT_PROGRESS_EVERY_NS)
		return 0;
	p->last_ns = now;
	*elapsed_s = (double)(now - p->t0_ns) / 1e9;
	return 1;
}

static void draw(struct rpt_progress *p, const char *line)
{
	size_t w = width(p->out) - 1; /* the cursor stays on the line */

	fprintf(p->out, "\r%.*s\033[K",
		(int)(strlen(line) < w ? strlen(line) : w), line);
	fflush(p->out);
	p->drawn = 1;
}

void rpt_progress_probe(struct rpt_progress *p, const struct probe_result *res,
			unsigned in_flight, unsigned level)
{
	char line[LINE_MAX_];
	double elapsed_s;

	if (!p->on)
		return;
	/* From the tally: it counts every attempt, the records only those
	 * kept (a long --duration run keeps a sample). */
	memcpy(p->by, res->tally.by_class, sizeof(p->by));
	if (!due(p, &elapsed_s))
		return;
	draw(p, rpt_progress_probe_line(line, sizeof(line), p, in_flight, level,
					elapsed_s));
}

void rpt_progress_bytes(struct rpt_progress *p, uint64_t done, uint64_t size,
			uint64_t open)
{
	char line[LINE_MAX_];
	double elapsed_s;

	if (!due(p, &elapsed_s))
		return;
	draw(p, rpt_progress_bytes_line(line, sizeof(line), done, size, open,
					elapsed_s));
}

void rpt_progress_trace(struct rpt_progress *p,
			const struct rpt_trace_counts *c, double duration_s)
{
	char line[LINE_MAX_];
	double elapsed_s;

	if (!due(p, &elapsed_s))
		return;
	draw(p, rpt_progress_trace_line(line, sizeof(line), c, duration_s,
					elapsed_s));
}

void rpt_progress_clear(struct rpt_progress *p)
{
	if (!p->on || !p->drawn)
		return;
	fputs("\r\033[K", p->out);
	fflush(p->out);
	p->drawn = 0;
}
