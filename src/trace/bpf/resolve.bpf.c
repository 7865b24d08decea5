// SPDX-License-Identifier: GPL-2.0
/* resolve.bpf.c - conndoctor trace's uprobes on mysqld's resolver calls:
 * getnameinfo, gethostbyaddr[_r], getaddrinfo and gethostbyname[_r] in the
 * libc a traced process maps (glibc's resolv/netdb interfaces). A per-thread
 * stack keeps nested calls apart (glibc's getnameinfo calls
 * gethostbyaddr_r): the outermost call is counted once per client address,
 * inner ones under "nested". Exact counts go to a per-CPU hash; only slow
 * lookups go to the ring buffer, without waking the reader. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace/trace_abi.h"

#define AF_INET_	2
#define AF_INET6_	10
#define NI_NUMERICHOST_ 1 /* getnameinfo's flags */
#define AI_NUMERICHOST_ 4 /* struct addrinfo's ai_flags, its first field */

/* Set by the loader before load: lookups at least this long are events. */
const volatile __u64 slow_ns = 100000000ULL;

/* One traced call in progress on a thread. */
struct frame {
	__u64 t0;
	__u8 addr[16];
	__u16 family;
	__u8 fn;
	__u8 numeric; /* NI_NUMERICHOST or AI_NUMERICHOST: no lookup */
	__u8 pad[4];
	char name[TR_RES_NAME_LEN];
};

/* A thread's calls in progress, and the address it last resolved. */
struct thread {
	__u32 depth; /* may exceed TR_RES_MAX_DEPTH; frames kept below it */
	__u16 last_family;
	__u16 pad;
	__u8 last_addr[16];
	struct frame f[TR_RES_MAX_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TR_RES_THREADS);
	__type(key, __u64);
	__type(value, struct thread);
} threads SEC(".maps");

/* A zeroed thread record to insert from (too large for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct thread);
} zero_thread SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TR_RES_MAX_KEYS);
	__type(key, struct tr_res_key);
	__type(value, struct tr_res_val);
} lookups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TR_RG__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} res_globals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TR_RES_RINGBUF);
} res_events SEC(".maps");

static __always_inline void gcount(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&res_globals, &key);

	if (v)
		*v += 1;
}

static __always_inline int is_reverse(__u8 fn)
{
	return fn == TR_FN_GETNAMEINFO || fn == TR_FN_GETHOSTBYADDR ||
	       fn == TR_FN_GETHOSTBYADDR_R;
}

/* The client address of a reverse lookup's arguments into f. */
static __always_inline void read_addr(struct pt_regs *ctx, struct frame *f)
{
	const void *p = (const void *)PT_REGS_PARM1(ctx);
	__u64 len = PT_REGS_PARM2(ctx);
	__u16 fam = 0;

	if (f->fn == TR_FN_GETNAMEINFO) {
		/* struct sockaddr_in: family, port, address at 4;
		 * sockaddr_in6: family, port, flowinfo, address at 8. */
		if (bpf_probe_read_user(&fam, sizeof(fam), p))
			return;
		if (fam == AF_INET_ && len >= 8 &&
		    !bpf_probe_read_user(f->addr, 4, p + 4))
			f->family = AF_INET_;
		else if (fam == AF_INET6_ && len >= 24 &&
			 !bpf_probe_read_user(f->addr, 16, p + 8))
			f->family = AF_INET6_;
		return;
	}
	/* gethostbyaddr[_r](addr, len, type, ...) */
	fam = (__u16)PT_REGS_PARM3(ctx);
	if (fam == AF_INET_ && len >= 4 && !bpf_probe_read_user(f->addr, 4, p))
		f->family = AF_INET_;
	else if (fam == AF_INET6_ && len >= 16 &&
		 !bpf_probe_read_user(f->addr, 16, p))
		f->family = AF_INET6_;
}

