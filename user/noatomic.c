// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF object built without cmpxchg (bpf/anon_vma.bpf.h), for kernels
 * before 5.12. user/attach.c opens its bytes through rmaptrace_bpf's
 * skeleton, which names programs, maps and global sections alike in both:
 * the globals must lie where that skeleton says.
 */
#include <errno.h>
#include <stdlib.h>
#include <bpf/libbpf.h>
#include "attach.h"
#pragma GCC diagnostic ignored "-Wunused-function"
#include "rmaptrace.skel.h"
#include "rmaptrace_noatomic.skel.h"

_Static_assert(sizeof(struct rmaptrace_bpf__bss) == sizeof(struct rmaptrace_noatomic_bpf__bss),
	       "both objects' .bss alike");
_Static_assert(sizeof(struct rmaptrace_bpf__rodata) == sizeof(struct rmaptrace_noatomic_bpf__rodata),
	       "both objects' .rodata alike");
_Static_assert(sizeof(((struct rmaptrace_bpf *)0)->progs) ==
	       sizeof(((struct rmaptrace_noatomic_bpf *)0)->progs), "both objects' programs alike");
_Static_assert(sizeof(((struct rmaptrace_bpf *)0)->maps) ==
	       sizeof(((struct rmaptrace_noatomic_bpf *)0)->maps), "both objects' maps alike");

const void *rmaptrace_noatomic_elf(size_t *sz)
{
	return rmaptrace_noatomic_bpf__elf_bytes(sz);
}
