#!/usr/bin/env bash
# End-to-end: build/delayproxy (tools/delayproxy.c), the delay and the
# partition the NATS netns tests put between a "host" and nats-server.
# Against a python echo server on 127.0.0.1:
#  1. bad arguments: one line, exit 2; a listen address it cannot bind:
#     exit 3;
#  2. the delay: a round trip through --delay-ms D takes at least 2 D
#     (and a direct one far less); 1 MiB each way arrive intact and in
#     order through 16 KiB buffers, which are never exceeded;
#  3. a partition (SIGUSR1) holds the bytes: nothing arrives while it
#     lasts, everything after it heals (SIGUSR2 or its end), intact;
#  4. --max-conns: one connection more is closed at once; the upstream
#     down: the client's connection is closed, not left hanging;
#  5. SIGTERM: exit 0 and one JSON line of counters.
set -u
P=${SWARM_BUILD:-$(dirname "$0")/../../build}/delayproxy
[ -x "$P" ] || { echo "SKIP: $P not built (make test-bins)"; exit 77; }
tmp=$(mktemp -d /tmp/swarm-delayproxy.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$tmp"/*.log; do [ -f "$f" ] && { echo "== $f"; tail -n 5 "$f"; }; done; exit 1; }

# --- 1. bad arguments, cannot bind ------------------------------------------
expect() { # code what args...
	local code=$1 what=$2 out rc; shift 2
	out=$("$P" "$@" 2>&1 >/dev/null); rc=$?
	[ $rc -eq "$code" ] || fail "$what: exit $rc, want $code ($out)"
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "$what: not one line: $out"
	printf '%s\n' "$out" | grep -q '^delayproxy: ' || fail "$what: message: $out"
}
expect 2 "no args"
expect 2 "bad listen" --listen nowhere --connect 127.0.0.1:1
expect 2 "bad port" --listen 127.0.0.1:70000 --connect 127.0.0.1:1
expect 2 "connect port 0" --listen 127.0.0.1:0 --connect 127.0.0.1:0
expect 2 "delay too big" --listen 127.0.0.1:0 --connect 127.0.0.1:1 --delay-ms 999999
expect 2 "negative delay" --listen 127.0.0.1:0 --connect 127.0.0.1:1 --delay-ms -1
expect 2 "zero buffer" --listen 127.0.0.1:0 --connect 127.0.0.1:1 --buffer-kb 0
expect 2 "unknown option" --listen 127.0.0.1:0 --connect 127.0.0.1:1 --frobnicate 1
expect 2 "missing value" --listen 127.0.0.1:0 --connect
expect 3 "cannot bind" --listen 192.0.2.1:0 --connect 127.0.0.1:1
"$P" --help | grep -q '^USAGE: delayproxy' || fail "--help"
echo "ok: bad arguments (exit 2), an address it cannot bind (exit 3)"

# --- the echo server ----------------------------------------------------------
cat > "$tmp/echo.py" <<'PY'
import socket, sys, threading
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0)); srv.listen(16)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % srv.getsockname()[1])
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
def echo(c):
    while True:
        d = c.recv(65536)
        if not d:
            c.close(); return
        c.sendall(d)
while True:
    c, _ = srv.accept()
    threading.Thread(target=echo, args=(c,), daemon=True).start()
PY
python3 "$tmp/echo.py" "$tmp/echo.port" > "$tmp/echo.log" 2>&1 &
echo_pid=$!; pids+=($echo_pid)
for _ in $(seq 100); do [ -s "$tmp/echo.port" ] && break; sleep 0.05; done
[ -s "$tmp/echo.port" ] || fail "echo server did not start"
EP=$(cat "$tmp/echo.port")

start_proxy() { # name args...
	local name=$1; shift
	rm -f "$tmp/$name.port"
	"$P" --listen 127.0.0.1:0 --connect "127.0.0.1:$EP" --port-file "$tmp/$name.port" "$@" \
		> "$tmp/$name.out" 2> "$tmp/$name.log" &
	last=$!; pids+=($last)
	for _ in $(seq 100); do [ -s "$tmp/$name.port" ] && break; sleep 0.02; done
	[ -s "$tmp/$name.port" ] || fail "proxy $name did not start"
}

# client.py MODE PORT [ARGS]: the checks, from the client's side.
cat > "$tmp/client.py" <<'PY'
import hashlib, os, socket, sys, threading, time
mode, port = sys.argv[1], int(sys.argv[2])

def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def rtt(s, n=100):
    t = time.monotonic(); s.sendall(b"x" * n); got = 0
    while got < n:
        got += len(s.recv(65536))
    return time.monotonic() - t

if mode == "rtt":                        # median round trip, ms
    s = conn(); v = sorted(rtt(s) for _ in range(9)); s.close()
    print("%.1f" % (v[4] * 1000))
elif mode == "bulk":                     # 1 MiB out, the same 1 MiB back
    data = os.urandom(1 << 20); s = conn(); back = []
    def rd():
        n = 0
        while n < len(data):
            d = s.recv(1 << 20)
            if not d: break
            back.append(d); n += len(d)
    th = threading.Thread(target=rd); th.start(); s.sendall(data); th.join(); s.close()
    ok = hashlib.sha256(b"".join(back)).digest() == hashlib.sha256(data).digest()
    print("intact" if ok else "corrupt %d bytes" % sum(map(len, back)))
