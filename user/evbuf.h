/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EVBUF_H
#define EVBUF_H

#include "collector.h"

/* Whole events, back to back, each padded to 8 bytes. */
struct evbuf {
	char *data;
	size_t len, cap, nr;
};

int evbuf_add(struct evbuf *b, const void *data, size_t len);
/* Hand both buffers' events to feed in timestamp order (ties: a first). */
int evbuf_feed_merged(const struct evbuf *a, const struct evbuf *b,
		      void (*feed)(void *arg, const void *data, size_t len), void *arg);
void evbuf_free(struct evbuf *b);

#endif
