/* opttab.c - the option table itself (data) and its accessors; --help is
 * generated from it in help.c. Connection options are spelled as the
 * mysql client spells them (mysql(1), "mysql Client Options"). */
#include "cli/opttab.h"

#include <stdio.h>
#include <string.h>

#include "capture/capture.h"
#include "check/slices.h"

#define DAY_S (24.0 * 3600)

static const char *protocol_choice(size_t i)
{
	static const char *const v[] = {"tcp", "socket"};

	return i < 2 ? v[i] : NULL;
}

static const char *ssl_mode_choice(size_t i)
{
	/* In enum probe_ssl_mode's order. */
	static const char *const v[] = {"DISABLED", "PREFERRED", "REQUIRED",
					"VERIFY_CA", "VERIFY_IDENTITY"};

	return i < 5 ? v[i] : NULL;
}

/* In enum probe_reuse's order. */
static const char *reuse_mode_choice(size_t i)
{
	static const char *const v[] = {"reset", "change-user"};

	return i < 2 ? v[i] : NULL;
}

static const char *stop_after_choice(size_t i)
{
	static const char *const v[] = {"connect", "greeting"};

	return i < 2 ? v[i] : NULL;
}

/* --color's words (options.c maps them to enum cli_color). */
static const char *color_choice(size_t i)
{
	static const char *const v[] = {"auto", "always", "never"};

	return i < 3 ? v[i] : NULL;
}

/* check's slices, in running order. */
static const char *slice_choice(size_t i)
{
	size_t n;
	const struct chk_slice_def *s = chk_slices(&n);

	return i < n ? s[i].name : NULL;
}

#define PROBING CLI_CMD_PROBING
#define AUDIT	(CLI_CMD_CHECK | CLI_CMD_DIAGNOSE)
#define ALL	CLI_CMD_ALL
#define PCAP	CLI_CMD_PCAP
#define TRACE	CLI_CMD_TRACE
#define WATCH	CLI_CMD_WATCH
/* pcap's --conn: a connection's number in the capture. */
#define CONN_ID_MAX 999999999999.0
/* trace's --pid: the kernel's PID_MAX_LIMIT is 2^22; this is what pid_t
 * values trace_pids.c accepts. */
#define PID_MAX 1073741823.0

