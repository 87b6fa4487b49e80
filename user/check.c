// SPDX-License-Identifier: GPL-2.0
/*
 * End-of-trace checks over the rebuilt hierarchy. Invariants 2, 3, 7 and
 * the fork half of 4 are checked by the collector as events arrive, where
 * the kernel's own counters are at hand.
 */
#include <stdio.h>
#include "collector.h"

/* Invariant 1: roots are their own root and parent; parent chains reach
 * the root without a cycle; a node's root is its parent's root. */
void check_links_of(struct collector *c, uint32_t i)
{
	const struct anon_vma_node *a = &c->av[i];
	uint32_t r = a->root, p = i, steps = 0;

	if (r == NONE || a->parent == NONE)
		return;	/* never seen in a snapshot */

	if (c->av[r].root != NONE && c->av[r].root != r)
		collector_violation(c, INV_ROOT, 0,
			"anon_vma %u: its root %u has root %u, not itself",
			av_id(c, i), av_id(c, r), av_id(c, c->av[r].root));
	if (c->av[r].parent != NONE && c->av[r].parent != r)
		collector_violation(c, INV_ROOT, 0,
			"anon_vma %u: its root %u has parent %u, not itself",
			av_id(c, i), av_id(c, r), av_id(c, c->av[r].parent));
	if (a->parent != i && c->av[a->parent].root != NONE &&
	    c->av[a->parent].root != r)
		collector_violation(c, INV_ROOT, 0,
			"anon_vma %u: root %u differs from its parent %u's root %u",
			av_id(c, i), av_id(c, r), av_id(c, a->parent),
			av_id(c, c->av[a->parent].root));
	while (p != NONE && p != r && c->av[p].parent != p &&
	       steps <= c->nr_av) {
		p = c->av[p].parent;
		steps++;
	}
	if (steps > c->nr_av)
		collector_violation(c, INV_ROOT, 0,
			"anon_vma %u: following parent links never reaches root %u (cycle)",
			av_id(c, i), av_id(c, r));
	else if (p != NONE && p != r)
		collector_violation(c, INV_ROOT, 0,
			"anon_vma %u: following parent links ends at %u, not at root %u",
			av_id(c, i), av_id(c, p), av_id(c, r));
}

static void check_links(struct collector *c)
{
	for (uint32_t i = 0; i < c->nr_av; i++)
		if (!c->av[i].forgotten)
			check_links_of(c, i);
}

/* Invariant 4, for the VMAs still alive at the end. */
static void check_vmas(struct collector *c)
{
	for (uint32_t i = 0; i < c->nr_vma; i++) {
		const struct vma_node *v = &c->vma[i];
		bool linked = false;

		if (v->dead || v->anon_vma == NONE)
			continue;
		for (uint32_t k = 0; k < v->nr_chain; k++)
			linked |= vma_chain(v)[k] == v->anon_vma;
		if (!linked)
			collector_violation(c, INV_VMA_AVC, 0,
				"vma 0x%llx-0x%llx (pid %u): vma->anon_vma is anon_vma %u but no AVC links them",
				(unsigned long long)v->vm_start,
				(unsigned long long)v->vm_end, mm_pid(c, v->mm),
				av_id(c, v->anon_vma));
	}
}

/* Invariant 6: once every traced process is gone, so is every anon_vma
 * the trace saw made, but for those a kernel holder outside the VMAs
 * still has: KSM's stable rmap_items keep theirs until ksmd next scans
 * the exited mm (mm/ksm.c: remove_trailing_rmap_items), which the report
 * counts as held. */
static void check_freed(struct collector *c)
{
	if (!collector_all_exited(c))
		return;
	for (uint32_t i = 0; i < c->nr_av; i++) {
		const struct anon_vma_node *a = &c->av[i];
		const struct av_hold *h = holders_of(&c->holds, i);

		if (a->freed || a->forgotten || a->origin == ORIGIN_UNKNOWN || a->partial ||
		    (h && h->ksm))
			continue;
		collector_violation(c, INV_FREED, 0,
			"anon_vma %u (pid %u, %s) was never freed after its process tree exited (refcount %u, %u AVCs%s)",
			av_id(c, i), mm_pid(c, a->mm),
			a->origin == ORIGIN_PREPARE ? "__anon_vma_prepare" :
			a->origin == ORIGIN_FORK ? "anon_vma_fork" : "found by the snapshot",
			a->refcount, a->nr_avcs,
			h && h->ksm_gets ? "; KSM's references to it were all dropped" :
			!c->ksm_events ? "; KSM's references not watched" : "");
	}
}

void collector_finish(struct collector *c)
{
	race_resolve(c, UINT64_MAX, true);
	/* The report lists at most keep_freed of the freed: forgotten
	 * after race_resolve (which holds their roots) and before the
	 * checks below, which the forgetting makes for what it forgets. */
	collector_forget(c);
	/* Lost events leave holes the checks would read as violations, and
	 * the loss is learnt after the fact: nothing found is trusted. */
	if (c->lost) {
		c->untrusted_viol += c->nr_viol;
		c->nr_viol = 0;
		return;
	}
	check_links(c);
	check_vmas(c);
	check_freed(c);
}
