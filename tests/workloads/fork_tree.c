// SPDX-License-Identifier: GPL-2.0
/*
 * A fork tree sharing pages its root faulted before forking, optionally
 * migrated to another NUMA node or moved by compaction while every process
 * holds them: each page's migration drives rmap_walk_anon through
 * try_to_migrate_one and then remove_migration_pte over every VMA of the tree.
 *
 *   fork_tree [--seed-story | --random SEED] [--pages N] [--holes] [--hold S]
 *             [--migrate [--moves N] | --compact kcompactd|sync]
 *
 * --holes: the mapping is twice as long and every other page is given back
 * before the forks, so that free memory is single pages between the tree's:
 * with most of free memory held this way, the node is fragmented and what
 * compaction moves is the tree's pages.
 *
 * Every process prints "fork_tree: node=I pid=P parent=Q depth=D"; the root
 * prints the mapping's address and, with --migrate, what move_pages did
 * (--moves N: N moves, to the other node and back, a line each: the walk
 * benchmark's figure is their sum, more walks against the same noise);
 * with --compact, how many of the pages compaction moved (their PFNs, read
 * from /proc/self/pagemap, changed): "sync" writes compact_memory, which
 * compacts in this task; "kcompactd" raises compaction_proactiveness so that
 * kcompactd compacts the fragmented node on its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define MAX_NODES	400
#define MAX_DEPTH	5
#define MAX_WIDTH	3
#define MPOL_MF_MOVE_ALL (1 << 2)

static int parent_of[MAX_NODES], depth_of[MAX_NODES], nr_nodes;
static int stride = 1;	/* 2 with --holes: page i is at i * 2 pages */
static int ready_fd, go_fd;

static int add_node(int parent)
{
	parent_of[nr_nodes] = parent;
	depth_of[nr_nodes] = parent < 0 ? 0 : depth_of[parent] + 1;
	return nr_nodes++;
}

/* Breadth first, so node numbers grow with depth; xorshift for a shape
 * that a seed reproduces. */
static void random_shape(unsigned int seed)
{
	unsigned int x = seed ? seed : 1, max_depth;

#define RND() (x ^= x << 13, x ^= x >> 17, x ^= x << 5, x)
	max_depth = 1 + RND() % MAX_DEPTH;
	add_node(-1);
	for (int i = 0; i < nr_nodes; i++) {
		if (depth_of[i] >= (int)max_depth)
			continue;
		for (int k = RND() % (MAX_WIDTH + 1); k > 0 && nr_nodes < MAX_NODES; k--)
			add_node(i);
	}
#undef RND
}

static void seed_shape(void)
{
	int p = add_node(-1), c2;

	add_node(p);		/* C1 */
	c2 = add_node(p);	/* C2 */
	add_node(c2);		/* GC */
}

/* Node i's life after fork: fork its own children, report ready, hold the
 * pages until the root closes the go pipe, reap, exit. */
static void run_node(int i)
{
	char c;

	fprintf(stderr, "fork_tree: node=%d pid=%d parent=%d depth=%d\n", i,
		getpid(), getppid(), depth_of[i]);
	for (int j = i + 1; j < nr_nodes; j++) {
		if (parent_of[j] != i)
			continue;
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			_exit(1);
		}
		if (pid == 0) {
			run_node(j);
			_exit(0);
		}
	}
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	while (read(go_fd, &c, 1) > 0)
		;
	while (wait(NULL) > 0)
		;
}

/* Per-page arrays: --holes allows 2^20 pages, too many for the stack. */
static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		perror("calloc");
		exit(1);
	}
	return p;
}

