// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes as a recording, through the reader,
 * the collector, the checks and both report formats. Any crash, sanitizer
 * finding, leak or hang is a bug; a clear error is the expected outcome.
 */
#include <stdio.h>
#include "record.h"
#include "report.h"

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_opts ro = { .check = true };
	struct replay_info info;
	struct collector c;
	char err[256];
	FILE *f;

	if (!size)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	f = fmemopen((void *)data, size, "rb");
	if (!f || collector_init(&c)) {
		if (f)
			fclose(f);
		return 0;
	}
	/* Both ways: dead VMAs kept for --dot, or their nodes reused; and
	 * freed anon_vmas all kept, or forgotten two at a time. */
	c.keep_dead_vmas = size % 2;
	collector_keep_freed(&c, size / 2 % 2 ? 1 : 0);
	ro.out = devnull;
	c.on_event = report_event;
	c.cb_ctx = &ro;
	replay_stream(f, &c, &info, err, sizeof(err));
	fclose(f);
	collector_finish(&c);
	report_final(&c, &ro);
	ro.json = true;
	report_final(&c, &ro);
	report_hist(&c, &ro);
	report_dot(&c, devnull, NONE, false);
	if (c.nr_av)
		report_dot(&c, devnull, 0, true);
	collector_free(&c);
	return 0;
}
