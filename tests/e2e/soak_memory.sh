#!/usr/bin/env bash
# An agent that keeps 1 MB per task (w3 of 6 pool agents) is found by its
# own RSS growth: memory critical (exit 1), the process named; fds pass.
set -u
. "$(dirname "$0")/lib/run_common.bash"

seq 1 192 > "$TMP/tasks"
LAST=$TMP/report.json
"$S" soak --duration 6s --interval 0.5s -n 6 --tasks "$TMP/tasks" --no-trace \
	--logs "$TMP/logs" --json \
	-- "$S" demo-agent --sleep 0.1 --leak-mem 1M --only w3 > "$LAST" 2> "$TMP/err"
rc=$?
[ $rc -eq 1 ] || { cat "$TMP/err"; fail "exit $rc, want 1"; }
python3 - "$LAST" <<'PY' || fail "memory report"
import json, sys
d = json.load(open(sys.argv[1]))
m = d["memory"]
assert d["verdict"] == "critical" and m["verdict"] == "critical", m
w = m["worst_process"]
assert w and w["agent"] == "w3" and w["role"] == "agent" and w["verdict"] == "critical", w
assert w["fit"]["mb_per_h"] > 100 and w["fit"]["r2"] > 0.8, w   # ~10 MB/s
assert d["fds"]["verdict"] == "pass" and not d["fds"]["leaks"], d["fds"]
PY
echo "growing agent named: $(python3 -c 'import json,sys; w=json.load(open(sys.argv[1]))["memory"]["worst_process"]; print(w["agent"], w["pid"], round(w["fit"]["mb_per_h"]), "MB/h")' "$LAST")"
