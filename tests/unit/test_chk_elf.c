/* test_chk_elf.c - the ELF reader and ld.so's search: ELF images built
 * here (32/64-bit, little/big endian) parsed field by field, cut at every
 * length (truncated, never invalid) and against a guard page, corrupted
 * header by header (invalid); the search order (RPATH, RUNPATH, $ORIGIN,
 * ld.so.cache, default dirs, wrong class skipped, NODEFLIB, loops, depth)
 * in a tree of made-up libraries; and the wrapelf fixtures and mariadbd
 * against ldd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

#include "check/elf.h"
#include "guard.h"

/* snprintf() that fails the test when the text does not fit. */
__attribute__((format(printf, 3, 4))) static void fmt(char *out, size_t len,
						      const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(out, len, f, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < len);
}

/* ---- an ELF writer ---- */

struct spec {
	int is64, be;
	uint16_t type;	  /* 2 ET_EXEC, 3 ET_DYN */
	uint16_t machine; /* 62 x86-64 unless set */
	const char *needed[24];
	const char *soname, *rpath, *runpath, *interp;
	uint64_t flags_1;
	int no_sections;
};

/* Where build() put things, for the corruption tests. */
struct built {
	size_t len;
	size_t phoff, shoff, dyn_off, dynstr_off, dynstr_len, interp_off;
	size_t ehsize, phentsize, shentsize, dynent;
};

struct wr {
	uint8_t *p;
	size_t cap;
	int be;
};

static void put(struct wr *w, size_t off, uint64_t v, unsigned n)
{
	unsigned i;

	assert_true(off + n <= w->cap);
	for (i = 0; i < n; i++) {
		unsigned sh = w->be ? (n - 1 - i) * 8 : i * 8;

		w->p[off + i] = (uint8_t)(v >> sh);
	}
}

#define VBASE 0x400000u

static size_t build(const struct spec *s, uint8_t *out, size_t cap,
		    struct built *b)
{
	struct wr w = {out, cap, s->be};
	unsigned a = s->is64 ? 8 : 4;
	size_t eh = s->is64 ? 64 : 52, ph = s->is64 ? 56 : 32;
	size_t sh = s->is64 ? 64 : 40, de = s->is64 ? 16 : 8;
	size_t nph = s->interp ? 3 : 2, off, i, ndyn = 0, nneeded = 0;
	size_t str_needed[24], str_soname = 0, str_rpath = 0, str_runpath = 0;
	size_t dynstr, dyn, shoff, interp = 0;
	struct {
		uint64_t tag, val;
	} d[40];

	memset(out, 0, cap);
	memset(b, 0, sizeof(*b));
	off = eh + nph * ph;
	if (s->interp) {
		interp = off;
		memcpy(out + off, s->interp, strlen(s->interp) + 1);
		off += strlen(s->interp) + 1;
	}
	/* dynstr: "\0" then each string */
	dynstr = off;
	out[off++] = 0;
#define ADDSTR(str, at)                                                        \
	do {                                                                   \
		(at) = off - dynstr;                                           \
		memcpy(out + off, (str), strlen(str) + 1);                     \
		off += strlen(str) + 1;                                        \
	} while (0)
	while (nneeded < 24 && s->needed[nneeded]) {
		ADDSTR(s->needed[nneeded], str_needed[nneeded]);
		nneeded++;
	}
	if (s->soname)
		ADDSTR(s->soname, str_soname);
	if (s->rpath)
		ADDSTR(s->rpath, str_rpath);
	if (s->runpath)
		ADDSTR(s->runpath, str_runpath);
#undef ADDSTR
	b->dynstr_len = off - dynstr;
	off = (off + 7) & ~(size_t)7;
	for (i = 0; i < nneeded; i++) {
		d[ndyn].tag = 1;
		d[ndyn++].val = str_needed[i];
	}
	d[ndyn].tag = 5; /* DT_STRTAB */
	d[ndyn++].val = VBASE + dynstr;
	d[ndyn].tag = 10; /* DT_STRSZ */
	d[ndyn++].val = b->dynstr_len;
	if (s->soname) {
		d[ndyn].tag = 14;
		d[ndyn++].val = str_soname;
	}
	if (s->rpath) {
		d[ndyn].tag = 15;
		d[ndyn++].val = str_rpath;
	}
	if (s->runpath) {
		d[ndyn].tag = 29;
		d[ndyn++].val = str_runpath;
	}
	if (s->flags_1) {
		d[ndyn].tag = 0x6ffffffb;
		d[ndyn++].val = s->flags_1;
	}
	d[ndyn].tag = 0;
	d[ndyn++].val = 0;
	dyn = off;
	for (i = 0; i < ndyn; i++) {
		put(&w, dyn + i * de, d[i].tag, a);
		put(&w, dyn + i * de + a, d[i].val, a);
	}
	off = dyn + ndyn * de;
	shoff = s->no_sections ? 0 : (off + 7) & ~(size_t)7;
	b->len = shoff ? shoff + 3 * sh : off;
	assert_true(b->len <= cap);

