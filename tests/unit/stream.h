/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A model of mm/rmap.c that emits the events rmaptrace's BPF programs
 * would, with the counters the kernel would hold at each hook. Tests drive
 * it through a story, then break one event to plant the bug a check exists
 * to catch.
 */
#ifndef STREAM_H
#define STREAM_H

#include <stdlib.h>
#include <string.h>
#include "collector.h"

#define SIM_MAX 256

struct kav {
	uint64_t ptr;
	struct kav *root, *parent;
	int refcount;
	unsigned num_children, num_active_vmas;
	int nr_avcs;
	bool freed;
};

struct kvma {
	uint64_t ptr, mm;
	uint64_t start, end, pgoff;
	struct kav *anon_vma;
	struct kav *chain[MAX_CHAIN];
	int n;
};

struct sim {
	struct collector *c;
	struct kav av[SIM_MAX];
	int nr_av;
	uint64_t ts, next_ptr;
	/* Tests set these to corrupt the next event that is emitted. */
	void (*tamper)(struct sim *s, struct event_hdr *h);
	int tamper_type;
	bool mute;	/* the kernel runs, rmaptrace is not attached yet */
	uint32_t walk_flags;	/* WALK_* added to every walk event */
	/* Visits as one EV_RMAP_VISIT each, as recordings made before
	 * EV_RMAP_VISITS have them; else gathered VISITS_MAX to an event. */
	bool visit_events;
	/* The walk's last visits in an EV_RMAP_VISITS before EV_RMAP_WALK,
	 * as recordings made before walk_event had v[] have them; else they
	 * follow the walk event in its v[]. */
	bool walk_split;
	/* Generators: anon_vmas come from the heap and go back when freed
	 * (so a story may free a parent only after its children); the
	 * collector may be NULL, events then go to tap alone. */
	bool heap;
	/* Also hand every event fed to this (a recorder, in test_record). */
	void (*tap)(const void *data, size_t len);
	/* Events held back while hold is set, fed by sim_release: a vCPU
	 * that stalled between stamping its events and reserving them. */
	bool hold;
	void *held[16];
	int nr_held;
	/* Puts of the anon_vmas an unlink empties are kept here instead
	 * of made, for sim_puts_together: unlink_anon_vmas puts them after
	 * dropping the root's lock, so other CPUs' puts run at once. */
	bool defer_puts;
	/* Streams recorded before EV_ANON_VMA_FREE have none. */
	bool no_free_events;
	struct kav *deferred[16];
	int nr_deferred;
};

struct proc {
	uint32_t pid;
	uint64_t mm;
};

static inline void sim_init(struct sim *s, struct collector *c)
{
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->ts = 1000;
	s->next_ptr = 0xffff888000100000ULL;
	/* The model frees roots as the kernel does, and says so. */
	if (c)
		c->free_events = true;
}

static inline uint64_t sim_ptr(struct sim *s)
{
	s->next_ptr += 0x100;
	return s->next_ptr;
}

static inline void sim_hdr(struct sim *s, struct event_hdr *h, uint32_t type,
			   uint32_t size, const struct proc *cur)
{
	h->ts = s->ts += 1000;
	h->type = type;
	h->size = size;
	h->pid = h->tid = cur->pid;
	h->mm = cur->mm;
	strcpy(h->comm, "story");
}

static inline void sim_tamper(struct sim *s, struct event_hdr *h)
{
	if (s->tamper && (!s->tamper_type || s->tamper_type == (int)h->type)) {
		void (*t)(struct sim *, struct event_hdr *) = s->tamper;

		s->tamper = NULL;
		t(s, h);
	}
}

static inline void sim_deliver(struct sim *s, struct event_hdr *h)
{
	if (s->hold) {
		if (s->nr_held == (int)(sizeof(s->held) / sizeof(s->held[0])))
			abort();	/* a story too big for a unit test */
		s->held[s->nr_held] = malloc(h->size);
		memcpy(s->held[s->nr_held++], h, h->size);
		return;
	}
	if (s->tap)
		s->tap(h, h->size);
	if (s->c)
		collector_feed(s->c, h, h->size);
}

/* The held events reach the stream now, in the order they were made. */
static inline void sim_release(struct sim *s)
{
	s->hold = false;
	for (int k = 0; k < s->nr_held; k++) {
		sim_deliver(s, s->held[k]);
		free(s->held[k]);
	}
	s->nr_held = 0;
}

