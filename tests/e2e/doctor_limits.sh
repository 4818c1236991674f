#!/usr/bin/env bash
# ulimit -n against the fd need (64 + 3 x N): hard limit too low -> FAIL
# (exit 1); soft too low but hard enough -> WARN (exit 0); enough -> OK.
# A cgroup pids.max or memory limit below what the plan needs -> FAIL.
set -u
. "$(dirname "$0")/doctor_lib.sh.inc"
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge 3064 ] ||
	{ echo "hard fd limit $hard < 3064: cannot set up the WARN case"; exit 77; }

out=$(ulimit -n 256; $S doctor -n 1000); rc=$?
[ $rc -eq 1 ] || fail "ulimit -n 256 with 1000 agents must exit 1, got $rc"
expect nofile FAIL "$out"
printf '%s\n' "$out" | grep -q 'needs ~3064 = 64 + 3 x 1000' || fail "formula not printed"

out=$(ulimit -Sn 1024; $S doctor -n 1000); rc=$?
expect nofile WARN "$out"
printf '%s\n' "$out" | grep -q 'raise the soft limit: ulimit -n 3064' || fail "soft fix not given"

out=$(ulimit -Sn 1024; $S doctor -n 200)
expect nofile OK "$out"
# A pids limit in our cgroup (cgroup v1 "pids" hierarchy here; containers
# get one from --pids-limit) below the agents planned: FAIL.
v1_mount() {   # mount point of the cgroup v1 hierarchy of controller $1
	python3 -c '
import sys
for l in open("/proc/self/mountinfo"):
    pre, post = l.split(" - ", 1)
    f = post.split()
    if f[0] == "cgroup" and sys.argv[1] in f[2].split(","):
        print(pre.split()[4]); break' "$1"
}
pids=$(v1_mount pids)
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
# tmpfs pages are charged to the memory cgroup: a 50 MiB limit cannot hold
# the 66.5 MiB bus of 1000 agents.
mem=$(v1_mount memory)
if [ "$(id -u)" -eq 0 ] && [ -n "$mem" ]; then
	cg=$mem/swarm-doctor-test.$$
	mkdir "$cg" || fail "mkdir $cg"
	echo 50M > "$cg/memory.limit_in_bytes"
	out=$(bash -c 'echo $$ > "$1/cgroup.procs"; exec "$2" doctor -n 1000' _ "$cg" "$S"); rc=$?
	rmdir "$cg"
	[ $rc -eq 1 ] || fail "memory limit 50M with 1000 agents must exit 1, got $rc"
	expect memory FAIL "$out"
else
	echo "note: no cgroup v1 memory hierarchy (or not root); memory case not exercised"
fi
echo "doctor limits: nofile, processes and memory FAIL/WARN/OK as the limits say"
