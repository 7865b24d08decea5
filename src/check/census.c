/* census.c - the socket census through netlink sock_diag (sock_diag(7);
 * linux/inet_diag.h, linux/unix_diag.h): TCP sockets to and from the MySQL
 * ports, filtered in the kernel by inet_diag bytecode, and the Unix stream
 * sockets of mysqld's socket path; a pure parser of the dump's messages;
 * a pure summary of what was read. */
#include "util/fileio.h"
#include "check/census.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <linux/unix_diag.h>
#include <pthread.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "util/bytes.h"
#include "util/vec.h"

/* Wire sizes, fixed by the kernel ABI; checked against the headers. */
#define NLH_LEN	      16u /* struct nlmsghdr */
#define INET_MSG_LEN  72u /* struct inet_diag_msg */
#define UNIX_MSG_LEN  16u /* struct unix_diag_msg */
#define NLA_HDR	      4u  /* struct nlattr */
#define UNIX_NAME_MAX 108u
#define MAX_ERRNO     4095 /* the kernel's errno values are 1..4095 */

_Static_assert(sizeof(struct nlmsghdr) == NLH_LEN, "nlmsghdr");
_Static_assert(sizeof(struct inet_diag_msg) == INET_MSG_LEN, "inet_diag_msg");
_Static_assert(sizeof(struct unix_diag_msg) == UNIX_MSG_LEN, "unix_diag_msg");

/* The kernel fills at most SKB_WITH_OVERHEAD(32768) bytes per recvmsg of
 * a dump (net/netlink/af_netlink.c), so 32 KiB takes each whole. */
#define RECV_BUF (32 * 1024)
/* Sockets one census may hold (a bound on a runaway dump). */
#define SOCKS_MAX (1u << 24)

/* idiag_states: every state, TIME_WAIT and SYN_RECV (and NEW_SYN_RECV)
 * too; or the listeners alone (TCP_LISTEN is 10). */
#define ALL_STATES    ((1u << 13) - 1)
#define LISTEN_STATES (1u << 10)

#define ALIGN4(x) (((x) + 3u) & ~(size_t)3u)

/* Netlink fields are in host byte order (cd_h16_at, cd_h32_at); ports
 * and addresses in network order (cd_be16_at): util/bytes.h, over bytes
 * already bounds-checked. */

/* ---- the parser ---- */

/* Steps over one attribute of [*p, *p + *rem): 1 with type, data and dlen
 * set, 0 at the end, CHK_DIAG_INVALID when a length disagrees with the
 * message around it (the message itself is complete). */
static int next_attr(const uint8_t **p, size_t *rem, uint16_t *type,
		     const uint8_t **data, size_t *dlen)
{
	size_t alen, adv;

	if (*rem == 0)
		return 0;
	if (*rem < NLA_HDR)
		return CHK_DIAG_INVALID;
	alen = cd_h16_at(*p);
	if (alen < NLA_HDR || alen > *rem)
		return CHK_DIAG_INVALID;
	*type = cd_h16_at(*p + 2) & NLA_TYPE_MASK;
	*data = *p + NLA_HDR;
	*dlen = alen - NLA_HDR;
	adv = ALIGN4(alen);
	if (adv > *rem)
		adv = *rem; /* the last attribute's padding may be absent */
	*p += adv;
	*rem -= adv;
	return 1;
}

static int port_wanted(const struct chk_diag_parse *p, uint16_t port)
{
	size_t i;

	for (i = 0; i < p->nports; i++)
		if (p->ports[i] == port)
			return 1;
	return 0;
}

static void put_addr(struct in6_addr *a, uint8_t family, const uint8_t *w)
{
	if (family == AF_INET) {
		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = 0xff;
		a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], w, 4);
	} else {
		memcpy(a->s6_addr, w, 16);
	}
}

/* The fields of struct tcp_info (linux/tcp.h) a shorter one from an older
 * kernel still holds; the rest stay 0 with have_info unset. */
static void take_tcp_info(struct chk_sock *s, const uint8_t *d, size_t n)
{
	if (n < offsetof(struct tcp_info, tcpi_bytes_received) + 8)
		return;
	s->have_info = 1;
	s->last_data_recv_ms =
		cd_h32_at(d + offsetof(struct tcp_info, tcpi_last_data_recv));
	s->total_retrans =
		cd_h32_at(d + offsetof(struct tcp_info, tcpi_total_retrans));
	memcpy(&s->bytes_received,
	       d + offsetof(struct tcp_info, tcpi_bytes_received), 8);
}

