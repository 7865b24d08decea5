/* attempt.c - outcome and phase tokens, and the error text a MySQL or
 * MariaDB client library would have printed for an attempt. */
#include "probe/attempt.h"

#include <stdio.h>
#include <string.h>

static const char *const outcome_names[CD_OUTCOME__COUNT] = {
	[CD_OK] = "ok",
	[CD_DNS_FAIL] = "dns_fail",
	[CD_REFUSED] = "refused",
	[CD_CONNECT_TIMEOUT] = "connect_timeout",
	[CD_UNREACHABLE] = "unreachable",
	[CD_LOCAL_PORTS_EXHAUSTED] = "local_ports_exhausted",
	[CD_FD_EXHAUSTED] = "fd_exhausted",
	[CD_CONNECT_FAILED] = "connect_failed",
	[CD_GREETING_TIMEOUT] = "greeting_timeout",
	[CD_CLOSED_BEFORE_GREETING] = "closed_before_greeting",
	[CD_SERVER_REFUSED] = "server_refused",
	[CD_AUTH_FAILED] = "auth_failed",
	[CD_AUTH_TIMEOUT] = "auth_timeout",
	[CD_CLOSED_DURING_LOGIN] = "closed_during_login",
	[CD_AUTH_PLUGIN_UNSUPPORTED] = "auth_plugin_unsupported",
	[CD_LOGIN_REFUSED] = "login_refused",
	[CD_TLS_FAILED] = "tls_failed",
	[CD_QUERY_TIMEOUT] = "query_timeout",
	[CD_QUERY_ERROR] = "query_error",
	[CD_GONE_AWAY] = "gone_away",
	[CD_PROTOCOL_ERROR] = "protocol_error",
	[CD_LOCAL_ERROR] = "local_error",
};

static const char *const phase_names[CD_PH__COUNT] = {
	[CD_PH_RESOLVE] = "resolve",   [CD_PH_CONNECT] = "connect",
	[CD_PH_GREETING] = "greeting", [CD_PH_TLS] = "tls",
	[CD_PH_AUTH] = "auth",	       [CD_PH_IDLE] = "idle",
	[CD_PH_QUERY] = "query",       [CD_PH_REUSE] = "reuse",
	[CD_PH_CLOSE] = "close",
};

const char *cd_outcome_name(enum cd_outcome o)
{
	return (unsigned)o < CD_OUTCOME__COUNT ? outcome_names[o] : "?";
}

const char *cd_phase_name(enum cd_phase p)
{
	return (unsigned)p < CD_PH__COUNT ? phase_names[p] : "?";
}

int cd_phase_done(const struct cd_attempt *a, int p)
{
	if (a->phase_ns[p] < 0)
		return 0;
	return a->outcome == CD_OK || (int)a->failed_phase != p;
}

int cd_outcome_unreached(enum cd_outcome o)
{
	switch (o) {
	case CD_DNS_FAIL:
	case CD_REFUSED:
	case CD_CONNECT_TIMEOUT:
	case CD_UNREACHABLE:
	case CD_LOCAL_PORTS_EXHAUSTED:
	case CD_FD_EXHAUSTED:
	case CD_CONNECT_FAILED:
	case CD_GREETING_TIMEOUT:
	case CD_CLOSED_BEFORE_GREETING:
		return 1;
	default:
		return 0;
	}
}

/* The shortest greeting: protocol byte, empty version, connection id,
 * 8 bytes of scramble, filler, lower capabilities. */
#define GREETING_MIN 16
#define GREETING_MAX 4096 /* MYSQL_HS_GREETING_MAX */

int cd_greeting_prefix(const uint8_t *b, size_t n)
{
	uint32_t len;

	if (n == 0)
		return 0;
	if (n >= 2 && b[1] > (GREETING_MAX >> 8))
		return 0;
	if (n >= 3) {
		len = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
		      (uint32_t)b[2] << 16;
		if (len < GREETING_MIN || len > GREETING_MAX)
			return 0;
	}
	if (n >= 4 && b[3] != 0)
		return 0;
	return n < 5 || b[4] == 10;
}

/* "2013 at 'reading initial communication packet'", worded per library. */
static void lost_at(char *out, size_t outlen, int mariadb, const char *where,
		    int err)
{
	if (mariadb)
		snprintf(out, outlen,
			 "ERROR 2013 (HY000): Lost connection to server at "
			 "'%s%s', system error: %d",
			 strcmp(where, "reading initial communication packet")
				 ? ""
				 : "handshake: ",
			 where, err);
	else
		snprintf(out, outlen,
			 "ERROR 2013 (HY000): Lost connection to MySQL server "
			 "at '%s', system error: %d",
			 where, err);
}