static const struct cli_optdef table[] = {
	/* Connection. */
	{CLI_O_HOST, "host", 'h', CLI_ARG_STRING, "NAME", 0, 0, NULL, ALL, 0,
	 "MYSQL_HOST", "--host", CLI_SEC_CONNECTION,
	 "server host (default localhost: the Unix socket)"},
	{CLI_O_PORT, "port", 'P', CLI_ARG_UINT, "N", 1, 65535, NULL, PROBING, 0,
	 "MYSQL_TCP_PORT", "--port", CLI_SEC_CONNECTION,
	 "TCP port (default 3306)"},
	{CLI_O_PORT, "port", 'P', CLI_ARG_UINT, "N", 1, 65535, NULL,
	 CLI_CMD_CHECK, CLI_OF_REPEAT, "MYSQL_TCP_PORT", "--port",
	 CLI_SEC_CONNECTION,
	 "the server's port (default 3306); also watched by the census "
	 "(repeatable: more MySQL ports)"},
	{CLI_O_USER, "user", 'u', CLI_ARG_STRING, "NAME", 0, 0, NULL, ALL, 0,
	 NULL, "--user", CLI_SEC_CONNECTION, "user (default: the login name)"},
	{CLI_O_PASSWORD, "password", 'p', CLI_ARG_OPTIONAL, "PW", 0, 0, NULL,
	 ALL, CLI_OF_SECRET, "MYSQL_PWD", "--password", CLI_SEC_CONNECTION,
	 "password; without a value, prompt on the tty. Prefer MYSQL_PWD or an "
	 "option file: a value on the command line is wiped from argv at "
	 "start"},
	{CLI_O_SOCKET, "socket", 'S', CLI_ARG_STRING, "PATH", 0, 0, NULL, ALL,
	 0, "MYSQL_UNIX_PORT", "--socket", CLI_SEC_CONNECTION,
	 "mysqld's Unix socket (default /run/mysqld/mysqld.sock)"},
	{CLI_O_DATABASE, "database", 'D', CLI_ARG_STRING, "NAME", 0, 0, NULL,
	 PROBING, 0, NULL, "--database", CLI_SEC_CONNECTION,
	 "schema to log in to"},
	{CLI_O_PROTOCOL, "protocol", 0, CLI_ARG_CHOICE, NULL, 0, 0,
	 protocol_choice, ALL, 0, NULL, "--protocol", CLI_SEC_CONNECTION,
	 "force the transport"},
	{CLI_O_SSL_MODE, "ssl-mode", 0, CLI_ARG_CHOICE, "MODE", 0, 0,
	 ssl_mode_choice, ALL, 0, NULL, "--ssl-mode", CLI_SEC_CONNECTION,
	 "TLS mode (default PREFERRED)"},
	{CLI_O_SSL, "ssl", 0, CLI_ARG_NONE, NULL, 0, 0, NULL, ALL, 0, NULL,
	 "--ssl", CLI_SEC_CONNECTION, "the same as --ssl-mode=REQUIRED"},
	{CLI_O_SKIP_SSL, "skip-ssl", 0, CLI_ARG_NONE, NULL, 0, 0, NULL, ALL, 0,
	 NULL, "--skip-ssl", CLI_SEC_CONNECTION,
	 "the same as --ssl-mode=DISABLED"},
	{CLI_O_SSL_CA, "ssl-ca", 0, CLI_ARG_STRING, "FILE", 0, 0, NULL, ALL, 0,
	 NULL, "--ssl-ca", CLI_SEC_CONNECTION,
	 "CA certificates for VERIFY_CA/VERIFY_IDENTITY"},
	{CLI_O_SERVER_KEY, "server-public-key-path", 0, CLI_ARG_STRING, "FILE",
	 0, 0, NULL, ALL, 0, NULL, "--server-public-key-path",
	 CLI_SEC_CONNECTION, "RSA key for caching_sha2_password"},
	{CLI_O_GET_SERVER_KEY, "get-server-public-key", 0, CLI_ARG_NONE, NULL,
	 0, 0, NULL, ALL, 0, NULL, "--get-server-public-key",
	 CLI_SEC_CONNECTION, "ask the server for that key"},
	{CLI_O_ENABLE_CLEARTEXT, "enable-cleartext-plugin", 0, CLI_ARG_NONE,
	 NULL, 0, 0, NULL, ALL, 0, NULL, "--enable-cleartext-plugin",
	 CLI_SEC_CONNECTION,
	 "allow mysql_clear_password (over TLS or a socket only)"},
	{CLI_O_COMPRESS, "compress", 'C', CLI_ARG_NONE, NULL, 0, 0, NULL,
	 CLI_CMD_PROBE, 0, NULL, "--compress", CLI_SEC_CONNECTION,
	 "log in with the compressed protocol (zlib) when the server offers "
	 "it; the same as --compression-algorithms=zlib"},
	{CLI_O_COMPRESSION_ALGORITHMS, "compression-algorithms", 0,
	 CLI_ARG_SPEC, "LIST", 0, 0, NULL, CLI_CMD_PROBE, 0, NULL,
	 "--compression-algorithms", CLI_SEC_CONNECTION,
	 "compression to ask for, in order of preference: zlib, zstd, "
	 "uncompressed (comma-separated); the first the server offers is "
	 "used, none: the session stays uncompressed"},
	{CLI_O_CONNECT_TIMEOUT, "connect-timeout", 0, CLI_ARG_SECONDS, "S",
	 0.001, DAY_S, NULL, ALL, 0, NULL, "--connect-timeout",
	 CLI_SEC_CONNECTION, "TCP connect and greeting timeout, each (10)"},
	{CLI_O_READ_TIMEOUT, "read-timeout", 0, CLI_ARG_SECONDS, "S", 0.001,
	 DAY_S, NULL, ALL, 0, NULL, NULL, CLI_SEC_CONNECTION,
	 "login and query timeout (10 and 30)"},
	{CLI_O_TIMEOUT, "timeout", 0, CLI_ARG_SPEC, "PHASE=S", 0.001, DAY_S,
	 NULL, PROBING, 0, NULL, NULL, CLI_SEC_CONNECTION,
	 "one phase's timeout: resolve, connect, greeting, tls, auth, query, "
	 "close"},

	/* Option files. */
	{CLI_O_DEFAULTS_FILE, "defaults-file", 0, CLI_ARG_STRING, "FILE", 0, 0,
	 NULL, ALL, CLI_OF_FILESEL, NULL, "--defaults-file", CLI_SEC_FILES,
	 "read only this option file"},
	{CLI_O_DEFAULTS_EXTRA_FILE, "defaults-extra-file", 0, CLI_ARG_STRING,
	 "FILE", 0, 0, NULL, ALL, CLI_OF_FILESEL, NULL, "--defaults-extra-file",
	 CLI_SEC_FILES, "read this file after the global ones"},
	{CLI_O_NO_DEFAULTS, "no-defaults", 0, CLI_ARG_NONE, NULL, 0, 0, NULL,
	 ALL, CLI_OF_FILESEL, NULL, "--no-defaults", CLI_SEC_FILES,
	 "read no option file"},

	/* Load shape. */
	{CLI_O_COUNT, "count", 'n', CLI_ARG_UINT, "N", 1, 1000000, NULL,
	 PROBING, 0, NULL, NULL, CLI_SEC_LOAD,
	 "attempts per target (default 10; per level with --ramp)"},
	{CLI_O_CONCURRENCY, "concurrency", 'c', CLI_ARG_UINT, "N", 1, 20000,
	 NULL, PROBING, 0, NULL, NULL, CLI_SEC_LOAD,
	 "attempts in flight at once (default 1; diagnose: 2)"},
	{CLI_O_RATE, "rate", 0, CLI_ARG_REAL, "R", 0.001, 1000000, NULL,
	 PROBING, 0, NULL, NULL, CLI_SEC_LOAD,
	 "start at most R attempts per second"},
	{CLI_O_DURATION, "duration", 0, CLI_ARG_SECONDS, "S", 0.001, DAY_S,
	 NULL, PROBING, 0, NULL, NULL, CLI_SEC_LOAD,
	 "stop starting attempts after S seconds"},
	{CLI_O_RAMP, "ramp", 0, CLI_ARG_SPEC, "FROM:TO:STEP", 1, 20000, NULL,
	 PROBING, 0, NULL, NULL, CLI_SEC_LOAD,
	 "raise concurrency step by step (at most 64 levels); report the "
	 "level where failures or latency begin"},
	{CLI_O_REPEAT, "repeat", 0, CLI_ARG_UINT, "N", 1, 12, NULL, PROBING, 0,
	 NULL, NULL, CLI_SEC_LOAD,
	 "run the ramp N times (default 2) to see whether that threshold is "
	 "stable"},
	{CLI_O_REUSE, "reuse", 0, CLI_ARG_UINT, "N", 1, 10000, NULL,
	 CLI_CMD_PROBE, 0, NULL, NULL, CLI_SEC_LOAD,
	 "N queries over each connection, with a reset or change user "
	 "between them (--reuse-mode), as connection pools do"},
	{CLI_O_REUSE_MODE, "reuse-mode", 0, CLI_ARG_CHOICE, "MODE", 0, 0,
	 reuse_mode_choice, CLI_CMD_PROBE, 0, NULL, NULL, CLI_SEC_LOAD,
	 "between --reuse's queries: COM_RESET_CONNECTION (reset, the "
	 "default) or COM_CHANGE_USER (change-user)"},
	{CLI_O_IDLE, "idle", 0, CLI_ARG_SECONDS, "S", 0.001, DAY_S, NULL,
	 PROBING, 0, NULL, NULL, CLI_SEC_LOAD,
	 "hold each logged-in connection idle S seconds before its query "
	 "(finds idle cuts)"},
	{CLI_O_QUERY, "query", 0, CLI_ARG_STRING, "SQL", 0, 0, NULL, PROBING, 0,
	 NULL, NULL, CLI_SEC_LOAD, "the query (default SELECT 1)"},
	{CLI_O_QUERY_ATTRIBUTE, "query-attribute", 0, CLI_ARG_STRING,
	 "NAME=VALUE", 0, 0, NULL, CLI_CMD_PROBE, CLI_OF_REPEAT, NULL, NULL,
	 CLI_SEC_LOAD,
	 "send a query attribute with the query (repeatable, at most 32) "
	 "when the server supports them (MySQL 8.0.23+); otherwise the "
	 "report says it does not"},
	{CLI_O_MAX_ALLOWED_PACKET, "max-allowed-packet", 0, CLI_ARG_UINT, "N",
	 1024, 1048576, NULL, PROBING, 0, NULL, NULL, CLI_SEC_LOAD,
	 "the largest reply packet the client takes, as a client's "
	 "max_allowed_packet: a longer one is ERROR 2020 (default: the "
	 "probe's 1 MiB buffer)"},
	{CLI_O_PING, "ping", 0, CLI_ARG_NONE, NULL, 0, 0, NULL, PROBING, 0,
	 NULL, NULL, CLI_SEC_LOAD, "COM_PING instead of a query"},
	{CLI_O_STOP_AFTER, "stop-after", 0, CLI_ARG_CHOICE, NULL, 0, 0,
	 stop_after_choice, PROBING, 0, NULL, NULL, CLI_SEC_LOAD,
	 "stop before login (counts against the server's "
	 "max_connect_errors)"},
	{CLI_O_NO_SECOND_LOOK, "no-second-look", 0, CLI_ARG_NONE, NULL, 0, 0,
	 NULL, PROBING, 0, NULL, NULL, CLI_SEC_LOAD,
	 "when a TCP target accepts but never greets, do not open one more "
	 "connection that sends an HTTP request to tell what it is"},

	/* Targets. */
	{CLI_O_COMPARE, "compare", 0, CLI_ARG_NONE, NULL, 0, 0, NULL, PROBING,
	 0, NULL, NULL, CLI_SEC_TARGETS,
	 "probe TCP and the Unix socket side by side"},
	{CLI_O_IPV4, NULL, '4', CLI_ARG_NONE, NULL, 0, 0, NULL, PROBING, 0,
	 NULL, NULL, CLI_SEC_TARGETS, "only IPv4 addresses of the host"},
	{CLI_O_IPV6, NULL, '6', CLI_ARG_NONE, NULL, 0, 0, NULL, PROBING, 0,
	 NULL, NULL, CLI_SEC_TARGETS, "only IPv6 addresses of the host"},
	{CLI_O_ADDRESS, "address", 0, CLI_ARG_STRING, "IP", 0, 0, NULL, PROBING,
	 0, NULL, NULL, CLI_SEC_TARGETS,
	 "only this one of the host's addresses"},
	{CLI_O_RESOLVE_ONCE, "resolve-once", 0, CLI_ARG_NONE, NULL, 0, 0, NULL,
	 PROBING, 0, NULL, NULL, CLI_SEC_TARGETS,
	 "resolve the host once, not per attempt"},

	/* The audit of this host and the server. */
	{CLI_O_ONLY, "only", 0, CLI_ARG_SPEC, "LIST", 0, 0, slice_choice,
	 CLI_CMD_CHECK, 0, NULL, NULL, CLI_SEC_AUDIT,
	 "run only these slices (comma-separated)"},
	{CLI_O_MYSQLD, "mysqld", 0, CLI_ARG_STRING, "PATH", 0, 0, NULL, AUDIT,
	 0, NULL, NULL, CLI_SEC_AUDIT,
	 "the mysqld binary (default: the running one)"},
	{CLI_O_HOSTS_ALLOW, "hosts-allow", 0, CLI_ARG_STRING, "FILE", 0, 0,
	 NULL, AUDIT, 0, NULL, NULL, CLI_SEC_AUDIT,
	 "TCP wrappers' allow table (default /etc/hosts.allow)"},
	{CLI_O_HOSTS_DENY, "hosts-deny", 0, CLI_ARG_STRING, "FILE", 0, 0, NULL,
	 AUDIT, 0, NULL, NULL, CLI_SEC_AUDIT,
	 "TCP wrappers' deny table (default /etc/hosts.deny)"},
	{CLI_O_ERROR_LOG, "error-log", 0, CLI_ARG_STRING, "PATH", 0, 0, NULL,
	 AUDIT, 0, NULL, NULL, CLI_SEC_AUDIT,
	 "the server's error log (\"journal\" for journald; default: the "
	 "server's log_error when readable here, else the usual places)"},
	{CLI_O_SINCE, "since", 0, CLI_ARG_SECONDS, "S", 0.001, 3650 * DAY_S,
	 NULL, CLI_CMD_CHECK, 0, NULL, NULL, CLI_SEC_AUDIT,
	 "only the error log's last S seconds"},
	{CLI_O_INTERVAL, "interval", 0, CLI_ARG_SECONDS, "S", 0.001, 3600, NULL,
	 AUDIT, 0, NULL, NULL, CLI_SEC_AUDIT,
	 "sample kernel counters twice, S apart, and show rates"},
	{CLI_O_ASLEEP_OVER, "asleep-over", 0, CLI_ARG_SECONDS, "S", 1,
	 3650 * DAY_S, NULL, AUDIT, 0, NULL, NULL, CLI_SEC_AUDIT,
	 "count the server's sessions asleep (Sleep) longer than S seconds "
	 "as a pool that never closes (default 60)"},
	{CLI_O_AUDIT_DEFAULTS_FILE, "audit-defaults-file", 0, CLI_ARG_STRING,
	 "FILE", 0, 0, NULL, AUDIT, 0, NULL, NULL, CLI_SEC_AUDIT,
	 "the server audit logs in as the user and password of FILE's "
	 "[client] group (a root ~/.my.cnf, /etc/mysql/debian.cnf), not as "
	 "the probe's account, so it gets in when that account is at its "
	 "limit"},
	{CLI_O_NO_DNS, "no-dns", 0, CLI_ARG_NONE, NULL, 0, 0, NULL, AUDIT, 0,
	 NULL, NULL, CLI_SEC_AUDIT, "send no DNS queries while auditing"},
	{CLI_O_TRACE, "trace", 0, CLI_ARG_NONE, NULL, 0, 0, NULL,
	 CLI_CMD_DIAGNOSE, 0, NULL, NULL, CLI_SEC_AUDIT,
	 "trace the port's TCP events and the local mysqld's name resolution "
	 "with eBPF while probing, and join what the kernel saw to the "
	 "diagnosis (root or CAP_BPF+CAP_PERFMON; docs/trace.md)"},
	{CLI_O_DNS_TIMEOUT, "dns-timeout", 0, CLI_ARG_SECONDS, "S", 0.001, 60,
	 NULL, CLI_CMD_CHECK, 0, NULL, NULL, CLI_SEC_AUDIT,
	 "bound for all DNS measurements together (default 3)"},

	/* pcap: what to read. */
	{CLI_O_READ, "read", 'r', CLI_ARG_STRING, "FILE", 0, 0, NULL, PCAP,
	 CLI_OF_REPEAT, NULL, NULL, CLI_SEC_CAPTURE,
	 "read FILE (the same as naming it; \"-\" is standard input)"},
	{CLI_O_LIVE, "live", 'i', CLI_ARG_STRING, "IFACE", 0, 0, NULL, PCAP, 0,
	 NULL, NULL, CLI_SEC_CAPTURE,
	 "capture live on IFACE until Ctrl-C or --duration; no files then"},
	{CLI_O_PORT, "port", 'P', CLI_ARG_SPEC, "PORT", 1, 65535, NULL, PCAP,
	 CLI_OF_REPEAT, NULL, NULL, CLI_SEC_CAPTURE,
	 "a MySQL server port besides 3306 (repeat, or 3307,3308)"},
	{CLI_O_FILTER, "filter", 'f', CLI_ARG_STRING, "EXPR", 0, 0, NULL, PCAP,
	 0, NULL, NULL, CLI_SEC_CAPTURE,
	 "BPF filter (live default: tcp port 3306 and --port's)"},
	{CLI_O_DURATION, "duration", 0, CLI_ARG_UINT, "S", 1, 604800, NULL,
	 PCAP, 0, NULL, NULL, CLI_SEC_CAPTURE,
	 "stop a live capture after S whole seconds"},
	{CLI_O_CONN, "conn", 'c', CLI_ARG_UINT, "ID", 1, CONN_ID_MAX, NULL,
	 PCAP, 0, NULL, NULL, CLI_SEC_CAPTURE,
	 "one connection's timeline (ID from the table)"},
	{CLI_O_SEGMENTS, "segments", 'v', CLI_ARG_NONE, NULL, 0, 0, NULL, PCAP,
	 0, NULL, NULL, CLI_SEC_CAPTURE, "with --conn, every segment too"},
	{CLI_O_MAX_FLOWS, "max-flows", 0, CLI_ARG_UINT, "N", 1,
	 CAP_MAX_FLOWS_LIMIT, NULL, PCAP, 0, NULL, NULL, CLI_SEC_CAPTURE,
	 "connections held at once (default 100000, about 490 MiB); past it "
	 "the least recently active handshake, else connection, is evicted "
	 "and counted"},
	{CLI_O_REASSEMBLY_BUDGET, "reassembly-budget", 0, CLI_ARG_UINT, "MIB",
	 1, CAP_OOO_BUDGET_MIB_MAX, NULL, PCAP, 0, NULL, NULL, CLI_SEC_CAPTURE,
	 "out-of-order bytes held for all connections together (default 64 "
	 "MiB); past it holes become gaps and segments are dropped, counted"},

	/* trace. */
	{CLI_O_PORT, "port", 'P', CLI_ARG_UINT, "P", 1, 65535, NULL, TRACE,
	 CLI_OF_REPEAT, NULL, NULL, CLI_SEC_TRACE,
	 "a MySQL port to trace (default 3306; up to 8)"},
	{CLI_O_PID, "pid", 'p', CLI_ARG_UINT, "PID", 1, PID_MAX, NULL, TRACE,
	 CLI_OF_REPEAT, NULL, NULL, CLI_SEC_TRACE,
	 "trace this process's name resolution (up to 16; default: the "
	 "process listening on the first port)"},
	{CLI_O_COMM, "comm", 'c', CLI_ARG_STRING, "NAME", 0, 0, NULL, TRACE, 0,
	 NULL, NULL, CLI_SEC_TRACE,
	 "... that of every process named NAME, 1 to 15 characters (e.g. a "
	 "libwrap front end)"},
	{CLI_O_DURATION, "duration", 'd', CLI_ARG_SECONDS, "S", 0.1, DAY_S,
	 NULL, TRACE, 0, NULL, NULL, CLI_SEC_TRACE,
	 "trace S seconds (default 30); SIGINT or SIGTERM ends it early"},

	/* watch. */
	{CLI_O_CONFIG, "config", 0, CLI_ARG_STRING, "FILE", 0, 0, NULL, WATCH,
	 0, NULL, NULL, CLI_SEC_WATCH,
	 "[watch] defaults and [target NAME] groups (docs/watch.md, "
	 "conndoctor.conf(5)); not with the quick form's target options"},
	{CLI_O_LISTEN, "listen", 0, CLI_ARG_STRING, "ADDR:PORT", 0, 0, NULL,
	 WATCH, 0, NULL, NULL, CLI_SEC_WATCH,
	 "where to serve HTTP (default 127.0.0.1:9979)"},
	{CLI_O_WEB_CONFIG, "web-config", 0, CLI_ARG_STRING, "FILE", 0, 0, NULL,
	 WATCH, 0, NULL, NULL, CLI_SEC_WATCH,
	 "TLS and basic auth for the HTTP endpoint (Prometheus "
	 "exporter-toolkit format: tls_server_config, basic_auth_users), "
	 "read again on SIGHUP"},
	{CLI_O_MAX_IN_FLIGHT, "max-in-flight", 0, CLI_ARG_UINT, "N", 1, 65536,
	 NULL, WATCH, 0, NULL, NULL, CLI_SEC_WATCH,
	 "attempts in flight at most (default: one per address, socket, "
	 "idle session and replica poll, at most 256)"},
	{CLI_O_HOST, "host", 'h', CLI_ARG_STRING, "NAME", 0, 0, NULL, WATCH, 0,
	 NULL, NULL, CLI_SEC_WATCH,
	 "quick form: probe this host over TCP (never the socket); the target "
	 "is named after it"},
	{CLI_O_PORT, "port", 'P', CLI_ARG_UINT, "N", 1, 65535, NULL, WATCH, 0,
	 NULL, NULL, CLI_SEC_WATCH, "TCP port (default 3306)"},
	{CLI_O_SOCKET, "socket", 'S', CLI_ARG_STRING, "PATH", 0, 0, NULL, WATCH,
	 0, NULL, NULL, CLI_SEC_WATCH,
	 "quick form: probe this Unix socket (the target is named socket "
	 "without --host)"},
	{CLI_O_USER, "user", 'u', CLI_ARG_STRING, "NAME", 0, 0, NULL, WATCH, 0,
	 NULL, NULL, CLI_SEC_WATCH, "the user to log in as"},
	{CLI_O_PASSWORD_FILE, "password-file", 0, CLI_ARG_STRING, "FILE", 0, 0,
	 NULL, WATCH, 0, NULL, NULL, CLI_SEC_WATCH,
	 "the password's first line (a file others cannot read); else "
	 "MYSQL_PWD"},
	{CLI_O_INTERVAL, "interval", 0, CLI_ARG_SECONDS, "S", 0.001, DAY_S,
	 NULL, WATCH, 0, NULL, NULL, CLI_SEC_WATCH,
	 "seconds between attempts (default 30)"},
	{CLI_O_TIMEOUT, "timeout", 0, CLI_ARG_SECONDS, "S", 0.001, DAY_S, NULL,
	 WATCH, 0, NULL, NULL, CLI_SEC_WATCH,
	 "bound on each phase (default 10, below the interval)"},
	{CLI_O_QUERY, "query", 0, CLI_ARG_STRING, "SQL", 0, 0, NULL, WATCH, 0,
	 NULL, NULL, CLI_SEC_WATCH, "the query (default SELECT 1)"},
	{CLI_O_SSL_MODE, "ssl-mode", 0, CLI_ARG_CHOICE, "MODE", 0, 0,
	 ssl_mode_choice, WATCH, 0, NULL, NULL, CLI_SEC_WATCH,
	 "TLS mode (default PREFERRED)"},
	{CLI_O_SSL_CA, "ssl-ca", 0, CLI_ARG_STRING, "FILE", 0, 0, NULL, WATCH,
	 0, NULL, NULL, CLI_SEC_WATCH,
	 "CA certificates for VERIFY_CA/VERIFY_IDENTITY"},

	/* Output. */
	{CLI_O_JSON, "json", 0, CLI_ARG_NONE, NULL, 0, 0, NULL, ALL | TRACE, 0,
	 NULL, NULL, CLI_SEC_OUTPUT, "one JSON document (docs/json.md)"},
	{CLI_O_JSON, "json", 0, CLI_ARG_NONE, NULL, 0, 0, NULL, PCAP, 0, NULL,
	 NULL, CLI_SEC_OUTPUT,
	 "JSON lines: one object per connection, command and finding "
	 "(docs/json.md)"},
	{CLI_O_NAGIOS, "nagios", 0, CLI_ARG_NONE, NULL, 0, 0, NULL, PROBING, 0,
	 NULL, NULL, CLI_SEC_OUTPUT,
	 "print one Nagios/Icinga plugin line with perfdata and exit 0 OK, 1 "
	 "WARNING, 2 CRITICAL or 3 UNKNOWN; not with --json"},
	{CLI_O_HTML, "html", 0, CLI_ARG_STRING, "FILE", 0, 0, NULL,
	 PROBING | PCAP, 0, NULL, NULL, CLI_SEC_OUTPUT,
	 "also write the report as one self-contained HTML file with "
	 "pictures (docs/html.md)"},
	{CLI_O_VERBOSE, "verbose", 'v', CLI_ARG_NONE, NULL, 0, 0, NULL, PROBING,
	 0, NULL, "--verbose", CLI_SEC_OUTPUT, "one line per attempt"},
	{CLI_O_PROGRESS, "progress", 0, CLI_ARG_NONE, NULL, 0, 0, NULL,
	 PROBING | PCAP | TRACE, 0, NULL, NULL, CLI_SEC_OUTPUT,
	 "keep a status line on stderr even when it is not a terminal or "
	 "with --json (by default: only on a terminal, never with --json, "
	 "--nagios or --quiet)"},
	{CLI_O_QUIET, "quiet", 0, CLI_ARG_NONE, NULL, 0, 0, NULL,
	 PROBING | PCAP | TRACE, 0, NULL, NULL, CLI_SEC_OUTPUT,
	 "no status line on stderr (what is done, in flight and left)"},
	{CLI_O_COLOR, "color", 0, CLI_ARG_OPTIONAL, "WHEN", 0, 0, color_choice,
	 ALL, 0, NULL, NULL, CLI_SEC_OUTPUT,
	 "when to use ANSI colour. auto (the default): on a terminal; off "
	 "when NO_COLOR is set and not empty, else on for any output when "
	 "FORCE_COLOR is. always (bare --color) and never beat both. WHEN is "
	 "one of"},
	/* pcap takes operands, so its WHEN is not optional: "--color never
	 * FILE" keeps meaning what it always did. */
	{CLI_O_COLOR, "color", 0, CLI_ARG_CHOICE, "WHEN", 0, 0, color_choice,
	 PCAP, 0, NULL, NULL, CLI_SEC_OUTPUT,
	 "when to use ANSI colour. auto (the default): on a terminal; off "
	 "when NO_COLOR is set and not empty, else on for any output when "
	 "FORCE_COLOR is. always and never beat both. WHEN is one of"},
	{CLI_O_NO_COLOR, "no-color", 0, CLI_ARG_NONE, NULL, 0, 0, NULL,
	 ALL | PCAP, 0, NULL, NULL, CLI_SEC_OUTPUT,
	 "the same as --color=never"},
	{CLI_O_HELP, "help", '?', CLI_ARG_NONE, NULL, 0, 0, NULL,
	 ALL | TRACE | WATCH, CLI_OF_HELP, NULL, "--help", CLI_SEC_OUTPUT,
	 "this text"},
	{CLI_O_HELP, "help", 'h', CLI_ARG_NONE, NULL, 0, 0, NULL, PCAP,
	 CLI_OF_HELP, NULL, NULL, CLI_SEC_OUTPUT, "this text"},
};

