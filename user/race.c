// SPDX-License-Identifier: GPL-2.0
/*
 * Telling a kernel counter that is wrong from one read mid-change.
 *
 * Every change to num_children and num_active_vmas happens under the
 * root anon_vma's lock, inside one call of __anon_vma_prepare,
 * anon_vma_fork, anon_vma_clone or unlink_anon_vmas. rmaptrace reads the
 * counters without that lock, at the edge of its own task's call, so a
 * reading may or may not include a change another task is making to the
 * same hierarchy at that moment, while the collector has applied that
 * change at the other task's event. Each such overlapping call can move a
 * counter by one: a difference no larger than the number of overlapping
 * calls is explained; any other is a violation.
 *
 * Nor is the ring buffer's order the order in time: an event is stamped
 * before it is reserved, and a vCPU can stall in between. A call that was
 * over before the reading but whose event came after the reading's (the
 * collector had not applied it yet), or that began after the reading but
 * whose event came first (already applied), moves a counter by one too.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collector.h"

uint32_t root_of(const struct collector *c, uint32_t i)
{
	if (i == NONE)
		return NONE;
	return c->av[i].root != NONE ? c->av[i].root : i;
}

/* tids as ptrmap keys: 0 and 1 are the map's own markers. */
static uint64_t tid_key(uint32_t tid)
{
	return (uint64_t)tid + 2;
}

/* A window's name as open_win keeps it: its index plus win_base, modulo
 * a number that leaves out the map's NONE; and the index of a name. */
#define WIN_NAMES	((uint64_t)NONE)
static uint32_t win_name(const struct collector *c, size_t k)
{
	return (c->win_base + k) % WIN_NAMES;
}

static size_t win_index(const struct collector *c, uint32_t name)
{
	return (name + WIN_NAMES - c->win_base % WIN_NAMES) % WIN_NAMES;
}

static void add_window(struct collector *c, const struct op_window *w)
{
	if (!nodes_grow((void **)&c->win, &c->cap_win, c->nr_win, sizeof(*c->win),
			&c->win_mapped, &c->win_ready))
		return;
	if (w->t1 == UINT64_MAX)
		ptrmap_put(&c->open_win, tid_key(w->tid), win_name(c, c->nr_win));
	c->win[c->nr_win++] = *w;
}

/* The current event's task changed root's hierarchy within [t0, t1]
 * (t1 UINT64_MAX: the call goes on; a task has one such call at a time). */
void race_window(struct collector *c, uint32_t root, uint64_t t0, uint64_t t1)
{
	if (root != NONE)
		add_window(c, &(struct op_window){ root, c->cur_tid, t0, t1, c->events });
}

/* tid's call that began at t0 returned at t1. An exit_mmap opened a
 * window per VMA, in one event: they lie together, open_win naming the
 * last. */
void race_window_end(struct collector *c, uint32_t tid, uint64_t t0, uint64_t t1)
{
	uint32_t name = ptrmap_get(&c->open_win, tid_key(tid));
	size_t k;

	if (name == NONE)
		return;
	k = win_index(c, name);
	if (k < c->win_head || k >= c->nr_win || c->win[k].tid != tid || c->win[k].t0 != t0 ||
	    c->win[k].t1 != UINT64_MAX)
		return;
	ptrmap_del(&c->open_win, tid_key(tid));
	do
		c->win[k].t1 = t1;
	while (k-- > c->win_head && c->win[k].tid == tid && c->win[k].t0 == t0 &&
	       c->win[k].t1 == UINT64_MAX);
}

/* Forget the windows over before keep_from. Calls come in about the order
 * they began, so the old ones are at the front: the front is dropped, up
 * to the first call begun since keep_from, and never scanned again; a call
 * begun before it but not over (still running, its end lost, or long)
 * goes to the back instead, so that the front moves on, and so does one
 * that claims to begin past the horizon ahead of the stream (a broken
 * recording's), which would hold the front forever. Windows behind the
 * front that are over stay a while longer, which only widens the set a
 * suspect is judged against with calls outside its horizon. */
static void forget_windows(struct collector *c, uint64_t keep_from)
{
	size_t end = c->nr_win, live;

	while (c->win_head < end) {
		struct op_window w = c->win[c->win_head];

		/* keep_from is two horizons behind the stream (or 0) */
		if (w.t0 >= keep_from && w.t0 - keep_from <= 3 * RACE_HORIZON_NS)
			break;
		c->win_head++;
		if (w.t1 >= keep_from)
			add_window(c, &w);
	}
	/* Move the kept ones down once the dropped front is a quarter as
	 * long as they: each window is moved four times at most on average,
	 * and the array is at most a quarter larger than what it keeps (the
	 * front as long as the kept ones cost a 10 M-event storm 30 MiB of
	 * peak RSS). */
	live = c->nr_win - c->win_head;
	if (c->win_head && 4 * c->win_head >= live) {
		memmove(c->win, c->win + c->win_head, live * sizeof(*c->win));
		c->win_base += c->win_head;
		c->nr_win = live;
		c->win_head = 0;
	}
}

