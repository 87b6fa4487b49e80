// SPDX-License-Identifier: GPL-2.0
/*
 * A fork storm as rmaptrace would record it, from the unit tests' model of
 * mm/rmap.c, for the collector benchmark: P holds VMAS faulted anonymous
 * VMAs and keeps forking children; every fourth child forks a grandchild;
 * at most LIVE children live at once, the oldest exiting (grandchild
 * first) to make room; every eighth fork a page of P's first VMA is
 * migrated, its walk visiting every live copy. At the end all exit.
 *   gen_storm OUT.rec EVENTS [VMAS [LIVE]]
 * Prints the events, processes and anon_vmas written. The hierarchy is
 * the kernel's, so `rmaptrace -r OUT.rec --check` finds nothing: the test
 * suite holds the generator to that.
 */
#include <stdio.h>
#include <stdlib.h>
#include "stream.h"
#include "record.h"

struct child {
	struct proc p;
	struct kvma *v;		/* VMAS of them */
	bool has_gc;
	struct proc gp;
	struct kvma *gv;
};

static struct recorder rec;
static uint64_t nr_events;

static void tap(const void *data, size_t len)
{
	recorder_put(&rec, REC_EVENT, data, len);
	nr_events++;
}

static void fork_all(struct sim *s, const struct proc *cur, const struct proc *child,
		     const struct kvma *from, struct kvma *to, int n)
{
	for (int k = 0; k < n; k++)
		to[k] = sim_fork_vma(s, cur, child, &from[k]);
	sim_task(s, EV_FORK, cur, child);
}

static void exit_all(struct sim *s, const struct proc *p, struct kvma *v, int n)
{
	for (int k = 0; k < n; k++)
		sim_unlink(s, p, &v[k]);
	sim_task(s, EV_EXIT, p, p);
}

static void reap(struct sim *s, struct child *c, int n)
{
	if (c->has_gc)
		exit_all(s, &c->gp, c->gv, n);
	exit_all(s, &c->p, c->v, n);
	c->has_gc = false;
	c->p.pid = 0;
}

/* Migrate one page of P's first VMA: try_to_migrate_one then
 * remove_migration_pte on every VMA that maps it. */
static void migrate(struct sim *s, const struct proc *P, const struct kvma *pv,
		    const struct child *kids, int live, uint64_t page)
{
	const struct kvma **vmas = calloc(2 * live + 1, sizeof(*vmas));
	int n = 0;

	vmas[n++] = &pv[0];
	for (int i = 0; i < live; i++) {
		if (!kids[i].p.pid)
			continue;
		vmas[n++] = &kids[i].v[0];
		if (kids[i].has_gc)
			vmas[n++] = &kids[i].gv[0];
	}
	sim_walk(s, P, pv[0].anon_vma, pv[0].pgoff + page, CB_TRY_TO_MIGRATE_ONE,
		 vmas, n, -1, NULL, 0);
	sim_walk(s, P, pv[0].anon_vma, pv[0].pgoff + page, CB_REMOVE_MIGRATION_PTE,
		 vmas, n, -1, NULL, 0);
	free(vmas);
}

int main(int argc, char **argv)
{
	uint64_t target, forks = 0, procs = 1;
	int nvma = 64, live = 16, slot = 0;
	struct proc P = { 1000, 0xffff888010000000ULL };
	struct kvma *pv;
	struct child *kids;
	uint32_t pid = P.pid, next_pid = P.pid + 1;
	char err[256];
	int rc;
	struct sim s;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: gen_storm OUT.rec EVENTS [VMAS [LIVE]]\n");
		return 2;
	}
	target = strtoull(argv[2], NULL, 0);
	if (argc > 3)
		nvma = atoi(argv[3]);
	if (argc > 4)
		live = atoi(argv[4]);
	if (!target || nvma < 1 || nvma > 4096 || live < 1 || live > 4096) {
		fprintf(stderr, "gen_storm: EVENTS > 0, VMAS and LIVE in 1..4096\n");
		return 2;
	}
	if (recorder_open(&rec, argv[1], "model", REC_FEAT_NUM_CHILDREN | REC_FEAT_ANON_VMA_FREE, err, sizeof(err))) {
		fprintf(stderr, "gen_storm: %s\n", err);
		return 2;
	}
	sim_init(&s, NULL);
	s.heap = true;
	s.tap = tap;
	pv = calloc(nvma, sizeof(*pv));
	kids = calloc(live, sizeof(*kids));
	for (int i = 0; i < live; i++) {
		kids[i].v = calloc(nvma, sizeof(struct kvma));
		kids[i].gv = calloc(nvma, sizeof(struct kvma));
	}
	recorder_put(&rec, REC_PROCESS, &pid, sizeof(pid));
	for (int k = 0; k < nvma; k++) {
		pv[k] = sim_vma(&s, &P, 0x7f0000000000ULL + (uint64_t)k * 0x100000, 16);
		sim_prepare(&s, &P, &pv[k]);
	}
	while (nr_events < target) {
		struct child *c = &kids[slot];

		if (c->p.pid)
			reap(&s, c, nvma);
		c->p = (struct proc){ next_pid++, 0xffff888020000000ULL + (procs << 16) };
		procs++;
		fork_all(&s, &P, &c->p, pv, c->v, nvma);
		if (++forks % 4 == 0) {
			c->gp = (struct proc){ next_pid++, 0xffff888020000000ULL + (procs << 16) };
			procs++;
			fork_all(&s, &c->p, &c->gp, c->v, c->gv, nvma);
			c->has_gc = true;
		}
		if (forks % 8 == 0)
			migrate(&s, &P, pv, kids, live, forks % 16);
		slot = (slot + 1) % live;
	}
	for (int i = 0; i < live; i++)
		if (kids[i].p.pid)
			reap(&s, &kids[i], nvma);
	exit_all(&s, &P, pv, nvma);
	rc = recorder_close(&rec);
	if (rc) {
		fprintf(stderr, "gen_storm: %s: %s\n", argv[1], strerror(rc));
		return 2;
	}
	printf("gen_storm: %llu events, %llu processes, %llu anon_vmas\n",
	       (unsigned long long)nr_events, (unsigned long long)procs,
	       (unsigned long long)(nvma * procs));
	for (int i = 0; i < live; i++) {
		free(kids[i].v);
		free(kids[i].gv);
	}
	free(kids);
	free(pv);
	return 0;
}
