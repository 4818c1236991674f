#!/usr/bin/env bash
# Run the test suites and print one closing line: "N passed, N failed, N skipped".
#   tests/run.sh BUILD [unit|bpf|e2e]...
# cmocka binaries report per test in TAP; e2e scripts exit 0 (pass),
# 77 (skip, after printing the reason) or anything else (fail).
set -u
build=${1:-build}; shift || true
suites=${*:-unit bpf e2e}
root=$(cd "$(dirname "$0")/.." && pwd)
export SWARM_BIN="$root/$build/swarm" SWARM_TRACE_BIN="$root/$build/swarm-trace"
export SWARM_BUILD="$root/$build" SWARM_ROOT="$root"
export CMOCKA_MESSAGE_OUTPUT=TAP
# The tests want Debian's python3 (tools/deps.sh installs it and the
# python3-yaml they import). A python3 found first on PATH that is not it
# (a pyenv shim costs 0.45 s per call here, and e2e tests make hundreds)
# is shadowed for the suite only.
if [ -x /usr/bin/python3 ] && [ "$(command -v python3)" != /usr/bin/python3 ]; then
	mkdir -p "$root/$build/tests/pybin"
	ln -sf /usr/bin/python3 "$root/$build/tests/pybin/python3"
	export PATH="$root/$build/tests/pybin:$PATH"
fi
pass=0 fail=0 skip=0 failed_names=()

run_cmocka() {
	local bin=$1 out rc p f s
	out=$(timeout 600 "$bin" 2>&1); rc=$?
	printf '%s\n' "$out" | sed "s|^|  $(basename "$bin"): |"
	p=$(printf '%s\n' "$out" | grep -E '^ok ' | grep -vc '# SKIP')
	s=$(printf '%s\n' "$out" | grep -Ec '^ok .*# SKIP')
	f=$(printf '%s\n' "$out" | grep -Ec '^not ok ')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1   # crashed or timed out before reporting
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	[ "$f" -gt 0 ] && failed_names+=("$(basename "$bin")")
}

run_script() {
	local t=$1 rc start
	start=$(date +%s)
	timeout 600 bash "$t" > "/tmp/swarm-test.$$.log" 2>&1; rc=$?
	case $rc in
	0) pass=$((pass + 1)); echo "ok   $(basename "$t") ($(( $(date +%s) - start ))s)";;
	77) skip=$((skip + 1)); echo "SKIP $(basename "$t"): $(tail -n 1 "/tmp/swarm-test.$$.log")";;
	*) fail=$((fail + 1)); failed_names+=("$(basename "$t")")
	   echo "FAIL $(basename "$t") (exit $rc)"; sed 's/^/    /' "/tmp/swarm-test.$$.log" | tail -n 40;;
	esac
	rm -f "/tmp/swarm-test.$$.log"
}

for suite in $suites; do
	case $suite in
	unit) for b in "$root/$build"/tests/test_*; do
		[ -x "$b" ] || continue
		case $(basename "$b") in test_bpf_*) continue;; esac
		run_cmocka "$b"; done;;
	bpf) for b in "$root/$build"/tests/test_bpf_*; do
		[ -x "$b" ] && run_cmocka "$b"; done;;
	e2e) for t in "$root"/tests/e2e/*.sh; do
		[ -f "$t" ] && run_script "$t"; done;;
	esac
done

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
