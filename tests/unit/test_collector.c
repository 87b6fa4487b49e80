// SPDX-License-Identifier: GPL-2.0
/*
 * The collector fed synthetic streams: the seeds' story must rebuild to the
 * seed's diagram, and each checked invariant must catch a stream that
 * breaks it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "stream.h"
#include "report.h"

static struct collector col;
static struct sim sim;

static void setup(void)
{
	collector_free(&col);
	if (collector_init(&col))
		abort();
	sim_init(&sim, &col);
}

static uint32_t node(uint64_t ptr)
{
	for (uint32_t i = 0; i < col.nr_av; i++)
		if (col.av[i].ptr == ptr)
			return i;
	return NONE;
}

static int count_viol(int inv)
{
	int n = 0;

	for (size_t k = 0; k < col.nr_viol; k++)
		n += col.viol[k].invariant == inv;
	return n;
}

static void dump_viol(void)
{
	for (size_t k = 0; k < col.nr_viol; k++)
		printf("  # violation %d: %s\n", col.viol[k].invariant, col.viol[k].msg);
}

/* The seed's diagram, built by the kernel model, rebuilt by the collector. */
static void test_seed_story_tree(void)
{
	struct story st;
	uint32_t p, c1, c2, gc;

	setup();
	story_fork(&sim, &st);
	p = node(st.p.anon_vma->ptr);
	c1 = node(st.c1.anon_vma->ptr);
	c2 = node(st.c2.anon_vma->ptr);
	gc = node(st.gc.anon_vma->ptr);
	EXPECT(p != NONE && c1 != NONE && c2 != NONE && gc != NONE, "all four seen");
	EXPECT_EQ(col.nr_av, 4);

	/* While all four hold the mapping. */
	EXPECT_EQ(col.av[p].root, p);
	EXPECT_EQ(col.av[p].parent, p);
	EXPECT_EQ(anon_vma_derived(&col, p).num_children, 3);
	EXPECT_EQ(col.av[c1].root, p);
	EXPECT_EQ(col.av[c1].parent, p);
	EXPECT_EQ(col.av[c2].parent, p);
	EXPECT_EQ(anon_vma_derived(&col, c2).num_children, 1);
	EXPECT_EQ(col.av[gc].parent, c2);
	EXPECT_EQ(col.av[gc].root, p);
	for (uint32_t i = 0; i < 4; i++)
		EXPECT_EQ(anon_vma_derived(&col, i).num_active_vmas, 1);
	/* The kernel model's counters, as read at the hooks, agree. */
	EXPECT_EQ(col.av[p].kernel.num_children, 3);
	EXPECT_EQ(col.av[c2].kernel.num_children, 1);

	/* -p's backstop asks /proc about the pids not seen to exit. */
	{
		uint32_t live[8], sum = 0;
		size_t n = collector_live_pids(&col, live, 8);

		EXPECT_EQ(n, 4);
		for (size_t i = 0; i < n && i < 8; i++)
			sum += live[i];
		EXPECT_EQ(sum, 100 + 101 + 102 + 103);
		EXPECT_EQ(collector_live_pids(&col, live, 2), 4);
	}

	/* Who each serves: the child, not the parent that ran the fork. */
	EXPECT_EQ(anon_vma_owner(&col, p)->pid, 100);
	EXPECT_EQ(anon_vma_owner(&col, c1)->pid, 101);
	EXPECT_EQ(anon_vma_owner(&col, c2)->pid, 102);
	EXPECT_EQ(anon_vma_owner(&col, gc)->pid, 103);

	story_exit(&sim, &st);
	collector_finish(&col);
	EXPECT_EQ(col.nr_viol, 0);
	dump_viol();
	EXPECT_EQ(col.av[p].kernel_max.num_children, 3);
	EXPECT_EQ(col.av[p].derived_max.num_children, 3);
	EXPECT_EQ(col.av[c1].derived_max.num_children, 0);
	EXPECT_EQ(col.av[c2].derived_max.num_children, 1);
	EXPECT_EQ(col.av[c2].kernel_max.num_children, 1);
	EXPECT_EQ(col.av[gc].derived_max.num_children, 0);
	for (uint32_t i = 0; i < 4; i++) {
		EXPECT(col.av[i].freed, "anon_vma %u freed", av_id(&col, i));
		EXPECT_EQ(col.av[i].derived_max.num_active_vmas, 1);
		EXPECT_EQ(col.av[i].kernel_max.num_active_vmas, 1);
	}
	EXPECT(collector_all_exited(&col), "all four exited");
	EXPECT_EQ(collector_live_pids(&col, NULL, 0), 0);
}

/* An unlink's end that never comes (its entry time was lost in the BPF
 * side, so no EV_UNLINK_DONE names it): its window stays open, and -v
 * counts it. Every one closes in a whole story. */
static void tamper_done_entry(struct sim *s, struct event_hdr *h)
{
	(void)s;
	((struct unlink_done_event *)h)->entry_ts = 1;	/* no such call */
}

static void test_unlink_windows_close(void)
{
	struct story st;

	setup();
	story_fork(&sim, &st);
	story_exit(&sim, &st);
	EXPECT_EQ(race_open_windows(&col), 0);

	setup();
	story_fork(&sim, &st);
	sim.tamper = tamper_done_entry;	/* the first end: GC's */
	sim.tamper_type = EV_UNLINK_DONE;
	story_exit(&sim, &st);
	EXPECT_EQ(race_open_windows(&col), 1);
}

/* Windows are forgotten from the front, in the order calls came: one
 * still open at the front (its end lost, or not come yet) must neither
 * stop that nor be forgotten itself, and its end must still find it
 * after the windows have moved; nor may one whose start is far ahead of
 * the stream (a broken recording's) stop it. 10 s of calls, one a
 * millisecond: the windows kept are those of the last two horizons, not
 * all of them. */
static void test_windows_forgotten_past_open_one(void)
{
	const uint64_t ms = 1000000;
	size_t kept_most = 0;

	setup();
	col.cur_tid = 7;
	race_window(&col, 0, ms / 2, UINT64_MAX);
	col.cur_tid = 9;
	race_window(&col, 0, UINT64_MAX / 2, UINT64_MAX / 2 + 1);
	col.cur_tid = 8;
	for (uint64_t t = ms; t <= 10000 * ms; t += ms) {
		col.events++;
		race_window(&col, 0, t, t + ms / 4);
		race_resolve(&col, t, false);
		if (col.nr_win - col.win_head > kept_most)
			kept_most = col.nr_win - col.win_head;
	}
	EXPECT(kept_most <= 2 * RACE_HORIZON_NS / ms + RACE_HORIZON_NS / 4 / ms + 3,
	       "%zu windows kept at most", kept_most);
	EXPECT(4 * col.win_head < col.nr_win - col.win_head, "front %zu of %zu", col.win_head,
	       col.nr_win);
	EXPECT_EQ(race_open_windows(&col), 1);
	race_window_end(&col, 7, ms / 2, 10001 * ms);
	EXPECT_EQ(race_open_windows(&col), 0);
}

/* Invariant 1: a child whose root is not its parent's root. */
static void tamper_root(struct sim *s, struct event_hdr *h)
{
	struct vma_event *e = (void *)h;

	(void)s;
	e->av.root = e->av.parent;	/* GC claims C2 as its root */
}

static void test_inv1_root_differs_from_parents(void)
{
	struct story st;

	setup();
	story_fork(&sim, &st);
	/* One more grandchild, whose fork event lies about its root. */
	struct proc gc2 = { 104, 0xffff888001400000ULL };

	sim.tamper = tamper_root;
	sim.tamper_type = EV_ANON_VMA_FORK;
	sim_fork_vma(&sim, &st.C2, &gc2, &st.c2);
	collector_finish(&col);
	EXPECT(count_viol(INV_ROOT) >= 1, "root/parent violation reported");
}

/* Invariant 1: a root whose parent is another anon_vma. */
static void tamper_root_parent(struct sim *s, struct event_hdr *h)
{
	struct vma_event *e = (void *)h;

	(void)s;
	e->av.parent = 0xffff888000fff000ULL;
}

static void test_inv1_root_parent_not_self(void)
{
	struct proc P = { 100, 0xffff888001000000ULL };
	struct kvma v;

	setup();
	collector_add_process(&col, P.pid);
	v = sim_vma(&sim, &P, 0x7f0000000000ULL, 4);
	sim.tamper = tamper_root_parent;
	sim_prepare(&sim, &P, &v);
	collector_finish(&col);
	EXPECT(count_viol(INV_ROOT) >= 1, "root with a foreign parent reported");
}

/* Invariant 2: the kernel's num_children does not count a new child (the
 * 2022 double-reuse bug looked like this). */
static void tamper_num_children(struct sim *s, struct event_hdr *h)
{
	struct vma_event *e = (void *)h;

	(void)s;
	e->parent.num_children--;
}

static void test_inv2_num_children(void)
{
	struct story st;

	setup();
	sim.tamper = tamper_num_children;
	sim.tamper_type = EV_ANON_VMA_FORK;
	story_fork(&sim, &st);
	collector_finish(&col);
	EXPECT_EQ(count_viol(INV_NUM_CHILDREN), 1);
	EXPECT_EQ(count_viol(INV_NUM_ACTIVE_VMAS), 0);
}

/* The races' start: P's mapping, and C1 forked from it. */
static void p_forks_c1(const struct proc *P, const struct proc *C1, struct kvma *p,
		       struct kvma *c1)
{
	setup();
	collector_add_process(&col, P->pid);
	*p = sim_vma(&sim, P, 0x7f0000000000ULL, 8);
	sim_prepare(&sim, P, p);
	*c1 = sim_fork_vma(&sim, P, C1, p);
	sim_task(&sim, EV_FORK, P, C1);
}

/*
 * Races: C1's unlink has begun (the collector has applied it) but the
 * kernel has not yet changed P's num_children when P's fork reads it. The
 * reading is one above the derived count, and C1's call overlaps it.
 */
static void race_fork_during_unlink(void (*tamper)(struct sim *, struct event_hdr *),
				    bool finish_unlink_first)
{
	struct proc P = { 200, 0xffff888002000000ULL }, C1 = { 201, 0xffff888002100000ULL },
		    C2 = { 202, 0xffff888002200000ULL };
	struct kvma p, c1, c2;
	uint64_t t;

	p_forks_c1(&P, &C1, &p, &c1);
	t = sim_unlink_enter(&sim, &C1, &c1);
	if (finish_unlink_first)
		sim_unlink_apply(&sim, &C1, &c1, t);
	sim.tamper = tamper;
	sim.tamper_type = EV_ANON_VMA_FORK;
	c2 = sim_fork_vma(&sim, &P, &C2, &p);
	if (!finish_unlink_first)
		sim_unlink_apply(&sim, &C1, &c1, t);
	(void)c2;
	collector_finish(&col);
}

