/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The collector rebuilds the anon_vma / anon_vma_chain hierarchy from
 * rmaptrace events. It knows nothing of libbpf: a source (the ring buffer,
 * a recording, a unit test) hands it raw events one at a time.
 */
#ifndef COLLECTOR_H
#define COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "rmaptrace.h"
#include "nodes.h"
#include "ptrmap.h"
#include "holders.h"

#define NONE UINT32_MAX

/* Grow a (pointer, count, capacity) array to hold one more; 0 on ENOMEM. */
#define GROW(arr, nr, cap)						\
	({								\
		int __ok = 1;						\
		if ((nr) == (cap)) {					\
			size_t __n = (cap) ? (cap) * 2 : 64;		\
			void *__p = realloc((arr), __n * sizeof(*(arr)));	\
			if (__p) {					\
				(arr) = __p;				\
				(cap) = __n;				\
			} else {					\
				__ok = 0;				\
			}						\
		}							\
		__ok;							\
	})

enum av_origin {
	ORIGIN_UNKNOWN,		/* first seen already made (attach, lost events) */
	ORIGIN_PREPARE,		/* allocated by __anon_vma_prepare: a new root */
	ORIGIN_FORK,		/* allocated by anon_vma_fork */
	ORIGIN_SNAPSHOT,	/* found by the snapshot at attach */
};

/* Counters as the kernel reported them and as the collector derives them. */
struct av_counters {
	uint32_t num_children, num_active_vmas;
};

struct anon_vma_node {
	uint64_t ptr;
	uint64_t vm_start;	/* the VMA it was made for */
	/* The VMAs of the AVCs linking it (its interval tree): what a walk
	 * visits; av_avcs(). Two fit in place, which most anon_vmas of a fork
	 * tree need: a malloc'd list for each was a sixth of a replay's time.
	 * A malloc'd list's capacity follows from nr_avcs: avc_cap(). */
	union {
		uint32_t *heap;
		uint32_t in[2];
	} avcs;
	uint32_t nr_avcs;
	uint32_t root, parent;	/* node indices; NONE when never seen */
	uint32_t mm;		/* the address space it was made for */
	uint32_t reused;	/* times anon_vma_clone reused it on fork */
	uint32_t nr_live_children;	/* children whose tree is non-empty */
	uint32_t nr_active;	/* VMAs with vma->anon_vma == this */
	uint32_t refcount;	/* last kernel reading */
	struct av_counters kernel, kernel_max, derived_max;
	/* Shown to users (av_id): 1-based, in the order the trace saw them.
	 * Not the index: a forgotten node is reused for the next anon_vma. */
	uint32_t id;
	uint8_t origin;		/* enum av_origin */
	uint8_t snap_flags;
	/* Bits, to keep the node at 88 bytes with the id. */
	bool freed : 1;
	bool avcs_heap : 1;	/* avcs.heap is in use */
	bool have_kernel : 1;	/* at least one snapshot read */
	/* Part of its history or hierarchy is out of sight (a snapshot node
	 * whose counters the traced VMAs do not account for): not checked. */
	bool partial : 1;
	/* Freed and dropped from the report (collector.keep_freed): the node
	 * is free, and parent names the next free one (collector.av_free). */
	bool forgotten : 1;
};
_Static_assert(sizeof(struct anon_vma_node) == 88, "anon_vma_node grew");
/* One per anon_vma rmap walks went through (--hist): few, so kept aside. */
struct walk_cost {
	uint32_t anon_vma;
	uint64_t walks, ns;	/* rmap walks on it, their total time */
};

