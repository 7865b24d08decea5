/* elf.c - ELF reader: the identification, the file header, program and
 * section headers, the dynamic section and PT_INTERP (System V gABI
 * chapters 4-5), bounds-checked. The library search is in elf_search.c. */
#include "check/elf.h"

#include <stdio.h>
#include <string.h>

#include "check/elf_gabi.h"

/* ---- the parse ---- */

/* Field offsets that differ between the classes. */
struct layout {
	unsigned ehdr, phdr, shdr, dyn;
	/* ELF header */
	unsigned e_entry, e_phoff, e_shoff, e_flags, e_ehsize;
	/* program header */
	unsigned p_offset, p_vaddr, p_filesz, p_memsz;
	/* section header */
	unsigned sh_type, sh_offset, sh_size, sh_link, sh_info;
};

static const struct layout lay32 = {
	.ehdr = 52,
	.phdr = 32,
	.shdr = 40,
	.dyn = 8,
	.e_entry = 24,
	.e_phoff = 28,
	.e_shoff = 32,
	.e_flags = 36,
	.e_ehsize = 40,
	.p_offset = 4,
	.p_vaddr = 8,
	.p_filesz = 16,
	.p_memsz = 20,
	.sh_type = 4,
	.sh_offset = 16,
	.sh_size = 20,
	.sh_link = 24,
	.sh_info = 28,
};

static const struct layout lay64 = {
	.ehdr = 64,
	.phdr = 56,
	.shdr = 64,
	.dyn = 16,
	.e_entry = 24,
	.e_phoff = 32,
	.e_shoff = 40,
	.e_flags = 48,
	.e_ehsize = 52,
	.p_offset = 8,
	.p_vaddr = 16,
	.p_filesz = 32,
	.p_memsz = 40,
	.sh_type = 4,
	.sh_offset = 24,
	.sh_size = 32,
	.sh_link = 40,
	.sh_info = 44,
};

struct seg {
	uint64_t offset, vaddr, filesz;
};

struct parse {
	struct rd r;
	const struct layout *l;
	struct chk_elf_info *out;
	const char *why;
	uint64_t why_off;
};

static enum chk_elf_rc fail(struct parse *ps, enum chk_elf_rc rc,
			    const char *why, uint64_t off)
{
	ps->why = why;
	ps->why_off = off;
	return rc;
}

/* The range [off, off+size) of the file: INVALID when it overflows,
 * TRUNCATED when it ends past len. */
static enum chk_elf_rc range(struct parse *ps, uint64_t off, uint64_t size,
			     const char *what_invalid,
			     const char *what_truncated)
{
	if (off > UINT64_MAX - size)
		return fail(ps, CHK_ELF_INVALID, what_invalid, off);
	if (off + size > ps->r.len)
		return fail(ps, CHK_ELF_TRUNCATED, what_truncated, off + size);
	return CHK_ELF_OK;
}

#define TRY(x)                                                                 \
	do {                                                                   \
		enum chk_elf_rc rc_ = (x);                                     \
		if (rc_ != CHK_ELF_OK)                                         \
			return rc_;                                            \
	} while (0)

/* Reads a header field; a read past len is a truncated file. */
#define FIELD(getter, off, dst, what)                                          \
	do {                                                                   \
		if (getter(&ps->r, (off), (dst)))                              \
			return fail(ps, CHK_ELF_TRUNCATED, (what), (off));     \
	} while (0)

static enum chk_elf_rc parse_ident(struct parse *ps)
{
	static const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
	const uint8_t *p = ps->r.p;
	size_t len = ps->r.len, i;

