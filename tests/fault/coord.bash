# Coordinator scenarios of the fault campaign (sourced by campaign.sh, which
# is the one entry point: campaign.sh --only coord-result ...).
#
# Per run: `swarm run` in hybrid mode (3 coordinators x 10 workers) over a
# task file of COORD_TASKS lines of random length, with
# SWARM_FAULT=<step>:<n>:<target> so only the chosen coordinator (and
# sometimes its replacement too) SIGKILLs itself at its n-th pass of the
# step (coord-send: a bus send step, send-lock/write/publish/unlock, inside
# the coordinator). Agents alternate between pool demo agents, one-shot demo agents
# (--once: the slot restarts) and, for the result steps, a plain command
# (stdout mode). Checked after the run:
#   - exit 0, delivered == expected, no failure: the master replaced the
#     dead coordinator and salvaged or redid its work           -> lost 0
#   - every task id is in --results exactly once                -> double 0
#   - every output is what the agent computes from its own input -> corrupt 0
#   - the kill happened (the fault line is in the coordinator's log)
#   - in the kept bus: no .tmp.* file, no flock held on any inbox, no
#     writer intent or reader left on the master's and the coordinators'
#     inboxes, nothing unread in the master's; no process of the run
#     left; after `swarm destroy` the bus directory and cgroup are gone.
# Result line (same columns as the bus scenarios, meaning adapted):
#   sc run tasks delivered discarded-copies double-counted lost corrupt
#   kills restarts STATUS

COORD_STEPS="coord-result coord-forward coord-journal coord-dispatch coord-send"

coord_tasks_file() { # file count
	python3 - "$1" "$2" <<'PY'
import random, sys
path, n = sys.argv[1], int(sys.argv[2])
alpha = "abcdefghijklmnopqrstuvwxyz0123456789-_.:/"
with open(path, "w") as f:
    for i in range(1, n + 1):
        body = "".join(random.choice(alpha) for _ in range(random.randint(8, 3000)))
        f.write("t%d-%s\n" % (i, body))
PY
}

coord_run_one() { # scenario run
	local sc=$1 run=$2 variant target n k agent=() rc step
	local tasks=${COORD_TASKS:-60} coords=3 workers=10
	work=$top/$sc.$run
	mkdir -p "$work"
	coord_tasks_file "$work/tasks" "$tasks"
	variant=$((run % 3))
	case $sc in coord-journal|coord-dispatch) [ $variant -eq 2 ] && variant=0;; esac
	case $variant in
	0) agent=("$S" demo-agent --rounds 1);;
	1) agent=("$S" demo-agent --rounds 1 --once);;
	2) agent=(/bin/echo "{}");;
	esac
	k=$((RANDOM % coords + 1))
	n=$((RANDOM % (tasks / coords) + 1))
	target=c$k
	# One run in three kills the replacement as well (a slot dying twice).
	[ $((RANDOM % 3)) -eq 0 ] && target="c$k,c${k}r1"
	step=$sc
	if [ "$sc" = coord-send ]; then
		# The bus's own steps, inside a coordinator: its sends go to
		# its workers (tasks, stops) and to the master (results).
		step=$(echo send-lock send-write send-publish send-unlock | tr ' ' '\n' | shuf -n 1)
		# (plain commands: results and stats only, no sends to workers)
		n=$((RANDOM % (tasks * (variant == 2 ? 1 : 2) / coords) + 1))
	fi
	echo "$step:$n:$target variant $variant" > "$work/fault"
	SWARM_FAULT=$step:$n:$target "$S" run --coordinators $coords --workers $workers \
		--tasks "$work/tasks" --results "$work/results" --json --no-trace --keep \
		--logs "$work/logs" --timeout 60 -- "${agent[@]}" \
		> "$work/report.json" 2> "$work/run.err"
	rc=$?
	coord_check "$sc" "$run" "$rc" "$variant"
}

