/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rmap walks: from a folio through its anon_vma's interval tree to every
 * VMA that maps it, and the callback run on each.
 */

/* folio->mapping of an anonymous folio: the anon_vma with bit 0 set. KSM
 * folios set bit 1 too; their stable node is no anon_vma. */
#define PAGE_MAPPING_FLAGS	3UL
#define PAGE_MAPPING_ANON	1UL

struct walk {
	__u64 ts;
	__u64 anon_vma;
	__u32 nr_visits;
	__u32 stopped_early;
	__u32 nested;		/* walks begun inside this one, not yet ended */
	__u32 active;		/* a traced walk is in progress */
	/* The visits not sent yet, in batch.v. Sent as an EV_RMAP_VISITS
	 * when VISITS_MAX have gathered, with batch's own head; at the
	 * walk's end, after the walk event, which walk_end writes over
	 * end_room and batch's head so that one output sends both. */
	__u8 end_room[sizeof(struct walk_event) - __builtin_offsetof(struct visits_event, v)];
	struct visits_event batch;
};

/* Where walk_end builds its event: right before batch.v. */
static __always_inline struct walk_event *walk_end_event(struct walk *w)
{
	return (void *)w->end_room;
}

/* tid -> its traced walk. A callback can start a walk of its own (a
 * migration that splits a large folio, say): such a walk is counted in
 * nested, and neither its visits nor its end belong to the outer walk.
 * An entry is 1.1 KiB. It outlives its walk and is reused by the task's
 * next one: making it was an update of the whole entry and a second
 * lookup, the largest cost of a traced walk (BENCHMARKS.md). The task's
 * exit removes it; past 1024 tasks, the least recently used entry goes,
 * an idle task's unless 1024 walks run at once. A walk whose entry went
 * mid-walk sends no end: the collector drops its visits (on_walk). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct walk);
} walks SEC(".maps");

/* Set before the map's first entry is made. Every thread's exit deletes
 * its entry, and in the exit tracepoint a delete cost more than the rest
 * of the program (BENCHMARKS.md); while the slots below hold every walk,
 * the map stays empty and no exit need ask it. */
bool walks_map_used;

/* A task's first walk state, too big for the stack: never written. */
static struct walk walk_zero;

/*
 * Walk states in .bss, one slot per hash of the tid, claimed by cmpxchg
 * at the walk's begin and given back at its end: each visit then finds its
 * walk with a load, where the walks map cost a lookup per visit. A slot
 * held by another task's walk leaves this walk to the map, as before.
 * Kernels without cmpxchg (5.10: the RMAPTRACE_NO_ATOMICS object) use the
 * map only; so does RMAPTRACE_WALK_SLOTS=0 (a test hook: walk_slots_on).
 */
#define WALK_SLOTS 64
struct walk_slot {
	__u64 tid;		/* 0: free; 64 bits, as cmpxchg wants */
	struct walk w;
};
/* As words, so that the skeleton (user space) need not know the type;
 * in both objects, so that their .bss agree (user/noatomic.c). */
__u64 walk_slots[WALK_SLOTS][sizeof(struct walk_slot) / 8];
const volatile bool walk_slots_on = true;

static __always_inline struct walk_slot *walk_slot(__u32 tid)
{
	return (void *)walk_slots[(tid * 2654435769u >> 26) & (WALK_SLOTS - 1)];
}

/* tid's walk state: its slot's, else the map's entry, else NULL. */
static __always_inline struct walk *walk_of(__u32 tid)
{
#ifndef RMAPTRACE_NO_ATOMICS
	if (walk_slots_on) {
		struct walk_slot *s = walk_slot(tid);

		if (s->tid == tid)
			return &s->w;
	}
#endif
	return bpf_map_lookup_elem(&walks, &tid);
}

/* A state for tid's new walk: a free slot, else the map's entry, w when
 * walk_of found one (idle: a walk of the map's before). */
