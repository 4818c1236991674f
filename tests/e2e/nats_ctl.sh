#!/usr/bin/env bash
# A NATS swarm is run like a one-host one (issue 19, item 1), against a
# real nats-server on 127.0.0.1:
#  - `swarm status` lists every coordinator, local and joined, with its
#    host and state; --json parses;
#  - each local coordinator runs in its own cgroup under the swarm's;
#  - `swarm pause` stops the workers of every coordinator (the joined one
#    too) while the coordinators stay up: no task finishes while paused,
#    nobody is failed over, nothing is redelivered; `swarm resume` and
#    the run completes, every task once;
#  - the joined coordinator traces its own tree and its kernel section is
#    in the master's report under its host (its execs >= the tasks its
#    workers ran, counted by the agents themselves);
#  - the report has the fields of a one-host hybrid report, result
#    latency of every bus answer included;
#  - the master serves Prometheus metrics (promtool checks them) that
#    count the coordinators and workers alive.
#  - a coordinator still waiting for its swarm stops at once on SIGTERM.
set -u
. "$(dirname "$0")/nats_lib.sh.inc"
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print("null" if v is None else v)' "$1" "$2"; }
nats_require
nats_test_setup swarm-nats-ctl '*.err' '*.json' '*.txt'
export SWARM_SHM=$tmp/shm
mkdir -m 700 "$SWARM_SHM"
nats_start "$tmp" || exit 1

# Agents wait at a gate until the test has looked at the running swarm
# (a loaded host must not finish the run before the test asks).
cat > "$tmp/agent.sh" <<'AGENT'
#!/bin/sh
echo "$1" >> "$MARKS"
echo "$SWARM_AGENT" >> "$MARKS.who"
while [ ! -e "$GATE" ]; do sleep 0.05; done
sleep 0.2
echo "done $1"
AGENT
chmod +x "$tmp/agent.sh"
export MARKS=$tmp/marks GATE=$tmp/gate
: > "$MARKS"

# 80 tasks x 0.2 s over 5 workers: ~3 s of work once the gate opens.
seq 1 80 > "$tmp/tasks"
port=$(nats_free_port)
"$S" run --bus "$NATS_URL" --swarm ctl --coordinators 2 --workers 2 --tasks "$tmp/tasks" \
	--timeout 120 --json --metrics-listen "127.0.0.1:$port" --logs "$tmp/logs" \
	-- "$tmp/agent.sh" {} > "$tmp/run.json" 2> "$tmp/run.err" &
master=$!; pids+=($master)
bus=$SWARM_SHM/swarm-ctl
"$S" coordinator --join "$NATS_URL" --swarm ctl --name j1 --workers 1 \
	-- "$tmp/agent.sh" {} > /dev/null 2> "$tmp/j1.err" &
pids+=($!)

# status: c1, c2 and j1 all running (j1 joins on its own time).
for i in $(seq 600); do
	"$S" status --dir "$bus" > "$tmp/st.txt" 2>/dev/null &&
		[ "$(grep -cE '^(c1|c2|j1) .* running ' "$tmp/st.txt")" = 3 ] && break
	sleep 0.05
done
"$S" status ctl --json > "$tmp/st.json" || fail "status ctl --json (the --swarm name)"
python3 - "$tmp/st.json" "$master" <<'PY' || fail "status json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["pid"] == int(sys.argv[2]) and d["topology"] == "hybrid" and d["expected"] == 80, d
names = sorted(c["name"] for c in d["coordinators"])
assert names == ["c1", "c2", "j1"], names
assert all(c["state"] == "running" and c["host"] and c["pid"] > 0 for c in d["coordinators"]), d
PY
"$S" status --dir "$bus" > "$tmp/st.txt" || fail "status"
grep -q "pid $master, hybrid" "$tmp/st.txt" || fail "status header"
[ "$(grep -cE '^(c1|c2|j1) .* running ' "$tmp/st.txt")" = 3 ] || fail "status lists coordinators"
echo "ok: status lists c1, c2 (local) and j1 (joined)"

