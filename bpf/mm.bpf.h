/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct mm_struct torn down whole: exit_mmap, at exit and exec.
 *
 * Every VMA of the mm goes through unlink_anon_vmas there: an event at
 * its entry with the chain and one at its return, per VMA, were a third
 * of the programs' time in a fork under emulation (BENCHMARKS.md). The
 * collector holds every traced VMA's chain already: one event at
 * exit_mmap's entry says they all go, the unlinks inside it send
 * nothing, and EV_UNLINK_DONE at its return closes the window of the
 * whole teardown. The puts still come one by one: a freed anon_vma's
 * address is the slab's to reuse at once.
 *
 * The mm holds a slot of teardown_mms meanwhile, claimed by cmpxchg, so
 * that an unlink knows on a few loads, before any helper call, that its
 * VMA's teardown was reported: mm_users is 0 in exit_mmap and nowhere
 * else unlink_anon_vmas runs. An mm whose slot another's teardown holds,
 * one torn down by an untraced task (the last of a /proc reader's
 * references), a kprobe mode and a kernel without cmpxchg (user space
 * leaves these programs out there) are torn down VMA by VMA as before.
 * What is lost is the kernel's own view of each VMA at its unlink:
 * its chain and its anon_vma's counters then (--unlink-each keeps them).
 */

__u64 teardown_mms[256];
/* When the teardown in the same slot began: its EV_EXIT_MMAP's time. */
__u64 teardown_ts[ARRAY_SIZE(teardown_mms)];

static __always_inline __u32 teardown_index(__u64 mm)
{
	/* As anon_vma_slot: slab objects, a hash of the low half. */
	return ((low_half(mm) * 2654435769u) >> 24) & (ARRAY_SIZE(teardown_mms) - 1);
}

static __always_inline bool mm_in_teardown(struct mm_struct *mm)
{
	return !mm->mm_users.counter && teardown_mms[teardown_index((__u64)mm)] == (__u64)mm;
}

static __always_inline bool claim_teardown(__u32 i, __u64 mm)
{
#ifndef RMAPTRACE_NO_ATOMICS
	return !__sync_val_compare_and_swap(&teardown_mms[i], 0, mm);
#else
	return false;	/* never loaded: see above */
#endif
}

SEC("fentry/exit_mmap")
int BPF_PROG(fentry_exit_mmap, struct mm_struct *mm)
{
	struct cur c = cur_get();
	__u32 i = teardown_index((__u64)mm);
	struct exit_mmap_event *e;

	/* An mm is torn down once: its address in the slot now is a claim
	 * whose return was never seen (a skipped run), on an mm freed since,
	 * whose address this one took. Its unlinks must not go unsent. */
	if (teardown_mms[i] == (__u64)mm)
		teardown_mms[i] = 0;
	if (!current_traced(&c))
		return 0;
	/* Reserved before the claim: an event that cannot be sent leaves
	 * the unlinks to send theirs. */
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	if (!claim_teardown(i, (__u64)mm)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	fill_hdr_cur(&e->hdr, EV_EXIT_MMAP, sizeof(*e), &c);
	e->mm = (__u64)mm;
	teardown_ts[i] = e->hdr.ts;
	bpf_ringbuf_submit(e, rb_flags());
	return 0;
}

SEC("fexit/exit_mmap")
int BPF_PROG(fexit_exit_mmap, struct mm_struct *mm)
{
	__u32 i = teardown_index((__u64)mm);
	struct unlink_done_event *e;
	struct cur c;

	if (teardown_mms[i] != (__u64)mm)
		return 0;
	c = cur_get();
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		fill_hdr_cur(&e->hdr, EV_UNLINK_DONE, sizeof(*e), &c);
		e->entry_ts = teardown_ts[i];
		bpf_ringbuf_submit(e, rb_flags());
	} else {
		count_lost();
	}
	teardown_mms[i] = 0;
	return 0;
}
