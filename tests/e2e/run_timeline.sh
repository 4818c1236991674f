#!/usr/bin/env bash
# swarm run --timeline: the file is Chrome trace-event JSON that
# tests/timeline_check.py accepts (fields per ph, nesting, matched flows,
# names), and a known workload lands where it should: w3 answers 200 ms
# late (its task -> answer span >= 180 ms), and, traced, w2 waits on a lock
# w1 holds ~150 ms (a lock-wait slice >= 80 ms on w2's track). Hybrid
# shows coordinators with their workers; 1000 agents stay under the cap.
set -u
. "$(dirname "$0")/lib/run_common.bash"
CHECK="python3 ${SWARM_ROOT:-.}/tests/timeline_check.py"
CAP=$((4 << 20))   # TL_MAX_BYTES, user/run/run_timeline.h

# The workload; its program name has a quote and a backslash, which the
# kernel reports as the exec's comm: the JSON must still parse.
AGENT="$TMP/q\"x\\y.sh"
cat > "$AGENT" <<'EOF'
#!/bin/sh
L=$1/lock M=$1/held
task=$(swarm recv --wait 30 --count 1) || exit 1
case $SWARM_AGENT in
w1) flock "$L" sh -c "touch '$M'; sleep 0.15" ;;
w2) while [ ! -e "$M" ]; do sleep 0.005; done; flock "$L" true ;;
w3) sleep 0.2 ;;
w4) [ -n "${SLOW_W4:-}" ] && sleep 1.3 ;;
esac
swarm send --to "$SWARM_PARENT" "$task done"
EOF
chmod +x "$AGENT"

# 1. untraced flat: the delay is the master's own knowledge
LAST=$TMP/flat.err
mkdir -p "$TMP/a"
$S run -n 5 --no-trace --timeline "$TMP/flat.json" -- "$AGENT" "$TMP/a" \
	> /dev/null 2> "$TMP/flat.err" || fail "flat run exit $?"
$CHECK "$TMP/flat.json" --topology flat --min-tracks 6 --task-span w3:180 \
	--slower-by w3:80 || fail "flat timeline"

# plain commands (GNU parallel mode): a process per task, its exit the answer
seq 8 | $S run -j 4 --no-trace --timeline "$TMP/plain.json" -- sh -c 'sleep 0.0$1' _ {} \
	> /dev/null 2> "$TMP/plain.err" || fail "plain run exit $?"
$CHECK "$TMP/plain.json" --min-tracks 5 || fail "plain timeline"

# The checker itself rejects what it must: a flow without its finish, a
# slice outlasting its parent, a track without a name, a missed bound.
python3 - "$TMP/flat.json" "$TMP/broken" <<'PY' || fail "breaking copies"
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"]
def save(name, events):
    json.dump(dict(d, traceEvents=events), open(sys.argv[2] + "." + name, "w"))
f = next(i for i, e in enumerate(ev) if e["ph"] == "f")
save("flow", ev[:f] + ev[f + 1:])
x = next(i for i, e in enumerate(ev) if e["ph"] == "X" and e["name"].startswith("task "))
# same end, a start before the process it ran in: overlaps, not nested
save("nest", ev[:x] + [dict(ev[x], ts=0, dur=ev[x]["ts"] + ev[x]["dur"])] + ev[x + 1:])
save("name", [e for e in ev if e.get("name") != "thread_name"])
PY
for b in flow nest name; do
	$CHECK "$TMP/broken.$b" --quiet > /dev/null && fail "checker accepted broken.$b"
done
$CHECK "$TMP/flat.json" --quiet --task-span w1:100000 > /dev/null &&
	fail "checker accepted a 100 s task span"

# 2. a bad path is one line and no run
out=$($S run -n 2 --no-trace --timeline "$TMP/no/such/dir/t.json" -- true 2>&1)
rc=$?
[ "$rc" -eq 3 ] || fail "bad --timeline path: exit $rc, want 3"
case $out in *"cannot write the timeline"*) ;; *) fail "bad path message: $out";; esac
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "more than one line: $out"
# a run that cannot start (no such command) leaves no timeline behind
$S run -n 2 --no-trace --timeline "$TMP/never.json" -- /nonexistent/cmd > /dev/null 2>&1
[ -e "$TMP/never.json" ] && fail "a run that never started left its timeline"

# 3. hybrid 2 x 3: coordinators are tracks, each task has its three hops
LAST=$TMP/hyb.err
$S run --coordinators 2 --workers 3 --no-trace --timeline "$TMP/hyb.json" \
	-- "$S" demo-agent > /dev/null 2> "$TMP/hyb.err" || fail "hybrid run exit $?"
$CHECK "$TMP/hyb.json" --topology hybrid --min-tracks 9 || fail "hybrid timeline"
python3 - "$TMP/hyb.json" <<'PY' || fail "hybrid content"
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"]
procs = [e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"]
assert sum(p.startswith("coordinator c") for p in procs) == 2, procs
flows = {e["name"] for e in ev if e["ph"] == "s"}
assert flows == {"task", "answer", "result"}, flows
assert sum(e["ph"] == "s" for e in ev) == 18, "3 flows x 6 tasks"
assert d["swarm"]["tasks"] == 6 and len(d["swarm"]["answer_ms"]) == 6, d["swarm"]
# workers are not the master's children: their pids, spawns and exits come
# from the coordinators' cK.procs files, untraced too
threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev
           if e["ph"] == "M" and e["name"] == "thread_name"}
