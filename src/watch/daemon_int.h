/* daemon_int.h - what watch's loop (daemon.c) and its /probe endpoint
 * (probe_ep.c) share; private to watch/. */
#ifndef CONNDOCTOR_WATCH_DAEMON_INT_H
#define CONNDOCTOR_WATCH_DAEMON_INT_H

#include "probe/hostfacts.h"
#include "watch/links.h"
#include "watch/watch.h"

/* Attempts kept per target for the findings' rules. */
#define WATCH_WINDOW 32
/* Attempts in flight at most when --max-in-flight is not given. */
#define WATCH_INFLIGHT_DEFAULT 256
/* The host gauges are read at most this often, and not more often than
 * the shortest interval of the targets. */
#define WATCH_HOST_PERIOD_MIN_NS (5 * (int64_t)1000000000)
/* Slots beyond one per scheduled transport, for /probe. */
#define WATCH_PROBE_SLOTS 8

struct watch_runner;
struct watch_probe_req;

/* What an attempt in flight is for. */
enum watch_ticket_kind {
	WATCH_TK_ROUND,
	WATCH_TK_IDLE,
	WATCH_TK_REPLICA,
	WATCH_TK_HOSTCACHE
};

/* What an attempt in flight belongs to (the engine's udata). */
struct watch_ticket {
	struct watch_runner *r;
	struct watch_probe_req *req; /* NULL: the schedule's */
	unsigned k;		     /* index into r->pc.targets */
	enum watch_ticket_kind kind;
};

/* One configured target's scheduling and engine configuration. */
struct watch_runner {
	struct probe_config pc; /* strings borrowed from the target */
	struct probe_job *job;
	int ready;	 /* addresses resolved, socket found */
	int warned;	 /* the setup failure was reported once */
	int64_t next_ns; /* monotonic time of the next round */
	size_t heap_idx; /* position in the due-time heap */
	uint32_t todo;	 /* this round's pc.targets not started */
	uint32_t busy;	 /* pc.targets with an attempt in flight */
	struct watch_ticket ticket[PROBE_MAX_TARGETS];
	struct cd_attempt window[WATCH_WINDOW]; /* ring of recent attempts */
	size_t wlen, wnext;
	/* idle-survival and replica (links_run.c): their own jobs over the
	 * target's first address or socket */
	struct probe_config ipc, rpc;
	struct probe_job *ijob, *rjob;
	int idle_busy, rep_busy;
	int rep_query;	      /* index into watch_replica_queries */
	int64_t idle_next_ns; /* when the idle session is (re)opened */
	struct watch_ticket lticket[3]; /* [0] idle, [1] replica, [2] host
					   cache */
	struct watch_replica_parse rp;
	/* host-cache (hostcache.c): its own job over the first TCP address,
	 * run with a round at most every host-cache period; allocated for
	 * the targets that have it only */
	struct watch_hc_run *hc;
	/* /probe modules of the config ([module NAME], probe_ep.c): a job
	 * each, made at its first request; [nm] each, NULL until then */
	struct probe_config *mpc;
	struct probe_job **mjob;
	size_t nm;
};

/* A target's host cache reads (links_run.c). */
struct watch_hc_run {
	struct probe_config pc;
	struct probe_job *job;
	int busy;
	int64_t next_ns;
	struct watch_hc_parse parse;
};

struct watch_daemon {
	struct watch_config *cfg; /* owned */
	const struct watch_opts *opts;
	struct watch_state st;
	struct watch_runner *rs; /* [cfg->ntargets] */
	size_t *heap;		 /* runner indices, earliest due first */
	size_t hlen;
	struct probe_engine *eng;
	unsigned slots;
	struct watch_http *http;
	int http_fd; /* the HTTP server's descriptor in ep */
	/* --web-config: [webcur] serves, the other is what a server replaced
	 * by a TLS change still holds */
	struct watch_web web[2];
	int webcur;
	int ep, sfd;
	struct cd_host_facts facts;
	struct watch_host host; /* check's host gauges */
	int stopping, reload_pending, draining;
	int64_t stop_deadline;
	struct watch_probe_req *reqs; /* /probe requests in flight */
	size_t *linked; /* runners with idle-survival or replica */
	size_t nlinked;
	struct chk_ruleset
		*fw; /* the host's, for replica links (links_run.c) */
	int fw_loose;
	int64_t fw_next_ns; /* when to read it again */
};

/* /probe (probe_ep.c). */
int watch_probe_begin(void *ctx, struct watch_http_req *hreq,
		      const char *target, const char *module, char *msg,
		      size_t msglen);
void watch_probe_req_done(struct watch_daemon *d, struct watch_ticket *tk,
			  const struct cd_attempt *a);
/* Answers every /probe request still waiting (the daemon stops). */
void watch_probe_reqs_fail(struct watch_daemon *d);

/* Readies r for t (addresses, socket, job); 0 or -1 with err. */
int watch_runner_ready(struct watch_runner *r, const struct watch_target *t,
		       char *err, size_t errlen);

/* Idle sessions and replica polls (links_run.c). */
/* Builds r's idle and replica jobs once r->pc has its targets; 0 or -1. */
int watch_links_jobs(struct watch_runner *r, const struct watch_target *t,
		     char *err, size_t errlen);
/* Lists the runners that have them (after a config is installed); 0 or
 * -1 (memory). */
int watch_links_index(struct watch_daemon *d);
/* Opens the idle sessions that are due, as far as slots allow. */
void watch_links_start(struct watch_daemon *d);
/* A round of target ti begins: its replica's status is queried. */
void watch_links_round(struct watch_daemon *d, size_t ti);
/* An idle session or replica poll ended (tk->kind says which). */
void watch_links_done(struct watch_daemon *d, struct watch_ticket *tk,
		      const struct cd_attempt *a);
/* Monotonic ns when an idle session is next due, INT64_MAX: none. */
int64_t watch_links_next_ns(const struct watch_daemon *d);
/* Ends the idle sessions now (COM_QUIT): a reload or stop begins. */
void watch_links_abort(struct watch_daemon *d);
/* Frees what the links kept (the firewall's rules). */
void watch_links_free(struct watch_daemon *d);
/* Re-evaluates target r's findings (links_run.c adds a stalled link). */
void watch_evaluate(struct watch_daemon *d, struct watch_runner *r);

#endif /* CONNDOCTOR_WATCH_DAEMON_INT_H */
