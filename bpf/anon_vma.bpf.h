/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct anon_vma and struct anon_vma_chain: created, linked, cloned,
 * unlinked and freed.
 */

/*
 * The anon_vmas of traced hierarchies. Work on an anon_vma can run in any
 * task (reclaim, compaction, the last mmput), so frees and walks are
 * filtered by object, not by current.
 *
 * A direct-mapped table in .bss holds them, indexed by a hash of the
 * pointer; one whose slot is another's goes to the traced_anon_vmas map.
 * Each event learns every anon_vma of its chain, and a fork's chain
 * repeats its parent's, so most are known already; and a hash map's
 * update at learning and delete at the put were half the cost of a fork
 * event and of a put (BENCHMARKS.md). A slot is claimed by cmpxchg, so
 * two anon_vmas learnt at once on two CPUs cannot both think they hold
 * it. Kernels before 5.12 refuse a program that holds a cmpxchg even
 * where it is never reached: for them rmaptrace loads a second build of
 * this object (RMAPTRACE_NO_ATOMICS) in which the map holds every traced
 * anon_vma and the table is a copy of it, written at learning (which
 * happens only while a VMA's chain holds the anon_vma, so no put can race
 * with it) and cleared at the put.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__type(key, __u64);
	__type(value, __u8);
} traced_anon_vmas SEC(".maps");

__u64 anon_vma_slots[16384];
/* Slots in use: a power of two, fewer only for tests (user space's
 * RMAPTRACE_ANON_VMA_SLOTS), so that the map's path is taken. */
const volatile __u32 anon_vma_slot_mask = ARRAY_SIZE(anon_vma_slots) - 1;
/* Entries in traced_anon_vmas, so that most lookups and deletes are
 * skipped while there are none (with cmpxchg only). */
__u64 traced_overflow;

/* The low half of v as a plain number. Values loaded through BTF
 * pointers (fentry/fexit) are pointers to the verifier, which refuses any
 * arithmetic on them but adding offsets; a 32-bit move is allowed to a
 * privileged program and gives a scalar (the kernel selftests' "partial
 * copy of pointer"). */
static __always_inline __u32 low_half(__u64 v)
{
	register __u64 in asm("r1") = v;
	register __u64 out asm("r2");

	asm volatile("w2 = w1" : "=r"(out) : "r"(in));
	return out;
}

static __always_inline __u64 *anon_vma_slot(__u64 av)
{
	/* Slab objects: a multiplicative hash of the low half, whose
	 * bottom bits say little. */
	__u32 i = (low_half(av) * 2654435769u) >> 18;

	return &anon_vma_slots[i & anon_vma_slot_mask & (ARRAY_SIZE(anon_vma_slots) - 1)];
}

/* May traced_anon_vmas hold anything? With cmpxchg, only while it has
 * entries; without, it holds every traced anon_vma. */
static __always_inline bool traced_map_used(void)
{
#ifndef RMAPTRACE_NO_ATOMICS
	return traced_overflow;
#else
	return true;
#endif
}

static __always_inline bool anon_vma_traced(__u64 av)
{
	if (!av)
		return false;
	if (*anon_vma_slot(av) == av)
		return true;
	return traced_map_used() && bpf_map_lookup_elem(&traced_anon_vmas, &av);
}

#ifndef RMAPTRACE_NO_ATOMICS

static __always_inline void trace_anon_vma(__u64 av)
{
	traced_set_add(&traced_anon_vmas, &traced_overflow, anon_vma_slot(av), av, &av);
}

/* At its free: an anon_vma is put once. It can be in its slot and in the
 * map both, when a learning that found the slot taken was overtaken by
 * one that found it free. */
static __always_inline void untrace_anon_vma(__u64 av)
{
	__u64 *slot = anon_vma_slot(av);

	if (*slot == av)
		*slot = 0;
	if (traced_overflow && !bpf_map_delete_elem(&traced_anon_vmas, &av))
		__sync_fetch_and_add(&traced_overflow, -1);
}

#else	/* RMAPTRACE_NO_ATOMICS */