static enum chk_diag_rc parse_inet(struct chk_diag_parse *p, const uint8_t *m,
				   size_t len)
{
	struct chk_census *c = p->c;
	const uint8_t *ap = m + INET_MSG_LEN, *data;
	size_t rem, dlen;
	struct chk_sock s, *nv;
	uint16_t type;
	int r;

	if (len < INET_MSG_LEN)
		return CHK_DIAG_INVALID;
	memset(&s, 0, sizeof(s));
	/* Only tcp_info is read; every attribute's length must hold. */
	rem = len - INET_MSG_LEN;
	while ((r = next_attr(&ap, &rem, &type, &data, &dlen)) == 1)
		if (type == INET_DIAG_INFO)
			take_tcp_info(&s, data, dlen);
	if (r < 0)
		return CHK_DIAG_INVALID;

	s.family = m[0];
	s.state = m[1];
	s.timer = m[2];
	s.retrans = m[3];
	s.sport = cd_be16_at(m + 4);
	s.dport = cd_be16_at(m + 6);
	put_addr(&s.src, s.family, m + 8);
	put_addr(&s.dst, s.family, m + 24);
	s.expires_ms = cd_h32_at(m + 52);
	s.rqueue = cd_h32_at(m + 56);
	s.wqueue = cd_h32_at(m + 60);
	s.uid = cd_h32_at(m + 64);
	s.inode = cd_h32_at(m + 68);
	/* Kernel TCP states are 1..13 today (13: TCP_BOUND_INACTIVE). */
	if (s.state == 0 || s.state > 15)
		return CHK_DIAG_INVALID;
	if (s.state == CHK_TCP_CLOSING + 1) /* TCP_NEW_SYN_RECV */
		s.state = CHK_TCP_SYN_RECV;
	if (p->nports) {
		if (port_wanted(p, s.sport))
			s.server_side = 1;
		else if (!port_wanted(p, s.dport))
			return CHK_DIAG_MORE;
	}
	nv = cd_vec_grow(c->tcp, sizeof(*nv), c->ntcp + 1, &c->tcp_cap,
			 SOCKS_MAX, 64);
	if (!nv)
		return CHK_DIAG_NOMEM;
	c->tcp = nv;
	c->tcp[c->ntcp++] = s;
	return CHK_DIAG_MORE;
}

static int push_icons(struct chk_diag_parse *p, const uint8_t *data, size_t n)
{
	uint32_t *nv = cd_vec_grow(p->icons, sizeof(*nv), p->nicons + n,
				   &p->icons_cap, SOCKS_MAX, 16);
	size_t i;

	if (!nv)
		return -1;
	p->icons = nv;
	for (i = 0; i < n; i++)
		p->icons[p->nicons++] = cd_h32_at(data + 4 * i);
	return 0;
}

static enum chk_diag_rc parse_unix(struct chk_diag_parse *p, const uint8_t *m,
				   size_t len)
{
	struct chk_census *c = p->c;
	const uint8_t *ap = m + UNIX_MSG_LEN, *data, *icons = NULL;
	size_t rem, dlen, nicons = 0;
	struct chk_usock u, *nv;
	uint16_t type;
	int r;

	if (len < UNIX_MSG_LEN)
		return CHK_DIAG_INVALID;
	memset(&u, 0, sizeof(u));
	u.state = m[2];
	u.inode = cd_h32_at(m + 4);
	rem = len - UNIX_MSG_LEN;
	while ((r = next_attr(&ap, &rem, &type, &data, &dlen)) == 1) {
		switch (type) {
		case UNIX_DIAG_NAME: {
			size_t n = dlen;

			if (n > UNIX_NAME_MAX)
				return CHK_DIAG_INVALID;
			if (n && data[0] == '\0') {
				/* Abstract: shown as "@name", as ss does. */
				u.path[0] = '@';
				n = n > UNIX_NAME_MAX - 1 ? UNIX_NAME_MAX - 1
							  : n;
				memcpy(u.path + 1, data + 1, n - 1);
				u.path[n] = '\0';
			} else {
				n = strnlen((const char *)data, n);
				if (n >= sizeof(u.path))
					n = sizeof(u.path) - 1;
				memcpy(u.path, data, n);
				u.path[n] = '\0';
			}
			break;
		}
		case UNIX_DIAG_PEER:
			if (dlen < 4)
				return CHK_DIAG_INVALID;
			u.peer_inode = cd_h32_at(data);
			break;
		case UNIX_DIAG_RQLEN:
			if (dlen < 8)
				return CHK_DIAG_INVALID;
			u.rqueue = cd_h32_at(data);
			u.wqueue = cd_h32_at(data + 4);
			break;
		case UNIX_DIAG_ICONS:
			if (dlen % 4)
				return CHK_DIAG_INVALID;
			icons = data;
			nicons = dlen / 4;
			break;
		default:
			break;
		}
	}
	if (r < 0)
		return CHK_DIAG_INVALID;
	if (m[1] != SOCK_STREAM)
		return CHK_DIAG_MORE;
	/* Named sockets of other paths (other services' listeners and their
	 * accepted ends) can never be mysqld's side or a client's end. */
	if (u.path[0] && p->unix_path && strcmp(u.path, p->unix_path))
		return CHK_DIAG_MORE;
	if (icons && u.path[0] && u.state == CHK_TCP_LISTEN &&
	    push_icons(p, icons, nicons))
		return CHK_DIAG_NOMEM;
	nv = cd_vec_grow(c->unix_, sizeof(*nv), c->nunix + 1, &c->unix_cap,
			 SOCKS_MAX, 64);
	if (!nv)
		return CHK_DIAG_NOMEM;
	c->unix_ = nv;
	c->unix_[c->nunix++] = u;
	return CHK_DIAG_MORE;
}

