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

static __always_inline unsigned long folio_flags(void *folio)
{
	struct folio___ulong *old = folio;
	struct folio___memdesc *new = folio;

	if (bpf_core_field_exists(old->flags))
		return BPF_CORE_READ(old, flags);
	return BPF_CORE_READ(new, flags.f);
}

#endif
