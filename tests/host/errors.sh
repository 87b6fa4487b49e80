#!/usr/bin/env bash
# On a host where tracing is refused (lockdown, as on this project's
# machines), rmaptrace says so in one line and exits 2. Skipped where the
# host allows tracing: the VM tests cover that.
set -uo pipefail
bin=$(dirname "$0")/../../build/rmaptrace
msg=$("$bin" -- true 2>&1 >/dev/null); rc=$?
if [[ $rc == 0 ]]; then
	echo "SKIP host/lockdown: this host allows BPF tracing"
	exit 0
fi
if [[ $rc == 2 && $(grep -c . <<<"$msg") == 1 ]] && grep -q 'refuses BPF tracing programs (lockdown: ' <<<"$msg"; then
	echo "PASS host/lockdown"
else
	echo "FAIL host/lockdown: exit $rc: $msg"
	exit 1
fi
