/* elf_search.c - ld.so's library search without ldd: the cache flags and
 * multiarch directories of an object's architecture, the ld.so.cache
 * format, and the DT_NEEDED walk in ld.so's order (glibc elf/dl-load.c and
 * elf/dl-cache.c). */
#include "check/elf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check/elf_gabi.h"
#include "util/vec.h"

/* ---- architecture: cache flags, multiarch triple, $PLATFORM ---- */

#define FLAG_ELF       0x0001
#define FLAG_ELF_LIBC6 0x0003

uint32_t chk_elf_cache_flags(const struct chk_elf_info *i)
{
	int is64 = i->elfclass == ELFCLASS64;

	/* glibc sysdeps/.../dl-cache.h: _DL_CACHE_DEFAULT_ID per ABI. */
	switch (i->machine) {
	case EM_X86_64:
		return is64 ? 0x0303 : 0x0803; /* LIB64 / LIBX32 */
	case EM_386:
	case EM_PPC:
	case EM_SPARC:
		return FLAG_ELF_LIBC6;
	case EM_AARCH64:
		return 0x0a03;
	case EM_ARM:
		return (i->flags & EF_ARM_VFP_FLOAT) ? 0x0903 : 0x0b03;
	case EM_PPC64:
		return 0x0503;
	case EM_S390:
		return is64 ? 0x0203 : FLAG_ELF_LIBC6;
	case EM_IA_64:
		return 0x0403;
	case EM_SPARCV9:
		return 0x0103;
	case EM_RISCV:
		if (!is64)
			return 0;
		return (i->flags & EF_RISCV_FLOAT_ABI) == EF_RISCV_DOUBLE
			       ? 0x1003
			       : 0x0f03;
	case EM_LOONGARCH:
		return (i->flags & EF_LARCH_ABI) == EF_LARCH_DOUBLE ? 0x1203
								    : 0x1103;
	default:
		return 0;
	}
}

const char *chk_elf_multiarch(const struct chk_elf_info *i)
{
	int is64 = i->elfclass == ELFCLASS64, be = i->data == ELFDATA2MSB;

	switch (i->machine) {
	case EM_X86_64:
		return is64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
	case EM_386:
		return "i386-linux-gnu";
	case EM_AARCH64:
		return be ? "aarch64_be-linux-gnu" : "aarch64-linux-gnu";
	case EM_ARM:
		return (i->flags & EF_ARM_VFP_FLOAT) ? "arm-linux-gnueabihf"
						     : "arm-linux-gnueabi";
	case EM_PPC64:
		return be ? "powerpc64-linux-gnu" : "powerpc64le-linux-gnu";
	case EM_PPC:
		return "powerpc-linux-gnu";
	case EM_S390:
		return is64 ? "s390x-linux-gnu" : "s390-linux-gnu";
	case EM_RISCV:
		return is64 ? "riscv64-linux-gnu" : NULL;
	case EM_LOONGARCH:
		return "loongarch64-linux-gnu";
	case EM_SPARCV9:
		return "sparc64-linux-gnu";
	default:
		return NULL;
	}
}

/* AT_PLATFORM as the kernel reports it, for $PLATFORM; NULL: unknown. */
static const char *platform_of(uint16_t machine, int is64)
{
	switch (machine) {
	case EM_X86_64:
		return is64 ? "x86_64" : NULL;
	case EM_386:
		return "i686";
	case EM_AARCH64:
		return "aarch64";
	default:
		return NULL;
	}
}

/* ---- ld.so.cache (glibc elf/dl-cache.h) ---- */

#define CACHEMAGIC_OLD	 "ld.so-1.7.0"
#define CACHEMAGIC_NEW	 "glibc-ld.so.cache1.1"
#define CACHE_OLD_HDR	 16 /* magic[11], pad, nlibs */
#define CACHE_OLD_ENTRY	 12
#define CACHE_NEW_HDR	 48
#define CACHE_NEW_ENTRY	 24
#define CACHE_ENDIAN_LE	 2
#define CACHE_ENDIAN_BE	 3
#define CACHE_ENDIAN_BAD 1

static int cache_err(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -1;
}

/* A cache string at offset `at` of [base, base+size), NUL-terminated. */
static const char *cache_str(const uint8_t *base, size_t size, uint32_t at)
{
	if (at >= size || !memchr(base + at, 0, size - at))
		return NULL;
	return (const char *)(base + at);
}

