# Runs in the guest: the concurrency cases, $2 runs each (default 2),
# each run's stdout and stderr kept apart (see anon_vma_slots.guest.sh)
# and recorded to $1/NAME.N.rec (kept for the first run and for runs
# that exit non-zero), its stdout in $1/NAME.out. tests/soak runs this with more.
#   mt.N     threads doing VMA surgery while the main thread forks and
#            another migrates (move_pages) their shared region: the odd
#            runs 4 threads, the even 8 with pseudo-random pauses
#   exit.N   16 children of one root exit at once, 10 rounds
#   ksm.N    a tree with KSM-merged pages exits: the odd runs stop ksmd
#            once merged (its references stay), the even ones leave it
#            running and trace on (-d 60) until it lets go
#   pid.N    with $3 = pid only (tests/soak): -p on a threaded, forking,
#            migrating process already running (3 threads; the odd runs
#            attach 1 s in, the even 2 s), 4 s, while it goes on
runs=${2:-2}
OUTDIR=$1
run() {
	name=$1
	shift
	t0=$(date +%s)
	rmaptrace -v -w "$OUTDIR/$name.rec" --check --json --quiet "$@" >/tmp/$name.out 2>/tmp/$name.err
	rc=$?
	echo "$name: exit $rc"
	echo "$name: took $(($(date +%s) - t0)) s"
	# Kept: the first of each, replayed on the host, and any that found
	# something (-w files of tens of MB travel back over the console).
	[ $rc = 0 ] && [ "${name#*.}" != 1 ] && rm -f "$OUTDIR/$name.rec"
	# The console is slow under emulation (tens of MB of anon_vma lines
	# took minutes): they go back in $OUT, compressed, as NAME.out, for
	# the runs the host reads them of.
	grep -av '^{"type":"anon_vma"' /tmp/$name.out | sed "s/^/$name: /"
	sed "s/^/$name: /" /tmp/$name.err
	mv /tmp/$name.out "$OUTDIR/$name.out"
	case $name in mt.1|pid.1|exit.*|ksm.*) ;; *) [ $rc = 0 ] && rm -f "$OUTDIR/$name.out" ;; esac
	rm -f /tmp/$name.err
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
		wait_s=1
	else
		run mt.$n -- mt_surgery 8 3 --migrate --jitter
		run exit.$n -- exit_together 16 10
		run ksm.$n -d 60 -- ksm_exit 32
		wait_s=2
	fi
	if [ "${3:-}" = pid ]; then
		mt_surgery 3 60 --migrate --jitter 2>/tmp/pid.err &
		pid=$!
		sleep $wait_s
		run pid.$n -d 4 -p $pid
		kill $pid
		wait $pid 2>/dev/null
	fi
	n=$((n + 1))
done
