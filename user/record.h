/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Recordings: everything the collector was fed, in the order it was fed,
 * so that a replay rebuilds, checks and reports exactly as the live run.
 *
 * File: a header, then records. All integers little-endian.
 *   header  "RMAPTRC\0", u32 version (1), u32 header size (104),
 *           char release[65] (uname -r of the traced kernel, NUL padded),
 *           3 bytes pad, u32 features (REC_FEAT_*), u32 pad, u64 created
 *           (CLOCK_REALTIME ns)
 *   record  u32 kind (REC_*), u32 length of the payload, payload
 * A recording that ends without REC_END was cut short (Ctrl-C cannot cut
 * it: the tool writes REC_END on the way out; a crash or a full disk can).
 */
#ifndef RECORD_H
#define RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "collector.h"

#define REC_MAGIC	"RMAPTRC"
#define REC_VERSION	1
#define REC_MAX_PAYLOAD	(1u << 16)	/* larger than any event */

enum rec_kind {
	REC_EVENT = 1,		/* one raw event (struct event_hdr ...) */
	REC_LOST,		/* u64: events the ring buffer dropped */
	REC_PROCESS,		/* u32: a pid traced from the start */
	REC_SNAPSHOT_DONE,	/* the attach snapshot has been fed */
	REC_END,		/* tracing ended and the file is whole */
	REC_KIND_MAX,
};

#define REC_FEAT_NUM_CHILDREN	(1u << 0)
#define REC_FEAT_TASK_VMA_ITER	(1u << 1)
#define REC_FEAT_KPROBES	(1u << 2)
#define REC_FEAT_ANON_VMA_FREE	(1u << 3)	/* EV_ANON_VMA_FREE: roots' frees */
#define REC_FEAT_KSM		(1u << 4)	/* EV_KSM_RMAP_ITEM: KSM's references */

struct rec_header {
	char magic[8];
	uint32_t version, size;
	char release[65];
	char pad[3];
	uint32_t features, pad2;
	uint64_t created;
};

struct recorder {
	FILE *f;
	uint64_t bytes;
	int err;		/* errno of the first failed write, then silent */
};

/* Create path (mode 0600, not following a symlink over an existing file). */
int recorder_open(struct recorder *r, const char *path, const char *release,
		  uint32_t features, char *err, size_t len);
void recorder_put(struct recorder *r, uint32_t kind, const void *p, uint32_t len);
/* Write REC_END and close; returns 0 or the errno that stopped recording. */
int recorder_close(struct recorder *r);

struct replay_info {
	struct rec_header hdr;
	uint64_t records;
	bool ended;		/* REC_END seen */
};

/*
 * Feed a recording to c. Returns 0 when it was whole; -1 with a one-line
 * reason naming the offset in err when it is not a recording, is of
 * another version, or holds a malformed record (what came before it has
 * been fed). on_event, when set, is the collector's own callback.
 */
int replay_stream(FILE *f, struct collector *c, struct replay_info *info,
		  char *err, size_t len);

#endif
