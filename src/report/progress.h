/* progress.h - the status line of long work (probe, diagnose, pcap): one
 * line on stderr, redrawn in place at most 10 times a second and erased
 * before the report; fed by the engines' hooks (probe_config.tick,
 * cap_source_set_tick(), trace's poll loop). The lines themselves are pure
 * functions. */
#ifndef CONNDOCTOR_REPORT_PROGRESS_H
#define CONNDOCTOR_REPORT_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "probe/probe.h"

/* Redraws at most this often: 10 a second. */
#define RPT_PROGRESS_EVERY_NS (100 * 1000 * 1000LL)

struct rpt_progress {
	FILE *out;
	int on;		 /* 0: every call does nothing */
	int drawn;	 /* a line is on the terminal now */
	int64_t t0_ns;	 /* when the work began (monotonic) */
	int64_t last_ns; /* the last redraw */
	/* probe */
	uint64_t total;	   /* attempts planned, 0: unknown */
	double duration_s; /* --duration bound, 0: none */
	int ramp;	   /* show the concurrency level */
	uint64_t by[CD_OUTCOME__COUNT];
};

/* Whether the status line is shown: forced by --progress, else on a
 * terminal unless the output is for a machine (--json, --nagios) or
 * --quiet was given. Pure. */
int rpt_progress_wanted(int force, int quiet, int machine_output, int is_tty);

/* Starts p (now is the start); off when on is 0. */
void rpt_progress_init(struct rpt_progress *p, FILE *out, int on);

/* The probe's line: "probe 37/100: 30 ok, 7 failed (5 refused, 2
 * connect_timeout) | 4 in flight | level 8 | 12.3 s, ~20 s left". Writes
 * at most len - 1 bytes into buf; returns buf. */
char *rpt_progress_probe_line(char *buf, size_t len,
			      const struct rpt_progress *p, unsigned in_flight,
			      unsigned level, double elapsed_s);
/* pcap's line: "pcap: 120.0 of 480.0 MB (25%), 300.0 MB/s, 1234
 * connections open, ~1.2 s left"; size 0: unknown (standard input). */
char *rpt_progress_bytes_line(char *buf, size_t len, uint64_t done,
			      uint64_t size, uint64_t open, double elapsed_s);

/* What trace has counted so far, for its line. */
struct rpt_trace_counts {
	uint64_t connections; /* connected + accepted */
	uint64_t failed;      /* ended before ESTABLISHED */
	uint64_t retransmits; /* SYN, SYN-ACK and data */
	uint64_t resets;      /* sent and received */
	uint64_t drops;
};

/* trace's line: "trace: 12.3 of 30.0 s | 120 connections, 3 failed, 2
 * retransmits, 1 reset, 5 drops | ~18 s left". */
char *rpt_progress_trace_line(char *buf, size_t len,
			      const struct rpt_trace_counts *c,
			      double duration_s, double elapsed_s);

/* The probe engine's hook: counts the attempts res gained and redraws
 * when the last redraw is RPT_PROGRESS_EVERY_NS old. */
void rpt_progress_probe(struct rpt_progress *p, const struct probe_result *res,
			unsigned in_flight, unsigned level);
/* The capture's hook: bytes read of size, flows open. */
void rpt_progress_bytes(struct rpt_progress *p, uint64_t done, uint64_t size,
			uint64_t open);
/* trace's poll: what it counted so far, out of duration_s. */
void rpt_progress_trace(struct rpt_progress *p,
			const struct rpt_trace_counts *c, double duration_s);
/* Erases the line, if one is shown (before anything else is written to
 * the terminal). The next hook call draws it again. */
void rpt_progress_clear(struct rpt_progress *p);

#endif /* CONNDOCTOR_REPORT_PROGRESS_H */
