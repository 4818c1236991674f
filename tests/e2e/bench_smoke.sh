#!/usr/bin/env bash
# Smoke test of the benchmark tools (not a timed test): the bus load
# generator, for swarm and for the reference-protocol baseline, run with
# small counts must deliver every message exactly once and in order and
# report sane, non-zero figures; the baseline coordinator must collect
# every result. No absolute time is asserted.
set -u
root=${SWARM_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SWARM_BUILD:-$root/build}
bb=$build/bench/busbench
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$bb" ] || fail "$bb not built (make test-bins)"
# A private bus root: only this test's leftovers are counted.
export SWARM_SHM=$(mktemp -d /dev/shm/swarm-test-bench.XXXXXX)
trap 'rm -rf "$SWARM_SHM"' EXIT

# field JSON NAME: the first number after "NAME": (nested names: last part)
field() { [[ $1 =~ \"$2\":([0-9.]+) ]] && echo "${BASH_REMATCH[1]}"; }
positive() { awk -v v="$1" 'BEGIN { exit !(v > 0) }'; }

check_run() { # label expected busbench-args...
	local label=$1 expected=$2 out rc v; shift 2
	out=$(timeout 60 "$bb" "$@"); rc=$?
	echo "$label: $out"
	[ "$rc" -eq 0 ] || fail "$label: exit $rc"
	[ "$(field "$out" expected)" = "$expected" ] || fail "$label: expected count"
	[ "$(field "$out" delivered)" = "$expected" ] || fail "$label: not all delivered"
	for v in duplicates order_errors bad errors; do
		[ "$(field "$out" $v)" = 0 ] || fail "$label: $v not zero"
	done
	for v in msgs_per_s seconds p50 p99; do
		positive "$(field "$out" $v)" || fail "$label: $v not positive"
	done
	LAST=$out
}

for sys in swarm baseline; do
	check_run "$sys 4 senders" 2000 --system "$sys" --senders 4 --messages 500
	check_run "$sys batch" 2000 --system "$sys" --senders 2 --batch 50 --messages 1000
	check_run "$sys 2 inboxes" 1200 --system "$sys" --senders 6 --inboxes 2 --messages 200
	check_run "$sys paced" 200 --system "$sys" --senders 1 --messages 200 --interval-us 500
	# A waiting reader sees a paced message within a second, whatever the system.
	[[ $LAST =~ \"w2r_us\":\{\"p50\":[0-9.]+,\"p95\":([0-9.]+) ]] || fail "$sys: no w2r p95"
	awk -v v="${BASH_REMATCH[1]}" 'BEGIN { exit !(v > 0 && v < 1000000) }' ||
		fail "$sys: write->read p95 ${BASH_REMATCH[1]} us is not sane"
done

# Bad usage is refused with exit 2.
"$bb" --system nosuch > /dev/null 2>&1; [ $? -eq 2 ] || fail "bad --system not refused"
"$bb" --system swarm --senders 0 > /dev/null 2>&1; [ $? -eq 2 ] || fail "--senders 0 not refused"

# The baseline coordinator collects every result, flat and hybrid.
out=$(timeout 60 bash "$root/bench/baseline/blcoord.sh" -n 5 --timeout 20 --json -- true) ||
	fail "baseline flat: exit $?"
echo "baseline flat: $out"
[ "$(field "$out" delivered)" = 5 ] || fail "baseline flat: not all delivered"
out=$(timeout 60 bash "$root/bench/baseline/blcoord.sh" --topology hybrid --coordinators 2 \
	--workers 3 --timeout 20 --json -- true) || fail "baseline hybrid: exit $?"
echo "baseline hybrid: $out"
[ "$(field "$out" delivered)" = 6 ] || fail "baseline hybrid: not all delivered"
# A worker that never reports is a missing delivery, not a success.
out=$(timeout 60 bash "$root/bench/baseline/blcoord.sh" -n 2 --timeout 1 --json -- sleep 5)
[ $? -eq 1 ] || fail "baseline timeout: exit code not 1"
[ "$(field "$out" delivered)" = 0 ] || fail "baseline timeout: phantom delivery"
[ -z "$(ls -A "$SWARM_SHM")" ] || fail "left in the bus root: $(ls -A "$SWARM_SHM")"
echo "bench smoke ok"
