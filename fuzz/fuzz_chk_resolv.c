/* fuzz_chk_resolv.c - resolv.conf, nsswitch.conf and hosts(5) text as glibc
 * reads it: any bytes, parsed without crashing, within glibc's limits. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "check/resolver.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), src[8][16];
	struct cd_resolv_conf r;
	struct in6_addr a;
	size_t n;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cd_resolv_conf_parse(text, text, &r);
	CHECK(r.nns <= CD_RESOLV_MAXNS);
	CHECK(r.timeout_s >= 1 && r.timeout_s <= 30);
	CHECK(r.attempts >= 1 && r.attempts <= 5);
	for (n = 0; n < r.nns; n++)
		CHECK(strlen(r.ns[n]) < CD_RESOLV_NS_STR);
	n = chk_nsswitch_hosts(text, src, 8);
	CHECK(n <= 8);
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &a);
	(void)chk_hosts_has(text, &a);
	free(text);
	return 0;
}