	/* ELF header */
	memcpy(out, "\177ELF", 4);
	out[4] = s->is64 ? 2 : 1;
	out[5] = s->be ? 2 : 1;
	out[6] = 1;
	put(&w, 16, s->type ? s->type : 3, 2);
	put(&w, 18, s->machine ? s->machine : 62, 2);
	put(&w, 20, 1, 4);
	put(&w, 24, VBASE, a);		       /* e_entry */
	put(&w, 24 + a, eh, a);		       /* e_phoff */
	put(&w, 24 + 2 * a, shoff, a);	       /* e_shoff */
	put(&w, 24 + 3 * a, 0, 4);	       /* e_flags */
	put(&w, 28 + 3 * a, eh, 2);	       /* e_ehsize */
	put(&w, 30 + 3 * a, ph, 2);	       /* e_phentsize */
	put(&w, 32 + 3 * a, nph, 2);	       /* e_phnum */
	put(&w, 34 + 3 * a, sh, 2);	       /* e_shentsize */
	put(&w, 36 + 3 * a, shoff ? 3 : 0, 2); /* e_shnum */
	put(&w, 38 + 3 * a, 0, 2);	       /* e_shstrndx */

	/* program headers: PT_LOAD of the whole file, PT_DYNAMIC, PT_INTERP */
	for (i = 0; i < nph; i++) {
		size_t at = eh + i * ph;
		uint32_t type = i == 0 ? 1 : i == 1 ? 2 : 3;
		uint64_t o = i == 0 ? 0 : i == 1 ? dyn : interp;
		uint64_t sz = i == 0   ? b->len
			      : i == 1 ? ndyn * de
				       : strlen(s->interp) + 1;

		put(&w, at, type, 4);
		if (s->is64) {
			put(&w, at + 8, o, 8);
			put(&w, at + 16, VBASE + o, 8);
			put(&w, at + 24, VBASE + o, 8);
			put(&w, at + 32, sz, 8);
			put(&w, at + 40, sz, 8);
		} else {
			put(&w, at + 4, o, 4);
			put(&w, at + 8, VBASE + o, 4);
			put(&w, at + 12, VBASE + o, 4);
			put(&w, at + 16, sz, 4);
			put(&w, at + 20, sz, 4);
		}
	}
	/* sections: NULL, .dynstr (STRTAB), .dynamic (link 1) */
	if (shoff) {
		size_t s1 = shoff + sh, s2 = shoff + 2 * sh;

		put(&w, s1 + 4, 3, 4);
		put(&w, s2 + 4, 6, 4);
		if (s->is64) {
			put(&w, s1 + 24, dynstr, 8);
			put(&w, s1 + 32, b->dynstr_len, 8);
			put(&w, s2 + 24, dyn, 8);
			put(&w, s2 + 32, ndyn * de, 8);
			put(&w, s2 + 40, 1, 4);
		} else {
			put(&w, s1 + 16, dynstr, 4);
			put(&w, s1 + 20, b->dynstr_len, 4);
			put(&w, s2 + 16, dyn, 4);
			put(&w, s2 + 20, ndyn * de, 4);
			put(&w, s2 + 24, 1, 4);
		}
	}
	b->phoff = eh;
	b->shoff = shoff;
	b->dyn_off = dyn;
	b->dynstr_off = dynstr;
	b->interp_off = interp;
	b->ehsize = eh;
	b->phentsize = ph;
	b->shentsize = sh;
	b->dynent = de;
	return b->len;
}

/* ---- parsing ---- */

static void test_parse_variants(void **state)
{
	static uint8_t buf[4096];
	int is64, be;

	(void)state;
	for (is64 = 0; is64 < 2; is64++)
		for (be = 0; be < 2; be++) {
			struct spec s = {
				.is64 = is64,
				.be = be,
				.machine = is64 ? 62 : 3,
				.needed = {"libwrap.so.0", "libc.so.6"},
				.soname = "libthing.so.1",
				.rpath = "$ORIGIN/../lib",
				.runpath = "/opt/r",
				.interp = "/lib64/ld-linux-x86-64.so.2",
				.flags_1 = 0x800,
			};
			struct chk_elf_info info;
			struct built b;
			size_t len = build(&s, buf, sizeof(buf), &b);

			assert_int_equal(chk_elf_parse(buf, len, &info),
					 CHK_ELF_OK);
			assert_int_equal(info.elfclass, is64 ? 2 : 1);
			assert_int_equal(info.data, be ? 2 : 1);
			assert_int_equal(info.machine, is64 ? 62 : 3);
			assert_int_equal(info.type, 3);
			assert_int_equal(info.phnum, 3);
			assert_int_equal(info.shnum, 3);
			assert_int_equal(info.phoff, b.phoff);
			assert_int_equal(info.shoff, b.shoff);
			assert_true(info.dynamic);
			assert_false(info.dyn_from_sections);
			assert_int_equal(info.nneeded, 2);
			assert_int_equal(info.nneeded_total, 2);
			assert_string_equal(info.needed[0], "libwrap.so.0");
			assert_string_equal(info.needed[1], "libc.so.6");
			assert_string_equal(info.soname, "libthing.so.1");
			assert_string_equal(info.rpath, "$ORIGIN/../lib");
			assert_string_equal(info.runpath, "/opt/r");
			assert_string_equal(info.interp,
					    "/lib64/ld-linux-x86-64.so.2");
			assert_int_equal(info.dt_flags_1, 0x800);
			assert_int_equal(chk_elf_cache_flags(&info),
					 is64 ? 0x0303 : 0x0003);
		}
}

