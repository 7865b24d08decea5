/* fields.h - the fact definitions of every slice of `check`: for each kind
 * of fact, its values' JSON keys and types and the text template the
 * report phrases it with (check.h: struct chk_fact_def). One table per
 * slice, indexed by the slice's enum; docs/json.md lists every key. */
#ifndef CONNDOCTOR_CHECK_FIELDS_H
#define CONNDOCTOR_CHECK_FIELDS_H

#include "check/check.h"

enum chk_fk_kernel {
	CHK_FK_SYN_RETRIES,
	CHK_FK_SYNACK_RETRIES,
	CHK_FK_RETRIES2,
	CHK_FK_KEEPALIVE,
	CHK_FK_FIN_TIMEOUT,
	CHK_FK_TW_REUSE,
	CHK_FK_PORT_RANGE,
	CHK_FK_SYNCOOKIES,
	CHK_FK_SOMAXCONN,
	CHK_FK_MAX_SYN_BACKLOG
};
extern const struct chk_fact_def chk_fields_kernel[];

enum chk_fk_census {
	CHK_FC_PORT_RANGE,
	CHK_FC_TCP_SOCKETS,
	CHK_FC_TCP_STATE,
	CHK_FC_TIME_WAIT,
	CHK_FC_SYN_RECV,
	CHK_FC_LISTENER,
	CHK_FC_PORTS_IN_USE,
	CHK_FC_KEEPALIVE,
	CHK_FC_UNIX_SOCKET,
	CHK_FC_COUNTER
};
extern const struct chk_fact_def chk_fields_census[];

enum chk_fk_fds { CHK_FD_PROCESSES, CHK_FD_MYSQL_SOCKETS, CHK_FD_HOLDER };
extern const struct chk_fact_def chk_fields_fds[];

enum chk_fk_wrappers {
	CHK_FW_MYSQLD_RUNNING,
	CHK_FW_MYSQLD_OPTION,
	CHK_FW_MYSQLD_INSTALLED,
	CHK_FW_MYSQLD_NONE,
	CHK_FW_MYSQLD_ROOT,
	CHK_FW_MYSQLD_BINARY,
	CHK_FW_LIBWRAP,
	CHK_FW_LIBWRAP_MAPPED,
	CHK_FW_TABLE,
	CHK_FW_DAEMON_NAME,
	CHK_FW_FIRST_DNS_RULE,
	CHK_FW_RESOLVER,
	CHK_FW_CLIENTS_NOW,
	CHK_FW_SERVER_LISTENER,
	CHK_FW_NO_LISTENER
};
extern const struct chk_fact_def chk_fields_wrappers[];

enum chk_fk_resolver {
	CHK_FR_RESOLV_CONF,
	CHK_FR_NSSWITCH,
	CHK_FR_CACHE,
	CHK_FR_NAMESERVER,
	CHK_FR_CLIENT
};
extern const struct chk_fact_def chk_fields_resolver[];

enum chk_fk_firewall {
	CHK_FF_TOOL,
	CHK_FF_PARSE_ERRORS,
	CHK_FF_PARSE_ERROR,
	CHK_FF_NFT_TABLES,
	CHK_FF_MYSQL_PORT,
	CHK_FF_CHAIN,
	CHK_FF_RULE,
	CHK_FF_STATE_RULES,
	CHK_FF_CONNTRACK,
	CHK_FF_CT_ENTRIES,
	CHK_FF_CT_LOOSE,
	CHK_FF_CT_TIMEOUT,
	CHK_FF_CT_MYSQL
};
extern const struct chk_fact_def chk_fields_firewall[];

enum chk_fk_server {
	CHK_FS_VERSION,
	CHK_FS_TLS,
	CHK_FS_COUNTER,
	CHK_FS_BACKLOG_CAPPED,
	CHK_FS_LINK,
	CHK_FS_NATIVE_PASSWORD,
	CHK_FS_HOST_CACHE,
	CHK_FS_LOGIN_EXTRA,
	CHK_FS_ABSENT /* a variable this server does not have */
};
extern const struct chk_fact_def chk_fields_server[];
/* One definition per server variable the audit shows, in order; its
 * name is the variable's. */
extern const struct chk_fact_def chk_fields_server_vars[];

enum chk_fk_errlog {
	CHK_FE_SOURCE,
	CHK_FE_READ,
	CHK_FE_FORMAT,
	CHK_FE_SKIPPED,
	CHK_FE_BEFORE_WINDOW,
	CHK_FE_SPAN,
	CHK_FE_CLASS,
	CHK_FE_NO_ABORTED,
	CHK_FE_HOST,
	CHK_FE_HOSTS_UNTRACKED
};
extern const struct chk_fact_def chk_fields_errlog[];

/* Every table above, NULL-terminated; each table ends at a NULL section
 * (for tests and the documentation check). */
extern const struct chk_fact_def *const chk_field_tables[];

#endif /* CONNDOCTOR_CHECK_FIELDS_H */
