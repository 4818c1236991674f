#!/usr/bin/env bash
# A worker that exits 1 without answering is reported failed at once (well
# before the timeout), with its exit status; one that answers MSG_FAIL is
# reported as the agent's own failure; the others still deliver.
set -u
. "$(dirname "$0")/lib/run_common.bash"

LAST=$TMP/exit.json
start=$(date +%s%N)
$S run -n 10 --timeout 60 --json --logs "$TMP/l1" -- "$S" demo-agent --only w3 --exit 1 > "$LAST"
rc=$?
end=$(date +%s%N)
[ $rc -eq 1 ] || fail "exit code $rc, want 1 (job failed)"
check_fields "$LAST"
[ "$(jget "$LAST" 'd["delivered"]')" = 9 ] || fail "9 delivered"
[ "$(jget "$LAST" 'd["failed"]')" = 1 ] || fail "1 failed"
[ "$(jget "$LAST" 'd["failures"][0]["agent"]')" = w3 ] || fail "failed agent"
[ "$(jget "$LAST" 'd["failures"][0]["exit_status"]')" = 1 ] || fail "exit status"
[ "$(jget "$LAST" 'd["failures"][0]["task"]')" = 3 ] || fail "task"
jget "$LAST" 'd["failures"][0]["reason"]' | grep -q "without answering" || fail "reason"
[ "$(jget "$LAST" 'd["timed_out"]')" = False ] || fail "timed out"
# Seen at once: far less than the 60 s timeout (generous bound, busy host).
[ $(( (end - start) / 1000000000 )) -lt 20 ] || fail "took $(( (end - start) / 1000000000 )) s"
check_clean "$LAST"

# Killed by a signal: the report says which.
LAST=$TMP/kill.json
$S run -n 4 --timeout 60 --json --logs "$TMP/l2" -- sh -c \
	'if [ "$SWARM_AGENT" = w2 ]; then kill -9 $$; fi; exec "$0" demo-agent' "$S" > "$LAST"
[ $? -eq 1 ] || fail "signal: exit code"
[ "$(jget "$LAST" 'd["failures"][0]["exit_status"]')" = -9 ] || fail "signal exit status"
jget "$LAST" 'd["failures"][0]["reason"]' | grep -q "signal 9" || fail "signal reason"

# MSG_FAIL from the agent.
LAST=$TMP/fail.json
$S run -n 5 --json --logs "$TMP/l3" -- "$S" demo-agent --only w5 --fail > "$LAST"
[ $? -eq 1 ] || fail "fail: exit code"
[ "$(jget "$LAST" 'd["failures"][0]["agent"]')" = w5 ] || fail "fail agent"
jget "$LAST" 'd["failures"][0]["reason"]' | grep -q "agent reported failure" || fail "fail reason"

# Hybrid: the coordinator reports its worker's exit at once, with the status.
LAST=$TMP/hy.json
start=$(date +%s%N)
$S run --coordinators 2 --workers 3 --timeout 60 --json --logs "$TMP/l4" -- \
	"$S" demo-agent --only c2-w1 --exit 3 > "$LAST"
[ $? -eq 1 ] || fail "hybrid exit: exit code"
end=$(date +%s%N)
[ "$(jget "$LAST" 'd["delivered"]')" = 5 ] || fail "hybrid exit: 5 delivered"
[ "$(jget "$LAST" 'd["failures"][0]["agent"]')" = c2-w1 ] || fail "hybrid exit: agent"
[ "$(jget "$LAST" 'd["failures"][0]["exit_status"]')" = 3 ] || fail "hybrid exit: status"
[ $(( (end - start) / 1000000000 )) -lt 20 ] || fail "hybrid exit: not seen at once"
check_clean "$LAST"
echo ok
