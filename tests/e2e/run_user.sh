#!/usr/bin/env bash
# Privileges of `swarm run` as root: the master raises its own priority
# (nice -5 and SCHED_RR, agents keep the caller's); after the kernel tracing is attached the
# master drops every capability (so do its agents, bounding set included);
# with --user NAME agents and coordinators run as NAME, the bus and logs are
# NAME's (0700), the master keeps only setuid/setgid/kill, tracing still
# reads its maps, the swarm's user's `swarm status`/`pause` reach it, and a
# third uid can neither read nor write the bus; root's gc collects a --user
# swarm whose master was killed. Bad --user input is refused.
set -u
. "$(dirname "$0")/lib/run_common.bash"
[ "$(id -u)" -eq 0 ] || { echo "needs root to run agents as another user"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "no 'nobody' user on this host"; exit 77; }
id daemon >/dev/null 2>&1 || { echo "no 'daemon' user on this host"; exit 77; }
NOBODY_GID=$(id -g nobody)
# nobody must be able to execute the binary (coordinators run it): the
# checkout may live under a 0700 home, so copy it.
chmod 0755 "$TMP"
# swarm-core comes along: the front execs it for run.
cp "$S" "$(dirname "$S")/swarm-core" "$TMP/" && chmod 0755 "$TMP/swarm" "$TMP/swarm-core"
S=$TMP/swarm
printf 't1\nt2\nt3\nt4\n' > "$TMP/tasks"
# A file only nobody may read: a capless root must not get in either.
secret=$TMP/nobody-secret
echo secret > "$secret" && chown nobody "$secret" && chmod 0600 "$secret"
# A root file nobody must not be able to change.
rootfile=$TMP/root-file
echo root > "$rootfile" && chmod 0644 "$rootfile"

probe='echo "uid=$(id -u) gid=$(id -g)"
echo "bus=$(stat -c "%u:%a" "$SWARM_DIR")"
echo "self=$(awk "/^CapEff|^CapBnd/ {print \$2}" /proc/self/status | tr "\n" " ")"
echo "master=$(awk "/^CapEff|^CapBnd/ {print \$2}" /proc/$PPID/status | tr "\n" " ")"
echo "parent=$(ps -o user= -p $PPID)"
cat '"$secret"' >/dev/null 2>&1 && echo secret=read || echo secret=denied
echo x >> '"$rootfile"' 2>/dev/null && echo rootfile=written || echo rootfile=denied
echo "home=$HOME user=$USER"
echo "nice=$(nice) master_nice=$(cut -d")" -f2 /proc/$PPID/stat | cut -d" " -f18)"
echo "policy=$(cut -d")" -f2 /proc/self/stat | cut -d" " -f40) master_policy=$(cut -d")" -f2 /proc/$PPID/stat | cut -d" " -f40)"'

# outputs FILE KEY=VALUE: every result line holds the fragment.
outputs() {
	python3 - "$1" "$2" <<'PY' || fail "results $1: not every output has '$2'"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 4, len(rows)
for r in rows:
    assert r["status"] == "ok", r
    assert sys.argv[2] in r["output"], (sys.argv[2], r["output"])
PY
}

# 1. Flat, --user nobody.
LAST=$TMP/flat.json
"$S" run -n 2 --user nobody --tasks "$TMP/tasks" --task-stdin --json \
	--results "$TMP/flat.jsonl" -- sh -c "$probe" > "$LAST" || fail "flat --user run failed"
[ "$(jget "$LAST" 'd["delivered"]')" = 4 ] || fail "flat: not 4 delivered"
[ "$(jget "$LAST" 'd["privileges"]["user"]')" = nobody ] || fail "report: privileges.user"
[ "$(jget "$LAST" 'd["privileges"]["master_caps"]')" = "kill, setgid, setuid" ] ||
	fail "report: master kept $(jget "$LAST" 'd["privileges"]["master_caps"]')"
outputs "$TMP/flat.jsonl" "uid=65534 gid=$NOBODY_GID"
outputs "$TMP/flat.jsonl" "bus=65534:700"
outputs "$TMP/flat.jsonl" "self=0000000000000000 0000000000000000"
outputs "$TMP/flat.jsonl" "master=00000000000000e0 0000000000000000"
outputs "$TMP/flat.jsonl" "secret=read"          # the user's own file
outputs "$TMP/flat.jsonl" "rootfile=denied"
outputs "$TMP/flat.jsonl" "home=$(getent passwd nobody | cut -d: -f6) user=nobody"
[ "$(stat -c %u "$(jget "$LAST" 'd["logs_dir"]')")" = 65534 ] || fail "logs dir is not nobody's"
check_clean "$LAST"
# The kernel tracing was attached before the drop and read after it.
if [ "$(jget "$LAST" 'd["kernel"]["enabled"]')" = True ]; then
	[ "$(jget "$LAST" 'd["kernel"]["spawn"]["execs"] >= 4')" = True ] ||
		fail "tracing after the drop saw no execs"