# A cgroup per local coordinator, under the swarm's.
cg=$(sed -n 's/^0:://p' /proc/$master/cgroup)
for c in c1 c2; do
	cpid=$(awk -v c=$c '$1 == c {print $2}' "$tmp/st.txt")
	ccg=$(sed -n 's/^0:://p' /proc/$cpid/cgroup)
	case $ccg in */swarm-ctl/$c) ;; *) fail "coordinator $c in cgroup '$ccg', want .../swarm-ctl/$c";; esac
done
echo "ok: local coordinators in their own cgroups (${ccg%/*}/c1, c2)"

# metrics while running: valid text, the swarm's numbers.
curl_metrics() {
	python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read().decode())' "$port"
}
curl_metrics > "$tmp/m1.txt" || fail "metrics endpoint"
if command -v promtool >/dev/null; then
	promtool check metrics < "$tmp/m1.txt" > "$tmp/promtool.txt" 2>&1 || fail "promtool: $(cat "$tmp/promtool.txt")"
else
	echo "promtool missing: run 'make deps' (Debian package prometheus)"; exit 1
fi
grep -q '^swarm_up 1' "$tmp/m1.txt" || fail "metrics: swarm_up"
grep -qE '^swarm_agents\{role="coordinator"\} [23]$' "$tmp/m1.txt" ||
	fail "metrics: coordinators alive: $(grep '^swarm_agents' "$tmp/m1.txt")"
grep -qE '^swarm_agents\{role="worker"\} [1-9]' "$tmp/m1.txt" || fail "metrics: workers alive"
echo "ok: metrics served during the run, promtool clean"

# Let the work go, then pause it mid-way.
touch "$GATE"
for i in $(seq 600); do
	d=$("$S" status --dir "$bus" 2>/dev/null | sed -n '1s|.*, \([0-9]*\)/80 tasks done.*|\1|p')
	[ "${d:-0}" -ge 10 ] && break
	sleep 0.05
done
# pause: every worker stopped, coordinators up, no progress.
out=$("$S" pause --dir "$bus" 2>&1); rc=$?
[ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q paused || fail "pause: exit $rc: $out"
stopped_workers() {   # agent.sh processes in state T / all of them
	local p st n=0 t=0
	for p in $(pgrep -f "^/bin/sh $tmp/agent.sh"); do
		st=$(awk '/^State:/ {print $2}' /proc/$p/status 2>/dev/null) || continue
		case $st in ''|Z|X) continue;; esac   # gone, or exited not yet reaped
		n=$((n + 1)); [ "$st" = T ] && t=$((t + 1))
	done
	echo "$t/$n"
}
for i in $(seq 200); do
	s=$(stopped_workers); [ "${s%/*}" = "${s#*/}" ] && [ "${s#*/}" != 0 ] && break
	sleep 0.05
done
s=$(stopped_workers)
[ "${s%/*}" = "${s#*/}" ] && [ "${s#*/}" != 0 ] ||
	fail "pause: workers stopped $s: $(for p in $(pgrep -f "^/bin/sh $tmp/agent.sh"); do echo "$p $(awk '/^State:/ {print $2}' /proc/$p/status) $(tr '\0' ' ' < /proc/$p/cmdline) ppid $(awk '/^PPid:/ {print $2}' /proc/$p/status)"; done)"
before=$(wc -l < "$MARKS")
"$S" status --dir "$bus" --json > "$tmp/p1.json" || fail "status while paused"
sleep 4   # > the 3 s failover silence: a paused swarm must not fail over
"$S" status --dir "$bus" --json > "$tmp/p2.json" || fail "status while paused (2)"
after=$(wc -l < "$MARKS")
[ "$before" = "$after" ] || fail "tasks started while paused ($before -> $after)"
[ "$(jget "$tmp/p1.json" 'd["done"]')" = "$(jget "$tmp/p2.json" 'd["done"]')" ] ||
	fail "tasks finished while paused"
[ "$(jget "$tmp/p2.json" 'd["paused"]')" = True ] || fail "status says paused"
[ "$(jget "$tmp/p2.json" 'len([c for c in d["coordinators"] if c["state"] == "running"])')" = 3 ] ||
	fail "coordinators not all up while paused: $(cat "$tmp/p2.json")"
echo "ok: pause: workers $s stopped, no task started or finished in 4 s, coordinators up"

