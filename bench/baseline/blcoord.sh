#!/usr/bin/env bash
# Baseline coordinator: the reference bash coordinator's shape over the
# reference protocol (blbus.sh). Flat: master -> N bash workers. Hybrid:
# master -> C bash coordinators -> W bash workers each. Completion is
# detected by polling the inbox every 100 ms; a 30 s (default) timeout is
# the only failure detector, as in the reference.
#
#   blcoord.sh [--topology flat|hybrid] [-n N | --coordinators C --workers W]
#              [--tasks FILE] [--timeout S] [--json] [-- CMD ARGS...]
#
# Each worker gets one task message ("task <i>", or a line of FILE), runs
# CMD when one is given, and answers with a result message.
# Prints the same report fields as `swarm run --json`. Exit 0 when every
# result arrived, 1 when some did not (timeout), 2 on bad usage.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/blbus.sh"

usage() { echo "usage: blcoord.sh [--topology flat|hybrid] [-n N | --coordinators C --workers W] [--tasks FILE] [--timeout S] [--json] [-- CMD...]" >&2; exit 2; }

# Append the fd count of this shell to the running maximum (no fork).
sample_fds() {
	local -a fds=(/proc/$BASHPID/fd/*)
	(( ${#fds[@]} > FDS_PEAK )) && FDS_PEAK=${#fds[@]}
}

# Queue each worker's task message (a line of TASKS, or "task <i>") in its
# inbox, then spawn it, a bash process: its first poll finds the task.
# (Spawning first and sending after only adds a poll period per worker.)
spawn_workers() {
	local parent=$1 prefix=$2 count=$3 base=$4 i task
	local -a paths=()
	shift 4
	for ((i = 1; i <= count; i++)); do paths+=("$DIR/inbox/$prefix$i"); done
	mkdir -p "${paths[@]}"
	for ((i = 1; i <= count; i++)); do
		task="task $((base + i))"
		[[ -n $TASKS ]] && task=${TASK_LINES[base + i - 1]}
		bl_send "$DIR" "$parent" "$prefix$i" task "$task"
		"$BASH" "$here/blworker.sh" "$DIR" "$prefix$i" "$parent" -- "$@" &
	done
	bl_now_us; SPAWNED=$BL_NOW
}

# Poll ME's inbox every 100 ms until `expected` distinct (sender, seq)
# messages or the deadline. Results go to LAT (latencies, us) and to the
# handler function given (called per message with its fields).
collect() {
	local me=$1 expected=$2 handler=$3 line from seq ts rest
	local -A seen=()
	GOT=0
	while :; do
		sample_fds
		[[ $me == master ]] && sample_shm
		if bl_take "$DIR" "$me"; then
			bl_now_us
			for line in "${BL_LINES[@]}"; do
				read -r from seq _ ts rest <<< "$line"
				[[ -n ${seen[$from.$seq]:-} ]] && continue
				seen[$from.$seq]=1
				GOT=$((GOT + 1))
				"$handler" "$from" "$((BL_NOW - ts))" "$rest"
			done
		fi
		(( GOT >= expected )) && return 0
		bl_now_us
		(( BL_NOW >= DEADLINE )) && return 1
		bl_sleep "$BL_POLL"
	done
}

on_result() {
	local rc rss _
	read -r rc rss _ <<< "$3"
	printf '%s\n' "$2" >> "$AUX/lat"
	DELIVERED=$((DELIVERED + 1))
	(( rss > AGENT_RSS )) && AGENT_RSS=$rss
}

# A coordinator's summary: "delivered spawn_end_us fds_peak agent_rss_kb".
on_summary() {
	local d s f r
	read -r d s f r _ <<< "$3"
	(( r > AGENT_RSS )) && AGENT_RSS=$r
	DELIVERED=$((DELIVERED + d))
	(( s > SPAWN_END )) && SPAWN_END=$s
	(( f > FDS_PEAK )) && FDS_PEAK=$f
}

sample_shm() {
	local b
	b=$(du -sB1 "$DIR" 2>/dev/null) && b=${b%%[[:space:]]*} && (( b > SHM_PEAK )) && SHM_PEAK=$b
}

# Hybrid middle tier: spawn W workers, collect their results, report up.
run_coordinator() {
	DIR=$1 ME=$2 PARENT=$3 W=$4 BASE=$5 DEADLINE=$6 AUX=$7 TASKS=$8
	shift 8; [[ ${1:-} == -- ]] && shift
	FDS_PEAK=0 DELIVERED=0 AGENT_RSS=0
	[[ -n $TASKS ]] && mapfile -t TASK_LINES < "$TASKS"
	bl_mkinbox "$DIR" "$ME"
	spawn_workers "$ME" "$ME-w" "$W" "$BASE" "$@"
	collect "$ME" "$W" on_result
	bl_send "$DIR" "$ME" "$PARENT" result "$DELIVERED $SPAWNED $FDS_PEAK $AGENT_RSS"
	wait
}

report() {
	local rc=$1 agents=$2 expected=$3 messages=$4
	local -a lat
	mapfile -t lat < <(sort -n "$AUX/lat" 2>/dev/null)
	local n=${#lat[@]} p50=0 p95=0 p99=0
	if (( n > 0 )); then
		p50=${lat[(n * 50 - 1) / 100]} p95=${lat[(n * 95 - 1) / 100]} p99=${lat[(n * 99 - 1) / 100]}
	fi
	local rss=0 k v _
	while read -r k v _; do [[ $k == VmHWM: ]] && rss=$v; done < /proc/$BASHPID/status
	awk -v sys=baseline -v topo="$TOPO" -v agents="$agents" -v del="$DELIVERED" -v expct="$expected" \
	    -v coord="$((T_DONE - T0))" -v spawn="$((SPAWN_END - T0))" -v msgs="$messages" \
	    -v p50="$p50" -v p95="$p95" -v p99="$p99" -v shm="$SHM_PEAK" -v fds="$FDS_PEAK" -v rss="$rss" -v arss="$AGENT_RSS" \
	    -v json="$JSON" 'BEGIN {
		cs = coord / 1e6; ss = spawn / 1e6
		rate = 0; if (expct > 0) rate = del / expct
		aps = 0; mps = 0; if (cs > 0) { aps = agents / cs; mps = msgs / cs }
		if (json) printf "{\"schema_version\":1,\"system\":\"%s\",\"topology\":\"%s\",\"agents\":%d,\"delivered\":%d,\"expected\":%d,\"delivery_rate\":%.4f,\"coordination_s\":%.6f,\"spawn_s\":%.6f,\"agents_per_s\":%.2f,\"messages\":%d,\"msgs_per_s\":%.1f,\"latency_us\":{\"p50\":%d,\"p95\":%d,\"p99\":%d},\"shm_peak_bytes\":%d,\"fds_peak\":%d,\"rss_peak_kb\":%d,\"agents_rss_peak_kb\":%d}\n", sys, topo, agents, del, expct, rate, cs, ss, aps, msgs, mps, p50, p95, p99, shm, fds, rss, arss
		else printf "baseline %s: %d/%d delivered in %.3f s (spawn %.3f s), %.1f agents/s, latency p50 %d us p95 %d us, shm %d B, fds %d\n", topo, del, expct, cs, ss, aps, p50, p95, shm, fds
	}'
	return "$rc"
}

run_master() {
	TOPO=flat N=0 C=0 W=0 TASKS='' TIMEOUT=30 JSON=0
	while [[ $# -gt 0 ]]; do
		case $1 in
		--topology) TOPO=$2; shift 2;;
		-n) N=$2; shift 2;;
		--coordinators) C=$2; shift 2;;
		--workers) W=$2; shift 2;;
		--tasks) TASKS=$2; shift 2;;
		--timeout) TIMEOUT=${2%s}; shift 2;;
		--json) JSON=1; shift;;
		--) shift; break;;
		*) usage;;
		esac
	done
	case $TOPO in
	flat) [[ $N =~ ^[1-9][0-9]*$ ]] || usage;;
	hybrid) [[ $C =~ ^[1-9][0-9]*$ && $W =~ ^[1-9][0-9]*$ ]] || usage;;
	*) usage;;
	esac
	[[ -z $TASKS || -r $TASKS ]] || { echo "baseline: cannot read $TASKS" >&2; exit 2; }

	bl_now_us; T0=$BL_NOW
	bl_sec_to_us "$TIMEOUT"; DEADLINE=$((T0 + BL_US))
	DIR=$(mktemp -d "${SWARM_SHM:-/dev/shm}/swarm-bl.XXXXXX") AUX=$(mktemp -d /tmp/swarm-bl-aux.XXXXXX)
	trap 'rm -rf "$DIR" "$AUX"' EXIT
	FDS_PEAK=0 SHM_PEAK=0 DELIVERED=0 SPAWN_END=0 AGENT_RSS=0
	[[ -n $TASKS ]] && mapfile -t TASK_LINES < "$TASKS"
	bl_init "$DIR"; bl_mkinbox "$DIR" master
	local rc=0 agents expected messages i
	if [[ $TOPO == flat ]]; then
		spawn_workers master w "$N" 0 "$@"
		SPAWN_END=$SPAWNED
		collect master "$N" on_result || rc=1
		agents=$N expected=$N messages=$((2 * N))
	else
		for ((i = 1; i <= C; i++)); do
			"$BASH" "${BASH_SOURCE[0]}" --role coordinator "$DIR" "c$i" master "$W" \
				"$(( (i - 1) * W ))" "$((DEADLINE - 500000))" "$AUX" "$TASKS" -- "$@" &
		done
		collect master "$C" on_summary || rc=1
		agents=$((C * W + C)) expected=$((C * W)) messages=$((2 * C * W + C))
	fi
	bl_now_us; T_DONE=$BL_NOW
	(( DELIVERED < expected )) && rc=1
	if (( rc != 0 )); then
		pkill -P $$ 2>/dev/null
	fi
	wait
	report "$rc" "$agents" "$expected" "$messages"
}

if [[ ${1:-} == --role ]]; then
	shift 2
	run_coordinator "$@"
else
	run_master "$@"
fi