/* The model reads C1 as still counted while its unlink has not changed
 * the count; these make the reading one or two higher again. */
static void tamper_unlink_pending(struct sim *s, struct event_hdr *h)
{
	struct vma_event *e = (void *)h;

	(void)s;
	e->parent.num_children++;
}

static void test_race_explained_by_overlap(void)
{
	race_fork_during_unlink(NULL, false);
	EXPECT_EQ(col.nr_viol, 0);
	EXPECT_EQ(col.explained, 1);
	dump_viol();
}

/* One call in flight moves a counter by one, not two. */
static void test_race_difference_too_large(void)
{
	race_fork_during_unlink(tamper_unlink_pending, false);
	EXPECT_EQ(count_viol(INV_NUM_CHILDREN), 1);
	EXPECT_EQ(col.explained, 0);
}

/* A call that had returned before the reading explains nothing. */
static void test_race_not_after_return(void)
{
	race_fork_during_unlink(tamper_unlink_pending, true);
	EXPECT_EQ(count_viol(INV_NUM_CHILDREN), 1);
	EXPECT_EQ(col.explained, 0);
}

/*
 * Races the stream's order hides. "late": C1's unlink is over before P's
 * fork reads num_children, but C1's events reach the stream after P's
 * fork event, so the collector still counts C1 there. "early": C1's
 * unlink begins after P's fork has read, but its events come first, so the
 * collector no longer counts C1. Either way the reading is one off the
 * derived count, and C1's call, on the other side of the reading in the
 * stream than in time, explains it. The same holds the other way round:
 * C1's unlink reads P's counters too, and P's fork is on the other side
 * of that reading. Two differences, both explained.
 */
static void race_out_of_order(bool late, void (*tamper)(struct sim *, struct event_hdr *))
{
	struct proc P = { 300, 0xffff888003000000ULL }, C1 = { 301, 0xffff888003100000ULL },
		    C2 = { 302, 0xffff888003200000ULL };
	struct kvma p, c1;

	p_forks_c1(&P, &C1, &p, &c1);
	sim.tamper = tamper;
	sim.tamper_type = EV_ANON_VMA_FORK;
	sim.hold = true;
	if (late) {
		sim_unlink(&sim, &C1, &c1);	/* held back */
		sim.hold = false;
		sim_fork_vma(&sim, &P, &C2, &p);
	} else {
		sim_fork_vma(&sim, &P, &C2, &p);	/* held back */
		sim.hold = false;
		sim_unlink(&sim, &C1, &c1);
	}
	sim_release(&sim);
	collector_finish(&col);
}

static void test_race_event_late(void)
{
	race_out_of_order(true, NULL);
	dump_viol();
	EXPECT_EQ(col.nr_viol, 0);
	EXPECT_EQ(col.explained, 2);
}

static void test_race_event_early(void)
{
	race_out_of_order(false, NULL);
	dump_viol();
	EXPECT_EQ(col.nr_viol, 0);
	EXPECT_EQ(col.explained, 2);
}

/* One call out of order moves a counter by one, not two. */
static void test_race_out_of_order_too_large(void)
{
	race_out_of_order(true, tamper_num_children);
	EXPECT_EQ(count_viol(INV_NUM_CHILDREN), 1);
	race_out_of_order(false, tamper_unlink_pending);
	EXPECT_EQ(count_viol(INV_NUM_CHILDREN), 1);
}

/* A VMA linked while nothing watched (a creation the trace missed), then
 * unlinked in view: counted when its anon_vma is the trace's, not when
 * the anon_vma is as unknown as the VMA. */
static void test_unseen_unlinks(void)
{
	struct proc p = { 100, 0xffff888001000000ULL };
	struct kvma v, w, x;

	setup();
	collector_add_process(&col, p.pid);
	v = sim_vma(&sim, &p, 0x7f0000000000ULL, 8);
	sim_prepare(&sim, &p, &v);
	sim.mute = true;
	w = sim_vma(&sim, &p, 0x7f0000010000ULL, 1);
	w.anon_vma = v.anon_vma;
	avc_link(&w, v.anon_vma);
	v.anon_vma->num_active_vmas++;
	x = sim_vma(&sim, &p, 0x7f0000020000ULL, 1);
	sim_prepare(&sim, &p, &x);
	sim.mute = false;
	sim_unlink(&sim, &p, &x);
	EXPECT_EQ(col.unseen_unlinks, 0);
	sim_unlink(&sim, &p, &w);
	EXPECT_EQ(col.unseen_unlinks, 1);
	sim_unlink(&sim, &p, &v);
	collector_finish(&col);
	EXPECT_EQ(col.nr_viol, 0);
	EXPECT_EQ(col.unseen_unlinks, 1);
}

/*
 * Attaching to a tree that already exists: the snapshot's records alone
 * must rebuild the seed's diagram, be judged whole, and be checked from
 * then on like a traced tree.
 */
static void snapshot_of(struct story *st, bool with_p_and_c1)
{
	sim.mute = true;
	story_fork(&sim, st);
	sim.mute = false;
	if (with_p_and_c1) {
		emit_vma(&sim, EV_SNAPSHOT_VMA, &st->P, &st->p, NULL);
		emit_vma(&sim, EV_SNAPSHOT_VMA, &st->C1, &st->c1, NULL);
	} else {
		col.nr_proc = 0;	/* -p C2: P and C1 are not traced */
	}
	collector_add_process(&col, st->C2.pid);
	collector_add_process(&col, st->GC.pid);
	emit_vma(&sim, EV_SNAPSHOT_VMA, &st->C2, &st->c2, NULL);
	emit_vma(&sim, EV_SNAPSHOT_VMA, &st->GC, &st->gc, NULL);
}

static void test_snapshot_rebuilds_seed_tree(void)
{
	struct story st;
	uint32_t p, c2, gc;

	setup();
	snapshot_of(&st, true);
	EXPECT_EQ(collector_snapshot_done(&col), 0);
	p = node(st.p.anon_vma->ptr);
	c2 = node(st.c2.anon_vma->ptr);
	gc = node(st.gc.anon_vma->ptr);
	EXPECT(p != NONE && c2 != NONE && gc != NONE, "found");
	EXPECT_EQ(col.av[gc].parent, c2);
	EXPECT_EQ(col.av[gc].root, p);
	EXPECT_EQ(col.av[p].origin, ORIGIN_SNAPSHOT);
	EXPECT_EQ(anon_vma_derived(&col, p).num_children, 3);
	EXPECT(av_checkable(&col, p), "whole hierarchy is checked");
	story_exit(&sim, &st);
	collector_finish(&col);
	EXPECT_EQ(col.nr_viol, 0);
	EXPECT(col.av[p].freed && col.av[gc].freed, "freed at exit");
	dump_viol();
}

/* Planted: after the snapshot the kernel's count disagrees. */
static void test_snapshot_then_violation(void)
{
	struct story st;

	setup();
	snapshot_of(&st, true);
	collector_snapshot_done(&col);
	sim.tamper = tamper_num_children;
	sim.tamper_type = EV_UNLINK_ANON_VMAS;
	story_exit(&sim, &st);
	collector_finish(&col);
	EXPECT(count_viol(INV_NUM_CHILDREN) >= 1, "a whole snapshot tree is checked");
}

/* -p C2: P's anon_vma links VMAs of processes not traced; its counters
 * cannot be derived, and must not be reported as wrong. */
static void test_snapshot_partial_not_checked(void)
{
	struct story st;
	uint32_t p;

	setup();
	snapshot_of(&st, false);
	EXPECT(collector_snapshot_done(&col) > 0, "partial hierarchy noticed");
	p = node(st.p.anon_vma->ptr);
	EXPECT(p != NONE && !av_checkable(&col, p), "P's anon_vma not checked");
	sim_unlink(&sim, &st.GC, &st.gc);
	sim_task(&sim, EV_EXIT, &st.GC, &st.GC);
	sim_unlink(&sim, &st.C2, &st.c2);
	sim_task(&sim, EV_EXIT, &st.C2, &st.C2);
	collector_finish(&col);
	EXPECT_EQ(col.nr_viol, 0);
	dump_viol();
}

/* The self link: a root that loses its own VMA gives its count back. */
static void test_inv2_self_link_given_back(void)
{
	struct story st;
	uint32_t p;

	setup();
	story_fork(&sim, &st);
	p = node(st.p.anon_vma->ptr);
	sim_unlink(&sim, &st.P, &st.p);	/* P unmaps; children keep the tree */
	EXPECT_EQ(anon_vma_derived(&col, p).num_children, 3);	/* tree non-empty */
	EXPECT_EQ(anon_vma_derived(&col, p).num_active_vmas, 0);
	sim_unlink(&sim, &st.GC, &st.gc);
	EXPECT_EQ(anon_vma_derived(&col, node(st.c2.anon_vma->ptr)).num_children, 0);
	EXPECT_EQ(col.nr_viol, 0);
	dump_viol();
}

/* Invariant 3. */
static void tamper_active(struct sim *s, struct event_hdr *h)
{
	struct vma_event *e = (void *)h;

	(void)s;
	e->av.num_active_vmas = 2;
}

static void test_inv3_num_active_vmas(void)
{
	struct story st;

	setup();
	sim.tamper = tamper_active;
	sim.tamper_type = EV_ANON_VMA_PREPARE;
	story_fork(&sim, &st);
	collector_finish(&col);
	EXPECT_EQ(count_viol(INV_NUM_ACTIVE_VMAS), 1);
}

/* Invariant 4: a VMA whose chain lacks its own anon_vma... */
static void tamper_drop_own_avc(struct sim *s, struct event_hdr *h)
{
	struct vma_event *e = (void *)h;

	(void)s;
	/* The newest AVC (the VMA's own) comes first: drop it. */
	memmove(&e->chain[0], &e->chain[1], (e->nr_chain - 1) * sizeof(e->chain[0]));
	e->nr_chain--;
}

static void test_inv4_vma_without_own_avc(void)
{
	struct story st;

	setup();
	sim.tamper = tamper_drop_own_avc;
	sim.tamper_type = EV_ANON_VMA_FORK;
	story_fork(&sim, &st);
	EXPECT(count_viol(INV_VMA_AVC) >= 1, "missing own AVC reported");
}

/* ...and a child VMA missing an AVC its parent VMA had. */
static void tamper_drop_root_avc(struct sim *s, struct event_hdr *h)
{
	struct vma_event *e = (void *)h;

	(void)s;
	e->nr_chain--;	/* the oldest, the root's, is last */
}

