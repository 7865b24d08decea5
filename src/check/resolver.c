/* resolver.c - resolv.conf(5), nsswitch.conf(5) and hosts(5) as glibc reads
 * them; PTR queries and replies (RFC 1035 section 4); and lookups measured
 * concurrently under one bound, so a dead resolver costs seconds, not
 * minutes. */
#include "check/resolver.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/bytes.h"
#include "util/clock.h"

/* ---- configuration files (resolv.conf: util/resolvconf.c) ---- */

size_t chk_nsswitch_hosts(const char *text, char out[][16], size_t max)
{
	const char *line = text;

	while (*line) {
		size_t len = strcspn(line, "\n"), n = 0;
		const char *p = line, *end = line + len;

		if (len > 6 && !strncmp(line, "hosts:", 6)) {
			p += 6;
			while (p < end && n < max) {
				size_t w;

				while (p < end && (*p == ' ' || *p == '\t'))
					p++;
				if (p >= end || *p == '#')
					break;
				w = strcspn(p, " \t\n#");
				if (*p ==
				    '[') /* an action: [NOTFOUND=return] */
					w = strcspn(p, "]\n") + 1;
				else if (w < 16) {
					memcpy(out[n], p, w);
					out[n++][w] = '\0';
				}
				p += w;
			}
			return n;
		}
		line += len;
		if (*line)
			line++;
	}
	return 0;
}

static void to_mapped(const struct in6_addr *in, char *txt, size_t len)
{
	if (IN6_IS_ADDR_V4MAPPED(in))
		inet_ntop(AF_INET, &in->s6_addr[12], txt, (socklen_t)len);
	else
		inet_ntop(AF_INET6, in, txt, (socklen_t)len);
}

int chk_hosts_has(const char *text, const struct in6_addr *addr)
{
	const char *line = text;
	char want[INET6_ADDRSTRLEN];

	to_mapped(addr, want, sizeof(want));
	while (*line) {
		size_t len = strcspn(line, "\n");
		size_t w = strcspn(line + strspn(line, " \t"), " \t\n#");
		const char *p = line + strspn(line, " \t");

		if (w == strlen(want) && !strncmp(p, want, w))
			return 1;
		line += len;
		if (*line)
			line++;
	}
	return 0;
}

/* ---- DNS messages ---- */

long chk_dns_ptr_query(uint8_t *out, size_t cap, uint16_t id,
		       const struct in6_addr *addr)
{
	char name[80];
	size_t pos = 12, i;
	char *label, *save = NULL;

	if (IN6_IS_ADDR_V4MAPPED(addr)) {
		const uint8_t *b = &addr->s6_addr[12];

		snprintf(name, sizeof(name), "%u.%u.%u.%u.in-addr.arpa", b[3],
			 b[2], b[1], b[0]);
	} else {
		size_t n = 0;

		for (i = 16; i-- > 0;) {
			static const char hex[] = "0123456789abcdef";

			name[n++] = hex[addr->s6_addr[i] & 0xf];
			name[n++] = '.';
			name[n++] = hex[addr->s6_addr[i] >> 4];
			name[n++] = '.';
		}
		snprintf(name + n, sizeof(name) - n, "ip6.arpa");
	}
	if (cap < 12 + strlen(name) + 2 + 4)
		return -1;
	memset(out, 0, 12);
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	out[2] = 0x01; /* RD */
	out[5] = 1;    /* QDCOUNT */
	for (label = strtok_r(name, ".", &save); label;
	     label = strtok_r(NULL, ".", &save)) {
		size_t l = strlen(label);

		out[pos++] = (uint8_t)l;
		memcpy(out + pos, label, l);
		pos += l;
	}
	out[pos++] = 0;
	out[pos++] = 0;
	out[pos++] = 12; /* QTYPE PTR */
	out[pos++] = 0;
	out[pos++] = 1; /* QCLASS IN */
	return (long)pos;
}

int chk_dns_parse_reply(const uint8_t *p, size_t len, uint16_t id,
			struct chk_dns_reply *r)
{
	struct cd_bytes b;
	uint16_t got_id, answers;
	uint8_t flags, rcode;

	/* RFC 1035 4.1.1: ID, flags (QR ... TC ... RCODE), QDCOUNT, ANCOUNT */
	cd_bytes_init(&b, p, len);
	got_id = cd_bytes_be16(&b);
	flags = cd_bytes_u8(&b);
	rcode = cd_bytes_u8(&b);
	cd_bytes_skip(&b, 2);
	answers = cd_bytes_be16(&b);
	cd_bytes_skip(&b, 4);
	if (b.bad || got_id != id || !(flags & 0x80))
		return -1;
	r->id = id;
	r->truncated = (flags & 0x02) != 0;
	r->rcode = rcode & 0x0f;
	r->answers = answers;
	return 0;
}

