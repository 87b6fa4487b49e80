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
/* Feed both buffers' events to c in timestamp order (ties: a first). */
int evbuf_feed_merged(struct collector *c, const struct evbuf *a,
		      const struct evbuf *b);
void evbuf_free(struct evbuf *b);

#endif
