#!/usr/bin/env bash
# A/B of two builds of swarm over NATS, interleaved in one run on one
# machine (medians of REPS): coordination time of the demo-agent swarm
# (1 host, 10x20, N tasks) and the master's CPU time over a swarm that
# mostly waits (2x5 workers, 50 tasks of sleep 0.5 s), where a busy
# master shows. Not part of `make test`.
#
#   bench/nats_ab.sh OLD_SWARM NEW_SWARM [REPS] [TASKS]
set -u
A=$1 B=$2 REPS=${3:-3} N=${4:-2000}
. "$(dirname "$0")/lib/nats_server.bash"
tmp=$(mktemp -d /tmp/swarm-bench-ab.XXXXXX)
trap 'bench_nats_down; rm -rf "$tmp"' EXIT
bench_nats_up "$tmp" || exit 3
url=$NATS_URL
seq 1 "$N" > "$tmp/tasks"
seq 1 50 > "$tmp/slow"
for r in $(seq 1 "$REPS"); do
	for v in A B; do
		S=${!v}
		"$S" run --no-trace --coordinators 10 --workers 20 --bus "$url" --tasks "$tmp/tasks" \
			--json --timeout 120 -- "$S" demo-agent > "$tmp/$v.$r.json" 2>/dev/null
		/usr/bin/time -f "%U %S" -o "$tmp/$v.$r.cpu" "$S" run --no-trace --coordinators 2 \
			--workers 5 --bus "$url" --tasks "$tmp/slow" --json --timeout 120 \
			-- sh -c 'sleep 0.5' {} > "$tmp/$v.$r.slow.json" 2>/dev/null
	done
done
python3 - "$tmp" "$REPS" "$N" <<'PY'
import json, statistics, sys
tmp, reps, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def med(v, r, key):
    return statistics.median(key(v, i) for i in range(1, r + 1))
def coord(v, i):
    return json.load(open("%s/%s.%d.json" % (tmp, v, i)))["coordination_s"]
def deliv(v, i):
    return json.load(open("%s/%s.%d.json" % (tmp, v, i)))["delivered"]
def cpu(v, i):
    # the whole `swarm run` process tree as time(1) reports it: the master
    # and its local coordinators (user + system seconds)
    u, s = open("%s/%s.%d.cpu" % (tmp, v, i)).read().split()[-2:]
    return float(u) + float(s)
def slow(v, i):
    return json.load(open("%s/%s.%d.slow.json" % (tmp, v, i)))["coordination_s"]
print("| row | A (old) | B (new) | B / A |")
print("|---|---|---|---|")
for name, key, fmt in (("10x20 over NATS, %d demo tasks: coordination s" % n, coord, "%.3f"),
                       ("  delivered", deliv, "%d"),
                       ("2x5, 50 x sleep 0.5: coordination s", slow, "%.3f"),
                       ("2x5, 50 x sleep 0.5: CPU s (user+sys, run's tree)", cpu, "%.2f")):
    a, b = med("A", reps, key), med("B", reps, key)
    print("| %s | %s | %s | %.2fx |" % (name, fmt % a, fmt % b, b / a if a else 0))
print("\nmedians of %d interleaved runs" % reps)
PY
