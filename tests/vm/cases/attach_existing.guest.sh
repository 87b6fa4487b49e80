# Runs in the guest: the seed's four processes built their hierarchy before
# rmaptrace starts; it attaches to P once all four hold the mapping.
seed_fork --hold 4 2>/tmp/wl.log &
until grep -q 'all four hold the mapping' /tmp/wl.log; do sleep 0.1; done
P=$(grep -o 'P=[0-9]*' /tmp/wl.log | cut -d= -f2)
rmaptrace -w "$OUT/trace.rec" --check --json -v -p "$P" >/tmp/trace.json 2>/tmp/rt.err
echo "rmaptrace_rc=$?"
cat /tmp/trace.json /tmp/wl.log /tmp/rt.err
