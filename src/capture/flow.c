/* flow.c - the TCP flow table and what it measures (RFC 9293; RFC 6298 for
 * retransmission timers, RFC 1122 4.2.3.6 for keepalives; Wireshark's
 * tcp analysis flags as the map of what to detect).
 *
 * A flow is keyed by its 4-tuple; a new SYN (another ISN) on a known tuple
 * after a close is a new connection (port reuse). Each direction is
 * reassembled: in-order bytes go straight to the passive MySQL decoder,
 * segments ahead of a hole wait in a short sorted queue (hard byte cap),
 * old bytes are retransmissions, and a hole the receiver acknowledged but
 * the capture never showed is a gap. Flows live in one of three lists:
 * embryonic (handshake not complete; handed out after long silence), open,
 * and closing (handed out after a short linger for late segments), so the
 * engine holds open connections only.
 */
#include <stdlib.h>
#include <string.h>

#include "capture/cap_int.h"

#define HASH_INIT  1024
#define SPARE_MAX  1024		 /* freed flows kept for reuse */
#define IDLE_EVENT (1000 * 1000) /* timeline: silences of 1 s and more */
#define MAX_WINDOW (1u << 30)	 /* farther than this is not the stream */

struct cap_lst {
	struct cap_flow *head, *tail;
};

/* A hash chain, and a flow in an array to sort (structs, not bare
 * pointers, so every sizeof names what it measures). */
struct cap_bucket {
	struct cap_flow *head;
};

struct cap_ref {
	struct cap_flow *f;
};

struct cap_engine {
	struct cap_opts o;
	struct cap_sink sink;
	struct cap_bucket *buckets;
	size_t nbuckets, nflows;
	struct cap_lst lists[4]; /* by enum cap_list */
	struct cap_totals t;
	const struct cap_pkt *pkt; /* the segment being processed */
	struct cap_flow *spare;	   /* freed flows to reuse (by hnext) */
	size_t nspare;
	int64_t clock;	  /* latest timestamp: time never goes back */
	size_t ooo_bytes; /* out-of-order bytes held in all flows */
};

void cap_opts_init(struct cap_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ports[0] = 3306;
	o->nports = 1;
	o->linger_us = 2 * 1000 * 1000;
	o->embryo_idle_us = 180LL * 1000 * 1000;
	o->ooo_max_bytes = 256 * 1024;
	o->ooo_budget = (size_t)CAP_OOO_BUDGET_MIB_DEFAULT << 20;
	o->frame_keep = 64 * 1024;
	o->max_flows = CAP_MAX_FLOWS_DEFAULT;
}

size_t cap_engine_keep(const struct cap_engine *e)
{
	return e->o.frame_keep;
}

/* ---- lists ---- */

static void lst_del(struct cap_engine *e, struct cap_flow *f)
{
	struct cap_lst *l = &e->lists[f->list];

	if (f->list == CAP_L_NONE)
		return;
	if (f->prev)
		f->prev->next = f->next;
	else
		l->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = NULL;
	f->list = CAP_L_NONE;
}

static void lst_add(struct cap_engine *e, struct cap_flow *f,
		    enum cap_list which)
{
	struct cap_lst *l = &e->lists[which];

	lst_del(e, f);
	f->list = which;
	f->prev = l->tail;
	f->next = NULL;
	if (l->tail)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
}

/* ---- hashing ---- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t ep_hash(const struct cap_endpoint *ep)
{
	uint64_t a, b;

	memcpy(&a, ep->addr, 8);
	memcpy(&b, ep->addr + 8, 8);
	return mix64(a ^ mix64(b ^ ((uint64_t)ep->port << 8 | ep->family)));
}

/* The same for both directions of a flow. */
static uint64_t tuple_hash(const struct cap_endpoint *a,
			   const struct cap_endpoint *b)
{
	uint64_t ha = ep_hash(a), hb = ep_hash(b);

	return mix64(ha < hb ? ha * 31 + hb : hb * 31 + ha);
}

static int ep_eq(const struct cap_endpoint *a, const struct cap_endpoint *b)
{
	uint64_t a0, a1, b0, b1;

	/* addresses are zero-padded to 16 bytes: compare them as words */
	memcpy(&a0, a->addr, 8);
	memcpy(&a1, a->addr + 8, 8);
	memcpy(&b0, b->addr, 8);
	memcpy(&b1, b->addr + 8, 8);
	return a->port == b->port && a->family == b->family && a0 == b0 &&
	       a1 == b1;
}

