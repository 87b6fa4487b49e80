// SPDX-License-Identifier: GPL-2.0
/*
 * The fork benchmark's workload: a process with VMAS faulted anonymous
 * VMAs (each its own anon_vma) forks and reaps N children, one at a time;
 * each child exits at once, so every fork costs anon_vma_fork for every
 * VMA and every exit unlink_anon_vmas and __put_anon_vma for them.
 *   fork_bench N [VMAS]      (VMAS default 64)
 * Prints "fork_bench: N forks, X ns per fork" on stderr (fork to reaped, wall
 * time). The loop lies between bench_mark(1) and bench_mark(2), where the
 * benchmark's instruction count reads the vCPU's count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "bench_mark.h"

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	int n, nvma;
	double t0, t;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: fork_bench N [VMAS]\n");
		return 2;
	}
	n = atoi(argv[1]);
	nvma = argc > 2 ? atoi(argv[2]) : 64;
	if (n < 1 || nvma < 1 || nvma > 4096) {
		fprintf(stderr, "fork_bench: N >= 1, VMAS in 1..4096\n");
		return 2;
	}
	/* Two pages every four inside a PROT_NONE reservation: no two
	 * writable VMAs touch, so none merge or share an anon_vma. */
	char *base = mmap(NULL, (size_t)nvma * 4 * psz, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (base == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (int i = 0; i < nvma; i++) {
		char *p = mmap(base + (size_t)i * 4 * psz, 2 * psz, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		memset(p, 1, 2 * psz);
	}
	t0 = now_ns();
	bench_mark(1);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, NULL, 0) != pid) {
			perror("waitpid");
			return 1;
		}
	}
	bench_mark(2);
	t = now_ns() - t0;
	fprintf(stderr, "fork_bench: %d forks, %.0f ns per fork\n", n, t / n);
	return 0;
}