static inline void sim_emit(struct sim *s, struct event_hdr *h)
{
	sim_tamper(s, h);
	if (!s->mute)
		sim_deliver(s, h);
}

static inline void snap(const struct kav *a, struct anon_vma_snap *out)
{
	memset(out, 0, sizeof(*out));
	if (!a)
		return;
	out->anon_vma = a->ptr;
	out->root = a->root->ptr;
	out->parent = a->parent->ptr;
	out->refcount = a->refcount;
	out->num_children = a->num_children;
	out->num_active_vmas = a->num_active_vmas;
	out->flags = SNAP_VALID | SNAP_HAS_NUM_CHILDREN;
	out->read_ts = 0;	/* read at hdr.ts */
}

static inline void emit_vma(struct sim *s, uint32_t type, const struct proc *cur,
			    const struct kvma *v, const struct kvma *src)
{
	struct vma_event *e = calloc(1, sizeof(*e));

	sim_hdr(s, &e->hdr, type, sizeof(*e), cur);
	/* Calls take 500ns before their fexit; unlink is seen at entry. */
	e->entry_ts = type == EV_UNLINK_ANON_VMAS ? e->hdr.ts : e->hdr.ts - 500;
	e->vma = (struct vma_info){ v->ptr, v->mm, v->start, v->end, v->pgoff,
				    v->anon_vma ? v->anon_vma->ptr : 0 };
	if (src)
		e->src = (struct vma_info){ src->ptr, src->mm, src->start, src->end,
					    src->pgoff, src->anon_vma ? src->anon_vma->ptr : 0 };
	snap(v->anon_vma, &e->av);
	snap(v->anon_vma ? v->anon_vma->parent : NULL, &e->parent);
	/* Newest first, as on vma->anon_vma_chain. */
	for (int k = 0; k < v->n; k++)
		e->chain[k] = v->chain[v->n - 1 - k]->ptr;
	e->nr_chain = v->n;
	sim_tamper(s, &e->hdr);
	/* As long as its chain, after any tampering with the chain. */
	e->hdr.size = vma_event_size(e->nr_chain);
	if (!s->mute || type == EV_SNAPSHOT_VMA)
		sim_deliver(s, &e->hdr);
	free(e);
}

static inline struct kav *kav_alloc(struct sim *s)
{
	struct kav *a;

	if (s->heap)
		a = malloc(sizeof(*a));
	else if (s->nr_av < SIM_MAX)
		a = &s->av[s->nr_av++];
	else
		abort();	/* a story too big for a unit test */
	memset(a, 0, sizeof(*a));
	a->ptr = sim_ptr(s);
	a->root = a->parent = a;
	a->refcount = 1;
	return a;
}

static inline void avc_link(struct kvma *v, struct kav *a)
{
	v->chain[v->n++] = a;
	a->nr_avcs++;
}

static inline struct kvma sim_vma(struct sim *s, const struct proc *p,
				  uint64_t start, uint64_t pages)
{
	struct kvma v = { .ptr = sim_ptr(s), .mm = p->mm, .start = start,
			  .end = start + pages * 4096, .pgoff = start >> 12 };
	return v;
}

/* __anon_vma_prepare: a new root, counted as its own child. */
static inline void sim_prepare(struct sim *s, const struct proc *cur, struct kvma *v)
{
	struct kav *a = kav_alloc(s);

	a->num_children++;
	v->anon_vma = a;
	avc_link(v, a);
	a->num_active_vmas++;
	emit_vma(s, EV_ANON_VMA_PREPARE, cur, v, NULL);
}

/* anon_vma_fork(child, pvma) run by cur (the parent), reuse as the kernel
 * would. The child VMA copies pvma's range into the child's mm. */
