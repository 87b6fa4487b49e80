// SPDX-License-Identifier: GPL-2.0
/*
 * What a user reads: one line per event as it happens, and at the end the
 * rebuilt hierarchy (a tree per root, or JSON lines), the violations and a
 * summary. Kernel addresses never appear: objects are shown by id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collector.h"
#include "groups.h"
#include "report.h"

static const char *const event_name[EV_TYPE_MAX] = {
	[EV_ANON_VMA_PREPARE] = "anon_vma_prepare",
	[EV_ANON_VMA_FORK] = "anon_vma_fork",
	[EV_ANON_VMA_CLONE] = "anon_vma_clone",
	[EV_UNLINK_ANON_VMAS] = "unlink_anon_vmas",
	[EV_PUT_ANON_VMA] = "put_anon_vma",
	[EV_RMAP_WALK] = "rmap_walk_anon",
	[EV_FORK] = "fork",
	[EV_EXIT] = "exit",
	[EV_RMAP_VISIT] = "rmap_one",
	[EV_RMAP_VISITS] = "rmap_one",
	[EV_UNLINK_DONE] = "unlink_done",
	[EV_SNAPSHOT_VMA] = "snapshot",
	[EV_EXIT_MMAP] = "exit_mmap",
	[EV_ANON_VMA_FREE] = "anon_vma_free",
	[EV_KSM_RMAP_ITEM] = "ksm_rmap_item",
};

static const char *const origin_name[] = {
	[ORIGIN_UNKNOWN] = "unknown",
	[ORIGIN_PREPARE] = "prepare",
	[ORIGIN_FORK] = "fork",
	[ORIGIN_SNAPSHOT] = "snapshot",
};

static void json_string(FILE *f, const char *s, size_t max)
{
	fputc('"', f);
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char ch = s[i];

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* comm as text: kernel comms may hold any byte. */
static const char *safe_comm(const char *comm, char *buf)
{
	size_t i;

	for (i = 0; i < TASK_COMM_LEN - 1 && comm[i]; i++)
		buf[i] = (comm[i] > 0x20 && comm[i] < 0x7f) ? comm[i] : '?';
	buf[i] = 0;
	return buf;
}

/* The id of the anon_vma at ptr as the collector knows it now. */
static uint32_t id_of(const struct collector *c, uint64_t ptr)
{
	uint32_t i = ptrmap_get(&c->av_map, ptr);

	if (i != NONE || !ptr)
		return av_id(c, i);
	/* A free retires the pointer before the callback runs: the put just
	 * applied names it; else (rare) look back. */
	if (c->last_freed != NONE && c->av[c->last_freed].ptr == ptr)
		return av_id(c, c->last_freed);
	for (size_t k = c->nr_av; k-- > 0;)
		if (c->av[k].ptr == ptr && !c->av[k].forgotten)
			return av_id(c, k);
	return 0;
}

