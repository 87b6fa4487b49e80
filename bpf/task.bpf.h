/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Processes: which thread groups are traced, and the fork/exit events
 * that tell user space whose address space an mm is.
 */

/* tgid -> 1. User space seeds it (-p PID, or the CMD child before exec);
 * fork extends it, so the filter never leaves the kernel. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} traced_tgids SEC(".maps");

/*
 * A direct-mapped copy of traced_tgids, written wherever the map is
 * (fork, exit, user space's seeds; never on a lookup, which could race
 * with an exit): a hit is a load, where a lookup of a hash map is a
 * helper call, about 300 ns under emulation (BENCHMARKS.md). A slot
 * holds the tgid added last of those that map to it, until it exits; a
 * miss asks the map.
 */
__u32 tgid_cache[4096];
#define tgid_slot(tgid)	((tgid) & (ARRAY_SIZE(tgid_cache) - 1))

static __always_inline bool tgid_traced(__u32 tgid)
{
	if (tgid && tgid_cache[tgid_slot(tgid)] == tgid)
		return true;
	return bpf_map_lookup_elem(&traced_tgids, &tgid) != NULL;
}

static __always_inline bool current_traced(const struct cur *c)
{
	return tgid_traced(c->id >> 32);
}

static __always_inline int on_fork(struct task_struct *parent,
				   struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	struct task_event *e;
	__u8 one = 1;

	/* A new thread shares its group's mm: nothing to learn. */
	if (ptgid == ctgid)
		return 0;
	if (!tgid_traced(ptgid)) {
		/* A group that kprobe do_exit failed to untrace (above),
		 * whose pid a process outside the trace now takes. */
		if (tgid_traced(ctgid)) {
			tgid_cache[tgid_slot(ctgid)] = 0;
			bpf_map_delete_elem(&traced_tgids, &ctgid);
		}
		return 0;
	}
	bpf_map_update_elem(&traced_tgids, &ctgid, &one, BPF_ANY);
	tgid_cache[tgid_slot(ctgid)] = ctgid;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	fill_hdr(&e->hdr, EV_FORK, sizeof(*e));
	e->child_pid = ctgid;
	e->child_mm = (__u64)BPF_CORE_READ(child, mm);
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
				   bool group_dead)
{
	__u32 tgid = BPF_CORE_READ(p, tgid), tid = BPF_CORE_READ(p, pid);
	struct task_event *e;

	walk_task_exit(tid);
	if (!group_dead || !tgid_traced(tgid))
		return 0;
	if (tgid_cache[tgid_slot(tgid)] == tgid)
		tgid_cache[tgid_slot(tgid)] = 0;
	if (bpf_map_delete_elem(&traced_tgids, &tgid))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	fill_hdr(&e->hdr, EV_EXIT, sizeof(*e));
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
	return on_fork(parent, child);
}

/* After do_exit's decrement of signal->live, on every kernel. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	return on_exit(p, BPF_CORE_READ(p, exit_code), signal_live(p) == 0);
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
	return on_fork((struct task_struct *)bpf_get_current_task(), p);
}

SEC("kprobe/taskstats_exit")
int BPF_KPROBE(kprobe_taskstats_exit, struct task_struct *p, int group_dead)
{
	return on_exit(p, BPF_CORE_READ(p, exit_code), group_dead);
}

SEC("kprobe/do_exit")
int BPF_KPROBE(kprobe_do_exit, long code)
{
	struct task_struct *p = (void *)bpf_get_current_task();

	return on_exit(p, code, signal_live(p) <= 1);
}