elif [ -e /sys/kernel/btf/vmlinux ]; then
	fail "kernel tracing off on a BTF kernel: $(jget "$LAST" 'd["kernel"]')"
fi

# 2. Flat as root without --user: root, but not one capability left.
LAST=$TMP/root.json
"$S" run -n 2 --tasks "$TMP/tasks" --task-stdin --json \
	--results "$TMP/root.jsonl" -- sh -c "$probe" > "$LAST" || fail "root run failed"
[ "$(jget "$LAST" 'd["privileges"]["master_caps"]')" = none ] || fail "root master kept capabilities"
outputs "$TMP/root.jsonl" "uid=0 gid=0"
outputs "$TMP/root.jsonl" "bus=0:700"
outputs "$TMP/root.jsonl" "self=0000000000000000 0000000000000000"
outputs "$TMP/root.jsonl" "master=0000000000000000 0000000000000000"
outputs "$TMP/root.jsonl" "secret=denied"       # no CAP_DAC_OVERRIDE
# The master raised its priority before the drop; agents did not inherit it.
outputs "$TMP/root.jsonl" "nice=0 master_nice=-5"
# ... and its realtime policy (SCHED_RR = 2): agents are SCHED_OTHER (0).
outputs "$TMP/root.jsonl" "policy=0 master_policy=2"
check_clean "$LAST"

# 2b. Hybrid as root: coordinators keep the master's realtime policy (they
# pass every answer on), their workers do not.
LAST=$TMP/hybrid_root.json
"$S" run --coordinators 2 --workers 2 --tasks "$TMP/tasks" --task-stdin \
	--json --results "$TMP/hybrid_root.jsonl" -- sh -c "$probe" > "$LAST" || fail "hybrid root run failed"
outputs "$TMP/hybrid_root.jsonl" "policy=0 master_policy=2"
check_clean "$LAST"

# 3. Hybrid, --user nobody: the coordinators are nobody's too.
LAST=$TMP/hybrid.json
"$S" run --coordinators 2 --workers 2 --user nobody --tasks "$TMP/tasks" --task-stdin \
	--json --results "$TMP/hybrid.jsonl" -- sh -c "$probe" > "$LAST" || fail "hybrid --user run failed"
outputs "$TMP/hybrid.jsonl" "uid=65534"
outputs "$TMP/hybrid.jsonl" "parent=nobody"
# Coordinators run as nobody: no raised priority for them, nor for workers.
outputs "$TMP/hybrid.jsonl" "nice=0 master_nice=0"
outputs "$TMP/hybrid.jsonl" "policy=0 master_policy=0"
check_clean "$LAST"
LAST=$TMP/demo.json
"$S" run --coordinators 3 --workers 5 --user nobody --json -- "$S" demo-agent > "$LAST" ||
	fail "hybrid demo-agent --user run failed"
[ "$(jget "$LAST" 'd["delivered"]')" = 15 ] || fail "hybrid demo: not 15 delivered"
# A clean run's empty default logs go, though they are nobody's files.
[ "$(jget "$LAST" 'd["logs_removed"]')" = True ] || fail "hybrid demo: empty logs kept"
[ -e "$(jget "$LAST" 'd["logs_dir"]')" ] && fail "hybrid demo: logs dir still there"
check_clean "$LAST"

# 4. While a --user swarm runs: its user's status and pause reach it (root
# refuses a bus it does not own); daemon (a third uid) can neither list nor
# write its bus.
LAST=$TMP/bg.json
"$S" run -n 2 --user nobody --tasks "$TMP/tasks" --task-stdin --json -- sleep 1 > "$LAST" &
bg=$!
bus=
for _ in $(seq 100); do
	bus=$(dirname "$(grep -lx "$bg" /dev/shm/swarm-*/master.pid 2>/dev/null | head -n 1)")
	[ "$bus" != . ] && break
	sleep 0.1
done
[ -n "$bus" ] && [ "$bus" != . ] || fail "no bus with master.pid $bg"
runuser -u nobody -- "$S" status --dir "$bus" > "$TMP/status" || fail "status as the swarm's user"
grep -q "pid $bg" "$TMP/status" || fail "status does not name the master"
runuser -u nobody -- "$S" pause --dir "$bus" >/dev/null || fail "pause as the swarm's user"
runuser -u nobody -- "$S" resume --dir "$bus" >/dev/null || fail "resume as the swarm's user"
"$S" status --dir "$bus" 2>/dev/null && fail "root used a bus it does not own"
runuser -u daemon -- ls "$bus" >/dev/null 2>&1 && fail "daemon listed the bus"
runuser -u daemon -- "$S" send --dir "$bus" --from x --to master hi 2>/dev/null &&
	fail "daemon wrote into the bus"
