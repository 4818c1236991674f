#!/usr/bin/env bash
# swarm soak finds the one agent that leaks fds among healthy ones: 6 pool
# agents (demo-agent, ~5 s per round), only w3 opens a known file per task
# and never closes it. The report names w3, its pid and that file; no
# healthy agent is named; the verdict is critical (exit 1).
set -u
. "$(dirname "$0")/lib/run_common.bash"

leak=$TMP/leaky-file.txt
echo data > "$leak"
seq 1 144 > "$TMP/tasks"
LAST=$TMP/report.json
"$S" soak --duration 15s --interval 1s -n 6 --tasks "$TMP/tasks" \
	--samples "$TMP/samples.jsonl" --logs "$TMP/logs" --json \
	-- "$S" demo-agent --sleep 0.2 --leak-fd "$leak" --only w3 \
	> "$LAST" 2> "$TMP/err"
rc=$?
[ $rc -eq 1 ] || { cat "$TMP/err"; fail "exit $rc, want 1 (critical)"; }
[ -s "$TMP/err" ] && { cat "$TMP/err"; fail "stderr not empty (no terminal: no progress line)"; }
python3 - "$LAST" "$TMP/samples.jsonl" "$leak" <<'PY' || fail "leak report"
import json, sys
rep = json.load(open(sys.argv[1]))
lines = [json.loads(l) for l in open(sys.argv[2])]
leak = sys.argv[3]
assert rep["schema_version"] == 1 and rep["verdict"] == "critical", rep["verdict"]
assert rep["fds"]["verdict"] == "critical"
leaks = rep["fds"]["leaks"]
assert leaks, "no leak reported"
for l in leaks:
    assert l["agent"] == "w3", ("a healthy agent was named", l)
    assert l["role"] == "agent" and l["file"] == leak, l
    assert l["rate_fds_per_min"] > 60, l     # ~5 tasks/s, sampled each 1 s
    assert l["fds_last"] - l["fds_first"] >= 4, l
    assert l["first_seen"].endswith("Z") and l["first_seen_s"] >= 0, l
# The named pid really was a process of the swarm sampled as leaking.
samples = [d for d in lines if d["type"] == "sample"]
rounds = [d for d in lines if d["type"] == "round"]
assert all(d["schema_version"] == 1 for d in lines)
assert len(samples) >= 10, len(samples)
assert rounds and all(not r["cut"] for r in rounds[:-1]), rounds
seen = {p["pid"] for d in samples for p in d["processes"]}
flagged = {(x["pid"], x["agent"], x["file"]) for d in samples for x in d["leaking"]}
for l in leaks:
    assert l["pid"] in seen, l
    assert (l["pid"], "w3", leak) in flagged, (l, flagged)
# Everything else held: delivery, crashes.
assert rep["rounds"] >= 1 and rep["delivery"]["verdict"] == "pass", rep["delivery"]
assert rep["crashes"]["agents"] == 0 and rep["crashes"]["coordinators"] == 0
# As root the kernel fd tracker backs the /proc finding with its own counts
# and the iter/task_file snapshot's file name.
if rep["kernel_fd_tracker"] == "on":
    base = leak.rsplit("/", 1)[1]
    for l in leaks:
        k = l["kernel"]
        assert k and k["file"] == base, l
        # the kernel's count of the same fd table (a moment apart)
        assert abs(k["fds_now"] - l["fds_last"]) <= 2 and k["growth"] > 0, l
else:
    print("kernel fd tracker off:", rep["kernel_fd_tracker"])
print("leaks:", [(l["pid"], l["agent"], round(l["rate_fds_per_min"]), l["kernel"]) for l in leaks])
PY
# The leaking agent's log is where the name came from.
[ -f "$TMP/logs/w3.log" ] || fail "no log for w3"

# Hybrid, agents living ~1.2 s (one round each), sampled each 1 s: a
# single process rarely has 3 samples, but every process of slot c1-w2
# climbs the same line with its age -> named as a slot leak (or, on a slow
# host where a process lives longer, as a process leak).
LAST=$TMP/hybrid.json
"$S" soak --duration 8s --interval 1s --coordinators 2 --workers 3 \
	--tasks "$TMP/tasks" --logs "$TMP/hlogs" --json \
	-- "$S" demo-agent --sleep 0.05 --leak-fd "$leak" --only c1-w2 \
	> "$LAST" 2> "$TMP/err"
rc=$?
[ $rc -eq 1 ] || { cat "$TMP/err"; fail "hybrid: exit $rc, want 1"; }
python3 - "$LAST" "$leak" <<'PY' || fail "hybrid leak report"
import json, sys
d = json.load(open(sys.argv[1]))
leaks = d["fds"]["leaks"]
assert leaks and all(l["agent"] == "c1-w2" and l["file"] == sys.argv[2] for l in leaks), leaks
assert all(l["rate_fds_per_min"] > 60 for l in leaks), leaks
print("hybrid:", [(l["scope"], l["pid"], l["processes"]) for l in leaks])
PY
echo "leaking agent named with its pid and file (flat pool agents, hybrid slots)"