static void report_walk(struct collector *c, const struct event_hdr *h,
			const struct report_opts *o, double t)
{
	const struct walk_result *w = &c->walk;
	FILE *f = o->out;
	char comm[TASK_COMM_LEN];

	if (o->json) {
		fprintf(f, "{\"type\":\"walk\",\"ts\":%.6f,\"pid\":%u,\"comm\":", t, h->pid);
		json_string(f, h->comm, TASK_COMM_LEN);
		fprintf(f, ",\"anon_vma\":%u,\"callback\":\"%s\",\"pgoff\":%llu,"
			"\"nr_pages\":%llu,\"visited\":[", av_id(c, w->anon_vma),
			rmap_callback_name(w->callback), (unsigned long long)w->pgoff,
			(unsigned long long)w->nr_pages);
		for (uint32_t i = 0; i < w->nr_visited; i++)
			fprintf(f, "%s{\"pid\":%u,\"vma_start\":\"0x%llx\",\"address\":\"0x%llx\"}",
				i ? "," : "", w->visited[i].pid,
				(unsigned long long)w->visited[i].vm_start,
				(unsigned long long)w->visited[i].address);
		fprintf(f, "],\"predicted\":%u,\"missed\":[", w->nr_predicted);
		for (uint32_t i = 0; i < w->nr_missed; i++)
			fprintf(f, "%s{\"pid\":%u,\"vma_start\":\"0x%llx\",\"reason\":\"%s\"}",
				i ? "," : "", w->missed[i].pid,
				(unsigned long long)w->missed[i].vm_start, w->missed[i].reason);
		if (o->raw_addrs && w->rmap_one)
			fprintf(f, "],\"rmap_one\":\"0x%llx\"", (unsigned long long)w->rmap_one);
		else
			fputc(']', f);
		fprintf(f, ",\"stopped_early\":%s,\"ns\":%llu}\n",
			w->stopped_early ? "true" : "false", (unsigned long long)w->ns);
		return;
	}
	fprintf(f, "%10.6f %7u %-16s %-17s anon_vma %u pgoff %llu %s visited %u of %u predicted%s %.1fus\n",
		t, h->pid, safe_comm(h->comm, comm), "rmap_walk", av_id(c, w->anon_vma),
		(unsigned long long)w->pgoff, rmap_callback_name(w->callback),
		w->nr_visited, w->nr_predicted,
		w->stopped_early ? " (stopped early)" : "", w->ns / 1e3);
	if (o->raw_addrs && w->rmap_one)
		fprintf(f, "%46s rmap_one 0x%llx\n", "", (unsigned long long)w->rmap_one);
	for (uint32_t i = 0; i < w->nr_missed; i++)
		fprintf(f, "%46s missed vma 0x%llx pid %u: %s\n", "",
			(unsigned long long)w->missed[i].vm_start, w->missed[i].pid,
			w->missed[i].reason);
}

void report_event(struct collector *c, const struct event_hdr *h, void *ctx)
{
	const struct report_opts *o = ctx;
	FILE *f = o->out;
	double t = (h->ts - c->first_ts) / 1e9;
	char comm[TASK_COMM_LEN];
	uint32_t av = 0, parent = 0, nr_chain = 0;
	uint64_t start = 0, end = 0, av_ptr = 0, vma_ptr = 0;
	uint32_t child = 0;
	const char *ksm = NULL;

	switch (h->type) {
	case EV_ANON_VMA_PREPARE:
	case EV_ANON_VMA_FORK:
	case EV_ANON_VMA_CLONE:
	case EV_UNLINK_ANON_VMAS:
	case EV_SNAPSHOT_VMA: {
		const struct vma_event *e = (const void *)h;

		if (e->ret)
			return;
		av = id_of(c, e->av.anon_vma);
		av_ptr = e->av.anon_vma;
		parent = id_of(c, e->av.parent);
		start = e->vma.vm_start;
		end = e->vma.vm_end;
		vma_ptr = e->vma.vma;
		nr_chain = e->nr_chain;
		break;
	}
	case EV_PUT_ANON_VMA:
		av_ptr = ((const struct put_event *)h)->av.anon_vma;
		av = id_of(c, av_ptr);
		break;
	case EV_ANON_VMA_FREE:
		av_ptr = ((const struct free_event *)h)->anon_vma;
		av = id_of(c, av_ptr);
		break;
	case EV_KSM_RMAP_ITEM:
		av_ptr = ((const struct ksm_event *)h)->anon_vma;
		av = id_of(c, av_ptr);
		ksm = ((const struct ksm_event *)h)->op == KSM_GET ? "get" : "put";
		break;
	case EV_RMAP_WALK:
		report_walk(c, h, o, t);
		return;
	case EV_RMAP_VISIT:
	case EV_RMAP_VISITS:
		return;	/* shown with its walk */
	case EV_FORK:
	case EV_EXIT:
		child = ((const struct task_event *)h)->child_pid;
		break;
	}

	if (o->json) {
		fprintf(f, "{\"type\":\"event\",\"ts\":%.6f,\"pid\":%u,\"comm\":", t, h->pid);
		json_string(f, h->comm, TASK_COMM_LEN);
		fprintf(f, ",\"event\":\"%s\"", event_name[h->type]);
		if (av)
			fprintf(f, ",\"anon_vma\":%u", av);
		if (av && o->raw_addrs)
			fprintf(f, ",\"anon_vma_addr\":\"0x%llx\"", (unsigned long long)av_ptr);
		if (parent && parent != av)
			fprintf(f, ",\"parent\":%u", parent);
		if (start)
			fprintf(f, ",\"vma_start\":\"0x%llx\",\"vma_end\":\"0x%llx\",\"avcs\":%u",
				(unsigned long long)start, (unsigned long long)end, nr_chain);
		/* Which VMA, across splits and merges that move its range. */
		if (start && o->raw_addrs)
			fprintf(f, ",\"vma_addr\":\"0x%llx\"", (unsigned long long)vma_ptr);
		if (child)
			fprintf(f, ",\"child\":%u", child);
		if (h->type == EV_EXIT_MMAP)
			fprintf(f, ",\"vmas\":%u", c->exit_mmap_vmas);
		if (ksm)
			fprintf(f, ",\"ksm\":\"%s\"", ksm);
		fputs("}\n", f);
		return;
	}
	fprintf(f, "%10.6f %7u %-16s %-17s", t, h->pid, safe_comm(h->comm, comm),
		event_name[h->type]);
	if (av)
		fprintf(f, " anon_vma %u", av);
	if (av && o->raw_addrs)
		fprintf(f, " [0x%llx]", (unsigned long long)av_ptr);
	if (parent && parent != av)
		fprintf(f, " parent %u", parent);
	if (start)
		fprintf(f, " vma 0x%llx-0x%llx avcs %u", (unsigned long long)start,
			(unsigned long long)end, nr_chain);
	if (start && o->raw_addrs)
		fprintf(f, " [0x%llx]", (unsigned long long)vma_ptr);
	if (h->type == EV_FORK)
		fprintf(f, " child %u", child);
	if (h->type == EV_EXIT)
		fprintf(f, " pid %u", child);
	if (h->type == EV_EXIT_MMAP)
		fprintf(f, " vmas %u", c->exit_mmap_vmas);
	if (ksm)
		fprintf(f, " %s", ksm);
	fputc('\n', f);
}

