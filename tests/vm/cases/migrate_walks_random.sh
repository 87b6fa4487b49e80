#!/usr/bin/env bash
# migrate_walks on a random fork tree (depth up to 5, up to 3 children
# each); the seed is chosen per run and printed so a failure can be replayed
# with FORK_TREE_SEED.
seed=${FORK_TREE_SEED:-$(( (RANDOM << 15 | RANDOM) + 1 ))}
echo "# migrate_walks_random: FORK_TREE_SEED=$seed"
RMAPTRACE_CASE=migrate_walks_random FORK_TREE_ARGS="--random $seed" exec "$(dirname "$0")/migrate_walks.sh"
