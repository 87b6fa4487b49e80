// SPDX-License-Identifier: GPL-2.0
/*
 * Everything that asks the running kernel what it allows: privileges,
 * lockdown, BTF, which hooks exist and in what shape, and attaching them.
 * Each failure a user can act on becomes one line.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include "attach.h"
#include "collector.h"
#include <linux/types.h>
#include "rmaptrace.h"
#include "rmaptrace.skel.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON	38
#endif
#ifndef CAP_BPF
#define CAP_BPF		39
#endif

static bool have_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

static int check_privileges(char *err, size_t len)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d))
		return 0;	/* cannot tell: let the load say */
	if (have_cap(d, CAP_SYS_ADMIN) ||
	    (have_cap(d, CAP_BPF) && have_cap(d, CAP_PERFMON)))
		return 0;
	snprintf(err, len, "needs root, or CAP_BPF and CAP_PERFMON (try sudo)");
	return -1;
}

/* "none [integrity] confidentiality": the bracketed word is in force. */
static int read_lockdown(char *buf, size_t len)
{
	char *open, *close;
	FILE *f = fopen("/sys/kernel/security/lockdown", "r");

	if (!f)
		return -1;
	if (!fgets(buf, len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	open = strchr(buf, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!close)
		return -1;
	*close = 0;
	memmove(buf, open + 1, strlen(open + 1) + 1);
	return 0;
}

/*
 * The lockdown mode in force, or NULL if it cannot be told. Where
 * securityfs is not mounted, mount it in a private mount namespace of a
 * child, so the machine's own mounts stay as they are.
 */
static const char *lockdown_mode(void)
{
	static char buf[64];
	int fd[2], st;
	pid_t pid;
	ssize_t n;

	if (!read_lockdown(buf, sizeof(buf)))
		return buf;
	if (pipe(fd))
		return NULL;
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL) ||
		    read_lockdown(buf, sizeof(buf)))
			_exit(1);
		_exit(write(fd[1], buf, strlen(buf)) > 0 ? 0 : 1);
	}
	close(fd[1]);
	n = pid > 0 ? read(fd[0], buf, sizeof(buf) - 1) : -1;
	close(fd[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	return buf;
}

static const char lockdown_msg[] =
	"this kernel refuses BPF tracing programs (lockdown: %s); "
	"run rmaptrace in a VM (tests/vm/run) or on a kernel without lockdown";

int rmaptrace_preflight(char *err, size_t len)
{
	const char *mode;

	if (check_privileges(err, len))
		return -1;
	mode = lockdown_mode();
	if (mode && !strcmp(mode, "confidentiality")) {
		snprintf(err, len, lockdown_msg, mode);
		return -1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, len, "no kernel BTF at /sys/kernel/btf/vmlinux "
			 "(needs a kernel built with CONFIG_DEBUG_INFO_BTF=y)");
		return -1;
	}
	return 0;
}

/* Number of parameters of kernel function name, or -1 if BTF lacks it. */
static int func_nr_params(const struct btf *btf, const char *name)
{
	const struct btf_type *t;
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);

	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	return t ? btf_vlen(t) : -1;
}

static bool in_btf(const struct btf *btf, const char *func)
{
	return btf__find_by_name_kind(btf, func, BTF_KIND_FUNC) >= 0;
}

/*
 * One probe point: a kernel function and the programs that can watch it in
 * each mode. fentry/fexit is preferred (cheaper, sees arguments at return);
 * kprobe/kretprobe serves where it cannot attach or with --kprobes.
 */
struct hook {
	const char *func;
	struct bpf_program *fentry[2];	/* fentry/fexit programs */
	struct bpf_program *kprobe[2];	/* kprobe, then kretprobe */
	bool required;
	const char *fmode;		/* "fentry", "fexit", "fentry+fexit" */
	const char *mode;		/* chosen, for -v */
	bool use_kprobe;
	const char *kfunc;		/* the kprobe's function, when not func */
	const char *note;		/* for -v, after the mode */
	bool tracepoint;		/* func names a tracepoint */
	bool kprobe_only;		/* the fentry program does not fit this build */
};

static void disable(struct bpf_program *const progs[2])
{
	for (int i = 0; i < 2; i++)
		if (progs[i])
			bpf_program__set_autoload(progs[i], false);
}

/* Callbacks by the name they had before the folio conversion (5.18):
 * the same job, reported under the newer name. */
static const char *const cb_older[CB_MAX] = {
	[CB_FOLIO_REFERENCED_ONE] = "page_referenced_one",
	[CB_INVALID_FOLIO_REFERENCED_VMA] = "invalid_page_referenced_vma",
};
static const char *const cb_older_note[CB_MAX] = {
	[CB_FOLIO_REFERENCED_ONE] = "(shown as folio_referenced_one)",
	[CB_INVALID_FOLIO_REFERENCED_VMA] = "(shown as invalid_folio_referenced_vma)",
};

