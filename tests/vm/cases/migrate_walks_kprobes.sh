#!/usr/bin/env bash
# migrate_walks with every hook in kprobe/kretprobe mode: the walk's end
# is then read by probe reads, and its visits come without return values.
RMAPTRACE_CASE=migrate_walks_kprobes RMAPTRACE_FLAGS=--kprobes exec "$(dirname "$0")/migrate_walks.sh" "$@"
