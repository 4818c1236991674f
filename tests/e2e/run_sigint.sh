#!/usr/bin/env bash
# SIGINT (and SIGTERM) to the master: agents and their children are
# stopped, a partial report is printed, the bus directory is removed, no
# process of the swarm survives; in both topologies.
set -u
. "$(dirname "$0")/lib/run_common.bash"

bus_of() {  # the bus dir whose master.pid is $1
	local f
	for f in /dev/shm/swarm-*/master.pid; do
		[ "$(cat "$f" 2>/dev/null)" = "$1" ] && { dirname "$f"; return; }
	done
}

one() {  # one SIGNAL TOPOLOGY-ARGS...
	local sig=$1 master bus i marker
	shift
	marker="sleep 986.$$$RANDOM"
	LAST=$TMP/int.json
	"$S" run "$@" --json --logs "$TMP/l" -- sh -c "$marker & exec \"\$0\" demo-agent --hang" "$S" > "$LAST" &
	master=$!
	for i in $(seq 300); do
		bus=$(bus_of $master)
		[ -n "$bus" ] && [ "$(pgrep -fc "$marker")" -ge 4 ] && break
		sleep 0.05
	done
	[ -n "$bus" ] || fail "no bus for master $master"
	kill -$sig $master
	wait $master
	rc=$?
	case $sig in INT) want=130;; TERM) want=143;; esac
	[ $rc -eq $want ] || fail "$sig: exit $rc, want $want"
	[ "$(jget "$LAST" 'd["interrupted"]')" = True ] || fail "$sig: partial report"
	[ -e "$bus" ] && fail "$sig: bus $bus left in /dev/shm"
	pgrep -f "$marker" > /dev/null && fail "$sig: agent children left running"
	pgrep -f -- "--dir $bus" > /dev/null && fail "$sig: coordinators left running"
	check_clean "$LAST"
}
one INT -n 4
one TERM -n 4
one INT --coordinators 2 --workers 2
echo ok
