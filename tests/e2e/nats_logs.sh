#!/usr/bin/env bash
# End-to-end: a NATS coordinator's default log directory,
# ${TMPDIR:-/tmp}/swarm-<swarm>-<name>, has a predictable name, so it gets
# the checks swarm run's own has (run_logs.h): a symlink planted there, or
# a directory someone else could read, is refused with one clear line and
# exit 3 before anything is written; a fresh one is made private (0700).
set -u
. "$(dirname "$0")/nats_lib.sh.inc"
nats_require
nats_test_setup swarm-nats-logs '*.err'
export SWARM_SHM=$tmp/shm TMPDIR=$tmp/t
mkdir -m 700 "$SWARM_SHM" "$TMPDIR"
nats_start "$tmp"

join() { # name -> runs a coordinator of swarm "sq" in the background
	"$S" coordinator --join "$NATS_URL" --swarm sq --name "$1" --workers 1 \
		-- /bin/true > "$tmp/$1.out" 2> "$tmp/$1.err" &
	pids+=($!)
	jpid=$!
}

refused() { # name what
	local rc i
	join "$1"
	for i in $(seq 1 100); do kill -0 "$jpid" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$jpid" 2>/dev/null && fail "$2: the coordinator runs"
	wait "$jpid"; rc=$?
	[ $rc -eq 3 ] || fail "$2: exit $rc, want 3"
	[ "$(wc -l < "$tmp/$1.err")" -eq 1 ] || fail "$2: not one line"
	grep -q "log directory" "$tmp/$1.err" || fail "$2: message does not name the log directory"
}

# A symlink to a directory the attacker reads: refused, nothing written there.
mkdir -m 777 "$tmp/attacker"
ln -s "$tmp/attacker" "$TMPDIR/swarm-sq-j1"
refused j1 "symlinked log dir"
[ -z "$(ls -A "$tmp/attacker")" ] || fail "symlinked log dir: files written through it"
echo "ok: a symlink at the log path is refused"

# A directory others may read (made first by someone, mode 0777): refused.
mkdir -m 777 "$TMPDIR/swarm-sq-j2"
chmod 777 "$TMPDIR/swarm-sq-j2"
refused j2 "world-writable log dir"
[ -z "$(ls -A "$TMPDIR/swarm-sq-j2")" ] || fail "world-writable log dir: written into"
echo "ok: a log dir others may read is refused"

# Nothing there: made 0700 and ours, and the coordinator goes on to join.
join j3
for i in $(seq 1 100); do [ -d "$TMPDIR/swarm-sq-j3" ] && break; sleep 0.05; done
[ -d "$TMPDIR/swarm-sq-j3" ] || fail "fresh log dir: not made"
[ "$(stat -c %a "$TMPDIR/swarm-sq-j3")" = 700 ] || fail "fresh log dir: mode $(stat -c %a "$TMPDIR/swarm-sq-j3")"
[ "$(stat -c %u "$TMPDIR/swarm-sq-j3")" = "$(id -u)" ] || fail "fresh log dir: not ours"
sleep 0.3
kill -0 "$jpid" 2>/dev/null || fail "fresh log dir: the coordinator stopped: $(cat "$tmp/j3.err")"
# Nothing here is about stopping: SIGKILL, not SIGTERM, whose graceful
# leave waits ~30 s on NATS for a swarm that has no master (seen here).
kill -9 "$jpid"; wait "$jpid" 2>/dev/null
echo "ok: a fresh log dir is private"
echo "PASS"
