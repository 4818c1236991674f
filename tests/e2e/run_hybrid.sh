#!/usr/bin/env bash
# swarm run, hybrid topology 4 x 10: real coordinator processes, every task
# delivered, per-coordinator figures in the report.
set -u
. "$(dirname "$0")/lib/run_common.bash"

LAST=$TMP/h.json
$S run --coordinators 4 --workers 10 --json --logs "$TMP/logs" -- "$S" demo-agent > "$LAST"
rc=$?
[ $rc -eq 0 ] || fail "hybrid: exit $rc"
check_fields "$LAST"
[ "$(jget "$LAST" 'd["topology"]')" = hybrid ] || fail "topology"
[ "$(jget "$LAST" 'd["coordinators"]')" = 4 ] || fail "coordinators"
[ "$(jget "$LAST" 'd["agents"]')" = 40 ] || fail "agents"
[ "$(jget "$LAST" 'd["delivered"]')" = 40 ] || fail "delivered"
[ "$(jget "$LAST" 'len(d["coordinator_detail"])')" = 4 ] || fail "coordinator detail"
[ "$(jget "$LAST" 'min(c["fds_peak"] for c in d["coordinator_detail"])')" -gt 0 ] || fail "coordinator fds"
# each coordinator served its own workers: cK-wJ logs
for k in 1 2 3 4; do
	[ "$(ls "$TMP/logs" | grep -c "^c$k-w[0-9]*\.log$")" = 10 ] || fail "c$k workers"
done
check_clean "$LAST"

# -n with --coordinators splits the workers; --tasks spreads over them.
seq 1 30 > "$TMP/tasks"
LAST=$TMP/h2.json
$S run --coordinators 3 -n 6 --tasks "$TMP/tasks" --results "$TMP/res" --json \
	--logs "$TMP/logs2" -- "$S" demo-agent > "$LAST" || fail "hybrid tasks"
[ "$(jget "$LAST" 'd["delivered"]')" = 30 ] || fail "30 tasks"
[ "$(wc -l < "$TMP/res")" = 30 ] || fail "results lines"
python3 - "$TMP/res" <<'PY' || fail "results content"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert sorted(r["task"] for r in rows) == list(range(1, 31))
for r in rows:
    assert r["status"] == "ok" and r["input"] == str(r["task"]), r
    assert r["agent"].split("-")[0] in ("c1", "c2", "c3"), r
PY

# More tasks than one batch (256) per coordinator, uneven split.
seq 1 1001 > "$TMP/many"
LAST=$TMP/h3.json
timeout 120 $S run --coordinators 3 --workers 4 --tasks "$TMP/many" --json \
	--logs "$TMP/logs3" -- "$S" demo-agent > "$LAST" || fail "1001 tasks"
[ "$(jget "$LAST" 'd["delivered"]')" = 1001 ] || fail "1001 delivered"
check_clean "$LAST"
echo ok
