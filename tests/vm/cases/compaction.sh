#!/usr/bin/env bash
# rmap walks under compaction. The seeds' P/C1/C2/GC tree holds most of the
# guest's free memory as single pages between holes, so the node is
# fragmented and what compaction moves is the tree's. Once compaction runs
# synchronously through /proc/sys/vm/compact_memory (written by P), once
# kcompactd runs it on its own (proactive compaction). Whichever task walks,
# each walk of a tree page is attributed to P's anon_vma and visits the four
# processes; every moved page was walked twice (unmap, then the migration
# entries removed); no violation, nothing lost.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
case $(basename "$kernel") in bullseye) unmap_cb=try_to_unmap_one ;; *) unmap_cb=try_to_migrate_one ;; esac

for mode in sync kcompactd; do
	case $mode in sync) comm='^fork_tree$' ;; kcompactd) comm='^kcompactd' ;; esac
	# A boot whose compaction moved none of the tree's pages and walked
	# none of them (bookworm, once in a CI run: three writes of
	# compact_memory, no walk) is booted again, once: the workload's own
	# count of moved pages, not rmaptrace, decides, and the first try's
	# compaction counters are shown.
	for try in 1 2; do
		out=$(vm_run --mem 384 -- sh "$vm_dir/cases/compaction.guest.sh" $mode 2>&1)
		moved=$(grep -oE "fork_tree: compact=$mode moved=[0-9]+" <<<"$out" | grep -oE '[0-9]+$')
		pages=$(grep -oE 'fork_tree: addr=.* pages=[0-9]+' <<<"$out" | grep -oE '[0-9]+$')
		addr=$(tree_addr "$out") want=$(tree_pids "$out")
		[[ -n $addr && -n $pages ]] || fail "$mode: the fork tree did not start" "$out"
		first=$(( addr >> 12 ))
		walks=$(grep -a '^{"type":"walk"' <<<"$out" |
			jq -c --argjson lo "$first" --argjson hi "$((first + 2 * pages))" --arg comm "$comm" \
				'select(.pgoff >= $lo and .pgoff < $hi and (.comm | test($comm)))')
		[[ -z $walks && ${moved:-0} == 0 && $try == 1 ]] || break
		echo "  $mode: the kernel neither moved nor walked any of the tree's pages; booting again"
		grep -a '^fork_tree: \(vmstat\|compact\)' <<<"$out" | sed 's/^/    /'
	done
	expect "$mode: rmaptrace exit" "$(grep -o '^rc=[0-9]*' <<<"$out")" "rc=0"
	root_pid=$(grep -oE 'fork_tree: node=0 pid=[0-9]+' <<<"$out" | grep -oE '[0-9]+$')
	p_av=$(grep -a '^{"type":"anon_vma"' <<<"$out" |
		jq -r --arg a "$addr" --argjson p "$root_pid" 'select(.vm_start == $a and .pid == $p) | .id')
	[[ -n $p_av ]] || fail "$mode: no anon_vma for P's mapping" "$out"
	[[ -n $walks ]] || fail "$mode: $moved pages moved, no walk by ${comm//[\^\$]/} seen" "$out"
	# Compaction may try the tree's pages and move none (sid, once in a CI
	# run: 485 walks, three writes of compact_memory, nothing moved): the
	# walks of its tries are walks all the same, and checked below.
	((${moved:-0} > 0)) ||
		echo "  $mode: the kernel moved none of the tree's pages; checking the walks of its tries"
	bad=$(walks_off_tree "$want" "$addr" \
		".anon_vma != $p_av or (.callback != \"$unmap_cb\" and .callback != \"remove_migration_pte\")" <<<"$walks")
	expect "$mode: walks not on P's anon_vma or not visiting the tree" "$(head -n 3 <<<"$bad")" ""
	expect "$mode: both callbacks walked" \
		"$(jq -r .callback <<<"$walks" | sort -u | paste -sd' ' -)" "remove_migration_pte $unmap_cb"
	summary=$(grep -a '^{"type":"summary"' <<<"$out")
	nwalks=$(jq .walks <<<"$summary")
	[[ ${nwalks:-0} -ge $((2 * moved)) ]] ||
		errors+=("$mode: $moved pages moved but only ${nwalks:-0} walks traced")
	expect "$mode: violations" "$(jq .violations <<<"$summary")" 0
	expect "$mode: lost" "$(jq .lost <<<"$summary")" 0
	# The guest kept only some walk lines: compare the report.
	replay_types='anon_vma|violation|summary' check_replay $mode "$out" --check --json
	echo "  $mode: $moved of $pages pages moved, $nwalks walks; checked $(wc -l <<<"$walks") by $(jq -r .comm <<<"$walks" | sort -u | paste -sd, -)"
done
finish
