#!/usr/bin/env bash
# swarm run traces its own tree: spawn counts, write->read latency per
# inbox (the master's included), the short human section, hybrid trees,
# and --no-trace (kernel.enabled false, nothing on stderr).
set -u
. "$(dirname "$0")/lib/run_trace.bash"

traced_run "$TMP/a.json" -n 20 --logs "$TMP/la" -- "$S" demo-agent || fail "run exit $?"
[ -s "$TMP/a.json.err" ] && fail "stderr not empty: $(cat "$TMP/a.json.err")"
jq -e '.delivered == 20 and .kernel.enabled == true and .kernel.attach_s > 0
       and (.kernel.signals | length) == 4' "$TMP/a.json" >/dev/null || fail "kernel header"
# the demo agent is forked without exec: 20 forks that all exited, no exec
jq -e '.kernel.spawn | .forks >= 20 and .exits == .forks and .execs <= .forks
       and .exit_ok == .exits' "$TMP/a.json" >/dev/null || fail "spawn counts"
jq -e '.kernel.latency.write_read_us | .p50 > 0 and .p95 >= .p50 and .p99 >= .p95' \
	"$TMP/a.json" >/dev/null || fail "write->read percentiles"
# Every message was timed, the master's 20 answers included: 20 tasks, 20
# answers, 20 stops. per_inbox is the slowest inboxes first (the master,
# reading at a raised priority, is rarely among them).
jq -e '.kernel.latency | .write_read_us.count >= 60 and .inboxes >= 21 and
       ([.per_inbox[].write_read_us.p99] | . == (sort | reverse))' \
	"$TMP/a.json" >/dev/null || fail "latency per inbox: counts or order"
# (locks is a top-N by wait: which inboxes make it varies, and with every
# wait 0 the master's OFD locks, on owner.lock while it is still a temp
# file among them, can be listed too: the flock(2) ones are the inboxes
jq -e '.kernel.flock.calls >= 40 and (.kernel.flock.locks | length) > 0 and
       ([.kernel.flock.locks[] | select(.kind == "flock") | .path] |
        length > 0 and all(endswith(".inbox")))' \
	"$TMP/a.json" >/dev/null || fail "flock calls on the inboxes"
# the master is the tracer: its own fds (maps, programs) are not a leak
jq -e '[.kernel.fd.processes[] | select(.name == "master")] | length == 0' \
	"$TMP/a.json" >/dev/null || fail "the master is listed in kernel.fd"
# healthy agents (each opens and closes its bus files) are no suspects
jq -e '.kernel.fd.suspects == [] and .kernel.fd.suspect_growth == 16' \
	"$TMP/a.json" >/dev/null || fail "a healthy agent is an fd suspect"
jq -e '.kernel.ringbuf_drops == 0' "$TMP/a.json" >/dev/null || fail "ring buffer drops"

# exec'd agents: one exec each, fork->exec measured
SWARM_NO_APPLET=1 traced_run "$TMP/e.json" -n 20 --logs "$TMP/le" -- "$S" demo-agent ||
	fail "exec run exit $?"
jq -e '.kernel.spawn | .forks >= 20 and .execs >= 20 and .execs <= .forks
       and .exits == .forks and .fork_exec_us.count >= 20 and .fork_exec_us.p50 > 0' \
	"$TMP/e.json" >/dev/null || fail "spawn counts with exec"

# hybrid: coordinators are children of the master, their workers are
# grandchildren: all in the traced tree
traced_run "$TMP/h.json" --coordinators 2 --workers 5 --logs "$TMP/lh" -- "$S" demo-agent ||
	fail "hybrid exit $?"
jq -e '.delivered == 10 and .kernel.spawn.forks >= 12' "$TMP/h.json" >/dev/null ||
	fail "hybrid spawn counts"
jq -e '.kernel.latency | .inboxes >= 13 and (.per_inbox | length) > 0' "$TMP/h.json" \
	>/dev/null || fail "hybrid: inboxes of master, coordinators and workers timed"

# the kernel histograms reach --metrics-file (valid exposition text)
SWARM_NO_APPLET=1 traced_run "$TMP/m.json" -n 10 --metrics-file "$TMP/m.prom" \
	--logs "$TMP/lm" -- "$S" demo-agent || fail "metrics run exit $?"
for s in spawn flock fd latency; do
	grep -qx "swarm_bpf_signals{signal=\"$s\"} 1" "$TMP/m.prom" || fail "metrics: $s not loaded"
done
for h in latency spawn agent_runtime flock_wait; do
	c=$(sed -n "s/^swarm_${h}_seconds_count //p" "$TMP/m.prom")
	[ -n "$c" ] && [ "$c" -gt 0 ] || fail "metrics: swarm_${h}_seconds_count '$c'"
done
if command -v promtool >/dev/null; then
	promtool check metrics < "$TMP/m.prom" || fail "promtool rejects the metrics"
fi

# the human report has the short kernel section
$S run -n 3 --logs "$TMP/lt" -- "$S" demo-agent > "$TMP/t.txt" 2>&1 || fail "text run"
grep -q '^  kernel       traced: attach' "$TMP/t.txt" || { cat "$TMP/t.txt"; fail "text header"; }
grep -q '^    spawn      3 forks' "$TMP/t.txt" || { cat "$TMP/t.txt"; fail "text spawn"; }
grep -q '^    latency    publish->consume p50' "$TMP/t.txt" || { cat "$TMP/t.txt"; fail "text latency"; }

# --no-trace: nothing loaded, nothing said, the report says why
LAST=$TMP/n.json
$S run -n 5 --json --no-trace --logs "$TMP/ln" -- "$S" demo-agent > "$LAST" 2> "$TMP/n.err" ||
	fail "no-trace exit $?"
[ -s "$TMP/n.err" ] && fail "no-trace stderr: $(cat "$TMP/n.err")"
jq -e '.delivered == 5 and .kernel == {"enabled": false, "reason": "disabled by --no-trace"}' \
	"$LAST" >/dev/null || fail "no-trace kernel object"
echo ok
