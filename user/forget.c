// SPDX-License-Identifier: GPL-2.0
/*
 * Forgetting freed anon_vmas (collector.keep_freed).
 *
 * A fork storm's freed anon_vmas are leaves under roots that live on, so
 * hierarchies are never wholly gone and cannot be dropped as one: single
 * freed nodes are. A node may go once nothing refers to it by index: no
 * kept node has it for parent or root, no VMA links it, no walk, walk
 * cost or race window names it. What the report would have said of it
 * is settled first: its links are checked (invariant 1 at the end cannot
 * see it) and its depth and children count into the hierarchy's shape.
 */
#include <stdlib.h>
#include <string.h>
#include "collector.h"

void collector_keep_freed(struct collector *c, size_t n)
{
	c->keep_freed = n;
	c->forget_at = n ? 2 * n : SIZE_MAX;
}

uint32_t av_forgotten_kids(const struct collector *c, uint32_t i)
{
	uint32_t n = ptrmap_get(&c->forgotten_kids, (uint64_t)i + 2);

	return n == PTRMAP_NONE ? 0 : n;
}

static void pin(uint64_t *bits, size_t nr, uint32_t i)
{
	if (i < nr)
		bits[i / 64] |= 1ull << (i % 64);
}

static bool pinned(const uint64_t *bits, uint32_t i)
{
	return bits[i / 64] >> (i % 64) & 1;
}

/* Every node something refers to by index. */
static void pin_referenced(const struct collector *c, uint64_t *bits)
{
	size_t n = c->nr_av;

	for (uint32_t i = 0; i < n; i++) {
		const struct anon_vma_node *a = &c->av[i];

		if (a->forgotten)
			continue;
		if (a->parent != i)
			pin(bits, n, a->parent);
		if (a->root != i)
			pin(bits, n, a->root);
	}
	for (size_t v = 0; v < c->nr_vma; v++) {
		const struct vma_node *vm = &c->vma[v];
		/* A dead node no picture draws is on the free list: its
		 * last_anon_vma is a link, and its chain is empty. */
		bool drawn = vm->dead && c->keep_dead_vmas;

		if (vm->dead && !drawn)
			continue;
		pin(bits, n, drawn ? vm->last_anon_vma : vm->anon_vma);
		for (uint32_t k = 0; k < (drawn ? vm->nr_last_chain : vm->nr_chain); k++)
			pin(bits, n, vma_chain(vm)[k]);
	}
	for (size_t k = 0; k < c->nr_wcost; k++)
		pin(bits, n, c->wcost[k].anon_vma);
	pin(bits, n, c->walk.anon_vma);
	pin(bits, n, c->last_freed);
}

/* Race windows and suspects name roots only, and are many (a second
 * of the trace's calls): asked only when a root may go. */
static void pin_race_roots(const struct collector *c, uint64_t *bits)
{
	for (size_t k = c->win_head; k < c->nr_win; k++)
		pin(bits, c->nr_av, c->win[k].root);
	for (size_t k = 0; k < c->nr_sus; k++)
		pin(bits, c->nr_av, c->sus[k].root);
}

/* Reorder a[0..n) so that its k smallest come first, in no order:
 * Hoare's selection, linear on average where a sort was a third of the
 * rounds' cost. */
static void select_smallest(uint64_t *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n;	/* the k-th smallest is in a[lo..hi) */

	while (hi - lo > 1 && k > lo && k < hi) {
		/* The lower middle: the split below then leaves both sides
		 * non-empty, so every pass shrinks the range. */
		uint64_t pivot = a[lo + (hi - lo - 1) / 2], t;
		size_t i = lo - 1, j = hi;

		for (;;) {
			do
				i++;
			while (a[i] < pivot);
			do
				j--;
			while (a[j] > pivot);
			if (i >= j)
				break;
			t = a[i];
			a[i] = a[j];
			a[j] = t;
		}
		/* a[lo..j] <= pivot <= a[j+1..hi) */
		if (k <= j)
			hi = j + 1;
		else
			lo = j + 1;
	}
}