static int plan_hooks(struct rmaptrace_bpf *skel, const struct btf *btf,
		      const struct attach_opts *o, bool cmpxchg, struct hook *hooks,
		      int *nr, char *err, size_t len)
{
	__typeof__(skel->progs) *p = &skel->progs;
	bool clone3 = func_nr_params(btf, "anon_vma_clone") == 3, taskstats;
	int teardown, unlink;
	const char *walk_fn = "rmap_walk_anon";
	int n = 0;

#define HOOK(f, fm, f0, f1, k0, k1, req) \
	hooks[n++] = (struct hook){ f, { f0, f1 }, { k0, k1 }, req, fm }
	/* Entry programs time each call: see vma_event.entry_ts. */
	HOOK("__anon_vma_prepare", "fentry+fexit", p->fentry_anon_vma_prepare, p->fexit_anon_vma_prepare,
	     p->kprobe_anon_vma_prepare, p->kretprobe_anon_vma_prepare, true);
	HOOK("anon_vma_fork", "fentry+fexit", p->fentry_anon_vma_fork, p->fexit_anon_vma_fork,
	     p->kprobe_anon_vma_fork, p->kretprobe_anon_vma_fork, true);
	/* Newer kernels pass the VMA operation as a third argument. */
	HOOK("anon_vma_clone", clone3 ? "fentry+fexit (dst, src, operation)" : "fentry+fexit",
	     p->fentry_anon_vma_clone, clone3 ? p->fexit_anon_vma_clone3 : p->fexit_anon_vma_clone,
	     p->kprobe_anon_vma_clone, p->kretprobe_anon_vma_clone, true);
	bpf_program__set_autoload(clone3 ? p->fexit_anon_vma_clone : p->fexit_anon_vma_clone3,
				  false);
	HOOK("unlink_anon_vmas", "fentry+fexit", p->fentry_unlink_anon_vmas, p->fexit_unlink_anon_vmas,
	     p->kprobe_unlink_anon_vmas, p->kretprobe_unlink_anon_vmas, true);
	unlink = n - 1;
	HOOK("__put_anon_vma", "fentry", p->fentry_put_anon_vma, NULL,
	     p->kprobe_put_anon_vma, NULL, true);
	/* A root's free inline in its last child's put (bpf/anon_vma.bpf.h),
	 * in every mode. Without it the collector falls back on the put's
	 * refcount reading, which races (user/collector.c, on_put). */
	HOOK("kmem_cache_free", "raw_tp", p->anon_vma_free, NULL, NULL, NULL, false);
	hooks[n - 1].tracepoint = true;
	/* KSM's references, which outlive the processes (bpf/ksm.bpf.h):
	 * what invariant 6 needs to tell a holder from a leak. */
	HOOK("try_to_merge_with_ksm_page", "fexit", p->fexit_ksm_merge, NULL,
	     p->kprobe_ksm_merge, p->kretprobe_ksm_merge, false);
	if (in_btf(btf, "try_to_merge_with_ksm_page") &&
	    func_nr_params(btf, "try_to_merge_with_ksm_page") != 3) {
		/* the fexit program reads the return after three arguments;
		 * a kretprobe reads it from its register on any */
		hooks[n - 1].kprobe_only = true;
	}
	HOOK("remove_rmap_item_from_tree", "fentry", p->fentry_ksm_item_removed, NULL,
	     p->kprobe_ksm_item_removed, NULL, false);
	HOOK("remove_node_from_stable_tree", "fentry", p->fentry_ksm_node_removed, NULL,
	     p->kprobe_ksm_node_removed, NULL, false);
	/* A whole mm's teardown in one event (bpf/mm.bpf.h). The return's
	 * program first: without it, a claimed slot would never be freed,
	 * and a later mm at that address would lose its unlinks. */
	HOOK("exit_mmap", "fentry+fexit", p->fexit_exit_mmap, p->fentry_exit_mmap,
	     NULL, NULL, false);
	teardown = n - 1;

	/* rmap_walk_anon is static and may be inlined into rmap_walk and
	 * rmap_walk_locked: watch those instead (anonymous folios only).
	 * RMAPTRACE_WALK_FALLBACK=1 does so anyway: no kernel of the test
	 * matrix inlines it, and the fallback must be proven, not assumed. */
	static const char fallback_note[] = "(for rmap_walk_anon: anonymous folios only)";
	bool fallback = (!in_btf(btf, walk_fn) || env_is("RMAPTRACE_WALK_FALLBACK", "1")) &&
			in_btf(btf, "rmap_walk");

	if (fallback) {
		walk_fn = "rmap_walk";
		bpf_program__set_attach_target(p->fentry_rmap_walk_anon, 0, walk_fn);
		bpf_program__set_attach_target(p->fexit_rmap_walk_anon, 0, walk_fn);
		/* kprobe mode: the same programs, attached twice */
		HOOK("rmap_walk_locked", "fentry+fexit", p->fentry_rmap_walk_locked,
		     p->fexit_rmap_walk_locked, p->kprobe_rmap_walk_anon,
		     p->kretprobe_rmap_walk_anon, false);
		hooks[n - 1].note = fallback_note;
	} else {
		bpf_program__set_autoload(p->fentry_rmap_walk_locked, false);
		bpf_program__set_autoload(p->fexit_rmap_walk_locked, false);
	}
	HOOK(walk_fn, "fentry+fexit", p->fentry_rmap_walk_anon, p->fexit_rmap_walk_anon,
	     p->kprobe_rmap_walk_anon, p->kretprobe_rmap_walk_anon, false);
	if (fallback)
		hooks[n - 1].note = fallback_note;

	struct bpf_program *fcb[CB_MAX] = {
		[CB_TRY_TO_MIGRATE_ONE] = p->fexit_rmap_one_CB_TRY_TO_MIGRATE_ONE,
		[CB_REMOVE_MIGRATION_PTE] = p->fexit_rmap_one_CB_REMOVE_MIGRATION_PTE,
		[CB_TRY_TO_UNMAP_ONE] = p->fexit_rmap_one_CB_TRY_TO_UNMAP_ONE,
		[CB_FOLIO_REFERENCED_ONE] = p->fexit_rmap_one_CB_FOLIO_REFERENCED_ONE,
		[CB_PAGE_IDLE_CLEAR_PTE_REFS_ONE] = p->fexit_rmap_one_CB_PAGE_IDLE_CLEAR_PTE_REFS_ONE,
		[CB_DAMON_FOLIO_MKOLD_ONE] = p->fexit_rmap_one_CB_DAMON_FOLIO_MKOLD_ONE,
		[CB_DAMON_FOLIO_YOUNG_ONE] = p->fexit_rmap_one_CB_DAMON_FOLIO_YOUNG_ONE,
		[CB_PAGE_MKCLEAN_ONE] = p->fexit_rmap_one_CB_PAGE_MKCLEAN_ONE,
		[CB_PAGE_MAKE_DEVICE_EXCLUSIVE_ONE] = p->fexit_rmap_one_CB_PAGE_MAKE_DEVICE_EXCLUSIVE_ONE,
		[CB_INVALID_MIGRATION_VMA] = p->fexit_invalid_vma_CB_INVALID_MIGRATION_VMA,
		[CB_INVALID_FOLIO_REFERENCED_VMA] = p->fexit_invalid_vma_CB_INVALID_FOLIO_REFERENCED_VMA,
	};
	struct bpf_program *kcb[CB_MAX] = {
		[CB_TRY_TO_MIGRATE_ONE] = p->kprobe_rmap_one_CB_TRY_TO_MIGRATE_ONE,
		[CB_REMOVE_MIGRATION_PTE] = p->kprobe_rmap_one_CB_REMOVE_MIGRATION_PTE,
		[CB_TRY_TO_UNMAP_ONE] = p->kprobe_rmap_one_CB_TRY_TO_UNMAP_ONE,
		[CB_FOLIO_REFERENCED_ONE] = p->kprobe_rmap_one_CB_FOLIO_REFERENCED_ONE,
	};
	for (int cb = 1; cb < CB_MAX; cb++) {
		const char *fn = rmap_callback_name(cb);
		bool older = !in_btf(btf, fn) && cb_older[cb] && in_btf(btf, cb_older[cb]);

		if (older)
			fn = cb_older[cb];
		if (in_btf(btf, fn))
			bpf_program__set_attach_target(fcb[cb], 0, fn);
		HOOK(fn, "fexit", fcb[cb], NULL, kcb[cb], NULL, false);
		if (older)
			hooks[n - 1].note = cb_older_note[cb];
	}
	HOOK("sched_process_fork", "tp_btf", p->sched_process_fork, NULL,
	     p->kprobe_wake_up_new_task, NULL, true);
	hooks[n - 1].kfunc = "wake_up_new_task";
	/* taskstats_exit is told whether the group died (bpf/task.bpf.h);
	 * without CONFIG_TASKSTATS, do_exit's entry guesses. */
	taskstats = in_btf(btf, "taskstats_exit") && !env_is("RMAPTRACE_EXIT_HOOK", "do_exit");
	HOOK("sched_process_exit", "tp_btf", p->sched_process_exit, NULL,
	     taskstats ? p->kprobe_taskstats_exit : p->kprobe_do_exit, NULL, true);
	hooks[n - 1].kfunc = taskstats ? "taskstats_exit" : "do_exit";
	bpf_program__set_autoload(taskstats ? p->kprobe_do_exit : p->kprobe_taskstats_exit,
				  false);
#undef HOOK
	*nr = n;

	for (int i = 0; i < n; i++) {
		struct hook *h = &hooks[i];
		bool tp = h->tracepoint || !strncmp(h->func, "sched_", 6);
		bool has_btf = tp || in_btf(btf, h->func);
		bool tp_kprobe = tp && o->kprobes && h->kfunc && in_btf(btf, h->kfunc);

		if ((tp && !tp_kprobe) || (has_btf && !tp && !o->kprobes && !h->kprobe_only)) {
			h->mode = h->fmode;
			disable(h->kprobe);
		} else if (h->kprobe[0]) {
			h->use_kprobe = true;
			h->mode = tp ? (!strcmp(h->kfunc, "do_exit") ? "kprobe do_exit" :
					!strcmp(h->kfunc, "taskstats_exit") ? "kprobe taskstats_exit" :
					"kprobe wake_up_new_task") :
				  h->kprobe[1] ? "kprobe+kretprobe" : "kprobe";
			disable(h->fentry);
		} else if (h->required) {
			snprintf(err, len, "hook %s cannot attach: the kernel's BTF has no %s "
				 "(inlined or renamed on this build)", h->func, h->func);
			return -1;
		} else {
			disable(h->fentry);
			h->mode = has_btf ? "not watched in kprobe mode" : "not in this kernel";
		}
	}
	/* Its unlinks skip on a slot only the fentry programs read, and
	 * the slot is claimed by cmpxchg. */
	if (hooks[teardown].mode == hooks[teardown].fmode &&
	    (o->unlink_each || !cmpxchg || hooks[unlink].use_kprobe)) {
		disable(hooks[teardown].fentry);
		hooks[teardown].mode = o->unlink_each ? "off (--unlink-each)" :
				       !cmpxchg ? "off (no BPF cmpxchg)" :
				       "off (unlink_anon_vmas in kprobe mode)";
	}
	return 0;
}

