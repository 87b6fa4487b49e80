// SPDX-License-Identifier: GPL-2.0
/* Writing and reading recordings (format in record.h). No libbpf. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
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
 * Where the records come from: a regular file is mapped and read in
 * place (no copy through stdio: replay speed is mostly bytes moved), any
 * other stream (a pipe, fmemopen) is read into buf.
 */
struct rec_src {
	FILE *f;
	const unsigned char *map;
	size_t size, pos, dropped, ready;
	unsigned char *buf;
};

/* Pages already replayed leave our resident set (they stay cached). */
#define SRC_DROP_CHUNK	(64u << 20)

/* Pages ahead are mapped 2 MiB at a time, in one call rather than a
 * fault per few pages (the host's page-fault path was a fifth of a
 * replay's time). Before 5.14 the call fails and faults do it. */
#define SRC_POPULATE	(2u << 20)
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/* The next n bytes, or NULL with *got set to what was there. */
static const void *src_next(struct rec_src *s, size_t n, size_t *got)
{
	const unsigned char *p;

	if (!s->map) {
		*got = fread(s->buf, 1, n, s->f);
		return *got == n ? s->buf : NULL;
	}
	if (s->pos - s->dropped >= 2 * SRC_DROP_CHUNK) {
		madvise((void *)(s->map + s->dropped), SRC_DROP_CHUNK, MADV_DONTNEED);
		s->dropped += SRC_DROP_CHUNK;
	}
	if (s->pos + n > s->ready && s->ready < s->size) {
		size_t from = s->pos & ~(size_t)4095, to = from + SRC_POPULATE;

		if (to > s->size)
			to = s->size;
		madvise((void *)(s->map + from), to - from, MADV_POPULATE_READ);
		s->ready = to;
	}
	*got = n <= s->size - s->pos ? n : s->size - s->pos;
	p = s->map + s->pos;
	/* A record is about three cache lines and this runs twice per record:
	 * four lines 1 KiB ahead keep the next records on their way while the
	 * collector works (a replay 7% faster; the copy below, the records'
	 * first touch, was still a quarter of its time). */
	__builtin_prefetch(p + 1024);
	__builtin_prefetch(p + 1024 + 64);
	__builtin_prefetch(p + 1024 + 128);
	__builtin_prefetch(p + 1024 + 192);
	s->pos += *got;
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
	struct stat st;
	int ret;

	memset(info, 0, sizeof(*info));
	if (!fstat(fileno(f), &st) && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    ftell(f) == 0) {
		void *m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fileno(f), 0);

		if (m != MAP_FAILED) {
			madvise(m, st.st_size, MADV_SEQUENTIAL);
			src.map = m;
			src.size = st.st_size;
		}
	}
	if (!src.map)
		/* Records are small: read them in large blocks, not 4 KiB ones. */
		setvbuf(f, NULL, _IOFBF, 1 << 20);
	ret = replay_records(&src, c, info, err, len);
	if (src.map)
		munmap((void *)src.map, src.size);
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
		memcpy(&info->hdr, s->map ? s->map : s->buf, n);
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
	off = sizeof(info->hdr);
	for (;;) {
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
