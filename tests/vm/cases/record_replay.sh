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
# and on the host, from the recording brought back
check_replay story "$(grep -a '^live: ' <<<"$out" | cut -c7-)" --check --json --quiet
check_seed_tree "$(grep -a '^replay: ' <<<"$out" | cut -c9-)
$(grep -a '^live: .*seed_fork:' <<<"$out" | sed 's/^live: //')" freed

# Full disk: the live run is whole, the tool names where recording stopped,
# the replay stops at the cut with the offset and says so.
expect "full-disk live exit" "$(grep -o '^full_rc=[0-9]*' <<<"$out")" "full_rc=0"
expect "full-disk live summary" \
	"$(grep -a '^full: {"type":"summary"' <<<"$out" | grep -o '"violations":0')" '"violations":0'
stopped=$(grep -a '^full: rmaptrace: recording /tmp/small/story.rec stopped at [0-9]* bytes: No space left on device' <<<"$out")
[[ -n $stopped ]] || fail "the full disk was not reported" "$(grep -a '^full: ' <<<"$out" | tail -n 5)"
expect "cut replay exit" "$(grep -o '^cut_rc=[0-9]*' <<<"$out")" "cut_rc=2"
grep -aq '^cut: rmaptrace: /tmp/small/story.rec: offset [0-9]*: .*cut short' <<<"$out" ||
	fail "the cut replay does not name the offset" "$(grep -a '^cut: rmaptrace' <<<"$out")"
cut_events=$(grep -a '^cut: {"type":"summary"' <<<"$out" | grep -o '"events":[0-9]*' | cut -d: -f2)
live_events=$(grep -a '^live: {"type":"summary"' <<<"$out" | grep -o '"events":[0-9]*' | cut -d: -f2)
[[ ${cut_events:-0} -gt 0 && $cut_events -lt ${live_events:-0} ]] ||
	fail "the cut recording should replay part of the trace" "cut $cut_events of $live_events events"
echo "  full disk: $stopped; replayed $cut_events of $live_events events"
finish
