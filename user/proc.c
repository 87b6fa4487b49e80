// SPDX-License-Identifier: GPL-2.0
/* The processes descended from one, read from /proc. */
#include <ctype.h>
#include <stdbool.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "proc.h"

/* The state letter and ppid of /proc/PID/stat; false if it is gone. */
static bool read_stat(int pid, char *state, int *ppid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* comm may hold spaces and parentheses: the fields follow the last ')' */
	p = strrchr(buf, ')');
	return p && sscanf(p + 1, " %c %d", state, ppid) == 2;
}

static int read_ppid(int pid)
{
	char state;
	int ppid;

	return read_stat(pid, &state, &ppid) ? ppid : -1;
}

bool proc_gone(int pid)
{
	char state;
	int ppid;

	return !read_stat(pid, &state, &ppid) || state == 'Z' || state == 'X';
}

int proc_descendants(int root, int *out, int max)
{
	enum { MAXPROC = 1 << 18 };
	int *pids = malloc(2 * MAXPROC * sizeof(int)), *ppids = pids + MAXPROC;
	int n = 0, nout = 0;
	struct dirent *d;
	DIR *dir = opendir("/proc");

	if (!dir || !pids) {
		if (dir)
			closedir(dir);
		free(pids);
		return -1;
	}
	while ((d = readdir(dir)) && n < MAXPROC) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		pids[n] = atoi(d->d_name);
		ppids[n] = read_ppid(pids[n]);
		if (ppids[n] >= 0)
			n++;
	}
	closedir(dir);
	/* Breadth first from root: out[] is its own work list. */
	for (int head = -1; head < nout; head++) {
		int parent = head < 0 ? root : out[head];

		for (int k = 0; k < n && nout < max; k++)
			if (ppids[k] == parent && pids[k] != root)
				out[nout++] = pids[k];
	}
	free(pids);
	return nout;
}
