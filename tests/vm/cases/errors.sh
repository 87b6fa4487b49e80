#!/usr/bin/env bash
# The errors a user can act on, in a guest where tracing is otherwise allowed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
out=$(vm_run -- sh "$vm_dir/cases/errors.guest.sh" 2>&1)
grep -q '^ok ' <<<"$out" || fail "guest ran no check" "$out"
while read -r line; do
	errors+=("$line")
done < <(grep -a '^bad ' <<<"$out")
[[ $(grep -c '^ok ' <<<"$out") == 6 ]] || errors+=("expected 6 ok lines")
finish
