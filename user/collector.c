// SPDX-License-Identifier: GPL-2.0
/*
 * Rebuild the anon_vma hierarchy from events, and hold the kernel's
 * counters against the ones the events imply.
 *
 * The model follows mm/rmap.c: an anon_vma's interval tree holds one AVC
 * per VMA chained to it; num_children counts the children whose tree is
 * non-empty, plus the root's self link while the root's own tree is; and
 * num_active_vmas counts the VMAs whose vma->anon_vma it is.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collector.h"

int collector_init(struct collector *c)
{
	memset(c, 0, sizeof(*c));
	c->last_freed = c->vma_free = c->av_free = NONE;
	c->walk.anon_vma = NONE;	/* no walk yet: it pins no node */
	c->keep_dead_vmas = true;
	c->forget_at = SIZE_MAX;
	if (ptrmap_init(&c->av_map, 1024) || ptrmap_init(&c->vma_map, 1024) ||
	    ptrmap_init(&c->mm_map, 64) || ptrmap_init(&c->pid_map, 64) ||
	    ptrmap_init(&c->pid_mms, 64) || ptrmap_init(&c->wcost_map, 16) ||
	    ptrmap_init(&c->open_win, 64) || ptrmap_init(&c->forgotten_kids, 16) ||
	    holders_init(&c->holds)) {
		collector_free(c);
		return -1;
	}
	return 0;
}

void collector_free(struct collector *c)
{
	for (size_t i = 0; i < c->nr_vma; i++)
		free(vma_chain_block(&c->vma[i]));
	for (size_t i = 0; i < c->nr_av; i++)
		free(av_avcs_block(&c->av[i]));
	nodes_free(c->av, c->av_mapped);
	nodes_free(c->vma, c->vma_mapped);
	free(c->mm);
	free(c->proc);
	free(c->viol);
	free(c->pending);
	free(c->walk.visited);
	free(c->walk.missed);
	nodes_free(c->win, c->win_mapped);
	free(c->forget_buf);
	free(c->sus);
	ptrmap_free(&c->av_map);
	ptrmap_free(&c->vma_map);
	ptrmap_free(&c->mm_map);
	ptrmap_free(&c->pid_map);
	ptrmap_free(&c->pid_mms);
	ptrmap_free(&c->wcost_map);
	ptrmap_free(&c->open_win);
	ptrmap_free(&c->forgotten_kids);
	holders_free(&c->holds);
	free(c->wcost);
	memset(c, 0, sizeof(*c));
}

void collector_violation(struct collector *c, int inv, uint64_t ts,
			 const char *fmt, ...)
{
	struct violation *v;
	va_list ap;

	if (!GROW(c->viol, c->nr_viol, c->cap_viol))
		return;
	v = &c->viol[c->nr_viol++];
	v->invariant = inv;
	v->ts = ts;
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
	va_end(ap);
}

void collector_lost(struct collector *c, uint64_t n)
{
	c->lost += n;
}

/* ---- processes and address spaces ---- */

/* pids as ptrmap keys: 0 and 1 are the map's own markers. */
static uint64_t pid_key(uint32_t pid)
{
	return (uint64_t)pid + 2;
}

/* A pid reused within one trace means the newer process. */
static struct proc_node *find_proc(struct collector *c, uint32_t pid)
{
	uint32_t i = ptrmap_get(&c->pid_map, pid_key(pid));

	return i == NONE ? NULL : &c->proc[i];
}

static void add_proc(struct collector *c, uint32_t pid, uint32_t ppid)
{
	struct proc_node *p = find_proc(c, pid);

	if (p && !p->exited)
		return;
	if (!GROW(c->proc, c->nr_proc, c->cap_proc))
		return;
	c->mm_gen++;
	if (ptrmap_put(&c->pid_map, pid_key(pid), c->nr_proc))
		return;
	c->proc[c->nr_proc++] = (struct proc_node){ .pid = pid, .ppid = ppid };
	c->nr_live_proc++;
}

void collector_add_process(struct collector *c, uint32_t pid)
{
	add_proc(c, pid, 0);
}

bool collector_all_exited(const struct collector *c)
{
	return c->nr_proc && !c->nr_live_proc;
}

size_t collector_live_pids(const struct collector *c, uint32_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nr_proc; i++) {
		if (c->proc[i].exited)
			continue;
		if (n < max)
			out[n] = c->proc[i].pid;
		n++;
	}
	return n;
}

/* Name mm m after pid, and list it with the pid's other mms so that the
 * pid's exit finds them all. */
static void mm_name(struct collector *c, uint32_t m, uint32_t pid)
{
	uint32_t head;

	/* Only an unnamed mm is named: a list never loses a member. */
	if (!pid || c->mm[m].pid)
		return;
	c->mm[m].pid = pid;
	head = ptrmap_get(&c->pid_mms, pid_key(pid));
	c->mm[m].next_of_pid = head;
	ptrmap_put(&c->pid_mms, pid_key(pid), m);
}

static uint32_t new_mm(struct collector *c, uint64_t ptr, uint32_t pid,
		       const char *comm)
{
	struct mm_node *m;

	if (!GROW(c->mm, c->nr_mm, c->cap_mm))
		return NONE;
	m = &c->mm[c->nr_mm];
	memset(m, 0, sizeof(*m));
	m->ptr = ptr;
	m->next_of_pid = NONE;
	m->vmas = NONE;
	mm_name(c, c->nr_mm, pid);
	if (comm)
		memcpy(m->comm, comm, TASK_COMM_LEN);
	m->comm[TASK_COMM_LEN - 1] = 0;
	c->mm_gen++;
	ptrmap_put(&c->mm_map, ptr, c->nr_mm);
	return c->nr_mm++;
}

/* h names the mm and tgid bind_current_mm bound last, and nothing moved since. */
static bool bound(const struct collector *c, const struct event_hdr *h)
{
	return h->mm == c->bound_mm && h->pid == c->bound_pid && c->bound_gen == c->mm_gen;
}

/* The header names current's mm: bind it to current's tgid. */
static void bind_current_mm(struct collector *c, const struct event_hdr *h)
{
	uint32_t i;

	if (!h->mm)
		return;
	if (bound(c, h)) {
		i = c->bound;
	} else {
		if (!find_proc(c, h->pid))
			return;
		i = ptrmap_get(&c->mm_map, h->mm);
		if (i == NONE || (c->mm[i].pid != h->pid && c->mm[i].pid != 0))
			/* Unknown, or a dead process's mm whose address was reused. */
			i = new_mm(c, h->mm, h->pid, h->comm);
		else
			mm_name(c, i, h->pid);
		if (i == NONE)
			return;
		c->bound_mm = h->mm;
		c->bound_pid = h->pid;
		c->bound = i;
		c->bound_gen = c->mm_gen;
	}
	memcpy(c->mm[i].comm, h->comm, TASK_COMM_LEN);
	c->mm[i].comm[TASK_COMM_LEN - 1] = 0;
}

/* The mm a VMA event's VMA belongs to. anon_vma_fork runs in the parent on
 * the child's VMAs, before the child has a pid: such an mm stays unnamed
 * (pid 0) until EV_FORK names it. */
