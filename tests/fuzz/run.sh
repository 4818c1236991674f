#!/usr/bin/env bash
# Run every libFuzzer harness in BUILD/fuzz for SECONDS each, one at a time
# and niced (the machine is shared), and print the executions and crashes.
#   tests/fuzz/run.sh BUILD SECONDS [HARNESS...]
# New inputs go to BUILD/fuzz-corpus/<harness> (the seeds in
# tests/fuzz/corpus/<harness> are read, never written); a crashing input is
# saved as BUILD/fuzz-artifacts/<harness>-crash-* and makes the exit 1.
set -u
build=${1:?build dir}; secs=${2:?seconds}; shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 3
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for s in tests/fuzz/fuzz_*.c; do names+=("$(basename "$s" .c)"); done
fi
total=0 crashes=0
mkdir -p "$build/fuzz-artifacts"
for h in "${names[@]}"; do
	bin=$build/fuzz/$h
	[ -x "$bin" ] || { echo "fuzz: $bin not built"; exit 3; }
	work=$build/fuzz-corpus/$h seeds=tests/fuzz/corpus/$h
	mkdir -p "$work" "$seeds"
	extra=()
	[ "$h" = fuzz_cli ] && extra+=(-close_fd_mask=3)
	[ "$h" = fuzz_parsers ] && extra+=(-close_fd_mask=2)   # usage error lines
	log=$build/fuzz-artifacts/$h.log
	nice -n 19 "$bin" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=1024 \
		-timeout=10 -artifact_prefix="$build/fuzz-artifacts/$h-" "${extra[@]}" \
		"$work" "$seeds" > "$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	execs=${execs:-0}
	cov=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	total=$((total + execs))
	if [ $rc -ne 0 ]; then
		crashes=$((crashes + 1))
		echo "fuzz: $h FAILED (exit $rc) after $execs execs; see $log"
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -n 5 | sed 's/^/    /'
	else
		echo "fuzz: $h ok: $execs execs in ${secs}s (${speed:-?}/s), ${cov:-cov ?}, corpus $(ls "$work" | wc -l) inputs"
	fi
done
echo "fuzz: total $total execs, $crashes crashing harness(es)"
[ $crashes -eq 0 ]
