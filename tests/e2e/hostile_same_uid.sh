#!/usr/bin/env bash
# Attacks from the bus owner's own uid (the only one that can touch the bus):
#  1. a process swapping symlinks (to a canary file and a canary directory
#     outside the bus) in place of inbox files, segments, not-yet-created
#     names and the bus directory itself, during concurrent sends and
#     receives: no write ever lands outside the bus, failures are clean
#     (exit 3), and every send that exited 0 is delivered;
#  2. a hard link to an outside file planted as a future segment is refused;
#  3. malformed records appended by a hostile writer (oversized length,
#     zero-length with bad CRC, bad sender name, bad type, odd-length
#     garbage, short header) are skipped and every honest message around
#     them is delivered exactly once, in order.
set -u
S=${SWARM_BIN:-build/swarm}
H=${SWARM_BUILD:-build}/tests/hostile
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$H" ] || fail "$H not built"
work=$(mktemp -d /tmp/swarm-same-uid.XXXXXX)
canary=$work/canary cdir=$work/canary-dir
dir=
cleanup() { [ -n "$dir" ] && "$S" destroy --dir "$dir" 2>/dev/null; rm -rf "$work"; rm -f "${shm_canary:-}"; }
trap cleanup EXIT
printf 'CANARY\n' > "$canary"; chmod 0600 "$canary"; mkdir -m 0700 "$cdir"
touch -d '2001-01-01' "$canary"
before=$(stat -c '%s %Y %i' "$canary")

# --- 1. symlink flipping during traffic ---------------------------------
dir=$("$S" init) || fail init
"$S" send --dir "$dir" --from a --to b warmup || fail "warm-up send"
"$S" send --dir "$dir" --from a --to c warmup || fail "warm-up send"
"$H" flip "$dir" 3 "$canary" "$cdir" > "$work/swaps" &
flipper=$!
sender() { # name target
	local i rc
	for i in $(seq 1 150); do
		"$S" send --dir "$dir" --from "$1" --to "$2" --seq "$i" "$1-$i" 2>> "$work/send.err"
		rc=$?
		case $rc in
		0) echo "$1-$i" >> "$work/accepted.$2";;
		3) ;; # refused: a symlink or foreign file where a bus file should be
		*) echo "$1 $i exit $rc" >> "$work/bad";;
		esac
	done
}
reader() { # inbox
	local rc
	while kill -0 $flipper 2>/dev/null; do
		"$S" recv --dir "$dir" --as "$1" >> "$work/got.$1" 2>> "$work/recv.err"
		rc=$?
		case $rc in 0|1|3) ;; *) echo "recv $1 exit $rc" >> "$work/bad";; esac
	done
}
sender s1 b & p1=$!
sender s2 c & p2=$!
sender s3 new1 & p3=$!
reader b & r1=$!
reader c & r2=$!
wait $p1 $p2 $p3 $flipper $r1 $r2
[ -s "$work/bad" ] && fail "unclean exits: $(head -n 5 "$work/bad")"
[ "$(cat "$canary")" = CANARY ] || fail "canary file changed: $(head -c 200 "$canary" | od -c | head -n 3)"
[ "$(stat -c '%s %Y %i' "$canary")" = "$before" ] || fail "canary file touched"
[ -z "$(ls -A "$cdir")" ] || fail "files created through a symlinked directory: $(ls -A "$cdir")"
[ -L "$dir" ] && fail "bus directory left as a symlink"
[ -n "$(ls -A "$dir" | grep '^\.evil')" ] && fail "flipper left files"
for t in b c new1; do
	"$S" recv --dir "$dir" --as "$t" >> "$work/got.$t" 2>> "$work/recv.err"
	[ -f "$work/accepted.$t" ] || fail "no send to $t was ever accepted"
	missing=$(sort "$work/accepted.$t" | comm -23 - <(sort -u "$work/got.$t") | head -n 3)
	[ -z "$missing" ] || fail "accepted but not delivered to $t: $missing"
done
echo "flip: $(cat "$work/swaps") swaps; accepted $(cat "$work/accepted."* | wc -l) of 450 sends, all delivered"
grep -h -o 'refusing a symlink in the bus\|wrong owner or mode\|No such file[^:]*' "$work/send.err" "$work/recv.err" |
	sort | uniq -c | sed 's/^/  refused: /'

# --- 2. a hard link to an outside file as a future segment ---------------
shm_canary=$(dirname "$dir")/.canary-$$
printf 'CANARY\n' > "$shm_canary"; chmod 0600 "$shm_canary"
dir2=$dir; dir=$("$S" init) || fail init2
"$S" destroy --dir "$dir2"
"$S" send --dir "$dir" --from a --to h first || fail "send first"
ln "$shm_canary" "$dir/h.00000002.seg" || fail "ln"
ln "$shm_canary" "$dir/h2.00000001.seg" || fail "ln"
"$S" send --dir "$dir" --from a --to h2 x 2> "$work/hl.err"; rc=$?
[ "$(cat "$shm_canary")" = CANARY ] || fail "a send wrote through a hard link to a file outside the bus"
[ $rc -eq 3 ] || fail "send into a hard-linked segment exited $rc"
rm -f "$dir/h.00000002.seg" "$dir/h2.00000001.seg"

# --- 3. malformed records between honest ones ---------------------------
kinds="oversize-len huge-claim zero-badcrc zero-badname bad-type odd-garbage short-header"
k=0
for i in $(seq 1 40); do
	"$S" send --dir "$dir" --from honest1 --to v --seq "$i" "h1-$i" || fail "honest send"
	set -- $kinds; shift $((k % 7)); "$H" inject "$dir" v "$1" || fail "inject $1"; k=$((k + 1))
	"$S" send --dir "$dir" --from honest2 --to v --seq "$i" "h2-$i" || fail "honest send"
	[ $((i % 10)) -eq 0 ] && { "$S" recv --dir "$dir" --as v >> "$work/v.out" 2>> "$work/v.err"; }
done
"$S" recv --dir "$dir" --as v >> "$work/v.out" 2>> "$work/v.err"
grep -q EVIL "$work/v.out" && fail "a hostile record was delivered"
want=$(for i in $(seq 1 40); do echo "h1-$i"; echo "h2-$i"; done)
[ "$(cat "$work/v.out")" = "$want" ] || fail "honest messages harmed: $(diff <(echo "$want") "$work/v.out" | head -n 6 | tr '\n' ' ')"
grep -q "corrupt frame" "$work/v.err" || fail "skipped records not reported"
echo "inject: 40 malformed records skipped, 80 honest messages delivered in order"