static int grow(struct cap_engine *e)
{
	size_t n = e->nbuckets ? e->nbuckets * 2 : HASH_INIT, i;
	struct cap_bucket *b = calloc(n, sizeof(*b));

	if (!b)
		return -1;
	for (i = 0; i < e->nbuckets; i++) {
		struct cap_flow *f = e->buckets[i].head, *nx;

		for (; f; f = nx) {
			nx = f->hnext;
			f->hnext = b[f->hash & (n - 1)].head;
			b[f->hash & (n - 1)].head = f;
		}
	}
	free(e->buckets);
	e->buckets = b;
	e->nbuckets = n;
	return 0;
}

/* The flow of p, and the sender's direction in it. */
static struct cap_flow *lookup(struct cap_engine *e, const struct cap_pkt *p,
			       uint64_t h, int *dir)
{
	struct cap_flow *f = e->buckets[h & (e->nbuckets - 1)].head;

	for (; f; f = f->hnext) {
		if (f->hash != h)
			continue;
		if (ep_eq(&f->rec.client, &p->src) &&
		    ep_eq(&f->rec.server, &p->dst)) {
			*dir = CAP_C2S;
			return f;
		}
		if (ep_eq(&f->rec.client, &p->dst) &&
		    ep_eq(&f->rec.server, &p->src)) {
			*dir = CAP_S2C;
			return f;
		}
	}
	return NULL;
}

static void unhash(struct cap_engine *e, struct cap_flow *f)
{
	struct cap_flow **pp = &e->buckets[f->hash & (e->nbuckets - 1)].head;

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == f) {
			*pp = f->hnext;
			break;
		}
	e->nflows--;
}

/* ---- events ---- */

void cap_emit(struct cap_engine *e, struct cap_flow *f, enum cap_ev_kind k,
	      int dir, int64_t ts_us, int64_t i, int64_t j,
	      const struct cap_cmd *cmd)
{
	struct cap_event ev;
	const struct cap_pkt *p = e->pkt;

	if (!f->traced || !e->sink.event)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = k;
	ev.ts_us = ts_us;
	ev.dir = dir;
	ev.i = i;
	ev.j = j;
	ev.cmd = cmd;
	ev.conn = &f->rec;
	if (p && k != CAP_EV_RESPONSE) {
		int d = ep_eq(&f->rec.client, &p->src) ? CAP_C2S : CAP_S2C;

		/* relative to each side's ISN once known (a SYN is 0) */
		ev.pkt = p;
		if (f->half[d].seq_known)
			ev.rel_seq = p->seq - f->half[d].isn;
		if (f->half[!d].seq_known && (p->flags & CAP_TH_ACK))
			ev.rel_ack = p->ack - f->half[!d].isn;
	}
	e->sink.event(e->sink.ud, &ev);
}

void cap_emit_command(struct cap_engine *e, struct cap_flow *f,
		      const struct cap_cmd *cmd)
{
	e->t.commands++;
	if (e->sink.command)
		e->sink.command(e->sink.ud, &f->rec, cmd);
}

/* ---- engine ---- */

struct cap_engine *cap_engine_new(const struct cap_opts *o,
				  const struct cap_sink *sink)
{
	struct cap_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->o = *o;
	if (e->o.frame_keep < 1024)
		e->o.frame_keep = 1024;
	if (sink)
		e->sink = *sink;
	if (grow(e)) {
		free(e);
		return NULL;
	}
	return e;
}

const struct cap_totals *cap_engine_totals(const struct cap_engine *e)
{
	return &e->t;
}

size_t cap_engine_open(const struct cap_engine *e)
{
	return e->nflows;
}

void cap_engine_frame(struct cap_engine *e, int64_t ts_us, uint32_t wire_len,
		      uint32_t caplen, enum cap_dec_rc rc)
{
	e->t.packets++;
	e->t.bytes += wire_len;
	if (e->t.packets - e->t.bad_time == 1) /* the first with a time */
		e->t.first_us = e->clock = ts_us;
	if (ts_us > e->t.last_us)
		e->t.last_us = ts_us;
	if (caplen < wire_len)
		e->t.truncated++;
	switch (rc) {
	case CAP_DEC_OK:
		e->t.tcp++;
		break;
	case CAP_DEC_OTHER:
		e->t.other++;
		break;
	case CAP_DEC_FRAGMENT:
		e->t.fragments++;
		break;
	case CAP_DEC_TRUNCATED:
		e->t.header_cut++;
		break;
	case CAP_DEC_INVALID:
		e->t.bad_headers++;
		break;
	}
}

