/* SPDX-License-Identifier: GPL-2.0 */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "collector.h"

struct report_opts {
	FILE *out;
	bool json;
	bool check;
	bool raw_addrs;	/* kernel addresses next to ids (--raw-addrs) */
};

/* An event_cb: one line per event; ctx is a struct report_opts. */
void report_event(struct collector *c, const struct event_hdr *h, void *ctx);

/* log2 histograms of walk duration and visits, and the costliest anon_vmas. */
void report_hist(const struct collector *c, const struct report_opts *o);

/* user/dot.c: the hierarchy as a Graphviz digraph. */
/* root: a node index, only its hierarchy is drawn; NONE for all */
void report_dot(const struct collector *c, FILE *f, uint32_t root, bool raw_addrs);

/* The hierarchy, the violations (with check) and the summary line. */
void report_final(const struct collector *c, const struct report_opts *o);

#endif