static void test_inv4_fork_misses_parent_avc(void)
{
	struct story st;

	setup();
	sim.tamper = tamper_drop_root_avc;
	sim.tamper_type = EV_ANON_VMA_FORK;
	story_fork(&sim, &st);
	EXPECT(count_viol(INV_VMA_AVC) >= 1, "child without the parent's AVC reported");
}

/* ...and, read at unlink_anon_vmas' entry, a VMA whose anon_vma has no
 * AVC any more: the kernel's chain, not the one the trace built. */
static void test_inv4_unlink_without_own_avc(void)
{
	struct story st;

	setup();
	story_fork(&sim, &st);
	story_exit(&sim, &st);
	collector_finish(&col);
	EXPECT_EQ(count_viol(INV_VMA_AVC), 0);

	setup();
	story_fork(&sim, &st);
	sim.tamper = tamper_drop_own_avc;
	sim.tamper_type = EV_UNLINK_ANON_VMAS;
	story_exit(&sim, &st);
	collector_finish(&col);
	EXPECT_EQ(count_viol(INV_VMA_AVC), 1);
}

/* Exits as exit_mmap reports them: one event per mm, no unlink events.
 * Each takes down its mm's VMAs and no other's: GC's leaves C2's anon_vma
 * with no live child and P's with three (C1, C2, itself); then the puts
 * find the counters they read, and every anon_vma is freed. A collector
 * that took down nothing would see each put's num_active_vmas 0 against
 * its 1. */
static void exit_mmap_one(const struct proc *p, struct kvma *v)
{
	sim_exit_mmap(&sim, p, p->mm, &v, 1, NULL, NULL);
	sim_task(&sim, EV_EXIT, p, p);
}

static void test_exit_mmap_story(void)
{
	struct story st;
	uint32_t p, c1, c2;

	setup();
	story_fork(&sim, &st);
	p = node(st.p.anon_vma->ptr);
	c1 = node(st.c1.anon_vma->ptr);
	c2 = node(st.c2.anon_vma->ptr);
	exit_mmap_one(&st.GC, &st.gc);
	EXPECT_EQ(col.exit_mmap_vmas, 1);
	EXPECT_EQ(anon_vma_derived(&col, c2).num_children, 0);
	EXPECT_EQ(anon_vma_derived(&col, c2).num_active_vmas, 1);
	EXPECT_EQ(anon_vma_derived(&col, c1).num_active_vmas, 1);
	EXPECT_EQ(anon_vma_derived(&col, p).num_children, 3);
	exit_mmap_one(&st.C2, &st.c2);
	exit_mmap_one(&st.C1, &st.c1);
	EXPECT_EQ(anon_vma_derived(&col, p).num_children, 1);
	EXPECT_EQ(anon_vma_derived(&col, p).num_active_vmas, 1);
	exit_mmap_one(&st.P, &st.p);
	collector_finish(&col);
	EXPECT_EQ(col.exit_mmaps, 4);
	EXPECT_EQ(col.nr_freed, 4);
	EXPECT_EQ(race_open_windows(&col), 0);
	EXPECT_EQ(col.nr_viol, 0);
	dump_viol();
}

/* An mm of two VMAs (two roots): both go, each with a window on its own
 * hierarchy, and the one EV_UNLINK_DONE closes both. An exit_mmap of an
 * address space the trace never saw takes nothing and is not shown. */
static void test_exit_mmap_two_vmas(void)
{
	struct proc P = { 200, 0xffff888002000000ULL }, C = { 201, 0xffff888002100000ULL };
	struct proc X = { 202, 0xffff888002200000ULL };
	struct kvma p1, p2, c1, c2, *vmas[2];

	setup();
	collector_add_process(&col, P.pid);
	p1 = sim_vma(&sim, &P, 0x7f0000000000ULL, 4);
	p2 = sim_vma(&sim, &P, 0x7f0000100000ULL, 4);
	sim_prepare(&sim, &P, &p1);
	sim_prepare(&sim, &P, &p2);
	c1 = sim_fork_vma(&sim, &P, &C, &p1);
	c2 = sim_fork_vma(&sim, &P, &C, &p2);
	sim_task(&sim, EV_FORK, &P, &C);
	vmas[0] = &c1, vmas[1] = &c2;
	sim_exit_mmap(&sim, &C, C.mm, vmas, 2, NULL, NULL);
	EXPECT_EQ(col.exit_mmap_vmas, 2);
	EXPECT_EQ(race_open_windows(&col), 0);
	sim_task(&sim, EV_EXIT, &C, &C);
	sim_exit_mmap(&sim, &P, X.mm, NULL, 0, NULL, NULL);
	EXPECT_EQ(col.exit_mmaps, 1);
	vmas[0] = &p1, vmas[1] = &p2;
	sim_exit_mmap(&sim, &P, P.mm, vmas, 2, NULL, NULL);
	sim_task(&sim, EV_EXIT, &P, &P);
	collector_finish(&col);
	EXPECT_EQ(col.nr_freed, 4);
	EXPECT_EQ(race_open_windows(&col), 0);
	EXPECT_EQ(col.nr_viol, 0);
	dump_viol();
}

/* P's walk visits C's VMA while C's exit_mmap runs: the kernel has not
 * unlinked it yet, the collector took it down at the teardown's entry;
 * the teardown's window explains it. The same walk after the teardown's
 * end is a walk of a VMA with no AVC to the anon_vma: a violation. */
struct walk_mid {
	struct story *st;
	const struct kvma *const *vmas;
};

static void walk_p(struct sim *s, void *arg)
{
	struct walk_mid *w = arg;

	sim_walk(s, &w->st->P, w->st->p.anon_vma, w->st->p.pgoff, CB_TRY_TO_MIGRATE_ONE,
		 w->vmas, 2, -1, NULL, 0);
}

static void test_exit_mmap_walk_in_window(void)
{
	struct story st;
	const struct kvma *both[2];
	struct kvma *vmas[1];
	struct walk_mid w = { &st, both };

	for (int after = 0; after < 2; after++) {
		setup();
		story_fork(&sim, &st);
		both[0] = &st.p, both[1] = &st.c1;
		vmas[0] = &st.c1;
		sim_exit_mmap(&sim, &st.C1, st.C1.mm, vmas, 1, after ? NULL : walk_p, &w);
		if (after)
			walk_p(&sim, &w);
		collector_finish(&col);
		EXPECT_EQ(count_viol(INV_WALK), after);
		if (count_viol(INV_WALK) != after)
			dump_viol();
	}
}

/* Invariant 6: a stream in which GC's anon_vma is never freed. */
static void drop_event(struct sim *s, struct event_hdr *h)
{
	(void)s;
	h->type = 0;	/* malformed: the collector never applies it */
}

static void test_inv6_leak(void)
{
	struct story st;
	uint64_t gc;

	setup();
	story_fork(&sim, &st);
	gc = st.gc.anon_vma->ptr;
	sim.tamper = drop_event;
	sim.tamper_type = EV_PUT_ANON_VMA;
	story_exit(&sim, &st);
	collector_finish(&col);
	EXPECT_EQ(count_viol(INV_FREED), 1);
	EXPECT(!col.av[node(gc)].freed, "GC's anon_vma not freed");
}

/* KSM merged a page of P's mapping: its stable rmap_item holds P's
 * anon_vma (mm/ksm.c, try_to_merge_with_ksm_page). P exits; ksmd has not
 * scanned since, so the anon_vma outlives P with no AVC. */
static struct kav *ksm_story(struct sim *s)
{
	static struct proc P = { 100, 0xffff888001000000ULL }, ksmd = { 40, 0 };
	static struct kvma p;
	struct kav *a;

	collector_add_process(s->c, P.pid);
	p = sim_vma(s, &P, 0x7f0000000000ULL, 16);
	sim_prepare(s, &P, &p);
	a = p.anon_vma;
	sim_ksm(s, &ksmd, a, KSM_GET);
	sim_unlink(s, &P, &p);
	sim_task(s, EV_EXIT, &P, &P);
	return a;
}

static void test_inv6_held_by_ksm(void)
{
	uint64_t a;
	uint32_t i;

	setup();
	col.ksm_events = true;
	a = ksm_story(&sim)->ptr;
	collector_finish(&col);
	i = node(a);
	dump_viol();
	EXPECT_EQ(count_viol(INV_FREED), 0);
	EXPECT(i != NONE && !col.av[i].freed, "the anon_vma lives on");
	EXPECT(i != NONE && holders_of(&col.holds, i) && holders_of(&col.holds, i)->ksm == 1,
	       "held by one KSM rmap_item");
}

/* ... and ksmd's next scan drops the item: the anon_vma goes, seen. */
static void test_inv6_ksm_drops_then_freed(void)
{
	static struct proc ksmd = { 40, 0 };
	struct kav *k;
	uint64_t a;

	setup();
	col.ksm_events = true;
	k = ksm_story(&sim);
	a = k->ptr;
	sim_ksm(&sim, &ksmd, k, KSM_PUT);
	collector_finish(&col);
	EXPECT_EQ(count_viol(INV_FREED), 0);
	EXPECT(node(a) != NONE && col.av[node(a)].freed, "freed after KSM let go");
	EXPECT(holders_of(&col.holds, node(a)) == NULL, "nothing holds a freed anon_vma");
}

/* A real leak under KSM: KSM took and dropped its reference, and the
 * anon_vma is still not freed: nothing the trace knows holds it. */
static void test_inv6_leak_after_ksm_let_go(void)
{
	static struct proc ksmd = { 40, 0 };
	struct kav *k;

	setup();
	col.ksm_events = true;
	k = ksm_story(&sim);
	k->refcount++;	/* the leaked reference: no event takes it */
	sim_ksm(&sim, &ksmd, k, KSM_PUT);
	collector_finish(&col);
	EXPECT_EQ(count_viol(INV_FREED), 1);
	EXPECT(col.nr_viol && strstr(col.viol[0].msg, "KSM's references to it were all dropped"),
	       "the violation says KSM let go");
}

/* Invariant 6 is not judged while a traced process lives. */
static void test_inv6_not_while_alive(void)
{
	struct story st;

	setup();
	story_fork(&sim, &st);
	collector_finish(&col);
	EXPECT_EQ(count_viol(INV_FREED), 0);
}

/* Invariant 7: P -> C -> G; C exits; G forks G2, and the kernel reuses C's
 * anon_vma (no VMA, one child). late: C's unlink and exit reach the stream
 * only after G's fork (their vCPU stalled), though they were over before
 * it began. */
