# Runs in the guest: a traced fork tree that holds most of free memory as
# single pages between holes (fork_tree --holes), then compaction by $1:
# "sync" writes compact_memory from the tree's root, "kcompactd" leaves it
# to kcompactd's proactive compaction, off until then so that it is the
# mode asked for that moves the pages.
echo 0 >/proc/sys/vm/compaction_proactiveness
free_kb=$(awk '/^MemFree/ { print $2 }' /proc/meminfo)
pages=$(( (free_kb - 128 * 1024) / 8 ))
# A compaction is a burst of up to 10^5 events in a 384 MiB guest: a ring
# buffer that holds it whole, so that a host busy elsewhere, slowing the
# reader, loses nothing. Of the output keep the report, the summary and the
# first walks by the compacting task.
case $1 in sync) comm=fork_tree ;; *) comm=kcompactd ;; esac
( rmaptrace -w "$OUT/$1.rec" --check --json --buffer-mb 32 -- fork_tree --seed-story --holes --pages $pages --compact "$1" 2>/tmp/err
  echo $? >/tmp/rc ) |
	awk -v c="\"comm\":\"$comm" '/"type":"event"/ { next }
		/"type":"walk"/ { walks++; if (index($0, c) == 0 || ++kept > 2000) next }
		{ print } END { print "walk_lines=" walks }'
echo "rc=$(cat /tmp/rc)"
cat /tmp/err