static int cache_flags_match(int32_t flags, uint32_t want)
{
	if (flags == FLAG_ELF)
		return 1;
	if (want == 0)
		return (flags & 0xff) == FLAG_ELF_LIBC6;
	return (uint32_t)flags == want;
}

int chk_ldcache_find(const uint8_t *buf, size_t len, const char *name,
		     uint32_t flags, char *out, size_t outlen, const char **why)
{
	size_t off = 0, n = strlen(CACHEMAGIC_NEW), rest;
	struct rd r;
	uint32_t nlibs, i;
	uint8_t endian;
	const char *hw_path = NULL;

	if (len >= strlen(CACHEMAGIC_OLD) &&
	    !memcmp(buf, CACHEMAGIC_OLD, strlen(CACHEMAGIC_OLD))) {
		uint32_t old;

		r.p = buf;
		r.len = len;
		r.be = 0;
		r.is64 = 0;
		if (get_u32(&r, 12, &old))
			return cache_err(why, "ld.so.cache truncated");
		/* The new table follows, aligned like struct cache_file_new
		 * (8 bytes). */
		if ((uint64_t)old * CACHE_OLD_ENTRY > len)
			return cache_err(why, "ld.so.cache truncated");
		off = CACHE_OLD_HDR + (size_t)old * CACHE_OLD_ENTRY;
		off = (off + 7) & ~(size_t)7;
		if (off > len)
			return cache_err(why, "ld.so.cache truncated");
	}
	rest = len - off;
	if (rest < n || memcmp(buf + off, CACHEMAGIC_NEW, n))
		return cache_err(why, rest < n ? "ld.so.cache truncated"
					       : "ld.so.cache: no glibc "
						 "1.1 table");
	if (rest < CACHE_NEW_HDR)
		return cache_err(why, "ld.so.cache truncated");
	endian = buf[off + 28];
	if (endian == CACHE_ENDIAN_BAD)
		return cache_err(why, "ld.so.cache: invalid byte order flag");
	r.p = buf + off;
	r.len = rest;
	r.is64 = 0;
	/* 0: written before the flag existed, in the host's order. */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	r.be = endian != CACHE_ENDIAN_LE;
#else
	r.be = endian == CACHE_ENDIAN_BE;
#endif
	if (get_u32(&r, 20, &nlibs))
		return cache_err(why, "ld.so.cache truncated");
	if ((uint64_t)nlibs * CACHE_NEW_ENTRY > rest - CACHE_NEW_HDR)
		return cache_err(why, "ld.so.cache truncated");
	for (i = 0; i < nlibs; i++) {
		uint64_t at = CACHE_NEW_HDR + (uint64_t)i * CACHE_NEW_ENTRY,
			 hwcap;
		uint32_t eflags, key, value;
		const char *k, *v;

		/* In range: nlibs was checked against the size above. */
		if (get_u32(&r, at, &eflags) || get_u32(&r, at + 4, &key) ||
		    get_u32(&r, at + 8, &value) || get_u64(&r, at + 16, &hwcap))
			return cache_err(why, "ld.so.cache truncated");
		/* Strings are relative to the new header (dl-cache.c
		 * cache_data); every entry's are checked, so a lookup of a
		 * name no cache holds validates the whole table. */
		k = cache_str(r.p, rest, key);
		v = cache_str(r.p, rest, value);
		if (!k || !v)
			return cache_err(why, "ld.so.cache: string offset out "
					      "of range");
		if (!cache_flags_match((int32_t)eflags, flags))
			continue;
		if (strcmp(k, name))
			continue;
		if (hwcap) {
			if (!hw_path)
				hw_path = v;
			continue;
		}
		hw_path = v;
		break;
	}
	if (!hw_path)
		return 0;
	if (strlen(hw_path) >= outlen)
		return cache_err(why, "ld.so.cache: path too long");
	memcpy(out, hw_path, strlen(hw_path) + 1);
	return 1;
}

/* ---- files ---- */

