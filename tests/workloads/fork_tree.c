// SPDX-License-Identifier: GPL-2.0
/*
 * A fork tree sharing pages its root faulted before forking, optionally
 * migrated to another NUMA node while every process holds them: each page's
 * migration drives rmap_walk_anon through try_to_migrate_one and then
 * remove_migration_pte over every VMA of the tree.
 *
 *   fork_tree [--seed-story | --random SEED] [--pages N] [--migrate] [--hold S]
 *
 * Every process prints "fork_tree: node=I pid=P parent=Q depth=D"; the root
 * prints the mapping's address and, with --migrate, what move_pages did.
 */
#include <errno.h>
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

static void migrate(char *p, int pages, long psz)
{
	void *addr[pages];
	int node[pages], status[pages], moved = 0, target;
	struct timespec t0, t1;

	for (int i = 0; i < pages; i++)
		addr[i] = p + i * psz;
	/* Ask where the pages are, then move them to the other node. */
	if (syscall(SYS_move_pages, 0, pages, addr, NULL, status, 0)) {
		perror("move_pages (query)");
		exit(1);
	}
	target = status[0] == 0 ? 1 : 0;
	for (int i = 0; i < pages; i++)
		node[i] = target;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (syscall(SYS_move_pages, 0, pages, addr, node, status, MPOL_MF_MOVE_ALL) < 0) {
		perror("move_pages");
		exit(1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (int i = 0; i < pages; i++)
		moved += status[i] == target;
	/* ns: the move's wall time, for the walk benchmark */
	fprintf(stderr, "fork_tree: moved=%d of %d to node %d ns=%lld\n", moved, pages, target,
		(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	int pages = 4, hold = 0, do_migrate = 0, ready[2], go[2];
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
		else if (!strcmp(argv[i], "--migrate"))
			do_migrate = 1;
		else {
			fprintf(stderr, "usage: fork_tree [--seed-story | --random SEED] "
				"[--pages N] [--migrate] [--hold S]\n");
			return 2;
		}
	}
	if (!nr_nodes)
		seed_shape();
	if (pages < 1 || pages > 4096)
		pages = 4;

	p = mmap(NULL, pages * psz, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(p, 0x5a, pages * psz);	/* faulted by the root: shared by all */
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
		migrate(p, pages, psz);
	sleep(hold);
	close(go[1]);
	while (wait(NULL) > 0)
		;
	return 0;
}
