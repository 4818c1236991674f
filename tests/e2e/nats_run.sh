#!/usr/bin/env bash
# End-to-end: `swarm run --bus nats://...` against a real nats-server on
# 127.0.0.1 (free port, JetStream in a temp dir, stopped by pid):
#  1. bad --bus / --join arguments: one clear line, exit 2;
#  2. no server: exit 3 with a clear message; a swarm id already in use:
#     exit 3, and the running swarm is not disturbed;
#  3. kill -9 of nats-server mid-run, restart on the same store: the run
#     completes, nothing lost, nothing counted twice, the reconnect shown;
#     as root the master dropped its capabilities and the kernel tracers
#     saw its coordinators' and workers' spawns; with --user nobody the
#     coordinators and workers run as nobody and their buses still go;
#  4. the server does not come back: exit 124 before long, the report
#     names the tasks left without a result; a coordinator stopped by
#     SIGTERM then frees its bus at once, though NATS calls block;
#  5. a coordinator that joins late and leaves early (SIGTERM) hands its
#     unfinished tasks back at once: done elsewhere long before AckWait.
# After every run no bus directory is left behind: the buses live in a
# private SWARM_SHM, so only this test's are counted.
set -u
. "$(dirname "$0")/nats_lib.sh.inc"
nats_require
nats_test_setup swarm-nats-run '*.err' '*.json'
export SWARM_SHM=$tmp/shm
mkdir -m 700 "$SWARM_SHM"
# No bus directory (a coordinator's private bus: cN.inbox + meta) is left.
no_bus_left() { # what
	local left
	left=$(ls -A "$SWARM_SHM")
	[ -z "$left" ] || fail "$1: bus directories left in SWARM_SHM: $left"
}

# --- 1. bad arguments ------------------------------------------------------
expect_usage() { # what, args...
	local what=$1 out rc; shift
	out=$("$S" "$@" 2>&1 >/dev/null); rc=$?
	[ $rc -eq 2 ] || fail "$what: exit $rc, want 2 ($out)"
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "$what: not one line: $out"
	printf '%s\n' "$out" | grep -q '^swarm: ' || fail "$what: message: $out"
}
expect_usage "http url" run --bus http://127.0.0.1:4222 --coordinators 1 --workers 1 -- true
expect_usage "bad port" run --bus nats://127.0.0.1:99999 --coordinators 1 --workers 1 -- true
expect_usage "flat with nats" run --topology flat -n 2 --bus nats://127.0.0.1:4222 -- true
expect_usage "bad swarm id" run --bus nats://127.0.0.1:4222 --swarm a.b --coordinators 1 --workers 1 -- true
expect_usage "swarm without bus" run --swarm x --coordinators 1 --workers 1 -- true
expect_usage "join without swarm" coordinator --join nats://127.0.0.1:4222 --workers 1 -- true
expect_usage "join bad url" coordinator --join nats:/x --swarm s --workers 1 -- true
echo "ok: bad arguments"

# --- 2. no server -----------------------------------------------------------
port=$(nats_free_port)
start=$(date +%s)
out=$("$S" run --bus "nats://127.0.0.1:$port" --coordinators 1 --workers 1 --timeout 2 -- true 2>&1 >/dev/null); rc=$?
[ $rc -eq 3 ] || fail "no server: exit $rc, want 3 ($out)"
printf '%s\n' "$out" | grep -q 'not reachable' || fail "no server: message: $out"
[ $(( $(date +%s) - start )) -le 15 ] || fail "no server: took too long"
echo "ok: no server: $out"

nats_start "$tmp" || exit 1

cat > "$tmp/agent.sh" <<'AGENT'
#!/bin/sh
echo "$1" >> "$MARKS"
sleep "${AGENT_SLEEP:-0.02}"
echo "done $1"
AGENT
chmod +x "$tmp/agent.sh"

