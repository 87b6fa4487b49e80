/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hierarchy as it stands when rmaptrace attaches: every VMA of every
 * traced process, with its anon_vma and AVCs, through the task_vma
 * iterator (5.12+), which holds the mm's mmap lock around each VMA.
 */

/* Iterators write through a buffer; this one is theirs alone. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vma_event);
} snapshot_buf SEC(".maps");

SEC("iter/task_vma")
int snapshot_vma(struct bpf_iter__task_vma *ctx)
{
	struct task_struct *task = ctx->task;
	struct vm_area_struct *vma = ctx->vma;
	struct vma_win v = {};
	struct cur c = {};
	struct vma_event *e;
	__u32 tgid, zero = 0;
	__u64 n, size;

	if (!task || !vma)
		return 0;
	tgid = BPF_CORE_READ(task, tgid);
	if (!tgid_traced(tgid))
		return 0;
	read_vma(vma, &v);
	if (vma_unlinked(&v))
		return 0;
	e = bpf_map_lookup_elem(&snapshot_buf, &zero);
	if (!e)
		return 0;
	/* The task iterated, not the one reading the iterator. */
	c.id = (__u64)tgid << 32 | BPF_CORE_READ(task, pid);
	c.mm = (__u64)BPF_CORE_READ(task, mm);
	fill_vma_event(e, MAX_CHAIN, EV_SNAPSHOT_VMA, 0, &v, NULL, 0, &c, NULL);
	BPF_CORE_READ_STR_INTO(&e->hdr.comm, task, comm);
	n = e->nr_chain;
	barrier_var(n);
	if (n > MAX_CHAIN)
		n = MAX_CHAIN;
	size = vma_event_size(n);
	e->hdr.size = size;
	bpf_seq_write(ctx->meta->seq, e, size);
	return 0;
}
