#!/usr/bin/env bash
# The first seed's fork hierarchy, traced from the start in a VM and checked
# against the seed's diagram (values from mm/rmap.c, not from a past run):
#   P  root = parent = itself, largest num_children 3 (self + C1 + C2)
#   C1 root = parent = P, largest num_children 0
#   C2 root = parent = P, largest num_children 1 (GC)
#   GC root = P, parent = C2, largest num_children 0
#   each largest num_active_vmas 1; kernel-reported = derived; all freed.
# Every event names its task's comm: seed_fork, or rmaptrace for the
# command's exec tearing down the copy of rmaptrace's memory it was forked
# with (the comm changes after exec_mmap). Copied in two 8-byte loads
# where the kernel has bpf_get_current_task_btf (5.11+, either mode),
# else by bpf_get_current_comm.
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
expect "comm of the events but the exec's" \
	"$(grep -a '^{"type":"event"' <<<"$out" | jq -r .comm | grep -vx rmaptrace | sort -u | paste -sd' ' -)" seed_fork

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
