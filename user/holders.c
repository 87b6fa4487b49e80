// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "holders.h"

/* ptrmap keys 0 and 1 are taken (empty, deleted). */
static uint64_t key(uint32_t i)
{
	return (uint64_t)i + 2;
}

int holders_init(struct holders *hs)
{
	memset(hs, 0, sizeof(*hs));
	return ptrmap_init(&hs->by_node, 16);
}

void holders_free(struct holders *hs)
{
	ptrmap_free(&hs->by_node);
	free(hs->h);
	memset(hs, 0, sizeof(*hs));
}

const struct av_hold *holders_of(const struct holders *hs, uint32_t i)
{
	uint32_t k = ptrmap_get(&hs->by_node, key(i));

	return k == PTRMAP_NONE ? NULL : &hs->h[k];
}

uint32_t holders_nr_held(const struct holders *hs)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < hs->nr; k++)
		n += hs->h[k].ksm > 0;
	return n;
}

int holders_ksm(struct holders *hs, uint32_t i, bool get)
{
	uint32_t k = ptrmap_get(&hs->by_node, key(i));

	if (k == PTRMAP_NONE) {
		if (!get) {
			hs->ksm_untraced_puts++;
			return 0;
		}
		if (hs->nr == hs->cap) {
			uint32_t cap = hs->cap ? 2 * hs->cap : 16;
			struct av_hold *h = realloc(hs->h, cap * sizeof(*h));

			if (!h)
				return -1;
			hs->h = h;
			hs->cap = cap;
		}
		k = hs->nr;
		if (ptrmap_put(&hs->by_node, key(i), k))
			return -1;
		hs->h[hs->nr++] = (struct av_hold){ .anon_vma = i };
	}
	if (get) {
		hs->h[k].ksm++;
		hs->h[k].ksm_gets++;
	} else if (hs->h[k].ksm) {
		hs->h[k].ksm--;
	} else {
		hs->ksm_untraced_puts++;
	}
	return 0;
}

void holders_forget(struct holders *hs, uint32_t i)
{
	uint32_t k = ptrmap_take(&hs->by_node, key(i));

	if (k == PTRMAP_NONE)
		return;
	/* the last moves into k's place */
	if (k != --hs->nr) {
		hs->h[k] = hs->h[hs->nr];
		ptrmap_put(&hs->by_node, key(hs->h[k].anon_vma), k);
	}
}