#define NROWS (sizeof(table) / sizeof(table[0]))

static const struct cli_cmddef commands[] = {
	{CLI_CMD_PROBE, "probe", "probe [OPTIONS]",
	 "Opens connections to a MySQL or MariaDB server the way an "
	 "application does, times every phase (resolve, connect, greeting, "
	 "tls, auth, query, close), classifies every failure and names the "
	 "pattern behind it. Polite by default: 10 attempts per target, one "
	 "at a time.",
	 "Exit status: 0 healthy, 1 warnings, 2 critical findings, 64 usage "
	 "error, 69 target unavailable (no attempt reached the server). With "
	 "--nagios: 0 OK, 1 WARNING, 2 CRITICAL (69 too), 3 UNKNOWN (64 too). "
	 "The table: docs/exit-status.md.",
	 "open connections like an application, time every phase, classify "
	 "failures and name the pattern",
	 CLI_CF_OPTFILES, NULL},
	{CLI_CMD_DIAGNOSE, "diagnose", "diagnose [OPTIONS]",
	 "Answers \"why can't my application connect?\": probes the server "
	 "over TCP (and over the Unix socket when it is local), audits this "
	 "host (kernel, sockets, TCP wrappers, resolver, firewall, fds) and "
	 "the server (read-only), and prints the root cause first, with the "
	 "measured evidence and the fix. The probe's options work here; the "
	 "default is 10 attempts per target, 2 at a time.",
	 "Exit status: 0 no problem, 1 warnings, 2 critical, 64 usage error, "
	 "69 the server could not be reached at all. With --nagios: 0 OK, 1 "
	 "WARNING, 2 CRITICAL (69 too), 3 UNKNOWN (64 too). The table: "
	 "docs/exit-status.md.",
	 "probe the server, audit this host and the server, and print the "
	 "root cause first with its evidence and fix",
	 CLI_CF_OPTFILES, NULL},
	{CLI_CMD_CHECK, "check", "check [OPTIONS]",
	 "Audits this host, as this network namespace sees it, for what "
	 "breaks MySQL connections, and explains each risk with a finding. "
	 "Changes nothing. With a user, the server slice audits the server "
	 "the connection options name (read-only), logging in the way the "
	 "probe does (TLS, RSA key, timeouts).",
	 "Run as root to see every process's sockets and the firewall; "
	 "otherwise what could not be read is listed at the end. Exit status: "
	 "0 healthy, 1 warnings, 2 critical findings, 64 usage error "
	 "(docs/exit-status.md).",
	 "audit this host (kernel, sockets, TCP wrappers, resolver, firewall, "
	 "conntrack, fds) and the server for what breaks connections",
	 CLI_CF_OPTFILES, NULL},
	{CLI_CMD_PCAP, "pcap",
	 "pcap [OPTIONS] FILE...\n       conndoctor pcap [OPTIONS] --live "
	 "IFACE",
	 "Rebuilds every TCP connection and MySQL session of a capture (pcap "
	 "or pcapng; \"-\" reads standard input; several files are read in "
	 "order as one capture, e.g. tcpdump -C/-G rotations) and reports "
	 "where each went wrong.",
	 "Exit status: 0 healthy, 1 warnings, 2 critical findings, 64 usage "
	 "error, 69 input unreadable or cut short (docs/exit-status.md). "
	 "Findings: conndoctor explain CODE.",
	 "rebuild every TCP connection and MySQL session of a capture (or "
	 "--live IFACE) and say where each went wrong",
	 CLI_CF_OPERANDS, "FILE..."},
	{CLI_CMD_TRACE, "trace",
	 "trace [--port P]... [--pid PID]... [--comm NAME]\n"
	 "                        [--duration S] [--json]",
	 "Reads the kernel's TCP events for the MySQL port(s) in this network "
	 "namespace with eBPF (state changes, SYN and SYN-ACK retransmits "
	 "with the accept queue, resets, drops by reason) and "
	 "ListenOverflows/ListenDrops, and, with uprobes on its libc, the "
	 "time mysqld spent in getnameinfo, gethostbyaddr[_r], getaddrinfo "
	 "and gethostbyname[_r] per client address, then prints a summary. "
	 "Needs root, or CAP_BPF and CAP_PERFMON, and a kernel with BTF. "
	 "Prints \"ready\" on stderr once attached.",
	 "Exit status: 0 traced, 64 usage error, 69 eBPF unavailable "
	 "(docs/exit-status.md).",
	 "read the kernel's TCP events for the MySQL port live (eBPF)", 0,
	 NULL},
	{CLI_CMD_WATCH, "watch",
	 "watch --config FILE [--listen ADDR:PORT]\n"
	 "       conndoctor watch -h HOST|-S SOCKET -u USER [--interval S] "
	 "[OPTIONS]",
	 "Probes targets continuously (login, query, COM_QUIT every "
	 "interval, jittered by +-10%) and serves Prometheus metrics on "
	 "/metrics. The quick form watches one target, named after the host "
	 "(or \"socket\"); a config file (conndoctor.conf(5)) names many.",
	 "SIGHUP reloads the config file and --web-config; SIGINT or "
	 "SIGTERM stops it. Exit "
	 "status: 0 stopped by a signal, "
	 "64 usage error or a bad config, 69 the HTTP endpoint could not be "
	 "served (docs/exit-status.md).",
	 "probe targets continuously and serve Prometheus metrics on "
	 "/metrics",
	 0, NULL},
	{CLI_CMD_EXPLAIN, "explain", "explain [CODE]", NULL, NULL,
	 "print the documentation of a finding (every code without one)",
	 CLI_CF_NOOPTS | CLI_CF_OPERANDS, "[CODE]"},
	{CLI_CMD_HELP, "help", "help", NULL, NULL, "print the list of commands",
	 CLI_CF_NOOPTS, NULL},
	{CLI_CMD_VERSION, "version", "version", NULL, NULL, "print the version",
	 CLI_CF_NOOPTS, NULL},
};