wait "$bg" || fail "background --user run failed"
[ "$(jget "$LAST" 'd["delivered"]')" = 4 ] || fail "background run lost tasks"
check_clean "$LAST"

# 5. Refused: unknown user (2), a coordinator binary the user cannot reach
# (2), --user without root (3). One line each. (--user over NATS: nats_run.sh)
expect() { # code what... -- command
	local want=$1 what=$2 rc lines
	shift 2
	"$@" > "$TMP/out" 2> "$TMP/err"; rc=$?
	lines=$(wc -l < "$TMP/err")
	[ "$rc" = "$want" ] || fail "$what: exit $rc, want $want: $(cat "$TMP/err")"
	[ "$lines" = 1 ] || fail "$what: $lines lines on stderr: $(cat "$TMP/err")"
}
expect 2 "unknown user" "$S" run -n 1 --user no-such-user-swarm -- /bin/true
grep -q "no such user 'no-such-user-swarm'" "$TMP/err" || fail "unknown user message: $(cat "$TMP/err")"
expect 2 "root as --user" "$S" run -n 1 --user 0 -- /bin/true
grep -q "agents would run as root" "$TMP/err" || fail "--user 0 message: $(cat "$TMP/err")"
mkdir -m 0700 "$TMP/private" && cp "$S" "$TMP/swarm-core" "$TMP/private/"
expect 2 "unreachable binary" "$TMP/private/swarm" run --coordinators 1 --workers 1 \
	--user nobody -- /bin/true
grep -q "cannot execute $TMP/private/swarm" "$TMP/err" || fail "unreachable message: $(cat "$TMP/err")"
expect 3 "not root" runuser -u nobody -- "$S" run -n 1 --user daemon -- /bin/true
grep -q "needs root" "$TMP/err" || fail "not-root message: $(cat "$TMP/err")"
# Without CAP_SETPCAP the bounding set cannot be cleared: no_new_privs
# keeps a root agent from taking it back at exec.
if command -v setpriv >/dev/null 2>&1; then
	LAST=$TMP/nopcap.json
	setpriv --bounding-set=-setpcap "$S" run -n 1 --no-trace --tasks "$TMP/tasks" \
		--task-stdin --json --results "$TMP/nopcap.jsonl" -- sh -c "$probe" > "$LAST" ||
		fail "run without CAP_SETPCAP failed"
	outputs "$TMP/nopcap.jsonl" "self=0000000000000000 "
fi
# 6. A --user swarm whose master was SIGKILLed: root's gc judges the bus as
# its owner and removes it and its (root's) cgroup.
ushm=$TMP/ushm && mkdir -m 1777 "$ushm"
SWARM_SHM=$ushm "$S" run -n 2 --user nobody --tasks "$TMP/tasks" --task-stdin \
	--no-trace -- sleep 60 > /dev/null 2>&1 &
bg=$!
ubus=
for _ in $(seq 100); do
	ubus=$(dirname "$(grep -lx "$bg" "$ushm"/swarm-*/master.pid 2>/dev/null | head -n 1)")
	[ "$ubus" != . ] && [ -e "$ubus/cgroup" ] && break
	sleep 0.1
done
[ -n "$ubus" ] && [ "$ubus" != . ] || fail "gc: no --user bus"
ucg=$(cat "$ubus/cgroup")
kill -9 "$bg"; wait "$bg" 2>/dev/null
echo 1 > "$ucg/cgroup.kill"
for _ in $(seq 50); do grep -q "populated 0" "$ucg/cgroup.events" && break; sleep 0.1; done
[ "$(stat -c %U "$ubus")" = nobody ] || fail "gc: bus not nobody's"
"$S" gc --base "$ushm" > "$TMP/gc.out" 2>&1 || fail "gc: exit $?: $(cat "$TMP/gc.out")"
[ -e "$ubus" ] && fail "gc left the --user bus: $(cat "$TMP/gc.out")"
[ -e "$ucg" ] && fail "gc left the --user swarm's cgroup"
# A default logs directory someone else made first is refused.
squat=$(mktemp -d /tmp/swarm-squat.XXXXXX) && chmod 0755 "$squat"
mkdir -m 0777 "$squat/swarm-run-rs"
chown nobody "$squat/swarm-run-rs"
TMPDIR=$squat "$S" run --coordinators 1 --workers 1 --bus nats://127.0.0.1:1 --swarm rs \
	--no-trace -- /bin/true > /dev/null 2> "$TMP/err"; rc=$?
rm -rf "$squat"
[ "$rc" = 3 ] && grep -q "not ours alone" "$TMP/err" || fail "squatted logs dir: exit $rc: $(cat "$TMP/err")"
echo "ok: privilege drop and --user"
