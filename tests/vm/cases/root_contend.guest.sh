# Runs in the guest: root_contend four times under rmaptrace, each run's
# stdout and stderr kept apart (see anon_vma_slots.guest.sh), each
# recorded to $1/runN.rec.
for n in 1 2 3 4; do
	rmaptrace -v -w "$1/run$n.rec" --check --json --quiet -- \
		root_contend 32 100 --migrate >/tmp/run$n.out 2>/tmp/run$n.err
	echo "run$n: exit $?"
	sed "s/^/run$n: /" /tmp/run$n.out /tmp/run$n.err
done
