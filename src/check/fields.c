/* fields.c - the table of facts each slice of `check` reports: a fact's
 * values are added here once (JSON key with its unit, type) with the text
 * template that phrases them, and show up in text and JSON alike. */
#include "check/fields.h"

#include <stddef.h>

#define I(k)                                                                   \
	{                                                                      \
		k, CHK_T_INT                                                   \
	}
#define U(k)                                                                   \
	{                                                                      \
		k, CHK_T_UINT                                                  \
	}
#define D(k)                                                                   \
	{                                                                      \
		k, CHK_T_DOUBLE                                                \
	}
#define B(k)                                                                   \
	{                                                                      \
		k, CHK_T_BOOL                                                  \
	}
#define S(k)                                                                   \
	{                                                                      \
		k, CHK_T_STR                                                   \
	}
#define END                                                                    \
	{                                                                      \
		NULL, NULL, NULL,                                              \
		{                                                              \
			{                                                      \
				NULL, CHK_T_NULL                               \
			}                                                      \
		}                                                              \
	}

/* ---- kernel: TCP sysctls and what they cost ---- */
const struct chk_fact_def chk_fields_kernel[] = {
	[CHK_FK_SYN_RETRIES] =
		{"kernel",
		 "tcp_syn_retries",
		 "{syn_retries_count} (linear timeouts "
		 "{syn_linear_timeouts_count}): a connect to a dead or "
		 "filtered server fails after {connect_give_up_s:.0f} s "
		 "without a connect timeout",
		 {I("syn_retries_count"), I("syn_linear_timeouts_count"),
		  D("connect_give_up_s")}},
	[CHK_FK_SYNACK_RETRIES] =
		{"kernel",
		 "tcp_synack_retries",
		 "{synack_retries_count}: a half-open connection (third ACK "
		 "lost) is dropped by the server after {half_open_drop_s:.0f} "
		 "s",
		 {I("synack_retries_count"), D("half_open_drop_s")}},
	[CHK_FK_RETRIES2] =
		{"kernel",
		 "tcp_retries2",
		 "{retries2_count}: a query to a server that died mid-session "
		 "fails after at least {dead_peer_s:.0f} s ({dead_peer_s:min} "
		 "min)",
		 {I("retries2_count"), D("dead_peer_s")}},
	[CHK_FK_KEEPALIVE] =
		{"kernel",
		 "tcp_keepalive",
		 "time {keepalive_time_s} s, interval {keepalive_intvl_s} s, "
		 "probes {keepalive_probes_count}: an idle connection with "
		 "SO_KEEPALIVE notices a dead peer after {dead_peer_s} s; "
		 "without it, never",
		 {I("keepalive_time_s"), I("keepalive_intvl_s"),
		  I("keepalive_probes_count"), I("dead_peer_s")}},
	[CHK_FK_FIN_TIMEOUT] = {"kernel",
				"tcp_fin_timeout",
				"{fin_timeout_s} s in FIN_WAIT2 for orphaned "
				"connections",
				{I("fin_timeout_s")}},
	[CHK_FK_TW_REUSE] = {"kernel",
			     "tcp_tw_reuse",
			     "{tw_reuse_mode} ({tw_reuse_mode|off: TIME_WAIT "
			     "ports wait 60 s|on for all outgoing "
			     "connections|loopback only})",
			     {I("tw_reuse_mode")}},
	[CHK_FK_PORT_RANGE] =
		{"kernel",
		 "ip_local_port_range",
		 "{port_lo}-{port_hi}: {ports_count} ports; a client that "
		 "closes first can open at most {connects_per_min_count} "
		 "connections per minute to one server address and port "
		 "(TIME_WAIT 60 s)",
		 {I("port_lo"), I("port_hi"), I("ports_count"),
		  I("connects_per_min_count")}},
	[CHK_FK_SYNCOOKIES] = {"kernel",
			       "tcp_syncookies",
			       "{syncookies_mode} ({syncookies_mode|off|when "
			       "the SYN queue overflows|always})",
			       {I("syncookies_mode")}},
	[CHK_FK_SOMAXCONN] = {"kernel",
			      "somaxconn",
			      "{somaxconn_count}: the cap on any listener's "
			      "accept queue (mysqld's back_log)",
			      {I("somaxconn_count")}},
	[CHK_FK_MAX_SYN_BACKLOG] = {"kernel",
				    "tcp_max_syn_backlog",
				    "{max_syn_backlog_count} half-open "
				    "connections per listener",
				    {I("max_syn_backlog_count")}},
	END};