static uint32_t vma_mm(struct collector *c, const struct event_hdr *h,
		       uint64_t mm)
{
	uint32_t i;

	if (mm == h->mm && bound(c, h))
		return c->bound;
	i = ptrmap_get(&c->mm_map, mm);
	if (mm == h->mm)
		return i;
	if (i != NONE && c->mm[i].pid == 0 && c->mm[i].forked_by == h->pid)
		return i;
	if (h->type != EV_ANON_VMA_FORK)
		return i != NONE ? i : new_mm(c, mm, 0, NULL);
	i = new_mm(c, mm, 0, NULL);
	if (i != NONE)
		c->mm[i].forked_by = h->pid;
	return i;
}

static void on_fork(struct collector *c, const struct task_event *e)
{
	uint32_t i = ptrmap_get(&c->mm_map, e->child_mm);

	add_proc(c, e->child_pid, e->hdr.pid);
	if (!e->child_mm)
		return;
	if (i == NONE || c->mm[i].pid != 0) {
		new_mm(c, e->child_mm, e->child_pid, e->child_comm);
		return;
	}
	mm_name(c, i, e->child_pid);
	memcpy(c->mm[i].comm, e->child_comm, TASK_COMM_LEN);
	c->mm[i].comm[TASK_COMM_LEN - 1] = 0;
}

static void on_exit_event(struct collector *c, const struct task_event *e)
{
	struct proc_node *p = find_proc(c, e->child_pid);

	if (p && !p->exited) {
		p->exited = true;
		c->nr_live_proc--;
	}
	/* Its mms' addresses may now be reused by other processes. */
	for (uint32_t i = ptrmap_get(&c->pid_mms, pid_key(e->child_pid)); i != NONE;
	     i = c->mm[i].next_of_pid)
		if (ptrmap_get(&c->mm_map, c->mm[i].ptr) == i) {
			ptrmap_del(&c->mm_map, c->mm[i].ptr);
			c->mm_gen++;
		}
	ptrmap_del(&c->pid_mms, pid_key(e->child_pid));
}

uint32_t mm_pid(const struct collector *c, uint32_t m)
{
	return m == NONE ? 0 : c->mm[m].pid;
}

const struct mm_node *anon_vma_owner(const struct collector *c, uint32_t i)
{
	uint32_t m = c->av[i].mm;

	return m == NONE ? NULL : &c->mm[m];
}

/* ---- anon_vmas ---- */

struct av_counters anon_vma_derived(const struct collector *c, uint32_t i)
{
	const struct anon_vma_node *a = &c->av[i];
	struct av_counters d = {
		.num_children = a->nr_live_children,
		.num_active_vmas = a->nr_active,
	};

	/* __anon_vma_prepare counts a new root as its own child; the count
	 * goes back when the root's tree empties, like any child's. */
	if (a->root == i && a->nr_avcs)
		d.num_children++;
	return d;
}

static void note_derived_max(struct collector *c, uint32_t i)
{
	struct anon_vma_node *a;
	struct av_counters d;

	if (i == NONE)
		return;
	a = &c->av[i];
	d = anon_vma_derived(c, i);
	if (d.num_children > a->derived_max.num_children)
		a->derived_max.num_children = d.num_children;
	if (d.num_active_vmas > a->derived_max.num_active_vmas)
		a->derived_max.num_active_vmas = d.num_active_vmas;
}

uint32_t av_depth(const struct collector *c, uint32_t i)
{
	uint32_t d = 1;

	while (c->av[i].parent != NONE && c->av[i].parent != i && d <= c->nr_av) {
		i = c->av[i].parent;
		d++;
	}
	return d <= c->nr_av ? d : 0;
}

/* The node for ptr, made with origin if the trace has none yet (*made). */
static uint32_t anon_vma_node(struct collector *c, uint64_t ptr,
			      enum av_origin origin, bool *made)
{
	struct anon_vma_node *a;
	uint32_t i = c->av_free != NONE ? c->av_free : c->nr_av;

	*made = false;
	if (i == c->nr_av &&
	    !nodes_grow((void **)&c->av, &c->cap_av, c->nr_av, sizeof(*c->av), &c->av_mapped,
			&c->av_ready))
		return ptrmap_get(&c->av_map, ptr);
	if (ptrmap_get_or_put(&c->av_map, ptr, &i) == 1)
		return i;
	a = &c->av[i];
	if (i == c->av_free)
		c->av_free = a->parent;
	else
		c->nr_av++;
	memset(a, 0, sizeof(*a));
	a->ptr = ptr;
	a->root = a->parent = a->mm = NONE;
	a->id = ++c->nr_ids;
	a->origin = origin;
	*made = true;
	return i;
}

static void mark_freed(struct collector *c, uint32_t i)
{
	c->nr_freed += !c->av[i].freed;
	c->av[i].freed = true;
	holders_forget(&c->holds, i);
}

static void free_anon_vma(struct collector *c, uint32_t i)
{
	mark_freed(c, i);
	ptrmap_del(&c->av_map, c->av[i].ptr);
}

/*
 * The node for the anon_vma snapshot s shows, made with origin if none.
 * An anon_vma's root and parent are set when it is allocated and never
 * after (anon_vma_alloc, anon_vma_fork: mm/rmap.c), so a node whose
 * links name other anon_vmas than s does, and that no AVC or VMA of the
 * trace holds, was an earlier anon_vma at this address whose free the
 * trace missed: it is retired, and the address gets a node of its own,
 * rather than the new anon_vma the old one's history.
 */
static uint32_t anon_vma_snapped(struct collector *c, const struct anon_vma_snap *s,
				 enum av_origin origin, bool *made)
{
	uint32_t i = ptrmap_get(&c->av_map, s->anon_vma);

	if (i != NONE && (s->flags & SNAP_VALID) && !c->av[i].nr_avcs && !c->av[i].nr_active) {
		const struct anon_vma_node *a = &c->av[i];

		if ((a->root != NONE && c->av[a->root].ptr != s->root) ||
		    (a->parent != NONE && c->av[a->parent].ptr != s->parent)) {
			free_anon_vma(c, i);
			c->unseen_frees++;
		}
	}
	return anon_vma_node(c, s->anon_vma, origin, made);
}

/* The node for ptr, made (of unknown origin) when first seen. */
static uint32_t anon_vma_of(struct collector *c, uint64_t ptr)
{
	bool made;

	return ptr ? anon_vma_node(c, ptr, ORIGIN_UNKNOWN, &made) : NONE;
}

/* Node hint is ptr's, as the map would say: a node the trace already
 * links to (a parent, a chain's next) spares a lookup. */
static bool av_is(const struct collector *c, uint32_t hint, uint64_t ptr)
{
	return hint != NONE && c->av[hint].ptr == ptr && !c->av[hint].freed;
}

/* ptr's node, where hint is the node it likely is. */
static uint32_t anon_vma_hinted(struct collector *c, uint64_t ptr, uint32_t hint)
{
	return av_is(c, hint, ptr) ? hint : anon_vma_of(c, ptr);
}

