#!/bin/sh
# Runs inside the test container (tests/e2e/container.sh): the same swarms
# as natively, each report to /out/NAME.json, its exit code to NAME.rc,
# its stderr to NAME.err.   inside.sh PREFIX BIG_N [big-only]
# big-only: the doctor at 1000 agents and the big backlog, not the 200-agent
# swarms again (a larger /dev/shm changes nothing for what fits in 64 MB).
set -u
p=$1 big=$2 only=${3:-}
cd /out || exit 3

run() { # NAME swarm-run-args...
	n=$1; shift
	timeout 300 swarm run --no-trace --json "$@" > "$p$n.json" 2> "$p$n.err"
	echo $? > "$p$n.rc"
}

swarm doctor -n 1000 > "${p}doctor1000.txt"; echo $? > "${p}doctor1000.rc"
if [ "$only" != big-only ]; then
	swarm doctor -n 200 > "${p}doctor200.txt"; echo $? > "${p}doctor200.rc"
	run flat -n 200 --tasks /w/tasks.txt --results "${p}flat.res" -- sh /w/agent.sh
	run hybrid --coordinators 4 --workers 50 --tasks /w/tasks.txt --results "${p}hybrid.res" -- sh /w/agent.sh
	run demo -n 200 -- swarm demo-agent
fi

# Tasks that do not fit at once: the agents hold back until every agent
# that will start has started (or none came for 2 s), so the whole
# backlog is in the bus before anything is read, whatever the load.
barrier() { # N: release the agents waiting on /tmp/go
	rm -rf /tmp/arrived /tmp/go && mkdir /tmp/arrived && mkfifo /tmp/go
	(
		exec 3<> /tmp/go
		last=-1 same=0
		while :; do
			k=$(ls /tmp/arrived | wc -l)
			[ "$k" -ge "$1" ] && break
			if [ "$k" = "$last" ]; then
				same=$((same + 1)); [ $same -ge 10 ] && break
			else
				same=0 last=$k
			fi
			sleep 0.2
		done
		yes | head -n "$1" >&3
		exec sleep 600
	) &
	rel=$!
}
barrier "$big"
run big -n "$big" --tasks /w/big.tasks --timeout 120 --results "${p}big.res" -- sh /w/big-agent.sh
kill $rel
if [ "$p" = shm64- ]; then
	barrier "$big"
	run bighyb --coordinators 4 --workers $((big / 4)) --tasks /w/big.tasks --timeout 120 \
		--results "${p}bighyb.res" -- sh /w/big-agent.sh
	kill $rel
fi
exit 0
