#!/usr/bin/env bash
# rmaptrace's live lines and the traced command's share a file when
# stdout is redirected (rmaptrace --json -- CMD > FILE): every line of it
# is one or the other, whole. stdio used to write out a full buffer
# mid-line, and a line of the command's landed inside one of rmaptrace's
# (vm/leader_exit failed so once, on bookworm).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
out=$(vm_run -- sh "$vm_dir/cases/shared_stdout.guest.sh" 2>&1)
expect "exit" "$(grep -o '^rc=[0-9]*' <<<"$out")" "rc=0"
lines=$(sed -n 's/^out: //p' <<<"$out")
ticks=$(grep -c '^tick [0-9]*$' <<<"$lines")
json=$(grep -c '^{' <<<"$lines")
expect "the command's lines, whole" "$ticks" 200
((json > 1000)) || fail "too few of rmaptrace's lines to mean something: $json" "$out"
expect "lines neither whole JSON nor the command's" \
	"$(grep -v '^tick [0-9]*$' <<<"$lines" |
		jq -R -r '. as $l | try (fromjson | empty) catch $l' | head -n 3 | cut -c1-200)" ""
echo "  $json lines of rmaptrace's and $ticks of the command's in one file"
finish