static __always_inline struct walk *walk_claim(__u32 tid, struct walk *w)
{
#ifndef RMAPTRACE_NO_ATOMICS
	if (walk_slots_on && tid) {
		struct walk_slot *s = walk_slot(tid);

		if (__sync_val_compare_and_swap(&s->tid, 0, (__u64)tid) == 0)
			return &s->w;
	}
#endif
	if (w)
		return w;
	walks_map_used = true;
	if (bpf_map_update_elem(&walks, &tid, &walk_zero, BPF_NOEXIST))
		return NULL;
	return bpf_map_lookup_elem(&walks, &tid);
}

/* The walk is over: its slot, if it had one, is free again. */
static __always_inline void walk_release(__u32 tid)
{
#ifndef RMAPTRACE_NO_ATOMICS
	if (walk_slots_on) {
		struct walk_slot *s = walk_slot(tid);

		if (s->tid == tid)
			s->tid = 0;
	}
#endif
}

/* Every thread's exit (task.bpf.h), traced or not: most have no entry.
 * A slot still held (the walk's end went unseen) is freed too. */
static __always_inline void walk_task_exit(__u32 tid)
{
	walk_release(tid);
	if (walks_map_used)
		bpf_map_delete_elem(&walks, &tid);
}

/* rmap_walk_anon takes a folio (5.16+) or a page (before). The two share
 * mapping and index, but newer kernels dropped page->index: read through
 * whichever type the running kernel's BTF has. btf: p is a BTF pointer
 * (fentry/fexit), its fields plain loads (read_field). */
static __always_inline __u64 folio_mapping(void *p, bool btf)
{
	struct folio *f = p;
	struct page *pg = p;

	if (bpf_core_type_exists(struct folio))
		return (__u64)read_field(btf, f, mapping);
	return (__u64)read_field(btf, pg, mapping);
}

static __always_inline __u64 folio_index(void *p, bool btf)
{
	struct folio *f = p;
	struct page *pg = p;

	if (bpf_core_type_exists(struct folio))
		return read_field(btf, f, index);
	return read_field(btf, pg, index);
}

static __always_inline __u64 folio_nr_pages(void *p, bool btf)
{
	struct folio *f = p;

	if (!bpf_core_type_exists(struct folio))
		return 1;
	if (!(folio_flags(f, btf) & (1UL << bpf_core_enum_value(enum pageflags, PG_head))))
		return 1;
	if (bpf_core_field_exists(f->_folio_nr_pages))
		return read_field(btf, f, _folio_nr_pages);
	return 1UL << (read_field(btf, f, _flags_1) & 0xff);
}

static __always_inline __u64 folio_anon_vma(void *folio, bool btf)
{
	__u64 mapping = folio_mapping(folio, btf);

	/* Through a BTF pointer, mapping is a pointer to the verifier: no
	 * masking, but its low half is a number and an offset can be taken
	 * off (anon_vma.bpf.h). */
	if ((low_half(mapping) & PAGE_MAPPING_FLAGS) != PAGE_MAPPING_ANON)
		return 0;
	return mapping - PAGE_MAPPING_ANON;
}

/* Returns 1 when the walk is on a traced hierarchy. */
static __always_inline int walk_begin(void *folio, const struct cur *c, bool btf)
{
	__u64 anon_vma = folio_anon_vma(folio, btf);
	__u32 tid = (__u32)c->id;
	struct walk *w = walk_of(tid);

	if (w && w->active) {
		w->nested++;
		return 0;
	}
	if (!anon_vma_traced(anon_vma))
		return 0;
	w = walk_claim(tid, w);
	if (!w)
		return 0;
	w->anon_vma = anon_vma;
	w->nr_visits = 0;
	w->stopped_early = 0;
	w->nested = 0;
	w->batch.nr = 0;
	w->ts = bpf_ktime_get_ns();
	w->active = 1;
	return 1;
}

