// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "groups.h"

int groups_build(struct groups *g, const uint32_t *order, size_t nr_items, size_t nr_owners,
		 uint32_t (*owner)(uint32_t item, const void *ctx), const void *ctx)
{
	uint32_t *fill;

	memset(g, 0, sizeof(*g));
	g->at = calloc(nr_owners + 1, sizeof(*g->at));
	g->items = malloc((nr_items ? nr_items : 1) * sizeof(*g->items));
	fill = malloc((nr_owners ? nr_owners : 1) * sizeof(*fill));
	if (!g->at || !g->items || !fill) {
		free(fill);
		groups_free(g);
		return -1;
	}
	/* Count, then place: items keep their order within a group. */
	for (uint32_t k = 0; k < nr_items; k++) {
		uint32_t o = owner(order ? order[k] : k, ctx);

		if (o < nr_owners)
			g->at[o + 1]++;
	}
	for (size_t o = 0; o < nr_owners; o++) {
		g->at[o + 1] += g->at[o];
		fill[o] = g->at[o];
	}
	for (uint32_t k = 0; k < nr_items; k++) {
		uint32_t i = order ? order[k] : k, o = owner(i, ctx);

		if (o < nr_owners)
			g->items[fill[o]++] = i;
	}
	free(fill);
	g->nr_owners = nr_owners;
	return 0;
}

void groups_free(struct groups *g)
{
	free(g->at);
	free(g->items);
	memset(g, 0, sizeof(*g));
}
