/* inflate.c - the compressed protocol in a capture (MySQL "Compression"
 * pages; MariaDB "0 - packet"): each direction's stream after the login's
 * OK goes through mysql/compress.c's inflater, and what comes out is read
 * by the ordinary framer (cap_my_plain) as an uncompressed session is. A
 * packet that does not inflate is an anomaly with its offset, and that
 * direction is not decoded further. */
#include "capture/cap_int.h"

struct cz_ctx {
	struct cap_engine *e;
	struct cap_flow *f;
	int dir;
	int64_t ts_us;
};

static void cz_out(void *ud, const uint8_t *p, size_t n, int packet_start)
{
	struct cz_ctx *c = ud;

	cap_my_plain(c->e, c->f, c->dir, p, n, c->ts_us, packet_start);
}

int cap_cz_start(struct cap_flow *f, enum mysql_comp_algo algo)
{
	int d;

	for (d = 0; d < 2; d++) {
		if (f->half[d].cz)
			continue;
		f->half[d].cz = mysql_inflater_new(algo);
		if (!f->half[d].cz) {
			cap_cz_free(f);
			return -1;
		}
	}
	return 0;
}

void cap_cz_data(struct cap_engine *e, struct cap_flow *f, int dir,
		 const uint8_t *p, size_t n, int64_t ts_us)
{
	struct cap_half *h = &f->half[dir];
	struct cz_ctx c = {e, f, dir, ts_us};
	struct cap_anomaly_rec *a;
	uint64_t off = 0;

	if (!mysql_inflater_feed(h->cz, p, n, cz_out, &c, &off))
		return;
	h->fr.off = 1;
	a = cap_my_anomaly(f, CAP_AN_INFLATE, dir, ts_us);
	if (a) {
		a->offset = off;
		cap_emit(e, f, CAP_EV_ANOMALY, dir, ts_us, CAP_AN_INFLATE, 0,
			 NULL);
	}
}

void cap_cz_free(struct cap_flow *f)
{
	int d;

	for (d = 0; d < 2; d++) {
		mysql_inflater_free(f->half[d].cz);
		f->half[d].cz = NULL;
	}
}
