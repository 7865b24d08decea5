/* slice_kernel.c - kernel TCP settings and what they cost when a path or a
 * peer dies, computed from the values in force in this network namespace
 * (Documentation/networking/ip-sysctl.rst; the RTO models of tcp_timer.c;
 * the SYN schedule of analysis/ladder.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "check/census.h"
#include "probe/hostfacts.h"
#include "check/fields.h"
#include "check/kernel.h"
#include "check/slices.h"
#include "util/fileio.h"

/* A kernel fact's definition (check/fields.c). */
#define FK(x) (&chk_fields_kernel[CHK_FK_##x])

#define TCP_RTO_MIN_S 0.2
#define TCP_RTO_MAX_S 120.0

static int read_int(const char *procroot, const char *name)
{
	char path[512];
	long v;

	snprintf(path, sizeof(path), "%s/sys/net/%s", procroot, name);
	if (cd_read_long(path, &v) < 0 || v > 100000000)
		return -1;
	return (int)v;
}

void chk_kernel_read(const char *procroot, struct chk_kernel *k)
{
	static const struct {
		const char *name;
		size_t off;
	} ints[] = {
		{"ipv4/tcp_syn_retries",
		 offsetof(struct chk_kernel, syn_retries)},
		{"ipv4/tcp_syn_linear_timeouts",
		 offsetof(struct chk_kernel, syn_linear)},
		{"ipv4/tcp_synack_retries",
		 offsetof(struct chk_kernel, synack_retries)},
		{"ipv4/tcp_retries2", offsetof(struct chk_kernel, retries2)},
		{"ipv4/tcp_keepalive_time",
		 offsetof(struct chk_kernel, keepalive_time)},
		{"ipv4/tcp_keepalive_intvl",
		 offsetof(struct chk_kernel, keepalive_intvl)},
		{"ipv4/tcp_keepalive_probes",
		 offsetof(struct chk_kernel, keepalive_probes)},
		{"ipv4/tcp_fin_timeout",
		 offsetof(struct chk_kernel, fin_timeout)},
		{"ipv4/tcp_tw_reuse", offsetof(struct chk_kernel, tw_reuse)},
		{"ipv4/tcp_syncookies",
		 offsetof(struct chk_kernel, syncookies)},
		{"core/somaxconn", offsetof(struct chk_kernel, somaxconn)},
		{"ipv4/tcp_max_syn_backlog",
		 offsetof(struct chk_kernel, max_syn_backlog)},
	};
	size_t i;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		int *dst = (int *)((char *)k + ints[i].off);

		*dst = read_int(procroot, ints[i].name);
	}
	if (chk_port_range_read(procroot, &k->port_lo, &k->port_hi) < 0)
		k->port_lo = k->port_hi = -1;
	k->hz = probe_kernel_hz(procroot);
}

double chk_retries2_timeout(int retries2)
{
	/* tcp_model_timeout(): exponential from TCP_RTO_MIN until the RTO
	 * reaches TCP_RTO_MAX (after ilog2(120 / 0.2) = 9 doublings), then
	 * linear. The real RTO is at least this: this is the best case. */
	const int thresh = 9;

	if (retries2 < 0)
		return -1;
	if (retries2 <= thresh)
		return (ldexp(2.0, retries2) - 1) * TCP_RTO_MIN_S;
	return (ldexp(2.0, thresh) - 1) * TCP_RTO_MIN_S +
	       (retries2 - thresh) * TCP_RTO_MAX_S;
}

/* A sysctl a rule needs was not readable: say so once, decide nothing. */
static int known(const struct chk_kernel *k, int v)
{
	(void)k;
	return v >= 0;
}

int chk_kernel_rules(const struct chk_kernel *k, struct chk_facts *facts,
		     struct cd_findings *out)
{
	struct cd_syn_schedule s;
	struct cd_finding *f;

