#!/usr/bin/env bash
# migrate_walks on a fork tree of 80 processes (fork_tree --random 11):
# every walk visits 80 VMAs, more than one EV_RMAP_VISITS holds (16), so
# its visits come in several events that must add up to the whole tree.
RMAPTRACE_CASE=migrate_walks_wide FORK_TREE_ARGS="--random 11" exec "$(dirname "$0")/migrate_walks.sh"
