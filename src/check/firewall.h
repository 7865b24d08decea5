/* firewall.h - the host's packet filter as plain data: iptables-save text
 * (firewall_ipt.c) and `nft -j list ruleset` JSON (firewall_nft.c) read
 * into one ruleset model (firewall_model.c: tables, chains with hook and
 * policy, rules with the matches that matter to a MySQL TCP connection), a
 * pure evaluator that says what the input or output path does with a
 * described packet (firewall_eval.c), and the rules (firewall_rules.c:
 * findings CD4001, CD4002, CD4006) that look for the trap of field report
 * 004: return traffic of a long-lived connection accepted only because
 * conntrack remembers it. */
#ifndef CONNDOCTOR_CHECK_FIREWALL_H
#define CONNDOCTOR_CHECK_FIREWALL_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "check/check.h"
#include "findings/findings.h"

/* Where a chain comes from: the tool that shows it and can change it. */
enum chk_fw_backend {
	CHK_FW_IPT_NFT = 1, /* iptables-nft / ip6tables-nft (nf_tables) */
	CHK_FW_IPT_LEGACY,  /* iptables-legacy (x_tables) */
	CHK_FW_NFT	    /* a native nft table */
};

/* Netfilter hooks (only input and output are evaluated). */
enum chk_fw_hook {
	CHK_FW_HOOK_NONE = 0, /* a user chain: reached by jump or goto */
	CHK_FW_HOOK_PREROUTING,
	CHK_FW_HOOK_INPUT,
	CHK_FW_HOOK_FORWARD,
	CHK_FW_HOOK_OUTPUT,
	CHK_FW_HOOK_POSTROUTING
};

/* A rule's target, or a base chain's policy. */
enum chk_fw_target {
	CHK_FW_CONTINUE = 0, /* no verdict (LOG, counter, MARK, ...) */
	CHK_FW_ACCEPT,
	CHK_FW_DROP,
	CHK_FW_REJECT,
	CHK_FW_RETURN,
	CHK_FW_JUMP,
	CHK_FW_GOTO,
	CHK_FW_OTHER /* a verdict we cannot follow (QUEUE, NFQUEUE) */
};

/* Conntrack states, as bits (iptables --ctstate, nft ct state). */
#define CHK_CT_NEW	   0x01u
#define CHK_CT_ESTABLISHED 0x02u
#define CHK_CT_RELATED	   0x04u
#define CHK_CT_INVALID	   0x08u
#define CHK_CT_UNTRACKED   0x10u
#define CHK_CT_SNAT	   0x20u
#define CHK_CT_DNAT	   0x40u

/* TCP flag bits as on the wire. */
#define CHK_TCP_FIN 0x01u
#define CHK_TCP_SYN 0x02u
#define CHK_TCP_RST 0x04u
#define CHK_TCP_PSH 0x08u
#define CHK_TCP_ACK 0x10u
#define CHK_TCP_URG 0x20u

#define CHK_FW_NAME	  32 /* table and chain names (iptables: 28) */
#define CHK_FW_IFNAME	  16 /* IFNAMSIZ */
#define CHK_FW_SET	  16 /* addresses or port ranges in one match */
#define CHK_FW_ERRORS	  32 /* parse errors kept (all are counted) */
#define CHK_FW_MAX_RULES  200000
#define CHK_FW_MAX_CHAINS 20000
#define CHK_FW_MAX_LINE	  65536

/* Addresses a rule matches: IPv4 stored as ::ffff:a.b.c.d with the prefix
 * length counted over 128 bits, like the census. */
struct chk_fw_addrs {
	uint8_t n;   /* 0: no address match */
	uint8_t neg; /* matches addresses NOT in the list */
	uint8_t v4;  /* the match is on IPv4 (else IPv6): never matches the
			other family, negated or not (nft "ip saddr") */
	uint8_t plen[CHK_FW_SET];
	struct in6_addr a[CHK_FW_SET];
};

/* Ports (or ranges) a rule matches. */
struct chk_fw_ports {
	uint8_t n;   /* 0: no port match */
	uint8_t neg; /* matches ports NOT in the list */
	uint16_t lo[CHK_FW_SET], hi[CHK_FW_SET];
};

