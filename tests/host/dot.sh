#!/usr/bin/env bash
# --dot FILE from the command line, on each kernel's recorded seed story
# (the unit tests check report_dot's drawing; this checks the option):
# one node per anon_vma the JSON report lists, --dot-root ID only the
# anon_vmas of ID's hierarchy, Graphviz accepts the file when installed,
# and an unwritable FILE (exit 2, before any report) or an unknown ID is
# said in one line.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/../../build/rmaptrace
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0 seen=0
nodes() { grep -cE '^ *av[0-9]+ \[' "$1"; }
for rec in "$here"/../fixtures/*/seed_story.rec; do
	[[ -f $rec ]] || continue
	k=$(basename "$(dirname "$rec")")
	((++seen))
	errs=()
	json=$("$bin" -r "$rec" --json --quiet 2>/dev/null | grep '^{"type":"anon_vma"')
	"$bin" -r "$rec" --quiet --dot "$tmp/all.dot" >/dev/null 2>"$tmp/err" || errs+=("--dot: exit $?")
	[[ $(head -n 2 "$tmp/all.dot" | tail -n 1) == 'digraph rmaptrace {' ]] || errs+=("--dot: not a digraph")
	want=$(grep -c . <<<"$json")
	[[ $(nodes "$tmp/all.dot") == "$want" ]] ||
		errs+=("--dot: $(nodes "$tmp/all.dot") anon_vma nodes, the report lists $want")
	# the story's mapping: the hierarchy of P's anon_vma, four anon_vmas
	p=$(jq -r 'select(.max_num_children == 3 and .origin == "prepare" and .root == .id) | .id' <<<"$json" | tail -n 1)
	want=$(jq -r --argjson p "${p:-0}" 'select(.root == $p) | .id' <<<"$json" | sort -n | paste -sd, -)
	"$bin" -r "$rec" --quiet --dot "$tmp/one.dot" --dot-root "${p:-0}" >/dev/null 2>&1
	got=$(grep -oE '^ *av[0-9]+ \[' "$tmp/one.dot" | grep -oE '[0-9]+' | sort -n | paste -sd, -)
	[[ $want == *,*,*,* && $want != *,*,*,*,* && $got == "$want" ]] ||
		errs+=("--dot-root ${p:-?}: nodes $got, its hierarchy is $want (four anon_vmas)")
	if command -v dot >/dev/null; then
		dot -Tsvg "$tmp/all.dot" -o "$tmp/all.svg" 2>"$tmp/dot.err" || errs+=("Graphviz refuses the file: $(cat "$tmp/dot.err")")
	fi
	msg=$("$bin" -r "$rec" --quiet --dot "$tmp/no/such/dir.dot" 2>&1 >/dev/null)
	rc=$?
	[[ $(grep -c . <<<"$msg") == 1 && $msg == "rmaptrace: cannot write $tmp/no/such/dir.dot: No such file or directory" ]] ||
		errs+=("unwritable FILE: '$msg'")
	# said before the replay (or the trace) runs, not after: no report
	out=$("$bin" -r "$rec" --dot "$tmp/no/such/dir.dot" 2>/dev/null)
	[[ $rc == 2 && -z $out ]] || errs+=("unwritable FILE: exit $rc, ${#out} bytes of report (want 2, none)")
	# a file that opens but cannot take the drawing
	if [[ -w /dev/full ]]; then
		msg=$("$bin" -r "$rec" --quiet --dot /dev/full 2>&1 >/dev/null)
		rc=$?
		[[ $rc == 2 && $msg == "rmaptrace: cannot write /dev/full: No space left on device" ]] ||
			errs+=("--dot /dev/full: exit $rc, '$msg'")
	fi
	msg=$("$bin" -r "$rec" --quiet --dot "$tmp/x.dot" --dot-root 999 2>&1 >/dev/null)
	[[ $msg == "rmaptrace: --dot-root 999: no anon_vma has that id; drawing them all" ]] ||
		errs+=("unknown --dot-root: '$msg'")
	if ((${#errs[@]})); then
		echo "FAIL host/dot [$k]"; printf '  %s\n' "${errs[@]}"
		status=1
	else
		echo "PASS host/dot [$k]"
	fi
done
((seen)) || { echo "FAIL host/dot: no seed_story.rec under tests/fixtures/*/"; exit 1; }
exit $status
