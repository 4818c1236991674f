# Sourced by bench/nats_*.sh: one private nats-server with JetStream on a
# free loopback port, its data and log under DIR.
#   bench_nats_up DIR    sets NATS_URL and NATS_PID; exits 3 without
#                        nats-server, returns 3 if it does not come up
#   bench_nats_down      stops it (for the caller's EXIT trap)
bench_nats_up() {
	local dir=$1 port i
	command -v nats-server > /dev/null || { echo "nats-server not installed (make deps)" >&2; exit 3; }
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	nats-server -js -sd "$dir/js" -a 127.0.0.1 -p "$port" > "$dir/server.log" 2>&1 &
	NATS_PID=$!
	NATS_URL=nats://127.0.0.1:$port
	for i in $(seq 1 100); do
		grep -q "Server is ready" "$dir/server.log" && return 0
		sleep 0.05
	done
	echo "nats-server did not start: $(tail -n 3 "$dir/server.log")" >&2
	return 3
}

bench_nats_down() {
	[ -n "${NATS_PID:-}" ] || return 0
	kill "$NATS_PID" 2> /dev/null
	wait "$NATS_PID" 2> /dev/null
}
