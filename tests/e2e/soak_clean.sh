#!/usr/bin/env bash
# A clean soak passes (exit 0), names no process, counts its rounds, and
# its --metrics-file passes `promtool check metrics`.
set -u
. "$(dirname "$0")/lib/run_common.bash"
command -v promtool >/dev/null || fail "promtool missing: run 'make deps' (Debian package prometheus)"

seq 1 48 > "$TMP/tasks"
LAST=$TMP/report.txt
"$S" soak --duration 8s --interval 1s -n 6 --tasks "$TMP/tasks" \
	--samples "$TMP/samples.jsonl" --metrics-file "$TMP/swarm.prom" --no-trace \
	--metrics-listen 127.0.0.1:0 \
	-- "$S" demo-agent --sleep 0.1 > "$LAST" 2> "$TMP/err" &
pid=$!
# The endpoint serves the same families while the soak runs.
for _ in $(seq 50); do grep -q 'metrics at http' "$TMP/err" && break; sleep 0.1; done
port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$TMP/err")
[ -n "$port" ] || { cat "$TMP/err"; fail "no metrics address on stderr"; }
sleep 2
python3 - "$port" "$TMP/http.prom" <<'PY' || fail "GET /metrics"
import sys, urllib.request
r = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10)
open(sys.argv[2], "wb").write(r.read())
PY
promtool check metrics < "$TMP/http.prom" || fail "promtool rejected the served metrics"
grep -q '^swarm_up 1$' "$TMP/http.prom" || fail "swarm_up while running"
wait "$pid"
rc=$?
[ $rc -eq 0 ] || { cat "$TMP/err"; fail "clean soak: exit $rc, want 0"; }
grep -q '^verdict: pass (exit 0)$' "$LAST" || fail "no pass verdict"
grep -q 'LEAK' "$LAST" && fail "a healthy agent was named"
grep -q '^pass *fds: 0 leaking processes' "$LAST" || fail "fd line"
grep -q '^pass *crashes: 0 agents, 0 coordinators' "$LAST" || fail "crash line"
grep -q '^kernel fd tracker: disabled by --no-trace$' "$LAST" || fail "--no-trace"
python3 - "$TMP/samples.jsonl" <<'PY' || fail "samples"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
samples = [d for d in lines if d["type"] == "sample"]
rounds = [d for d in lines if d["type"] == "round"]
assert len(samples) >= 6, len(samples)
done = [r for r in rounds if not r["cut"]]
assert len(done) >= 2, rounds          # ~1 s rounds in 8 s
assert all(r["delivery_rate"] == 1.0 and r["expected"] == 48 for r in done), done
assert all(not d["leaking"] for d in samples)
assert any(d["agents"]["count"] == 6 for d in samples)
assert any(d["shm_bytes"] > 0 for d in samples)
PY
promtool check metrics < "$TMP/swarm.prom" || fail "promtool rejected the soak metrics"
grep -q '^swarm_rounds_total [1-9]' "$TMP/swarm.prom" || fail "swarm_rounds_total"
grep -q '^swarm_soak_fd_leaks 0$' "$TMP/swarm.prom" || fail "swarm_soak_fd_leaks"
grep -q '^swarm_up 0$' "$TMP/swarm.prom" || fail "swarm_up after the end"
[ "$(ls -A "$TMP" | grep -c '^\.')" -eq 0 ] || fail "temp file left beside the metrics file"
echo "clean soak: pass, metrics valid"
