/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Nodes grouped by an owner (an anon_vma's children by parent, VMAs by
 * their anon_vma or mm), built once for a report: asking every node
 * "are you one of mine?" for every owner made the final tree and --dot
 * quadratic in the trace's length.
 */
#ifndef GROUPS_H
#define GROUPS_H

#include <stddef.h>
#include <stdint.h>

struct groups {
	uint32_t *at;		/* group o is items[at[o] .. at[o + 1]) */
	uint32_t *items;	/* node indices, in the order given */
	size_t nr_owners;
};

/* owner(item, ctx): the group item belongs to, or >= nr_owners for
 * none. The items are order[0 .. nr_items), or 0 .. nr_items - 1 when
 * order is NULL, and keep that order within a group. Returns 0, or -1
 * when out of memory (g is then empty). */
int groups_build(struct groups *g, const uint32_t *order, size_t nr_items, size_t nr_owners,
		 uint32_t (*owner)(uint32_t item, const void *ctx), const void *ctx);
void groups_free(struct groups *g);

static inline size_t group_len(const struct groups *g, uint32_t o)
{
	return o < g->nr_owners ? g->at[o + 1] - g->at[o] : 0;
}

static inline const uint32_t *group(const struct groups *g, uint32_t o)
{
	return g->items + (o < g->nr_owners ? g->at[o] : 0);
}

#endif
