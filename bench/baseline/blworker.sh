#!/usr/bin/env bash
# Baseline worker (a bash process, as in the reference): take the task
# (from the environment, or with --task-inbox by polling its inbox every
# 100 ms), run CMD, report "rc task" to the parent's inbox.
#   blworker.sh DIR NAME PARENT [--task-inbox] -- CMD ARGS...
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/blbus.sh"

dir=$1 me=$2 parent=$3; shift 3
task=${BL_TASK:-$me}
if [[ ${1:-} == --task-inbox ]]; then
	shift
	while ! line=$(bl_drain "$dir" "$me"); do
		sleep "$BL_POLL"
	done
	read -r _ _ _ _ task <<< "$line"
fi
[[ ${1:-} == -- ]] && shift

# The user's command sees the same identity variables swarm gives it.
SWARM_AGENT=$me SWARM_PARENT=$parent SWARM_TASK=$task "$@" > /dev/null
rc=$?
bl_send "$dir" "$me" "$parent" result "$rc $task"
