/* firewall_rules.c - the firewall findings of field report 004: CD4001
 * (a MySQL connection's packets accepted only as ESTABLISHED, so a
 * conntrack flush or firewall reload cuts it), CD4002 (new connections to
 * a MySQL listener dropped) and CD4006 (iptables-legacy and nf_tables
 * both loaded), each with the rule that decided and the rule that fixes
 * it. Pure: the model and the census in, findings out. */
#include "check/firewall.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* snprintf for report texts, which are cut at their buffer's size. */
__attribute__((format(printf, 3, 4))) static void textf(char *buf, size_t len,
							const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static int is_v4(const struct in6_addr *a)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0,	  0,
					0, 0, 0, 0, 0xff, 0xff};

	return !memcmp(a->s6_addr, pfx, 12);
}

static int is_loopback(const struct in6_addr *a)
{
	if (is_v4(a))
		return a->s6_addr[12] == 127;
	return IN6_IS_ADDR_LOOPBACK(a);
}

static int is_any(const struct in6_addr *a)
{
	if (is_v4(a))
		return !memcmp(&a->s6_addr[12], "\0\0\0\0", 4);
	return IN6_IS_ADDR_UNSPECIFIED(a);
}

static const char *addr_str(const struct in6_addr *a, char *buf, size_t len)
{
	if (is_v4(a)) {
		if (!inet_ntop(AF_INET, &a->s6_addr[12], buf, (socklen_t)len))
			snprintf(buf, len, "?");
	} else if (!inet_ntop(AF_INET6, a, buf, (socklen_t)len)) {
		snprintf(buf, len, "?");
	}
	return buf;
}

static int is_mysql_port(const struct chk_fw_view *v, uint16_t port)
{
	size_t i;

	for (i = 0; i < v->nports; i++)
		if (v->ports[i] == port)
			return 1;
	return 0;
}

int chk_fw_sock_verdict(const struct chk_fw_view *v, size_t s, int in,
			unsigned ctstate, struct chk_fw_outcome *o)
{
	const struct chk_sock *k;
	struct chk_fw_outcome local;
	struct chk_fw_packet p;

	if (!o)
		o = &local;
	memset(o, 0, sizeof(*o));
	if (!v->rs || !v->census || s >= v->census->ntcp) {
		o->possible = CHK_FW_V_ACCEPT;
		return 1;
	}
	k = &v->census->tcp[s];
	memset(&p, 0, sizeof(p));
	p.family = is_v4(&k->dst) ? AF_INET : AF_INET6;
	p.hook = in ? CHK_FW_HOOK_INPUT : CHK_FW_HOOK_OUTPUT;
	p.proto = IPPROTO_TCP;
	p.ctstate = (uint8_t)ctstate;
	p.tcp_flags = CHK_TCP_ACK | CHK_TCP_PSH; /* mid-stream data */
	p.src_known = p.dst_known = 1;
	p.src = in ? k->dst : k->src;
	p.dst = in ? k->src : k->dst;
	p.sport = in ? k->dport : k->sport;
	p.dport = in ? k->sport : k->dport;
	if (is_loopback(&k->dst) || !memcmp(&k->dst, &k->src, sizeof(k->src)))
		snprintf(p.iface, sizeof(p.iface), "lo");
	else if (v->info)
		snprintf(p.iface, sizeof(p.iface), "%s", v->info[s].iface);
	chk_fw_eval(v->rs, &p, o);
	return chk_fw_outcome_verdict(o);
}

/* "iptables-nft filter INPUT", "nft inet filter input" */
static void chain_label(const struct chk_ruleset *rs, int32_t ci, char *buf,
			size_t len)
{
	const struct chk_fw_chain *c;

	if (ci < 0 || (size_t)ci >= rs->nchains) {
		snprintf(buf, len, "?");
		return;
	}
	c = &rs->chains[ci];
	if (c->backend == CHK_FW_NFT)
		snprintf(buf, len, "nft %s %s chain %s",
			 c->family == AF_INET	 ? "ip"
			 : c->family == AF_INET6 ? "ip6"
						 : "inet",
			 c->table, c->name);
	else
		snprintf(buf, len, "%s%s %s chain %s",
			 c->family == AF_INET6 ? "ip6tables" : "iptables",
			 c->backend == CHK_FW_IPT_LEGACY ? "-legacy" : "-nft",
			 c->table, c->name);
}