/* Attach h's chosen programs. Returns 0 or -errno. */
static int attach_hook(struct rmaptrace_ctx *ctx, struct hook *h)
{
	struct bpf_program *const *progs = h->use_kprobe ? h->kprobe : h->fentry;

	for (int i = 0; i < 2; i++) {
		struct bpf_link *l;

		if (!progs[i] || !bpf_program__autoload(progs[i]))
			continue;
		if (h->use_kprobe)
			l = bpf_program__attach_kprobe(progs[i], i == 1, h->kfunc ?: h->func);
		else
			l = bpf_program__attach(progs[i]);
		if (!l)
			return -errno;
		if (ctx->nr_links < MAX_LINKS) {
			ctx->link_is_kprobe[ctx->nr_links] = h->use_kprobe;
			ctx->links[ctx->nr_links++] = l;
		}
	}
	return 0;
}

/*
 * Where the kernel preempts tasks in kernel mode (preempt=full, lazy, RT),
 * a task can be preempted inside an fentry/fexit program; while it is off
 * the CPU, every other task's call of that hook on that CPU skips the
 * program (seen on Debian's 7.x, lazy by default: a child's whole exit
 * unseen). kprobe programs run with preemption off, so there they are the
 * default. The model is read where the kernel says it (debugfs), else
 * from uname -v for kernels built without PREEMPT_DYNAMIC.
 */
