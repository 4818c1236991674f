# Shared by tests/e2e/trace_*.sh (sourced; not a test itself).
# Workloads come from build/tests/trace_workload: they fork their tree,
# then wait for SIGUSR1, so swarm-trace attaches to an already-running tree.
set -u
TRACE=${SWARM_TRACE_BIN:-$(pwd)/build/swarm-trace}
WL=${SWARM_BUILD:-$(pwd)/build}/tests/trace_workload
tmp=$(mktemp -d /tmp/swarm-trace-test.XXXXXX)
WLPID= TRPID=

cleanup() {
	[ -n "$TRPID" ] && kill "$TRPID" 2>/dev/null
	if [ -n "$WLPID" ]; then
		pkill -KILL -P "$WLPID" 2>/dev/null
		kill -KILL "$WLPID" 2>/dev/null
	fi
	rm -rf "$tmp"
	rm -f /dev/shm/swarm-trace-test-$$*
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; [ -f "$tmp/trace.err" ] && sed 's/^/  stderr: /' "$tmp/trace.err"; exit 1; }
skip() { echo "$*"; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "SKIP $(basename "$0"): needs root (BPF)"
[ -x "$TRACE" ] || fail "no swarm-trace binary at $TRACE"
[ -x "$WL" ] || fail "no workload helper at $WL"
command -v jq >/dev/null || fail "jq missing (make deps)"

# start_workload MODE ARGS...: sets WLPID (the workload's root)
start_workload() {
	rm -f "$tmp/wl.out" # a previous workload's output must not count as ready
	"$WL" "$@" > "$tmp/wl.out" &
	WLPID=$!
	for _ in $(seq 100); do [ -s "$tmp/wl.out" ] && return 0; sleep 0.05; done
	fail "workload did not start"
}

# start_trace ARGS...: swarm-trace in the background, returns once attached
start_trace() {
	"$TRACE" "$@" > "$tmp/trace.out" 2> "$tmp/trace.err" &
	TRPID=$!
	for _ in $(seq 300); do
		grep -q '^Tracing' "$tmp/trace.err" && return 0
		kill -0 "$TRPID" 2>/dev/null || fail "swarm-trace exited early"
		sleep 0.05
	done
	fail "swarm-trace did not attach within 15 s"
}

go() { kill -USR1 "$WLPID"; }

# wait_trace: wait for swarm-trace to finish (it has -d); check exit 0
wait_trace() {
	wait "$TRPID"; local rc=$?
	TRPID=
	[ "$rc" -eq 0 ] || fail "swarm-trace exited $rc"
}

# the one JSON block of a -d run
last_block() { tail -n 1 "$tmp/trace.out"; }