/* ---- measured lookups ---- */

/* A lookup thread's job. The thread owns it once the owner gives up:
 * whoever drops the last reference frees it. */
struct job {
	pthread_mutex_t lock;
	int refs;
	int done;
	struct chk_lookup res;
};

static void job_unref(struct job *j)
{
	int left;

	pthread_mutex_lock(&j->lock);
	left = --j->refs;
	pthread_mutex_unlock(&j->lock);
	if (!left) {
		pthread_mutex_destroy(&j->lock);
		free(j);
	}
}

static void *lookup_thread(void *arg)
{
	struct job *j = arg;
	struct chk_lookup r;
	struct sockaddr_storage ss;
	socklen_t sl;
	int64_t t0;

	pthread_mutex_lock(&j->lock);
	r = j->res;
	pthread_mutex_unlock(&j->lock);
	memset(&ss, 0, sizeof(ss));
	if (IN6_IS_ADDR_V4MAPPED(&r.addr)) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, &r.addr.s6_addr[12], 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = r.addr;
		sl = sizeof(*s6);
	}
	/* mysqld and libwrap: reverse first, then forward to confirm. */
	t0 = cd_now_ns();
	r.reverse_rc = getnameinfo((struct sockaddr *)&ss, sl, r.name,
				   sizeof(r.name), NULL, 0, NI_NAMEREQD);
	r.reverse_s = (double)(cd_now_ns() - t0) / 1e9;
	if (r.reverse_rc)
		r.name[0] = '\0';
	if (!r.reverse_rc) {
		struct addrinfo hints, *res = NULL, *ai;

		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		t0 = cd_now_ns();
		if (getaddrinfo(r.name, NULL, &hints, &res) == 0) {
			for (ai = res; ai; ai = ai->ai_next)
				if (ai->ai_addrlen == sl &&
				    ((ai->ai_family == AF_INET &&
				      !memcmp(&((struct sockaddr_in *)
							ai->ai_addr)
						       ->sin_addr,
					      &r.addr.s6_addr[12], 4)) ||
				     (ai->ai_family == AF_INET6 &&
				      !memcmp(&((struct sockaddr_in6 *)
							ai->ai_addr)
						       ->sin6_addr,
					      &r.addr, 16))))
					r.forward_match = 1;
			freeaddrinfo(res);
		}
		r.forward_s = (double)(cd_now_ns() - t0) / 1e9;
	}
	pthread_mutex_lock(&j->lock);
	j->res = r;
	j->done = 1;
	pthread_mutex_unlock(&j->lock);
	job_unref(j);
	return NULL;
}

struct chk_lookups {
	struct chk_lookup *l;
	size_t n;
	struct job **jobs;
};

struct chk_lookups *chk_lookups_start(struct chk_lookup *l, size_t n)
{
	struct chk_lookups *h = calloc(1, sizeof(*h));
	pthread_attr_t attr;
	size_t i;

	for (i = 0; i < n; i++) {
		l[i].reverse_s = l[i].forward_s = -1;
		l[i].name[0] = '\0';
	}
	if (!h)
		return NULL;
	h->l = l;
	h->n = n;
	h->jobs = calloc(n ? n : 1, sizeof(struct job *));
	if (!h->jobs) {
		free(h);
		return NULL;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < n; i++) {
		pthread_t t;
		struct job *j = calloc(1, sizeof(*j));

		if (!j)
			break;
		pthread_mutex_init(&j->lock, NULL);
		j->refs = 2;
		j->res = l[i];
		if (pthread_create(&t, &attr, lookup_thread, j) != 0) {
			pthread_mutex_destroy(&j->lock);
			free(j);
			break;
		}
		h->jobs[i] = j;
	}
	pthread_attr_destroy(&attr);
	return h;
}