enum chk_diag_rc chk_sockdiag_parse(struct chk_diag_parse *p,
				    const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		const uint8_t *m = buf + off, *pl = m + NLH_LEN;
		size_t mlen, plen, adv;
		enum chk_diag_rc rc = CHK_DIAG_MORE;
		int32_t e;

		if (len - off < NLH_LEN)
			return CHK_DIAG_TRUNCATED;
		mlen = cd_h32_at(m);
		if (mlen < NLH_LEN)
			return CHK_DIAG_INVALID;
		if (mlen > len - off)
			return CHK_DIAG_TRUNCATED;
		plen = mlen - NLH_LEN;
		switch (cd_h16_at(m + 4)) {
		case NLMSG_NOOP:
			break;
		case NLMSG_DONE:
			/* The dump's status; old kernels may send none. */
			if (plen >= 4) {
				e = (int32_t)cd_h32_at(pl);
				if (e > 0 || e < -MAX_ERRNO)
					return CHK_DIAG_INVALID;
				if (e < 0) {
					p->nl_errno = -e;
					return CHK_DIAG_ERROR;
				}
			}
			return CHK_DIAG_DONE;
		case NLMSG_ERROR:
			if (plen < 4)
				return CHK_DIAG_INVALID;
			e = (int32_t)cd_h32_at(pl);
			if (e > 0 || e < -MAX_ERRNO)
				return CHK_DIAG_INVALID;
			if (e < 0) {
				p->nl_errno = -e;
				return CHK_DIAG_ERROR;
			}
			break; /* an ACK */
		case NLMSG_OVERRUN:
			p->nl_errno = ENOBUFS;
			return CHK_DIAG_ERROR;
		case SOCK_DIAG_BY_FAMILY:
			if (plen < 1)
				return CHK_DIAG_INVALID;
			if (pl[0] == AF_INET || pl[0] == AF_INET6)
				rc = parse_inet(p, pl, plen);
			else if (pl[0] == AF_UNIX)
				rc = parse_unix(p, pl, plen);
			else
				rc = CHK_DIAG_INVALID;
			p->nmsgs++;
			break;
		default:
			return CHK_DIAG_INVALID;
		}
		if (rc != CHK_DIAG_MORE)
			return rc;
		adv = ALIGN4(mlen);
		off += adv < len - off ? adv : len - off;
	}
	return CHK_DIAG_MORE;
}

void chk_diag_parse_free(struct chk_diag_parse *p)
{
	free(p->icons);
	p->icons = NULL;
	p->nicons = p->icons_cap = 0;
}

