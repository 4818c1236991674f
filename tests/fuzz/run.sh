#!/usr/bin/env bash
# Run every libFuzzer harness in BUILD/fuzz for SECONDS each, niced (the
# machine is shared), and print the executions and crashes. One at a time,
# or FUZZ_JOBS at once (each harness is one process with its own corpus,
# artifacts and log; the results are printed in harness order).
#   [FUZZ_JOBS=N] tests/fuzz/run.sh BUILD SECONDS [HARNESS...]
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
jobs=${FUZZ_JOBS:-1}
total=0 crashes=0
mkdir -p "$build/fuzz-artifacts"
for h in "${names[@]}"; do
	[ -x "$build/fuzz/$h" ] || { echo "fuzz: $build/fuzz/$h not built"; exit 3; }
done

fuzz_one() { # harness: runs it, its exit code in $build/fuzz-artifacts/$h.rc
	local h=$1 bin=$build/fuzz/$1 work=$build/fuzz-corpus/$1 seeds=tests/fuzz/corpus/$1 extra=()
	mkdir -p "$work" "$seeds"
	[ "$h" = fuzz_cli ] && extra+=(-close_fd_mask=3)
	[ "$h" = fuzz_parsers ] && extra+=(-close_fd_mask=2)   # usage error lines
	nice -n 19 "$bin" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=1024 \
		-timeout=10 -artifact_prefix="$build/fuzz-artifacts/$h-" "${extra[@]}" \
		"$work" "$seeds" > "$build/fuzz-artifacts/$h.log" 2>&1
	echo $? > "$build/fuzz-artifacts/$h.rc"
}

report_one() { # harness
	local h=$1 log=$build/fuzz-artifacts/$1.log work=$build/fuzz-corpus/$1 rc execs cov speed
	rc=$(cat "$build/fuzz-artifacts/$h.rc" 2> /dev/null || echo 3)
	rm -f "$build/fuzz-artifacts/$h.rc"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	execs=${execs:-0}
	cov=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	total=$((total + execs))
	if [ "$rc" -ne 0 ]; then
		crashes=$((crashes + 1))
		echo "fuzz: $h FAILED (exit $rc) after $execs execs; see $log"
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -n 5 | sed 's/^/    /'
	else
		echo "fuzz: $h ok: $execs execs in ${secs}s (${speed:-?}/s), ${cov:-cov ?}, corpus $(ls "$work" | wc -l) inputs"
	fi
}

# Batches of $jobs harnesses; each batch is waited for, then reported.
for ((i = 0; i < ${#names[@]}; i += jobs)); do
	batch=("${names[@]:i:jobs}")
	for h in "${batch[@]}"; do fuzz_one "$h" & done
	wait
	for h in "${batch[@]}"; do report_one "$h"; done
done
echo "fuzz: total $total execs, $crashes crashing harness(es)"
[ $crashes -eq 0 ]
