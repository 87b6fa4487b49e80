# Runs in the guest: the seed's story with the traced anon_vma table at
# its size, then at 4 slots (RMAPTRACE_ANON_VMA_SLOTS, a test hook) so
# that most anon_vmas take the hash map's path; and the story's pages
# migrated at 4 slots, whose walks are found through the map.
RMAPTRACE_ANON_VMA_SLOTS= rmaptrace -v --check --json -- seed_fork 2>&1 | sed 's/^/full: /'
RMAPTRACE_ANON_VMA_SLOTS=4 rmaptrace -v --check --json -- seed_fork 2>&1 | sed 's/^/four: /'
RMAPTRACE_ANON_VMA_SLOTS=4 rmaptrace -v --check --json -- fork_tree --seed-story --pages 3 --migrate 2>&1 |
	sed 's/^/walk: /'
