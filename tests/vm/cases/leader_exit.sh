#!/usr/bin/env bash
# A thread group stays traced until its last thread exits, not its
# leader. leader_exit's main thread faults in 16 pages and calls
# pthread_exit; the worker then makes the 7 odd pages read-only one by
# one (each mprotect splits the VMA around the page: 2 anon_vma_clone
# calls, __split_vma) and writable again (merges), and returns. So:
# 14 clones onto the mapping's anon_vma, all by the workload's pid;
# num_active_vmas peaks at 15 in the kernel and in the collector; one
# exit event, after the last clone; no violation. Before, the leader's
# exit untraced the group: the clones were filtered out, and the teardown
# found the kernel's count above the derived one (stress_ng on sid, where
# stress-ng's madvise threads outlive their leader by a split or two).
# (The old code's recordings replay with unseen_unlinks 14.) Three runs: tp_btf or the default, --kprobes (taskstats_exit), and
# --kprobes at do_exit's entry.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
out=$(vm_run -- sh "$vm_dir/cases/leader_exit.guest.sh" $guest_out 2>&1)
declare -A hook=([kprobes]="kprobe taskstats_exit" [do_exit]="kprobe do_exit")
for mode in default kprobes do_exit; do
	o=$(sed -n "s/^$mode: //p" <<<"$out")
	[[ -n $o ]] || fail "no output from the $mode run" "$out"
	expect "$mode: exit" "$(grep -a '^exit ' <<<"$o")" "exit 0"
	line=$(grep -a '^leader_exit: ' <<<"$o")
	[[ $line == *' splits=7' ]] || { errors+=("$mode: the workload did not finish: '$line'"); continue; }
	addr=$(grep -oE 'addr=0x[0-9a-f]+' <<<"$line" | cut -d= -f2)
	summary=$(grep -a '^{"type":"summary"' <<<"$o")
	[[ -n $summary ]] || { errors+=("$mode: no summary"); continue; }
	expect "$mode: violations" "$(jq .violations <<<"$summary")" 0
	expect "$mode: lost" "$(jq .lost <<<"$summary")" 0
	expect "$mode: checked" "$(jq .checked <<<"$summary")" true
	expect "$mode: unlinks of VMAs never seen linked" "$(jq .unseen_unlinks <<<"$summary")" 0
	[[ -z ${hook[$mode]:-} ]] || grep -aq "hook sched_process_exit .*${hook[$mode]}" <<<"$o" ||
		errors+=("$mode: exits not watched by ${hook[$mode]}")
	events=$(grep -a '^{"type":"event"' <<<"$o")
	prep=$(jq -c --arg a "$addr" 'select(.event == "anon_vma_prepare" and .vma_start == $a)' <<<"$events" | head -n1)
	[[ -n $prep ]] || { errors+=("$mode: no anon_vma_prepare at $addr"); continue; }
	id=$(jq .anon_vma <<<"$prep") pid=$(jq .pid <<<"$prep")
	clones=$(jq -c --argjson id "$id" --argjson p "$pid" \
		'select(.event == "anon_vma_clone" and .anon_vma == $id and .pid == $p)' <<<"$events")
	expect "$mode: the worker's clones" "$(grep -c . <<<"$clones")" 14
	rec=$(grep -a '^{"type":"anon_vma"' <<<"$o" | jq -c --argjson id "$id" 'select(.id == $id)')
	expect "$mode: max num_active_vmas" "$(jq .max_num_active_vmas <<<"$rec")" 15
	expect "$mode: derived max num_active_vmas" "$(jq .derived_max_num_active_vmas <<<"$rec")" 15
	exits=$(jq -r --argjson p "$pid" 'select(.event == "exit" and .child == $p) | .ts' <<<"$events")
	expect "$mode: exit events" "$(grep -c . <<<"$exits")" 1
	last=$(jq -r .ts <<<"$clones" | tail -n1)
	[[ -n $exits && -n $last && $(jq -n "$exits > $last") == true ]] ||
		errors+=("$mode: the exit at '$exits' does not follow the last clone at '$last'")
	echo "  $mode: $(jq -c '{events, lost, violations}' <<<"$summary")"
done
check_replay kprobes "$(sed -n 's/^kprobes: //p' <<<"$out")" --check --json
finish