struct chk_fw_rule {
	uint32_t line;		     /* where it is in its dump (1-based): the
					line of iptables-save text, the item
					of the `nft -j` "nftables" array */
	uint32_t chain;		     /* index in chk_ruleset.chains */
	uint32_t pos;		     /* 1-based position in its chain */
	uint64_t handle;	     /* nft rule handle (nft -a), 0: none */
	uint32_t text_off, text_len; /* the rule as written, in rs->pool */
	uint8_t family; /* nft meta nfproto: AF_INET/AF_INET6, 0 any */
	uint8_t proto;	/* IPPROTO_*, 0: any */
	uint8_t proto_neg;
	struct chk_fw_addrs src, dst;
	char iif[CHK_FW_IFNAME], oif[CHK_FW_IFNAME]; /* "": any; a trailing
							'+' matches a prefix */
	uint8_t iif_neg, oif_neg;
	struct chk_fw_ports sport, dport;
	struct chk_fw_ports ports; /* multiport --ports: either port */
	uint8_t ct_mask;	   /* CHK_CT_* bits, 0: no state match */
	uint8_t ct_neg;
	uint8_t tcp_mask, tcp_cmp; /* (flags & mask) == cmp; mask 0: none */
	uint8_t tcp_neg;
	uint8_t tcp_any; /* nft "tcp flags syn": (flags & cmp) != 0 */
	uint8_t unknown; /* has a match we cannot evaluate (it may or may not
			    match): -m recent, nft sets by name, limit, ... */
	char unknown_what[24]; /* the first such match, for the report */
	uint8_t target;	       /* enum chk_fw_target */
	int32_t jump;	       /* JUMP/GOTO: the chain's index, else -1 */
};

struct chk_fw_chain {
	char table[CHK_FW_NAME];
	char name[CHK_FW_NAME];
	uint8_t backend; /* enum chk_fw_backend */
	uint8_t family;	 /* AF_INET, AF_INET6, or AF_UNSPEC for nft inet */
	uint8_t hook;	 /* enum chk_fw_hook; NONE for a user chain */
	uint8_t policy;	 /* base chain: ACCEPT or DROP */
	int32_t prio;	 /* base chain priority (iptables filter: 0) */
	uint32_t line;	 /* where it is declared (as chk_fw_rule) */
	uint32_t first, nrules; /* its rules: rules[first .. first+nrules) */
};

struct chk_fw_error {
	uint32_t line; /* as chk_fw_rule's; 0: the whole document */
	char msg[96];
};

/* A ruleset (owned; chk_ruleset_free). Several parses may append to one
 * ruleset: the IPv4 and IPv6 iptables dumps, legacy ones, native nft. */
struct chk_ruleset {
	struct chk_fw_chain *chains;
	size_t nchains, chains_cap;
	struct chk_fw_rule *rules;
	size_t nrules, rules_cap;
	char *pool; /* rule texts */
	size_t npool, pool_cap;
	struct chk_fw_error errors[CHK_FW_ERRORS];
	size_t nerrors;	  /* all errors, also those not kept */
	unsigned uses_ct; /* some rule matches a conntrack state */
};

void chk_ruleset_init(struct chk_ruleset *rs);
void chk_ruleset_free(struct chk_ruleset *rs);

/* Parses iptables-save (or ip6tables-save) output of `len` bytes for
 * family AF_INET or AF_INET6 and appends its filter table to rs (other
 * tables are checked for syntax and skipped). Malformed lines are recorded
 * in rs->errors with their line numbers and skipped. Returns 0, or -1 when
 * out of memory or over the caps (rs stays consistent). */
int chk_fw_parse_iptables(struct chk_ruleset *rs, const char *text, size_t len,
			  int family, enum chk_fw_backend backend);

/* Reads `nft -j list ruleset` output (libnftables-json(5)) of len bytes
 * and appends the filter base chains and user chains of its ip, ip6 and
 * inet tables that are not dormant. Tables that iptables-nft manages
 * (family ip/ip6, an xtables name and an upper-case built-in chain) are
 * skipped when skip_xtables is set: iptables-save shows them better (nft
 * shows their iptables matches only as opaque "xt" statements). Each rule
 * gets its text rendered in nft syntax and its handle. Malformed items are
 * recorded in rs->errors and skipped; a document that is not JSON is one
 * error at line 0. Returns like chk_fw_parse_iptables. */
int chk_fw_parse_nft_json(struct chk_ruleset *rs, const char *json, size_t len,
			  int skip_xtables);

/* Number of native nft tables with filter or user chains in a
 * `nft -j list ruleset` document (tables iptables-nft does not manage),
 * and their names ("inet filter, ...") into names; for the report. */
size_t chk_fw_nft_native_tables(const char *json, size_t len, char *names,
				size_t names_len);

/* The text of rule r (not NUL-terminated: r->text_len bytes). */
const char *chk_fw_rule_text(const struct chk_ruleset *rs,
			     const struct chk_fw_rule *r);

/* ---- evaluation ---- */

/* A packet as far as the rules can see it. */
struct chk_fw_packet {
	uint8_t family;	   /* AF_INET or AF_INET6 */
	uint8_t hook;	   /* CHK_FW_HOOK_INPUT or CHK_FW_HOOK_OUTPUT */
	uint8_t proto;	   /* IPPROTO_TCP */
	uint8_t ctstate;   /* one CHK_CT_* bit */
	uint8_t tcp_flags; /* CHK_TCP_* */
	uint8_t src_known, dst_known; /* else: any address may be it */
	struct in6_addr src, dst;     /* IPv4 as ::ffff:a.b.c.d */
	uint16_t sport, dport;	      /* 0: unknown */
	char iface[CHK_FW_IFNAME];    /* input: in, output: out; "": an
					 unknown interface that is not lo */
};