/* The dump a chain was read from, for "TOOL line N". */
static const char *source_name(const struct chk_fw_chain *c)
{
	if (c->backend == CHK_FW_IPT_LEGACY)
		return c->family == AF_INET6 ? "ip6tables-legacy-save"
					     : "iptables-legacy-save";
	return c->family == AF_INET6 ? "ip6tables-save" : "iptables-save";
}

/* Where a rule is found by whoever fixes it: its iptables-save line, or
 * its handle in a native nft chain (`nft -j` has no lines); 0 for no
 * rule (a policy). The findings' accept_line and drop_line. */
static double rule_place(const struct chk_ruleset *rs, int32_t rule)
{
	const struct chk_fw_rule *r;

	if (rule < 0 || (size_t)rule >= rs->nrules)
		return 0;
	r = &rs->rules[rule];
	if (rs->chains[r->chain].backend == CHK_FW_NFT)
		return (double)r->handle;
	return r->line;
}

/* What decided: "iptables-save line 7 `-A INPUT ...` (...)" or "the
 * policy DROP of ...". */
static void why_text(const struct chk_ruleset *rs, const struct chk_fw_why *w,
		     unsigned verdict, char *buf, size_t len)
{
	char chain[96];

	chain_label(rs, w->chain, chain, sizeof(chain));
	if (w->rule >= 0 && (size_t)w->rule < rs->nrules) {
		const struct chk_fw_rule *r = &rs->rules[w->rule];
		int tl = (int)(r->text_len > 150 ? 150 : r->text_len);

		if (rs->chains[r->chain].backend == CHK_FW_NFT)
			textf(buf, len, "nft rule handle %llu `%.*s`%s (%s)",
			      (unsigned long long)r->handle, tl,
			      chk_fw_rule_text(rs, r),
			      r->text_len > 150 ? "..." : "", chain);
		else
			textf(buf, len, "%s line %u `%.*s`%s (%s)",
			      source_name(&rs->chains[r->chain]), r->line, tl,
			      chk_fw_rule_text(rs, r),
			      r->text_len > 150 ? "..." : "", chain);
	} else {
		snprintf(buf, len, "the policy %s of %s",
			 verdict == CHK_FW_ACCEPT ? "ACCEPT" : "DROP", chain);
	}
}

/* The chain outcome and verdict that refused a packet: the first base
 * chain without an accept; NULL if none. */
static const struct chk_fw_why *refusal(const struct chk_fw_outcome *o,
					unsigned *verdict)
{
	static const unsigned order[] = {CHK_FW_DROP, CHK_FW_REJECT,
					 CHK_FW_OTHER};
	size_t i, k;

	for (i = 0; i < o->nchains; i++) {
		if (o->c[i].possible & CHK_FW_V_ACCEPT)
			continue;
		for (k = 0; k < 3; k++) {
			if (o->c[i].possible & (1u << order[k])) {
				*verdict = order[k];
				return &o->c[i].why[order[k]];
			}
		}
	}
	return NULL;
}

/* The rule that accepted a packet: preferably one with a state match. */
static const struct chk_fw_why *acceptance(const struct chk_ruleset *rs,
					   const struct chk_fw_outcome *o)
{
	const struct chk_fw_why *any = NULL;
	size_t i;

	for (i = 0; i < o->nchains; i++) {
		const struct chk_fw_why *w = &o->c[i].why[CHK_FW_ACCEPT];

		if (w->rule < 0 || (size_t)w->rule >= rs->nrules)
			continue;
		if (rs->rules[w->rule].ct_mask)
			return w;
		if (!any)
			any = w;
	}
	return any;
}

/* The stateless rule that lets the packet through, in the syntax of the
 * chain that refused it, placed before the refusing rule. */
