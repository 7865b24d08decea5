/* source.c - packets from libpcap (pcap(3PCAP)): capture files in pcap or
 * pcapng format, standard input, or a live interface with a BPF filter
 * (pcap-filter(7)). Each frame is decoded and fed to the engine; a frame
 * libpcap cannot read ends the input with libpcap's own reason. */
#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"

#define LIVE_SNAPLEN	262144
#define LIVE_BUFFER	(16 * 1024 * 1024)
#define LIVE_TIMEOUT_MS 100

#define FILE_BUFFER (1 << 20) /* stdio buffer: fewer, larger reads */

/* The last second a frame may carry: 9999-12-31T23:59:59Z. Any two times
 * from 1970 to then differ by less than 2^63 microseconds. */
#define TS_SEC_MAX 253402300799LL

struct cap_source {
	pcap_t *p;
	int linktype;
	int live;
	char *iobuf;		/* the stdio buffer of a file source */
	void (*tick)(void *ud); /* progress hook, NULL: none */
	void *tick_ud;
	uint32_t frames; /* since the last tick */
};

/* Frames between two calls of the progress hook: rare enough to cost
 * nothing per frame, often enough for 10 redraws a second. */
#define TICK_FRAMES 4096u

static volatile sig_atomic_t stop_flag;
static pcap_t *volatile running; /* the source cap_source_run() reads */

/* Called from signal handlers: pcap_breakloop() is documented as safe
 * there, and wakes a live capture blocked in poll(). */
void cap_source_stop(void)
{
	pcap_t *p = running;

	stop_flag = 1;
	if (p)
		pcap_breakloop(p);
}

static struct cap_source *wrap(pcap_t *p, int live, char *iobuf,
			       const char *name, char *err, size_t errlen)
{
	struct cap_source *s;
	char lb[32];

	if (!cap_linktype_supported(pcap_datalink(p))) {
		snprintf(err, errlen,
			 "%s: link type %s is not supported "
			 "(Ethernet, Linux cooked, raw IP and loopback are)",
			 name,
			 cap_linktype_name(pcap_datalink(p), lb, sizeof(lb)));
		pcap_close(p);
		free(iobuf);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		pcap_close(p);
		free(iobuf);
		return NULL;
	}
	s->p = p;
	s->linktype = pcap_datalink(p);
	s->live = live;
	s->iobuf = iobuf;
	return s;
}

struct cap_source *cap_source_file(const char *path, char *err, size_t errlen)
{
	FILE *fp;

	if (!strcmp(path, "-"))
		return cap_source_fp(stdin, "stdin", err, errlen);
	fp = fopen(path, "rbe");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	return cap_source_fp(fp, path, err, errlen);
}

struct cap_source *cap_source_fp(FILE *fp, const char *name, char *err,
				 size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE];
	char *iobuf = NULL;
	pcap_t *p;

	/* libpcap reads a record header then its bytes, two freads per
	 * packet: a large buffer turns them into few large reads. A memory
	 * stream (no descriptor, as fmemopen() gives) makes no read at all,
	 * and the 1 MiB would cost more than the capture. */
	if (fileno(fp) >= 0)
		iobuf = malloc(FILE_BUFFER);
	if (iobuf && setvbuf(fp, iobuf, _IOFBF, FILE_BUFFER)) {
		free(iobuf);
		iobuf = NULL;
	}
	eb[0] = '\0';
	p = pcap_fopen_offline_with_tstamp_precision(
		fp, PCAP_TSTAMP_PRECISION_MICRO, eb);
	if (!p) {
		snprintf(err, errlen, "%s: %s", name,
			 eb[0] ? eb : "cannot read");
		fclose(fp);
		free(iobuf);
		return NULL;
	}
	return wrap(p, 0, iobuf, name, err, errlen);
}

