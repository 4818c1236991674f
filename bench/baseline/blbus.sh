#!/usr/bin/env bash
# The reference protocol, written here as the baseline swarm is measured
# against: one file per message in the recipient's inbox directory on
# /dev/shm, a per-(sender, recipient) sequence number kept in a file and
# incremented under flock, the message written to a temp file under the
# inbox flock, synced, renamed into place, synced again; readers poll the
# inbox directory every 100 ms.
#
# Differences from the reference coordinator, each in the baseline's favour:
#   - `sync FILE` / `sync DIR` (fsync of the one file) instead of a global
#     sync(2), so the baseline never pays for other processes' dirty pages;
#   - no copy into the sender's outbox, no FIFO eviction at 100 messages
#     (the reference silently dropped the oldest message: delivery here is
#     counted honestly and nothing is evicted);
#   - builtins (read, printf, EPOCHREALTIME, a glob) where the reference
#     forked cat/date/find, and the 100 ms poll sleeps in `read -t` on a
#     pipe instead of forking sleep(1): 300 polling bash workers would
#     otherwise fork 6000 times a second and starve everything else;
#     flock, sync, mv and rm stay external commands as in the reference.
#
# Usable as a library (source it) or as a command:
#   blbus.sh init DIR
#   blbus.sh send DIR FROM TO TYPE PAYLOAD
#   blbus.sh batch DIR FROM TO TYPE < lines      (one inbox lock for all)
#   blbus.sh recv DIR NAME [--wait SECONDS] [--count N]
# Message file: one line "from seq type send_us payload".

BL_POLL=${BL_POLL:-0.1}

bl_now_us() { BL_NOW=${EPOCHREALTIME/./}; }

# Sleep without a fork: wait for input that never comes on a pipe this
# shell holds both ends of.
bl_sleep() {
	[[ -n ${BL_SLEEP_FD:-} ]] || exec {BL_SLEEP_FD}<> <(:)
	read -r -t "$1" -u "$BL_SLEEP_FD" _
	return 0
}

bl_init() { mkdir -p "$1/inbox" "$1/seq"; }

bl_mkinbox() { mkdir -p "$1/inbox/$2"; }

# Next sequence number for (from, to), persisted under flock as the
# reference does (agents are short-lived bash processes). Sets BL_SEQ.
bl_next_seq() {
	local f="$1/seq/$2.$3" s=0
	{
		flock -x 200 || return 3
		[[ -s $f ]] && read -r s < "$f"
		BL_SEQ=$((s + 1))
		printf '%s\n' "$BL_SEQ" > "$f"
		sync "$f"
	} 200> "$f.lock"
}

# bl_send DIR FROM TO TYPE PAYLOAD
bl_send() {
	local ib="$1/inbox/$3" name
	[[ -d $ib ]] || { echo "baseline: no inbox '$3'" >&2; return 3; }
	bl_next_seq "$1" "$2" "$3" || return 3
	bl_now_us
	name="msg-$BL_NOW-$2-$BL_SEQ"
	{
		flock -x 201 || return 3
		bl_now_us
		printf '%s %s %s %s %s\n' "$2" "$BL_SEQ" "$4" "$BL_NOW" "$5" > "$ib/.$name.tmp" || return 3
		sync "$ib/.$name.tmp"
		mv "$ib/.$name.tmp" "$ib/$name" || return 3
		sync "$ib"
	} 201> "$ib/.lock"
}

# bl_send_batch DIR FROM TO TYPE < lines: every line a message, all
# written and renamed under one inbox lock (the reference's "atomic
# multi-message" write).
bl_send_batch() {
	local ib="$1/inbox/$3" names=() tmps=() n i s=0 f="$1/seq/$2.$3"
	local -a lines
	[[ -d $ib ]] || { echo "baseline: no inbox '$3'" >&2; return 3; }
	mapfile -t lines
	n=${#lines[@]}
	[[ $n -gt 0 ]] || return 0
	{
		flock -x 200 || return 3
		[[ -s $f ]] && read -r s < "$f"
		printf '%s\n' "$((s + n))" > "$f"
		sync "$f"
	} 200> "$f.lock"
	{
		flock -x 201 || return 3
		for ((i = 0; i < n; i++)); do
			bl_now_us
			names[i]="msg-$BL_NOW-$2-$((s + i + 1))"
			tmps[i]="$ib/.${names[i]}.tmp"
			printf '%s %s %s %s %s\n' "$2" "$((s + i + 1))" "$4" "$BL_NOW" \
				"${lines[i]}" > "${tmps[i]}" || return 3
		done
		sync "${tmps[@]}"
		for ((i = 0; i < n; i++)); do
			mv "${tmps[i]}" "$ib/${names[i]}" || return 3
		done
		sync "$ib"
	} 201> "$ib/.lock"
}

# One poll pass: take every message now in the inbox (oldest name first)
# into BL_LINES, then remove the files. Returns 1 when the inbox was empty.
bl_take() {
	local ib="$1/inbox/$2" f line
	local -a files=("$ib"/msg-*)
	BL_LINES=()
	[[ -e ${files[0]} ]] || return 1
	for f in "${files[@]}"; do
		IFS= read -r line < "$f" && BL_LINES+=("$line")
	done
	rm -f "${files[@]}"
	[[ ${#BL_LINES[@]} -gt 0 ]]
}

# bl_take, printed one message per line.
bl_drain() {
	bl_take "$@" || return 1
	printf '%s\n' "${BL_LINES[@]}"
}

bl_sec_to_us() {
	local s=$1 i f
	i=${s%%.*}; f=
	[[ $s == *.* ]] && f=${s#*.}
	f="${f}000000"; f=${f:0:6}
	BL_US=$(( 10#${i:-0} * 1000000 + 10#$f ))
}

bl_recv() {
	local d=$1 me=$2 wait_us want=${4:-0} got=0 start
	bl_sec_to_us "${3:-0}"; wait_us=$BL_US
	bl_now_us; start=$BL_NOW
	while :; do
		if bl_drain "$d" "$me"; then
			got=$((got + ${#BL_LINES[@]}))
			[[ $want -eq 0 || $got -ge $want ]] && return 0
		fi
		bl_now_us
		if (( BL_NOW - start >= wait_us )); then
			[[ $got -gt 0 ]] && return 0
			return 124
		fi
		bl_sleep "$BL_POLL"
	done
}

bl_main() {
	local cmd=${1:-}; shift || true
	case $cmd in
	init) bl_init "$1" && bl_mkinbox "$1" master;;
	send) bl_mkinbox "$1" "$3"; bl_send "$@";;
	batch) bl_mkinbox "$1" "$3"; bl_send_batch "$@";;
	recv)
		local d=$1 me=$2 w=0 c=0; shift 2
		while [[ $# -gt 0 ]]; do
			case $1 in
			--wait) w=$2; shift 2;;
			--count) c=$2; shift 2;;
			*) echo "baseline: bad recv option '$1'" >&2; return 2;;
			esac
		done
		bl_mkinbox "$d" "$me"
		bl_recv "$d" "$me" "$w" "$c";;
	*) echo "usage: blbus.sh init|send|batch|recv ..." >&2; return 2;;
	esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	bl_main "$@"
fi