static inline struct kvma sim_fork_vma(struct sim *s, const struct proc *cur,
				       const struct proc *child, const struct kvma *pvma)
{
	struct kvma v = *pvma;
	struct kav *a;

	v.ptr = sim_ptr(s);
	v.mm = child->mm;
	v.anon_vma = NULL;
	v.n = 0;
	for (int k = 0; k < pvma->n; k++) {
		a = pvma->chain[k];
		avc_link(&v, a);
		if (!v.anon_vma && a->num_children < 2 && a->num_active_vmas == 0)
			v.anon_vma = a;
	}
	if (v.anon_vma) {
		v.anon_vma->num_active_vmas++;
	} else {
		a = kav_alloc(s);
		a->root = pvma->anon_vma->root;
		a->parent = pvma->anon_vma;
		a->root->refcount++;
		a->num_active_vmas++;
		a->parent->num_children++;
		v.anon_vma = a;
		avc_link(&v, a);
	}
	emit_vma(s, EV_ANON_VMA_FORK, cur, &v, pvma);
	return v;
}

/* kmem_cache_free of a root that __put_anon_vma freed inline. */
static inline void sim_free_root(struct sim *s, const struct proc *cur, struct kav *r)
{
	struct free_event e = {};

	sim_hdr(s, &e.hdr, EV_ANON_VMA_FREE, sizeof(e), cur);
	e.anon_vma = r->ptr;
	if (!s->no_free_events)
		sim_emit(s, &e.hdr);
	r->freed = true;
}

/* __put_anon_vma(a) at its entry, as the BPF side reads it. */
static inline void sim_put_enter(struct sim *s, const struct proc *cur, struct kav *a)
{
	struct put_event e = {};

	sim_hdr(s, &e.hdr, EV_PUT_ANON_VMA, sizeof(e), cur);
	snap(a, &e.av);
	if (a->root != a)
		snap(a->root, &e.root);
	sim_emit(s, &e.hdr);
}

/* ... and the rest of it: a is freed, then the root's reference dropped. */
static inline void sim_put_finish(struct sim *s, const struct proc *cur, struct kav *a)
{
	a->freed = true;
	if (a->root != a && --a->root->refcount == 0)
		sim_free_root(s, cur, a->root);
	if (s->heap) {
		if (a->root != a && a->root->freed)
			free(a->root);
		free(a);
	}
}

static inline void sim_put(struct sim *s, const struct proc *cur, struct kav *a)
{
	if (s->defer_puts) {
		if (s->nr_deferred == (int)(sizeof(s->deferred) / sizeof(s->deferred[0])))
			abort();	/* a story too big for a unit test */
		s->deferred[s->nr_deferred++] = a;
		return;
	}
	if (--a->refcount)
		return;
	sim_put_enter(s, cur, a);
	sim_put_finish(s, cur, a);
}

/* The deferred puts, each by its task in who[], run on as many CPUs at
 * once: every put_anon_vma drops its reference, every __put_anon_vma that
 * follows enters (and reads its root's count), and only then do they
 * drop their roots' references, the last of which frees the root. */
static inline void sim_puts_together(struct sim *s, const struct proc *const *who)
{
	struct kav *last[16];
	const struct proc *by[16];
	int n = 0;

	s->defer_puts = false;
	for (int k = 0; k < s->nr_deferred; k++) {
		struct kav *a = s->deferred[k];

		if (--a->refcount)
			continue;
		sim_put_enter(s, who[k], a);
		by[n] = who[k];
		last[n++] = a;
	}
	for (int k = 0; k < n; k++)
		sim_put_finish(s, by[k], last[k]);
	s->nr_deferred = 0;
}

/* A KSM stable rmap_item, run by cur (ksmd), takes a reference on a
 * (try_to_merge_with_ksm_page: get_anon_vma) or drops it
 * (remove_rmap_item_from_tree: put_anon_vma). */
static inline void sim_ksm(struct sim *s, const struct proc *cur, struct kav *a, uint32_t op)
{
	struct ksm_event e = {};

	sim_hdr(s, &e.hdr, EV_KSM_RMAP_ITEM, sizeof(e), cur);
	e.anon_vma = a->ptr;
	e.rmap_item = 0xffff888007000000ULL;
	e.op = op;
	sim_emit(s, &e.hdr);
	if (op == KSM_GET)
		a->refcount++;
	else
		sim_put(s, cur, a);
}

/* unlink_anon_vmas: the event reads the state before. */
/* unlink_anon_vmas in two halves, so that tests can put another task's
 * events between the entry and the change: the entry event... */
static inline uint64_t sim_unlink_enter(struct sim *s, const struct proc *cur,
					struct kvma *v)
{
	emit_vma(s, EV_UNLINK_ANON_VMAS, cur, v, NULL);
	return s->ts;
}

