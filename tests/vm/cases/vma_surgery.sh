#!/usr/bin/env bash
# VMA surgery and lifetimes, one boot, every scenario under rmaptrace
# --check. The expected values follow mm/rmap.c and mm/vma.c (mm/mmap.c
# before 6.10), not past runs:
#   split        mprotect of the middle splits one VMA into three; both new
#                VMAs get AVCs to the same anon_vma (anon_vma_clone in
#                __split_vma): num_active_vmas peaks at 3, no new anon_vma
#   merge        an adjacent, compatible mmap extends the VMA (vma_merge):
#                still one VMA and one anon_vma, covering both ranges
#                (its unlink at exit shows it: traced with --unlink-each)
#   neighbour    an adjacent VMA with other protections stays separate, and
#                its first fault takes the mapping's anon_vma
#                (find_mergeable_anon_vma): active 2, no new anon_vma
#   mremap       move_vma -> copy_vma clones the VMA at the new place before
#                the old one goes: active peaks at 2, same anon_vma
#   munmap_part  two splits, then the middle is unlinked: active peaks at 3
#   munmap_all   the anon_vma is freed at munmap, before its process exits
#   reuse        P -> C -> G, C exits, G forks G2: anon_vma_clone hands G2
#                C's anon_vma (no VMA, one child): reused, no new one for G2
#   chain 64     64 generations: a parent chain 64 anon_vmas deep
#   wide 200     the mapping's anon_vma gets 200 children
# and in every scenario: zero violations, every counter difference between
# kernel and collector explained, nothing lost, all anon_vmas freed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=$(vm_run -- sh "$vm_dir/cases/vma_surgery.guest.sh" 2>&1)
[[ $out == *'@@ wide 200'* ]] || fail "the guest did not run every scenario" "$out"

section() { awk -v s="@@ $1" '$0 == s { on = 1; next } on && /^@@ rc=/ { print; exit } on' <<<"$out"; }
kv() { grep -aoE "vma_surgery: .*\b$2=[0-9a-fx]+" <<<"$1" | head -n1 | grep -oE "\b$2=[0-9a-fx]+" | cut -d= -f2; }
events() { grep -a '^{"type":"event"' <<<"$1"; }
records() { grep -a '^{"type":"anon_vma"' <<<"$1"; }
# the anon_vma __anon_vma_prepare made for the mapping at $2
mapping_av() {
	events "$1" | jq -r --arg a "$2" 'select(.event == "anon_vma_prepare" and .vma_start == $a) | .anon_vma' | head -n1
}
rec() { records "$1" | jq -r --argjson id "$2" "select(.id == \$id) | $3"; }
page() { printf '0x%x' $(($1 + $2 * 4096)); }

# common: exit 0, clean summary, the mapping's anon_vma has root = parent =
# itself; sets id to it
common() {
	local s=$1 sec=$2 sum addr
	id=
	expect "$s: rmaptrace exit" "$(grep -a '^@@ rc=' <<<"$sec")" "@@ rc=0"
	check_replay "$s" "$sec" --check --json
	sum=$(grep -a '^{"type":"summary"' <<<"$sec")
	[[ -n $sum ]] || { errors+=("$s: no summary"); return; }
	expect "$s: violations" "$(jq .violations <<<"$sum")" 0
	expect "$s: lost" "$(jq .lost <<<"$sum")" 0
	expect "$s: unlinks of VMAs never seen linked" "$(jq .unseen_unlinks <<<"$sum")" 0
	expect "$s: unfreed anon_vmas" "$(records "$sec" | jq -r 'select(.freed == false) | .id' | wc -l)" 0
	addr=$(kv "$sec" addr)
	id=$(mapping_av "$sec" "$addr")
	[[ -n $id ]] || { errors+=("$s: no anon_vma_prepare at $addr"); return; }
	expect "$s: root" "$(rec "$sec" "$id" .root)" "$id"
	expect "$s: parent" "$(rec "$sec" "$id" .parent)" "$id"
}

# peak num_active_vmas, kernel's and derived
active() {
	expect "$1: max num_active_vmas" "$(rec "$2" "$3" .max_num_active_vmas)" "$4"
	expect "$1: derived max num_active_vmas" "$(rec "$2" "$3" .derived_max_num_active_vmas)" "$4"
}

sec=$(section split); common split "$sec"
if [[ -n $id ]]; then
	active split "$sec" "$id" 3
	expect "split: clones onto the anon_vma" \
		"$(events "$sec" | jq -r --argjson id "$id" 'select(.event == "anon_vma_clone" and .anon_vma == $id) | .anon_vma' | wc -l)" 2
fi

