#!/usr/bin/env bash
# bench/nats_netns.sh — NATS mode across network-namespace "hosts" with
# distance between them (issue 19, items 2 and 4): three netns hosts on a
# bridge (tests/e2e/netns_lib.sh.inc: A = master + 1 local coordinator,
# B and C one joined coordinator each, 4 workers each), nats-server on the
# bridge address, each host behind its own build/delayproxy.
#
#   bench/nats_netns.sh [--reps N] [--tasks N]      (needs root)
#
#   delay      the same swarm (TASKS tasks of the bash test agent, 20 ms
#              each) direct, through the proxy with 0 ms, with 5 ms and
#              with 25 ms each way: result latency p50/p95 (the agent's
#              end -> the master's --results line) and coordination time,
#              medians of the repetitions (order rotated), and their
#              ratio to the direct run
#   failover   kill -9 of host B's whole group, mid-task, default AckWait
#              (30 s), 5 ms each way: when the master declared B dead
#              (after its last heartbeat), when the last of B's tasks was
#              taken again (report), and from the kill until it ran
#              elsewhere (seen by the agents) -- target 5 s
#   partition  host C's cable down 5 s (beyond the 3 s failover), the same
#              figures from the cut
#
# Writes bench/results/<date>-netns.md and .json. One benchmark at a time
# (the bench lock of bench/run).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
reps=3 ntasks=200
while [ $# -gt 0 ]; do
	case $1 in
	--reps) reps=$2; shift 2;;
	--tasks) ntasks=$2; shift 2;;
	-h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0;;
	*) echo "nats_netns: unknown option '$1' (see --help)" >&2; exit 2;;
	esac
done
case $reps$ntasks in *[!0-9]*) echo "nats_netns: --reps and --tasks take numbers" >&2; exit 2;; esac
[ "$reps" -ge 1 ] && [ "$ntasks" -ge 10 ] || { echo "nats_netns: --reps >= 1, --tasks >= 10" >&2; exit 2; }
export SWARM_BIN=${SWARM_BIN:-$root/build/swarm} SWARM_BUILD=${SWARM_BUILD:-$root/build}
. "$root/tests/e2e/nats_lib.sh.inc"
. "$root/tests/e2e/netns_lib.sh.inc"
# The test helpers skip with exit 77; here that is an environment error.
( nats_require && netns_require ) > "/tmp/nats_netns.$$" 2>&1 ||
	{ echo "nats_netns: $(tail -n 1 "/tmp/nats_netns.$$")" >&2; rm -f "/tmp/nats_netns.$$"; exit 3; }
rm -f "/tmp/nats_netns.$$"

exec 9> /tmp/swarm-bench.lock
if ! flock -n 9; then
	echo "nats_netns: another benchmark is running; waiting for it" >&2
	flock 9
fi
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
nats_test_setup swarm-bench-netns '*.err' '*.log'
netns_setup 3 || fail "network namespaces"
netns_nats_start || fail "nats-server"
AGENT=$tmp/agent.sh
netns_agent "$AGENT"
export MARKS=$tmp/marks AGENT_SLEEP GATE=$tmp/gate
CHECK=$nats_lib_dir/lib/netns_check.py
RAW=$tmp/raw.jsonl
seq 1 "$ntasks" > "$tmp/tasks"
seq 1 60 > "$tmp/tasks60"
now_us() { echo "${EPOCHREALTIME/./}"; }

one_delay() { # mode rep: mode = direct | 0 | 5 | 25
	local mode=$1 rep=$2 id out
	id=d$mode-$rep
	if [ "$mode" = direct ]; then netns_delay ""; else netns_delay "$mode"; fi || fail "delay $mode"
	: > "$MARKS"
	AGENT_SLEEP=0.02 WORKERS=4
	stamp_start "$id" || fail "stamp"
	WORKERS=4 netns_swarm "$id" "$tmp/tasks" "$STAMP_TTY"
	netns_swarm_wait || fail "$id: run exit $?"
	stamp_stop
	out=$(python3 "$CHECK" "$tmp/$id.json" "$tmp/$id.stamped" "$tmp/tasks") || fail "$id: check"
	echo "{\"row\":\"delay\",\"mode\":\"$mode\",\"rep\":$rep,\"data\":$out}" >> "$RAW"
	printf '.' >&2
}

# lose HOST(2|3) rep: kill -9 of host B, or host C's cable down 5 s
one_loss() {
	local i=$1 rep=$2 id x t0 out what
	x=$([ "$i" = 2 ] && echo B || echo C)
	what=$([ "$i" = 2 ] && echo failover || echo partition)
	id=$what-$rep
	netns_delay 5 || fail "delay 5"
	: > "$MARKS"
	AGENT_SLEEP=0.3
	stamp_start "$id" || fail "stamp"
	WORKERS=3 netns_swarm "$id" "$tmp/tasks60" "$STAMP_TTY"
	wait_lines "$MARKS" " $x\$" 3 30 || fail "$id: host $x did no work"
	sleep 0.1                   # mid-task: no fetch in flight
	t0=$(now_us)
	if [ "$i" = 2 ]; then
		kill -9 -- "-${HOST_PID[2]}"
		wait "${HOST_PID[2]}" 2>/dev/null
	else
		netns_partition 3 5
	fi
	netns_swarm_wait || fail "$id: run exit $?"
	stamp_stop
	out=$(python3 "$CHECK" "$tmp/$id.json" "$tmp/$id.stamped" "$tmp/tasks60" \
		--lost "host$x" "$x" "$MARKS" "$t0") || fail "$id: check"
	echo "{\"row\":\"$what\",\"rep\":$rep,\"data\":$out}" >> "$RAW"
	printf '.' >&2
}