static void migrate(char *p, int pages, long psz, int moves)
{
	void **addr = xcalloc(pages, sizeof(*addr));
	int *node = xcalloc(pages, sizeof(*node)), *status = xcalloc(pages, sizeof(*status));
	int moved = 0, target;
	struct timespec t0, t1;

	for (int i = 0; i < pages; i++)
		addr[i] = p + (long)i * stride * psz;
	/* Ask where the pages are, then move them to the other node. */
	if (syscall(SYS_move_pages, 0, pages, addr, NULL, status, 0)) {
		perror("move_pages (query)");
		exit(1);
	}
	target = status[0] == 0 ? 1 : 0;
	for (int m = 0; m < moves; m++, target = !target) {
		for (int i = 0; i < pages; i++)
			node[i] = target;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (syscall(SYS_move_pages, 0, pages, addr, node, status,
			    MPOL_MF_MOVE_ALL) < 0) {
			perror("move_pages");
			exit(1);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		moved = 0;
		for (int i = 0; i < pages; i++)
			moved += status[i] == target;
		/* ns: the move's wall time, for the walk benchmark */
		fprintf(stderr, "fork_tree: moved=%d of %d to node %d ns=%lld\n", moved,
			pages, target,
			(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
	}
	free(addr);
	free(node);
	free(status);
}

/* The page frame of each page; 0 when not present. */
static void read_pfns(const char *p, int pages, long psz, uint64_t *pfn)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);

	for (int i = 0; i < pages; i++) {
		uint64_t e = 0;
		off_t off = ((uintptr_t)p / psz + (long)i * stride) * sizeof(e);

		if (fd < 0 || pread(fd, &e, sizeof(e), off) != sizeof(e)) {
			perror("pagemap");
			exit(1);
		}
		pfn[i] = e >> 63 ? e & ((1ULL << 55) - 1) : 0;
	}
	close(fd);
}

static int pages_moved(const char *p, int pages, long psz, const uint64_t *before)
{
	uint64_t *now = xcalloc(pages, sizeof(*now));
	int moved = 0;

	read_pfns(p, pages, psz, now);
	for (int i = 0; i < pages; i++)
		moved += now[i] != before[i];
	free(now);
	return moved;
}

static void write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) < 0) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/* Compaction's own counters in /proc/vmstat (compact_*, pgmigrate_*). */
#define NR_VMSTAT 16
struct vmstat { char name[NR_VMSTAT][40]; unsigned long long val[NR_VMSTAT]; int n; };

static void read_vmstat(struct vmstat *v)
{
	FILE *f = fopen("/proc/vmstat", "r");
	char name[40];
	unsigned long long val;

	v->n = 0;
	while (f && v->n < NR_VMSTAT && fscanf(f, "%39s %llu", name, &val) == 2)
		if (!strncmp(name, "compact_", 8) || !strncmp(name, "pgmigrate_", 10)) {
			strcpy(v->name[v->n], name);
			v->val[v->n++] = val;
		}
	if (f)
		fclose(f);
}

/* When a write of compact_memory moved none of our pages, say what
 * compaction did instead: scanned nothing, isolated nothing, or failed to
 * migrate what it isolated. */
static void print_vmstat_delta(const struct vmstat *a, const struct vmstat *b)
{
	fprintf(stderr, "fork_tree: vmstat");
	for (int i = 0; i < a->n && i < b->n; i++)
		if (b->val[i] != a->val[i])
			fprintf(stderr, " %s+%llu", a->name[i], b->val[i] - a->val[i]);
	fprintf(stderr, "\n");
}

