#!/usr/bin/env bash
# Freed anon_vmas forgotten on the live path: a stress-ng fork storm traced
# with --keep-freed 16 forgets most of what it freed, and says how many. Its
# recording, replayed on the host keeping everything, lists every anon_vma
# the live run listed, word for word, and as many more as it said it
# forgot, with the same hierarchy shape, violations and events. (The
# suite's other traces free fewer than the default 65536: only replays of
# the same collector code forgot anything before this case.)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

stress=$(command -v stress-ng) || fail "stress-ng is not installed (make deps)"
out=$(vm_run -- rmaptrace -v -w $guest_out/storm.rec --keep-freed 16 --check --json --quiet -- \
	"$stress" --fork 1 -t 3s 2>&1)
rc=$?
[[ $rc == 0 ]] || fail "rmaptrace exited $rc" "$(grep -av '"type":"anon_vma"' <<<"$out")"
summary=$(grep -a '^{"type":"summary"' <<<"$out")
[[ -n $summary ]] || fail "no summary" "$out"
lost=$(jq .lost <<<"$summary")
all_skipped "$lost" "$out" && xfail_skipped "$lost" "$out"
expect "lost" "$lost" 0
expect "violations" "$(jq .violations <<<"$summary")" 0
forgotten=$(jq .forgotten_anon_vmas <<<"$summary")
((forgotten > 16)) || fail "the live run forgot $forgotten anon_vmas (more than 16 wanted)" "$summary"
# The live run's own lines again, from its recording at the same bound.
check_replay storm "$out" --keep-freed 16 --check --json --quiet

full=$("$top/build/rmaptrace" -r "$rec_dir/storm.rec" --keep-freed 0 --check --json --quiet 2>&1)
expect "full replay exit" "$?" 0
full_summary=$(grep -a '^{"type":"summary"' <<<"$full")
expect "nothing forgotten keeping all" "$(jq .forgotten_anon_vmas <<<"$full_summary")" 0
for f in events violations max_depth max_width; do
	expect "$f, live against all kept" "$(jq .$f <<<"$summary")" "$(jq .$f <<<"$full_summary")"
done
listed=$(grep -ac '^{"type":"anon_vma"' <<<"$out")
all=$(grep -ac '^{"type":"anon_vma"' <<<"$full")
expect "listed + forgotten = all anon_vmas" "$((listed + forgotten))" "$all"
expect "live lines not in the full replay" \
	"$(comm -13 <(grep -a '^{"type":"anon_vma"' <<<"$full" | sort) \
		<(grep -a '^{"type":"anon_vma"' <<<"$out" | sort) | head -n 3)" ""
echo "  storm: $(jq -c '{events, lost, violations, max_depth, max_width}' <<<"$summary"), $listed listed, $forgotten forgotten, $all kept all"
finish
