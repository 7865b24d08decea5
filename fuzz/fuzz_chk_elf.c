/* fuzz_chk_elf.c - the ELF reader and the ld.so.cache reader: any input
 * gives OK, TRUNCATED or INVALID with a reason; strings read point inside
 * the input and end there; a prefix of an input that parses OK is never
 * INVALID (cut files are told apart from corrupt ones).
 */
#include <string.h>

#include "check/elf.h"
#include "fuzz.h"

static void check_str(const uint8_t *data, size_t size, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;

	if (!s)
		return;
	CHECK(p >= data && p < data + size);
	CHECK(memchr(p, 0, (size_t)(data + size - p)) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chk_elf_info info, again;
	enum chk_elf_rc rc = chk_elf_parse(data, size, &info);
	const char *why = NULL;
	char out[256];
	size_t i;
	int r;

	CHECK(rc == CHK_ELF_OK || rc == CHK_ELF_TRUNCATED ||
	      rc == CHK_ELF_INVALID);
	if (rc != CHK_ELF_OK) {
		CHECK(info.why != NULL);
	} else {
		static const size_t cuts[] = {0, 4, 16, 52, 64, 100};

		CHECK(info.nneeded <= CHK_ELF_MAX_NEEDED);
		CHECK(info.nneeded <= info.nneeded_total);
		for (i = 0; i < info.nneeded; i++)
			check_str(data, size, info.needed[i]);
		check_str(data, size, info.soname);
		check_str(data, size, info.rpath);
		check_str(data, size, info.runpath);
		check_str(data, size, info.interp);
		for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
			if (cuts[i] < size)
				CHECK(chk_elf_parse(data, cuts[i], &again) !=
				      CHK_ELF_INVALID);
		CHECK(chk_elf_parse(data, size / 2, &again) != CHK_ELF_INVALID);
		if (size)
			CHECK(chk_elf_parse(data, size - 1, &again) !=
			      CHK_ELF_INVALID);
		CHECK(chk_elf_parse(data, size, &again) == CHK_ELF_OK);
		CHECK(again.nneeded == info.nneeded);
		(void)chk_elf_cache_flags(&info);
		(void)chk_elf_multiarch(&info);
	}
	/* The same bytes as an ld.so.cache image. */
	r = chk_ldcache_find(data, size, "libc.so.6", 0x0303, out, sizeof(out),
			     &why);
	CHECK(r >= -1 && r <= 1);
	if (r == 1)
		CHECK(memchr(out, 0, sizeof(out)) != NULL);
	if (r < 0)
		CHECK(why != NULL);
	return 0;
}
