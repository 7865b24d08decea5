/* session.h - a small blocking MySQL client for the read-only server audit:
 * log in, run a query, collect its rows as strings, quit. It logs in through
 * the probe's handshake machine (mysql/handshake.c) with the probe's
 * settings (TLS, RSA key, timeouts), and every phase has a deadline for the
 * whole phase, not per read: a server that drips a byte at a time cannot
 * stretch it. */
#ifndef CONNDOCTOR_SERVER_SESSION_H
#define CONNDOCTOR_SERVER_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "probe/probe.h"

struct ssl_st;

struct srv_session {
	int fd;
	struct ssl_ctx_st *ssl_ctx; /* made when TLS is asked for */
	struct ssl_st *ssl;	    /* TLS once the handshake set it up */
	uint32_t caps;
	uint8_t seq; /* the sequence id the server's next packet carries */
	char version[64];
	int is_mariadb;
	uint32_t conn_id;
	char tls_version[16]; /* "TLSv1.3", "" without TLS */
	/* Each phase's timeout (connect, greeting, tls, auth, query; 10 s
	 * where the configuration has none), and the absolute monotonic ns
	 * the current one ends at. */
	double timeout_s[CD_PH__COUNT];
	int64_t deadline;
	enum cd_phase phase;
	enum cd_outcome outcome; /* the class of the last failure */
	uint16_t err_code;	 /* the server's ERR code at login, 0 none */
	int logged_in;		 /* srv_close() says COM_QUIT */
	uint8_t *buf;		 /* read buffer */
	size_t len, cap;
	size_t consumed; /* bytes of the last packet, dropped on the next read
			  */
	uint8_t *
		gathered; /* the last packet's payload when it spanned frames */
};

/* A query's rows: ncols names and nrows x ncols values (NULL: SQL NULL).
 * Everything is owned by the result. */
struct srv_result {
	size_t ncols, nrows;
	char **cols;
	char **cells; /* row-major */
};

/* Connects to target and logs in as cfg's user, with cfg's --ssl-mode,
 * --ssl-ca, RSA-key options and phase timeouts (the probe's). Returns 0, or
 * -1 with s->outcome set (protocol_error, tls_failed, greeting_timeout, ...)
 * and a one-line reason in err (the server's ERR text when it sent one). */
int srv_connect(struct srv_session *s, const struct probe_target *t,
		const struct probe_config *cfg, char *err, size_t errlen);

/* Runs sql within the query timeout; on 0, *res holds the rows (free with
 * srv_result_free); on -1, s->outcome and err say why. */
int srv_query(struct srv_session *s, const char *sql, struct srv_result *res,
	      char *err, size_t errlen);

/* Sends COM_QUIT and closes. */
void srv_close(struct srv_session *s);

void srv_result_free(struct srv_result *res);

/* The value at (row, col), NULL for SQL NULL or out of range. */
const char *srv_cell(const struct srv_result *res, size_t row, size_t col);
/* The column index of name (case-insensitive), or -1. */
int srv_col(const struct srv_result *res, const char *name);

#endif /* CONNDOCTOR_SERVER_SESSION_H */