static void fix_rule(const struct chk_ruleset *rs, const struct chk_fw_why *w,
		     int family, const char *peer, int in, int server_side,
		     uint16_t port, char *buf, size_t len)
{
	const struct chk_fw_chain *c = &rs->chains[w->chain];
	int peer_is_src = in;
	/* the MySQL port is the peer's when we are the client */
	int port_is_src = in != server_side;
	char match[160];

	if (c->backend == CHK_FW_NFT) {
		const char *fam = c->family == AF_INET	  ? "ip"
				  : c->family == AF_INET6 ? "ip6"
							  : "inet";
		uint64_t handle = 0;

		if (w->top && c->first + w->top - 1 < rs->nrules)
			handle = rs->rules[c->first + w->top - 1].handle;
		if (peer)
			snprintf(match, sizeof(match),
				 "%s %s %s tcp %s %u accept",
				 family == AF_INET ? "ip" : "ip6",
				 peer_is_src ? "saddr" : "daddr", peer,
				 port_is_src ? "sport" : "dport", port);
		else
			snprintf(match, sizeof(match), "tcp %s %u accept",
				 port_is_src ? "sport" : "dport", port);
		if (!w->top)
			snprintf(buf, len, "nft add rule %s %s %s %s", fam,
				 c->table, c->name, match);
		else if (handle)
			snprintf(buf, len,
				 "nft insert rule %s %s %s position %llu %s",
				 fam, c->table, c->name,
				 (unsigned long long)handle, match);
		else
			snprintf(buf, len, "nft insert rule %s %s %s %s", fam,
				 c->table, c->name, match);
		return;
	}
	if (peer)
		snprintf(match, sizeof(match), "-p tcp %s %s --%s %u -j ACCEPT",
			 peer_is_src ? "-s" : "-d", peer,
			 port_is_src ? "sport" : "dport", port);
	else
		snprintf(match, sizeof(match), "-p tcp --%s %u -j ACCEPT",
			 port_is_src ? "sport" : "dport", port);
	if (w->top)
		snprintf(buf, len, "%s%s -I %s %u %s",
			 family == AF_INET ? "iptables" : "ip6tables",
			 c->backend == CHK_FW_IPT_LEGACY ? "-legacy" : "",
			 c->name, w->top, match);
	else
		snprintf(buf, len, "%s%s -A %s %s",
			 family == AF_INET ? "iptables" : "ip6tables",
			 c->backend == CHK_FW_IPT_LEGACY ? "-legacy" : "",
			 c->name, match);
}

static int is_mysqld(const char *comm)
{
	return !strncmp(comm, "mysqld", 6) || !strncmp(comm, "mariadbd", 8);
}

/* One group of connections caught by the trap (same side, direction,
 * MySQL port and, for client connections, peer). */
struct trap {
	int server_side, in, several_peers;
	uint16_t port;
	size_t first; /* census index of the first connection */
	size_t n;
	double lports[CD_EV_VALUES];
	size_t nl;
	int repl;
	struct chk_fw_outcome est, after;
};

#define MAX_TRAPS 32

static void trap_finding(const struct chk_fw_view *v, const struct trap *t,
			 struct cd_finding *f)
{
	const struct chk_ruleset *rs = v->rs;
	const struct chk_sock *k = &v->census->tcp[t->first];
	const struct chk_fw_why *acc = acceptance(rs, &t->est), *ref;
	char peer[INET6_ADDRSTRLEN], est[320], after[320], fix[300];
	char ports[100], who[48];
	unsigned verdict = CHK_FW_DROP;
	int loose0 = v->tcp_loose == 0;
	size_t i, used = 0;

