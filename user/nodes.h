/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Arrays that grow to millions of entries on a long trace (the anon_vma
 * and VMA nodes, the race windows): they grow in place inside address
 * space reserved up front, their pages filled in ahead of use.
 */
#ifndef NODES_H
#define NODES_H

#include <stdbool.h>
#include <stddef.h>

bool nodes_grow_slow(void **arr, size_t *cap, size_t nr, size_t size, bool *mapped,
		     size_t *ready);

/* Room for entry nr? Asked at every append: the populated stretch
 * answers without a call. */
static inline bool nodes_grow(void **arr, size_t *cap, size_t nr, size_t size, bool *mapped,
			      size_t *ready)
{
	return nr < *ready || nodes_grow_slow(arr, cap, nr, size, mapped, ready);
}

void nodes_free(void *arr, bool mapped);

#endif
