# Shared helpers for the tests/e2e/run_*.sh scripts (sourced, not run).
S=${SWARM_BIN:-build/swarm}
fail() { echo "FAIL: $*"; [ -n "${LAST:-}" ] && [ -f "$LAST" ] && head -c 3000 "$LAST"; exit 1; }
TMP=$(mktemp -d /tmp/swarm-e2e.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# jget FILE EXPR: evaluate a python expression on the JSON object d.
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print("null" if v is None else v)' "$1" "$2"; }

# The run left nothing behind: its bus directory and its cgroup are gone.
check_clean() {
	local bus cg
	bus=$(jget "$1" 'd["bus_dir"]') || fail "no bus_dir in $1"
	cg=$(jget "$1" 'd["cgroup"]')
	[ "$bus" != null ] && [ -e "$bus" ] && fail "bus dir $bus left behind"
	[ "$cg" != null ] && [ -e "$cg" ] && fail "cgroup $cg left behind"
	return 0
}

# The report has every field issue 3 asks for.
check_fields() {
	python3 - "$1" <<'PY' || fail "report fields"
import json, sys
d = json.load(open(sys.argv[1]))
need = ["schema_version", "topology", "agents", "coordinators", "expected",
        "delivered", "failed", "delivery_rate", "coordination_s", "spawn_s",
        "agents_per_s", "messages", "msgs_per_s", "latency_us",
        "shm_peak_bytes", "fds_peak", "rss_peak_kb", "failures", "kernel"]
miss = [k for k in need if k not in d]
assert not miss, miss
assert set(d["latency_us"]) >= {"p50", "p95", "p99"}
for f in d["failures"]:
    assert set(f) >= {"agent", "reason", "exit_status"}, f
PY
}