static __always_inline void trace_anon_vma(__u64 av)
{
	__u64 *slot = anon_vma_slot(av);
	__u8 one = 1;

	if (!av || *slot == av)
		return;
	/* A lookup is much cheaper than an update of a hash map. */
	if (!bpf_map_lookup_elem(&traced_anon_vmas, &av))
		bpf_map_update_elem(&traced_anon_vmas, &av, &one, BPF_ANY);
	*slot = av;
}

static __always_inline void untrace_anon_vma(__u64 av)
{
	__u64 *slot = anon_vma_slot(av);

	if (*slot == av)
		*slot = 0;
	bpf_map_delete_elem(&traced_anon_vmas, &av);
}

#endif	/* RMAPTRACE_NO_ATOMICS */

/* Copy avc->anon_vma along the VMA's chain, up to cap AVCs (cap a
 * power of two); with learn, each becomes traced. False when the list
 * goes on past cap and a larger event is wanted; at MAX_CHAIN it is cut
 * and flagged instead. btf: v was read through a BTF pointer. */
static __always_inline bool read_chain(const struct vma_win *v,
				       struct vma_event *e, __u32 cap, bool learn,
				       bool btf)
{
	__u64 pos = v->chain_next, av = 0;
	__u32 n = 0;

	for (int i = 0; i < cap; i++) {
		if (!pos || pos == v->chain_head)
			break;
		pos = read_avc_any(btf, pos, &av);
		e->chain[n & (cap - 1)] = av;
		if (learn)
			trace_anon_vma(av);
		n++;
	}
	e->nr_chain = n;
	e->chain_truncated = pos && pos != v->chain_head;
	return !e->chain_truncated || cap == MAX_CHAIN;
}

/* Fill e, which has room for cap chain entries; hdr.size says how much
 * of it was reserved (the collector reads nr_chain entries). False when
 * the chain needs more room. bvma: the VMA as a BTF pointer (fentry and
 * fexit), or NULL. */
static __always_inline bool fill_vma_event(struct vma_event *e, __u32 cap,
					   __u32 type, int ret,
					   const struct vma_win *vma,
					   const struct vma_win *src,
					   __u64 entry_ts, const struct cur *c,
					   struct vm_area_struct *bvma)
{
	struct anon_vma *av = (void *)vma->vi.anon_vma;
	/* Creation, cloning and the snapshot bring anon_vmas into the traced
	 * set; teardown does not. The command's own exec tears down the copy
	 * of rmaptrace's memory it was forked with, whose chains hold
	 * rmaptrace's anon_vmas: learnt there, walks of rmaptrace's pages by
	 * any task (sid's kdamond) came out as walks of unknown anon_vmas. */
	bool learn = type != EV_UNLINK_ANON_VMAS;

	/* Every byte before chain[] is written below (the snapshots write
	 * all of theirs): no memset first. */
	fill_hdr_cur(&e->hdr, type, vma_event_size(cap), c);
	e->entry_ts = entry_ts ?: e->hdr.ts;
	e->ret = ret;
	e->pad = 0;
	e->vma = vma->vi;
	if (src)
		e->src = src->vi;
	else
		e->src = (struct vma_info){};
	if (bvma && av) {
		snap_anon_vma_btf(snap_anon_vma_btf(bvma->anon_vma, &e->av),
				  &e->parent);
	} else {
		snap_anon_vma(av, &e->av);
		snap_anon_vma((void *)e->av.parent, &e->parent);
	}
	if (av) {
		e->av.read_ts = bpf_ktime_get_ns();
		if (e->parent.flags)
			e->parent.read_ts = e->av.read_ts;
		if (learn)
			trace_anon_vma((__u64)av);
	}
	return read_chain(vma, e, cap, learn, bvma != NULL);
}

/*
 * Reserved straight in the ring buffer, in one of three sizes by chain
 * length: a per-CPU scratch buffer would be shared by programs that
 * preemptible kernels can interleave on one CPU. The chain is read once,
 * into the smallest size; only a longer one is read again into the next.
 */
