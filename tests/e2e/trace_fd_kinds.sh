#!/usr/bin/env bash
# fd kinds end to end: under `swarm-trace fd`, a process forked after
# attach makes 20 fds each by open, dup, pipe, socketpair, eventfd and
# SCM_RIGHTS receipt (trace_workload leakmix). Its suspect entry in the
# JSON must agree with /proc/PID/fd: the count, the growth over its fork
# baseline (120), the count of each kind, and the most held file (60 fds:
# open + dup + SCM_RIGHTS) named first with its path.
. "$(dirname "$0")/trace_lib.bash"

f=/dev/shm/swarm-trace-test-$$-kinds
mkfifo "$tmp/go"
# the workload's tree is forked once swarm-trace is attached: exact baselines
bash -c 'read -r _ < "$1"; exec "$2" leakmix "$3" 20 0' _ "$tmp/go" "$WL" "$f" > "$tmp/wl.out" &
WLPID=$!
start_trace fd -p "$WLPID" --json
echo go > "$tmp/go"
for _ in $(seq 100); do kid=$(pgrep -P "$WLPID"); [ -n "$kid" ] && [ -s "$tmp/wl.out" ] && break; sleep 0.05; done
[ -n "$kid" ] || fail "leakmix did not start"
before=$(ls /proc/"$kid"/fd | wc -l)
go
for _ in $(seq 200); do grep -q "^leaked $kid" "$tmp/wl.out" && break; sleep 0.05; done
grep -q "^leaked $kid" "$tmp/wl.out" || fail "leakmix did not leak: $(cat "$tmp/wl.out")"
after=$(ls /proc/"$kid"/fd | wc -l)
declare -A truth=([file]=0 [dir]=0 [pipe]=0 [socket]=0 [anon]=0 [dev]=0 [other]=0)
for l in /proc/"$kid"/fd/*; do
	case $(stat -L -f -c %t "$l") in
	9041934|50494446) truth[anon]=$((truth[anon] + 1)); continue;;
	esac
	case $(stat -L -c %F "$l") in
	'regular file'|'regular empty file') k=file;; directory) k=dir;; fifo) k=pipe;;
	socket) k=socket;; 'character special file'|'block special file') k=dev;; *) k=other;;
	esac
	truth[$k]=$((truth[$k] + 1))
done
kill -INT "$TRPID"
wait_trace
s=$(last_block | jq -c --argjson p "$kid" '.kernel.fd.suspects[] | select(.pid == $p)')
[ -n "$s" ] || fail "pid $kid not a suspect: $(last_block)"
echo "$s" | jq -c '{fds_base, fds_now, growth, kinds, holds: [.holds[] | {path, fds}]}'
[ "$(echo "$s" | jq .fds_base)" -eq "$before" ] || fail "baseline $(echo "$s" | jq .fds_base), /proc $before"
[ "$(echo "$s" | jq .fds_now)" -eq "$after" ] || fail "fds_now $(echo "$s" | jq .fds_now), /proc $after"
[ "$(echo "$s" | jq .growth)" -eq 120 ] || fail "growth $(echo "$s" | jq .growth), made 120"
[ $((after - before)) -eq 120 ] || fail "the workload made $((after - before)) fds, not 120"
for k in "${!truth[@]}"; do
	[ "$(echo "$s" | jq ".kinds.$k")" -eq "${truth[$k]}" ] ||
		fail "$k: swarm-trace $(echo "$s" | jq ".kinds.$k"), /proc ${truth[$k]}"
done
[ "$(echo "$s" | jq -r '.holds[0].path')" = "$f" ] || fail "most held is not $f"
[ "$(echo "$s" | jq '.holds[0].fds')" -eq 60 ] || fail "not 60 fds on $f"
echo "ok: count, growth, kinds and most held file as /proc has them"
