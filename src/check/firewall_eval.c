/* firewall_eval.c - walks a described packet through the ruleset model
 * the way the kernel walks the netfilter hooks: every base chain of the
 * hook in priority order, jumps, gotos and returns (iptables-extensions(8),
 * nft(8) "VERDICT STATEMENT"), following both ways of a match it cannot
 * decide. Pure. */
#include "check/firewall.h"

#include <string.h>
#include <sys/socket.h>

#define EVAL_WORK  200000 /* rule visits per packet */
#define EVAL_DEPTH 64	  /* nested jumps */

enum { M_NO = 0, M_YES = 1, M_MAYBE = 2 };

#define V_RETURN (1u << CHK_FW_RETURN)
#define V_ALL                                                                  \
	(CHK_FW_V_ACCEPT | CHK_FW_V_DROP | CHK_FW_V_REJECT | CHK_FW_V_OTHER)

static int m_and(int a, int b)
{
	if (a == M_NO || b == M_NO)
		return M_NO;
	return a == M_MAYBE || b == M_MAYBE ? M_MAYBE : M_YES;
}

static int m_neg(int v, int neg)
{
	if (!neg || v == M_MAYBE)
		return v;
	return v == M_YES ? M_NO : M_YES;
}

static int prefix_match(const struct in6_addr *a, const struct in6_addr *p,
			unsigned plen)
{
	unsigned full = plen / 8, rem = plen % 8;

	if (memcmp(a->s6_addr, p->s6_addr, full))
		return 0;
	if (rem) {
		uint8_t m = (uint8_t)(0xffu << (8 - rem));

		return (a->s6_addr[full] & m) == (p->s6_addr[full] & m);
	}
	return 1;
}

static int match_addrs(const struct chk_fw_addrs *m, int family, int known,
		       const struct in6_addr *a)
{
	size_t i;

	if (!m->n)
		return M_YES;
	if (m->v4 != (family == AF_INET))
		return M_NO; /* "ip saddr" never matches an IPv6 packet */
	if (!known)
		return M_MAYBE;
	for (i = 0; i < m->n; i++)
		if (prefix_match(a, &m->a[i], m->plen[i]))
			return m_neg(M_YES, m->neg);
	return m_neg(M_NO, m->neg);
}

/* An interface pattern ("eth0", "eth+") against a name; "" is an unknown
 * interface that is not lo. */
static int match_iface(const char *pat, const char *ifc)
{
	size_t n = strlen(pat);
	int prefix = n && pat[n - 1] == '+';

	if (prefix && n == 1)
		return M_YES;
	if (!ifc[0])
		return !prefix && !strcmp(pat, "lo") ? M_NO : M_MAYBE;
	if (prefix)
		return strncmp(pat, ifc, n - 1) ? M_NO : M_YES;
	return strcmp(pat, ifc) ? M_NO : M_YES;
}

/* Port in the list, before negation. */
static int port_in(const struct chk_fw_ports *m, uint16_t port)
{
	size_t i;

	if (!port)
		return M_MAYBE;
	for (i = 0; i < m->n; i++)
		if (port >= m->lo[i] && port <= m->hi[i])
			return M_YES;
	return M_NO;
}

static int match_ports(const struct chk_fw_ports *m, uint16_t port)
{
	if (!m->n)
		return M_YES;
	return m_neg(port_in(m, port), m->neg);
}

static int rule_match(const struct chk_fw_rule *r,
		      const struct chk_fw_packet *p)
{
	int m = M_YES;

	if (r->family && r->family != p->family)
		return M_NO;
	if (r->proto)
		m = m_neg(r->proto == p->proto ? M_YES : M_NO, r->proto_neg);
	if (m == M_NO)
		return M_NO;
	m = m_and(m, match_addrs(&r->src, p->family, p->src_known, &p->src));
	m = m_and(m, match_addrs(&r->dst, p->family, p->dst_known, &p->dst));
	if (r->iif[0])
		m = m_and(m, p->hook == CHK_FW_HOOK_INPUT
				     ? m_neg(match_iface(r->iif, p->iface),
					     r->iif_neg)
				     : M_MAYBE);
	if (r->oif[0])
		m = m_and(m, p->hook == CHK_FW_HOOK_OUTPUT
				     ? m_neg(match_iface(r->oif, p->iface),
					     r->oif_neg)
				     : M_MAYBE);
	m = m_and(m, match_ports(&r->sport, p->sport));
	m = m_and(m, match_ports(&r->dport, p->dport));
	if (r->ports.n) {
		int s = port_in(&r->ports, p->sport);
		int d = port_in(&r->ports, p->dport);
		int either = s == M_YES || d == M_YES ? M_YES
			     : s == M_NO && d == M_NO ? M_NO
						      : M_MAYBE;

		m = m_and(m, m_neg(either, r->ports.neg));
	}
	if (r->ct_mask)
		m = m_and(m, m_neg(p->ctstate & r->ct_mask ? M_YES : M_NO,
				   r->ct_neg));
	if (r->tcp_mask || r->tcp_any) {
		int v;

		if (p->proto != IPPROTO_TCP)
			return M_NO;
		v = r->tcp_any ? (p->tcp_flags & r->tcp_cmp) != 0
			       : (p->tcp_flags & r->tcp_mask) == r->tcp_cmp;
		m = m_and(m, m_neg(v ? M_YES : M_NO, r->tcp_neg));
	}
	if (r->unknown)
		m = m_and(m, M_MAYBE);
	return m;
}