static void server_error(const struct cd_attempt *a, char *out, size_t outlen)
{
	snprintf(out, outlen, "ERROR %u (%s): %s", a->mysql_code,
		 a->sqlstate[0] ? a->sqlstate : "HY000", a->message);
}

void cd_attempt_client_error(const struct cd_attempt *a, const char *host,
			     const char *socket_path, int mariadb, char *out,
			     size_t outlen)
{
	const char *srv = mariadb ? "server" : "MySQL server";
	int err = a->sys_errno;

	if (!host)
		host = "localhost";
	switch (a->outcome) {
	case CD_OK:
		snprintf(out, outlen, "%s", "");
		return;
	case CD_DNS_FAIL:
		snprintf(out, outlen,
			 "ERROR 2005 (HY000): Unknown %s host '%s' (%d)", srv,
			 host, err);
		return;
	case CD_REFUSED:
	case CD_CONNECT_TIMEOUT:
	case CD_UNREACHABLE:
	case CD_LOCAL_PORTS_EXHAUSTED:
	case CD_CONNECT_FAILED:
		if (socket_path)
			snprintf(out, outlen,
				 "ERROR 2002 (HY000): Can't connect to local "
				 "%s through socket '%s' (%d)",
				 srv, socket_path, err);
		else if (mariadb)
			snprintf(out, outlen,
				 "ERROR 2002 (HY000): Can't connect to server "
				 "on '%s' (%d)",
				 host, err);
		else
			snprintf(out, outlen,
				 "ERROR 2003 (HY000): Can't connect to MySQL "
				 "server on '%s' (%d)",
				 host, err);
		return;
	case CD_FD_EXHAUSTED:
		snprintf(out, outlen,
			 "ERROR 2004 (HY000): Can't create TCP/IP socket (%d)",
			 err);
		return;
	case CD_GREETING_TIMEOUT:
		lost_at(out, outlen, mariadb,
			"reading initial communication packet", err);
		return;
	case CD_CLOSED_BEFORE_GREETING:
		/* Connector/C reports the EAGAIN of its last read. */
		lost_at(out, outlen, mariadb,
			"reading initial communication packet",
			err ? err : (mariadb ? 11 : 0));
		return;
	case CD_SERVER_REFUSED:
	case CD_AUTH_FAILED:
	case CD_LOGIN_REFUSED:
	case CD_QUERY_ERROR:
		server_error(a, out, outlen);
		return;
	case CD_AUTH_TIMEOUT:
	case CD_CLOSED_DURING_LOGIN:
		lost_at(out, outlen, mariadb, "reading authorization packet",
			err);
		return;
	case CD_AUTH_PLUGIN_UNSUPPORTED:
		if (a->sqlstate[0]) { /* the server's own 1251 */
			server_error(a, out, outlen);
			return;
		}
		snprintf(out, outlen, "ERROR %u (HY000): %s",
			 a->mysql_code ? a->mysql_code : 2059, a->message);
		return;
	case CD_TLS_FAILED:
		snprintf(out, outlen, "ERROR 2026 (HY000): %s: %s",
			 mariadb ? "TLS/SSL error" : "SSL connection error",
			 a->message);
		return;
	case CD_QUERY_TIMEOUT:
		snprintf(out, outlen,
			 "ERROR 2013 (HY000): Lost connection to %s during "
			 "query",
			 srv);
		return;
	case CD_GONE_AWAY:
		if (a->mysql_code)
			server_error(a, out, outlen);
		else if (err == 32 /* EPIPE */ || err == 104 /* ECONNRESET */)
			snprintf(out, outlen,
				 "ERROR 2006 (HY000): %s has gone away",
				 mariadb ? "Server" : "MySQL server");
		else
			snprintf(out, outlen,
				 "ERROR 2013 (HY000): Lost connection to %s "
				 "during query",
				 srv);
		return;
	case CD_LOCAL_ERROR:
		/* CR_UNKNOWN_ERROR: the client library's own failure. */
		snprintf(out, outlen, "ERROR 2000 (HY000): %s", a->message);
		return;
	case CD_PROTOCOL_ERROR:
	default:
		snprintf(out, outlen, "ERROR 2027 (HY000): Malformed packet");
		return;
	}
}