void cap_engine_bad_time(struct cap_engine *e, uint32_t wire_len)
{
	e->t.packets++;
	e->t.bytes += wire_len;
	e->t.bad_time++;
}

static int server_port(const struct cap_engine *e, uint16_t port)
{
	unsigned i;

	for (i = 0; i < e->o.nports; i++)
		if (e->o.ports[i] == port)
			return 1;
	return 0;
}

/* Frees a flow's buffers; keeps the flow itself for reuse (bounded). */
static void free_flow(struct cap_engine *e, struct cap_flow *f)
{
	int d;

	for (d = 0; d < 2; d++) {
		struct cap_seg *s = f->half[d].ooo, *nx;

		for (; s; s = nx) {
			nx = s->next;
			e->ooo_bytes -= s->caplen;
			free(s);
		}
	}
	cap_my_free(f);
	if (e->nspare < SPARE_MAX) {
		f->hnext = e->spare;
		e->spare = f;
		e->nspare++;
	} else {
		free(f);
	}
}

static void deliver(struct cap_engine *e, struct cap_flow *f, int dir,
		    const uint8_t *p, uint32_t ncap, uint32_t nwire, int64_t ts,
		    int seg_start);

/* Skips n bytes of direction dir the capture never had. */
static void gap(struct cap_engine *e, struct cap_flow *f, int dir, uint32_t n,
		int64_t ts)
{
	struct cap_half *h = &f->half[dir];

	if (!n)
		return;
	f->rec.dir[dir].gaps++;
	f->rec.dir[dir].gap_bytes += n;
	cap_emit(e, f, CAP_EV_GAP, dir, ts, n, 0, NULL);
	cap_my_gap(e, f, dir, n, ts);
	h->next += n;
}

/* Delivers queued segments the stream has reached. */
static void drain(struct cap_engine *e, struct cap_flow *f, int dir)
{
	struct cap_half *h = &f->half[dir];

	while (h->ooo && (int32_t)(h->ooo->seq - h->next) <= 0) {
		struct cap_seg *s = h->ooo;
		uint32_t skip = h->next - s->seq;

		h->ooo = s->next;
		h->ooo_bytes -= s->caplen;
		e->ooo_bytes -= s->caplen;
		if (skip < s->len)
			deliver(e, f, dir,
				skip < s->caplen ? s->data + skip : NULL,
				skip < s->caplen ? s->caplen - skip : 0,
				s->len - skip, s->ts_us, skip == 0);
		free(s);
	}
}

/* Consumes the FIN's sequence number once the stream reaches it. */
static void fin_reached(struct cap_half *h)
{
	if (h->fin && h->next == h->fin_seq)
		h->next++;
}

static void deliver(struct cap_engine *e, struct cap_flow *f, int dir,
		    const uint8_t *p, uint32_t ncap, uint32_t nwire, int64_t ts,
		    int seg_start)
{
	struct cap_half *h = &f->half[dir];
	unsigned i = h->recent_i++ % CAP_RECENT;

	h->recent[i].seq = h->next;
	h->recent[i].end = h->next + nwire;
	h->recent[i].ts_us = ts;
	if (nwire)
		f->rec.dir[dir].last_data_us = ts;
	if (ncap)
		cap_my_data(e, f, dir, p, ncap, ts, seg_start);
	if (nwire > ncap) {
		/* cut by the snapshot length: not a hole in the stream */
		f->rec.dir[dir].truncated++;
		cap_emit(e, f, CAP_EV_TRUNCATED, dir, ts, nwire - ncap, 0,
			 NULL);
		cap_my_gap(e, f, dir, nwire - ncap, ts);
	}
	h->next += nwire;
	fin_reached(h);
}

/* Queues a segment ahead of a hole (sorted; duplicates dropped). Over the
 * direction's byte cap, or the budget of all flows, the hole is declared a
 * gap instead of holding more; when the budget is held by other flows, the
 * segment is dropped and counted (it becomes a gap when the peer
 * acknowledges it). */
