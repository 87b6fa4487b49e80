// SPDX-License-Identifier: GPL-2.0
/*
 * What real processes do to faulted anonymous mappings, one scenario per
 * run. Each prints "vma_surgery: KEY=VALUE ..." lines naming the addresses
 * and pids a test needs to find the anon_vmas involved.
 *
 *   vma_surgery split        mprotect the middle of a mapping
 *   vma_surgery merge        map a neighbour that merges into the mapping
 *   vma_surgery neighbour    an unmergeable neighbour that reuses its anon_vma
 *   vma_surgery mremap       move a faulted mapping
 *   vma_surgery munmap_part  unmap the middle of a mapping
 *   vma_surgery munmap_all   unmap a whole mapping, then live on
 *   vma_surgery reuse        P -> C -> G; C exits; G forks G2: reuse
 *   vma_surgery chain N      N generations, each forking the next
 *   vma_surgery wide N       one process forking N children
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static long psz;

/* Anonymous pages, written so that each has its anon_vma; at hint, over
 * whatever is there, when hint is given. */
static char *map_faulted(char *hint, int pages, int prot)
{
	char *p = mmap(hint, pages * psz, prot, MAP_PRIVATE | MAP_ANONYMOUS |
		       (hint ? MAP_FIXED : 0), -1, 0);

	if (p == MAP_FAILED || (hint && p != hint)) {
		perror("mmap");
		exit(1);
	}
	memset(p, 0x5a, pages * psz);
	return p;
}

static void must(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(1);
	}
}

/* Fork a child that runs fn and exits; returns its pid. */
static pid_t spawn(void (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	must(pid >= 0, "fork");
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	return pid;
}

static void nothing(void *arg)
{
	(void)arg;
}

/* chain: generation n forks n+1 until the last, then all unwind. */
static void chain(void *arg)
{
	int left = *(int *)arg - 1;

	fprintf(stderr, "vma_surgery: gen pid=%d left=%d\n", getpid(), left);
	if (left > 0) {
		pid_t pid = spawn(chain, &left);

		must(waitpid(pid, NULL, 0) == pid, "waitpid");
	}
}

static int go_pipe[2];

/* reuse: G waits until C (its parent) has exited, then forks G2. */
static void grandchild(void *arg)
{
	char c;

	(void)arg;
	must(read(go_pipe[0], &c, 1) == 1, "read");
	fprintf(stderr, "vma_surgery: G=%d\n", getpid());
	pid_t g2 = spawn(nothing, NULL);

	fprintf(stderr, "vma_surgery: G2=%d\n", g2);
	must(waitpid(g2, NULL, 0) == g2, "waitpid");
}

static void middle(void *arg)
{
	pid_t g = spawn(grandchild, NULL);

	(void)arg;
	fprintf(stderr, "vma_surgery: C=%d G=%d\n", getpid(), g);
	/* C exits now; G is reparented and carries on. */
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	int n = argc > 2 ? atoi(argv[2]) : 0;
	char *p, *q;

	psz = sysconf(_SC_PAGESIZE);
	/* Room above the mapping for a neighbour: PROT_NONE never faults,
	 * has no anon_vma and merges with nothing writable. */
	p = mmap(NULL, 32 * psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	must(p != MAP_FAILED, "mmap");
	p = map_faulted(p, 16, PROT_READ | PROT_WRITE);
	fprintf(stderr, "vma_surgery: P=%d addr=%p\n", getpid(), (void *)p);

	if (!strcmp(what, "split")) {
		must(!mprotect(p + 4 * psz, 4 * psz, PROT_READ), "mprotect");
	} else if (!strcmp(what, "merge")) {
		/* Same flags, adjacent: the new range joins the VMA at mmap time. */
		q = map_faulted(p + 16 * psz, 4, PROT_READ | PROT_WRITE);
		fprintf(stderr, "vma_surgery: second=%p\n", (void *)q);
	} else if (!strcmp(what, "neighbour")) {
		/* Adjacent but other protections: a VMA of its own, whose first
		 * fault reuses the mapping's anon_vma (find_mergeable_anon_vma). */
		q = map_faulted(p + 16 * psz, 4, PROT_READ | PROT_WRITE | PROT_EXEC);
		fprintf(stderr, "vma_surgery: second=%p\n", (void *)q);
	} else if (!strcmp(what, "mremap")) {
		char *dst = mmap(NULL, 32 * psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		must(dst != MAP_FAILED, "mmap");
		q = mremap(p, 16 * psz, 16 * psz, MREMAP_MAYMOVE | MREMAP_FIXED, dst + 8 * psz);
		must(q != MAP_FAILED, "mremap");
		fprintf(stderr, "vma_surgery: moved=%p\n", (void *)q);
	} else if (!strcmp(what, "munmap_part")) {
		must(!munmap(p + 4 * psz, 4 * psz), "munmap");
	} else if (!strcmp(what, "munmap_all")) {
		must(!munmap(p, 16 * psz), "munmap");
		fprintf(stderr, "vma_surgery: unmapped\n");
		sleep(1);	/* alive: the free must not wait for exit */
	} else if (!strcmp(what, "reuse")) {
		/* G outlives C: as subreaper, P inherits and reaps it. */
		must(!prctl(PR_SET_CHILD_SUBREAPER, 1), "prctl");
		must(!pipe(go_pipe), "pipe");
		pid_t c = spawn(middle, NULL);

		must(waitpid(c, NULL, 0) == c, "waitpid");
		must(write(go_pipe[1], "g", 1) == 1, "write");
		while (wait(NULL) > 0)
			;
	} else if (!strcmp(what, "chain") && n > 0) {
		chain(&n);
	} else if (!strcmp(what, "wide") && n > 0) {
		for (int i = 0; i < n; i++)
			spawn(nothing, NULL);
		while (wait(NULL) > 0)
			;
	} else {
		fprintf(stderr, "usage: vma_surgery split|merge|neighbour|mremap|"
			"munmap_part|munmap_all|reuse|chain N|wide N\n");
		return 2;
	}
	fprintf(stderr, "vma_surgery: done\n");
	return 0;
}
