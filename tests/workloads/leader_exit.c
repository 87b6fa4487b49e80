// SPDX-License-Identifier: GPL-2.0
/*
 * The leader leaves first: main faults in a mapping, starts a worker and
 * calls pthread_exit. Once the leader is a zombie (its exit seen by any
 * tracer), the worker splits the mapping with mprotect, one read-only
 * page in two, then merges it back and returns: the group dies with it.
 *
 *   leader_exit   prints "leader_exit: addr=0x... pages=16 splits=7"
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGES	16

static char *map;
static long pg;

/* The leader's state in /proc, after the ')' that ends its comm. */
static int leader_gone(pid_t tgid)
{
	char path[64], buf[512], *p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tgid);
	f = fopen(path, "r");
	if (!f)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static void protect(int page, int prot)
{
	if (mprotect(map + page * pg, pg, prot)) {
		perror("leader_exit: mprotect");
		exit(1);
	}
}

static void *worker(void *arg)
{
	pid_t tgid = getpid();
	int splits = 0;

	(void)arg;
	for (int i = 0; i < 1000 && !leader_gone(tgid); i++)
		usleep(10000);
	if (!leader_gone(tgid)) {
		fprintf(stderr, "leader_exit: the leader did not exit\n");
		exit(2);
	}
	/* Odd pages read-only: each splits the VMA around it twice. */
	for (int i = 1; i < PAGES - 1; i += 2, splits++)
		protect(i, PROT_READ);
	for (int i = 1; i < PAGES - 1; i += 2)
		protect(i, PROT_READ | PROT_WRITE);
	printf("leader_exit: addr=%p pages=%d splits=%d\n", (void *)map, PAGES, splits);
	fflush(stdout);
	return NULL;
}

int main(void)
{
	pthread_t t;

	pg = sysconf(_SC_PAGESIZE);
	map = mmap(NULL, PAGES * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		perror("leader_exit: mmap");
		return 1;
	}
	memset(map, 1, PAGES * pg);
	if (pthread_create(&t, NULL, worker, NULL)) {
		fprintf(stderr, "leader_exit: pthread_create failed\n");
		return 1;
	}
	pthread_exit(NULL);
}
