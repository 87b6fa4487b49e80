// SPDX-License-Identifier: GPL-2.0
/*
 * A qemu TCG plugin (host side) that counts the guest instructions each
 * vCPU executes and reports the count at marker instructions the guest
 * runs (tests/workloads/bench_mark.h):
 *
 *   qemu-system-x86_64 ... -plugin tests/bench/insn_count.so,out=FILE
 *
 * writes "mark VALUE vcpu N insns COUNT" to FILE at each marker (FILE
 * begun anew at each boot: a boot tried again leaves only its own).
 *
 * Why: the time a fork takes under emulation swings by a factor of two
 * between boots for the same guest work (BENCHMARKS.md), while the
 * number of instructions the guest executes for it does not depend on
 * the emulator's state: the count between two markers on the workload's
 * vCPU is the work tracing added to it, side by side with the time.
 *
 * A rep-prefixed string instruction counts once, as a CPU retires it:
 * TCG runs each of its repetitions as a block of its own. Counted so, a
 * page zeroed (clear_page_erms, one rep stosb) was 4096 instructions,
 * 70,000 to 86,000 per fork in one boot, and how many pages a fork
 * zeroes varies: a configuration's count spread by up to 19,000 per fork
 * between rounds (BENCHMARKS.md, "Counting noise").
 *
 * qemu 7.2 ships no header for the plugin API (Debian has no -dev package
 * for it): the declarations below are the few parts of its version 1 ABI
 * this plugin uses, as include/qemu/qemu-plugin.h defines them.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#define EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
typedef struct {
	const char *target_name;
	struct { int min, cur; } version;
	bool system_emulation;
	union { struct { int smp_vcpus, max_vcpus; } system; };
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
typedef void (*vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

EXPORT int qemu_plugin_version = 1;

#define MAX_VCPUS	64
/* The marker (bench_mark.h): nopl MARK(%rax), 0f 1f 80 and a 32-bit
 * displacement whose top three bytes are the magic "RMT"; the low byte is
 * the guest's value. */
#define MARK_MAGIC	0x524d5400u

/* Each vCPU's counter is written by that vCPU's thread only. */
static uint64_t insns[MAX_VCPUS];
static FILE *out;

/*
 * prof=FILE: where the instructions between mark 1 and mark 2 went, by
 * the guest address of the block that ran them: "VADDR INSNS" lines
 * after a "profile" line, once per mark 2. Every translation has its
 * block; only the vCPU that ran mark 1 counts, so each block's count has
 * one writer.
 */
struct block {
	uint64_t vaddr;
	uint64_t n;
	uint64_t count;
	struct block *next;
};
static FILE *prof;
static struct block *blocks;
static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int prof_vcpu = -1;

static void on_tb(unsigned int vcpu, void *n)
{
	if (vcpu < MAX_VCPUS)
		insns[vcpu] += (uintptr_t)n;
}

static void on_tb_prof(unsigned int vcpu, void *arg)
{
	struct block *b = arg;

	if (vcpu < MAX_VCPUS)
		insns[vcpu] += b->n;
	if ((int)vcpu == prof_vcpu)
		b->count += b->n;
}

/*
 * A rep string instruction's repetitions after its first: TCG ends the
 * block after one repetition with a jump back to the instruction, so each
 * further one runs as a one-instruction block starting there. It is one
 * when the same instruction ran last on this vCPU with nothing counted
 * since but its own block; that block's count is taken back.
 */
struct rep {
	uint64_t vaddr;
	struct block *blk;	/* its block, in profile mode */
};
static struct {
	uint64_t vaddr, at;
} last_rep[MAX_VCPUS];

static void on_rep(unsigned int vcpu, void *arg)
{
	const struct rep *r = arg;

	if (vcpu >= MAX_VCPUS)
		return;
	if (last_rep[vcpu].vaddr == r->vaddr && insns[vcpu] == last_rep[vcpu].at + 1) {
		insns[vcpu]--;
		if (r->blk && (int)vcpu == prof_vcpu)
			r->blk->count--;
	}
	last_rep[vcpu].vaddr = r->vaddr;
	last_rep[vcpu].at = insns[vcpu];
}

/* movs, cmps, stos, lods, scas, ins, outs behind a rep/repne prefix (and
 * maybe other legacy prefixes and a REX). */