static void reuse_story(struct sim *s, struct kvma *g2_out, struct kav **c_av, bool late)
{
	struct proc P = { 100, 0xffff888001000000ULL }, C = { 101, 0xffff888001100000ULL };
	struct proc G = { 102, 0xffff888001200000ULL }, G2 = { 103, 0xffff888001300000ULL };
	struct kvma p, c, g;

	collector_add_process(s->c, P.pid);
	p = sim_vma(s, &P, 0x7f0000000000ULL, 4);
	sim_prepare(s, &P, &p);
	c = sim_fork_vma(s, &P, &C, &p);
	sim_task(s, EV_FORK, &P, &C);
	g = sim_fork_vma(s, &C, &G, &c);
	sim_task(s, EV_FORK, &C, &G);
	*c_av = c.anon_vma;
	s->hold = late;
	sim_unlink(s, &C, &c);
	sim_task(s, EV_EXIT, &C, &C);
	s->hold = false;
	*g2_out = sim_fork_vma(s, &G, &G2, &g);
	sim_task(s, EV_FORK, &G, &G2);
	sim_release(s);
}

static void test_inv7_reuse_allowed(void)
{
	struct kav *c_av;
	struct kvma g2;
	uint32_t i;

	setup();
	reuse_story(&sim, &g2, &c_av, false);
	EXPECT(g2.anon_vma == c_av, "the model reused C's anon_vma");
	i = node(c_av->ptr);
	EXPECT_EQ(col.av[i].reused, 1);
	EXPECT_EQ(anon_vma_derived(&col, i).num_active_vmas, 1);
	collector_finish(&col);
	EXPECT_EQ(col.nr_viol, 0);
	dump_viol();
}

/* The collector meets the reuse while it still counts C's VMA: C's unlink,
 * later in the stream, explains it. */
static void test_inv7_reuse_event_late(void)
{
	struct kav *c_av;
	struct kvma g2;

	setup();
	reuse_story(&sim, &g2, &c_av, true);
	EXPECT(g2.anon_vma == c_av, "the model reused C's anon_vma");
	collector_finish(&col);
	dump_viol();
	EXPECT_EQ(count_viol(INV_REUSE), 0);
	EXPECT(col.explained >= 1, "the reuse explained by C's unlink");
}

/* A fork that "reuses" C2's anon_vma while C2's VMA still uses it. */
static void tamper_bad_reuse(struct sim *s, struct event_hdr *h)
{
	struct vma_event *e = (void *)h;
	struct kav *c2 = &s->av[2];	/* P, C1, C2 in that order */

	e->av.anon_vma = c2->ptr;
	e->chain[0] = c2->ptr;
	e->av.parent = c2->parent->ptr;
}

static void test_inv7_reuse_forbidden(void)
{
	struct story st;
	struct proc gc2 = { 104, 0xffff888001400000ULL };

	setup();
	story_fork(&sim, &st);
	sim.tamper = tamper_bad_reuse;
	sim.tamper_type = EV_ANON_VMA_FORK;
	sim_fork_vma(&sim, &st.C2, &gc2, &st.c2);
	collector_finish(&col);
	EXPECT_EQ(count_viol(INV_REUSE), 1);
}

/* Lost events: checks say so rather than report false violations. */
static void test_lost_events_suppress_checks(void)
{
	struct story st;

	setup();
	story_fork(&sim, &st);
	sim.tamper = drop_event;
	sim.tamper_type = EV_PUT_ANON_VMA;
	collector_lost(&col, 1);
	story_exit(&sim, &st);
	collector_finish(&col);
	EXPECT_EQ(col.nr_viol, 0);
	EXPECT_EQ(col.lost, 1);
}

/* The ring buffer's loss counter is read after the gap: a violation the
 * gap caused was already recorded, and must not be reported. */
static void test_loss_learnt_late(void)
{
	struct story st;

	setup();
	story_fork(&sim, &st);
	sim.tamper = drop_event;
	sim.tamper_type = EV_ANON_VMA_FORK;
	sim_fork_vma(&sim, &st.P, &st.C1, &st.p);	/* lost: P's count moves unseen */
	story_exit(&sim, &st);
	EXPECT(col.nr_viol + col.nr_sus > 0, "the gap looks like violations");
	collector_lost(&col, 1);
	collector_finish(&col);
	EXPECT_EQ(col.nr_viol, 0);
	EXPECT(col.untrusted_viol > 0, "counted as untrusted");
}

/* The collector's picture (root as report_dot takes it), and its AVC edges. */
static char *dot_text(uint32_t root, bool raw, int *avcs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	report_dot(&col, f, root, raw);
	fclose(f);
	*avcs = 0;
	for (const char *p = buf; (p = strstr(p, "label=\"avc\"")); p++)
		(*avcs)++;
	return buf;
}

/* The picture: one box per process, the seed's parent links, every AVC. */
static void test_dot_seed_story(void)
{
	struct story st;
	char *buf;
	int avcs;
	uint32_t gc, c2;

	setup();
	story_fork(&sim, &st);
	buf = dot_text(NONE, false, &avcs);
	gc = av_id(&col, node(st.gc.anon_vma->ptr));
	c2 = av_id(&col, node(st.c2.anon_vma->ptr));
	EXPECT(strstr(buf, "digraph rmaptrace {") != NULL, "a digraph");
	EXPECT(strstr(buf, "label=\"pid 103 ") != NULL, "GC's box: %s", buf);
	{
		char edge[64];

		snprintf(edge, sizeof(edge), "av%u -> av%u [label=\"parent\"", gc, c2);
		EXPECT(strstr(buf, edge) != NULL, "GC's anon_vma -> C2's: %s", edge);
	}
	/* P 1 AVC, C1 2, C2 2, GC 3 */
	EXPECT_EQ(avcs, 8);
	free(buf);
}

/* --dot-root: another mapping of P's is its own hierarchy, left out. */
static void test_dot_one_root(void)
{
	struct story st;
	struct kvma other;
	char *buf;
	int avcs;
	uint32_t p, o;

	setup();
	story_fork(&sim, &st);
	other = sim_vma(&sim, &st.P, 0x7f2000000000ULL, 4);
	sim_prepare(&sim, &st.P, &other);
	p = node(st.p.anon_vma->ptr);
	o = node(other.anon_vma->ptr);
	buf = dot_text(root_of(&col, node(st.gc.anon_vma->ptr)), false, &avcs);
	{
		char want[32], other_av[32];

		snprintf(want, sizeof(want), "av%u [", av_id(&col, p));
		snprintf(other_av, sizeof(other_av), "av%u [", av_id(&col, o));
		EXPECT(strstr(buf, want) != NULL, "P's anon_vma drawn (%s)", want);
		EXPECT(strstr(buf, other_av) == NULL, "the other mapping's anon_vma left out (%s)", other_av);
		EXPECT(strstr(buf, "0x7f2000000000") == NULL, "the other mapping's VMA left out");
	}
	EXPECT_EQ(avcs, 8);
	free(buf);
}

/* A freed anon_vma's address reused by the slab is a new object. */
static void test_slab_reuse_new_id(void)
{
	struct story st;
	struct proc Q = { 200, 0xffff888002000000ULL };
	struct kvma q;
	uint64_t old;

	setup();
	story_fork(&sim, &st);
	old = st.gc.anon_vma->ptr;
	story_exit(&sim, &st);
	collector_add_process(&col, Q.pid);
	sim.next_ptr = old - 0x100;	/* the next allocation lands on it */
	q = sim_vma(&sim, &Q, 0x7f1000000000ULL, 4);
	sim.next_ptr = old - 0x100;
	sim_prepare(&sim, &Q, &q);
	EXPECT_EQ(col.nr_av, 5);
	EXPECT(col.av[3].freed, "the old object stays freed");
	EXPECT(!col.av[4].freed && col.av[4].ptr == old, "a new node for the address");
	EXPECT_EQ(anon_vma_owner(&col, 4)->pid, 200);
}

/* The newest node of ptr, as the collector's map has it. */
static uint32_t live_node(uint64_t ptr)
{
	for (uint32_t i = col.nr_av; i-- > 0;)
		if (col.av[i].ptr == ptr && !col.av[i].freed)
			return i;
	return NONE;
}

/*
 * Children of one root exiting at once, after the root's own VMA is gone
 * (tests/workloads/exit_together; any forking server's workers): the
 * root is freed inline by whichever child's __put_anon_vma drops its last
 * reference, and each put read the root's count at its entry, before the
 * other's decrement, so neither saw 1. Seen live on trixie: the root never
 * freed (invariant 6 at the end) and, when the slab gave its address to a
 * fork's new anon_vma, "after anon_vma_fork: kernel num_children 0,
 * derived 1 (0 live children + self)" (invariant 2).
 */
static struct kav *racing_puts_story(struct sim *s)
{
	static struct proc P = { 100, 0xffff888001000000ULL },
		C1 = { 101, 0xffff888001100000ULL }, C2 = { 102, 0xffff888001200000ULL };
	const struct proc *who[] = { &C1, &C2, &C2 };
	struct kvma p, c1, c2;
	uint64_t e1, e2;
	struct kav *r;

	collector_add_process(s->c, P.pid);
	p = sim_vma(s, &P, 0x7f0000000000ULL, 4);
	sim_prepare(s, &P, &p);
	r = p.anon_vma;
	c1 = sim_fork_vma(s, &P, &C1, &p);
	sim_task(s, EV_FORK, &P, &C1);
	c2 = sim_fork_vma(s, &P, &C2, &p);
	sim_task(s, EV_FORK, &P, &C2);
	sim_unlink(s, &P, &p);
	s->defer_puts = true;
	e1 = sim_unlink_enter(s, &C1, &c1);
	sim_unlink_change(s, &C1, &c1);
	e2 = sim_unlink_enter(s, &C2, &c2);
	sim_unlink_change(s, &C2, &c2);
	sim_puts_together(s, who);
	sim_unlink_done(s, &C1, e1);
	sim_unlink_done(s, &C2, e2);
	sim_task(s, EV_EXIT, &C1, &C1);
	sim_task(s, EV_EXIT, &C2, &C2);
	return r;
}

/* ... and then a fork whose new anon_vma gets the root's address. */
static void reuse_root_address(struct sim *s, uint64_t addr)
{
	struct proc Q = { 200, 0xffff888002000000ULL }, Q2 = { 201, 0xffff888002100000ULL };
	struct kvma q;

	collector_add_process(s->c, Q.pid);
	q = sim_vma(s, &Q, 0x7f1000000000ULL, 4);
	sim_prepare(s, &Q, &q);
	/* the fork's VMA, then its anon_vma, which lands on addr */
	s->next_ptr = addr - 0x200;
	sim_fork_vma(s, &Q, &Q2, &q);
	sim_task(s, EV_FORK, &Q, &Q2);
}

