# Runs in the guest: Ctrl-C (SIGINT) and -d stop a trace while the four
# processes hold the mapping; the report must still come out whole.
rmaptrace -w "$OUT/sigint.rec" --check --json -- seed_fork --hold 30 >/tmp/int.json 2>/tmp/int.err &
rt=$!
until grep -q 'all four hold' /tmp/int.err 2>/dev/null; do sleep 0.1; done
sleep 1
kill -INT "$rt"
wait "$rt"
echo "sigint_rc=$?"
sed 's/^/int: /' /tmp/int.json /tmp/int.err

start=$(date +%s)
rmaptrace -w "$OUT/duration.rec" --quiet -d 2 -- seed_fork --hold 30 >/tmp/d.txt 2>&1
echo "duration_rc=$? took=$(( $(date +%s) - start ))"
sed 's/^/d: /' /tmp/d.txt
