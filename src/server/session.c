/* session.c - the audit's blocking MySQL client (MySQL "Connection Phase"
 * and "COM_QUERY Response" pages): one connection, poll()-bounded reads
 * and writes, rows copied out as NUL-terminated strings. */
#include "server/session.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mysql/mysql.h"
#include "util/clock.h"

#define MAX_PACKET (16u << 20)
#define MAX_COLS   256
#define MAX_ROWS   200000
#define WANT_CAPS                                                              \
	(MYSQL_CLIENT_LONG_PASSWORD | MYSQL_CLIENT_LONG_FLAG |                 \
	 MYSQL_CLIENT_PROTOCOL_41 | MYSQL_CLIENT_TRANSACTIONS |                \
	 MYSQL_CLIENT_SECURE_CONNECTION | MYSQL_CLIENT_PLUGIN_AUTH |           \
	 MYSQL_CLIENT_PLUGIN_AUTH_LENENC_DATA | MYSQL_CLIENT_MULTI_RESULTS |   \
	 MYSQL_CLIENT_DEPRECATE_EOF)

static int wait_fd(struct srv_session *s, short ev)
{
	struct pollfd p = {.fd = s->fd, .events = ev};
	int r = poll(&p, 1, (int)(s->timeout_s * 1000));

	if (r == 0)
		errno = ETIMEDOUT;
	return r == 1 ? 0 : -1;
}

