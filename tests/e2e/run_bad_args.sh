#!/usr/bin/env bash
# Bad arguments: one clear line on stderr, exit code 2, nothing started.
set -u
. "$(dirname "$0")/lib/run_common.bash"

# A private bus base: other swarms on the host must not change the count.
export SWARM_SHM=$TMP/shm
mkdir -p "$SWARM_SHM"
before=$(ls "$SWARM_SHM" | grep -c '^swarm-' || true)
expect_usage() {
	local err=$TMP/err rc
	"$S" run "$@" > /dev/null 2> "$err"
	rc=$?
	[ $rc -eq 2 ] || fail "'run $*': exit $rc, want 2"
	[ "$(wc -l < "$err")" -eq 1 ] || { cat "$err"; fail "'run $*': want one line on stderr"; }
	grep -q '^swarm: run: ' "$err" || { cat "$err"; fail "'run $*': message prefix"; }
}
expect_usage
expect_usage -n 3
expect_usage -n 0 -- true
expect_usage -n -4 -- true
expect_usage -n abc -- true
expect_usage -n 1000000 -- true
expect_usage --topology star -- true
expect_usage --topology flat --coordinators 2 --workers 2 -- true
expect_usage --coordinators 2 -- true
expect_usage --topology hybrid -n 4 -- true
expect_usage --timeout soon -- true
expect_usage --timeout 0 -- true
expect_usage --heartbeat -1 -- true
expect_usage --bogus -- true
expect_usage --task-stdin -- cat
expect_usage --tasks /nonexistent/tasks -- true
expect_usage -n 2 -- /nonexistent/agent
expect_usage -n 2 -- no-such-command-swarm-test
printf 'a\0b\n' > "$TMP/nul"
expect_usage --tasks "$TMP/nul" -- echo {}
# Plain commands (GNU parallel options)
expect_usage --halt sometimes -- true ::: a
expect_usage --retries 0 -- true ::: a
expect_usage -j x -- true ::: a
expect_usage -n 2 -j 2 -- true ::: a
expect_usage --coordinators 2 --workers 2 -j 2 -- true {} ::: a
expect_usage --json -k -- true ::: a
expect_usage --resume -- true ::: a
expect_usage --colsep '(' -- true ::: a
expect_usage --task-timeout 0 -- true ::: a
expect_usage -- true :::
expect_usage -- ::: a
expect_usage -- echo {} < /dev/null
after=$(ls "$SWARM_SHM" | grep -c '^swarm-' || true)
[ "$after" -le "$before" ] || fail "bad arguments created a bus"
"$S" run --help | grep -q '^USAGE: swarm run' || fail "--help"
"$S" coordinator --name 'bad name' --dir /x --workers 1 --logs /tmp -- true 2>/dev/null
[ $? -eq 2 ] || fail "coordinator bad name"
"$S" status 2>/dev/null; [ $? -eq 2 ] || fail "status without --dir"
"$S" pause --dir "$TMP" 2>/dev/null; rc=$?; [ $rc -eq 3 ] || fail "pause on a non-bus: exit $rc"
echo ok
