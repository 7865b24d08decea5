/* cap_int.h - private to capture/: the engine's per-flow state (TCP
 * reassembly of each direction, the MySQL framer and the passive decoder)
 * shared by flow.c and mysql.c. Nothing outside capture/ includes it. */
#ifndef CONNDOCTOR_CAPTURE_CAP_INT_H
#define CONNDOCTOR_CAPTURE_CAP_INT_H

#include "capture/capture.h"
#include "mysql/compress.h"
#include "mysql/mysql.h"

/* An out-of-order segment held until the hole before it fills. */
struct cap_seg {
	struct cap_seg *next;
	uint32_t seq;	 /* first byte */
	uint32_t len;	 /* bytes on the wire */
	uint32_t caplen; /* bytes held in data (< len: snaplen cut) */
	int64_t ts_us;
	uint8_t data[];
};

/* Cuts one direction's byte stream into MySQL frames (3-byte length,
 * sequence id). A frame that arrives whole in one segment is decoded where
 * it lies; one split over segments is gathered in buf, up to the engine's
 * frame_keep bytes (the rest of a longer frame is only counted). */
struct cap_framer {
	uint8_t hdr[MYSQL_HEADER_LEN];
	uint8_t hdr_have;
	uint8_t seq;
	uint8_t lost;	 /* out of step: waits for a frame start at a
			    segment boundary */
	uint8_t off;	 /* not decoded any more (TLS, compression, ...) */
	uint8_t damaged; /* the capture missed bytes of the kept part */
	uint8_t cont;	 /* the previous frame was 16 MiB - 1: this one
			    continues its packet */
	uint8_t is_cont; /* the frame being read is such a continuation */
	uint32_t len;	 /* payload length of the frame being read */
	uint32_t got;	 /* payload bytes of it consumed so far */
	uint8_t *buf;
	uint32_t kept, buf_cap;
	int64_t start_us; /* when its first byte arrived */
};

#define CAP_RECENT 8

/* One direction's reassembly (by sender). */
struct cap_half {
	int seq_known; /* next and isn are set */
	int syn_seen;
	uint32_t isn;	  /* base of relative sequence numbers */
	uint32_t next;	  /* next in-order sequence number */
	int fin;	  /* a FIN was sent */
	int fin_acked;	  /* ... and the peer acknowledged it */
	uint32_t fin_seq; /* its sequence number */
	struct cap_seg *ooo;
	size_t ooo_bytes;
	int win_known;
	uint16_t win;
	int64_t zero_since; /* the window is 0 since then, or 0 */
	int ka_pending;	    /* a keepalive probe waits for its answer */
	struct {
		uint32_t seq, end;
		int64_t ts_us;
	} recent[CAP_RECENT]; /* the last new segments, for resend ladders */
	unsigned recent_i;
	uint32_t ep_seq; /* retransmission episode in progress */
	struct cap_ladder ep;
	struct cap_framer fr;
	struct mysql_inflater *cz; /* compressed protocol: the framer reads
				      what this inflates (inflate.c) */
	int cz_wait; /* compression inferred mid-session: this direction
			waits for a segment that starts a compressed packet */
};

/* How a response is read. */
enum cap_rk {
	CAP_RK_TEXT,	/* COM_QUERY: the codec's mysql_rs */
	CAP_RK_BINARY,	/* COM_STMT_EXECUTE: binary rows */
	CAP_RK_FIELDS,	/* COM_FIELD_LIST: column definitions, EOF */
	CAP_RK_PREPARE, /* COM_STMT_PREPARE: OK, params, columns */
	CAP_RK_SIMPLE	/* one packet: OK, ERR, EOF or data */
};

/* The generic result reader for binary result sets, field lists and
 * prepare responses (mysql_rs reads text result sets). */
enum cap_gs { CAP_GS_FIRST, CAP_GS_COLS, CAP_GS_COLEOF, CAP_GS_ROWS };

struct cap_mydec {
	uint8_t expect;	       /* sequence id the next packet should carry */
	uint32_t caps;	       /* capabilities both sides agreed on */
	uint32_t mariadb_caps; /* MariaDB's extended ones, agreed */
	int cmd_active;	       /* cmd waits for (the rest of) its response */
	int server_resync;     /* the server side may resync at its next
				  segment (a command was just sent) */
	struct cap_cmd cmd;
	enum cap_rk rk;
	struct mysql_rs rs;
	enum cap_gs gs;
	uint64_t g_left; /* packets left in this part */
	uint64_t ncmd;
	/* the last prepared statements' parameter counts, for the named
	 * parameters of COM_STMT_EXECUTE (query attributes) */
	struct {
		uint32_t id;
		uint16_t params;
		uint8_t used;
	} stmts[4];
	uint8_t stmt_next;
	uint8_t guess;	      /* mid-session without a greeting: which */
	uint8_t guess_locked; /* ... result-set capabilities are tried,
				 and whether a result set confirmed them */
	uint64_t skip_run[2]; /* bytes skipped since each side was last in
				 step */
};

