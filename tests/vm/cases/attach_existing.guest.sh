# Runs in the guest: the seed's four processes built their hierarchy before
# rmaptrace starts; it attaches to P once all four hold the mapping, and
# the four are let go once it says its snapshot is taken (a fixed hold of
# 4 s raced rmaptrace's start under a busy emulator: the tree was gone).
seed_fork --hold 300 2>/tmp/wl.log &
until grep -q 'all four hold the mapping' /tmp/wl.log; do sleep 0.1; done
P=$(grep -o 'P=[0-9]*' /tmp/wl.log | cut -d= -f2)
rmaptrace -w "$OUT/trace.rec" --check --json -v -p "$P" >/tmp/trace.json 2>/tmp/rt.err &
rt=$!
i=0
until grep -q '^rmaptrace: snapshot: ' /tmp/rt.err || ! kill -0 "$rt" 2>/dev/null || [ "$i" -ge 1200 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -USR2 "$P"
wait "$rt"
echo "rmaptrace_rc=$?"
cat /tmp/trace.json /tmp/wl.log /tmp/rt.err
