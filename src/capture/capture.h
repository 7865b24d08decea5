/* capture.h - `conndoctor pcap`: a libpcap source, link/IP/TCP decoding, a
 * TCP flow table with stream reassembly, the MySQL codec used passively
 * over each direction's stream, and rules turning each connection's record
 * into findings (DESIGN.md "Architecture": capture/). The renderers are
 * report/'s (report/pcap.h); the front end is cli/cmd_pcap.c.
 *
 * Data flows one way: cap_source reads packets, cap_decode() turns each into
 * a struct cap_pkt, cap_engine_packet() updates the flow table and the
 * passive MySQL decoder, and the engine hands finished connections and
 * completed commands to a struct cap_sink (the front end's renderer). The
 * engine keeps state for open connections only: a connection is handed out
 * and freed once it has closed (plus a short linger for late segments), so
 * memory follows the number of open connections, not the file size.
 *
 * Times are capture timestamps in microseconds since the epoch.
 */
#ifndef CONNDOCTOR_CAPTURE_CAPTURE_H
#define CONNDOCTOR_CAPTURE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "findings/findings.h"

/* ---- decoded packets ---- */

#define CAP_TH_FIN 0x01
#define CAP_TH_SYN 0x02
#define CAP_TH_RST 0x04
#define CAP_TH_PSH 0x08
#define CAP_TH_ACK 0x10
#define CAP_TH_URG 0x20

struct cap_endpoint {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint16_t port;
};

/* One TCP segment. payload is borrowed from the packet buffer. */
struct cap_pkt {
	int64_t ts_us;
	struct cap_endpoint src, dst;
	uint32_t seq, ack;
	uint8_t flags;	 /* CAP_TH_* */
	uint16_t win;	 /* raw window field (unscaled) */
	uint16_t mss;	 /* MSS option, 0 when absent */
	int16_t wscale;	 /* window scale option, -1 when absent */
	uint32_t len;	 /* TCP payload bytes on the wire (IP lengths) */
	uint32_t caplen; /* of those, bytes captured (< len: snaplen cut) */
	const uint8_t *payload;
};

enum cap_dec_rc {
	CAP_DEC_OK = 0,
	CAP_DEC_OTHER = 1,	/* not TCP over IPv4/IPv6: not ours */
	CAP_DEC_FRAGMENT = 2,	/* an IP fragment: not reassembled */
	CAP_DEC_TRUNCATED = -1, /* headers cut short by the snapshot length */
	CAP_DEC_INVALID = -2	/* headers that cannot be (bad lengths) */
};

/* Decodes one captured frame of link type `linktype` (a DLT_ value as
 * pcap_datalink() returns it). Ethernet (with VLAN/QinQ tags), Linux
 * cooked v1 and v2, raw IP (DLT_RAW, DLT_IPV4, DLT_IPV6), BSD loopback
 * (DLT_NULL, DLT_LOOP). Bounds-checked: never reads past p + caplen. */
enum cap_dec_rc cap_decode(int linktype, const uint8_t *p, size_t caplen,
			   int64_t ts_us, struct cap_pkt *out);

/* 1 when cap_decode() knows the link type. */
int cap_linktype_supported(int linktype);

/* "ethernet", "linux-sll", ...; "dlt-N" into buf for others. */
const char *cap_linktype_name(int linktype, char *buf, size_t len);

/* "10.0.0.1:3306" or "[::1]:3306" into buf. */
const char *cap_endpoint_str(const struct cap_endpoint *e, char *buf,
			     size_t len);

/* ---- what the engine measures about each connection ---- */

enum cap_dir { CAP_C2S = 0, CAP_S2C = 1 };

#define CAP_LADDER_MAX 12

/* Times of a repeated transmission: the first ones kept, all counted. */
struct cap_ladder {
	unsigned n;		       /* transmissions seen */
	int64_t at_us[CAP_LADDER_MAX]; /* the first CAP_LADDER_MAX */
};

