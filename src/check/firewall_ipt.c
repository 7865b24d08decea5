/* firewall_ipt.c - reads iptables-save and ip6tables-save output
 * (iptables-save(8), the iptables-restore format; the matches of
 * iptables-extensions(8)) into the ruleset model: the filter table's
 * chains with their policies and rules. Pure: text in, model out. */
#include "check/firewall_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/fileio.h"

#define MAX_TOKENS 1024

/* Splits a line into words in buf (shell-like double quotes with
 * backslash escapes, as iptables-save writes them). With `nft` set,
 * '{', '}', ',' and ';' outside quotes are words of their own. Returns the
 * number of words, -1 for an unterminated quote, -2 for too many words. */
static int split_words(const char *line, size_t len, char *buf, char **w,
		       int nft)
{
	size_t i = 0, o = 0;
	int n = 0;

	while (i < len) {
		while (i < len &&
		       (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
			i++;
		if (i >= len)
			break;
		if (n == MAX_TOKENS)
			return -2;
		w[n++] = buf + o;
		if (nft && strchr("{},;", line[i])) {
			buf[o++] = line[i++];
			buf[o++] = '\0';
			continue;
		}
		while (i < len && line[i] != ' ' && line[i] != '\t' &&
		       line[i] != '\r' && !(nft && strchr("{},;", line[i]))) {
			if (line[i] == '"') {
				i++;
				while (i < len && line[i] != '"') {
					if (line[i] == '\\' && i + 1 < len)
						i++;
					buf[o++] = line[i++];
				}
				if (i >= len)
					return -1;
				i++;
				continue;
			}
			buf[o++] = line[i++];
		}
		buf[o++] = '\0';
	}
	return n;
}

/* Rule-text trimmed of trailing blanks; length into *n. */
static const char *trim(const char *s, size_t len, size_t *n)
{
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len &&
	       (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	*n = len;
	return s;
}

struct ipt {
	struct chk_ruleset *rs;
	int family;
	enum chk_fw_backend backend;
	uint32_t line;
	char table[CHK_FW_NAME];
	int in_table, is_filter;
	size_t chain0; /* first chain of the current table */
	char buf[CHK_FW_MAX_LINE * 2 + 8];
	char *w[MAX_TOKENS];
};

/* Matches (or modules) whose options are understood. */
static int known_module(const char *m)
{
	static const char *const names[] = {
		"tcp",	   "udp",  "conntrack", "state",  "multiport",
		"comment", "icmp", "icmp6",	"icmpv6",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(m, names[i]))
			return 1;
	return 0;
}

static int is_opt(const char *w, const char *s, const char *l)
{
	return (s && !strcmp(w, s)) || (l && !strcmp(w, l));
}

/* Parses the words of one "-A CHAIN ..." line from w[2] on into r.
 * Returns 0, or -1 with an error recorded. */
static int ipt_rule(struct ipt *st, char **w, int n, struct chk_fw_rule *r)
{
	struct chk_ruleset *rs = st->rs;
	const char *module = "";
	int known = 1, neg = 0, i;

	for (i = 2; i < n; i++) {
		const char *o = w[i];
		const char *arg = i + 1 < n ? w[i + 1] : NULL;

		if (!strcmp(o, "!")) {
			if (neg) {
				chk_fw_error(rs, st->line, "double '!'");
				return -1;
			}
			neg = 1;
			continue;
		}
		/* Old style "-s ! ADDR": the '!' after the option. */
		if (arg && !strcmp(arg, "!") && o[0] == '-' &&
		    strcmp(o, "-j") && strcmp(o, "--jump")) {
			neg = 1;
			i++;
			arg = i + 1 < n ? w[i + 1] : NULL;
		}
		if (is_opt(o, "-j", "--jump") || is_opt(o, "-g", "--goto")) {
			int goto_ = o[1] == 'g' || !strcmp(o, "--goto");
			int c;

			if (!arg || neg) {
				chk_fw_error(rs, st->line, "bad %s", o);
				return -1;
			}
			r->jump = -1;
			/* a user chain of this table, by name */
			c = st->is_filter
				    ? chk_fw_chain_find(rs, st->chain0, arg)
				    : -1;
			if (!strcmp(arg, "ACCEPT"))
				r->target = CHK_FW_ACCEPT;
			else if (!strcmp(arg, "DROP"))
				r->target = CHK_FW_DROP;
			else if (!strcmp(arg, "REJECT"))
				r->target = CHK_FW_REJECT;
			else if (!strcmp(arg, "RETURN"))
				r->target = CHK_FW_RETURN;
			else if (c >= 0) {
				r->target = goto_ ? CHK_FW_GOTO : CHK_FW_JUMP;
				r->jump = c;
			} else if (goto_ && st->is_filter) {
				chk_fw_error(rs, st->line,
					     "goto to unknown chain");
				return -1;
			} else if (chk_fw_nonterminal_target(arg))
				r->target = CHK_FW_CONTINUE;
			else
				r->target = CHK_FW_OTHER;
			/* What follows are the target's own options. */
			return 0;
		}
		if (!arg && strcmp(o, "--syn") && strcmp(o, "-f") &&
		    strcmp(o, "--fragment")) {
			chk_fw_error(rs, st->line, "%.40s without a value", o);
			return -1;
		}
		if (is_opt(o, "-p", "--protocol")) {
			if (chk_fw_parse_proto(arg, &r->proto)) {
				chk_fw_error(rs, st->line, "bad protocol");
				return -1;
			}
			r->proto_neg = (uint8_t)neg;
		} else if (is_opt(o, "-s", "--source") || !strcmp(o, "--src") ||
			   is_opt(o, "-d", "--destination") ||
			   !strcmp(o, "--dst")) {
			struct chk_fw_addrs *m =
				(o[1] == 's' || !strcmp(o, "--source") ||
				 !strcmp(o, "--src"))
					? &r->src
					: &r->dst;
			char buf[512];
			char *p, *save = NULL;

			snprintf(buf, sizeof(buf), "%s", arg);
			m->n = 0;
			for (p = strtok_r(buf, ",", &save); p;
			     p = strtok_r(NULL, ",", &save)) {
				if (chk_fw_addrs_add(m, p) ||
				    (m->v4 != (st->family == AF_INET))) {
					chk_fw_error(rs, st->line,
						     "bad address");
					return -1;
				}
			}
			if (!m->n) {
				chk_fw_error(rs, st->line, "bad address");
				return -1;
			}
			m->neg = (uint8_t)neg;
		} else if (is_opt(o, "-i", "--in-interface") ||
			   is_opt(o, "-o", "--out-interface")) {
			int in = o[1] == 'i' || !strcmp(o, "--in-interface");

			if (chk_fw_set_iface(in ? r->iif : r->oif, arg)) {
				chk_fw_error(rs, st->line, "bad interface");
				return -1;
			}
			if (in)
				r->iif_neg = (uint8_t)neg;
			else
				r->oif_neg = (uint8_t)neg;
		} else if (is_opt(o, "-f", "--fragment")) {
			chk_fw_mark_unknown(r, "fragment");
			neg = 0;
			continue;
		} else if (is_opt(o, "-m", "--match")) {
			module = arg;
			known = known_module(arg);
			if (!known)
				chk_fw_mark_unknown(r, arg);
		} else if (is_opt(o, "-c", "--set-counters")) {
			i++; /* two values */
		} else if (!known) {
			/* An unknown module's option: skip its values. */
			while (i + 1 < n && w[i + 1][0] != '-' &&
			       strcmp(w[i + 1], "!"))
				i++;
			neg = 0;
			continue;
		} else if (is_opt(o, "--sport", "--source-port") ||
			   is_opt(o, "--dport", "--destination-port")) {
			struct chk_fw_ports *m =
				strstr(o, "sport") || strstr(o, "source")
					? &r->sport
					: &r->dport;

			m->n = 0;
			if (chk_fw_ports_add(m, arg, ':')) {
				chk_fw_error(rs, st->line, "bad port");
				return -1;
			}
			m->neg = (uint8_t)neg;
		} else if (is_opt(o, "--sports", "--source-ports") ||
			   is_opt(o, "--dports", "--destination-ports") ||
			   is_opt(o, "--ports", NULL)) {
			struct chk_fw_ports *m = &r->dport;

			if (!strcmp(o, "--ports"))
				m = &r->ports;
			else if (!strcmp(o, "--sports") ||
				 !strcmp(o, "--source-ports"))
				m = &r->sport;
			m->n = 0;
			if (chk_fw_ports_list(m, arg, ':')) {
				chk_fw_error(rs, st->line, "bad port list");
				return -1;
			}
			m->neg = (uint8_t)neg;
		} else if (is_opt(o, "--ctstate", "--state")) {
			r->ct_mask = 0;
			if (chk_fw_parse_ctstates(arg, &r->ct_mask)) {
				chk_fw_error(rs, st->line, "bad state list");
				return -1;
			}
			r->ct_neg = (uint8_t)neg;
		} else if (is_opt(o, "--tcp-flags", NULL)) {
			if (i + 2 >= n ||
			    chk_fw_parse_tcpflags(arg, ",", &r->tcp_mask) ||
			    chk_fw_parse_tcpflags(w[i + 2], ",", &r->tcp_cmp)) {
				chk_fw_error(rs, st->line, "bad --tcp-flags");
				return -1;
			}
			r->tcp_neg = (uint8_t)neg;
			i++;
		} else if (is_opt(o, "--syn", NULL)) {
			r->tcp_mask = CHK_TCP_SYN | CHK_TCP_RST | CHK_TCP_ACK |
				      CHK_TCP_FIN;
			r->tcp_cmp = CHK_TCP_SYN;
			r->tcp_neg = (uint8_t)neg;
			neg = 0;
			continue;
		} else if (is_opt(o, "--comment", NULL) ||
			   is_opt(o, "--icmp-type", "--icmpv6-type")) {
			/* No bearing on a TCP packet's fate. */
		} else if (o[0] == '-' && o[1] == '-') {
			/* A known module's option we do not model. */
			char what[24];

			snprintf(what, sizeof(what), "%s %s", module, o);
			chk_fw_mark_unknown(r, what);
			while (i + 1 < n && w[i + 1][0] != '-' &&
			       strcmp(w[i + 1], "!"))
				i++;
			neg = 0;
			continue;
		} else {
			chk_fw_error(rs, st->line, "unexpected word '%.40s'",
				     o);
			return -1;
		}
		i++; /* the value */
		neg = 0;
	}
	if (neg) {
		chk_fw_error(rs, st->line, "'!' at the end");
		return -1;
	}
	r->target = CHK_FW_CONTINUE; /* no -j: counts only */
	r->jump = -1;
	return 0;
}

/* ":NAME POLICY [p:b]" */
static int ipt_chain(struct ipt *st, char **w, int n)
{
	struct chk_ruleset *rs = st->rs;
	enum chk_fw_hook hook = chk_fw_builtin_hook(w[0] + 1);
	int c;

	if (!st->in_table) {
		chk_fw_error(rs, st->line, "chain outside a table");
		return 0;
	}
	if (n < 2 || !w[0][1] || strlen(w[0] + 1) >= CHK_FW_NAME) {
		chk_fw_error(rs, st->line, "bad chain line");
		return 0;
	}
	if (strcmp(w[1], "-") && strcmp(w[1], "ACCEPT") &&
	    strcmp(w[1], "DROP")) {
		chk_fw_error(rs, st->line, "bad policy '%.20s'", w[1]);
		return 0;
	}
	if (!st->is_filter)
		return 0;
	if (chk_fw_chain_find(rs, st->chain0, w[0] + 1) >= 0) {
		chk_fw_error(rs, st->line, "chain %.32s declared twice",
			     w[0] + 1);
		return 0;
	}
	c = chk_fw_chain_add(rs, st->table, w[0] + 1, st->backend, st->family,
			     st->line);
	if (c < 0)
		return -1;
	rs->chains[c].hook = (uint8_t)hook;
	rs->chains[c].policy =
		!strcmp(w[1], "DROP") ? CHK_FW_DROP : CHK_FW_ACCEPT;
	return 0;
}

/* One line of iptables-save output. Returns -1 only when out of memory. */
static int ipt_line(struct ipt *st, const char *line, size_t len)
{
	struct chk_ruleset *rs = st->rs;
	struct chk_fw_rule r;
	const char *text;
	size_t tlen;
	int n, first = 0, c;

	text = trim(line, len, &tlen);
	if (!tlen || text[0] == '#')
		return 0;
	if (tlen > CHK_FW_MAX_LINE) {
		chk_fw_error(rs, st->line, "line too long");
		return 0;
	}
	n = split_words(text, tlen, st->buf, st->w, 0);
	if (n < 0) {
		chk_fw_error(rs, st->line,
			     n == -1 ? "unterminated quote" : "too many words");
		return 0;
	}
	if (n == 0)
		return 0;
	if (st->w[0][0] == '*') {
		if (st->in_table)
			chk_fw_error(rs, st->line, "table %.32s without COMMIT",
				     st->table);
		if (!st->w[0][1] || strlen(st->w[0]) > CHK_FW_NAME || n != 1) {
			chk_fw_error(rs, st->line, "bad table line");
			st->in_table = 0;
			return 0;
		}
		snprintf(st->table, sizeof(st->table), "%s", st->w[0] + 1);
		st->in_table = 1;
		st->is_filter = !strcmp(st->table, "filter");
		st->chain0 = rs->nchains;
		return 0;
	}
	if (st->w[0][0] == ':')
		return ipt_chain(st, st->w, n);
	if (!strcmp(st->w[0], "COMMIT")) {
		if (!st->in_table)
			chk_fw_error(rs, st->line, "COMMIT outside a table");
		st->in_table = 0;
		return 0;
	}
	/* "[packets:bytes] -A ..." from iptables-save -c */
	if (st->w[0][0] == '[' && strlen(st->w[0]) > 1 &&
	    st->w[0][strlen(st->w[0]) - 1] == ']')
		first = 1;
	if (n - first < 2 ||
	    (strcmp(st->w[first], "-A") && strcmp(st->w[first], "--append"))) {
		chk_fw_error(rs, st->line, "unexpected line");
		return 0;
	}
	if (!st->in_table) {
		chk_fw_error(rs, st->line, "rule outside a table");
		return 0;
	}
	c = st->is_filter ? chk_fw_chain_find(rs, st->chain0, st->w[first + 1])
			  : 0;
	if (c < 0) {
		chk_fw_error(rs, st->line, "rule for undeclared chain %.32s",
			     st->w[first + 1]);
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.line = st->line;
	r.chain = (uint32_t)c;
	r.jump = -1;
	if (ipt_rule(st, st->w + first, n - first, &r))
		return 0;
	if (!st->is_filter)
		return 0;
	if (chk_fw_pool_add(rs, text, tlen, &r.text_off))
		return -1;
	r.text_len =
		(uint32_t)(tlen > CHK_FW_MAX_LINE ? CHK_FW_MAX_LINE : tlen);
	return chk_fw_rule_add(rs, &r);
}

int chk_fw_parse_iptables(struct chk_ruleset *rs, const char *text, size_t len,
			  int family, enum chk_fw_backend backend)
{
	struct ipt *st = calloc(1, sizeof(*st));
	size_t off = 0, chain0 = rs->nchains, rule0 = rs->nrules;
	int rc = 0;

	if (!st)
		return -1;
	st->rs = rs;
	st->family = family;
	st->backend = backend;
	while (off < len && !rc) {
		const char *l;
		size_t n = cd_next_line(text, len, &off, &l);

		st->line++;
		if (memchr(l, '\0', n))
			chk_fw_error(rs, st->line, "NUL byte");
		else
			rc = ipt_line(st, l, n);
	}
	if (!rc && st->in_table)
		chk_fw_error(rs, st->line, "table %.32s without COMMIT",
			     st->table);
	chk_fw_finish(rs, chain0, rule0);
	free(st);
	return rc;
}