#!/usr/bin/env bash
# The first seed's fork hierarchy, traced from the start in a VM and checked
# against the seed's diagram (values from mm/rmap.c, not from a past run):
#   P  root = parent = itself, largest num_children 3 (self + C1 + C2)
#   C1 root = parent = P, largest num_children 0
#   C2 root = parent = P, largest num_children 1 (GC)
#   GC root = P, parent = C2, largest num_children 0
#   each largest num_active_vmas 1; kernel-reported = derived; all freed.
# And -v names how a chain's AVCs are read: plain loads through
# bpf_rdonly_cast in fentry/fexit mode on 6.2+, probe reads otherwise.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# RMAPTRACE_FLAGS: extra options (seed_story_kprobes.sh sets --kprobes).
out=$(vm_run -- rmaptrace -v ${RMAPTRACE_FLAGS:-} -w $guest_out/trace.rec --check --json -- seed_fork 2>&1)
rc=$?
[[ $rc == 0 ]] || fail "rmaptrace exited $rc" "$out"

check_seed_tree "$out" freed
check_replay trace "$out" --check --json

release=$("$top/build/rmaptrace" -v -r "$rec_dir/trace.rec" 2>&1 >/dev/null | grep -oE 'from kernel [0-9]+\.[0-9]+' | grep -oE '[0-9.]+$')
IFS=. read -r major minor <<<"$release"
if [[ " ${RMAPTRACE_FLAGS:-} " == *" --kprobes "* ]] || grep -q 'using kprobes$' <<<"$out" ||
   ((${major:-0} * 100 + ${minor:-0} < 602)); then
	want="probe reads"
else
	want="plain loads (bpf_rdonly_cast)"
fi
expect "chain AVCs read by (kernel ${release:-unknown})" \
	"$(grep -aoE 'chain AVCs read by .*' <<<"$out" | sed 's/^chain AVCs read by //')" "$want"
finish