/* One direction of a connection (by sender). */
struct cap_dir_stats {
	uint64_t packets;
	uint64_t bytes;		 /* TCP payload bytes, retransmissions too */
	uint32_t retrans;	 /* segments carrying only old data */
	uint32_t ooo;		 /* segments ahead of a hole */
	uint32_t gaps;		 /* holes the capture never filled */
	uint64_t gap_bytes;	 /* bytes in those holes */
	uint32_t truncated;	 /* segments cut by the snapshot length */
	uint32_t zero_windows;	 /* times the window closed to 0 */
	int64_t zero_win_us;	 /* longest time it stayed closed */
	int64_t zero_win_at_us;	 /* when that closing began */
	uint32_t keepalives;	 /* keepalive probes sent */
	uint32_t keepalive_acks; /* probes of the peer answered */
	struct cap_ladder rtx;	 /* longest retransmission episode: the
				    original send, then each resend */
	uint32_t rtx_seq;	 /* relative sequence number it resent */
	int64_t fin_us, rst_us;	 /* first FIN / RST sent, 0 none */
	int64_t last_data_us;	 /* the last new payload byte sent */
};

enum cap_close { CAP_CLOSE_NONE, CAP_CLOSE_FIN, CAP_CLOSE_RST };

/* What happened to a connection's MySQL session. */
enum cap_my_state {
	CAP_MY_UNKNOWN,	   /* capture began mid-session, not yet in sync */
	CAP_MY_GREETING,   /* waiting for the server's greeting */
	CAP_MY_LOGIN,	   /* waiting for the client's login */
	CAP_MY_AUTH,	   /* authentication exchange */
	CAP_MY_READY,	   /* logged in, no command outstanding */
	CAP_MY_RESPONSE,   /* a command waits for its response */
	CAP_MY_BINLOG,	   /* replication: the server streams events */
	CAP_MY_QUIT,	   /* the client sent COM_QUIT */
	CAP_MY_TLS,	   /* encrypted after an SSL request */
	CAP_MY_COMPRESSED, /* compressed protocol: not decoded */
	CAP_MY_FAILED,	   /* refused or login failed: the server ends it */
	CAP_MY_NOT_MYSQL   /* the server's bytes are not MySQL */
};

enum cap_login {
	CAP_LOGIN_NONE,	   /* never got that far */
	CAP_LOGIN_OK,	   /* the server's OK */
	CAP_LOGIN_FAILED,  /* the server's ERR */
	CAP_LOGIN_UNKNOWN, /* encrypted, or not seen */
	CAP_LOGIN_PENDING  /* sent, no answer */
};

/* Protocol anomalies (each kept once: the first of its kind). */
enum cap_anomaly {
	CAP_AN_TEXT,	/* printable text where a frame should start */
	CAP_AN_SEQ,	/* a sequence id out of order */
	CAP_AN_LENGTH,	/* a frame length that cannot be */
	CAP_AN_GARBAGE, /* bytes that do not parse as what must come */
	CAP_AN_INFLATE, /* a compressed packet that does not inflate */
	CAP_AN__COUNT
};

#define CAP_TEXT_MAX  120
#define CAP_NAME_MAX  64
#define CAP_MSG_MAX   192
#define CAP_ARG_MAX   256
#define CAP_ATTRS_MAX 192

struct cap_anomaly_rec {
	unsigned count;
	int dir;		     /* enum cap_dir of the first */
	int64_t at_us;		     /* when the first was seen */
	uint8_t seq_got, seq_want;   /* CAP_AN_SEQ */
	uint32_t length;	     /* CAP_AN_LENGTH: claimed length */
	uint32_t length_seen;	     /* ... and bytes before the peer
					answered */
	uint64_t offset;	     /* CAP_AN_INFLATE: the compressed
					packet's header, bytes into that
					direction's compressed stream */
	char text[CAP_TEXT_MAX + 1]; /* printable bytes (escaped) */
	uint32_t text_len;	     /* printable bytes in the run */
	uint8_t state;		     /* enum cap_my_state at the time */
};

