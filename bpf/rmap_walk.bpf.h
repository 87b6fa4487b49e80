/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmap walks: from a folio through its anon_vma's interval tree to every
 * VMA that maps it.
 */

#define PAGE_MAPPING_ANON_BIT	1UL

struct walk_start {
	__u64 ts;
	__u64 anon_vma;
};

/* tid -> walk in progress; a walk does not nest within one task. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct walk_start);
} walks SEC(".maps");

/* struct page and struct folio share mapping and index, so one reader
 * serves both the folio (6.x) and the page (5.10) signature. */
static __always_inline __u64 page_anon_vma(struct page *page)
{
	__u64 mapping = (__u64)BPF_CORE_READ(page, mapping);

	if (!(mapping & PAGE_MAPPING_ANON_BIT))
		return 0;
	return mapping & ~3UL;
}

SEC("fentry/rmap_walk_anon")
int BPF_PROG(fentry_rmap_walk_anon, struct page *page)
{
	struct walk_start w = { .anon_vma = page_anon_vma(page) };
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!anon_vma_traced(w.anon_vma))
		return 0;
	w.ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&walks, &tid, &w, BPF_ANY);
	return 0;
}

SEC("fexit/rmap_walk_anon")
int BPF_PROG(fexit_rmap_walk_anon, struct page *page,
	     struct rmap_walk_control *rwc)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct walk_start *w = bpf_map_lookup_elem(&walks, &tid);
	struct walk_event *e;

	if (!w)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		__builtin_memset(e, 0, sizeof(*e));
		fill_hdr(&e->hdr, EV_RMAP_WALK, sizeof(*e));
		e->anon_vma = w->anon_vma;
		e->pgoff = BPF_CORE_READ(page, index);
		e->nr_pages = 1;
		e->rmap_one = (__u64)BPF_CORE_READ(rwc, rmap_one);
		e->duration_ns = bpf_ktime_get_ns() - w->ts;
		bpf_ringbuf_submit(e, 0);
	} else {
		count_lost();
	}
	bpf_map_delete_elem(&walks, &tid);
	return 0;
}
