#!/usr/bin/env bash
# Ctrl-C prints the final block and detaches: every BPF program swarm-trace
# held while running (itself, and through its loader process `swarm-bpf`,
# which holds the links) is gone from the kernel after it exits. Also checks
# -i/COUNT: `-i 0.5 3` prints exactly 3 blocks and exits by itself. While
# attached it holds no capability but CAP_SYS_PTRACE.
. "$(dirname "$0")/trace_lib.bash"

sleep 60 &
root=$!
start_trace -p "$root" -i 1
sleep 1.5
# the programs it holds, by id, from its own and its holder's fd tables
# (the holder is in its process group)
holders=$(pgrep -x swarm-bpf -g "$(ps -o pgid= -p "$TRPID" | tr -d ' ')")
[ -n "$holders" ] || fail "no swarm-bpf holder in swarm-trace's process group"
for h in $holders; do
	[ "$(awk '/^CapEff/ {print $2}' /proc/"$h"/status)" = 0000000000000000 ] ||
		fail "the holder keeps capabilities: $(grep ^CapEff /proc/"$h"/status)"
done
ids=$(for p in "$TRPID" $holders; do grep -h '^prog_id:' /proc/"$p"/fdinfo/* 2>/dev/null; done |
	awk '{print $2}' | sort -u)
[ "$(echo "$ids" | wc -w)" -ge 8 ] || fail "expected the BPF programs attached, got ids: $ids"
# Attached, it keeps only CAP_SYS_PTRACE (bit 19: /proc/PID/fd of agents
# that run as another user), bounding set empty.
[ "$(awk '/^CapEff/ {print $2}' /proc/"$TRPID"/status)" = 0000000000080000 ] ||
	fail "capabilities while tracing: $(grep ^Cap /proc/"$TRPID"/status | tr '\n' ' ')"
[ "$(awk '/^CapBnd/ {print $2}' /proc/"$TRPID"/status)" = 0000000000000000 ] ||
	fail "bounding set not cleared while tracing"
kill -INT "$TRPID"
for _ in $(seq 100); do kill -0 "$TRPID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$TRPID" 2>/dev/null && fail "still running 5 s after SIGINT"
# (gone, or a zombie its reaper has not collected yet)
for h in $holders; do
	st=$(awk '{print $3}' /proc/"$h"/stat 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ] || fail "holder $h outlived swarm-trace (state $st)"
done
wait_trace
blocks=$(grep -c '^\[[0-9:]*\]$' "$tmp/trace.out")
[ "$blocks" -ge 2 ] || fail "expected the interval block and a final one, got $blocks"
# programs are freed after an RCU grace period: allow a few seconds
for _ in $(seq 50); do
	live=$(bpftool prog show -j | jq '.[].id')
	left=
	for id in $ids; do echo "$live" | grep -qx "$id" && left="$left $id"; done
	[ -z "$left" ] && break
	sleep 0.1
done
[ -z "$left" ] || fail "programs still loaded 5 s after exit:$left"
kill "$root"

sleep 60 &
root=$!
"$TRACE" spawn -p "$root" -i 0.5 3 --json > "$tmp/out" 2> "$tmp/err" || fail "COUNT run failed"
kill "$root"
[ "$(wc -l < "$tmp/out")" -eq 3 ] || fail "expected 3 JSON blocks: $(cat "$tmp/out")"
jq -e -s 'map(.block) == [1,2,3]' "$tmp/out" > /dev/null || fail "blocks not numbered 1..3"
echo "ok: $(echo "$ids" | wc -w) programs detached on SIGINT; COUNT honoured"
