#!/usr/bin/env bash
# FD leak: a process (started before swarm-trace attached) opens a file 100
# times without closing. `swarm-trace fd` must name that pid, its growth and
# the file it holds.
. "$(dirname "$0")/trace_lib.bash"

f=/dev/shm/swarm-trace-test-$$-leak
start_workload leak "$f" 100 5
child=$(pgrep -P "$WLPID")
[ -n "$child" ] || fail "no leaking child"
start_trace fd -p "$WLPID" -d 2 --json
go
wait_trace
b=$(last_block)
s=$(echo "$b" | jq -c --argjson p "$child" '.kernel.fd.suspects[] | select(.pid == $p)')
[ -n "$s" ] || fail "pid $child not a suspect: $b"
echo "$s"
# it ran before swarm-trace came: its baseline is unknown (stdio, 3), so
# growth counts its other fds too; what it holds is exact
[ "$(echo "$s" | jq -r .baseline)" = unknown ] || fail "baseline not unknown"
[ "$(echo "$s" | jq .growth)" -ge 100 ] || fail "growth below 100"
[ "$(echo "$s" | jq -r '.holds[0].path')" = "$f" ] || fail "top held file is not $f"
[ "$(echo "$s" | jq '.holds[0].fds')" -eq 100 ] || fail "not 100 fds on $f"
[ "$(echo "$s" | jq -r '.oldest[0].path')" = "$f" ] || fail "oldest fd is not on $f"
proc=$(echo "$b" | jq -c --argjson p "$child" '.kernel.fd.processes[] | select(.pid == $p)')
[ "$(echo "$proc" | jq .fds_now)" -ge 100 ] || fail "fds_now < 100: $proc"

# the text form names them too
kill -KILL "$child" "$WLPID"; wait "$WLPID" 2>/dev/null
start_workload leak "$f-2" 50 5
child=$(pgrep -P "$WLPID")
start_trace fd -p "$WLPID" -d 2
go
wait_trace
grep -q "suspect: pid $child (trace_workload) holds [0-9]* fds over its unknown baseline" "$tmp/trace.out" ||
	fail "text output lacks the suspect: $(cat "$tmp/trace.out")"
grep -qE " 50 x file +$f-2 " "$tmp/trace.out" || fail "text output lacks the file"
echo "ok: leaks named in JSON and text"