	if (known(k, k->syn_retries)) {
		cd_syn_schedule_of(k->syn_retries,
				   k->syn_linear < 0 ? 0 : k->syn_linear, 1.0,
				   k->hz, &s);
		chk_fact_add(facts, FK(SYN_RETRIES), NULL,
			     CHK_INT(k->syn_retries), CHK_INT(k->syn_linear),
			     CHK_DBL(s.give_up_s));
		if (s.give_up_s > 135) {
			f = cd_finding_add(out, "CD3060", CD_SEV_WARNING);
			if (!f)
				return -1;
			snprintf(f->summary, sizeof(f->summary),
				 "tcp_syn_retries=%d: a client without a "
				 "connect timeout waits %.0f s for a dead "
				 "server",
				 k->syn_retries, s.give_up_s);
			snprintf(f->evidence, sizeof(f->evidence),
				 "net.ipv4.tcp_syn_retries=%d, "
				 "tcp_syn_linear_timeouts=%d",
				 k->syn_retries, k->syn_linear);
			cd_finding_num(f, "tcp_syn_retries", k->syn_retries);
			cd_finding_num(f, "give_up_s", s.give_up_s);
		}
	}
	if (known(k, k->synack_retries))
		chk_fact_add(facts, FK(SYNACK_RETRIES), NULL,
			     CHK_INT(k->synack_retries),
			     CHK_DBL(ldexp(1.0, k->synack_retries + 1) - 1));
	if (known(k, k->retries2)) {
		double t = chk_retries2_timeout(k->retries2);

		chk_fact_add(facts, FK(RETRIES2), NULL, CHK_INT(k->retries2),
			     CHK_DBL(t));
		if (k->retries2 > 15) {
			f = cd_finding_add(out, "CD3061", CD_SEV_WARNING);
			if (!f)
				return -1;
			snprintf(f->summary, sizeof(f->summary),
				 "tcp_retries2=%d: a dead server is noticed "
				 "only after %.0f s of retransmissions",
				 k->retries2, t);
			snprintf(
				f->evidence, sizeof(f->evidence),
				"net.ipv4.tcp_retries2=%d (default 15: %.0f s)",
				k->retries2, chk_retries2_timeout(15));
			cd_finding_num(f, "tcp_retries2", k->retries2);
			cd_finding_num(f, "dead_peer_s", t);
		}
	}
	if (known(k, k->keepalive_time) && known(k, k->keepalive_intvl) &&
	    known(k, k->keepalive_probes))
		chk_fact_add(facts, FK(KEEPALIVE), NULL,
			     CHK_INT(k->keepalive_time),
			     CHK_INT(k->keepalive_intvl),
			     CHK_INT(k->keepalive_probes),
			     CHK_INT(k->keepalive_time +
				     k->keepalive_intvl * k->keepalive_probes));
	if (known(k, k->fin_timeout))
		chk_fact_add(facts, FK(FIN_TIMEOUT), NULL,
			     CHK_INT(k->fin_timeout));
	if (known(k, k->tw_reuse))
		chk_fact_add(facts, FK(TW_REUSE), NULL, CHK_INT(k->tw_reuse));
	if (k->port_lo >= 0 && k->port_hi >= k->port_lo) {
		int size = k->port_hi - k->port_lo + 1;

		chk_fact_add(facts, FK(PORT_RANGE), NULL, CHK_INT(k->port_lo),
			     CHK_INT(k->port_hi), CHK_INT(size), CHK_INT(size));
		if (size < 10000) {
			f = cd_finding_add(out, "CD3062", CD_SEV_WARNING);
			if (!f)
				return -1;
			snprintf(f->summary, sizeof(f->summary),
				 "ip_local_port_range has only %d ports: at "
				 "most %d connections per minute to one server",
				 size, size);
			snprintf(f->evidence, sizeof(f->evidence),
				 "net.ipv4.ip_local_port_range = %d %d",
				 k->port_lo, k->port_hi);
			cd_finding_num(f, "ports", size);
		}
	}
	if (known(k, k->syncookies)) {
		chk_fact_add(facts, FK(SYNCOOKIES), NULL,
			     CHK_INT(k->syncookies));
		if (k->syncookies != 1) {
			f = cd_finding_add(out, "CD3063",
					   k->syncookies == 0 ? CD_SEV_WARNING
							      : CD_SEV_INFO);
			if (!f)
				return -1;
			snprintf(
				f->summary, sizeof(f->summary), "%s",
				k->syncookies == 0
					? "tcp_syncookies=0: a full SYN queue "
					  "drops new connections"
					: "tcp_syncookies=2: the server keeps "
					  "no state for half-open connections");
			snprintf(f->evidence, sizeof(f->evidence),
				 "net.ipv4.tcp_syncookies=%d", k->syncookies);
			cd_finding_num(f, "tcp_syncookies", k->syncookies);
		}
	}
	if (known(k, k->somaxconn)) {
		chk_fact_add(facts, FK(SOMAXCONN), NULL, CHK_INT(k->somaxconn));
		if (k->somaxconn < 1024) {
			f = cd_finding_add(out, "CD3064", CD_SEV_WARNING);
			if (!f)
				return -1;
			snprintf(f->summary, sizeof(f->summary),
				 "net.core.somaxconn=%d caps mysqld's accept "
				 "queue: bursts of connects overflow it",
				 k->somaxconn);
			snprintf(
				f->evidence, sizeof(f->evidence),
				"net.core.somaxconn=%d, tcp_max_syn_backlog=%d",
				k->somaxconn, k->max_syn_backlog);
			cd_finding_num(f, "somaxconn", k->somaxconn);
		}
	}
	if (known(k, k->max_syn_backlog))
		chk_fact_add(facts, FK(MAX_SYN_BACKLOG), NULL,
			     CHK_INT(k->max_syn_backlog));
	return 0;
}

int chk_slice_kernel(const struct chk_ctx *ctx, struct chk_facts *facts,
		     struct cd_findings *out)
{
	struct chk_kernel k;

	chk_kernel_read(ctx->procroot, &k);
	if (k.syn_retries < 0 && k.retries2 < 0)
		chk_unreadable(facts, "sysctl",
			       "%s/sys/net/ipv4 is not readable",
			       ctx->procroot);
	return chk_kernel_rules(&k, facts, out);
}