static const char *preempt_model(char *buf, size_t len)
{
	FILE *f = fopen("/sys/kernel/debug/sched/preempt", "r");
	struct utsname u;
	char *l, *r;

	if (f) {
		/* "none (voluntary) full lazy": the current one in brackets */
		bool ok = fgets(buf, len, f) && (l = strchr(buf, '(')) && (r = strchr(l, ')'));

		fclose(f);
		if (ok) {
			*r = 0;
			return l + 1;
		}
	}
	if (uname(&u))
		return NULL;
	if (strstr(u.version, "PREEMPT_RT"))
		return "rt";
	if (strstr(u.version, "PREEMPT_DYNAMIC"))
		return NULL;	/* chosen at boot; without debugfs, unknown */
	if (strstr(u.version, " PREEMPT "))
		return "full";
	return "voluntary";
}

/*
 * BPF atomics beyond add (cmpxchg) came in 5.12; before, the verifier
 * refuses a program that holds one anywhere, reached or not
 * (bpf/anon_vma.bpf.h). A socket filter that uses one tells. Only the
 * kernel's "invalid" says no: any other failure (no privileges, lockdown)
 * is the real load's to report.
 */
static bool bpf_has_cmpxchg(void)
{
	const struct bpf_insn insns[] = {
		/* r0 = 0; *(u64 *)(r10 - 8) = r0; r1 = 1 */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_10,
		  .src_reg = BPF_REG_0, .off = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1 },
		/* r0 = cmpxchg_64(r10 - 8, r0, r1) */
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = BPF_REG_10,
		  .src_reg = BPF_REG_1, .off = -8, .imm = BPF_CMPXCHG },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), NULL);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	return errno != EINVAL;
}