static void queue(struct cap_engine *e, struct cap_flow *f, int dir,
		  uint32_t seq, const struct cap_pkt *p, uint32_t skip)
{
	struct cap_half *h = &f->half[dir];
	uint32_t len = p->len - skip;
	uint32_t ncap = p->caplen > skip ? p->caplen - skip : 0;
	struct cap_seg *s, **pp;
	int over_budget;

	f->rec.dir[dir].ooo++;
	cap_emit(e, f, CAP_EV_OOO, dir, p->ts_us, seq - h->next, 0, NULL);
	over_budget = e->ooo_bytes + ncap > e->o.ooo_budget;
	if ((h->ooo_bytes + ncap > e->o.ooo_max_bytes || over_budget) &&
	    h->ooo) {
		if (h->ooo_bytes + ncap <= e->o.ooo_max_bytes)
			e->t.ooo_budget_gaps++;
		gap(e, f, dir, h->ooo->seq - h->next, p->ts_us);
		drain(e, f, dir);
		if ((int32_t)(seq - h->next) <= 0) {
			uint32_t k = h->next - seq;

			if (k < len)
				deliver(e, f, dir,
					k < ncap ? p->payload + skip + k : NULL,
					k < ncap ? ncap - k : 0, len - k,
					p->ts_us, 0);
			drain(e, f, dir);
			return;
		}
	}
	for (pp = &h->ooo; *pp && (int32_t)((*pp)->seq - seq) < 0;
	     pp = &(*pp)->next)
		;
	if (*pp && (*pp)->seq == seq && (*pp)->len >= len)
		return; /* the same segment again */
	if (e->ooo_bytes + ncap > e->o.ooo_budget) {
		e->t.ooo_dropped++;
		e->t.ooo_dropped_bytes += ncap;
		return;
	}
	s = malloc(sizeof(*s) + (ncap ? ncap : 1));
	if (!s)
		return; /* it becomes a gap when the peer acknowledges it */
	s->seq = seq;
	s->len = len;
	s->caplen = ncap;
	s->ts_us = p->ts_us;
	if (ncap)
		memcpy(s->data, p->payload + skip, ncap);
	s->next = *pp;
	*pp = s;
	h->ooo_bytes += ncap;
	e->ooo_bytes += ncap;
	if (e->ooo_bytes > e->t.ooo_peak_bytes)
		e->t.ooo_peak_bytes = e->ooo_bytes;
}

/* Keeps the longest run of resends of one sequence number. */
static void retrans(struct cap_engine *e, struct cap_flow *f, int dir,
		    uint32_t seq, int64_t ts)
{
	struct cap_half *h = &f->half[dir];
	struct cap_dir_stats *st = &f->rec.dir[dir];
	unsigned i;

	st->retrans++;
	if (h->ep.n == 0 || h->ep_seq != seq) {
		h->ep.n = 0;
		h->ep_seq = seq;
		for (i = 0; i < CAP_RECENT; i++)
			if (h->recent[i].end != h->recent[i].seq &&
			    h->recent[i].seq == seq) {
				h->ep.at_us[h->ep.n++] = h->recent[i].ts_us;
				break;
			}
		if (!h->ep.n && h->fin && seq == h->fin_seq && st->fin_us)
			h->ep.at_us[h->ep.n++] = st->fin_us;
	}
	if (h->ep.n < CAP_LADDER_MAX)
		h->ep.at_us[h->ep.n] = ts;
	h->ep.n++;
	if (h->ep.n > st->rtx.n) {
		st->rtx = h->ep;
		st->rtx_seq = seq - h->isn;
	}
	cap_emit(e, f, CAP_EV_RETRANS, dir, ts, h->ep.n - 1, 0, NULL);
}

static void ladder_add(struct cap_ladder *l, int64_t ts)
{
	if (l->n < CAP_LADDER_MAX)
		l->at_us[l->n] = ts;
	l->n++;
}

/* Payload and FIN of a segment: in order, old, or ahead of a hole. */
static void segment_data(struct cap_engine *e, struct cap_flow *f, int dir,
			 const struct cap_pkt *p)
{
	struct cap_half *h = &f->half[dir];
	uint32_t seq = p->seq + ((p->flags & CAP_TH_SYN) ? 1 : 0);
	uint32_t skip;
	int32_t d;

	if (!h->seq_known) {
		h->seq_known = 1;
		h->isn = seq - 1;
		h->next = seq;
	}
	if (p->flags & CAP_TH_FIN && !h->fin) {
		h->fin = 1;
		h->fin_seq = seq + p->len;
	}
	if (p->len == 0) {
		if ((p->flags & CAP_TH_FIN) && seq + 1 == h->next &&
		    h->fin_seq == seq && f->rec.dir[dir].fin_us &&
		    f->rec.dir[dir].fin_us != p->ts_us)
			retrans(e, f, dir, seq, p->ts_us);
		fin_reached(h);
		return;
	}
	d = (int32_t)(seq - h->next);
	if (d > 0) {
		if ((uint32_t)d >= MAX_WINDOW)
			return;
		queue(e, f, dir, seq, p, 0);
		return;
	}
	skip = h->next - seq;
	if (skip >= p->len) {
		/* A keepalive probe resends one old byte on purpose, and a
		 * zero-window probe repeats while the peer's window is 0. */
		if (!(p->len <= 1 && seq + p->len == h->next) &&
		    !(p->len == 1 && f->half[!dir].win_known &&
		      f->half[!dir].win == 0))
			retrans(e, f, dir, seq, p->ts_us);
		return;
	}
	if (skip)
		retrans(e, f, dir, seq, p->ts_us);
	deliver(e, f, dir, skip < p->caplen ? p->payload + skip : NULL,
		skip < p->caplen ? p->caplen - skip : 0, p->len - skip,
		p->ts_us, skip == 0);
	drain(e, f, dir);
}

