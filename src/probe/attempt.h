/* attempt.h - the Attempt record (DESIGN.md "Core records"): one connection
 * attempt, its phase times, its outcome class and the evidence behind it. */
#ifndef CONNDOCTOR_PROBE_ATTEMPT_H
#define CONNDOCTOR_PROBE_ATTEMPT_H

#include <stddef.h>
#include <stdint.h>

/* Phases in the order a connection goes through them. */
enum cd_phase {
	CD_PH_RESOLVE,
	CD_PH_CONNECT,
	CD_PH_GREETING,
	CD_PH_TLS,
	CD_PH_AUTH,
	CD_PH_IDLE, /* --idle: held logged in before the query */
	CD_PH_QUERY,
	CD_PH_REUSE, /* --reuse: COM_RESET_CONNECTION or COM_CHANGE_USER
			round trips between the queries, summed */
	CD_PH_CLOSE,
	CD_PH__COUNT
};

/* Outcome classes: stable tokens reused by text, JSON and metrics labels. */
enum cd_outcome {
	CD_OK,
	CD_DNS_FAIL,
	CD_REFUSED,
	CD_CONNECT_TIMEOUT,
	CD_UNREACHABLE,
	CD_LOCAL_PORTS_EXHAUSTED,
	CD_FD_EXHAUSTED,
	CD_CONNECT_FAILED, /* any other connect errno */
	CD_GREETING_TIMEOUT,
	CD_CLOSED_BEFORE_GREETING,
	CD_SERVER_REFUSED,
	CD_AUTH_FAILED,
	CD_AUTH_TIMEOUT,
	CD_CLOSED_DURING_LOGIN,	    /* closed or reset after the greeting,
				       before the server judged the login */
	CD_AUTH_PLUGIN_UNSUPPORTED, /* the client cannot answer the server's
				       auth plugin (2059) or its full
				       authentication (2061), or the server
				       says it cannot (1251) */
	CD_LOGIN_REFUSED,	    /* the server refused the login for another
				       reason than the credentials: the
				       database, a locked account, an expired
				       password, TLS required (by ERR code) */
	CD_TLS_FAILED,
	CD_QUERY_TIMEOUT,
	CD_QUERY_ERROR, /* the server answered the query with an ERR */
	CD_GONE_AWAY,
	CD_PROTOCOL_ERROR,
	CD_LOCAL_ERROR, /* the probe itself failed (an epoll change the
			   kernel refused), not the path or the server */
	CD_OUTCOME__COUNT
};

enum cd_transport { CD_TCP, CD_SOCKET };

/* TCP_INFO fields kept from the snapshot taken right after connect. */
struct cd_tcpinfo {
	uint32_t rtt_us;
	uint32_t rttvar_us;
	uint32_t total_retrans; /* includes SYN retransmissions */
	uint8_t retransmits;	/* unrecovered RTO timeouts at the snapshot */
	uint8_t state;		/* kernel TCP state (1 = ESTABLISHED) */
};

#define CD_ADDR_MAX 64
#define CD_MSG_MAX  160

struct cd_attempt {
	uint32_t seq;	  /* attempt number, from 0, in start order */
	uint16_t target;  /* index into the run's target table */
	uint16_t level;	  /* concurrency level (ramp) it ran at */
	uint16_t repeat;  /* ramp repeat it belongs to */
	int64_t start_ns; /* monotonic, relative to the run's start */
	int64_t phase_ns[CD_PH__COUNT]; /* duration; -1: phase not reached */
	int64_t total_ns; /* start to end of the last phase reached */
	enum cd_outcome outcome;
	enum cd_phase failed_phase; /* where it failed (when !ok) */
	int sys_errno;		    /* SO_ERROR / read errno / 0 */
	int timed_out;		    /* our phase timeout fired */
	uint16_t mysql_code;	    /* server ERR code, 0 if none */
	char sqlstate[6];
	char message[CD_MSG_MAX]; /* server ERR text or protocol detail */
	int have_tcpi;
	struct cd_tcpinfo tcpi;	   /* after connect */
	uint8_t tcp_state_at_fail; /* TCP state when it failed, 0 unknown */
	uint16_t local_port;
	uint32_t conn_id;     /* server connection id from the greeting */
	uint32_t reply_bytes; /* 2020: the reply packet over the client's
				 max_allowed_packet, its length */
	int tls;	      /* TLS was negotiated */
	uint8_t compress;     /* the compression the login agreed on (enum
				 mysql_comp_algo: 0 none, 1 zlib, 2 zstd) */
	uint8_t qattrs_sent;  /* --query-attribute: the query carried them */
	int64_t idle_cut_ns;  /* --idle: the server closed after this long
				 idle, -1 when it did not */
	uint8_t seq_fault;    /* protocol_error: a reply's sequence id was not
				 the one due ("packets out of order") */
	uint8_t seq_expected; /* with seq_fault: the id due */
	uint8_t seq_got;      /* with seq_fault: the id that came */
	uint32_t greeting_bytes;  /* bytes of the greeting received (all of
				     it once greeted; a part on failure) */
	uint8_t greeting_partial; /* greeting_timeout or closed_before_greeting
				     after bytes that begin a valid greeting:
				     a slow MySQL server, not a foreign one */
};

/* Stable token of an outcome ("connect_timeout"). */
const char *cd_outcome_name(enum cd_outcome o);
/* Phase token ("greeting"). */
const char *cd_phase_name(enum cd_phase p);
/* 1 when attempt a got through phase p (rather than failed in it). */
int cd_phase_done(const struct cd_attempt *a, int p);
/* 1 when the outcome means the server was never reached at the MySQL
 * level (nothing answered: refused, timeouts before a greeting, ...). */
int cd_outcome_unreached(enum cd_outcome o);

/* 1 when b[0, n) (n > 0) can begin a MySQL greeting: a frame header with
 * a length a greeting can have, sequence id 0, then protocol version 10.
 * A slow server that sent only part of its greeting passes. */
int cd_greeting_prefix(const uint8_t *b, size_t n);

/* The text a libmysqlclient (mariadb = 0) or MariaDB Connector/C
 * (mariadb = 1) application would have logged for this attempt, e.g.
 * "ERROR 2003 (HY000): Can't connect to MySQL server on 'db' (110)". */
void cd_attempt_client_error(const struct cd_attempt *a, const char *host,
			     const char *socket_path, int mariadb, char *out,
			     size_t outlen);

#endif /* CONNDOCTOR_PROBE_ATTEMPT_H */
