// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's floor: empty programs on the hooks rmaptrace uses, in
 * fentry/fexit mode. tests/bench/floor.c points each at its function.
 * What they cost is what any tracer of these hooks pays before doing
 * anything; rmaptrace's overhead is measured against it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#define EMPTY(kind, n)					\
	SEC(#kind) int BPF_PROG(floor_##kind##_##n)	\
	{						\
		return 0;				\
	}

EMPTY(fentry, 0) EMPTY(fentry, 1) EMPTY(fentry, 2) EMPTY(fentry, 3)
EMPTY(fentry, 4) EMPTY(fentry, 5) EMPTY(fentry, 6) EMPTY(fentry, 7)
EMPTY(fexit, 0) EMPTY(fexit, 1) EMPTY(fexit, 2) EMPTY(fexit, 3)
EMPTY(fexit, 4) EMPTY(fexit, 5) EMPTY(fexit, 6) EMPTY(fexit, 7)
EMPTY(fexit, 8) EMPTY(fexit, 9) EMPTY(fexit, 10) EMPTY(fexit, 11)
EMPTY(fexit, 12) EMPTY(fexit, 13) EMPTY(fexit, 14) EMPTY(fexit, 15)
EMPTY(fexit, 16)

SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_fork)
{
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(floor_exit)
{
	return 0;
}