/* An acknowledgment beyond what the capture showed of the other side:
 * those bytes reached the receiver but not the capture. */
static void ack_gap(struct cap_engine *e, struct cap_flow *f, int dir,
		    const struct cap_pkt *p)
{
	struct cap_half *o = &f->half[!dir];
	uint32_t target = p->ack;
	int32_t a;

	if (!(p->flags & CAP_TH_ACK) || (p->flags & CAP_TH_RST) ||
	    !o->seq_known)
		return;
	if (o->fin && (int32_t)(p->ack - (o->fin_seq + 1)) >= 0)
		o->fin_acked = 1;
	a = (int32_t)(p->ack - o->next);
	if (a <= 0 || (uint32_t)a >= MAX_WINDOW)
		return;
	if (o->fin && p->ack == o->fin_seq + 1)
		target = o->fin_seq;
	if (o->ooo && (int32_t)(o->ooo->seq - target) < 0)
		target = o->ooo->seq;
	if ((int32_t)(target - o->next) > 0) {
		gap(e, f, !dir, target - o->next, p->ts_us);
		fin_reached(o);
		drain(e, f, !dir);
	}
}

static void window(struct cap_engine *e, struct cap_flow *f, int dir,
		   const struct cap_pkt *p)
{
	struct cap_half *h = &f->half[dir];
	struct cap_dir_stats *st = &f->rec.dir[dir];

	if (p->flags & (CAP_TH_SYN | CAP_TH_RST))
		return;
	h->win_known = 1;
	h->win = p->win;
	if (p->win == 0 && !h->zero_since) {
		h->zero_since = p->ts_us;
		st->zero_windows++;
		cap_emit(e, f, CAP_EV_ZERO_WINDOW, dir, p->ts_us, 0, 0, NULL);
	} else if (p->win && h->zero_since) {
		int64_t dur = p->ts_us - h->zero_since;

		if (dur >= st->zero_win_us) {
			st->zero_win_us = dur;
			st->zero_win_at_us = h->zero_since;
		}
		h->zero_since = 0;
		cap_emit(e, f, CAP_EV_WINDOW_OPEN, dir, p->ts_us, dur, 0, NULL);
	}
}

/* The first FIN or RST decides who closed. */
static void closing(struct cap_flow *f, int dir, enum cap_close how, int64_t ts)
{
	struct cap_conn *c = &f->rec;

	if (c->closer >= 0)
		return;
	c->closer = dir;
	c->close_how = how;
	c->close_us = ts;
	c->idle_before_close_us = ts - c->last_us;
	c->close_state = c->my.state;
}

static void handshake(struct cap_engine *e, struct cap_flow *f, int dir,
		      const struct cap_pkt *p)
{
	struct cap_conn *c = &f->rec;
	struct cap_half *h = &f->half[dir];

	if ((p->flags & CAP_TH_SYN) && dir == CAP_C2S &&
	    !(p->flags & CAP_TH_ACK)) {
		if (!h->syn_seen) {
			h->syn_seen = h->seq_known = 1;
			h->isn = p->seq;
			h->next = p->seq + 1;
		} else if (p->seq != h->isn) {
			return;
		}
		ladder_add(&c->syn, p->ts_us);
		if (c->synack.n)
			c->syn_after_synack++;
		cap_emit(e, f, CAP_EV_SYN, dir, p->ts_us, c->syn.n, 0, NULL);
		return;
	}
	if ((p->flags & CAP_TH_SYN) && (p->flags & CAP_TH_ACK) &&
	    dir == CAP_S2C) {
		if (!h->syn_seen) {
			h->syn_seen = h->seq_known = 1;
			h->isn = p->seq;
			h->next = p->seq + 1;
		} else if (p->seq != h->isn) {
			return;
		}
		ladder_add(&c->synack, p->ts_us);
		if (c->hs_ack_us)
			c->synack_after_ack++;
		cap_emit(e, f, CAP_EV_SYNACK, dir, p->ts_us, c->synack.n, 0,
			 NULL);
		return;
	}
	if (dir == CAP_C2S && !c->hs_ack_us && c->synack.n &&
	    (p->flags & CAP_TH_ACK) && !(p->flags & CAP_TH_RST) &&
	    p->ack == f->half[CAP_S2C].isn + 1) {
		c->hs_ack_us = p->ts_us;
		cap_emit(e, f, CAP_EV_HS_ACK, dir, p->ts_us, 0, 0, NULL);
	}
	if (dir == CAP_S2C && (p->flags & CAP_TH_RST) && c->syn.n &&
	    !c->synack.n && !c->syn_rst_us)
		c->syn_rst_us = p->ts_us;
	/* The server has the connection once it sends more than SYN-ACKs
	 * after the client's ACK (or the client's data is acknowledged). */
	if (!c->established && c->hs_ack_us && dir == CAP_S2C &&
	    !(p->flags & (CAP_TH_SYN | CAP_TH_RST)))
		c->established = 1;
}