/* An ERR the server sent, copied. */
struct cap_err {
	uint16_t code;
	char sqlstate[6];
	char message[CAP_MSG_MAX];
	int64_t at_us;
};

struct cap_session {
	enum cap_my_state state;
	int64_t greeting_us;	    /* 0: no greeting */
	char version[CAP_NAME_MAX]; /* server version */
	int mariadb;
	uint32_t conn_id; /* server thread id */
	uint32_t server_caps, client_caps;
	char server_plugin[CAP_NAME_MAX];
	int refused; /* ERR in place of a greeting */
	char user[CAP_NAME_MAX], schema[CAP_NAME_MAX];
	char client_plugin[CAP_NAME_MAX];
	char switch_plugin[CAP_NAME_MAX]; /* auth switch to this plugin */
	int64_t login_us; /* the client's login (or SSL request) */
	int64_t auth_us;  /* the server's OK or ERR to it */
	enum cap_login login;
	int tls, compressed;
	uint64_t skipped[2];	/* bytes passed over out of step, by sender
				   (mid-session start, gaps, bad frames) */
	uint8_t compress_algo;	/* enum mysql_comp_algo agreed */
	int compress_inferred;	/* no login seen: told from the frames */
	struct cap_err err;	/* refusal, login failure or the
				   server's error outside a command;
				   code 0: none */
	int has_err1156;	/* ER_NET_PACKETS_OUT_OF_ORDER seen */
	struct cap_err cmd_err; /* the first ERR a command got */
	uint64_t commands, errors, rows;
	int64_t max_resp_us; /* slowest response */
	uint8_t max_resp_cmd;
	char max_resp_arg[CAP_ARG_MAX];
	int64_t last_cmd_end_us; /* end of the last response (or login) */
	int quit;		 /* COM_QUIT sent */
	int64_t quit_us;
	unsigned change_user;
	/* the command outstanding when the connection ended */
	int pending;
	uint8_t pending_cmd;
	char pending_arg[CAP_ARG_MAX];
	int64_t pending_us;
	int64_t local_infile_us; /* the server asked the pending command
				    for its LOAD DATA LOCAL file; 0: no */
	/* replication */
	int binlog;
	uint64_t binlog_events, heartbeats;
	int64_t binlog_max_gap_us;
	int64_t binlog_last_us;
	struct cap_anomaly_rec an[CAP_AN__COUNT];
};

/* One connection (a 4-tuple from its SYN, or from its first segment). */
struct cap_conn {
	uint64_t id; /* 1, 2, ... in order of first packet */
	struct cap_endpoint client, server;
	int roles_from_ports; /* no SYN or SYN-ACK seen */
	int mid_stream;	      /* the capture starts after the SYN */
	int64_t first_us, last_us;
	/* handshake */
	struct cap_ladder syn, synack;
	int64_t hs_ack_us;	   /* the client's ACK of the SYN-ACK */
	unsigned synack_after_ack; /* SYN-ACKs sent after that ACK */
	unsigned syn_after_synack; /* SYNs resent after a SYN-ACK */
	int64_t syn_rst_us;	   /* the SYN answered by RST */
	int established;	   /* both sides completed it */
	/* data phase */
	struct cap_dir_stats dir[2];	     /* by sender */
	int64_t max_idle_us, max_idle_at_us; /* longest silence */
	/* end */
	int closer; /* enum cap_dir, -1: nobody */
	enum cap_close close_how;
	int64_t close_us;
	int64_t idle_before_close_us;  /* silence before the first FIN/RST */
	enum cap_my_state close_state; /* the session's state then */
	int64_t rst_idle_us;	       /* silence before the first RST or the
					  packet it answered */
	int ended_by_capture;	       /* still open when the capture ended
					  (or when it was evicted) */
	int evicted;		       /* handed out early: the flow table
					  was full (--max-flows) */
	struct cap_session my;
};