/* rootdir + path when there is a rootdir. -1 when it does not fit. */
static int root_path(const char *rootdir, const char *path, char *out,
		     size_t len)
{
	int n;

	if (!rootdir || !rootdir[0] || !strcmp(rootdir, "/"))
		n = snprintf(out, len, "%s", path);
	else
		n = snprintf(out, len, "%s%s%s", rootdir,
			     path[0] == '/' ? "" : "/", path);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* One object read and parsed, with owned copies of what outlives the
 * mapping. */
struct obj {
	struct chk_elf_info info; /* pointers cleared after unmapping */
	enum chk_elf_rc rc;
	char soname[CHK_ELF_NAME];
	char interp[CHK_ELF_PATH];
	char *rpath, *runpath;
	char **needed;
	size_t nneeded;
	unsigned long long dev, ino;
};

static void obj_free(struct obj *o)
{
	size_t i;

	free(o->rpath);
	free(o->runpath);
	for (i = 0; i < o->nneeded; i++)
		free(o->needed[i]);
	free(o->needed);
	memset(o, 0, sizeof(*o));
}

static int copy_str(char **dst, const char *s)
{
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -1;
}

/* Copies the borrowed strings of o->info before the mapping goes. */
static int obj_keep(struct obj *o)
{
	const struct chk_elf_info *i = &o->info;
	size_t k;

	snprintf(o->soname, sizeof(o->soname), "%s",
		 i->soname ? i->soname : "");
	snprintf(o->interp, sizeof(o->interp), "%s",
		 i->interp ? i->interp : "");
	if (copy_str(&o->rpath, i->rpath) || copy_str(&o->runpath, i->runpath))
		return -1;
	if (i->nneeded) {
		o->needed = calloc(i->nneeded, sizeof(*o->needed));
		if (!o->needed)
			return -1;
		for (k = 0; k < i->nneeded; k++) {
			if (copy_str(&o->needed[k], i->needed[k]))
				return -1;
			o->nneeded++;
		}
	}
	return 0;
}

/* Reads and parses the file at rootdir+path. Returns 0 (o->rc says how
 * the parse went), -1 with errno for a system error, or -2 out of
 * memory. */
static int obj_load(const char *rootdir, const char *path, struct obj *o)
{
	char full[CHK_ELF_PATH + PATH_MAX];
	struct stat st;
	void *map = NULL;
	int fd, rc = -1, saved;

	memset(o, 0, sizeof(*o));
	if (root_path(rootdir, path, full, sizeof(full))) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st))
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > FILE_MAX) {
		errno = EFBIG;
		goto out;
	}
	o->dev = (unsigned long long)st.st_dev;
	o->ino = (unsigned long long)st.st_ino;
	/* Mapped, not read: mysqld is tens of MB and only its headers,
	 * dynamic section and strings are touched. Packages replace
	 * binaries by rename, so the mapped file is not cut under us. */
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
			   0);
		if (map == MAP_FAILED)
			goto out;
	}
	o->rc = chk_elf_parse(map, (size_t)st.st_size, &o->info);
	rc = 0;
	if (o->rc == CHK_ELF_OK && obj_keep(o))
		rc = -2;
	if (map)
		munmap(map, (size_t)st.st_size);
	/* The borrowed pointers died with the mapping. */
	o->info.interp = o->info.soname = NULL;
	o->info.rpath = o->info.runpath = NULL;
	memset(o->info.needed, 0, sizeof(o->info.needed));
out:
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* ---- search ---- */

struct search {
	const char *rootdir;
	struct chk_elf_deps *d;
	uint8_t *cache; /* ld.so.cache image, NULL: none */
	size_t cache_len;
	uint32_t cache_flags;
	char origin[CHK_ELF_PATH]; /* the program's $ORIGIN */
	struct chk_elf_info prog;  /* class and machine of the program */
};

static void dirname_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, len, ".");
	else if (slash == path)
		snprintf(out, len, "/");
	else
		snprintf(out, len, "%.*s", (int)(slash - path), path);
}

/* Appends s to out (cap len, at *pos); -1 when it does not fit. */
static int put(char *out, size_t len, size_t *pos, const char *s, size_t n)
{
	if (*pos + n >= len)
		return -1;
	memcpy(out + *pos, s, n);
	*pos += n;
	out[*pos] = '\0';
	return 0;
}

/* Expands $ORIGIN, $LIB and $PLATFORM (also as ${...}) in one path
 * element (ld.so(8) "Dynamic string tokens"). -1: does not fit, or a
 * token this host cannot know. */
