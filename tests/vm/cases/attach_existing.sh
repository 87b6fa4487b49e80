#!/usr/bin/env bash
# rmaptrace -p on a process tree that built its hierarchy before the tool
# started: the task_vma snapshot at attach must give the same tree as a
# trace from the start (the seed's diagram), checked, and then freed as the
# four exit. Kernels without the iterator (5.10) must say so in one line.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
out=$(vm_run -- sh "$vm_dir/cases/attach_existing.guest.sh" 2>&1)
grep -q '^rmaptrace_rc=0$' <<<"$out" || fail "rmaptrace -p did not exit 0" "$out"
if grep -q 'snapshot at attach: none' <<<"$out"; then
	expect "one line saying why" "$(grep -c 'no task_vma iterator in this kernel' <<<"$out")" 1
	expect "violations" "$(grep -a '^{"type":"summary"' <<<"$out" | jq .violations)" 0
	check_replay trace "$out" --check --json
	finish
	exit
fi
SEED_ORIGIN=snapshot check_seed_tree "$out" freed
check_replay trace "$out" --check --json
finish
