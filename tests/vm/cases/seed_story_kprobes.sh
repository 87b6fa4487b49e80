#!/usr/bin/env bash
# The seed story again with every hook in kprobe/kretprobe mode, so the
# fallback is proven on every kernel of the matrix, not assumed.
RMAPTRACE_CASE=seed_story_kprobes RMAPTRACE_FLAGS=--kprobes exec "$(dirname "$0")/seed_story.sh" "$@"
