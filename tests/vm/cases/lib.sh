# Shared by the VM test cases: run in the guest, compare, report.
# RMAPTRACE_KERNEL names the kernel (suite or path); tests/run-vm sets it.
vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case_name=$(basename "$0" .sh)
kernel=${RMAPTRACE_KERNEL:-trixie}
errors=()

vm_run() { "$vm_dir/run" --kernel "$kernel" "$@"; }

# fail REASON [OUTPUT]: stop here.
fail() {
	echo "FAIL vm/$case_name [$(basename "$kernel")]: $1"
	[[ -n ${2:-} ]] && sed 's/^/  | /' <<<"$2" | tail -n 60
	exit 1
}

# expect WHAT ACTUAL WANTED: note a mismatch, go on.
expect() {
	[[ $2 == "$3" ]] || errors+=("$1: got '$2', expected '$3'")
}

finish() {
	if ((${#errors[@]})); then
		echo "FAIL vm/$case_name [$(basename "$kernel")]"
		printf '  %s\n' "${errors[@]}"
		[[ -n ${out:-} ]] && sed 's/^/  | /' <<<"$out" | grep -a -e '"type":"anon_vma"' -e summary -e violation -e seed_fork | head -n 80
		exit 1
	fi
	echo "PASS vm/$case_name [$(basename "$kernel")]"
}
