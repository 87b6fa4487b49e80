// SPDX-License-Identifier: GPL-2.0
/*
 * Events held back and fed in time order: at attach, the snapshot's VMA
 * records and the ring buffer's first events describe the same moments
 * from two sides, and each VMA must be applied where it falls among them.
 */
#include <stdlib.h>
#include <string.h>
#include "evbuf.h"

int evbuf_add(struct evbuf *b, const void *data, size_t len)
{
	size_t padded = (len + 7) & ~(size_t)7;

	if (len < sizeof(struct event_hdr) || len > (1u << 20) ||
	    ((const struct event_hdr *)data)->size != len)
		return -1;
	if (b->len + padded > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 16;
		char *p;

		while (cap < b->len + padded)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return -1;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	memset(b->data + b->len + len, 0, padded - len);
	b->len += padded;
	b->nr++;
	return 0;
}

struct rec {
	const struct event_hdr *h;
	size_t len, seq;
};

static int by_time(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->h->ts != y->h->ts)
		return x->h->ts < y->h->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;	/* stable */
}

/* Split a buffer of back-to-back records; -1 on a record that does not
 * fit. Records are whole events, each hdr.size long. */
static int split(const struct evbuf *b, struct rec *out, size_t *n)
{
	size_t off = 0;

	while (off < b->len) {
		const struct event_hdr *h = (const void *)(b->data + off);

		if (b->len - off < sizeof(*h) || h->size < sizeof(*h) ||
		    h->size > b->len - off)
			return -1;
		out[*n] = (struct rec){ h, h->size, *n };
		(*n)++;
		off += (h->size + 7) & ~7u;
	}
	return 0;
}

int evbuf_feed_merged(const struct evbuf *a, const struct evbuf *b,
		      void (*feed)(void *arg, const void *data, size_t len), void *arg)
{
	struct rec *r = malloc((a->nr + b->nr + 1) * sizeof(*r));
	size_t n = 0;
	int ret = 0;

	if (!r)
		return -1;
	if (split(a, r, &n) || split(b, r, &n))
		ret = -1;
	qsort(r, n, sizeof(*r), by_time);
	for (size_t k = 0; k < n; k++)
		feed(arg, r[k].h, r[k].len);
	free(r);
	return ret;
}

void evbuf_free(struct evbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
