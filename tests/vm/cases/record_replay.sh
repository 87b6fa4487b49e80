#!/usr/bin/env bash
# A recording made from a real kernel's events replays to the same tree,
# the same checks and the same summary as the live run, and is private.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
out=$(vm_run -- sh "$vm_dir/cases/record_replay.guest.sh" 2>&1)
expect "live exit" "$(grep -o '^live_rc=[0-9]*' <<<"$out")" "live_rc=0"
expect "replay exit" "$(grep -o '^replay_rc=[0-9]*' <<<"$out")" "replay_rc=0"
expect "file mode" "$(grep -o '^mode=[0-9]*' <<<"$out")" "mode=600"
live=$(grep -a '^live: {"type":"\(anon_vma\|summary\|violation\)"' <<<"$out" | cut -c7-)
replay=$(grep -a '^replay: {"type":"\(anon_vma\|summary\|violation\)"' <<<"$out" | cut -c9-)
[[ -n $live ]] || fail "no live report" "$out"
expect "replayed report = live report" "$(diff <(echo "$live") <(echo "$replay") | head -n 5)" ""
check_seed_tree "$(grep -a '^replay: ' <<<"$out" | cut -c9-)
$(grep -a 'seed_fork:' <<<"$out" | sed 's/^live: //')" freed
finish