struct vma_node {
	uint64_t ptr;
	uint64_t vm_start, vm_end, vm_pgoff;
	/* Node indices, one per AVC: vma_chain(). Two in place (a child of
	 * a root's VMA has two AVCs), more malloc'd once cap_chain > 2,
	 * followed in that block by their positions (vma_avc_pos). */
	union {
		uint32_t *heap;
		uint32_t in[2];
	} chain;
	/* Where each AVC is in its anon_vma's list (av_avcs), so that an
	 * unlink finds it without a search of a list as long as the tree
	 * is wide; checked before use, searched for when it is not so. */
	uint32_t avc_pos_in[2];
	uint32_t mm;
	uint32_t anon_vma;	/* node index of vma->anon_vma, or NONE */
	/* Once dead: what it was linked to when unmapped, for pictures:
	 * its anon_vma, and chain[0..nr_last_chain) keeps its AVCs'. A dead
	 * node no picture will draw is free for the next VMA instead, and
	 * this names the next free one (collector.vma_free). */
	uint32_t last_anon_vma;
	/* Its mm's other live VMAs (mm_node.vmas), while mm_listed: the
	 * VMAs an exit_mmap takes down, found without a search. */
	uint32_t mm_next, mm_prev;
	/* The chain counts are at most MAX_CHAIN: bytes, which keep the
	 * node at 80 bytes with the positions. */
	uint8_t nr_chain, cap_chain, nr_last_chain;
	bool dead;
	bool visited;		/* by the walk on_walk is judging (in padding) */
	bool mm_listed;
};
_Static_assert(sizeof(struct vma_node) == 80, "vma_node grew");
_Static_assert(MAX_CHAIN <= UINT8_MAX, "vma_node's chain counts are bytes");
struct mm_node {
	uint64_t ptr;
	uint32_t pid;		/* 0 while a fork has not named it yet */
	uint32_t forked_by;	/* pid running the fork that made it */
	uint32_t next_of_pid;	/* the pid's previous mm (exec), or NONE */
	uint32_t vmas;		/* a live VMA of it (vma_node.mm_next), or NONE */
	char comm[TASK_COMM_LEN];
};

struct proc_node {
	uint32_t pid, ppid;
	bool exited;
};

enum {
	INV_ROOT = 1,		/* 1: root/parent links */
	INV_NUM_CHILDREN,	/* 2 */
	INV_NUM_ACTIVE_VMAS,	/* 3 */
	INV_VMA_AVC,		/* 4 */
	INV_WALK,		/* 5 */
	INV_FREED,		/* 6 */
	INV_REUSE,		/* 7 */
};

struct violation {
	int invariant;
	uint64_t ts;
	char msg[240];
};

/* A VMA an rmap walk reached, or was expected to. */
struct walk_vma {
	uint32_t vma;		/* node index */
	uint32_t pid;
	uint64_t vm_start;
	uint64_t address;
	uint32_t callback;	/* enum rmap_callback */
	const char *reason;	/* why a predicted VMA was not visited */
};

/* The walk just completed, with its visits held against the hierarchy. */
struct walk_result {
	uint32_t anon_vma;	/* node index, NONE if not traced */
	uint32_t callback;	/* enum rmap_callback; CB_UNKNOWN if none ran */
	uint64_t rmap_one;	/* rwc->rmap_one when no callback ran */
	uint64_t pgoff, nr_pages, ns;
	bool stopped_early;
	uint32_t nr_visited, nr_predicted, nr_missed;
	struct walk_vma *visited, *missed;
	uint32_t cap_visited, cap_missed;
};

/* Pending visits: they arrive before their walk's event, from one task. */
struct pending_visit {
	uint64_t ts;		/* of the event that brought it */
	uint32_t tid;
	struct walk_vma v;
	uint32_t ret;
};

/*
 * Counters are read without the root's lock, so a reading can fall inside
 * another task's change to the same hierarchy, and the ring buffer's order
 * need not be the lock's. A difference is held as a suspect until the
 * stream has moved HORIZON past it, then explained by the other tasks'
 * calls that overlapped the reading or came through the stream on the
 * other side of it than in time, or reported.
 */
#define RACE_HORIZON_NS	1000000000ull

struct op_window {
	uint32_t root, tid;	/* the hierarchy changed, by whom */
	uint64_t t0, t1;	/* t1 UINT64_MAX while the call runs */
	uint64_t seq;		/* applied at the seq-th event of the stream */
};

struct suspect {
	uint32_t root, tid, diff;
	int invariant;
	uint64_t ts, read_ts;	/* the reading happened in [ts, read_ts] */
	uint64_t seq;		/* compared at the seq-th event */
	char msg[200];
};

/* log2 histograms and per-anon_vma walk cost (--hist). */
#define HIST_SLOTS 40
struct walk_stats {
	uint64_t ns_hist[HIST_SLOTS];
	uint64_t visits_hist[HIST_SLOTS];
};

struct collector;
typedef void (*event_cb)(struct collector *c, const struct event_hdr *h,
			 void *ctx);

