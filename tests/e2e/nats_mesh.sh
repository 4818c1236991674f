#!/usr/bin/env bash
# End-to-end: the NATS mesh module with a real nats-server (JetStream, file
# store in a temp dir) on 127.0.0.1, one master and consumer processes of
# tests/helpers/nats_mesh_helper.c:
#  1. kill -9 of one consumer mid-run: its unacked tasks are redone by the
#     other, every task counted exactly once, the redeliveries shown;
#  2. kill -9 of nats-server mid-run and restart on the same store: nothing
#     lost, nothing double-counted;
#  3. a task that exhausts MaxDeliver is reported failed with its history;
#  4. a task running longer than AckWait is kept alive (in progress).
set -u
. "$(dirname "$0")/nats_lib.sh.inc"
nats_require
nats_test_setup swarm-nats-test '*.out' '*.err'

nats_start "$tmp" || exit 1

# Every task 0..N-1 has exactly one result line.
check_once() {
	local out=$1 n=$2 got uniq
	got=$(grep -c '^result ' "$out")
	uniq=$(grep '^result ' "$out" | awk '{print $2}' | sort -n | uniq | wc -l)
	[ "$got" -eq "$n" ] || fail "$out: $got result lines, want $n"
	[ "$uniq" -eq "$n" ] || fail "$out: $uniq distinct tasks, want $n"
	[ "$(grep '^result ' "$out" | awk '{print $2}' | sort -n | tail -n 1)" -eq $((n - 1)) ] ||
		fail "$out: task ids are not 0..$((n - 1))"
	grep -q "^summary expected=$n delivered=$n failed=0 " "$out" || fail "$out: summary: $(grep ^summary "$out")"
}

start_consumer() { # name swarm work_ms [extra...]
	local name=$1 swarm=$2 ms=$3; shift 3
	"$NATS_HELPER" consume --url "$NATS_URL" --swarm "$swarm" --name "$name" \
		--slots 4 --work-ms "$ms" --timeout 60 "$@" >"$tmp/$swarm-$name.out" 2>"$tmp/$swarm-$name.err" &
	pids+=($!)
	last_pid=$!
}

# --- 1. kill -9 of a consumer mid-run ---------------------------------------
N=300
# c1 stops finishing after 30 tasks, so it surely holds unacked ones.
start_consumer c1 k9 20 --stall-after 30; c1=$last_pid
start_consumer c2 k9 20; c2=$last_pid
"$NATS_HELPER" master --url "$NATS_URL" --swarm k9 --tasks $N --ack-wait 2 --timeout 60 \
	>"$tmp/k9-master.out" 2>"$tmp/k9-master.err" &
master=$!; pids+=($master)
wait_lines "$tmp/k9-c1.out" '^stalled' 1 20 || fail "c1 did not finish 30 tasks"
kill -9 "$c1"; wait "$c1" 2>/dev/null
wait "$master"; rc=$?
[ $rc -eq 0 ] || fail "master exit $rc after consumer kill"
check_once "$tmp/k9-master.out" $N
# Tasks c1 took but whose result came from c2 were redelivered (attempt >= 2).
redone=0
for t in $(awk '/^took /{print $2}' "$tmp/k9-c1.out" | sort -u); do
	line=$(grep "^result $t " "$tmp/k9-master.out")
	case $line in *coord=c2*)
		redone=$((redone + 1))
		att=$(echo "$line" | sed 's/.*attempt=\([0-9]*\).*/\1/')
		[ "$att" -ge 2 ] || fail "task $t taken by killed c1, redone by c2 on attempt $att"
		grep -q "^redelivered $t " "$tmp/k9-master.out" || fail "task $t redelivery not reported";;
	esac
done
[ $redone -ge 1 ] || fail "no task of the killed consumer was redone by the other"
grep -q "redelivered=$redone " "$tmp/k9-master.out" ||
	echo "note: $(grep ^summary "$tmp/k9-master.out") (redone by c2: $redone)"
wait "$c2"; rc=$?
[ $rc -eq 0 ] || fail "surviving consumer exit $rc (should end when the swarm is removed)"
echo "ok: consumer kill -9: $N/$N delivered once, $redone redone elsewhere"

# --- 2. kill -9 of nats-server mid-run, restart on the same store ------------
N=300
start_consumer c1 sk 10
start_consumer c2 sk 10
"$NATS_HELPER" master --url "$NATS_URL" --swarm sk --tasks $N --ack-wait 2 --timeout 60 \
	>"$tmp/sk-master.out" 2>"$tmp/sk-master.err" &
master=$!; pids+=($master)
wait_lines "$tmp/sk-master.out" '^result ' 60 20 || fail "fewer than 60 results before the server kill"
nats_kill9
sleep 1
nats_start "$tmp" "$NATS_PORT" || fail "server restart"
wait "$master"; rc=$?
[ $rc -eq 0 ] || fail "master exit $rc after server restart"
check_once "$tmp/sk-master.out" $N
grep -Eq '^summary .* reconnects=[1-9]' "$tmp/sk-master.out" || fail "master did not see the reconnect"
echo "ok: server kill -9 + restart: $(grep ^summary "$tmp/sk-master.out")"

# --- 3. MaxDeliver exhausted: failed, with the history ---------------------
start_consumer c1 md 1 --nak-task 4
"$NATS_HELPER" master --url "$NATS_URL" --swarm md --tasks 10 --ack-wait 1 --max-deliver 3 \
	--timeout 30 >"$tmp/md-master.out" 2>"$tmp/md-master.err"; rc=$?
[ $rc -eq 1 ] || fail "master exit $rc with an exhausted task (want 1)"
grep -q '^failed 4 history=.*gave up after 3 deliveries' "$tmp/md-master.out" ||
	fail "no failure report with history for task 4"
# Deliveries are listed from the coordinators' heartbeats (best effort:
# the last one may race the server's advisory); the count is the server's.
grep -q '^failed 4 history=1@c1 .*gave up' "$tmp/md-master.out" || fail "history of task 4 missing"
grep -q '^summary expected=10 delivered=9 failed=1 ' "$tmp/md-master.out" || fail "summary"
echo "ok: MaxDeliver: $(grep '^failed 4' "$tmp/md-master.out")"

# --- 4. a task longer than AckWait is kept alive, not redelivered ------------
start_consumer c1 lp 2500
"$NATS_HELPER" master --url "$NATS_URL" --swarm lp --tasks 3 --ack-wait 1 --timeout 30 \
	>"$tmp/lp-master.out" 2>"$tmp/lp-master.err"; rc=$?
[ $rc -eq 0 ] || fail "long tasks: master exit $rc"
grep -q '^summary expected=3 delivered=3 failed=0 duplicates=0 redelivered=0 ' "$tmp/lp-master.out" ||
	fail "long tasks were redelivered: $(grep ^summary "$tmp/lp-master.out")"
echo "ok: tasks of 2.5 s with AckWait 1 s: kept in progress, none redelivered"