/* Learn root and parent from a snapshot, once. parent: the node s->parent
 * likely is (the forked VMA's anon_vma), or NONE; its root is then the
 * likely root. */
static void learn_links(struct collector *c, uint32_t i,
			const struct anon_vma_snap *s, uint32_t parent)
{
	struct anon_vma_node *a = &c->av[i];

	if (!av_is(c, parent, s->parent))
		parent = NONE;
	if (a->root == NONE && s->root) {
		uint32_t r = s->root == s->anon_vma ? i :
			     anon_vma_hinted(c, s->root, parent != NONE ? c->av[parent].root : NONE);

		c->av[i].root = r;
	}
	a = &c->av[i];
	if (a->parent == NONE && s->parent) {
		uint32_t p = s->parent == s->anon_vma ? i : anon_vma_hinted(c, s->parent, parent);

		c->av[i].parent = p;
	}
}

static uint32_t abs_diff(uint32_t a, uint32_t b)
{
	return a > b ? a - b : b - a;
}

/* Hold the kernel's counters in snapshot s against the derived ones; a
 * difference is a suspect until user/race.c has judged it. */
static void compare(struct collector *c, uint32_t i,
		    const struct anon_vma_snap *s, uint64_t ts,
		    const char *when)
{
	struct anon_vma_node *a = &c->av[i];
	struct av_counters d;

	if (!(s->flags & SNAP_VALID))
		return;
	c->snap_flags |= s->flags;
	a->have_kernel = true;
	a->snap_flags = s->flags;
	a->refcount = s->refcount;
	a->kernel.num_children = s->num_children;
	a->kernel.num_active_vmas = s->num_active_vmas;
	if (s->num_children > a->kernel_max.num_children)
		a->kernel_max.num_children = s->num_children;
	if (s->num_active_vmas > a->kernel_max.num_active_vmas)
		a->kernel_max.num_active_vmas = s->num_active_vmas;
	note_derived_max(c, i);

	/* degree mixes both counts; its relation is not derived yet. An
	 * anon_vma made before tracing has history the events never showed. */
	if (!(s->flags & SNAP_HAS_NUM_CHILDREN) || !av_checkable(c, i))
		return;
	d = anon_vma_derived(c, i);
	if (d.num_children != s->num_children)
		race_suspect(c, INV_NUM_CHILDREN, root_of(c, i),
			abs_diff(d.num_children, s->num_children), ts, s->read_ts,
			"anon_vma %u %s: kernel num_children %u, derived %u (%u live children%s)",
			av_id(c, i), when, s->num_children, d.num_children,
			a->nr_live_children, a->root == i && a->nr_avcs ? " + self" : "");
	if (d.num_active_vmas != s->num_active_vmas)
		race_suspect(c, INV_NUM_ACTIVE_VMAS, root_of(c, i),
			abs_diff(d.num_active_vmas, s->num_active_vmas), ts, s->read_ts,
			"anon_vma %u %s: kernel num_active_vmas %u, derived %u",
			av_id(c, i), when, s->num_active_vmas, d.num_active_vmas);
}

/* ---- AVCs: the collector's interval trees ---- */

/* The collector's interval tree of anon_vma i: a list of VMA indices. */
/* Room for n entries once malloc'd: six fill malloc's smallest block;
 * then doubling. */
static uint32_t avc_cap(uint32_t n)
{
	uint32_t cap = 6;

	while (cap < n)
		cap *= 2;
	return cap;
}

/* Link VMA vi into anon_vma i's list; returns its position there, NONE
 * when out of memory. */
static uint32_t avc_link(struct collector *c, uint32_t i, uint32_t vi)
{
	struct anon_vma_node *a = &c->av[i];
	uint32_t pos = a->nr_avcs;

	if (!a->avcs_heap && a->nr_avcs == 2) {
		uint32_t *p = malloc(avc_cap(3) * sizeof(*p));

		if (!p)
			return NONE;
		memcpy(p, a->avcs.in, sizeof(a->avcs.in));
		a->avcs.heap = p;
		a->avcs_heap = true;
	} else if (a->avcs_heap && a->nr_avcs == avc_cap(a->nr_avcs)) {
		uint32_t *p = realloc(a->avcs.heap, avc_cap(a->nr_avcs + 1) * sizeof(*p));

		if (!p)
			return NONE;
		a->avcs.heap = p;
	}
	av_avcs(a)[a->nr_avcs] = vi;

	if (a->nr_avcs++ == 0 && a->parent != NONE && a->parent != i) {
		c->av[a->parent].nr_live_children++;
		note_derived_max(c, a->parent);
	}
	note_derived_max(c, i);
	return pos;
}

/* VMA vi's AVC to anon_vma i moved from position from to to. */
static void avc_moved(struct collector *c, uint32_t vi, uint32_t i, uint32_t from,
		      uint32_t to)
{
	struct vma_node *v = &c->vma[vi];
	uint32_t *chain = vma_chain(v), *pos = vma_avc_pos(v);

	for (uint32_t k = 0; k < v->nr_chain; k++)
		if (chain[k] == i && pos[k] == from) {
			pos[k] = to;
			return;
		}
}

/* Unlink VMA vi from anon_vma i's list, where it is at pos (if the
 * position still holds: else it is searched for). */
static void avc_unlink(struct collector *c, uint32_t i, uint32_t vi, uint32_t pos)
{
	struct anon_vma_node *a = &c->av[i];
	uint32_t *avcs = av_avcs(a), k = pos, last;

	if (k >= a->nr_avcs || avcs[k] != vi)
		for (k = 0; k < a->nr_avcs && avcs[k] != vi; k++)
			;
	if (k == a->nr_avcs)
		return;
	last = a->nr_avcs - 1;
	if (k != last) {
		avcs[k] = avcs[last];
		avc_moved(c, avcs[k], i, last, k);
	}
	/* unlink_anon_vmas gives an emptied tree's count back at once. */
	if (--a->nr_avcs == 0 && a->parent != NONE && a->parent != i &&
	    c->av[a->parent].nr_live_children)
		c->av[a->parent].nr_live_children--;
}

/* Where i is in chain, or NONE. */
static uint32_t chain_find(const uint32_t *chain, uint32_t n, uint32_t i)
{
	for (uint32_t k = 0; k < n; k++)
		if (chain[k] == i)
			return k;
	return NONE;
}

static bool chain_has(const uint32_t *chain, uint32_t n, uint32_t i)
{
	return chain_find(chain, n, i) != NONE;
}

