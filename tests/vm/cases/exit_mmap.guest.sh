# Runs in the guest: fork_bench (8 children, 16 VMAs each) under rmaptrace,
# with the exit_mmap hooks (the default) and with --unlink-each; stdout and
# stderr kept apart, each run recorded.
for mode in default each; do
	flags=
	if [ $mode = each ]; then flags=--unlink-each; fi
	rmaptrace -v $flags -w "$1/$mode.rec" --check --json -- fork_bench 8 16 \
		>/tmp/$mode.out 2>/tmp/$mode.err
	echo "$mode: exit $?"
	sed "s/^/$mode: /" /tmp/$mode.out /tmp/$mode.err
done
