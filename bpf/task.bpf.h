/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Processes: which thread groups are traced, and the fork/exit events
 * that tell user space whose address space an mm is.
 */

/*
 * The traced thread groups. User space seeds them (-p PID, or the CMD
 * child before exec); fork extends them, so the filter never leaves the
 * kernel.
 *
 * A direct-mapped table in .bss holds them, indexed by tgid; one whose
 * slot is another's goes to the traced_tgids map. A hit is a load, where
 * a hash map's lookup is a helper call (about 300 ns under emulation);
 * and the map's update at fork and delete at exit cost more than the
 * rest of those tracepoints' programs together (BENCHMARKS.md; why they
 * cost so much more there than in fentry programs is not pinned down).
 * A slot is claimed by cmpxchg (user space's seeds too). Without cmpxchg
 * (RMAPTRACE_NO_ATOMICS, as in anon_vma.bpf.h) the map holds every
 * traced tgid and the table is a copy of it, written wherever the map
 * is (never on a lookup, which could race with an exit).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} traced_tgids SEC(".maps");

/* 64-bit, as cmpxchg wants. */
__u64 tgid_slots[4096];
/* Slots in use: a power of two, fewer only for tests (user space's
 * RMAPTRACE_TGID_SLOTS), so that the map's path is taken. */
const volatile __u32 tgid_slot_mask = ARRAY_SIZE(tgid_slots) - 1;
/* Entries in traced_tgids, with cmpxchg: while none, a miss is an answer. */
__u64 tgid_overflow;

static __always_inline __u64 *tgid_slot(__u32 tgid)
{
	return &tgid_slots[tgid & tgid_slot_mask & (ARRAY_SIZE(tgid_slots) - 1)];
}

static __always_inline bool tgid_traced(__u32 tgid)
{
	if (!tgid)
		return false;
	if (*tgid_slot(tgid) == tgid)
		return true;
#ifndef RMAPTRACE_NO_ATOMICS
	if (!tgid_overflow)
		return false;
#endif
	return bpf_map_lookup_elem(&traced_tgids, &tgid) != NULL;
}

#ifndef RMAPTRACE_NO_ATOMICS

static __always_inline void trace_tgid(__u32 tgid)
{
	traced_set_add(&traced_tgids, &tgid_overflow, tgid_slot(tgid), tgid, &tgid);
}

/* True for the one caller that took tgid out: two threads of a group can
 * both see it die (on_exit). It can be in its slot and in the map both,
 * when a seed that found the slot taken was overtaken by one that found
 * it free. */
static __always_inline bool untrace_tgid(__u32 tgid)
{
	__u64 *slot = tgid_slot(tgid);
	bool took = false;

	if (*slot == tgid)
		took = __sync_val_compare_and_swap(slot, (__u64)tgid, 0) == tgid;
	if (tgid_overflow && !bpf_map_delete_elem(&traced_tgids, &tgid)) {
		__sync_fetch_and_add(&tgid_overflow, -1);
		took = true;
	}
	return took;
}

#else	/* RMAPTRACE_NO_ATOMICS */

static __always_inline void trace_tgid(__u32 tgid)
{
	__u8 one = 1;

	bpf_map_update_elem(&traced_tgids, &tgid, &one, BPF_ANY);
	*tgid_slot(tgid) = tgid;
}

/* A lookup (or the table's copy) first: most exits and forks that ask
 * are of untraced tasks, and a lookup costs less than a delete. */
static __always_inline bool untrace_tgid(__u32 tgid)
{
	__u64 *slot = tgid_slot(tgid);

	if (!tgid_traced(tgid))
		return false;
	if (*slot == tgid)
		*slot = 0;
	return !bpf_map_delete_elem(&traced_tgids, &tgid);
}

#endif	/* RMAPTRACE_NO_ATOMICS */

static __always_inline bool current_traced(const struct cur *c)
{
	return tgid_traced(c->id >> 32);
}

/* btf: parent and child are BTF pointers (tp_btf), their fields plain
 * loads instead of helper calls; a constant at every call. */
static __always_inline int on_fork(struct task_struct *parent,
				   struct task_struct *child, bool btf)
{
	__u32 ptgid = read_field(btf, parent, tgid);
	__u32 ctgid = read_field(btf, child, tgid);
	struct task_event *e;