static int expand_dst(const struct search *s, const char *origin,
		      const char *in, size_t inlen, char *out, size_t len)
{
	static const char *const names[] = {"ORIGIN", "LIB", "PLATFORM"};
	size_t i = 0, pos = 0;
	char lib[64];

	out[0] = '\0';
	if (s->d->multiarch[0])
		snprintf(lib, sizeof(lib), "lib/%s", s->d->multiarch);
	else
		snprintf(lib, sizeof(lib), "%s",
			 s->prog.elfclass == ELFCLASS64 ? "lib64" : "lib");
	while (i < inlen) {
		const char *val = NULL;
		size_t k, used = 0;

		if (in[i] != '$') {
			if (put(out, len, &pos, in + i, 1))
				return -1;
			i++;
			continue;
		}
		for (k = 0; k < 3 && !val; k++) {
			size_t nl = strlen(names[k]);

			if (inlen - i - 1 >= nl &&
			    !strncmp(in + i + 1, names[k], nl)) {
				used = 1 + nl;
			} else if (inlen - i - 1 >= nl + 2 &&
				   in[i + 1] == '{' &&
				   !strncmp(in + i + 2, names[k], nl) &&
				   in[i + 2 + nl] == '}') {
				used = 3 + nl;
			} else {
				continue;
			}
			val = k == 0   ? origin
			      : k == 1 ? lib
				       : platform_of(s->prog.machine,
						     s->prog.elfclass ==
							     ELFCLASS64);
			if (!val)
				return -1;
		}
		if (!val) { /* not a token ld.so knows: kept as it is */
			if (put(out, len, &pos, "$", 1))
				return -1;
			i++;
			continue;
		}
		if (put(out, len, &pos, val, strlen(val)))
			return -1;
		i += used;
	}
	return 0;
}

/* Whether the file at path is an object this program can load: the ELF
 * header's class, byte order and machine match (glibc open_verify();
 * ld.so skips a mismatch and searches on). */
static int loadable(const struct search *s, const char *path)
{
	char full[CHK_ELF_PATH + PATH_MAX];
	uint8_t hdr[64];
	struct chk_elf_info hi;
	struct rd r;
	ssize_t n;
	int fd;

	if (root_path(s->rootdir, path, full, sizeof(full)))
		return 0;
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return 0;
	n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n < 20 || memcmp(hdr, "\177ELF", 4))
		return 0;
	memset(&hi, 0, sizeof(hi));
	r.p = hdr;
	r.len = (size_t)n;
	r.be = hdr[5] == ELFDATA2MSB;
	r.is64 = hdr[4] == ELFCLASS64;
	if (get_u16(&r, 18, &hi.machine))
		return 0;
	return hdr[4] == s->prog.elfclass && hdr[5] == s->prog.data &&
	       hi.machine == s->prog.machine;
}

/* Searches a ':'-separated list (an RPATH or RUNPATH, with DSTs) for
 * name; origin is the directory of the object the list belongs to. */
static int search_list(const struct search *s, const char *list,
		       const char *origin, const char *name, char *out,
		       size_t outlen)
{
	const char *p = list;

	while (p && *p) {
		size_t n = strcspn(p, ":");
		char dir[CHK_ELF_PATH];

		/* An empty element means the process's working
		 * directory, which a file cannot tell: skipped. */
		if (n && !expand_dst(s, origin, p, n, dir, sizeof(dir))) {
			size_t dl = strlen(dir);
			int w;

			while (dl > 1 && dir[dl - 1] == '/')
				dir[--dl] = '\0';
			w = snprintf(out, outlen, "%s/%s",
				     strcmp(dir, "/") ? dir : "", name);
			if (w > 0 && (size_t)w < outlen && loadable(s, out))
				return 1;
		}
		p += n;
		if (*p == ':')
			p++;
	}
	return 0;
}

/* The default directories (glibc SYSTEM_DIRS; Debian's multiarch ones
 * first). */
static int search_default(const struct search *s, const char *name, char *out,
			  size_t outlen)
{
	char list[256];
	const char *ma = s->d->multiarch;
	int is64 = s->prog.elfclass == ELFCLASS64;

	if (ma[0])
		snprintf(list, sizeof(list),
			 "/lib/%s:/usr/lib/%s:%s/lib:/usr/lib", ma, ma,
			 is64 ? "/lib64:/usr/lib64:" : "");
	else
		snprintf(list, sizeof(list), "%s/lib:/usr/lib",
			 is64 ? "/lib64:/usr/lib64:" : "");
	return search_list(s, list, "/", name, out, outlen);
}