/* Make v's AVCs exactly the ones the kernel listed (n <= MAX_CHAIN). */
static void set_chain(struct collector *c, struct vma_node *v,
		      const uint32_t *chain, uint32_t n)
{
	uint32_t *cur = vma_chain(v), *cpos = vma_avc_pos(v), pos[MAX_CHAIN], k, j;
	uint32_t vi = v - c->vma;

	if (n > MAX_CHAIN)
		n = MAX_CHAIN;
	for (k = 0; k < v->nr_chain; k++)
		if (cur[k] != NONE && !chain_has(chain, n, cur[k]))
			avc_unlink(c, cur[k], vi, cpos[k]);
	for (k = 0; k < n; k++) {
		pos[k] = NONE;
		if (chain[k] == NONE)
			continue;
		j = chain_find(cur, v->nr_chain, chain[k]);
		pos[k] = j != NONE ? cpos[j] : avc_link(c, chain[k], vi);
	}
	if (n > 2 && n > v->cap_chain) {
		/* the chain, then the positions */
		uint32_t *p = realloc(vma_chain_block(v), 2 * n * sizeof(*p));

		if (!p)
			return;
		v->chain.heap = p;
		v->cap_chain = n;
	}
	if (n) {
		memcpy(vma_chain(v), chain, n * sizeof(*chain));
		memcpy(vma_avc_pos(v), pos, n * sizeof(*pos));
	}
	v->nr_chain = n;
}

static void set_anon_vma(struct collector *c, struct vma_node *v, uint32_t i)
{
	/* Show an anon_vma at its owner's VMA as it is now (exec moves the
	 * stack, mremap moves anything). */
	if (i != NONE && c->av[i].mm == v->mm)
		c->av[i].vm_start = v->vm_start;
	if (v->anon_vma == i)
		return;
	if (v->anon_vma != NONE && c->av[v->anon_vma].nr_active)
		c->av[v->anon_vma].nr_active--;
	v->anon_vma = i;
	if (i != NONE) {
		c->av[i].nr_active++;
		note_derived_max(c, i);
	}
}

/* ---- VMAs ---- */

/* The live VMAs of each mm, for exit_mmap: a list through the nodes. */
static void mm_list_del(struct collector *c, uint32_t i)
{
	struct vma_node *v = &c->vma[i];

	if (!v->mm_listed)
		return;
	if (v->mm_prev != NONE)
		c->vma[v->mm_prev].mm_next = v->mm_next;
	else
		c->mm[v->mm].vmas = v->mm_next;
	if (v->mm_next != NONE)
		c->vma[v->mm_next].mm_prev = v->mm_prev;
	v->mm_listed = false;
}

static void mm_list_add(struct collector *c, uint32_t i)
{
	struct vma_node *v = &c->vma[i];
	uint32_t head;

	if (v->mm == NONE)
		return;
	head = c->mm[v->mm].vmas;
	v->mm_prev = NONE;
	v->mm_next = head;
	if (head != NONE)
		c->vma[head].mm_prev = i;
	c->mm[v->mm].vmas = i;
	v->mm_listed = true;
}

/* Node i as the event shows its VMA now. */
static uint32_t vma_seen(struct collector *c, const struct event_hdr *h,
			 const struct vma_info *vi, uint32_t i)
{
	struct vma_node *v = &c->vma[i];
	uint32_t mm = vma_mm(c, h, vi->mm);

	/* A node for the mm's address is made anew when a process is
	 * first seen under it: the VMA goes to the list of the newest. */
	if (!v->mm_listed || v->mm != mm) {
		if (v->mm_listed)
			mm_list_del(c, i);
		v->mm = mm;
		mm_list_add(c, i);
	}
	v->vm_start = vi->vm_start;
	v->vm_end = vi->vm_end;
	v->vm_pgoff = vi->vm_pgoff;
	return i;
}

/* A node for a new VMA: a dead one's, unless a walk's visits still
 * pending may name it (they hold node indices). */
static uint32_t vma_new_index(const struct collector *c)
{
	return c->vma_free != NONE && !c->nr_pending ? c->vma_free : c->nr_vma;
}

static uint32_t vma_of(struct collector *c, const struct event_hdr *h,
		       const struct vma_info *vi, bool create)
{
	uint32_t i = vma_new_index(c);
	struct vma_node *v;

	if (!create || (i == c->nr_vma &&
			!nodes_grow((void **)&c->vma, &c->cap_vma, c->nr_vma,
				    sizeof(*c->vma), &c->vma_mapped, &c->vma_ready))) {
		i = ptrmap_get(&c->vma_map, vi->vma);
		if (i == NONE)
			return NONE;
	} else if (ptrmap_get_or_put(&c->vma_map, vi->vma, &i) != 1) {
		uint32_t *block = NULL;
		uint8_t cap = 0;

		v = &c->vma[i];
		if (i == c->nr_vma) {
			c->nr_vma++;
		} else {
			/* The dead one's chain block, for a chain as long. */
			c->vma_free = v->last_anon_vma;
			block = vma_chain_block(v);
			cap = v->cap_chain;
		}
		memset(v, 0, sizeof(*v));
		if (block) {
			v->chain.heap = block;
			v->cap_chain = cap;
		}
		v->ptr = vi->vma;
		v->anon_vma = NONE;
	}
	return vma_seen(c, h, vi, i);
}

/* Chain entries as node indices; the caller's buffer holds MAX_CHAIN.
 * first: the node chain[0] likely is (vma->anon_vma's), or NONE. The
 * kernel lists a VMA's AVCs youngest first (anon_vma_fork adds its own at
 * the head of a copy of the parent's, in order), so an entry's parent is
 * likely the next: most entries need no lookup. */
static uint32_t chain_nodes(struct collector *c, const struct vma_event *e,
			    uint32_t *out, uint32_t first)
{
	uint32_t n = e->nr_chain < MAX_CHAIN ? e->nr_chain : MAX_CHAIN, hint = first;

	if (e->chain_truncated)
		c->truncated_chains++;
	for (uint32_t k = 0; k < n; k++) {
		out[k] = anon_vma_hinted(c, e->chain[k], hint);
		hint = out[k] != NONE ? c->av[out[k]].parent : NONE;
	}
	return n;
}

static void check_vma_has_avc(struct collector *c, const struct vma_event *e,
			      const struct vma_node *v, const char *when)
{
	if (v->anon_vma == NONE || e->chain_truncated ||
	    chain_has(vma_chain(v), v->nr_chain, v->anon_vma))
		return;
	collector_violation(c, INV_VMA_AVC, e->hdr.ts,
		"vma 0x%llx-0x%llx (pid %u) %s: vma->anon_vma is anon_vma %u but no AVC links them",
		(unsigned long long)v->vm_start, (unsigned long long)v->vm_end,
		mm_pid(c, v->mm), when, av_id(c, v->anon_vma));
}

/* Invariant 4 in the kernel's own state at teardown: the chain the
 * event read at unlink_anon_vmas' entry, not the trace's. The kernel may
 * have set vma->anon_vma since the last hooked call on this VMA (merges,
 * mremap); a VMA whose anon_vma has no AVC is one that rmap walks of its
 * pages would miss. */
static void check_unlink_has_avc(struct collector *c, const struct vma_event *e,
				 const struct vma_node *v)
{
	uint32_t n = e->nr_chain < MAX_CHAIN ? e->nr_chain : MAX_CHAIN;

	if (!e->vma.anon_vma || e->chain_truncated)
		return;
	for (uint32_t k = 0; k < n; k++)
		if (e->chain[k] == e->vma.anon_vma)
			return;
	collector_violation(c, INV_VMA_AVC, e->hdr.ts,
		"vma 0x%llx-0x%llx (pid %u) before unlink_anon_vmas: vma->anon_vma is anon_vma %u but none of its %u AVCs links them",
		(unsigned long long)v->vm_start, (unsigned long long)v->vm_end,
		mm_pid(c, v->mm), av_id(c, ptrmap_get(&c->av_map, e->vma.anon_vma)), n);
}

