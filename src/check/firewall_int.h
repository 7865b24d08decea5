/* firewall_int.h - what the ruleset readers (firewall_ipt.c,
 * firewall_nft.c) share from firewall_model.c: building the model
 * (chains, rules, the text pool, errors) and reading the values of a
 * match (addresses, ports, protocols, conntrack states, TCP flags).
 * Internal to the firewall files; the rest of conndoctor uses
 * firewall.h. */
#ifndef CONNDOCTOR_CHECK_FIREWALL_INT_H
#define CONNDOCTOR_CHECK_FIREWALL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "check/firewall.h"

/* Records a parse error at `line` (all are counted, CHK_FW_ERRORS kept). */
__attribute__((format(printf, 3, 4))) void
chk_fw_error(struct chk_ruleset *rs, uint32_t line, const char *fmt, ...);

/* Copies s[0..n) (cut at CHK_FW_MAX_LINE) into the text pool; its offset
 * into *off. -1 when out of memory or over the pool's cap. */
int chk_fw_pool_add(struct chk_ruleset *rs, const char *s, size_t n,
		    uint32_t *off);

/* Appends a chain (policy ACCEPT, no hook); its index, or -1 when out of
 * memory or over CHK_FW_MAX_CHAINS. */
int chk_fw_chain_add(struct chk_ruleset *rs, const char *table,
		     const char *name, enum chk_fw_backend backend, int family,
		     uint32_t line);

/* Chain index by name among chains [from, rs->nchains), or -1. */
int chk_fw_chain_find(const struct chk_ruleset *rs, size_t from,
		      const char *name);

/* Appends a copy of *r; -1 when out of memory or over CHK_FW_MAX_RULES. */
int chk_fw_rule_add(struct chk_ruleset *rs, const struct chk_fw_rule *r);

/* Groups the rules added since rule0 by chain (keeping their order) and
 * fills the chains' [first, nrules) ranges, the rules' positions and
 * rs->uses_ct. Every parse ends with it. */
void chk_fw_finish(struct chk_ruleset *rs, size_t chain0, size_t rule0);

/* "a.b.c.d[/len|/mask]" or "IPv6[/len]" added to an address match; -1
 * when invalid, when the match is full or of the other family. */
int chk_fw_addrs_add(struct chk_fw_addrs *m, const char *s);

/* n decimal digits (at most 5) as a port; -1 when not one. */
int chk_fw_parse_u16(const char *s, size_t n, uint16_t *v);

/* "80", "1000:2000", ":2000", "1000:" (iptables, sep ':') or "1000-2000"
 * (nft, sep '-') added to a port match; -1 when invalid or full. */
int chk_fw_ports_add(struct chk_fw_ports *m, const char *s, char sep);

/* A comma-separated list of ports (multiport). */
int chk_fw_ports_list(struct chk_fw_ports *m, const char *s, char sep);

/* A protocol name ("tcp", "ipv6-icmp", "all") or number. */
int chk_fw_parse_proto(const char *s, uint8_t *proto);

/* Conntrack state names, either case, separated by commas, ORed into
 * *mask. */
int chk_fw_parse_ctstates(const char *s, uint8_t *mask);

/* TCP flag names (either case) separated by `sep` characters. */
int chk_fw_parse_tcpflags(const char *s, const char *sep, uint8_t *bits);

/* An interface name (or "eth+" pattern) into dst[CHK_FW_IFNAME]. */
int chk_fw_set_iface(char *dst, const char *s);

/* Marks r as having a match that cannot be evaluated; the first one's
 * name is kept for the report. */
void chk_fw_mark_unknown(struct chk_fw_rule *r, const char *what);

/* The hook of an iptables built-in chain name ("INPUT"), else NONE. */
enum chk_fw_hook chk_fw_builtin_hook(const char *name);

/* Whether an iptables target lets the packet go on (LOG, MARK, ...). */
int chk_fw_nonterminal_target(const char *t);

#endif /* CONNDOCTOR_CHECK_FIREWALL_INT_H */