/* Every prefix of a valid image is TRUNCATED (the section header table
 * is last, so any cut is seen), never INVALID, and never read past. */
static void test_parse_every_prefix_guard(void **state)
{
	static uint8_t buf[4096];
	struct guard g;
	int is64, be;

	(void)state;
	guard_init(&g, sizeof(buf));
	for (is64 = 0; is64 < 2; is64++)
		for (be = 0; be < 2; be++) {
			struct spec s = {.is64 = is64,
					 .be = be,
					 .needed = {"libz.so.1"},
					 .interp = "/lib/ld.so"};
			struct built b;
			size_t len = build(&s, buf, sizeof(buf), &b), cut;
			struct chk_elf_info info;

			for (cut = 0; cut <= len; cut++) {
				const uint8_t *p = guard_put(&g, buf, cut);
				enum chk_elf_rc rc =
					chk_elf_parse(p, cut, &info);

				if (cut == len) {
					assert_int_equal(rc, CHK_ELF_OK);
					assert_string_equal(info.needed[0],
							    "libz.so.1");
				} else {
					assert_int_equal(rc, CHK_ELF_TRUNCATED);
					assert_non_null(info.why);
				}
			}
		}
	guard_free(&g);
}

/* Without section headers the cut is seen where a segment ends; a prefix
 * still never parses INVALID. */
static void test_parse_prefix_no_sections(void **state)
{
	static uint8_t buf[4096];
	struct spec s = {.is64 = 1, .needed = {"libz.so.1"}, .no_sections = 1};
	struct built b;
	size_t len = build(&s, buf, sizeof(buf), &b), cut;
	struct chk_elf_info info;

	(void)state;
	assert_int_equal(chk_elf_parse(buf, len, &info), CHK_ELF_OK);
	for (cut = 0; cut < len; cut++)
		assert_int_equal(chk_elf_parse(buf, cut, &info),
				 CHK_ELF_TRUNCATED);
}