/* Out of memory here only narrows the reported width. */
static void add_kid(struct collector *c, uint32_t i)
{
	(void)ptrmap_put(&c->forgotten_kids, (uint64_t)i + 2, av_forgotten_kids(c, i) + 1);
}

static void forget(struct collector *c, uint32_t i)
{
	struct anon_vma_node *a = &c->av[i];
	uint32_t d = av_depth(c, i), kids = av_forgotten_kids(c, i);

	check_links_of(c, i);
	if (d > c->forgotten_depth)
		c->forgotten_depth = d;
	if (kids > c->forgotten_width)
		c->forgotten_width = kids;
	ptrmap_del(&c->forgotten_kids, (uint64_t)i + 2);
	if (a->parent != NONE && a->parent != i)
		add_kid(c, a->parent);

	free(av_avcs_block(a));
	memset(a, 0, sizeof(*a));
	a->forgotten = true;
	a->parent = c->av_free;
	c->av_free = i;
	c->nr_freed--;
	c->forgotten++;
}

/* Forget the oldest freed anon_vmas nothing refers to, down to
 * keep_freed kept; those still referred to wait for the next round. */
void collector_forget(struct collector *c)
{
	size_t nr = 0, over, words, need;
	uint64_t *bits, *cand;
	bool roots = false;	/* among the candidates */

	if (!c->keep_freed || c->nr_freed <= c->keep_freed)
		return;
	over = c->nr_freed - c->keep_freed;
	/* One buffer for the pins and the candidates, kept from round to
	 * round: a megabyte malloc'd and freed each time came fresh from
	 * the kernel, a page fault per 4 KiB. */
	words = c->nr_av / 64 + 1;	/* the pins, a bit per node */
	need = words + c->nr_freed;
	if (need > c->cap_forget_buf) {
		free(c->forget_buf);
		c->forget_buf = malloc(need * sizeof(*c->forget_buf));
		c->cap_forget_buf = c->forget_buf ? need : 0;
		if (!c->forget_buf)
			goto out;
	}
	bits = c->forget_buf;
	cand = bits + words;
	memset(bits, 0, words * sizeof(*bits));
	pin_referenced(c, bits);
	for (uint32_t i = 0; i < c->nr_av && nr < c->nr_freed; i++) {
		const struct anon_vma_node *a = &c->av[i];

		if (a->freed && !a->forgotten && !a->nr_avcs && !a->nr_active &&
		    !pinned(bits, i)) {
			cand[nr++] = (uint64_t)a->id << 32 | i;
			roots |= a->root == i || a->root == NONE;
		}
	}
	if (roots) {
		size_t kept = 0;

		pin_race_roots(c, bits);
		for (size_t k = 0; k < nr; k++)
			if (!pinned(bits, (uint32_t)cand[k]))
				cand[kept++] = cand[k];
		nr = kept;
	}
	if (over < nr)
		select_smallest(cand, nr, over);
	for (size_t k = 0; k < nr && k < over; k++)
		forget(c, (uint32_t)cand[k]);
out:
	/* Whatever it forgot, not again before keep_freed more are freed:
	 * a round costs a pass over every node. */
	c->forget_at = c->nr_freed + c->keep_freed;
}

static int by_id(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* Sorted by (id, index) pairs: memory for the nodes kept, not for every
 * id the trace gave. */
uint32_t *av_by_id(const struct collector *c, size_t *n)
{
	uint64_t *key = malloc((c->nr_av ? c->nr_av : 1) * sizeof(*key));
	uint32_t *at = malloc((c->nr_av ? c->nr_av : 1) * sizeof(*at));
	size_t k = 0;

	*n = 0;
	if (!key || !at) {
		free(key);
		free(at);
		return NULL;
	}
	for (uint32_t i = 0; i < c->nr_av; i++)
		if (!c->av[i].forgotten)
			key[k++] = (uint64_t)c->av[i].id << 32 | i;
	/* Without forgetting, index order is id order already. */
	if (c->forgotten)
		qsort(key, k, sizeof(*key), by_id);
	for (size_t j = 0; j < k; j++)
		at[j] = (uint32_t)key[j];
	free(key);
	*n = k;
	return at;
}
