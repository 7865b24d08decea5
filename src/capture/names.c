/* names.c - the stable tokens the capture's text and JSON output share:
 * session states, login outcomes, command results, anomalies, and the
 * phrase that says how a connection ended. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "capture/capture.h"
#include "mysql/commands.h"

const char *cap_state_name(enum cap_my_state s)
{
	static const char *const names[] = {
		"unknown", "greeting",	 "login",  "auth",
		"ready",   "response",	 "binlog", "quit",
		"tls",	   "compressed", "failed", "not_mysql",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *cap_login_name(enum cap_login l)
{
	static const char *const names[] = {"none", "ok", "failed", "unknown",
					    "pending"};

	return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "?";
}

const char *cap_result_name(enum cap_result r)
{
	static const char *const names[] = {
		"none", "ok",	  "error",	"rows",
		"data", "stream", "unanswered", "unknown",
	};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

const char *cap_anomaly_name(enum cap_anomaly a)
{
	static const char *const names[] = {"text_in_stream", "sequence",
					    "length", "malformed", "inflate"};

	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

const char *cap_close_name(enum cap_close c)
{
	static const char *const names[] = {"none", "fin", "rst"};

	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "?";
}

const char *cap_command_name(uint8_t cmd, char *buf, size_t len)
{
	const char *n = mysql_command_name(cmd);

	if (n)
		return n;
	switch (cmd) {
	case MYSQL_COM_STMT_SEND_LONG_DATA:
		return "COM_STMT_SEND_LONG_DATA";
	case MYSQL_COM_STMT_RESET:
		return "COM_STMT_RESET";
	case MYSQL_COM_STMT_FETCH:
		return "COM_STMT_FETCH";
	case 0x07:
		return "COM_REFRESH";
	case 0x0d:
		return "COM_DEBUG";
	case 0x05:
		return "COM_CREATE_DB";
	case 0x06:
		return "COM_DROP_DB";
	case 0xfa:
		return "COM_STMT_BULK_EXECUTE";
	default:
		snprintf(buf, len, "COM_0x%02x", cmd);
		return buf;
	}
}

const char *cap_endpoint_str(const struct cap_endpoint *e, char *buf,
			     size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->addr, a,
		       sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (e->family == 6)
		snprintf(buf, len, "[%s]:%u", a, e->port);
	else
		snprintf(buf, len, "%s:%u", a, e->port);
	return buf;
}

/* What the session was doing when it ended, for the end phrase. */
static const char *context(const struct cap_conn *c, char *buf, size_t len)
{
	const struct cap_session *my = &c->my;
	char cb[16];

	if (my->pending) {
		snprintf(buf, len, "during %s",
			 cap_command_name(my->pending_cmd, cb, sizeof(cb)));
		return buf;
	}
	if (my->quit && (!c->close_us || my->quit_us <= c->close_us))
		return "after COM_QUIT";
	switch (c->close_state) {
	case CAP_MY_GREETING:
		return c->my.greeting_us ? "" : "before the greeting";
	case CAP_MY_LOGIN:
		return "before the login";
	case CAP_MY_AUTH:
		return "during authentication";
	case CAP_MY_FAILED:
		return my->refused ? "after refusing" : "after login failed";
	case CAP_MY_READY:
		return "while idle";
	case CAP_MY_RESPONSE:
		return "during a response";
	case CAP_MY_BINLOG:
		return "during binlog streaming";
	default:
		return "";
	}
}

const char *cap_end_phrase(const struct cap_conn *c, char *buf, size_t len)
{
	char ctx[64];
	const char *x;

	if (c->closer < 0) {
		if (c->evicted)
			snprintf(buf, len, "%s",
				 c->established ? "evicted: flow table full"
						: "handshake evicted: flow "
						  "table full");
		else if (c->syn.n && !c->synack.n)
			snprintf(buf, len, "%s",
				 c->ended_by_capture
					 ? "SYN unanswered"
					 : "SYN unanswered (gave up)");
		else
			snprintf(buf, len, "%s",
				 c->ended_by_capture ? "open at capture end"
						     : "silent, evicted");
		return buf;
	}
	if (c->syn_rst_us && c->close_how == CAP_CLOSE_RST &&
	    c->closer == CAP_S2C && !c->synack.n) {
		snprintf(buf, len, "refused (RST to SYN)");
		return buf;
	}
	x = context(c, ctx, sizeof(ctx));
	snprintf(buf, len, "%s %s%s%s",
		 c->closer == CAP_C2S ? "client" : "server",
		 c->close_how == CAP_CLOSE_RST ? "RST" : "FIN", *x ? " " : "",
		 x);
	return buf;
}
