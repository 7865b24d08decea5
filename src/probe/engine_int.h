/* engine_int.h - what the event loop (engine.c) and the per-connection MySQL
 * client state machine (client.c) share; private to probe/. */
#ifndef CONNDOCTOR_PROBE_ENGINE_INT_H
#define CONNDOCTOR_PROBE_ENGINE_INT_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#include "mysql/compress.h"
#include "mysql/handshake.h"
#include "mysql/mysql.h"
#include "probe/probe.h"

/* Connection states; each but FREE belongs to one phase. */
enum conn_state {
	C_FREE,
	C_RESOLVING,
	C_CONNECTING,
	C_GREETING,
	C_TLS,
	C_AUTH,
	C_IDLE,
	C_QUERY,
	C_REUSE,   /* --reuse: reset or change user sent, waiting */
	C_CLOSING, /* COM_QUIT sent, waiting for the server's EOF */
	C__COUNT
};

#define CONN_RBUF_MIN 2048
/* The largest packet a connection buffers after login (a row of the
 * probe's result set, an ERR): a longer one ends the attempt as a protocol
 * error. The handshake machine caps the login's packets lower. */
#define CONN_REPLY_MAX (1u << 20)
/* The largest read buffer: one such packet and its frame header. */
#define CONN_RBUF_MAX (CONN_REPLY_MAX + 16)
/* With compression: one compressed packet inflates to at most 16 MiB - 1
 * (its 3-byte length), all of it appended before the packets in it are
 * read, after what the buffer holds already. */
#define CONN_ZRBUF_MAX (CONN_RBUF_MAX + MYSQL_MAX_FRAME)
/* What all connections' read buffers may hold beyond CONN_RBUF_MIN each,
 * together: a hostile server cannot pin CONN_REPLY_MAX times -c. */
#define CONN_RBUF_TOTAL (64u << 20)

struct engine;

struct conn {
	struct engine *eng;
	struct probe_job *job; /* this attempt's configuration, prebuilt */
	void *udata;	       /* the external loop's tag of the attempt */
	int fd;		       /* -1 when closed */
	uint32_t slot;	       /* index in the slab */
	uint32_t gen;	       /* bumped per attempt: stale epoll events lose */
	enum conn_state state;
	uint32_t events;  /* epoll interest registered now */
	size_t heap_idx;  /* position in the timer heap, SIZE_MAX: none */
	int64_t deadline; /* absolute ns of the pending timer */
	int64_t t_start;  /* absolute ns the attempt started */
	int64_t t_phase;  /* absolute ns the current phase started */
	enum cd_phase phase;
	const struct probe_target *target;
	struct cd_attempt at; /* filled in place, copied out at the end */

	uint8_t *rbuf; /* kept across attempts of this slot */
	size_t rlen, rcap;
	const uint8_t *wptr; /* pending bytes (into hs.out or shared) */
	size_t wleft;

	SSL *ssl;
	struct mysql_hs_config hs_cfg; /* this attempt's handshake settings */
	struct mysql_hs hs; /* greeting to login; hs.caps once logged in */
	uint8_t qseq;	    /* the sequence id the next reply must carry */
	int server_eof;	    /* the server closed while we were idle */
	unsigned queries;   /* queries answered on this connection */
	struct mysql_rs rs;
	/* After a login that agreed on compression: the server's stream is
	 * inflated into rbuf, and what the client sends goes out as one
	 * compressed packet per write through zout. NULL: uncompressed. */
	struct mysql_inflater *cz;
	int cz_full; /* inflated bytes did not fit: the attempt ends */
	uint8_t *zout;
	size_t zcap;
	uint8_t *zpend; /* compressed bytes that came with the login's OK,
			   still to inflate (zpend_len of them) */
	size_t zpend_len;
	struct conn *next_free;
};

/* Engine services the client state machine calls. */
void eng_set_state(struct conn *c, enum conn_state s, int line);
#define SET_STATE(c, s) eng_set_state((c), (s), __LINE__)
/* Arms the connection's single timer seconds from now (0: disarm). */
void eng_timer(struct conn *c, double seconds);
/* Sets the epoll interest (EPOLLIN / EPOLLOUT); 0 removes it. Returns 0,
 * or -1 with errno when epoll_ctl refused (the interest is unchanged): the
 * caller ends the attempt as CD_LOCAL_ERROR (client.c's want()). */
__attribute__((warn_unused_result)) int eng_want(struct conn *c,
						 uint32_t events);
/* Ends the attempt with outcome o in the current phase. */
void eng_finish(struct conn *c, enum cd_outcome o, int err);
const struct probe_config *eng_cfg(const struct conn *c);
SSL_CTX *eng_ssl_ctx(struct conn *c);
/* The shared, prebuilt command packet (query or ping). */
void eng_command(struct conn *c, const uint8_t **pkt, size_t *len);
/* Records the server's greeting facts once per run. */
void eng_note_server(struct conn *c, const struct mysql_greeting *g);
int64_t eng_now(const struct conn *c);
/* The bytes all read buffers hold beyond CONN_RBUF_MIN each; the client
 * keeps it as it resizes them (at most CONN_RBUF_TOTAL). */
size_t *eng_rbuf_extra(struct conn *c);

/* Client state machine entry points, called by the engine. */
void client_connected(struct conn *c);
void client_readable(struct conn *c);
void client_writable(struct conn *c);
void client_timeout(struct conn *c);
/* Ends a logged-in connection politely now (COM_QUIT, best effort, no
 * wait for the server's EOF); nothing for one still logging in. */
void client_quit_now(struct conn *c);
/* Frees what compression holds (conn_release, the engine's end). */
void client_release(struct conn *c);

#endif /* CONNDOCTOR_PROBE_ENGINE_INT_H */
