/* session.c - the audit's blocking MySQL client (MySQL "Connection Phase"
 * and "COM_QUERY Response" pages): one non-blocking connection driven with
 * poll(), each phase (connect, greeting, TLS, auth, each query) bounded by
 * one deadline for the whole phase; the login goes through the handshake
 * machine of mysql/handshake.c, rows are copied out as strings. */
#include "server/session.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mysql/handshake.h"
#include "mysql/mysql.h"
#include "util/clock.h"
#include "util/vec.h"

#define MAX_PACKET    (16u << 20)
#define CELLS_MAX     (1u << 20) /* cells of one result set */
#define MAX_COLS      256
#define MAX_ROWS      200000
#define BUF_FIRST     (MYSQL_HS_PACKET_MAX + MYSQL_HEADER_LEN)
#define DEFAULT_PHASE 10.0 /* s, for a phase the configuration leaves 0 */

/* Starts phase p: its deadline counts from now. */
/* Drops the first n buffered bytes (the buffer may not exist yet when
 * n is 0: memmove must not see its NULL). */
static void consume(struct srv_session *s, size_t n)
{
	if (!n)
		return;
	memmove(s->buf, s->buf + n, s->len - n);
	s->len -= n;
}

static void begin_phase(struct srv_session *s, enum cd_phase p)
{
	s->phase = p;
	s->deadline = cd_now_ns() + cd_s_to_ns(s->timeout_s[p]);
}

/* Waits until the socket is ready for ev or the phase's deadline passes
 * (then errno is ETIMEDOUT). Returns 0 or -1. */