/* Send the VISITS_MAX visits gathered in w's batch; c: the walker. */
static __always_inline void walk_flush(struct walk *w, const struct cur *c)
{
	fill_hdr_cur(&w->batch.hdr, EV_RMAP_VISITS, visits_event_size(VISITS_MAX), c);
	w->batch.nr = VISITS_MAX;
	if (bpf_ringbuf_output(&events, &w->batch, visits_event_size(VISITS_MAX),
			       rb_flags()))
		count_lost();
	w->batch.nr = 0;
}

static __always_inline int walk_end(void *folio, struct rmap_walk_control *rwc,
				    const struct cur *c, bool btf)
{
	__u32 tid = (__u32)c->id;
	struct walk *w = walk_of(tid);
	struct walk_event *e;
	__u32 n;

	if (!w || !w->active)
		return 0;
	if (w->nested) {
		w->nested--;
		return 0;
	}
	/* Read before e is written over batch's head. Never more than
	 * VISITS_MAX (walk_visit), but nr lives in map memory: the verifier
	 * wants the bound of the size it sees here. */
	n = w->batch.nr;
	if (n > VISITS_MAX)
		n = VISITS_MAX;
	e = walk_end_event(w);
	fill_hdr_cur(&e->hdr, EV_RMAP_WALK, walk_event_size(n), c);
	e->anon_vma = w->anon_vma;
	e->pgoff = folio_index(folio, btf);
	e->nr_pages = folio_nr_pages(folio, btf);
	e->rmap_one = (__u64)read_field(btf, rwc, rmap_one);
	e->duration_ns = e->hdr.ts - w->ts;
	e->nr_visits = w->nr_visits;
	e->flags = w->stopped_early ? WALK_STOPPED : 0;
	if (read_field(btf, rwc, done))
		e->flags |= WALK_HAS_DONE;
	if (bpf_ringbuf_output(&events, e, walk_event_size(n), rb_flags()))
		count_lost();
	w->batch.nr = 0;
	w->active = 0;
	walk_release(tid);
	return 0;
}

/* btf: vma is a BTF pointer (fexit), a constant at every call. */
static __always_inline int walk_visit(__u32 cb, struct vm_area_struct *vma,
				      __u64 address, __u32 ret, bool btf)
{
	struct cur c = cur_get();
	struct walk *w = walk_of((__u32)c.id);
	struct rmap_visit *rv;
	struct vma_win v = {};
	__u32 n;

	if (!w || !w->active || w->nested)
		return 0;
	if (cb < CB_FIRST_INVALID) {
		w->nr_visits++;
		if (!ret)
			w->stopped_early = 1;
	} else if (!ret) {
		return 0;	/* invalid_vma said the VMA is fine: no news */
	}
	if (w->batch.nr >= VISITS_MAX)
		walk_flush(w, &c);
	/* A flush leaves nr at 0; the test is the array's bound for the
	 * verifier, which cannot know that. */
	n = w->batch.nr;
	if (n >= VISITS_MAX)
		return 0;
	read_vma_any(btf, vma, &v);
	rv = &w->batch.v[n];
	rv->vma = v.vi;
	rv->address = address;
	rv->callback = cb;
	rv->ret = ret;
	w->batch.nr = n + 1;
	return 0;
}

/* fentry/fexit on rmap_walk_anon; user space retargets them to rmap_walk
 * and rmap_walk_locked where rmap_walk_anon was inlined away. */
SEC("fentry/rmap_walk_anon")
int BPF_PROG(fentry_rmap_walk_anon, void *folio)
{
	struct cur c = cur_get();

	walk_begin(folio, &c, true);
	return 0;
}

SEC("fexit/rmap_walk_anon")
int BPF_PROG(fexit_rmap_walk_anon, void *folio, struct rmap_walk_control *rwc)
{
	struct cur c = cur_get();

	return walk_end(folio, rwc, &c, true);
}