	ref = refusal(&t->after, &verdict);
	addr_str(&k->dst, peer, sizeof(peer));
	if (acc)
		why_text(rs, acc, CHK_FW_ACCEPT, est, sizeof(est));
	else
		snprintf(est, sizeof(est), "the chains' policies");
	if (ref) {
		why_text(rs, ref, verdict, after, sizeof(after));
		fix_rule(rs, ref, is_v4(&k->dst) ? AF_INET : AF_INET6,
			 t->several_peers ? NULL : peer, t->in, t->server_side,
			 t->port, fix, sizeof(fix));
	} else {
		snprintf(after, sizeof(after), "?");
		snprintf(fix, sizeof(fix), "?");
	}
	ports[0] = '\0';
	for (i = 0; i < t->nl && used < sizeof(ports); i++)
		used += (size_t)snprintf(ports + used, sizeof(ports) - used,
					 "%s%.0f", i ? ", " : "", t->lports[i]);
	who[0] = '\0';
	if (v->info && v->info[t->first].comm[0])
		snprintf(who, sizeof(who), ", %s pid %d",
			 v->info[t->first].comm, (int)v->info[t->first].pid);
	if (t->repl)
		textf(f->summary, sizeof(f->summary),
		      "replication link to primary %s:%u: its packets are "
		      "accepted only as ESTABLISHED; a conntrack flush or "
		      "firewall reload blackholes it",
		      peer, t->port);
	else if (!t->server_side)
		textf(f->summary, sizeof(f->summary),
		      "%zu connection%s to %s:%u%s: %s packets are accepted "
		      "only as ESTABLISHED; a conntrack flush or firewall "
		      "reload blackholes %s",
		      t->n, t->n == 1 ? "" : "s", peer, t->port, who,
		      t->in ? "the server's" : "outgoing",
		      t->n == 1 ? "it" : "them");
	else
		textf(f->summary, sizeof(f->summary),
		      "%zu client connection%s on port %u%s%s: %s packets "
		      "are accepted only as ESTABLISHED; a conntrack flush "
		      "or firewall reload blackholes %s",
		      t->n, t->n == 1 ? "" : "s", t->port,
		      t->several_peers ? "" : " from ",
		      t->several_peers ? "" : peer,
		      t->in ? "the clients'" : "outgoing",
		      t->n == 1 ? "it" : "them");
	textf(f->evidence, sizeof(f->evidence),
	      "As ESTABLISHED the %s packet is accepted by %s. After a "
	      "flush it is %s (nf_conntrack_tcp_loose=%d: %s) and meets "
	      "%s%s. Local port%s: %s. Fix: %s",
	      t->in ? "incoming" : "outgoing", est, loose0 ? "INVALID" : "NEW",
	      loose0 ? 0 : 1,
	      loose0 ? "a mid-stream packet is not tracked, so the "
		       "connection never recovers"
		     : "a mid-stream packet opens a new entry, so only a "
		       "packet from this side first brings it back",
	      after, verdict == CHK_FW_REJECT ? " (REJECT)" : "",
	      t->nl == 1 ? "" : "s", ports, fix);
	cd_finding_num(f, "connections", (double)t->n);
	cd_finding_num(f, "port", t->port);
	cd_finding_list(f, "local_ports", t->lports, t->nl);
	cd_finding_num(f, "tcp_loose", loose0 ? 0 : 1);
	cd_finding_num(f, "accept_line", acc ? rule_place(rs, acc->rule) : 0);
	cd_finding_num(f, "drop_line", ref ? rule_place(rs, ref->rule) : 0);
	cd_finding_num(f, "replication", t->repl);
	cd_finding_num(f, "inbound", t->in);
	cd_finding_num(f, "server_side", t->server_side);
}

