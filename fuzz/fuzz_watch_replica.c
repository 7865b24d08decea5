/* fuzz_watch_replica.c - watch's parse of a replica's SHOW ALL SLAVES
 * STATUS (watch/links.c): a server byte stream cut into packets, fed to
 * the result set decoder as the probe engine feeds it, each column
 * definition and row handed to watch_replica_parse_pkt() the way the
 * engine's result_pkt hook hands them; the same packets go to the host
 * cache's parse (watch/hostcache.c). The first byte picks the
 * capabilities (bit 0: DEPRECATE_EOF). */
#include <string.h>

#include "fuzz.h"
#include "mysql/mysql.h"
#include "watch/links.h"

#define MAXP (1u << 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch_replica_parse p;
	struct watch_hc_parse hp;
	unsigned k;
	struct mysql_packet pk;
	struct mysql_rs rs;
	size_t off = 1;
	long n;
	int rc = MYSQL_NEED_MORE;

	if (size == 0)
		return 0;
	mysql_rs_init(&rs,
		      MYSQL_CLIENT_PROTOCOL_41 |
			      (data[0] & 1 ? MYSQL_CLIENT_DEPRECATE_EOF : 0));
	watch_replica_parse_init(&p);
	watch_hc_parse_init(&hp, 0);
	while (off < size && rc == MYSQL_NEED_MORE) {
		enum mysql_rs_state st = rs.state;
		uint64_t cols = rs.col_seen, rows = rs.rows;

		n = mysql_packet_parse(data + off, size - off, MAXP, &pk);
		if (n <= 0 || pk.nframes > 1)
			break;
		rc = mysql_rs_feed(&rs, pk.payload, pk.len);
		if (rc != MYSQL_BAD && st == MYSQL_RS_COLUMNS &&
		    rs.col_seen == cols + 1) {
			watch_replica_parse_pkt(&p, 0, pk.payload, pk.len);
			watch_hc_parse_pkt(&hp, 0, pk.payload, pk.len);
		} else if (rc != MYSQL_BAD && rs.rows == rows + 1) {
			watch_replica_parse_pkt(&p, 1, pk.payload, pk.len);
			watch_hc_parse_pkt(&hp, 1, pk.payload, pk.len);
		}
		CHECK(hp.n <= WATCH_HC_ROWS);
		CHECK(hp.have_max || hp.n == 0);
		for (k = 0; k < hp.n; k++) {
			CHECK(memchr(hp.rows[k].ip, 0, sizeof(hp.rows[k].ip)));
			CHECK(hp.rows[k].errors >= 0);
		}
		CHECK(p.ncols == rs.col_seen || rs.results > 1);
		CHECK(memchr(p.st.master_host, 0, sizeof(p.st.master_host)));
		CHECK(p.st.master_port < 65536);
		CHECK(p.st.io_running == 0 || p.st.io_running == 1);
		CHECK(p.st.sql_running == 0 || p.st.sql_running == 1);
		CHECK(p.st.lag_s == -1 || p.st.lag_s >= 0);
		CHECK(p.st.heartbeat_s == -1 || p.st.heartbeat_s >= 0);
		CHECK(p.have_row || p.st.master_host[0] == 0);
		off += (size_t)n;
	}
	return 0;
}
