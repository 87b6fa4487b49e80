#!/usr/bin/env bash
# Recordings of real kernels (tests/fixtures/KERNEL, made by
# tests/fixtures/make in VMs) replayed on the host: the seed's diagram and
# the migration walks come out as they did live, so every run of the suite
# exercises real event streams even where no VM runs.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/../../build/rmaptrace
status=0
seen=0
for dir in "$here"/../fixtures/*/; do
	k=$(basename "$dir")
	[[ -f $dir/seed_story.rec ]] || continue
	((++seen))
	(
		RMAPTRACE_KERNEL=$k
		. "$here/../vm/cases/lib.sh"
		case_prefix=host case_name="fixture seed_story"
		out="$("$bin" -r "$dir/seed_story.rec" --check --json --quiet 2>&1)
$(cat "$dir/seed_story.log")"
		check_seed_tree "$out" freed
		finish
	) || status=1
	[[ -f $dir/migrate.rec ]] || continue
	(
		RMAPTRACE_KERNEL=$k
		. "$here/../vm/cases/lib.sh"
		case_prefix=host case_name="fixture migrate"
		out="$("$bin" -r "$dir/migrate.rec" --check --json 2>&1)
$(cat "$dir/migrate.log")"
		check_migrate_walks "$out" 3
		finish
	) || status=1
done
# fixtures are committed: none found means the suite lost them
((seen)) || { echo "FAIL host/fixtures: no recordings under tests/fixtures/*/"; exit 1; }
exit $status
