// SPDX-License-Identifier: GPL-2.0
/*
 * A multi-threaded process the way servers and runtimes are: threads
 * change their own VMAs (mmap, fault, split and merge by mprotect, grow by
 * mremap, punch a hole, unmap) while the main thread forks children that
 * write a page of a region they share, a third of them forking a
 * grandchild that writes too, and (with --migrate) one more thread moves
 * that region between NUMA nodes 0 and 1 every 20 ms. Every thread's
 * work lands in anon_vmas of one mm at once, with no lock of the
 * process's own between them: the orderings the collector meets in any
 * threaded server.
 *   mt_surgery THREADS SECONDS [--migrate] [--jitter]
 * --jitter: each thread sleeps a pseudo-random 0-500 us between rounds, so
 * that runs differ in how the threads' calls interleave.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define MPOL_MF_MOVE_ALL (1 << 2)
#define SHARED_PAGES 64
#define MAX_THREADS 64

static long psz;
static char *shared;
static atomic_bool stop;
static atomic_long rounds, moves, failed;
static bool jitter;

static void pause_a_little(unsigned int *seed)
{
	if (jitter)
		usleep(rand_r(seed) % 500);
}

static void *surgery(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg;

	while (!atomic_load(&stop)) {
		size_t len = 16 * psz;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			atomic_fetch_add(&failed, 1);
			break;
		}
		for (size_t o = 0; o < len; o += psz)
			p[o] = 1;
		/* split in three, then merge back */
		if (mprotect(p + 6 * psz, 4 * psz, PROT_READ) ||
		    mprotect(p + 6 * psz, 4 * psz, PROT_READ | PROT_WRITE))
			atomic_fetch_add(&failed, 1);
		pause_a_little(&seed);
		/* grow; may move */
		char *q = mremap(p, len, 2 * len, MREMAP_MAYMOVE);

		if (q == MAP_FAILED) {
			atomic_fetch_add(&failed, 1);
		} else {
			p = q;
			len *= 2;
			p[len - psz] = 1;
		}
		/* a hole in the middle */
		munmap(p + 8 * psz, psz);
		munmap(p, len);
		atomic_fetch_add(&rounds, 1);
		pause_a_little(&seed);
	}
	return NULL;
}

static void *migrate(void *arg)
{
	void *pages[SHARED_PAGES];
	int nodes[SHARED_PAGES], status[SHARED_PAGES];

	(void)arg;
	for (int i = 0; i < SHARED_PAGES; i++)
		pages[i] = shared + i * psz;
	while (!atomic_load(&stop)) {
		int node = atomic_load(&moves) & 1 ? 0 : 1;

		for (int i = 0; i < SHARED_PAGES; i++)
			nodes[i] = node;
		if (syscall(SYS_move_pages, 0, (unsigned long)SHARED_PAGES, pages, nodes, status,
			    MPOL_MF_MOVE_ALL) < 0) {
			perror("mt_surgery: move_pages");
			atomic_fetch_add(&failed, 1);
			break;
		}
		atomic_fetch_add(&moves, 1);
		usleep(20000);
	}
	return NULL;
}

static void child(int n)
{
	shared[(n % SHARED_PAGES) * psz] = (char)n;
	if (n % 3 == 0) {
		pid_t gc = fork();

		if (gc == 0) {
			shared[((n + 1) % SHARED_PAGES) * psz] = (char)n;
			_exit(0);
		}
		if (gc > 0)
			waitpid(gc, NULL, 0);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS + 1];
	int nthreads, secs, forks = 0;
	bool migrating = false;
	struct timespec t0, now;

	psz = sysconf(_SC_PAGESIZE);
	if (argc < 3 || (nthreads = atoi(argv[1])) < 1 || nthreads > MAX_THREADS ||
	    (secs = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: mt_surgery THREADS SECONDS [--migrate] [--jitter] (THREADS in 1..%d)\n",
			MAX_THREADS);
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--migrate")) {
			migrating = true;
		} else if (!strcmp(argv[i], "--jitter")) {
			jitter = true;
		} else {
			fprintf(stderr, "mt_surgery: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	shared = mmap(NULL, SHARED_PAGES * psz, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		perror("mt_surgery: mmap");
		return 1;
	}
	memset(shared, 1, SHARED_PAGES * psz);
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, surgery, (void *)(long)(i + 1))) {
			fprintf(stderr, "mt_surgery: pthread_create failed\n");
			return 1;
		}
	if (migrating && pthread_create(&th[nthreads], NULL, migrate, NULL)) {
		fprintf(stderr, "mt_surgery: pthread_create failed\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		pid_t pid = fork();

		if (pid == 0)
			child(forks);
		if (pid < 0) {
			atomic_fetch_add(&failed, 1);
			break;
		}
		forks++;
		/* reap what has exited; keep a few alive at once */
		while (waitpid(-1, NULL, forks % 4 ? WNOHANG : 0) > 0)
			;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - t0.tv_sec < secs);
	atomic_store(&stop, true);
	while (wait(NULL) > 0)
		;
	for (int i = 0; i < nthreads + migrating; i++)
		pthread_join(th[i], NULL);
	fprintf(stderr, "mt_surgery: threads=%d forks=%d rounds=%ld moves=%ld%s\n", nthreads, forks,
		atomic_load(&rounds), atomic_load(&moves), atomic_load(&failed) ? " failed" : "");
	return atomic_load(&failed) ? 1 : 0;
}
