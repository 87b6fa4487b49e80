// SPDX-License-Identifier: GPL-2.0
/*
 * rmaptrace's BPF side: one ring buffer, the filters, and the programs,
 * grouped by the kernel object they watch in the headers included below.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rmaptrace.h"

char LICENSE[] SEC("license") = "GPL";

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* user/attach.c (kprobe_link_missed) reads a kprobe link's missed count
 * at these places, written out there because the build host's uapi
 * header may predate them: held here to the kernel's own definitions. */
_Static_assert(__builtin_offsetof(struct bpf_link_info, perf_event.type) == 16 &&
	       __builtin_offsetof(struct bpf_link_info, perf_event.kprobe.func_name) == 24 &&
	       __builtin_offsetof(struct bpf_link_info, perf_event.kprobe.name_len) == 32 &&
	       __builtin_offsetof(struct bpf_link_info, perf_event.kprobe.missed) == 48,
	       "bpf_link_info.perf_event.kprobe layout");
_Static_assert(BPF_LINK_TYPE_PERF_EVENT == 7 && BPF_PERF_EVENT_KPROBE == 3 &&
	       BPF_PERF_EVENT_KRETPROBE == 4, "perf link and event type numbers");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* resized by user space (-b) */
} events SEC(".maps");

/*
 * Events that found the ring buffer full. A global, so that user space
 * reads it from mapped memory: a map lookup syscall marks its CPU busy
 * with BPF (bpf_prog_active) and, on a preemptible kernel, can be
 * preempted so marked, making every kprobe program on that CPU skip
 * (seen on sid: hundreds of skipped runs in a stress-ng fork storm).
 */
__u64 lost_events;

/*
 * Waking the reader for every event costs more than the event under load:
 * wake it only once a quarter of the buffer is waiting. User space polls
 * with a timeout and drains on its own in between. Asking the buffer how
 * full it is is a helper call, about an empty program's cost under
 * emulation: ask at every 16th submit only (a racy count; a wake missed
 * is made up by the reader's poll timeout).
 */
const volatile __u64 wakeup_bytes = 1;
__u32 nr_submits;

static __always_inline __u64 rb_flags(void)
{
	if (++nr_submits & 15)
		return BPF_RB_NO_WAKEUP;
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void count_lost(void)
{
	__sync_fetch_and_add(&lost_events, 1);
}

/* What a program knows of current, fetched once and passed down (each
 * helper call counts: objects.bpf.h). */
struct cur {
	__u64 id;	/* bpf_get_current_pid_tgid() */
	__u64 ts;	/* the event's time; 0: taken when the header is filled */
	__u64 mm;	/* current->mm; 0: not at hand */
};

static __always_inline struct cur cur_get(void)
{
	return (struct cur){ .id = bpf_get_current_pid_tgid() };
}

/* t->comm by plain loads, t a BTF pointer: two 8-byte loads. The
 * verifier lets a load through a BTF pointer span elements of an array of
 * scalars as long as it stays inside the array (btf_struct_walk, since
 * 5.5). A load per char was a tenth of the time rmaptrace added to a
 * fork under emulation (BENCHMARKS.md). comm is NUL-padded (set_task_comm);
 * the collector ends it at TASK_COMM_LEN all the same. */
_Static_assert(TASK_COMM_LEN == 16, "comm_btf copies two words");
static __always_inline void comm_btf(char *dst, struct task_struct *t)
{
	((__u64 *)dst)[0] = *(__u64 *)&t->comm[0];
	((__u64 *)dst)[1] = *(__u64 *)&t->comm[8];
}

/* t: current as a BTF pointer where the program has it already (the
 * scheduler's tracepoints), else NULL; a constant at every call. */
static __always_inline void fill_hdr_task(struct event_hdr *h, __u32 type,
					  __u32 size, const struct cur *c,
					  struct task_struct *t)
{
	__u64 mm = c->mm;

	/* 5.11+: current as a BTF pointer; its mm and comm are plain loads
	 * instead of a probe read and bpf_get_current_comm (each helper call
	 * counts: objects.bpf.h). libbpf makes the test a constant; the
	 * verifier then never sees the helper on 5.10. */
	if (t) {
		if (!mm)
			mm = (__u64)t->mm;
		comm_btf(h->comm, t);
	} else if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)) {
		struct task_struct *cur = bpf_get_current_task_btf();

		if (!mm)
			mm = (__u64)cur->mm;
		comm_btf(h->comm, cur);
	} else {
		struct task_struct *task = (void *)bpf_get_current_task();

		if (!mm)
			mm = (__u64)BPF_CORE_READ(task, mm);
		bpf_get_current_comm(&h->comm, sizeof(h->comm));
	}
	h->ts = c->ts ?: bpf_ktime_get_ns();
	h->type = type;
	h->size = size;
	h->pid = c->id >> 32;
	h->tid = (__u32)c->id;
	h->mm = mm;
}

