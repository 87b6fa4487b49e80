# Runs in the guest: every vma_surgery scenario under rmaptrace, one boot.
# Each scenario's output is framed by "@@ SCENARIO" and "@@ rc=N"; its
# recording is named after the scenario's first word.
for s in split merge neighbour mremap munmap_part munmap_all reuse "chain 64" "wide 200"; do
	echo "@@ $s"
	rmaptrace -w "$OUT/${s%% *}.rec" --check --json -- vma_surgery $s 2>&1
	echo "@@ rc=$?"
done