struct collector {
	struct anon_vma_node *av;
	size_t nr_av, cap_av;
	struct vma_node *vma;
	size_t nr_vma, cap_vma;
	/* Dead VMAs' nodes are kept for --dot, which draws them; else they
	 * are reused (a long trace's VMAs were half its memory, and fresh
	 * nodes' pages cost a fault each). Set before the first event. */
	bool keep_dead_vmas;
	uint32_t vma_free;	/* a dead node to reuse, NONE; its last_anon_vma the next */
	/* Freed anon_vmas the final report keeps, 0 for all. Once twice as
	 * many are kept, the oldest freed ones no other node, VMA, walk or
	 * race window refers to are forgotten and their nodes reused: a long
	 * trace's memory is then what is alive, not all it ever saw.
	 * Set before the first event; --dot keeps all (it draws them). */
	size_t keep_freed;
	size_t nr_freed;	/* freed and kept */
	size_t forget_at;	/* nr_freed that starts the next forgetting */
	uint64_t forgotten;	/* anon_vmas forgotten so far */
	uint32_t av_free;	/* a forgotten node to reuse, NONE */
	uint32_t nr_ids;	/* the last av id given */
	/* What the forgotten add to the hierarchies' shape (report.c):
	 * the deepest of them, the most children of a forgotten one, and
	 * per kept node (index + 2) its forgotten children. */
	uint32_t forgotten_depth, forgotten_width;
	struct ptrmap forgotten_kids;
	uint64_t *forget_buf;	/* a round's scratch (forget.c) */
	size_t cap_forget_buf;
	bool av_mapped, vma_mapped;	/* reserved address space (nodes.h) */
	size_t av_ready, vma_ready;	/* nodes whose pages are populated */
	struct mm_node *mm;
	size_t nr_mm, cap_mm;
	struct proc_node *proc;
	size_t nr_proc, cap_proc;
	struct ptrmap av_map, vma_map, mm_map;
	struct ptrmap pid_map;	/* pid -> its newest proc_node */
	struct ptrmap pid_mms;	/* pid -> its newest mm_node, then next_of_pid */
	size_t nr_live_proc;
	/* Events come in runs from one task: the last header's mm and tgid,
	 * the mm node they were bound to, valid while mm_gen (bumped at every
	 * change of mm_map or pid_map) is what it was then. */
	uint64_t bound_mm, bound_gen, mm_gen;
	uint32_t bound_pid, bound;

	struct violation *viol;
	size_t nr_viol, cap_viol;

	uint64_t events, lost, malformed, truncated_chains, walks;
	uint64_t stale_visits;	/* visits of a walk whose end never came */
	uint64_t first_ts;
	uint32_t snap_flags;	/* union over all snapshots: what the kernel has */

	struct pending_visit *pending;
	size_t nr_pending, cap_pending;
	struct walk_result walk;	/* the last EV_RMAP_WALK */
	struct walk_stats stats;
	struct walk_cost *wcost;
	size_t nr_wcost, cap_wcost;
	struct ptrmap wcost_map;	/* anon_vma node index -> wcost index */

	/* win[win_head..nr_win) are the windows kept, in about the order
	 * their calls began; win_base + k names win[k] while it is kept. */
	struct op_window *win;
	size_t nr_win, cap_win, win_head, win_ready;
	bool win_mapped;
	uint64_t win_base;
	struct ptrmap open_win;	/* tid -> the name of its window still open (unlink) */
	struct suspect *sus;
	size_t nr_sus, cap_sus;
	uint64_t explained;	/* differences explained by overlapping calls */
	/* Unlinks of VMAs never seen linked whose anon_vma the trace knows:
	 * a creation the trace missed (or one made before it began, with -p
	 * where there is no snapshot). */
	uint64_t unseen_unlinks;
	/* The stream reports a root's inline free as EV_ANON_VMA_FREE (set
	 * before the first event: REC_FEAT_ANON_VMA_FREE, or the hook
	 * attached); else a put frees the root it read at refcount 1. */
	bool free_events;
	/* KSM's references are seen (REC_FEAT_KSM, or the hooks attached). */
	bool ksm_events;
	struct holders holds;
	/* Nodes retired because an event showed their address as another
	 * anon_vma (other root or parent): a free the trace did not see. */
	uint64_t unseen_frees;
	/* VMAs the last EV_EXIT_MMAP took down, for on_event; and all. */
	uint32_t exit_mmap_vmas;
	uint64_t exit_mmaps;
	uint64_t untrusted_viol;	/* found, then dropped: events were lost */
	uint64_t last_resolve;
	uint32_t cur_tid;	/* of the event being applied */
	/* The node the last put freed: its pointer is out of av_map by the
	 * time on_event reports the put. */
	uint32_t last_freed;

	event_cb on_event;	/* after each event is applied */
	void *cb_ctx;
};

int collector_init(struct collector *c);
void collector_free(struct collector *c);