static __always_inline int enter(struct pt_regs *ctx, __u8 fn)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct thread *t = bpf_map_lookup_elem(&threads, &id);
	struct frame *f, *up;
	const void *hints;
	__u32 zero = 0, d;
	int flags = 0;

	if (!t) {
		t = bpf_map_lookup_elem(&zero_thread, &zero);
		if (!t)
			return 0;
		bpf_map_update_elem(&threads, &id, t, BPF_NOEXIST);
		t = bpf_map_lookup_elem(&threads, &id);
		if (!t) {
			gcount(TR_RG_THREADS_FULL);
			return 0;
		}
	}
	d = t->depth;
	t->depth = d + 1;
	if (d >= TR_RES_MAX_DEPTH) {
		gcount(TR_RG_TOO_DEEP);
		return 0;
	}
	f = &t->f[d & (TR_RES_MAX_DEPTH - 1)];
	f->fn = fn;
	f->family = 0;
	__builtin_memset(f->addr, 0, sizeof(f->addr));
	f->name[0] = '\0';
	f->numeric = 0;
	if (is_reverse(fn)) {
		read_addr(ctx, f);
	} else {
		bpf_probe_read_user_str(f->name, sizeof(f->name),
					(const void *)PT_REGS_PARM1(ctx));
	}
	if (fn == TR_FN_GETNAMEINFO) {
		/* getnameinfo(sa, salen, host, hostlen, serv, servlen,
		 * flags): on x86-64 the seventh argument is on the stack,
		 * above the return address; elsewhere not read (counted as
		 * a lookup). */
#if defined(__TARGET_ARCH_x86)
		if (!bpf_probe_read_user(&flags, sizeof(flags),
					 (const void *)(PT_REGS_SP(ctx) + 8)))
			f->numeric = (flags & NI_NUMERICHOST_) != 0;
#endif
	} else if (fn == TR_FN_GETADDRINFO) {
		hints = (const void *)PT_REGS_PARM3(ctx);
		if (hints && !bpf_probe_read_user(&flags, sizeof(flags), hints))
			f->numeric = (flags & AI_NUMERICHOST_) != 0;
	}
	if (!f->family) {
		/* An inner call without an address belongs to the outer
		 * one's; an outermost forward lookup to the address the
		 * thread last resolved backwards (the forward check). */
		if (d > 0) {
			up = &t->f[(d - 1) & (TR_RES_MAX_DEPTH - 1)];
			f->family = up->family;
			__builtin_memcpy(f->addr, up->addr, sizeof(f->addr));
		} else if (!is_reverse(fn)) {
			f->family = t->last_family;
			__builtin_memcpy(f->addr, t->last_addr,
					 sizeof(f->addr));
		}
	}
	f->t0 = bpf_ktime_get_ns();
	return 0;
}

static __always_inline void count(const struct tr_res_key *k, __u64 dur)
{
	struct tr_res_val zero = {}, *v = bpf_map_lookup_elem(&lookups, k);

	if (!v) {
		bpf_map_update_elem(&lookups, k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&lookups, k);
		if (!v) {
			gcount(TR_RG_KEYS_FULL);
			return;
		}
	}
	v->calls += 1;
	v->total_ns += dur;
	if (dur > v->max_ns)
		v->max_ns = dur;
}

static __always_inline int leave(__u8 fn)
{
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns(), dur;
	struct thread *t = bpf_map_lookup_elem(&threads, &id);
	struct tr_res_event *ev;
	struct tr_res_key k = {};
	struct frame *f;
	__u32 d;

	if (!t || !t->depth) {
		gcount(TR_RG_UNBALANCED);
		return 0;
	}
	d = t->depth - 1;
	t->depth = d;
	if (d >= TR_RES_MAX_DEPTH)
		return 0;
	f = &t->f[d & (TR_RES_MAX_DEPTH - 1)];
	if (f->fn != fn) {
		/* A call left by longjmp or a missed probe: start over. */
		t->depth = 0;
		gcount(TR_RG_UNBALANCED);
		return 0;
	}
	dur = now - f->t0;
	__builtin_memcpy(k.addr, f->addr, sizeof(k.addr));
	k.family = f->family;
	k.fn = fn;
	k.how = f->numeric ? TR_HOW_NUMERIC
			   : (d > 0 ? TR_HOW_NESTED : TR_HOW_LOOKUP);
	if (!d && is_reverse(fn) && f->family) {
		t->last_family = f->family;
		__builtin_memcpy(t->last_addr, f->addr, sizeof(t->last_addr));
	}
	count(&k, dur);
	if (dur < slow_ns)
		return 0;
	ev = bpf_ringbuf_reserve(&res_events, sizeof(*ev), 0);
	if (!ev) {
		gcount(TR_RG_EVENTS_LOST);
		return 0;
	}
	ev->kind = TR_EV_SLOW_RESOLVE;
	ev->pid = (__u32)(id >> 32);
	ev->tid = (__u32)id;
	ev->pad = 0;
	ev->ts = now;
	ev->dur_ns = dur;
	ev->k = k;
	__builtin_memcpy(ev->name, f->name, sizeof(ev->name));
	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
	return 0;
}

#define PROBES(name, fn)                                                       \
	SEC("uprobe")                                                          \
	int cd_##name##_enter(struct pt_regs *ctx)                             \
	{                                                                      \
		return enter(ctx, fn);                                         \
	}                                                                      \
	SEC("uretprobe")                                                       \
	int cd_##name##_leave(struct pt_regs *ctx)                             \
	{                                                                      \
		(void)ctx;                                                     \
		return leave(fn);                                              \
	}

PROBES(getnameinfo, TR_FN_GETNAMEINFO)
PROBES(gethostbyaddr, TR_FN_GETHOSTBYADDR)
PROBES(gethostbyaddr_r, TR_FN_GETHOSTBYADDR_R)
PROBES(getaddrinfo, TR_FN_GETADDRINFO)
PROBES(gethostbyname, TR_FN_GETHOSTBYNAME)
PROBES(gethostbyname_r, TR_FN_GETHOSTBYNAME_R)

char LICENSE[] SEC("license") = "GPL";
