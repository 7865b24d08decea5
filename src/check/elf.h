/* elf.h - reads an ELF file's dynamic section (System V gABI, "Dynamic
 * Section") and finds its needed libraries the way glibc's ld.so does
 * (ld.so(8): DT_RPATH, DT_RUNPATH, /etc/ld.so.cache, default dirs),
 * without running ldd or the program. Used to tell whether mysqld is
 * linked with libwrap, directly or through another library. */
#ifndef CONNDOCTOR_CHECK_ELF_H
#define CONNDOCTOR_CHECK_ELF_H

#include <stddef.h>
#include <stdint.h>

/* chk_elf_parse() results: apart, because a cut file and a corrupt one
 * call for different advice. */
enum chk_elf_rc {
	CHK_ELF_OK = 0,
	CHK_ELF_TRUNCATED, /* the file ends before what its headers describe */
	CHK_ELF_INVALID	   /* not ELF, or headers that contradict themselves */
};

#define CHK_ELF_MAX_NEEDED 128 /* DT_NEEDED entries kept per object */

/* What chk_elf_parse() reads. String pointers are borrowed from the
 * parsed buffer: valid while it is, NUL-terminated within it. */
struct chk_elf_info {
	/* e_ident and the ELF header */
	uint8_t elfclass; /* 1 ELFCLASS32, 2 ELFCLASS64 */
	uint8_t data;	  /* 1 ELFDATA2LSB, 2 ELFDATA2MSB */
	uint8_t osabi;
	uint16_t type;	  /* ET_EXEC, ET_DYN, ... */
	uint16_t machine; /* EM_X86_64, ... */
	uint32_t version; /* e_version */
	uint32_t flags;	  /* e_flags (the ARM float ABI lives here) */
	uint64_t entry;	  /* e_entry */
	uint64_t phoff;	  /* e_phoff */
	uint64_t shoff;	  /* e_shoff */
	uint16_t ehsize;  /* e_ehsize */
	uint16_t phentsize;
	uint16_t shentsize;
	uint32_t phnum;	   /* with PN_XNUM resolved from section 0 */
	uint32_t shnum;	   /* with 0 resolved from section 0 */
	uint32_t shstrndx; /* with SHN_XINDEX resolved */

	/* the dynamic section */
	int dynamic;	       /* has one (PT_DYNAMIC, or SHT_DYNAMIC) */
	int dyn_from_sections; /* found through section headers only */
	const char *interp;    /* PT_INTERP, NULL: none */
	const char *soname;    /* DT_SONAME, NULL: none */
	const char *rpath;     /* DT_RPATH, NULL: none */
	const char *runpath;   /* DT_RUNPATH, NULL: none */
	uint64_t dt_flags;     /* DT_FLAGS */
	uint64_t dt_flags_1;   /* DT_FLAGS_1 (DF_1_NODEFLIB) */
	const char *needed[CHK_ELF_MAX_NEEDED];
	size_t nneeded;	      /* kept in needed[] */
	size_t nneeded_total; /* DT_NEEDED entries in the file */

	/* on TRUNCATED or INVALID: what, and the file offset involved */
	const char *why; /* static text */
	uint64_t why_off;
};

/* Parses an ELF image held in buf[0..len): header, program headers (and
 * section headers where needed), the dynamic section and the strings it
 * names. Never reads outside buf. Returns CHK_ELF_OK, CHK_ELF_TRUNCATED
 * (some header, segment or section lies past len) or CHK_ELF_INVALID;
 * on failure only out->why and out->why_off are meaningful. A prefix of
 * a file that parses OK gives OK or TRUNCATED, never INVALID. */
enum chk_elf_rc chk_elf_parse(const uint8_t *buf, size_t len,
			      struct chk_elf_info *out);

/* The glibc ld.so.cache flags an object of this class and machine is
 * looked up with (FLAG_ELF_LIBC6 | the architecture's FLAG_*), or 0 when
 * the architecture is not known (then any libc6 entry matches). */
uint32_t chk_elf_cache_flags(const struct chk_elf_info *i);

/* The Debian multiarch triple for the object ("x86_64-linux-gnu"), or
 * NULL when not known. */
const char *chk_elf_multiarch(const struct chk_elf_info *i);