static inline void sim_unlink_done(struct sim *s, const struct proc *cur, uint64_t entry_ts)
{
	struct unlink_done_event d = {};

	sim_hdr(s, &d.hdr, EV_UNLINK_DONE, sizeof(d), cur);
	d.entry_ts = entry_ts;
	sim_emit(s, &d.hdr);
}

/* The kernel's unlink of v: the counters, then the frees. */
static inline void sim_unlink_change(struct sim *s, const struct proc *cur, struct kvma *v)
{
	struct kav *emptied[MAX_CHAIN];
	int ne = 0;

	for (int k = v->n - 1; k >= 0; k--) {
		struct kav *a = v->chain[k];

		if (--a->nr_avcs == 0) {
			a->parent->num_children--;
			emptied[ne++] = a;
		}
	}
	if (v->anon_vma)
		v->anon_vma->num_active_vmas--;
	v->anon_vma = NULL;
	v->n = 0;
	for (int k = 0; k < ne; k++)
		sim_put(s, cur, emptied[k]);
}

/* ... then the change, the frees, and the return (EV_UNLINK_DONE). */
static inline void sim_unlink_apply(struct sim *s, const struct proc *cur,
				    struct kvma *v, uint64_t entry_ts)
{
	sim_unlink_change(s, cur, v);
	sim_unlink_done(s, cur, entry_ts);
}

/* exit_mmap(mm) by cur, as rmaptrace reports it: one event at entry, the
 * unlinks of vmas[] (all of mm's) with no event but their puts, the end.
 * With mid set, it runs between the entry and the first unlink (another
 * task's events while the teardown goes on). */
static inline void sim_exit_mmap(struct sim *s, const struct proc *cur, uint64_t mm,
				 struct kvma *const *vmas, int n,
				 void (*mid)(struct sim *s, void *arg), void *arg)
{
	struct exit_mmap_event e = {};
	uint64_t entry_ts;

	sim_hdr(s, &e.hdr, EV_EXIT_MMAP, sizeof(e), cur);
	e.hdr.mm = 0;	/* exit_mm has cleared current->mm */
	e.mm = mm;
	entry_ts = e.hdr.ts;
	sim_emit(s, &e.hdr);
	if (mid)
		mid(s, arg);
	for (int k = 0; k < n; k++)
		sim_unlink_change(s, cur, vmas[k]);
	sim_unlink_done(s, cur, entry_ts);
}

static inline void sim_unlink(struct sim *s, const struct proc *cur, struct kvma *v)
{
	sim_unlink_apply(s, cur, v, sim_unlink_enter(s, cur, v));
}

static inline void sim_task(struct sim *s, uint32_t type, const struct proc *cur,
			    const struct proc *child)
{
	struct task_event e = {};

	sim_hdr(s, &e.hdr, type, sizeof(e), cur);
	e.child_pid = child->pid;
	e.child_mm = type == EV_FORK ? child->mm : 0;
	strcpy(e.child_comm, "story");
	sim_emit(s, &e.hdr);
}

/* One rmap walk of anon_vma a at pgoff by cur: callback cb ran on each of
 * vmas[] (returning true but for a false at index stop_at, -1 for none);
 * skipped[] were refused by rwc->invalid_vma. */
/* One visit of a walk by cur: an event of its own, or into batch b, sent
 * when full (and at the walk's end by sim_visits_flush, or in the walk
 * event). */
static inline void sim_visits_flush(struct sim *s, const struct proc *cur,
				    struct visits_event *b)
{
	if (!b->nr)
		return;
	sim_hdr(s, &b->hdr, EV_RMAP_VISITS, visits_event_size(b->nr), cur);
	sim_emit(s, &b->hdr);
	b->nr = 0;
}

static inline void sim_visit(struct sim *s, const struct proc *cur, struct visits_event *b,
			     const struct kvma *vma, uint64_t address, uint32_t cb, uint32_t ret)
{
	struct rmap_visit rv = {
		.vma = { vma->ptr, vma->mm, vma->start, vma->end, vma->pgoff, 0 },
		.address = address, .callback = cb, .ret = ret,
	};

	if (s->visit_events) {
		struct visit_event v = {};

		sim_hdr(s, &v.hdr, EV_RMAP_VISIT, sizeof(v), cur);
		v.vma = rv.vma;
		v.address = rv.address;
		v.callback = rv.callback;
		v.ret = rv.ret;
		sim_emit(s, &v.hdr);
		return;
	}
	if (b->nr == VISITS_MAX)
		sim_visits_flush(s, cur, b);
	b->v[b->nr++] = rv;
}