/* What print_node lists under an anon_vma: its children, in the order
 * they were made, and the live VMAs whose vma->anon_vma it is. */
struct tree_groups {
	struct groups kids, vmas;
};

static uint32_t parent_of(uint32_t i, const void *ctx)
{
	const struct collector *c = ctx;
	uint32_t p = c->av[i].parent;

	return p == i ? NONE : p;
}

static uint32_t own_anon_vma(uint32_t v, const void *ctx)
{
	const struct collector *c = ctx;

	return c->vma[v].dead ? NONE : c->vma[v].anon_vma;
}

static void print_node(const struct collector *c, const struct tree_groups *t, FILE *f,
		       uint32_t i, char *prefix, size_t plen, bool last, bool top, bool raw)
{
	const struct anon_vma_node *a = &c->av[i];
	const struct mm_node *m = anon_vma_owner(c, i);
	struct av_counters d = anon_vma_derived(c, i);
	char comm[TASK_COMM_LEN];
	size_t n;

	fprintf(f, "%s%s", prefix, top ? "" : last ? "`-- " : "|-- ");
	fprintf(f, "anon_vma %u%s  pid %u %s", av_id(c, i),
		a->root == i ? " (root)" : "", m ? m->pid : 0,
		m ? safe_comm(m->comm, comm) : "?");
	if (raw)
		fprintf(f, "  [0x%llx]", (unsigned long long)a->ptr);
	if (a->vm_start)
		fprintf(f, "  vma 0x%llx", (unsigned long long)a->vm_start);
	fprintf(f, "  %s%s", origin_name[a->origin], a->freed ? "  freed" : "");
	if (a->reused)
		fprintf(f, "  reused %ux", a->reused);
	fputc('\n', f);

	n = strlen(prefix);
	if (!top && n + 4 < plen)
		strcat(prefix, last ? "    " : "|   ");
	fprintf(f, "%s    root %u parent %u  num_children %u/%u max %u/%u  "
		"num_active_vmas %u/%u max %u/%u  avcs %u\n",
		prefix, av_id(c, a->root),
		av_id(c, a->parent), a->kernel.num_children, d.num_children,
		a->kernel_max.num_children, a->derived_max.num_children,
		a->kernel.num_active_vmas, d.num_active_vmas,
		a->kernel_max.num_active_vmas, a->derived_max.num_active_vmas,
		a->nr_avcs);
	for (size_t k = 0; k < group_len(&t->vmas, i); k++) {
		const struct vma_node *vm = &c->vma[group(&t->vmas, i)[k]];

		fprintf(f, "%s    vma 0x%llx-0x%llx pid %u  avcs %u\n", prefix,
			(unsigned long long)vm->vm_start,
			(unsigned long long)vm->vm_end, mm_pid(c, vm->mm),
			vm->nr_chain);
	}
	for (size_t k = 0, kids = group_len(&t->kids, i); k < kids; k++)
		print_node(c, t, f, group(&t->kids, i)[k], prefix, plen, k + 1 == kids,
			   false, raw);
	prefix[n] = 0;
}

