#!/usr/bin/env bash
# Many tasks changing one hierarchy while another walks it: 32 children
# of one root split and re-merge their copy of its VMA (anon_vma_clone,
# unlink_anon_vmas under the root's lock) while the parent migrates the
# page they all map (rmap walks of the same tree). A walk can visit a VMA
# whose split's clone event comes after the walk's (the cloning task had
# not returned yet): the collector must explain it by that call rather
# than call it a violation (seen: about 1 run in 8 on sid before it did).
# Four runs: no violation, nothing lost but program runs the kernel
# skipped (then XFAIL, as stress_ng), migrations walked, every replay
# the same as live.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
out=$(vm_run --numa 2 -- sh "$vm_dir/cases/root_contend.guest.sh" $guest_out 2>&1)
xfail=()
for n in 1 2 3 4; do
	o=$(sed -n "s/^run$n: //p" <<<"$out")
	[[ -n $o ]] || fail "no output from run $n" "$out"
	summary=$(grep -a '^{"type":"summary"' <<<"$o")
	[[ -n $summary ]] || fail "run $n: no summary" "$o"
	grep -aq '^root_contend: 32 children, 100 rounds each, [1-9][0-9]* moves$' <<<"$o" ||
		errors+=("run $n: the workload did not finish, or moved nothing: $(grep -a '^root_contend' <<<"$o")")
	expect "run $n: exit" "$(grep -a '^exit ' <<<"$o")" "exit 0"
	expect "run $n: violations" "$(jq .violations <<<"$summary")" 0
	expect "run $n: walks seen" "$(jq '.walks > 0' <<<"$summary")" true
	lost=$(jq .lost <<<"$summary")
	if all_skipped "$lost" "$o"; then
		xfail+=("$n" "$lost" "$o")
	else
		expect "run $n: lost" "$lost" 0
	fi
	echo "  run $n: $(jq -c '{events, lost, walks, explained_differences}' <<<"$summary")"
done
check_replay run1 "$(sed -n 's/^run1: //p' <<<"$out")" --check --json --quiet
# The first run with skipped program runs says XFAIL, where all else held.
((${#errors[@]} == 0 && ${#xfail[@]} > 0)) && xfail_skipped "${xfail[1]}" "${xfail[2]}"
finish
