#!/usr/bin/env bash
# Latency: a writer appends a line, a reader reads it 20 ms later, 10 times.
# The write->read samples for that inbox must land in the 16-32 ms bucket
# (log2 slot 14: 16384..32767 us), or next to it on a loaded machine.
. "$(dirname "$0")/trace_lib.bash"

f=/dev/shm/swarm-trace-test-$$-inbox
start_workload latency "$f" 20 10
start_trace latency -p "$WLPID" -d 10 --json
go
wait "$WLPID" || fail "workload failed"
WLPID=
wait_trace
b=$(last_block)
ib=$(echo "$b" | jq -c --arg n "$(basename "$f")" '.kernel.latency.per_inbox[] | select(.name == $n)')
[ -n "$ib" ] || fail "inbox not reported: $b"
echo "$ib"
[ "$(echo "$ib" | jq .samples)" -eq 10 ] || fail "expected 10 samples"
# index of the fullest slot
mode=$(echo "$ib" | jq '.write_read_us.log2_slots | to_entries | max_by(.value) | .key')
[ "$mode" -ge 14 ] && [ "$mode" -le 15 ] || fail "fullest slot $mode, expected 14 (16-32 ms)"
echo "ok: 10 samples, fullest slot $mode"
