// SPDX-License-Identifier: GPL-2.0
/*
 * The first seed's story: P faults in an anonymous mapping, forks C1 and
 * C2; C2 forks GC; all four hold the mapping at once, then exit youngest
 * first. Prints one line naming the pids and the mapping's address so a
 * test can find the anon_vmas that belong to it.
 *
 *   seed_fork [--wait] [--hold SECONDS]
 *   --wait   wait for SIGUSR1 before anything (a tracer attaches meanwhile)
 *   --hold   all four hold the mapping this long before exiting, or until
 *            P gets SIGUSR2 (a tracer says it is attached)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define PAGES 16

static unsigned int hold_seconds;

/* Only interrupts the hold's sleep. */
static void end_hold(int sig)
{
	(void)sig;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Tell the parent we hold the mapping, then wait to be let go. */
static void hold(int ready_fd, int go_fd)
{
	char c = 'r';

	if (write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1)
		_exit(1);
}

static pid_t spawn(void (*body)(int, int), int ready_fd, int go_fd)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		body(ready_fd, go_fd);
		_exit(0);
	}
	return pid;
}

static void leaf(int ready_fd, int go_fd)
{
	hold(ready_fd, go_fd);
}

/* C2: forks GC before it reports ready, so all four coexist. */
static void c2(int ready_fd, int go_fd)
{
	int gc_ready[2], gc_go[2];
	pid_t gc;
	char c;

	if (pipe(gc_ready) || pipe(gc_go))
		die("pipe");
	gc = spawn(leaf, gc_ready[1], gc_go[0]);
	if (read(gc_ready[0], &c, 1) != 1)
		_exit(1);
	fprintf(stderr, "seed_fork: GC=%d\n", gc);
	hold(ready_fd, go_fd);
	if (write(gc_go[1], "g", 1) != 1 || waitpid(gc, NULL, 0) != gc)
		_exit(1);
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	int ready[2], go1[2], go2[2];
	pid_t c1, c2p;
	char *p, c;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--wait")) {
			sigset_t set;
			int sig;

			sigemptyset(&set);
			sigaddset(&set, SIGUSR1);
			sigprocmask(SIG_BLOCK, &set, NULL);
			fprintf(stderr, "seed_fork: waiting for SIGUSR1, pid %d\n", getpid());
			sigwait(&set, &sig);
		} else if (!strcmp(argv[i], "--hold") && i + 1 < argc) {
			hold_seconds = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: seed_fork [--wait] [--hold SECONDS]\n");
			return 2;
		}
	}
	p = mmap(NULL, PAGES * psz, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 0x5a, PAGES * psz);	/* __anon_vma_prepare on first touch */
	fprintf(stderr, "seed_fork: P=%d addr=%p\n", getpid(), (void *)p);

	if (pipe(ready) || pipe(go1) || pipe(go2))
		die("pipe");
	c1 = spawn(leaf, ready[1], go1[0]);
	fprintf(stderr, "seed_fork: C1=%d\n", c1);
	c2p = spawn(c2, ready[1], go2[0]);
	fprintf(stderr, "seed_fork: C2=%d\n", c2p);
	for (int i = 0; i < 2; i++)
		if (read(ready[0], &c, 1) != 1)
			die("read");
	{
		struct sigaction sa = { .sa_handler = end_hold };
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		sigaction(SIGUSR2, &sa, NULL);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
	}
	fprintf(stderr, "seed_fork: all four hold the mapping\n");
	sleep(hold_seconds);

	/* Youngest first: GC (inside C2), then C2, then C1. */
	if (write(go2[1], "g", 1) != 1 || waitpid(c2p, NULL, 0) != c2p)
		die("c2");
	if (write(go1[1], "g", 1) != 1 || waitpid(c1, NULL, 0) != c1)
		die("c1");
	munmap(p, PAGES * psz);
	return 0;
}
