// SPDX-License-Identifier: GPL-2.0
/*
 * A known number of instructions between the benchmark's marks, for the
 * test of its instruction count (tests/host/insn_count.sh):
 *   insn_loop N [R]
 * runs bench_mark(1), then a loop of N iterations of two instructions
 * (dec, jnz), then R rep stosb of a page each (with their loop: five
 * instructions each), then bench_mark(2): 2N + 5R instructions between the
 * marks, and the few around the loops. A rep string instruction is one
 * instruction however many times it repeats, as the CPU retires it.
 */
#include <stdio.h>
#include <stdlib.h>
#include "bench_mark.h"

int main(int argc, char **argv)
{
	static char page[4096];
	unsigned long n = argc >= 2 ? strtoul(argv[1], NULL, 0) : 0;
	unsigned long r = argc == 3 ? strtoul(argv[2], NULL, 0) : 0;

	if (!n || argc > 3) {
		fprintf(stderr, "usage: insn_loop N [R] (N > 0)\n");
		return 2;
	}
#if defined(__x86_64__)
	bench_mark(1);
	__asm__ __volatile__("1: dec %0\n\tjnz 1b" : "+r"(n) :: "cc");
	/* mov, mov, rep stosb (4096 iterations), dec, jnz */
	if (r)
		__asm__ __volatile__("2: mov %2, %%rdi\n\t"
				     "mov $4096, %%ecx\n\t"
				     "rep stosb\n\t"
				     "dec %0\n\t"
				     "jnz 2b"
				     : "+r"(r) : "a"(0), "r"(page) : "rdi", "rcx", "cc", "memory");
	bench_mark(2);
#else
	fprintf(stderr, "insn_loop: x86_64 only\n");
	return 2;
#endif
	return 0;
}
