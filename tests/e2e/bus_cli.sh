#!/usr/bin/env bash
# End-to-end: the bus CLI as a shell agent uses it.
set -u
S=${SWARM_BIN:-build/swarm}
fail() { echo "FAIL: $*"; exit 1; }
dir=$($S init) || fail "init"
cleanup() { $S destroy --dir "$dir" 2>/dev/null; [ -n "${mnt:-}" ] && { umount "$mnt"; rmdir "$mnt"; }; }
trap cleanup EXIT

# Round trip, stdin payload, batch, per-sender order.
$S send --dir "$dir" --from a --to b "hello" || fail "send arg"
printf 'from stdin\n' | $S send --dir "$dir" --from a --to b - || fail "send stdin"
seq 1 1000 | $S send --dir "$dir" --from c --to b --batch || fail "send batch"
out=$($S recv --dir "$dir" --as b) || fail "recv"
[ "$(echo "$out" | sed -n 1p)" = hello ] || fail "first message"
[ "$(echo "$out" | sed -n 2p)" = "from stdin" ] || fail "second message"
[ "$(echo "$out" | wc -l)" -eq 1003 ] || fail "expected 1003 lines, got $(echo "$out" | wc -l)"
[ "$(echo "$out" | tail -n 1000 | tr '\n' ' ')" = "$(seq 1 1000 | tr '\n' ' ')" ] || fail "batch order"

# Empty inbox exit 1; --wait timeout exit 124; env vars replace options.
SWARM_DIR=$dir SWARM_AGENT=b $S recv; rc=$?; [ $rc -eq 1 ] || fail "empty recv rc=$rc"
SWARM_DIR=$dir SWARM_AGENT=b $S recv --wait 0.2; rc=$?; [ $rc -eq 124 ] || fail "wait rc=$rc"

# --count limits, the rest stays.
seq 1 5 | $S send --dir "$dir" --from a --to q --batch
[ "$($S recv --dir "$dir" --as q --count 2 | tr '\n' ,)" = "1,2," ] || fail "count 2"
[ "$($S recv --dir "$dir" --as q | tr '\n' ,)" = "3,4,5," ] || fail "rest"

# --wait with --count collects until N arrive.
( sleep 0.2; $S send --dir "$dir" --from a --to w x1; sleep 0.2; $S send --dir "$dir" --from a --to w x2 ) &
[ "$($S recv --dir "$dir" --as w --wait 10 --count 2 | tr '\n' ,)" = "x1,x2," ] || fail "wait count"
wait

# JSON: escaping and arbitrary bytes round-trip.
printf 'q"uote\\ tab\t nl\nend' | $S send --dir "$dir" --from a --to j -
printf '\xff\xfe\x00bin' | $S send --dir "$dir" --from a --to j -
$S recv --dir "$dir" --as j --json > "$dir.json" || fail "recv json"
python3 - "$dir.json" <<'PY' || fail "json content"
import json, sys, base64
lines = open(sys.argv[1]).read().splitlines()
a, b = (json.loads(l) for l in lines)
assert a["schema_version"] == 1 and a["from"] == "a" and a["type"] == "data"
assert a["payload"] == 'q"uote\\ tab\t nl\nend', a
assert base64.b64decode(b["payload_base64"]) == b"\xff\xfe\x00bin", b
PY
rm -f "$dir.json"

# A stop message is sticky: exit 5, every time, after earlier messages.
$S send --dir "$dir" --from m --to p t1
$S send --dir "$dir" --from m --to p --type stop ""
[ "$($S recv --dir "$dir" --as p)" = t1 ] || fail "message before stop"
$S recv --dir "$dir" --as p; rc=$?; [ $rc -eq 5 ] || fail "stop rc=$rc"
$S recv --dir "$dir" --as p --wait 1; rc=$?; [ $rc -eq 5 ] || fail "stop again rc=$rc"

# A reader killed at commit gets the same messages again.
$S send --dir "$dir" --from a --to k k1
$S send --dir "$dir" --from a --to k k2
out=$(SWARM_FAULT=recv-commit:1 $S recv --dir "$dir" --as k); rc=$?
[ $rc -eq 137 ] || fail "fault did not kill recv (rc=$rc)"
[ "$($S recv --dir "$dir" --as k | tr '\n' ,)" = "k1,k2," ] || fail "redelivery after crash"
$S recv --dir "$dir" --as k; [ $? -eq 1 ] || fail "committed twice?"
# A resend with the same --seq is delivered once.
$S send --dir "$dir" --from r --to k --seq 7 once
$S send --dir "$dir" --from r --to k --seq 7 once
[ "$($S recv --dir "$dir" --as k | wc -l)" -eq 1 ] || fail "dedup"

# Bad input: clear one-line errors and exit 2 / 3.
$S send --dir "$dir" --from 'a/b' --to b x 2>/dev/null; [ $? -eq 2 ] || fail "bad from"
$S send --dir "$dir" --from a --to .. x 2>/dev/null; [ $? -eq 2 ] || fail "bad to"
$S send --dir "$dir" --from a --to b 2>/dev/null; [ $? -eq 2 ] || fail "no payload"
$S recv --dir "$dir" --as b --count 0 2>/dev/null; [ $? -eq 2 ] || fail "count 0"
$S recv --dir "$dir" --as b --wait abc 2>/dev/null; [ $? -eq 2 ] || fail "bad wait"
$S recv --dir /nonexistent --as b 2>/dev/null; [ $? -eq 3 ] || fail "no bus"
err=$($S recv --dir /tmp --as b 2>&1); [ $? -eq 3 ] || fail "not a bus"
[ "$(echo "$err" | wc -l)" -eq 1 ] || fail "error not one line: $err"
head -c 1048577 /dev/zero | $S send --dir "$dir" --from a --to b - 2>/dev/null; [ $? -eq 2 ] || fail "oversize"
$S nosuch 2>/dev/null; [ $? -eq 2 ] || fail "unknown subcommand"

# ls shows depth and parses as JSON.
$S send --dir "$dir" --from a --to z z1
$S ls --dir "$dir" --json | python3 -c '
import json,sys; d=json.load(sys.stdin); z=[i for i in d["inboxes"] if i["name"]=="z"][0]
assert z["depth"]==1 and z["msgs_in"]==1, z' || fail "ls json"

# A tiny tmpfs: "no space" cleanly, everything accepted before delivered.
if [ "$(id -u)" -eq 0 ]; then
	mnt=$(mktemp -d)
	mount -t tmpfs -o size=1m tmpfs "$mnt" || fail "mount tmpfs"
	small=$(SWARM_SHM=$mnt $S init) || fail "init small"
	i=0; rc=0
	while [ $i -lt 100 ]; do
		head -c 65536 /dev/urandom | base64 -w0 | head -c 60000 | $S send --dir "$small" --from a --to b - 2>"$mnt.err" || { rc=$?; break; }
		i=$((i + 1))
	done
	[ $rc -eq 3 ] || fail "expected exit 3 on a full tmpfs, got $rc after $i"
	grep -q "no space" "$mnt.err" || fail "message: $(cat "$mnt.err")"
	[ "$($S recv --dir "$small" --as b | wc -l)" -eq $i ] || fail "accepted messages lost"
	# After the reader frees space, sending works again.
	$S send --dir "$small" --from a --to b again || fail "send after drain"
	rm -f "$mnt.err"
else
	echo "note: tiny-tmpfs check needs root, not run"
fi
echo "bus CLI ok"