/* rmaptrace's --keep-freed default: some 6 MiB of nodes. */
#define KEEP_FREED_DEFAULT 65536

/* Keep at most about n freed anon_vmas for the report (0: all of them);
 * user/forget.c. Before the first event. */
void collector_keep_freed(struct collector *c, size_t n);
/* A round of forgetting: collector_feed starts one when it is due. */
void collector_forget(struct collector *c);

/* Apply one raw event. Returns 0, or -1 when it is malformed (counted). */
int collector_feed(struct collector *c, const void *data, size_t len);

/* The source reports events it could not deliver. */
void collector_lost(struct collector *c, uint64_t n);

/* A process traced from the start (-p PID, the CMD child). */
void collector_add_process(struct collector *c, uint32_t pid);

/* The snapshot's records have all been fed: decide which of the
 * hierarchies it found are whole. Returns how many anon_vmas are not. */
uint32_t collector_snapshot_done(struct collector *c);

/* Every traced process has exited. */
bool collector_all_exited(const struct collector *c);

/* Up to max pids of traced processes whose exit has not been seen;
 * returns how many there are. */
size_t collector_live_pids(const struct collector *c, uint32_t *out, size_t max);

/* End-of-trace checks (invariants 1, 4 and 6); the per-event ones
 * (2, 3, 4 at fork, 7) were made as events arrived. */
void collector_finish(struct collector *c);

void collector_violation(struct collector *c, int inv, uint64_t ts,
			 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Invariant 1 for node i (user/check.c): at the end, or when forgotten. */
void check_links_of(struct collector *c, uint32_t i);

/* Anon_vmas from the root down to node i along parent links (1 for a
 * root); 0 when the links loop. */
uint32_t av_depth(const struct collector *c, uint32_t i);

/* Derived counters, from the collector's own view of AVCs and VMAs. */
struct av_counters anon_vma_derived(const struct collector *c, uint32_t i);

uint32_t log2_slot(uint64_t v);

/* user/race.c */
uint32_t root_of(const struct collector *c, uint32_t i);
void race_window(struct collector *c, uint32_t root, uint64_t t0, uint64_t t1);
void race_window_end(struct collector *c, uint32_t tid, uint64_t t0, uint64_t t1);
void race_suspect(struct collector *c, int inv, uint32_t root, uint32_t diff,
		  uint64_t ts, uint64_t read_ts, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
void race_resolve(struct collector *c, uint64_t now, bool all);
/* Calls whose start was seen and whose end was not (EV_UNLINK_DONE
 * missing): 0 at the end of a trace whose tasks are all done. */
size_t race_open_windows(const struct collector *c);

/* The kernel function behind an enum rmap_callback. */
const char *rmap_callback_name(unsigned int cb);

/* Counters and lifetime of anon_vma i are ours to check. */
static inline bool av_checkable(const struct collector *c, uint32_t i)
{
	return c->av[i].origin != ORIGIN_UNKNOWN && !c->av[i].partial && !c->lost;
}

/* The malloc'd block of a list, or NULL while the list is in place. */
static inline uint32_t *av_avcs_block(const struct anon_vma_node *a)
{
	return a->avcs_heap ? a->avcs.heap : NULL;
}

static inline uint32_t *vma_chain_block(const struct vma_node *v)
{
	return v->cap_chain > 2 ? v->chain.heap : NULL;
}

static inline uint32_t *vma_avc_pos(struct vma_node *v)
{
	return vma_chain_block(v) ? v->chain.heap + v->cap_chain : v->avc_pos_in;
}

static inline uint32_t *av_avcs(const struct anon_vma_node *a)
{
	return av_avcs_block(a) ?: (uint32_t *)a->avcs.in;
}

static inline uint32_t *vma_chain(const struct vma_node *v)
{
	return vma_chain_block(v) ?: (uint32_t *)v->chain.in;
}

/* Ids shown to users: small integers, 1-based, never kernel addresses. */
static inline uint32_t av_id(const struct collector *c, uint32_t i)
{
	return i == NONE ? 0 : c->av[i].id;
}

/* The anon_vmas kept (not forgotten), in id order: node indices, *n of
 * them. NULL when out of memory. */
uint32_t *av_by_id(const struct collector *c, size_t *n);

/* Children of kept node i that were forgotten. */
uint32_t av_forgotten_kids(const struct collector *c, uint32_t i);

uint32_t mm_pid(const struct collector *c, uint32_t mm);

/* The process an anon_vma serves, or NULL. */
const struct mm_node *anon_vma_owner(const struct collector *c, uint32_t i);

#endif
