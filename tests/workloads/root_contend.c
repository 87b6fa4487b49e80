// SPDX-License-Identifier: GPL-2.0
/*
 * Many calls of anon_vma_clone and unlink_anon_vmas in flight at once: a
 * parent faults one anonymous VMA and forks K children, which all share
 * its anon_vma as root; each child then splits and re-merges its copy
 * ROUNDS times (mprotect of the middle page and back). A split clones the
 * VMA's chain and a merge unlinks the VMA it removes, both under the
 * root's rwsem for writing. With --migrate the parent meanwhile moves the
 * first page, which all K children still share, between NUMA nodes 0 and
 * 1: each move walks K VMAs with that rwsem held for reading, and the
 * children's calls queue on it, asleep inside those functions. That is
 * what a kretprobe cannot follow beyond its maxactive instances.
 * The parent moves the page once before each look for exited children, so
 * there are at least K moves: under emulation all K could finish before
 * the parent first looked (bullseye in CI: 0 moves). The children are not
 * held back to start together: then up to K calls sleep at once, past a
 * kretprobe's instances, and every run on sid (kprobe mode) lost events.
 *   root_contend K ROUNDS [--migrate]
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define MPOL_MF_MOVE_ALL (1 << 2)

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	int k, rounds, failed = 0, alive = 0, moves = 0;
	bool migrate = argc == 4 && !strcmp(argv[3], "--migrate");
	char *p;

	if ((argc != 3 && !migrate) || (k = atoi(argv[1])) < 1 || k > 4096 ||
	    (rounds = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: root_contend K ROUNDS [--migrate] (K in 1..4096, ROUNDS >= 1)\n");
		return 2;
	}
	p = mmap(NULL, 3 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("root_contend: mmap");
		return 1;
	}
	for (int i = 0; i < 3; i++)
		p[i * psz] = 1;
	for (int c = 0; c < k; c++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("root_contend: fork");
			failed = 1;
			break;
		}
		if (pid == 0) {
			for (int r = 0; r < rounds; r++)
				if (mprotect(p + psz, psz, PROT_READ) ||
				    mprotect(p + psz, psz, PROT_READ | PROT_WRITE))
					_exit(1);
			_exit(0);
		}
		alive++;
	}
	while (alive > 0) {
		int st;
		pid_t pid;

		if (migrate) {
			void *page = p;
			int node = moves & 1 ? 0 : 1, status;

			if (syscall(SYS_move_pages, 0, 1UL, &page, &node, &status,
				    MPOL_MF_MOVE_ALL) < 0) {
				perror("root_contend: move_pages");
				migrate = false;
				failed = 1;
			}
			moves++;
		}
		pid = migrate ? waitpid(-1, &st, WNOHANG) : wait(&st);
		if (pid < 0)
			break;
		if (pid == 0)
			continue;
		alive--;
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			failed = 1;
	}
	fprintf(stderr, "root_contend: %d children, %d rounds each, %d moves%s\n", k, rounds,
		moves, failed ? ", some failed" : "");
	return failed;
}