#define TRY_VMA_EVENT_CAP(cap)							\
	do {									\
		struct vma_event *e =						\
			bpf_ringbuf_reserve(&events, vma_event_size(cap), 0);	\
		if (!e) {							\
			count_lost();						\
			return 0;						\
		}								\
		if (fill_vma_event(e, cap, type, ret, vma, src, entry_ts, c,	\
				   bvma)) {					\
			bpf_ringbuf_submit(e, rb_flags());			\
			return 0;						\
		}								\
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);			\
	} while (0)

static __always_inline int emit_vma_event(__u32 type, int ret,
					  const struct vma_win *vma,
					  const struct vma_win *src,
					  __u64 entry_ts, const struct cur *c,
					  struct vm_area_struct *bvma)
{
	TRY_VMA_EVENT_CAP(8);
	TRY_VMA_EVENT_CAP(32);
	TRY_VMA_EVENT_CAP(MAX_CHAIN);
	return 0;
}

/* The entry half of each fexit hook below: when the call began. */
static __always_inline int stamp_entry(__u32 func)
{
	struct cur c = cur_get();

	if (current_traced(&c))
		stamp_put(&c, func);
	return 0;
}

/* btf: vma is a BTF pointer (fentry/fexit); a constant at every call. */
static __always_inline int on_anon_vma_prepare(struct vm_area_struct *vma,
					       int ret, __u64 entry_ts,
					       const struct cur *c, bool btf)
{
	struct vma_win v = {};

	read_vma_any(btf, vma, &v);
	return emit_vma_event(EV_ANON_VMA_PREPARE, ret, &v, NULL, entry_ts, c,
			      btf ? vma : NULL);
}

SEC("fentry/__anon_vma_prepare")
int BPF_PROG(fentry_anon_vma_prepare)
{
	return stamp_entry(STASH_PREPARE);
}

SEC("fexit/__anon_vma_prepare")
int BPF_PROG(fexit_anon_vma_prepare, struct vm_area_struct *vma, int ret)
{
	struct cur c = cur_get();

	if (!current_traced(&c))
		return 0;
	return on_anon_vma_prepare(vma, ret, stamp_take(&c, STASH_PREPARE), &c,
				   true);
}

/* Runs in the parent, inside dup_mmap, before the child has a pid: vma is
 * the child's VMA and vma->vm_mm the child's mm, which EV_FORK names.
 * dup_mmap calls it for every VMA; those without an anon_vma are no news.
 * Callers have checked that current is traced (fexit) or stashed the call
 * only if it was (kretprobe): one lookup per call is enough. */
static __always_inline int on_anon_vma_fork(struct vm_area_struct *vma,
					    struct vm_area_struct *pvma, int ret,
					    __u64 entry_ts, struct cur *c,
					    bool btf)
{
	struct vma_win v = {}, pv = {};

	if (btf) {
		/* vm_area_dup copied pvma whole: the child's VMA has its
		 * start, end and pgoff. */
		read_vma_links_btf(pvma, &pv);
		if (!ret && !pv.vi.anon_vma)
			return 0;
		read_vma_btf(vma, &v);
		pv.vi.mm = (__u64)pvma->vm_mm;
		pv.vi.vm_start = v.vi.vm_start;
		pv.vi.vm_end = v.vi.vm_end;
		pv.vi.vm_pgoff = v.vi.vm_pgoff;
	} else {
		read_vma(pvma, &pv);
		if (!ret && !pv.vi.anon_vma)
			return 0;
		read_vma(vma, &v);
	}
	/* dup_mmap copies current's mm: pvma is in it. */
	c->mm = pv.vi.mm;
	return emit_vma_event(EV_ANON_VMA_FORK, ret, &v, &pv, entry_ts, c,
			      btf ? vma : NULL);
}

/*
 * anon_vma_fork returns 0 at once for a pvma without an anon_vma (half of
 * a fork's calls: PROT_NONE, file and never-written VMAs), and dup_mmap
 * holds the parent's mmap lock for writing, so no fault gives pvma one
 * in between: both halves skip such a call on one load, before any
 * helper call (each costs about an empty program's run under emulation).
 */