# --- 3. server kill -9 + restart mid-run ----------------------------------
# Agents slow enough that the run is still going when the second master
# and the server kill below come.
export MARKS=$tmp/marks3 AGENT_SLEEP=0.05
seq 1 300 > "$tmp/tasks3"
"$S" run --topology hybrid --bus "$NATS_URL" --swarm rs --coordinators 2 --workers 5 \
	--ack-wait 2 --tasks "$tmp/tasks3" --timeout 90 --json --results "$tmp/res3" \
	--logs "$tmp/logs3" -- "$tmp/agent.sh" {} >"$tmp/run3.json" 2>"$tmp/run3.err" &
master=$!; pids+=($master)
wait_lines "$MARKS" . 60 30 || fail "fewer than 60 tasks started before the server kill"
# A second master with the same swarm id is refused, and leaves the
# running swarm alone (the run below must still complete).
out=$("$S" run --topology hybrid --bus "$NATS_URL" --swarm rs --coordinators 1 --workers 1 \
	--no-trace --timeout 5 -- true 2>&1 >/dev/null); rc=$?
[ $rc -eq 3 ] || fail "same swarm id: exit $rc, want 3 ($out)"
printf '%s\n' "$out" | grep -q 'already exists' || fail "same swarm id: message: $out"
nats_kill9
sleep 1
nats_start "$tmp" "$NATS_PORT" || fail "server restart"
wait "$master"; rc=$?
[ $rc -eq 0 ] || fail "run exit $rc after the server restart"
no_bus_left "server restart"
python3 - "$tmp/run3.json" "$tmp/res3" <<'PY' || fail "report check (restart)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["expected"] == 300 and r["delivered"] == 300 and r["failed"] == 0, r
res = [json.loads(l) for l in open(sys.argv[2])]
assert sorted(x["task"] for x in res) == list(range(1, 301)), "each task once in --results"
assert all(x["output"] == "done %d\n" % x["task"] for x in res), "outputs"
n = r["nats"]
assert n["reconnects"] >= 1, n
# As root the master drops every capability after its setup, and the
# kernel tracers follow its tree (local coordinators and their workers).
import os
if os.geteuid() == 0:
    assert r["privileges"] and r["privileges"]["master_caps"] == "none", r["privileges"]
    k = r["kernel"]
    if os.path.exists("/sys/kernel/btf/vmlinux"):
        assert k["enabled"], k
        assert k["spawn"]["forks"] >= 12 and k["spawn"]["execs"] >= 12, k["spawn"]
print("ok: server kill -9 + restart: 300/300 once;", n["duplicate_results"],
      "duplicate results dropped,", n["redelivered_tasks"], "tasks redelivered")
PY

# --- 3b. --user: coordinators and workers run as nobody ---------------------
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	# nobody must reach the binary, its buses' base and the log dir.
	chmod 0711 "$tmp"
	mkdir -m 0755 "$tmp/ubin" && cp "$S" "$(dirname "$S")/swarm-core" "$tmp/ubin/"
	mkdir -m 1777 "$tmp/ushm"
	printf 'a\nb\nc\nd\n' > "$tmp/tasks3b"
	SWARM_SHM=$tmp/ushm "$tmp/ubin/swarm" run --bus "$NATS_URL" --coordinators 2 \
		--workers 2 --user nobody --tasks "$tmp/tasks3b" --task-stdin --timeout 60 \
		--json --results "$tmp/res3b" --no-trace -- \
		sh -c 'echo "$(id -u) $(ps -o user= -p $PPID) $(cat)"' \
		>"$tmp/run3b.json" 2>"$tmp/run3b.err" || fail "--user over NATS: exit $?"
	python3 - "$tmp/run3b.json" "$tmp/res3b" <<'PY' || fail "report check (--user)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["delivered"] == 4, r
assert r["privileges"]["user"] == "nobody", r["privileges"]
assert r["privileges"]["master_caps"] == "kill, setgid, setuid", r["privileges"]
res = [json.loads(l) for l in open(sys.argv[2])]
assert sorted(x["output"] for x in res) == ["65534 nobody %s\n" % t for t in "abcd"], res
PY
	[ -z "$(ls -A "$tmp/ushm")" ] || fail "--user over NATS: buses left: $(ls -A "$tmp/ushm")"
	echo "ok: --user over NATS: workers and coordinators ran as nobody"
fi

