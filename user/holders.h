/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel holders of anon_vma references that are not VMAs and can outlive
 * the processes: what invariant 6 must know to tell a holder from a leak.
 * One today, KSM's stable rmap items (struct ksm_event); kept per node,
 * aside from the nodes, as few anon_vmas ever have one.
 */
#ifndef HOLDERS_H
#define HOLDERS_H

#include <stdint.h>
#include "ptrmap.h"

struct av_hold {
	uint32_t anon_vma;	/* node index */
	uint32_t ksm;		/* stable rmap_items holding it, as seen */
	uint32_t ksm_gets;	/* references KSM took while traced */
};

struct holders {
	struct ptrmap by_node;	/* node index + 2 -> index in h[] */
	struct av_hold *h;
	uint32_t nr, cap;
	/* KSM puts of references taken before tracing began (-p). */
	uint64_t ksm_untraced_puts;
};

int holders_init(struct holders *hs);
void holders_free(struct holders *hs);
/* A stable rmap_item took (get) or dropped its reference on node i. */
int holders_ksm(struct holders *hs, uint32_t i, bool get);
/* Node i was freed, or its index is reused: it holds nothing now. */
void holders_forget(struct holders *hs, uint32_t i);
/* Nodes some holder has now (freed ones hold nothing). */
uint32_t holders_nr_held(const struct holders *hs);
/* What holds node i, or NULL. */
const struct av_hold *holders_of(const struct holders *hs, uint32_t i);

#endif
