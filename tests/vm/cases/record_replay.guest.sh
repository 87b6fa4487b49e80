# Runs in the guest: the seed's story traced live with a recording, then
# the recording replayed by the same binary with no BPF involved.
rmaptrace -w "$OUT/story.rec" --check --json --quiet -- seed_fork >/tmp/live.json 2>/tmp/live.err
echo "live_rc=$?"
rmaptrace -r "$OUT/story.rec" --check --json --quiet >/tmp/replay.json 2>/tmp/replay.err
echo "replay_rc=$?"
echo "mode=$(stat -c %a "$OUT/story.rec")"
sed 's/^/live: /' /tmp/live.json /tmp/live.err
sed 's/^/replay: /' /tmp/replay.json /tmp/replay.err
# A full disk: a tmpfs of two pages holds part of the recording. The trace
# goes on, the tool says where the recording stopped, and the file replays
# up to its last complete record.
mkdir -p /tmp/small && mount -t tmpfs -o size=8k tmpfs /tmp/small
rmaptrace -w /tmp/small/story.rec --check --json --quiet -- seed_fork >/tmp/full.json 2>/tmp/full.err
echo "full_rc=$?"
rmaptrace -r /tmp/small/story.rec --json --quiet >/tmp/cut.json 2>/tmp/cut.err
echo "cut_rc=$?"
sed 's/^/full: /' /tmp/full.json /tmp/full.err
sed 's/^/cut: /' /tmp/cut.json /tmp/cut.err
cp /tmp/small/story.rec "$OUT/cut.rec"