/* A command and its response. */
enum cap_result {
	CAP_RES_NONE,	    /* no response expected (COM_QUIT, ...) */
	CAP_RES_OK,	    /* OK (or EOF) */
	CAP_RES_ERR,	    /* ERR */
	CAP_RES_ROWS,	    /* a result set */
	CAP_RES_DATA,	    /* another reply (statistics, prepare) */
	CAP_RES_STREAM,	    /* binlog events until the connection ended */
	CAP_RES_UNANSWERED, /* the connection ended first */
	CAP_RES_UNKNOWN	    /* not decodable (gap, bad bytes) */
};

struct cap_cmd {
	uint64_t n;	       /* 1, 2, ... within the connection */
	uint8_t cmd;	       /* command byte */
	char arg[CAP_ARG_MAX]; /* printable argument, escaped, cut */
	uint32_t arg_len;      /* the argument's full length */
	int64_t start_us;      /* the command's first byte */
	int64_t first_us;      /* the response's first byte, 0 none */
	int64_t end_us;	       /* the response's last byte, 0 none */
	enum cap_result result;
	uint64_t rows, affected, insert_id;
	unsigned results; /* result sets and OKs (multi-results) */
	uint16_t warnings;
	struct cap_err err;
	uint64_t resp_bytes; /* response payload bytes */
	/* query attributes (COM_QUERY) or named parameters (COM_STMT_EXECUTE)
	 * with CLIENT_QUERY_ATTRIBUTES: escaped name, NUL, escaped value, NUL,
	 * ... for nattrs pairs (cut at a whole pair); attrs_total were sent */
	char attrs[CAP_ATTRS_MAX];
	uint16_t nattrs, attrs_total;
};

/* The i-th query attribute of c (its name; *value its value, NULL for
 * SQL NULL), or NULL past nattrs. Both borrowed from c. */
const char *cap_attr_at(const struct cap_cmd *c, unsigned i,
			const char **value);

/* Timeline events of a traced connection (--conn). */
enum cap_ev_kind {
	CAP_EV_SEGMENT, /* any segment (verbose) */
	CAP_EV_SYN,	/* i: 1 first, else the resend's number */
	CAP_EV_SYNACK,
	CAP_EV_HS_ACK, /* the client's ACK of the SYN-ACK */
	CAP_EV_FIN,
	CAP_EV_RST,
	CAP_EV_RETRANS, /* i: resend number in its episode */
	CAP_EV_OOO,
	CAP_EV_GAP,	  /* i: bytes the capture missed */
	CAP_EV_TRUNCATED, /* i: bytes cut by the snapshot length */
	CAP_EV_ZERO_WINDOW,
	CAP_EV_WINDOW_OPEN, /* i: microseconds it was closed */
	CAP_EV_KEEPALIVE,
	CAP_EV_IDLE, /* i: microseconds of silence before this */
	CAP_EV_GREETING,
	CAP_EV_REFUSED, /* ERR in place of a greeting */
	CAP_EV_LOGIN,
	CAP_EV_SSL,
	CAP_EV_AUTH_SWITCH,
	CAP_EV_AUTH_MORE,
	CAP_EV_AUTH_OK,
	CAP_EV_AUTH_ERR,
	CAP_EV_COMMAND,	   /* cmd */
	CAP_EV_RESPONSE,   /* cmd with its result */
	CAP_EV_SERVER_ERR, /* an ERR outside a command */
	CAP_EV_ANOMALY,	   /* i: enum cap_anomaly */
	CAP_EV_BINLOG,	   /* i: events, j: heartbeats so far */
	CAP_EV_COMPRESSED, /* i: enum mysql_comp_algo */
	CAP_EV_RESYNC	   /* i: bytes skipped before it in that direction */
};

struct cap_event {
	enum cap_ev_kind kind;
	int64_t ts_us;
	int dir; /* enum cap_dir of the sender */
	int64_t i, j;
	const struct cap_pkt *pkt; /* the segment, when there is one */
	const struct cap_cmd *cmd; /* COMMAND, RESPONSE */
	const struct cap_conn *conn;
	uint32_t rel_seq, rel_ack; /* relative to each side's ISN */
};

