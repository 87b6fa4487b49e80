#!/usr/bin/env bash
# rmap walks under page migration, on a guest with two NUMA nodes. A fork
# tree shares pages its root faulted before forking; the root moves them to
# the other node with move_pages(MPOL_MF_MOVE_ALL). Each page must be walked
# through try_to_migrate_one and then remove_migration_pte, and each walk
# must visit exactly the VMAs of every process of the tree at the mapping.
#   FORK_TREE_ARGS: the tree (default: the seeds' P/C1/C2/GC story).
#   RMAPTRACE_FLAGS: more rmaptrace options (migrate_walks_kprobes).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
shape=${FORK_TREE_ARGS:---seed-story}
pages=3
out=$(vm_run --numa 2 -- rmaptrace -v ${RMAPTRACE_FLAGS:-} -w $guest_out/trace.rec --check --json -- \
	fork_tree $shape --pages $pages --migrate 2>&1)
rc=$?
[[ $rc == 0 ]] || fail "rmaptrace exited $rc" "$out"
# Program runs the kernel skipped (sid, 89 in one run of the wide tree
# while the host was loaded) leave walks short: not a wrong check. Events
# the ring buffer dropped are not excused.
lost=$(grep -a '^{"type":"summary"' <<<"$out" | jq .lost)
all_skipped "${lost:-0}" "$out" && xfail_skipped "$lost" "$out"

check_migrate_walks "$out" "$pages"
check_replay trace "$out" --check --json
finish
