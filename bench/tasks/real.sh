#!/usr/bin/env bash
# One real task for the real-workload overhead row: compile a small C file
# and run it, gzip a file and check it, run a tiny test. The same script
# runs under xargs -P, `swarm run` and the baseline coordinator.
# The task id comes as $1 (xargs, swarm run --task-stdin '{}') or in
# SWARM_TASK (the baseline coordinator).
set -eu
id=${1:-${SWARM_TASK:?}}
d=${BENCH_REAL_DIR:?}/t$id
mkdir -p "$d"
cat > "$d/p.c" <<'C'
#include <stdio.h>
int main(void)
{
	unsigned long s = 0, i;
	for (i = 0; i < 3000000; i++)
		s += i * i % 7;
	printf("%lu\n", s);
	return 0;
}
C
cc -O1 -o "$d/p" "$d/p.c"
"$d/p" > "$d/out"
seq 1 30000 > "$d/data"
gzip -9 -k "$d/data"
gzip -t "$d/data.gz"
[ "$("$d/p")" = "$(cat "$d/out")" ]
touch "$BENCH_REAL_DIR/t$id.ok"