workers = {k: n for k, n in threads.items() if "-w" in n}
assert len(workers) == 6 and all("(pid %d" % k[1] in n for k, n in workers.items()), workers
coords = {e["pid"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"
          and e["args"]["name"].startswith("coordinator")}
assert all(k[0] in coords for k in workers), (workers, coords)
procs = [e for e in ev if e["ph"] == "X" and e["name"].startswith("process ")
         and (e["pid"], e["tid"]) in workers]
assert len(procs) >= 6 and all("exit" in e["args"] for e in procs), procs
assert len(d["swarm"]["spawn_ms"]) == 6, d["swarm"]["spawn_ms"]
PY

# the picture and the bench CDFs are drawn from the same files
python3 "${SWARM_ROOT:-.}/tools/timeline_svg.py" "$TMP/hyb.json" > "$TMP/hyb.svg" || fail "timeline_svg.py"
python3 - "$TMP/hyb.svg" <<'PY' || fail "SVG"
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
rects = doc.getElementsByTagName("rect")
assert len(rects) > 20, len(rects)
texts = " ".join(t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild)
assert "coordinator c1" in texts and "c2-w3" in texts, texts[:300]
PY
python3 "${SWARM_ROOT:-.}/bench/timeline_cdf.py" --out "$TMP/cdf" "$TMP/flat.json" "$TMP/hyb.json" \
	> /dev/null 2>&1 || fail "timeline_cdf.py"
python3 - "$TMP/cdf.json" <<'PY' || fail "CDF curves"
import json, sys
c = json.load(open(sys.argv[1]))["curves"]
topo = sorted(v["topology"] for v in c.values())
assert topo == ["flat", "hybrid"], c.keys()
assert all(len(v["answer_ms"]) == v["agents"] or v["agents"] > 101 for v in c.values()), c
PY

# 4. 1000 agents: under the cap, quickly, detail for a sample only
start=$(date +%s)
LAST=$TMP/big.err
$S run -n 1000 --no-trace --timeline "$TMP/big.json" -- "$S" demo-agent \
	> /dev/null 2> "$TMP/big.err" || fail "1000-agent run exit $?"
[ $(( $(date +%s) - start )) -le 60 ] || fail "1000-agent run took over 60 s"
$CHECK "$TMP/big.json" --max-bytes "$CAP" || fail "1000-agent timeline"
python3 - "$TMP/big.json" <<'PY' || fail "1000-agent summary"
import json, sys
s = json.load(open(sys.argv[1]))["swarm"]
assert s["agents"] == 1000 and s["tasks"] == 1000, s
assert 0 < s["tracks_detailed"] <= 256 + 64, s
assert len(s["spawn_ms"]) == 101 and len(s["answer_ms"]) == 101, s
assert s["spawn_ms"] == sorted(s["spawn_ms"]), "quantiles in order"
PY

# 5. traced: the lock wait from the kernel (root and BPF only)
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP part 5 (lock wait): needs root for BPF"
	exit 0
fi
rm -rf "$TMP/a" && mkdir -p "$TMP/a"
LAST=$TMP/tr.out
SLOW_W4=1 $S run -n 5 --json --timeline "$TMP/tr.json" -- "$AGENT" "$TMP/a" \
	> "$TMP/tr.out" 2> "$TMP/tr.err" || fail "traced run exit $?"
if [ "$(jq -r .kernel.enabled "$TMP/tr.out")" != true ]; then
	why=$(jq -r .kernel.reason "$TMP/tr.out")
	case $why in
	*BTF*|*lacks*|*not\ supported*) echo "SKIP part 5 (lock wait): $why"; exit 0;;
	esac
	fail "tracing off as root: $why"
fi
$CHECK "$TMP/tr.json" --topology flat --lock-wait w2:80 --task-span w3:180 \
	|| fail "traced timeline"
# traced, a plain command's task ends at its process's exit, not after it
seq 8 | $S run -j 4 --timeline "$TMP/trplain.json" -- sh -c 'sleep 0.0$1' _ {} \
	> /dev/null 2> "$TMP/trplain.err" || fail "traced plain run exit $?"
$CHECK "$TMP/trplain.json" --min-tracks 5 || fail "traced plain timeline"
python3 - "$TMP/tr.json" <<'PY' || fail "traced content"
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
execs = [e["name"] for e in ev if e["ph"] == "X" and e["name"].startswith("exec ")]
assert any('"' in n and "\\" in n for n in execs), execs   # the odd comm, intact
# w4 keeps the run past the tracer's once-a-second fd recount of the tree
tree = [e["args"]["fds"] for e in ev if e["ph"] == "C" and e["name"] == "tree (kernel)"]
assert tree and max(tree) >= 3 * 2, tree   # master + an agent: stdio at least
PY
echo ok