static __always_inline void fill_hdr_cur(struct event_hdr *h, __u32 type,
					 __u32 size, const struct cur *c)
{
	fill_hdr_task(h, type, size, c, NULL);
}

static __always_inline void fill_hdr(struct event_hdr *h, __u32 type,
				     __u32 size)
{
	struct cur c = cur_get();

	fill_hdr_cur(h, type, size, &c);
}

/*
 * What a call's entry leaves for its return, keyed by task and function
 * (anon_vma_fork calls anon_vma_clone): the entry time in both modes, and
 * in kprobe mode the arguments, which a kretprobe cannot see.
 */
enum stash_func { STASH_PREPARE, STASH_FORK, STASH_CLONE, STASH_WALK, STASH_UNLINK, STASH_KSM };

struct stash_key {
	__u32 tid;
	__u32 func;
};

struct stash_args {
	__u64 a0, a1;
	__u64 ts;
};

/* LRU: entries stay after use and are rewritten in place by the task's
 * next call (a lookup, where an update or a delete costs an allocation);
 * tasks long gone are evicted. A taken entry is marked by ts 0. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct stash_key);
	__type(value, struct stash_args);
} stash SEC(".maps");

/* The entry time is c->ts, or now. */
static __always_inline void stash_put(const struct cur *c, __u32 func,
				      __u64 a0, __u64 a1)
{
	struct stash_key k = { (__u32)c->id, func };
	struct stash_args v = { a0, a1, c->ts ?: bpf_ktime_get_ns() };
	struct stash_args *old = bpf_map_lookup_elem(&stash, &k);

	if (old)
		*old = v;
	else
		bpf_map_update_elem(&stash, &k, &v, BPF_ANY);
}

static __always_inline bool stash_take(const struct cur *c, __u32 func,
				       struct stash_args *out)
{
	out->ts = 0;
	struct stash_key k = { (__u32)c->id, func };
	struct stash_args *v = bpf_map_lookup_elem(&stash, &k);

	if (!v || !v->ts)
		return false;
	*out = *v;
	v->ts = 0;
	return true;
}

/*
 * fentry/fexit mode needs only the entry time, and a map lookup at entry
 * and another at return were a fifth of the fork path's program time
 * under emulation (BENCHMARKS.md). A task's entry time goes to a slot
 * picked by its tid, as one word (tid, low 32 bits of the time; the
 * return knows the high bits: no call lasts 4 s), and is cleared at
 * return. A slot held by another task's call in flight leaves the entry
 * to the stash map above, and the return looks there when the slot is
 * not its own. The slot is claimed with cmpxchg where the kernel has it
 * (bpf/anon_vma.bpf.h says why not everywhere).
 */
#define STAMP_SLOTS	4096
#define STAMP_FUNCS	(STASH_UNLINK + 1)
__u64 entry_stamp[STAMP_SLOTS][STAMP_FUNCS];
/* Slots in use: fewer only for tests (RMAPTRACE_STAMP_SLOTS), so that
 * tasks collide and the stash's path is taken. */
