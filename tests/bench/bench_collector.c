// SPDX-License-Identifier: GPL-2.0
/*
 * The collector's own cost, on the host.
 *   bench_collector REC          replay REC: events/s on one core (CPU
 *                                time of the replay and the end checks),
 *                                peak resident memory
 *   bench_collector --report REC replay REC as rmaptrace -r prints it: a
 *                                line per event, then the final tree, both
 *                                to /dev/null; CPU seconds of each
 *   bench_collector --live N     a live hierarchy from the kernel model (P
 *                                with 64 VMAs, N children, a grandchild for
 *                                every fourth): heap bytes per anon_vma and
 *                                per AVC, from what malloc handed out and
 *                                the node arrays' pages
 * Figures, not verdicts: tests/bench/run compares them with the targets.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include "stream.h"
#include "record.h"
#include "report.h"

static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static size_t heap_in_use(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

/* A heap block as malloc keeps it: what it hands out plus its size word. */
static size_t block(void *p)
{
	return p ? malloc_usable_size(p) + sizeof(size_t) : 0;
}

/* A node array: reserved address space costs the pages written or
 * populated ahead of use (ready nodes' worth), malloc'd space its capacity. */
static size_t nodes(size_t nr, size_t ready, size_t cap, size_t size, bool mapped)
{
	size_t used = ready > nr ? ready : nr;

	return mapped ? (used * size + 4095) / 4096 * 4096 : cap * size;
}

/* Replay path into c as rmaptrace -r without --dot would, a line per
 * event to o when o is given; the CPU seconds of the replay and the end
 * checks, or -1 (said) when the file cannot be replayed. */
