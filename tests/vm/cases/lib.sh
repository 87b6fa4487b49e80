# Shared by the VM test cases: run in the guest, compare, report.
# RMAPTRACE_KERNEL names the kernel (suite or path); tests/run-vm sets it.
vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
top=$(cd "$vm_dir/../.." && pwd)
# RMAPTRACE_CASE: the name of a case that runs another's script with
# other settings (seed_story_kprobes, migrate_walks_random).
case_name=${RMAPTRACE_CASE:-$(basename "$0" .sh)}
kernel=${RMAPTRACE_KERNEL:-trixie}
errors=()

# Every case records its traces: rmaptrace -w $guest_out/NAME.rec in the
# guest comes back as $rec_dir/NAME.rec (tests/vm/run --out), one directory
# per kernel and case under build/recordings (RMAPTRACE_RECORDINGS), for a
# CI to keep; check_replay replays them.
guest_out=/out	# tests/vm/run's $OUT
rec_dir=${RMAPTRACE_RECORDINGS:-$top/build/recordings}/$(basename "$kernel")/$case_name
rm -rf "$rec_dir"

vm_run() { "$vm_dir/run" --kernel "$kernel" --out "$rec_dir" "$@"; }

# fail REASON [OUTPUT]: stop here.
fail() {
	echo "FAIL ${case_prefix:-vm}/$case_name [$(basename "$kernel")]: $1"
	[[ -n ${2:-} ]] && sed 's/^/  | /' <<<"$2" | tail -n 60
	exit 1
}

# expect WHAT ACTUAL WANTED: note a mismatch, go on.
expect() {
	[[ $2 == "$3" ]] || errors+=("$1: got '$2', expected '$3'")
}

# all_skipped LOST OUTPUT: LOST events were lost, and -v's count in OUTPUT
# says every one was a program run the kernel skipped (or a kprobe miss).
all_skipped() {
	local n
	n=$(grep -aoE 'of the events lost, [0-9]+ are program runs' <<<"$2" | grep -oE '[0-9]+' | head -n 1)
	(($1 > 0 && ${n:-0} == $1))
}

# xfail_skipped LOST OUTPUT: end the case XFAIL for all_skipped, with -v's
# list of the skips: the checks were not trusted, nor wrong.
xfail_skipped() {
	echo "XFAIL ${case_prefix:-vm}/$case_name [$(basename "$kernel")]: the kernel skipped $1 program runs (counted as lost, checks not trusted):"
	grep -a -e 'skipped [0-9]* times' -e 'missed [0-9]* times' <<<"$2" | sed 's/^/  | /'
	exit 0
}

