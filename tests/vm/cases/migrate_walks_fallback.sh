#!/usr/bin/env bash
# migrate_walks with rmap_walk_anon's fallback forced: rmaptrace watches
# rmap_walk and rmap_walk_locked instead, as it does on a kernel that
# inlined rmap_walk_anon (none of the matrix does); -v must say so.
# What the fallback cannot see: a caller in mm/rmap.c (try_to_migrate,
# try_to_unmap) may have rmap_walk itself inlined, so its walks never reach
# the hooked copy (trixie's build does this). remove_migration_ptes lives in
# mm/migrate.c and always calls the hooked copy: its walks must all be
# there and complete; unmap walks, where seen, must be too.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
pages=3
out=$(vm_run --numa 2 -- env RMAPTRACE_WALK_FALLBACK=1 \
	rmaptrace -v -w $guest_out/trace.rec --check --json -- fork_tree --seed-story --pages $pages --migrate 2>&1)
rc=$?
[[ $rc == 0 ]] || fail "rmaptrace exited $rc" "$out"
for fn in rmap_walk rmap_walk_locked; do
	grep -qE "^rmaptrace: hook $fn +(fentry\+fexit|kprobe\+kretprobe) \(for rmap_walk_anon" <<<"$out" ||
		errors+=("-v does not say $fn stands in for rmap_walk_anon")
done
grep -qE '^rmaptrace: hook rmap_walk_anon ' <<<"$out" && errors+=("rmap_walk_anon hooked too")
# Reclaim's callback under its pre-5.18 name on bullseye, hooked all the
# same (by kprobe where the preemption model rules fentry out: sid).
case $(basename "$kernel") in bullseye) ref=page_referenced_one ;; *) ref=folio_referenced_one ;; esac
grep -qE "^rmaptrace: hook $ref +(fexit|kprobe)( \\(shown as folio_referenced_one\\))?$" <<<"$out" ||
	errors+=("-v: reclaim's callback $ref not hooked: $(grep -E 'hook [a-z_]*referenced_one' <<<"$out")")

addr=$(tree_addr "$out") want=$(tree_pids "$out")
moved=$(grep -oE 'fork_tree: moved=[0-9]+' <<<"$out" | cut -d= -f2)
[[ -n $addr ]] || fail "workload did not report its mapping" "$out"
expect "pages moved" "$moved" "$pages"
first=$(( addr >> 12 ))
walks=$(grep -a '^{"type":"walk"' <<<"$out" |
	jq -c --argjson lo "$first" --argjson hi "$((first + pages))" 'select(.pgoff >= $lo and .pgoff < $hi)')
expect "pages with a remove_migration_pte walk" \
	"$(jq -r 'select(.callback == "remove_migration_pte") | .pgoff' <<<"$walks" | sort -u | wc -l)" "$pages"
bad=$(walks_off_tree "$want" "$addr" <<<"$walks")
expect "walks not visiting exactly the tree" "$(head -n 3 <<<"$bad")" ""
summary=$(grep -a '^{"type":"summary"' <<<"$out")
expect "violations" "$(jq .violations <<<"$summary")" 0
expect "lost" "$(jq .lost <<<"$summary")" 0
check_replay trace "$out" --check --json
echo "  seen through the fallback: $(jq -r .callback <<<"$walks" | sort | uniq -c | awk '{printf "%s %s; ", $1, $2}')"
finish
