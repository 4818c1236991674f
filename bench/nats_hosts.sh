#!/usr/bin/env bash
# Bench row for the coordinator mesh over NATS (issue 8): tasks/s and
# coordination time of 2x(5x20) -- two simulated hosts (mount namespaces,
# each with its own /dev/shm), 5 coordinators x 20 workers each, sharing
# one nats-server on loopback -- against the same 10x20 swarm on one host,
# over NATS and over the /dev/shm bus alone. Built-in demo agent, so the
# numbers are coordination cost, not work. Not part of `make test`.
#
#   bench/nats_hosts.sh [TASKS]      (default 4000; needs root for unshare)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
S=${SWARM_BIN:-$root/build/swarm}
N=${1:-4000}
. "$root/bench/lib/nats_server.bash"
tmp=$(mktemp -d /tmp/swarm-bench-nats.XXXXXX)
trap 'bench_nats_down; rm -rf "$tmp"' EXIT
bench_nats_up "$tmp" || exit 3
url=$NATS_URL
seq 1 "$N" > "$tmp/tasks"

row() { # label json
	python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
s = r["coordination_s"]
print("%-34s %6d/%-6d %8.3f s %10.0f tasks/s" % (sys.argv[1], r["delivered"], r["expected"], s, r["delivered"] / s if s else 0))
PY
}
host() { setsid unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs /dev/shm && exec "$@"' host "$@"; }

echo "$N tasks, built-in demo agent, $(nproc) CPUs"
printf '%-34s %13s %10s %16s\n' "swarm" "delivered" "coord." "throughput"
"$S" run --coordinators 10 --workers 20 --tasks "$tmp/tasks" --json --timeout 120 \
	-- "$S" demo-agent >"$tmp/shm.json" 2>/dev/null && row "1 host, 10x20, /dev/shm bus" "$tmp/shm.json"
"$S" run --coordinators 10 --workers 20 --bus "$url" --tasks "$tmp/tasks" --json --timeout 120 \
	-- "$S" demo-agent >"$tmp/nats1.json" 2>/dev/null && row "1 host, 10x20, over NATS" "$tmp/nats1.json"
# Host B's coordinators wait for the swarm; host A's master creates it.
host sh -c "for i in 1 2 3 4 5; do \"$S\" coordinator --join $url --swarm bench2 --name b\$i \
	--workers 20 --logs $tmp/logsB -- \"$S\" demo-agent & done; wait" >"$tmp/hostB.log" 2>&1 &
hb=$!
sleep 0.5
host "$S" run --coordinators 5 --workers 20 --bus "$url" --swarm bench2 --tasks "$tmp/tasks" \
	--json --timeout 120 --logs "$tmp/logsA" -- "$S" demo-agent >"$tmp/nats2.json" 2>/dev/null &&
	row "2 hosts, 2x(5x20), over NATS" "$tmp/nats2.json"
wait "$hb"