static void test_root_freed_by_racing_puts(void)
{
	struct kav *r;
	uint32_t i;

	setup();
	r = racing_puts_story(&sim);
	EXPECT(r->freed, "the model freed the root");
	i = node(r->ptr);
	EXPECT(i != NONE && col.av[i].freed, "the root's node is freed");
	sim_task(&sim, EV_EXIT, &(struct proc){ 100, 0 }, &(struct proc){ 100, 0 });
	collector_finish(&col);
	dump_viol();
	EXPECT_EQ(col.nr_viol, 0);
	EXPECT_EQ(col.unseen_frees, 0);
}

static void test_root_address_reused_after_racing_puts(void)
{
	uint64_t addr;
	uint32_t i;

	setup();
	addr = racing_puts_story(&sim)->ptr;
	reuse_root_address(&sim, addr);
	collector_finish(&col);
	dump_viol();
	EXPECT_EQ(col.nr_viol, 0);
	EXPECT_EQ(col.unseen_frees, 0);
	i = live_node(addr);
	EXPECT(i != NONE && col.av[i].origin == ORIGIN_FORK, "the address is the fork's new anon_vma");
	EXPECT(i != NONE && col.av[i].root != i, "under the new root, not its own");
}

/* A recording made before EV_ANON_VMA_FREE: the root's free is not in
 * the stream. When its address comes back as an anon_vma with another
 * root, the old node is retired (an anon_vma's root and parent never
 * change), not given to the new one. */
static void test_unseen_free_retired_on_reuse(void)
{
	uint64_t addr;
	uint32_t old;

	setup();
	col.free_events = false;
	sim.no_free_events = true;
	addr = racing_puts_story(&sim)->ptr;
	old = node(addr);
	EXPECT(old != NONE && !col.av[old].freed, "no put said the root went");
	reuse_root_address(&sim, addr);
	dump_viol();
	EXPECT_EQ(count_viol(INV_NUM_CHILDREN), 0);
	EXPECT_EQ(col.unseen_frees, 1);
	EXPECT(col.av[old].freed, "the old node retired");
	EXPECT(live_node(addr) != old, "a new node for the address");
}

/* A fork's chain is matched to nodes through the parent links the trace
 * knows (user/collector.c: chain_nodes). Here C's anon_vma A is freed
 * while C's VMA still holds it (a kernel bug) and its address goes to a
 * new root A2; then C forks G. The event names A's address: that is A2
 * now, not the freed node the links still lead to. */
static void test_chain_hint_not_a_freed_node(void)
{
	struct proc P = { 100, 0xffff888001000000ULL }, C = { 101, 0xffff888001100000ULL };
	struct proc G = { 102, 0xffff888001200000ULL };
	struct kvma p, c, q, g;
	uint32_t a, a2, ga;
	uint64_t ptr;

	setup();
	collector_add_process(&col, P.pid);
	p = sim_vma(&sim, &P, 0x7f0000000000ULL, 4);
	sim_prepare(&sim, &P, &p);
	c = sim_fork_vma(&sim, &P, &C, &p);
	sim_task(&sim, EV_FORK, &P, &C);
	ptr = c.anon_vma->ptr;
	a = live_node(ptr);
	sim_put(&sim, &C, c.anon_vma);
	EXPECT(a != NONE && col.av[a].freed, "A freed");
	sim.next_ptr = ptr - 0x100;
	q = sim_vma(&sim, &P, 0x7f1000000000ULL, 4);
	sim.next_ptr = ptr - 0x100;
	sim_prepare(&sim, &P, &q);
	a2 = live_node(ptr);
	EXPECT(a2 != NONE && a2 != a, "a new node for A's address");
	g = sim_fork_vma(&sim, &C, &G, &c);
	ga = live_node(g.anon_vma->ptr);
	EXPECT(ga != NONE, "G's anon_vma known");
	if (a2 == NONE || ga == NONE)
		return;
	EXPECT_EQ(col.av[ga].parent, a2);
	EXPECT_EQ(col.av[a2].nr_avcs, 2);	/* Q's VMA and G's */
	EXPECT_EQ(col.av[a].nr_avcs, 1);	/* C's, as when it was freed */
}

/* Every live VMA's AVCs say where they are in their anon_vma's list;
 * returns how many do not. */
static int stale_avc_positions(void)
{
	int stale = 0;

	for (uint32_t vi = 0; vi < col.nr_vma; vi++) {
		struct vma_node *v = &col.vma[vi];

		for (uint32_t k = 0; !v->dead && k < v->nr_chain; k++) {
			const struct anon_vma_node *a = &col.av[vma_chain(v)[k]];
			uint32_t pos = vma_avc_pos(v)[k];

			stale += pos >= a->nr_avcs || av_avcs(a)[pos] != vi;
		}
	}
	return stale;
}

/* An unlink finds its AVC in the anon_vma's list by the position the VMA
 * keeps (a search of the list made a wide tree's teardown quadratic):
 * P's root list is unlinked from in the middle, again and again, and
 * every position must follow the entries moved. */
static void test_avc_positions_kept(void)
{
	struct proc P = { 100, 0xffff888001000000ULL };
	const int order[] = { 3, 0, 5, 1, 7, 2, 6, 4 };
	struct proc ch[8];
	struct kvma p, cv[8];
	uint32_t root;

	setup();
	collector_add_process(&col, P.pid);
	p = sim_vma(&sim, &P, 0x7f0000000000ULL, 4);
	sim_prepare(&sim, &P, &p);
	for (int i = 0; i < 8; i++) {
		ch[i] = (struct proc){ 200 + i, 0xffff888002000000ULL + ((uint64_t)i << 20) };
		cv[i] = sim_fork_vma(&sim, &P, &ch[i], &p);
		sim_task(&sim, EV_FORK, &P, &ch[i]);
	}
	root = live_node(p.anon_vma->ptr);
	EXPECT_EQ(col.av[root].nr_avcs, 9);
	EXPECT_EQ(stale_avc_positions(), 0);
	for (int k = 0; k < 8; k++) {
		int i = order[k];

		sim_unlink(&sim, &ch[i], &cv[i]);
		sim_task(&sim, EV_EXIT, &ch[i], &ch[i]);
		EXPECT(stale_avc_positions() == 0, "after child %d's exit: %d stale", i,
		       stale_avc_positions());
	}
	EXPECT_EQ(col.av[root].nr_avcs, 1);
	collector_finish(&col);
	EXPECT_EQ(col.nr_viol, 0);
}

/* Garbage in: counted, never applied, never a crash. */
/* Without --dot a dead VMA's node is the next new VMA's (user/collector.c:
 * vma_new_index). The story's four VMAs die; Q's new VMA takes one of
 * their nodes and must start clean: one AVC, to its own new root, live,
 * counted once in that root's tree, and nothing found wrong. */
static void test_dead_vma_node_reused(void)
{
	struct story st;
	struct proc Q = { 200, 0xffff888002000000ULL };
	struct kvma q;
	uint32_t vi, ai;

	setup();
	col.keep_dead_vmas = false;
	story_fork(&sim, &st);
	story_exit(&sim, &st);
	EXPECT_EQ(col.nr_vma, 4);
	collector_add_process(&col, Q.pid);
	q = sim_vma(&sim, &Q, 0x7f1000000000ULL, 4);
	sim_prepare(&sim, &Q, &q);
	EXPECT_EQ(col.nr_vma, 4);	/* no new node */
	vi = ptrmap_get(&col.vma_map, q.ptr);
	ai = ptrmap_get(&col.av_map, q.anon_vma->ptr);
	EXPECT(vi < 4 && ai != NONE, "Q's VMA in a dead one's node");
	if (vi < 4 && ai != NONE) {
		EXPECT(!col.vma[vi].dead, "live");
		EXPECT_EQ(col.vma[vi].nr_chain, 1);
		EXPECT_EQ(vma_chain(&col.vma[vi])[0], ai);
		EXPECT_EQ(col.vma[vi].anon_vma, ai);
		EXPECT_EQ(col.av[ai].nr_avcs, 1);
		EXPECT_EQ(anon_vma_derived(&col, ai).num_active_vmas, 1);
	}
	sim_unlink(&sim, &Q, &q);	/* and the put of its root */
	sim_task(&sim, EV_EXIT, &Q, &Q);
	collector_finish(&col);
	EXPECT_EQ(col.nr_viol, 0);
	dump_viol();
}

/* The final report (JSON) of col, in a malloc'd string. */
static char *json_report(void)
{
	struct report_opts ro = { .json = true, .check = true };
	char *buf = NULL;
	size_t len = 0;

	ro.out = open_memstream(&buf, &len);
	if (!ro.out)
		abort();
	report_final(&col, &ro);
	fclose(ro.out);
	return buf;
}

/* --keep-freed: P's root lives on while ten children fork from it and
 * exit, each freeing an anon_vma. Kept at most 2, the freed go oldest
 * first, their nodes are reused, and a reused node gets a new id; the
 * root's ten children still count in the width. */
static void test_freed_forgotten_oldest_first(void)
{
	struct proc P = { 100, 0xffff888001000000ULL };
	struct kvma p, v;
	uint32_t ids[10];
	bool kept[10] = {};
	char *json;

	setup();
	col.keep_dead_vmas = false;
	collector_keep_freed(&col, 2);
	collector_add_process(&col, P.pid);
	p = sim_vma(&sim, &P, 0x7f0000000000ULL, 16);
	sim_prepare(&sim, &P, &p);
	for (int k = 0; k < 10; k++) {
		struct proc C = { 200 + k, 0xffff888002000000ULL + ((uint64_t)k << 20) };

		v = sim_fork_vma(&sim, &P, &C, &p);
		sim_task(&sim, EV_FORK, &P, &C);
		ids[k] = av_id(&col, ptrmap_get(&col.av_map, v.anon_vma->ptr));
		EXPECT_EQ(ids[k], k + 2);	/* P's root is 1; never an old id */
		sim_unlink(&sim, &C, &v);
		sim_task(&sim, EV_EXIT, &C, &C);
	}
	collector_finish(&col);
	EXPECT_EQ(col.forgotten, 8);
	EXPECT(col.nr_av < 11, "nodes reused: %zu for 11 anon_vmas", col.nr_av);
	for (uint32_t i = 0; i < col.nr_av; i++)
		for (int k = 0; k < 10; k++)
			if (!col.av[i].forgotten && col.av[i].id == ids[k])
				kept[k] = true;
	for (int k = 0; k < 10; k++)
		EXPECT(kept[k] == (k >= 8), "child %d's anon_vma (id %u) %s", k, ids[k],
		       kept[k] ? "kept" : "forgotten");
	json = json_report();
	EXPECT(strstr(json, "\"max_depth\":2,\"max_width\":10,\"forgotten_anon_vmas\":8,"),
	       "shape and count in the summary: %s", strstr(json, "{\"type\":\"summary\"") ?: json);
	free(json);
	EXPECT_EQ(col.nr_viol, 0);
	dump_viol();
}

