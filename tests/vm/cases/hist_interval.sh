#!/usr/bin/env bash
# --hist -i: the histograms come out while tracing, every interval, and at
# exit. The seeds' tree migrates its 3 pages (6 walks) and holds 3 s more,
# so that at least two interval prints fall inside the trace after the
# walks; the last print counts the 6 walks.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
out=$(vm_run --numa 2 -- rmaptrace -w $guest_out/trace.rec --hist -i 1 --quiet -- \
	fork_tree --seed-story --pages 3 --migrate --hold 3 2>&1)
rc=$?
[[ $rc == 0 ]] || fail "rmaptrace exited $rc" "$out"
prints=$(grep -c '^rmap walk duration$' <<<"$out")
((prints >= 3)) || errors+=("histograms printed $prints times, expected at least 3 (2 intervals and the end)")
# last_total TITLE [LOW]: the last print's counts (tests/hist_total.awk)
last_total() { awk -v t="$1" -v low="${2:-}" -f "$top/tests/hist_total.awk" <<<"$out"; }
# Other walks of the tree's pages may come on top (sid's kdamond checks
# them for access, through callbacks rmaptrace does not name), but the
# 6 of the migration, 4 VMAs each, are there, and both histograms count
# the same walks.
dur=$(last_total "rmap walk duration") vis=$(last_total "VMAs visited per rmap walk")
four=$(last_total "VMAs visited per rmap walk" 4)
((four >= 6)) || errors+=("walks visiting 4-7 VMAs in the last print: $four, expected at least 6")
expect "walks in the duration and visits histograms" "$dur" "$vis"
# The prints are cumulative: the last is the whole trace's, as a replay of
# the recording prints it (histograms, the costliest list and the tree).
from_last_print() {
	awk '$0 == "rmap walk duration" { buf = ""; on = 1 } on { buf = buf $0 "\n" } END { printf "%s", buf }' |
		grep -av -e '^fork_tree: ' -e '^rmaptrace: ' -e '^\[ *[0-9.]*\] '
}
if [[ -s $rec_dir/trace.rec ]]; then
	replay=$("$top/build/rmaptrace" -r "$rec_dir/trace.rec" --hist --quiet 2>&1)
	expect "trace.rec replayed: the last print" \
		"$(diff <(from_last_print <<<"$out") <(from_last_print <<<"$replay") | head -n 4)" ""
	# No walk of an anon_vma outside the trace (sid's kdamond walking
	# rmaptrace's own pages came out so, until unlinks stopped adding to
	# the traced set)
	check_walks_known trace.rec "$("$top/build/rmaptrace" -r "$rec_dir/trace.rec" --json 2>&1)"
else
	errors+=("trace.rec: not brought back from the guest")
fi
finish