SEC("fentry/anon_vma_fork")
int BPF_PROG(fentry_anon_vma_fork, struct vm_area_struct *vma,
	     struct vm_area_struct *pvma)
{
	if (!pvma->anon_vma)
		return 0;
	return stamp_entry(STASH_FORK);
}

SEC("fexit/anon_vma_fork")
int BPF_PROG(fexit_anon_vma_fork, struct vm_area_struct *vma,
	     struct vm_area_struct *pvma, int ret)
{
	struct cur c;

	if (!pvma->anon_vma)
		return 0;
	c = cur_get();
	if (!current_traced(&c))
		return 0;
	return on_anon_vma_fork(vma, pvma, ret, stamp_take(&c, STASH_FORK), &c,
				true);
}

/* Split, merge and mremap clone within current's mm. A clone into another
 * mm is anon_vma_fork's, whose own event reports the finished chain.
 * Current is known to be traced, as for on_anon_vma_fork. */
static __always_inline int on_anon_vma_clone(struct vm_area_struct *dst,
					     struct vm_area_struct *src, int ret,
					     __u64 entry_ts, struct cur *c,
					     bool btf)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct vma_win d = {}, s = {};

	read_vma_any(btf, dst, &d);
	if (d.vi.mm != (__u64)BPF_CORE_READ(task, mm) || (!ret && vma_unlinked(&d)))
		return 0;
	read_vma_any(btf, src, &s);
	c->mm = d.vi.mm;
	return emit_vma_event(EV_ANON_VMA_CLONE, ret, &d, &s, entry_ts, c,
			      btf ? dst : NULL);
}

/* anon_vma_fork's own clone, into the child's mm: skipped before any
 * helper call (fentry/fexit arguments are BTF pointers, read in place). */
static __always_inline bool clone_for_fork(struct vm_area_struct *dst,
					   struct vm_area_struct *src)
{
	return dst->vm_mm != src->vm_mm;
}

SEC("fentry/anon_vma_clone")
int BPF_PROG(fentry_anon_vma_clone, struct vm_area_struct *dst,
	     struct vm_area_struct *src)
{
	if (clone_for_fork(dst, src))
		return 0;
	return stamp_entry(STASH_CLONE);
}

SEC("fexit/anon_vma_clone")
int BPF_PROG(fexit_anon_vma_clone, struct vm_area_struct *dst,
	     struct vm_area_struct *src, int ret)
{
	struct cur c;

	if (clone_for_fork(dst, src))
		return 0;
	c = cur_get();
	if (!current_traced(&c))
		return 0;
	return on_anon_vma_clone(dst, src, ret, stamp_take(&c, STASH_CLONE), &c,
				 true);
}

/* Newer kernels pass the VMA operation as a third argument; user space
 * loads whichever of the two matches the kernel's BTF. */
SEC("fexit/anon_vma_clone")
int BPF_PROG(fexit_anon_vma_clone3, struct vm_area_struct *dst,
	     struct vm_area_struct *src, int op, int ret)
{
	struct cur c;

	if (clone_for_fork(dst, src))
		return 0;
	c = cur_get();
	if (!current_traced(&c))
		return 0;
	return on_anon_vma_clone(dst, src, ret, stamp_take(&c, STASH_CLONE), &c,
				 true);
}

/* VMA teardown may run outside the process (the last mmput): traced by
 * the task or by the anon_vma. */
