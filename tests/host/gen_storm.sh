#!/usr/bin/env bash
# The fork-storm generator behind the collector benchmark writes what the
# kernel would: its recording replays with no violation, every anon_vma it
# made is reported freed, and the counts it claims are the replay's.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
errors=()

gen=$("$top/build/bench/gen_storm" "$tmp/storm.rec" 20000 8 4) ||
	errors+=("gen_storm failed: $gen")
read -r events procs avs < <(sed -E 's/gen_storm: ([0-9]+) events, ([0-9]+) processes, ([0-9]+) anon_vmas/\1 \2 \3/' <<<"$gen")
out=$("$top/build/rmaptrace" -r "$tmp/storm.rec" --check --json --quiet 2>&1)
rc=$?
sum=$(grep '^{"type":"summary"' <<<"$out")
[[ $rc == 0 ]] || errors+=("replay exit $rc")
[[ $(jq .violations <<<"$sum") == 0 ]] || errors+=("violations: $sum")
[[ $(jq .events <<<"$sum") == "$events" ]] || errors+=("events: replay $(jq .events <<<"$sum"), generator $events")
n=$(grep -c '^{"type":"anon_vma"' <<<"$out")
[[ $n == "$avs" ]] || errors+=("anon_vmas: replay $n, generator $avs")
unfreed=$(grep '^{"type":"anon_vma"' <<<"$out" | jq -r 'select(.freed == false) | .id' | wc -l)
[[ $unfreed == 0 ]] || errors+=("$unfreed anon_vmas never freed")
# The replay reads in blocks that records straddle (the storm is MiBs):
# from a pipe, which hands out whatever is there, it says the same.
piped=$(cat "$tmp/storm.rec" | "$top/build/rmaptrace" -r /dev/stdin --check --json --quiet 2>&1)
[[ $piped == "$out" ]] || errors+=("replay from a pipe differs: $(diff <(echo "$out") <(echo "$piped") | head -n 4)")
# --keep-freed: the report lists fewer, the rest is as without it. Every
# anon_vma listed is listed word for word as in the full report (ids kept
# across reused nodes), the listed and the forgotten add up to all, and
# the shape, the checks and the events are the same.
few=$("$top/build/rmaptrace" -r "$tmp/storm.rec" --check --json --quiet --keep-freed 50 2>&1)
fsum=$(grep '^{"type":"summary"' <<<"$few")
forgot=$(jq .forgotten_anon_vmas <<<"$fsum")
listed=$(grep -c '^{"type":"anon_vma"' <<<"$few")
((forgot > 0)) || errors+=("--keep-freed 50 forgot nothing: $fsum")
((listed + forgot == avs)) || errors+=("--keep-freed 50: $listed listed + $forgot forgotten, generator $avs")
[[ $(jq .forgotten_anon_vmas <<<"$sum") == 0 ]] || errors+=("the default forgot some of $avs: $sum")
for k in events violations max_depth max_width; do
	[[ $(jq .$k <<<"$fsum") == $(jq .$k <<<"$sum") ]] ||
		errors+=("--keep-freed 50: $k $(jq .$k <<<"$fsum"), without $(jq .$k <<<"$sum")")
done
unlike=$(comm -13 <(grep '^{"type":"anon_vma"' <<<"$out" | sort) <(grep '^{"type":"anon_vma"' <<<"$few" | sort) | head -n 2)
[[ -z $unlike ]] || errors+=("--keep-freed 50 lists what the full report does not: $unlike")
walks=$(jq .walks <<<"$sum")
((walks > 0)) || errors+=("no rmap walks in the storm")

# The benchmark programs themselves still run and print their figures.
b=$("$top/build/bench/bench_collector" "$tmp/storm.rec" 2>&1) || errors+=("bench_collector replay: $b")
grep -q '^collector events/s: [0-9]' <<<"$b" || errors+=("no events/s figure: $b")
b=$("$top/build/bench/bench_collector" --live 16 2>&1) || errors+=("bench_collector --live: $b")
grep -q '^bytes per anon_vma: [0-9]' <<<"$b" || errors+=("no bytes per anon_vma figure: $b")

if ((${#errors[@]})); then
	echo "FAIL host/gen_storm"
	printf '  %s\n' "${errors[@]}"
	exit 1
fi
echo "PASS host/gen_storm ($events events, $procs processes, $avs anon_vmas)"