/* ---- census: sockets of the MySQL ports, listeners, counters ---- */
const struct chk_fact_def chk_fields_census[] = {
	[CHK_FC_PORT_RANGE] = {"census",
			       "ip_local_port_range",
			       "{port_lo}-{port_hi} ({ports_count} ports)",
			       {I("port_lo"), I("port_hi"), I("ports_count")}},
	[CHK_FC_TCP_SOCKETS] = {"census",
				"tcp_sockets",
				"{sockets_count} to or from the MySQL "
				"ports{?kernel_filter: (filtered in the "
				"kernel)}",
				{U("sockets_count"), B("kernel_filter")}},
	[CHK_FC_TCP_STATE] = {"census",
			      "tcp_state",
			      "{sockets_count} ({client_count} as client, "
			      "{server_count} as server)",
			      {S("state"), U("sockets_count"),
			       U("client_count"), U("server_count")}},
	[CHK_FC_TIME_WAIT] = {"census",
			      "time_wait",
			      "{client_count} as client, {server_count} as "
			      "server",
			      {U("client_count"), U("server_count")}},
	[CHK_FC_SYN_RECV] = {"census",
			     "syn_recv",
			     "{sockets_count} ({synack_retransmitted_count} "
			     "with the SYN-ACK retransmitted)",
			     {U("sockets_count"),
			      U("synack_retransmitted_count")}},
	[CHK_FC_LISTENER] = {"census",
			     "listener",
			     "accept queue {accept_queue_count} of backlog "
			     "{backlog_count}",
			     {S("address"), U("accept_queue_count"),
			      U("backlog_count")}},
	[CHK_FC_PORTS_IN_USE] =
		{"census",
		 "ports_in_use",
		 "{in_use_count}{?range_count: of {range_count} "
		 "({in_use_pct:.0f}%)}: {time_wait_count} TIME_WAIT, "
		 "{established_count} ESTABLISHED",
		 {S("destination"), U("in_use_count"), I("range_count"),
		  D("in_use_pct"), U("time_wait_count"),
		  U("established_count")}},
	[CHK_FC_KEEPALIVE] = {"census",
			      "keepalive",
			      "{keepalive_count} of {established_client_count} "
			      "established client connections have a "
			      "keepalive timer",
			      {U("keepalive_count"),
			       U("established_client_count")}},
	[CHK_FC_UNIX_SOCKET] =
		{"census",
		 "unix_socket",
		 "{path}: {!listeners_count:nothing listens there (in this "
		 "network namespace)}{?listeners_count:{listeners_count} "
		 "listener, accept queue {accept_queue_count} of backlog "
		 "{backlog_count}; {accepted_count} accepted, {clients_count} "
		 "clients ({pending_count} not yet accepted)}",
		 {S("path"), U("listeners_count"), U("accept_queue_count"),
		  U("backlog_count"), U("accepted_count"), U("clients_count"),
		  U("pending_count")}},
	[CHK_FC_COUNTER] = {"census",
			    "counter",
			    "{value_count}{?interval_s: ({rate_per_s:+.1f}/s "
			    "over {interval_s:g} s)}",
			    {I("value_count"), D("rate_per_s"),
			     D("interval_s")}},
	END};

