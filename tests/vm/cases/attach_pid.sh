#!/usr/bin/env bash
# rmaptrace -p PID follows PID's forks from the moment it attaches, and
# stops by itself when the traced processes are gone: the seed's tree;
# and stops all the same when their exit events are lost.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
out=$(vm_run -- sh "$vm_dir/cases/attach_pid.guest.sh" 2>&1)
grep -q '^rmaptrace_rc=0$' <<<"$out" || fail "rmaptrace -p did not exit 0" "$out"
check_seed_tree "$out" freed
check_replay trace "$out" --check --json

# Every exit event lost: -p never learns its processes ended, and must
# stop by asking /proc instead (within seconds, not at the guest's
# timeout), say how many exits it missed, and count them lost.
lost_out=$(vm_run --timeout 120 -- sh "$vm_dir/cases/attach_pid.guest.sh" lose-exits 2>&1)
grep -q '^rmaptrace_rc=0$' <<<"$lost_out" ||
	errors+=("exits lost: rmaptrace -p did not end by itself with 0: $(grep -E 'rmaptrace_rc|timeout' <<<"$lost_out" | head -n 2)")
expect "exits lost: what -p says" \
	"$(grep -oE 'rmaptrace: the traced processes are gone, [0-9]+ of their exits not seen' <<<"$lost_out")" \
	"rmaptrace: the traced processes are gone, 4 of their exits not seen"
expect "exits lost: counted lost" "$(grep -a '^{"type":"summary"' <<<"$lost_out" | jq .lost)" 4
finish
