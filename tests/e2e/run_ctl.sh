#!/usr/bin/env bash
# swarm status / pause / resume on a running swarm.
set -u
. "$(dirname "$0")/lib/run_common.bash"

bus_of() {
	local f
	for f in /dev/shm/swarm-*/master.pid; do
		[ "$(cat "$f" 2>/dev/null)" = "$1" ] && { dirname "$f"; return; }
	done
}

# Long enough (24 x 0.5 s over 3 agents: 4 s) that a loaded host still
# finds it running when it asks.
seq 1 24 > "$TMP/tasks"
LAST=$TMP/c.json
"$S" run -n 3 --tasks "$TMP/tasks" --timeout 60 --heartbeat 0.5 --json --logs "$TMP/l" -- \
	"$S" demo-agent --sleep 0.5 > "$LAST" &
master=$!
# Waits are on conditions, with bounds generous enough for a loaded host.
for i in $(seq 600); do bus=$(bus_of $master); [ -n "$bus" ] && break; sleep 0.05; done
[ -n "$bus" ] || fail "no bus"
for i in $(seq 600); do
	"$S" status --dir "$bus" --json > "$TMP/stj" 2>/dev/null &&
		[ "$(jget "$TMP/stj" 'len([a for a in d["agents"] if a["pid"]])')" = 3 ] && break
	sleep 0.05
done

# By its ID, as the agents see it in SWARM_ID, under $SWARM_SHM.
id=${bus##*/swarm-}
SWARM_SHM=${bus%/*} "$S" status "$id" > "$TMP/st" || fail "status ID"
grep -q "pid $master, flat" "$TMP/st" || { cat "$TMP/st"; fail "status header"; }
[ "$(grep -cE '^w[123] ' "$TMP/st")" = 3 ] || { cat "$TMP/st"; fail "status lists agents"; }
"$S" status --dir "$bus" --json > "$TMP/stj" || fail "status json"
[ "$(jget "$TMP/stj" 'len(d["agents"])')" = 3 ] || fail "status json agents"

"$S" pause --dir "$bus" | grep -q paused || fail "pause"
pids=$(jget "$TMP/stj" '" ".join(str(a["pid"]) for a in d["agents"] if a["pid"])')
paused() {  # frozen (cgroup freezer) or stopped (SIGSTOP fallback)
	local st cg fz
	st=$(awk '/^State:/ {print $2}' /proc/$1/status 2>/dev/null)
	cg=$(sed -n 's/^0:://p' /proc/$1/cgroup 2>/dev/null)
	fz=$(cat /sys/fs/cgroup/unified$cg/cgroup.events /sys/fs/cgroup$cg/cgroup.events \
		2>/dev/null | awk '/^frozen/ {print $2}' | head -n 1)
	[ "$st" = T ] || [ "$fz" = 1 ]
}
for p in $pids; do
	for i in $(seq 600); do paused $p && break; sleep 0.05; done
	paused $p || fail "agent $p not paused"
done
done_paused=$(SWARM_DIR=$bus "$S" status --json > "$TMP/p1" && jget "$TMP/p1" 'd["done"]')
sleep 1.2   # > heartbeat: a paused swarm must not be reported hung
done_paused2=$("$S" status --dir "$bus" --json > "$TMP/p2" && jget "$TMP/p2" 'd["done"]')
[ "$done_paused" = "$done_paused2" ] || fail "progress while paused ($done_paused -> $done_paused2)"
[ "$(jget "$TMP/p2" 'd["paused"]')" = True ] || fail "status says paused"
"$S" status "$id" --dir "$bus" 2> "$TMP/err"; [ $? -eq 2 ] || fail "ID and --dir: not exit 2"
grep -q "either --dir DIR or an ID" "$TMP/err" || fail "ID and --dir: message"
"$S" status ../x 2> "$TMP/err"; [ $? -eq 2 ] || fail "path as ID: not exit 2"
grep -q "is not a swarm ID" "$TMP/err" || fail "path as ID: message"
SWARM_SHM=${bus%/*} "$S" resume "swarm-$id" | grep -q resumed || fail "resume swarm-ID"
wait $master
rc=$?
[ $rc -eq 0 ] || fail "run after resume: exit $rc"
[ "$(jget "$LAST" 'd["delivered"]')" = 24 ] || fail "delivered after resume"
[ "$(jget "$LAST" 'd["failures"]')" = "[]" ] || fail "hung reported for a paused swarm"
"$S" status --dir "$bus" 2>/dev/null; [ $? -ne 0 ] || fail "status after the run"
echo ok