/* ---- fds: processes holding MySQL sockets ---- */
const struct chk_fact_def chk_fields_fds[] = {
	[CHK_FD_PROCESSES] = {"fds",
			      "processes",
			      "{fd_tables_count} fd tables read, "
			      "{descriptors_count} descriptors",
			      {U("fd_tables_count"), U("descriptors_count")}},
	[CHK_FD_MYSQL_SOCKETS] = {"fds",
				  "mysql_sockets",
				  "{sockets_count} held by processes, "
				  "{client_ends_count} of them client ends",
				  {U("sockets_count"), U("client_ends_count")}},
	[CHK_FD_HOLDER] = {"fds",
			   "holder",
			   "{comm}: {transport} {endpoint}{?role:, {role}}",
			   {I("pid"), I("fd"), S("comm"), S("transport"),
			    S("endpoint"), S("role")}},
	END};

/* ---- wrappers: libwrap in mysqld, hosts.allow/deny, their resolver ---- */
const struct chk_fact_def chk_fields_wrappers[] = {
	[CHK_FW_MYSQLD_RUNNING] = {"wrappers",
				   "mysqld",
				   "pid {pid} {path} (running, {comm})",
				   {S("source"), I("pid"), S("path"),
				    S("comm")}},
	[CHK_FW_MYSQLD_OPTION] = {"wrappers",
				  "mysqld",
				  "{path} (--mysqld)",
				  {S("source"), S("path")}},
	[CHK_FW_MYSQLD_INSTALLED] = {"wrappers",
				     "mysqld",
				     "{path} (installed binary; no mysqld is "
				     "running)",
				     {S("source"), S("path")}},
	[CHK_FW_MYSQLD_NONE] = {"wrappers",
				"mysqld",
				"not found (no process, no installed binary)",
				{S("source")}},
	[CHK_FW_MYSQLD_ROOT] = {"wrappers",
				"mysqld root",
				"{path} (another mount namespace)",
				{S("path")}},
	[CHK_FW_MYSQLD_BINARY] = {"wrappers",
				  "mysqld binary",
				  "{path}, the installed one: pid {pid}'s is "
				  "not readable",
				  {S("path"), I("pid")}},
	[CHK_FW_LIBWRAP] =
		{"wrappers",
		 "libwrap",
		 "{?linked:linked: {chain} => {?path:{path}}{!path:not found} "
		 "({how})}{!linked:not linked ({?static:a static "
		 "executable}{!static:{libraries_count} libraries, "
		 "{not_found_count} not found{?capped:, list capped}})}",
		 {B("linked"), S("chain"), S("path"), S("how"), B("static"),
		  U("libraries_count"), U("not_found_count"), B("capped")}},
	[CHK_FW_LIBWRAP_MAPPED] = {"wrappers",
				   "libwrap mapped",
				   "{?mapped:{path} in pid {pid}}{!mapped:not "
				   "in pid {pid}}",
				   {B("mapped"), S("path"), I("pid")}},
	[CHK_FW_TABLE] =
		{"wrappers",
		 "table",
		 "{path}: {!found:absent}{?found:{lines_count} lines, "
		 "{rules_count} rules ({mysqld_rules_count} for mysqld), "
		 "{problems_count} problem(s){?capped:, parse capped}}",
		 {S("path"), B("found"), U("lines_count"), U("rules_count"),
		  U("mysqld_rules_count"), U("problems_count"), B("capped")}},
	[CHK_FW_DAEMON_NAME] = {"wrappers",
				"daemon name",
				"{names}{?from_process: (argv[0] of the "
				"process)}{!from_process: (argv[0]'s basename "
				"decides)}",
				{S("names"), B("from_process")}},
	[CHK_FW_FIRST_DNS_RULE] = {"wrappers",
				   "first DNS rule",
				   "{table}:{line}",
				   {S("table"), U("line")}},
	[CHK_FW_RESOLVER] = {"wrappers",
			     "resolver",
			     "{path}: timeout {timeout_s} s, attempts "
			     "{attempts_count}, {nameservers_count} "
			     "nameserver(s): {dead_lookup_s:.0f} s per lookup "
			     "when none answers",
			     {S("path"), I("timeout_s"), I("attempts_count"),
			      I("nameservers_count"), D("dead_lookup_s")}},
	[CHK_FW_CLIENTS_NOW] = {"wrappers",
				"clients now",
				"{clients_count} client address(es); "
				"{need_dns_count} would wait on DNS",
				{U("clients_count"), U("need_dns_count")}},
	[CHK_FW_SERVER_LISTENER] = {"wrappers",
				    "server's process",
				    "pid {pid} ({comm}) owns the listener on "
				    "{listener} (sock_diag inode {inode} in "
				    "/proc/{pid}/fd/{fd}); {mysqlds_count} "
				    "mysqld process(es) run here",
				    {S("listener"), I("pid"), S("comm"),
				     U("inode"), I("fd"), U("mysqlds_count")}},
	[CHK_FW_NO_LISTENER] =
		{"wrappers",
		 "server's process",
		 "none: nothing on this host listens on "
		 "{listeners}, so the server is elsewhere and "
		 "whether it uses libwrap cannot be judged from "
		 "here ({mysqlds_count} other mysqld process(es) "
		 "run here)",
		 {S("listeners"), U("mysqlds_count")}},
	END};