static void finalize(struct cap_engine *e, struct cap_flow *f, int at_end);

/* Makes room for one more flow within max_flows. A closing flow is handed
 * out before its linger ends; otherwise the least recently active
 * embryonic flow is evicted (a SYN flood pushes out its own SYNs, not the
 * connections being watched), then the least recently active open one.
 * An evicted flow is reported as if the capture ended there. */
static void make_room(struct cap_engine *e)
{
	struct cap_flow *f;

	while (e->o.max_flows && e->nflows >= e->o.max_flows) {
		f = e->lists[CAP_L_CLOSING].head;
		if (f) {
			finalize(e, f, 0);
			continue;
		}
		f = e->lists[CAP_L_EMBRYO].head;
		if (f) {
			e->t.evicted_embryonic++;
		} else {
			f = e->lists[CAP_L_OPEN].head;
			if (!f)
				return;
			e->t.evicted_open++;
		}
		f->rec.evicted = 1;
		finalize(e, f, 1);
	}
}

static struct cap_flow *new_flow(struct cap_engine *e, const struct cap_pkt *p,
				 int client_is_src, uint64_t h)
{
	struct cap_flow *f;
	int mid = !(p->flags & CAP_TH_SYN);

	make_room(e);
	f = e->spare;
	if (f) {
		e->spare = f->hnext;
		e->nspare--;
		memset(f, 0, sizeof(*f));
	} else {
		f = calloc(1, sizeof(*f));
		if (!f)
			return NULL;
	}
	if (e->nflows >= e->nbuckets && grow(e)) {
		free_flow(e, f);
		return NULL;
	}
	f->hash = h;
	f->rec.id = ++e->t.conns;
	f->rec.client = client_is_src ? p->src : p->dst;
	f->rec.server = client_is_src ? p->dst : p->src;
	f->rec.roles_from_ports = mid;
	f->rec.mid_stream = mid;
	f->rec.established = mid;
	f->rec.closer = -1;
	f->rec.first_us = p->ts_us;
	f->traced = e->o.trace_id == f->rec.id;
	cap_my_init(f, mid);
	f->hnext = e->buckets[h & (e->nbuckets - 1)].head;
	e->buckets[h & (e->nbuckets - 1)].head = f;
	e->nflows++;
	if (e->nflows > e->t.open_peak)
		e->t.open_peak = e->nflows;
	lst_add(e, f, mid ? CAP_L_OPEN : CAP_L_EMBRYO);
	return f;
}

/* Hands a flow to the sink and frees it. */
static void finalize(struct cap_engine *e, struct cap_flow *f, int at_end)
{
	struct cap_conn *c = &f->rec;
	int d;

	for (d = 0; d < 2; d++) {
		struct cap_half *h = &f->half[d];

		/* What still waits behind a hole is delivered after it. */
		while (h->ooo) {
			gap(e, f, d, h->ooo->seq - h->next, c->last_us);
			drain(e, f, d);
		}
		if (h->zero_since) {
			int64_t dur = c->last_us - h->zero_since;

			if (dur >= c->dir[d].zero_win_us) {
				c->dir[d].zero_win_us = dur;
				c->dir[d].zero_win_at_us = h->zero_since;
			}
		}
	}
	if (!f->closed)
		c->ended_by_capture = at_end;
	cap_my_end(e, f);
	if (e->sink.conn_done)
		e->sink.conn_done(e->sink.ud, c);
	lst_del(e, f);
	unhash(e, f);
	free_flow(e, f);
}

