# Runs in the guest: each error a user can act on is one line, exit 2.
# Prints "ok WHAT" or "bad WHAT: ..." per case.
check() {	# WHAT PATTERN CMD...
	what=$1 pat=$2; shift 2
	msg=$("$@" 2>&1 >/dev/null); rc=$?
	# argp follows a usage error with its "Try --help" hint.
	msg=$(printf '%s\n' "$msg" | grep -v "^Try \`rmaptrace --help'")
	lines=$(printf '%s\n' "$msg" | grep -c .)
	if [ "$rc" = 2 ] && [ "$lines" = 1 ] && printf '%s' "$msg" | grep -q "$pat"; then
		echo "ok $what"
	else
		echo "bad $what: exit $rc, $lines lines: $msg"
	fi
}
check "not root" "needs root" as_nobody rmaptrace -- true
check "no such pid" "no process with pid 999999" rmaptrace -p 999999
check "command cannot run" "cannot run /no/such/cmd" rmaptrace -- /no/such/cmd
check "usage: -p and CMD" "not both" rmaptrace -p 1 -- true
check "usage: bad pid" "invalid PID" rmaptrace -p abc
mount -t tmpfs none /sys/kernel/btf
check "no BTF" "no kernel BTF" rmaptrace -- true
umount /sys/kernel/btf