void chk_lookups_finish(struct chk_lookups *h, double bound_s)
{
	int64_t deadline = cd_now_ns() + cd_s_to_ns(bound_s);
	size_t i;

	if (!h)
		return;
	/* Poll for completion until the deadline; threads still in a lookup
	 * then are abandoned (they free their job when they return). */
	for (;;) {
		size_t pending = 0;

		for (i = 0; i < h->n; i++) {
			if (!h->jobs[i])
				continue;
			pthread_mutex_lock(&h->jobs[i]->lock);
			if (h->jobs[i]->done)
				h->l[i] = h->jobs[i]->res;
			else
				pending++;
			pthread_mutex_unlock(&h->jobs[i]->lock);
		}
		if (!pending || cd_now_ns() >= deadline)
			break;
		usleep(10000);
	}
	for (i = 0; i < h->n; i++)
		if (h->jobs[i])
			job_unref(h->jobs[i]);
	free(h->jobs);
	free(h);
}

void chk_probe_nameservers(const struct cd_resolv_conf *r,
			   const struct in6_addr *ask, struct chk_ns_probe *out,
			   double bound_s)
{
	struct pollfd pfd[CD_RESOLV_MAXNS];
	int64_t sent[CD_RESOLV_MAXNS] = {0};
	int64_t deadline = cd_now_ns() + cd_s_to_ns(bound_s);
	uint8_t q[300], buf[1500];
	unsigned i, left = 0;
	long qlen;

	for (i = 0; i < r->nns; i++) {
		struct sockaddr_storage ss;
		socklen_t sl;
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		uint16_t id = (uint16_t)(0x4344 + i);

		snprintf(out[i].ns, sizeof(out[i].ns), "%s", r->ns[i]);
		out[i].rtt_s = -1;
		out[i].rcode = -1;
		out[i].send_errno = 0;
		pfd[i].fd = -1;
		pfd[i].events = POLLIN;
		memset(&ss, 0, sizeof(ss));
		if (inet_pton(AF_INET, r->ns[i], &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
			s4->sin_port = htons(53);
			sl = sizeof(*s4);
		} else if (inet_pton(AF_INET6, r->ns[i], &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(53);
			sl = sizeof(*s6);
		} else {
			out[i].send_errno = EINVAL;
			continue;
		}
		qlen = chk_dns_ptr_query(q, sizeof(q), id, ask);
		pfd[i].fd =
			socket(ss.ss_family,
			       SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		/* Connected, so an ICMP port unreachable comes back as
		 * ECONNREFUSED at once instead of looking like silence. */
		if (pfd[i].fd < 0 || qlen < 0 ||
		    connect(pfd[i].fd, (struct sockaddr *)&ss, sl) < 0 ||
		    send(pfd[i].fd, q, (size_t)qlen, 0) != qlen) {
			out[i].send_errno = errno ? errno : EIO;
			if (pfd[i].fd >= 0)
				close(pfd[i].fd);
			pfd[i].fd = -1;
			continue;
		}
		sent[i] = cd_now_ns();
		left++;
	}
	while (left) {
		int64_t now = cd_now_ns();
		int ms;

		if (now >= deadline)
			break;
		ms = (int)((deadline - now) / 1000000) + 1;
		if (poll(pfd, r->nns, ms) <= 0)
			continue;
		for (i = 0; i < r->nns; i++) {
			struct chk_dns_reply rep;
			ssize_t n;

			if (pfd[i].fd < 0 ||
			    !(pfd[i].revents & (POLLIN | POLLERR)))
				continue;
			n = recv(pfd[i].fd, buf, sizeof(buf), 0);
			if (n < 0 && errno == ECONNREFUSED) {
				/* ICMP port unreachable: nothing listens. */
				out[i].send_errno = ECONNREFUSED;
				close(pfd[i].fd);
				pfd[i].fd = -1;
				left--;
				continue;
			}
			if (n < 0 || chk_dns_parse_reply(buf, (size_t)n,
							 (uint16_t)(0x4344 + i),
							 &rep) < 0)
				continue; /* ICMP error or a stray datagram */
			out[i].rtt_s = (double)(cd_now_ns() - sent[i]) / 1e9;
			out[i].rcode = (int)rep.rcode;
			close(pfd[i].fd);
			pfd[i].fd = -1;
			left--;
		}
	}
	for (i = 0; i < r->nns; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
}

double chk_resolv_dead_lookup_s(int timeout_s, int attempts, int nameservers)
{
	int ns = nameservers > 0 ? nameservers : 1, i;
	int t = timeout_s > 0 ? timeout_s : 5;
	int a = attempts > 0 ? attempts : 2;
	double round = 0;

	/* res_send.c send_dg(): seconds = retrans << ns; for ns > 0
	 * divided by nscount; at least 1. */
	for (i = 0; i < ns && i < 31; i++) {
		long s = (long)t << i;

		if (i > 0)
			s /= ns;
		round += (double)(s > 0 ? s : 1);
	}
	return round * a;
}
