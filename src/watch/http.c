/* http.c - watch's HTTP endpoint through libmicrohttpd (GNU libmicrohttpd
 * manual, "external select" with MHD_USE_EPOLL): the daemon's own epoll
 * descriptor joins watch's loop, which calls MHD_run() when it is ready.
 * Serves GET/HEAD /metrics and /probe (the request is suspended until its
 * attempts end: the manual's "suspend and resume"); 404 elsewhere, 405 for
 * other methods; TLS and basic auth from --web-config. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/fileio.h"
#include "watch/watch.h"

#define CONN_LIMIT     32
#define CONN_TIMEOUT_S 10
#define BODY_MAX       (64u * 1024 * 1024)

struct watch_http {
	struct MHD_Daemon *d;
	/* After a TLS change: the server it replaced, which no longer
	 * accepts and finishes the connections it has, until old_end_ns. */
	struct MHD_Daemon *old;
	int64_t old_end_ns;
	unsigned flags; /* MHD_start_daemon()'s, for a restart */
	watch_render_fn render;
	watch_probe_fn probe;
	void *ctx;
	const struct watch_web *web;
	unsigned suspended; /* /probe requests waiting */
	/* The last /metrics body once sent, rendered into again: a fresh
	 * buffer of some 15 MB costs more in page faults than the render. */
	char *spare;
	size_t spare_cap;
};

/* A /probe request: begun, then answered when its attempts end. */
struct watch_http_req {
	struct MHD_Connection *c;
	int waiting;   /* no answer yet */
	int suspended; /* MHD_suspend_connection() done */
	unsigned status;
	char *body;
	size_t len;
};

int watch_parse_listen(const char *listen, struct sockaddr_storage *ss,
		       socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(listen, ':');
	const char *h = listen;
	size_t hl;
	unsigned long port;
	char *end;

	if (!colon || !colon[1])
		return -1;
	hl = (size_t)(colon - listen);
	if (hl >= 2 && listen[0] == '[' && listen[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535 || colon[1] < '0' ||
	    colon[1] > '9')
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) ==
	    1) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, host,
		      &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
			     const char *type, char *body, size_t len,
			     int owned)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body,
					    owned ? MHD_RESPMEM_MUST_FREE
						  : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* 1 when the request may go on: no users configured, or a user and
 * password that match. */
static int authorised(const struct watch_http *h, struct MHD_Connection *c)
{
	char *pass = NULL;
	char *user;
	int ok;

	if (!h->web || !h->web->nusers)
		return 1;
	user = MHD_basic_auth_get_username_password(c, &pass);
	ok = user && pass && watch_web_check(h->web, user, pass);
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	return ok;
}

static enum MHD_Result deny(struct MHD_Connection *c)
{
	static char body[] = "401 unauthorized\n";
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), body,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	ret = MHD_queue_basic_auth_fail_response(c, "conndoctor watch", r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_probe(struct watch_http *h, struct MHD_Connection *c,
				void **con_cls)
{
	struct watch_http_req *q = *con_cls;
	const char *target, *module;
	char msg[256];
	int st;

	if (q && q->waiting)
		return MHD_YES;
	if (q) { /* the answer is ready */
		char *b = q->body;

		q->body = NULL;
		return reply(c, q->status,
			     q->status == MHD_HTTP_OK ? RPT_PROM_CONTENT_TYPE
						      : "text/plain",
			     b, q->len, 1);
	}
	target =
		MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "target");
	module =
		MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "module");
	q = calloc(1, sizeof(*q));
	if (!q)
		return MHD_NO;
	q->c = c;
	q->waiting = 1;
	*con_cls = q;
	msg[0] = '\0';
	st = h->probe(h->ctx, q, target, module, msg, sizeof(msg));
	if (st == 0) {
		if (q->waiting) { /* not answered yet */
			MHD_suspend_connection(c);
			q->suspended = 1;
			h->suspended++;
			return MHD_YES;
		}
		return on_probe(h, c, con_cls);
	}
	strncat(msg, "\n", sizeof(msg) - strlen(msg) - 1);
	q->body = strdup(msg);
	if (!q->body)
		return MHD_NO;
	q->len = strlen(q->body);
	q->status = (unsigned)st;
	q->waiting = 0;
	return on_probe(h, c, con_cls);
}

