/* fwcheck.h - the properties every ruleset reader's fuzz target checks
 * on the model it built: every index in range, every chain's rules its
 * own, texts inside the pool; and that evaluating packets through it
 * terminates with a verdict. Included by one fuzz target each. */
#ifndef CONNDOCTOR_FUZZ_FWCHECK_H
#define CONNDOCTOR_FUZZ_FWCHECK_H

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "check/firewall.h"
#include "fuzz.h"

static void fw_check_model(const struct chk_ruleset *rs)
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

static void fw_evaluate(const struct chk_ruleset *rs)
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

#endif /* CONNDOCTOR_FUZZ_FWCHECK_H */
