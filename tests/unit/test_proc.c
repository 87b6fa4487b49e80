// SPDX-License-Identifier: GPL-2.0
/*
 * user/proc.c, which -p relies on: the descendants found at attach, and
 * proc_gone, the backstop that ends a -p trace whose exit events were
 * lost (a zombie counts as gone: a parent that never reaps must not keep
 * rmaptrace waiting).
 */
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "proc.h"
#include "unit.h"

/* Wait up to a second for proc_gone(pid) to say want. */
static bool settles(pid_t pid, bool want)
{
	for (int i = 0; i < 100; i++) {
		if (proc_gone(pid) == want)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	return false;
}

static void test_gone_alive_zombie_reaped(void)
{
	pid_t sleeper = fork(), quitter;

	if (sleeper == 0) {
		pause();
		_exit(0);
	}
	quitter = fork();
	if (quitter == 0)
		_exit(0);
	EXPECT(!proc_gone(getpid()), "this process is gone");
	EXPECT(!proc_gone(sleeper), "a sleeping child is gone");
	EXPECT(settles(quitter, true), "an unreaped exited child (zombie) is not gone");
	waitpid(quitter, NULL, 0);
	EXPECT(proc_gone(quitter), "a reaped child is not gone");
	kill(sleeper, SIGKILL);
	waitpid(sleeper, NULL, 0);
	EXPECT(proc_gone(sleeper), "a killed, reaped child is not gone");
	EXPECT(proc_gone(0x7ffffff0), "a pid that cannot exist is not gone");
}

static void test_descendants(void)
{
	int pfd[2], out[16], n;
	pid_t child, grandchild = 0;
	bool saw_child = false, saw_grandchild = false;

	if (pipe(pfd))
		return;
	child = fork();
	if (child == 0) {
		pid_t g = fork();

		if (g == 0) {
			pause();
			_exit(0);
		}
		if (write(pfd[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(pfd[0], &grandchild, sizeof(grandchild)) != sizeof(grandchild))
		grandchild = -1;
	n = proc_descendants(getpid(), out, 16);
	for (int i = 0; i < n; i++) {
		saw_child |= out[i] == child;
		saw_grandchild |= out[i] == grandchild;
	}
	EXPECT(n >= 2, "%d descendants, expected at least 2", n);
	EXPECT(saw_child && saw_grandchild, "child %d seen %d, grandchild %d seen %d",
	       child, saw_child, grandchild, saw_grandchild);
	kill(grandchild, SIGKILL);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(pfd[0]);
	close(pfd[1]);
}

int main(void)
{
	int failures = 0;

	RUN(test_gone_alive_zombie_reaped);
	RUN(test_descendants);
	return failures ? 1 : 0;
}