/* Looks name up in an ld.so.cache image (glibc-ld.so.cache1.1, alone or
 * after the old libc5 table), taking the first entry whose flags are
 * `flags` (or FLAG_ELF, 1) and preferring entries without hwcaps, as
 * ld.so does on a CPU without glibc-hwcaps subdirectories. Copies the
 * path to out. Returns 1 found, 0 not found, -1 when the cache is
 * truncated or invalid (with *why set). */
int chk_ldcache_find(const uint8_t *buf, size_t len, const char *name,
		     uint32_t flags, char *out, size_t outlen,
		     const char **why);

/* ---- resolution of the whole dependency tree ---- */

#define CHK_ELF_NAME	  256
#define CHK_ELF_PATH	  1024
#define CHK_ELF_MAX_DEPS  256 /* libraries kept */
#define CHK_ELF_MAX_DEPTH 16

/* How a needed library was found (ld.so(8) search order). */
enum chk_elf_how {
	CHK_ELF_NOT_FOUND = 0,
	CHK_ELF_BY_PATH,    /* the name had a '/' */
	CHK_ELF_BY_RPATH,   /* DT_RPATH of the object or one that loaded it */
	CHK_ELF_BY_RUNPATH, /* DT_RUNPATH of the object */
	CHK_ELF_BY_CACHE,   /* /etc/ld.so.cache */
	CHK_ELF_BY_DEFAULT  /* a default directory */
};

struct chk_elf_dep {
	char name[CHK_ELF_NAME]; /* as in DT_NEEDED */
	char path[CHK_ELF_PATH]; /* where it was found, "" if not */
	char soname[CHK_ELF_NAME];
	enum chk_elf_how how;
	unsigned depth;	       /* 1: needed by the program itself */
	int parent;	       /* index of the object that needed it first; -1:
				  the program */
	enum chk_elf_rc rc;    /* parse of the library itself */
	char *rpath, *runpath; /* owned copies, NULL: none */
	uint64_t flags_1;
	unsigned long long dev, ino; /* to see one file under two names */
};

/* The program and every library it needs, in ld.so's breadth-first
 * order. Owned: free with chk_elf_deps_free(). */
struct chk_elf_deps {
	char path[CHK_ELF_PATH]; /* the program as given */
	enum chk_elf_rc rc;	 /* parse of the program */
	const char *why;	 /* when rc != OK */
	uint8_t elfclass, data;
	uint16_t machine, type;
	int dynamic;		   /* 0: static, nothing is needed */
	char interp[CHK_ELF_PATH]; /* PT_INTERP, "" if none */
	char *rpath, *runpath;	   /* the program's, owned */
	uint64_t flags_1;
	char multiarch[40];    /* "" when not known */
	int cache_read;	       /* ld.so.cache was read and valid */
	const char *cache_why; /* why not, when it was not */
	struct chk_elf_dep *v;
	size_t n, cap;
	unsigned not_found; /* needed libraries not found anywhere */
	int capped;	    /* CHK_ELF_MAX_DEPS or _DEPTH was reached */
};

void chk_elf_deps_free(struct chk_elf_deps *d);

/* Reads the ELF file at path and, recursively, the libraries it needs,
 * resolved as ld.so would in a process started from it: DT_RPATH of the
 * object and its loaders (when the object has no DT_RUNPATH), then the
 * object's DT_RUNPATH, then ld.so.cache, then the default directories;
 * $ORIGIN, $LIB and $PLATFORM are expanded. LD_LIBRARY_PATH is not used:
 * it belongs to the process's environment, not to the file. rootdir
 * (NULL or "/" for none) prefixes every absolute path opened, for a
 * test's tree or another mount namespace's root; paths in *out are as
 * the process sees them. Returns 0 (libraries not found are recorded,
 * not errors), or -1 when the program cannot be read or parsed, with
 * err set (and out->rc / out->why, or errno for a system error). */
int chk_elf_needed(const char *path, const char *rootdir,
		   struct chk_elf_deps *out, char *err, size_t errlen);

/* Index in d->v of the first library whose DT_NEEDED name or resolved
 * file name starts with soname_prefix ("libwrap.so"), or -1. */
int chk_elf_links(const struct chk_elf_deps *d, const char *soname_prefix);

/* The chain that pulls library idx in, as text: "mysqld -> libfoo.so.1 ->
 * libwrap.so.0". */
void chk_elf_chain(const struct chk_elf_deps *d, int idx, char *buf,
		   size_t len);

const char *chk_elf_how_name(enum chk_elf_how how);

#endif /* CONNDOCTOR_CHECK_ELF_H */
