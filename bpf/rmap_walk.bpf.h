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

/* rmap_walk_anon takes a folio (5.16+) or a page (before). The two share
 * mapping and index, but newer kernels dropped page->index: read through
 * whichever type the running kernel's BTF has. */
static __always_inline __u64 folio_mapping(void *p)
{
	if (bpf_core_type_exists(struct folio))
		return (__u64)BPF_CORE_READ((struct folio *)p, mapping);
	return (__u64)BPF_CORE_READ((struct page *)p, mapping);
}

static __always_inline __u64 folio_index(void *p)
{
	if (bpf_core_type_exists(struct folio))
		return BPF_CORE_READ((struct folio *)p, index);
	return BPF_CORE_READ((struct page *)p, index);
}

static __always_inline __u64 folio_anon_vma(void *folio)
{
	__u64 mapping = folio_mapping(folio);

	if (!(mapping & PAGE_MAPPING_ANON_BIT))
		return 0;
	return mapping & ~3UL;
}

SEC("fentry/rmap_walk_anon")
int BPF_PROG(fentry_rmap_walk_anon, void *folio)
{
	struct walk_start w = { .anon_vma = folio_anon_vma(folio) };
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!anon_vma_traced(w.anon_vma))
		return 0;
	w.ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&walks, &tid, &w, BPF_ANY);
	return 0;
}

SEC("fexit/rmap_walk_anon")
int BPF_PROG(fexit_rmap_walk_anon, void *folio,
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
		e->pgoff = folio_index(folio);
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