/* CD4001 over every established MySQL connection, both directions. */
static int rule_trap(const struct chk_fw_view *v, struct cd_findings *out)
{
	unsigned after_state = v->tcp_loose == 0 ? CHK_CT_INVALID : CHK_CT_NEW;
	struct trap *traps = calloc(MAX_TRAPS, sizeof(*traps));
	struct chk_fw_outcome *est, *aft;
	size_t ntraps = 0, s, i;
	int rc = 0;

	est = malloc(2 * sizeof(*est));
	if (!traps || !est) {
		free(traps);
		free(est);
		return -1;
	}
	aft = est + 1;
	for (s = 0; s < v->census->ntcp; s++) {
		const struct chk_sock *k = &v->census->tcp[s];
		int in;

		if (k->state != CHK_TCP_ESTABLISHED ||
		    !is_mysql_port(v, k->server_side ? k->sport : k->dport))
			continue;
		for (in = 1; in >= 0; in--) {
			struct trap *t = NULL;
			uint16_t port = k->server_side ? k->sport : k->dport;

			if (chk_fw_sock_verdict(v, s, in, CHK_CT_ESTABLISHED,
						est) != 1 ||
			    chk_fw_sock_verdict(v, s, in, after_state, aft) !=
				    0)
				continue;
			for (i = 0; i < ntraps; i++) {
				const struct chk_sock *f =
					&v->census->tcp[traps[i].first];

				if (traps[i].server_side == k->server_side &&
				    traps[i].in == in &&
				    traps[i].port == port &&
				    (k->server_side ||
				     !memcmp(&f->dst, &k->dst,
					     sizeof(f->dst)))) {
					t = &traps[i];
					break;
				}
			}
			if (!t && ntraps == MAX_TRAPS)
				continue;
			if (!t) {
				t = &traps[ntraps++];
				t->server_side = k->server_side;
				t->in = in;
				t->port = port;
				t->first = s;
				t->est = *est;
				t->after = *aft;
			} else if (memcmp(&v->census->tcp[t->first].dst,
					  &k->dst, sizeof(k->dst))) {
				t->several_peers = 1;
			}
			t->n++;
			if (t->nl < CD_EV_VALUES)
				t->lports[t->nl++] =
					k->server_side ? k->dport : k->sport;
			if (!k->server_side && in && v->info &&
			    is_mysqld(v->info[s].comm))
				t->repl = 1;
		}
	}
	for (i = 0; i < ntraps && !rc; i++) {
		const struct trap *t = &traps[i];
		struct cd_finding *f = cd_finding_add(
			out, "CD4001",
			t->repl || v->tcp_loose == 0 ? CD_SEV_CRITICAL
						     : CD_SEV_WARNING);

		if (!f)
			rc = -1;
		else
			trap_finding(v, t, f);
	}
	free(est);
	free(traps);
	return rc;
}

