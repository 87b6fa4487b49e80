#!/usr/bin/env bash
# A whole address space's teardown in one event (bpf/mm.bpf.h).
# fork_bench forks 8 children that exit at once, and exits. Where the
# exit_mmap hooks run (fentry mode with BPF cmpxchg: bookworm, trixie),
# its 9 teardowns come as 9 exit_mmap events, the children's each with
# the same number of VMAs, and no unlink_anon_vmas event at all; with
# --unlink-each, and where the hooks are off (bullseye: no cmpxchg; sid:
# kprobe mode under lazy preemption, -v says which), none and an unlink
# event per VMA. Either way no violation, no window left open, every
# anon_vma freed, and the same final hierarchy: ids, links, freed, and
# kernel and derived counters at their largest, line for line. Both
# recordings replay to the live lines.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
out=$(vm_run -- sh "$vm_dir/cases/exit_mmap.guest.sh" $guest_out 2>&1)
declare -A hook_default=([bullseye]="off (no BPF cmpxchg)" [sid]="not watched in kprobe mode"
			 [bookworm]="fentry+fexit" [trixie]="fentry+fexit")
declare -A hook_each=([bullseye]="off (--unlink-each)" [sid]="not watched in kprobe mode"
		      [bookworm]="off (--unlink-each)" [trixie]="off (--unlink-each)")
k=$(basename "$kernel")
declare -A trees
for mode in default each; do
	o=$(sed -n "s/^$mode: //p" <<<"$out")
	[[ -n $o ]] || fail "no output from the $mode run" "$out"
	expect "$mode: exit" "$(grep -a '^exit ' <<<"$o")" "exit 0"
	summary=$(grep -a '^{"type":"summary"' <<<"$o")
	[[ -n $summary ]] || { errors+=("$mode: no summary"); continue; }
	lost=$(jq .lost <<<"$summary")
	((lost > 0)) && all_skipped "$lost" "$o" && xfail_skipped "$lost" "$o"
	expect "$mode: violations" "$(jq .violations <<<"$summary")" 0
	expect "$mode: lost" "$lost" 0
	expect "$mode: unlink calls whose end was not seen" \
		"$(grep -aoE 'unlink calls whose end was not seen: [0-9]+' <<<"$o" | grep -oE '[0-9]+$')" 0
	hook=$(grep -aoE '^rmaptrace: hook exit_mmap +.*' <<<"$o" | sed -E 's/^rmaptrace: hook exit_mmap +//')
	want=hook_$mode
	want="${want}[$k]"
	[[ -n ${!want:-} ]] && expect "$mode: exit_mmap hook" "$hook" "${!want}"
	events=$(grep -a '^{"type":"event"' <<<"$o")
	teardowns=$(jq -r 'select(.event == "exit_mmap") | .vmas' <<<"$events")
	unlinks=$(jq -r 'select(.event == "unlink_anon_vmas") | .event' <<<"$events" | grep -c .)
	if [[ $hook == fentry+fexit ]]; then
		expect "$mode: exit_mmap events" "$(grep -c . <<<"$teardowns")" 9
		expect "$mode: the children's teardowns, VMAs each" \
			"$(head -n 8 <<<"$teardowns" | sort -u | wc -l)" 1
		(($(head -n 1 <<<"$teardowns") >= 16)) ||
			errors+=("$mode: a child's teardown took $(head -n 1 <<<"$teardowns") VMAs, fewer than its 16")
		expect "$mode: unlink_anon_vmas events" "$unlinks" 0
	else
		expect "$mode: exit_mmap events" "$(grep -c . <<<"$teardowns")" 0
		((unlinks >= 9 * 16)) || errors+=("$mode: $unlinks unlink_anon_vmas events, fewer than 9 x 16")
	fi
	nodes=$(grep -a '^{"type":"anon_vma"' <<<"$o")
	expect "$mode: anon_vmas not freed" "$(jq -r 'select(.freed == false) | .id' <<<"$nodes" | grep -c .)" 0
	trees[$mode]=$(jq -c '[.id, .root, .parent, .freed, .max_num_children, .max_num_active_vmas,
			       .derived_max_num_children, .derived_max_num_active_vmas]' <<<"$nodes")
	n=$(grep -c . <<<"${trees[$mode]}")
	((n >= 9 * 16)) || errors+=("$mode: $n anon_vmas, fewer than fork_bench's 9 x 16")
	check_replay "$mode" "$o" --check --json
done
[[ -n ${trees[default]:-} ]] &&
	expect "the same hierarchy either way" "$(diff <(echo "${trees[default]}") <(echo "${trees[each]}") | head -n 4)" ""
finish