static void print_tree(const struct collector *c, FILE *f, bool raw)
{
	struct tree_groups t;
	char prefix[512];
	size_t n;
	uint32_t *order = av_by_id(c, &n);

	fprintf(f, "\nanon_vma hierarchy (counters as kernel/derived; max is the largest seen)\n");
	if (!order || groups_build(&t.kids, order, n, c->nr_av, parent_of, c) ||
	    groups_build(&t.vmas, NULL, c->nr_vma, c->nr_av, own_anon_vma, c)) {
		if (order)
			groups_free(&t.kids);
		free(order);
		fprintf(f, "(not shown: out of memory)\n");
		return;
	}
	for (size_t k = 0; k < n; k++) {
		/* Roots, and orphans whose parent was never seen. */
		if (parent_of(order[k], c) != NONE)
			continue;
		prefix[0] = 0;
		fputc('\n', f);
		print_node(c, &t, f, order[k], prefix, sizeof(prefix), true, true, raw);
	}
	groups_free(&t.kids);
	groups_free(&t.vmas);
	free(order);
}

/* Stable KSM rmap_items holding anon_vma i, as the trace saw them. */
static uint32_t ksm_refs(const struct collector *c, uint32_t i)
{
	const struct av_hold *h = holders_of(&c->holds, i);

	return h ? h->ksm : 0;
}

static void print_json(const struct collector *c, FILE *f, bool raw)
{
	size_t n;
	uint32_t *order = av_by_id(c, &n);

	if (!order)
		fputs("{\"type\":\"error\",\"message\":\"anon_vmas not listed: out of memory\"}\n", f);
	for (size_t k = 0; k < n; k++) {
		uint32_t i = order[k];
		const struct anon_vma_node *a = &c->av[i];
		const struct mm_node *m = anon_vma_owner(c, i);
		struct av_counters d = anon_vma_derived(c, i);

		fprintf(f, "{\"type\":\"anon_vma\",\"id\":%u,\"root\":%u,\"parent\":%u,"
			"\"num_children\":%u,\"num_active_vmas\":%u,"
			"\"max_num_children\":%u,\"max_num_active_vmas\":%u,"
			"\"derived_num_children\":%u,\"derived_num_active_vmas\":%u,"
			"\"derived_max_num_children\":%u,\"derived_max_num_active_vmas\":%u,"
			"\"avcs\":%u,\"freed\":%s,\"origin\":\"%s\",\"reused\":%u,"
			"\"vm_start\":\"0x%llx\",\"ksm_refs\":%u,\"pid\":%u,\"comm\":",
			av_id(c, i), av_id(c, a->root), av_id(c, a->parent),
			a->kernel.num_children, a->kernel.num_active_vmas,
			a->kernel_max.num_children, a->kernel_max.num_active_vmas,
			d.num_children, d.num_active_vmas,
			a->derived_max.num_children, a->derived_max.num_active_vmas,
			a->nr_avcs, a->freed ? "true" : "false",
			origin_name[a->origin], a->reused,
			(unsigned long long)a->vm_start, ksm_refs(c, i), m ? m->pid : 0);
		json_string(f, m ? m->comm : "", TASK_COMM_LEN);
		if (raw)
			fprintf(f, ",\"addr\":\"0x%llx\"", (unsigned long long)a->ptr);
		fputs("}\n", f);
	}
	free(order);
	for (size_t k = 0; k < c->nr_viol; k++) {
		fprintf(f, "{\"type\":\"violation\",\"invariant\":%d,\"message\":",
			c->viol[k].invariant);
		json_string(f, c->viol[k].msg, sizeof(c->viol[k].msg));
		fputs("}\n", f);
	}
}

