# The instruction-count plugin's marks (insn_count.c, out=), paired: each
# mark 1 with the next mark 2 on the same vCPU, as fork_bench and
# insn_loop run them around their loops. Prints "VCPU COUNT" per pair,
# COUNT the instructions between the marks divided by per (default 1).
#   awk [-v per=N] -f tests/bench/marks.awk MARKS
BEGIN { if (!per) per = 1 }
$1 != "mark" { next }
$2 == 1 { vcpu = $4; start = $6; open = 1; next }
$2 == 2 && open && $4 == vcpu { printf "%s %.0f\n", vcpu, ($6 - start) / per; open = 0 }
