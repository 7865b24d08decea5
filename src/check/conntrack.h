/* conntrack.h - the connection tracking table as plain data: the
 * nf_conntrack sysctls of this network namespace, its entries for the
 * MySQL ports dumped over netlink (libnetfilter_conntrack, what
 * conntrack(8) lists), and the rules that compare them with the live MySQL
 * connections (findings CD4003, CD4004, CD4005). */
#ifndef CONNDOCTOR_CHECK_CONNTRACK_H
#define CONNDOCTOR_CHECK_CONNTRACK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "check/check.h"
#include "check/firewall.h"
#include "findings/findings.h"

/* TCP conntrack states (enum tcp_conntrack of nf_conntrack_tcp.h, in its
 * order). */
enum chk_ct_tcp {
	CHK_CT_TCP_NONE = 0,
	CHK_CT_TCP_SYN_SENT,
	CHK_CT_TCP_SYN_RECV,
	CHK_CT_TCP_ESTABLISHED,
	CHK_CT_TCP_FIN_WAIT,
	CHK_CT_TCP_CLOSE_WAIT,
	CHK_CT_TCP_LAST_ACK,
	CHK_CT_TCP_TIME_WAIT,
	CHK_CT_TCP_CLOSE,
	CHK_CT_TCP_SYN_SENT2
};

/* One conntrack entry: the original and the reply tuple. Addresses as in
 * the census (IPv4 as ::ffff:a.b.c.d). */
struct chk_ct_entry {
	uint8_t family;	   /* AF_INET / AF_INET6 */
	uint8_t proto;	   /* IPPROTO_* */
	uint8_t state;	   /* enum chk_ct_tcp (TCP only) */
	uint8_t assured;   /* [ASSURED] */
	uint8_t unreplied; /* [UNREPLIED] */
	uint32_t timeout;  /* seconds left */
	struct in6_addr osrc, odst, rsrc, rdst;
	uint16_t osport, odport, rsport, rdport;
};

#define CHK_CT_MAX_ENTRIES 2000000

/* Conntrack entries (owned). */
struct chk_ct_table {
	struct chk_ct_entry *v;
	size_t n, cap;
	struct chk_fw_error errors[CHK_FW_ERRORS];
	size_t nerrors; /* all, also those not kept */
};

/* What this namespace's conntrack looks like. Numbers are -1 when
 * unknown (nf_conntrack not loaded, or not readable). */
struct chk_ct_info {
	long count;		  /* nf_conntrack_count (this namespace) */
	long max;		  /* nf_conntrack_max */
	long tcp_loose;		  /* nf_conntrack_tcp_loose */
	long timeout_established; /* nf_conntrack_tcp_timeout_established */
	int loaded;		  /* the nf_conntrack sysctls exist */
	int listed;		  /* table holds the dump for the ports */
	struct chk_ct_table table;
};

void chk_ct_table_init(struct chk_ct_table *t);
void chk_ct_table_free(struct chk_ct_table *t);
void chk_ct_info_init(struct chk_ct_info *ci);
void chk_ct_info_free(struct chk_ct_info *ci);

/* Appends e to t. Returns 0, or -1 when out of memory or over
 * CHK_CT_MAX_ENTRIES. */
int chk_ct_table_add(struct chk_ct_table *t, const struct chk_ct_entry *e);

struct nf_conntrack;

/* Fills e from one libnetfilter_conntrack entry (family, protocol, both
 * tuples, TCP state, timeout, [ASSURED] and [UNREPLIED] as conntrack(8)
 * marks them). Returns 0, or -1 when it is not an IPv4 or IPv6 entry with
 * both tuples' addresses. Pure: no netlink. */
int chk_ct_entry_from_nfct(const struct nf_conntrack *ct,
			   struct chk_ct_entry *e);

/* Whether an entry is about a MySQL port: TCP with its original source or
 * destination port among ports (an entry picked up mid-stream may start
 * at the server). Pure. */
int chk_ct_entry_wanted(const struct chk_ct_entry *e, const uint16_t *ports,
			size_t nports);

/* Dumps this network namespace's conntrack table over netlink and
 * appends the entries chk_ct_entry_wanted keeps; entries that cannot be
 * read are counted in t->errors (their position in the dump as line).
 * Needs CAP_NET_ADMIN. Returns 0, or -1 with a reason in err (no
 * permission, nf_conntrack_netlink missing, out of memory). */
int chk_ct_dump(struct chk_ct_table *t, const uint16_t *ports, size_t nports,
		char *err, size_t errlen);

/* Reads the nf_conntrack sysctls under procroot ("/proc", or a test's
 * tree) into ci (numbers only; the table is left alone). */
void chk_ct_sysctl_read(struct chk_ct_info *ci, const char *procroot);

/* The entry that tracks census socket s (either tuple, either direction),
 * or NULL. Pure. */
const struct chk_ct_entry *chk_ct_find(const struct chk_ct_table *t,
				       const struct chk_sock *s);

/* Below this nf_conntrack_tcp_timeout_established an idle MySQL
 * connection outlives its entry (MySQL's default wait_timeout). */
#define CHK_CT_IDLE_S 28800

/* CD4003 (table filling up), CD4004 (live MySQL connections without an
 * entry while the ruleset depends on state), CD4005 (established timeout
 * below MySQL's idle times). v->census and v->rs may be NULL. Pure.
 * Returns 0, or -1 when out of memory. */
int chk_ct_rules(const struct chk_fw_view *v, const struct chk_ct_info *ct,
		 struct cd_findings *out);

#endif /* CONNDOCTOR_CHECK_CONNTRACK_H */