/* A freed anon_vma a kept one names as parent or root stays, however
 * old: the seeds' story to its end, keeping 2. All four are freed when
 * the round comes; C1's (the oldest) and GC's go. C2's is older than
 * GC's but GC's names it as parent; the root is everyone's. The depth
 * of 3 (root, C2, GC) outlives GC's. */
static void test_forget_keeps_referenced(void)
{
	struct story st;
	char *json;

	setup();
	col.keep_dead_vmas = false;
	collector_keep_freed(&col, 2);
	story_fork(&sim, &st);
	story_exit(&sim, &st);
	collector_finish(&col);
	EXPECT_EQ(col.forgotten, 2);
	for (uint32_t i = 0; i < col.nr_av; i++) {
		const struct anon_vma_node *a = &col.av[i];

		if (a->forgotten)
			continue;
		EXPECT(a->parent == NONE || !col.av[a->parent].forgotten,
		       "anon_vma %u's parent forgotten", a->id);
		EXPECT(a->root == NONE || !col.av[a->root].forgotten,
		       "anon_vma %u's root forgotten", a->id);
	}
	json = json_report();
	EXPECT(strstr(json, "\"max_depth\":3,"), "depth kept: %s",
	       strstr(json, "{\"type\":\"summary\"") ?: json);
	free(json);
	EXPECT_EQ(col.nr_viol, 0);
	dump_viol();
}

/* The fork's anon_vma with no parent, its chain its own AVC alone
 * (the kernel's lists youngest first). */
static void tamper_no_parent(struct sim *s, struct event_hdr *h)
{
	struct vma_event *e = (void *)h;

	(void)s;
	e->av.parent = 0;
	e->nr_chain = 1;
}

/* A kept anon_vma's root stays even where no parent chain reaches it:
 * C's fork event names no parent and no AVC but its own, and P's root
 * is put while C's anon_vma, under it, lives on (a refcount bug,
 * planted). So only C's anon_vma's root field names P's root. Ten seconds
 * on, when the race windows naming P's root are gone, two children of
 * Q fork and exit, and each exit's put starts a round that forgets the
 * oldest freed anon_vma but the one just put. P's root is the oldest,
 * but C's anon_vma names it: the first child's goes, only. */
static void test_forget_keeps_root(void)
{
	struct proc P = { 100, 0xffff888001000000ULL }, C = { 101, 0xffff888002000000ULL },
		    Q = { 300, 0xffff888003000000ULL };
	struct kvma p, v, q, d;
	struct kav *r;
	uint32_t x, root_id;

	setup();
	col.keep_dead_vmas = false;
	collector_keep_freed(&col, 1);
	collector_add_process(&col, P.pid);
	p = sim_vma(&sim, &P, 0x7f0000000000ULL, 16);
	sim_prepare(&sim, &P, &p);
	r = p.anon_vma;
	root_id = av_id(&col, ptrmap_get(&col.av_map, r->ptr));
	sim.tamper = tamper_no_parent;
	sim.tamper_type = EV_ANON_VMA_FORK;
	v = sim_fork_vma(&sim, &P, &C, &p);
	sim_task(&sim, EV_FORK, &P, &C);
	x = ptrmap_get(&col.av_map, v.anon_vma->ptr);
	EXPECT(col.av[x].parent == NONE && col.av[x].root != NONE,
	       "C's anon_vma has a root (%u) and no parent (%u)", col.av[x].root, col.av[x].parent);
	sim_unlink(&sim, &P, &p);
	r->refcount = 1;
	sim_put(&sim, &P, r);
	sim.ts += 10 * RACE_HORIZON_NS;
	collector_add_process(&col, Q.pid);
	q = sim_vma(&sim, &Q, 0x7f1000000000ULL, 4);
	sim_prepare(&sim, &Q, &q);
	for (int k = 0; k < 2; k++) {
		struct proc D = { 301 + k, 0xffff888004000000ULL + ((uint64_t)k << 20) };

		d = sim_fork_vma(&sim, &Q, &D, &q);
		sim_task(&sim, EV_FORK, &Q, &D);
		sim_unlink(&sim, &D, &d);
		sim_task(&sim, EV_EXIT, &D, &D);
	}
	collector_finish(&col);
	EXPECT_EQ(col.forgotten, 1);
	EXPECT(!col.av[col.av[x].root].forgotten && av_id(&col, col.av[x].root) == root_id,
	       "C's anon_vma's root is anon_vma %u (forgotten: %d), not %u",
	       av_id(&col, col.av[x].root), col.av[col.av[x].root].forgotten, root_id);
}

/* The first anon_vma (node 0) goes like any other: node indices start
 * at 0, so "no walk yet" must name no node (it named node 0 once, which
 * no trace without walks then forgot). A's root is freed, then, once
 * its race windows are gone, B's and C's: the rounds take A's (its
 * node then holds another). */
static void test_forget_first_anon_vma(void)
{
	struct kvma v;

	setup();
	col.keep_dead_vmas = false;
	collector_keep_freed(&col, 1);
	for (int k = 0; k < 3; k++) {
		struct proc A = { 100 + k, 0xffff888001000000ULL + ((uint64_t)k << 20) };

		collector_add_process(&col, A.pid);
		v = sim_vma(&sim, &A, 0x7f0000000000ULL, 4);
		sim_prepare(&sim, &A, &v);
		sim_unlink(&sim, &A, &v);
		sim_task(&sim, EV_EXIT, &A, &A);
		sim.ts += 10 * RACE_HORIZON_NS;
	}
	collector_finish(&col);
	EXPECT(col.forgotten >= 1, "%llu forgotten", (unsigned long long)col.forgotten);
	for (uint32_t i = 0; i < col.nr_av; i++)
		EXPECT(col.av[i].forgotten || col.av[i].id != 1, "A's anon_vma (id 1) kept in node %u", i);
	EXPECT_EQ(col.nr_viol, 0);
	dump_viol();
}

/* With --dot the dead stay drawn: a new node, the old ones' AVCs kept. */
static void test_dead_vma_kept_for_dot(void)
{
	struct story st;
	struct proc Q = { 200, 0xffff888002000000ULL };
	struct kvma q;

	setup();
	story_fork(&sim, &st);
	story_exit(&sim, &st);
	collector_add_process(&col, Q.pid);
	q = sim_vma(&sim, &Q, 0x7f1000000000ULL, 4);
	sim_prepare(&sim, &Q, &q);
	EXPECT_EQ(col.nr_vma, 5);
	for (uint32_t vi = 0; vi < 4; vi++)
		EXPECT(col.vma[vi].dead && col.vma[vi].nr_last_chain >= 1,
		       "vma node %u dead with its AVCs", vi);
}

/* A walk's visits wait for its end with node indices in them: a node
 * such a visit names is not given away meanwhile. GC's VMA dies between
 * the visits and the walk's end, and Q maps a new one. */
static void test_dead_vma_node_not_reused_under_visits(void)
{
	struct story st;
	struct proc Q = { 200, 0xffff888002000000ULL };
	const struct kvma *all[4];
	struct visits_event b = {};
	struct walk_event w = {};
	struct kvma q;
	uint64_t start;
	uint32_t gc;

	setup();
	col.keep_dead_vmas = false;
	story_fork(&sim, &st);
	all[0] = &st.p, all[1] = &st.c1, all[2] = &st.c2, all[3] = &st.gc;
	gc = ptrmap_get(&col.vma_map, st.gc.ptr);
	start = sim.ts + 1;
	sim.visit_events = true;
	for (int k = 0; k < 4; k++)
		sim_visit(&sim, &st.P, &b, all[k], all[k]->start, CB_TRY_TO_MIGRATE_ONE, 1);
	sim_unlink(&sim, &st.GC, &st.gc);
	collector_add_process(&col, Q.pid);
	q = sim_vma(&sim, &Q, 0x7f1000000000ULL, 4);
	sim_prepare(&sim, &Q, &q);
	EXPECT(ptrmap_get(&col.vma_map, q.ptr) != gc, "Q's VMA took the node a visit names");
	EXPECT(col.vma[gc].dead, "GC's VMA still its node, dead");
	sim_hdr(&sim, &w.hdr, EV_RMAP_WALK, walk_event_size(0), &st.P);
	w.anon_vma = st.p.anon_vma->ptr;
	w.pgoff = st.p.pgoff;
	w.nr_pages = 1;
	w.nr_visits = 4;
	w.duration_ns = w.hdr.ts - start;
	sim_emit(&sim, &w.hdr);
	EXPECT_EQ(col.walk.nr_visited, 4);
	EXPECT_EQ(col.walk.visited[3].pid, 103);
	/* The next VMA, with no visit waiting, does take it. */
	q = sim_vma(&sim, &Q, 0x7f2000000000ULL, 4);
	sim_prepare(&sim, &Q, &q);
	EXPECT_EQ(ptrmap_get(&col.vma_map, q.ptr), gc);
}

static void test_malformed_input(void)
{
	unsigned char buf[sizeof(struct vma_event)];
	struct vma_event *e = (void *)buf;

	setup();
	memset(buf, 0xff, sizeof(buf));
	EXPECT_EQ(collector_feed(&col, buf, 3), -1);
	EXPECT_EQ(collector_feed(&col, buf, sizeof(buf)), -1);	/* type 0xffffffff */
	memset(buf, 0, sizeof(buf));
	e->hdr.type = EV_ANON_VMA_FORK;
	e->hdr.size = sizeof(*e);
	e->nr_chain = MAX_CHAIN + 1;
	EXPECT_EQ(collector_feed(&col, buf, sizeof(buf)), -1);
	e->nr_chain = 0;
	e->hdr.size = sizeof(struct put_event);
	EXPECT_EQ(collector_feed(&col, buf, sizeof(buf)), -1);
	EXPECT_EQ(col.malformed, 4);
	EXPECT_EQ(col.events, 0);
}