/* Flips one header field at a time: each gives INVALID with a reason. */
static void test_parse_corrupt(void **state)
{
	static uint8_t buf[4096], bad[4096];
	struct spec s = {
		.is64 = 1, .needed = {"libwrap.so.0"}, .interp = "/lib/ld.so"};
	struct built b;
	size_t len = build(&s, buf, sizeof(buf), &b);
	struct chk_elf_info info;
	struct {
		size_t off;
		unsigned n;
		uint64_t v;
		enum chk_elf_rc want;
		const char *why;
	} cases[] = {
		{0, 1, 0x7e, CHK_ELF_INVALID, "bad magic"},
		{4, 1, 3, CHK_ELF_INVALID, "class"},
		{5, 1, 0, CHK_ELF_INVALID, "encoding"},
		{6, 1, 2, CHK_ELF_INVALID, "ident version"},
		{20, 4, 2, CHK_ELF_INVALID, "e_version"},
		{54, 2, 55, CHK_ELF_INVALID, "e_phentsize"},
		{56, 2, 2000, CHK_ELF_INVALID, "64 KiB"},
		{58, 2, 63, CHK_ELF_INVALID, "e_shentsize"},
		{32, 8, UINT64_MAX - 8, CHK_ELF_INVALID, "overflows"},
		{32, 8, 1u << 20, CHK_ELF_TRUNCATED, "program header"},
		{40, 8, 1u << 20, CHK_ELF_TRUNCATED, "section header"},
		/* PT_LOAD p_filesz over p_memsz */
		{64 + 40, 8, 16, CHK_ELF_INVALID, "p_memsz"},
		/* DT_STRTAB outside every PT_LOAD */
		{0, 0, 0, CHK_ELF_INVALID, "DT_STRTAB"},
		/* DT_NEEDED offset past DT_STRSZ */
		{0, 0, 1, CHK_ELF_INVALID, "past the string table"},
		/* the needed string without its NUL inside DT_STRSZ */
		{0, 0, 2, CHK_ELF_INVALID, "not terminated"},
		/* PT_INTERP without a NUL */
		{0, 0, 3, CHK_ELF_INVALID, "PT_INTERP"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wr w = {bad, sizeof(bad), 0};
		enum chk_elf_rc rc;

		memcpy(bad, buf, len);
		if (cases[i].n) {
			put(&w, cases[i].off, cases[i].v, cases[i].n);
		} else if (cases[i].v == 0) {
			/* the DT_STRTAB entry follows the one DT_NEEDED */
			put(&w, b.dyn_off + b.dynent + 8, 0x10, 8);
		} else if (cases[i].v == 1) {
			put(&w, b.dyn_off + 8, b.dynstr_len + 5, 8);
		} else if (cases[i].v == 2) {
			/* DT_STRSZ (third entry) cut inside the name */
			put(&w, b.dyn_off + 2 * b.dynent + 8, 4, 8);
		} else {
			memset(bad + b.interp_off, 'x',
			       strlen("/lib/ld.so") + 1);
		}
		rc = chk_elf_parse(bad, len, &info);
		if (rc != cases[i].want || !info.why ||
		    !strstr(info.why, cases[i].why))
			fail_msg("case %zu: rc %d why '%s', want %d '%s'", i,
				 rc, info.why ? info.why : "", cases[i].want,
				 cases[i].why);
	}
	assert_int_equal(chk_elf_parse(NULL, 0, &info), CHK_ELF_TRUNCATED);
	assert_int_equal(chk_elf_parse((const uint8_t *)"\177EL", 3, &info),
			 CHK_ELF_TRUNCATED);
	assert_int_equal(chk_elf_parse((const uint8_t *)"#!/bin", 6, &info),
			 CHK_ELF_INVALID);
}

/* A static executable (no PT_DYNAMIC, no SHT_DYNAMIC) needs nothing; a
 * dynamic section found through section headers alone is read. */
static void test_parse_static_and_sections(void **state)
{
	static uint8_t buf[4096];
	struct spec s = {.is64 = 1, .needed = {"libfoo.so"}};
	struct built b;
	size_t len = build(&s, buf, sizeof(buf), &b);
	struct chk_elf_info info;
	struct wr w = {buf, sizeof(buf), 0};

	(void)state;
	/* PT_DYNAMIC -> PT_NULL: the section is found */
	put(&w, b.phoff + b.phentsize, 0, 4);
	assert_int_equal(chk_elf_parse(buf, len, &info), CHK_ELF_OK);
	assert_true(info.dynamic);
	assert_true(info.dyn_from_sections);
	assert_string_equal(info.needed[0], "libfoo.so");
	/* and SHT_DYNAMIC -> SHT_PROGBITS: static */
	put(&w, b.shoff + 2 * b.shentsize + 4, 1, 4);
	assert_int_equal(chk_elf_parse(buf, len, &info), CHK_ELF_OK);
	assert_false(info.dynamic);
	assert_int_equal(info.nneeded, 0);
}

/* ---- ld.so.cache ---- */

struct centry {
	const char *key, *value;
	uint32_t flags;
	uint64_t hwcap;
};

static size_t build_cache(uint8_t *out, size_t cap, const struct centry *e,
			  size_t n, int old_too)
{
	struct wr w = {out, cap, 0};
	size_t base = 0, strs, i, off;

	memset(out, 0, cap);
	if (old_too) {
		memcpy(out, "ld.so-1.7.0", 11);
		put(&w, 12, 2, 4);
		base = (16 + 2 * 12 + 7) & ~(size_t)7;
	}
	memcpy(out + base, "glibc-ld.so.cache1.1", 20);
	put(&w, base + 20, n, 4);
	out[base + 28] = 2; /* little endian */
	strs = 48 + n * 24;
	off = strs;
	for (i = 0; i < n; i++) {
		size_t at = base + 48 + i * 24;

		put(&w, at, e[i].flags, 4);
		put(&w, at + 4, off, 4);
		memcpy(out + base + off, e[i].key, strlen(e[i].key) + 1);
		off += strlen(e[i].key) + 1;
		put(&w, at + 8, off, 4);
		memcpy(out + base + off, e[i].value, strlen(e[i].value) + 1);
		off += strlen(e[i].value) + 1;
		put(&w, at + 16, e[i].hwcap, 8);
	}
	put(&w, base + 24, off - strs, 4);
	return base + off;
}

static void test_ldcache(void **state)
{
	static uint8_t buf[4096];
	static const struct centry e[] = {
		{"libwrap.so.0", "/lib/i386-linux-gnu/libwrap.so.0", 0x0003, 0},
		{"libwrap.so.0", "/hw/libwrap.so.0", 0x0303, 1},
		{"libwrap.so.0", "/lib/x86_64-linux-gnu/libwrap.so.0", 0x0303,
		 0},
		{"libold.so.1", "/lib/libold.so.1", 0x0001, 0},
	};
	char out[256];
	const char *why;
	size_t len, cut;
	int old;
	struct guard g;

	(void)state;
	guard_init(&g, sizeof(buf));
	for (old = 0; old < 2; old++) {
		len = build_cache(buf, sizeof(buf), e, 4, old);
		assert_int_equal(chk_ldcache_find(buf, len, "libwrap.so.0",
						  0x0303, out, sizeof(out),
						  &why),
				 1);
		assert_string_equal(out, "/lib/x86_64-linux-gnu/libwrap.so.0");
		assert_int_equal(chk_ldcache_find(buf, len, "libwrap.so.0",
						  0x0003, out, sizeof(out),
						  &why),
				 1);
		assert_string_equal(out, "/lib/i386-linux-gnu/libwrap.so.0");
		assert_int_equal(chk_ldcache_find(buf, len, "libold.so.1",
						  0x0303, out, sizeof(out),
						  &why),
				 1);
		assert_int_equal(chk_ldcache_find(buf, len, "libnone.so",
						  0x0303, out, sizeof(out),
						  &why),
				 0);
		assert_int_equal(chk_ldcache_find(buf, len, "libwrap.so.0",
						  0x0303, out, 10, &why),
				 -1);
		for (cut = 0; cut < len; cut++) {
			const uint8_t *p = guard_put(&g, buf, cut);

			assert_int_equal(chk_ldcache_find(p, cut, "libc.so.6",
							  0x0303, out,
							  sizeof(out), &why),
					 -1);
		}
	}
	/* byte order "invalid", and a string offset out of range */
	len = build_cache(buf, sizeof(buf), e, 4, 0);
	buf[28] = 1;
	assert_int_equal(
		chk_ldcache_find(buf, len, "x", 0, out, sizeof(out), &why), -1);
	assert_non_null(strstr(why, "byte order"));
	buf[28] = 2;
	buf[48 + 4] = 0xff;
	buf[48 + 5] = 0xff;
	assert_int_equal(
		chk_ldcache_find(buf, len, "x", 0, out, sizeof(out), &why), -1);
	assert_non_null(strstr(why, "out of range"));
	guard_free(&g);
}

/* The host's own cache finds libc where it is. */
static void test_ldcache_host(void **state)
{
	FILE *f = fopen("/etc/ld.so.cache", "rb");
	static uint8_t buf[1 << 20];
	char out[256];
	const char *why = NULL;
	size_t n;

	(void)state;
	if (!f) {
		skip();
		return;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(chk_ldcache_find(buf, n, "libc.so.6", 0x0303, out,
					  sizeof(out), &why),
			 1);
	assert_int_equal(access(out, R_OK), 0);
}

/* ---- the search, in a tree of made-up libraries ---- */

static char root[PATH_MAX];

static void mkdirs(const char *rel)
{
	char p[2 * PATH_MAX], *s;

	fmt(p, sizeof(p), "%s/%s", root, rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
}

static void write_elf(const char *rel, const struct spec *s)
{
	static uint8_t buf[4096];
	char p[2 * PATH_MAX];
	struct built b;
	size_t len = build(s, buf, sizeof(buf), &b);
	FILE *f;

	mkdirs(rel);
	fmt(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static void lib(const char *rel, const char *soname, const char *n1,
		const char *n2)
{
	struct spec s = {.is64 = 1, .soname = soname};

	s.needed[0] = n1;
	s.needed[1] = n1 ? n2 : NULL;
	write_elf(rel, &s);
}

static const struct chk_elf_dep *dep(const struct chk_elf_deps *d,
				     const char *name)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].name, name))
			return &d->v[i];
	fail_msg("no dependency %s", name);
	return NULL;
}

static int setup_tree(void **state)
{
	static const struct centry ce[] = {
		{"libcached.so.1", "/cachedir/libcached.so.1", 0x0303, 0},
		{"libcached.so.1", "/wrongarch/libcached.so.1", 0x0003, 0},
	};
	static uint8_t cache[1024];
	char p[2 * PATH_MAX];
	size_t len;
	FILE *f;

	(void)state;
	fmt(root, sizeof(root), "/tmp/cdelfXXXXXX");
	assert_non_null(mkdtemp(root));
	lib("lib/x86_64-linux-gnu/libdefault.so.1", "libdefault.so.1", NULL,
	    NULL);
	lib("opt/p/libinrpath.so.1", NULL, NULL, NULL);
	lib("opt/r/libinrunpath.so.1", NULL, NULL, NULL);
	lib("opt/p/libonlyrpath.so.1", NULL, NULL, NULL);
	lib("cachedir/libcached.so.1", NULL, NULL, NULL);
	lib("wrongarch/libcached.so.1", NULL, NULL, NULL);
	/* libmid needs libwrap (transitive), and libonlyrpath, which only
	 * the program's RPATH has */
	lib("usr/lib/x86_64-linux-gnu/libmid.so.2", "libmid.so.2",
	    "libwrap.so.0", "libonlyrpath.so.1");
	lib("usr/lib/x86_64-linux-gnu/libwrap.so.0", "libwrap.so.0", NULL,
	    NULL);
	/* a loop */
	lib("lib/x86_64-linux-gnu/libloopa.so", NULL, "libloopb.so", NULL);
	lib("lib/x86_64-linux-gnu/libloopb.so", NULL, "libloopa.so", NULL);
	/* $ORIGIN in a library's RUNPATH */
	{
		struct spec s = {.is64 = 1,
				 .needed = {"libsub.so"},
				 .runpath = "$ORIGIN/sub"};

		write_elf("lib/x86_64-linux-gnu/liborigin.so", &s);
	}
	lib("lib/x86_64-linux-gnu/sub/libsub.so", NULL, NULL, NULL);
	/* a 32-bit one first in the search, the right one after */
	{
		struct spec s = {.is64 = 0, .machine = 3};

		write_elf("lib/x86_64-linux-gnu/libclass.so", &s);
	}
	lib("usr/lib/x86_64-linux-gnu/libclass.so", NULL, NULL, NULL);
	lib("abs/libabs.so", NULL, NULL, NULL);
	/* a symlink: two names, one file */
	fmt(p, sizeof(p), "%s/lib/x86_64-linux-gnu/libalias.so", root);
	assert_int_equal(symlink("libdefault.so.1", p), 0);
	/* a chain deeper than the bound */
	{
		int k;

		for (k = 0; k < 20; k++) {
			char rel[64], next[32];

			fmt(rel, sizeof(rel), "lib/x86_64-linux-gnu/libd%d.so",
			    k);
			fmt(next, sizeof(next), "libd%d.so", k + 1);
			lib(rel, NULL, next, NULL);
		}
	}
	mkdirs("etc/x");
	len = build_cache(cache, sizeof(cache), ce, 2, 0);
	fmt(p, sizeof(p), "%s/etc/ld.so.cache", root);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(cache, 1, len, f), len);
	fclose(f);
	return 0;
}

