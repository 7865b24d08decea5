/* fuzz_chk_nftjson.c - the `nft -j list ruleset` reader: any bytes read
 * as libnftables JSON, with and without iptables-nft's tables, must give
 * a consistent model (fwcheck.h) whose rule texts stay inside the pool,
 * and evaluating packets through it must terminate with a verdict; the
 * native-table summary stays NUL-terminated in its buffer.
 */
#include "fwcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data;
	struct chk_ruleset rs;
	char names[64];

	chk_ruleset_init(&rs);
	CHECK(chk_fw_parse_nft_json(&rs, json, size, 1) == 0);
	CHECK(chk_fw_parse_nft_json(&rs, json, size, 0) == 0);
	fw_check_model(&rs);
	fw_evaluate(&rs);
	chk_ruleset_free(&rs);
	(void)chk_fw_nft_native_tables(json, size, names, sizeof(names));
	CHECK(memchr(names, '\0', sizeof(names)));
	return 0;
}
