// SPDX-License-Identifier: GPL-2.0
/*
 * Seeds for the fuzzer: recordings of the unit tests' kernel model playing
 * the seeds' story, with and without a snapshot at attach, and with its
 * exits as exit_mmap reports them.
 *   make_seeds DIR
 */
#include <stdlib.h>
#include "stream.h"
#include "record.h"

static struct recorder rec;

static void tap(const void *data, size_t len)
{
	recorder_put(&rec, REC_EVENT, data, len);
}

static int seed(const char *dir, const char *name, bool snapshot, bool exit_mmap)
{
	struct collector c;
	struct story st;
	struct sim s;
	char path[4096], err[256];
	uint32_t pid = 100;
	uint64_t lost = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (collector_init(&c) || recorder_open(&rec, path, "model", REC_FEAT_NUM_CHILDREN | REC_FEAT_ANON_VMA_FREE,
						err, sizeof(err))) {
		fprintf(stderr, "make_seeds: %s\n", err);
		return 1;
	}
	sim_init(&s, &c);
	recorder_put(&rec, REC_PROCESS, &pid, sizeof(pid));
	s.tap = tap;
	s.mute = snapshot;
	story_fork(&s, &st);
	s.mute = false;
	if (snapshot) {
		emit_vma(&s, EV_SNAPSHOT_VMA, &st.P, &st.p, NULL);
		emit_vma(&s, EV_SNAPSHOT_VMA, &st.C2, &st.c2, NULL);
		emit_vma(&s, EV_SNAPSHOT_VMA, &st.GC, &st.gc, NULL);
		recorder_put(&rec, REC_SNAPSHOT_DONE, NULL, 0);
	}
	{
		const struct kvma *const all[] = { &st.p, &st.c1, &st.c2, &st.gc };

		sim_walk(&s, &st.P, st.p.anon_vma, st.p.pgoff, CB_TRY_TO_MIGRATE_ONE,
			 all, 4, -1, NULL, 0);
	}
	if (exit_mmap)
		story_exit_mmap(&s, &st);
	else
		story_exit(&s, &st);
	recorder_put(&rec, REC_LOST, &lost, sizeof(lost));
	collector_free(&c);
	return recorder_close(&rec) != 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_seeds DIR\n");
		return 2;
	}
	return seed(argv[1], "story.rec", false, false) | seed(argv[1], "snapshot.rec", true, false) |
	       seed(argv[1], "exit_mmap.rec", false, true);
}