/* Where the engine hands its results. Pointers are valid during the call
 * only. Any member may be NULL. */
struct cap_sink {
	void *ud;
	/* a connection has ended (or the capture did); its record is final */
	void (*conn_done)(void *ud, const struct cap_conn *c);
	/* a command's response is complete (or the connection ended) */
	void (*command)(void *ud, const struct cap_conn *c,
			const struct cap_cmd *cmd);
	/* a timeline event of the connection being traced */
	void (*event)(void *ud, const struct cap_event *e);
};

#define CAP_PORTS_MAX 32

struct cap_opts {
	uint16_t ports[CAP_PORTS_MAX]; /* server ports (3306 first) */
	unsigned nports;
	uint64_t trace_id;	/* connection whose events to emit, 0 none */
	int trace_segments;	/* also every segment of it */
	int64_t linger_us;	/* keep a closed flow this long for late
				   segments before handing it out */
	int64_t embryo_idle_us; /* hand out a flow that never completed its
				   handshake after this much silence */
	size_t ooo_max_bytes;	/* out-of-order bytes held per direction */
	size_t ooo_budget;	/* ... and in all flows together */
	size_t frame_keep;	/* bytes of a MySQL frame kept for decoding;
				   the rest of a longer frame is counted */
	size_t max_flows;	/* flows held at most (0: no limit); past
				   it the least recently active embryonic,
				   else open, flow is evicted */
};

/* The default --max-flows: a flow's state is about 4.9 KiB, so 100,000
 * flows take about 490 MiB, well under 1 GiB with buffers in use. */
#define CAP_MAX_FLOWS_DEFAULT 100000
#define CAP_MAX_FLOWS_LIMIT   10000000
/* The default --reassembly-budget (MiB) and its range. */
#define CAP_OOO_BUDGET_MIB_DEFAULT 64
#define CAP_OOO_BUDGET_MIB_MAX	   65536

void cap_opts_init(struct cap_opts *o);

/* Capture-wide counters. */
struct cap_totals {
	uint64_t packets;     /* frames read */
	uint64_t bytes;	      /* their wire lengths */
	uint64_t tcp;	      /* TCP segments decoded */
	uint64_t ours;	      /* ... on a server port */
	uint64_t other;	      /* not TCP/IP */
	uint64_t fragments;   /* IP fragments skipped */
	uint64_t truncated;   /* frames cut by the snapshot length */
	uint64_t bad_headers; /* frames whose headers cannot be */
	uint64_t header_cut;  /* frames cut inside their headers */
	uint64_t bad_time;    /* frames skipped: a timestamp that cannot be */
	uint64_t conns;	      /* connections seen */
	uint64_t open_peak;   /* most flows held at once */
	uint64_t evicted_embryonic; /* handshakes dropped: table full */
	uint64_t evicted_open;	    /* idle connections dropped: table full */
	uint64_t ooo_peak_bytes;    /* most out-of-order bytes held at once */
	uint64_t ooo_budget_gaps;   /* holes given up on: budget reached */
	uint64_t ooo_dropped;	    /* segments not held: budget reached */
	uint64_t ooo_dropped_bytes; /* ... their captured bytes */
	uint64_t commands;
	int64_t first_us, last_us;
};

struct cap_engine;

/* Returns NULL when out of memory. */
struct cap_engine *cap_engine_new(const struct cap_opts *o,
				  const struct cap_sink *sink);
/* Counts a frame read from the source (decoded or not). */
void cap_engine_frame(struct cap_engine *e, int64_t ts_us, uint32_t wire_len,
		      uint32_t caplen, enum cap_dec_rc rc);
/* Counts a frame skipped for a timestamp that cannot be (in place of
 * cap_engine_frame()). */
void cap_engine_bad_time(struct cap_engine *e, uint32_t wire_len);
/* Feeds one decoded segment (after cap_engine_frame()). */
void cap_engine_packet(struct cap_engine *e, const struct cap_pkt *p);
/* Ends every open connection (the capture is over) and hands them out in
 * the order they began. */
