#!/usr/bin/env bash
# Kernel signals of a real traced run against what the run did.
# execs: 20 plain tasks `env env true`, each one process of 3 execs (env
# execs env execs true): exactly 20 forks, 60 execs, 40 exec chains.
# fd: 4 agents each open 4 other files first, then leak 30 fds on one
# file and exit (via exec sleep): each exited suspect names that file
# first, with exactly 30 fds, the other four after it with 1 each.
set -u
. "$(dirname "$0")/lib/run_trace.bash"

traced_run "$TMP/x.json" -j 4 -- env env true ::: $(seq 20) || fail "plain run exit $?"
jq -e '.kernel.spawn | .forks == 20 and .execs == 60 and .exec_chains == 40 and
	.exits == 20 and .exits_no_exec == 0 and .exit_ok == 20' "$TMP/x.json" >/dev/null ||
	fail "execs not as made: $(jq -c '.kernel.spawn | del(.slowest)' "$TMP/x.json")"

F=$TMP/leaked
echo x > "$F"
for i in 1 2 3 4; do echo "$i" > "$TMP/other$i"; done
traced_run "$TMP/f.json" -n 4 -- bash -c '
	exec {a}<"$2/other1" {b}<"$2/other2" {c}<"$2/other3" {d}<"$2/other4"
	for i in $(seq 30); do exec {f}<"$0"; done
	"$1" send --to "$SWARM_PARENT" "ok $("$1" recv --wait 20 --count 1)"
	exec sleep 0.3' "$F" "$S" "$TMP" || fail "run exit $?"
jq -e '.delivered == 4' "$TMP/f.json" >/dev/null || fail "not all delivered"
jq -e --arg f "$F" '[.kernel.fd.suspects[] | select(.exited and .holds[0].path == $f
		and .holds[0].fds == 30 and ([.holds[1:][] | .fds] | all(. == 1)))] | length == 4' \
	"$TMP/f.json" >/dev/null ||
	fail "not 4 exited suspects naming $F first: $(jq -c '[.kernel.fd.suspects[] | {pid, holds}]' "$TMP/f.json")"
echo "ok: execs exact; a leak behind other files is named first"