static int send_all(struct srv_session *s, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w;

		if (wait_fd(s, POLLOUT) < 0)
			return -1;
		w = send(s->fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
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

/* Reads the next packet; *payload stays valid until the next call. */
static int read_packet(struct srv_session *s, const uint8_t **payload,
		       size_t *len, char *err, size_t errlen)
{
	struct mysql_packet pk;
	long n;

	/* Drop the previous packet now that its payload is no longer used. */
	free(s->gathered);
	s->gathered = NULL;
	if (s->consumed) {
		memmove(s->buf, s->buf + s->consumed, s->len - s->consumed);
		s->len -= s->consumed;
		s->consumed = 0;
	}
	for (;;) {
		n = mysql_packet_parse(s->buf, s->len, MAX_PACKET, &pk);
		if (n >= 0)
			break;
		if (n != MYSQL_NEED_MORE) {
			snprintf(err, errlen,
				 "malformed packet from the server");
			return -1;
		}
		if (s->len == s->cap) {
			size_t ncap = s->cap ? s->cap * 2 : 16384;
			uint8_t *nb;

			if (ncap > MAX_PACKET + 4096) {
				snprintf(err, errlen, "packet too large");
				return -1;
			}
			nb = realloc(s->buf, ncap);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			s->buf = nb;
			s->cap = ncap;
		}
		if (wait_fd(s, POLLIN) < 0) {
			snprintf(err, errlen, "reading from the server: %s",
				 strerror(errno));
			return -1;
		}
		n = read(s->fd, s->buf + s->len, s->cap - s->len);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			snprintf(err, errlen,
				 "the server closed the connection");
			return -1;
		}
		s->len += (size_t)n;
	}
	s->seq = (uint8_t)(pk.last_seq + 1);
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

static void set_err(char *err, size_t errlen, const uint8_t *p, size_t len)
{
	struct mysql_err e;

	if (mysql_err_parse(p, len, &e) == MYSQL_OK)
		snprintf(err, errlen, "ERROR %u (%s): %s", e.code,
			 e.sqlstate[0] ? e.sqlstate : "HY000", e.message);
	else
		snprintf(err, errlen, "malformed ERR packet");
}

static int open_socket(struct srv_session *s, const struct probe_target *t,
		       char *err, size_t errlen)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	s->fd = socket(t->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (s->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(s->fd, (const struct sockaddr *)&t->addr, t->addrlen) < 0 &&
	    errno != EINPROGRESS) {
		snprintf(err, errlen, "connect to %s: %s", t->label,
			 strerror(errno));
		return -1;
	}
	if (wait_fd(s, POLLOUT) < 0 ||
	    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
		snprintf(err, errlen, "connect to %s: %s", t->label,
			 strerror(soerr ? soerr : errno));
		return -1;
	}
	return 0;
}

int srv_connect(struct srv_session *s, const struct probe_target *t,
		const char *user, const char *password, double timeout_s,
		char *err, size_t errlen)
{
	struct mysql_greeting g;
	struct mysql_login l;
	struct mysql_auth_switch as;
	const uint8_t *p;
	const char *pw = password ? password : "";
	uint8_t auth[32], out[1024];
	char plugin[MYSQL_NAME_MAX];
	size_t len;
	long n;
	int alen, rounds;

	memset(s, 0, sizeof(*s));
	s->timeout_s = timeout_s > 0 ? timeout_s : 10;
	if (open_socket(s, t, err, errlen) < 0)
		goto fail;
	if (read_packet(s, &p, &len, err, errlen) < 0)
		goto fail;
	if (len && p[0] == 0xff) {
		set_err(err, errlen, p, len);
		goto fail;
	}
	if (mysql_greeting_parse(p, len, &g) != MYSQL_OK ||
	    !(g.caps & MYSQL_CLIENT_PROTOCOL_41)) {
		snprintf(err, errlen, "%s does not greet as a MySQL server",
			 t->label);
		goto fail;
	}
	snprintf(s->version, sizeof(s->version), "%s", g.version);
	s->is_mariadb = g.is_mariadb;
	s->conn_id = g.conn_id;
	s->caps = WANT_CAPS & g.caps;
	snprintf(plugin, sizeof(plugin), "%s", g.auth_plugin);
	alen = mysql_auth_response(plugin, pw, strlen(pw), g.scramble,
				   g.scramble_len, auth);
	if (alen < 0) {
		snprintf(plugin, sizeof(plugin), "mysql_native_password");
		alen = mysql_auth_response(plugin, pw, strlen(pw), g.scramble,
					   g.scramble_len, auth);
	}
	memset(&l, 0, sizeof(l));
	l.caps = s->caps;
	l.max_packet = MAX_PACKET;
	l.charset = 45;
	l.user = user ? user : "";
	l.auth = auth;
	l.auth_len = alen > 0 ? (size_t)alen : 0;
	l.plugin = plugin;
	n = mysql_login_write(out, sizeof(out), &l);
	if (n < 0 || send_packet(s, out, (size_t)n) < 0) {
		snprintf(err, errlen, "cannot send the login");
		goto fail;
	}
	for (rounds = 0; rounds < 4; rounds++) {
		if (read_packet(s, &p, &len, err, errlen) < 0)
			goto fail;
		switch (mysql_reply_kind(p, len, MYSQL_PHASE_AUTH, s->caps)) {
		case MYSQL_REPLY_OK:
			return 0;
		case MYSQL_REPLY_ERR:
			set_err(err, errlen, p, len);
			goto fail;
		case MYSQL_REPLY_AUTH_SWITCH:
			if (mysql_auth_switch_parse(p, len, &as) != MYSQL_OK)
				goto bad;
			alen = mysql_auth_response(as.plugin, pw, strlen(pw),
						   as.data, as.data_len, auth);
			if (alen < 0) {
				snprintf(err, errlen,
					 "auth plugin '%s' is not supported",
					 as.plugin);
				goto fail;
			}
			if (send_packet(s, auth, (size_t)alen) < 0)
				goto bad;
			break;
		case MYSQL_REPLY_AUTH_MORE:
			if (len >= 2 && p[1] == MYSQL_SHA2_FAST_AUTH_OK)
				break;
			snprintf(
				err, errlen,
				"caching_sha2_password needs its full "
				"authentication (TLS or an RSA key), which the "
				"audit does not do");
			goto fail;
		default:
			goto bad;
		}
	}
bad:
	if (!err[0])
		snprintf(err, errlen, "unexpected packet during login");
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
		size_t ncap = *cap ? *cap * 2 : 64;
		char **nc;

		while (ncap < idx + 1)
			ncap *= 2;
		nc = realloc(res->cells, ncap * sizeof(*nc));
		if (!nc)
			return -1;
		/* Unset cells stay NULL, so a failed row frees cleanly. */
		memset(nc + *cap, 0, (ncap - *cap) * sizeof(*nc));
		res->cells = nc;
		*cap = ncap;
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
	q = malloc(qlen + 1);
	if (!q)
		return -1;
	q[0] = MYSQL_COM_QUERY;
	memcpy(q + 1, sql, qlen);
	s->seq = 0;
	rc = send_packet(s, q, qlen + 1);
	free(q);
	if (rc < 0) {
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
				snprintf(err, errlen, "ERROR %u (%s): %s",
					 rs.err.code, rs.err.sqlstate,
					 rs.err.message);
				goto fail;
			}
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
	if (s->fd >= 0) {
		static const uint8_t quit[] = {1, 0, 0, 0, MYSQL_COM_QUIT};

		/* Best effort: the connection is closed either way. */
		(void)send(s->fd, quit, sizeof(quit),
			   MSG_NOSIGNAL | MSG_DONTWAIT);
		close(s->fd);
	}
	s->fd = -1;
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
