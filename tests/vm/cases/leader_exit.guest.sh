# Runs in the guest: leader_exit under rmaptrace, once per way rmaptrace
# can watch an exit: the default (tp_btf, or kprobes where the preemption
# model asks for them), --kprobes (taskstats_exit), and --kprobes with
# do_exit's entry (RMAPTRACE_EXIT_HOOK, as without CONFIG_TASKSTATS).
# stdout and stderr kept apart (anon_vma_slots.guest.sh), each recorded.
for mode in default kprobes do_exit; do
	case $mode in
	default) flags= hook= ;;
	kprobes) flags=--kprobes hook= ;;
	do_exit) flags=--kprobes hook=do_exit ;;
	esac
	RMAPTRACE_EXIT_HOOK=$hook rmaptrace -v $flags -w "$1/$mode.rec" --check --json -- \
		leader_exit >/tmp/$mode.out 2>/tmp/$mode.err
	echo "$mode: exit $?"
	sed "s/^/$mode: /" /tmp/$mode.out /tmp/$mode.err
done
