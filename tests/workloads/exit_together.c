// SPDX-License-Identifier: GPL-2.0
/*
 * Children of one root anon_vma exiting at the same moment, after the
 * root's own VMA is gone: each round the parent faults a page, forks K
 * children, unmaps the page (the root keeps one reference per child),
 * then wakes every child at once, and each exits. The root is freed
 * inline by whichever child's __put_anon_vma drops its last reference;
 * with two or more of those puts in flight, each may read the root's
 * refcount above 1 at its entry.
 *   exit_together K ROUNDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	int k, rounds;

	if (argc != 3 || (k = atoi(argv[1])) < 1 || k > 1024 || (rounds = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: exit_together K ROUNDS (K in 1..1024, ROUNDS >= 1)\n");
		return 2;
	}
	for (int r = 0; r < rounds; r++) {
		char *p = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int go[2];

		if (p == MAP_FAILED || pipe(go)) {
			perror("exit_together");
			return 1;
		}
		p[0] = 1;
		for (int c = 0; c < k; c++) {
			pid_t pid = fork();
			char b;

			if (pid < 0) {
				perror("exit_together: fork");
				return 1;
			}
			if (pid == 0) {
				close(go[1]);
				/* the parent's close wakes all of them */
				if (read(go[0], &b, 1) < 0)
					_exit(1);
				_exit(p[0] == 1 ? 0 : 1);
			}
		}
		close(go[0]);
		munmap(p, psz);
		close(go[1]);
		while (wait(NULL) > 0)
			;
	}
	fprintf(stderr, "exit_together: %d children, %d rounds\n", k, rounds);
	return 0;
}