/* The object that needed a library: the program (idx -1) or a dep. */
struct loader {
	const char *path;
	const char *rpath, *runpath;
	uint64_t flags_1;
	int parent;
};

static void loader_of(const struct search *s, int idx, struct loader *l)
{
	const struct chk_elf_deps *d = s->d;

	if (idx < 0) {
		l->path = d->path;
		l->rpath = d->rpath;
		l->runpath = d->runpath;
		l->flags_1 = d->flags_1;
		l->parent = -2;
	} else {
		const struct chk_elf_dep *x = &d->v[idx];

		l->path = x->path;
		l->rpath = x->rpath;
		l->runpath = x->runpath;
		l->flags_1 = x->flags_1;
		l->parent = x->parent;
	}
}

static void origin_of(const struct search *s, int idx, char *out, size_t len)
{
	if (idx < 0)
		snprintf(out, len, "%s", s->origin);
	else
		dirname_of(s->d->v[idx].path, out, len);
}

/* ld.so's order for a name needed by object idx (glibc _dl_map_object):
 * a name with a slash is a path; else RPATHs of the object and its
 * loaders up to the program (only when the object has no RUNPATH; an
 * object's RPATH is ignored when it has a RUNPATH too), the object's
 * RUNPATH, the cache, the default directories (these two not with
 * DF_1_NODEFLIB). */
static enum chk_elf_how resolve(const struct search *s, int idx,
				const char *name, char *out, size_t outlen)
{
	struct loader l;
	char origin[CHK_ELF_PATH];
	const char *why;
	int at;

	loader_of(s, idx, &l);
	if (strchr(name, '/')) {
		origin_of(s, idx, origin, sizeof(origin));
		if (!expand_dst(s, origin, name, strlen(name), out, outlen) &&
		    loadable(s, out))
			return CHK_ELF_BY_PATH;
		return CHK_ELF_NOT_FOUND;
	}
	if (!l.runpath) {
		/* Bounded: a parent always has a smaller index. */
		for (at = idx;;) {
			struct loader a;

			loader_of(s, at, &a);
			origin_of(s, at, origin, sizeof(origin));
			if (a.rpath && !a.runpath &&
			    search_list(s, a.rpath, origin, name, out, outlen))
				return CHK_ELF_BY_RPATH;
			if (at < 0)
				break;
			at = a.parent;
		}
	}
	if (l.runpath) {
		origin_of(s, idx, origin, sizeof(origin));
		if (search_list(s, l.runpath, origin, name, out, outlen))
			return CHK_ELF_BY_RUNPATH;
	}
	if (l.flags_1 & DF_1_NODEFLIB)
		return CHK_ELF_NOT_FOUND;
	if (s->cache &&
	    chk_ldcache_find(s->cache, s->cache_len, name, s->cache_flags, out,
			     outlen, &why) == 1 &&
	    loadable(s, out))
		return CHK_ELF_BY_CACHE;
	if (search_default(s, name, out, outlen))
		return CHK_ELF_BY_DEFAULT;
	return CHK_ELF_NOT_FOUND;
}

/* Whether a library of that name is already in the list (ld.so compares
 * the needed name with the names and sonames of loaded objects). */
static int known(const struct chk_elf_deps *d, const char *name,
		 const char *prog_soname)
{
	size_t i;

	if (prog_soname[0] && !strcmp(prog_soname, name))
		return 1;
	for (i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].name, name) ||
		    (d->v[i].soname[0] && !strcmp(d->v[i].soname, name)))
			return 1;
	return 0;
}

/* Dependencies one search may record. */
#define DEPS_MAX (1u << 20)

static struct chk_elf_dep *dep_add(struct chk_elf_deps *d)
{
	struct chk_elf_dep *x, *nv;

	nv = cd_vec_grow(d->v, sizeof(*nv), d->n + 1, &d->cap, DEPS_MAX, 32);
	if (!nv)
		return NULL;
	d->v = nv;
	x = &d->v[d->n++];
	memset(x, 0, sizeof(*x));
	return x;
}

