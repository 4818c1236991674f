#!/usr/bin/env bash
# Fault-injection campaign for the bus: SIGKILL at every FAULT_POINT step
# (user/base/fault.h) under concurrent senders and a restarting reader, plus a
# full tmpfs (ENOSPC), a low fd limit (EMFILE), a full inbox, and SIGKILL
# from outside at random instants (torn writes, any step).
#
#   tests/fault/campaign.sh [--long] [--runs N] [--msgs N] [--only SCENARIO] [BUILD]
#
# Per run: 3 senders (explicit increasing seqs one by one, explicit seqs in
# batches of 5, the library's own counter) each send MSGS self-checksummed
# payloads to inbox
# "sink", restarted after every kill from the first message they did not see
# accepted; a reader logs every payload before it commits and is restarted
# after every kill (or every few dozen messages). Checked after recovery:
#   - every accepted message (send returned 0 / swarm send exited 0) was
#     delivered; counted once by (sender, id)      -> lost = 0
#   - every delivered payload matches its checksum -> corrupt = 0
#   - no .tmp.* file in the bus, no flock held on any inbox, writer intent
#     cleared, no reader recorded, depth 0, at most one segment left.
# Coordinator scenarios (coord-result coord-forward coord-journal
# coord-dispatch coord-send, in tests/fault/coord.bash): SIGKILL a hybrid coordinator
# at a bookkeeping step of `swarm run`; every task must still be delivered
# and counted exactly once, with correct output and nothing left behind.
# Exit 0 if every run holds every invariant. Prints one line per scenario
# and a closing TOTAL line with the figures.
set -u
long=0 runs= msgs= only= build=build coord_runs=
while [ $# -gt 0 ]; do
	case $1 in
	--long) long=1;;
	--runs) runs=$2 coord_runs=$2; shift;;
	--msgs) msgs=$2; shift;;
	--only) only=$2; shift;;
	*) build=$1;;
	esac
	shift
