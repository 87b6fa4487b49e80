/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Events rmaptrace's BPF programs send to user space. Both sides include
 * this header: the BPF side after vmlinux.h, user space after
 * <linux/types.h>. Layouts are fixed-width so that a recording made on one
 * machine replays on another.
 */
#ifndef RMAPTRACE_H
#define RMAPTRACE_H

#define TASK_COMM_LEN	16
/* Longest vma->anon_vma_chain copied per event: a fork chain N generations
 * deep gives the youngest VMA N+1 AVCs. Longer chains are cut and flagged. */
#define MAX_CHAIN	128

enum rmap_event_type {
	EV_ANON_VMA_PREPARE = 1,	/* fexit __anon_vma_prepare(vma) */
	EV_ANON_VMA_FORK,		/* fexit anon_vma_fork(vma, pvma) */
	EV_ANON_VMA_CLONE,		/* fexit anon_vma_clone(dst, src) */
	EV_UNLINK_ANON_VMAS,		/* fentry unlink_anon_vmas(vma) */
	EV_PUT_ANON_VMA,		/* fentry __put_anon_vma(anon_vma) */
	EV_RMAP_WALK,			/* fexit rmap_walk_anon(folio, rwc, locked) */
	EV_FORK,			/* tp sched_process_fork, new thread group */
	EV_EXIT,			/* tp sched_process_exit, group leader */
	EV_RMAP_VISIT,			/* fexit of an rmap_one or invalid_vma callback */
	EV_UNLINK_DONE,			/* fexit unlink_anon_vmas(vma) or exit_mmap(mm) */
	EV_SNAPSHOT_VMA,		/* iter/task_vma at attach: a VMA as it is */
	EV_RMAP_VISITS,			/* the visits of a walk, gathered (struct visits_event) */
	EV_EXIT_MMAP,			/* fentry exit_mmap(mm): all of mm's VMAs go */
	EV_ANON_VMA_FREE,		/* tp kmem_cache_free of a traced anon_vma */
	EV_KSM_RMAP_ITEM,		/* a KSM rmap_item takes or drops an anon_vma reference */
	EV_TYPE_MAX,
};

/* Which counters the running kernel has (struct anon_vma_snap.flags). */
#define SNAP_VALID		(1u << 0)
#define SNAP_HAS_NUM_CHILDREN	(1u << 1)	/* and num_active_vmas, 6.2+ */
#define SNAP_HAS_DEGREE		(1u << 2)	/* older kernels */

/* A struct anon_vma as the kernel had it when the event fired. */
struct anon_vma_snap {
	__u64 anon_vma;
	__u64 root;
	__u64 parent;
	__u32 refcount;
	__u32 num_children;	/* degree where SNAP_HAS_DEGREE */
	__u32 num_active_vmas;
	__u32 flags;
	__u64 read_ts;		/* the fields were read in [hdr.ts, read_ts] */
};

struct event_hdr {
	__u64 ts;		/* bpf_ktime_get_ns() */
	__u32 type;		/* enum rmap_event_type */
	__u32 size;		/* of the whole event, header included */
	__u32 pid;		/* tgid of current */
	__u32 tid;
	__u64 mm;		/* current->mm, 0 for kernel threads */
	char comm[TASK_COMM_LEN];
};

struct vma_info {
	__u64 vma;
	__u64 mm;		/* vma->vm_mm */
	__u64 vm_start;
	__u64 vm_end;
	__u64 vm_pgoff;
	__u64 anon_vma;		/* vma->anon_vma */
};

/*
 * EV_ANON_VMA_PREPARE, _FORK, _CLONE (after the call),
 * EV_UNLINK_ANON_VMAS (before it) and EV_SNAPSHOT_VMA (hdr names the task
 * iterated, not current): the VMA, the anon_vma it owns and that
 * one's parent, and every anon_vma its chain links it to.
 */
struct vma_event {
	struct event_hdr hdr;
	__s32 ret;		/* 0 or -errno; 0 for unlink */
	__u32 nr_chain;		/* entries in chain[] */
	__u32 chain_truncated;	/* the list went on past MAX_CHAIN */
	__u32 pad;
	/* When the call began (unlink: hdr.ts). The kernel changed the
	 * counters somewhere in [entry_ts, end of call], under the root's
	 * lock; another task's reading inside that window may see either
	 * side of the change. 0 when unknown. */
	__u64 entry_ts;
	struct vma_info vma;
	struct vma_info src;	/* pvma for fork, src for clone; else zero */
	struct anon_vma_snap av;	/* vma->anon_vma */
	struct anon_vma_snap parent;	/* vma->anon_vma->parent */
	__u64 chain[MAX_CHAIN];	/* avc->anon_vma along vma->anon_vma_chain */
};

/* The bytes a vma_event needs for nr_chain entries; hdr.size may be more
 * (the BPF side reserves in size classes), never less. */
#define vma_event_size(nr_chain) \
	(offsetof(struct vma_event, chain) + (__u64)(nr_chain) * sizeof(__u64))

/* EV_PUT_ANON_VMA: the last reference is going; root may go with it. */
struct put_event {
	struct event_hdr hdr;
	struct anon_vma_snap av;
	struct anon_vma_snap root;
};

/*
 * EV_ANON_VMA_FREE: a traced anon_vma went back to the slab without a
 * __put_anon_vma of its own: a root, freed inline by the put of its last
 * child (mm/rmap.c, __put_anon_vma: atomic_dec_and_test(&root->refcount)).
 * Which put's decrement is the last cannot be told at the puts' entries:
 * two children's puts, or a put and a walk's folio_get_anon_vma, race on
 * the count. The slab's free is the fact.
 */