static void on_prepare(struct collector *c, const struct vma_event *e)
{
	uint32_t chain[MAX_CHAIN], n, vi, ai;
	struct vma_node *v;
	bool made;

	if (e->ret || !e->av.anon_vma)
		return;
	vi = vma_of(c, &e->hdr, &e->vma, true);
	if (vi == NONE)
		return;
	ai = anon_vma_snapped(c, &e->av, ORIGIN_PREPARE, &made);
	if (ai == NONE)
		return;
	if (made) {
		/* Not a neighbour's (find_mergeable_anon_vma): a new root. */
		c->av[ai].mm = c->vma[vi].mm;
		c->av[ai].vm_start = e->vma.vm_start;
	}
	learn_links(c, ai, &e->av, NONE);
	n = chain_nodes(c, e, chain, ai);
	v = &c->vma[vi];
	set_chain(c, v, chain, n);
	set_anon_vma(c, v, ai);
	race_window(c, root_of(c, ai), e->entry_ts, e->hdr.ts);
	check_vma_has_avc(c, e, v, "after __anon_vma_prepare");
	compare(c, ai, &e->av, e->hdr.ts, "after __anon_vma_prepare");
}

static void on_fork_vma(struct collector *c, const struct vma_event *e)
{
	uint32_t chain[MAX_CHAIN], n, vi, ai, pvi;
	struct vma_node *v;
	bool made;

	if (e->ret || !e->av.anon_vma)
		return;
	vi = vma_of(c, &e->hdr, &e->vma, true);
	if (vi == NONE)
		return;
	ai = anon_vma_snapped(c, &e->av, ORIGIN_FORK, &made);
	if (ai == NONE)
		return;
	if (made) {
		c->av[ai].mm = c->vma[vi].mm;
		c->av[ai].vm_start = e->vma.vm_start;
	} else if (!chain_has(vma_chain(&c->vma[vi]), c->vma[vi].nr_chain, ai)) {
		/* anon_vma_clone handed the child an existing anon_vma. The
		 * kernel may only do that to one no VMA uses and with at most
		 * one child (mm/rmap.c); judge by the state before the fork.
		 * The kernel judged somewhere within the call, against counters
		 * other tasks may have been changing: a suspect, by how far
		 * over the limits the derived counters are. */
		struct av_counters d = anon_vma_derived(c, ai);
		uint32_t over = d.num_active_vmas + (d.num_children >= 2 ? d.num_children - 1 : 0);

		c->av[ai].reused++;
		if (av_checkable(c, ai) && over)
			race_suspect(c, INV_REUSE, root_of(c, ai), over, e->entry_ts, e->hdr.ts,
				"anon_vma %u reused on fork with num_active_vmas %u, num_children %u (allowed: 0 and < 2)",
				av_id(c, ai), d.num_active_vmas, d.num_children);
	}
	/* anon_vma_fork makes pvma->anon_vma the new one's parent. */
	pvi = ptrmap_get(&c->vma_map, e->src.vma);
	learn_links(c, ai, &e->av, pvi != NONE ? c->vma[pvi].anon_vma : NONE);
	n = chain_nodes(c, e, chain, ai);
	v = &c->vma[vi];
	set_chain(c, v, chain, n);
	set_anon_vma(c, v, ai);
	race_window(c, root_of(c, ai), e->entry_ts, e->hdr.ts);
	check_vma_has_avc(c, e, v, "after anon_vma_fork");

	/* Invariant 4: the child is chained to all its parent VMA was. */
	if (pvi != NONE && !e->chain_truncated) {
		const struct vma_node *p = &c->vma[pvi];
		const uint32_t *pchain = vma_chain(p);

		v = &c->vma[vi];
		for (uint32_t k = 0; k < p->nr_chain; k++)
			if (!chain_has(vma_chain(v), v->nr_chain, pchain[k]))
				collector_violation(c, INV_VMA_AVC, e->hdr.ts,
					"fork: child vma 0x%llx (pid %u) has no AVC to anon_vma %u, which parent vma 0x%llx is chained to",
					(unsigned long long)v->vm_start,
					mm_pid(c, v->mm), av_id(c, pchain[k]),
					(unsigned long long)p->vm_start);
	}
	compare(c, ai, &e->av, e->hdr.ts, "after anon_vma_fork");
	if (e->parent.anon_vma && c->av[ai].parent != NONE &&
	    c->av[ai].parent != ai)
		compare(c, c->av[ai].parent, &e->parent, e->hdr.ts,
			"after anon_vma_fork (parent)");
}

static void on_clone(struct collector *c, const struct vma_event *e)
{
	uint32_t chain[MAX_CHAIN], n, vi, ai;
	struct vma_node *v;

	if (e->ret)
		return;
	vi = vma_of(c, &e->hdr, &e->vma, true);
	if (vi == NONE)
		return;
	ai = anon_vma_of(c, e->av.anon_vma);
	if (ai != NONE)
		learn_links(c, ai, &e->av, NONE);
	n = chain_nodes(c, e, chain, ai);
	v = &c->vma[vi];
	set_chain(c, v, chain, n);
	set_anon_vma(c, v, ai);
	race_window(c, root_of(c, ai), e->entry_ts, e->hdr.ts);
	check_vma_has_avc(c, e, v, "after anon_vma_clone");
	if (ai != NONE)
		compare(c, ai, &e->av, e->hdr.ts, "after anon_vma_clone");
}

/* ---- the snapshot at attach ---- */

static uint32_t snapshot_node(struct collector *c, uint64_t ptr)
{
	uint32_t i = anon_vma_of(c, ptr);

	if (i != NONE && c->av[i].origin == ORIGIN_UNKNOWN) {
		c->av[i].origin = ORIGIN_SNAPSHOT;
		c->av[i].partial = true;	/* until collector_snapshot_done */
	}
	return i;
}

/* A VMA as the task_vma iterator found it. */
static void on_snapshot(struct collector *c, const struct vma_event *e)
{
	uint32_t chain[MAX_CHAIN], n, vi, ai, pi;
	struct vma_node *v;

	vi = vma_of(c, &e->hdr, &e->vma, true);
	if (vi == NONE)
		return;
	n = chain_nodes(c, e, chain, NONE);
	for (uint32_t k = 0; k < n; k++)
		snapshot_node(c, e->chain[k]);
	ai = snapshot_node(c, e->av.anon_vma);
	if (ai != NONE) {
		if (c->av[ai].mm == NONE) {
			c->av[ai].mm = c->vma[vi].mm;
			c->av[ai].vm_start = e->vma.vm_start;
		}
		learn_links(c, ai, &e->av, NONE);
		pi = e->parent.anon_vma ? snapshot_node(c, e->parent.anon_vma) : NONE;
		if (pi != NONE)
			learn_links(c, pi, &e->parent, NONE);
	}
	v = &c->vma[vi];
	set_chain(c, v, chain, n);
	set_anon_vma(c, v, ai);
	/* Records the kernel's counters; partial nodes are not compared. */
	if (ai != NONE) {
		compare(c, ai, &e->av, e->hdr.ts, "at the snapshot");
		pi = c->av[ai].parent;
		if (pi != NONE && pi != ai && e->parent.anon_vma)
			compare(c, pi, &e->parent, e->hdr.ts, "at the snapshot (parent)");
	}
}

