#!/usr/bin/env bash
# swarm run names a contended lock: 8 agents serialise on one flock file
# in /dev/shm (flock(1) holding it 50 ms each), so most of them wait.
set -u
. "$(dirname "$0")/lib/run_trace.bash"
command -v flock >/dev/null || fail "flock(1) missing (util-linux)"

LOCK=e2e-runtrace-lock.$$
trap 'rm -rf "$TMP" "/dev/shm/$LOCK"' EXIT
seq 8 > "$TMP/tasks"
traced_run "$TMP/f.json" -n 8 --tasks "$TMP/tasks" --task-stdin --logs "$TMP/lf" \
	-- sh -c "flock /dev/shm/$LOCK sleep 0.05; cat" || fail "run exit $?"
jq -e '.delivered == 8' "$TMP/f.json" >/dev/null || fail "not all delivered"
jq -e --arg p "/dev/shm/$LOCK" '.kernel.flock.locks[] | select(.path == $p and .kind == "flock")
	| .acquisitions == 8 and .contended > 0 and .wait_us.max >= 10000' \
	"$TMP/f.json" >/dev/null || fail "lock $LOCK not reported contended"
echo ok
