#!/usr/bin/env bash
# swarm top against real runs: full screen in a tmux pane (the state
# counts and the delivery move, the view follows a resize down to 40
# columns, q and Ctrl-C give the screen back), one line per interval on
# a pipe until the swarm ends, --json and -n, hybrid coordinator rows,
# and exit 3 when the master is killed.
# An agent reads its first task only once the test opens its start gate
# (till then it is "starting"), and answers a task only once the test
# opens that task's gate: every number the test waits for is one it
# caused. Waits are bounded polls on content, never sleeps that assume a
# speed.
set -u
. "$(dirname "$0")/lib/run_common.bash"
command -v tmux > /dev/null || { echo "SKIP top_tmux: tmux missing (tools/deps.sh installs it)"; exit 77; }
S=$(cd "$(dirname "$S")" && pwd)/$(basename "$S")
L=swarm-top-$$                      # a private tmux server
tm() { tmux -L "$L" -f /dev/null "$@"; }
kill_cg=
trap 'tm kill-server 2>/dev/null; [ -e "$kill_cg" ] && echo 1 > "$kill_cg"; rm -rf "$TMP"' EXIT
GATE=$TMP/gate
mkdir -p "$GATE"
cat > "$TMP/agent.sh" <<EOF
#!/bin/sh
while [ ! -e "$GATE/start.\$SWARM_AGENT" ]; do sleep 0.05; done
while t=\$(swarm recv --wait 120 --count 1); do
	while [ ! -e "$GATE/go.\$t" ]; do sleep 0.05; done
	swarm send --to "\$SWARM_PARENT" "ok \$t"
done
EOF
chmod +x "$TMP/agent.sh"
release() { local t; for t in "$@"; do : > "$GATE/go.$t"; done; }
start() { local a; for a in "$@"; do : > "$GATE/start.$a"; done; }