/*
 * A hierarchy is whole when every snapshot anon_vma in it was read and
 * the traced VMAs account for its counters: then no VMA outside the
 * traced processes links to it, and from here on it is checked like any.
 */
uint32_t collector_snapshot_done(struct collector *c)
{
	uint32_t partial = 0;

	for (uint32_t i = 0; i < c->nr_av; i++) {
		struct anon_vma_node *a = &c->av[i];
		struct av_counters d;

		if (a->forgotten || a->origin != ORIGIN_SNAPSHOT || !a->partial)
			continue;
		d = anon_vma_derived(c, i);
		a->partial = !a->have_kernel || !(a->snap_flags & SNAP_HAS_NUM_CHILDREN) ||
			     d.num_children != a->kernel.num_children ||
			     d.num_active_vmas != a->kernel.num_active_vmas;
		partial += a->partial;
	}
	/* A hierarchy is whole only if all of it is. */
	for (uint32_t i = 0; i < c->nr_av; i++) {
		uint32_t r = root_of(c, i);

		if (!c->av[i].forgotten && c->av[i].origin == ORIGIN_SNAPSHOT && r != NONE &&
		    c->av[r].partial &&
		    !c->av[i].partial) {
			c->av[i].partial = true;
			partial++;
		}
	}
	return partial;
}

/* VMA node vi is unlinked from every anon_vma, by the current event's
 * task at ts: applied now; the kernel makes the change before that
 * task's EV_UNLINK_DONE. */
static void vma_gone(struct collector *c, uint32_t vi, uint64_t ts)
{
	struct vma_node *v = &c->vma[vi];
	uint32_t ai = v->anon_vma, n = v->nr_chain;

	race_window(c, root_of(c, ai != NONE ? ai : n ? vma_chain(v)[0] : NONE), ts, UINT64_MAX);
	v->last_anon_vma = v->anon_vma;
	set_chain(c, v, NULL, 0);	/* counts only: the array stays */
	v->nr_last_chain = n;
	set_anon_vma(c, v, NONE);
	mm_list_del(c, vi);
	v->dead = true;
	if (!c->keep_dead_vmas) {
		v->nr_last_chain = 0;
		v->last_anon_vma = c->vma_free;
		c->vma_free = vi;
	}
}

static bool on_unlink(struct collector *c, const struct vma_event *e)
{
	/* Out of the map at once: nothing below looks a VMA up. */
	uint32_t vi = ptrmap_take(&c->vma_map, e->vma.vma);
	uint32_t ai;
	struct vma_node *v;

	/* A VMA never seen linked (made before tracing) has no history to
	 * replay: its counters are not ours to check. On an anon_vma of the
	 * trace it is a hole in it, counted so that it shows. */
	if (vi == NONE) {
		if (ptrmap_get(&c->av_map, e->vma.anon_vma) != NONE)
			c->unseen_unlinks++;
		return false;
	}
	v = &c->vma[vma_seen(c, &e->hdr, &e->vma, vi)];
	ai = v->anon_vma;
	check_unlink_has_avc(c, e, v);
	/* Counters before the unlink. */
	if (av_is(c, ai, e->av.anon_vma)) {
		compare(c, ai, &e->av, e->hdr.ts, "before unlink_anon_vmas");
		if (c->av[ai].parent != NONE && c->av[ai].parent != ai &&
		    e->parent.anon_vma)
			compare(c, c->av[ai].parent, &e->parent, e->hdr.ts,
				"before unlink_anon_vmas (parent)");
	}
	vma_gone(c, vi, e->hdr.ts);
	return true;
}

/* exit_mmap(mm): every VMA of mm goes, and their unlinks send nothing. */
static bool on_exit_mmap(struct collector *c, const struct exit_mmap_event *e)
{
	uint32_t m = ptrmap_get(&c->mm_map, e->mm), n = 0;

	c->exit_mmap_vmas = 0;
	/* An address space the trace never saw (the command's copy of
	 * rmaptrace's, at its exec) has nothing to take down. */
	if (m == NONE)
		return false;
	for (uint32_t i = c->mm[m].vmas, next; i != NONE; i = next, n++) {
		next = c->vma[i].mm_next;
		if (ptrmap_get(&c->vma_map, c->vma[i].ptr) == i)
			ptrmap_del(&c->vma_map, c->vma[i].ptr);
		vma_gone(c, i, e->hdr.ts);
	}
	c->exit_mmap_vmas = n;
	c->exit_mmaps++;
	return n > 0;
}

static bool on_put(struct collector *c, const struct put_event *e)
{
	/* Out of the map at once: compare looks nothing up. */
	uint32_t i = ptrmap_take(&c->av_map, e->av.anon_vma), r;

	if (i == NONE)
		return false;
	compare(c, i, &e->av, e->hdr.ts, "at __put_anon_vma");
	mark_freed(c, i);
	c->last_freed = i;
	/* Read at refcount 1, the root is held by this put alone, unless a
	 * walk's folio_get_anon_vma takes it meanwhile: nothing links to
	 * it, so its counters are final. Whether this put frees it the
	 * free event says; a stream without one (older recordings) is
	 * taken at the reading, which misses a root whose other holders
	 * let go between this put's entry and its decrement. */
	if (e->root.anon_vma && e->root.refcount == 1) {
		r = c->av[i].root;
		if (!av_is(c, r, e->root.anon_vma))
			r = ptrmap_get(&c->av_map, e->root.anon_vma);
		if (r != NONE) {
			compare(c, r, &e->root, e->hdr.ts, "at __put_anon_vma (root)");
			if (!c->free_events)
				free_anon_vma(c, r);
		}
	}
	return true;
}

/* A KSM rmap_item's reference (bpf/ksm.bpf.h); shown with its anon_vma. */
static bool on_ksm(struct collector *c, const struct ksm_event *e)
{
	uint32_t i = ptrmap_get(&c->av_map, e->anon_vma);

	if (i == NONE)
		return false;
	return holders_ksm(&c->holds, i, e->op == KSM_GET) == 0;
}

/* kmem_cache_free of a traced anon_vma with no put of its own: a root
 * freed inline by its last child's put. */
static bool on_free(struct collector *c, const struct free_event *e)
{
	uint32_t i = ptrmap_take(&c->av_map, e->anon_vma);

	if (i == NONE)
		return false;
	mark_freed(c, i);
	c->last_freed = i;
	return true;
}

/* ---- rmap walks ---- */