printf 'nats_netns: %d repetitions ' "$reps" >&2
modes=(direct 0 5 25)
for rep in $(seq 1 "$reps"); do
	for k in 0 1 2 3; do one_delay "${modes[(rep + k) % 4]}" "$rep"; done
	one_loss 2 "$rep"
	one_loss 3 "$rep"
done
printf '\n' >&2
netns_teardown
nats_stop
netns_check_clean || fail "leftovers"

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$RAW" "$root/bench/results/$stamp-netns" "$stamp" "$reps" "$ntasks" \
	"$load_before" "$load_after" "$(uname -r)" "$(nproc)" "$("$SWARM_BIN" --version 2>/dev/null)" <<'PY'
import json, statistics, sys
raw, out, stamp, reps, ntasks, lb, la, kernel, ncpu, version = sys.argv[1:11]
rows = [json.loads(l) for l in open(raw)]
med = statistics.median

def col(sel, f):
    return [f(r["data"]) for r in rows if sel(r)]

res = {"schema_version": 1, "stamp": stamp, "reps": int(reps), "tasks": int(ntasks),
       "kernel": kernel, "cpus": int(ncpu), "swarm": version,
       "load_before": lb, "load_after": la, "delay": {}, "loss": {}}
lines = ["# NATS across network-namespace hosts — %s, %s cores, kernel %s" % (stamp, ncpu, kernel), "",
         "3 hosts (netns on a bridge, own /dev/shm), A: master + 1 local coordinator, B and C:",
         "one joined coordinator each; nats-server on the bridge address; delay from",
         "build/delayproxy (no sch_netem here). Medians of %s repetitions, order rotated." % reps,
         "Load before %s, after %s (2 shared cores: other work inflates latency)." % (lb, la), "",
         "## Result latency and coordination time against one-way delay", "",
         "%s tasks of a bash agent (20 ms each), 4 workers per host. Latency: the agent's" % ntasks,
         "end -> the master's result line (a result crosses two delayed legs).", "",
         "| one-way delay | latency p50 | latency p95 | coordination | vs direct (p50, coord.) | delivered |",
         "|---|---|---|---|---|---|"]
base = None
for mode in ("direct", "0", "5", "25"):
    sel = lambda r, m=mode: r["row"] == "delay" and r["mode"] == m
    p50 = med(col(sel, lambda d: d["lat_p50_ms"]))
    p95 = med(col(sel, lambda d: d["lat_p95_ms"]))
    co = med(col(sel, lambda d: d["coordination_s"]))
    dl = col(sel, lambda d: "%d/%d" % (d["delivered"], d["expected"]))
    if base is None:
        base = (p50, co)
    res["delay"][mode] = {"lat_p50_ms": p50, "lat_p95_ms": p95, "coordination_s": co,
                          "lat_p50_ratio": p50 / base[0], "coordination_ratio": co / base[1],
                          "delivered": dl}
    label = "direct (no proxy)" if mode == "direct" else "%s ms (proxy)" % mode
    lines.append("| %s | %.1f ms | %.1f ms | %.2f s | %.2fx, %.2fx | %s |" % (
        label, p50, p95, co, p50 / base[0], co / base[1], ", ".join(sorted(set(dl)))))
lines += ["", "## Failover: a host lost mid-run (5 ms each way, default AckWait 30 s)", "",
          "60 tasks of 0.3 s, 3 workers per host; B killed (kill -9 of its whole group) or",
          "C's cable down 5 s, mid-task. detect: the master declared it dead, after its last",
          "heartbeat; reassigned: the last of its tasks taken again (report, from its last",
          "heartbeat); running elsewhere: from the kill/cut until the last of them started on",
          "another host (the agents' marks). Target: reassigned within 5 s.", "",
          "| case | detect | reassigned | running elsewhere (median, max) | tasks handed back | unreported | delivered |",
          "|---|---|---|---|---|---|---|"]
for what, label in (("failover", "kill -9 of host B"), ("partition", "host C cut off 5 s")):
    sel = lambda r, w=what: r["row"] == w
    det = col(sel, lambda d: d["lost"]["record"]["detect_ms"])
    rea = col(sel, lambda d: d["lost"]["record"]["reassign_ms"])
    run = col(sel, lambda d: d["lost"]["again_max_s"])
    tk = col(sel, lambda d: d["lost"]["record"]["tasks"])
    unrep = col(sel, lambda d: len(d["lost"]["unreported"]))
    dl = col(sel, lambda d: "%d/%d" % (d["delivered"], d["expected"]))
    res["loss"][what] = {"detect_ms": det, "reassign_ms": rea, "running_elsewhere_s": run,
                         "tasks": tk, "unreported": unrep, "delivered": dl}
    lines.append("| %s | %.0f ms | %.0f ms | %.2f s, %.2f s | %s | %d | %s |" % (
        label, med(det), med(rea), med(run), max(run), ",".join(map(str, tk)),
        sum(unrep), ", ".join(sorted(set(dl)))))
lines += ["", "Without the master's failover the same tasks wait for AckWait: 20-30 s with",
          "the default (in-progress notes every AckWait/3)."]
json.dump(res, open(out + ".json", "w"), indent=1)
open(out + ".md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
print("\nwrote %s.md and .json" % out)
PY