/* rmaptrace_bpf's skeleton over the object built for cmpxchg or the one
 * built without (user/noatomic.c). */
static struct rmaptrace_bpf *open_object(bool cmpxchg)
{
	struct rmaptrace_bpf *obj;
	int err;

	if (cmpxchg)
		return rmaptrace_bpf__open();
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return NULL;
	err = rmaptrace_bpf__create_skeleton(obj);
	if (!err) {
		obj->skeleton->data = (void *)rmaptrace_noatomic_elf(&obj->skeleton->data_sz);
		err = bpf_object__open_skeleton(obj->skeleton, NULL);
	}
	if (err) {
		rmaptrace_bpf__destroy(obj);
		errno = -err;
		return NULL;
	}
	return obj;
}

/* NAME=N (a power of two up to max, a test hook): use N slots of a BPF
 * table, so that more entries collide and take the slower path. 0 if
 * unset or not such a number. */
static unsigned int slots_override(const char *name, unsigned long max)
{
	const char *s = getenv(name);
	char *end;
	unsigned long n;

	if (!s)
		return 0;
	n = strtoul(s, &end, 10);
	if (*end || !n || (n & (n - 1)) || n > max)
		return 0;
	return n;
}

int rmaptrace_open(struct rmaptrace_ctx *ctx, const struct attach_opts *opts,
		   char *err, size_t len)
{
	struct attach_opts o_auto = *opts, *o = &o_auto;
	struct hook hooks[40];
	struct btf *btf;
	char pbuf[128];
	const char *model = preempt_model(pbuf, sizeof(pbuf));
	unsigned int slots;
	int nr = 0, ret;

	if (model && (!strcmp(model, "full") || !strcmp(model, "lazy") || !strcmp(model, "rt")) &&
	    !o->kprobes) {
		o->kprobes = true;
		if (o->verbose)
			fprintf(stderr, "rmaptrace: preemption model %s: fentry programs could be preempted and miss other tasks' calls; using kprobes\n",
				model);
	} else if (o->verbose) {
		fprintf(stderr, "rmaptrace: preemption model %s\n", model ? model : "unknown (no debugfs)");
	}

	memset(ctx, 0, sizeof(*ctx));
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		snprintf(err, len, "cannot read kernel BTF: %s", strerror(errno));
		return -1;
	}
	ctx->has_cmpxchg = bpf_has_cmpxchg();
	if (o->verbose && !ctx->has_cmpxchg)
		fprintf(stderr, "rmaptrace: no BPF cmpxchg (kernel before 5.12): every traced anon_vma goes in a hash map\n");
	ctx->skel = open_object(ctx->has_cmpxchg);
	if (!ctx->skel) {
		snprintf(err, len, "cannot open BPF object: %s", strerror(errno));
		btf__free(btf);
		return -1;
	}
	/* bpf/objects.bpf.h: AVCs as plain loads where the kernel can cast
	 * (6.2+); the build without cmpxchg has no such call. Only the
	 * fentry/fexit programs hold a BTF pointer to cast from. */
	ctx->skel->rodata->avc_btf_loads = ctx->has_cmpxchg && !o->kprobes &&
		!env_is("RMAPTRACE_AVC_PROBE_READ", "1") && in_btf(btf, "bpf_rdonly_cast");
	if (o->verbose)
		fprintf(stderr, "rmaptrace: chain AVCs read by %s\n",
			ctx->skel->rodata->avc_btf_loads ? "plain loads (bpf_rdonly_cast)" :
			"probe reads");
	ret = plan_hooks(ctx->skel, btf, o, ctx->has_cmpxchg, hooks, &nr, err, len);
	/* task_vma iterators came in 5.12. */
	ctx->has_task_vma_iter =
		btf__find_by_name_kind(btf, "bpf_iter__task_vma", BTF_KIND_STRUCT) > 0;
	if (!ctx->has_task_vma_iter)
		bpf_program__set_autoload(ctx->skel->progs.snapshot_vma, false);
	btf__free(btf);
	if (ret)
		goto fail;
	if (o->ringbuf_bytes)
		bpf_map__set_max_entries(ctx->skel->maps.events, o->ringbuf_bytes);
	ctx->skel->rodata->wakeup_bytes = (o->ringbuf_bytes ? o->ringbuf_bytes :
					   bpf_map__max_entries(ctx->skel->maps.events)) / 4;
	/* Test hooks: the traced anon_vma set's table (its map then holds
	 * most), the entry-time slots (the stash then holds many) ... */
	slots = slots_override("RMAPTRACE_ANON_VMA_SLOTS",
			       sizeof(ctx->skel->bss->anon_vma_slots) / sizeof(__u64));
	if (slots) {
		ctx->skel->rodata->anon_vma_slot_mask = slots - 1;
		if (o->verbose)
			fprintf(stderr, "rmaptrace: traced anon_vma table: %u slots (RMAPTRACE_ANON_VMA_SLOTS)\n",
				slots);
	}
	slots = slots_override("RMAPTRACE_STAMP_SLOTS",
			       sizeof(ctx->skel->bss->entry_stamp) / sizeof(ctx->skel->bss->entry_stamp[0]));
	if (slots) {
		ctx->skel->rodata->stamp_slot_mask = slots - 1;
		if (o->verbose)
			fprintf(stderr, "rmaptrace: entry-time slots: %u (RMAPTRACE_STAMP_SLOTS)\n", slots);
	}
	slots = slots_override("RMAPTRACE_TGID_SLOTS",
			       sizeof(ctx->skel->bss->tgid_slots) / sizeof(__u64));
	if (slots) {
		ctx->skel->rodata->tgid_slot_mask = slots - 1;
		if (o->verbose)
			fprintf(stderr, "rmaptrace: traced process table: %u slots (RMAPTRACE_TGID_SLOTS)\n",
				slots);
	}
	/* ... and walk states in the walks map only. */
	if (env_is("RMAPTRACE_WALK_SLOTS", "0")) {
		ctx->skel->rodata->walk_slots_on = false;
		if (o->verbose)
			fprintf(stderr, "rmaptrace: walk states in the map only (RMAPTRACE_WALK_SLOTS=0)\n");
	}

	ret = rmaptrace_bpf__load(ctx->skel);
	if (ret) {
		if (ret == -EPERM || errno == EPERM) {
			/* Privileges were checked: the kernel itself says no. */
			const char *mode = lockdown_mode();

			snprintf(err, len, lockdown_msg, mode ? mode : "unknown");
		} else {
			snprintf(err, len, "cannot load BPF programs: %s (-v for the verifier's log)",
				 strerror(-ret));
		}
		goto fail;
	}
	int nr_ksm = 0;

	for (int i = 0; i < nr; i++) {
		ret = attach_hook(ctx, &hooks[i]);
		if (ret && hooks[i].required) {
			snprintf(err, len, "hook %s cannot attach (%s): %s%s", hooks[i].func,
				 hooks[i].mode, strerror(-ret),
				 hooks[i].use_kprobe ? "" : "; try --kprobes");
			goto fail;
		}
		if (ret)
			hooks[i].mode = "failed to attach";
		else if (hooks[i].fentry[0] == ctx->skel->progs.anon_vma_free)
			ctx->has_free_events = true;
		else if (hooks[i].fentry[0] == ctx->skel->progs.fexit_ksm_merge ||
			 hooks[i].fentry[0] == ctx->skel->progs.fentry_ksm_item_removed ||
			 hooks[i].fentry[0] == ctx->skel->progs.fentry_ksm_node_removed)
			nr_ksm += strcmp(hooks[i].mode, "not in this kernel") != 0;
		if (o->verbose)
			fprintf(stderr, "rmaptrace: hook %-30s %s%s%s\n", hooks[i].func,
				hooks[i].mode, hooks[i].note ? " " : "",
				hooks[i].note ?: "");
	}
	/* All three, or KSM's holds are not known (invariant 6 says so). */
	ctx->has_ksm_events = nr_ksm == 3;
	/* Only now, with every hook live, is the process let in: attaching
	 * takes a while (tens of ms a hook under emulation) and the process
	 * runs on meanwhile, and a making seen whose end cannot be (a child
	 * forked before the fork hook was live, a split before the clone
	 * hook was) stays in the rebuild and puts every later count about
	 * it off (-p on a threaded, forking process gave hundreds of false
	 * violations so). */
	if (o->pid && rmaptrace_add_pid(ctx, o->pid)) {
		snprintf(err, len, "cannot add pid %u to the filter: %s", o->pid,
			 strerror(errno));
		goto fail;
	}
	if (o->verbose)
		fprintf(stderr, "rmaptrace: snapshot at attach: %s\n",
			ctx->has_task_vma_iter ? "task_vma iterator" :
			"none (no task_vma iterator before 5.12)");
	if (o->verbose)
		fprintf(stderr, "rmaptrace: anon_vma counters: %s\n",
			rmaptrace_has_num_children() ? "num_children, num_active_vmas" :
			"degree (not checked)");
	return 0;
