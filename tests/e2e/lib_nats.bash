# Sourced by tests/e2e/nats_*.sh: a private nats-server with JetStream for
# one test, on 127.0.0.1 and a free port, its store in a temp dir, stopped
# by pid. Not a test itself (run.sh only runs *.sh).

# Skip (exit 77, reason last) when this machine or build cannot run it.
nats_require() {
	command -v nats-server >/dev/null 2>&1 ||
		{ echo "SKIP: nats-server not installed (tools/deps.sh installs it)"; exit 77; }
	[ -x "$NATS_HELPER" ] || { echo "SKIP: $NATS_HELPER not built"; exit 77; }
	"$NATS_HELPER" available >/dev/null 2>&1 ||
		{ echo "SKIP: this build lacks NATS support (libnats-dev missing at build time)"; exit 77; }
	return 0
}

nats_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# nats_start DIR [PORT]: sets NATS_PID, NATS_PORT, NATS_URL.
nats_start() {
	local dir=$1 i before
	NATS_PORT=${2:-$(nats_free_port)}
	before=$(grep -c "Server is ready" "$dir/nats-server.log" 2>/dev/null)
	nats-server -js -sd "$dir/js" -a 127.0.0.1 -p "$NATS_PORT" >>"$dir/nats-server.log" 2>&1 &
	NATS_PID=$!
	NATS_URL=nats://127.0.0.1:$NATS_PORT
	for i in $(seq 1 200); do
		[ "$(grep -c "Server is ready" "$dir/nats-server.log")" -gt "${before:-0}" ] && return 0
		kill -0 "$NATS_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "FAIL: nats-server did not start"; tail "$dir/nats-server.log"; return 1
}

nats_kill9() {
	kill -9 "$NATS_PID" 2>/dev/null
	wait "$NATS_PID" 2>/dev/null
	NATS_PID=
}

nats_stop() {
	[ -n "${NATS_PID:-}" ] || return 0
	kill "$NATS_PID" 2>/dev/null
	wait "$NATS_PID" 2>/dev/null
	NATS_PID=
}

# Wait until FILE has at least N lines matching RE (or give up after S s).
wait_lines() {
	local file=$1 re=$2 n=$3 s=${4:-20} i
	for i in $(seq 1 $((s * 20))); do
		[ "$(grep -c -- "$re" "$file" 2>/dev/null)" -ge "$n" ] && return 0
		sleep 0.05
	done
	return 1
}
