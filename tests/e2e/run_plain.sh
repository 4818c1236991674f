#!/usr/bin/env bash
# Plain commands (no bus knowledge): {} substitution and --task-stdin, stdout
# as the result, exit status as success; --results JSON lines; shell agents
# that use swarm recv / swarm send, one-shot and pool.
set -u
. "$(dirname "$0")/lib/run_common.bash"

printf 'alpha\nbeta\n\ngamma\r\ndelta\n' > "$TMP/tasks"   # blank line skipped, CR dropped
LAST=$TMP/p.json
$S run -n 2 --tasks "$TMP/tasks" --results "$TMP/res" --json --logs "$TMP/l1" -- \
	sh -c 'echo "got:$1"; [ "$1" != gamma ]' sh {} > "$LAST"
[ $? -eq 1 ] || fail "one failing task: exit 1"
[ "$(jget "$LAST" 'd["expected"]')" = 4 ] || fail "4 tasks"
[ "$(jget "$LAST" 'd["delivered"]')" = 3 ] || fail "3 ok"
python3 - "$TMP/res" <<'PY' || fail "results"
import json, sys
rows = {json.loads(l)["input"]: json.loads(l) for l in open(sys.argv[1])}
assert set(rows) == {"alpha", "beta", "gamma", "delta"}, rows
for k, r in rows.items():
    assert r["output"] == "got:%s\n" % k, r
    assert r["schema_version"] == 1 and r["duration_s"] >= 0 and r["agent"] in ("w1", "w2")
assert rows["gamma"]["status"] == "failed" and rows["gamma"]["exit_status"] == 1
assert rows["alpha"]["status"] == "ok" and rows["alpha"]["exit_status"] == 0
PY

# --task-stdin, and output over the 64 KiB limit is truncated and flagged.
printf '3\n70000\n' > "$TMP/t2"
$S run -n 2 --tasks "$TMP/t2" --task-stdin --results "$TMP/res2" --logs "$TMP/l2" -- \
	sh -c 'read n; head -c "$n" /dev/zero | tr "\0" x' > /dev/null || fail "task-stdin run"
python3 - "$TMP/res2" <<'PY' || fail "stdin results"
import json, sys
rows = {json.loads(l)["input"]: json.loads(l) for l in open(sys.argv[1])}
assert rows["3"]["output"] == "xxx" and not rows["3"]["truncated"]
assert len(rows["70000"]["output"]) == 65536 and rows["70000"]["truncated"]
PY

# Shell agent, one-shot: recv the task, send the answer.
LAST=$TMP/sh.json
$S run -n 20 --json --logs "$TMP/l3" -- sh -c \
	't=$("$0" recv --wait 10 --count 1) && "$0" send --to "$SWARM_PARENT" "$SWARM_AGENT:$t"' "$S" > "$LAST"
[ $? -eq 0 ] || fail "one-shot shell agents"
[ "$(jget "$LAST" 'd["delivered"]')" = 20 ] || fail "shell delivered"

# More tasks than one-shot agents: each slot is restarted for the next task.
seq 1 12 > "$TMP/t3"
$S run -n 3 --tasks "$TMP/t3" --results "$TMP/res3" --logs "$TMP/l4" -- sh -c \
	't=$("$0" recv --wait 10 --count 1) && "$0" send --to "$SWARM_PARENT" "r$t"' "$S" > /dev/null \
	|| fail "one-shot agents, 12 tasks on 3 slots"
[ "$(grep -c '"status":"ok"' "$TMP/res3")" = 12 ] || fail "12 results"

# Pool shell agent: loop until swarm recv says stop (exit 5).
seq 1 30 > "$TMP/t4"
$S run -n 3 --tasks "$TMP/t4" --results "$TMP/res4" --logs "$TMP/l5" -- sh -c \
	'while :; do t=$("$0" recv --wait 10 --count 1); rc=$?; [ $rc -eq 0 ] || break
	 "$0" send --to "$SWARM_PARENT" "r$t"; done; echo "recv-exit:$rc"' "$S" > /dev/null || fail "pool shell agents"
python3 - "$TMP/res4" <<'PY' || fail "pool results"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert sorted(r["task"] for r in rows) == list(range(1, 31))
assert all(r["output"] == "r" + r["input"] for r in rows)
assert len({r["agent"] for r in rows}) <= 3
PY
# every pool agent left its loop because of MSG_STOP (recv exit 5)
[ "$(cat "$TMP"/l5/w*.log | grep -c '^recv-exit:5$')" = 3 ] || { cat "$TMP"/l5/w*.log; fail "stop"; }
echo ok