SEC("fentry/rmap_walk_locked")
int BPF_PROG(fentry_rmap_walk_locked, void *folio)
{
	struct cur c = cur_get();

	walk_begin(folio, &c, true);
	return 0;
}

SEC("fexit/rmap_walk_locked")
int BPF_PROG(fexit_rmap_walk_locked, void *folio, struct rmap_walk_control *rwc)
{
	struct cur c = cur_get();

	return walk_end(folio, rwc, &c, true);
}

/*
 * One program per known callback; user space points each at its function
 * (bpf_program__set_attach_target) or leaves it unloaded. rmap_one is
 * (folio, vma, address, arg) -> bool; invalid_vma is (vma, arg) -> bool.
 */
#define RMAP_ONE(cb)							\
SEC("fexit")								\
int BPF_PROG(fexit_rmap_one_##cb, void *folio, struct vm_area_struct *vma,	\
	     unsigned long address, void *arg, bool ret)			\
{									\
	return walk_visit(cb, vma, address, ret, true);			\
}
RMAP_ONE(CB_TRY_TO_MIGRATE_ONE)
RMAP_ONE(CB_REMOVE_MIGRATION_PTE)
RMAP_ONE(CB_TRY_TO_UNMAP_ONE)
RMAP_ONE(CB_FOLIO_REFERENCED_ONE)
RMAP_ONE(CB_PAGE_IDLE_CLEAR_PTE_REFS_ONE)
RMAP_ONE(CB_DAMON_FOLIO_MKOLD_ONE)
RMAP_ONE(CB_DAMON_FOLIO_YOUNG_ONE)
RMAP_ONE(CB_PAGE_MKCLEAN_ONE)
RMAP_ONE(CB_PAGE_MAKE_DEVICE_EXCLUSIVE_ONE)

#define INVALID_VMA(cb)							\
SEC("fexit")								\
int BPF_PROG(fexit_invalid_vma_##cb, struct vm_area_struct *vma, void *arg,	\
	     bool ret)							\
{									\
	return walk_visit(cb, vma, 0, ret, true);				\
}
INVALID_VMA(CB_INVALID_MIGRATION_VMA)
INVALID_VMA(CB_INVALID_FOLIO_REFERENCED_VMA)

/* kprobe mode: the walk's begin and end, and the visits without their
 * return values. */
SEC("kprobe/rmap_walk_anon")
int BPF_KPROBE(kprobe_rmap_walk_anon, void *folio, struct rmap_walk_control *rwc)
{
	struct cur c = cur_get();

	if (walk_begin(folio, &c, false))
		stash_put(&c, STASH_WALK, (__u64)folio, (__u64)rwc);
	return 0;
}

SEC("kretprobe/rmap_walk_anon")
int BPF_KRETPROBE(kretprobe_rmap_walk_anon)
{
	struct cur c = cur_get();
	struct walk *w = walk_of((__u32)c.id);
	struct stash_args a;

	/* A nested walk's return: its kprobe stashed nothing. */
	if (w && w->active && w->nested) {
		w->nested--;
		return 0;
	}
	if (!stash_take(&c, STASH_WALK, &a))
		return 0;
	return walk_end((void *)a.a0, (void *)a.a1, &c, false);
}

#define RMAP_ONE_KPROBE(cb)						\
SEC("kprobe")								\
int BPF_KPROBE(kprobe_rmap_one_##cb, void *folio, struct vm_area_struct *vma,	\
	       unsigned long address)					\
{									\
	return walk_visit(cb, vma, address, 1, false);				\
}
RMAP_ONE_KPROBE(CB_TRY_TO_MIGRATE_ONE)
RMAP_ONE_KPROBE(CB_REMOVE_MIGRATION_PTE)
RMAP_ONE_KPROBE(CB_TRY_TO_UNMAP_ONE)
RMAP_ONE_KPROBE(CB_FOLIO_REFERENCED_ONE)
