/* session.h - a small blocking MySQL client for the read-only server audit:
 * log in, run a query, collect its rows as strings, quit. It speaks through
 * the same codec as the probe. */
#ifndef CONNDOCTOR_SERVER_SESSION_H
#define CONNDOCTOR_SERVER_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "probe/probe.h"

struct srv_session {
	int fd;
	uint32_t caps;
	uint8_t seq;
	char version[64];
	int is_mariadb;
	uint32_t conn_id;
	double timeout_s; /* per read or write */
	uint8_t *buf;	  /* read buffer */
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

/* Connects to target and logs in (mysql_native_password, or
 * caching_sha2_password's fast path). Returns 0, or -1 with a one-line
 * reason in err (the server's ERR text when it sent one). */
int srv_connect(struct srv_session *s, const struct probe_target *t,
		const char *user, const char *password, double timeout_s,
		char *err, size_t errlen);

/* Runs sql; on 0, *res holds the rows (free with srv_result_free). */
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