/* ---- choosing mysqld's side of the Unix socket ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int in_sorted(const uint32_t *v, size_t n, uint32_t x)
{
	return n && bsearch(&x, v, n, sizeof(*v), cmp_u32) != NULL;
}

void chk_unix_select(struct chk_census *c, const char *path,
		     const uint32_t *icons, size_t nicons)
{
	uint32_t *server = NULL, *pending = NULL;
	size_t i, k, nserver = 0;

	if (!path || !path[0]) {
		c->nunix = 0;
		return;
	}
	/* The accepted ends carry the listener's name (unix_stream_connect
	 * gives the new socket the listener's address). */
	for (i = 0; i < c->nunix; i++) {
		struct chk_usock *u = &c->unix_[i];

		u->role = CHK_UROLE_OTHER;
		if (strcmp(u->path, path))
			continue;
		if (u->state == CHK_TCP_LISTEN) {
			u->role = CHK_UROLE_LISTENER;
		} else {
			u->role = CHK_UROLE_SERVER;
			nserver++;
		}
	}
	if (nserver)
		server = malloc(nserver * sizeof(*server));
	if (nicons)
		pending = malloc(nicons * sizeof(*pending));
	k = 0;
	for (i = 0; server && i < c->nunix; i++)
		if (c->unix_[i].role == CHK_UROLE_SERVER)
			server[k++] = c->unix_[i].inode;
	if (server)
		qsort(server, nserver, sizeof(*server), cmp_u32);
	if (pending) {
		memcpy(pending, icons, nicons * sizeof(*pending));
		qsort(pending, nicons, sizeof(*pending), cmp_u32);
	}
	/* A client's end has an accepted end as its peer; one still in the
	 * listener's queue has no peer inode yet but is among its icons. */
	for (i = 0; i < c->nunix; i++) {
		struct chk_usock *u = &c->unix_[i];

		if (u->role != CHK_UROLE_OTHER || u->path[0])
			continue;
		if ((u->peer_inode &&
		     in_sorted(server, server ? nserver : 0, u->peer_inode)) ||
		    in_sorted(pending, pending ? nicons : 0, u->inode))
			u->role = CHK_UROLE_CLIENT;
	}
	for (i = k = 0; i < c->nunix; i++)
		if (c->unix_[i].role != CHK_UROLE_OTHER)
			c->unix_[k++] = c->unix_[i];
	c->nunix = k;
	free(server);
	free(pending);
}

/* ---- reading: requests and the dump loop ---- */

#define BC_MAX	      512  /* 32 conditions and 31 JMPs: 380 bytes */
#define THREADS_ABOVE 4096 /* TCP sockets worth a second thread */

/* Appends one bytecode op (struct inet_diag_bc_op: u8 code, u8 yes, u16
 * no) in host order. */
static size_t put_op(uint8_t *bc, size_t off, uint8_t code, uint8_t yes,
		     uint16_t no)
{
	bc[off] = code;
	bc[off + 1] = yes;
	memcpy(bc + off + 2, &no, sizeof(no));
	return off + 4;
}

/* Bytecode keeping sockets whose sport or dport is one of ports
 * (net/ipv4/inet_diag.c inet_diag_bc_run): conditions joined as ss joins
 * an OR, "cond; JMP to accept" pairs where a failed condition skips its
 * JMP, so the audit's walk along the yes path sees every op. Accept is
 * the exact end; reject jumps 4 bytes past it. Returns the length, 0 when
 * there is nothing to filter or no room. */
static size_t build_bytecode(uint8_t *bc, size_t cap, const uint16_t *ports,
			     size_t nports)
{
	size_t m = 2 * nports, total, i, off = 0;

	if (!m)
		return 0;
	total = 12 * (m - 1) + 8;
	if (total > cap)
		return 0;
	for (i = 0; i < m; i++) {
		uint8_t code = i % 2 ? INET_DIAG_BC_D_EQ : INET_DIAG_BC_S_EQ;

		off = put_op(bc, off, code, 8, 12);
		off = put_op(bc, off, 0, 0, ports[i / 2]);
		if (i + 1 < m)
			off = put_op(bc, off, INET_DIAG_BC_JMP, 4,
				     (uint16_t)(total - off));
	}
	return off;
}

static void put_nlh(uint8_t *buf, uint32_t len, uint16_t type, uint16_t flags,
		    uint32_t seq)
{
	uint32_t pid = 0;

	memcpy(buf, &len, 4);
	memcpy(buf + 4, &type, 2);
	memcpy(buf + 6, &flags, 2);
	memcpy(buf + 8, &seq, 4);
	memcpy(buf + 12, &pid, 4);
}