/* Hands out closed flows past their linger and embryonic flows silent for
 * too long. */
static void sweep(struct cap_engine *e, int64_t now)
{
	struct cap_flow *f;

	while ((f = e->lists[CAP_L_CLOSING].head) &&
	       now - f->closed_us > e->o.linger_us)
		finalize(e, f, 0);
	while ((f = e->lists[CAP_L_EMBRYO].head) && e->o.embryo_idle_us &&
	       now - f->rec.last_us > e->o.embryo_idle_us)
		finalize(e, f, 0);
}

/* Finds or makes the flow of p; NULL when p is not on a server port (or
 * cannot start a flow). */
static struct cap_flow *flow_of(struct cap_engine *e, const struct cap_pkt *p,
				int *dir)
{
	uint64_t h = tuple_hash(&p->src, &p->dst);
	struct cap_flow *f = lookup(e, p, h, dir);
	int syn = (p->flags & (CAP_TH_SYN | CAP_TH_ACK)) == CAP_TH_SYN;

	if (f && syn) {
		/* Port reuse: a SYN with another ISN, or on a closed flow,
		 * or from the server's side, starts a new connection. */
		struct cap_half *c = &f->half[CAP_C2S];

		if (f->closed || *dir != CAP_C2S || !c->syn_seen ||
		    p->seq != c->isn) {
			finalize(e, f, 0);
			f = NULL;
		}
	}
	if (f)
		return f;
	if (syn) {
		if (!server_port(e, p->dst.port))
			return NULL;
		*dir = CAP_C2S;
		return new_flow(e, p, 1, h);
	}
	if ((p->flags & (CAP_TH_SYN | CAP_TH_ACK)) ==
	    (CAP_TH_SYN | CAP_TH_ACK)) {
		if (!server_port(e, p->src.port))
			return NULL;
		*dir = CAP_S2C;
		f = new_flow(e, p, 0, h);
		if (f)
			f->rec.mid_stream = f->rec.established =
				f->rec.roles_from_ports = 0;
		return f;
	}
	/* Mid-stream: only data or a FIN starts a flow (a lone ACK or RST
	 * is more often a late straggler of a flow already handed out). */
	if (!p->len && !(p->flags & CAP_TH_FIN))
		return NULL;
	if (p->flags & CAP_TH_RST)
		return NULL;
	if (server_port(e, p->dst.port) && server_port(e, p->src.port) &&
	    cap_mid_sender_is_server(p->payload, p->caplen)) {
		/* both ports are server ports: the first bytes say who is
		 * the server */
		*dir = CAP_S2C;
		return new_flow(e, p, 0, h);
	}
	if (server_port(e, p->dst.port)) {
		*dir = CAP_C2S;
		return new_flow(e, p, 1, h);
	}
	if (server_port(e, p->src.port)) {
		*dir = CAP_S2C;
		return new_flow(e, p, 0, h);
	}
	return NULL;
}

