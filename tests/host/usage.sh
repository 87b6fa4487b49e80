#!/usr/bin/env bash
# Bad command lines are usage errors (exit 2, a message, a pointer to
# --help), never a trace; and -r needs no root, no BPF and no kernel.
set -uo pipefail
bin=$(dirname "$0")/../../build/rmaptrace
fails=0
usage() {	# WHAT ARGS...
	local what=$1 out rc
	shift
	out=$("$bin" "$@" 2>&1 </dev/null); rc=$?
	if [[ $rc == 2 ]] && grep -q -- "--help" <<<"$out" && ! grep -q 'tracing' <<<"$out"; then
		echo "PASS host/usage: $what"
	else
		echo "FAIL host/usage: $what: exit $rc: $(head -n 2 <<<"$out")"
		fails=1
	fi
}
usage "unknown option" --frobnicate -p 1
usage "-p not a number" -p 12x
usage "-p zero" -p 0
usage "-d negative" -d -5 -p 1
usage "-p and a command" -p 1 -- true
usage "-r with -p" -r /dev/null -p 1
usage "-r with a command" -r /dev/null -- true
usage "-r with --unlink-each" -r /dev/null --unlink-each
usage "nothing to trace"
usage "--buffer-mb not a power of two" --buffer-mb 3 -p 1

# -r on files that are not recordings: one line naming the offset, exit 2.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf 'RMAPTRC\0\1\0\0\0' >"$tmp/cut.rec"
for f in /etc/hostname "$tmp/cut.rec" /dev/null; do
	out=$("$bin" -r "$f" 2>&1); rc=$?
	if [[ $rc == 2 && $(grep -c . <<<"$out") == 1 ]] && grep -q 'offset [0-9]*: ' <<<"$out"; then
		echo "PASS host/usage: -r $(basename "$f")"
	else
		echo "FAIL host/usage: -r $f: exit $rc: $out"
		fails=1
	fi
done
exit $fails