/* The JSON a parser relies on: one anon_vma line each, then the summary. */
static void test_json_schema(void)
{
	struct report_opts ro = { .json = true, .check = true };
	struct story st;
	char *buf = NULL;
	size_t len = 0;

	setup();
	story_fork(&sim, &st);
	story_exit(&sim, &st);
	collector_finish(&col);
	ro.out = open_memstream(&buf, &len);
	report_final(&col, &ro);
	fclose(ro.out);
	EXPECT(strstr(buf, "{\"type\":\"anon_vma\",\"id\":1,\"root\":1,\"parent\":1,"
		       "\"num_children\":0,\"num_active_vmas\":0,"
		       "\"max_num_children\":3,\"max_num_active_vmas\":1,") != NULL,
	       "P's line: %s", buf);
	EXPECT(strstr(buf, "\"id\":4,\"root\":1,\"parent\":3,") != NULL, "GC's line");
	EXPECT(strstr(buf, "\"freed\":true") != NULL, "freed");
	EXPECT(strstr(buf, "\"pid\":103,\"comm\":\"story\"}") != NULL, "GC's owner");
	EXPECT(strstr(buf, "{\"type\":\"summary\",\"events\":") != NULL, "summary");
	EXPECT(strstr(buf, "\"lost\":0,\"violations\":0,") != NULL, "no violations");
	/* P -> C2 -> GC is three deep; P's anon_vma has two children. */
	EXPECT(strstr(buf, "\"max_depth\":3,\"max_width\":2,") != NULL, "shape: %s",
	       strstr(buf, "{\"type\":\"summary\""));
	free(buf);
}

/*
 * Everything a user sees of the seed story, walk included: the lines per
 * event, the final report and the picture, in text or JSON.
 */
static char *story_output(bool json, bool raw, uint64_t *p_ptr)
{
	struct report_opts ro = { .json = json, .check = true, .raw_addrs = raw };
	const struct kvma *all[4];
	struct story st;
	char *buf = NULL, *dot;
	size_t len = 0;
	int avcs;

	setup();
	ro.out = open_memstream(&buf, &len);
	col.on_event = report_event;
	col.cb_ctx = &ro;
	story_fork(&sim, &st);
	all[0] = &st.p, all[1] = &st.c1, all[2] = &st.c2, all[3] = &st.gc;
	sim_walk(&sim, &st.P, st.p.anon_vma, st.p.pgoff, CB_TRY_TO_MIGRATE_ONE,
		 all, 4, -1, NULL, 0);
	*p_ptr = st.p.anon_vma->ptr;
	story_exit(&sim, &st);
	collector_finish(&col);
	report_final(&col, &ro);
	dot = dot_text(NONE, raw, &avcs);
	fputs(dot, ro.out);
	free(dot);
	fclose(ro.out);
	col.on_event = NULL;
	return buf;
}

/* Kernel addresses stay out of every output unless --raw-addrs asks. */
static void test_raw_addrs(void)
{
	for (int json = 0; json < 2; json++) {
		char want[32], *buf;
		uint64_t p;

		buf = story_output(json, false, &p);
		EXPECT(strstr(buf, "0xffff") == NULL, "no kernel address (json %d): %s",
		       json, strstr(buf, "0xffff"));
		free(buf);

		buf = story_output(json, true, &p);
		snprintf(want, sizeof(want), "0x%llx", (unsigned long long)p);
		/* P's anon_vma: its prepare and fork events, its tree or JSON
		 * line, its picture node. */
		{
			int n = 0;

			for (const char *q = buf; (q = strstr(q, want)); q++)
				n++;
			EXPECT(n >= 4, "P's anon_vma %s shown %d times (json %d)", want, n, json);
		}
		if (json)
			EXPECT(strstr(buf, "\"addr\":\"") != NULL, "addr in the anon_vma lines");
		free(buf);
	}
}

/* Invariant 5: the seed's page walked from P's root visits all four. */
static void test_walk_visits_all(void)
{
	struct story st;
	const struct kvma *all[4];

	setup();
	story_fork(&sim, &st);
	all[0] = &st.p, all[1] = &st.c1, all[2] = &st.c2, all[3] = &st.gc;
	sim_walk(&sim, &st.P, st.p.anon_vma, st.p.pgoff + 1, CB_TRY_TO_MIGRATE_ONE,
		 all, 4, -1, NULL, 0);
	EXPECT_EQ(col.walks, 1);
	EXPECT_EQ(col.walk.nr_visited, 4);
	EXPECT_EQ(col.walk.nr_predicted, 4);
	EXPECT_EQ(col.walk.nr_missed, 0);
	EXPECT_EQ(col.walk.callback, CB_TRY_TO_MIGRATE_ONE);
	EXPECT_EQ(col.walk.visited[3].pid, 103);
	EXPECT_EQ(col.nr_viol, 0);
	dump_viol();
}

/* A walk of many VMAs: its visits come 16 to an EV_RMAP_VISITS and the
 * last 8 in the walk event; or, as in older recordings, the last 8 in an
 * EV_RMAP_VISITS of their own, or one event each. The walk is the same
 * in every form. P forks 39 children, all holding the page. */
static void walk_of_many(bool visit_events, bool walk_split)
{
	static struct proc kids[39];
	static struct kvma kv[40];
	const struct kvma *all[40];
	struct proc P = { 400, 0xffff888004000000ULL };

	setup();
	sim.visit_events = visit_events;
	sim.walk_split = walk_split;
	collector_add_process(&col, P.pid);
	kv[0] = sim_vma(&sim, &P, 0x7f0000000000ULL, 4);
	sim_prepare(&sim, &P, &kv[0]);
	for (int k = 0; k < 39; k++) {
		kids[k] = (struct proc){ 401 + k, 0xffff888004100000ULL + k * 0x100000ULL };
		kv[k + 1] = sim_fork_vma(&sim, &P, &kids[k], &kv[0]);
		sim_task(&sim, EV_FORK, &P, &kids[k]);
	}
	for (int k = 0; k < 40; k++)
		all[k] = &kv[k];
	sim_walk(&sim, &P, kv[0].anon_vma, kv[0].pgoff, CB_TRY_TO_MIGRATE_ONE, all, 40, -1, NULL, 0);
	EXPECT_EQ(col.walks, 1);
	EXPECT_EQ(col.walk.nr_visited, 40);
	EXPECT_EQ(col.walk.nr_predicted, 40);
	EXPECT_EQ(col.walk.nr_missed, 0);
	EXPECT_EQ(col.walk.visited[39].pid, 439);
	EXPECT_EQ(col.malformed, 0);
	EXPECT_EQ(col.nr_viol, 0);
	dump_viol();
}

static void test_walk_visits_batched(void)
{
	walk_of_many(false, false);
}

static void test_walk_visits_batched_split(void)
{
	walk_of_many(false, true);
}

static void test_walk_visits_one_by_one(void)
{
	walk_of_many(true, false);
}

/* A walk event whose size is not its head and whole visits, or says
 * more than VISITS_MAX, or is longer than what was read. */
static void test_walk_event_malformed(void)
{
	struct {
		struct walk_event w;
		struct rmap_visit v[VISITS_MAX + 1];
	} e = {};

	setup();
	e.w.hdr = (struct event_hdr){ .ts = 1, .type = EV_RMAP_WALK, .pid = 1, .tid = 1 };
	e.w.hdr.size = walk_event_size(1) - 8;
	EXPECT_EQ(collector_feed(&col, &e, sizeof(e)), -1);
	e.w.hdr.size = walk_event_size(VISITS_MAX + 1);
	EXPECT_EQ(collector_feed(&col, &e, sizeof(e)), -1);
	e.w.hdr.size = walk_event_size(2);
	EXPECT_EQ(collector_feed(&col, &e, walk_event_size(2) - 1), -1);
	e.w.hdr.size = sizeof(struct walk_event) - 8;
	EXPECT_EQ(collector_feed(&col, &e, sizeof(e)), -1);
	EXPECT_EQ(col.malformed, 4);
	EXPECT_EQ(col.walks, 0);
	e.w.hdr.size = walk_event_size(VISITS_MAX);
	EXPECT_EQ(collector_feed(&col, &e, sizeof(e)), 0);
	EXPECT_EQ(col.walks, 1);
}

/* A batch that says it holds more visits than it does, or none. */
static void test_visits_event_malformed(void)
{
	struct visits_event b = {};

	setup();
	b.hdr = (struct event_hdr){ .ts = 1, .type = EV_RMAP_VISITS, .pid = 1, .tid = 1 };
	b.nr = 3;
	b.hdr.size = visits_event_size(2);
	EXPECT_EQ(collector_feed(&col, &b, sizeof(b)), -1);
	b.nr = VISITS_MAX + 1;
	b.hdr.size = sizeof(b);
	EXPECT_EQ(collector_feed(&col, &b, sizeof(b)), -1);
	b.nr = 0;
	b.hdr.size = visits_event_size(0);
	EXPECT_EQ(collector_feed(&col, &b, sizeof(b)), -1);
	b.nr = 2;
	b.hdr.size = visits_event_size(2);
	EXPECT_EQ(collector_feed(&col, &b, visits_event_size(2) - 1), -1);
	EXPECT_EQ(col.malformed, 4);
}

/* A walk's state evicted mid-walk (more tasks walking than the BPF map
 * holds): its first visits went out, its end never did. They must not be
 * taken for visits of the task's next walk, of another hierarchy. */
static void test_walk_end_lost_visits_dropped(void)
{
	struct story st;
	struct proc Q = { 200, 0xffff888002000000ULL };
	struct kvma q;
	struct visits_event b = {};
	const struct kvma *one[1];

	setup();
	story_fork(&sim, &st);
	collector_add_process(&col, Q.pid);
	q = sim_vma(&sim, &Q, 0x7f1000000000ULL, 16);
	sim_prepare(&sim, &Q, &q);
	/* P's walk of its own hierarchy: three visits, no end */
	sim_visit(&sim, &st.P, &b, &st.p, st.p.start, CB_TRY_TO_MIGRATE_ONE, 1);
	sim_visit(&sim, &st.P, &b, &st.c1, st.c1.start, CB_TRY_TO_MIGRATE_ONE, 1);
	sim_visit(&sim, &st.P, &b, &st.c2, st.c2.start, CB_TRY_TO_MIGRATE_ONE, 1);
	sim_visits_flush(&sim, &st.P, &b);
	/* then P walks Q's page (as a migration of Q's memory by P would) */
	one[0] = &q;
	sim_walk(&sim, &st.P, q.anon_vma, q.pgoff, CB_TRY_TO_MIGRATE_ONE, one, 1, -1, NULL, 0);
	EXPECT_EQ(col.walks, 1);
	EXPECT_EQ(col.walk.nr_visited, 1);
	EXPECT_EQ(col.stale_visits, 3);
	EXPECT_EQ(count_viol(INV_WALK), 0);
	dump_viol();
	for (int json = 0; json < 2; json++) {
		struct report_opts ro = { .check = true, .json = json };
		char *buf = NULL;
		size_t len = 0;

		ro.out = open_memstream(&buf, &len);
		report_final(&col, &ro);
		fclose(ro.out);
		EXPECT(strstr(buf, json ? "\"dropped_visits\":3," :
				   "3 visits of rmap walks whose end was not seen were dropped") != NULL,
		       "dropped visits reported (json %d)", json);
		free(buf);
	}
}