	/* A new thread shares its group's mm: nothing to learn. */
	if (ptgid == ctgid)
		return 0;
	if (!tgid_traced(ptgid)) {
		/* A group that kprobe do_exit failed to untrace (above),
		 * whose pid a process outside the trace now takes. */
		untrace_tgid(ctgid);
		return 0;
	}
	trace_tgid(ctgid);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	if (btf) {
		/* The tracepoint's parent is current: no helper calls. Under
		 * emulation these runs are cold, an empty program costs
		 * eight times an empty fentry one here, and so does each
		 * helper call (BENCHMARKS.md). */
		struct cur c = { (__u64)ptgid << 32 | parent->pid };

		fill_hdr_task(&e->hdr, EV_FORK, sizeof(*e), &c, parent);
	} else {
		fill_hdr(&e->hdr, EV_FORK, sizeof(*e));
	}
	e->child_pid = ctgid;
	e->child_mm = (__u64)read_field(btf, child, mm);
	if (btf)
		comm_btf(e->child_comm, child);
	else
		BPF_CORE_READ_STR_INTO(&e->child_comm, child, comm);
	bpf_ringbuf_submit(e, rb_flags());
	return 0;
}

/*
 * A thread group stays traced until its last thread is gone, not only
 * its leader: the other threads go on calling into the hierarchy (a
 * split in a madvise that exit_group has not yet interrupted, or work
 * after the leader's pthread_exit), and their calls are filtered by
 * tgid. group_dead: p took signal->live to zero. Two threads can both
 * see it so (the tracepoint reads live after the decrement); the one
 * whose delete finds the entry reports the exit.
 */
static __always_inline int on_exit(struct task_struct *p, long code,
				   bool group_dead, bool btf)
{
	__u32 tgid = read_field(btf, p, tgid), tid = read_field(btf, p, pid);
	struct task_event *e;

	walk_task_exit(tid);
	if (!group_dead || !untrace_tgid(tgid))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	if (btf) {
		/* p is current (do_exit), as on_fork's parent. */
		struct cur c = { (__u64)tgid << 32 | tid };

		fill_hdr_task(&e->hdr, EV_EXIT, sizeof(*e), &c, p);
	} else {
		fill_hdr(&e->hdr, EV_EXIT, sizeof(*e));
	}
	e->child_pid = tgid;
	e->exit_code = code;
	bpf_ringbuf_submit(e, rb_flags());
	return 0;
}

static __always_inline int signal_live(struct task_struct *p)
{
	return BPF_CORE_READ(p, signal, live.counter);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent,
	     struct task_struct *child)
{
	return on_fork(parent, child, true);
}

/* After do_exit's decrement of signal->live, on every kernel. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	return on_exit(p, p->exit_code, p->signal->live.counter == 0, true);
}

/*
 * kprobe mode: tp_btf programs, like fentry ones, are skipped for other
 * tasks while one task is preempted inside them. The new task is woken
 * by the task that forked it, right after copy_process (as the
 * tracepoint). An exit is watched where do_exit hands taskstats the
 * group's fate (CONFIG_TASKSTATS; next to the tracepoint on every
 * kernel), else at do_exit's entry, before the decrement: there two
 * threads exiting at once can each see the other, and neither untraces
 * the group (on_fork drops such a leftover when its pid comes back).
 * do_exit reaches the tracepoint before (7.x) or after (older) exit_mm:
 * the collector takes either order.
 */
SEC("kprobe/wake_up_new_task")
int BPF_KPROBE(kprobe_wake_up_new_task, struct task_struct *p)
{
	return on_fork((struct task_struct *)bpf_get_current_task(), p, false);
}

SEC("kprobe/taskstats_exit")
int BPF_KPROBE(kprobe_taskstats_exit, struct task_struct *p, int group_dead)
{
	return on_exit(p, BPF_CORE_READ(p, exit_code), group_dead, false);
}

SEC("kprobe/do_exit")
int BPF_KPROBE(kprobe_do_exit, long code)
{
	struct task_struct *p = (void *)bpf_get_current_task();

	return on_exit(p, code, signal_live(p) <= 1, false);
}