static __always_inline int on_unlink_anon_vmas(struct vm_area_struct *vma,
					       bool btf)
{
	struct vma_win v = {};
	struct cur c;

	/* free_pgtables unlinks every VMA, half of them with nothing to
	 * unlink: those go before any helper call, and in fentry mode
	 * after three loads. So do all of a teardown that EV_EXIT_MMAP
	 * reported whole (mm.bpf.h), after two: that test first, since
	 * most unlinks are an exit's or an exec's. */
	if (btf) {
		if (mm_in_teardown(vma->vm_mm))
			return 0;
		read_vma_links_btf(vma, &v);
		if (vma_unlinked(&v))
			return 0;
		read_vma_place_btf(vma, &v);
	} else {
		read_vma(vma, &v);
		if (vma_unlinked(&v))
			return 0;
	}
	/* One time for the call's entry and the event's. */
	c = (struct cur){ bpf_get_current_pid_tgid(), bpf_ktime_get_ns() };
	if (!current_traced(&c) && !anon_vma_traced(v.vi.anon_vma))
		return 0;
	/* The chain is gone at return: report it now, and the end later. */
	if (btf)
		stamp_put(&c, STASH_UNLINK);
	else
		stash_put(&c, STASH_UNLINK, 0, 0);
	return emit_vma_event(EV_UNLINK_ANON_VMAS, 0, &v, NULL, c.ts, &c,
			      btf ? vma : NULL);
}

static __always_inline int on_unlink_done(struct vm_area_struct *vma, bool btf)
{
	struct unlink_done_event *e;
	struct stash_args a = {};
	struct cur c;

	if (btf && mm_in_teardown(vma->vm_mm))
		return 0;
	c = cur_get();
	if (btf)
		a.ts = stamp_take(&c, STASH_UNLINK);
	else
		stash_take(&c, STASH_UNLINK, &a);
	if (!a.ts)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_hdr_cur(&e->hdr, EV_UNLINK_DONE, sizeof(*e), &c);
	e->entry_ts = a.ts;
	bpf_ringbuf_submit(e, rb_flags());
	return 0;
}

SEC("fentry/unlink_anon_vmas")
int BPF_PROG(fentry_unlink_anon_vmas, struct vm_area_struct *vma)
{
	return on_unlink_anon_vmas(vma, true);
}

SEC("fexit/unlink_anon_vmas")
int BPF_PROG(fexit_unlink_anon_vmas, struct vm_area_struct *vma)
{
	return on_unlink_done(vma, true);
}

/* The last reference: anon_vma is freed, and with it its root when this
 * held the root's last reference (anon_vma_free(root) runs inline). */
static __always_inline int on_put_anon_vma(struct anon_vma *anon_vma, bool btf)
{
	__u64 av = (__u64)anon_vma;
	struct anon_vma *root;
	struct put_event *e;
	int root_refs;

	if (!anon_vma_traced(av))
		return 0;
	untrace_anon_vma(av);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	/* As fill_vma_event: every byte written, no memset. */
	fill_hdr(&e->hdr, EV_PUT_ANON_VMA, sizeof(*e));
	if (btf) {
		snap_anon_vma_btf(anon_vma, &e->av);
		root = anon_vma->root;
		if (root == anon_vma)
			root = NULL;
		/* The collector reads the root's counters only where this
		 * put frees it too (refcount 1): otherwise the root and its
		 * refcount say enough, and four loads fewer (8 instructions
		 * each under the JIT's guard) run on every put. */
		root_refs = root ? root->refcount.counter : 0;
		if (root_refs == 1) {
			snap_anon_vma_btf(root, &e->root);
		} else {
			e->root = (struct anon_vma_snap){};
			if (root) {
				e->root.anon_vma = (__u64)root;
				e->root.refcount = root_refs;
			}
		}
	} else {
		snap_anon_vma(anon_vma, &e->av);
		root = (void *)e->av.root;
		snap_anon_vma(root != anon_vma ? root : NULL, &e->root);
	}
	/* Nothing links to an anon_vma being freed (unlink_anon_vmas puts
	 * it with no children and no VMA), nor to its root where this is the
	 * root's last reference, the only root reading the collector
	 * compares: no other task can change what was read, so the header's
	 * time serves for the reading. A clock read is 46 instructions. */
	e->av.read_ts = e->hdr.ts;
	e->root.read_ts = e->root.flags ? e->hdr.ts : 0;
	/* The root stays traced: anon_vma_free's kmem_cache_free below says
	 * whether this put freed it, which its refcount here cannot. */
	bpf_ringbuf_submit(e, rb_flags());
	return 0;
}

