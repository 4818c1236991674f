#!/usr/bin/env bash
# swarm run names a leaking agent: w2 opens 100 fds on one file and keeps
# them until it exits; the others open none. The report lists w2 by its
# agent name among the suspects even though it has exited by then.
# (`cat; true`: bash would exec a last `cat` in place, and an exec starts
# the count over.)
set -u
. "$(dirname "$0")/lib/run_trace.bash"

F=$TMP/leaked
echo x > "$F"
printf 'a\nb\nc\n' > "$TMP/tasks"
traced_run "$TMP/d.json" -n 3 --tasks "$TMP/tasks" --task-stdin --logs "$TMP/ld" \
	-- bash -c 'if [ "$SWARM_AGENT" = w2 ]; then
			for i in $(seq 100); do exec {fd}<"$0"; done; sleep 0.1
		fi; cat; true' "$F" || fail "run exit $?"
jq -e '.delivered == 3' "$TMP/d.json" >/dev/null || fail "not all delivered"
jq -e '[.kernel.fd.suspects[] | select(.agent == "w2" and .growth >= 100)] | length == 1' \
	"$TMP/d.json" >/dev/null || fail "w2 not among the fd suspects"
jq -e '[.kernel.fd.suspects[] | select(.agent != "w2")] | length == 0' \
	"$TMP/d.json" >/dev/null || fail "an agent other than w2 is a suspect"
jq -e '.kernel.fd.processes[] | select(.agent == "w2") | .fds_peak >= 100' \
	"$TMP/d.json" >/dev/null || fail "w2 not named in kernel.fd.processes"
# hybrid: c1-w2 is started by coordinator c1, not by the master; it is
# named from its environment while it lives (it keeps its fds 1.5 s, past
# the master's once-a-second look) and still reported after it exits.
printf 'a\nb\n' > "$TMP/tasks2"
traced_run "$TMP/h.json" --coordinators 1 --workers 2 --tasks "$TMP/tasks2" --task-stdin \
	--logs "$TMP/lh" -- bash -c 'if [ "$SWARM_AGENT" = c1-w2 ]; then
			for i in $(seq 50); do exec {fd}<"$0"; done; sleep 1.5
		fi; cat; true' "$F" || fail "hybrid run exit $?"
jq -e '.delivered == 2' "$TMP/h.json" >/dev/null || fail "hybrid: not all delivered"
jq -e '[.kernel.fd.suspects[] | select(.agent == "c1-w2" and .growth >= 50)] | length == 1' \
	"$TMP/h.json" >/dev/null || fail "hybrid: c1-w2 not among the fd suspects"
echo ok
