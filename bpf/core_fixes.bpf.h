/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Struct flavours for fields that differ between the kernels rmaptrace
 * runs on. The checked-in vmlinux.h describes the newest layout; older
 * ones are spelled here and chosen at load time by field existence.
 */
#ifndef CORE_FIXES_BPF_H
#define CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/* Before num_children/num_active_vmas were split out of it (2022), one
 * counter, degree, counted child anon_vmas and VMAs together. */
struct anon_vma___degree {
	unsigned int degree;
} __attribute__((preserve_access_index));

/* folio->flags became a memdesc_flags_t wrapping the word (7.x). */
struct memdesc_flags___x {
	unsigned long f;
};

struct folio___memdesc {
	struct memdesc_flags___x flags;
} __attribute__((preserve_access_index));

struct folio___ulong {
	unsigned long flags;
} __attribute__((preserve_access_index));

/* Read field f of BTF-typed or plain pointer p: a plain load where the
 * verifier knows p's type (fentry/fexit arguments), else a probe read.
 * btf is a constant at every call: the other branch is compiled out. */
#define read_field(btf, p, f)	((btf) ? (p)->f : BPF_CORE_READ(p, f))

static __always_inline unsigned long folio_flags(void *folio, bool btf)
{
	struct folio___ulong *old = folio;
	struct folio___memdesc *new = folio;

	if (bpf_core_field_exists(old->flags))
		return read_field(btf, old, flags);
	return read_field(btf, new, flags.f);
}

#endif
