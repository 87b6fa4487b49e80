/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ATTACH_H
#define ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_LINKS 48

struct rmaptrace_bpf;
struct bpf_link;

struct rmaptrace_ctx {
	struct rmaptrace_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	int nr_links;
};

struct attach_opts {
	uint32_t pid;		/* trace this tgid from now on */
	uint32_t ringbuf_bytes;	/* 0: the object's default */
	bool verbose;		/* say how each hook attached */
	bool kprobes;		/* kprobe/kretprobe even where fentry works */
};

/* Privileges, lockdown and BTF, before anything is loaded. */
int rmaptrace_preflight(char *err, size_t len);

int rmaptrace_open(struct rmaptrace_ctx *ctx, const struct attach_opts *o,
		   char *err, size_t len);
void rmaptrace_close(struct rmaptrace_ctx *ctx);
int rmaptrace_events_fd(struct rmaptrace_ctx *ctx);
uint64_t rmaptrace_lost(struct rmaptrace_ctx *ctx);
bool rmaptrace_has_num_children(void);

#endif