fail:
	rmaptrace_close(ctx);
	return -1;
}

bool rmaptrace_has_num_children(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool has = false;
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "anon_vma", BTF_KIND_STRUCT);
	if (id > 0) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_member *m = btf_members(t);

		for (int i = 0; i < btf_vlen(t); i++)
			has |= !strcmp(btf__name_by_offset(btf, m[i].name_off),
				       "num_children");
	}
	btf__free(btf);
	return has;
}

int rmaptrace_add_pid(struct rmaptrace_ctx *ctx, uint32_t pid)
{
	struct rmaptrace_bpf__bss *bss = ctx->skel->bss;
	__u64 *slot = &bss->tgid_slots[pid & ctx->skel->rodata->tgid_slot_mask];
	__u64 old = 0;
	__u8 one = 1;
	int err;

	if (!pid)
		return -EINVAL;
	/* As trace_tgid in bpf/task.bpf.h: a free slot, else the map. */
	if (ctx->has_cmpxchg) {
		if (__atomic_compare_exchange_n(slot, &old, pid, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST) || old == pid)
			return 0;
		__atomic_add_fetch(&bss->tgid_overflow, 1, __ATOMIC_SEQ_CST);
		err = bpf_map__update_elem(ctx->skel->maps.traced_tgids, &pid, sizeof(pid),
					   &one, 1, BPF_NOEXIST);
		if (err)
			__atomic_sub_fetch(&bss->tgid_overflow, 1, __ATOMIC_SEQ_CST);
		return err == -EEXIST ? 0 : err;
	}
	err = bpf_map__update_elem(ctx->skel->maps.traced_tgids, &pid, sizeof(pid),
				   &one, 1, BPF_ANY);
	/* The map's copy, set after it. */
	if (!err)
		__atomic_store_n(slot, pid, __ATOMIC_RELEASE);
	return err;
}

