#!/usr/bin/env bash
# The benchmark's instruction count (tests/bench/insn_count.c, a qemu
# plugin) counts instructions, on the vCPU that ran the marks: a guest
# loop of 2N instructions and R page-long rep stosb with their loop of
# five, between marks on CPU 1, reads as 2N + 5R and a few (an interrupt
# taken inside the loops adds its own: a tenth is allowed), for two N, in
# one boot. A count of blocks instead of instructions gives N, one of the
# other vCPU about nothing, one that counts each of a rep's 4096
# repetitions 4096 R more.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
plugin=$top/build/bench/insn_count.so
[[ -f $plugin ]] || { echo "FAIL insn_count: $plugin not built (make build/bench/insn_count.so)"; exit 0; }
out=$("$top/tests/vm/run" --timeout 600 --qemu-opt -plugin --qemu-opt "$plugin,out=$tmp/marks" \
	-- sh -c 'taskset -c 1 insn_loop 1000000 && taskset -c 1 insn_loop 3000000 2000 && echo loops done' 2>&1)
errs=()
[[ $out == *"loops done"* ]] || errs+=("guest: $(tail -n 5 <<<"$out")")
got=$(awk -f "$top/tests/bench/marks.awk" "$tmp/marks" 2>/dev/null)
i=0
for loop in "1000000 0" "3000000 2000"; do
	((++i))
	read -r n r <<<"$loop"
	want=$((2 * n + 5 * r))
	read -r vcpu count < <(sed -n "${i}p" <<<"$got")
	[[ ${vcpu:-} == 1 ]] || errs+=("loop of $n and $r: marks on vCPU '${vcpu:-}', not 1")
	((${count:-0} >= want && ${count:-0} <= want + want / 10)) ||
		errs+=("loop of $n and $r: ${count:-no} instructions between the marks, want $want to $((want + want / 10))")
done
if ((${#errs[@]})); then
	echo "FAIL insn_count"
	printf '  %s\n' "${errs[@]}"
else
	echo "PASS insn_count ($(paste -sd, <<<"$got" | tr ' ' :))"
fi
