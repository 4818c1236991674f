#!/bin/bash
# The coordination benchmarks' agent under `swarm run`: a bash process that
# reads its task from its inbox and answers its parent — what the baseline's
# bash worker does over the reference protocol (bench/baseline/blworker.sh).
# /bin/bash, not env: the bash coordinator starts its workers with "$BASH"
# directly, and an env exec per agent would be ours alone to pay.
task=$("${SWARM_BIN:?}" recv --wait 60 --count 1) || exit 1
# The failure-detection row: this agent dies without answering.
[ "${BENCH_DIE_AGENT:-}" = "$SWARM_AGENT" ] && exit 1
exec "$SWARM_BIN" send --to "$SWARM_PARENT" "0 $task"
