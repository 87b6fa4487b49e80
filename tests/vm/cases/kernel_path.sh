#!/usr/bin/env bash
# tests/vm/run --kernel PATH: a bzImage given as a file, as a user's CI
# would pass the kernel it built. The suite's kernel is copied out of the
# cache to a path of its own, booted by path, and the seeds' story must
# come out as from the suite name.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

if [[ -f $kernel ]]; then
	image=$kernel
else
	image=$("$vm_dir/fetch-kernel" "$kernel") || fail "cannot fetch the $kernel kernel"
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp "$image" "$tmp/bzImage"
out=$("$vm_dir/run" --kernel "$tmp/bzImage" --out "$rec_dir" -- \
	rmaptrace -w $guest_out/trace.rec --check --json -- seed_fork 2>&1)
rc=$?
[[ $rc == 0 ]] || fail "rmaptrace exited $rc" "$out"
check_seed_tree "$out" freed
check_replay trace "$out" --check --json
finish
