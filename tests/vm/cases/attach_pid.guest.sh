# Runs in the guest: rmaptrace -p on a process that then plays the story.
# $1 = lose-exits: rmaptrace drops every exit event (RMAPTRACE_LOSE_EXITS).
[ "${1:-}" = lose-exits ] && export RMAPTRACE_LOSE_EXITS=1
seed_fork --wait 2>/tmp/wl.log &
wl=$!
until grep -q 'waiting for SIGUSR1' /tmp/wl.log; do sleep 0.1; done
rmaptrace -w "$OUT/trace.rec" --check --json -p "$wl" >/tmp/trace.json 2>/tmp/rt.err &
rt=$!
until grep -q 'tracing pid' /tmp/rt.err; do sleep 0.1; done
kill -USR1 "$wl"
wait "$rt"
echo "rmaptrace_rc=$?"
cat /tmp/trace.json /tmp/wl.log /tmp/rt.err