static int diag_socket(char *err, size_t errlen)
{
	struct timeval tv = {5, 0};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (fd < 0) {
		cd_errf(err, errlen, "netlink socket: %s", strerror(errno));
		return -1;
	}
	/* A dump never stalls, but a bound costs nothing; without it the
	 * read still works. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Sends one request and parses the dump's replies until NLMSG_DONE.
 * Returns 0, or -1 with err set (p->nl_errno: the kernel's errno). */
static int dump(int fd, const uint8_t *req, size_t reqlen, uint8_t *buf,
		struct chk_diag_parse *p, char *err, size_t errlen)
{
	struct sockaddr_nl kernel;
	ssize_t n;

	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	do
		n = sendto(fd, req, reqlen, 0, (struct sockaddr *)&kernel,
			   sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		cd_errf(err, errlen, "netlink send: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = {buf, RECV_BUF};
		struct msghdr mh;
		enum chk_diag_rc rc;

		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		n = recvmsg(fd, &mh, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cd_errf(err, errlen, "netlink receive: %s",
				strerror(errno));
			return -1;
		}
		if (n == 0) {
			cd_errf(err, errlen, "netlink: end of stream");
			return -1;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			cd_errf(err, errlen, "netlink: message truncated");
			return -1;
		}
		if (from.nl_pid != 0)
			continue; /* not from the kernel */
		rc = chk_sockdiag_parse(p, buf, (size_t)n);
		switch (rc) {
		case CHK_DIAG_MORE:
			continue;
		case CHK_DIAG_DONE:
			return 0;
		case CHK_DIAG_ERROR:
			cd_errf(err, errlen, "sock_diag: %s",
				strerror(p->nl_errno));
			return -1;
		case CHK_DIAG_NOMEM:
			cd_errf(err, errlen, "out of memory");
			return -1;
		default:
			cd_errf(err, errlen, "sock_diag: %s reply",
				rc == CHK_DIAG_TRUNCATED ? "truncated"
							 : "invalid");
			return -1;
		}
	}
}

/* One inet_diag dump of one family (bc may be empty). */
static int dump_inet(int fd, uint8_t family, uint32_t states, uint8_t ext,
		     const uint8_t *bc, size_t bclen, uint32_t seq,
		     uint8_t *buf, struct chk_diag_parse *p, char *err,
		     size_t errlen)
{
	uint8_t req[NLH_LEN + sizeof(struct inet_diag_req_v2) + NLA_HDR +
		    BC_MAX];
	struct inet_diag_req_v2 r;
	size_t len = NLH_LEN + sizeof(r);

	memset(&r, 0, sizeof(r));
	r.sdiag_family = family;
	r.sdiag_protocol = IPPROTO_TCP;
	r.idiag_states = states;
	r.idiag_ext = ext;
	r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	memcpy(req + NLH_LEN, &r, sizeof(r));
	if (bclen) {
		uint16_t alen = (uint16_t)(NLA_HDR + bclen);
		uint16_t atype = INET_DIAG_REQ_BYTECODE;

		memcpy(req + len, &alen, 2);
		memcpy(req + len + 2, &atype, 2);
		memcpy(req + len + NLA_HDR, bc, bclen);
		len += ALIGN4(alen);
	}
	put_nlh(req, (uint32_t)len, SOCK_DIAG_BY_FAMILY,
		NLM_F_REQUEST | NLM_F_DUMP, seq);
	p->nl_errno = 0;
	return dump(fd, req, len, buf, p, err, errlen);
}

static int dump_unix(int fd, uint32_t seq, uint8_t *buf,
		     struct chk_diag_parse *p, char *err, size_t errlen)
{
	uint8_t req[NLH_LEN + sizeof(struct unix_diag_req)];
	struct unix_diag_req r;

	memset(&r, 0, sizeof(r));
	r.sdiag_family = AF_UNIX;
	r.udiag_states = ~0u;
	r.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN |
		       UDIAG_SHOW_ICONS;
	r.udiag_cookie[0] = INET_DIAG_NOCOOKIE;
	r.udiag_cookie[1] = INET_DIAG_NOCOOKIE;
	memcpy(req + NLH_LEN, &r, sizeof(r));
	put_nlh(req, (uint32_t)sizeof(req), SOCK_DIAG_BY_FAMILY,
		NLM_F_REQUEST | NLM_F_DUMP, seq);
	p->nl_errno = 0;
	return dump(fd, req, sizeof(req), buf, p, err, errlen);
}

/* One family's TCP dump, on its own netlink socket (in its own thread when
 * the two run side by side). */
struct tcp_dump {
	uint8_t family;
	const uint16_t *ports;
	size_t nports;
	int use_bc;	     /* 0: no bytecode, filter here */
	uint32_t states;     /* idiag_states: which TCP states to dump */
	uint8_t ext;	     /* idiag_ext: the attributes asked for */
	struct chk_census c; /* this dump's sockets (owned) */
	int rc, nl_errno;
	char err[160];
};

static void run_dump(struct tcp_dump *t)
{
	struct chk_diag_parse p;
	uint8_t *buf = malloc(RECV_BUF), bc[BC_MAX];
	size_t bclen = 0;
	int fd = -1;

	t->rc = -1;
	if (!buf) {
		cd_errf(t->err, sizeof(t->err), "out of memory");
		goto out;
	}
	fd = diag_socket(t->err, sizeof(t->err));
	if (fd < 0)
		goto out;
	if (t->use_bc)
		bclen = build_bytecode(bc, sizeof(bc), t->ports, t->nports);
	memset(&p, 0, sizeof(p));
	p.ports = t->ports;
	p.nports = t->nports;
	p.c = &t->c;
	t->rc = dump_inet(fd, t->family, t->states, t->ext, bc, bclen, 1, buf,
			  &p, t->err, sizeof(t->err));
	t->nl_errno = p.nl_errno;
	/* No IPv6 in this kernel: nothing to count there. */
	if (t->rc && t->family == AF_INET6 && p.nl_errno == ENOENT)
		t->rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
}

static void *dump_thread(void *arg)
{
	run_dump(arg);
	return NULL;
}

/* The first unsigned number after key in text; -1 when absent. */
static long number_after(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	char *end;
	long v;

	if (!p)
		return -1;
	p += strlen(key);
	v = strtol(p, &end, 10);
	return end == p || v < 0 ? -1 : v;
}

/* Whether to run the IPv6 dump beside the IPv4 one: each walks the whole
 * TCP hash table (a few ms when it holds tens of thousands of sockets),
 * so with a second CPU and many sockets in this namespace
 * (/proc/net/sockstat) the walks overlap; otherwise a thread costs more
 * than it saves. */
static int want_threads(void)
{
	long inuse, tw;
	char line[256] = "";
	FILE *f;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return 1;
	f = fopen("/proc/net/sockstat", "re");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "TCP: ", 5))
			break;
	fclose(f);
	inuse = number_after(line, " inuse ");
	tw = number_after(line, " tw ");
	if (strncmp(line, "TCP: ", 5) || inuse < 0 || tw < 0 ||
	    inuse + tw < THREADS_ABOVE)
		return 1;
	return 2;
}

