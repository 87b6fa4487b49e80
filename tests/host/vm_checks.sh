#!/usr/bin/env bash
# The VM cases' shared checks (tests/vm/cases/lib.sh), fed on the host with
# the committed trixie fixtures, each with what it exists to catch:
#   check_replay    passes on the recording of the live output it is given;
#                   fails on the same recording cut short, and on a live
#                   output with one line changed
#   walks_off_tree  empty for the migration's walks against the tree's
#                   pids and mapping; every walk for a wrong pid list, a
#                   wrong address, or an extra condition all walks meet
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fix=$here/../fixtures/trixie
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# lib.sh as a case sources it; its recordings directory is ours.
RMAPTRACE_RECORDINGS=$tmp/recordings RMAPTRACE_CASE=vm_checks RMAPTRACE_KERNEL=trixie \
	. "$here/../vm/cases/lib.sh"
bin=$top/build/rmaptrace
status=0

# verdict NAME WANT: WANT is "pass" or "fail"; errors[] is what the check
# under test said. Reset for the next.
verdict() {
	local got=pass
	((${#errors[@]})) && got=fail
	if [[ $got == "$2" ]]; then
		echo "PASS host/vm_checks: $1"
	else
		echo "FAIL host/vm_checks: $1: the check said $got, expected $2"
		printf '  %s\n' "${errors[@]}"
		status=1
	fi
	errors=()
}

mkdir -p "$rec_dir"
cp "$fix/seed_story.rec" "$rec_dir/story.rec"
live=$("$bin" -r "$fix/seed_story.rec" --check --json 2>&1)
[[ $(grep -c '^{"type":"event"' <<<"$live") -gt 50 ]] ||
	{ echo "FAIL host/vm_checks: the fixture replays to no events"; exit 1; }

check_replay story "$live" --check --json
verdict "check_replay: the live run's own recording" pass

truncate -s 20000 "$rec_dir/story.rec"
check_replay story "$live" --check --json
verdict "check_replay: the recording cut short" fail

cp "$fix/seed_story.rec" "$rec_dir/story.rec"
check_replay story "$(sed '0,/"event":"anon_vma_fork"/s//"event":"anon_vma_clone"/' <<<"$live")" --check --json
verdict "check_replay: one live line differs" fail

check_replay missing "$live" --check --json
verdict "check_replay: no recording brought back" fail

out="$(cat "$fix/migrate.log")
$("$bin" -r "$fix/migrate.rec" --json 2>&1)"
addr=$(tree_addr "$out") pids=$(tree_pids "$out")
[[ $pids == *,*,*,* && -n $addr ]] || { echo "FAIL host/vm_checks: no tree in migrate.log"; exit 1; }
walks=$(grep -a '^{"type":"walk"' <<<"$out" |
	jq -c --argjson lo $((addr >> 12)) --argjson hi $(((addr >> 12) + 3)) 'select(.pgoff >= $lo and .pgoff < $hi)')
nwalks=$(grep -c . <<<"$walks")
[[ $nwalks == 6 ]] || { echo "FAIL host/vm_checks: $nwalks walks of the 3 pages, expected 6"; exit 1; }
off() { walks_off_tree "$@" <<<"$walks" | grep -c .; }
[[ $(off "$pids" "$addr") == 0 ]] || errors+=("the right tree")
verdict "walks_off_tree: the migration's walks" pass
[[ $(off "${pids%,*}" "$addr") == 6 ]] || errors+=("one pid short")
[[ $(off "$pids,1" "$addr") == 6 ]] || errors+=("one pid too many")
[[ $(off "$pids" 0x1000) == 6 ]] || errors+=("another address")
[[ $(off "$pids" "$addr" '.callback != "nothing"') == 6 ]] || errors+=("an extra condition")
verdict "walks_off_tree: every walk, for a wrong tree, address or condition" pass
exit $status