void cap_engine_packet(struct cap_engine *e, const struct cap_pkt *p)
{
	struct cap_flow *f;
	struct cap_conn *c;
	struct cap_half *h;
	struct cap_pkt late;
	int dir = 0;
	int64_t gap_us;

	/* Merged or clock-stepped captures can go back in time: such a
	 * packet counts as seen at the latest time, so no duration or idle
	 * time is ever negative. */
	if (p->ts_us < e->clock) {
		late = *p;
		late.ts_us = e->clock;
		p = &late;
	}
	e->clock = p->ts_us;
	sweep(e, p->ts_us);
	f = flow_of(e, p, &dir);
	if (!f)
		return;
	e->t.ours++;
	e->pkt = p;
	c = &f->rec;
	h = &f->half[dir];
	gap_us = c->last_us ? p->ts_us - c->last_us : 0;
	if (gap_us > c->max_idle_us) {
		c->max_idle_us = gap_us;
		c->max_idle_at_us = c->last_us;
	}
	if (gap_us >= IDLE_EVENT)
		cap_emit(e, f, CAP_EV_IDLE, dir, p->ts_us, gap_us, 0, NULL);
	if (e->o.trace_segments)
		cap_emit(e, f, CAP_EV_SEGMENT, dir, p->ts_us, 0, 0, NULL);
	c->dir[dir].packets++;
	c->dir[dir].bytes += p->len;
	if (f->half[!dir].ka_pending) {
		f->half[!dir].ka_pending = 0;
		c->dir[!dir].keepalive_acks++;
	}

	handshake(e, f, dir, p);
	if (p->flags & CAP_TH_RST) {
		if (!c->dir[dir].rst_us) {
			int64_t idle = p->ts_us - c->last_us;

			c->dir[dir].rst_us = p->ts_us;
			if (!c->rst_idle_us)
				c->rst_idle_us =
					idle > f->gap_before_last_us
						? idle
						: f->gap_before_last_us;
		}
		closing(f, dir, CAP_CLOSE_RST, p->ts_us);
		cap_emit(e, f, CAP_EV_RST, dir, p->ts_us, 0, 0, NULL);
	} else {
		/* The acknowledgment speaks of bytes received before this
		 * segment was sent: settle the other side's holes first. */
		ack_gap(e, f, dir, p);
		window(e, f, dir, p);
		if (h->seq_known && p->len <= 1 &&
		    !(p->flags & (CAP_TH_SYN | CAP_TH_FIN)) &&
		    p->seq + 1 == h->next &&
		    !(f->half[!dir].win_known && f->half[!dir].win == 0)) {
			c->dir[dir].keepalives++;
			h->ka_pending = 1;
			cap_emit(e, f, CAP_EV_KEEPALIVE, dir, p->ts_us, 0, 0,
				 NULL);
		} else if (p->len || (p->flags & CAP_TH_FIN)) {
			if (p->flags & CAP_TH_FIN) {
				if (!c->dir[dir].fin_us) {
					c->dir[dir].fin_us = p->ts_us;
					closing(f, dir, CAP_CLOSE_FIN,
						p->ts_us);
					cap_emit(e, f, CAP_EV_FIN, dir,
						 p->ts_us, 0, 0, NULL);
				}
			}
			segment_data(e, f, dir, p);
		} else if (!h->seq_known && !(p->flags & CAP_TH_SYN)) {
			h->seq_known = 1;
			h->isn = p->seq - 1;
			h->next = p->seq;
		}
	}
	if (p->len)
		f->last_data_us = p->ts_us;
	f->gap_before_last_us = gap_us;
	c->last_us = p->ts_us;
	e->pkt = NULL;

	if (f->half[0].fin_acked && f->half[1].fin_acked) {
		/* Both FINs were acknowledged: nothing more belongs to this
		 * connection, so it goes out now instead of lingering. */
		f->closed = 1;
		finalize(e, f, 0);
		return;
	}
	if (!f->closed &&
	    ((p->flags & CAP_TH_RST) || (f->half[0].fin && f->half[1].fin))) {
		f->closed = 1;
		f->closed_us = p->ts_us;
		lst_add(e, f, CAP_L_CLOSING);
	} else if (f->list != CAP_L_CLOSING) {
		/* Least recently active first, for make_room(). */
		lst_add(e, f,
			f->list == CAP_L_EMBRYO && !c->established
				? CAP_L_EMBRYO
				: CAP_L_OPEN);
	}
}

static int by_id(const void *a, const void *b)
{
	const struct cap_flow *x = ((const struct cap_ref *)a)->f;
	const struct cap_flow *y = ((const struct cap_ref *)b)->f;

	return x->rec.id < y->rec.id ? -1 : x->rec.id > y->rec.id;
}

void cap_engine_finish(struct cap_engine *e)
{
	struct cap_ref *v;
	struct cap_flow *f;
	size_t n = 0, i;
	int l;

	v = malloc((e->nflows ? e->nflows : 1) * sizeof(*v));
	if (!v) {
		/* Out of memory: hand them out in list order instead. */
		for (l = CAP_L_EMBRYO; l <= CAP_L_CLOSING; l++)
			while ((f = e->lists[l].head))
				finalize(e, f, 1);
		return;
	}
	for (l = CAP_L_EMBRYO; l <= CAP_L_CLOSING; l++)
		for (f = e->lists[l].head; f; f = f->next)
			v[n++].f = f;
	qsort(v, n, sizeof(*v), by_id);
	for (i = 0; i < n; i++)
		finalize(e, v[i].f, 1);
	free(v);
}

void cap_engine_free(struct cap_engine *e)
{
	int l;
	struct cap_flow *f;

	if (!e)
		return;
	for (l = CAP_L_EMBRYO; l <= CAP_L_CLOSING; l++) {
		struct cap_flow *nx;

		for (f = e->lists[l].head; f; f = nx) {
			nx = f->next;
			free_flow(e, f);
		}
		e->lists[l].head = e->lists[l].tail = NULL;
	}
	while ((f = e->spare)) {
		e->spare = f->hnext;
		free(f);
	}
	free(e->buckets);
	free(e);
}