/* ---- resolver: resolv.conf, nsswitch, measured nameservers ---- */
const struct chk_fact_def chk_fields_resolver[] = {
	[CHK_FR_RESOLV_CONF] =
		{"resolver",
		 "resolv.conf",
		 "{nameservers_count} nameserver(s){?more_ignored: (more "
		 "ignored: glibc uses 3)}, timeout {timeout_s} s, attempts "
		 "{attempts_count}{?rotate:, rotate}, {search_domains_count} "
		 "search domain(s), ndots {ndots}: a lookup with every "
		 "nameserver dead costs {dead_lookup_s:.0f} s",
		 {U("nameservers_count"), B("more_ignored"), I("timeout_s"),
		  I("attempts_count"), B("rotate"), U("search_domains_count"),
		  I("ndots"), D("dead_lookup_s")}},
	[CHK_FR_NSSWITCH] = {"resolver",
			     "nsswitch hosts",
			     "{sources}",
			     {S("sources")}},
	[CHK_FR_CACHE] = {"resolver",
			  "cache",
			  "{?cache:{cache}}{!cache:none found}",
			  {S("cache")}},
	[CHK_FR_NAMESERVER] = {"resolver",
			       "nameserver",
			       "answered a PTR query in {ptr_rtt_s:.3f} s "
			       "(rcode {rcode})",
			       {S("address"), D("ptr_rtt_s"), I("rcode")}},
	[CHK_FR_CLIENT] =
		{"resolver",
		 "client",
		 "reverse {reverse_s:.3f} s -> {?name:{name}}{!name:(no "
		 "name)}{?name:{forward_match|, forward does NOT "
		 "match|, forward matches}}",
		 {S("address"), D("reverse_s"), S("name"), B("forward_match")}},
	END};