finish() {
	if ((${#errors[@]})); then
		echo "FAIL ${case_prefix:-vm}/$case_name [$(basename "$kernel")]"
		printf '  %s\n' "${errors[@]}"
		[[ -n ${out:-} ]] && sed 's/^/  | /' <<<"$out" | grep -a -e '"type":"anon_vma"' -e summary -e violation -e seed_fork | head -n 80
		exit 1
	fi
	echo "PASS ${case_prefix:-vm}/$case_name [$(basename "$kernel")]"
}

# check_replay NAME LIVE [OPTION...]: the recording NAME.rec, replayed on
# the host with the live run's OPTIONs, gives the live run's JSON lines of
# the types in $replay_types, one for one and in order. A recording that did
# not come back, that replays with an error or to other lines fails.
replay_types='event|walk|anon_vma|violation|summary'
check_replay() {
	local name=$1 live=$2 rec=$rec_dir/$1.rec replay rc
	shift 2
	[[ -s $rec ]] || { errors+=("$name.rec: not brought back from the guest"); return; }
	replay=$("$top/build/rmaptrace" -r "$rec" "$@" 2>&1)
	rc=$?
	expect "$name.rec: replay exit" "$rc" 0
	json_lines() { grep -aE "^\{\"type\":\"($replay_types)\"" || true; }
	[[ -n $(json_lines <<<"$live") ]] || { errors+=("$name: no live JSON lines to compare"); return; }
	expect "$name.rec: replayed lines = live lines" \
		"$(diff <(json_lines <<<"$live") <(json_lines <<<"$replay") | head -n 4)" ""
	check_walks_known "$name.rec" "$replay"
}

# check_walks_known WHAT JSON: every walk rmaptrace reported is of an
# anon_vma it learnt (id 0: the BPF side took an anon_vma outside the
# traced hierarchies for one of them).
check_walks_known() {
	expect "$1: walks of anon_vmas outside the trace" \
		"$(grep -a '^{"type":"walk"' <<<"$2" | grep -a '"anon_vma":0,' | head -n 2)" ""
}

# check_seed_tree OUTPUT FREED: the seed's diagram in rmaptrace --json
# OUTPUT of a seed_fork run. FREED is "freed" when the story ran to its end,
# "live" when tracing stopped while all four held the mapping.
check_seed_tree() {
	local out=$1 state=$2 json mapping P C1 C2 GC addr p c1 c2 gc who pid summary
	pid_of() { grep -oE "seed_fork: .*\b$1=[0-9]+" <<<"$out" | grep -oE "\b$1=[0-9]+" | cut -d= -f2; }
	P=$(pid_of P) C1=$(pid_of C1) C2=$(pid_of C2) GC=$(pid_of GC)
	addr=$(grep -oE 'seed_fork: P=[0-9]+ addr=0x[0-9a-f]+' <<<"$out" | grep -oE '0x[0-9a-f]+')
	[[ -n $P && -n $C1 && -n $C2 && -n $GC && -n $addr ]] || fail "workload did not report its pids" "$out"

	json=$(grep -a '^{"type":"anon_vma"' <<<"$out")
	mapping=$(jq -c --arg a "$addr" 'select(.vm_start == $a)' <<<"$json")
	[[ $(wc -l <<<"$mapping") == 4 ]] || fail "expected 4 anon_vmas for the mapping at $addr" "$out"
	get() { jq -r --argjson p "$1" "select(.pid == \$p) | $2" <<<"$mapping"; }

	p=$(get "$P" .id) c1=$(get "$C1" .id) c2=$(get "$C2" .id) gc=$(get "$GC" .id)
	[[ -n $p && -n $c1 && -n $c2 && -n $gc ]] || fail "not one anon_vma per process" "$mapping"

	expect "P root"    "$(get "$P" .root)" "$p"
	expect "P parent"  "$(get "$P" .parent)" "$p"
	expect "P max num_children" "$(get "$P" .max_num_children)" 3
	expect "C1 root"   "$(get "$C1" .root)" "$p"
	expect "C1 parent" "$(get "$C1" .parent)" "$p"
	expect "C1 max num_children" "$(get "$C1" .max_num_children)" 0
	expect "C2 root"   "$(get "$C2" .root)" "$p"
	expect "C2 parent" "$(get "$C2" .parent)" "$p"
	expect "C2 max num_children" "$(get "$C2" .max_num_children)" 1
	expect "GC root"   "$(get "$GC" .root)" "$p"
	expect "GC parent" "$(get "$GC" .parent)" "$c2"
	expect "GC max num_children" "$(get "$GC" .max_num_children)" 0
	for who in P C1 C2 GC; do
		pid=${!who}
		expect "$who max num_active_vmas" "$(get "$pid" .max_num_active_vmas)" 1
		expect "$who kernel = derived max num_children" \
			"$(get "$pid" .max_num_children)" "$(get "$pid" .derived_max_num_children)"
		expect "$who kernel = derived max num_active_vmas" \
			"$(get "$pid" .max_num_active_vmas)" "$(get "$pid" .derived_max_num_active_vmas)"
		expect "$who freed" "$(get "$pid" .freed)" "$([[ $state == freed ]] && echo true || echo false)"
		# SEED_ORIGIN=snapshot: the tree was found at attach, not watched.
		expect "$who origin" "$(get "$pid" .origin)" \
			"${SEED_ORIGIN:-$([[ $who == P ]] && echo prepare || echo fork)}"
	done
	if [[ $state == live ]]; then
		# Stopped while all four hold it: the counters as they stand.
		expect "P num_children now" "$(get "$P" .num_children)" 3
		expect "P derived num_children now" "$(get "$P" .derived_num_children)" 3
		expect "C2 num_children now" "$(get "$C2" .num_children)" 1
	fi
	summary=$(grep -a '^{"type":"summary"' <<<"$out")
	[[ -n $summary ]] || fail "no summary line" "$out"
	expect "violations" "$(jq .violations <<<"$summary")" 0
	expect "lost" "$(jq .lost <<<"$summary")" 0
	expect "checked" "$(jq .checked <<<"$summary")" true
}

# Of a fork_tree run's OUTPUT: its mapping's address, and the pids of the
# tree, sorted and comma-separated (what a walk of its pages must visit).
tree_addr() { grep -oE 'fork_tree: addr=0x[0-9a-f]+' <<<"$1" | head -n1 | cut -d= -f2; }
tree_pids() { grep -oE 'fork_tree: node=[0-9]+ pid=[0-9]+' <<<"$1" | grep -oE '[0-9]+$' | sort -n | paste -sd, -; }

# walks_off_tree PIDS ADDR [JQ]: of the walk lines on stdin, those that do
# not visit exactly the VMAs at ADDR of the processes PIDS (tree_pids), or
# missed a VMA, or match the jq condition JQ.
walks_off_tree() {
	jq -c --arg want "$1" --arg a "$2" "select(([.visited[].pid] | sort | map(tostring) | join(\",\")) != \$want
		or ([.visited[] | select(.vma_start != \$a)] | length) != 0
		or (.missed | length) != 0 ${3:+or ($3)})"
}

# check_migrate_walks OUTPUT PAGES: the walks of a `fork_tree --migrate`
# run (see migrate_walks.sh) in rmaptrace --json OUTPUT.
check_migrate_walks() {
	local out=$1 pages=$2 addr nodes moved want first walks unmap_cb cb i w order summary
	addr=$(tree_addr "$out")
	nodes=$(grep -oE 'fork_tree: addr=.* nodes=[0-9]+' <<<"$out" | grep -oE '[0-9]+$')
	moved=$(grep -oE 'fork_tree: moved=[0-9]+' <<<"$out" | cut -d= -f2)
	[[ -n $addr && -n $nodes ]] || fail "workload did not report its mapping" "$out"
	expect "pages moved" "$moved" "$pages"
	# Every pid of the tree, sorted: what each walk must visit.
	want=$(tree_pids "$out")
	expect "processes in the tree" "$(tr , '\n' <<<"$want" | grep -c .)" "$nodes"

	first=$(( addr >> 12 ))
	walks=$(grep -a '^{"type":"walk"' <<<"$out" |
		jq -c --argjson lo "$first" --argjson hi "$((first + pages))" 'select(.pgoff >= $lo and .pgoff < $hi)')
	# Migration unmaps through try_to_migrate_one since 5.15; 5.10 used
	# try_to_unmap_one with TTU_MIGRATION.
	case $(basename "$kernel") in bullseye) unmap_cb=try_to_unmap_one ;; *) unmap_cb=try_to_migrate_one ;; esac
	for cb in $unmap_cb remove_migration_pte; do
		for ((i = 0; i < pages; i++)); do
			w=$(jq -c --arg cb "$cb" --argjson pg "$((first + i))" \
				'select(.callback == $cb and .pgoff == $pg)' <<<"$walks")
			[[ -n $w ]] || { errors+=("page $i: no $cb walk"); continue; }
			w=$(head -n1 <<<"$w")
			expect "page $i $cb walk not visiting exactly the tree" \
				"$(walks_off_tree "$want" "$addr" <<<"$w")" ""
			expect "page $i $cb predicted" "$(jq .predicted <<<"$w")" "$nodes"
		done
	done
	# Per page: unmapped first, then the migration entries removed.
	for ((i = 0; i < pages; i++)); do
		order=$(jq -r --argjson pg "$((first + i))" 'select(.pgoff == $pg) | .callback' <<<"$walks" |
			uniq | paste -sd' ' -)
		expect "page $i walk order" "$order" "$unmap_cb remove_migration_pte"
	done
	summary=$(grep -a '^{"type":"summary"' <<<"$out")
	expect "violations" "$(jq .violations <<<"$summary")" 0
	expect "lost" "$(jq .lost <<<"$summary")" 0
}
