/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel pointer -> small index, open addressing. Pointers are retired when
 * the kernel frees their object, so a reused slab address starts afresh. */
#ifndef PTRMAP_H
#define PTRMAP_H

#include <stdint.h>
#include <stddef.h>

#define PTRMAP_NONE UINT32_MAX

/* A key and its value side by side: a lookup in a table larger than
 * the cache misses once, not once for the key and once for the value.
 * Packed, 12 bytes as two arrays were. */
struct ptrmap_slot {
	uint64_t key;		/* 0 = empty, 1 = deleted (no kernel pointer is 1) */
	uint32_t val;
} __attribute__((packed));

struct ptrmap {
	struct ptrmap_slot *slots;
	size_t cap, used, live;
};

int ptrmap_init(struct ptrmap *m, size_t hint);
void ptrmap_free(struct ptrmap *m);
uint32_t ptrmap_get(const struct ptrmap *m, uint64_t key);
int ptrmap_put(struct ptrmap *m, uint64_t key, uint32_t val);
/* One probe for "find it, else add it": 1 and *val its value if key was
 * there, 0 once *val is put under it, -1 when it cannot be added. */
int ptrmap_get_or_put(struct ptrmap *m, uint64_t key, uint32_t *val);
void ptrmap_del(struct ptrmap *m, uint64_t key);
/* ptrmap_get and ptrmap_del in one probe: key's value, no longer there. */
uint32_t ptrmap_take(struct ptrmap *m, uint64_t key);

#endif