void watch_http_answer(struct watch_http *h, struct watch_http_req *q,
		       unsigned status, char *body, size_t len)
{
	free(q->body);
	q->body = body;
	q->len = len;
	q->status = status;
	q->waiting = 0;
	if (q->suspended) { /* in on_probe(): wake it */
		q->suspended = 0;
		MHD_resume_connection(q->c);
		h->suspended--;
	}
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct watch_http_req *q = *con_cls;

	(void)cls, (void)c, (void)toe;
	if (q) {
		free(q->body);
		free(q);
		*con_cls = NULL;
	}
}

#if MHD_VERSION >= 0x00097302
/* A /metrics body lent to a response. */
struct lent {
	struct watch_http *h;
	char *body;
	size_t cap;
};

/* A /metrics body sent: kept to render into next time. */
static void metrics_sent(void *cls)
{
	struct lent *l = cls;

	if (!l->h->spare) {
		l->h->spare = l->body;
		l->h->spare_cap = l->cap;
	} else {
		free(l->body);
	}
	free(l);
}
#endif

/* Serves a /metrics body in a buffer of cap bytes (malloc'd; taken). */
static enum MHD_Result reply_metrics(struct watch_http *h,
				     struct MHD_Connection *c, char *body,
				     size_t len, size_t cap)
{
#if MHD_VERSION >= 0x00097302
	struct MHD_Response *r = NULL;
	enum MHD_Result ret;
	struct lent *l = malloc(sizeof(*l));

	if (l) {
		l->h = h;
		l->body = body;
		l->cap = cap;
		r = MHD_create_response_from_buffer_with_free_callback_cls(
			len, body, metrics_sent, l);
	}
	if (!r) {
		free(l);
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				RPT_PROM_CONTENT_TYPE);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
#else
	(void)h, (void)cap;
	return reply(c, MHD_HTTP_OK, RPT_PROM_CONTENT_TYPE, body, len, 1);
#endif
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	static char not_found[] = "404 not found: try /metrics or "
				  "/probe?target=NAME\n";
	static char bad_method[] = "405 only GET and HEAD\n";
	struct watch_http *h = cls;
	char *body = NULL;
	size_t len = 0, cap;

	(void)version, (void)upload, (void)upload_size;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     bad_method, strlen(bad_method), 0);
	if (!*con_cls && !authorised(h, c))
		return deny(c);
	if (!strcmp(url, "/probe") && h->probe)
		return on_probe(h, c, con_cls);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
			     strlen(not_found), 0);
	cap = h->spare_cap;
	body = h->spare;
	h->spare = NULL;
	h->spare_cap = 0;
	if (h->render(h->ctx, &body, &len, &cap))
		return MHD_NO;
	if (len > BODY_MAX) {
		free(body);
		return MHD_NO;
	}
	return reply_metrics(h, c, body, len, cap);
}

/* A server on listen (ss) or, with fd >= 0, on that listening socket
 * (taken, even when it fails), over TLS when web has a certificate. */
static struct MHD_Daemon *start_mhd(struct watch_http *h,
				    const struct sockaddr_storage *ss,
				    const struct watch_web *web, int fd)
{
	unsigned flags = h->flags;
	int tls = web && web->cert_pem;
	struct MHD_Daemon *d;
	/* MHD_OPTION_END ends the list before the TLS rows when TLS is off. */
	struct MHD_OptionItem ops[] = {
		{MHD_OPTION_SOCK_ADDR, 0, (void *)ss},
		{MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT, NULL},
		{MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_S, NULL},
		{MHD_OPTION_END, 0, NULL}, /* the certificate, with TLS */
		{MHD_OPTION_END, 0, NULL}, /* its key */
		{MHD_OPTION_END, 0, NULL},
	};

	if (fd >= 0)
		ops[0] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, fd,
						 NULL};
	if (tls) {
		flags |= MHD_USE_TLS;
		ops[3] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
						 web->cert_pem};
		ops[4] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
						 web->key_pem};
	}
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
	/* A socket given to a server that did not start may or may not have
	 * been closed by it; nothing else opened a descriptor since. */
	if (!d && fd >= 0 && fcntl(fd, F_GETFD) >= 0)
		close(fd);
	return d;
}

