#!/usr/bin/env bash
# swarm run, flat topology: 10 and 200 demo agents, every task delivered,
# the full report, nothing left in /dev/shm or the cgroup tree.
set -u
. "$(dirname "$0")/lib/run_common.bash"

for n in 10 200; do
	LAST=$TMP/flat$n.json
	$S run -n $n --json --logs "$TMP/logs$n" -- "$S" demo-agent > "$LAST"
	rc=$?
	[ $rc -eq 0 ] || fail "flat $n: exit $rc"
	check_fields "$LAST"
	[ "$(jget "$LAST" 'd["topology"]')" = flat ] || fail "topology"
	[ "$(jget "$LAST" 'd["expected"]')" = $n ] || fail "expected"
	[ "$(jget "$LAST" 'd["delivered"]')" = $n ] || fail "flat $n: not all delivered"
	[ "$(jget "$LAST" 'd["agents"]')" = $n ] || fail "flat $n: agents"
	[ "$(jget "$LAST" 'd["failures"]')" = "[]" ] || fail "failures"
	# latency comes from frame timestamps: one sample per answer
	[ "$(jget "$LAST" 'd["latency_us"]["samples"]')" = $n ] || fail "latency samples"
	# 1 task + 1 answer + 1 stop per agent
	[ "$(jget "$LAST" 'd["messages"]')" -ge $((2 * n)) ] || fail "messages"
	[ "$(jget "$LAST" 'd["shm_peak_bytes"]')" -gt 0 ] || fail "shm peak"
	[ "$(ls "$TMP/logs$n" | grep -c '^w[0-9]*\.log$')" = $n ] || fail "per-agent logs"
	check_clean "$LAST"
done

# Human report by default, with the delivery line.
$S run -n 3 --logs "$TMP/logs3" -- "$S" demo-agent > "$TMP/text" || fail "text run"
grep -q 'delivered    3 / 3 (100.0 %)' "$TMP/text" || { cat "$TMP/text"; fail "text report"; }

# The demo agent's answer is deterministic: same task, same hash.
$S run -n 2 --results "$TMP/r1" --logs "$TMP/l1" -- "$S" demo-agent >/dev/null || fail "r1"
$S run -n 2 --results "$TMP/r2" --logs "$TMP/l2" -- "$S" demo-agent >/dev/null || fail "r2"
python3 - "$TMP/r1" "$TMP/r2" <<'PY' || fail "results deterministic"
import json, sys
a, b = ({json.loads(l)["task"]: json.loads(l)["output"] for l in open(f)} for f in sys.argv[1:])
assert a == b and len(a) == 2, (a, b)
assert all("fnv=" in v for v in a.values())
PY
echo ok
