# Runs in the guest: rmaptrace --json and the command it traces write to
# one file. The command prints a line between forks, 200 times, while
# rmaptrace writes the forks' event lines.
rmaptrace --json -- sh -c 'i=0; while [ $i -lt 200 ]; do echo "tick $i"; sh -c :; i=$((i+1)); done' \
	>/tmp/shared.out 2>/tmp/shared.err
echo "rc=$?"
sed 's/^/out: /' /tmp/shared.out
sed 's/^/err: /' /tmp/shared.err
