/* fuzz_chk_iptables.c - the iptables-save reader: any bytes parsed as
 * iptables-save output (IPv4 and IPv6, nf_tables and legacy) must give a
 * consistent model (fwcheck.h), and evaluating packets through it must
 * terminate with a verdict.
 */
#include "fwcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct chk_ruleset rs;

	chk_ruleset_init(&rs);
	CHECK(chk_fw_parse_iptables(&rs, text, size, AF_INET, CHK_FW_IPT_NFT) ==
	      0);
	CHECK(chk_fw_parse_iptables(&rs, text, size, AF_INET6,
				    CHK_FW_IPT_LEGACY) == 0);
	fw_check_model(&rs);
	fw_evaluate(&rs);
	chk_ruleset_free(&rs);
	return 0;
}