/*
 * The shape of the hierarchies seen: depth is the most anon_vmas on one
 * root-to-leaf parent chain (a fork chain N generations deep gives N),
 * width the most child anon_vmas one anon_vma had over the trace.
 */
static void hierarchy_shape(const struct collector *c, uint32_t *depth,
			    uint32_t *width)
{
	uint32_t *children = calloc(c->nr_av ? c->nr_av : 1, sizeof(*children));

	*depth = c->forgotten_depth;
	*width = c->forgotten_width;
	for (uint32_t i = 0; i < c->nr_av; i++) {
		uint32_t d, p;

		if (c->av[i].forgotten)
			continue;	/* its parent is a free list's link */
		d = av_depth(c, i);
		if (children && c->forgotten) {
			children[i] += av_forgotten_kids(c, i);
			if (children[i] > *width)
				*width = children[i];
		}
		if (d > *depth)
			*depth = d;
		p = c->av[i].parent;
		if (children && p != NONE && p != i && ++children[p] > *width)
			*width = children[p];
	}
	free(children);
}

void report_final(const struct collector *c, const struct report_opts *o)
{
	FILE *f = o->out;
	uint32_t depth, width;

	hierarchy_shape(c, &depth, &width);

	if (o->json) {
		print_json(c, f, o->raw_addrs);
		fprintf(f, "{\"type\":\"summary\",\"events\":%llu,\"lost\":%llu,"
			"\"violations\":%zu,\"walks\":%llu,\"malformed\":%llu,"
			"\"truncated_chains\":%llu,\"dropped_visits\":%llu,"
			"\"explained_differences\":%llu,\"unseen_unlinks\":%llu,\"unseen_frees\":%llu,"
			"\"max_depth\":%u,\"max_width\":%u,\"forgotten_anon_vmas\":%llu,"
			"\"held_by_ksm\":%u,\"checked\":%s}\n",
			(unsigned long long)c->events, (unsigned long long)c->lost,
			o->check ? c->nr_viol : 0, (unsigned long long)c->walks,
			(unsigned long long)c->malformed,
			(unsigned long long)c->truncated_chains,
			(unsigned long long)c->stale_visits,
			(unsigned long long)c->explained,
			(unsigned long long)c->unseen_unlinks,
			(unsigned long long)c->unseen_frees, depth, width,
			(unsigned long long)c->forgotten, holders_nr_held(&c->holds),
			o->check && !c->lost ? "true" : "false");
		return;
	}
	print_tree(c, f, o->raw_addrs);
	fputc('\n', f);
	if (o->check) {
		if (c->lost)
			fprintf(f, "checks skipped: %llu events lost (raise --buffer-mb); "
				"%llu possible violations not reported\n",
				(unsigned long long)c->lost,
				(unsigned long long)c->untrusted_viol);
		for (size_t k = 0; k < c->nr_viol; k++)
			fprintf(f, "VIOLATION invariant %d: %s\n", c->viol[k].invariant,
				c->viol[k].msg);
	}
	fprintf(f, "%llu events, %llu lost, %zu violations%s\n",
		(unsigned long long)c->events, (unsigned long long)c->lost,
		o->check ? c->nr_viol : 0, o->check ? "" : " (not checked: --check)");
	fprintf(f, "deepest hierarchy: %u anon_vmas root to leaf; widest: %u children of one anon_vma\n",
		depth, width);
	if (c->forgotten)
		fprintf(f, "%llu freed anon_vmas not listed above (--keep-freed %zu: the oldest "
			"freed go, once no listed one refers to them); the shape and the checks "
			"count them\n", (unsigned long long)c->forgotten, c->keep_freed);
	if (o->check && c->explained)
		fprintf(f, "%llu counter readings differed by no more than the other "
			"tasks' calls in flight on the hierarchy (explained, not violations)\n",
			(unsigned long long)c->explained);
	if (c->truncated_chains)
		fprintf(f, "%llu AVC chains longer than %d were cut\n",
			(unsigned long long)c->truncated_chains, MAX_CHAIN);
	if (c->stale_visits)
		fprintf(f, "%llu visits of rmap walks whose end was not seen were dropped\n",
			(unsigned long long)c->stale_visits);
	if (c->unseen_unlinks)
		fprintf(f, "%llu VMAs of traced anon_vmas were unlinked without having been "
			"seen linked (a creation the trace missed, or made before it began)\n",
			(unsigned long long)c->unseen_unlinks);
	if (holders_nr_held(&c->holds))
		fprintf(f, "%u anon_vmas still held by KSM's rmap items when tracing stopped "
			"(ksmd drops them when it next scans the exited process; trace longer "
			"to see them freed)\n", holders_nr_held(&c->holds));
	if (c->unseen_frees)
		fprintf(f, "%llu anon_vma addresses came back as other anon_vmas (another root "
			"or parent) before the trace saw them freed: their old nodes were "
			"retired\n", (unsigned long long)c->unseen_frees);
}

