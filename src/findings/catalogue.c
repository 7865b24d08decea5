/* catalogue.c - every finding code conndoctor can report, one table. Each
 * code has its page in docs/findings/CODE.md, built into the binary for
 * `conndoctor explain`. */
#include "findings/findings.h"

#include <stdlib.h>
#include <string.h>

#include "util/vec.h"

static const struct cd_finding_def catalogue[] = {
	{"CD1001", "fd-exhausted", CD_LAYER_CLIENT,
	 "the client ran out of file descriptors",
	 "Raise the process's RLIMIT_NOFILE (ulimit -n, LimitNOFILE= in the "
	 "systemd unit) or lower the pool size."},
	{"CD1002", "mysql-socket-on-stdio", CD_LAYER_CLIENT,
	 "a process holds its MySQL connection on fd 0, 1 or 2",
	 "The process closed stdin/stdout/stderr before connecting, so the "
	 "socket took that number: anything written there (its own or a "
	 "child's warnings) corrupts the MySQL stream (\"Got packets out of "
	 "order\", then \"server has gone away\"). Reopen 0-2 on /dev/null "
	 "instead of closing them, and redirect children's output."},
	{"CD1003", "probe-local-error", CD_LAYER_CLIENT,
	 "the probe failed on this host, not at the server",
	 "The measurement is incomplete: the kernel refused an epoll change "
	 "(errno in the evidence: ENOMEM or ENOSPC, "
	 "fs.epoll.max_user_watches). "
	 "Free memory or raise the limit, lower -c, and probe again."},
	{"CD1004", "reply-over-client-limit", CD_LAYER_CLIENT,
	 "a reply is larger than the client's max_allowed_packet",
	 "Raise max_allowed_packet on the client ([client] or the "
	 "connector's option) above the largest row or result packet, and "
	 "on the server too ([mysqld], SET GLOBAL) so it builds such rows; "
	 "or select less per row (no huge BLOB/TEXT in one value)."},
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
	{"CD2010", "dead-nameserver", CD_LAYER_DNS,
	 "a configured nameserver does not answer",
	 "Remove or fix the nameserver in /etc/resolv.conf; while it is "
	 "first, every lookup waits its timeout before trying the next one."},
	{"CD2011", "slow-nameserver", CD_LAYER_DNS,
	 "a nameserver answers slowly",
	 "Use a closer or cached resolver; every uncached lookup pays this."},
	{"CD2012", "slow-client-lookup", CD_LAYER_DNS,
	 "looking up a client's address is slow here",
	 "mysqld (skip_name_resolve=OFF) and TCP wrappers pay this for every "
	 "connection: add the clients to /etc/hosts, fix the resolver, or "
	 "stop resolving (skip_name_resolve=ON, address-only hosts rules)."},
	{"CD2013", "reverse-forward-mismatch", CD_LAYER_DNS,
	 "a client's name does not resolve back to its address",
	 "Fix the PTR or A record; mysqld then ignores the name and libwrap "
	 "PARANOID denies the host."},
	{"CD2014", "dns-before-files", CD_LAYER_DNS,
	 "name lookups ask DNS before /etc/hosts",
	 "Put files before dns on the hosts: line of /etc/nsswitch.conf."},
	{"CD2020", "mysqld-resolve-time-measured", CD_LAYER_DNS,
	 "mysqld itself spent seconds resolving a client's address",
	 "Measured inside mysqld: its resolver calls for this client took "
	 "this long before it could greet. Fix the resolver mysqld uses, add "
	 "the clients to its /etc/hosts, or set skip_name_resolve=ON (and "
	 "drop hostname patterns from hosts.allow/hosts.deny)."},
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
	{"CD3020", "pcap-syn-retransmitted", CD_LAYER_TCP,
	 "a connection's SYN was retransmitted before the server answered",
	 "The first SYN(s) or their SYN-ACKs were lost: look for DROP rules "
	 "and full SYN queues on the server (nstat TcpExtListenDrops) and "
	 "capture on both ends to see which packet goes missing."},
	{"CD3021", "pcap-syn-unanswered", CD_LAYER_TCP,
	 "a connection's SYN was never answered",
	 "Nothing came back, not even a RST: a firewall DROP, a wrong route "
	 "or a dead host. Make the firewall REJECT so clients fail at once, "
	 "and set the client's connect timeout to what it can wait."},
	{"CD3022", "pcap-syn-refused", CD_LAYER_TCP,
	 "a connection's SYN was answered by RST (connection refused)",
	 "Nothing listens there: check that mysqld runs, its port and "
	 "bind_address, and REJECT rules on the path."},
	{"CD3023", "pcap-synack-lost", CD_LAYER_TCP,
	 "the server's SYN-ACKs do not reach the client",
	 "The server answers but the client keeps resending its SYN: a "
	 "firewall on the client side or on the return path drops the "
	 "SYN-ACK. Allow established/related return traffic (or the "
	 "server's source port) in the client's INPUT chain."},
	{"CD3024", "pcap-third-ack-lost", CD_LAYER_TCP,
	 "the handshake's third ACK never reaches the server (half-open)",
	 "The client believes it is connected while the server still waits "
	 "in SYN-RECV and resends its SYN-ACK: a filter dropping the "
	 "client's pure ACKs, or syncookies under a SYN flood. Check "
	 "firewall rules matching ACKs or lengths, and "
	 "net.ipv4.tcp_syncookies with the listen queue."},
	{"CD3025", "pcap-retransmissions", CD_LAYER_TCP,
	 "segments were retransmitted with growing backoff",
	 "Data is lost between client and server: a stateful firewall or "
	 "conntrack that forgot the flow (after a reload or a flush), a "
	 "NAT timeout, or a lossy link. The evidence says which side "
	 "resent and when."},
	{"CD3026", "pcap-zero-window", CD_LAYER_TCP,
	 "a side's receive window fell to zero: it stopped reading",
	 "The side that advertised it is not reading: an application that "
	 "does not consume its result set, or a stalled mysqld. Server "
	 "timeouts (net_write_timeout, net_read_timeout) end such waits."},
	{"CD3027", "pcap-keepalive", CD_LAYER_TCP,
	 "TCP keepalive probes were sent on the connection",
	 "Probes that get no answer mean the peer or a middlebox forgot the "
	 "connection. Keep tcp_keepalive_time below the shortest idle "
	 "timeout on the path (NAT, firewall, conntrack)."},
	{"CD3028", "pcap-rst-after-idle", CD_LAYER_TCP,
	 "a connection was reset after a silence",
	 "An idle flow was forgotten on the way or by the peer: a NAT or "
	 "firewall idle timeout, a conntrack flush, or a server that closed "
	 "meanwhile. Use TCP keepalive or pool validation below that "
	 "timeout."},
	{"CD3029", "pcap-server-closed-idle", CD_LAYER_TCP,
	 "the server closed an idle session (wait_timeout)",
	 "The server ends sessions idle longer than wait_timeout "
	 "(interactive_timeout for interactive clients): set the pool's "
	 "idle limit below it, validate connections before use, or raise "
	 "wait_timeout."},
	{"CD3030", "pcap-slow-greeting", CD_LAYER_TCP,
	 "the server greeted long after the TCP handshake",
	 "A greeting that waits a multiple of 5 s is a resolver timeout on "
	 "the server (reverse DNS by mysqld, or by TCP wrappers even with "
	 "skip_name_resolve=ON): fix the server's resolver or set "
	 "skip_name_resolve=ON and drop hostname rules. Otherwise the "
	 "server was slow to accept: look at its accept queue and load."},
	{"CD3031", "pcap-no-greeting", CD_LAYER_TCP,
	 "a connection completed its handshake but got no greeting",
	 "mysqld did not take the connection: a full accept queue "
	 "(back_log, somaxconn), a stalled server, or TCP wrappers refusing "
	 "or waiting on DNS in the accept path. Compare with the Unix "
	 "socket and the server's ListenOverflows."},
	{"CD3032", "pcap-capture-gaps", CD_LAYER_TCP,
	 "the capture missed bytes of some connections",
	 "Capture whole packets (tcpdump -s 0) with a bigger buffer (-B) and "
	 "a filter; the missing parts could not be decoded."},
	{"CD3040", "accept-queue-full", CD_LAYER_TCP,
	 "a MySQL listener's accept queue is full or nearly full",
	 "mysqld is not accepting fast enough: a stalled server, a slow "
	 "accept loop (TCP wrappers or name resolution in it), or a burst "
	 "larger than the backlog. Find why mysqld stalls; raise back_log "
	 "and net.core.somaxconn for bursts."},
	{"CD3041", "listen-overflows", CD_LAYER_TCP,
	 "listeners overflow their queues and drop connections",
	 "Run with --interval to see whether the counters rise, and look at "
	 "the listeners' accept queues (ss -ltn): raise back_log and "
	 "net.core.somaxconn, and find what keeps mysqld from accepting."},
	{"CD3042", "syn-recv-pileup", CD_LAYER_TCP,
	 "handshakes to MySQL ports stay half-open in SYN_RECV",
	 "The clients' third ACKs do not arrive: a firewall dropping pure "
	 "ACKs, asymmetric routing, or a SYN flood. Capture on the server "
	 "(tcpdump 'tcp port 3306') and compare with the client's view."},
	{"CD3043", "syncookies-sent", CD_LAYER_TCP,
	 "the SYN queue overflowed and the kernel answered with SYN cookies",
	 "Cookies keep no state: a lost third ACK leaves the client with an "
	 "ESTABLISHED connection the server never saw. Raise "
	 "net.ipv4.tcp_max_syn_backlog and back_log, and find the burst or "
	 "flood behind it."},
	{"CD3044", "time-wait-pileup", CD_LAYER_TCP,
	 "connections to a MySQL server pile up in TIME_WAIT",
	 "The client opens and closes a connection per request: use a pool "
	 "or persistent connections; widen net.ipv4.ip_local_port_range; "
	 "net.ipv4.tcp_tw_reuse=1 lets new connects reuse TIME_WAIT ports."},
	{"CD3045", "ephemeral-ports-exhausted", CD_LAYER_TCP,
	 "connections to one MySQL server use up the ephemeral port range",
	 "Reuse connections (a pool), widen net.ipv4.ip_local_port_range, "
	 "enable net.ipv4.tcp_tw_reuse=1, or spread connections over more "
	 "server addresses or ports."},
	{"CD3046", "no-keepalive", CD_LAYER_TCP,
	 "MySQL connections from this host have no TCP keepalive",
	 "Enable TCP keepalive in the client or driver (SO_KEEPALIVE; "
	 "libmariadb and Connector/J set it, other drivers may not) and "
	 "lower net.ipv4.tcp_keepalive_time below the idle timeout of any "
	 "NAT or firewall on the path."},
	{"CD3060", "syn-retries-long", CD_LAYER_TCP,
	 "a connect to a dead server hangs for minutes",
	 "Lower net.ipv4.tcp_syn_retries (6 gives about 130 s) and give "
	 "every client a connect timeout."},
	{"CD3061", "retries2-long", CD_LAYER_TCP,
	 "a dead server is noticed only after a long retransmission",
	 "Lower net.ipv4.tcp_retries2 (15 gives about 15 minutes) or set "
	 "the client's read timeout."},
	{"CD3062", "narrow-port-range", CD_LAYER_TCP,
	 "the ephemeral port range is narrow",
	 "Widen net.ipv4.ip_local_port_range (e.g. 10240 65000), reuse "
	 "connections, or let the server close first."},
	{"CD3063", "syncookies", CD_LAYER_TCP,
	 "SYN cookies are off, or always on",
	 "Set net.ipv4.tcp_syncookies=1: cookies only when the SYN queue "
	 "overflows."},
	{"CD3064", "small-somaxconn", CD_LAYER_TCP,
	 "the accept queue limit is small",
	 "Raise net.core.somaxconn (and mysqld's back_log) so bursts of "
	 "connects are queued, not dropped."},
	{"CD3070", "kernel-saw-third-ack-lost", CD_LAYER_TCP,
	 "the server's kernel resent SYN-ACKs that were never answered",
	 "The handshake's last step is lost: the client's ACK (or the "
	 "SYN-ACK before it) dies on the way. Look for a firewall dropping "
	 "ACKs to the port (this host's drops are counted beside), a "
	 "stateful device that lost the flow, or asymmetric routing."},
	{"CD3071", "kernel-saw-accept-queue-overflow", CD_LAYER_TCP,
	 "the listener's accept queue overflowed",
	 "mysqld does not accept connections as fast as they arrive: raise "
	 "back_log and net.core.somaxconn together, and find what stalls "
	 "mysqld's accept loop (TCP wrappers or name resolution, a full "
	 "max_connections, a busy host)."},
	{"CD3072", "kernel-saw-firewall-drops", CD_LAYER_FIREWALL,
	 "this host's firewall dropped packets of the MySQL port",
	 "Find the rule with `iptables-save -c` or `nft list ruleset` "
	 "(counters rising on the port) and allow the port, or the "
	 "connection's return path (a stateful rule needs conntrack "
	 "entries)."},
	{"CD3073", "kernel-sent-resets", CD_LAYER_TCP,
	 "this host's kernel answered the MySQL port with resets",
	 "A reset with no socket means nothing listens on that address and "
	 "port here (mysqld down, bound elsewhere, skip_networking), or a "
	 "connection the kernel no longer knows. Check `ss -ltn` and "
	 "mysqld's bind_address and port."},
	{"CD4001", "return-path-needs-conntrack", CD_LAYER_FIREWALL,
	 "a long-lived MySQL connection passes the firewall only as "
	 "ESTABLISHED",
	 "Add the stateless rule shown in the evidence (e.g. iptables -A "
	 "INPUT -p tcp -s PRIMARY --sport 3306 -j ACCEPT) before the drop, "
	 "and to the saved ruleset, so a conntrack flush or firewall reload "
	 "does not blackhole replication and pooled connections."},
	{"CD4002", "mysql-port-closed-by-firewall", CD_LAYER_FIREWALL,
	 "the firewall refuses new connections to a MySQL listener",
	 "Accept NEW TCP connections to the MySQL port from the client "
	 "networks (iptables -I INPUT -p tcp -s CLIENTS --dport 3306 -j "
	 "ACCEPT), or bind mysqld only where clients are meant to reach."},
	{"CD4003", "conntrack-table-full", CD_LAYER_FIREWALL,
	 "the conntrack table is nearly full",
	 "Raise net.netfilter.nf_conntrack_max (and the hash size), find "
	 "what creates so many flows (conntrack -L | sort | uniq -c), or "
	 "exempt the MySQL port from tracking (raw table NOTRACK)."},
	{"CD4004", "conntrack-entry-missing", CD_LAYER_FIREWALL,
	 "live MySQL connections have no conntrack entry under a stateful "
	 "firewall",
	 "Add stateless accept rules for the MySQL traffic (see CD4001); "
	 "to recover the connections now, restart the replica's I/O thread "
	 "or let the application reconnect."},
	{"CD4005", "conntrack-forgets-idle", CD_LAYER_FIREWALL,
	 "conntrack forgets idle connections sooner than MySQL does",
	 "Raise net.netfilter.nf_conntrack_tcp_timeout_established above "
	 "wait_timeout (kernel default 432000 s), or enable TCP keepalive "
	 "below it on the clients."},
	{"CD4006", "two-firewall-backends", CD_LAYER_FIREWALL,
	 "iptables-legacy and nf_tables rules are both loaded",
	 "Keep one backend: move the legacy rules to nft (iptables-legacy-"
	 "save | iptables-nft-restore) and flush the other, so what "
	 "`iptables -S` shows is what filters."},
	{"CD5001", "mysqld-uses-libwrap", CD_LAYER_WRAPPERS,
	 "mysqld is linked with libwrap (TCP wrappers)",
	 "Every TCP connection is checked against hosts.allow/hosts.deny in "
	 "mysqld's accept loop, one at a time. Keep the rules for mysqld to "
	 "addresses and networks, or filter with the firewall and MySQL "
	 "accounts instead and use a mysqld built without libwrap."},
	{"CD5002", "hosts-rule-waits-on-dns", CD_LAYER_WRAPPERS,
	 "a hosts.allow/hosts.deny rule makes connections to mysqld wait on "
	 "DNS",
	 "Replace host names, .domains, KNOWN, LOCAL, UNKNOWN and PARANOID "
	 "in the rules for mysqld by addresses or net/mask patterns, or add "
	 "the clients to /etc/hosts (nsswitch 'files' first) and make the "
	 "resolver fast; skip_name_resolve does not stop libwrap's lookups."},
	{"CD5003", "hosts-paranoid", CD_LAYER_WRAPPERS,
	 "a PARANOID pattern matches clients by their DNS consistency",
	 "Match clients by address instead: PARANOID costs a reverse and a "
	 "forward lookup per connection and turns a PTR/A mismatch (NAT, "
	 "cloud hosts, stale records) into a refused connection."},
	{"CD5004", "hosts-line-malformed", CD_LAYER_WRAPPERS,
	 "a hosts.allow/hosts.deny line does not do what it says",
	 "Fix the line as the finding says: libwrap skips lines without ':' "
	 "or a final newline or over 2046 bytes, denies connections that "
	 "match a rule with a bad option, and reads '#' inside a rule and "
	 "bare IPv6 addresses as something else. tcpdchk -v shows how tcpd "
	 "reads the tables."},
	{"CD5005", "hosts-rules-no-effect", CD_LAYER_WRAPPERS,
	 "hosts.allow/hosts.deny rules for mysqld have no effect",
	 "This mysqld does not use libwrap: enforce who may connect with the "
	 "firewall and MySQL account host patterns, and remove the rules so "
	 "they do not mislead."},
	{"CD5006", "hosts-rule-asks-identd", CD_LAYER_WRAPPERS,
	 "a hosts.allow/hosts.deny rule asks the client's identd",
	 "Remove user@host patterns and the rfc931 option (and %u) from the "
	 "rules for mysqld: each connection waits for an RFC 931 answer "
	 "from the client, up to 10 s when its firewall drops port 113."},
	{"CD5007", "hosts-option-acts-on-mysqld", CD_LAYER_WRAPPERS,
	 "a hosts.allow/hosts.deny option acts on mysqld itself",
	 "Remove twist, user, group, nice, umask and banners from rules "
	 "that apply to mysqld: libwrap runs them in the calling process "
	 "(mysqld) or writes to the client before mysqld's greeting."},
	{"CD5008", "libwrap-status-unknown", CD_LAYER_WRAPPERS,
	 "could not tell whether mysqld uses TCP wrappers",
	 "Run conndoctor check as root or as mysqld's user (to read "
	 "/proc/PID/exe), or name the binary with --mysqld PATH."},
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
	 "auth plugin; on MariaDB also require_secure_transport and the "
	 "account's REQUIRE SSL (a plain connection gets 1045 too)."},
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
	{"CD6011", "closed-during-login", CD_LAYER_SERVER,
	 "the server side closes connections during login",
	 "The server greeted, then closed or reset before answering the "
	 "login: look in its error log (Aborted connection, a crashed or "
	 "killed thread), at a proxy's or firewall's idle and reset rules, "
	 "and at max_connect_errors."},
	{"CD6012", "auth-plugin-unsupported", CD_LAYER_SERVER,
	 "the client cannot use the account's authentication method",
	 "The server asks for an auth plugin the client does not speak "
	 "(2059), or caching_sha2_password's full authentication without TLS "
	 "or the server's RSA key (2061): change the account's plugin, use "
	 "TLS, or give --server-public-key-path or --get-server-public-key."},
	{"CD6013", "packet-too-large", CD_LAYER_SERVER,
	 "the server ended sessions: a packet was over its limit",
	 "Raise max_allowed_packet on the server ([mysqld], SET GLOBAL) and "
	 "on the client (its own max_allowed_packet, 2020 when a reply is "
	 "too big), or split the statement into smaller ones."},
	{"CD6014", "database-refused", CD_LAYER_SERVER,
	 "the login names a database the account cannot use",
	 "1049: the database does not exist (a typo, a dropped or not yet "
	 "restored schema); 1044: the account has no privilege on it. Fix "
	 "the application's database name, or GRANT the account access."},
	{"CD6015", "account-locked", CD_LAYER_SERVER, "the account is locked",
	 "The password was right but the account is locked (ALTER USER ... "
	 "ACCOUNT LOCK; 4151 MariaDB, 3118 MySQL) or blocked after "
	 "max_password_errors (4150, MariaDB): ALTER USER ... ACCOUNT "
	 "UNLOCK, or FLUSH PRIVILEGES for a blocked one, and find who locked "
	 "it."},
	{"CD6016", "password-expired", CD_LAYER_SERVER,
	 "the account's password has expired",
	 "The server accepts the password only to change it (1862 at login, "
	 "1820 for statements): set a new one (ALTER USER ... IDENTIFIED BY), "
	 "or review default_password_lifetime and the account's PASSWORD "
	 "EXPIRE."},
	{"CD6017", "tls-required", CD_LAYER_SERVER,
	 "the server refuses connections without TLS",
	 "require_secure_transport is ON (3159, MySQL): connect with TLS "
	 "(--ssl-mode=REQUIRED or stricter) or over the Unix socket."},
	{"CD6018", "login-refused", CD_LAYER_SERVER,
	 "the server refuses the login for another reason than the "
	 "credentials",
	 "The ERR code and message in the evidence say why; the password "
	 "itself was not what the server refused."},
	{"CD6020", "errlog-handshake-aborts", CD_LAYER_SERVER,
	 "clients end sessions before logging in",
	 "Find the program on that host that connects and stops in the "
	 "handshake (a TCP health check, a port scanner, a client timing "
	 "out): make it log in and send COM_QUIT, or check the port at the "
	 "load balancer instead; raise max_connect_errors meanwhile."},
	{"CD6021", "errlog-clients-drop", CD_LAYER_SERVER,
	 "logged-in clients leave without closing their sessions",
	 "Close connections with COM_QUIT (mysql_close()) before exit, keep "
	 "pool idle limits below wait_timeout and any NAT or firewall idle "
	 "timeout, and look for restarts of the client at those times."},
	{"CD6022", "errlog-packets-out-of-order", CD_LAYER_SERVER,
	 "the server receives bytes that are not MySQL packets",
	 "Find the client process whose MySQL socket is fd 0, 1 or 2 (it "
	 "closed stdio, then connected) and redirect stdio to /dev/null "
	 "instead of closing it; or keep non-MySQL clients off the port."},
	{"CD6023", "errlog-read-timeouts", CD_LAYER_SERVER,
	 "the server closes idle or stalled sessions on a timeout",
	 "Set the pool's idle limit (maxLifetime, pool_recycle) below "
	 "wait_timeout and validate connections before use, or raise "
	 "wait_timeout; for stalls mid-command look at net_read_timeout and "
	 "the network."},
	{"CD6024", "errlog-write-errors", CD_LAYER_SERVER,
	 "the server cannot send results to its clients",
	 "The client went away or reads too slowly: check client timeouts "
	 "that abort long results, net_write_timeout, and the path's "
	 "retransmissions."},
	{"CD6025", "errlog-access-denied", CD_LAYER_SERVER,
	 "logins are refused with access denied",
	 "Check the account and password the client uses (a rotated "
	 "password, a host pattern that misses the client); many attempts "
	 "from one host are a misconfigured client or a password guesser."},
	{"CD6026", "errlog-too-many-connections", CD_LAYER_SERVER,
	 "the server refused connections: too many connections",
	 "Find who holds the connections (processlist by host and user), "
	 "size pools so their sum stays below max_connections, and close "
	 "idle ones; raise max_connections only with the memory for it."},
	{"CD6027", "errlog-host-blocked", CD_LAYER_SERVER,
	 "the server blocked client hosts after connection errors",
	 "Run FLUSH HOSTS (mariadb-admin flush-hosts), fix what aborts "
	 "handshakes from that host, and raise max_connect_errors."},
	{"CD6028", "errlog-ip-not-resolved", CD_LAYER_SERVER,
	 "the server cannot resolve its clients' addresses",
	 "Set skip_name_resolve=ON and grant by address, or fix the resolver "
	 "the server uses (/etc/resolv.conf) and add the clients to its "
	 "/etc/hosts."},
	{"CD6029", "errlog-hostname-mismatch", CD_LAYER_SERVER,
	 "client host names do not resolve back to their addresses",
	 "Fix the PTR and A records so they agree (or put the clients in the "
	 "server's /etc/hosts), or set skip_name_resolve=ON and grant by "
	 "address."},
	{"CD6030", "errlog-sessions-killed", CD_LAYER_SERVER,
	 "sessions were killed on the server",
	 "Find who runs KILL (an operator, pt-kill, a proxy or scheduler) "
	 "and whether the application retries the query on a new "
	 "connection."},
	{"CD6031", "errlog-packet-too-large", CD_LAYER_SERVER,
	 "clients sent packets over max_allowed_packet",
	 "Raise max_allowed_packet on the server (and the client's), or send "
	 "smaller rows and batches."},
	{"CD6032", "errlog-server-restarted", CD_LAYER_SERVER,
	 "the server restarted: every session was dropped",
	 "Correlate the restart times with the clients' errors; clients and "
	 "pools must reconnect after a restart."},
	{"CD6033", "errlog-server-crashed", CD_LAYER_SERVER,
	 "the server went down without a normal shutdown",
	 "Read the log around those times (the stack trace after \"got "
	 "signal\"), dmesg for the OOM killer, and the systemd journal of "
	 "the unit."},
	{"CD6040", "server-resolves-names", CD_LAYER_SERVER,
	 "the server resolves every client's name",
	 "Set skip_name_resolve=ON (grant by address), or make the server's "
	 "resolver fast and put the clients in its /etc/hosts."},
	{"CD6041", "connections-near-limit", CD_LAYER_SERVER,
	 "sessions are close to max_connections",
	 "Find who holds the sessions (SHOW PROCESSLIST), fix leaks, size "
	 "pools below the limit, or raise max_connections."},
	{"CD6042", "connection-errors", CD_LAYER_SERVER,
	 "the server counts failed connection attempts",
	 "Read which counter rises: tcpwrap (TCP wrappers deny), "
	 "max_connections, peer_address (resolution), accept/select (the "
	 "kernel); Aborted_connects are logins that failed or stopped."},
	{"CD6043", "host-near-blocked", CD_LAYER_SERVER,
	 "a client host is close to, or over, max_connect_errors",
	 "FLUSH HOSTS, stop whatever aborts handshakes from that host, or "
	 "raise max_connect_errors."},
	{"CD6044", "server-dns-errors", CD_LAYER_SERVER,
	 "the server fails to resolve client addresses",
	 "Fix the server's resolver or set skip_name_resolve=ON."},
	{"CD6045", "connections-unknown-to-server", CD_LAYER_SERVER,
	 "this host holds connections the server does not have",
	 "They are half-open: a lost third ACK, syncookies, or a server "
	 "restart the client did not notice. Enable TCP keepalive and "
	 "validate pooled connections before use."},
	{"CD6046", "packet-over-server-limit", CD_LAYER_SERVER,
	 "the probe's statement is larger than the server's packet limit",
	 "Raise max_allowed_packet above the largest statement or row on "
	 "both sides (server: [mysqld] max_allowed_packet, SET GLOBAL for "
	 "new sessions; client: its own max_allowed_packet), or split the "
	 "statement; net_buffer_length only sets the floor of the limit."},
	{"CD6047", "local-process-holds-sessions", CD_LAYER_SERVER,
	 "a process on this host holds most of the server's sessions",
	 "That process (a pool sized above the limit, or one that never "
	 "closes) fills max_connections: cap its pool below the limit, close "
	 "idle sessions (pool idle timeout below wait_timeout), or give it "
	 "its own account with max_user_connections; raise max_connections "
	 "only when the server can take it."},
	{"CD6048", "idle-over-wait-timeout", CD_LAYER_SERVER,
	 "sessions stay idle longer than the server's wait_timeout",
	 "Set the pool's idle lifetime (maxLifetime, idle timeout, "
	 "pool_recycle) below wait_timeout and validate connections before "
	 "use, or raise wait_timeout (interactive_timeout for interactive "
	 "clients)."},
	{"CD6049", "statement-time-limit", CD_LAYER_SERVER,
	 "the server killed the probe's statement at its time limit",
	 "The statement runs longer than the server lets it "
	 "(max_statement_time on MariaDB, max_execution_time on MySQL, "
	 "global, per user or per session): make it faster (indexes, "
	 "smaller batches) or raise the limit for that account or session; "
	 "the session itself stays usable."},
	{"CD6050", "server-statement-time-limit", CD_LAYER_SERVER,
	 "the server limits how long a statement may run",
	 "Statements that run longer than max_statement_time (MariaDB, "
	 "seconds) or max_execution_time (MySQL, milliseconds, SELECT only) "
	 "are killed with ERROR 1969 or 3024: raise the global limit, set it "
	 "per account or per session for the long jobs, or speed the "
	 "statement up."},
	{"CD6051", "session-killed", CD_LAYER_SERVER,
	 "sessions were killed on the server (KILL)",
	 "Someone ran KILL on these sessions: find who (an operator, "
	 "pt-kill or another query killer, a proxy or scheduler; the "
	 "general log or audit plugin shows KILL statements) and why (a "
	 "long query, a lock); make the application retry on a new "
	 "connection."},
	{"CD6052", "server-ran-kill", CD_LAYER_SERVER,
	 "the server has killed sessions since it started",
	 "Someone runs KILL on this server: a session lost during a "
	 "statement may be one of them. Find who (the general log, an "
	 "audit plugin, pt-kill or a proxy's query timeout) and set "
	 "log_warnings=4 (MariaDB) or log_error_verbosity=3 (MySQL) so the "
	 "error log names each killed connection."},
	{"CD6053", "server-restarted-during-probe", CD_LAYER_SERVER,
	 "the server restarted while the probe ran",
	 "Every session was dropped and connections were refused while it "
	 "was down: find why it restarted (its error log, the journal of "
	 "its unit, dmesg for the OOM killer, a deploy) and make clients "
	 "reconnect and retry after a restart."},
	{"CD6054", "user-connection-limit", CD_LAYER_SERVER,
	 "the account is at its connection limit (max_user_connections)",
	 "The account already holds as many sessions as it may: find who "
	 "holds them (the processlist by user, the local holders), close "
	 "idle ones, size the pool below the limit, or raise it for the "
	 "account (ALTER USER ... WITH MAX_USER_CONNECTIONS) or globally "
	 "(max_user_connections)."},
	{"CD6055", "idle-sessions-never-closed", CD_LAYER_SERVER,
	 "a client keeps many sessions asleep: a pool that never closes",
	 "Give the pool an idle timeout and a maximum lifetime well below "
	 "wait_timeout (minIdle/maxIdle, idleTimeout, pool_recycle), size it "
	 "to the load, and close connections the application no longer "
	 "needs; lower wait_timeout for that account if it cannot be "
	 "fixed."},
	{"CD6057", "server-packets-over-client-limit", CD_LAYER_SERVER,
	 "the server may send packets larger than the client takes",
	 "Raise the client's max_allowed_packet to the server's (or above "
	 "the largest row), or keep rows below the client's limit."},
	{"CD6058", "user-sessions-at-limit", CD_LAYER_SERVER,
	 "the account's sessions fill its max_user_connections",
	 "Those sessions are the account's whole allowance: close the idle "
	 "ones, size each pool so that all of the account's clients together "
	 "stay below the limit (a pool per application instance multiplies), "
	 "give other applications their own accounts, or raise the limit "
	 "(ALTER USER ... WITH MAX_USER_CONNECTIONS N, or the global "
	 "max_user_connections when the account has none of its own)."},
	{"CD6060", "server-read-timeout-aborts", CD_LAYER_SERVER,
	 "the server aborted sessions on a read timeout (net_read_timeout, "
	 "wait_timeout)",
	 "A client stopped sending in the middle of a statement (a LOAD DATA "
	 "LOCAL stream, a client blocked between two writes) for longer than "
	 "net_read_timeout, or sat idle past wait_timeout: raise "
	 "net_read_timeout for slow senders and big LOAD DATA LOCAL, fix the "
	 "client that stalls, keep pools' idle time below wait_timeout, and "
	 "look at the path's retransmissions."},
	{"CD6061", "server-write-aborts", CD_LAYER_SERVER,
	 "the server aborted sessions while writing results to them "
	 "(net_write_timeout)",
	 "A client that does not read its result (stuck, busy between rows, "
	 "or reading a big result slowly) blocks the server's write for "
	 "net_write_timeout and the session is aborted: raise "
	 "net_write_timeout for slow readers, read results as they come "
	 "(no work between rows of an unbuffered result), and look at the "
	 "path."},
	{"CD7001", "replication-stopped", CD_LAYER_REPLICATION,
	 "a replication link is not running",
	 "Read Last_IO_Error; fix the network, credentials or position, "
	 "then START SLAVE."},
	{"CD7002", "replication-silent-stall-window", CD_LAYER_REPLICATION,
	 "a silently cut replication link goes unnoticed for a while",
	 "Lower slave_net_timeout and set MASTER_HEARTBEAT_PERIOD below it "
	 "so a dead link is detected in seconds; make the firewall accept "
	 "the primary's packets statelessly."},
	{"CD8001", "not-mysql", CD_LAYER_PROTOCOL,
	 "the server at that address does not speak the MySQL protocol",
	 "Check the port: something else (SSH, HTTP, a proxy's admin port) "
	 "answers there."},
	{"CD8002", "tls-failed", CD_LAYER_PROTOCOL,
	 "the TLS handshake with the server fails",
	 "Check --ssl-mode, the CA and the server's certificate and TLS "
	 "versions (tls_version, ssl_cert, ssl_key)."},
	{"CD8003", "protocol-broken", CD_LAYER_PROTOCOL,
	 "the MySQL server breaks the protocol after its greeting",
	 "A malformed packet, an endless authentication exchange or a reply "
	 "too large to be one: look for a proxy or middlebox that rewrites "
	 "the stream, or a broken server build."},
	{"CD8010", "pcap-text-in-stream", CD_LAYER_PROTOCOL,
	 "bytes that are not MySQL appeared in a session's stream",
	 "Something wrote into the MySQL socket: typically a process that "
	 "closed stderr or stdout before connecting, so the socket became "
	 "fd 1 or 2 and a child's message went to the server (conndoctor "
	 "check lists processes with a MySQL socket on fd 0-2). Keep fds "
	 "0-2 open (redirect to /dev/null) before connecting."},
	{"CD8011", "pcap-packets-out-of-order", CD_LAYER_PROTOCOL,
	 "the server answered ERR 1156 \"Got packets out of order\"",
	 "The server read a frame whose sequence id did not follow, then "
	 "closed the session; the client's next command fails with 2006 or "
	 "2013. Find what wrote into the socket (see the bytes in the "
	 "evidence) or a client that shares one connection between "
	 "threads."},
	{"CD8012", "pcap-sequence-out-of-order", CD_LAYER_PROTOCOL,
	 "frames carried sequence ids out of order",
	 "Two writers share one connection (threads, forked children), or "
	 "bytes were injected: give each thread its own connection and "
	 "never use a connection across fork()."},
	{"CD8013", "pcap-impossible-length", CD_LAYER_PROTOCOL,
	 "a frame header claimed a length that cannot be",
	 "The bytes at a frame boundary are not a MySQL header: injected "
	 "bytes, a desynchronised client, or a proxy that broke framing."},
	{"CD8014", "pcap-malformed-packet", CD_LAYER_PROTOCOL,
	 "packets did not parse as the protocol calls for",
	 "Compare client and server versions and any proxy in between; a "
	 "capture that starts mid-session can also leave the first "
	 "responses undecodable."},
	{"CD8015", "pcap-server-refused", CD_LAYER_PROTOCOL,
	 "the server sent an error in place of its greeting",
	 "1040: raise max_connections or shrink pools; 1129: FLUSH HOSTS "
	 "and raise max_connect_errors; 1130: add an account for the "
	 "client's host."},
	{"CD8016", "pcap-login-failed", CD_LAYER_PROTOCOL,
	 "a login was rejected",
	 "The code says what the server refused: 1045/1698 the user or "
	 "password (check them, the account's host pattern and its auth "
	 "plugin, shown in the evidence), 1044/1049 the database, "
	 "4150/4151/3118 a locked account, 1820/1862 an expired password, "
	 "3159 a connection without TLS, 1251 the client's auth protocol."},
	{"CD8017", "pcap-gone-away", CD_LAYER_PROTOCOL,
	 "a command got no answer before the connection ended",
	 "The server (or something on the path) ended the session while a "
	 "command waited: check the server's error log at that time "
	 "(crash, KILL, max_allowed_packet, net_read_timeout) and the "
	 "path's retransmissions."},
	{"CD8018", "pcap-command-errors", CD_LAYER_PROTOCOL,
	 "commands failed with server errors",
	 "The session works but commands fail: the error codes in the "
	 "evidence name the cause (syntax, privileges, missing objects)."},
	{"CD8019", "pcap-slow-commands", CD_LAYER_PROTOCOL,
	 "commands took a second or more to answer",
	 "Look at the slow query log and locks for those commands, and at "
	 "retransmissions on the same connection."},
	{"CD8020", "pcap-compressed", CD_LAYER_PROTOCOL,
	 "a session used the compressed protocol",
	 "Nothing to change when it decoded. A packet that does not inflate "
	 "is a damaged stream or a capture cut inside it: capture again with "
	 "tcpdump -s 0, or without the client's --compress."},
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

/* Findings one run may hold. */
#define FINDINGS_MAX (1u << 16)

struct cd_finding *cd_finding_add(struct cd_findings *f, const char *code,
				  enum cd_severity sev)
{
	const struct cd_finding_def *def = cd_finding_lookup(code);
	struct cd_finding *x, *n;

	if (!def)
		abort(); /* a rule names a code the catalogue lacks: a bug */
	n = cd_vec_grow(f->v, sizeof(*n), f->n + 1, &f->cap, FINDINGS_MAX, 8);
	if (!n)
		return NULL;
	f->v = n;
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
