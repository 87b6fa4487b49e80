#!/usr/bin/env bash
# The traced anon_vma set (bpf/anon_vma.bpf.h): a table in .bss, and a
# hash map for anon_vmas whose slot is taken (cmpxchg, 5.12+), or for all
# of them with the table a copy (5.10). With 4 slots most anon_vmas go
# through the map: the story must come out the same, its walks be seen,
# and every anon_vma leave the set when put ("still traced: 0" at the
# end, -v), at 4 slots and at the full size. Then the walk states in the
# walks map only (they take .bss slots otherwise): every walk again.
# The traced processes likewise (bpf/task.bpf.h): the story with one
# slot for them, all but one in the traced_tgids map, must come out the
# same and leave none traced ("processes still traced: 0").
set -uo pipefail
. "$(dirname "$0")/lib.sh"
out=$(vm_run --numa 2 -- sh "$vm_dir/cases/anon_vma_slots.guest.sh" 2>&1)
for run in full four walk tgids; do
	o=$(sed -n "s/^$run: //p" <<<"$out")
	[[ -n $o ]] || fail "no output from the $run run" "$out"
	expect "$run: processes left traced" \
		"$(grep -oE '^rmaptrace: processes still traced: [0-9]+' <<<"$o")" \
		"rmaptrace: processes still traced: 0"
	expect "$run: anon_vmas left in the traced set" \
		"$(grep -oE '^rmaptrace: anon_vmas still traced: [0-9]+' <<<"$o")" \
		"rmaptrace: anon_vmas still traced: 0"
	case $run in
	full | tgids) expect "$run: table size said" "$(grep -c 'traced anon_vma table:' <<<"$o")" 0 ;;
	*) expect "$run: table size said" "$(grep -c '^rmaptrace: traced anon_vma table: 4 slots' <<<"$o")" 1 ;;
	esac
	# Which object was loaded: the one without cmpxchg on 5.10 only.
	case $(basename "$kernel") in bullseye) want=1 ;; *) want=0 ;; esac
	expect "$run: object without cmpxchg" "$(grep -c '^rmaptrace: no BPF cmpxchg' <<<"$o")" "$want"
done
check_seed_tree "$(sed -n 's/^full: //p' <<<"$out")" freed
check_seed_tree "$(sed -n 's/^four: //p' <<<"$out")" freed
o=$(sed -n 's/^tgids: //p' <<<"$out")
expect "tgids: table size said" "$(grep -c '^rmaptrace: traced process table: 1 slots' <<<"$o")" 1
check_seed_tree "$o" freed
pages=3 check_migrate_walks "$(sed -n 's/^walk: //p' <<<"$out")" 3
o=$(sed -n 's/^mapwalk: //p' <<<"$out")
expect "mapwalk: map-only said" "$(grep -c '^rmaptrace: walk states in the map only' <<<"$o")" 1
pages=3 check_migrate_walks "$o" 3
finish
