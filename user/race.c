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

/* The current event's task changed root's hierarchy within [t0, t1]. */
void race_window(struct collector *c, uint32_t root, uint64_t t0, uint64_t t1)
{
	if (root == NONE || !GROW(c->win, c->nr_win, c->cap_win))
		return;
	c->win[c->nr_win++] = (struct op_window){ root, c->cur_tid, t0, t1 };
}

/* tid's call that began at t0 returned at t1. */
void race_window_end(struct collector *c, uint32_t tid, uint64_t t0, uint64_t t1)
{
	for (size_t k = c->nr_win; k-- > 0;)
		if (c->win[k].tid == tid && c->win[k].t0 == t0 &&
		    c->win[k].t1 == UINT64_MAX) {
			c->win[k].t1 = t1;
			return;
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
			       .read_ts = read_ts > ts ? read_ts : ts };
	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
}

static uint32_t overlapping(const struct collector *c, const struct suspect *s)
{
	uint32_t n = 0;

	for (size_t k = 0; k < c->nr_win; k++) {
		const struct op_window *w = &c->win[k];

		if (w->root == s->root && w->tid != s->tid &&
		    w->t0 <= s->read_ts && w->t1 >= s->ts)
			n++;
	}
	return n;
}

/* Judge the suspects the stream has moved HORIZON past (all at the end),
 * then forget windows no pending suspect can overlap. */
void race_resolve(struct collector *c, uint64_t now, bool all)
{
	uint64_t keep_from = now > 2 * RACE_HORIZON_NS ? now - 2 * RACE_HORIZON_NS : 0;
	size_t kept = 0;

	if (!all && now < c->last_resolve + RACE_HORIZON_NS / 4)
		return;
	c->last_resolve = now;
	for (size_t k = 0; k < c->nr_sus; k++) {
		struct suspect *s = &c->sus[k];

		if (!all && s->ts + RACE_HORIZON_NS > now) {
			if (s->ts < keep_from)
				keep_from = s->ts;
			c->sus[kept++] = *s;
			continue;
		}
		if (overlapping(c, s) >= s->diff)
			c->explained++;
		else
			collector_violation(c, s->invariant, s->ts, "%s", s->msg);
	}
	c->nr_sus = kept;
	if (all)
		return;
	kept = 0;
	for (size_t k = 0; k < c->nr_win; k++)
		if (c->win[k].t1 >= keep_from)
			c->win[kept++] = c->win[k];
	c->nr_win = kept;
}
