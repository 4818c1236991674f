#!/usr/bin/env bash
# swarm inside a Docker container built without any registry
# (tools/container.bash: debootstrap minbase + docker import, swarm from
# `make install DESTDIR`), next to the same swarms run natively:
#   - default 64 MB /dev/shm: flat 200 and hybrid 4x50 shell agents, flat
#     200 C demo agents, every answer checked: 100 % (they need ~13 MB, so
#     --shm-size=512m would run the very same swarms again: not repeated);
#   - 400 tasks of 240 KiB (96 MB) all in the bus at once: in 64 MB they
#     fail with a clear reason, one summary line and exit 1 (flat) or 3
#     (hybrid), nothing hangs and no answer is lost (delivered + failed =
#     expected, every delivered answer right); with 512m all are delivered;
#   - swarm doctor: what a default container lacks (shm for 1000 agents,
#     BPF privileges, the seccomp filter, cgroup v2), what a custom
#     seccomp profile blocks even with the capability, and all OK in a
#     privileged container (or its nearest equivalent where this host's
#     bounding set lacks a capability --privileged asks for);
#   - the tracing recipe (CAP_SYS_ADMIN on Docker 20.10, BPF+PERFMON on
#     newer Docker, --pid=host): the kernel section counts this swarm's
#     forks; in the container's own PID namespace tracing says it is off.
# Prints coordination time native vs container (information, not
# asserted). Skips (77) with the reason when Docker cannot run here.
set -u
. "$(dirname "$0")/lib/run_common.bash"
ROOT=${SWARM_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${SWARM_BUILD:-$ROOT/build}
. "$ROOT/tools/container.bash"
t_start=$SECONDS
skip() { echo "SKIP container: $*"; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "needs root (dockerd, debootstrap)"
command -v dockerd > /dev/null || skip "docker.io is not installed (make deps / tools/deps.sh installs it)"
command -v debootstrap > /dev/null || skip "debootstrap is not installed (make deps / tools/deps.sh installs it)"
ct_dockerd_up || skip "$CT_WHY"
trap 'ct_dockerd_release; rm -rf "$TMP"' EXIT
t0=$SECONDS
IMG=$(ct_swarm_image "$BUILD") || {
	case $CT_WHY in debootstrap*) skip "$CT_WHY";; esac   # no mirror reachable
	fail "image: $CT_WHY"
}
t_image=$((SECONDS - t0))
echo "image $IMG ready in ${t_image} s"

W=$TMP/w OUT=$TMP/out
mkdir -p "$W" "$OUT" && chmod 0777 "$OUT"
cp "$(dirname "$0")"/lib/container/*.sh "$W/"
python3 - "$W" <<'PY'
import random, sys
w = sys.argv[1]
r = random.Random(19)
with open(w + "/tasks.txt", "w") as f:
    for i in range(200):
        f.write("t%d %s\n" % (i + 1, "".join(r.choice("abcdefghij") for _ in range(40))))
with open(w + "/big.tasks", "w") as f:
    for i in range(400):
        f.write("b%d-%s\n" % (i + 1, chr(97 + i % 26) * (240 * 1024)))
PY

# dr OPTIONS... -- CMD...: one container, no network, our files mounted.
dr() {
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done; shift
	"$CT_DOCKER" run --rm --network none -v "$W:/w:ro" -v "$OUT:/out" "${opts[@]}" "$IMG" "$@" \
		2> >(grep -v 'IPv4 forwarding' >&2)
}

# check PREFIX NAME EXPECTED TASKFILE: exit 0, every task delivered, and
# every answer the hash of its own task line.
check_full() {
	local p=$1 n=$2 want=$3 tasks=$4 rc
	LAST=$OUT/$p$n.json
	rc=$(cat "$OUT/$p$n.rc")
	[ "$rc" = 0 ] || fail "$p$n: exit $rc: $(tail -n 2 "$OUT/$p$n.err")"
	[ "$(jget "$LAST" 'd["delivered"]')" = "$want" ] || fail "$p$n: delivered"
	[ "$(jget "$LAST" 'd["delivery_rate"]')" = 1.0 ] || fail "$p$n: delivery rate"
	[ -n "$tasks" ] || return 0
	python3 - "$OUT/$p$n.res" "$tasks" "$want" <<'PY' || fail "$p$n: answers"
import hashlib, json, sys
lines = open(sys.argv[2]).read().split("\n")
res = [json.loads(l) for l in open(sys.argv[1])]
assert len(res) == int(sys.argv[3]), len(res)
seen = set()
for r in res:
    t = lines[r["task"] - 1]
    assert r["status"] == "ok" and r["input"] == t, r["task"]
    assert r["output"] == hashlib.sha256(t.encode()).hexdigest()[:16], r["task"]
    seen.add(r["task"])
assert len(seen) == len(res)
PY
}

# --- native, the same shapes, for the time comparison ---------------------
for s in flat hybrid; do
	case $s in
	flat) args=(-n 200);;
	hybrid) args=(--coordinators 4 --workers 50);;
	esac
	$S run --no-trace --json "${args[@]}" --tasks "$W/tasks.txt" -- sh "$W/agent.sh" \
		> "$OUT/native-$s.json" 2> "$OUT/native-$s.err" ||
		fail "native $s: exit $?: $(tail -n 3 "$OUT/native-$s.err")"
done

# --- default /dev/shm (64 MB) and --shm-size=512m ------------------------
t0=$SECONDS
dr -- sh /w/inside.sh shm64- 400 || fail "container run (64 MB) failed"
dr --shm-size=512m -- sh /w/inside.sh shm512- 400 big-only || fail "container run (512m) failed"
t_runs=$((SECONDS - t0))
check_full shm64- flat 200 "$W/tasks.txt"
check_full shm64- hybrid 200 "$W/tasks.txt"
check_full shm64- demo 200 ""
check_full shm512- big 400 "$W/big.tasks"

# 64 MB, flat: tasks that did not fit fail at once, each with the reason,
# one summary line; the rest are answered, and nothing is unaccounted for.
LAST=$OUT/shm64-big.json
[ "$(cat "$OUT/shm64-big.rc")" = 1 ] || fail "flat overflow: exit $(cat "$OUT/shm64-big.rc"), want 1"
python3 - "$LAST" "$OUT/shm64-big.res" "$W/big.tasks" <<'PY' || fail "flat overflow: report"
import hashlib, json, sys
d = json.load(open(sys.argv[1]))
assert not d["timed_out"], "timed out"
assert 0 < d["delivered"] < 400 and d["delivered"] + d["failed"] == 400, (d["delivered"], d["failed"])
assert d["duplicates"] == 0
reasons = {f["reason"] for f in d["failures"]}
assert reasons == {"could not send the task: no space left on the bus filesystem"}, reasons
lines = open(sys.argv[3]).read().split("\n")
ok = 0
for l in open(sys.argv[2]):
    r = json.loads(l)
    if r["status"] == "ok":
        t = lines[r["task"] - 1]
        assert r["output"] == hashlib.sha256(t.encode()).hexdigest()[:16], r["task"]
        ok += 1
assert ok == d["delivered"], (ok, d["delivered"])
print("flat overflow: %d delivered, %d failed (no space), every answer right" % (ok, d["failed"]))
PY
grep -q '^swarm: run: [0-9]* of 400 tasks failed because the bus filesystem /dev/shm (64 MiB) filled up: give it more room (docker run --shm-size=' \
	"$OUT/shm64-big.err" || fail "flat overflow: no summary line: $(tail -n 2 "$OUT/shm64-big.err")"

# 64 MB, hybrid: the master writes every task up front; either that fails
# (exit 3, one line) or a coordinator's forward does (exit 1, per task).
rc=$(cat "$OUT/shm64-bighyb.rc")
case $rc in
3) grep -qE '^swarm: run: starting the [a-z]+ failed: no space left on the bus filesystem /dev/shm \(64 MiB\): give it more room' \
	"$OUT/shm64-bighyb.err" || fail "hybrid overflow: message: $(tail -n 2 "$OUT/shm64-bighyb.err")"
   [ "$(wc -l < "$OUT/shm64-bighyb.err")" -le 2 ] || fail "hybrid overflow: more than the one line";;
1) LAST=$OUT/shm64-bighyb.json
   [ "$(jget "$LAST" 'd["delivered"] + d["failed"]')" = 400 ] || fail "hybrid overflow: tasks unaccounted for"
   grep -q 'filled up: give it more room' "$OUT/shm64-bighyb.err" || fail "hybrid overflow: no summary line";;
*) fail "hybrid overflow: exit $rc: $(tail -n 2 "$OUT/shm64-bighyb.err")";;
esac
echo "hybrid overflow: exit $rc, $(tail -n 1 "$OUT/shm64-bighyb.err" | cut -c1-100)..."

# --- doctor: what a default container lacks -------------------------------
. "$(dirname "$0")/doctor_lib.sh.inc"
out=$(cat "$OUT/shm64-doctor1000.txt")
[ "$(cat "$OUT/shm64-doctor1000.rc")" = 1 ] || fail "doctor -n 1000 in 64 MB: exit $(cat "$OUT/shm64-doctor1000.rc")"
expect container OK "$out"
printf '%s\n' "$out" | grep -q '^OK   container *docker' || fail "doctor did not see docker"
expect shm_size FAIL "$out"
printf '%s\n' "$out" | grep -q 'size 64.0 MiB, need 66.5 MiB for 1000 agents' || fail "shm numbers"
expect bpf_privileges WARN "$out"
expect seccomp WARN "$out"
printf '%s\n' "$out" | grep -q 'seccomp .*bpf() answers Operation not permitted' || fail "seccomp cause"
cg=$(status_of cgroup "$out")
[ "$cg" = WARN ] || fail "cgroup in a default container: $cg"
expect signal_spawn WARN "$out"
expect pid_namespace WARN "$out"
out=$(cat "$OUT/shm64-doctor200.txt")
[ "$(cat "$OUT/shm64-doctor200.rc")" = 0 ] || fail "doctor -n 200 in 64 MB: warnings only, exit 0"
expect shm_size OK "$out"
expect shm_size OK "$(cat "$OUT/shm512-doctor1000.txt")"

# The capability alone is not enough when the profile blocks bpf().
cat > "$TMP/nobpf.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["bpf", "perf_event_open"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
EOF
out=$(dr --cap-add SYS_ADMIN --security-opt "seccomp=$TMP/nobpf.json" -- swarm doctor -n 50)
expect bpf_privileges OK "$out"
expect seccomp WARN "$out"
expect signal_spawn WARN "$out"

# --- tracing recipe: the capability set docs/containers.md gives --------
if dr --cap-add BPF --cap-add PERFMON -- true 2> /dev/null; then
	tcaps=(--cap-add BPF --cap-add PERFMON)
else
	tcaps=(--cap-add SYS_ADMIN)   # Docker < 23 knows neither
fi
# In the container's own PID namespace the tracer would match no pid:
# it must say so and stay off, not report zeros.
dr "${tcaps[@]}" -- sh -c 'swarm run -n 50 --json -- swarm demo-agent > /out/trns.json' ||
	fail "run with ${tcaps[*]}, own PID namespace"
LAST=$OUT/trns.json
[ "$(jget "$LAST" 'd["delivered"]')" = 50 ] || fail "own PID namespace: delivered"
[ "$(jget "$LAST" 'd["kernel"]["enabled"]')" = False ] || fail "own PID namespace: tracing claimed on"
jget "$LAST" 'd["kernel"]["reason"]' | grep -q 'pid=host' || fail "own PID namespace: reason"
# With the host's PID namespace: traced, and the counts are this swarm's.
dr "${tcaps[@]}" --pid=host -- sh -c 'swarm doctor -n 50 > /out/tr-doctor.txt; swarm run -n 50 --json -- swarm demo-agent > /out/tr.json' ||
	fail "traced run with ${tcaps[*]} --pid=host: exit $?; report: $(head -c 1500 "$OUT/tr.json" 2>/dev/null)"
LAST=$OUT/tr.json
[ "$(jget "$LAST" 'd["delivered"]')" = 50 ] || fail "traced run: delivered"
[ "$(jget "$LAST" 'd["kernel"]["enabled"]')" = True ] || fail "traced run with ${tcaps[*]}: kernel $(jget "$LAST" 'd["kernel"]')"
[ "$(jget "$LAST" 'd["kernel"]["spawn"]["forks"]')" = 50 ] || fail "traced run: spawn.forks $(jget "$LAST" 'd["kernel"]["spawn"]["forks"]'), want 50"
[ "$(jget "$LAST" 'd["kernel"]["latency"]["inboxes"]')" -ge 50 ] || fail "traced run: latency inboxes"
out=$(cat "$OUT/tr-doctor.txt")
for c in bpf_privileges seccomp pid_namespace signal_spawn signal_flock signal_fd signal_latency; do
	expect "$c" OK "$out"
done

# --- the Kubernetes example's commands, with its /dev/shm size ----------
mapfile -t jobs < <(/usr/bin/python3 - "$ROOT/examples/k8s/swarm-job.yaml" <<'PY'
import shlex, sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if not d:
        continue
    pod = d["spec"]["template"]["spec"]
    c = pod["containers"][0]
    vol = {v["name"]: v for v in pod["volumes"]}
    shm = [vol[m["name"]]["emptyDir"]["sizeLimit"] for m in c["volumeMounts"] if m["mountPath"] == "/dev/shm"][0]
    print(d["metadata"]["name"], shm.replace("Mi", "m").replace("Gi", "g"),
          "1" if pod.get("hostPID") else "0", shlex.join(c["command"]))
PY
)
[ ${#jobs[@]} = 2 ] || fail "k8s example: ${#jobs[@]} jobs"
for j in "${jobs[@]}"; do
	read -r name shm hostpid cmd <<< "$j"
	opts=(--shm-size="$shm")
	[ "$hostpid" = 1 ] && opts+=("${tcaps[@]}" --pid=host)
	dr "${opts[@]}" -- sh -c "$cmd > /out/k8s-$name.json" || fail "k8s example $name: $cmd"
	LAST=$OUT/k8s-$name.json
	[ "$(jget "$LAST" 'd["delivery_rate"]')" = 1.0 ] || fail "k8s example $name: delivery"
	if [ "$hostpid" = 1 ]; then
		[ "$(jget "$LAST" 'd["kernel"]["spawn"]["forks"] == d["expected"]')" = True ] ||
			fail "k8s example $name: not traced"
	fi
	echo "k8s example $name ($shm /dev/shm): $(jget "$LAST" 'd["delivered"]') delivered"
done

# --- privileged: everything OK --------------------------------------------
# --privileged asks runc for every capability it knows; a host whose own
# bounding set lacks one (CAP_SYS_RESOURCE in some VMs) refuses it. Then
# the nearest: every capability the host has, no seccomp, no AppArmor.
priv=(--privileged)
if ! err=$(dr --privileged -- true 2>&1); then
	case $err in
	*"apply caps"*|*"operation not permitted"*)
		missing=$(python3 -c 'import sys
caps = ["CHOWN","DAC_OVERRIDE","DAC_READ_SEARCH","FOWNER","FSETID","KILL","SETGID","SETUID","SETPCAP","LINUX_IMMUTABLE","NET_BIND_SERVICE","NET_BROADCAST","NET_ADMIN","NET_RAW","IPC_LOCK","IPC_OWNER","SYS_MODULE","SYS_RAWIO","SYS_CHROOT","SYS_PTRACE","SYS_PACCT","SYS_ADMIN","SYS_BOOT","SYS_NICE","SYS_RESOURCE","SYS_TIME","SYS_TTY_CONFIG","MKNOD","LEASE","AUDIT_WRITE","AUDIT_CONTROL","SETFCAP","MAC_OVERRIDE","MAC_ADMIN","SYSLOG","WAKE_ALARM","BLOCK_SUSPEND","AUDIT_READ"]
bnd = int([l for l in open("/proc/self/status") if l.startswith("CapBnd")][0].split()[1], 16)
print(" ".join(c for i, c in enumerate(caps) if not bnd >> i & 1))')
		priv=(--cap-add ALL --security-opt seccomp=unconfined --security-opt apparmor=unconfined)
		for c in $missing; do priv+=(--cap-drop "$c"); done
		echo "note: --privileged refused here (host bounding set lacks: ${missing:-?}); using ${priv[*]}";;
	*) fail "docker run --privileged: $err";;
	esac
fi
# Where the host has v1 controllers Docker mounts no cgroup2 inside: the
# recipe in docs/containers.md mounts it in a private cgroup namespace.
dr "${priv[@]}" --pid=host --cgroupns=private --shm-size=512m -- sh -c '
	grep -q " cgroup2 " /proc/mounts || { mkdir -p /sys/fs/cgroup/unified &&
		mount -t cgroup2 none /sys/fs/cgroup/unified; }
	swarm doctor -n 1000 > /out/priv-doctor.txt; echo $? > /out/priv-doctor.rc
	swarm run -n 100 --json -- swarm demo-agent > /out/priv.json' || fail "privileged container"
out=$(cat "$OUT/priv-doctor.txt")
printf '%s\n' "$out" | tail -n 1 | grep -q ' 0 warn, 0 fail ' || fail "privileged doctor not all OK:
$(printf '%s\n' "$out" | grep -v '^OK')"
LAST=$OUT/priv.json
[ "$(jget "$LAST" 'd["delivered"]')" = 100 ] || fail "privileged run: delivered"
[ "$(jget "$LAST" 'd["cgroup"]')" != null ] || fail "privileged run: no cgroup"
[ "$(jget "$LAST" 'd["kernel"]["spawn"]["forks"]')" = 100 ] || fail "privileged run: spawn.forks"

# --- coordination time, native vs container (not asserted) ---------------
python3 - "$OUT" <<'PY'
import json, sys
o = sys.argv[1]
for s in ("flat", "hybrid"):
    n = json.load(open("%s/native-%s.json" % (o, s)))["coordination_s"]
    for p in ("shm64",):
        c = json.load(open("%s/%s-%s.json" % (o, p, s)))["coordination_s"]
        print("coordination %-6s 200 shell agents: native %.3f s, container (%s) %.3f s, ratio %.2f"
              % (s, n, p, c, c / n if n else float("nan")))
PY
echo "ok: container test in $((SECONDS - t_start)) s (image ${t_image} s, container swarms ${t_runs} s)"
