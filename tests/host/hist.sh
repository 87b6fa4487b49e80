#!/usr/bin/env bash
# --hist on each kernel's recorded migration (tests/fixtures/*/migrate.rec:
# the seeds' four processes, 3 pages moved, each page walked twice): both
# log2 histograms count the 6 walks, every walk in the visits histogram
# falls in the 4 -> 7 slot (four VMAs each), and the costliest anon_vmas
# list names P's anon_vma with all 6 walks.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/../../build/rmaptrace
status=0 seen=0
# hist_total OUTPUT TITLE [LOW]: see tests/hist_total.awk
hist_total() { awk -v t="$2" -v low="${3:-}" -f "$here/../hist_total.awk" <<<"$1"; }
for rec in "$here"/../fixtures/*/migrate.rec; do
	[[ -f $rec ]] || continue
	k=$(basename "$(dirname "$rec")")
	((++seen))
	out=$("$bin" -r "$rec" --hist --quiet 2>&1)
	errs=()
	got=$(hist_total "$out" "rmap walk duration")
	[[ $got == 6 ]] || errs+=("duration histogram counts $got walks, expected 6")
	got=$(hist_total "$out" "VMAs visited per rmap walk")
	[[ $got == 6 ]] || errs+=("visits histogram counts $got walks, expected 6")
	got=$(hist_total "$out" "VMAs visited per rmap walk" 4)
	[[ $got == 6 ]] || errs+=("walks visiting 4-7 VMAs: $got, expected 6")
	p=$(grep -oE 'fork_tree: node=0 pid=[0-9]+' "${rec%.rec}.log" | grep -oE '[0-9]+$')
	grep -qE "^  anon_vma [0-9]+ +pid $p +walks 6 " <<<"$out" ||
		errs+=("no costliest anon_vma of P (pid $p) with the 6 walks")
	if ((${#errs[@]})); then
		echo "FAIL host/hist [$k]"; printf '  %s\n' "${errs[@]}"
		sed 's/^/  | /' <<<"$out" | head -n 40
		status=1
	else
		echo "PASS host/hist [$k]"
	fi
done
((seen)) || { echo "FAIL host/hist: no migrate.rec under tests/fixtures/*/"; exit 1; }
exit $status
