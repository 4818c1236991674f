#!/usr/bin/env bash
# swarm run --metrics-file / --metrics-listen: Prometheus text while the
# swarm runs and a final sample when it ends.
set -u
. "$(dirname "$0")/lib/run_common.bash"

$S run -n 5 --metrics-file "$TMP/m.prom" --logs "$TMP/l1" -- "$S" demo-agent > /dev/null \
	|| fail "run with --metrics-file"
grep -qx 'swarm_up 0' "$TMP/m.prom" || fail "final sample says up"
grep -qx 'swarm_delivery_ratio 1' "$TMP/m.prom" || fail "delivery ratio"
grep -qx 'swarm_agents_spawned_total{role="worker"} 5' "$TMP/m.prom" || fail "spawned"
grep -q '^# TYPE swarm_messages_total counter$' "$TMP/m.prom" || fail "TYPE lines"
ls -a "$TMP" | grep -q '^\.m\.prom' && fail "temp file left"

# Live endpoint on a free loopback port.
$S run -n 4 --metrics-listen 127.0.0.1:0 --logs "$TMP/l2" -- "$S" demo-agent --sleep 4 \
	> /dev/null 2> "$TMP/err" &
master=$!
for i in $(seq 100); do
	port=$(sed -n 's|^swarm: metrics at http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$TMP/err")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || fail "no metrics port announced"
sleep 0.5
python3 - "$port" <<'PY' || fail "scrape"
import sys, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode()
lines = dict(l.rsplit(" ", 1) for l in body.splitlines() if l and not l.startswith("#"))
assert lines["swarm_up"] == "1", body
assert int(lines['swarm_agents{role="worker"}']) == 4, body
assert lines["swarm_delivery_ratio"] == "0", body
PY
wait $master || fail "run with --metrics-listen"
$S run -n 1 --metrics-listen 10.1.2.3:80 -- true 2> "$TMP/err2"
[ $? -eq 2 ] || fail "non-loopback listen address must be a usage error"
echo ok
