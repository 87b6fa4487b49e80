/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the kernel's objects: one bpf_probe_read_kernel per object, not
 * one per field. Under emulation a helper call costs about what an empty
 * program run does, and the events read up to thirty fields each (their
 * cost tracked the number of helper calls: BENCHMARKS.md). Each object
 * is copied from its start to the end of the last field wanted into a
 * window on the stack; the offsets are the running kernel's (CO-RE), so
 * constants to the verifier, which refuses at load a layout whose fields
 * end past the window.
 */
#ifndef OBJECTS_BPF_H
#define OBJECTS_BPF_H

#define umax(a, b)	((a) > (b) ? (a) : (b))

/* Where field f of *p ends in the running kernel's layout. */
#define field_end(p, f)	(bpf_core_field_offset(p->f) + bpf_core_field_size(p->f))

/* Field f of *p out of a window copied from p's start. */
#define win_get(w, p, f) \
	(*(typeof(p->f) *)((void *)(w) + bpf_core_field_offset(p->f)))

/* Copy the first len bytes of obj into w (zeroed on failure). */
#define read_window(w, len, obj)						\
	bpf_probe_read_kernel(w, (len) < sizeof(w) ? (len) : sizeof(w), obj)

/* A VMA with where its anon_vma_chain list starts. */
struct vma_win {
	struct vma_info vi;
	__u64 chain_head;	/* &vma->anon_vma_chain */
	__u64 chain_next;	/* vma->anon_vma_chain.next */
};

/* vm_start..vm_pgoff: 160 bytes on 5.10, 128 on 6.12. */
static __always_inline void read_vma(struct vm_area_struct *vma,
				     struct vma_win *v)
{
	__u64 w[24];
	__u32 len = umax(umax(field_end(vma, vm_end), field_end(vma, vm_mm)),
			 umax(umax(field_end(vma, vm_pgoff), field_end(vma, anon_vma)),
			      field_end(vma, anon_vma_chain.next)));

	if (!vma || read_window(w, len, vma))
		return;
	v->vi.vma = (__u64)vma;
	v->vi.mm = (__u64)win_get(w, vma, vm_mm);
	v->vi.vm_start = win_get(w, vma, vm_start);
	v->vi.vm_end = win_get(w, vma, vm_end);
	v->vi.vm_pgoff = win_get(w, vma, vm_pgoff);
	v->vi.anon_vma = (__u64)win_get(w, vma, anon_vma);
	v->chain_head = (__u64)&vma->anon_vma_chain;
	v->chain_next = (__u64)win_get(w, vma, anon_vma_chain.next);
}

/* No anon_vma and no AVC: nothing of the hierarchy to report (clones
 * and teardown of PROT_NONE, file and never-written VMAs). */
static __always_inline bool vma_unlinked(const struct vma_win *v)
{
	return !v->vi.anon_vma && v->chain_next == v->chain_head;
}

/*
 * The snapshots write every field of *s, zeros for no anon_vma (a NULL
 * pointer): the events are filled in place in the ring buffer, not
 * zeroed first, since a store costs under emulation. root..parent: 80
 * bytes on 6.x, 72 with degree. The caller sets read_ts, once for all
 * the anon_vmas of an event.
 */
static __always_inline void snap_anon_vma(struct anon_vma *av,
					  struct anon_vma_snap *s)
{
	struct anon_vma___degree *old = (void *)av;
	__u64 w[16];
	__u32 len = umax(umax(field_end(av, root), field_end(av, parent)),
			 field_end(av, refcount.counter));

	s->read_ts = 0;
	if (!av) {
		*s = (struct anon_vma_snap){};
		return;
	}
	if (bpf_core_field_exists(av->num_children))
		len = umax(len, umax(field_end(av, num_children),
				     field_end(av, num_active_vmas)));
	else
		len = umax(len, field_end(old, degree));
	read_window(w, len, av);
	s->anon_vma = (__u64)av;
	s->root = (__u64)win_get(w, av, root);
	s->parent = (__u64)win_get(w, av, parent);
	s->refcount = win_get(w, av, refcount.counter);
	if (bpf_core_field_exists(av->num_children)) {
		s->num_children = win_get(w, av, num_children);
		s->num_active_vmas = win_get(w, av, num_active_vmas);
		s->flags = SNAP_VALID | SNAP_HAS_NUM_CHILDREN;
	} else {
		s->num_children = win_get(w, old, degree);
		s->num_active_vmas = 0;
		s->flags = SNAP_VALID | SNAP_HAS_DEGREE;
	}
}

/* One AVC on a VMA's list: its anon_vma, and the next list entry. */
static __always_inline __u64 read_avc(__u64 pos, __u64 *anon_vma)
{
	struct anon_vma_chain *avc;
	__u64 w[4];
	__u32 len;

	/* A failed read leaves zeros: anon_vma 0, and the walk ends. */
	avc = (void *)(pos - bpf_core_field_offset(struct anon_vma_chain, same_vma));
	len = umax(field_end(avc, anon_vma), field_end(avc, same_vma.next));
	read_window(w, len, avc);
	*anon_vma = (__u64)win_get(w, avc, anon_vma);
	return (__u64)win_get(w, avc, same_vma.next);
}

