// SPDX-License-Identifier: GPL-2.0
/* Writing and reading recordings (format in record.h). No libbpf. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "record.h"

_Static_assert(sizeof(struct rec_header) == 104, "recording header layout");

int recorder_open(struct recorder *r, const char *path, const char *release,
		  uint32_t features, char *err, size_t len)
{
	struct rec_header h = { .magic = REC_MAGIC, .version = REC_VERSION,
				.size = sizeof(h), .features = features };
	struct timespec ts;
	int fd;

	memset(r, 0, sizeof(*r));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || !(r->f = fdopen(fd, "w"))) {
		snprintf(err, len, "cannot create %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* An existing file keeps its mode through O_TRUNC: make it private. */
	fchmod(fd, 0600);
	strncpy(h.release, release, sizeof(h.release) - 1);
	clock_gettime(CLOCK_REALTIME, &ts);
	h.created = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	if (fwrite(&h, sizeof(h), 1, r->f) != 1 || fflush(r->f)) {
		snprintf(err, len, "cannot write %s: %s", path, strerror(errno));
		fclose(r->f);
		r->f = NULL;
		return -1;
	}
	r->bytes = sizeof(h);
	return 0;
}

void recorder_put(struct recorder *r, uint32_t kind, const void *p, uint32_t len)
{
	uint32_t head[2] = { kind, len };

	if (!r->f || r->err)
		return;
	/* A record is written whole or, on error, cut: replay stops there. */
	if (fwrite(head, sizeof(head), 1, r->f) != 1 ||
	    (len && fwrite(p, len, 1, r->f) != 1)) {
		r->err = errno ? errno : EIO;
		return;
	}
	r->bytes += sizeof(head) + len;
}

int recorder_close(struct recorder *r)
{
	if (!r->f)
		return 0;
	recorder_put(r, REC_END, NULL, 0);
	if (fflush(r->f) && !r->err)
		r->err = errno;
	if (fclose(r->f) && !r->err)
		r->err = errno;
	r->f = NULL;
	return r->err;
}

/*
 * Where the records come from: any stream, read in large blocks into one
 * buffer that stays in the cache, records handed out in place. A mapped
 * file was slower here: the records' first touch through the mapping (a
 * TLB miss and a populated page every 4 KiB, costly in a VM) was a
 * quarter of a replay; read() copies from the page cache through the
 * kernel's direct map.
 */
struct rec_src {
	FILE *f;
	unsigned char *blk;	/* SRC_BLOCK + REC_MAX_PAYLOAD bytes */
	size_t len, at;		/* blk[at, len) not handed out yet */
	unsigned char *buf;	/* a record copied to 8-byte alignment */
};

#define SRC_BLOCK	(256u << 10)

/* The next n bytes, or NULL with *got set to what was there. */
static const void *src_next(struct rec_src *s, size_t n, size_t *got)
{
	const unsigned char *p;

	if (s->len - s->at < n) {
		/* The rest goes to the block's start: an 8-byte record head
		 * there leaves its payload aligned, and so on until a payload
		 * of odd length (only until the next refill). */
		size_t keep = s->len - s->at;

		memmove(s->blk, s->blk + s->at, keep);
		s->at = 0;
		s->len = keep;
		while (s->len < n) {
			size_t r = fread(s->blk + s->len, 1, SRC_BLOCK + REC_MAX_PAYLOAD - s->len, s->f);

			if (!r)
				break;
			s->len += r;
		}
	}
	*got = n <= s->len - s->at ? n : s->len - s->at;
	p = s->blk + s->at;
	s->at += *got;
	if (*got != n)
		return NULL;
	/* The collector reads structs: hand it aligned bytes. */
	if ((uintptr_t)p % 8) {
		memcpy(s->buf, p, n);
		return s->buf;
	}
	return p;
}

static int replay_records(struct rec_src *s, struct collector *c,
			  struct replay_info *info, char *err, size_t len);

int replay_stream(FILE *f, struct collector *c, struct replay_info *info,
		  char *err, size_t len)
{
	static unsigned char buf[REC_MAX_PAYLOAD] __attribute__((aligned(8)));
	struct rec_src src = { .f = f, .buf = buf };
	int ret;

	memset(info, 0, sizeof(*info));
	src.blk = aligned_alloc(64, SRC_BLOCK + REC_MAX_PAYLOAD);
	if (!src.blk) {
		snprintf(err, len, "out of memory for the read buffer");
		return -1;
	}
	ret = replay_records(&src, c, info, err, len);
	free(src.blk);
	return ret;
}