# --- 4. server gone past --timeout ------------------------------------------
export MARKS=$tmp/marks4 AGENT_SLEEP=0.05
seq 1 200 > "$tmp/tasks4"
start=$(date +%s)
"$S" run --topology hybrid --bus "$NATS_URL" --swarm gone --coordinators 2 --workers 2 \
	--tasks "$tmp/tasks4" --timeout 6 --json --logs "$tmp/logs4" \
	-- "$tmp/agent.sh" {} >"$tmp/run4.json" 2>"$tmp/run4.err" &
master=$!; pids+=($master)
# A coordinator joined by hand (its own bus root): once the server is
# gone, its NATS calls block for seconds, yet SIGTERM must free its bus
# at once (it did only after ~9 s, when those calls gave up).
mkdir -m 700 "$tmp/shm-j4"
SWARM_SHM=$tmp/shm-j4 "$S" coordinator --join "$NATS_URL" --swarm gone --name j4 --workers 1 \
	--logs "$tmp/j4logs" -- "$tmp/agent.sh" {} >"$tmp/j4.err" 2>&1 &
j4=$!; pids+=($j4)
wait_lines "$MARKS" . 10 30 || fail "no task started"
for i in $(seq 600); do [ -n "$(ls -A "$tmp/shm-j4")" ] && break; sleep 0.05; done
[ -n "$(ls -A "$tmp/shm-j4")" ] || fail "j4 made no bus"
nats_kill9
wait "$master"; rc=$?
[ $rc -eq 124 ] || fail "server gone: exit $rc, want 124"
[ $(( $(date +%s) - start )) -le 30 ] || fail "server gone: took too long"
kill -0 "$j4" 2>/dev/null || fail "j4 ended before its SIGTERM"
t0=$(date +%s%N)
kill -TERM "$j4"
for i in $(seq 80); do [ -z "$(ls -A "$tmp/shm-j4")" ] && break; sleep 0.05; done
[ -z "$(ls -A "$tmp/shm-j4")" ] || fail "j4 kept its bus 4 s after SIGTERM with the server gone"
echo "ok: j4 freed its bus $(( ($(date +%s%N) - t0) / 1000000 )) ms after SIGTERM"
kill -9 "$j4" 2>/dev/null; wait "$j4" 2>/dev/null
sleep 0.5
pgrep -f "$tmp/agent.sh" >/dev/null && fail "agents left running after the timeout"
pgrep -f -- "--logs $tmp/logs4" >/dev/null && fail "coordinators left running after the timeout"
no_bus_left "server gone"
python3 - "$tmp/run4.json" <<'PY' || fail "report check (server gone)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["timed_out"] is True and r["delivered"] < 200, r
missing = [f for f in r["failures"] if "before the timeout" in f["reason"]]
# As on one host, a task without an outcome at the timeout is a failure.
assert r["delivered"] + r["failed"] == 200, (r["delivered"], r["failed"])
assert missing and len(missing) == len([f for f in r["failures"] if f["status"] == "timeout"]), len(missing)
assert len(missing) == 200 - r["delivered"] - len([f for f in r["failures"] if f["status"] != "timeout"]), (len(missing), r["delivered"], r["failed"])
assert all(f["task"] for f in missing)
print("ok: server gone: exit 124,", r["delivered"], "delivered,", len(missing), "named as missing")
PY

# --- 5. join late, leave early ---------------------------------------------
nats_start "$tmp" "$NATS_PORT" || fail "server start"
cat > "$tmp/agent5.sh" <<'AGENT'
#!/bin/sh
echo "$SWARM_PARENT $1" >> "$MARKS"
sleep 0.1
echo "done $1"
AGENT
chmod +x "$tmp/agent5.sh"
export MARKS=$tmp/marks5
seq 1 80 > "$tmp/tasks5"
start=$(date +%s)
"$S" run --topology hybrid --bus "$NATS_URL" --swarm late --coordinators 1 --workers 2 \
	--ack-wait 30 --tasks "$tmp/tasks5" --timeout 60 --json --logs "$tmp/logs5" \
	-- "$tmp/agent5.sh" {} >"$tmp/run5.json" 2>"$tmp/run5.err" &