static int teardown_tree(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	fmt(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void needed_of(const struct spec *s, struct chk_elf_deps *d)
{
	char err[256];

	write_elf("bin/app", s);
	assert_int_equal(chk_elf_needed("/bin/app", root, d, err, sizeof(err)),
			 0);
}

static void test_search_order(void **state)
{
	struct chk_elf_deps d;
	struct spec s = {
		.is64 = 1,
		.type = 2,
		.needed = {"libinrpath.so.1", "libcached.so.1",
			   "libdefault.so.1", "libmid.so.2", "libmissing.so.9",
			   "libclass.so", "liborigin.so", "/abs/libabs.so",
			   "libalias.so", "libloopa.so"},
		.rpath = "$ORIGIN/../opt/p:/nonexistent",
	};
	const struct chk_elf_dep *x;
	char chain[256];
	int w;

	(void)state;
	needed_of(&s, &d);
	assert_int_equal(d.rc, CHK_ELF_OK);
	assert_true(d.cache_read);
	assert_string_equal(d.multiarch, "x86_64-linux-gnu");
	x = dep(&d, "libinrpath.so.1");
	assert_int_equal(x->how, CHK_ELF_BY_RPATH);
	assert_string_equal(x->path, "/bin/../opt/p/libinrpath.so.1");
	x = dep(&d, "libcached.so.1");
	assert_int_equal(x->how, CHK_ELF_BY_CACHE);
	assert_string_equal(x->path, "/cachedir/libcached.so.1");
	x = dep(&d, "libdefault.so.1");
	assert_int_equal(x->how, CHK_ELF_BY_DEFAULT);
	assert_string_equal(x->path, "/lib/x86_64-linux-gnu/libdefault.so.1");
	assert_int_equal(x->depth, 1);
	assert_int_equal(dep(&d, "libmissing.so.9")->how, CHK_ELF_NOT_FOUND);
	assert_int_equal(d.not_found, 1);
	x = dep(&d, "libclass.so");
	assert_string_equal(x->path, "/usr/lib/x86_64-linux-gnu/libclass.so");
	x = dep(&d, "libsub.so");
	assert_int_equal(x->how, CHK_ELF_BY_RUNPATH);
	assert_string_equal(x->path, "/lib/x86_64-linux-gnu/sub/libsub.so");
	assert_int_equal(dep(&d, "/abs/libabs.so")->how, CHK_ELF_BY_PATH);
	/* libalias.so is libdefault.so.1 under another name: once */
	{
		size_t i;

		for (i = 0; i < d.n; i++)
			assert_string_not_equal(d.v[i].name, "libalias.so");
	}
	/* the loop: each once */
	assert_int_equal(dep(&d, "libloopb.so")->depth, 2);
	/* transitive: the program's RPATH serves libmid's needs too */
	x = dep(&d, "libonlyrpath.so.1");
	assert_int_equal(x->how, CHK_ELF_BY_RPATH);
	assert_int_equal(x->depth, 2);
	w = chk_elf_links(&d, "libwrap.so");
	assert_true(w >= 0);
	assert_int_equal(d.v[w].depth, 2);
	chk_elf_chain(&d, w, chain, sizeof(chain));
	assert_string_equal(chain, "app -> libmid.so.2 -> libwrap.so.0");
	assert_int_equal(chk_elf_links(&d, "libnothere.so"), -1);
	chk_elf_deps_free(&d);
}

static void test_search_runpath_rules(void **state)
{
	struct chk_elf_deps d;
	struct spec s = {.is64 = 1,
			 .type = 2,
			 .needed = {"libinrpath.so.1", "libinrunpath.so.1",
				    "libmid.so.2"},
			 .rpath = "/opt/p",
			 .runpath = "/opt/r"};

	(void)state;
	/* with a RUNPATH the program's RPATH is ignored, and RUNPATH does
	 * not serve libmid's needs */
	needed_of(&s, &d);
	assert_int_equal(dep(&d, "libinrpath.so.1")->how, CHK_ELF_NOT_FOUND);
	assert_int_equal(dep(&d, "libinrunpath.so.1")->how, CHK_ELF_BY_RUNPATH);
	assert_int_equal(dep(&d, "libonlyrpath.so.1")->how, CHK_ELF_NOT_FOUND);
	chk_elf_deps_free(&d);

	/* DF_1_NODEFLIB: no cache, no default directories */
	memset(&s, 0, sizeof(s));
	s.is64 = 1;
	s.needed[0] = "libdefault.so.1";
	s.needed[1] = "libcached.so.1";
	s.flags_1 = 0x800;
	needed_of(&s, &d);
	assert_int_equal(d.not_found, 2);
	chk_elf_deps_free(&d);

	/* the depth bound */
	memset(&s, 0, sizeof(s));
	s.is64 = 1;
	s.needed[0] = "libd0.so";
	needed_of(&s, &d);
	assert_true(d.capped);
	assert_int_equal(d.n, CHK_ELF_MAX_DEPTH);
	chk_elf_deps_free(&d);
}

static void test_search_errors(void **state)
{
	struct chk_elf_deps d;
	char err[256], p[2 * PATH_MAX];
	FILE *f;

	(void)state;
	assert_int_equal(chk_elf_needed("/no/such", root, &d, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "No such file"));
	mkdirs("bin/cut");
	fmt(p, sizeof(p), "%s/bin/cut", root);
	f = fopen(p, "wb");
	assert_non_null(f);
	fwrite("\177ELF\2\1\1", 1, 7, f);
	fclose(f);
	assert_int_equal(chk_elf_needed("/bin/cut", root, &d, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "truncated"));
	assert_int_equal(d.rc, CHK_ELF_TRUNCATED);
	chk_elf_deps_free(&d);
}

/* ---- real binaries ---- */

/* ldd's resolved paths (realpath), minus the vDSO. */
static size_t ldd_paths(const char *bin, char paths[][PATH_MAX], size_t max)
{
	char cmd[PATH_MAX + 32], line[2 * PATH_MAX];
	size_t n = 0;
	FILE *p;

	fmt(cmd, sizeof(cmd), "ldd '%s' 2>/dev/null", bin);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) && n < max) {
		char *at = strstr(line, "=> /"), *path, *sp;

		path = at ? at + 3 : strchr(line, '/');
		if (!path)
			continue;
		sp = strpbrk(path, " \t\n");
		if (sp)
			*sp = '\0';
		if (realpath(path, paths[n]))
			n++;
	}
	pclose(p);
	return n;
}