/*
 * Every slab free on the machine passes here; an anon_vma rmaptrace
 * traces is one only a root freed inline by __put_anon_vma can be (the
 * put program untraced its own argument). The test is the traced set's
 * table, a hash and a load. Tracepoint programs run with preemption off,
 * so it serves kprobe mode too.
 */
SEC("raw_tp/kmem_cache_free")
int BPF_PROG(anon_vma_free, unsigned long call_site, unsigned long ptr)
{
	/* raw_tp: tp_btf refuses the void * argument (not a struct) */
	__u64 av = ptr;
	struct free_event *e;

	if (!anon_vma_traced(av))
		return 0;
	untrace_anon_vma(av);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_hdr(&e->hdr, EV_ANON_VMA_FREE, sizeof(*e));
	e->anon_vma = av;
	bpf_ringbuf_submit(e, rb_flags());
	return 0;
}

SEC("fentry/__put_anon_vma")
int BPF_PROG(fentry_put_anon_vma, struct anon_vma *anon_vma)
{
	return on_put_anon_vma(anon_vma, true);
}

/* kprobe mode, for kernels or builds where fentry/fexit cannot attach. */

SEC("kprobe/__anon_vma_prepare")
int BPF_KPROBE(kprobe_anon_vma_prepare, struct vm_area_struct *vma)
{
	struct cur c = cur_get();

	if (current_traced(&c))
		stash_put(&c, STASH_PREPARE, (__u64)vma, 0);
	return 0;
}

SEC("kretprobe/__anon_vma_prepare")
int BPF_KRETPROBE(kretprobe_anon_vma_prepare, int ret)
{
	struct cur c = cur_get();
	struct stash_args a;

	if (!stash_take(&c, STASH_PREPARE, &a))
		return 0;
	return on_anon_vma_prepare((void *)a.a0, ret, a.ts, &c, false);
}

SEC("kprobe/anon_vma_fork")
int BPF_KPROBE(kprobe_anon_vma_fork, struct vm_area_struct *vma,
	       struct vm_area_struct *pvma)
{
	struct cur c = cur_get();

	if (current_traced(&c))
		stash_put(&c, STASH_FORK, (__u64)vma, (__u64)pvma);
	return 0;
}

SEC("kretprobe/anon_vma_fork")
int BPF_KRETPROBE(kretprobe_anon_vma_fork, int ret)
{
	struct cur c = cur_get();
	struct stash_args a;

	if (!stash_take(&c, STASH_FORK, &a))
		return 0;
	return on_anon_vma_fork((void *)a.a0, (void *)a.a1, ret, a.ts, &c, false);
}

SEC("kprobe/anon_vma_clone")
int BPF_KPROBE(kprobe_anon_vma_clone, struct vm_area_struct *dst,
	       struct vm_area_struct *src)
{
	struct cur c = cur_get();

	if (current_traced(&c))
		stash_put(&c, STASH_CLONE, (__u64)dst, (__u64)src);
	return 0;
}

SEC("kretprobe/anon_vma_clone")
int BPF_KRETPROBE(kretprobe_anon_vma_clone, int ret)
{
	struct cur c = cur_get();
	struct stash_args a;

	if (!stash_take(&c, STASH_CLONE, &a))
		return 0;
	return on_anon_vma_clone((void *)a.a0, (void *)a.a1, ret, a.ts, &c,
				 false);
}

SEC("kprobe/unlink_anon_vmas")
int BPF_KPROBE(kprobe_unlink_anon_vmas, struct vm_area_struct *vma)
{
	return on_unlink_anon_vmas(vma, false);
}

SEC("kretprobe/unlink_anon_vmas")
int BPF_KRETPROBE(kretprobe_unlink_anon_vmas)
{
	return on_unlink_done(NULL, false);
}

SEC("kprobe/__put_anon_vma")
int BPF_KPROBE(kprobe_put_anon_vma, struct anon_vma *anon_vma)
{
	return on_put_anon_vma(anon_vma, false);
}
