#!/bin/sh
# The benchmark's guest side, one boot (tests/bench/run starts it):
#   guest.sh MODE FORKS FORK_ROUNDS PAGES MOVES ROUNDS STORM_SECONDS HOOKS_BT FLOOR [BPFTRACE [BASE]]
# MODE: all (the first boot), or fork (the fork rounds only: the boots
# after the first, for the fork ratios' median over boots).
# BASE: another build of rmaptrace, run as a fifth configuration ("base")
# beside this one, for a change's effect in one boot (run --against).
# Each round runs every configuration once, in turn, so that drifts of the
# emulated machine fall on all of them alike: FORK_ROUNDS rounds of the
# fork, then ROUNDS of the walk. Prints "@@" lines:
#   @@ fork CONFIG NS_PER_FORK      @@ walk CONFIG NS_FOR_THE_MOVES
#   @@ storm STRESSORS SECONDS EVENTS LOST
#   @@ prof CONFIG PROGRAM RUNS NS_PER_RUN (below)
mode=$1; shift
forks=$1 fork_rounds=$2 pages=$3 moves=$4 rounds=$5 storm=$6 hooks=$7 floor=$8 bt=$9 base=${10}

fork_ns() { grep -o 'fork_bench: [0-9]* forks, [0-9]* ns' | awk '{print $4}'; }
walk_ns() {
	grep -o 'moved=[0-9]* of [0-9]* to node [0-9]* ns=[0-9]*' | sed 's/.*ns=//' |
		awk '{ s += $1 } END { if (NR) print s }'
}

# $1: fork or walk; the command follows
run() {
	what=$1; shift
	case $what in
	fork) "$@" 2>&1 >/dev/null | fork_ns ;;
	walk) "$@" 2>&1 >/dev/null | walk_ns ;;
	esac
}

# The workload runs on CPU 0, a tracer's user space on CPU 1, in every
# configuration: left to the scheduler, the fork's child landed on either
# vCPU and the untraced fork alone took 1.7 or 3.0 ms in one boot, more
# than the tracing costs (BENCHMARKS.md).
W="taskset -c 0" T="taskset -c 1"

# $1: fork or walk, $2: rounds
rounds() {
	w=$1
	if [ $w = fork ]; then
		cmd="fork_bench $forks"
	else
		cmd="fork_tree --seed-story --pages $pages --migrate --moves $moves"
	fi
	for r in $(seq "$2"); do
		echo "@@ $w untraced $(run $w $W $cmd)"
		echo "@@ $w floor $(run $w $T "$floor" $W $cmd)"
		echo "@@ $w rmaptrace $(run $w $T rmaptrace --check --quiet -- $W $cmd)"
		if [ -n "$base" ]; then
			echo "@@ $w base $(run $w $T "$base" --check --quiet -- $W $cmd)"
		fi
		if [ -n "$bt" ]; then
			echo "@@ $w bpftrace $(run $w $T "$bt" -q -o /tmp/bt.out "$hooks" -c "$W $cmd")"
		fi
	done
}
rounds fork "$fork_rounds"
[ "$mode" = fork ] && exit 0

# Where the fork's added time goes: one more fork run of the floor and of
# rmaptrace (and base) with kernel.bpf_stats_enabled, each program's runs
# and ns per run (rmaptrace -v prints them, the floor at exit). The
# counting itself costs two clock reads per run: not a round's figure.
#   @@ prof CONFIG PROGRAM RUNS NS_PER_RUN
prof() {
	c=$1; shift
	"$@" 2>&1 >/dev/null | awk -v c="$c" '
		/ ran [0-9]+ times, [0-9]+ ns each/ { print "@@ prof", c, $2, $4, $6 }'
}
if echo 1 2>/dev/null >/proc/sys/kernel/bpf_stats_enabled; then
	prof floor $T "$floor" $W fork_bench "$forks"
	prof rmaptrace $T rmaptrace -v --check --quiet -- $W fork_bench "$forks"
	if [ -n "$base" ]; then
		prof base $T "$base" -v --check --quiet -- $W fork_bench "$forks"
	fi
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
fi
rounds walk "$rounds"

# Losses at the default ring buffer: stress-ng fork storms of growing size.
for k in 1 2 4; do
	s=$(rmaptrace --check --json --quiet -- stress-ng --fork "$k" -t "${storm}s" 2>/dev/null |
		grep '^{"type":"summary"')
	ev=$(echo "$s" | sed 's/.*"events":\([0-9]*\).*/\1/')
	lost=$(echo "$s" | sed 's/.*"lost":\([0-9]*\).*/\1/')
	echo "@@ storm $k $storm ${ev:-0} ${lost:-0}"
done