void cap_engine_finish(struct cap_engine *e);
const struct cap_totals *cap_engine_totals(const struct cap_engine *e);
/* Flows currently held (open and lingering). */
size_t cap_engine_open(const struct cap_engine *e);
void cap_engine_free(struct cap_engine *e);

/* ---- rules: a connection's record -> findings (pure) ---- */

/* Appends the findings about one connection. Returns 0, or -1 when out of
 * memory. */
int cap_rules_conn(const struct cap_conn *c, struct cd_findings *out);

/* Findings over the whole capture: per code, how many connections, which,
 * and the first one's numbers. */
#define CAP_AGG_IDS 12
struct cap_agg_row {
	struct cd_finding first; /* the first connection's finding */
	enum cd_severity worst;
	uint64_t conns;
	uint64_t ids[CAP_AGG_IDS];
};

struct cap_agg {
	struct cap_agg_row *v;
	size_t n, cap;
};

void cap_agg_init(struct cap_agg *a);
void cap_agg_free(struct cap_agg *a);
/* Adds one connection's findings. Returns 0 or -1 (out of memory). */
int cap_agg_add(struct cap_agg *a, const struct cap_conn *c,
		const struct cd_findings *f);
/* The capture's findings, most severe first. Returns 0 or -1. */
int cap_agg_findings(const struct cap_agg *a, struct cd_findings *out);

/* ---- names shared by the renderers ---- */

const char *cap_state_name(enum cap_my_state s);
const char *cap_login_name(enum cap_login l);
const char *cap_result_name(enum cap_result r);
const char *cap_anomaly_name(enum cap_anomaly a);
const char *cap_close_name(enum cap_close c);
/* "COM_QUERY", or "COM_0x1a" into buf. */
const char *cap_command_name(uint8_t cmd, char *buf, size_t len);
/* One short phrase for how the connection ended ("client FIN after
 * COM_QUIT", "server RST during COM_QUERY", ...) into buf. */
const char *cap_end_phrase(const struct cap_conn *c, char *buf, size_t len);

/* ---- the source: files (pcap, pcapng, "-" for stdin) or live ---- */

struct cap_source;

/* Opens a capture file ("-": standard input). Returns NULL with a reason
 * in err. */
struct cap_source *cap_source_file(const char *path, char *err, size_t errlen);
/* Reads a capture from an open stream (taken over: closed with the
 * source). name is for messages. */
struct cap_source *cap_source_fp(FILE *fp, const char *name, char *err,
				 size_t errlen);
/* Opens a live capture on iface with a BPF filter. */
struct cap_source *cap_source_live(const char *iface, const char *filter,
				   char *err, size_t errlen);
/* Applies a BPF filter to an open source. Returns 0 or -1 with err. */
int cap_source_filter(struct cap_source *s, const char *filter, char *err,
		      size_t errlen);
/* Reads every packet into the engine until the input ends, an error, or
 * cap_source_stop(). Returns 0 at the end of the input, -1 on a read error
 * (err says what; the packets before it were fed). */
int cap_source_run(struct cap_source *s, struct cap_engine *e, char *err,
		   size_t errlen);
/* A progress hook cap_source_run() calls every few thousand frames (and
 * on each read timeout of a live capture); NULL: none. */
void cap_source_set_tick(struct cap_source *s, void (*fn)(void *ud), void *ud);
/* How far a file source has read its file, in bytes; -1 when it cannot
 * tell (live, a pipe). */
int64_t cap_source_offset(const struct cap_source *s);
/* Asks a running source to stop (async-signal-safe flag). */
void cap_source_stop(void);
int cap_source_linktype(const struct cap_source *s);
int cap_source_snaplen(const struct cap_source *s);
/* Packets the kernel dropped (live), or 0. */
uint64_t cap_source_drops(const struct cap_source *s);
void cap_source_close(struct cap_source *s);

#endif /* CONNDOCTOR_CAPTURE_CAPTURE_H */