static const char *const section_titles[CLI_SEC__COUNT] = {
	"Connection (as the mysql client; also read from option files)",
	("Option files (/etc/my.cnf, /etc/mysql/my.cnf, ~/.my.cnf; groups\n"
	 "[client], [client-server], [client-mariadb], [conndoctor])"),
	"Load shape",
	"Targets",
	"Audit of this host and the server",
	"Capture",
	"Tracing",
	("Watching (the quick form's target: -h HOST or -S SOCKET, with -u "
	 "USER)"),
	"Output",
};

const struct cli_optdef *cli_opttab(size_t *n)
{
	*n = NROWS;
	return table;
}

const struct cli_optdef *cli_opt_by_name(enum cli_cmd cmd, const char *name,
					 size_t len)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if ((table[i].commands & cmd) && table[i].name &&
		    strlen(table[i].name) == len &&
		    !strncmp(table[i].name, name, len))
			return &table[i];
	return NULL;
}

const struct cli_optdef *cli_opt_by_short(enum cli_cmd cmd, char c)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if ((table[i].commands & cmd) && c && table[i].short_name == c)
			return &table[i];
	return NULL;
}

const struct cli_cmddef *cli_cmd_def(enum cli_cmd cmd)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].cmd == cmd)
			return &commands[i];
	return NULL;
}

const char *cli_section_title(enum cli_section s)
{
	return (unsigned)s < CLI_SEC__COUNT ? section_titles[s] : "";
}

unsigned cli_optfile_cmds(void)
{
	unsigned m = 0;
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].flags & CLI_CF_OPTFILES)
			m |= (unsigned)commands[i].cmd;
	return m;
}

int cli_opt_in_files(const struct cli_optdef *d)
{
	return !(d->flags & CLI_OF_CMDLINE_ONLY) &&
	       (d->commands & cli_optfile_cmds());
}

void cli_opt_range(const struct cli_optdef *d, char *out, size_t len)
{
	/* A whole number of seconds (pcap's --duration) says so too. */
	int secs = d->arg == CLI_ARG_SECONDS ||
		   (d->metavar && !strcmp(d->metavar, "S"));
	const char *unit = secs			 ? " seconds"
			   : d->id == CLI_O_RATE ? " per second"
						 : "";

	snprintf(out, len, "%.15g to %.15g%s", d->min, d->max, unit);
}