/* Our resolution gives the same files as ldd (the interpreter aside:
 * ldd lists PT_INTERP, we list the DT_NEEDED name that resolves to it). */
static void same_as_ldd(const char *bin)
{
	static char lp[128][PATH_MAX];
	struct chk_elf_deps d;
	char err[256], real[PATH_MAX];
	size_t n, i, k;

	n = ldd_paths(bin, lp, 128);
	assert_true(n > 0);
	assert_int_equal(chk_elf_needed(bin, NULL, &d, err, sizeof(err)), 0);
	assert_int_equal(d.not_found, 0);
	for (i = 0; i < d.n; i++) {
		int found = 0;

		assert_non_null(realpath(d.v[i].path, real));
		for (k = 0; k < n && !found; k++)
			found = !strcmp(lp[k], real);
		if (!found)
			fail_msg("%s: %s (%s) not in ldd's list", bin,
				 d.v[i].path, real);
	}
	for (k = 0; k < n; k++) {
		int found = 0;

		for (i = 0; i < d.n && !found; i++)
			found = realpath(d.v[i].path, real) &&
				!strcmp(lp[k], real);
		if (!found && realpath(d.interp, real) && !strcmp(lp[k], real))
			found = 1;
		if (!found)
			fail_msg("%s: ldd has %s, we do not", bin, lp[k]);
	}
	chk_elf_deps_free(&d);
}

