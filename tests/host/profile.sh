#!/usr/bin/env bash
# tests/bench/profile names what it counts: with 20 forks, rmaptrace's fork
# program shows under rmaptrace only, the floor's empty programs under the
# floor only, the trampolines' entry under both, and each configuration's
# total is there. A profile that names blocks by the wrong kallsyms, or
# pairs the profiles with the wrong runs, fails it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$("$here/../bench/profile" --forks 20 --top 200 2>&1)
errs=()
# row SYMBOL: its three counts, untraced floor rmaptrace
row() { awk -v x="$1" '$1 == x { print $2, $3, $4; exit }' <<<"$out"; }
read -r u f r < <(row prog:fexit_anon_vma_fork)
[[ ${u:-} == 0 && ${f:-} == 0 && ${r:-0} -gt 0 ]] ||
	errs+=("prog:fexit_anon_vma_fork: untraced '${u:-}' floor '${f:-}' rmaptrace '${r:-}', want 0 0 and more")
fl=$(grep -cE '^  prog:floor_f(entry|exit)_[0-9]+ +0 +[1-9][0-9]* +0$' <<<"$out")
((fl >= 4)) || errs+=("$fl floor programs counted under the floor only, want at least 4")
read -r u f r < <(row __bpf_prog_enter_recur)
[[ ${u:-} == 0 && ${f:-0} -gt 0 && ${r:-0} -gt 0 ]] ||
	errs+=("__bpf_prog_enter_recur: untraced '${u:-}' floor '${f:-}' rmaptrace '${r:-}', want 0 and more under both")
[[ $(grep -cE '^  all +[0-9]+ +[0-9]+ +[0-9]+$' <<<"$out") == 1 ]] || errs+=("no totals line")
if ((${#errs[@]})); then
	echo "FAIL profile"
	printf '  %s\n' "${errs[@]}"
	tail -n 10 <<<"$out" | sed 's/^/  | /'
else
	echo "PASS profile"
fi