static inline void sim_walk(struct sim *s, const struct proc *cur, const struct kav *a,
			    uint64_t pgoff, uint32_t cb, const struct kvma *const *vmas,
			    int n, int stop_at, const struct kvma *const *skipped, int nskip)
{
	struct {
		struct walk_event w;
		struct rmap_visit tail[VISITS_MAX];
	} ev = {};
	struct walk_event *w = &ev.w;
	struct visits_event b = {};
	uint64_t start = s->ts + 1;	/* before any of its visits */

	for (int k = 0; k < nskip; k++)
		sim_visit(s, cur, &b, skipped[k], 0, CB_INVALID_MIGRATION_VMA, 1);
	for (int k = 0; k < n; k++) {
		sim_visit(s, cur, &b, vmas[k], vmas[k]->start + ((pgoff - vmas[k]->pgoff) << 12),
			  cb, k != stop_at);
		w->nr_visits++;
		if (k == stop_at) {
			w->flags = WALK_STOPPED;
			break;
		}
	}
	if (s->walk_split)
		sim_visits_flush(s, cur, &b);
	memcpy(w->v, b.v, b.nr * sizeof(b.v[0]));
	sim_hdr(s, &w->hdr, EV_RMAP_WALK, walk_event_size(b.nr), cur);
	w->flags |= s->walk_flags;
	w->anon_vma = a->ptr;
	w->pgoff = pgoff;
	w->nr_pages = 1;
	w->duration_ns = w->hdr.ts - start;
	sim_emit(s, &w->hdr);
}

/* The first seed's story, up to the point where all four hold the mapping. */
struct story {
	struct proc P, C1, C2, GC;
	struct kvma p, c1, c2, gc;
};

static inline void story_fork(struct sim *s, struct story *st)
{
	st->P = (struct proc){ 100, 0xffff888001000000ULL };
	st->C1 = (struct proc){ 101, 0xffff888001100000ULL };
	st->C2 = (struct proc){ 102, 0xffff888001200000ULL };
	st->GC = (struct proc){ 103, 0xffff888001300000ULL };
	collector_add_process(s->c, st->P.pid);
	st->p = sim_vma(s, &st->P, 0x7f0000000000ULL, 16);
	sim_prepare(s, &st->P, &st->p);
	st->c1 = sim_fork_vma(s, &st->P, &st->C1, &st->p);
	sim_task(s, EV_FORK, &st->P, &st->C1);
	st->c2 = sim_fork_vma(s, &st->P, &st->C2, &st->p);
	sim_task(s, EV_FORK, &st->P, &st->C2);
	st->gc = sim_fork_vma(s, &st->C2, &st->GC, &st->c2);
	sim_task(s, EV_FORK, &st->C2, &st->GC);
}

/* ... and the exits, youngest first. */
static inline void story_exit(struct sim *s, struct story *st)
{
	sim_unlink(s, &st->GC, &st->gc);
	sim_task(s, EV_EXIT, &st->GC, &st->GC);
	sim_unlink(s, &st->C2, &st->c2);
	sim_task(s, EV_EXIT, &st->C2, &st->C2);
	sim_unlink(s, &st->C1, &st->c1);
	sim_task(s, EV_EXIT, &st->C1, &st->C1);
	sim_unlink(s, &st->P, &st->p);
	sim_task(s, EV_EXIT, &st->P, &st->P);
}

/* ... or the exits as exit_mmap reports them, youngest first. */
static inline void story_exit_mmap(struct sim *s, struct story *st)
{
	struct proc *who[] = { &st->GC, &st->C2, &st->C1, &st->P };
	struct kvma *vma[] = { &st->gc, &st->c2, &st->c1, &st->p };

	for (int k = 0; k < 4; k++) {
		sim_exit_mmap(s, who[k], who[k]->mm, &vma[k], 1, NULL, NULL);
		sim_task(s, EV_EXIT, who[k], who[k]);
	}
}

#endif
