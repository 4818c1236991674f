#!/usr/bin/env bash
# End-to-end: two "hosts" on one machine sharing one nats-server on
# loopback. Each host is a mount namespace with its own private /dev/shm
# (unshare -m + tmpfs), so its coordinators' worker buses cannot see each
# other: host A runs `swarm run --bus nats://...` with 2 local coordinators,
# host B two `swarm coordinator --join`. Checks:
#  1. every task delivered exactly once, work done on both hosts;
#  2. kill -9 of host B's whole group mid-run: its unacked tasks are redone
#     on host A, 100 % delivery, the redeliveries in the report.
set -u
. "$(dirname "$0")/nats_lib.sh.inc"
nats_require
unshare -m true 2>/dev/null || { echo "SKIP: cannot create mount namespaces (unshare -m: needs root)"; exit 77; }
nats_test_setup swarm-nats-hosts '*.log' '*.err'

nats_start "$tmp" || exit 1
our_ns=$(readlink /proc/self/ns/mnt)

# The agent: a plain command (stdout is the result) that says which mount
# namespace ("host") ran it, and leaves a mark per host for the test.
cat > "$tmp/agent.sh" <<'AGENT'
#!/bin/sh
ns=$(readlink /proc/self/ns/mnt | tr -dc 0-9)
echo "$1" >> "$MARKS/$ns"
sleep "${AGENT_SLEEP:-0.02}"
echo "task $1 on $ns"
AGENT
chmod +x "$tmp/agent.sh"
mkdir -p "$tmp/marks"
export MARKS=$tmp/marks

# host CMD...: run CMD in a new mount namespace with a private /dev/shm,
# as the leader of its own process group (so the test can kill it whole).
host() {
	setsid unshare -m --propagation private sh -c \
		'mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm && exec "$@"' host "$@" &
	groups+=($!)
	last=$!
}

# --- 1. two hosts, every task once ------------------------------------------
seq 1 200 > "$tmp/tasks1"
host "$S" run --topology hybrid --bus "$NATS_URL" --swarm two1 --coordinators 2 --workers 5 \
	--tasks "$tmp/tasks1" --timeout 60 --json --logs "$tmp/logsA1" --results "$tmp/res1" \
	-- "$tmp/agent.sh" {} >"$tmp/run1.json" 2>"$tmp/run1.err"
master=$last
host sh -c "\"$S\" coordinator --join $NATS_URL --swarm two1 --name b1 --workers 5 --logs $tmp/logsB1 -- $tmp/agent.sh {} &
            \"$S\" coordinator --join $NATS_URL --swarm two1 --name b2 --workers 5 --logs $tmp/logsB1 -- $tmp/agent.sh {} &
            wait" >"$tmp/hostB1.log" 2>&1
hostb=$last
wait "$master"; rc=$?
[ $rc -eq 0 ] || fail "run exit $rc"
wait "$hostb" || fail "host B coordinators did not exit 0 at the end of the swarm"
python3 - "$tmp/run1.json" "$tmp/res1" "$our_ns" <<'PY' || fail "report check (run 1)"
import json, sys, re
r = json.load(open(sys.argv[1]))
assert r["expected"] == 200 and r["delivered"] == 200 and r["failed"] == 0, r
names = sorted(c["name"] for c in r["coordinator_detail"])
assert names == ["b1", "b2", "c1", "c2"], names
res = [json.loads(l) for l in open(sys.argv[2])]
tasks = [x["task"] for x in res]
assert sorted(tasks) == list(range(1, 201)), "each task once in --results"
hosts = {re.search(r"on (\d+)", x["output"]).group(1) for x in res}
ours = re.sub(r"\D", "", sys.argv[3])
assert len(hosts) == 2 and ours not in hosts, (hosts, ours)
print("ok: 200/200 once, 4 coordinators on 2 private /dev/shm namespaces", hosts)
PY

# --- 2. kill -9 of host B mid-run --------------------------------------------
rm -f "$tmp"/marks/*
seq 1 300 > "$tmp/tasks2"
export AGENT_SLEEP=0.05
host "$S" run --topology hybrid --bus "$NATS_URL" --swarm two2 --coordinators 2 --workers 5 \
	--ack-wait 2 --tasks "$tmp/tasks2" --timeout 90 --json --logs "$tmp/logsA2" \
	--results "$tmp/res2" -- "$tmp/agent.sh" {} >"$tmp/run2.json" 2>"$tmp/run2.err"
master=$last
host sh -c "readlink /proc/self/ns/mnt | tr -dc 0-9 > $tmp/B.ns
            \"$S\" coordinator --join $NATS_URL --swarm two2 --name b1 --workers 5 --logs $tmp/logsB2 -- $tmp/agent.sh {} &
            \"$S\" coordinator --join $NATS_URL --swarm two2 --name b2 --workers 5 --logs $tmp/logsB2 -- $tmp/agent.sh {} &
            wait" >"$tmp/hostB2.log" 2>&1
hostb=$last
for i in $(seq 1 400); do [ -s "$tmp/B.ns" ] && break; sleep 0.05; done
wait_lines "$tmp/marks/$(cat "$tmp/B.ns")" . 20 30 || fail "host B did no work"
kill -9 -- "-$hostb"
wait "$hostb" 2>/dev/null
wait "$master"; rc=$?
[ $rc -eq 0 ] || fail "run exit $rc after host B was killed"
python3 - "$tmp/run2.json" "$tmp/res2" <<'PY' || fail "report check (run 2)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["expected"] == 300 and r["delivered"] == 300 and r["failed"] == 0, r
assert r["delivery_rate"] == 1.0
res = [json.loads(l) for l in open(sys.argv[2])]
assert sorted(x["task"] for x in res) == list(range(1, 301)), "each task once"
n = r["nats"]
assert n["redelivered_tasks"] >= 1 and n["redeliveries"], n
moved = [x for x in n["redeliveries"] if "@b" in x["history"] and "@c" in x["history"]]
assert moved, n["redeliveries"]
for x in moved:
    assert x["history"].split()[-1].startswith(("2@c", "3@c", "4@c", "5@c")), x
print("ok: host B killed: 300/300 delivered once,", n["redelivered_tasks"],
      "tasks redelivered, e.g.", moved[0])
PY
