#!/usr/bin/env bash
# Hosts without cgroup v2 or clone3: posix_spawn + pidfd_open and process
# groups must still deliver, clean up on SIGINT and recover a killed
# coordinator (forced here with the SWARM_NO_CGROUP / SWARM_NO_CLONE3 knobs).
set -u
. "$(dirname "$0")/lib/run_common.bash"
export SWARM_NO_CGROUP=1 SWARM_NO_CLONE3=1

LAST=$TMP/f.json
$S run -n 20 --json --logs "$TMP/l1" -- "$S" demo-agent > "$LAST" || fail "flat fallback"
[ "$(jget "$LAST" 'd["delivered"]')" = 20 ] || fail "flat delivered"
[ "$(jget "$LAST" 'd["cgroup"]')" = null ] || fail "cgroup used despite SWARM_NO_CGROUP"
check_clean "$LAST"

# SIGINT: process groups take the agents' children down too.
marker="sleep 985.$$$RANDOM"
$S run -n 4 --json --logs "$TMP/l2" -- sh -c "$marker & exec \"\$0\" demo-agent --hang" "$S" > "$LAST" &
master=$!
for i in $(seq 100); do [ "$(pgrep -fc "$marker")" -ge 4 ] && break; sleep 0.05; done
[ "$(pgrep -fc "$marker")" -ge 4 ] || fail "agents did not start"
kill -INT $master
wait $master
[ $? -eq 130 ] || fail "SIGINT exit code"
sleep 0.2
pgrep -f "$marker" > /dev/null && fail "agent children left running"
check_clean "$LAST"

# Hybrid, coordinator SIGKILLed: its process group is killed and it is replaced.
LAST=$TMP/h.json
$S run --coordinators 2 --workers 3 --timeout 60 --json --results "$TMP/res" --logs "$TMP/l3" -- \
	"$S" demo-agent --sleep 2 > "$LAST" 2>/dev/null &
master=$!
c2=
for i in $(seq 100); do
	for p in $(pgrep -P $master); do
		mapfile -d '' a < /proc/$p/cmdline 2>/dev/null || continue
		[[ " ${a[*]} " == *" --name c2 "* ]] && c2=$p
	done
	[ -n "$c2" ] && break
	sleep 0.05
done
[ -n "$c2" ] || fail "no coordinator c2"
sleep 0.3
kill -9 "$c2"
wait $master
[ $? -eq 0 ] || fail "hybrid fallback after kill: exit code"
[ "$(jget "$LAST" 'd["delivered"]')" = 6 ] || fail "hybrid fallback delivered"
[ "$(jget "$LAST" 'd["coordinator_restarts"]')" -ge 1 ] || fail "no replacement"
[ "$(wc -l < "$TMP/res")" = 6 ] || fail "one result per task"
check_clean "$LAST"
echo ok
