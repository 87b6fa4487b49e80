// SPDX-License-Identifier: GPL-2.0
/*
 * The hierarchy as Graphviz, drawn the way the seeds draw it: one box per
 * process holding its VMAs and the anon_vmas it owns; parent links between
 * anon_vmas; one dashed edge per AVC from a VMA to an anon_vma it is
 * chained to; a VMA's own anon_vma (vma->anon_vma) in bold. VMAs unmapped
 * before tracing stopped are drawn dashed, with the AVCs they had. With
 * a root, only that hierarchy and the VMAs chained to it are drawn: one
 * mapping's tree, as in the seeds, not every anon VMA of every process.
 */
#include <stdio.h>
#include <string.h>
#include "collector.h"
#include "groups.h"
#include "report.h"

static void anon_vma_node(FILE *f, const struct collector *c, uint32_t i,
			  bool raw)
{
	const struct anon_vma_node *a = &c->av[i];
	struct av_counters d = anon_vma_derived(c, i);

	fprintf(f, "    av%u [shape=ellipse%s%s label=\"anon_vma %u%s\\n", av_id(c, i),
		a->root == i ? " peripheries=2" : "", a->freed ? " style=dashed" : "",
		av_id(c, i), a->root == i ? " (root)" : a->freed ? " (freed)" : "");
	if (raw)
		fprintf(f, "0x%llx\\n", (unsigned long long)a->ptr);
	fprintf(f, "num_children %u/%u (max %u)\\nnum_active_vmas %u/%u (max %u)\"];\n",
		a->kernel.num_children, d.num_children, a->kernel_max.num_children,
		a->kernel.num_active_vmas, d.num_active_vmas,
		a->kernel_max.num_active_vmas);
}

static bool av_drawn(const struct collector *c, uint32_t i, uint32_t root)
{
	return !c->av[i].forgotten && (root == NONE || root_of(c, i) == root);
}

static bool vma_drawn(const struct collector *c, uint32_t v, uint32_t root)
{
	const struct vma_node *vn = &c->vma[v];
	uint32_t n = vn->dead ? vn->nr_last_chain : vn->nr_chain;

	if (root == NONE)
		return true;
	for (uint32_t k = 0; k < n; k++)
		if (vma_chain(vn)[k] != NONE && av_drawn(c, vma_chain(vn)[k], root))
			return true;
	return false;
}

static uint32_t av_owner(uint32_t i, const void *ctx)
{
	return ((const struct collector *)ctx)->av[i].mm;
}

static uint32_t vma_owner(uint32_t v, const void *ctx)
{
	return ((const struct collector *)ctx)->vma[v].mm;
}

void report_dot(const struct collector *c, FILE *f, uint32_t root, bool raw)
{
	struct groups avs, vmas;	/* by mm */

	fprintf(f, "// rmaptrace: anon_vma hierarchy (kernel/derived counters)\n"
		"digraph rmaptrace {\n  rankdir=BT;\n  node [fontname=\"monospace\" fontsize=10];\n"
		"  edge [fontname=\"monospace\" fontsize=8];\n");
	if (groups_build(&avs, NULL, c->nr_av, c->nr_mm, av_owner, c) ||
	    groups_build(&vmas, NULL, c->nr_vma, c->nr_mm, vma_owner, c)) {
		groups_free(&avs);
		fprintf(f, "  // not drawn: out of memory\n}\n");
		return;
	}
	for (uint32_t m = 0; m < c->nr_mm; m++) {
		const struct mm_node *mm = &c->mm[m];
		const uint32_t *av = group(&avs, m), *vma = group(&vmas, m);
		size_t nr_av = group_len(&avs, m), nr_vma = group_len(&vmas, m);
		char comm[TASK_COMM_LEN + 1] = "";
		bool empty = true;

		for (size_t k = 0; k < nr_av && empty; k++)
			empty = !av_drawn(c, av[k], root);
		for (size_t k = 0; k < nr_vma && empty; k++)
			empty = !vma_drawn(c, vma[k], root);
		if (empty)
			continue;

		for (int k = 0; k < TASK_COMM_LEN && mm->comm[k]; k++)
			comm[k] = (mm->comm[k] == '"' || mm->comm[k] == '\\' ||
				   (unsigned char)mm->comm[k] < 32) ? '_' : mm->comm[k];
		fprintf(f, "  subgraph cluster_mm%u {\n    label=\"pid %u %s\"; style=rounded;\n",
			m, mm->pid, comm);
		for (size_t k = 0; k < nr_av; k++)
			if (av_drawn(c, av[k], root))
				anon_vma_node(f, c, av[k], raw);
		for (size_t k = 0; k < nr_vma; k++) {
			const struct vma_node *vn = &c->vma[vma[k]];

			if (vma_drawn(c, vma[k], root))
				fprintf(f, "    vma%u [shape=box%s label=\"vma 0x%llx-0x%llx%s\"];\n",
					vma[k], vn->dead ? " style=dashed" : "",
					(unsigned long long)vn->vm_start,
					(unsigned long long)vn->vm_end,
					vn->dead ? "\\n(unmapped)" : "");
		}
		fprintf(f, "  }\n");
	}
	groups_free(&avs);
	groups_free(&vmas);
	for (uint32_t i = 0; i < c->nr_av; i++) {
		const struct anon_vma_node *a = &c->av[i];

		if (!av_drawn(c, i, root))
			continue;
		if (a->mm == NONE || a->mm >= c->nr_mm)
			anon_vma_node(f, c, i, raw);
		if (a->parent != NONE && a->parent != i)
			fprintf(f, "  av%u -> av%u [label=\"parent\" penwidth=2];\n",
				av_id(c, i), av_id(c, a->parent));
	}
	for (uint32_t v = 0; v < c->nr_vma; v++) {
		const struct vma_node *vn = &c->vma[v];
		uint32_t n = vn->dead ? vn->nr_last_chain : vn->nr_chain;
		uint32_t own = vn->dead ? vn->last_anon_vma : vn->anon_vma;

		for (uint32_t k = 0; k < n; k++) {
			if (vma_chain(vn)[k] == NONE || !av_drawn(c, vma_chain(vn)[k], root))
				continue;
			fprintf(f, "  vma%u -> av%u [style=dashed color=blue label=\"avc\"%s];\n",
				v, av_id(c, vma_chain(vn)[k]),
				vma_chain(vn)[k] == own ? " penwidth=2 color=darkgreen" : "");
		}
	}
	fprintf(f, "}\n");
}