int watch_http_start(struct watch_http **out, const char *listen,
		     const struct watch_web *web, watch_render_fn render,
		     void *ctx, watch_probe_fn probe, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct watch_http *h;
	int tls = web && web->cert_pem;

	if (watch_parse_listen(listen, &ss, &sl) < 0) {
		cd_errf(err, errlen,
			"--listen '%s': want ADDR:PORT with a numeric "
			"address ([::1]:PORT for IPv6)",
			listen);
		return -1;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		cd_errf(err, errlen, "out of memory");
		return -1;
	}
	h->render = render;
	h->probe = probe;
	h->ctx = ctx;
	h->web = web;
	h->flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	if (ss.ss_family == AF_INET6)
		h->flags |= MHD_USE_IPv6;
	h->d = start_mhd(h, &ss, web, -1);
	if (!h->d) {
		cd_errf(err, errlen,
			tls ? "cannot serve TLS on %s (address in use, or "
			      "the certificate and key do not load?)"
			    : "cannot listen on %s (address in use or not "
			      "local?)",
			listen);
		free(h);
		return -1;
	}
	*out = h;
	return 0;
}

/* 1 when a and b serve the same TLS (or both none). */
static int same_tls(const struct watch_web *a, const struct watch_web *b)
{
	const char *ac = a ? a->cert_pem : NULL, *bc = b ? b->cert_pem : NULL;
	const char *ak = a ? a->key_pem : NULL, *bk = b ? b->key_pem : NULL;

	if (!ac || !bc)
		return !ac && !bc;
	return !strcmp(ac, bc) && !strcmp(ak, bk);
}

void watch_http_retire(struct watch_http *h)
{
	if (!h || !h->old)
		return;
	MHD_stop_daemon(h->old);
	h->old = NULL;
}

int watch_http_set_web(struct watch_http *h, const struct watch_web *web,
		       char *err, size_t errlen)
{
	const union MHD_DaemonInfo *i;
	struct MHD_Daemon *nd;
	MHD_socket ls;
	int fd;

	if (same_tls(h->web, web)) { /* users: from the next request on */
		h->web = web;
		return 0;
	}
	watch_http_retire(h);
	i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_LISTEN_FD);
	fd = i ? dup(i->listen_fd) : -1;
	if (fd < 0) {
		cd_errf(err, errlen, "cannot take the listening socket over");
		return -1;
	}
	/* The new server starts on the same socket before the old one stops
	 * accepting: no connection is refused in between. */
	nd = start_mhd(h, NULL, web, fd);
	if (!nd) {
		cd_errf(err, errlen,
			web && web->cert_pem
				? "the certificate and key do not load for TLS"
				: "cannot start the HTTP server again");
		return -1;
	}
	ls = MHD_quiesce_daemon(h->d);
	if (ls != MHD_INVALID_SOCKET)
		close(ls); /* nd holds the socket through its own descriptor */
	h->old = h->d;
	h->old_end_ns = cd_now_ns() + CONN_TIMEOUT_S * (int64_t)1000000000;
	h->d = nd;
	h->web = web;
	return 0;
}

const char *watch_http_scheme(const struct watch_http *h)
{
	return h->web && h->web->cert_pem ? "https" : "http";
}

int watch_http_fd(const struct watch_http *h)
{
	const union MHD_DaemonInfo *i =
		MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);

	return i ? i->epoll_fd : -1;
}

/* Runs the retired server, stopped once its connections are done or
 * its time is up. */
static void run_old(struct watch_http *h)
{
	const union MHD_DaemonInfo *i;

	MHD_run(h->old);
	i = MHD_get_daemon_info(h->old, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	if ((i && i->num_connections == 0) || cd_now_ns() >= h->old_end_ns)
		watch_http_retire(h);
}

void watch_http_run(struct watch_http *h)
{
	MHD_run(h->d);
	if (h->old)
		run_old(h);
}

void watch_http_run_final(struct watch_http *h)
{
	if (!h)
		return;
	MHD_run(h->d);
	if (h->old)
		MHD_run(h->old);
}

int watch_http_timeout_ms(const struct watch_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;
	int cap = h->old ? 1000 : 60000; /* the retired server's end */

	if (MHD_get_timeout(h->d, &ms) != MHD_YES)
		return h->old ? cap : -1;
	return ms > (MHD_UNSIGNED_LONG_LONG)cap ? cap : (int)ms;
}

void watch_http_stop(struct watch_http *h)
{
	if (!h)
		return;
	watch_http_retire(h);
	MHD_stop_daemon(h->d); /* sends the spare back */
	free(h->spare);
	free(h);
}
