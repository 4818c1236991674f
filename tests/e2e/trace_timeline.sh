#!/usr/bin/env bash
# swarm-trace --timeline: 4 processes take LOCK_EX on one /dev/shm file 20
# times each, holding it 5 ms; the timeline file passes the format checker
# and shows lock waits of >= 1 ms (the threshold) on the waiters' own
# tracks, named by pid and comm, under the traced root. A path that cannot
# be written is one line and exit 3, before anything is attached.
. "$(dirname "$0")/trace_lib.bash"
CHECK="python3 ${SWARM_ROOT:-.}/tests/timeline_check.py"

out=$("$TRACE" flock -p $$ -d 1 --timeline "$tmp/no/such/dir.json" 2>&1)
rc=$?
[ "$rc" -eq 3 ] || fail "bad --timeline path: exit $rc, want 3"
case $out in "swarm-trace: cannot write the timeline "*) ;; *) fail "message: $out";; esac

f=/dev/shm/swarm-trace-test-$$-lock
start_workload flock "$f" 4 5 20
start_trace flock -p "$WLPID" -d 5 --timeline "$tmp/tl.json"
go
wait "$WLPID" || fail "workload failed"
WLPID_DONE=$WLPID
WLPID=
wait_trace
grep -q "timeline written to $tmp/tl.json" "$tmp/trace.err" || fail "no 'timeline written' line"
$CHECK "$tmp/tl.json" || fail "timeline format"
python3 - "$tmp/tl.json" "$WLPID_DONE" <<'PY' || fail "timeline content"
import json, sys
d = json.load(open(sys.argv[1]))
root = int(sys.argv[2])
ev = d["traceEvents"]
names = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev
         if e["ph"] == "M" and e["name"] == "thread_name"}
waits = [e for e in ev if e["ph"] == "X" and e["name"] == "lock wait"]
assert d["swarm"]["topology"] == "trace", d["swarm"]
assert len(waits) >= 10, "only %d lock waits" % len(waits)
for w in waits:
    assert w["dur"] >= 1000, w                      # TL_LOCK_MIN_NS
    assert w["pid"] == root and w["tid"] != root, w  # a waiter's own track
    assert w["args"]["pid"] == w["tid"], w
    assert names[(w["pid"], w["tid"])].startswith("pid %d (" % w["tid"]), names
assert len({w["tid"] for w in waits}) >= 2, "waits on one process only"
PY
echo "ok: lock waits on the waiters' tracks"