static const char *const cb_func[CB_MAX] = {
	[CB_TRY_TO_MIGRATE_ONE] = "try_to_migrate_one",
	[CB_REMOVE_MIGRATION_PTE] = "remove_migration_pte",
	[CB_TRY_TO_UNMAP_ONE] = "try_to_unmap_one",
	[CB_FOLIO_REFERENCED_ONE] = "folio_referenced_one",
	[CB_PAGE_IDLE_CLEAR_PTE_REFS_ONE] = "page_idle_clear_pte_refs_one",
	[CB_DAMON_FOLIO_MKOLD_ONE] = "damon_folio_mkold_one",
	[CB_DAMON_FOLIO_YOUNG_ONE] = "damon_folio_young_one",
	[CB_PAGE_MKCLEAN_ONE] = "page_mkclean_one",
	[CB_PAGE_MAKE_DEVICE_EXCLUSIVE_ONE] = "page_make_device_exclusive_one",
	[CB_INVALID_MIGRATION_VMA] = "invalid_migration_vma",
	[CB_INVALID_FOLIO_REFERENCED_VMA] = "invalid_folio_referenced_vma",
};

const char *rmap_callback_name(unsigned int cb)
{
	return cb < CB_MAX && cb_func[cb] ? cb_func[cb] : "unknown";
}

uint32_t log2_slot(uint64_t v)
{
	uint32_t s = 0;

	while (v > 1 && s < HIST_SLOTS - 1) {
		v >>= 1;
		s++;
	}
	return v ? s + 1 : 0;	/* slot 0 holds zero, slot k holds [2^(k-1), 2^k) */
}

static void on_visit(struct collector *c, const struct visit_event *e)
{
	struct pending_visit *p;
	uint32_t vi;

	/* The VMA as it is now: splits and merges change ranges silently. */
	vi = vma_of(c, &e->hdr, &e->vma, false);
	if (!GROW(c->pending, c->nr_pending, c->cap_pending))
		return;
	p = &c->pending[c->nr_pending++];
	p->ts = e->hdr.ts;
	p->tid = e->hdr.tid;
	p->ret = e->ret;
	p->v = (struct walk_vma){
		.vma = vi,
		.pid = vi != NONE ? mm_pid(c, c->vma[vi].mm) : 0,
		.vm_start = e->vma.vm_start,
		.address = e->address,
		.callback = e->callback,
	};
}

/* A batch (EV_RMAP_VISITS, or the tail of EV_RMAP_WALK) is its visits
 * one after the other, under the walker's header h. */
static void on_visits(struct collector *c, const struct event_hdr *h,
		      const struct rmap_visit *v, uint32_t nr)
{
	struct visit_event one = { .hdr = *h };

	one.hdr.type = EV_RMAP_VISIT;
	one.hdr.size = sizeof(one);
	for (uint32_t k = 0; k < nr; k++) {
		one.vma = v[k].vma;
		one.address = v[k].address;
		one.callback = v[k].callback;
		one.ret = v[k].ret;
		on_visit(c, &one);
	}
}

static bool walk_add(struct walk_vma **arr, uint32_t *nr, uint32_t *cap,
		     const struct walk_vma *v)
{
	if (*nr == *cap) {
		uint32_t n = *cap ? *cap * 2 : 16;
		void *p = realloc(*arr, n * sizeof(**arr));

		if (!p)
			return false;
		*arr = p;
		*cap = n;
	}
	(*arr)[(*nr)++] = *v;
	return true;
}

/* Does VMA v's range cover pgoff range [first, last]? */
static bool vma_covers(const struct vma_node *v, uint64_t first, uint64_t last)
{
	uint64_t vlast = v->vm_pgoff + ((v->vm_end - v->vm_start) >> 12) - 1;

	return v->vm_pgoff <= last && vlast >= first;
}

static void walk_cost_add(struct collector *c, uint32_t ai, uint64_t ns)
{
	uint32_t k = ptrmap_get(&c->wcost_map, (uint64_t)ai + 2);

	if (k == NONE) {
		if (!GROW(c->wcost, c->nr_wcost, c->cap_wcost) ||
		    ptrmap_put(&c->wcost_map, (uint64_t)ai + 2, c->nr_wcost))
			return;
		k = c->nr_wcost++;
		c->wcost[k] = (struct walk_cost){ .anon_vma = ai };
	}
	c->wcost[k].walks++;
	c->wcost[k].ns += ns;
}

static void on_walk(struct collector *c, const struct walk_event *e)
{
	struct walk_result *w = &c->walk;
	uint64_t first = e->pgoff, last = e->pgoff + (e->nr_pages ? e->nr_pages : 1) - 1;
	uint64_t start = e->hdr.ts > e->duration_ns ? e->hdr.ts - e->duration_ns : 0;
	uint32_t ai = ptrmap_get(&c->av_map, e->anon_vma);
	uint32_t skipped[64], nr_skipped = 0, nr_bad = 0;
	char bad[sizeof(((struct suspect *)0)->msg)];
	bool checkable;
	size_t k, keep = 0;

	c->walks++;
	w->anon_vma = ai;
	w->callback = CB_UNKNOWN;
	w->rmap_one = e->rmap_one;
	w->pgoff = e->pgoff;
	w->nr_pages = e->nr_pages;
	w->ns = e->duration_ns;
	w->stopped_early = e->flags & WALK_STOPPED;
	w->nr_visited = w->nr_predicted = w->nr_missed = 0;
	/* Invariant 5 holds the walk to a hierarchy the trace saw built. */
	checkable = ai != NONE && av_checkable(c, ai);

	for (k = 0; k < c->nr_pending; k++) {
		struct pending_visit *p = &c->pending[k];
		const struct vma_node *v;

		if (p->tid != e->hdr.tid) {
			c->pending[keep++] = *p;
			continue;
		}
		/* Sent before this walk began: an earlier walk's, whose end
		 * was lost (its state evicted mid-walk: bpf/rmap_walk.bpf.h). */
		if (p->ts < start) {
			c->stale_visits++;
			continue;
		}
		if (p->v.callback >= CB_FIRST_INVALID) {
			/* rwc->invalid_vma said skip it: a reason, not a visit. */
			if (nr_skipped < 64)
				skipped[nr_skipped++] = p->v.vma;
			continue;
		}
		w->callback = p->v.callback;
		if (walk_add(&w->visited, &w->nr_visited, &w->cap_visited, &p->v) &&
		    p->v.vma != NONE)
			c->vma[p->v.vma].visited = true;
		if (!checkable)
			continue;
		v = p->v.vma != NONE ? &c->vma[p->v.vma] : NULL;
		if (!v || !chain_has(vma_chain(v), v->nr_chain, ai)) {
			if (!nr_bad++)
				snprintf(bad, sizeof(bad),
					 "walk of anon_vma %u (pgoff %llu) visited vma 0x%llx (pid %u), which holds no AVC to it",
					 av_id(c, ai), (unsigned long long)first,
					 (unsigned long long)p->v.vm_start, p->v.pid);
		} else if (!vma_covers(v, first, last)) {
			if (!nr_bad++)
				snprintf(bad, sizeof(bad),
					 "walk of anon_vma %u visited vma 0x%llx-0x%llx (pid %u), whose pgoffs do not cover %llu",
					 av_id(c, ai), (unsigned long long)v->vm_start,
					 (unsigned long long)v->vm_end, p->v.pid,
					 (unsigned long long)first);
		}
	}
	/* The walk read the tree under the root's lock; the collector's view
	 * may lag it by calls of other tasks in flight or whose events come
	 * later (a split whose clone returned after the walk ended): each
	 * such call explains one visit, as for the counters (user/race.c). */
	if (nr_bad)
		race_suspect(c, INV_WALK, root_of(c, ai), nr_bad, start, e->hdr.ts, "%s%s", bad,
			     nr_bad > 1 ? " (and others)" : "");

	/* Predicted: live VMAs chained to the anon_vma that cover the folio. */
	if (ai != NONE) {
		for (uint32_t k = 0; k < c->av[ai].nr_avcs; k++) {
			uint32_t i = av_avcs(&c->av[ai])[k];
			const struct vma_node *v = &c->vma[i];
			struct walk_vma m = { .vma = i, .pid = mm_pid(c, v->mm),
					      .vm_start = v->vm_start };

			if (v->dead || !chain_has(vma_chain(v), v->nr_chain, ai) ||
			    !vma_covers(v, first, last))
				continue;
			w->nr_predicted++;
			if (v->visited)
				continue;
			/* Without a false from an rmap_one, a walk with a done()
			 * test was most likely ended by it: the folio was no
			 * longer mapped where the rest would have looked. */
			m.reason = e->flags & WALK_STOPPED ? "early stop" :
				   e->flags & WALK_HAS_DONE ? "done" : "unknown";
			for (uint32_t j = 0; j < nr_skipped; j++)
				if (skipped[j] == i)
					m.reason = "invalid_vma";
			walk_add(&w->missed, &w->nr_missed, &w->cap_missed, &m);
		}
		walk_cost_add(c, ai, e->duration_ns);
	}
	/* A wide tree's walk visits thousands: marks, not a search per AVC. */
	for (k = 0; k < w->nr_visited; k++)
		if (w->visited[k].vma != NONE)
			c->vma[w->visited[k].vma].visited = false;
	c->nr_pending = keep;
	c->stats.ns_hist[log2_slot(e->duration_ns)]++;
	c->stats.visits_hist[log2_slot(w->nr_visited)]++;
}

