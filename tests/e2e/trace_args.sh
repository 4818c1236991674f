#!/usr/bin/env bash
# swarm-trace argument and environment errors: one clear line on stderr and
# the documented exit code (2 usage, 3 environment); --help exits 0.
. "$(dirname "$0")/trace_lib.bash"

# expect CODE PATTERN ARGS...: exit code and a stderr line matching PATTERN
expect() {
	local code=$1 pat=$2 rc
	shift 2
	"$TRACE" "$@" > "$tmp/out" 2> "$tmp/err"; rc=$?
	[ "$rc" -eq "$code" ] || fail "swarm-trace $* exited $rc, expected $code: $(cat "$tmp/err")"
	grep -q -- "$pat" "$tmp/err" || fail "swarm-trace $*: stderr lacks '$pat': $(cat "$tmp/err")"
}

expect 2 "exactly one of -p PID or --dir"
expect 2 "unexpected argument 'bogus'" bogus -p 1
expect 2 "bad pid" -p abc
expect 2 "bad pid" -p 0
expect 2 "bad interval" -p 1 -i -3
expect 2 "bad duration" -p 1 -d never
expect 2 "exactly one of" -p 1 --dir /dev/shm
expect 2 "unexpected argument '0'" flock -p 1 0

# a pid that is not running: find a free one below pid_max
dead=$(( $(cat /proc/sys/kernel/pid_max) - 1 ))
while kill -0 "$dead" 2>/dev/null; do dead=$((dead - 1)); done
expect 3 "no such process: $dead" -p "$dead"

# --dir: not a swarm, no master, a corrupt master.pid, a symlinked one
d=$tmp/bus
mkdir -p "$d"
expect 3 "not a swarm bus dir" --dir "$d"
expect 3 "No such file or directory" --dir "$tmp/nothing-here"
echo "swarm-bus 1" > "$d/meta"
expect 3 "master.pid: No such file" --dir "$d"
echo "12abc" > "$d/master.pid"
expect 3 "does not hold a pid" --dir "$d"
echo "$dead" > "$d/master.pid"
expect 3 "no such process: $dead" --dir "$d"
rm "$d/master.pid"
echo "$$" > "$tmp/elsewhere"
ln -s "$tmp/elsewhere" "$d/master.pid"
expect 3 "master.pid: Too many levels of symbolic links" --dir "$d"

# a good --dir traces its master
rm "$d/master.pid"
sleep 20 &
sp=$!
echo "$sp" > "$d/master.pid"
"$TRACE" spawn --dir "$d" -d 0.5 --json > "$tmp/out" 2> "$tmp/err" || fail "--dir run failed: $(cat "$tmp/err")"
jq -e --argjson p "$sp" '.pid == $p and .schema_version == 1' "$tmp/out" > /dev/null ||
	fail "--dir did not trace master $sp: $(cat "$tmp/out")"
kill "$sp"

# unprivileged: one line naming what is off and why, exit 3
if command -v setpriv > /dev/null; then
	sleep 20 &
	sp=$!
	chmod 755 "$tmp"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$TRACE" -p "$sp" -d 1 > "$tmp/out" 2> "$tmp/err"; rc=$?
	kill "$sp"
	[ "$rc" -eq 3 ] || fail "unprivileged run exited $rc"
	[ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "unprivileged: not one line: $(cat "$tmp/err")"
	grep -q "needs root" "$tmp/err" || fail "unprivileged: no reason: $(cat "$tmp/err")"
fi

"$TRACE" --help > "$tmp/out" || fail "--help did not exit 0"
grep -q '^EXAMPLES' "$tmp/out" || fail "--help has no EXAMPLES"
grep -q '^EXIT CODES' "$tmp/out" || fail "--help has no EXIT CODES"
echo "ok: argument errors"
