// SPDX-License-Identifier: GPL-2.0
/*
 * A process tree whose anonymous pages KSM merged, exiting while ksmd
 * runs: P fills PAGES pages with the same bytes and marks them mergeable,
 * forks a child that writes its copy with the same bytes again (pages of
 * the child's own anon_vma), and both wait until ksmd has merged some
 * (/sys/kernel/mm/ksm/pages_sharing, up to 30 s), then exit. KSM's stable
 * rmap_items keep references on both anon_vmas until ksmd's next scan.
 * ksmd must be running (echo 1 > /sys/kernel/mm/ksm/run).
 *   ksm_exit PAGES [--pause-ksmd]
 * --pause-ksmd: once merged, stop ksmd with the merged pages kept
 * (ksm/run 0), so that its references are still held when the tree has
 * exited, whatever the timing; writing 1 to ksm/run resumes it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

static long ksm_value(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Until ksmd shares at least want pages, or 30 s. */
static long wait_merged(long want)
{
	long v = 0;

	for (int i = 0; i < 300 && (v = ksm_value("pages_sharing")) < want; i++)
		usleep(100000);
	return v;
}

static void fill(char *p, long pages, long psz, char byte)
{
	for (long i = 0; i < pages; i++)
		memset(p + i * psz, byte, psz);
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE), pages, sharing;
	int status;
	pid_t kid;
	char *p;

	bool pause = argc == 3 && !strcmp(argv[2], "--pause-ksmd");

	if ((argc != 2 && !pause) || (pages = atol(argv[1])) < 2 || pages > 65536) {
		fprintf(stderr, "usage: ksm_exit PAGES [--pause-ksmd] (PAGES in 2..65536)\n");
		return 2;
	}
	if (ksm_value("run") != 1) {
		fprintf(stderr, "ksm_exit: ksmd is not running (/sys/kernel/mm/ksm/run)\n");
		return 2;
	}
	p = mmap(NULL, pages * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || madvise(p, pages * psz, MADV_MERGEABLE)) {
		perror("ksm_exit: mmap/madvise");
		return 1;
	}
	fill(p, pages, psz, 0x5a);
	kid = fork();
	if (kid < 0) {
		perror("ksm_exit: fork");
		return 1;
	}
	if (kid == 0) {
		fill(p, pages, psz, 0x5a);	/* COW: the child's own pages */
		_exit(wait_merged(pages) < pages);
	}
	sharing = wait_merged(pages);
	if (waitpid(kid, &status, 0) != kid)
		return 1;
	if (pause) {
		FILE *f = fopen("/sys/kernel/mm/ksm/run", "w");

		if (!f || fputs("0\n", f) < 0 || fclose(f)) {
			perror("ksm_exit: stopping ksmd");
			return 1;
		}
	}
	printf("ksm_exit: P=%d child=%d pages=%ld pages_sharing=%ld child_status=%d\n",
	       getpid(), kid, pages, sharing, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return sharing < pages;
}
