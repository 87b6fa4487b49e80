/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KSM's rmap items: the one kernel holder of anon_vma references that
 * outlives the processes for as long as ksmd pleases (struct ksm_event).
 * Only items of traced anon_vmas are reported; they run in ksmd, or in a
 * task that unmerges (madvise, prctl, writing 2 to ksm/run).
 */

/* 5.10 to 6.1 name them without the ksm_ prefix (6.2 added it). */
struct rmap_item___pre62 {
	struct anon_vma *anon_vma;
	unsigned long address;
	struct hlist_node hlist;
} __attribute__((preserve_access_index));

struct stable_node___pre62 {
	struct hlist_head hlist;
} __attribute__((preserve_access_index));

/* mm/ksm.c: "is listed from the stable tree", the same bit since 2.6.32;
 * only such an item holds its anon_vma. */
#define KSM_STABLE_FLAG 0x200
/* remove_node_from_stable_tree drops a stable node's items together: a
 * page merged from more processes than this has the rest unreported. */
#define KSM_NODE_ITEMS 32

static __always_inline void ksm_emit(__u64 av, __u64 item, __u32 op)
{
	struct ksm_event *e;

	if (!av || !anon_vma_traced(av))
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return;
	}
	fill_hdr(&e->hdr, EV_KSM_RMAP_ITEM, sizeof(*e));
	e->anon_vma = av;
	e->rmap_item = item;
	e->op = op;
	e->pad = 0;
	bpf_ringbuf_submit(e, rb_flags());
}

static __always_inline __u64 ksm_item_anon_vma(void *item, __u64 *address)
{
	if (bpf_core_type_exists(struct ksm_rmap_item)) {
		struct ksm_rmap_item *r = item;

		*address = BPF_CORE_READ(r, address);
		return (__u64)BPF_CORE_READ(r, anon_vma);
	}
	struct rmap_item___pre62 *r = item;

	*address = BPF_CORE_READ(r, address);
	return (__u64)BPF_CORE_READ(r, anon_vma);
}

/* try_to_merge_with_ksm_page returned 0: the item now holds vma->anon_vma. */
static __always_inline int on_ksm_merged(void *item, int ret)
{
	__u64 address;

	if (!ret)
		ksm_emit(ksm_item_anon_vma(item, &address), (__u64)item, KSM_GET);
	return 0;
}

/* remove_rmap_item_from_tree: a stable item puts its anon_vma. */
static __always_inline int on_ksm_item_removed(void *item)
{
	__u64 address, av = ksm_item_anon_vma(item, &address);

	if (address & KSM_STABLE_FLAG)
		ksm_emit(av, (__u64)item, KSM_PUT);
	return 0;
}

/* remove_node_from_stable_tree: every item on the node puts its anon_vma. */
static __always_inline int on_ksm_node_removed(void *node)
{
	struct hlist_node *n;
	unsigned long off;

	if (bpf_core_type_exists(struct ksm_stable_node)) {
		n = BPF_CORE_READ((struct ksm_stable_node *)node, hlist.first);
		off = bpf_core_field_offset(struct ksm_rmap_item, hlist);
	} else {
		n = BPF_CORE_READ((struct stable_node___pre62 *)node, hlist.first);
		off = bpf_core_field_offset(struct rmap_item___pre62, hlist);
	}
	for (int i = 0; i < KSM_NODE_ITEMS && n; i++) {
		void *item = (void *)n - off;
		__u64 address;

		ksm_emit(ksm_item_anon_vma(item, &address), (__u64)item, KSM_PUT);
		n = BPF_CORE_READ(n, next);
	}
	return 0;
}

SEC("fexit/try_to_merge_with_ksm_page")
int BPF_PROG(fexit_ksm_merge, void *item, void *page, void *kpage, int ret)
{
	return on_ksm_merged(item, ret);
}

SEC("fentry/remove_rmap_item_from_tree")
int BPF_PROG(fentry_ksm_item_removed, void *item)
{
	return on_ksm_item_removed(item);
}

SEC("fentry/remove_node_from_stable_tree")
int BPF_PROG(fentry_ksm_node_removed, void *node)
{
	return on_ksm_node_removed(node);
}

SEC("kprobe/try_to_merge_with_ksm_page")
int BPF_KPROBE(kprobe_ksm_merge, void *item)
{
	struct cur c = cur_get();

	stash_put(&c, STASH_KSM, (__u64)item, 0);
	return 0;
}

SEC("kretprobe/try_to_merge_with_ksm_page")
int BPF_KRETPROBE(kretprobe_ksm_merge, int ret)
{
	struct cur c = cur_get();
	struct stash_args a;

	if (!stash_take(&c, STASH_KSM, &a))
		return 0;
	return on_ksm_merged((void *)a.a0, ret);
}

SEC("kprobe/remove_rmap_item_from_tree")
int BPF_KPROBE(kprobe_ksm_item_removed, void *item)
{
	return on_ksm_item_removed(item);
}

SEC("kprobe/remove_node_from_stable_tree")
int BPF_KPROBE(kprobe_ksm_node_removed, void *node)
{
	return on_ksm_node_removed(node);
}