	for (i = 0; i < 4 && i < len; i++)
		if (p[i] != magic[i])
			return fail(ps, CHK_ELF_INVALID,
				    "not an ELF file (bad magic)", i);
	if (len > 4 && p[4] != ELFCLASS32 && p[4] != ELFCLASS64)
		return fail(ps, CHK_ELF_INVALID, "unknown ELF class", 4);
	if (len > 5 && p[5] != ELFDATA2LSB && p[5] != ELFDATA2MSB)
		return fail(ps, CHK_ELF_INVALID, "unknown ELF data encoding",
			    5);
	if (len > 6 && p[6] != EV_CURRENT)
		return fail(ps, CHK_ELF_INVALID, "unknown ELF ident version",
			    6);
	if (len < EI_NIDENT)
		return fail(ps, CHK_ELF_TRUNCATED,
			    "shorter than the ELF identification", len);
	ps->out->elfclass = p[4];
	ps->out->data = p[5];
	ps->out->osabi = p[7];
	ps->r.be = p[5] == ELFDATA2MSB;
	ps->r.is64 = p[4] == ELFCLASS64;
	ps->l = ps->r.is64 ? &lay64 : &lay32;
	return CHK_ELF_OK;
}

static enum chk_elf_rc parse_ehdr(struct parse *ps)
{
	struct chk_elf_info *o = ps->out;
	const struct layout *l = ps->l;
	const char *t = "ELF header truncated";
	uint16_t phnum, shnum, shstrndx;

	if (ps->r.len < l->ehdr)
		return fail(ps, CHK_ELF_TRUNCATED, t, ps->r.len);
	FIELD(get_u16, 16, &o->type, t);
	FIELD(get_u16, 18, &o->machine, t);
	FIELD(get_u32, 20, &o->version, t);
	FIELD(get_addr, l->e_entry, &o->entry, t);
	FIELD(get_addr, l->e_phoff, &o->phoff, t);
	FIELD(get_addr, l->e_shoff, &o->shoff, t);
	FIELD(get_u32, l->e_flags, &o->flags, t);
	FIELD(get_u16, l->e_ehsize, &o->ehsize, t);
	FIELD(get_u16, l->e_ehsize + 2, &o->phentsize, t);
	FIELD(get_u16, l->e_ehsize + 4, &phnum, t);
	FIELD(get_u16, l->e_ehsize + 6, &o->shentsize, t);
	FIELD(get_u16, l->e_ehsize + 8, &shnum, t);
	FIELD(get_u16, l->e_ehsize + 10, &shstrndx, t);
	if (o->version != EV_CURRENT)
		return fail(ps, CHK_ELF_INVALID, "unknown e_version", 20);
	o->phnum = phnum;
	o->shnum = shnum;
	o->shstrndx = shstrndx;
	return CHK_ELF_OK;
}

/* Extended numbering (gABI "Sections"): counts that do not fit the ELF
 * header live in section header 0. */
static enum chk_elf_rc parse_extended(struct parse *ps)
{
	struct chk_elf_info *o = ps->out;
	const struct layout *l = ps->l;
	const char *t = "section header 0 past the end of the file";
	uint64_t size;
	uint32_t info, link;

	if (o->shoff == 0 ||
	    (o->shnum != 0 && o->phnum != PN_XNUM && o->shstrndx != SHN_XINDEX))
		return CHK_ELF_OK;
	if (o->shentsize != l->shdr)
		return fail(ps, CHK_ELF_INVALID, "bad e_shentsize", o->shoff);
	TRY(range(ps, o->shoff, l->shdr, "e_shoff overflows", t));
	FIELD(get_addr, o->shoff + l->sh_size, &size, t);
	FIELD(get_u32, o->shoff + l->sh_link, &link, t);
	FIELD(get_u32, o->shoff + l->sh_info, &info, t);
	if (o->shnum == 0) {
		if (size > UINT32_MAX)
			return fail(ps, CHK_ELF_INVALID,
				    "section count out of range", o->shoff);
		o->shnum = (uint32_t)size;
	}
	if (o->phnum == PN_XNUM)
		o->phnum = info;
	if (o->shstrndx == SHN_XINDEX)
		o->shstrndx = link;
	return CHK_ELF_OK;
}

static enum chk_elf_rc parse_tables(struct parse *ps)
{
	struct chk_elf_info *o = ps->out;
	const struct layout *l = ps->l;