"$S" resume --dir "$bus" | grep -q resumed || fail "resume"
wait $master; rc=$?
[ $rc -eq 0 ] || fail "run after resume: exit $rc"
j1_runs=$(grep -c '^j1-' "$MARKS.who")
python3 - "$tmp/run.json" "$j1_runs" <<'PY' || fail "report after pause/resume"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["delivered"] == 80 and r["failed"] == 0 and r["failures"] == [], r
n = r["nats"]
assert n["failover"]["count"] == 0, n["failover"]
assert n["redelivered_tasks"] == 0 and n["duplicate_results"] == 0, n
hosts = sorted(h["coordinator"] for h in n["hosts"])
assert hosts == ["c1", "c2", "j1"], hosts
assert sum(h["done"] for h in n["hosts"]) >= 80 - 5, n["hosts"]
# The joined coordinator traced its own tree and sent it; local ones are
# in the master's own kernel section.
h = {x["coordinator"]: x for x in n["hosts"]}
assert h["c1"]["local"] and "kernel" not in h["c1"], h["c1"]
k = h["j1"]["kernel"]
assert h["j1"]["local"] is False and k and k["enabled"] is True, h["j1"]
runs = int(sys.argv[2])
assert runs > 0 and k["spawn"]["execs"] >= runs and k["spawn"]["forks"] >= runs, (runs, k["spawn"])
assert r["kernel"]["enabled"] is True
print("ok: j1 traced its host: %d execs for its %d tasks" % (k["spawn"]["execs"], runs))
PY
marks=$(sort -n "$MARKS" | uniq | wc -l)
[ "$marks" = 80 ] || fail "tasks run: $marks distinct of 80"
echo "ok: resume: 80/80 once, no failover, no redelivery"

# The same report as on one host: same fields, latency of every answer.
"$S" run --bus "$NATS_URL" --coordinators 2 --workers 3 --json --logs "$tmp/logs-n" \
	-- "$S" demo-agent > "$tmp/n.json" 2> "$tmp/n.err" || fail "demo-agent over NATS"
"$S" run --topology hybrid --coordinators 2 --workers 3 --json --logs "$tmp/logs-l" \
	-- "$S" demo-agent > "$tmp/l.json" 2> "$tmp/l.err" || fail "demo-agent on one host"
python3 - "$tmp/n.json" "$tmp/l.json" <<'PY' || fail "NATS report vs one-host report"
import json, sys
n, l = (json.load(open(f)) for f in sys.argv[1:3])
extra = set(n) - set(l) - {"nats"}
missing = set(l) - set(n)
assert not extra and not missing, (extra, missing)
# One host hands each coordinator its 3 tasks, so all 6 workers start.
# Over NATS coordinators pull: one that is up first may take all 6 tasks
# through its 3 workers before the other fetches any (seen under load).
assert l["agents"] == 6, l
assert 3 <= n["agents"] <= 6, n
for r in (n, l):
    assert r["topology"] == "hybrid" and r["delivered"] == 6, r
    lat = r["latency_us"]
    assert lat["samples"] == 6 and 0 < lat["p50"] <= lat["p95"] <= lat["p99"], lat
    assert sorted(c["name"] for c in r["coordinator_detail"]) == ["c1", "c2"], r
PY
echo "ok: a NATS report has the one-host hybrid fields, latency of all 6 answers"

# A coordinator waiting for a swarm no master has made yet stops at once
# on SIGTERM (it used to wait out its 30 s --connect-timeout).
"$S" coordinator --join "$NATS_URL" --swarm nobody-yet --name w1 --workers 1 \
	-- true > /dev/null 2> "$tmp/w1.err" &
w=$!; pids+=($w)
sleep 1
kill -TERM $w
t0=$(date +%s%N)
for i in $(seq 100); do kill -0 $w 2>/dev/null || break; sleep 0.05; done
kill -0 $w 2>/dev/null && fail "a waiting coordinator still runs 5 s after SIGTERM"
wait $w; rc=$?
[ $rc -eq 143 ] || fail "waiting coordinator after SIGTERM: exit $rc, want 143"
echo "ok: a coordinator waiting for its swarm stops on SIGTERM in $(( ($(date +%s%N) - t0) / 1000000 )) ms (exit 143)"