/* CD4002: a SYN from any address to a MySQL listener is refused. */
static int rule_listener(const struct chk_fw_view *v, struct cd_findings *out)
{
	struct chk_fw_outcome *o = malloc(sizeof(*o));
	struct {
		uint16_t port;
		int family;
	} seen[32];
	size_t nseen = 0, s, i;
	int rc = 0;

	if (!o)
		return -1;
	for (s = 0; s < v->census->ntcp && !rc; s++) {
		const struct chk_sock *k = &v->census->tcp[s];
		int fams[2], nf = 0, fi;

		if (k->state != CHK_TCP_LISTEN || !is_mysql_port(v, k->sport) ||
		    is_loopback(&k->src))
			continue;
		if (is_v4(&k->src) || k->family == AF_INET)
			fams[nf++] = AF_INET;
		else if (is_any(&k->src)) {
			fams[nf++] = AF_INET; /* dual-stack "::" */
			fams[nf++] = AF_INET6;
		} else {
			fams[nf++] = AF_INET6;
		}
		for (fi = 0; fi < nf && !rc; fi++) {
			struct chk_fw_packet p;
			const struct chk_fw_why *w;
			unsigned verdict = CHK_FW_DROP;
			struct cd_finding *f;
			char why[320], fix[300];
			size_t clients = 0, j;
			int dup = 0;

			for (i = 0; i < nseen; i++)
				if (seen[i].port == k->sport &&
				    seen[i].family == fams[fi])
					dup = 1;
			if (dup)
				continue;
			memset(&p, 0, sizeof(p));
			p.family = (uint8_t)fams[fi];
			p.hook = CHK_FW_HOOK_INPUT;
			p.proto = IPPROTO_TCP;
			p.ctstate = CHK_CT_NEW;
			p.tcp_flags = CHK_TCP_SYN;
			p.dport = k->sport;
			p.dst = k->src;
			p.dst_known = !is_any(&k->src);
			chk_fw_eval(v->rs, &p, o);
			if (chk_fw_outcome_verdict(o) != 0)
				continue;
			if (nseen < sizeof(seen) / sizeof(seen[0])) {
				seen[nseen].port = k->sport;
				seen[nseen].family = fams[fi];
				nseen++;
			}
			w = refusal(o, &verdict);
			if (!w)
				continue;
			for (j = 0; j < v->census->ntcp; j++) {
				const struct chk_sock *c = &v->census->tcp[j];

				if (c->state == CHK_TCP_ESTABLISHED &&
				    c->server_side && c->sport == k->sport &&
				    !is_loopback(&c->dst))
					clients++;
			}
			why_text(v->rs, w, verdict, why, sizeof(why));
			fix_rule(v->rs, w, fams[fi], NULL, 1, 1, k->sport, fix,
				 sizeof(fix));
			f = cd_finding_add(out, "CD4002",
					   verdict == CHK_FW_REJECT
						   ? CD_SEV_INFO
						   : CD_SEV_WARNING);
			if (!f) {
				rc = -1;
				break;
			}
			snprintf(
				f->summary, sizeof(f->summary),
				"new %s connections to MySQL port %u are %s by "
				"the firewall: %s",
				fams[fi] == AF_INET ? "IPv4" : "IPv6", k->sport,
				verdict == CHK_FW_REJECT ? "rejected"
							 : "dropped",
				verdict == CHK_FW_REJECT
					? "clients are refused at once"
					: "clients wait out the SYN "
					  "retransmissions and fail with "
					  "connect_timeout");
			textf(f->evidence, sizeof(f->evidence),
			      "A SYN from any remote address to port %u "
			      "(state NEW) meets %s. %zu remote client%s "
			      "connected now (accepted as ESTABLISHED). To "
			      "open it: %s (narrow it with -s to the client "
			      "network).",
			      k->sport, why, clients,
			      clients == 1 ? " is" : "s are", fix);
			cd_finding_num(f, "port", k->sport);
			cd_finding_num(f, "family",
				       fams[fi] == AF_INET ? 4 : 6);
			cd_finding_num(f, "drop_line",
				       rule_place(v->rs, w->rule));
			cd_finding_num(f, "established_clients",
				       (double)clients);
		}
	}
	free(o);
	return rc;
}

/* CD4006: rules in both iptables-legacy and nf_tables. */
static int rule_two_backends(const struct chk_fw_view *v,
			     struct cd_findings *out)
{
	size_t legacy = 0, nft = 0, i;
	int legacy_on = 0, nft_on = 0;
	struct cd_finding *f;

	for (i = 0; i < v->rs->nchains; i++) {
		const struct chk_fw_chain *c = &v->rs->chains[i];
		int on = c->nrules || (c->hook && c->policy != CHK_FW_ACCEPT);

		if (c->backend == CHK_FW_IPT_LEGACY) {
			legacy += c->nrules;
			legacy_on |= on;
		} else {
			nft += c->nrules;
			nft_on |= on;
		}
	}
	if (!legacy_on || !nft_on)
		return 0;
	f = cd_finding_add(out, "CD4006", CD_SEV_INFO);
	if (!f)
		return -1;
	textf(f->summary, sizeof(f->summary),
	      "iptables-legacy and nf_tables rulesets are both loaded: a "
	      "packet must pass both, and each tool shows only its own");
	textf(f->evidence, sizeof(f->evidence),
	      "%zu rules in iptables-legacy-save, %zu in iptables-nft and "
	      "native nft tables.",
	      legacy, nft);
	cd_finding_num(f, "legacy_rules", (double)legacy);
	cd_finding_num(f, "nft_rules", (double)nft);
	return 0;
}

int chk_fw_rules(const struct chk_fw_view *v, struct cd_findings *out)
{
	if (!v->rs)
		return 0;
	if (rule_two_backends(v, out))
		return -1;
	if (!v->census)
		return 0;
	if (rule_trap(v, out) || rule_listener(v, out))
		return -1;
	return 0;
}
