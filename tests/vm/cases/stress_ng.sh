#!/usr/bin/env bash
# A workload nobody here wrote: stress-ng stressors that fork and reshape
# memory, under rmaptrace --check for a bounded time. Whatever they do, the
# rebuilt hierarchy must hold: no violation, every kernel/derived counter
# difference explained by calls in flight, nothing lost at the default ring
# buffer size, and every anon_vma freed once stress-ng and its children
# are gone. (madvise's MADV_HWPOISON SIGBUSes its own children as root; stress-ng
# then calls the run unsuccessful, which is stress-ng's verdict, not ours.)
#
# Known gap: on sid's 7.x kernel (anon_vma_clone with an operation, AVCs
# linked into the tree after allocation) the rebuilt hierarchy still drifts
# under these stressors: a num_active_vmas one above the kernel's, VMAs a
# walk visits that no event announced, anon_vmas never seen freed. The
# case runs there all the same and reports XFAIL with what it found, so the
# gap stays visible; it is not counted as passed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
known_gap=$([[ $(basename "$kernel") == sid ]] && echo 1)

stress=$(command -v stress-ng) || fail "stress-ng is not installed (make deps)"
out=$(vm_run -- rmaptrace --check --json --quiet -- "$stress" \
	--fork 1 --vm 1 --vm-bytes 8M --mremap 1 --mremap-bytes 8M \
	--madvise 1 --mmapfork 1 -t 8s 2>&1)
rc=$?
[[ $rc == 0 || ($rc == 1 && -n $known_gap) ]] ||
	fail "rmaptrace exited $rc" "$(grep -av '"type":"anon_vma"' <<<"$out")"
summary=$(grep -a '^{"type":"summary"' <<<"$out")
[[ -n $summary ]] || fail "no summary" "$out"
grep -aq 'dispatching hogs: 1 fork, 1 vm, 1 mremap, 1 madvise, 1 mmapfork' <<<"$out" ||
	fail "stress-ng did not start its stressors" "$out"
expect "violations" "$(jq .violations <<<"$summary")" 0
expect "lost" "$(jq .lost <<<"$summary")" 0
expect "checked" "$(jq .checked <<<"$summary")" true
expect "malformed" "$(jq .malformed <<<"$summary")" 0
expect "enough events to mean something" "$(jq '.events > 5000' <<<"$summary")" true
expect "forks seen" "$(jq '.max_width > 10' <<<"$summary")" true
expect "unfreed anon_vmas" \
	"$(grep -a '^{"type":"anon_vma"' <<<"$out" | jq -r 'select(.freed == false) | .id' | wc -l)" 0
echo "  stress-ng: $(jq -c '{events, lost, violations, walks, explained_differences, max_depth, max_width}' <<<"$summary")"
if [[ -n $known_gap ]] && ((${#errors[@]})); then
	echo "XFAIL vm/stress_ng [$(basename "$kernel")]: known 7.x model gap; $(jq .violations <<<"$summary") violations:"
	grep -a '^{"type":"violation"' <<<"$out" | jq -r '"invariant \(.invariant): \(.message)"' | sort | uniq -c | sort -rn | head -n 5 | sed 's/^/  | /'
	exit 0
fi
finish
