/* pcap.h - the renderers of `conndoctor pcap`: for people, a
 * one-line-per-connection table (or, with --conn, one connection's
 * timeline) then the findings (pcap_text.c); for programs, JSON lines
 * (pcap_json.c; RFC 8259 objects, one per line, schema in docs/pcap.md);
 * and one HTML document at the end (pcap_html.c, docs/html.md).
 * Records arrive as the capture engine finishes them, so nothing is held
 * for the end but the findings. */
#ifndef CONNDOCTOR_REPORT_PCAP_H
#define CONNDOCTOR_REPORT_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"
#include "findings/findings.h"
#include "report/report.h"
#include "util/json.h"

struct rpt_pcap_opts {
	FILE *out;
	uint64_t conn_id; /* --conn: that connection's timeline only */
	int color;	  /* ANSI colour in text */
	int line_flush;	  /* JSON: write out every line (live captures) */
};

/* What a renderer keeps between records. Caller-owned: rpt_pcap_init()
 * before the first record, rpt_pcap_free() after the last. */
struct rpt_pcap {
	struct json jo; /* JSON lines */
	struct rpt_pcap_opts o;
	struct rpt_opts style;	    /* colour, for report/'s text helpers */
	const struct cap_totals *t; /* the engine's (borrowed) */
	int header_done;	    /* text: the table's header is out */
	int timeline_head;	    /* text: the --conn header is out */
	int conn_seen;		    /* the --conn connection was rendered */
	uint64_t rows;		    /* text: table rows printed */
	struct rpt_pcap_html *html; /* HTML: what it keeps (pcap_html.c) */
};

/* totals: the engine's, read for the capture's start time and at the end
 * (borrowed for the renderer's life). */
void rpt_pcap_init(struct rpt_pcap *r, const struct rpt_pcap_opts *o,
		   const struct cap_totals *totals);
/* Writes out what is buffered. */
void rpt_pcap_free(struct rpt_pcap *r);

/* One renderer: the front end picks rpt_pcap_text or rpt_pcap_json. */
struct rpt_pcap_renderer {
	/* One input, before its packets. */
	void (*input)(struct rpt_pcap *r, const char *name, int linktype,
		      int snaplen);
	/* A finished connection with its findings. */
	void (*conn)(struct rpt_pcap *r, const struct cap_conn *c,
		     const struct cd_findings *f);
	void (*command)(struct rpt_pcap *r, const struct cap_conn *c,
			const struct cap_cmd *cmd);
	void (*event)(struct rpt_pcap *r, const struct cap_event *e);
	/* The findings over the capture (or over the --conn connection),
	 * the totals, and how the input ended (input_error: its reason, or
	 * NULL). Returns 0, or -1 when the report could not be written. */
	int (*finish)(struct rpt_pcap *r, const struct cd_findings *all,
		      uint64_t drops, const char *input_error, int exit_status);
};

extern const struct rpt_pcap_renderer rpt_pcap_text;
extern const struct rpt_pcap_renderer rpt_pcap_json;
/* One self-contained HTML document (--html FILE), written at finish. */
extern const struct rpt_pcap_renderer rpt_pcap_html;
/* What the HTML renderer keeps; rpt_pcap_free() calls it. */
void rpt_pcap_html_free(struct rpt_pcap *r);

/* A timeline event in words (no time, no direction) into buf: the text
 * renderer's line and the JSON event's "text". */
void rpt_pcap_event_text(const struct cap_event *e, char *buf, size_t len);

#endif /* CONNDOCTOR_REPORT_PCAP_H */