/* Appends the sockets of t to c (taking its array whole when c has none). */
static int merge_dump(struct chk_census *c, struct tcp_dump *t)
{
	struct chk_sock *nv;

	if (!c->ntcp) {
		struct chk_sock *v = c->tcp;
		size_t cap = c->tcp_cap;

		c->tcp = t->c.tcp;
		c->ntcp = t->c.ntcp;
		c->tcp_cap = t->c.tcp_cap;
		t->c.tcp = v;
		t->c.tcp_cap = cap;
		t->c.ntcp = 0;
		return 0;
	}
	nv = cd_vec_grow(c->tcp, sizeof(*nv), c->ntcp + t->c.ntcp, &c->tcp_cap,
			 SOCKS_MAX, 64);
	if (!nv)
		return -1;
	c->tcp = nv;
	if (t->c.ntcp)
		memcpy(c->tcp + c->ntcp, t->c.tcp, t->c.ntcp * sizeof(*c->tcp));
	c->ntcp += t->c.ntcp;
	return 0;
}

/* Reads the TCP census into c: the IPv4 and IPv6 dumps, side by side when
 * threads is 2 (0: decide). */
static int read_tcp(struct chk_census *c, const uint16_t *ports, size_t nports,
		    uint32_t states, uint8_t ext, int threads, char *err,
		    size_t errlen)
{
	static const uint8_t families[] = {AF_INET, AF_INET6};
	struct tcp_dump d[2];
	pthread_t tid;
	int rc = 0, started = 0, use_bc = nports > 0;
	size_t k;

	if (!threads)
		threads = want_threads();
again:
	memset(d, 0, sizeof(d));
	for (k = 0; k < 2; k++) {
		d[k].family = families[k];
		d[k].ports = ports;
		d[k].nports = nports;
		d[k].use_bc = use_bc;
		d[k].states = states;
		d[k].ext = ext;
	}
	started =
		threads > 1 && !pthread_create(&tid, NULL, dump_thread, &d[1]);
	run_dump(&d[0]);
	if (started)
		pthread_join(tid, NULL);
	else
		run_dump(&d[1]);
	/* A kernel without S_EQ/D_EQ (before 4.16) rejects the bytecode:
	 * dump everything and filter here. */
	if (use_bc && (d[0].rc || d[1].rc) &&
	    (d[0].nl_errno == EINVAL || d[1].nl_errno == EINVAL)) {
		for (k = 0; k < 2; k++)
			chk_census_free(&d[k].c);
		use_bc = 0;
		goto again;
	}
	for (k = 0; k < 2 && !rc; k++)
		if (d[k].rc) {
			cd_errf(err, errlen, "%s", d[k].err);
			rc = -1;
		} else if (merge_dump(c, &d[k])) {
			cd_errf(err, errlen, "out of memory");
			rc = -1;
		}
	for (k = 0; k < 2; k++)
		chk_census_free(&d[k].c);
	if (!rc)
		c->kernel_filter = use_bc;
	return rc;
}