elif mode == "held":                     # ARGS: seconds to wait for nothing
    s = conn(); rtt(s)                   # the path works
    open(sys.argv[3], "w").write("ready\n")
    time.sleep(0.3)                      # the test cuts the path now
    t = time.monotonic(); s.sendall(b"during the partition\n")
    s.settimeout(float(sys.argv[4])); early = b""
    try:
        early = s.recv(100)
    except socket.timeout:
        pass
    s.settimeout(20); d = early
    while len(d) < 21:
        d += s.recv(100)
    print("early" if early else "held", "%.2f" % (time.monotonic() - t), d == b"during the partition\n")
elif mode == "closed":                   # is the connection closed at once?
    s = conn(); s.settimeout(3)
    try:
        d = s.recv(10)
        print("closed" if d == b"" else "data")
    except (socket.timeout, ConnectionResetError) as e:
        print("closed" if isinstance(e, ConnectionResetError) else "open")
PY

# --- 2. the delay, bulk through small buffers -----------------------------------
direct=$(python3 "$tmp/client.py" rtt "$EP") || fail "direct round trip"
start_proxy d40 --delay-ms 40
p40=$last
slow=$(python3 "$tmp/client.py" rtt "$(cat "$tmp/d40.port")") || fail "round trip through the proxy"
awk -v s="$slow" 'BEGIN { exit !(s >= 78) }' || fail "round trip with 40 ms each way: $slow ms"
awk -v s="$slow" -v d="$direct" 'BEGIN { exit !(d < s / 4) }' || fail "direct $direct ms vs $slow ms"
echo "ok: round trip $direct ms direct, $slow ms with 40 ms each way"
start_proxy small --delay-ms 5 --buffer-kb 16
psmall=$last
out=$(python3 "$tmp/client.py" bulk "$(cat "$tmp/small.port")") || fail "bulk"
[ "$out" = intact ] || fail "bulk through 16 KiB buffers: $out"
kill -TERM "$psmall"; wait "$psmall"; rc=$?
[ $rc -eq 0 ] || fail "SIGTERM: exit $rc"
python3 - "$tmp/small.out" <<'PY' || fail "counters after bulk: $(cat "$tmp/small.out")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
c = json.loads(lines[0])["delayproxy"]
assert c["accepted"] == 1 and c["bytes_up"] == c["bytes_down"] == 1 << 20, c
assert 0 < c["queued_peak"] <= 16 << 10, c
print("ok: 1 MiB each way intact through 16 KiB buffers, peak queued", c["queued_peak"], "bytes")
PY

# --- 3. a partition holds the bytes --------------------------------------------
start_proxy cut --delay-ms 5 --partition-ms 1500
pcut=$last
python3 "$tmp/client.py" held "$(cat "$tmp/cut.port")" "$tmp/ready" 1.0 > "$tmp/held.out" &
cl=$!; pids+=($cl)
for _ in $(seq 100); do [ -s "$tmp/ready" ] && break; sleep 0.02; done
kill -USR1 "$pcut"
wait "$cl" || fail "partition client"
read -r how secs intact < "$tmp/held.out"
[ "$how" = held ] || fail "bytes went through the partition ($(cat "$tmp/held.out"))"
[ "$intact" = True ] || fail "bytes after the partition: $(cat "$tmp/held.out")"
echo "ok: partition (1.5 s): nothing for 1 s, then everything, intact, $secs s after sending"
rm -f "$tmp/ready"
python3 "$tmp/client.py" held "$(cat "$tmp/cut.port")" "$tmp/ready" 0.5 > "$tmp/held2.out" &
cl=$!; pids+=($cl)
for _ in $(seq 100); do [ -s "$tmp/ready" ] && break; sleep 0.02; done
kill -USR1 "$pcut"; sleep 0.8; kill -USR2 "$pcut"
wait "$cl" || fail "partition client (heal)"
read -r how secs intact < "$tmp/held2.out"
[ "$how" = held ] && [ "$intact" = True ] || fail "heal: $(cat "$tmp/held2.out")"
awk -v s="$secs" 'BEGIN { exit !(s < 1.4) }' || fail "SIGUSR2 did not heal at once ($secs s)"
echo "ok: SIGUSR2 heals before the partition's end ($secs s)"

# --- 4. connection limit, upstream down ------------------------------------------
start_proxy lim --max-conns 1
exec 7<>"/dev/tcp/127.0.0.1/$(cat "$tmp/lim.port")"
sleep 0.2
[ "$(python3 "$tmp/client.py" closed "$(cat "$tmp/lim.port")")" = closed ] ||
	fail "a connection over --max-conns was not closed"
exec 7>&-
kill -9 "$echo_pid"; wait "$echo_pid" 2>/dev/null
[ "$(python3 "$tmp/client.py" closed "$(cat "$tmp/d40.port")")" = closed ] ||
	fail "upstream down: the client's connection was left open"
echo "ok: --max-conns refuses one more; upstream down closes the client's connection"

# --- 5. SIGTERM -------------------------------------------------------------------
for p in "$p40" "$pcut" "$last"; do
	kill -TERM "$p"; wait "$p"; rc=$?
	[ $rc -eq 0 ] || fail "SIGTERM: exit $rc"
done
grep -q '"partitions":2' "$tmp/cut.out" || fail "partition count: $(cat "$tmp/cut.out")"
grep -q '"refused":1' "$tmp/lim.out" || fail "refused count: $(cat "$tmp/lim.out")"
grep -q '"failed_upstream":1' "$tmp/d40.out" || fail "upstream failures: $(cat "$tmp/d40.out")"
echo "ok: SIGTERM stops every proxy with exit 0 and its counters"