sec=$(section merge); common merge "$sec"
if [[ -n $id ]]; then
	addr=$(kv "$sec" addr)
	active merge "$sec" "$id" 1
	expect "merge: anon_vmas made" "$(events "$sec" | jq -r --arg a "$(kv "$sec" second)" 'select(.vma_start == $a)' | wc -l)" 0
	expect "merge: the VMA torn down covers both" \
		"$(events "$sec" | jq -r --argjson id "$id" 'select(.event == "unlink_anon_vmas" and .anon_vma == $id) | .vma_end')" \
		"$(page "$addr" 20)"
fi

sec=$(section neighbour); common neighbour "$sec"
if [[ -n $id ]]; then
	active neighbour "$sec" "$id" 2
	expect "neighbour: its prepare took the mapping's anon_vma" \
		"$(events "$sec" | jq -r --arg a "$(kv "$sec" second)" 'select(.event == "anon_vma_prepare" and .vma_start == $a) | .anon_vma')" "$id"
fi

sec=$(section mremap); common mremap "$sec"
if [[ -n $id ]]; then
	active mremap "$sec" "$id" 2
	expect "mremap: clone at the new place" \
		"$(events "$sec" | jq -r --arg a "$(kv "$sec" moved)" 'select(.event == "anon_vma_clone" and .vma_start == $a) | .anon_vma')" "$id"
fi

sec=$(section munmap_part); common munmap_part "$sec"
if [[ -n $id ]]; then
	addr=$(kv "$sec" addr)
	active munmap_part "$sec" "$id" 3
	expect "munmap_part: the middle unlinked" \
		"$(events "$sec" | jq -r --argjson id "$id" --arg s "$(page "$addr" 4)" 'select(.event == "unlink_anon_vmas" and .anon_vma == $id and .vma_start == $s) | .vma_end')" \
		"$(page "$addr" 8)"
fi

sec=$(section munmap_all); common munmap_all "$sec"
if [[ -n $id ]]; then
	P=$(kv "$sec" P)
	freed_at=$(events "$sec" | jq -r --argjson id "$id" 'select(.event == "put_anon_vma" and .anon_vma == $id) | .ts')
	exit_at=$(events "$sec" | jq -r --argjson p "$P" 'select(.event == "exit" and .child == $p) | .ts')
	[[ -n $freed_at && -n $exit_at && $(jq -n "$freed_at < $exit_at") == true ]] ||
		errors+=("munmap_all: anon_vma $id freed at '$freed_at', not before P's exit at '$exit_at'")
fi

sec=$(section reuse); common reuse "$sec"; p=$id
if [[ -n $p ]]; then
	addr=$(kv "$sec" addr)
	C=$(kv "$sec" C) G=$(kv "$sec" G) G2=$(kv "$sec" G2)
	tree=$(records "$sec" | jq -c --argjson p "$p" 'select(.root == $p)')
	who() { jq -r --argjson pid "$1" "select(.pid == \$pid) | $2" <<<"$tree"; }
	c=$(who "$C" .id) g=$(who "$G" .id)
	expect "reuse: anon_vmas in the mapping's tree" "$(wc -l <<<"$tree")" 3
	expect "reuse: C's parent" "$(who "$C" .parent)" "$p"
	expect "reuse: G's parent" "$(who "$G" .parent)" "$c"
	expect "reuse: none made for G2" "$(who "$G2" .id)" ""
	expect "reuse: C's anon_vma reused" "$(who "$C" .reused)" 1
	expect "reuse: C's max num_active_vmas" "$(who "$C" .max_num_active_vmas)" 1
	expect "reuse: P's max num_children" "$(rec "$sec" "$p" .max_num_children)" 2
	expect "reuse: G2's fork event names C's anon_vma" \
		"$(events "$sec" | jq -r --argjson g "$G" --arg a "$addr" 'select(.event == "anon_vma_fork" and .pid == $g and .vma_start == $a) | .anon_vma' | tail -n1)" "$c"
fi

sec=$(section 'chain 64'); common chain "$sec"
expect "chain: max_depth" "$(grep -a '^{"type":"summary"' <<<"$sec" | jq .max_depth)" 64

sec=$(section 'wide 200'); common wide "$sec"
# The mapping's anon_vma has one child per child process. The summary's
# width is the largest such count over every anon_vma; libc's data VMAs
# can share one anon_vma, which then has 200 children per VMA.
expect "wide: children of the mapping's anon_vma" \
	"$(records "$sec" | jq -r --argjson id "${id:-0}" 'select(.parent == $id and .id != $id) | .id' | wc -l)" 200
expect "wide: max_width = most children of one anon_vma" \
	"$(grep -a '^{"type":"summary"' <<<"$sec" | jq .max_width)" \
	"$(records "$sec" | jq -s 'map(select(.parent != .id)) | group_by(.parent) | map(length) | max')"
finish