	if (o->phnum) {
		if (o->phentsize != l->phdr)
			return fail(ps, CHK_ELF_INVALID, "bad e_phentsize",
				    o->phoff);
		if ((uint64_t)o->phnum * l->phdr > PHDR_TABLE_MAX)
			return fail(ps, CHK_ELF_INVALID,
				    "program header table over 64 KiB",
				    o->phoff);
		TRY(range(ps, o->phoff, (uint64_t)o->phnum * l->phdr,
			  "e_phoff overflows",
			  "program header table past the end of the file"));
	}
	if (o->shnum && o->shoff) {
		if (o->shentsize != l->shdr)
			return fail(ps, CHK_ELF_INVALID, "bad e_shentsize",
				    o->shoff);
		TRY(range(ps, o->shoff, (uint64_t)o->shnum * l->shdr,
			  "e_shoff overflows",
			  "section header table past the end of the file"));
	}
	return CHK_ELF_OK;
}

/* What the program headers say about the dynamic section and the
 * interpreter, and the PT_LOAD segments that map addresses to offsets. */
struct segs {
	struct seg dyn, interp;
	int has_dyn, has_interp;
};

static enum chk_elf_rc read_phdr(struct parse *ps, uint32_t i, uint32_t *type,
				 struct seg *s, uint64_t *memsz)
{
	const struct layout *l = ps->l;
	uint64_t at = ps->out->phoff + (uint64_t)i * l->phdr;
	const char *t = "program header truncated";

	FIELD(get_u32, at, type, t);
	FIELD(get_addr, at + l->p_offset, &s->offset, t);
	FIELD(get_addr, at + l->p_vaddr, &s->vaddr, t);
	FIELD(get_addr, at + l->p_filesz, &s->filesz, t);
	FIELD(get_addr, at + l->p_memsz, memsz, t);
	return CHK_ELF_OK;
}

static enum chk_elf_rc parse_segments(struct parse *ps, struct segs *sg)
{
	uint32_t i;

	memset(sg, 0, sizeof(*sg));
	for (i = 0; i < ps->out->phnum; i++) {
		struct seg s;
		uint32_t type;
		uint64_t memsz;

		TRY(read_phdr(ps, i, &type, &s, &memsz));
		if (s.filesz)
			TRY(range(ps, s.offset, s.filesz,
				  "segment offset overflows",
				  "segment past the end of the file"));
		if (type == PT_LOAD && s.filesz > memsz)
			return fail(ps, CHK_ELF_INVALID,
				    "PT_LOAD with p_filesz over p_memsz",
				    s.offset);
		if (type == PT_DYNAMIC && !sg->has_dyn) {
			sg->dyn = s;
			sg->has_dyn = 1;
		} else if (type == PT_INTERP && !sg->has_interp) {
			sg->interp = s;
			sg->has_interp = 1;
		}
	}
	return CHK_ELF_OK;
}

/* Maps a virtual address to its file offset through the PT_LOAD
 * segments; *end is where that segment's file image ends. */
static int vaddr_to_off(struct parse *ps, uint64_t vaddr, uint64_t *off,
			uint64_t *end)
{
	uint32_t i;

	for (i = 0; i < ps->out->phnum; i++) {
		struct seg s;
		uint32_t type;
		uint64_t memsz;

		if (read_phdr(ps, i, &type, &s, &memsz) != CHK_ELF_OK)
			return -1;
		if (type == PT_LOAD && vaddr >= s.vaddr &&
		    vaddr - s.vaddr < s.filesz) {
			*off = s.offset + (vaddr - s.vaddr);
			*end = s.offset + s.filesz;
			return 0;
		}
	}
	return -1;
}

/* The section headers: every section's bytes must be in the file (so a
 * cut file is seen as cut wherever the cut is), and the first
 * SHT_DYNAMIC section with its string table, for objects without
 * program headers. */
static enum chk_elf_rc parse_sections(struct parse *ps, struct seg *dyn,
				      struct seg *dynstr, int *has_dyn)
{
	const struct chk_elf_info *o = ps->out;
	const struct layout *l = ps->l;
	const char *t = "section header truncated";
	uint32_t i;