const volatile __u32 stamp_slot_mask = STAMP_SLOTS - 1;
/* Entries left to the stash and not taken back: while there are none, a
 * return whose slot is not its own (an untraced task's, mostly) need not
 * look there. */
__u64 stash_fallbacks;
/* Entries ever left to the stash, for -v. */
__u64 stash_fallbacks_total;

static __always_inline __u64 *stamp_slot(__u32 tid, __u32 func)
{
	return &entry_stamp[tid & stamp_slot_mask & (STAMP_SLOTS - 1)][func < STAMP_FUNCS ? func : 0];
}

/* The entry time is c->ts, or now. */
static __always_inline void stamp_put(const struct cur *c, __u32 func)
{
	__u32 tid = (__u32)c->id;
	__u64 *slot = stamp_slot(tid, func), old = *slot;
	__u64 ts = c->ts ?: bpf_ktime_get_ns();
	__u64 mine = ((__u64)tid << 32) | (__u32)ts;

	if (tid && (!old || old >> 32 == tid)) {
#ifndef RMAPTRACE_NO_ATOMICS
		if (__sync_val_compare_and_swap(slot, old, mine) == old)
			return;
#else
		/* Read back: a colliding task may have claimed it meanwhile.
		 * One that read the slot free before this write and writes
		 * after this read takes it from under us: our return then
		 * finds no entry time (cmpxchg, 5.12+, has no such gap). */
		*slot = mine;
		if (*(volatile __u64 *)slot == mine)
			return;
#endif
	}
	__sync_fetch_and_add(&stash_fallbacks, 1);
	__sync_fetch_and_add(&stash_fallbacks_total, 1);
	stash_put(&(struct cur){ .id = c->id, .ts = ts }, func, 0, 0);
}

/* At a return: when the call began, 0 when not known. Once known, c->ts
 * is now (the event's time), taken no sooner. */
static __always_inline __u64 stamp_take(struct cur *c, __u32 func)
{
	__u32 tid = (__u32)c->id;
	__u64 *slot = stamp_slot(tid, func), v = *slot;
	struct stash_args a;

	if (tid && v >> 32 == tid) {
		*slot = 0;
		c->ts = bpf_ktime_get_ns();
		return c->ts - (__u32)((__u32)c->ts - (__u32)v);
	}
	if (!stash_fallbacks || !stash_take(c, func, &a))
		return 0;
	__sync_fetch_and_add(&stash_fallbacks, -1);
	return a.ts;
}

#ifndef RMAPTRACE_NO_ATOMICS
/*
 * Add key to a traced set (anon_vma.bpf.h, task.bpf.h): a table slot
 * claimed by cmpxchg, else the set's map, whose entries *overflow
 * counts. map_key is key as the map's key type.
 */
static __always_inline void traced_set_add(void *map, __u64 *overflow,
					   __u64 *slot, __u64 key,
					   const void *map_key)
{
	__u64 old;
	__u8 one = 1;

	if (!key || *slot == key)
		return;
	if (*overflow && bpf_map_lookup_elem(map, map_key))
		return;
	old = __sync_val_compare_and_swap(slot, 0, key);
	if (!old || old == key)
		return;
	/* Counted first, so that the entry is never there uncounted. */
	__sync_fetch_and_add(overflow, 1);
	if (bpf_map_update_elem(map, map_key, &one, BPF_NOEXIST))
		__sync_fetch_and_add(overflow, -1);
}
#endif

/* rmap_walk.bpf.h: a task's walk state goes with the task. */
static __always_inline void walk_task_exit(__u32 tid);
/* mm.bpf.h: an unlink inside a teardown reported whole sends nothing. */
static __always_inline bool mm_in_teardown(struct mm_struct *mm);

#include "core_fixes.bpf.h"
#include "objects.bpf.h"
#include "task.bpf.h"
#include "anon_vma.bpf.h"
#include "mm.bpf.h"
#include "rmap_walk.bpf.h"
#include "ksm.bpf.h"
#include "snapshot.bpf.h"