coord_check() { # scenario run rc variant
	local sc=$1 run=$2 rc=$3 variant=$4 bus cg bad=0 f
	bus=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bus_dir"])' \
		"$work/report.json" 2>/dev/null)
	if [ -n "$bus" ] && [ -d "$bus" ]; then
		for f in "$bus"/*.inbox; do
			flock -n -x "$f" true || echo "lock held on $(basename "$f")" >> "$work/errors"
		done
		for f in "$bus"/master.inbox "$bus"/c[0-9]*.inbox; do
			case $f in *-w*) continue;; esac
			echo "$(basename "$f" .inbox) $("$FA" inspect "$bus" "$(basename "$f" .inbox)")"
		done > "$work/inboxes"
		ls -A "$bus" | grep '^\.tmp\.' >> "$work/tmpfiles"
	else
		echo "no kept bus directory ($bus)" >> "$work/errors"
	fi
	python3 - "$work" "$sc" "$run" "$rc" "$variant" "$bus" >> "$results" <<'PY' || bad=1
import json, os, re, sys
work, sc, run, rc, variant, bus = sys.argv[1:7]
rc, variant = int(rc), int(variant)
problems = []
def fnv(b):
    h = 1469598103934665603
    for c in b:
        h = ((h ^ c) * 1099511628211) & 0xffffffffffffffff
    return h
tasks = open(os.path.join(work, "tasks")).read().split("\n")[:-1]
try:
    rep = json.load(open(os.path.join(work, "report.json")))
except Exception as e:
    rep = {}
    problems.append("no report (%s)" % e)
rows = []
try:
    rows = [json.loads(l) for l in open(os.path.join(work, "results"))]
except Exception as e:
    problems.append("results file unreadable (%s)" % e)
seen, corrupt, notok = {}, 0, 0
for r in rows:
    i = r.get("task")
    seen[i] = seen.get(i, 0) + 1
    if not isinstance(i, int) or not 1 <= i <= len(tasks):
        corrupt += 1
        continue
    text = tasks[i - 1]
    if r.get("status") != "ok":
        notok += 1
        continue
    if variant == 2:
        want = text + "\n"
    else:
        # the demo agent echoes the first 100 bytes, hashes them all
        want = "%s %s fnv=%016x" % (r.get("agent"), text[:100], fnv(text.encode()))
    if r.get("input") != text or r.get("output") != want or r.get("truncated"):
        corrupt += 1
ok_ids = {r["task"] for r in rows if r.get("status") == "ok"}
delivered = len(ok_ids & set(range(1, len(tasks) + 1)))
double = sum(c - 1 for c in seen.values())
lost = len(tasks) - delivered
kills = 0
logs = os.path.join(work, "logs")
for fn in os.listdir(logs) if os.path.isdir(logs) else []:
    if re.fullmatch(r"c\d+(r\d+)?\.log", fn):
        kills += open(os.path.join(logs, fn), errors="replace").read().count("fault injection: SIGKILL")
restarts = rep.get("coordinator_restarts", 0)
if rc != 0: problems.append("exit code %d" % rc)
if rep and (rep.get("delivered") != len(tasks) or rep.get("expected") != len(tasks)):
    problems.append("report: delivered %s of %s" % (rep.get("delivered"), rep.get("expected")))
if rep.get("failures"): problems.append("failures: %s" % json.dumps(rep["failures"])[:200])
if lost: problems.append("lost %d (not ok: %d)" % (lost, notok))
if double: problems.append("double-counted %d" % double)
if corrupt: problems.append("corrupt %d" % corrupt)
if not kills: problems.append("the fault never fired")
path = os.path.join(work, "inboxes")
for line in open(path) if os.path.exists(path) else []:
    name, rest = line.split(" ", 1)
    kv = dict(x.split("=") for x in rest.split())
    if kv["writer_pid"] != "0": problems.append("%s: writer intent left (%s)" % (name, kv["writer_pid"]))
    if kv["reader_pid"] != "0": problems.append("%s: reader left (%s)" % (name, kv["reader_pid"]))
    if name == "master" and kv["depth"] != "0": problems.append("master: %s unread" % kv["depth"])
path = os.path.join(work, "tmpfiles")
if os.path.exists(path) and open(path).read().strip(): problems.append("tmp files left")
if bus:
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            env = open("/proc/%s/environ" % pid, "rb").read()
        except OSError:
            continue
        if b"SWARM_DIR=" + bus.encode() + b"\0" in env:
            problems.append("process %s of the run still alive" % pid)
path = os.path.join(work, "errors")
if os.path.exists(path): problems.append("errors: " + open(path).read().replace("\n", "; ")[:300])
print(sc, run, len(tasks), delivered, rep.get("duplicates", 0), double, lost, corrupt, kills,
      restarts, "OK" if not problems else "FAIL " + " | ".join(problems))
sys.exit(1 if problems else 0)
PY
	if [ -n "$bus" ] && [ -d "$bus" ]; then
		"$S" destroy --dir "$bus" 2>> "$work/run.err" || bad=1
		[ -e "$bus" ] && { echo "$sc $run: bus $bus left after destroy"; bad=1; }
	fi
	cg=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cgroup"] or "")' \
		"$work/report.json" 2>/dev/null)
	[ -n "$cg" ] && [ -e "$cg" ] && { echo "$sc $run: cgroup $cg left"; bad=1; }
	if [ $bad -ne 0 ]; then
		echo "campaign: $sc run $run FAILED ($(cat "$work/fault")); logs at /tmp/swarm-fault-failed.$sc.$run"
		cp -r "$work" "/tmp/swarm-fault-failed.$sc.$run" 2>/dev/null
	fi
	return $bad
}
