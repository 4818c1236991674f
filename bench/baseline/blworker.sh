#!/usr/bin/env bash
# Baseline worker (a bash process, as in the reference): poll its inbox
# every 100 ms until the task message is there, run CMD if one was given
# (task in SWARM_TASK), answer "rc rss_kb task" to the parent's inbox.
#   blworker.sh DIR NAME PARENT [-- CMD ARGS...]
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/blbus.sh"

dir=$1 me=$2 parent=$3; shift 3
[[ ${1:-} == -- ]] && shift
while ! bl_take "$dir" "$me"; do
	bl_sleep "$BL_POLL"
done
read -r _ _ _ _ task <<< "${BL_LINES[0]}"
# The failure-detection benchmark: this agent dies without answering.
[[ ${BENCH_DIE_AGENT:-} == "$me" ]] && exit 1
rc=0
if [[ $# -gt 0 ]]; then
	# The command sees the same identity variables swarm gives its agents.
	SWARM_AGENT=$me SWARM_PARENT=$parent SWARM_TASK=$task "$@" > /dev/null
	rc=$?
fi
rss=0
while read -r k v _; do [[ $k == VmHWM: ]] && rss=$v; done < /proc/$BASHPID/status
bl_send "$dir" "$me" "$parent" result "$rc $rss $task"