/* Verdict bits of an outcome. */
#define CHK_FW_V_ACCEPT (1u << CHK_FW_ACCEPT)
#define CHK_FW_V_DROP	(1u << CHK_FW_DROP)
#define CHK_FW_V_REJECT (1u << CHK_FW_REJECT)
#define CHK_FW_V_OTHER	(1u << CHK_FW_OTHER)

/* What decided one verdict: a rule, or a base chain's policy. */
struct chk_fw_why {
	int32_t rule;  /* index in rs->rules, -1: the chain's policy */
	int32_t chain; /* the base chain */
	uint32_t top;  /* 1-based position in the base chain of the rule
			  the packet was at (a jump), 0: the policy */
};

#define CHK_FW_EVAL_CHAINS 8

/* The verdict of one base chain for a packet. */
struct chk_fw_chain_outcome {
	int32_t chain;
	unsigned possible;	  /* CHK_FW_V_* bits */
	struct chk_fw_why why[8]; /* per enum chk_fw_target verdict */
};

/* What the filter does with a packet. Where a rule's match cannot be
 * evaluated (an unknown match, an unknown address), both ways are followed,
 * so `possible` may hold several verdicts. */
struct chk_fw_outcome {
	unsigned possible;   /* over all base chains of the hook, in order */
	unsigned incomplete; /* a bound was hit: possible is then all */
	size_t nchains;	     /* base chains evaluated (0: none filter) */
	struct chk_fw_chain_outcome c[CHK_FW_EVAL_CHAINS];
};

/* Evaluates packet p through every base chain of p->hook for its family,
 * lowest priority first, following jumps (bounded depth and work). An
 * empty ruleset accepts. Pure. */
void chk_fw_eval(const struct chk_ruleset *rs, const struct chk_fw_packet *p,
		 struct chk_fw_outcome *out);

/* An outcome as one answer: 1 surely accepted, 0 surely not, -1 it
 * depends (or a bound was hit). */
int chk_fw_outcome_verdict(const struct chk_fw_outcome *o);

/* ---- the rules ---- */

/* What a collector found out about one census socket. */
struct chk_fw_sockinfo {
	char iface[CHK_FW_IFNAME]; /* route towards the peer ("" unknown) */
	char comm[16];		   /* process holding it ("" unknown) */
	int32_t pid;		   /* 0: unknown */
};

/* Everything the firewall rules look at. */
struct chk_fw_view {
	const struct chk_ruleset *rs;	    /* NULL: not read */
	const struct chk_census *census;    /* NULL: not read */
	const struct chk_fw_sockinfo *info; /* parallel to census->tcp, or
					       NULL */
	const uint16_t *ports;		    /* the MySQL ports */
	size_t nports;
	int tcp_loose; /* nf_conntrack_tcp_loose: 1, 0, -1 unknown (1) */
};

/* Reads the host's rulesets as the firewall slice does (iptables-save,
 * ip6tables-save, the legacy tools, nft; each a subprocess bounded in
 * time) into rs (initialised here; free it with chk_ruleset_free() after
 * a 1). Returns 1 when some ruleset was read, 0 when none could be (no
 * tool, no rights), -1 when out of memory. */
int chk_fw_ruleset_read(struct chk_ruleset *rs, const char *procroot);

/* CD4001 (return path held only by conntrack state), CD4002 (a MySQL
 * listener's new connections dropped) and CD4006 (two firewalls at once).
 * Pure. Returns 0, or -1 when out of memory. */
int chk_fw_rules(const struct chk_fw_view *v, struct cd_findings *out);

/* Whether the packet of census socket s travelling in direction `in`
 * (1: from the peer, the input path; 0: to the peer, output) would be
 * accepted with conntrack state `ctstate`: 1 surely, 0 surely not, -1 it
 * depends on something unknown. Fills `o` when not NULL. Pure. */
int chk_fw_sock_verdict(const struct chk_fw_view *v, size_t s, int in,
			unsigned ctstate, struct chk_fw_outcome *o);

/* For each TCP connection of c (established client ends to one of ports;
 * they may be made up: watch asks about its targets' destinations),
 * whether this host's filter holds its return path only by conntrack
 * state, as CD4001 judges it: out[i] is 1 when a direction is accepted as
 * ESTABLISHED and not once conntrack has forgotten the connection, 0 when
 * neither is, -1 when it depends on what the rules cannot know. Reads the
 * rulesets as the firewall slice does (iptables-save, ip6tables-save, the
 * legacy tools, nft; slice_firewall.c). Returns 0, or -1 with err when no
 * ruleset could be read or memory ran out. */
int chk_fw_stateful_only(const char *procroot, const struct chk_census *c,
			 const uint16_t *ports, size_t nports, int8_t *out,
			 char *err, size_t errlen);

#endif /* CONNDOCTOR_CHECK_FIREWALL_H */