/* Reads the ld.so.cache under rootdir into s->cache (best effort). */
static void read_cache(struct search *s)
{
	char full[PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	s->d->cache_why = "not found";
	if (root_path(s->rootdir, "/etc/ld.so.cache", full, sizeof(full)))
		return;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	s->d->cache_why = "unreadable";
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > 64 * 1024 * 1024)
		goto out;
	s->cache = malloc((size_t)st.st_size);
	if (!s->cache)
		goto out;
	n = read(fd, s->cache, (size_t)st.st_size);
	if (n != st.st_size) {
		free(s->cache);
		s->cache = NULL;
		goto out;
	}
	s->cache_len = (size_t)n;
	{
		char tmp[8];
		const char *why = NULL;

		/* Validates the whole table once (see chk_ldcache_find). */
		if (chk_ldcache_find(s->cache, s->cache_len, "\n", 0, tmp,
				     sizeof(tmp), &why) < 0) {
			s->d->cache_why = why;
			free(s->cache);
			s->cache = NULL;
			goto out;
		}
	}
	s->d->cache_read = 1;
	s->d->cache_why = NULL;
out:
	close(fd);
}

/* Adds the libraries object idx needs (names in needed[]). */
static int add_needed(struct search *s, int idx, unsigned depth,
		      char *const *needed, size_t nneeded,
		      const char *prog_soname)
{
	struct chk_elf_deps *d = s->d;
	size_t k;

	for (k = 0; k < nneeded; k++) {
		struct chk_elf_dep *x;
		char path[CHK_ELF_PATH];
		enum chk_elf_how how;
		struct obj o;
		size_t j;
		int dup = 0, lr;

		if (known(d, needed[k], prog_soname))
			continue;
		if (d->n >= CHK_ELF_MAX_DEPS || depth > CHK_ELF_MAX_DEPTH) {
			d->capped = 1;
			return 0;
		}
		path[0] = '\0';
		how = resolve(s, idx, needed[k], path, sizeof(path));
		memset(&o, 0, sizeof(o));
		lr = how == CHK_ELF_NOT_FOUND ? -1
					      : obj_load(s->rootdir, path, &o);
		if (lr == -2)
			return -1;
		/* One file under two names is loaded once. */
		for (j = 0; lr == 0 && j < d->n && !dup; j++)
			dup = d->v[j].path[0] && d->v[j].dev == o.dev &&
			      d->v[j].ino == o.ino;
		if (dup) {
			obj_free(&o);
			continue;
		}
		x = dep_add(d);
		if (!x) {
			obj_free(&o);
			return -1;
		}
		snprintf(x->name, sizeof(x->name), "%s", needed[k]);
		x->depth = depth;
		x->parent = idx;
		if (lr != 0) {
			x->how = CHK_ELF_NOT_FOUND;
			d->not_found++;
			obj_free(&o);
			continue;
		}
		x->how = how;
		snprintf(x->path, sizeof(x->path), "%s", path);
		x->rc = o.rc;
		snprintf(x->soname, sizeof(x->soname), "%s", o.soname);
		x->rpath = o.rpath;
		x->runpath = o.runpath;
		o.rpath = o.runpath = NULL;
		x->flags_1 = o.info.dt_flags_1;
		x->dev = o.dev;
		x->ino = o.ino;
		/* Its own needed list is read when the walk reaches it. */
		obj_free(&o);
	}
	return 0;
}

/* The program's $ORIGIN: the directory of its real path (ld.so reads
 * /proc/self/exe, which has every symlink resolved). */
static void program_origin(struct search *s, const char *path)
{
	char full[CHK_ELF_PATH + PATH_MAX], real[PATH_MAX], root[PATH_MAX];
	size_t rl = 0;

	dirname_of(path, s->origin, sizeof(s->origin));
	if (root_path(s->rootdir, path, full, sizeof(full)) ||
	    !realpath(full, real))
		return;
	if (s->rootdir && s->rootdir[0] && strcmp(s->rootdir, "/")) {
		if (!realpath(s->rootdir, root))
			return;
		rl = strcmp(root, "/") ? strlen(root) : 0;
		if (strncmp(real, root, rl) || real[rl] != '/')
			return;
	}
	dirname_of(real + rl, s->origin, sizeof(s->origin));
}

