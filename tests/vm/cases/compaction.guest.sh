# Runs in the guest: a traced fork tree that holds most of free memory as
# single pages between holes (fork_tree --holes), then compaction by $1:
# "sync" writes compact_memory from the tree's root, "kcompactd" leaves it
# to kcompactd's proactive compaction, off until then so that it is the
# mode asked for that moves the pages.
echo 0 >/proc/sys/vm/compaction_proactiveness
free_kb=$(awk '/^MemFree/ { print $2 }' /proc/meminfo)
pages=$(( (free_kb - 128 * 1024) / 8 ))
# Hundreds of thousands of events: keep the report, the summary and the
# first walks of the tree's pages by the compacting task.
case $1 in sync) comm=fork_tree ;; *) comm=kcompactd ;; esac
( rmaptrace --check --json -- fork_tree --seed-story --holes --pages $pages --compact "$1" 2>/tmp/err
  echo $? >/tmp/rc ) |
	awk -v c="\"comm\":\"$comm" '/"type":"event"/ { next }
		/"type":"walk"/ { walks++; if (index($0, c) == 0 || ++kept > 2000) next }
		{ print } END { print "walk_lines=" walks }'
echo "rc=$(cat /tmp/rc)"
cat /tmp/err