struct free_event {
	struct event_hdr hdr;
	__u64 anon_vma;
};

/*
 * EV_KSM_RMAP_ITEM: a stable KSM rmap_item holds a reference on the
 * anon_vma of the VMA its page was merged in, which outlives the process:
 * mm/ksm.c takes it in try_to_merge_with_ksm_page (get_anon_vma) and
 * drops it in remove_rmap_item_from_tree and remove_node_from_stable_tree
 * (put_anon_vma), when ksmd next meets the item, after the mm has gone.
 */
enum ksm_op { KSM_GET = 1, KSM_PUT };

struct ksm_event {
	struct event_hdr hdr;
	__u64 anon_vma;
	__u64 rmap_item;
	__u32 op;		/* enum ksm_op */
	__u32 pad;
};

/* The rmap_one callbacks rmaptrace knows by name. user/attach.c attaches
 * one program per callback the kernel has; the index is its name. */
enum rmap_callback {
	CB_UNKNOWN,
	CB_TRY_TO_MIGRATE_ONE,
	CB_REMOVE_MIGRATION_PTE,
	CB_TRY_TO_UNMAP_ONE,
	CB_FOLIO_REFERENCED_ONE,
	CB_PAGE_IDLE_CLEAR_PTE_REFS_ONE,
	CB_DAMON_FOLIO_MKOLD_ONE,
	CB_DAMON_FOLIO_YOUNG_ONE,
	CB_PAGE_MKCLEAN_ONE,
	CB_PAGE_MAKE_DEVICE_EXCLUSIVE_ONE,
	/* rwc->invalid_vma callbacks: a true return skips the VMA */
	CB_INVALID_MIGRATION_VMA,
	CB_INVALID_FOLIO_REFERENCED_VMA,
	CB_MAX,
};
#define CB_FIRST_INVALID	CB_INVALID_MIGRATION_VMA

/* walk_event.flags */
#define WALK_STOPPED	1	/* an rmap_one returned false: the walk ended there */
#define WALK_HAS_DONE	2	/* rwc->done was set: the walk ends as soon as it
				 * says the folio is done (try_to_unmap and
				 * try_to_migrate: no longer mapped anywhere) */


/* EV_RMAP_VISIT: one callback on one VMA during a traced walk. Recordings
 * before EV_RMAP_VISITS have these; rmaptrace now sends visits_event. */
struct visit_event {
	struct event_hdr hdr;
	struct vma_info vma;
	__u64 address;		/* user address of the folio in vma */
	__u32 callback;		/* enum rmap_callback */
	__u32 ret;		/* the callback's return value */
};

/* EV_RMAP_VISITS: VISITS_MAX callbacks of one traced walk, gathered in
 * the walk's state and sent together as soon as that many have gathered
 * (the rest go with EV_RMAP_WALK): a ring buffer event per VMA visited
 * was most of a walk's cost. hdr.size covers v[0..nr) only; recordings
 * made before walk_event had v[] send any nr here. */
#define VISITS_MAX	16
struct rmap_visit {
	struct vma_info vma;
	__u64 address;		/* user address of the folio in vma */
	__u32 callback;		/* enum rmap_callback */
	__u32 ret;		/* the callback's return value */
};

struct visits_event {
	struct event_hdr hdr;
	__u32 nr;
	__u32 pad;
	struct rmap_visit v[VISITS_MAX];
};

#define visits_event_size(nr) \
	(offsetof(struct visits_event, v) + (__u64)(nr) * sizeof(struct rmap_visit))

/* EV_RMAP_WALK, after the walk. Its visits came before it (same tid) in
 * EV_RMAP_VISITS, but for the last up to VISITS_MAX, which follow it in
 * v[] (hdr.size says how many): one ring buffer event per walk instead
 * of two, as most walks visit fewer. Recordings before that have no v[]. */
struct walk_event {
	struct event_hdr hdr;
	__u64 anon_vma;		/* folio_anon_vma(folio) */
	__u64 pgoff;		/* folio->index */
	__u64 nr_pages;
	__u64 rmap_one;		/* rwc->rmap_one, a kernel text address */
	__u64 duration_ns;
	__u32 nr_visits;	/* callbacks seen in this walk */
	__u32 flags;		/* WALK_* */
	struct rmap_visit v[];	/* the walk's last visits */
};

#define walk_event_size(nr) \
	(sizeof(struct walk_event) + (__u64)(nr) * sizeof(struct rmap_visit))

/* EV_UNLINK_DONE: the unlink this task began at entry_ts is complete,
 * or the exit_mmap (every unlink of that teardown). */
struct unlink_done_event {
	struct event_hdr hdr;
	__u64 entry_ts;
};

/*
 * EV_EXIT_MMAP: exit_mmap(mm) begins, at hdr.ts. Every VMA of mm is
 * unlinked inside it, and no EV_UNLINK_ANON_VMAS comes for them: the
 * collector has their chains. The puts come as ever; EV_UNLINK_DONE with
 * entry_ts hdr.ts ends it. hdr.mm is current's, not mm (0 at exit).
 */
struct exit_mmap_event {
	struct event_hdr hdr;
	__u64 mm;
};

/* EV_FORK and EV_EXIT */
struct task_event {
	struct event_hdr hdr;
	__u32 child_pid;	/* EV_FORK: tgid of the new process */
	__u32 exit_code;
	__u64 child_mm;		/* EV_FORK: its mm */
	char child_comm[TASK_COMM_LEN];
};

#endif /* RMAPTRACE_H */