static const size_t event_size[EV_TYPE_MAX] = {
	/* vma events: the smallest; the chain's length is checked below */
	[EV_ANON_VMA_PREPARE] = vma_event_size(0),
	[EV_ANON_VMA_FORK] = vma_event_size(0),
	[EV_ANON_VMA_CLONE] = vma_event_size(0),
	[EV_UNLINK_ANON_VMAS] = vma_event_size(0),
	[EV_PUT_ANON_VMA] = sizeof(struct put_event),
	[EV_RMAP_WALK] = sizeof(struct walk_event),
	[EV_FORK] = sizeof(struct task_event),
	[EV_EXIT] = sizeof(struct task_event),
	[EV_RMAP_VISIT] = sizeof(struct visit_event),
	[EV_UNLINK_DONE] = sizeof(struct unlink_done_event),
	[EV_SNAPSHOT_VMA] = vma_event_size(0),
	[EV_RMAP_VISITS] = visits_event_size(1),
	[EV_EXIT_MMAP] = sizeof(struct exit_mmap_event),
	[EV_ANON_VMA_FREE] = sizeof(struct free_event),
	[EV_KSM_RMAP_ITEM] = sizeof(struct ksm_event),
};

int collector_feed(struct collector *c, const void *data, size_t len)
{
	const struct event_hdr *h = data;
	bool applied = true;

	if (c->nr_freed >= c->forget_at)
		collector_forget(c);
	if (len < sizeof(*h) || h->type == 0 || h->type >= EV_TYPE_MAX ||
	    len < event_size[h->type]) {
		c->malformed++;
		return -1;
	}
	if (h->type == EV_ANON_VMA_PREPARE || h->type == EV_ANON_VMA_FORK ||
	    h->type == EV_ANON_VMA_CLONE || h->type == EV_UNLINK_ANON_VMAS ||
	    h->type == EV_SNAPSHOT_VMA) {
		const struct vma_event *e = data;

		/* Reserved in a size class: at least as long as its chain. */
		if (e->nr_chain > MAX_CHAIN || h->size < vma_event_size(e->nr_chain) ||
		    h->size > sizeof(struct vma_event) || len < h->size) {
			c->malformed++;
			return -1;
		}
	} else if (h->type == EV_RMAP_VISITS) {
		const struct visits_event *e = data;

		if (e->nr < 1 || e->nr > VISITS_MAX || h->size != visits_event_size(e->nr) ||
		    len < h->size) {
			c->malformed++;
			return -1;
		}
	} else if (h->type == EV_RMAP_WALK) {
		size_t tail = h->size - sizeof(struct walk_event);

		if (h->size < sizeof(struct walk_event) || len < h->size ||
		    tail % sizeof(struct rmap_visit) ||
		    tail / sizeof(struct rmap_visit) > VISITS_MAX) {
			c->malformed++;
			return -1;
		}
	} else if (h->size != event_size[h->type]) {
		c->malformed++;
		return -1;
	}
	if (!c->events++)
		c->first_ts = h->ts;
	c->cur_tid = h->tid;
	bind_current_mm(c, h);

	switch (h->type) {
	case EV_ANON_VMA_PREPARE:
		on_prepare(c, data);
		break;
	case EV_ANON_VMA_FORK:
		on_fork_vma(c, data);
		break;
	case EV_ANON_VMA_CLONE:
		on_clone(c, data);
		break;
	case EV_UNLINK_ANON_VMAS:
		applied = on_unlink(c, data);
		break;
	case EV_PUT_ANON_VMA:
		applied = on_put(c, data);
		break;
	case EV_RMAP_WALK: {
		const struct walk_event *e = data;

		on_visits(c, h, e->v, (h->size - sizeof(*e)) / sizeof(e->v[0]));
		on_walk(c, e);
		break;
	}
	case EV_RMAP_VISIT:
		on_visit(c, data);
		break;
	case EV_RMAP_VISITS:
		on_visits(c, h, ((const struct visits_event *)data)->v,
			  ((const struct visits_event *)data)->nr);
		break;
	case EV_FORK:
		on_fork(c, data);
		break;
	case EV_EXIT:
		on_exit_event(c, data);
		break;
	case EV_SNAPSHOT_VMA:
		on_snapshot(c, data);
		break;
	case EV_EXIT_MMAP:
		applied = on_exit_mmap(c, data);
		break;
	case EV_ANON_VMA_FREE:
		applied = on_free(c, data);
		break;
	case EV_KSM_RMAP_ITEM:
		applied = on_ksm(c, data);
		break;
	case EV_UNLINK_DONE:
		race_window_end(c, h->tid,
				((const struct unlink_done_event *)data)->entry_ts, h->ts);
		applied = false;
		break;
	}
	race_resolve(c, h->ts, false);
	/* Teardown of objects made before tracing began is not shown. */
	if (c->on_event && applied)
		c->on_event(c, h, c->cb_ctx);
	return 0;
}
