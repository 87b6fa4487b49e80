// SPDX-License-Identifier: GPL-2.0
/*
 * A known number of instructions between the benchmark's marks, for the
 * test of its instruction count (tests/host/insn_count.sh):
 *   insn_loop N
 * runs bench_mark(1), then a loop of N iterations of two instructions
 * (dec, jnz), then bench_mark(2): 2N instructions between the marks, and
 * the few around the loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include "bench_mark.h"

int main(int argc, char **argv)
{
	unsigned long n = argc == 2 ? strtoul(argv[1], NULL, 0) : 0;

	if (!n) {
		fprintf(stderr, "usage: insn_loop N (N > 0)\n");
		return 2;
	}
#if defined(__x86_64__)
	bench_mark(1);
	__asm__ __volatile__("1: dec %0\n\tjnz 1b" : "+r"(n) :: "cc");
	bench_mark(2);
#else
	fprintf(stderr, "insn_loop: x86_64 only\n");
	return 2;
#endif
	return 0;
}
