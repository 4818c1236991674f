#!/usr/bin/env bash
# An agent that dies by a signal is a crash: critical (exit 1), named in
# the report; the healthy agent's answers still count.
set -u
. "$(dirname "$0")/lib/run_common.bash"

cat > "$TMP/agent.sh" <<'SH'
#!/bin/sh
while t=$(swarm recv --wait 30 --count 1); do
	[ "$SWARM_AGENT" = w2 ] && kill -SEGV $$
	swarm send --to "$SWARM_PARENT" "$t ok"
done
SH
chmod +x "$TMP/agent.sh"
seq 1 4 > "$TMP/tasks"
LAST=$TMP/report.json
PATH="$(dirname "$S"):$PATH" "$S" soak --duration 3s --interval 0.5s -n 2 \
	--tasks "$TMP/tasks" --logs "$TMP/logs" --json -- "$TMP/agent.sh" \
	> "$LAST" 2> "$TMP/err"
rc=$?
[ $rc -eq 1 ] || { cat "$TMP/err"; fail "exit $rc, want 1"; }
python3 - "$LAST" <<'PY' || fail "crash report"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["crashes"]
assert d["verdict"] == "critical" and c["verdict"] == "critical", d
assert c["agents"] >= 1 and c["coordinators"] == 0, c
assert c["details"] and all("w2" in x and "signal 11" in x for x in c["details"]), c
assert d["delivery"]["delivered"] > 0 and d["rounds"] >= 1, d["delivery"]
assert not d["fds"]["leaks"], d["fds"]
PY
echo "agent killed by SIGSEGV reported as a crash"
