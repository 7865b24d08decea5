/* fuzz_chk_iptables.c - the firewall and conntrack text parsers: any
 * bytes parsed as iptables-save (IPv4 and IPv6), `nft list ruleset` and
 * `conntrack -L` output must give a consistent model (every index in
 * range, every chain's rules its own, texts inside the pool), and
 * evaluating packets through it must terminate with a verdict.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "check/conntrack.h"
#include "check/firewall.h"
#include "fuzz.h"

static void check_model(const struct chk_ruleset *rs)
{
	size_t i, k;

	CHECK(rs->nchains <= CHK_FW_MAX_CHAINS &&
	      rs->nrules <= CHK_FW_MAX_RULES);
	for (i = 0; i < rs->nchains; i++) {
		const struct chk_fw_chain *c = &rs->chains[i];

		CHECK(c->first + c->nrules <= rs->nrules || c->nrules == 0);
		CHECK(c->policy == CHK_FW_ACCEPT || c->policy == CHK_FW_DROP);
		CHECK(memchr(c->name, '\0', sizeof(c->name)));
		CHECK(memchr(c->table, '\0', sizeof(c->table)));
		for (k = 0; k < c->nrules; k++) {
			const struct chk_fw_rule *r = &rs->rules[c->first + k];

			CHECK(r->chain == i && r->pos == k + 1);
		}
	}
	for (i = 0; i < rs->nrules; i++) {
		const struct chk_fw_rule *r = &rs->rules[i];

		CHECK(r->chain < rs->nchains);
		CHECK((size_t)r->text_off + r->text_len <= rs->npool);
		CHECK(r->target <= CHK_FW_OTHER);
		if (r->target == CHK_FW_JUMP || r->target == CHK_FW_GOTO)
			CHECK(r->jump >= -1 && r->jump < (int32_t)rs->nchains);
		CHECK(r->src.n <= CHK_FW_SET && r->dst.n <= CHK_FW_SET);
		CHECK(r->sport.n <= CHK_FW_SET && r->dport.n <= CHK_FW_SET &&
		      r->ports.n <= CHK_FW_SET);
		CHECK(memchr(r->iif, '\0', sizeof(r->iif)) &&
		      memchr(r->oif, '\0', sizeof(r->oif)));
	}
}

static void evaluate(const struct chk_ruleset *rs)
{
	static const uint8_t states[] = {CHK_CT_NEW, CHK_CT_ESTABLISHED,
					 CHK_CT_INVALID};
	struct chk_fw_outcome o;
	struct chk_fw_packet p;
	size_t s, h;

	for (h = 0; h < 2; h++) {
		for (s = 0; s < sizeof(states); s++) {
			memset(&p, 0, sizeof(p));
			p.family = s == 2 ? AF_INET6 : AF_INET;
			p.hook = h ? CHK_FW_HOOK_OUTPUT : CHK_FW_HOOK_INPUT;
			p.proto = IPPROTO_TCP;
			p.ctstate = states[s];
			p.tcp_flags = s ? 0x18 : 0x02;
			p.src_known = s != 1;
			p.dst_known = 1;
			p.src.s6_addr[10] = p.src.s6_addr[11] = 0xff;
			p.src.s6_addr[12] = 10;
			p.sport = 3306;
			p.dport = (uint16_t)(40000 + s);
			chk_fw_eval(rs, &p, &o);
			CHECK(o.possible != 0);
			CHECK(o.nchains <= CHK_FW_EVAL_CHAINS);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct chk_ruleset rs;
	struct chk_ct_table t;
	char names[64];
	size_t i;

	chk_ruleset_init(&rs);
	CHECK(chk_fw_parse_iptables(&rs, text, size, AF_INET, CHK_FW_IPT_NFT) ==
	      0);
	CHECK(chk_fw_parse_iptables(&rs, text, size, AF_INET6,
				    CHK_FW_IPT_LEGACY) == 0);
	CHECK(chk_fw_parse_nft(&rs, text, size, 1) == 0);
	CHECK(chk_fw_parse_nft(&rs, text, size, 0) == 0);
	check_model(&rs);
	evaluate(&rs);
	chk_ruleset_free(&rs);
	(void)chk_fw_nft_native_tables(text, size, names, sizeof(names));
	CHECK(memchr(names, '\0', sizeof(names)));

	chk_ct_table_init(&t);
	CHECK(chk_ct_parse(&t, text, size) == 0);
	for (i = 0; i < t.n; i++)
		CHECK(t.v[i].family == AF_INET || t.v[i].family == AF_INET6);
	chk_ct_table_free(&t);
	return 0;
}