struct ev {
	const struct chk_ruleset *rs;
	const struct chk_fw_packet *p;
	struct chk_fw_chain_outcome *co;
	unsigned noted; /* verdicts whose first cause is in co->why */
	unsigned work;
	unsigned incomplete;
};

static void note(struct ev *e, unsigned t, int32_t rule, uint32_t top)
{
	if (t >= 8 || (e->noted & (1u << t)))
		return;
	e->noted |= 1u << t;
	e->co->why[t].rule = rule;
	e->co->why[t].chain = e->co->chain;
	e->co->why[t].top = top;
}

/* Verdict bits a chain can give the packet (V_RETURN: it falls off the
 * end or returns). Both ways of an undecidable match are followed. */
static unsigned eval_chain(struct ev *e, uint32_t ci, unsigned depth,
			   uint32_t top)
{
	const struct chk_fw_chain *c = &e->rs->chains[ci];
	unsigned res = 0;
	uint32_t k;

	if (depth > EVAL_DEPTH) {
		e->incomplete = 1;
		return V_ALL;
	}
	for (k = 0; k < c->nrules; k++) {
		size_t ri = (size_t)c->first + k;
		const struct chk_fw_rule *r;
		uint32_t t;
		unsigned sub;
		int m;

		if (ri >= e->rs->nrules)
			break;
		r = &e->rs->rules[ri];
		t = depth ? top : r->pos;
		if (++e->work > EVAL_WORK) {
			e->incomplete = 1;
			return res | V_ALL;
		}
		m = rule_match(r, e->p);
		if (m == M_NO)
			continue;
		switch (r->target) {
		case CHK_FW_ACCEPT:
		case CHK_FW_DROP:
		case CHK_FW_REJECT:
		case CHK_FW_OTHER:
			note(e, r->target, (int32_t)ri, t);
			res |= 1u << r->target;
			if (m == M_YES)
				return res;
			break;
		case CHK_FW_RETURN:
			res |= V_RETURN;
			if (m == M_YES)
				return res;
			break;
		case CHK_FW_JUMP:
		case CHK_FW_GOTO:
			if (r->jump < 0 || (size_t)r->jump >= e->rs->nchains) {
				note(e, CHK_FW_OTHER, (int32_t)ri, t);
				res |= CHK_FW_V_OTHER;
				break;
			}
			sub = eval_chain(e, (uint32_t)r->jump, depth + 1, t);
			if (r->target == CHK_FW_JUMP) {
				res |= sub & ~V_RETURN;
				if (m == M_YES && !(sub & V_RETURN))
					return res;
			} else {
				/* goto: its return is our chain's return */
				res |= sub;
				if (m == M_YES)
					return res;
			}
			break;
		default:
			break;
		}
	}
	return res | V_RETURN;
}

static int cmp_prio(const struct chk_ruleset *rs, uint32_t a, uint32_t b)
{
	return rs->chains[a].prio < rs->chains[b].prio;
}

void chk_fw_eval(const struct chk_ruleset *rs, const struct chk_fw_packet *p,
		 struct chk_fw_outcome *out)
{
	uint32_t base[CHK_FW_EVAL_CHAINS];
	size_t nb = 0, i, j;
	int reach = 1;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < rs->nchains; i++) {
		const struct chk_fw_chain *c = &rs->chains[i];

		if (c->hook != p->hook ||
		    (c->family != AF_UNSPEC && c->family != p->family))
			continue;
		if (nb == CHK_FW_EVAL_CHAINS) {
			out->incomplete = 1;
			break;
		}
		/* insertion by priority, stable */
		for (j = nb; j > 0 && cmp_prio(rs, (uint32_t)i, base[j - 1]);
		     j--)
			base[j] = base[j - 1];
		base[j] = (uint32_t)i;
		nb++;
	}
	for (i = 0; i < nb; i++) {
		struct chk_fw_chain_outcome *co = &out->c[i];
		const struct chk_fw_chain *c = &rs->chains[base[i]];
		struct ev e;
		unsigned res;

		memset(&e, 0, sizeof(e));
		co->chain = (int32_t)base[i];
		for (j = 0; j < 8; j++) {
			co->why[j].rule = -1;
			co->why[j].chain = -1;
		}
		e.rs = rs;
		e.p = p;
		e.co = co;
		res = eval_chain(&e, base[i], 0, 0);
		if (res & V_RETURN) {
			res &= ~V_RETURN;
			res |= 1u << c->policy;
			note(&e, c->policy, -1, 0);
		}
		co->possible = res;
		out->incomplete |= e.incomplete;
		out->nchains++;
		if (reach) {
			out->possible |= res & ~CHK_FW_V_ACCEPT;
			if (!(res & CHK_FW_V_ACCEPT))
				reach = 0;
		}
	}
	if (reach)
		out->possible |= CHK_FW_V_ACCEPT;
	if (out->incomplete)
		out->possible = V_ALL;
}

int chk_fw_outcome_verdict(const struct chk_fw_outcome *o)
{
	if (o->incomplete)
		return -1;
	if (o->possible == CHK_FW_V_ACCEPT)
		return 1;
	return o->possible & CHK_FW_V_ACCEPT ? -1 : 0;
}
