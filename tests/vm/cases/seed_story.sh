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

# RMAPTRACE_FLAGS: extra options (seed_story_kprobes.sh sets --kprobes).
out=$(vm_run -- rmaptrace ${RMAPTRACE_FLAGS:-} -w $guest_out/trace.rec --check --json -- seed_fork 2>&1)
rc=$?
[[ $rc == 0 ]] || fail "rmaptrace exited $rc" "$out"

check_seed_tree "$out" freed
check_replay trace "$out" --check --json
finish