/*
 * A VMA's chain is a list of AVCs, and list_head.next is typed as a
 * list_head, not as the AVC around it: the verifier refuses the negative
 * offset of container_of on a BTF pointer, so each AVC was a probe read,
 * one helper call per AVC of every fork and unlink event. 6.2+ has
 * bpf_rdonly_cast, which makes a number a BTF pointer of any type and
 * which the verifier turns into a plain move: the AVC's fields are then
 * loads (a bad pointer reads as zero, as with a probe read). Where the
 * kernel lacks it, libbpf leaves the weak call unresolved and user space
 * clears avc_btf_loads (user/attach.c), so the verifier prunes the call
 * unseen. Kernels before 5.12 load the build without cmpxchg, which is
 * the one without the call (5.10 knows no kernel function calls).
 */
const volatile bool avc_btf_loads = false;

#ifndef RMAPTRACE_NO_ATOMICS
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

static __always_inline __u64 read_avc_btf(__u64 pos, __u64 *anon_vma)
{
	struct anon_vma_chain *avc =
		bpf_rdonly_cast((void *)(pos - bpf_core_field_offset(struct anon_vma_chain, same_vma)),
				bpf_core_type_id_kernel(struct anon_vma_chain));

	*anon_vma = (__u64)avc->anon_vma;
	return (__u64)avc->same_vma.next;
}
#endif

/* btf: as below, a constant at every call. */
static __always_inline __u64 read_avc_any(bool btf, __u64 pos, __u64 *anon_vma)
{
#ifndef RMAPTRACE_NO_ATOMICS
	if (btf && avc_btf_loads)
		return read_avc_btf(pos, anon_vma);
#endif
	return read_avc(pos, anon_vma);
}

/*
 * fentry/fexit arguments are BTF pointers, and so is every pointer field
 * loaded through one: their fields are plain loads, no helper call at all
 * (a bad pointer reads as zero, as with a probe read). The kprobe mode's
 * pointers are plain numbers to the verifier and go through the windows
 * above. A caller passes btf as a constant: the other branch is compiled
 * out, so a kprobe program never holds a load the verifier would refuse.
 *
 * First the VMA's place in the hierarchy: enough to tell whether an event
 * is due (vma_unlinked, pvma->anon_vma) before the rest is read. Half of
 * a fork's and of an exit's VMAs have no event, and each load counts
 * under emulation.
 */
static __always_inline void read_vma_links_btf(struct vm_area_struct *vma,
					       struct vma_win *v)
{
	v->vi.vma = (__u64)vma;
	v->vi.anon_vma = (__u64)vma->anon_vma;
	v->chain_head = (__u64)&vma->anon_vma_chain;
	v->chain_next = (__u64)vma->anon_vma_chain.next;
}

/* The rest: its mm and its place in that mm's address space. */
static __always_inline void read_vma_place_btf(struct vm_area_struct *vma,
					       struct vma_win *v)
{
	v->vi.mm = (__u64)vma->vm_mm;
	v->vi.vm_start = vma->vm_start;
	v->vi.vm_end = vma->vm_end;
	v->vi.vm_pgoff = vma->vm_pgoff;
}

static __always_inline void read_vma_btf(struct vm_area_struct *vma,
					 struct vma_win *v)
{
	if (!vma)
		return;
	read_vma_links_btf(vma, v);
	read_vma_place_btf(vma, v);
}

static __always_inline void read_vma_any(bool btf, struct vm_area_struct *vma,
					 struct vma_win *v)
{
	if (btf)
		read_vma_btf(vma, v);
	else
		read_vma(vma, v);
}

/* Returns av->parent as a BTF pointer, for the caller's next snapshot:
 * loaded once. */
static __always_inline struct anon_vma *snap_anon_vma_btf(struct anon_vma *av,
							  struct anon_vma_snap *s)
{
	struct anon_vma___degree *old = (void *)av;
	struct anon_vma *parent;

	s->read_ts = 0;
	if (!av) {
		*s = (struct anon_vma_snap){};
		return NULL;
	}
	parent = av->parent;
	s->anon_vma = (__u64)av;
	s->root = (__u64)av->root;
	s->parent = (__u64)parent;
	s->refcount = av->refcount.counter;
	if (bpf_core_field_exists(av->num_children)) {
		s->num_children = av->num_children;
		s->num_active_vmas = av->num_active_vmas;
		s->flags = SNAP_VALID | SNAP_HAS_NUM_CHILDREN;
	} else {
		s->num_children = old->degree;
		s->num_active_vmas = 0;
		s->flags = SNAP_VALID | SNAP_HAS_DEGREE;
	}
	return parent;
}

#endif
