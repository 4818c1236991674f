#!/usr/bin/env bash
# A hybrid coordinator (1 x 1, one task) SIGKILLs itself (SWARM_FAULT) at
# each bookkeeping step; the outcome is exactly determined: who delivers the
# result, whether it is a discarded copy, whether a replacement ran. The
# random version of this is the coordinator part of tests/fault/campaign.sh.
set -u
. "$(dirname "$0")/lib/run_common.bash"
FA=${SWARM_BUILD:-build}/tests/fault_agent
[ -x "$FA" ] || FA=build/tests/fault_agent

# run_fault FAULT TAG [TASKS]: tasks (default 1) through c1 and its one
# worker; report in $TMP/TAG.json
run_fault() {
	local n=${3:-1}
	LAST=$TMP/$2.json
	seq -f "job-$2-%g" "$n" > "$TMP/tasks"
	SWARM_FAULT=$1 $S run --coordinators 1 --workers 1 --tasks "$TMP/tasks" --keep \
		--results "$TMP/$2.res" --logs "$TMP/$2.logs" --timeout 30 --json --no-trace \
		-- "$S" demo-agent --rounds 1 > "$LAST" 2> "$TMP/$2.err"
	rc=$?
	[ $rc -eq 0 ] || fail "$1: exit $rc"
	[ "$(jget "$LAST" 'd["delivered"]')" = "$n" ] || fail "$1: not delivered"
	grep -q "fault injection: SIGKILL at ${1%%:*}" "$TMP/$2.logs"/c1.log || fail "$1: no kill"
	[ "$(wc -l < "$TMP/$2.res")" = "$n" ] || fail "$1: not one result row per task"
	bus=$(jget "$LAST" 'd["bus_dir"]')
	state=$("$FA" inspect "$bus" master) || fail "$1: inspect"
	case $state in "writer_pid=0 reader_pid=0 depth=0 "*) ;; *) fail "$1: master inbox left $state";; esac
	$S destroy --dir "$bus" || fail "$1: destroy"
}
agent() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["agent"])' "$1"; }

# Answer read, not forwarded: salvaged from c1's inbox, no replacement.
run_fault coord-result:1:c1 result
[ "$(jget "$LAST" 'd["coordinator_restarts"]')" = 0 ] || fail "result: replaced"
[ "$(jget "$LAST" 'd["duplicates"]')" = 0 ] || fail "result: duplicate"
[ "$(agent "$TMP/result.res")" = c1-w1 ] || fail "result: agent"

# Forwarded, not committed: nothing open, so nothing salvaged or redone...
run_fault coord-forward:1:c1 forward
[ "$(jget "$LAST" 'd["duplicates"]')" = 0 ] || fail "forward: duplicate"
[ "$(jget "$LAST" 'd["coordinator_restarts"]')" = 0 ] || fail "forward: replaced"
# ...but with a second task open the salvage reads the copy: discarded.
run_fault coord-forward:1:c1 forward2 2
[ "$(jget "$LAST" 'd["duplicates"]')" = 1 ] || fail "forward2: the copy not counted as duplicate"
[ "$(jget "$LAST" 'd["coordinator_restarts"]')" = 1 ] || fail "forward2: no replacement"

# Journaled, never sent: the replacement runs it.
run_fault coord-journal:1:c1 journal
[ "$(jget "$LAST" 'd["coordinator_restarts"]')" = 1 ] || fail "journal: no replacement"
[ "$(agent "$TMP/journal.res")" = c1r1-w1 ] || fail "journal: run by $(agent "$TMP/journal.res")"

# Result frame written into the master's inbox but not published (send #2
# of c1: #1 is the task to w1): the master adopts the frame itself (before
# the fix its intent record stayed in the master's inbox).
run_fault send-write:2:c1 sendwrite
[ "$(jget "$LAST" 'd["coordinator_restarts"]')" = 0 ] || fail "send-write: replaced"
echo ok