struct cap_source *cap_source_live(const char *iface, const char *filter,
				   char *err, size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct cap_source *s;
	pcap_t *p;
	int rc;

	eb[0] = '\0';
	p = pcap_create(iface, eb);
	if (!p) {
		snprintf(err, errlen, "%s: %s", iface, eb);
		return NULL;
	}
	/* Whole packets, delivered at once, without promiscuous mode: the
	 * traffic of this host is what is asked for. */
	if (pcap_set_snaplen(p, LIVE_SNAPLEN) || pcap_set_promisc(p, 0) ||
	    pcap_set_timeout(p, LIVE_TIMEOUT_MS) ||
	    pcap_set_immediate_mode(p, 1) ||
	    pcap_set_buffer_size(p, LIVE_BUFFER) ||
	    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO)) {
		snprintf(err, errlen, "%s: cannot set capture options", iface);
		pcap_close(p);
		return NULL;
	}
	rc = pcap_activate(p);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", iface, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	s = wrap(p, 1, NULL, iface, err, errlen);
	if (s && filter && cap_source_filter(s, filter, err, errlen)) {
		cap_source_close(s);
		return NULL;
	}
	return s;
}

int cap_source_filter(struct cap_source *s, const char *filter, char *err,
		      size_t errlen)
{
	struct bpf_program prog;

	if (pcap_compile(s->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(err, errlen, "filter '%s': %s", filter,
			 pcap_geterr(s->p));
		return -1;
	}
	if (pcap_setfilter(s->p, &prog)) {
		snprintf(err, errlen, "filter '%s': %s", filter,
			 pcap_geterr(s->p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

/* A frame's capture time in microseconds since the epoch, or -1 when it
 * cannot be one: before 1970, after TS_SEC_MAX, or a fraction of a second
 * out of range. pcapng's 64-bit timestamps with an if_tsresol of 10^0 or an
 * if_tsoffset near +-2^63 give such times, and multiplying them would
 * overflow. */
static int64_t frame_us(const struct timeval *tv)
{
	if (tv->tv_sec < 0 || tv->tv_sec > TS_SEC_MAX || tv->tv_usec < 0 ||
	    tv->tv_usec >= 1000000)
		return -1;
	return (int64_t)tv->tv_sec * 1000000 + tv->tv_usec;
}

int cap_source_run(struct cap_source *s, struct cap_engine *e, char *err,
		   size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	struct cap_pkt pk;

	running = s->p;
	while (!stop_flag) {
		int rc = pcap_next_ex(s->p, &h, &data);
		enum cap_dec_rc dr;
		int64_t ts;

		if (s->tick && (rc == 0 || ++s->frames >= TICK_FRAMES)) {
			s->frames = 0;
			s->tick(s->tick_ud);
		}
		if (rc == 0)
			continue; /* live: the read timeout passed */
		if (rc == PCAP_ERROR_BREAK)
			break;
		if (rc < 0) {
			snprintf(err, errlen, "%s", pcap_geterr(s->p));
			running = NULL;
			return -1;
		}
		ts = frame_us(&h->ts);
		if (ts < 0) {
			cap_engine_bad_time(e, h->len);
			continue;
		}
		dr = cap_decode(s->linktype, data, h->caplen, ts, &pk);
		cap_engine_frame(e, ts, h->len, h->caplen, dr);
		if (dr == CAP_DEC_OK)
			cap_engine_packet(e, &pk);
	}
	running = NULL;
	return 0;
}

void cap_source_set_tick(struct cap_source *s, void (*fn)(void *ud), void *ud)
{
	s->tick = fn;
	s->tick_ud = ud;
}

int64_t cap_source_offset(const struct cap_source *s)
{
	FILE *fp = s->live ? NULL : pcap_file(s->p);
	long off = fp ? ftell(fp) : -1;

	return off < 0 ? -1 : (int64_t)off;
}

int cap_source_linktype(const struct cap_source *s)
{
	return s->linktype;
}

int cap_source_snaplen(const struct cap_source *s)
{
	return pcap_snapshot(s->p);
}

uint64_t cap_source_drops(const struct cap_source *s)
{
	struct pcap_stat st;

	if (!s->live || pcap_stats(s->p, &st))
		return 0;
	return (uint64_t)st.ps_drop + st.ps_ifdrop;
}

void cap_source_close(struct cap_source *s)
{
	if (!s)
		return;
	pcap_close(s->p); /* closes the FILE: then its buffer can go */
	free(s->iobuf);
	free(s);
}