/* ---- firewall: rulesets and conntrack ---- */
const struct chk_fact_def chk_fields_firewall[] = {
	[CHK_FF_TOOL] = {"firewall",
			 "tool",
			 "{bytes} bytes read ({?legacy:legacy "
			 "x_tables}{!legacy:nf_tables})",
			 {U("bytes"), B("legacy")}},
	[CHK_FF_PARSE_ERRORS] =
		{"firewall",
		 "parse errors",
		 "{tool}: {skipped_lines_count} line(s) skipped",
		 {S("tool"), U("skipped_lines_count")}},
	[CHK_FF_PARSE_ERROR] = {"firewall",
				"parse error",
				"{message}",
				{S("tool"), U("line"), S("message")}},
	[CHK_FF_NFT_TABLES] = {"firewall",
			       "nft native tables",
			       "{tables_count}{?tables:: {tables}}",
			       {U("tables_count"), S("tables")}},
	[CHK_FF_MYSQL_PORT] = {"firewall",
			       "mysql port considered",
			       "{port}",
			       {U("port")}},
	[CHK_FF_CHAIN] = {"firewall",
			  "chain",
			  "{backend} {family} table {table}: policy {policy}, "
			  "{rules_count} rules, priority {priority}",
			  {S("backend"), S("family"), S("table"), S("chain"),
			   S("policy"), U("rules_count"), I("priority")}},
	[CHK_FF_RULE] =
		{"firewall",
		 "rule",
		 "line {line}: {rule:.160s}{?partly_understood: (partly "
		 "understood)}",
		 {U("line"), S("rule"), B("partly_understood")}},
	[CHK_FF_STATE_RULES] = {"firewall",
				"state rules",
				"{uses_conntrack_state|none: a conntrack flush "
				"cannot cut a connection here|yes: packets of "
				"connections conntrack does not know are "
				"judged as NEW or INVALID}",
				{B("uses_conntrack_state")}},
	[CHK_FF_CONNTRACK] = {"firewall",
			      "conntrack",
			      "{!loaded:nf_conntrack not loaded in this "
			      "namespace}{?loaded:loaded}",
			      {B("loaded")}},
	[CHK_FF_CT_ENTRIES] = {"firewall",
			       "conntrack entries",
			       "{entries_count} of {max_count} "
			       "({used_pct:.1f}%)",
			       {I("entries_count"), I("max_count"),
				D("used_pct")}},
	[CHK_FF_CT_LOOSE] = {"firewall",
			     "nf_conntrack_tcp_loose",
			     "{tcp_loose_mode}{tcp_loose_mode| (mid-stream "
			     "packets are INVALID)| (mid-stream packets start "
			     "an entry)}",
			     {I("tcp_loose_mode")}},
	[CHK_FF_CT_TIMEOUT] = {"firewall",
			       "tcp_timeout_established",
			       "{timeout_s} s",
			       {I("timeout_s")}},
	[CHK_FF_CT_MYSQL] = {"firewall",
			     "conntrack mysql entries",
			     "{entries_count}{?unparsed_lines: (some lines "
			     "unparsed)}",
			     {U("entries_count"), B("unparsed_lines")}},
	END};

/* ---- server: the audit's variables, counters, replication ---- */
const struct chk_fact_def chk_fields_server[] = {
	[CHK_FS_VERSION] = {"server", "version", "{version}", {S("version")}},
	[CHK_FS_TLS] = {"server",
			"tls",
			"{?tls:{tls_version}}{!tls:no}",
			{B("tls"), S("tls_version")}},
	[CHK_FS_COUNTER] = {"server",
			    "counter",
			    "{value_count}{?interval_s: ({rate_per_s:.2f}/s "
			    "over {interval_s:.1f} s)}",
			    {I("value_count"), D("rate_per_s"),
			     D("interval_s")}},
	[CHK_FS_BACKLOG_CAPPED] = {"server",
				   "back_log vs somaxconn",
				   "back_log={back_log_count} is capped by "
				   "net.core.somaxconn={somaxconn_count}",
				   {I("back_log_count"), I("somaxconn_count")}},
	[CHK_FS_LINK] =
		{"replication",
		 "link",
		 "from {master_host}:{master_port}, IO {io_running}, "
		 "SQL {sql_running}, {seconds_behind_s} s behind, "
		 "\"{io_state}\", heartbeat {heartbeat_period_s:.0f} s, "
		 "{heartbeats_count} heartbeats",
		 {S("master_host"), U("master_port"), S("io_running"),
		  S("sql_running"), I("seconds_behind_s"), S("io_state"),
		  D("heartbeat_period_s"), U("heartbeats_count")}},
	[CHK_FS_NATIVE_PASSWORD] = {"server",
				    "mysql_native_password",
				    "{status} (information_schema.PLUGINS; "
				    "not ACTIVE: accounts that use it cannot "
				    "log in)",
				    {S("status")}},
	[CHK_FS_HOST_CACHE] =
		{"server",
		 "host_cache",
		 "{ip} ({host:.60s}): {connect_errors_count} connect "
		 "errors, {handshake_errors_count} handshake, "
		 "{nameinfo_errors_count} name lookup, "
		 "{blocked_count} blocked",
		 {S("ip"), S("host"), U("connect_errors_count"),
		  U("handshake_errors_count"), U("nameinfo_errors_count"),
		  U("blocked_count")}},
	[CHK_FS_LOGIN_EXTRA] = {"server",
				"audit login",
				"through {endpoint}, another port of pid {pid} "
				"({comm}: extra_port/admin_port), after "
				"{message}",
				{S("endpoint"), I("pid"), S("comm"),
				 S("message")}},
	/* Keyed by the variable's name: absent, not unread (MariaDB has
	 * no admin_port: there is nothing to check). */
	[CHK_FS_ABSENT] = {"server",
			   "absent",
			   "not available on this server ({version})",
			   {S("version")}},
	END};