void race_suspect(struct collector *c, int inv, uint32_t root, uint32_t diff,
		  uint64_t ts, uint64_t read_ts, const char *fmt, ...)
{
	struct suspect *s;
	va_list ap;

	if (!GROW(c->sus, c->nr_sus, c->cap_sus)) {
		collector_violation(c, inv, ts, "%s", "(out of memory for a counter difference)");
		return;
	}
	s = &c->sus[c->nr_sus++];
	*s = (struct suspect){ .root = root, .tid = c->cur_tid, .diff = diff,
			       .invariant = inv, .ts = ts,
			       .read_ts = read_ts > ts ? read_ts : ts, .seq = c->events };
	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
}

static int by_root_t0(const void *a, const void *b)
{
	const struct op_window *x = a, *y = b;

	if (x->root != y->root)
		return x->root < y->root ? -1 : 1;
	return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

/* Calls of other tasks on s's hierarchy that the reading may disagree
 * with the collector about: those that overlap it in time, and those on
 * the other side of it in the stream than in time. w[0..n) is sorted by
 * root, then start: look at s's root only, within a horizon either side
 * of the reading (no call lasts, and no event is held back, that long). */
static uint32_t overlapping(const struct op_window *w, size_t n, const struct suspect *s)
{
	size_t lo = 0, hi = n;
	uint32_t found = 0;

	/* first window past (root, read_ts) */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (w[mid].root < s->root || (w[mid].root == s->root && w[mid].t0 <= s->read_ts))
			lo = mid + 1;
		else
			hi = mid;
	}
	/* begun by the end of the reading: not over before it began, or
	 * over but applied after it */
	for (size_t k = lo; k-- > 0 && w[k].root == s->root;) {
		if (w[k].t0 + RACE_HORIZON_NS < s->ts)
			break;
		if (w[k].tid != s->tid && (w[k].t1 >= s->ts || w[k].seq > s->seq))
			found++;
	}
	/* begun after the reading, yet applied before it */
	for (size_t k = lo; k < n && w[k].root == s->root; k++) {
		if (w[k].t0 > s->read_ts + RACE_HORIZON_NS)
			break;
		if (w[k].tid != s->tid && w[k].seq < s->seq)
			found++;
	}
	return found;
}

/* Judge the suspects the stream has moved HORIZON past (all at the end),
 * then forget windows no pending suspect can overlap. */
void race_resolve(struct collector *c, uint64_t now, bool all)
{
	uint64_t keep_from = now > 2 * RACE_HORIZON_NS ? now - 2 * RACE_HORIZON_NS : 0;
	struct op_window *sorted = NULL;
	size_t kept = 0, nr = c->nr_win - c->win_head;

	if (!all && now < c->last_resolve + RACE_HORIZON_NS / 4)
		return;
	c->last_resolve = now;
	for (size_t k = 0; k < c->nr_sus && !sorted; k++) {
		if (!all && c->sus[k].ts + RACE_HORIZON_NS > now)
			continue;
		/* some suspect is due: index the windows once for all of them */
		sorted = malloc((nr ? nr : 1) * sizeof(*sorted));
		if (!sorted)
			break;
		if (nr)	/* a suspect can come with no call in flight */
			memcpy(sorted, c->win + c->win_head, nr * sizeof(*sorted));
		qsort(sorted, nr, sizeof(*sorted), by_root_t0);
	}
	for (size_t k = 0; k < c->nr_sus; k++) {
		struct suspect *s = &c->sus[k];

		if (!all && s->ts + RACE_HORIZON_NS > now) {
			if (s->ts < keep_from)
				keep_from = s->ts;
			c->sus[kept++] = *s;
			continue;
		}
		if (sorted && overlapping(sorted, nr, s) >= s->diff)
			c->explained++;
		else
			collector_violation(c, s->invariant, s->ts, "%s", s->msg);
	}
	free(sorted);
	c->nr_sus = kept;
	if (!all)
		forget_windows(c, keep_from);
}

size_t race_open_windows(const struct collector *c)
{
	size_t n = 0;

	for (size_t k = c->win_head; k < c->nr_win; k++)
		n += c->win[k].t1 == UINT64_MAX;
	return n;
}
