#!/usr/bin/env bash
# The first seed's fork hierarchy, traced from the start in a VM and checked
# against the seed's diagram (values from mm/rmap.c, not from a past run):
#   P  root = parent = itself, largest num_children 3 (self + C1 + C2)
#   C1 root = parent = P, largest num_children 0
#   C2 root = parent = P, largest num_children 1 (GC)
#   GC root = P, parent = C2, largest num_children 0
#   each largest num_active_vmas 1; kernel-reported = derived; all freed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=$(vm_run -- rmaptrace --check --json -- seed_fork 2>&1)
rc=$?
[[ $rc == 0 ]] || fail "rmaptrace exited $rc" "$out"

pid_of() { grep -oE "seed_fork: .*\b$1=[0-9]+" <<<"$out" | grep -oE "\b$1=[0-9]+" | cut -d= -f2; }
P=$(pid_of P) C1=$(pid_of C1) C2=$(pid_of C2) GC=$(pid_of GC)
addr=$(grep -oE 'seed_fork: P=[0-9]+ addr=0x[0-9a-f]+' <<<"$out" | grep -oE '0x[0-9a-f]+')
[[ -n $P && -n $C1 && -n $C2 && -n $GC && -n $addr ]] || fail "workload did not report its pids" "$out"

json=$(grep -a '^{"type":"anon_vma"' <<<"$out")
mapping=$(jq -c --arg a "$addr" 'select(.vm_start == $a)' <<<"$json")
[[ $(wc -l <<<"$mapping") == 4 ]] || fail "expected 4 anon_vmas for the mapping at $addr" "$mapping"
get() { jq -r --argjson p "$1" "select(.pid == \$p) | $2" <<<"$mapping"; }

p=$(get "$P" .id) c1=$(get "$C1" .id) c2=$(get "$C2" .id) gc=$(get "$GC" .id)
[[ -n $p && -n $c1 && -n $c2 && -n $gc ]] || fail "not one anon_vma per process" "$mapping"

expect "P root"    "$(get "$P" .root)" "$p"
expect "P parent"  "$(get "$P" .parent)" "$p"
expect "P max num_children" "$(get "$P" .max_num_children)" 3
expect "C1 root"   "$(get "$C1" .root)" "$p"
expect "C1 parent" "$(get "$C1" .parent)" "$p"
expect "C1 max num_children" "$(get "$C1" .max_num_children)" 0
expect "C2 root"   "$(get "$C2" .root)" "$p"
expect "C2 parent" "$(get "$C2" .parent)" "$p"
expect "C2 max num_children" "$(get "$C2" .max_num_children)" 1
expect "GC root"   "$(get "$GC" .root)" "$p"
expect "GC parent" "$(get "$GC" .parent)" "$c2"
expect "GC max num_children" "$(get "$GC" .max_num_children)" 0
for who in P C1 C2 GC; do
	pid=${!who}
	expect "$who max num_active_vmas" "$(get "$pid" .max_num_active_vmas)" 1
	expect "$who kernel = derived max num_children" \
		"$(get "$pid" .max_num_children)" "$(get "$pid" .derived_max_num_children)"
	expect "$who kernel = derived max num_active_vmas" \
		"$(get "$pid" .max_num_active_vmas)" "$(get "$pid" .derived_max_num_active_vmas)"
	expect "$who freed" "$(get "$pid" .freed)" true
	expect "$who origin" "$(get "$pid" .origin)" "$([[ $who == P ]] && echo prepare || echo fork)"
done
summary=$(grep -a '^{"type":"summary"' <<<"$out")
expect "violations" "$(jq .violations <<<"$summary")" 0
expect "lost" "$(jq .lost <<<"$summary")" 0
expect "checked" "$(jq .checked <<<"$summary")" true
finish