int chk_census_read(struct chk_census *c, const uint16_t *ports, size_t nports,
		    const char *unix_path, char *err, size_t errlen)
{
	return chk_census_read_threads(c, ports, nports, unix_path, 0, err,
				       errlen);
}

int chk_listeners_read(struct chk_census *c, const uint16_t *ports,
		       size_t nports, char *err, size_t errlen)
{
	c->tcp_ok = c->unix_ok = c->kernel_filter = 0;
	c->ntcp = c->nunix = 0;
	if (nports > CHK_MAX_PORTS)
		nports = CHK_MAX_PORTS;
	if (read_tcp(c, ports, nports, LISTEN_STATES, 0, 1, err, errlen)) {
		c->ntcp = 0;
		return -1;
	}
	c->tcp_ok = 1;
	return 0;
}

int chk_census_read_info(struct chk_census *c, const uint16_t *ports,
			 size_t nports, char *err, size_t errlen)
{
	c->tcp_ok = c->unix_ok = c->kernel_filter = 0;
	c->ntcp = c->nunix = 0;
	if (nports > CHK_MAX_PORTS)
		nports = CHK_MAX_PORTS;
	if (read_tcp(c, ports, nports, 1u << CHK_TCP_ESTABLISHED,
		     1u << (INET_DIAG_INFO - 1), 1, err, errlen)) {
		c->ntcp = 0;
		return -1;
	}
	c->tcp_ok = 1;
	return 0;
}