done
root=$(cd "$(dirname "$0")/../.." && pwd)
case $build in /*) ;; *) build=$root/$build;; esac
S=$build/swarm FA=$build/tests/fault_agent
[ -x "$S" ] && [ -x "$FA" ] || { echo "campaign: build $S and $FA first (make test-bins)"; exit 3; }
if [ $long -eq 1 ]; then runs=${runs:-20} msgs=${msgs:-300}; else runs=${runs:-3} msgs=${msgs:-40}; fi
# Hybrid runs cost ~0.5 s each: 2 per step keep the short campaign brief.
if [ $long -eq 1 ]; then coord_runs=${coord_runs:-$runs}; else coord_runs=${coord_runs:-2}; fi

SEND_STEPS="send-lock send-write send-publish send-unlock"
RECV_STEPS="recv-read recv-commit recv-dedup rollover-unlink"
. "$(dirname "$0")/coord.bash"
SCENARIOS="$SEND_STEPS $RECV_STEPS enospc emfile full-inbox random-kill $COORD_STEPS"
[ -n "$only" ] && SCENARIOS=$only
SENDERS="s1 s2 s3"   # s2 sends batches of 5, s3 uses the library's seq counter

top=$(mktemp -d /tmp/swarm-fault.XXXXXX)
mounts=()
cleanup() {
	local m
	for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done
	rm -rf "$top"
}
trap cleanup EXIT
results=$top/results
: > "$results"

# One message through the CLI under a random low fd limit (EMFILE runs).
cli_send_one() { # dir name id size acc
	local dir=$1 name=$2 id=$3 size=$4 acc=$5 payload rc lim
	payload=$("$FA" payload "$name" "$id" "$size")
	for _ in $(seq 1 200); do
		lim=$((RANDOM % 9 + 4))
		(ulimit -n $lim; exec "$S" send --dir "$dir" --from "$name" --to sink --seq "$id" "$payload") \
			2>> "$work/cli.err"
		rc=$?
		case $rc in
		0) echo "$name $id" >> "$acc"; return 0;;
		3|4) echo x >> "$work/emfile_refusals";;
		*) echo "unexpected exit $rc from swarm send (ulimit -n $lim)" >> "$work/errors"; return 1;;
		esac
	done
	echo "swarm send never succeeded for $name $id" >> "$work/errors"
	return 1
}

sender_loop() { # scenario name
	local sc=$1 name=$2 acc next=1 restarts=0 rc last f mode=
	acc=$work/acc.$name
	[ "$name" = s2 ] && mode=batch
	[ "$name" = s3 ] && mode=auto
	: > "$acc"
	while [ $next -le $msgs ]; do
		if [ "$sc" = emfile ]; then
			cli_send_one "$dir" "$name" "$next" "$size" "$acc" || return
			next=$((next + 1))
			continue
		fi
		f=
		case $sc in
		send-*) [ $restarts -lt 12 ] && f="$sc:$((RANDOM % (msgs - next + 1) + 1))";;
		enospc|full-inbox)
			[ $restarts -lt 6 ] && [ $((RANDOM % 2)) -eq 0 ] &&
				f="send-write:$((RANDOM % (msgs - next + 1) + 1))";;
		esac
		if [ "$sc" = random-kill ] && [ $restarts -lt 15 ]; then
			# SIGKILL from outside at a random instant: inside a pwrite
			# (torn frames), inbox creation, recovery, anywhere.
			"$FA" send "$dir" "$name" sink "$next" "$msgs" "$size" "$acc" $mode 2>> "$work/agent.err" &
			local p=$!
			sleep "0.0$(printf %02d $((RANDOM % 25)))"
			kill -9 $p 2>/dev/null
			wait $p
			rc=$?
		else
			SWARM_FAULT=$f "$FA" send "$dir" "$name" sink "$next" "$msgs" "$size" "$acc" $mode \
				2>> "$work/agent.err"
			rc=$?
		fi
		case $rc in
		0) ;;
		137) echo "$name" >> "$work/kills";;
		# A full tmpfs can refuse the sender's own inbox before its
		# first send: a clean refusal (exit 3), tried again from what
		# it logged, as the reader's are.
		3) [ "$sc" = enospc ] || { echo "sender $name exit $rc" >> "$work/errors"; return; }
		   sleep 0.01;;
		*) echo "sender $name exit $rc" >> "$work/errors"; return;;
		esac
		restarts=$((restarts + 1))
		last=$(tail -n 1 "$acc" | cut -d' ' -f2)
		next=$(( ${last:-0} + 1 ))
		[ $rc -eq 0 ] && [ $next -le $msgs ] && { echo "sender $name stopped early" >> "$work/errors"; return; }
	done
}

reader_loop() { # scenario
	local sc=$1 f max rc n=0 stopping
	# Let segments fill past the 4 MiB rollover before reading, or the
	# reader keeps up and reclaims instead of rolling over.
	if [ "$sc" = rollover-unlink ]; then
		while [ ! -e "$work/stop" ] && ! ls "$dir" | grep -q '^sink\.00000003\.seg$'; do sleep 0.05; done
	fi
	while :; do
		stopping=0
		[ -e "$work/stop" ] && stopping=1
		f= max=
		# Faults while the senders run and for the first restarts after;
		# then clean passes so the run always ends.
		if [ $stopping -eq 0 ] || [ $n -lt 8 ]; then
			case $sc in
			recv-read) f="$sc:$((RANDOM % (msgs * 3 / 2) + 1))";;
			recv-commit|recv-dedup) f="$sc:$((RANDOM % 4 + 1))";;
			rollover-unlink) f="$sc:$((RANDOM % 2 + 1))";;
			*) max=$((RANDOM % 60 + 10));;
			esac
		fi
		n=$((n + 1))
		if [ "$sc" = recv-commit ] && [ $((run % 2)) -eq 0 ]; then
			# The real CLI reader: stdout goes to the log, commit after flush.
			SWARM_FAULT=$f "$S" recv --dir "$dir" --as sink --wait 0.2 >> "$work/out" 2>> "$work/agent.err"
			rc=$?
			case $rc in
			137) echo reader >> "$work/kills";;
			0) ;;
			1|124) [ $stopping -eq 1 ] && break;;
			*) echo "swarm recv exit $rc" >> "$work/errors"; break;;
			esac
			continue
		fi
		if [ "$sc" = random-kill ] && [ $n -lt 15 ]; then
			"$FA" recv "$dir" sink "$work/out" "$work/stop" 2>> "$work/agent.err" &
			local p=$!
			sleep "0.0$(printf %02d $((RANDOM % 25)))"
			kill -9 $p 2>/dev/null
			wait $p
			rc=$?
		elif [ "$sc" = emfile ] && [ $n -lt 20 ]; then
			(ulimit -n $((RANDOM % 8 + 4)); exec "$FA" recv "$dir" sink "$work/out" "$work/stop" $max) 2>> "$work/agent.err"
			rc=$?
			[ $rc -eq 3 ] && { echo x >> "$work/emfile_refusals"; continue; }
		else
			SWARM_FAULT=$f "$FA" recv "$dir" sink "$work/out" "$work/stop" $max 2>> "$work/agent.err"
			rc=$?
		fi
		case $rc in
		137) echo reader >> "$work/kills";;
		0) [ $stopping -eq 1 ] && [ -z "$max" ] && break;;
		*) if [ "$sc" = enospc ] && [ $rc -eq 3 ]; then sleep 0.01; continue; fi
		   echo "reader exit $rc" >> "$work/errors"; break;;
		esac
	done
}

check_run() { # scenario run -> appends a result line, returns 1 on a violation
	local sc=$1 run=$2 tmps state bad=0 nm f
	tmps=$(ls -A "$dir" | grep -c '^\.tmp\.')
	state=$("$FA" inspect "$dir" sink)
	for f in "$dir"/*.inbox; do
		flock -n -x "$f" true || { echo "lock held on $(basename "$f")" >> "$work/errors"; }
	done
	python3 - "$work" "$sc" "$run" "$tmps" "$state" "$(( $(echo $SENDERS | wc -w) * msgs ))" >> "$results" <<'PY' || bad=1
import sys, zlib, glob, os
work, sc, run, tmps, state, expect = sys.argv[1:7]
acc = set()
for fn in glob.glob(os.path.join(work, "acc.*")):
    for line in open(fn):
        s, i = line.split()
        acc.add((s, int(i)))
seen = {}
corrupt = torn = 0
with open(os.path.join(work, "out"), "rb") as fh:
    lines = fh.read().split(b"\n")[:-1]
    for k, raw in enumerate(lines):
        if raw.startswith(b"#"):
            continue
        # Our reader's own log write cut by SIGKILL (never committed, so
        # delivered again): a short line the next reader marked.
        if k + 1 < len(lines) and lines[k + 1] == b"#torn":
            torn += 1
            continue
        try:
            line = raw.decode()
            body, crc = line.rsplit(":", 1)
            s, i, _ = body.split(":", 2)
            if int(crc, 16) != zlib.crc32(body.encode()) & 0xffffffff:
                raise ValueError
            key = (s, int(i))
        except Exception:
            corrupt += 1
            continue
        seen[key] = seen.get(key, 0) + 1
missing = acc - set(seen)
dups = sum(c - 1 for c in seen.values())
extra = len(set(seen) - acc)
kills = sum(1 for _ in open(os.path.join(work, "kills"))) if os.path.exists(os.path.join(work, "kills")) else 0
errors = open(os.path.join(work, "errors")).read().strip() if os.path.exists(os.path.join(work, "errors")) else ""
kv = dict(x.split("=") for x in state.split())
import re
refused = 0
for fn in ("agent.err",):
    path = os.path.join(work, fn)
    if os.path.exists(path):
        for m in re.finditer(r"refused: full=(\d+) nospace=(\d+)", open(path).read()):
            refused += int(m.group(1)) + int(m.group(2))
path = os.path.join(work, "emfile_refusals")
if os.path.exists(path):
    refused += sum(1 for _ in open(path))
problems = []
if len(acc) != int(expect): problems.append("only %d of %s messages accepted" % (len(acc), expect))
if missing: problems.append("lost %d e.g. %s" % (len(missing), sorted(missing)[:3]))
if corrupt: problems.append("corrupt delivered %d" % corrupt)
if int(tmps): problems.append("%s .tmp files left" % tmps)
if kv["writer_pid"] != "0": problems.append("writer intent left: " + kv["writer_pid"])
if kv["reader_pid"] != "0": problems.append("reader lock left: " + kv["reader_pid"])
if kv["depth"] != "0": problems.append("depth %s after drain" % kv["depth"])
if int(kv["segments"]) > 1: problems.append("%s segments left" % kv["segments"])
if errors: problems.append("errors: " + errors.replace("\n", "; ")[:300])
print(sc, run, len(acc), len(seen), dups, extra, len(missing), corrupt, kills, refused,
      "OK" if not problems else "FAIL " + " | ".join(problems))
sys.exit(1 if problems else 0)
PY
	return $bad
}

run_one() { # scenario run
	local sc=$1 run=$2 base=/dev/shm pids=() s initargs=()
	work=$top/$sc.$run
	mkdir -p "$work"
	: > "$work/out"
	size=200
	case $sc in
	rollover-unlink) size=100000;;
	random-kill) size=60000;;
	enospc)
		if [ "$(id -u)" -ne 0 ]; then echo "$sc $run 0 0 0 0 0 0 0 0 SKIP needs root to mount a tmpfs" >> "$results"; return 0; fi
		base=$top/tmpfs.$run
		mkdir -p "$base"
		mount -t tmpfs -o size=256k,mode=0755 tmpfs "$base" || { echo "mount failed" >> "$work/errors"; }
		mounts+=("$base")
		size=20000;;
	full-inbox) initargs=(--max-msgs 8);;
	esac
	dir=$(SWARM_SHM=$base "$S" init "${initargs[@]}") || { echo "$sc $run init failed" >> "$results"; return 1; }
	# (stderr of the loops: bash's "Killed" notes, expected by design)
	reader_loop "$sc" 2>> "$work/shell.err" & local rpid=$!
	for s in $SENDERS; do
		sender_loop "$sc" "$s" 2>> "$work/shell.err" &
		pids+=($!)
	done
	wait "${pids[@]}"
	touch "$work/stop"
	wait $rpid
	# A last clean pass: anything still in the inbox is counted too.
	"$FA" recv "$dir" sink "$work/out" "$work/stop" 2>> "$work/agent.err" ||
		echo "final reader failed" >> "$work/errors"
	check_run "$sc" "$run"
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "campaign: $sc run $run FAILED; bus kept at $dir, logs at $work.kept"
		cp -r "$work" "$work.kept" 2>/dev/null; cp -r "$work" "/tmp/swarm-fault-failed.$sc.$run" 2>/dev/null
		[ "$sc" = enospc ] && cp -r "$dir" "/tmp/swarm-fault-failed.$sc.$run/bus" 2>/dev/null
	else
		"$S" destroy --dir "$dir"
	fi
	if [ "$sc" = enospc ]; then umount "$base"; fi
	return $rc
}

start=$(date +%s) failed=0
for sc in $SCENARIOS; do
	case $sc in
	coord-*)
		for run in $(seq 1 "$coord_runs"); do
			coord_run_one "$sc" "$run" || failed=$((failed + 1))
		done
		awk -v sc="$sc" '$1 == sc { t += $3; d += $4; du += $5; x += $6; l += $7; c += $8; k += $9; r += $10;
			n++; if ($11 != "OK") bad++ }
			END { printf "campaign: %-16s runs %d  tasks %d  delivered %d  copies-discarded %d  double-counted %d  lost %d  corrupt %d  kills %d  restarts %d  %s\n",
			      sc, n, t, d, du, x, l, c, k, r, bad ? bad " FAILED" : "ok" }' "$results"
		continue;;
	esac
	for run in $(seq 1 "$runs"); do
		run_one "$sc" "$run" || failed=$((failed + 1))
	done
	awk -v sc="$sc" '$1 == sc { a += $3; d += $4; du += $5; x += $6; l += $7; c += $8; k += $9; r += $10;
		n++; if ($11 != "OK") bad++ }
		END { printf "campaign: %-16s runs %d  accepted %d  delivered %d  dup %d  extra %d  lost %d  corrupt %d  kills %d  refused %d  %s\n",
		      sc, n, a, d, du, x, l, c, k, r, bad ? bad " FAILED" : "ok" }' "$results"
done
grep -v ' OK$' "$results" | sed 's/^/  /'
awk -v secs=$(( $(date +%s) - start )) '$1 ~ /^coord-/ { ct += $3; cd += $4; cx += $6; l += $7; c += $8; k += $9; cr += $10; n++; if ($11 != "OK") bad++; next }
	{ a += $3; d += $4; l += $7; c += $8; k += $9; r += $10; n++; if ($11 != "OK") bad++ }
	END { printf "TOTAL: %d scenario-runs, %d messages accepted, %d delivered, %d tasks run through killed coordinators, %d delivered, double-counted %d, coordinator restarts %d, lost %d, corrupt delivered %d, SIGKILLs %d, ENOSPC/EMFILE/full refusals %d, %d failed runs, %ds\n",
	      n, a, d, ct, cd, cx, cr, l, c, k, r, bad, secs }' "$results"
[ $failed -eq 0 ]