static bool rep_string(const unsigned char *b, size_t size)
{
	bool rep = false;
	size_t i = 0;

	for (; i < size; i++) {
		if (b[i] == 0xf2 || b[i] == 0xf3)
			rep = true;
		else if (!memchr("\xf0\x2e\x36\x3e\x26\x64\x65\x66\x67", b[i], 9))
			break;
	}
	if (i < size && (b[i] & 0xf0) == 0x40)
		i++;
	return rep && i < size &&
	       ((b[i] >= 0xa4 && b[i] <= 0xa7) || (b[i] >= 0xaa && b[i] <= 0xaf) ||
		(b[i] >= 0x6c && b[i] <= 0x6f));
}

static void prof_mark(unsigned int vcpu, unsigned int value)
{
	pthread_mutex_lock(&blocks_lock);
	if (value == 1) {
		for (struct block *b = blocks; b; b = b->next)
			b->count = 0;
		prof_vcpu = vcpu;
	} else if (value == 2 && prof_vcpu == (int)vcpu) {
		prof_vcpu = -1;
		fprintf(prof, "profile vcpu %u\n", vcpu);
		for (struct block *b = blocks; b; b = b->next)
			if (b->count)
				fprintf(prof, "%" PRIx64 " %" PRIu64 "\n", b->vaddr, b->count);
		fflush(prof);
	}
	pthread_mutex_unlock(&blocks_lock);
}

/* The marker's own block was counted whole at its start: a few
 * instructions after the marker count before it, the same at every mark. */
static void on_mark(unsigned int vcpu, void *value)
{
	if (vcpu >= MAX_VCPUS)
		return;
	fprintf(out, "mark %u vcpu %u insns %" PRIu64 "\n",
		(unsigned)(uintptr_t)value, vcpu, insns[vcpu]);
	if (prof)
		prof_mark(vcpu, (uintptr_t)value);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct block *blk = NULL;

	(void)id;
	if (prof) {
		/* One per translation, kept for the plugin's life: a block
		 * translated again gets another, summed by address. */
		blk = calloc(1, sizeof(*blk));
		if (!blk)
			abort();
		blk->vaddr = qemu_plugin_tb_vaddr(tb);
		blk->n = n;
		pthread_mutex_lock(&blocks_lock);
		blk->next = blocks;
		blocks = blk;
		pthread_mutex_unlock(&blocks_lock);
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_tb_prof, QEMU_PLUGIN_CB_NO_REGS, blk);
	} else {
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_tb, QEMU_PLUGIN_CB_NO_REGS,
						     (void *)(uintptr_t)n);
	}
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const unsigned char *b = qemu_plugin_insn_data(insn);
		size_t size = qemu_plugin_insn_size(insn);
		uint32_t disp;

		if (rep_string(b, size)) {
			/* Kept for the plugin's life, as the blocks are. */
			struct rep *r = malloc(sizeof(*r));

			if (!r)
				abort();
			r->vaddr = qemu_plugin_insn_vaddr(insn);
			r->blk = blk;
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_rep, QEMU_PLUGIN_CB_NO_REGS, r);
			continue;
		}
		if (size != 7 || b[0] != 0x0f || b[1] != 0x1f || b[2] != 0x80)
			continue;
		memcpy(&disp, b + 3, 4);
		if ((disp & 0xffffff00u) == MARK_MAGIC)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS,
							       (void *)(uintptr_t)(disp & 0xff));
	}
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	const char *path = NULL, *prof_path = NULL;

	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
		else if (!strncmp(argv[i], "prof=", 5))
			prof_path = argv[i] + 5;
	}
	if (!path || !info->system_emulation) {
		fprintf(stderr, "insn_count: takes out=FILE [prof=FILE], system emulation only\n");
		return 1;
	}
	if (info->system.max_vcpus > MAX_VCPUS) {
		fprintf(stderr, "insn_count: at most %d vCPUs\n", MAX_VCPUS);
		return 1;
	}
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		return 1;
	}
	setvbuf(out, NULL, _IOLBF, 0);
	if (prof_path && !(prof = fopen(prof_path, "w"))) {
		perror(prof_path);
		return 1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	return 0;
}
