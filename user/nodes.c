// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <sys/mman.h>
#include "nodes.h"

/*
 * Reserved with MAP_NORESERVE: only the pages written cost memory, and
 * growth neither copies an array nor leaves half of a doubled one idle.
 * Where the kernel refuses the reservation (overcommit_memory=2, a
 * ulimit -v), the array is realloc'd.
 */
#define NODES_RESERVE	(16ull << 30)

/*
 * Pages are filled in 2 MiB at a time: on a virtualised host, 42 MiB
 * faulted in a page at a time took 0.16 s, populated 0.06. Not as huge
 * pages (MADV_HUGEPAGE): a replay with them was no faster, user plus
 * system time, in alternating runs (BENCHMARKS.md). Kernels before 5.14
 * refuse MADV_POPULATE_WRITE and fault the pages in one by one.
 */
#define NODES_POPULATE	(2ull << 20)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

bool nodes_grow_slow(void **arr, size_t *cap, size_t nr, size_t size, bool *mapped,
		     size_t *ready)
{
	void *p;

	if (*mapped && nr >= *ready && nr < *cap) {
		size_t from = nr * size & ~(size_t)4095, to = from + NODES_POPULATE;

		if (to > *cap * size)
			to = *cap * size;
		madvise((char *)*arr + from, to - from, MADV_POPULATE_WRITE);
		*ready = to / size;
	}
	if (nr < *cap)
		return true;
	if (!*arr) {
		p = mmap(NULL, NODES_RESERVE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED) {
			*arr = p;
			*cap = NODES_RESERVE / size;
			*mapped = true;
			return true;
		}
	}
	if (*mapped)
		return false;	/* the reservation is full */
	p = realloc(*arr, (*cap ? *cap * 2 : 64) * size);
	if (!p)
		return false;
	*arr = p;
	*cap = *cap ? *cap * 2 : 64;
	return true;
}

void nodes_free(void *arr, bool mapped)
{
	if (mapped)
		munmap(arr, NODES_RESERVE);
	else
		free(arr);
}