	*has_dyn = 0;
	if (!o->shoff)
		return CHK_ELF_OK;
	for (i = 0; i < o->shnum; i++) {
		uint64_t at = o->shoff + (uint64_t)i * l->shdr, off, size;
		uint32_t type, link;

		FIELD(get_u32, at + l->sh_type, &type, t);
		FIELD(get_addr, at + l->sh_offset, &off, t);
		FIELD(get_addr, at + l->sh_size, &size, t);
		FIELD(get_u32, at + l->sh_link, &link, t);
		if (type == SHT_NULL || type == SHT_NOBITS || !size)
			continue;
		TRY(range(ps, off, size, "section offset overflows",
			  "section past the end of the file"));
		if (type == SHT_DYNAMIC && !*has_dyn) {
			uint64_t lat = o->shoff + (uint64_t)link * l->shdr;

			if (link == 0 || link >= o->shnum)
				return fail(ps, CHK_ELF_INVALID,
					    "SHT_DYNAMIC with a bad sh_link",
					    at);
			dyn->offset = off;
			dyn->filesz = size;
			FIELD(get_addr, lat + l->sh_offset, &dynstr->offset, t);
			FIELD(get_addr, lat + l->sh_size, &dynstr->filesz, t);
			TRY(range(ps, dynstr->offset, dynstr->filesz,
				  "section offset overflows",
				  "section past the end of the file"));
			*has_dyn = 1;
		}
	}
	return CHK_ELF_OK;
}

/* The string at offset `at` of a string table [tab, tab+size): it must be
 * inside and NUL-terminated inside. */
static enum chk_elf_rc get_str(struct parse *ps, uint64_t tab, uint64_t size,
			       uint64_t at, const char **s)
{
	const uint8_t *p;
	const void *nul;

	if (at >= size)
		return fail(ps, CHK_ELF_INVALID,
			    "string offset past the string table", tab);
	/* tab+size lies within the file (checked by the caller). */
	p = ps->r.p + tab + at;
	nul = memchr(p, 0, (size_t)(size - at));
	if (!nul)
		return fail(ps, CHK_ELF_INVALID,
			    "string not terminated in the string table",
			    tab + at);
	*s = (const char *)p;
	return CHK_ELF_OK;
}

/* Offsets of the dynamic entries that name strings, for later lookup. */
struct dyn_strs {
	uint64_t needed[CHK_ELF_MAX_NEEDED];
	uint64_t soname, rpath, runpath;
	int has_soname, has_rpath, has_runpath;
	uint64_t strtab, strsz;
	int has_strtab, has_strsz;
};

static enum chk_elf_rc parse_dyn_entries(struct parse *ps, const struct seg *d,
					 struct dyn_strs *ds)
{
	struct chk_elf_info *o = ps->out;
	const struct layout *l = ps->l;
	uint64_t n = d->filesz / l->dyn, i;
	const char *t = "dynamic entry truncated";

	memset(ds, 0, sizeof(*ds));
	for (i = 0; i < n; i++) {
		uint64_t at = d->offset + i * l->dyn, tag, val;

		FIELD(get_addr, at, &tag, t);
		FIELD(get_addr, at + l->dyn / 2, &val, t);
		if (tag == DT_NULL)
			break;
		switch (tag) {
		case DT_NEEDED:
			if (o->nneeded < CHK_ELF_MAX_NEEDED)
				ds->needed[o->nneeded++] = val;
			o->nneeded_total++;
			break;
		case DT_STRTAB:
			ds->strtab = val;
			ds->has_strtab = 1;
			break;
		case DT_STRSZ:
			ds->strsz = val;
			ds->has_strsz = 1;
			break;
		case DT_SONAME:
			ds->soname = val;
			ds->has_soname = 1;
			break;
		case DT_RPATH:
			ds->rpath = val;
			ds->has_rpath = 1;
			break;
		case DT_RUNPATH:
			ds->runpath = val;
			ds->has_runpath = 1;
			break;
		case DT_FLAGS:
			o->dt_flags = val;
			break;
		case DT_FLAGS_1:
			o->dt_flags_1 = val;
			break;
		default:
			break;
		}
	}
	return CHK_ELF_OK;
}

