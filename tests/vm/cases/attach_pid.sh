#!/usr/bin/env bash
# rmaptrace -p PID follows PID's forks from the moment it attaches, and
# stops by itself when the traced processes are gone: the seed's tree.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
out=$(vm_run -- sh "$vm_dir/cases/attach_pid.guest.sh" 2>&1)
grep -q '^rmaptrace_rc=0$' <<<"$out" || fail "rmaptrace -p did not exit 0" "$out"
check_seed_tree "$out" freed
check_replay trace "$out" --check --json
finish
