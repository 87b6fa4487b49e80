// SPDX-License-Identifier: GPL-2.0
/*
 * Run CMD with the floor attached: empty fentry/fexit programs on every
 * function rmaptrace watches in fentry mode, and on its two tracepoints.
 *   floor CMD [ARGS...]
 * Exits with CMD's status; says on stderr how many programs attached.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include "floor.skel.h"

/* The same functions as rmaptrace's plan in user/attach.c. */
static const char *const entry_fns[] = {
	"__anon_vma_prepare", "anon_vma_fork", "anon_vma_clone", "unlink_anon_vmas",
	"__put_anon_vma", "rmap_walk_anon", "exit_mmap",
};
static const char *const exit_fns[] = {
	"__anon_vma_prepare", "anon_vma_fork", "anon_vma_clone", "unlink_anon_vmas",
	"rmap_walk_anon", "try_to_migrate_one", "remove_migration_pte",
	"try_to_unmap_one", "folio_referenced_one", "page_idle_clear_pte_refs_one",
	"damon_folio_mkold_one", "damon_folio_young_one", "page_mkclean_one",
	"page_make_device_exclusive_one", "invalid_migration_vma",
	"invalid_folio_referenced_vma", "exit_mmap",
};

/* The programs attached, each with its hook, for the run counts
 * printed at exit: the object holds 27. */
static struct {
	struct bpf_program *prog;
	char hook[64];
} attached[32];
static int nr_attached;

static void note_attached(struct bpf_program *prog, const char *sec, const char *fn)
{
	if (nr_attached == sizeof(attached) / sizeof(*attached))
		return;
	attached[nr_attached].prog = prog;
	snprintf(attached[nr_attached].hook, sizeof(attached[0].hook), "%s%s%s", sec,
		 fn ? "/" : "", fn ? fn : "");
	nr_attached++;
}

/* With kernel.bpf_stats_enabled=1: what each empty program cost, as
 * rmaptrace -v prints its own (tests/bench/guest.sh sets them side by
 * side). */
static void print_run_stats(void)
{
	for (int i = 0; i < nr_attached; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(attached[i].prog);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) && info.run_cnt)
			fprintf(stderr, "floor:   %s ran %llu times, %.0f ns each\n",
				attached[i].hook, (unsigned long long)info.run_cnt,
				(double)info.run_time_ns / info.run_cnt);
	}
}

static int plan(struct bpf_object *obj, const struct btf *btf)
{
	struct bpf_program *prog;
	size_t ne = 0, nx = 0;
	int used = 0;

	bpf_object__for_each_program(prog, obj) {
		const char *sec = bpf_program__section_name(prog);
		const char *fn = NULL;

		if (!strcmp(sec, "fentry") && ne < sizeof(entry_fns) / sizeof(*entry_fns))
			fn = entry_fns[ne++];
		else if (!strcmp(sec, "fexit") && nx < sizeof(exit_fns) / sizeof(*exit_fns))
			fn = exit_fns[nx++];
		else if (!strncmp(sec, "tp_btf/", 7)) {
			note_attached(prog, sec, NULL);
			used++;
			continue;
		}
		if (fn && btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC) > 0) {
			note_attached(prog, sec, fn);
			bpf_program__set_attach_target(prog, 0, fn);
			used++;
		} else {
			bpf_program__set_autoload(prog, false);
		}
	}
	return used;
}

int main(int argc, char **argv)
{
	struct floor_bpf *skel;
	struct btf *btf;
	int used, status;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: floor CMD [ARGS...]\n");
		return 2;
	}
	btf = btf__load_vmlinux_btf();
	skel = floor_bpf__open();
	if (!btf || !skel) {
		fprintf(stderr, "floor: cannot open: %s\n", strerror(errno));
		return 2;
	}
	used = plan(skel->obj, btf);
	btf__free(btf);
	if (floor_bpf__load(skel) || floor_bpf__attach(skel)) {
		fprintf(stderr, "floor: cannot load or attach: %s\n", strerror(errno));
		return 2;
	}
	fprintf(stderr, "floor: %d empty programs attached\n", used);
	pid = fork();
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 2;
	print_run_stats();
	floor_bpf__destroy(skel);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
