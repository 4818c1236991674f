#!/usr/bin/env bash
# ulimit -n against the fd need (64 + 4 x N): hard limit too low -> FAIL
# (exit 1); soft too low but hard enough -> WARN (exit 0); enough -> OK.
set -u
. "$(dirname "$0")/doctor_lib.sh.inc"
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge 4064 ] ||
	{ echo "hard fd limit $hard < 4064: cannot set up the WARN case"; exit 77; }

out=$(ulimit -n 256; $S doctor -n 1000); rc=$?
[ $rc -eq 1 ] || fail "ulimit -n 256 with 1000 agents must exit 1, got $rc"
expect nofile FAIL "$out"
printf '%s\n' "$out" | grep -q 'needs ~4064 = 64 + 4 x 1000' || fail "formula not printed"

out=$(ulimit -Sn 1024; $S doctor -n 1000); rc=$?
expect nofile WARN "$out"
printf '%s\n' "$out" | grep -q 'raise the soft limit: ulimit -n 4064' || fail "soft fix not given"

out=$(ulimit -Sn 1024; $S doctor -n 200)
expect nofile OK "$out"
# A pids limit in our cgroup (cgroup v1 "pids" hierarchy here; containers
# get one from --pids-limit) below the agents planned: FAIL.
pids=$(python3 -c '
for l in open("/proc/self/mountinfo"):
    pre, post = l.split(" - ", 1)
    f = post.split()
    if f[0] == "cgroup" and "pids" in f[2].split(","):
        print(pre.split()[4]); break')
if [ "$(id -u)" -eq 0 ] && [ -n "$pids" ]; then
	cg=$pids/swarm-doctor-test.$$
	mkdir "$cg" || fail "mkdir $cg"
	echo 50 > "$cg/pids.max"
	out=$(bash -c 'echo $$ > "$1/cgroup.procs"; exec "$2" doctor -n 100' _ "$cg" "$S"); rc=$?
	rmdir "$cg"
	[ $rc -eq 1 ] || fail "pids.max 50 with 100 agents must exit 1, got $rc"
	expect processes FAIL "$out"
	printf '%s\n' "$out" | grep -q "cgroup $cg allows" || fail "cgroup not named"
else
	echo "note: no cgroup v1 pids hierarchy (or not root); pids.max case not exercised"
fi
echo "doctor limits: nofile and processes FAIL/WARN/OK as the limits say"