int chk_census_read_threads(struct chk_census *c, const uint16_t *ports,
			    size_t nports, const char *unix_path, int threads,
			    char *err, size_t errlen)
{
	struct chk_diag_parse p;
	uint8_t *buf;
	int fd, rc = 0;

	c->tcp_ok = c->unix_ok = c->kernel_filter = 0;
	c->ntcp = c->nunix = 0;
	if (nports > CHK_MAX_PORTS)
		nports = CHK_MAX_PORTS;
	if (read_tcp(c, ports, nports, ALL_STATES, 0, threads, err, errlen)) {
		c->ntcp = 0;
		rc = -1;
	} else {
		c->tcp_ok = 1;
	}
	if (!unix_path || !unix_path[0])
		return rc;
	buf = malloc(RECV_BUF);
	fd = diag_socket(NULL, 0);
	memset(&p, 0, sizeof(p));
	p.unix_path = unix_path;
	p.c = c;
	if (buf && fd >= 0 && !dump_unix(fd, 3, buf, &p, NULL, 0)) {
		chk_unix_select(c, unix_path, p.icons, p.nicons);
		c->unix_ok = 1;
	} else {
		c->nunix = 0;
		if (!rc)
			cd_errf(err, errlen, "unix: %s",
				!buf	     ? "out of memory"
				: fd < 0     ? strerror(errno)
				: p.nl_errno ? strerror(p.nl_errno)
					     : "bad reply");
		rc = -1;
	}
	chk_diag_parse_free(&p);
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

void chk_census_free(struct chk_census *c)
{
	free(c->tcp);
	free(c->unix_);
	memset(c, 0, sizeof(*c));
}

/* ---- names and formatting ---- */

const char *chk_tcp_state_name(unsigned state)
{
	static const char *const names[] = {
		"?",	      "ESTABLISHED", "SYN_SENT",  "SYN_RECV",
		"FIN_WAIT1",  "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
		"CLOSE_WAIT", "LAST_ACK",    "LISTEN",	  "CLOSING",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

void chk_addr_str(const struct in6_addr *a, char *buf, size_t len)
{
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		if (!inet_ntop(AF_INET, &a->s6_addr[12], buf, (socklen_t)len))
			snprintf(buf, len, "?");
	} else if (!inet_ntop(AF_INET6, a, buf, (socklen_t)len)) {
		snprintf(buf, len, "?");
	}
}

void chk_sock_endpoints(const struct chk_sock *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int v6 = !IN6_IS_ADDR_V4MAPPED(&s->src);

	chk_addr_str(&s->src, a, sizeof(a));
	chk_addr_str(&s->dst, b, sizeof(b));
	snprintf(buf, len, v6 ? "[%s]:%u -> [%s]:%u" : "%s:%u -> %s:%u", a,
		 s->sport, b, s->dport);
}

/* ---- the summary ---- */

static int cmp_dest_use(const void *a, const void *b)
{
	const struct chk_dest_use *x = a, *y = b;

	if (x->in_range != y->in_range)
		return x->in_range > y->in_range ? -1 : 1;
	if (x->sockets != y->sockets)
		return x->sockets > y->sockets ? -1 : 1;
	return x->dport < y->dport ? -1 : x->dport > y->dport;
}

/* A hash of (src, dst, dport): 64-bit multiply-xorshift over the words. */
static uint32_t dest_hash(const struct chk_sock *k)
{
	uint64_t w[4], h = k->dport;
	size_t i;

	memcpy(&w[0], k->dst.s6_addr, 8);
	memcpy(&w[1], k->dst.s6_addr + 8, 8);
	memcpy(&w[2], k->src.s6_addr, 8);
	memcpy(&w[3], k->src.s6_addr + 8, 8);
	for (i = 0; i < 4; i++) {
		h ^= w[i];
		h *= 0x9e3779b97f4a7c15ull;
		h ^= h >> 31;
	}
	return (uint32_t)(h >> 32);
}

static int same_dest(const struct chk_dest_use *d, const struct chk_sock *k)
{
	return d->dport == k->dport &&
	       !memcmp(&d->dst, &k->dst, sizeof(d->dst)) &&
	       !memcmp(&d->src, &k->src, sizeof(d->src));
}

/* Groups client sockets (not LISTEN) by (src, dst, dport) in a hash table
 * of dest indexes + 1 (linear probing, at most half full). */
static int summarize_dests(const struct chk_census *c, int lo, int hi,
			   struct chk_census_sum *s)
{
	size_t cap = 16, dcap = 0, i;
	uint32_t *slot;

	while (cap < 2 * c->ntcp)
		cap *= 2;
	slot = calloc(cap, sizeof(*slot));
	if (!slot)
		return -1;
	for (i = 0; i < c->ntcp; i++) {
		const struct chk_sock *k = &c->tcp[i];
		struct chk_dest_use *d;
		size_t h;

		if (k->server_side || k->state == CHK_TCP_LISTEN)
			continue;
		h = dest_hash(k) & (cap - 1);
		while (slot[h] && !same_dest(&s->dests[slot[h] - 1], k))
			h = (h + 1) & (cap - 1);
		if (!slot[h]) {
			struct chk_dest_use *nv = cd_vec_grow(
				s->dests, sizeof(*nv), s->ndests + 1, &dcap,
				SOCKS_MAX, 16);

			if (!nv) {
				free(slot);
				return -1;
			}
			s->dests = nv;
			d = &s->dests[s->ndests];
			memset(d, 0, sizeof(*d));
			d->src = k->src;
			d->dst = k->dst;
			d->dport = k->dport;
			slot[h] = (uint32_t)++s->ndests;
		}
		d = &s->dests[slot[h] - 1];
		d->sockets++;
		if (lo < 0 || (k->sport >= lo && k->sport <= hi))
			d->in_range++;
		if (k->state == CHK_TCP_TIME_WAIT)
			d->time_wait++;
		else if (k->state == CHK_TCP_ESTABLISHED)
			d->established++;
	}
	free(slot);
	if (s->ndests > 1)
		qsort(s->dests, s->ndests, sizeof(*s->dests), cmp_dest_use);
	return 0;
}

int chk_census_summarize(const struct chk_census *c, int port_lo, int port_hi,
			 struct chk_census_sum *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < c->ntcp; i++) {
		const struct chk_sock *k = &c->tcp[i];
		unsigned st = k->state & 15u;

		s->by_state[st]++;
		if (k->server_side) {
			if (k->state == CHK_TCP_LISTEN)
				s->listeners++;
			else if (k->state == CHK_TCP_TIME_WAIT)
				s->time_wait_server++;
			else if (k->state == CHK_TCP_SYN_RECV) {
				s->syn_recv++;
				if (k->retrans)
					s->syn_recv_retrans++;
			}
			continue;
		}
		s->client_by_state[st]++;
		if (k->state == CHK_TCP_TIME_WAIT) {
			s->time_wait_client++;
		} else if (k->state == CHK_TCP_ESTABLISHED) {
			s->est_client++;
			if (k->timer == 2)
				s->est_client_keepalive++;
			else if (k->timer == 0)
				s->est_client_no_timer++;
		}
	}
	for (i = 0; i < c->nunix; i++) {
		const struct chk_usock *u = &c->unix_[i];

		if (u->role == CHK_UROLE_LISTENER)
			s->unix_listeners++;
		else if (u->role == CHK_UROLE_SERVER)
			s->unix_server_ends++;
		else if (u->role == CHK_UROLE_CLIENT) {
			s->unix_clients++;
			if (!u->peer_inode)
				s->unix_pending++;
		}
	}
	if (summarize_dests(c, port_lo, port_hi, s)) {
		chk_census_sum_free(s);
		return -1;
	}
	return 0;
}

void chk_census_sum_free(struct chk_census_sum *s)
{
	free(s->dests);
	s->dests = NULL;
	s->ndests = 0;
}
