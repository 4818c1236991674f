#!/usr/bin/env bash
# A worker that stays alive but silent past --heartbeat is reported hung and
# killed at the timeout (exit 124); a slow worker that sends heartbeats is not.
# Robust to a loaded host: the timeout leaves the healthy agents ample time
# (they answer in milliseconds on an idle host; 5 s is ten heartbeats,
# and a run with a hung agent always lasts its whole timeout, so no
# longer), the hung agent is found by name, not by its place in the
# list, and leftovers are looked for by this test's own paths only.
set -u
. "$(dirname "$0")/lib/run_common.bash"

LAST=$TMP/hung.json
$S run -n 5 --timeout 5 --heartbeat 0.5 --json --logs "$TMP/l1" -- \
	"$S" demo-agent --only w2 --hang > "$LAST"
rc=$?
[ $rc -eq 124 ] || fail "exit code $rc, want 124"
[ "$(jget "$LAST" 'd["delivered"]')" = 4 ] || fail "4 delivered"
[ "$(jget "$LAST" 'd["timed_out"]')" = True ] || fail "timed_out"
[ "$(jget "$LAST" '[(f["agent"], f["status"]) for f in d["failures"]]')" = "[('w2', 'hung')]" ] ||
	fail "want exactly w2 failed as hung"
check_clean "$LAST"
# Built-in agents are forks of the master: their command line is its own.
pgrep -f -- "--logs $TMP/l1" >/dev/null && fail "hung agent still running"

# Slow but alive: heartbeats every 0.2 s for 2 s of work, heartbeat 1 s.
LAST=$TMP/slow.json
$S run -n 3 --timeout 30 --heartbeat 1 --json --logs "$TMP/l2" -- \
	"$S" demo-agent --sleep 2 --heartbeat 0.2 > "$LAST"
[ $? -eq 0 ] || fail "slow agents with heartbeats"
[ "$(jget "$LAST" 'd["delivered"]')" = 3 ] || fail "slow delivered"

# Hybrid: the coordinator flags its hung worker to the master.
LAST=$TMP/hh.json
$S run --coordinators 2 --workers 2 --timeout 5 --heartbeat 0.5 --json \
	--logs "$TMP/l3" -- "$S" demo-agent --only c1-w2 --hang > "$LAST"
[ $? -eq 124 ] || fail "hybrid hung: exit code"
[ "$(jget "$LAST" 'd["delivered"]')" = 3 ] || fail "hybrid hung: 3 delivered"
[ "$(jget "$LAST" '[f["status"] for f in d["failures"]]')" = "['hung']" ] ||
	fail "hybrid: want exactly one failure, hung"
check_clean "$LAST"
pgrep -f -- "--logs $TMP/l3" >/dev/null && fail "hybrid: processes left running"
echo ok
