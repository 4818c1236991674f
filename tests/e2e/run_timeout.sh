#!/usr/bin/env bash
# --timeout: agents that never answer are killed, every missing task is
# named in the report, exit code 124, nothing left behind.
# Robust to a loaded host: never earlier than the timeout, a generous
# upper bound, and the agents carry a marker unique to this run (another
# engineer may run this very test at the same time).
set -u
. "$(dirname "$0")/lib/run_common.bash"
nap="987.$$$RANDOM"

LAST=$TMP/t.json
start=$(date +%s%N)
$S run -n 4 --timeout 1 --json --logs "$TMP/l" -- sh -c "sleep $nap" > "$LAST"
rc=$?
end=$(date +%s%N)
[ $rc -eq 124 ] || fail "exit code $rc, want 124"
[ "$(jget "$LAST" 'd["timed_out"]')" = True ] || fail "timed_out"
[ "$(jget "$LAST" 'd["delivered"]')" = 0 ] || fail "delivered"
[ "$(jget "$LAST" 'sorted(f["agent"] for f in d["failures"])')" = "['w1', 'w2', 'w3', 'w4']" ] || fail "missing agents named"
[ "$(jget "$LAST" 'set(f["status"] for f in d["failures"])')" = "{'timeout'}" ] || fail "status"
# Never earlier than the timeout, and not much later.
ms=$(( (end - start) / 1000000 ))
[ $ms -ge 1000 ] || fail "finished after $ms ms, before the 1 s timeout"
[ $ms -lt 60000 ] || fail "took $ms ms"
pgrep -f "sleep $nap" >/dev/null && fail "agents left running"
check_clean "$LAST"

# Tasks never started because of the timeout are reported too.
seq 1 6 > "$TMP/tasks"
LAST=$TMP/t2.json
$S run -n 2 --tasks "$TMP/tasks" --timeout 1 --json --logs "$TMP/l2" -- sh -c "sleep $nap" > "$LAST"
[ $? -eq 124 ] || fail "tasks: exit code"
[ "$(jget "$LAST" 'len(d["failures"])')" = 6 ] || fail "6 missing tasks reported"
echo ok