#define VARB(name, key, meaning)                                               \
	{                                                                      \
		"server", name, "{" key ":onoff} (" meaning ")",               \
		{                                                              \
			B(key)                                                 \
		}                                                              \
	}

const struct chk_fact_def chk_fields_server_vars[] = {
	VARB("skip_name_resolve", "skip_name_resolve",
	     "OFF: mysqld resolves every client address before greeting"),
	{"server",
	 "connect_timeout",
	 "{connect_timeout_s} (s mysqld waits for a client's login)",
	 {I("connect_timeout_s")}},
	{"server",
	 "wait_timeout",
	 "{wait_timeout_s} (s an idle non-interactive session lives)",
	 {I("wait_timeout_s")}},
	{"server",
	 "interactive_timeout",
	 "{interactive_timeout_s} (s an idle interactive session lives)",
	 {I("interactive_timeout_s")}},
	{"server",
	 "net_read_timeout",
	 "{net_read_timeout_s} (s mysqld waits for the rest of a packet)",
	 {I("net_read_timeout_s")}},
	{"server",
	 "net_write_timeout",
	 "{net_write_timeout_s} (s mysqld waits to write to a client)",
	 {I("net_write_timeout_s")}},
	{"server",
	 "max_allowed_packet",
	 "{max_allowed_packet_bytes} (bytes: a larger packet ends the "
	 "session)",
	 {I("max_allowed_packet_bytes")}},
	{"server",
	 "net_buffer_length",
	 "{net_buffer_length_bytes} (bytes: the floor of the packet limit, "
	 "max(max_allowed_packet, net_buffer_length))",
	 {I("net_buffer_length_bytes")}},
	{"server",
	 "max_connections",
	 "{max_connections_count} (sessions before ERROR 1040)",
	 {I("max_connections_count")}},
	{"server",
	 "max_user_connections",
	 "{max_user_connections_count} (sessions per user (0: no limit))",
	 {I("max_user_connections_count")}},
	{"server",
	 "max_connect_errors",
	 "{max_connect_errors_count} (aborted handshakes before a host is "
	 "blocked (1129))",
	 {I("max_connect_errors_count")}},
	{"server",
	 "back_log",
	 "{back_log_count} (the accept queue mysqld asks for)",
	 {I("back_log_count")}},
	{"server",
	 "thread_handling",
	 "{thread_handling} (one thread per connection, or a pool)",
	 {S("thread_handling")}},
	{"server",
	 "thread_cache_size",
	 "{thread_cache_size_count} (threads kept for new connections)",
	 {I("thread_cache_size_count")}},
	{"server",
	 "slave_net_timeout",
	 "{slave_net_timeout_s} (s a replica waits for data before "
	 "reconnecting)",
	 {I("slave_net_timeout_s")}},
	{"server",
	 "bind_address",
	 "{bind_address} (where TCP is accepted)",
	 {S("bind_address")}},
	VARB("skip_networking", "skip_networking", "ON: no TCP at all"),
	VARB("require_secure_transport", "require_secure_transport",
	     "ON: TCP logins without TLS are refused (3159)"),
	{"server",
	 "admin_address",
	 "{admin_address} (MySQL 8's administrative interface)",
	 {S("admin_address")}},
	{"server",
	 "admin_port",
	 "{port} (its port, for accounts with SERVICE_CONNECTION_ADMIN)",
	 {I("port")}},
	{"server",
	 "log_error_services",
	 "{log_error_services} (MySQL 8's error log sinks; log_sink_json "
	 "writes log_error.NN.json)",
	 {S("log_error_services")}},
	{"server", "port", "{port} (TCP port)", {I("port")}},
	{"server", "socket", "{socket} (Unix socket)", {S("socket")}},
	END};

