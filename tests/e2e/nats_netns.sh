#!/usr/bin/env bash
# End-to-end: a NATS swarm over three "hosts" that are network namespaces
# (netns_lib.sh.inc): A runs the master and one local coordinator, B and C
# one joined coordinator each, every host with its own /dev/shm; nats-server
# on the bridge address, reached directly, then through a delayproxy per
# host adding 5 ms and 25 ms each way. For every delay:
#  - every task delivered, each exactly once in --results with its own
#    output, no task redelivered, no duplicate; work done on all 3 hosts;
#  - every task ran in the network namespace of the host that took it;
#  - result latency (agent done -> the master's result line) and
#    coordination time reported; the delay is really on the path: no
#    result comes faster than the two delayed legs it crosses (coordinator
#    -> server -> master) -- a lower bound from the wire, not a speed goal.
# Then the namespaces, cables, bridge and processes are gone.
set -u
. "$(dirname "$0")/nats_lib.sh.inc"
. "$(dirname "$0")/netns_lib.sh.inc"
nats_require
netns_require
nats_test_setup swarm-nats-netns '*.err' '*.log'
netns_setup 3 || fail "network namespaces"
netns_nats_start || fail "nats-server"
AGENT=$tmp/agent.sh
netns_agent "$AGENT"
export MARKS=$tmp/marks AGENT_SLEEP=0.02
N=120
seq 1 $N > "$tmp/tasks"
summary=()

for d in "" 5 25; do
	netns_delay "$d" || fail "delay ${d:-none}"
	id=d${d:-0}
	: > "$MARKS"
	stamp_start "$id" || fail "stamp"
	netns_swarm "$id" "$tmp/tasks" "$STAMP_TTY"
	netns_swarm_wait; rc=$?
	stamp_stop
	[ $rc -eq 0 ] || fail "delay ${d:-none}: run exit $rc"
	for i in 2 3; do
		[ "${JOINED_RC[i]}" -eq 0 ] || fail "delay ${d:-none}: host $i's coordinator exit ${JOINED_RC[i]}"
	done
	out=$(python3 "$nats_lib_dir/lib/netns_check.py" "$tmp/$id.json" "$tmp/$id.stamped" "$tmp/tasks") ||
		fail "delay ${d:-none}: check"
	python3 - "$out" "${d:-0}" <<'PY' || fail "delay ${d:-none}: $out"
import json, sys
s = json.loads(sys.argv[1])
assert sorted(s["hosts"]) == ["A", "B", "C"], s["hosts"]
assert s["redelivered"] == 0 and s["duplicates"] == 0, s
assert not s["failovers"], s["failovers"]
PY
	summary+=("${d:-0} $out")
	echo "ok: delay ${d:-none}: $(jq -c '{delivered, coordination_s, lat_p50_ms, lat_p95_ms, hosts}' <<<"$out")"
done

python3 - "${summary[@]}" <<'PY' || fail "latency against delay"
import json, sys
rows = {}
for a in sys.argv[1:]:
    d, js = a.split(" ", 1)
    rows[int(d)] = json.loads(js)
print("one-way delay  result latency min / p50 / p95       coordination")
for d in sorted(rows):
    r = rows[d]
    print("  %5s ms     %6.1f / %6.1f / %6.1f ms       %.2f s" % (d, r["lat_min_ms"],
          r["lat_p50_ms"], r["lat_p95_ms"], r["coordination_s"]))
for d in (5, 25):
    # coordinator -> server -> master: no result is faster than the two
    # delayed legs it crosses (a load-proof lower bound, not a goal)
    assert rows[d]["lat_min_ms"] >= 2 * d * 0.95, (d, rows[d]["lat_min_ms"])
PY

netns_proxies_stop
netns_teardown
nats_stop
netns_check_clean || fail "leftovers"
echo "ok: namespaces, cables, bridge and processes gone"
