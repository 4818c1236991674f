#!/usr/bin/env bash
# A 1 MiB tmpfs as the bus: FAIL for 1000 agents (exit 1), WARN for 10
# (under 2x headroom, exit 0), OK for 5; the need printed follows the
# documented formula; a missing dir fails, a non-tmpfs dir warns.
set -u
. "$(dirname "$0")/doctor_lib.sh.inc"
[ "$(id -u)" -eq 0 ] || { echo "needs root to mount a test tmpfs"; exit 77; }
mnt=$(mktemp -d /tmp/swarm-doctor-shm.XXXXXX)
disk=$(mktemp -d "${SWARM_BUILD:-build}/doctor-disk.XXXXXX")
cleanup() { umount "$mnt" 2>/dev/null; rmdir "$mnt" "$disk" 2>/dev/null; }
trap cleanup EXIT
mount -t tmpfs -o size=1m tmpfs "$mnt" || fail "mount test tmpfs"

out=$($S doctor -n 1000 --shm "$mnt"); rc=$?
[ $rc -eq 1 ] || fail "-n 1000 on 1 MiB must exit 1, got $rc"
expect shm_mount OK "$out"
expect shm_size FAIL "$out"
printf '%s\n' "$out" | grep -q 'docker run --shm-size=' || fail "no docker fix"
printf '%s\n' "$out" | grep -q 'sizeLimit' || fail "no kubernetes fix"

out=$($S doctor -n 10 --shm "$mnt"); rc=$?
[ $rc -eq 0 ] || fail "-n 10 warnings only must exit 0, got $rc"
expect shm_size WARN "$out"

out=$($S doctor -n 5 --shm "$mnt")
expect shm_size OK "$out"
expect shm_free OK "$out"

# Space in use counts: fill 900 KiB, now 5 agents do not fit in what is free.
dd if=/dev/zero of="$mnt/fill" bs=1k count=900 status=none
out=$($S doctor -n 5 --shm "$mnt")
expect shm_size OK "$out"
expect shm_free FAIL "$out"
rm -f "$mnt/fill"

# The need in --json is the documented formula.
for n in 1 37 1000; do
	want=$(( (n + 1) * (4096 + 65536) + (72 * n + 4095) / 4096 * 4096 ))
	got=$($S doctor -n $n --shm "$mnt" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["shm_need_bytes"])')
	[ "$got" = "$want" ] || fail "need for $n: $got, formula says $want"
done
got=$($S doctor -n 10 --live 1 --shm "$mnt" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["shm_need_bytes"])')
[ "$got" = $(( 11 * 8192 + 4096 )) ] || fail "--live 1 rounds to a page: $got"

# Missing directory: FAIL, exit 1.
out=$($S doctor -n 5 --shm "$mnt/nope"); rc=$?
[ $rc -eq 1 ] || fail "missing shm dir must exit 1, got $rc"
expect shm_mount FAIL "$out"

# A directory on a disk filesystem (not tmpfs): WARN.
if [ "$(stat -f -c %T "$disk")" != tmpfs ]; then
	out=$($S doctor -n 5 --shm "$disk")
	expect shm_mount WARN "$out"
else
	echo "note: build dir is on tmpfs; non-tmpfs case not exercised"
fi
echo "doctor shm: FAIL/WARN/OK by size, formula matches"
