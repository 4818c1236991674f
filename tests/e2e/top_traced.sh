#!/usr/bin/env bash
# swarm top on a traced run (root, real BPF): the fd-growth suspect the
# run creates on purpose (w1 opens a file per task and never closes it)
# is named in top's view, and the view says the run is traced.
set -u
. "$(dirname "$0")/lib/run_trace.bash"

bus_of() {
	local f
	for f in /dev/shm/swarm-*/master.pid; do
		[ "$(cat "$f" 2>/dev/null)" = "$1" ] && { dirname "$f"; return; }
	done
}

seq 1 80 > "$TMP/tasks"
LAST=$TMP/report.json
"$S" run -n 2 --tasks "$TMP/tasks" --timeout 120 --json --logs "$TMP/logs" -- \
	"$S" demo-agent --sleep 0.05 --leak-fd /etc/hostname --only w1 > "$LAST" 2> "$TMP/run.err" &
master=$!
for i in $(seq 600); do bus=$(bus_of $master); [ -n "$bus" ] && break; sleep 0.05; done
[ -n "$bus" ] || fail "no bus"
"$S" top --dir "$bus" --json -i 0.2 > "$TMP/top.jsonl" 2> "$TMP/top.err"
rc=$?
wait $master || fail "run exit $?"
[ $rc = 0 ] || { cat "$TMP/top.err"; fail "top exit $rc"; }
if [ "$(jq -r .kernel.enabled "$LAST")" = false ]; then
	why=$(jq -r .kernel.reason "$LAST")
	case $why in
	*BTF*|*lacks*|*not\ supported*) skip "SKIP $(basename "$0"): $why" ;;
	esac
	fail "tracing off as root: $why"
fi
python3 - "$TMP/top.jsonl" "$bus" <<'PY' || { tail -n 3 "$TMP/top.jsonl"; fail "top on a traced run"; }
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows, "no output"
last = rows[-1]
assert all(r["traced"] for r in rows), "a traced run shown as untraced"
assert last["delivered"] == 80, last["delivered"]
sus = {s["agent"]: s for s in last["fd_suspects"]}
assert "w1" in sus, last["fd_suspects"]
assert sus["w1"]["growth"] >= 16, sus["w1"]
assert "w2" not in sus, sus            # it closes what it opens
for r in rows:
    for l in r["locks"]:
        assert l["path"].startswith(sys.argv[2] + "/"), l   # the swarm's own locks
        assert l["contended"] <= l["acquisitions"], l
PY
echo ok
