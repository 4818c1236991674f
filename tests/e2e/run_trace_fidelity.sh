#!/usr/bin/env bash
# Kernel signals against known truth, in a real traced run.
# fd: 8 agents each open 60 fds on one file and 5 pipes, answer, then exec
# their last command (`exec sleep`): all 8 are suspects after they exited,
# by agent name, with exactly 60 fds held on that file (the ground truth
# the agent made), 5+ pipes, 2 execs (bash, sleep) and the file's path.
# The fd table survives exec, and so does the count.
# spawn: every one of those execs is counted (8 x 2, plus the shells'
# `recv`/`send` children), and an agent's orphaned grandchild is still
# the agent's.
set -u
. "$(dirname "$0")/lib/run_trace.bash"

F=$TMP/held
echo x > "$F"
traced_run "$TMP/f.json" -n 8 -- bash -c '
	read -r t < <("$1" recv --wait 20 --count 1)
	for i in $(seq 60); do exec {f}<"$0"; done
	for i in $(seq 5); do exec {p}< <(:); done
	"$1" send --to "$SWARM_PARENT" "ok $t"
	exec sleep 0.3' "$F" "$S" || fail "run exit $?"
jq -e '.delivered == 8' "$TMP/f.json" >/dev/null || fail "not all delivered"
jq -e --arg f "$F" '[.kernel.fd.suspects[] | select(
		(.agent | test("^w[1-8]$")) and .exited and .execs == 2 and .growth >= 60
		and .holds[0].path == $f and .holds[0].fds == 60 and .holds[0].kind == "file"
		and .kinds.pipe >= 5)] | length == 8' "$TMP/f.json" >/dev/null ||
	fail "not 8 suspects holding 60 fds on $F: $(jq -c '.kernel.fd.suspects' "$TMP/f.json")"
jq -e '.kernel.spawn.execs >= 16 and .kernel.spawn.exec_chains >= 8' "$TMP/f.json" >/dev/null ||
	fail "execs not counted: $(jq -c '.kernel.spawn' "$TMP/f.json")"

# an orphan: the agent's subshell starts a bash and exits at once, so that
# bash is re-parented out of the tree's shape; it leaks 30 fds and execs
# sleep. Its agent is still w1.
traced_run "$TMP/o.json" -n 1 -- bash -c '
	( bash -c '\''sleep 0.2; for i in $(seq 30); do exec {f}<"$0"; done; exec sleep 0.5'\'' "$0" & )
	"$1" send --to "$SWARM_PARENT" "$("$1" recv --wait 20 --count 1)"
	sleep 1' "$F" "$S" || fail "orphan run exit $?"
jq -e --arg f "$F" '[.kernel.fd.suspects[] | select(.agent == "w1" and .holds[0].path == $f
		and .holds[0].fds == 30)] | length == 1' "$TMP/o.json" >/dev/null ||
	fail "orphan not attributed to w1: $(jq -c '.kernel.fd.suspects' "$TMP/o.json")"
jq -e '.kernel.spawn.orphans >= 1' "$TMP/o.json" >/dev/null ||
	fail "no orphan counted: $(jq -c '.kernel.spawn' "$TMP/o.json")"
echo "ok: fd leaks across exec, execs and orphans as the workload made them"
