#!/usr/bin/env bash
# A different uid (nobody) cannot read, write, list or plant files in a
# swarm's bus, and cannot trick `swarm init` / `swarm send` into using a
# directory or symlink it planted under /dev/shm.
set -u
S=${SWARM_BIN:-build/swarm}
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "needs root to switch to the nobody uid"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "no 'nobody' user on this host"; exit 77; }
base=${SWARM_SHM:-/dev/shm}
tag=hostile-$$
# nobody must be able to execute our binary: copy it somewhere it can.
bindir=$(mktemp -d /tmp/swarm-hostile.XXXXXX)
cp "$S" "$bindir/swarm" && chmod 0755 "$bindir" "$bindir/swarm"
N() { runuser -u nobody -- "$@"; }
dir=
cleanup() {
	[ -n "$dir" ] && "$S" destroy --dir "$dir" 2>/dev/null
	rm -rf "$bindir" "$base/swarm-$tag-dir" "$base/swarm-$tag-link" "$base/swarm-$tag-own" "/tmp/$tag-target"
}
trap cleanup EXIT

dir=$("$S" init) || fail "init"
"$S" send --dir "$dir" --from a --to b secret || fail "send"
seg=$(ls "$dir" | grep '^b\..*\.seg$' | head -n 1)
[ -n "$seg" ] || fail "no segment written"

# Modes: directory 0700, every file 0600, all ours.
[ "$(stat -c %a "$dir")" = 700 ] || fail "bus dir mode $(stat -c %a "$dir")"
for f in "$dir"/*; do
	[ "$(stat -c %a:%u "$f")" = "600:0" ] || fail "$(basename "$f") is $(stat -c %a:%u "$f")"
done

# nobody: no listing, no reading, no writing, no planting.
N ls "$dir" >/dev/null 2>&1 && fail "nobody listed the bus"
N cat "$dir/b.inbox" >/dev/null 2>&1 && fail "nobody read the inbox header"
N cat "$dir/$seg" >/dev/null 2>&1 && fail "nobody read a segment"
N sh -c "echo x >> '$dir/$seg'" 2>/dev/null && fail "nobody appended to a segment"
N touch "$dir/planted" 2>/dev/null && fail "nobody created a file in the bus"
N ln -s /etc/passwd "$dir/c.inbox" 2>/dev/null && fail "nobody planted a symlink"
[ -e "$dir/planted" ] || [ -L "$dir/c.inbox" ] && fail "a planted file exists"
out=$(N "$bindir/swarm" send --dir "$dir" --from x --to b hi 2>&1); rc=$?
[ $rc -eq 3 ] || fail "nobody's send exited $rc: $out"
out=$(N "$bindir/swarm" recv --dir "$dir" --as b 2>&1); rc=$?
[ $rc -eq 3 ] || fail "nobody's recv exited $rc: $out"
N "$bindir/swarm" ls --dir "$dir" >/dev/null 2>&1 && fail "nobody listed inboxes"
N "$bindir/swarm" destroy --dir "$dir" 2>/dev/null && fail "nobody destroyed the bus"
# The owner still gets exactly its message.
[ "$("$S" recv --dir "$dir" --as b)" = secret ] || fail "message harmed"

# Squatting: nobody creates swarm-<id> first (sticky /dev/shm lets it).
N mkdir -m 0777 "$base/swarm-$tag-dir" || fail "nobody mkdir in $base"
out=$("$S" init --id "$tag-dir" 2>&1); rc=$?
[ $rc -eq 3 ] || fail "init adopted a squatted directory (rc=$rc): $out"
[ -z "$(ls -A "$base/swarm-$tag-dir")" ] || fail "init wrote into the squatted directory"
"$S" send --dir "$base/swarm-$tag-dir" --from a --to b x 2>/dev/null; rc=$?
[ $rc -eq 3 ] || fail "send used a directory owned by nobody (rc=$rc)"
[ -z "$(ls -A "$base/swarm-$tag-dir")" ] || fail "send wrote into nobody's directory"

# A symlink squatting the name, pointing at a directory we own.
mkdir -m 0700 "/tmp/$tag-target"
N ln -s "/tmp/$tag-target" "$base/swarm-$tag-link" || fail "nobody symlink in $base"
out=$("$S" init --id "$tag-link" 2>&1); rc=$?
[ $rc -eq 3 ] || fail "init followed a planted symlink (rc=$rc): $out"
out=$("$S" send --dir "$base/swarm-$tag-link" --from a --to b x 2>&1); rc=$?
[ $rc -eq 3 ] || fail "send followed a planted symlink (rc=$rc): $out"
[ -z "$(ls -A "/tmp/$tag-target")" ] || fail "something was written through the symlink"

# A complete-looking bus owned by nobody (meta copied in) is still refused.
N mkdir -m 0700 "$base/swarm-$tag-own"
"$S" init --id "$tag-copy" >/dev/null && cat "$base/swarm-$tag-copy/meta" |
	N sh -c "cat > '$base/swarm-$tag-own/meta'; chmod 600 '$base/swarm-$tag-own/meta'"
"$S" destroy --dir "$base/swarm-$tag-copy"
out=$("$S" send --dir "$base/swarm-$tag-own" --from a --to b x 2>&1); rc=$?
[ $rc -eq 3 ] || fail "send used nobody's bus (rc=$rc): $out"
echo "$out" | grep -q "owner" || fail "message does not say why: $out"

# Our own bus opened up to others (chmod 755) is refused until fixed.
chmod 0755 "$dir"
"$S" send --dir "$dir" --from a --to b x 2>/dev/null; rc=$?
[ $rc -eq 3 ] || fail "send accepted a group/world-readable bus (rc=$rc)"
chmod 0700 "$dir"
echo "other uid kept out"
