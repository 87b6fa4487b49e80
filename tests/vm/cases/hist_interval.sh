#!/usr/bin/env bash
# --hist -i: the histograms come out while tracing, every interval, and at
# exit. The seeds' tree migrates its 3 pages (6 walks) and holds 3 s more,
# so that at least two interval prints fall inside the trace after the
# walks; the last print counts the 6 walks.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
out=$(vm_run --numa 2 -- rmaptrace --hist -i 1 --quiet -- \
	fork_tree --seed-story --pages 3 --migrate --hold 3 2>&1)
rc=$?
[[ $rc == 0 ]] || fail "rmaptrace exited $rc" "$out"
prints=$(grep -c '^rmap walk duration$' <<<"$out")
((prints >= 3)) || errors+=("histograms printed $prints times, expected at least 3 (2 intervals and the end)")
# last_total TITLE [LOW]: the counts of the last print of one histogram
# (of its LOW -> ... slot alone when LOW is given), summed
last_total() {
	awk -v t="$1" -v low="${2:-}" '$0 == t { n = 0; on = 1; next }
		on && /: count/ { next }
		on && /^ *[0-9]+ -> [0-9]+ *:/ { if (low == "" || $1 == low) n += $5; next }
		on { on = 0; last = n } END { print last + 0 }' <<<"$out"
}
# Other walks of the tree's pages may come on top (sid shows 8), but the
# 6 of the migration, 4 VMAs each, are there, and both histograms count
# the same walks.
dur=$(last_total "rmap walk duration") vis=$(last_total "VMAs visited per rmap walk")
four=$(last_total "VMAs visited per rmap walk" 4)
((four >= 6)) || errors+=("walks visiting 4-7 VMAs in the last print: $four, expected at least 6")
expect "walks in the duration and visits histograms" "$dur" "$vis"
finish