static int wait_fd(struct srv_session *s, short ev)
{
	struct pollfd p = {.fd = s->fd, .events = ev};
	int64_t left;
	int r;

	for (;;) {
		left = s->deadline - cd_now_ns();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		/* Rounded up, so the last wait does not end just short. */
		r = poll(&p, 1,
			 (int)((left + CD_NS_PER_MS - 1) / CD_NS_PER_MS));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* What an SSL_* call's failure asks for: the event to wait for, or -1 (the
 * connection failed; errno says why when the system said). */
static short ssl_wait_event(struct srv_session *s, int r)
{
	switch (SSL_get_error(s->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return POLLIN;
	case SSL_ERROR_WANT_WRITE:
		return POLLOUT;
	case SSL_ERROR_ZERO_RETURN:
		errno = 0;
		return -1;
	default:
		if (!errno)
			errno = EPROTO;
		return -1;
	}
}

/* Reads what is there, up to cap bytes. Returns the count, 0 when the
 * server closed, -1 with errno (ETIMEDOUT at the deadline). */
static ssize_t io_read(struct srv_session *s, uint8_t *p, size_t cap)
{
	for (;;) {
		ssize_t n;
		short ev;

		if (s->ssl) {
			int r = SSL_read(s->ssl, p,
					 cap > INT32_MAX ? INT32_MAX
							 : (int)cap);

			if (r > 0)
				return r;
			errno = 0;
			ev = ssl_wait_event(s, r);
			if (ev < 0)
				return errno ? -1 : 0;
		} else {
			n = read(s->fd, p, cap);
			if (n >= 0)
				return n;
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			ev = POLLIN;
		}
		if (wait_fd(s, ev) < 0)
			return -1;
	}
}

/* Sends n bytes within the phase's deadline. Returns 0 or -1 with errno. */
static int send_all(struct srv_session *s, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w;
		short ev = POLLOUT;

		if (s->ssl) {
			int r = SSL_write(s->ssl, p,
					  n > INT32_MAX ? INT32_MAX : (int)n);

			w = r;
			if (r <= 0) {
				errno = 0;
				ev = ssl_wait_event(s, r);
				if (ev < 0) {
					if (!errno)
						errno = EPIPE;
					return -1;
				}
			}
		} else {
			w = send(s->fd, p, n, MSG_NOSIGNAL);
			if (w < 0 && errno != EAGAIN && errno != EINTR)
				return -1;
		}
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (wait_fd(s, ev) < 0)
			return -1;
	}
	return 0;
}

static int send_packet(struct srv_session *s, const uint8_t *payload,
		       size_t len)
{
	uint8_t *buf = malloc(len + 8);
	uint8_t next;
	long n;
	int rc;

	if (!buf)
		return -1;
	n = mysql_packet_write(buf, len + 8, payload, len, s->seq, &next);
	rc = n < 0 ? -1 : send_all(s, buf, (size_t)n);
	s->seq = next;
	free(buf);
	return rc;
}

/* Makes room for more bytes in the read buffer (up to a packet's cap). */
static int grow(struct srv_session *s, char *err, size_t errlen)
{
	uint8_t *nb;

	if (s->len < s->cap)
		return 0;
	nb = cd_vec_grow(s->buf, 1, s->len + 1, &s->cap, MAX_PACKET + 4096,
			 BUF_FIRST);
	if (!nb && errno == E2BIG) {
		snprintf(err, errlen, "packet too large");
		s->outcome = CD_PROTOCOL_ERROR;
		return -1;
	}
	if (!nb) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->buf = nb;
	return 0;
}

/* Reads more bytes into the buffer. On -1, err and s->outcome say why: the
 * phase timed out, or the server closed or reset the connection. */
static int read_more(struct srv_session *s, char *err, size_t errlen)
{
	static const enum cd_outcome timeout_class[CD_PH__COUNT] = {
		[CD_PH_CONNECT] = CD_CONNECT_TIMEOUT,
		[CD_PH_GREETING] = CD_GREETING_TIMEOUT,
		[CD_PH_TLS] = CD_TLS_FAILED,
		[CD_PH_AUTH] = CD_AUTH_TIMEOUT,
		[CD_PH_QUERY] = CD_QUERY_TIMEOUT,
	};
	static const enum cd_outcome closed_class[CD_PH__COUNT] = {
		[CD_PH_CONNECT] = CD_CLOSED_BEFORE_GREETING,
		[CD_PH_GREETING] = CD_CLOSED_BEFORE_GREETING,
		[CD_PH_TLS] = CD_TLS_FAILED,
		[CD_PH_AUTH] = CD_CLOSED_DURING_LOGIN,
		[CD_PH_QUERY] = CD_GONE_AWAY,
	};
	ssize_t n;

	if (grow(s, err, errlen) < 0)
		return -1;
	n = io_read(s, s->buf + s->len, s->cap - s->len);
	if (n > 0) {
		s->len += (size_t)n;
		return 0;
	}
	if (n < 0 && errno == ETIMEDOUT) {
		s->outcome = timeout_class[s->phase];
		snprintf(err, errlen, "no answer within the %s timeout (%g s)",
			 cd_phase_name(s->phase), s->timeout_s[s->phase]);
	} else {
		s->outcome = closed_class[s->phase];
		snprintf(err, errlen, "the server closed the connection%s%s",
			 n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
	}
	return -1;
}

/* Reads the next packet; *payload stays valid until the next call. A
 * sequence id out of order is a protocol error. */
static int read_packet(struct srv_session *s, const uint8_t **payload,
		       size_t *len, char *err, size_t errlen)
{
	struct mysql_packet pk;
	long n;

	/* Drop the previous packet now that its payload is no longer used. */
	free(s->gathered);
	s->gathered = NULL;
	consume(s, s->consumed);
	s->consumed = 0;
	for (;;) {
		n = mysql_packet_parse(s->buf, s->len, MAX_PACKET, &pk);
		if (n >= 0)
			break;
		if (n != MYSQL_NEED_MORE) {
			snprintf(err, errlen,
				 "malformed packet from the server");
			s->outcome = CD_PROTOCOL_ERROR;
			return -1;
		}
		if (read_more(s, err, errlen) < 0)
			return -1;
	}
	if (mysql_seq_check(&s->seq, &pk, err, errlen) < 0) {
		s->outcome = CD_PROTOCOL_ERROR;
		return -1;
	}
	s->consumed = (size_t)n;
	*len = pk.len;
	*payload = pk.payload;
	if (pk.nframes > 1) {
		s->gathered = malloc(pk.len ? pk.len : 1);
		if (!s->gathered) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		mysql_packet_gather(s->buf, (size_t)n, s->gathered);
		*payload = s->gathered;
	}
	return 0;
}

static int set_err(struct srv_session *s, char *err, size_t errlen,
		   const uint8_t *p, size_t len)
{
	struct mysql_err e;

	if (mysql_err_parse(p, len, &e) != MYSQL_OK) {
		snprintf(err, errlen, "malformed ERR packet");
		return -1;
	}
	s->err_code = e.code;
	snprintf(err, errlen, "ERROR %u (%s): %s", e.code,
		 e.sqlstate[0] ? e.sqlstate : "HY000", e.message);
	return 0;
}

static int open_socket(struct srv_session *s, const struct probe_target *t,
		       char *err, size_t errlen)
{
	int soerr = 0, rc;
	socklen_t sl = sizeof(soerr);

	begin_phase(s, CD_PH_CONNECT);
	s->outcome = CD_CONNECT_FAILED;
	s->fd = socket(t->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (s->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* A refusal now, a wait that fails, or the socket's own error. */
	rc = connect(s->fd, (const struct sockaddr *)&t->addr, t->addrlen);
	if ((rc < 0 && errno != EINPROGRESS && errno != EAGAIN) ||
	    wait_fd(s, POLLOUT) < 0 ||
	    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		soerr = errno;
	if (!soerr)
		return 0;
	if (soerr == ETIMEDOUT)
		s->outcome = CD_CONNECT_TIMEOUT;
	else if (soerr == ECONNREFUSED || soerr == ENOENT)
		s->outcome = CD_REFUSED;
	snprintf(err, errlen, "connect to %s: %s", t->label, strerror(soerr));
	return -1;
}

/* The TLS handshake the machine asked for, within the tls phase. */
static int start_tls(struct srv_session *s, const struct probe_config *cfg,
		     const struct probe_target *t, char *err, size_t errlen)
{
	unsigned long e;
	int r;
	short ev;

	begin_phase(s, CD_PH_TLS);
	s->outcome = CD_TLS_FAILED;
	s->ssl_ctx = probe_tls_ctx(cfg, err, errlen);
	if (!s->ssl_ctx)
		return -1;
	s->ssl = SSL_new(s->ssl_ctx);
	if (!s->ssl || SSL_set_fd(s->ssl, s->fd) != 1) {
		snprintf(err, errlen, "cannot create a TLS session");
		return -1;
	}
	if (cfg->host && t->transport == CD_TCP) {
		SSL_set_tlsext_host_name(s->ssl, cfg->host);
		if (cfg->ssl_mode == PROBE_SSL_VERIFY_IDENTITY)
			SSL_set1_host(s->ssl, cfg->host);
	}
	for (;;) {
		errno = 0;
		r = SSL_connect(s->ssl);
		if (r == 1)
			break;
		ev = ssl_wait_event(s, r);
		if (ev < 0) {
			e = ERR_get_error();
			snprintf(err, errlen, "TLS handshake: %s",
				 e ? ERR_reason_error_string(e)
				   : "the server closed the connection");
			ERR_clear_error();
			return -1;
		}
		if (wait_fd(s, ev) < 0) {
			snprintf(err, errlen, "TLS handshake: %s",
				 errno == ETIMEDOUT ? "timed out"
						    : strerror(errno));
			return -1;
		}
	}
	snprintf(s->tls_version, sizeof(s->tls_version), "%s",
		 SSL_get_version(s->ssl));
	return 0;
}

/* Sends the machine's pending output. */
static int send_output(struct srv_session *s, struct mysql_hs *hs, char *err,
		       size_t errlen)
{
	size_t n;
	const uint8_t *p = mysql_hs_output(hs, &n);

	if (!n || send_all(s, p, n) == 0)
		return 0;
	s->outcome =
		s->phase == CD_PH_TLS ? CD_TLS_FAILED : CD_CLOSED_DURING_LOGIN;
	snprintf(err, errlen, "cannot send to the server: %s",
		 errno == ETIMEDOUT ? "timed out" : strerror(errno));
	return -1;
}

/* Runs the handshake machine over the socket until it ends. */
static int handshake(struct srv_session *s, struct mysql_hs *hs,
		     const struct probe_config *cfg,
		     const struct probe_target *t, char *err, size_t errlen)
{
	enum mysql_hs_event ev;
	size_t used, out;

	for (;;) {
		ev = mysql_hs_feed(hs, s->buf, s->len, &used);
		mysql_hs_output(hs, &out);
		if (hs->state == MYSQL_HS_S_AUTH && s->phase == CD_PH_GREETING)
			begin_phase(s, CD_PH_AUTH); /* the login goes out */
		if (send_output(s, hs, err, errlen) < 0)
			return -1;
		switch (ev) {
		case MYSQL_HS_READ:
			break;
		case MYSQL_HS_GREETING:
			snprintf(s->version, sizeof(s->version), "%s",
				 hs->greeting.version);
			s->is_mariadb = hs->greeting.is_mariadb;
			s->conn_id = hs->greeting.conn_id;
			break;
		case MYSQL_HS_START_TLS:
			if (start_tls(s, cfg, t, err, errlen) < 0)
				return -1;
			if (mysql_hs_tls_done(hs) != MYSQL_HS_READ)
				goto failed;
			begin_phase(s, CD_PH_AUTH);
			if (send_output(s, hs, err, errlen) < 0)
				return -1;
			continue;
		case MYSQL_HS_LOGGED_IN:
			/* The OK is dropped; nothing follows it unasked. */
			consume(s, used);
			return 0;
		case MYSQL_HS_SERVER_ERR:
			s->outcome =
				set_err(s, err, errlen, hs->packet,
					hs->packet_len) < 0
					? CD_PROTOCOL_ERROR
					: probe_err_outcome(hs->in_greeting,
							    s->err_code);
			return -1;
		default:
			goto failed;
		}
		consume(s, used);
		if (used || out || ev == MYSQL_HS_GREETING)
			continue;
		if (read_more(s, err, errlen) < 0)
			return -1;
	}
failed:
	s->outcome = probe_hs_outcome(hs);
	if (hs->error == MYSQL_HS_E_NOT_MYSQL)
		snprintf(err, errlen, "%s does not greet as a MySQL server",
			 t->label);
	else
		snprintf(err, errlen, "%s", hs->reason);
	return -1;
}

int srv_connect(struct srv_session *s, const struct probe_target *t,
		const struct probe_config *cfg, char *err, size_t errlen)
{
	struct mysql_hs_config hc;
	struct mysql_hs hs;
	int p;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	for (p = 0; p < CD_PH__COUNT; p++)
		s->timeout_s[p] = cfg->timeout_s[p] > 0 ? cfg->timeout_s[p]
							: DEFAULT_PHASE;
	if (open_socket(s, t, err, errlen) < 0)
		goto fail;
	begin_phase(s, CD_PH_GREETING);
	probe_hs_config(cfg, t->transport, &hc);
	hc.compress[0] = 0; /* the audit's session reads plain packets */
	hc.query_attrs = 0; /* and writes plain COM_QUERY */
	mysql_hs_init(&hs, &hc);
	if (handshake(s, &hs, cfg, t, err, errlen) < 0) {
		mysql_hs_wipe(&hs);
		goto fail;
	}
	mysql_hs_wipe(&hs);
	s->caps = hs.caps;
	s->outcome = CD_OK;
	s->logged_in = 1;
	return 0;
fail:
	srv_close(s);
	return -1;
}

/* Stores a copy of c as cell number idx of res (growing res->cells). */
static int add_cell(struct srv_result *res, size_t *cap, size_t idx,
		    const struct mysql_cell *c)
{
	char *v = NULL;

	if (idx + 1 > *cap) {
		size_t old = *cap;
		char **nc = cd_vec_grow(res->cells, sizeof(*nc), idx + 1, cap,
					CELLS_MAX, 64);

		if (!nc)
			return -1;
		/* Unset cells stay NULL, so a failed row frees cleanly. */
		memset(nc + old, 0, (*cap - old) * sizeof(*nc));
		res->cells = nc;
	}
	if (!c->is_null) {
		v = malloc(c->len + 1);
		if (!v)
			return -1;
		if (c->len)
			memcpy(v, c->data, c->len);
		v[c->len] = '\0';
	}
	res->cells[idx] = v;
	return 0;
}

int srv_query(struct srv_session *s, const char *sql, struct srv_result *res,
	      char *err, size_t errlen)
{
	struct mysql_rs rs;
	struct mysql_cell cells[MAX_COLS];
	const uint8_t *p;
	size_t len, cap = 0, qlen = strlen(sql), i;
	uint8_t *q;
	int rc;

	memset(res, 0, sizeof(*res));
	begin_phase(s, CD_PH_QUERY);
	s->outcome = CD_GONE_AWAY;
	q = malloc(qlen + 1);
	if (!q)
		return -1;
	q[0] = MYSQL_COM_QUERY;
	memcpy(q + 1, sql, qlen);
	s->seq = 0;
	rc = send_packet(s, q, qlen + 1);
	free(q);
	if (rc < 0) {
		if (errno == ETIMEDOUT)
			s->outcome = CD_QUERY_TIMEOUT;
		snprintf(err, errlen, "cannot send the query: %s",
			 strerror(errno));
		return -1;
	}
	mysql_rs_init(&rs, s->caps);
	for (;;) {
		enum mysql_rs_state before = rs.state;
		uint64_t rows = rs.rows;

		if (read_packet(s, &p, &len, err, errlen) < 0)
			goto fail;
		rc = mysql_rs_feed(&rs, p, len);
		if (rc == MYSQL_BAD) {
			snprintf(err, errlen, "malformed result set");
			s->outcome = CD_PROTOCOL_ERROR;
			goto fail;
		}
		if (before == MYSQL_RS_FIRST && rs.state == MYSQL_RS_COLUMNS) {
			if (rs.columns > MAX_COLS || res->ncols) {
				snprintf(err, errlen,
					 "too many columns or result sets");
				goto fail;
			}
			res->ncols = (size_t)rs.columns;
			res->cols = calloc(res->ncols, sizeof(*res->cols));
			if (!res->cols)
				goto fail;
		} else if (before == MYSQL_RS_COLUMNS && res->cols) {
			const uint8_t *name;
			size_t nlen, k = (size_t)rs.col_seen - 1;

			if (k < res->ncols &&
			    mysql_coldef_name(p, len, &name, &nlen) ==
				    MYSQL_OK) {
				res->cols[k] =
					strndup((const char *)name, nlen);
				if (!res->cols[k])
					goto fail;
			}
		} else if (rs.rows > rows && res->ncols) {
			if (res->nrows >= MAX_ROWS ||
			    mysql_row_cells(p, len, res->ncols, cells,
					    MAX_COLS) != MYSQL_OK)
				goto fail;
			for (i = 0; i < res->ncols; i++)
				if (add_cell(res, &cap,
					     res->nrows * res->ncols + i,
					     &cells[i]) < 0) {
					/* Cells of this row so far are freed
					 * with the row counted. */
					res->nrows++;
					goto fail;
				}
			res->nrows++;
		}
		if (rc == MYSQL_OK) {
			if (rs.is_err) {
				s->outcome = CD_QUERY_ERROR;
				snprintf(err, errlen, "ERROR %u (%s): %s",
					 rs.err.code, rs.err.sqlstate,
					 rs.err.message);
				goto fail;
			}
			s->outcome = CD_OK;
			return 0;
		}
	}
fail:
	if (!err[0])
		snprintf(err, errlen, "out of memory");
	srv_result_free(res);
	return -1;
}

void srv_close(struct srv_session *s)
{
	static const uint8_t quit[] = {1, 0, 0, 0, MYSQL_COM_QUIT};

	/* Best effort, never waiting: the connection is closed either way
	 * (and COM_QUIT goes only where a login made it meaningful). */
	if (s->ssl) {
		if (s->logged_in)
			(void)SSL_write(s->ssl, quit, sizeof(quit));
		SSL_free(s->ssl);
		ERR_clear_error();
	} else if (s->fd >= 0 && s->logged_in) {
		(void)send(s->fd, quit, sizeof(quit),
			   MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	if (s->fd >= 0)
		close(s->fd);
	SSL_CTX_free(s->ssl_ctx);
	s->ssl = NULL;
	s->ssl_ctx = NULL;
	s->fd = -1;
	s->logged_in = 0;
	free(s->buf);
	free(s->gathered);
	s->buf = s->gathered = NULL;
	s->len = s->cap = s->consumed = 0;
}

void srv_result_free(struct srv_result *res)
{
	size_t i;

	for (i = 0; res->cols && i < res->ncols; i++)
		free(res->cols[i]);
	for (i = 0; res->cells && i < res->nrows * res->ncols; i++)
		free(res->cells[i]);
	free(res->cols);
	free(res->cells);
	memset(res, 0, sizeof(*res));
}

const char *srv_cell(const struct srv_result *res, size_t row, size_t col)
{
	if (row >= res->nrows || col >= res->ncols)
		return NULL;
	return res->cells[row * res->ncols + col];
}

int srv_col(const struct srv_result *res, const char *name)
{
	size_t i;

	for (i = 0; i < res->ncols; i++)
		if (res->cols[i] && !strcasecmp(res->cols[i], name))
			return (int)i;
	return -1;
}