static int replay_records(struct rec_src *s, struct collector *c,
			  struct replay_info *info, char *err, size_t len)
{
	const unsigned char *data;
	uint64_t off = 0;
	uint32_t head[2];
	size_t n;

	data = src_next(s, sizeof(info->hdr), &n);
	if (data)
		memcpy(&info->hdr, data, sizeof(info->hdr));
	else
		memcpy(&info->hdr, s->blk, n);
	if (n < 8 || memcmp(info->hdr.magic, REC_MAGIC, 8)) {
		snprintf(err, len, "offset 0: not an rmaptrace recording (bad magic)");
		return -1;
	}
	if (n < sizeof(info->hdr)) {
		snprintf(err, len, "offset %zu: header cut short", n);
		return -1;
	}
	if (info->hdr.version != REC_VERSION || info->hdr.size != sizeof(info->hdr)) {
		snprintf(err, len, "offset 8: recording version %u (header %u bytes); this rmaptrace reads version %d",
			 info->hdr.version, info->hdr.size, REC_VERSION);
		return -1;
	}
	info->hdr.release[sizeof(info->hdr.release) - 1] = 0;
	c->free_events = info->hdr.features & REC_FEAT_ANON_VMA_FREE;
	c->ksm_events = info->hdr.features & REC_FEAT_KSM;
	off = sizeof(info->hdr);
	for (;;) {
		const unsigned char *p = s->blk + s->at;
		size_t avail = s->len - s->at;
		bool whole = false;

		/* Most records lie whole in the block, aligned: one look. */
		if (avail >= sizeof(head) && !((uintptr_t)p % 8)) {
			memcpy(head, p, sizeof(head));
			whole = head[1] <= avail - sizeof(head);
		}
		if (whole) {
			s->at += sizeof(head) + head[1];
		} else {
			data = src_next(s, sizeof(head), &n);
			if (n == 0)
				break;
			if (n < sizeof(head)) {
				snprintf(err, len, "offset %llu: record header cut short (the recording was interrupted)",
					 (unsigned long long)off);
				return -1;
			}
			if (data)
				memcpy(head, data, sizeof(head));
		}
		if (info->ended) {
			snprintf(err, len, "offset %llu: data after the end record",
				 (unsigned long long)off);
			return -1;
		}
		if (head[0] == 0 || head[0] >= REC_KIND_MAX || head[1] > REC_MAX_PAYLOAD) {
			snprintf(err, len, "offset %llu: malformed record (kind %u, length %u)",
				 (unsigned long long)off, head[0], head[1]);
			return -1;
		}
		if (whole)
			data = p + sizeof(head);
		else
			data = head[1] ? src_next(s, head[1], &n) : s->buf;
		if (!data) {
			snprintf(err, len, "offset %llu: record of %u bytes cut short (the recording was interrupted)",
				 (unsigned long long)off, head[1]);
			return -1;
		}
		switch (head[0]) {
		case REC_EVENT:
			if (collector_feed(c, data, head[1])) {
				snprintf(err, len, "offset %llu: malformed event (%u bytes)",
					 (unsigned long long)off, head[1]);
				return -1;
			}
			break;
		case REC_LOST:
		case REC_PROCESS:
			if (head[1] != (head[0] == REC_LOST ? 8u : 4u)) {
				snprintf(err, len, "offset %llu: malformed record (kind %u, length %u)",
					 (unsigned long long)off, head[0], head[1]);
				return -1;
			}
			if (head[0] == REC_LOST)
				collector_lost(c, *(const uint64_t *)data);
			else
				collector_add_process(c, *(const uint32_t *)data);
			break;
		case REC_SNAPSHOT_DONE:
			collector_snapshot_done(c);
			break;
		case REC_END:
			info->ended = true;
			break;
		}
		info->records++;
		off += sizeof(head) + head[1];
	}
	if (!info->ended) {
		snprintf(err, len, "offset %llu: the recording ends without its end record (the trace was cut short)",
			 (unsigned long long)off);
		return -1;
	}
	return 0;
}