static void test_wrapelf(void **state)
{
	char plain[PATH_MAX], wrap[PATH_MAX], err[256];
	struct chk_elf_deps d;
	int w;

	(void)state;
	if (fixture_exe("CD_WRAPELF_PLAIN", "wrapelf", "wrapelf_plain", plain,
			sizeof(plain)) ||
	    fixture_exe("CD_WRAPELF_WRAP", "wrapelf", "wrapelf_wrap", wrap,
			sizeof(wrap))) {
		skip();
		return;
	}
	assert_int_equal(chk_elf_needed(wrap, NULL, &d, err, sizeof(err)), 0);
	w = chk_elf_links(&d, "libwrap.so");
	assert_true(w >= 0);
	assert_int_equal(d.v[w].depth, 1);
	assert_int_equal(d.v[w].parent, -1);
	assert_string_equal(d.v[w].name, "libwrap.so.0");
	assert_int_equal(access(d.v[w].path, R_OK), 0);
	assert_true(d.v[w].how == CHK_ELF_BY_CACHE ||
		    d.v[w].how == CHK_ELF_BY_DEFAULT);
	assert_true(d.dynamic);
	assert_true(d.interp[0] == '/');
	chk_elf_deps_free(&d);
	assert_int_equal(chk_elf_needed(plain, NULL, &d, err, sizeof(err)), 0);
	assert_int_equal(chk_elf_links(&d, "libwrap.so"), -1);
	assert_true(d.n > 0);
	chk_elf_deps_free(&d);
	same_as_ldd(wrap);
	same_as_ldd(plain);
}