int chk_elf_needed(const char *path, const char *rootdir,
		   struct chk_elf_deps *out, char *err, size_t errlen)
{
	struct search s;
	struct obj prog;
	const char *ma;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	s.rootdir = rootdir;
	s.d = out;
	snprintf(out->path, sizeof(out->path), "%s", path);
	rc = obj_load(rootdir, path, &prog);
	if (rc == -2) {
		snprintf(err, errlen, "out of memory");
		obj_free(&prog);
		return -1;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	out->rc = prog.rc;
	if (prog.rc != CHK_ELF_OK) {
		out->why = prog.info.why;
		snprintf(err, errlen, "%s: %s ELF file: %s (offset %llu)", path,
			 prog.rc == CHK_ELF_TRUNCATED ? "truncated" : "invalid",
			 prog.info.why, (unsigned long long)prog.info.why_off);
		obj_free(&prog);
		return -1;
	}
	s.prog = prog.info;
	out->elfclass = prog.info.elfclass;
	out->data = prog.info.data;
	out->machine = prog.info.machine;
	out->type = prog.info.type;
	out->dynamic = prog.info.dynamic;
	out->flags_1 = prog.info.dt_flags_1;
	snprintf(out->interp, sizeof(out->interp), "%s", prog.interp);
	out->rpath = prog.rpath;
	out->runpath = prog.runpath;
	prog.rpath = prog.runpath = NULL;
	ma = chk_elf_multiarch(&prog.info);
	snprintf(out->multiarch, sizeof(out->multiarch), "%s", ma ? ma : "");
	s.cache_flags = chk_elf_cache_flags(&prog.info);
	program_origin(&s, path);
	read_cache(&s);

	rc = add_needed(&s, -1, 1, prog.needed, prog.nneeded, prog.soname);
	/* Breadth first: the list grows while it is walked. */
	for (i = 0; rc == 0 && i < out->n; i++) {
		struct obj o;
		int lr;

		if (out->v[i].how == CHK_ELF_NOT_FOUND ||
		    out->v[i].rc != CHK_ELF_OK)
			continue;
		lr = obj_load(rootdir, out->v[i].path, &o);
		if (lr == -2)
			rc = -1;
		else if (lr == 0 && o.rc == CHK_ELF_OK)
			rc = add_needed(&s, (int)i, out->v[i].depth + 1,
					o.needed, o.nneeded, prog.soname);
		obj_free(&o);
	}
	obj_free(&prog);
	free(s.cache);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		chk_elf_deps_free(out);
		return -1;
	}
	return 0;
}

void chk_elf_deps_free(struct chk_elf_deps *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].rpath);
		free(d->v[i].runpath);
	}
	free(d->v);
	free(d->rpath);
	free(d->runpath);
	memset(d, 0, sizeof(*d));
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

int chk_elf_links(const struct chk_elf_deps *d, const char *soname_prefix)
{
	size_t i, n = strlen(soname_prefix);

	for (i = 0; i < d->n; i++) {
		const struct chk_elf_dep *x = &d->v[i];

		if (!strncmp(base_name(x->name), soname_prefix, n) ||
		    (x->path[0] &&
		     !strncmp(base_name(x->path), soname_prefix, n)))
			return (int)i;
	}
	return -1;
}

void chk_elf_chain(const struct chk_elf_deps *d, int idx, char *buf, size_t len)
{
	int chain[CHK_ELF_MAX_DEPTH + 2], n = 0, k;
	size_t pos;

	buf[0] = '\0';
	if (!len)
		return;
	for (k = idx; k >= 0 && k < (int)d->n && n < CHK_ELF_MAX_DEPTH + 1;
	     k = d->v[k].parent)
		chain[n++] = k;
	snprintf(buf, len, "%s", base_name(d->path));
	for (k = n - 1; k >= 0; k--) {
		pos = strlen(buf);
		if (pos < len)
			snprintf(buf + pos, len - pos, " -> %s",
				 d->v[chain[k]].name);
	}
}

const char *chk_elf_how_name(enum chk_elf_how how)
{
	switch (how) {
	case CHK_ELF_BY_PATH:
		return "path";
	case CHK_ELF_BY_RPATH:
		return "RPATH";
	case CHK_ELF_BY_RUNPATH:
		return "RUNPATH";
	case CHK_ELF_BY_CACHE:
		return "ld.so.cache";
	case CHK_ELF_BY_DEFAULT:
		return "default directory";
	default:
		return "not found";
	}
}
