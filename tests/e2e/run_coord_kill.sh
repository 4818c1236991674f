#!/usr/bin/env bash
# A hybrid coordinator killed with SIGKILL mid-run: the master sees it at
# once, salvages the results already in its inbox, replaces it, and every
# task is still delivered exactly once.
set -u
. "$(dirname "$0")/lib/run_common.bash"

# coord_pid MASTER NAME: the coordinator child of MASTER named NAME.
coord_pid() {   # no forks per child: a loaded host must not make us miss it
	local p a i
	for p in $(pgrep -P "$1"); do
		mapfile -d '' a < /proc/$p/cmdline 2>/dev/null || continue
		for ((i = 0; i + 1 < ${#a[@]}; i++)); do
			[ "${a[i]}" = --name ] && [ "${a[i+1]}" = "$2" ] && { echo $p; return; }
		done
	done
}

wait_coord() {
	local i p
	for i in $(seq 100); do
		p=$(coord_pid "$1" "$2")
		[ -n "$p" ] && { echo "$p"; return; }
		sleep 0.05
	done
}

# 1. Plain kill mid-run.
LAST=$TMP/k.json
$S run --coordinators 4 --workers 10 --timeout 60 --json --results "$TMP/res1" \
	--logs "$TMP/l1" -- "$S" demo-agent --sleep 2 > "$LAST" &
master=$!
c2=$(wait_coord $master c2)
[ -n "$c2" ] || fail "no coordinator c2"
sleep 0.3
kill -9 "$c2"
wait $master
rc=$?
[ $rc -eq 0 ] || fail "exit code $rc after coordinator kill"
[ "$(jget "$LAST" 'd["delivered"]')" = 40 ] || fail "not all delivered"
[ "$(jget "$LAST" 'd["coordinator_restarts"]')" -ge 1 ] || fail "no replacement"
python3 - "$TMP/res1" <<'PY' || fail "each task once"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ids = sorted(r["task"] for r in rows)
assert ids == list(range(1, 41)), ids
PY
check_clean "$LAST"

# 2. Results that reached the coordinator but were never forwarded: freeze
# it, let its workers answer into its inbox, then kill it. Those answers
# must be counted (salvaged, agent c2-wN) and not run again.
LAST=$TMP/s.json
# Workers answer only once $TMP/go exists, i.e. after c2 is frozen.
$S run --coordinators 2 --workers 5 --timeout 60 --json --results "$TMP/res2" \
	--logs "$TMP/l2" -- sh -c 'while [ ! -e "$1" ]; do sleep 0.05; done; exec "$0" demo-agent' \
	"$S" "$TMP/go" > "$LAST" &
master=$!
c2=$(wait_coord $master c2)
[ -n "$c2" ] || fail "no coordinator c2 (2)"
# wait until its 5 workers exist, then freeze it
for i in $(seq 100); do [ "$(pgrep -P "$c2" | wc -l)" -ge 5 ] && break; sleep 0.05; done
kill -STOP "$c2"
touch "$TMP/go"
# until c2's 5 answers sit unread in its inbox (c1's are forwarded as usual)
bus=$(dirname "$(grep -lx "$master" /dev/shm/swarm-*/master.pid 2>/dev/null | head -n 1)")
for i in $(seq 400); do
	$S ls --dir "$bus" --json > "$TMP/ls" 2>/dev/null &&
		[ "$(jget "$TMP/ls" '[x["msgs_in"] - x["msgs_out"] for x in d["inboxes"] if x["name"] == "c2"][0]')" -ge 5 ] &&
		break
	sleep 0.05
done
kill -9 "$c2"
wait $master
rc=$?
[ $rc -eq 0 ] || fail "salvage: exit code $rc"
[ "$(jget "$LAST" 'd["delivered"]')" = 10 ] || fail "salvage: not all delivered"
[ "$(jget "$LAST" 'd["duplicates"]')" = 0 ] || fail "salvage: duplicates"
python3 - "$TMP/res2" <<'PY' || fail "salvaged results"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert sorted(r["task"] for r in rows) == list(range(1, 11))
salvaged = [r for r in rows if r["agent"].startswith("c2-w")]
rerun = [r for r in rows if r["agent"].startswith("c2r")]
assert len(salvaged) == 5 and not rerun, rows
PY
check_clean "$LAST"

# 3. A coordinator slot that keeps dying (its workers kill it) is replaced
# at most 3 times; then its tasks are reported lost, the rest delivered.
LAST=$TMP/l.json
timeout 60 $S run --coordinators 2 --workers 2 --timeout 30 --json --logs "$TMP/l3" -- sh -c \
	'if [ "${SWARM_AGENT%%-*}" != c1 ]; then kill -9 $PPID; sleep 5; fi; exec "$0" demo-agent' \
	"$S" > "$LAST" 2> "$TMP/err3"
[ $? -eq 1 ] || fail "lost tasks: exit code"
[ "$(jget "$LAST" 'd["delivered"]')" = 2 ] || fail "c1's tasks delivered"
[ "$(jget "$LAST" 'd["coordinator_restarts"]')" = 3 ] || fail "3 replacements"
[ "$(jget "$LAST" 'sum(1 for f in d["failures"] if f["status"] == "lost" and f["task"])')" = 2 ] \
	|| fail "2 lost tasks reported"
[ "$(grep -c 'replacing it' "$TMP/err3")" = 3 ] || fail "stderr notes"
check_clean "$LAST"
echo ok