master=$!; pids+=($master)
wait_lines "$MARKS" '^c1 ' 2 20 || fail "c1 did not start"
"$S" coordinator --join "$NATS_URL" --swarm late --name j1 --workers 4 --logs "$tmp/logs5j" \
	-- "$tmp/agent5.sh" {} >"$tmp/j1.err" 2>&1 &
j1=$!; pids+=($j1)
wait_lines "$MARKS" '^j1 ' 6 20 || fail "the late coordinator did no work"
kill -TERM "$j1"
wait "$j1"; rc=$?
[ $rc -eq 143 ] || fail "j1 exit $rc after SIGTERM, want 143"
wait "$master"; rc=$?
[ $rc -eq 0 ] || fail "run exit $rc after a coordinator left"
no_bus_left "join late, leave early"
[ $(( $(date +%s) - start )) -lt 25 ] || fail "tasks of the leaver waited for AckWait (30 s)"
python3 - "$tmp/run5.json" <<'PY' || fail "report check (leave early)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["expected"] == 80 and r["delivered"] == 80 and r["failed"] == 0, r
n = r["nats"]
handed = [x for x in n["redeliveries"] if "@j1" in x["history"]]
assert handed, n["redeliveries"]
print("ok: join late, leave early: 80/80;", len(handed), "tasks handed back by j1, e.g.", handed[0])
PY

# --- 6. an empty --tasks file: an empty run, as on one host -----------------
: > "$tmp/empty.tasks"
for bus in nats local; do
	if [ $bus = nats ]; then set -- --bus "$NATS_URL" --coordinators 2 --workers 2
	else set -- --topology hybrid --coordinators 2 --workers 2; fi
	out=$(timeout 60 "$S" run "$@" --tasks "$tmp/empty.tasks" --json -- "$S" demo-agent \
		2> "$tmp/empty-$bus.err" | tail -n 1); rc=$?
	[ $rc -eq 0 ] || fail "empty tasks ($bus): exit $rc"
	printf '%s\n' "$out" | jq -e '.expected == 0 and .delivered == 0 and .exit_code == 0' \
		>/dev/null || fail "empty tasks ($bus): report $out"
done
no_bus_left "empty tasks"
echo "ok: an empty task file is an empty run under NATS as on one host"

# --- 7. a bad task file: the same line and exit code under NATS -----------
# One table (setup_step.c) and one formatter (tasks_load_error) serve both
# masters: the messages must not drift apart again. (The command is not
# checked by a NATS master: it runs on the hosts that join.)
head -c 300000 /dev/zero | tr '\0' x > "$tmp/long.tasks"; echo >> "$tmp/long.tasks"
printf 'a\0b\n' > "$tmp/nul.tasks"
same() { # label, then the run arguments after the bus choice
	local label=$1 bus rc line want_line want_rc; shift
	for bus in local nats; do
		if [ $bus = local ]; then
			timeout 60 "$S" run --coordinators 2 --workers 2 --timeout 30 "$@" \
				> /dev/null 2> "$tmp/same.err"
		else
			timeout 60 "$S" run --bus "$NATS_URL" --coordinators 2 --workers 2 \
				--timeout 30 "$@" > /dev/null 2> "$tmp/same.err"
		fi
		rc=$? line=$(tail -n 1 "$tmp/same.err")
		if [ $bus = local ]; then want_line=$line want_rc=$rc; continue; fi
		[ "$rc" = "$want_rc" ] || fail "$label: exit $rc under NATS, $want_rc on one host"
		[ "$line" = "$want_line" ] || fail "$label: '$line' under NATS, '$want_line' on one host"
	done
	[ "$want_rc" = 2 ] || fail "$label: exit $want_rc, want 2 (usage)"
	echo "ok: $label: '$want_line', exit $want_rc, under NATS as on one host"
}
same "too long a task" --topology hybrid --tasks "$tmp/long.tasks" -- "$S" demo-agent
same "a NUL in a task" --topology hybrid --tasks "$tmp/nul.tasks" -- "$S" demo-agent
same "no such task file" --topology hybrid --tasks "$tmp/none.tasks" -- "$S" demo-agent
no_bus_left "bad task files"