static void compact(char *p, int pages, long psz, const char *how)
{
	uint64_t *before = xcalloc(pages, sizeof(*before));
	int moved = 0;

	read_pfns(p, pages, psz, before);
	if (!before[0]) {
		fprintf(stderr, "fork_tree: pagemap shows no page frames (not root?)\n");
		exit(1);
	}
	if (!strcmp(how, "sync")) {
		/* Seen once in six trixie boots: a write that moved none of the
		 * tree's pages (why was not found). Try up to three times and
		 * say so, so a repeat shows in the output. */
		int tries = 0;

		while (!moved && tries < 3) {
			struct vmstat v0, v1;

			read_vmstat(&v0);
			write_sysctl("/proc/sys/vm/compact_memory", "1");
			tries++;
			moved = pages_moved(p, pages, psz, before);
			read_vmstat(&v1);
			if (!moved)
				print_vmstat_delta(&v0, &v1);
		}
		if (tries > 1)
			fprintf(stderr, "fork_tree: compact_memory written %d times\n", tries);
	} else {
		/* kcompactd looks at the fragmentation score every 500 ms and
		 * compacts while it is above the watermark proactiveness sets.
		 * Stop it once some of our pages have moved (its next check
		 * of the watermark ends the run), well before the tree lets go
		 * of them: a whole node's worth of walks is not needed. */
		write_sysctl("/proc/sys/vm/compaction_proactiveness", "100");
		for (int t = 0; t < 600 && !moved; t++) {
			usleep(50000);
			moved = pages_moved(p, pages, psz, before);
		}
		write_sysctl("/proc/sys/vm/compaction_proactiveness", "0");
		sleep(1);
		moved = pages_moved(p, pages, psz, before);
	}
	fprintf(stderr, "fork_tree: compact=%s moved=%d of %d\n", how, moved, pages);
	free(before);
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	int pages = 4, hold = 0, do_migrate = 0, moves = 1, ready[2], go[2];
	const char *compaction = NULL;
	char *p, c;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed-story") && !nr_nodes)
			seed_shape();
		else if (!strcmp(argv[i], "--random") && i + 1 < argc && !nr_nodes)
			random_shape(strtoul(argv[++i], NULL, 0));
		else if (!strcmp(argv[i], "--pages") && i + 1 < argc)
			pages = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--hold") && i + 1 < argc)
			hold = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--holes"))
			stride = 2;
		else if (!strcmp(argv[i], "--migrate"))
			do_migrate = 1;
		else if (!strcmp(argv[i], "--moves") && i + 1 < argc)
			moves = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--compact") && i + 1 < argc &&
			 (!strcmp(argv[i + 1], "sync") || !strcmp(argv[i + 1], "kcompactd")))
			compaction = argv[++i];
		else {
			fprintf(stderr, "usage: fork_tree [--seed-story | --random SEED] "
				"[--pages N] [--holes] [--hold S] "
				"[--migrate [--moves N] | --compact kcompactd|sync]\n");
			return 2;
		}
	}
	if (!nr_nodes)
		seed_shape();
	if (pages < 1 || pages > (stride > 1 ? 1 << 20 : 4096))
		pages = 4;
	if (moves < 1 || moves > 1000)
		moves = 1;

	p = mmap(NULL, (long)pages * stride * psz, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* Base pages: one walk per page, and compaction moves them one by one. */
	madvise(p, (long)pages * stride * psz, MADV_NOHUGEPAGE);
	memset(p, 0x5a, (long)pages * stride * psz);	/* faulted by the root: shared by all */
	/* --holes: every other page given back; what is left cannot merge
	 * with its buddy. */
	for (long i = (long)pages * stride - 1; stride > 1 && i > 0; i -= 2)
		madvise(p + i * psz, psz, MADV_DONTNEED);
	fprintf(stderr, "fork_tree: addr=%p pages=%d nodes=%d\n", (void *)p, pages,
		nr_nodes);

	if (pipe(ready) || pipe(go)) {
		perror("pipe");
		return 1;
	}
	ready_fd = ready[1];
	go_fd = go[0];
	/* Everyone holds until EOF on go: only the root keeps its write end
	 * (its children close it before forking their own). */
	for (int j = 1; j < nr_nodes; j++) {
		if (parent_of[j] != 0)
			continue;
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			close(go[1]);
			run_node(j);
			_exit(0);
		}
	}
	fprintf(stderr, "fork_tree: node=0 pid=%d parent=%d depth=0\n", getpid(), getppid());
	for (int n = 1; n < nr_nodes; n++)
		if (read(ready[0], &c, 1) != 1) {
			perror("read");
			return 1;
		}
	fprintf(stderr, "fork_tree: all %d hold the mapping\n", nr_nodes);
	if (do_migrate)
		migrate(p, pages, psz, moves);
	if (compaction)
		compact(p, pages, psz, compaction);
	sleep(hold);
	close(go[1]);
	while (wait(NULL) > 0)
		;
	return 0;
}
