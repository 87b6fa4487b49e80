/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A marker the benchmark's instruction count (tests/bench/insn_count.c,
 * a qemu plugin) reports at: a 7-byte NOP whose displacement is the
 * magic 0x524d54 ("RMT") and an 8-bit value. It does nothing anywhere,
 * under the plugin or not.
 */
#ifndef BENCH_MARK_H
#define BENCH_MARK_H

#if defined(__x86_64__)
#define bench_mark(value) \
	__asm__ __volatile__(".byte 0x0f, 0x1f, 0x80, %c0, 0x54, 0x4d, 0x52" :: "i"(value) : "memory")
#else
#define bench_mark(value) do { } while (0)
#endif

#endif