/* A visit to a VMA of another hierarchy: no AVC links it to the walk. */
static void test_walk_visits_unchained_vma(void)
{
	struct story st;
	struct proc Q = { 200, 0xffff888002000000ULL };
	struct kvma q;
	const struct kvma *bad[2];

	setup();
	story_fork(&sim, &st);
	collector_add_process(&col, Q.pid);
	q = sim_vma(&sim, &Q, st.p.start, 16);	/* same range, own hierarchy */
	sim_prepare(&sim, &Q, &q);
	bad[0] = &st.p, bad[1] = &q;
	sim_walk(&sim, &st.P, st.p.anon_vma, st.p.pgoff, CB_TRY_TO_UNMAP_ONE,
		 bad, 2, -1, NULL, 0);
	collector_finish(&col);	/* judged once no call in flight can explain it */
	EXPECT_EQ(count_viol(INV_WALK), 1);
}

/*
 * C1 splits its VMA while P walks the hierarchy: the kernel links the new
 * VMA before P takes the lock, but C1's clone event (sent at its return)
 * comes after P's walk event. The walk visits a VMA the collector does not
 * know yet: explained by C1's call. The same visit with no call of another
 * task to explain it is test_walk_visits_unchained_vma's violation.
 */
static void test_walk_visit_races_split(void)
{
	struct story st;
	struct kvma n;
	const struct kvma *vis[3];

	setup();
	story_fork(&sim, &st);
	n = st.c1;
	n.ptr = sim_ptr(&sim);
	n.end = n.start + 8 * 4096;
	st.c1.start = n.end;
	st.c1.pgoff += 8;
	n.anon_vma->num_active_vmas++;
	sim.hold = true;
	emit_vma(&sim, EV_ANON_VMA_CLONE, &st.C1, &n, &st.c1);
	sim.hold = false;
	vis[0] = &st.p, vis[1] = &n, vis[2] = &st.c2;
	sim_walk(&sim, &st.P, st.p.anon_vma, st.p.pgoff, CB_TRY_TO_UNMAP_ONE,
		 vis, 3, -1, NULL, 0);
	sim_release(&sim);
	collector_finish(&col);
	EXPECT_EQ(count_viol(INV_WALK), 0);
	EXPECT(col.explained >= 1, "the visit explained (%llu explained)",
	       (unsigned long long)col.explained);
}

/* A visit to a chained VMA whose range does not cover the folio. */
static void test_walk_visit_outside_range(void)
{
	struct story st;
	const struct kvma *one[1];

	setup();
	story_fork(&sim, &st);
	one[0] = &st.c1;
	sim_walk(&sim, &st.P, st.p.anon_vma, st.p.pgoff + 16, CB_TRY_TO_UNMAP_ONE,
		 one, 1, -1, NULL, 0);
	collector_finish(&col);
	EXPECT_EQ(count_viol(INV_WALK), 1);
}

/* An rmap_one that returns false ends the walk: not a violation, and the
 * VMAs left over are listed with the reason. */
static void test_walk_stopped_early(void)
{
	struct story st;
	const struct kvma *all[4];

	setup();
	story_fork(&sim, &st);
	all[0] = &st.p, all[1] = &st.c1, all[2] = &st.c2, all[3] = &st.gc;
	sim_walk(&sim, &st.P, st.p.anon_vma, st.p.pgoff, CB_FOLIO_REFERENCED_ONE,
		 all, 4, 1, NULL, 0);
	EXPECT(col.walk.stopped_early, "stopped early");
	EXPECT_EQ(col.walk.nr_visited, 2);
	EXPECT_EQ(col.walk.nr_missed, 2);
	EXPECT(col.walk.nr_missed && !strcmp(col.walk.missed[0].reason, "early stop"),
	       "reason given");
	EXPECT_EQ(col.nr_viol, 0);
}

/* What one walk visited says nothing of the next: a walk that reaches two
 * of four VMAs after one that reached all four misses two. */
static void test_walk_after_walk(void)
{
	struct story st;
	const struct kvma *all[4];

	setup();
	story_fork(&sim, &st);
	all[0] = &st.p, all[1] = &st.c1, all[2] = &st.c2, all[3] = &st.gc;
	sim_walk(&sim, &st.P, st.p.anon_vma, st.p.pgoff, CB_TRY_TO_MIGRATE_ONE,
		 all, 4, -1, NULL, 0);
	EXPECT_EQ(col.walk.nr_missed, 0);
	sim_walk(&sim, &st.P, st.p.anon_vma, st.p.pgoff, CB_TRY_TO_MIGRATE_ONE,
		 all, 2, -1, NULL, 0);
	EXPECT_EQ(col.walk.nr_visited, 2);
	EXPECT_EQ(col.walk.nr_predicted, 4);
	EXPECT_EQ(col.walk.nr_missed, 2);
}

/* try_to_migrate's walk ends when done() finds the folio unmapped: the
 * VMAs it did not reach are missed for that reason, and only when the
 * kernel said the walk had a done(). */
static void test_walk_done_reason(void)
{
	struct story st;
	const struct kvma *all[4];

	for (int has_done = 0; has_done < 2; has_done++) {
		setup();
		story_fork(&sim, &st);
		all[0] = &st.p, all[1] = &st.c1, all[2] = &st.c2, all[3] = &st.gc;
		sim.walk_flags = has_done ? WALK_HAS_DONE : 0;
		sim_walk(&sim, &st.P, st.p.anon_vma, st.p.pgoff, CB_TRY_TO_MIGRATE_ONE,
			 all, 2, -1, NULL, 0);
		sim.walk_flags = 0;
		EXPECT(!col.walk.stopped_early, "no rmap_one returned false");
		EXPECT_EQ(col.walk.nr_missed, 2);
		EXPECT(col.walk.nr_missed &&
		       !strcmp(col.walk.missed[0].reason, has_done ? "done" : "unknown"),
		       "reason %s with has_done %d",
		       col.walk.nr_missed ? col.walk.missed[0].reason : "-", has_done);
		EXPECT_EQ(col.nr_viol, 0);
	}
}

/* VMAs refused by rwc->invalid_vma are missed for that reason. */
static void test_walk_invalid_vma_reason(void)
{
	struct story st;
	const struct kvma *some[3], *skip[1];

	setup();
	story_fork(&sim, &st);
	some[0] = &st.p, some[1] = &st.c1, some[2] = &st.c2;
	skip[0] = &st.gc;
	sim_walk(&sim, &st.P, st.p.anon_vma, st.p.pgoff, CB_TRY_TO_MIGRATE_ONE,
		 some, 3, -1, skip, 1);
	EXPECT_EQ(col.walk.nr_missed, 1);
	EXPECT(col.walk.nr_missed && !strcmp(col.walk.missed[0].reason, "invalid_vma"),
	       "invalid_vma named");
	EXPECT_EQ(col.walk.missed[0].pid, 103);
	EXPECT_EQ(col.nr_viol, 0);
}

int main(void)
{
	int failures = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(test_seed_story_tree);
	RUN(test_raw_addrs);
	RUN(test_inv1_root_differs_from_parents);
	RUN(test_inv1_root_parent_not_self);
	RUN(test_inv2_num_children);
	RUN(test_inv2_self_link_given_back);
	RUN(test_inv3_num_active_vmas);
	RUN(test_unseen_unlinks);
	RUN(test_snapshot_rebuilds_seed_tree);
	RUN(test_snapshot_then_violation);
	RUN(test_snapshot_partial_not_checked);
	RUN(test_race_explained_by_overlap);
	RUN(test_race_difference_too_large);
	RUN(test_race_not_after_return);
	RUN(test_race_event_late);
	RUN(test_race_event_early);
	RUN(test_race_out_of_order_too_large);
	RUN(test_inv4_vma_without_own_avc);
	RUN(test_inv4_fork_misses_parent_avc);
	RUN(test_inv4_unlink_without_own_avc);
	RUN(test_exit_mmap_story);
	RUN(test_exit_mmap_two_vmas);
	RUN(test_exit_mmap_walk_in_window);
	RUN(test_inv6_leak);
	RUN(test_inv6_not_while_alive);
	RUN(test_inv7_reuse_allowed);
	RUN(test_inv7_reuse_forbidden);
	RUN(test_inv7_reuse_event_late);
	RUN(test_lost_events_suppress_checks);
	RUN(test_loss_learnt_late);
	RUN(test_slab_reuse_new_id);
	RUN(test_root_freed_by_racing_puts);
	RUN(test_root_address_reused_after_racing_puts);
	RUN(test_unseen_free_retired_on_reuse);
	RUN(test_inv6_held_by_ksm);
	RUN(test_inv6_ksm_drops_then_freed);
	RUN(test_inv6_leak_after_ksm_let_go);
	RUN(test_chain_hint_not_a_freed_node);
	RUN(test_avc_positions_kept);
	RUN(test_dead_vma_node_reused);
	RUN(test_dead_vma_kept_for_dot);
	RUN(test_dead_vma_node_not_reused_under_visits);
	RUN(test_freed_forgotten_oldest_first);
	RUN(test_forget_keeps_root);
	RUN(test_forget_first_anon_vma);
	RUN(test_forget_keeps_referenced);
	RUN(test_malformed_input);
	RUN(test_json_schema);
	RUN(test_dot_seed_story);
	RUN(test_dot_one_root);
	RUN(test_unlink_windows_close);
	RUN(test_windows_forgotten_past_open_one);
	RUN(test_walk_visits_all);
	RUN(test_walk_visits_batched);
	RUN(test_walk_end_lost_visits_dropped);
	RUN(test_walk_visits_batched_split);
	RUN(test_walk_visits_one_by_one);
	RUN(test_walk_event_malformed);
	RUN(test_visits_event_malformed);
	RUN(test_walk_visits_unchained_vma);
	RUN(test_walk_visit_races_split);
	RUN(test_walk_visit_outside_range);
	RUN(test_walk_stopped_early);
	RUN(test_walk_done_reason);
	RUN(test_walk_after_walk);
	RUN(test_walk_invalid_vma_reason);
	collector_free(&col);
	return failures ? 1 : 0;
}
