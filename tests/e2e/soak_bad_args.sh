#!/usr/bin/env bash
# swarm soak: bad arguments are one clear line and exit 2; an unwritable
# sample log is an environment error (3).
set -u
. "$(dirname "$0")/lib/run_common.bash"

expect() {
	local want=$1 rc; shift
	"$S" soak "$@" > /dev/null 2> "$TMP/err"
	rc=$?
	[ $rc -eq "$want" ] || { cat "$TMP/err"; fail "'soak $*': exit $rc, want $want"; }
	[ "$(wc -l < "$TMP/err")" -eq 1 ] || { cat "$TMP/err"; fail "'soak $*': want one line on stderr"; }
	grep -q '^swarm: soak: ' "$TMP/err" || { cat "$TMP/err"; fail "'soak $*': message prefix"; }
}
expect 2
expect 2 -- true
expect 2 --duration 5s
expect 2 --duration soon -- true
expect 2 --duration 0 -- true
expect 2 --duration 5s --interval 10s -- true
expect 2 --duration 5s --interval -1 -- true
expect 2 --duration 5s -n 0 -- true
expect 2 --duration 5s --bogus -- true
expect 2 --duration 5s --topology star -- true
expect 2 --duration 5s --coordinators 2 -- true
expect 2 --duration 5s --tasks - -- true
expect 2 --duration 5s --task-stdin -- cat
expect 2 --duration 5s --metrics-listen 192.0.2.1:9 -- true
expect 2 --duration 5s -- /nonexistent/agent-command
expect 3 --duration 5s --samples /nonexistent/dir/s.jsonl -- true
"$S" soak --help | grep -q '^EXIT CODES: 0 pass, 1 critical' || fail "--help exit codes"
echo "bad arguments refused"
