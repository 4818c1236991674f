#!/usr/bin/env bash
# Contention: 4 processes take LOCK_EX on one /dev/shm file 20 times each,
# holding it 5 ms. `swarm-trace flock -p ROOT -d 2 --json` must name that
# file with contended acquisitions and waits of the millisecond order.
. "$(dirname "$0")/trace_lib.bash"

f=/dev/shm/swarm-trace-test-$$-lock
start_workload flock "$f" 4 5 20
start_trace flock -p "$WLPID" -d 5 --json
go
wait "$WLPID" || fail "workload failed"
WLPID=
wait_trace
b=$(last_block)
echo "$b" | jq -e '.schema_version == 1' >/dev/null || fail "no schema_version: $b"
lock=$(echo "$b" | jq -c --arg n "$f" '.kernel.flock.locks[] | select(.path == $n and .kind == "flock")')
[ -n "$lock" ] || fail "lock file not reported: $b"
echo "$lock"
acq=$(echo "$lock" | jq .acquisitions)
cont=$(echo "$lock" | jq .contended)
p50=$(echo "$lock" | jq .wait_us.p50)
[ "$acq" -eq 80 ] || fail "acquisitions $acq, expected 80"
[ "$cont" -ge 20 ] || fail "only $cont contended acquisitions"
# 3 others hold 5 ms each ahead of a waiter: waits are ms, not us or s
awk -v p="$p50" 'BEGIN { exit !(p >= 1000 && p <= 200000) }' || fail "p50 wait $p50 us"
echo "ok: $acq acquisitions, $cont contended, p50 wait ${p50} us"
