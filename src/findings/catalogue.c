/* catalogue.c - every finding code conndoctor can report, one table. Each
 * code has its page in docs/findings/CODE.md, built into the binary for
 * `conndoctor explain`. */
#include "findings/findings.h"

#include <stdlib.h>
#include <string.h>

static const struct cd_finding_def catalogue[] = {
	{"CD1001", "fd-exhausted", CD_LAYER_CLIENT,
	 "the client ran out of file descriptors",
	 "Raise the process's RLIMIT_NOFILE (ulimit -n, LimitNOFILE= in the "
	 "systemd unit) or lower the pool size."},
	{"CD2001", "client-dns-failure", CD_LAYER_DNS,
	 "the client cannot resolve the server's name",
	 "Check the name, /etc/hosts and the resolvers in /etc/resolv.conf; "
	 "connect by address to confirm the server itself is fine."},
	{"CD2002", "slow-client-resolve", CD_LAYER_DNS,
	 "resolving the server's name is slow on this client",
	 "Put the server in /etc/hosts or run a local cache; check each "
	 "nameserver in /etc/resolv.conf for timeouts."},
	{"CD2003", "greeting-waits-on-resolver", CD_LAYER_DNS,
	 "the server greets only after a resolver timeout",
	 "The server side resolves the client's address before greeting: "
	 "mysqld with skip_name_resolve=OFF, or TCP wrappers (libwrap) even "
	 "with skip_name_resolve=ON. Fix the resolver the server uses, add "
	 "the clients to the server's /etc/hosts, set skip_name_resolve=ON, "
	 "and remove hostname rules from hosts.allow/hosts.deny."},
	{"CD3001", "syn-retransmission-ladder", CD_LAYER_TCP,
	 "connects wait on the kernel's SYN retransmission schedule",
	 "A SYN or its SYN-ACK is being dropped between client and server: "
	 "a firewall DROP rule, a full SYN backlog (tcp_max_syn_backlog, "
	 "somaxconn), or a lossy path. Capture both ends (tcpdump 'tcp port "
	 "3306 and tcp[tcpflags] & tcp-syn != 0') to see which side loses it."},
	{"CD3002", "connection-refused", CD_LAYER_TCP,
	 "nothing accepts connections on the server's address and port",
	 "Check that mysqld runs and listens there (bind_address, port, "
	 "skip_networking) and that no firewall REJECTs the port."},
	{"CD3003", "no-greeting-on-established", CD_LAYER_TCP,
	 "connections are ESTABLISHED but the server never greets",
	 "Compare the server's view: a SYN-RECV entry means the third ACK was "
	 "lost; ListenOverflows/ListenDrops rising means the accept queue is "
	 "full (mysqld not accepting: stalled, or busy in its accept loop, "
	 "e.g. TCP wrappers waiting on DNS). Try the Unix socket to see "
	 "whether mysqld itself answers."},
	{"CD3004", "local-ports-exhausted", CD_LAYER_TCP,
	 "the client has no free local port for a new connection",
	 "Too many connections to the same server address and port sit in "
	 "TIME_WAIT or are open: reuse connections (a pool), widen "
	 "net.ipv4.ip_local_port_range, or let the server close first."},
	{"CD3005", "host-unreachable", CD_LAYER_TCP,
	 "the server's address is unreachable from this client",
	 "Check routing and any firewall that REJECTs with "
	 "icmp-host-unreachable; `ip route get ADDRESS` shows the path."},
	{"CD3006", "path-fails-socket-works", CD_LAYER_TCP,
	 "the Unix socket works while TCP fails: mysqld is up",
	 "The fault lies between the TCP client and mysqld: the network, a "
	 "firewall, TCP wrappers or the listener's queue, not mysqld itself."},
	{"CD3007", "concurrency-threshold", CD_LAYER_TCP,
	 "failures or latency begin at a concurrency level",
	 "Look at what is per-connection and serial on the server: the "
	 "accept queue (back_log, somaxconn), TCP wrappers or name "
	 "resolution in the accept path, max_connections, thread creation."},
	{"CD3008", "periodic-failures", CD_LAYER_TCP,
	 "every Nth connection fails",
	 "A fixed stride points at a round-robin element: one bad backend "
	 "behind a load balancer or VIP, one bad resolver among several, "
	 "one full listener among SO_REUSEPORT sockets."},
	{"CD3009", "failure-burst", CD_LAYER_TCP,
	 "failures come in a burst, not spread over the run",
	 "Something happened at that time: a firewall reload, a conntrack "
	 "flush, a failover, a server stall. Correlate with logs at the "
	 "burst's time."},
	{"CD3010", "connect-failed", CD_LAYER_TCP,
	 "connects fail with an unexpected error",
	 "The errno in the evidence names the cause; compare with a plain "
	 "`nc -vz HOST PORT` from the same host."},
	{"CD6001", "too-many-connections", CD_LAYER_SERVER,
	 "the server refuses connections: too many connections",
	 "Check Threads_connected against max_connections and who holds "
	 "the connections (SHOW PROCESSLIST); size pools below the limit."},
	{"CD6002", "host-blocked", CD_LAYER_SERVER,
	 "the server blocks this client host after connection errors",
	 "Run FLUSH HOSTS (or mariadb-admin flush-hosts), raise "
	 "max_connect_errors, and find what aborts handshakes from this "
	 "host (probes, health checks that stop before login)."},
	{"CD6003", "host-not-allowed", CD_LAYER_SERVER,
	 "the server does not allow this client host to connect",
	 "The account has no host pattern matching this client: check "
	 "mysql.user (SELECT user, host FROM mysql.user) and the address the "
	 "server sees (NAT, proxies, name resolution)."},
	{"CD6004", "access-denied", CD_LAYER_SERVER,
	 "the server rejects the credentials",
	 "Check the user, the password and the account's host pattern and "
	 "auth plugin."},
	{"CD6005", "idle-cut", CD_LAYER_SERVER,
	 "idle connections are closed under the client",
	 "The server's wait_timeout (or a NAT/firewall that forgets quiet "
	 "flows) ends idle sessions: set the pool's idle limit below it, "
	 "validate connections before use, or raise wait_timeout."},
	{"CD6006", "gone-away", CD_LAYER_SERVER,
	 "the server closed logged-in sessions during a query",
	 "Look in the server's error log at that time (Aborted connection, "
	 "crash, kill) and at max_allowed_packet, net_read_timeout and "
	 "net_write_timeout."},
	{"CD6007", "closed-before-greeting", CD_LAYER_SERVER,
	 "the server side closes connections before the greeting",
	 "Something in front of mysqld's handshake ends the connection: TCP "
	 "wrappers denying the host, a proxy without a healthy backend, or "
	 "mysqld refusing during startup or shutdown."},
	{"CD6008", "query-timeout", CD_LAYER_SERVER,
	 "queries do not answer within the read timeout",
	 "The server is stalled or the query is slow: check SHOW PROCESSLIST "
	 "and locks, and the path's retransmissions."},
	{"CD6009", "query-error", CD_LAYER_SERVER,
	 "the probe query fails with a server error",
	 "The connection works but the query does not: check the query, the "
	 "database and the account's privileges."},
	{"CD6010", "auth-timeout", CD_LAYER_SERVER,
	 "logins do not complete in time",
	 "The server greets but does not answer the login: a stalled "
	 "authentication plugin, LDAP/PAM backends, or a saturated server."},
	{"CD8001", "not-mysql", CD_LAYER_PROTOCOL,
	 "the server at that address does not speak the MySQL protocol",
	 "Check the port: something else (SSH, HTTP, a proxy's admin port) "
	 "answers there."},
	{"CD8002", "tls-failed", CD_LAYER_PROTOCOL,
	 "the TLS handshake with the server fails",
	 "Check --ssl-mode, the CA and the server's certificate and TLS "
	 "versions (tls_version, ssl_cert, ssl_key)."},
};