/* Thread groups the BPF side still traces, in the table and in the map
 * only (the table's copies count once). */
void rmaptrace_traced_tgids(struct rmaptrace_ctx *ctx, uint64_t *table, uint64_t *map)
{
	const __u64 *slots = ctx->skel->bss->tgid_slots;
	__u32 mask = ctx->skel->rodata->tgid_slot_mask;
	int fd = bpf_map__fd(ctx->skel->maps.traced_tgids);
	__u32 key, next, *prev = NULL;

	*table = *map = 0;
	for (__u32 i = 0; i <= mask; i++)
		*table += slots[i] != 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		*map += slots[next & mask] != next;
		key = next;
		prev = &key;
	}
}

int rmaptrace_snapshot(struct rmaptrace_ctx *ctx,
		       int (*cb)(const void *rec, size_t len, void *arg), void *arg)
{
	struct bpf_link *link;
	char *buf = NULL;
	size_t len = 0, cap = 0, off = 0;
	int fd, n = 0, ret = 0;
	ssize_t r;

	if (!ctx->has_task_vma_iter)
		return -EOPNOTSUPP;
	link = bpf_program__attach_iter(ctx->skel->progs.snapshot_vma, NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		ret = -errno;
		bpf_link__destroy(link);
		return ret;
	}
	/* Read it all first: the iterator holds each mm's lock while it runs. */
	for (;;) {
		if (len == cap) {
			char *p = realloc(buf, cap ? cap * 2 : 1 << 16);

			if (!p) {
				ret = -ENOMEM;
				break;
			}
			buf = p;
			cap = cap ? cap * 2 : 1 << 16;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (r == 0)
			break;
		len += r;
	}
	close(fd);
	bpf_link__destroy(link);
	while (!ret && len - off >= sizeof(struct event_hdr)) {
		const struct event_hdr *h = (const void *)(buf + off);

		if (h->size < sizeof(*h) || h->size > len - off) {
			ret = -EPROTO;
			break;
		}
		if (cb(h, h->size, arg) == 0)
			n++;
		off += h->size;
	}
	free(buf);
	return ret ? ret : n;
}

int rmaptrace_events_fd(struct rmaptrace_ctx *ctx)
{
	return bpf_map__fd(ctx->skel->maps.events);
}

/*
 * A kprobe's missed count (6.7+ says it in the perf link's info): runs
 * skipped for recursion, and for a kretprobe, returns not seen because all
 * of its instances were taken: at most max(10, 2 x CPUs) calls in flight,
 * and anon_vma_clone and unlink_anon_vmas sleep on the anon_vma's lock.
 * The layout is the uapi's bpf_link_info.perf_event.kprobe, written out
 * because the build host's headers may predate it; bpf/rmaptrace.bpf.c
 * holds the same offsets to the kernel's BTF. 0 where not said.
 */
struct kprobe_link_info {
	__u32 type, id, prog_id, :32;
	__u32 perf_type, :32;
	__u64 func_name;
	__u32 name_len, offset;
	__u64 addr, missed;
};
_Static_assert(offsetof(struct kprobe_link_info, perf_type) == 16 &&
	       offsetof(struct kprobe_link_info, func_name) == 24 &&
	       offsetof(struct kprobe_link_info, name_len) == 32 &&
	       offsetof(struct kprobe_link_info, missed) == 48, "kprobe link info layout");

static uint64_t kprobe_link_missed(struct bpf_link *l, char *func, size_t len)
{
	union {
		struct kprobe_link_info k;
		char room[256];	/* the whole bpf_link_info of any kernel so far */
	} u;
	__u32 size = sizeof(u);
	int fd = bpf_link__fd(l);

	memset(&u, 0, sizeof(u));
	u.k.func_name = (__u64)(unsigned long)func;
	u.k.name_len = len;
	func[0] = 0;
	/* 7 = BPF_LINK_TYPE_PERF_EVENT; 3, 4 = BPF_PERF_EVENT_K(RET)PROBE */
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &u, &size) || u.k.type != 7 ||
	    (u.k.perf_type != 3 && u.k.perf_type != 4))
		return 0;
	return u.k.missed;
}