/* ---- errlog: the server's error log ---- */
const struct chk_fact_def chk_fields_errlog[] = {
	[CHK_FE_SOURCE] =
		{"errlog",
		 "source",
		 "{?journal:journal (journalctl -u mariadb -u mysql -u "
		 "mysqld)}{!journal:{path}}",
		 {B("journal"), S("path")}},
	[CHK_FE_READ] =
		{"errlog",
		 "read",
		 "{!lines_count:nothing: an empty log, or no journal entries "
		 "for the units (or no permission to read them)}"
		 "{?lines_count:{lines_count} lines, {bytes} bytes{?partial: "
		 "(stopped early)}{?journal_lines_count: (from the "
		 "journal)}{?syslog_lines_count: (syslog lines)}}",
		 {U("lines_count"), U("bytes"), B("partial"),
		  U("journal_lines_count"), U("syslog_lines_count")}},
	[CHK_FE_FORMAT] = {"errlog",
			   "format",
			   "{lines_count} lines",
			   {S("format"), U("lines_count")}},
	[CHK_FE_SKIPPED] = {"errlog",
			    "skipped",
			    "{over_cap_count} over the line cap, "
			    "{truncated_stamp_count} with a truncated and "
			    "{invalid_stamp_count} with an invalid timestamp",
			    {U("over_cap_count"), U("truncated_stamp_count"),
			     U("invalid_stamp_count")}},
	[CHK_FE_BEFORE_WINDOW] = {"errlog",
				  "before window",
				  "{lines_count} lines",
				  {U("lines_count")}},
	[CHK_FE_SPAN] = {"errlog",
			 "span",
			 "{?first_unix_s:{first_unix_s:utc} to "
			 "{last_unix_s:utc}}{!first_unix_s:no dated lines}",
			 {I("first_unix_s"), I("last_unix_s")}},
	[CHK_FE_CLASS] = {"errlog",
			  "class",
			  "{events_count}, first {first_unix_s:utc}, last "
			  "{last_unix_s:utc}",
			  {S("class"), U("events_count"), I("first_unix_s"),
			   I("last_unix_s")}},
	[CHK_FE_NO_ABORTED] = {"errlog",
			       "note",
			       "no \"Aborted connection\" lines: MariaDB "
			       "writes them with log_warnings >= 2 (before "
			       "login: >= 4), MySQL 8 with log_error_verbosity "
			       "= 3",
			       {U("aborted_count")}},
	[CHK_FE_HOST] = {"errlog",
			 "host",
			 "{host:.60s}: {events_count} ({top_class} "
			 "{top_class_count}{?second_class:, {second_class} "
			 "{second_class_count}}{?other_classes_count:, "
			 "{other_classes_count} more class(es)})",
			 {S("host"), U("events_count"), S("top_class"),
			  U("top_class_count"), S("second_class"),
			  U("second_class_count"), U("other_classes_count")}},
	[CHK_FE_HOSTS_UNTRACKED] = {"errlog",
				    "hosts untracked",
				    "{events_count} events of hosts beyond the "
				    "first {tracked_hosts_count}",
				    {U("events_count"),
				     U("tracked_hosts_count")}},
	END};

const struct chk_fact_def *const chk_field_tables[] = {
	chk_fields_kernel,   chk_fields_census,
	chk_fields_fds,	     chk_fields_wrappers,
	chk_fields_resolver, chk_fields_firewall,
	chk_fields_server,   chk_fields_server_vars,
	chk_fields_errlog,   NULL};
