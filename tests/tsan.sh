#!/usr/bin/env bash
# Run the tests that use threads under ThreadSanitizer (build with
# `make tsan`, which calls this). A TSan report makes the test fail.
#   tests/tsan.sh BUILD
set -u
build=${1:-build-tsan}
root=$(cd "$(dirname "$0")/.." && pwd)
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
export TSAN_OPTIONS="$TSAN_OPTIONS:exitcode=66"
tests=(test_notify)
rc=0
for t in "${tests[@]}"; do
	bin=$root/$build/tests/$t
	[ -x "$bin" ] || { echo "tsan: $bin not built"; exit 3; }
	if out=$("$bin" 2>&1); then
		echo "tsan: $t ok ($(printf '%s\n' "$out" | grep -c '^\[       OK') tests)"
	else
		rc=1
		echo "tsan: $t FAILED"
		printf '%s\n' "$out" | tail -n 40 | sed 's/^/    /'
	fi
done
exit $rc
