/* elf_gabi.h - the System V gABI constants and the bounds-checked
 * getters (tcpdump's GET_*: never a struct cast) that the ELF reader
 * (elf.c) and the library search (elf_search.c) share. Private to them. */
#ifndef CONNDOCTOR_CHECK_ELF_GABI_H
#define CONNDOCTOR_CHECK_ELF_GABI_H

#include <stddef.h>
#include <stdint.h>

#include "util/bytes.h"

/* gABI constants (elf.h would do, but only these are needed and the
 * values are fixed by the ABI). */
#define EI_NIDENT	   16
#define ELFCLASS32	   1
#define ELFCLASS64	   2
#define ELFDATA2LSB	   1
#define ELFDATA2MSB	   2
#define EV_CURRENT	   1
#define ET_DYN		   3
#define PT_LOAD		   1
#define PT_DYNAMIC	   2
#define PT_INTERP	   3
#define PN_XNUM		   0xffff
#define SHN_XINDEX	   0xffff
#define SHT_NULL	   0
#define SHT_DYNAMIC	   6
#define SHT_NOBITS	   8
#define DT_NULL		   0
#define DT_NEEDED	   1
#define DT_STRTAB	   5
#define DT_STRSZ	   10
#define DT_SONAME	   14
#define DT_RPATH	   15
#define DT_RUNPATH	   29
#define DT_FLAGS	   30
#define DT_FLAGS_1	   0x6ffffffbULL
#define DF_1_NODEFLIB	   0x800
#define EM_SPARC	   2
#define EM_386		   3
#define EM_PPC		   20
#define EM_PPC64	   21
#define EM_S390		   22
#define EM_ARM		   40
#define EM_SPARCV9	   43
#define EM_IA_64	   50
#define EM_X86_64	   62
#define EM_AARCH64	   183
#define EM_RISCV	   243
#define EM_LOONGARCH	   258
#define EF_ARM_VFP_FLOAT   0x400
#define EF_RISCV_FLOAT_ABI 0x6
#define EF_RISCV_DOUBLE	   0x4
#define EF_LARCH_ABI	   0x7
#define EF_LARCH_DOUBLE	   0x3

/* The kernel refuses program header tables over 64 KiB
 * (fs/binfmt_elf.c), so nothing legitimate is bigger. */
#define PHDR_TABLE_MAX 65536
/* Files larger than this are not ELF objects worth mapping. */
#define FILE_MAX ((uint64_t)4 << 30)

struct rd {
	const uint8_t *p;
	size_t len;
	int be; /* big endian */
	int is64;
};

/* Each getter reads n bytes at off into *v through util/bytes.h; -1 when
 * they lie past len. */
static inline int get_un(const struct rd *r, uint64_t off, unsigned n,
			 uint64_t *v)
{
	struct cd_bytes b;
	uint64_t x;

	if (off > r->len)
		return -1;
	cd_bytes_init(&b, r->p + off, r->len - (size_t)off);
	switch (n) {
	case 2:
		x = r->be ? cd_bytes_be16(&b) : cd_bytes_le16(&b);
		break;
	case 4:
		x = r->be ? cd_bytes_be32(&b) : cd_bytes_le32(&b);
		break;
	case 8:
		x = r->be ? cd_bytes_be64(&b) : cd_bytes_le64(&b);
		break;
	default:
		return -1;
	}
	if (b.bad)
		return -1;
	*v = x;
	return 0;
}

static inline int get_u16(const struct rd *r, uint64_t off, uint16_t *v)
{
	uint64_t x;

	if (get_un(r, off, 2, &x))
		return -1;
	*v = (uint16_t)x;
	return 0;
}

static inline int get_u32(const struct rd *r, uint64_t off, uint32_t *v)
{
	uint64_t x;

	if (get_un(r, off, 4, &x))
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static inline int get_u64(const struct rd *r, uint64_t off, uint64_t *v)
{
	return get_un(r, off, 8, v);
}

/* An address-sized field: 4 bytes in ELFCLASS32, 8 in ELFCLASS64. */
static inline int get_addr(const struct rd *r, uint64_t off, uint64_t *v)
{
	return get_un(r, off, r->is64 ? 8 : 4, v);
}

#endif /* CONNDOCTOR_CHECK_ELF_GABI_H */