enum cap_list { CAP_L_NONE, CAP_L_EMBRYO, CAP_L_OPEN, CAP_L_CLOSING };

struct cap_flow {
	struct cap_flow *hnext;	      /* hash chain */
	struct cap_flow *prev, *next; /* in list `list` */
	enum cap_list list;
	uint64_t hash;
	int closed;
	int64_t closed_us;
	int traced;
	int64_t gap_before_last_us; /* silence before the last packet */
	int64_t last_data_us;	    /* last payload, either way */
	struct cap_half half[2];    /* by sender */
	struct cap_mydec dec;
	struct cap_conn rec;
};

/* Emits a timeline event when f is the traced connection. */
void cap_emit(struct cap_engine *e, struct cap_flow *f, enum cap_ev_kind k,
	      int dir, int64_t ts_us, int64_t i, int64_t j,
	      const struct cap_cmd *cmd);

/* Hands a completed command to the sink. */
void cap_emit_command(struct cap_engine *e, struct cap_flow *f,
		      const struct cap_cmd *cmd);

/* The engine's frame_keep. */
size_t cap_engine_keep(const struct cap_engine *e);

/* ---- the passive MySQL decoder (mysql.c) ---- */

struct mysql_qattrs;
/* Copies q's attributes (named_only: those with a name) into c (attrs.c). */
void cap_attrs_fill(struct cap_cmd *c, const struct mysql_qattrs *q,
		    int named_only);

/* Starts a flow's session: at the greeting, or out of step (mid-stream). */
void cap_my_init(struct cap_flow *f, int mid_stream);
/* In-order stream bytes of direction dir; seg_start: p is where a
 * segment's payload begins (a place a frame may start). */
void cap_my_data(struct cap_engine *e, struct cap_flow *f, int dir,
		 const uint8_t *p, size_t n, int64_t ts_us, int seg_start);
/* n bytes of direction dir that the capture missed. */
void cap_my_gap(struct cap_engine *e, struct cap_flow *f, int dir, uint64_t n,
		int64_t ts_us);
/* Plain MySQL frames of direction dir (what cap_my_data() reads, or what
 * the inflater made of compressed packets). */
void cap_my_plain(struct cap_engine *e, struct cap_flow *f, int dir,
		  const uint8_t *p, size_t n, int64_t ts_us, int seg_start);
/* The first anomaly of kind k is recorded and returned; later ones are
 * counted (NULL). */
struct cap_anomaly_rec *cap_my_anomaly(struct cap_flow *f, enum cap_anomaly k,
				       int dir, int64_t ts);

/* ---- getting in step mid-session (midstream.c) ---- */

/* Does a segment starting at p (n bytes) start with the server's greeting,
 * the client's login, or a command with a length it can have? */
int cap_mid_greeting(const uint8_t *p, size_t n);
int cap_mid_login(const uint8_t *p, size_t n);
int cap_mid_command(const uint8_t *p, size_t n);
/* When both ports are server ports: do a mid-session flow's first bytes
 * come from the server (a greeting, or a frame that is neither a command
 * nor a login and carries a sequence id past 0, as responses do)? */
int cap_mid_sender_is_server(const uint8_t *p, size_t n);
/* Does a segment from dir start with a compressed packet (MySQL
 * "Compression": the 7-byte header, then a zlib stream (0x78 and a valid
 * FCHECK) or a zstd frame (its magic) of raw_len > 0 bytes)? The client's
 * carries compressed sequence id 0 (a command starts the exchange). With
 * stored, a stored packet (raw_len 0) holding a whole packet counts too: a
 * command from the client, a reply from the server (no algorithm to tell,
 * so never the first evidence). Returns the
 * algorithm (MYSQL_COMP_ZLIB/ZSTD), 3 for a stored packet, 0: none. */
#define CAP_MID_STORED 3
int cap_mid_compressed(const uint8_t *p, size_t n, int dir, int stored);
/* MySQL 8's CLIENT_OPTIONAL_RESULTSET_METADATA, which is how the codec is
 * told of MariaDB's cache metadata too. */
#define CAP_OPTIONAL_METADATA 0x02000000u
/* The result-set capabilities a text result set's packet shows. */
void cap_mid_guess_text(uint32_t *caps, struct mysql_rs *rs, const uint8_t *p,
			size_t n);

/* ---- the compressed protocol (inflate.c) ---- */

/* Both directions are compressed from their next byte on. Returns 0, or
 * -1 when an inflater could not be had (the session is then not decoded
 * further). */
int cap_cz_start(struct cap_flow *f, enum mysql_comp_algo algo);
/* Compressed stream bytes of direction dir. */
void cap_cz_data(struct cap_engine *e, struct cap_flow *f, int dir,
		 const uint8_t *p, size_t n, int64_t ts_us);
void cap_cz_free(struct cap_flow *f);

/* The connection is over: settles the command outstanding. */
void cap_my_end(struct cap_engine *e, struct cap_flow *f);
void cap_my_free(struct cap_flow *f);

#endif /* CONNDOCTOR_CAPTURE_CAP_INT_H */
