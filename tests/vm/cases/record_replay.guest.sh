# Runs in the guest: the seed's story traced live with a recording, then
# the recording replayed by the same binary with no BPF involved.
rmaptrace -w /tmp/story.rec --check --json --quiet -- seed_fork >/tmp/live.json 2>/tmp/live.err
echo "live_rc=$?"
rmaptrace -r /tmp/story.rec --check --json --quiet >/tmp/replay.json 2>/tmp/replay.err
echo "replay_rc=$?"
echo "mode=$(stat -c %a /tmp/story.rec)"
sed 's/^/live: /' /tmp/live.json /tmp/live.err
sed 's/^/replay: /' /tmp/replay.json /tmp/replay.err
