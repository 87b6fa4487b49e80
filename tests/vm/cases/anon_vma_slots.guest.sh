# Runs in the guest: the seed's story with the traced anon_vma table at
# its size, then at 4 slots (RMAPTRACE_ANON_VMA_SLOTS, a test hook) so
# that most anon_vmas take the hash map's path; and the story's pages
# migrated at 4 slots, whose walks are found through the map; and again
# with the walk states in the walks map only (RMAPTRACE_WALK_SLOTS=0),
# where they otherwise take a .bss slot (bpf/rmap_walk.bpf.h); and the
# story with one slot for the traced processes (RMAPTRACE_TGID_SLOTS=1,
# bpf/task.bpf.h), so that all but one go through traced_tgids. Each run's
# stdout and stderr are kept apart: the workload writes to stderr while
# rmaptrace's stdout is flushed in blocks, which can split a line.
run() {
	name=$1
	shift
	"$@" >/tmp/$name.out 2>/tmp/$name.err
	sed "s/^/$name: /" /tmp/$name.out /tmp/$name.err
}
run full env RMAPTRACE_ANON_VMA_SLOTS= rmaptrace -v --check --json -- seed_fork
run four env RMAPTRACE_ANON_VMA_SLOTS=4 rmaptrace -v --check --json -- seed_fork
run walk env RMAPTRACE_ANON_VMA_SLOTS=4 rmaptrace -v --check --json -- \
	fork_tree --seed-story --pages 3 --migrate
run mapwalk env RMAPTRACE_WALK_SLOTS=0 rmaptrace -v --check --json -- \
	fork_tree --seed-story --pages 3 --migrate
run tgids env RMAPTRACE_TGID_SLOTS=1 rmaptrace -v --check --json -- seed_fork
