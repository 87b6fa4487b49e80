/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ATTACH_H
#define ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINKS 48

struct rmaptrace_bpf;
struct bpf_link;

struct rmaptrace_ctx {
	struct rmaptrace_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	bool link_is_kprobe[MAX_LINKS];	/* has a missed count to read */
	int nr_links;
	bool has_task_vma_iter;	/* the kernel can take a snapshot */
	bool has_cmpxchg;	/* BPF atomics (5.12+): the object that uses them */
	bool has_free_events;	/* EV_ANON_VMA_FREE: roots' inline frees seen */
	bool has_ksm_events;	/* EV_KSM_RMAP_ITEM: KSM's references seen */
};

struct attach_opts {
	uint32_t pid;		/* trace this tgid from now on */
	uint32_t ringbuf_bytes;	/* 0: the object's default */
	bool verbose;		/* say how each hook attached */
	bool kprobes;		/* kprobe/kretprobe even where fentry works */
	bool unlink_each;	/* no exit_mmap hooks: an event per VMA at exit */
};

/* Privileges, lockdown and BTF, before anything is loaded. */
int rmaptrace_preflight(char *err, size_t len);

int rmaptrace_open(struct rmaptrace_ctx *ctx, const struct attach_opts *o,
		   char *err, size_t len);
void rmaptrace_close(struct rmaptrace_ctx *ctx);

/* Trace pid too (a process that existed before attaching). */
int rmaptrace_add_pid(struct rmaptrace_ctx *ctx, uint32_t pid);

/* Every VMA of the traced processes as it stands, through the task_vma
 * iterator: cb gets one EV_SNAPSHOT_VMA record at a time. Returns the
 * number of records, -EOPNOTSUPP without the iterator, or -errno. */
int rmaptrace_snapshot(struct rmaptrace_ctx *ctx,
		       int (*cb)(const void *rec, size_t len, void *arg), void *arg);
int rmaptrace_events_fd(struct rmaptrace_ctx *ctx);
/* Events dropped (ring buffer full) plus program runs the kernel skipped. */
uint64_t rmaptrace_lost(struct rmaptrace_ctx *ctx);
/* Program runs skipped; with list, one line per program that had any. */
uint64_t rmaptrace_misses(struct rmaptrace_ctx *ctx, FILE *list);
bool rmaptrace_has_num_children(void);
/* Calls whose entry time went to the stash map, its slot being taken. */
uint64_t rmaptrace_stash_fallbacks(struct rmaptrace_ctx *ctx);
/* Thread groups traced and not yet exited, as the BPF side holds them. */
void rmaptrace_traced_tgids(struct rmaptrace_ctx *ctx, uint64_t *table, uint64_t *map);
/* Traced anon_vmas not yet put, as the BPF side holds them. */
void rmaptrace_traced_anon_vmas(struct rmaptrace_ctx *ctx, uint64_t *table,
				uint64_t *map);

/* A test hook set: NAME=VALUE in the environment. */
static inline bool env_is(const char *name, const char *value)
{
	const char *v = getenv(name);

	return v && !strcmp(v, value);
}

/* The BPF object built without cmpxchg (user/noatomic.c). */
const void *rmaptrace_noatomic_elf(size_t *sz);

#endif