const struct cd_finding_def *cd_catalogue(size_t *n)
{
	*n = sizeof(catalogue) / sizeof(catalogue[0]);
	return catalogue;
}

const struct cd_finding_def *cd_finding_lookup(const char *code)
{
	size_t i;

	for (i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]); i++)
		if (!strcasecmp(catalogue[i].code, code))
			return &catalogue[i];
	return NULL;
}

const char *cd_severity_name(enum cd_severity s)
{
	switch (s) {
	case CD_SEV_CRITICAL:
		return "critical";
	case CD_SEV_WARNING:
		return "warning";
	default:
		return "info";
	}
}

const char *cd_layer_name(enum cd_layer l)
{
	static const char *const names[] = {
		"?",	    "client", "dns",	     "tcp",	 "firewall",
		"wrappers", "server", "replication", "protocol",
	};

	return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "?";
}

void cd_findings_init(struct cd_findings *f)
{
	memset(f, 0, sizeof(*f));
}

void cd_findings_free(struct cd_findings *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

struct cd_finding *cd_finding_add(struct cd_findings *f, const char *code,
				  enum cd_severity sev)
{
	const struct cd_finding_def *def = cd_finding_lookup(code);
	struct cd_finding *x;

	if (!def)
		abort(); /* a rule names a code the catalogue lacks: a bug */
	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 8;
		struct cd_finding *n = realloc(f->v, ncap * sizeof(*n));

		if (!n)
			return NULL;
		f->v = n;
		f->cap = ncap;
	}
	x = &f->v[f->n++];
	memset(x, 0, sizeof(*x));
	x->def = def;
	x->severity = sev;
	return x;
}

void cd_finding_list(struct cd_finding *f, const char *key, const double *v,
		     size_t n)
{
	struct cd_evidence *e;
	size_t i;

	if (f->nev >= CD_EV_MAX)
		return;
	e = &f->ev[f->nev++];
	strncpy(e->key, key, sizeof(e->key) - 1);
	e->n = n > CD_EV_VALUES ? CD_EV_VALUES : (unsigned)n;
	for (i = 0; i < e->n; i++)
		e->v[i] = v[i];
}

void cd_finding_num(struct cd_finding *f, const char *key, double v)
{
	cd_finding_list(f, key, &v, 1);
}

static int cmp_finding(const void *a, const void *b)
{
	const struct cd_finding *x = a, *y = b;

	if (x->severity != y->severity)
		return (int)y->severity - (int)x->severity;
	return strcmp(x->def->code, y->def->code);
}

void cd_findings_sort(struct cd_findings *f)
{
	if (f->n > 1)
		qsort(f->v, f->n, sizeof(*f->v), cmp_finding);
}

enum cd_severity cd_findings_worst(const struct cd_findings *f)
{
	enum cd_severity w = CD_SEV_INFO;
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i].severity > w)
			w = f->v[i].severity;
	return w;
}
