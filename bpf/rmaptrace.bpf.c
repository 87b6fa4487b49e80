// SPDX-License-Identifier: GPL-2.0
/*
 * rmaptrace's BPF side: one ring buffer, the filters, and the programs,
 * grouped by the kernel object they watch in the headers included below.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rmaptrace.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* resized by user space (-b) */
} events SEC(".maps");

/* Events that found the ring buffer full, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);

	if (n)
		(*n)++;
}

static __always_inline void fill_hdr(struct event_hdr *h, __u32 type,
				     __u32 size)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();

	h->ts = bpf_ktime_get_ns();
	h->type = type;
	h->size = size;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->mm = (__u64)BPF_CORE_READ(task, mm);
	bpf_get_current_comm(&h->comm, sizeof(h->comm));
}

#include "core_fixes.bpf.h"
#include "task.bpf.h"
#include "anon_vma.bpf.h"
#include "rmap_walk.bpf.h"
