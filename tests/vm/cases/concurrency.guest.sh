# Runs in the guest: the concurrency cases, $2 runs each (default 2),
# each run's stdout and stderr kept apart (see anon_vma_slots.guest.sh)
# and recorded to $1/NAME.N.rec. tests/soak runs this with more.
#   mt.N     threads doing VMA surgery while the main thread forks and
#            another migrates (move_pages) their shared region: the odd
#            runs 4 threads, the even 8 with pseudo-random pauses
#   exit.N   16 children of one root exit at once, 10 rounds
#   ksm.N    a tree with KSM-merged pages exits: the odd runs stop ksmd
#            once merged (its references stay), the even ones leave it
#            running and trace on (-d 60) until it lets go
runs=${2:-2}
OUTDIR=$1
run() {
	name=$1
	shift
	rmaptrace -v -w "$OUTDIR/$name.rec" --check --json --quiet "$@" >/tmp/$name.out 2>/tmp/$name.err
	echo "$name: exit $?"
	sed "s/^/$name: /" /tmp/$name.out /tmp/$name.err
	rm -f /tmp/$name.out /tmp/$name.err
}
echo 1000 > /sys/kernel/mm/ksm/pages_to_scan
echo 20 > /sys/kernel/mm/ksm/sleep_millisecs
n=1
while [ $n -le "$runs" ]; do
	echo 1 > /sys/kernel/mm/ksm/run
	if [ $((n % 2)) = 1 ]; then
		run mt.$n -- mt_surgery 4 3 --migrate
		run exit.$n -- exit_together 16 10
		run ksm.$n -- ksm_exit 32 --pause-ksmd
	else
		run mt.$n -- mt_surgery 8 3 --migrate --jitter
		run exit.$n -- exit_together 16 10
		run ksm.$n -d 60 -- ksm_exit 32
	fi
	n=$((n + 1))
done
