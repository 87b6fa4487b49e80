#!/usr/bin/env bash
# rmap walks under page migration, on a guest with two NUMA nodes. A fork
# tree shares pages its root faulted before forking; the root moves them to
# the other node with move_pages(MPOL_MF_MOVE_ALL). Each page must be walked
# through try_to_migrate_one and then remove_migration_pte, and each walk
# must visit exactly the VMAs of every process of the tree at the mapping.
#   FORK_TREE_ARGS: the tree (default: the seeds' P/C1/C2/GC story).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
shape=${FORK_TREE_ARGS:---seed-story}
pages=3
out=$(vm_run --numa 2 -- rmaptrace --check --json -- fork_tree $shape --pages $pages --migrate 2>&1)
rc=$?
[[ $rc == 0 ]] || fail "rmaptrace exited $rc" "$out"

addr=$(grep -oE 'fork_tree: addr=0x[0-9a-f]+' <<<"$out" | cut -d= -f2)
nodes=$(grep -oE 'fork_tree: addr=.* nodes=[0-9]+' <<<"$out" | grep -oE '[0-9]+$')
moved=$(grep -oE 'fork_tree: moved=[0-9]+' <<<"$out" | cut -d= -f2)
[[ -n $addr && -n $nodes ]] || fail "workload did not report its mapping" "$out"
expect "pages moved" "$moved" "$pages"
# Every pid of the tree, sorted: what each walk must visit.
want=$(grep -oE 'fork_tree: node=[0-9]+ pid=[0-9]+' <<<"$out" | grep -oE '[0-9]+$' | sort -n | paste -sd, -)
expect "processes in the tree" "$(tr , '\n' <<<"$want" | grep -c .)" "$nodes"

first=$(( addr >> 12 ))
walks=$(grep -a '^{"type":"walk"' <<<"$out" |
	jq -c --argjson lo "$first" --argjson hi "$((first + pages))" 'select(.pgoff >= $lo and .pgoff < $hi)')
# Migration unmaps through try_to_migrate_one since 5.15; 5.10 used
# try_to_unmap_one with TTU_MIGRATION.
case $(basename "$kernel") in bullseye) unmap_cb=try_to_unmap_one ;; *) unmap_cb=try_to_migrate_one ;; esac
for cb in $unmap_cb remove_migration_pte; do
	for ((i = 0; i < pages; i++)); do
		w=$(jq -c --arg cb "$cb" --argjson pg "$((first + i))" \
			'select(.callback == $cb and .pgoff == $pg)' <<<"$walks")
		[[ -n $w ]] || { errors+=("page $i: no $cb walk"); continue; }
		w=$(head -n1 <<<"$w")
		got=$(jq -r '[.visited[].pid] | sort | map(tostring) | join(",")' <<<"$w")
		expect "page $i $cb visited pids" "$got" "$want"
		expect "page $i $cb visited only the mapping" \
			"$(jq -r --arg a "$addr" '[.visited[] | select(.vma_start != $a)] | length' <<<"$w")" 0
		expect "page $i $cb predicted" "$(jq .predicted <<<"$w")" "$nodes"
		expect "page $i $cb missed" "$(jq '.missed | length' <<<"$w")" 0
	done
done
# Per page: unmapped first, then the migration entries removed.
for ((i = 0; i < pages; i++)); do
	order=$(jq -r --argjson pg "$((first + i))" 'select(.pgoff == $pg) | .callback' <<<"$walks" |
		uniq | paste -sd' ' -)
	expect "page $i walk order" "$order" "$unmap_cb remove_migration_pte"
done
summary=$(grep -a '^{"type":"summary"' <<<"$out")
expect "violations" "$(jq .violations <<<"$summary")" 0
expect "lost" "$(jq .lost <<<"$summary")" 0
finish