/*
 * Runs of our programs the kernel skipped: a tracing program is not
 * re-entered on a CPU where it is already running, and on preemptible
 * kernels a task can be preempted inside one, so that another task's
 * call on that CPU goes unseen (recursion_misses, 5.12+; 0 before); and
 * kprobes' misses (kprobe_link_missed). Each may be a missing event: they
 * count as lost.
 */
uint64_t rmaptrace_misses(struct rmaptrace_ctx *ctx, FILE *list)
{
	struct bpf_program *prog;
	uint64_t sum = 0;

	/* Asked at every poll (rmaptrace_lost): kprobe links only. */
	for (int i = 0; i < ctx->nr_links; i++) {
		char func[64];
		uint64_t m;

		if (!ctx->link_is_kprobe[i])
			continue;
		m = kprobe_link_missed(ctx->links[i], func, sizeof(func));

		sum += m;
		if (list && m)
			fprintf(list, "rmaptrace:   kprobe on %s missed %llu times\n", func,
				(unsigned long long)m);
	}

	bpf_object__for_each_program(prog, ctx->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		/* The free program runs with preemption off, so a run is
		 * skipped only for a slab free in an interrupt that came while
		 * it ran on that CPU: never an anon_vma's, which anon_vma_free
		 * makes in a task that may sleep (might_sleep, mm/rmap.c). */
		if (prog == ctx->skel->progs.anon_vma_free) {
			if (list && info.recursion_misses)
				fprintf(list, "rmaptrace:   %s skipped %llu slab frees in interrupts (none an anon_vma's: not lost)\n",
					bpf_program__name(prog),
					(unsigned long long)info.recursion_misses);
		} else {
			sum += info.recursion_misses;
			if (list && info.recursion_misses)
				fprintf(list, "rmaptrace:   %s skipped %llu times\n",
					bpf_program__name(prog),
					(unsigned long long)info.recursion_misses);
		}
		/* With kernel.bpf_stats_enabled=1: what each program costs. */
		if (list && info.run_cnt)
			fprintf(list, "rmaptrace:   %s ran %llu times, %.0f ns each\n",
				bpf_program__name(prog), (unsigned long long)info.run_cnt,
				(double)info.run_time_ns / info.run_cnt);
	}
	return sum;
}

/* No map syscall here: see lost_events in bpf/rmaptrace.bpf.c. */
uint64_t rmaptrace_lost(struct rmaptrace_ctx *ctx)
{
	return __atomic_load_n(&ctx->skel->bss->lost_events, __ATOMIC_RELAXED) +
	       rmaptrace_misses(ctx, NULL);
}

uint64_t rmaptrace_stash_fallbacks(struct rmaptrace_ctx *ctx)
{
	return __atomic_load_n(&ctx->skel->bss->stash_fallbacks_total, __ATOMIC_RELAXED);
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Traced anon_vmas the BPF side holds (not yet put): in the table, and in
 * the map but not the table (the table's copies count once). */
void rmaptrace_traced_anon_vmas(struct rmaptrace_ctx *ctx, uint64_t *table,
				uint64_t *map)
{
	enum { NR = sizeof(ctx->skel->bss->anon_vma_slots) / sizeof(__u64) };
	static __u64 held[NR];
	int fd = bpf_map__fd(ctx->skel->maps.traced_anon_vmas);
	__u64 key, next, *prev = NULL;
	size_t n = 0;

	for (size_t i = 0; i < NR; i++)
		if (ctx->skel->bss->anon_vma_slots[i])
			held[n++] = ctx->skel->bss->anon_vma_slots[i];
	qsort(held, n, sizeof(held[0]), cmp_u64);
	*table = n;
	*map = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		*map += !bsearch(&next, held, n, sizeof(held[0]), cmp_u64);
		key = next;
		prev = &key;
	}
}

void rmaptrace_close(struct rmaptrace_ctx *ctx)
{
	for (int i = 0; i < ctx->nr_links; i++)
		bpf_link__destroy(ctx->links[i]);
	rmaptrace_bpf__destroy(ctx->skel);
	memset(ctx, 0, sizeof(*ctx));
}