/* A log2 histogram in the style of bcc's print_log2_hist. */
static void print_log2_hist(FILE *f, const uint64_t *slots, int n,
			    const char *unit)
{
	uint64_t max = 0;
	int last = -1;

	for (int i = 0; i < n; i++) {
		if (slots[i] > max)
			max = slots[i];
		if (slots[i])
			last = i;
	}
	if (last < 0) {
		fprintf(f, "     (none)\n");
		return;
	}
	fprintf(f, "%24s : count    distribution\n", unit);
	for (int i = 0; i <= last; i++) {
		uint64_t lo = i ? 1ULL << (i - 1) : 0, hi = i ? (1ULL << i) - 1 : 0;
		int stars = max ? (int)(slots[i] * 40 / max) : 0;
		char bar[41];

		memset(bar, '*', stars);
		bar[stars] = 0;
		fprintf(f, "%10llu -> %-10llu : %-8llu |%-40s|\n",
			(unsigned long long)lo, (unsigned long long)hi,
			(unsigned long long)slots[i], bar);
	}
}

void report_hist(const struct collector *c, const struct report_opts *o)
{
	FILE *f = o->out;
	uint32_t top[5] = { NONE, NONE, NONE, NONE, NONE };

	fprintf(f, "\nrmap walk duration\n");
	print_log2_hist(f, c->stats.ns_hist, HIST_SLOTS, "nsecs");
	fprintf(f, "\nVMAs visited per rmap walk\n");
	print_log2_hist(f, c->stats.visits_hist, HIST_SLOTS, "vmas");

	/* The anon_vmas whose walks cost most, in total: top[] indexes wcost. */
	for (uint32_t i = 0; i < c->nr_wcost; i++) {
		uint32_t cur = i;

		for (int k = 0; k < 5; k++) {
			if (top[k] == NONE || c->wcost[cur].ns > c->wcost[top[k]].ns) {
				uint32_t tmp = top[k];

				top[k] = cur;
				cur = tmp;
				if (cur == NONE)
					break;
			}
		}
	}
	fprintf(f, "\ncostliest anon_vmas (total walk time)\n");
	for (int k = 0; k < 5 && top[k] != NONE; k++) {
		const struct walk_cost *w = &c->wcost[top[k]];
		const struct anon_vma_node *a = &c->av[w->anon_vma];
		const struct mm_node *m = anon_vma_owner(c, w->anon_vma);

		fprintf(f, "  anon_vma %-6u pid %-7u walks %-8llu total %.1fus  avcs %u\n",
			av_id(c, w->anon_vma), m ? m->pid : 0, (unsigned long long)w->walks,
			w->ns / 1e3, a->nr_avcs);
	}
}
