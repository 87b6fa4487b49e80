# Runs in the guest: every vma_surgery scenario under rmaptrace, one boot.
# Each scenario's output is framed by "@@ SCENARIO" and "@@ rc=N"; its
# recording is named after the scenario's first word. merge's VMA is torn
# down at exit: --unlink-each, so that its unlink shows what it covered.
for s in split merge neighbour mremap munmap_part munmap_all reuse "chain 64" "wide 200"; do
	echo "@@ $s"
	flags=
	if [ "$s" = merge ]; then flags=--unlink-each; fi
	rmaptrace $flags -w "$OUT/${s%% *}.rec" --check --json -- vma_surgery $s 2>&1
	echo "@@ rc=$?"
done