bus_of() {
	local f
	for f in /dev/shm/swarm-*/master.pid; do
		[ "$(cat "$f" 2>/dev/null)" = "$1" ] && { dirname "$f"; return; }
	done
}
wait_bus() {
	local i
	for i in $(seq 600); do bus=$(bus_of "$1"); [ -n "$bus" ] && return; sleep 0.05; done
	cat "$TMP"/*.err 2>/dev/null; fail "no bus for master $1"
}
pane() { tm capture-pane -p -t "$1"; }
# wait_pane TARGET ERE: until the pane shows a line matching ERE.
wait_pane() {
	local i
	for i in $(seq 400); do pane "$1" | grep -qE -- "$2" && return; sleep 0.05; done
	echo "--- pane $1:"; pane "$1"; fail "pane $1 never showed /$2/"
}
flag() { tm display -p -t "$1" "#{$2}"; }

seq 1 20 > "$TMP/tasks"
LAST=$TMP/report.json
"$S" run -n 4 --tasks "$TMP/tasks" --timeout 300 --json --logs "$TMP/logs" -- \
	"$TMP/agent.sh" > "$LAST" 2> "$TMP/run.err" &
master=$!
wait_bus $master

# --- full screen --------------------------------------------------------------
tm new-session -d -s top -x 100 -y 30 "$S top --dir $bus; echo TOP_EXIT=\$?; sleep 600"
wait_pane top '^delivery 0/20 0\.0%'
wait_pane top '^agents 4: starting 4  busy 0  idle 0  hung 0  exited 0  failed 0$'
[ "$(flag top alternate_on)" = 1 ] || fail "top did not take the alternate screen"
[ "$(flag top cursor_flag)" = 0 ] || fail "top did not hide the cursor"
pane top | head -n 1 | grep -q "^swarm top swarm-.* flat .* pid $master" || { pane top; fail "header"; }
# w1 and w2 read their tasks (busy), answer 1 and 2, and take 5 and 6.
start w1 w2
wait_pane top '^agents 4: starting 2  busy 2  idle 0  hung 0  exited 0  failed 0$'
release 1 2
wait_pane top '^delivery 2/20 10\.0%'
pane top | grep -qE '^  w[12] +[56] ' || { pane top; fail "slowest lists w1/w2 on tasks 5/6"; }
[ "$(pane top | grep -cE '^  w[1-4] +[0-9]+ +[0-9.]+s$')" = 4 ] || { pane top; fail "4 slowest rows"; }

# Narrow: the view must follow the new size, or its 100-column lines wrap
# and the screen scrolls (header gone, footer pushed off).
tm resize-window -t top -x 40 -y 15
wait_pane top '^  hung 0 exited 0 failed 0$'
pane top > "$TMP/narrow"
head -n 1 "$TMP/narrow" | grep -q '^swarm top swarm-' || { cat "$TMP/narrow"; fail "narrow: header scrolled away"; }
grep -qx 'agents 4: starting 2 busy 2 idle 0' "$TMP/narrow" || { cat "$TMP/narrow"; fail "narrow states"; }
grep -qxE '\[[#.x]{38}\]' "$TMP/narrow" || { cat "$TMP/narrow"; fail "narrow: bar not 40 columns"; }
[ "$(grep -v '^$' "$TMP/narrow" | tail -n 1)" = "q quit" ] || { cat "$TMP/narrow"; fail "narrow: footer"; }
[ "$(wc -l < "$TMP/narrow")" -le 15 ] || fail "narrow: more than 15 rows"
start w3
release 3
wait_pane top '^delivery 3/20 15\.0%'   # still live after the resize
wait_pane top '^agents 4: starting 1 busy 3 idle 0$'

tm send-keys -t top q
wait_pane top '^TOP_EXIT=0$'
[ "$(flag top alternate_on)" = 0 ] || fail "q left the alternate screen on"
[ "$(flag top cursor_flag)" = 1 ] || fail "q left the cursor hidden"

# Ctrl-C: the same way out, exit 128+SIGINT.
tm new-window -t top -n c "$S top --dir $bus; echo TOP_EXIT=\$?; sleep 600"
wait_pane top:c '^delivery 3/20'
[ "$(flag top:c alternate_on)" = 1 ] || fail "second top: no alternate screen"
tm send-keys -t top:c C-c
wait_pane top:c '^TOP_EXIT=130$'
[ "$(flag top:c alternate_on)" = 0 ] || fail "Ctrl-C left the alternate screen on"
[ "$(flag top:c cursor_flag)" = 1 ] || fail "Ctrl-C left the cursor hidden"

# SIGTERM and SIGHUP: the same way out, 128+N. (Started in the background
# of the pane's shell to learn its pid; stdout is still the terminal.)
for sig in TERM HUP; do
	tm new-window -t top -n $sig "$S top --dir $bus & echo \$! > $TMP/pid.$sig; wait \$!; echo TOP_EXIT=\$?; sleep 600"
	wait_pane top:$sig '^delivery 3/20'
	[ "$(flag top:$sig alternate_on)" = 1 ] || fail "top ($sig): no alternate screen"
	kill -$sig "$(cat "$TMP/pid.$sig")"
	want=$((128 + $(kill -l $sig)))
	wait_pane top:$sig "^TOP_EXIT=$want\$"
	[ "$(flag top:$sig alternate_on)" = 0 ] || fail "SIG$sig left the alternate screen on"
	[ "$(flag top:$sig cursor_flag)" = 1 ] || fail "SIG$sig left the cursor hidden"
done

# A full-screen top still running when the swarm ends (below).
tm new-window -t top -n end "$S top --dir $bus; echo TOP_EXIT=\$?; sleep 600"
wait_pane top:end '^delivery 3/20'
# Paused: the full screen and --json say so; resumed: they stop saying it.
"$S" pause --dir "$bus" > /dev/null || fail "pause"
wait_pane top:end '^swarm top swarm-.*  PAUSED'
"$S" top --dir "$bus" --json -n 1 > "$TMP/pj" || fail "top --json while paused"
[ "$(jget "$TMP/pj" 'd["paused"]')" = True ] || fail "top --json does not show the pause"
"$S" resume --dir "$bus" > /dev/null || fail "resume"
for i in $(seq 400); do pane top:end | head -n 1 | grep -q PAUSED || break; sleep 0.05; done
pane top:end | head -n 1 | grep -q PAUSED && fail "still PAUSED after resume"

# --- pipes -----------------------------------------------------------------------
"$S" top --dir "$bus" --json -n 2 -i 0.2 > "$TMP/j" || fail "top --json exit $?"
python3 - "$TMP/j" <<'PY' || fail "top --json"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 2, rows
for d in rows:
    assert d["schema_version"] == 1 and d["topology"] == "flat"
    assert sum(d["states"].values()) == 4, d["states"]
    assert d["delivered"] == 3 and d["expected"] == 20, d
    assert len(d["slowest"]) == 4
PY
"$S" top --dir "$bus" --plain -n 3 -i 0.2 > "$TMP/n3" || fail "top -n 3 exit $?"
[ "$(wc -l < "$TMP/n3")" = 3 ] || { cat "$TMP/n3"; fail "-n 3 gave $(wc -l < "$TMP/n3") lines"; }

# Not a terminal: one line per interval, exits 0 when the swarm ends, and
# its last line is the end state (the master's final snapshot).
"$S" top --dir "$bus" -i 0.2 > "$TMP/plain" 2> "$TMP/plain.err" &
top=$!
for i in $(seq 400); do [ -s "$TMP/plain" ] && break; sleep 0.05; done
start w4
release $(seq 4 20)
wait $master || fail "run exit $?"
wait $top; rc=$?
[ $rc = 0 ] || { cat "$TMP/plain" "$TMP/plain.err"; fail "plain top exit $rc"; }
re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z starting [0-9]+ busy [0-9]+ idle [0-9]+ hung [0-9]+ exited [0-9]+ failed [0-9]+ msgs/s [0-9.-]+ delivery [0-9]+/20 [0-9.]+%$'
bad=$(grep -vcE "$re" "$TMP/plain")
[ "$bad" = 0 ] || { cat "$TMP/plain"; fail "$bad malformed plain lines"; }
[ "$(tail -n 1 "$TMP/plain" | grep -oE 'delivery [0-9]+/20 [0-9.]+%')" = "delivery 20/20 100.0%" ] ||
	{ cat "$TMP/plain"; fail "last line is not the end state"; }
[ "$(head -n 1 "$TMP/plain" | grep -oE 'delivery [0-9]+/20')" != "delivery 20/20" ] ||
	fail "first line already at the end: delivery never moved"
grep -q 'the swarm has ended' "$TMP/plain.err" || fail "no end message"
# The full-screen one: screen given back, the end state left as a line.
wait_pane top:end '^TOP_EXIT=0$'
[ "$(flag top:end alternate_on)" = 0 ] || fail "the end of the swarm left the alternate screen on"
[ "$(flag top:end cursor_flag)" = 1 ] || fail "the end of the swarm left the cursor hidden"
tm capture-pane -p -J -t top:end | grep -qE 'Z starting 0 busy 0 idle 0 hung 0 exited 4 failed 0 msgs/s [0-9.]+ delivery 20/20 100.0%' ||
	{ pane top:end; fail "no end-state line after the full screen"; }   # -J: joined if wrapped
"$S" top --dir "$bus" --plain -n 1 2> "$TMP/gone.err"; rc=$?
[ $rc = 3 ] || fail "top on a removed bus: exit $rc, want 3"
[ "$(jget "$LAST" 'd["delivered"]')" = 20 ] || fail "the watched run lost tasks"

# --- hybrid: one row per coordinator ------------------------------------------------
rm -f "$GATE"/go.*
"$S" run --coordinators 2 --workers 2 --tasks "$TMP/tasks" --timeout 300 --json \
	--logs "$TMP/logs2" -- "$TMP/agent.sh" > "$TMP/hy.json" 2> "$TMP/hy.err" &
master=$!
wait_bus $master
start c1-w1 c1-w2 c2-w1 c2-w2
release 1 2 3
for i in $(seq 400); do
	"$S" top --dir "$bus" --json -n 1 > "$TMP/hj" &&
		[ "$(jget "$TMP/hj" 'd["delivered"]')" = 3 ] && break
	sleep 0.05
done
python3 - "$TMP/hj" <<'PY' || { cat "$TMP/hj"; fail "hybrid top"; }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["topology"] == "hybrid" and d["delivered"] == 3, d
c = d["coordinators"]
assert [x["name"] for x in c] == ["c1", "c2"], c
assert d["msgs"] >= 20 + 3, d["msgs"]   # 20 tasks out, 3 results in
assert d["final"] is False
assert all(x["state"] == "running" and x["pid"] > 0 for x in c), c
assert sum(x["done"] for x in c) == 3 and sum(x["open"] for x in c) == 17, c
assert d["states"]["busy"] == 2, d["states"]
PY
release $(seq 4 20)
wait $master || fail "hybrid run exit $?"

# --- the master killed while watched: exit 3 ------------------------------------------
rm -f "$GATE"/go.*
"$S" run -n 2 --tasks "$TMP/tasks" --timeout 300 --logs "$TMP/logs3" -- "$TMP/agent.sh" \
	> "$TMP/kill.out" 2> "$TMP/kill.err" &
master=$!
wait_bus $master
cg=$(cat "$bus/cgroup" 2>/dev/null)
[ -n "$cg" ] && kill_cg=$cg/cgroup.kill
"$S" top --dir "$bus" --plain -i 0.2 > "$TMP/k" 2> "$TMP/k.err" &
top=$!
for i in $(seq 400); do [ -s "$TMP/k" ] && break; sleep 0.05; done
[ -s "$TMP/k" ] || fail "top printed nothing before the kill"
{ kill -9 $master; wait $master; } 2> /dev/null
wait $top; rc=$?
[ $rc = 3 ] || { cat "$TMP/k.err"; fail "top after kill -9 of the master: exit $rc, want 3"; }
grep -q "is gone" "$TMP/k.err" || { cat "$TMP/k.err"; fail "no 'master is gone' line"; }
# Its agents outlive it in the swarm's cgroup: end them, then the bus.
[ -e "$kill_cg" ] && echo 1 > "$kill_cg"
"$S" gc > /dev/null 2>&1
echo ok