static enum chk_elf_rc parse_dynamic(struct parse *ps, const struct segs *sg)
{
	struct chk_elf_info *o = ps->out;
	struct seg dyn = {0}, dynstr = {0};
	struct dyn_strs ds;
	uint64_t tab, size;
	int has_sec_dyn;
	size_t i;

	TRY(parse_sections(ps, &dyn, &dynstr, &has_sec_dyn));
	if (sg->has_dyn) {
		dyn = sg->dyn;
	} else if (has_sec_dyn) {
		o->dyn_from_sections = 1;
	} else {
		return CHK_ELF_OK; /* static: needs nothing */
	}
	o->dynamic = 1;
	TRY(parse_dyn_entries(ps, &dyn, &ds));
	if (!o->nneeded && !ds.has_soname && !ds.has_rpath && !ds.has_runpath)
		return CHK_ELF_OK;
	if (o->dyn_from_sections) {
		tab = dynstr.offset;
		size = dynstr.filesz;
	} else {
		uint64_t end;

		if (!ds.has_strtab)
			return fail(ps, CHK_ELF_INVALID,
				    "dynamic section names strings but has no "
				    "DT_STRTAB",
				    dyn.offset);
		if (vaddr_to_off(ps, ds.strtab, &tab, &end))
			return fail(ps, CHK_ELF_INVALID,
				    "DT_STRTAB is not in a loaded segment",
				    dyn.offset);
		size = end - tab;
		if (ds.has_strsz && ds.strsz < size)
			size = ds.strsz;
	}
	for (i = 0; i < o->nneeded; i++)
		TRY(get_str(ps, tab, size, ds.needed[i], &o->needed[i]));
	if (ds.has_soname)
		TRY(get_str(ps, tab, size, ds.soname, &o->soname));
	if (ds.has_rpath)
		TRY(get_str(ps, tab, size, ds.rpath, &o->rpath));
	if (ds.has_runpath)
		TRY(get_str(ps, tab, size, ds.runpath, &o->runpath));
	return CHK_ELF_OK;
}

static enum chk_elf_rc parse_interp(struct parse *ps, const struct segs *sg)
{
	const uint8_t *p;

	if (!sg->has_interp)
		return CHK_ELF_OK;
	if (!sg->interp.filesz)
		return fail(ps, CHK_ELF_INVALID, "PT_INTERP is empty",
			    sg->interp.offset);
	/* In the file: parse_segments() checked a non-empty segment. */
	p = ps->r.p + sg->interp.offset;
	if (!memchr(p, 0, (size_t)sg->interp.filesz))
		return fail(ps, CHK_ELF_INVALID,
			    "PT_INTERP is not a terminated string",
			    sg->interp.offset);
	ps->out->interp = (const char *)p;
	return CHK_ELF_OK;
}

static enum chk_elf_rc parse_all(struct parse *ps)
{
	struct segs sg;

	TRY(parse_ident(ps));
	TRY(parse_ehdr(ps));
	TRY(parse_extended(ps));
	TRY(parse_tables(ps));
	TRY(parse_segments(ps, &sg));
	TRY(parse_interp(ps, &sg));
	return parse_dynamic(ps, &sg);
}

enum chk_elf_rc chk_elf_parse(const uint8_t *buf, size_t len,
			      struct chk_elf_info *out)
{
	struct parse ps;
	enum chk_elf_rc rc;

	memset(out, 0, sizeof(*out));
	memset(&ps, 0, sizeof(ps));
	ps.r.p = buf;
	ps.r.len = buf ? len : 0;
	ps.out = out;
	rc = parse_all(&ps);
	if (rc != CHK_ELF_OK) {
		memset(out, 0, sizeof(*out));
		out->why = ps.why;
		out->why_off = ps.why_off;
	}
	return rc;
}