/* The real binary cut at several offsets and with header fields
 * flipped: truncated and invalid apart, never a crash. */
static void test_wrapelf_cut_and_corrupt(void **state)
{
	char wrap[PATH_MAX];
	uint8_t *img, *cp;
	size_t len, i;
	struct chk_elf_info info;
	FILE *f;
	long n;

	(void)state;
	if (fixture_exe("CD_WRAPELF_WRAP", "wrapelf", "wrapelf_wrap", wrap,
			sizeof(wrap))) {
		skip();
		return;
	}
	f = fopen(wrap, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	assert_true(n > 64);
	len = (size_t)n;
	img = malloc(len);
	cp = malloc(len);
	assert_non_null(img);
	assert_non_null(cp);
	assert_int_equal(fread(img, 1, len, f), len);
	fclose(f);
	assert_int_equal(chk_elf_parse(img, len, &info), CHK_ELF_OK);
	/* every cut, on a stride, plus the header's own bytes */
	for (i = 0; i < len; i += i < 128 ? 1 : 97)
		assert_int_equal(chk_elf_parse(img, i, &info),
				 CHK_ELF_TRUNCATED);
	assert_int_equal(chk_elf_parse(img, len - 1, &info), CHK_ELF_TRUNCATED);
	/* one byte of each of the first 64 flipped: OK, or a reason */
	for (i = 0; i < 64; i++) {
		enum chk_elf_rc rc;

		memcpy(cp, img, len);
		cp[i] ^= 0xff;
		rc = chk_elf_parse(cp, len, &info);
		if (rc != CHK_ELF_OK)
			assert_non_null(info.why);
		if (i < 7)
			assert_int_equal(rc, CHK_ELF_INVALID);
	}
	free(img);
	free(cp);
}

static void test_mariadbd(void **state)
{
	struct chk_elf_deps d;
	char err[256];

	(void)state;
	if (access("/usr/sbin/mariadbd", R_OK)) {
		skip();
		return;
	}
	assert_int_equal(chk_elf_needed("/usr/sbin/mariadbd", NULL, &d, err,
					sizeof(err)),
			 0);
	/* Debian's mariadbd has no libwrap */
	assert_int_equal(chk_elf_links(&d, "libwrap.so"), -1);
	assert_true(d.n >= 10);
	chk_elf_deps_free(&d);
	same_as_ldd("/usr/sbin/mariadbd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_variants),
		cmocka_unit_test(test_parse_every_prefix_guard),
		cmocka_unit_test(test_parse_prefix_no_sections),
		cmocka_unit_test(test_parse_corrupt),
		cmocka_unit_test(test_parse_static_and_sections),
		cmocka_unit_test(test_ldcache),
		cmocka_unit_test(test_ldcache_host),
		cmocka_unit_test_setup_teardown(test_search_order, setup_tree,
						teardown_tree),
		cmocka_unit_test_setup_teardown(test_search_runpath_rules,
						setup_tree, teardown_tree),
		cmocka_unit_test_setup_teardown(test_search_errors, setup_tree,
						teardown_tree),
		cmocka_unit_test(test_wrapelf),
		cmocka_unit_test(test_wrapelf_cut_and_corrupt),
		cmocka_unit_test(test_mariadbd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
