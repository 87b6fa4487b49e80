// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ptrmap.h"

#define EMPTY	0
#define DELETED	1

static size_t slot(uint64_t key, size_t cap)
{
	/* Slab pointers differ in their middle bits, in steps of the
	 * object's size: one multiply carries them into the product's top
	 * bits, which pick the slot and spread such steps evenly. cap is a
	 * power of two, at least 64. */
	return (key * 0x9e3779b97f4a7c15ULL) >> (64 - __builtin_ctzll(cap));
}

int ptrmap_init(struct ptrmap *m, size_t hint)
{
	size_t cap = 64;

	while (cap < hint * 2)
		cap <<= 1;
	memset(m, 0, sizeof(*m));
	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots)
		return -1;
	m->cap = cap;
	return 0;
}

void ptrmap_free(struct ptrmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static size_t find(const struct ptrmap *m, uint64_t key)
{
	size_t i = slot(key, m->cap);

	while (m->slots[i].key != EMPTY && m->slots[i].key != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

uint32_t ptrmap_get(const struct ptrmap *m, uint64_t key)
{
	size_t i;

	if (key <= DELETED || !m->cap)
		return PTRMAP_NONE;
	i = find(m, key);
	return m->slots[i].key == key ? m->slots[i].val : PTRMAP_NONE;
}

/* Rare: out of the probe's way. */
__attribute__((noinline, cold)) static int grow(struct ptrmap *m)
{
	/* Rehash at the live size: tombstones go away; a map that was full
	 * of live keys doubles, so loads stay between 3/8 and 3/4. A map a
	 * third or more tombstones (the node maps, whose objects the kernel
	 * frees as fast as it makes them) gets room for four times its live
	 * keys: probes, which run to an empty slot, cross a table a quarter
	 * full or less for longer before the next rehash. */
	struct ptrmap n;
	size_t dead = m->used - m->live;

	if (ptrmap_init(&n, 2 * dead >= m->live ? 2 * m->live + 1 : m->live + 1))
		return -1;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key > DELETED)
			ptrmap_put(&n, m->slots[i].key, m->slots[i].val);
	ptrmap_free(m);
	*m = n;
	return 0;
}

/* key's slot (*found), else where it goes: the first tombstone on its
 * probe path, or the empty slot that ends it. */
static size_t probe(const struct ptrmap *m, uint64_t key, bool *found)
{
	size_t i, tomb = SIZE_MAX;

	for (i = slot(key, m->cap); m->slots[i].key != EMPTY; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].key == key) {
			*found = true;
			return i;
		}
		if (m->slots[i].key == DELETED && tomb == SIZE_MAX)
			tomb = i;
	}
	*found = false;
	return tomb != SIZE_MAX ? tomb : i;
}

/* key's slot, added (empty of value) if it was not there (!*found);
 * SIZE_MAX when key cannot be a key or the table cannot grow. */
static size_t slot_for(struct ptrmap *m, uint64_t key, bool *found)
{
	size_t i;

	if (key <= DELETED)
		return SIZE_MAX;
	if ((m->used + 1) * 4 > m->cap * 3 && grow(m))
		return SIZE_MAX;
	i = probe(m, key, found);
	if (!*found) {
		if (m->slots[i].key == EMPTY)
			m->used++;
		m->slots[i].key = key;
		m->live++;
	}
	return i;
}

int ptrmap_put(struct ptrmap *m, uint64_t key, uint32_t val)
{
	bool found;
	size_t i = slot_for(m, key, &found);

	if (i == SIZE_MAX)
		return -1;
	m->slots[i].val = val;
	return 0;
}

int ptrmap_get_or_put(struct ptrmap *m, uint64_t key, uint32_t *val)
{
	bool found;
	size_t i = slot_for(m, key, &found);

	if (i == SIZE_MAX)
		return -1;
	if (found) {
		*val = m->slots[i].val;
		return 1;
	}
	m->slots[i].val = *val;
	return 0;
}

uint32_t ptrmap_take(struct ptrmap *m, uint64_t key)
{
	size_t i;

	if (key <= DELETED || !m->cap)
		return PTRMAP_NONE;
	i = find(m, key);
	if (m->slots[i].key != key)
		return PTRMAP_NONE;
	m->slots[i].key = DELETED;
	m->live--;
	return m->slots[i].val;
}

void ptrmap_del(struct ptrmap *m, uint64_t key)
{
	ptrmap_take(m, key);
}