static double timed_replay(const char *path, struct collector *c, struct report_opts *o)
{
	struct replay_info info;
	char err[256];
	double t0;
	FILE *f = fopen(path, "r");
	int rc;

	if (!f || collector_init(c)) {
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	/* As rmaptrace keeps them without --dot. */
	c->keep_dead_vmas = false;
	collector_keep_freed(c, KEEP_FREED_DEFAULT);
	if (o) {
		c->on_event = report_event;
		c->cb_ctx = o;
	}
	t0 = cpu_seconds();
	rc = replay_stream(f, c, &info, err, sizeof(err));
	collector_finish(c);
	t0 = cpu_seconds() - t0;
	fclose(f);
	if (rc) {
		fprintf(stderr, "bench_collector: %s\n", err);
		collector_free(c);
		return -1;
	}
	return t0;
}

static int replay(const char *path)
{
	struct collector c;
	struct rusage ru;
	double t = timed_replay(path, &c, NULL);
	int rc;

	if (t < 0)
		return 2;
	getrusage(RUSAGE_SELF, &ru);
	printf("replay: %llu events in %.2f s CPU\n", (unsigned long long)c.events, t);
	printf("replay: %u anon_vmas in %zu nodes (%llu forgotten), %zu VMAs, %zu violations\n",
	       c.nr_ids, c.nr_av, (unsigned long long)c.forgotten, c.nr_vma, c.nr_viol);
	printf("collector events/s: %.0f\n", c.events / t);
	printf("collector peak RSS MiB: %.1f\n", ru.ru_maxrss / 1024.0);
	rc = c.nr_viol || c.malformed;
	collector_free(&c);
	return rc;
}

/* What the user waits for: a text line per event (rmaptrace without
 * --quiet), then the tree at the end. Both once asked every node about
 * every other, which a long trace made minutes. */
static int report(const char *path)
{
	struct collector c;
	struct report_opts o = { .check = true, .out = fopen("/dev/null", "w") };
	size_t listed = 0;
	double t, t1;

	if (!o.out) {
		perror("/dev/null");
		return 2;
	}
	t = timed_replay(path, &c, &o);
	if (t < 0) {
		fclose(o.out);
		return 2;
	}
	t1 = cpu_seconds();
	report_final(&c, &o);
	t1 = cpu_seconds() - t1;
	fclose(o.out);
	/* What the tree lists: the nodes not forgotten, as report.c asks. */
	free(av_by_id(&c, &listed));
	printf("report: %llu events with a line each in %.2f s CPU (%.0f events/s); "
	       "final tree of %zu anon_vmas, %zu VMA nodes in %.2f s\n",
	       (unsigned long long)c.events, t, c.events / t, listed, c.nr_vma, t1);
	collector_free(&c);
	return 0;
}

static int live(int nkids)
{
	struct proc P = { 1000, 0xffff888010000000ULL };
	const int nvma = 64;
	struct kvma *pv = calloc(nvma, sizeof(*pv)), *cv, *gv;
	struct collector c;
	struct sim s;
	size_t heap0, heap, av_bytes, avc_bytes = 0, nr_avcs = 0, vma_bytes;

	heap0 = heap_in_use();
	if (collector_init(&c))
		return 2;
	sim_init(&s, &c);
	s.heap = true;
	cv = calloc(nvma, sizeof(*cv));
	gv = calloc(nvma, sizeof(*gv));
	collector_add_process(&c, P.pid);
	for (int k = 0; k < nvma; k++) {
		pv[k] = sim_vma(&s, &P, 0x7f0000000000ULL + (uint64_t)k * 0x100000, 16);
		sim_prepare(&s, &P, &pv[k]);
	}
	/* The model's own state is freed as it goes; the children's VMAs
	 * only need to exist in the collector. */
	for (int i = 0; i < nkids; i++) {
		struct proc ch = { 2000 + 2 * i, 0xffff888020000000ULL + ((uint64_t)i << 17) };

		for (int k = 0; k < nvma; k++)
			cv[k] = sim_fork_vma(&s, &P, &ch, &pv[k]);
		sim_task(&s, EV_FORK, &P, &ch);
		if (i % 4 == 3) {
			struct proc g = { ch.pid + 1, ch.mm + 0x10000 };

			for (int k = 0; k < nvma; k++)
				gv[k] = sim_fork_vma(&s, &ch, &g, &cv[k]);
			sim_task(&s, EV_FORK, &ch, &g);
		}
	}
	heap = heap_in_use() - heap0;

	av_bytes = nodes(c.nr_av, c.av_ready, c.cap_av, sizeof(*c.av), c.av_mapped) +
		   c.av_map.cap * sizeof(*c.av_map.slots);
	vma_bytes = nodes(c.nr_vma, c.vma_ready, c.cap_vma, sizeof(*c.vma),
			  c.vma_mapped) +
		    c.vma_map.cap * sizeof(*c.vma_map.slots);
	for (size_t i = 0; i < c.nr_av; i++) {
		avc_bytes += block(av_avcs_block(&c.av[i]));
		nr_avcs += c.av[i].nr_avcs;
	}
	for (size_t i = 0; i < c.nr_vma; i++)
		avc_bytes += block(vma_chain_block(&c.vma[i]));
	printf("live: %zu anon_vmas, %zu VMAs, %zu AVCs, %zu violations\n", c.nr_av,
	       c.nr_vma, nr_avcs, c.nr_viol);
	printf("live: heap %.1f MiB with the model's, the collector's anon_vmas %.1f, VMAs %.1f, AVCs %.1f\n",
	       heap / 1048576.0, av_bytes / 1048576.0, vma_bytes / 1048576.0,
	       avc_bytes / 1048576.0);
	printf("bytes per anon_vma: %.0f\n", (double)av_bytes / c.nr_av);
	printf("bytes per avc: %.0f\n", (double)avc_bytes / nr_avcs);
	printf("bytes per vma: %.0f\n", (double)vma_bytes / c.nr_vma);
	nr_avcs = c.nr_viol;
	collector_free(&c);
	free(pv);
	free(cv);
	free(gv);
	return nr_avcs != 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--live"))
		return live(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "--report"))
		return report(argv[2]);
	if (argc == 2)
		return replay(argv[1]);
	fprintf(stderr, "usage: bench_collector REC | --report REC | --live NCHILDREN\n");
	return 2;
}
