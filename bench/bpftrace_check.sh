#!/usr/bin/env bash
# bench/bpftrace_check.sh — swarm's kernel signals against bpftrace: the
# same workload of known truth traced at once by swarm's tracer and by an
# equivalent bpftrace script (bench/bpftrace/*.bt: tracepoints and USDT
# only, as this kernel has no kprobes and refuses fentry).
#
#   bench/bpftrace_check.sh [--build DIR] [--out FILE]
#
#   locks    trace_workload flock: P processes take LOCK_EX on one file R
#            times each, holding it H ms (two settings). swarm-trace flock
#            against flock.bt (sys_enter_flock -> sys_exit_flock):
#            acquisitions, waits (p50, p95, mean, max), log2 histograms.
#   fds      trace_workload leakmix: one process makes K fds each by open,
#            dup, pipe, socketpair, eventfd and SCM_RIGHTS receipt. The
#            truth is /proc/PID/fd; swarm-trace fd against fds.bt (+1 per
#            fd-returning syscall, -1 per close).
#   execs    swarm run -j 4 -- env env true ::: 1..20: 20 processes of 3
#            execs each. Its own kernel JSON against exec.bt.
#   latency  trace_workload latency: a writer sends, the reader consumes D
#            ms later, N rounds. swarm-trace latency against latency.bt
#            (the same swarm:publish / swarm:consume USDT probes).
#
# Writes bench/results/<UTC timestamp>-bpftrace.md (or --out FILE) and
# prints its path. Takes /tmp/swarm-bench.lock, as bench/run does.
#
# EXIT CODES: 0 every check agreed; 1 some figure disagreed beyond its
#   tolerance (each listed under "Checks" in the report and on stderr);
#   2 usage; 3 environment (not root, bpftrace, jq or a swarm binary
#   missing, tracefs missing, a tracer failed to attach).
#
# bpftrace 0.17 (Debian 12) on kernel 6.18, as found on this host:
#   - prints "ERROR: ... couldn't set RLIMIT_MEMLOCK" and works on: BPF
#     memory is charged to the cgroup since 5.11. Filtered out here.
#   - "WARNING: Addrspace mismatch" on curtask->real_parent->tgid: harmless.
#   - no rawtracepoint probe type ("Invalid probe type made it to
#     attachpoint parser"), and kprobe/kfunc are not in this kernel; the
#     args of sched:sched_process_fork do not tell a thread from a process,
#     task:task_newtask's clone_flags do (exec.bt).
#   - -c runs only an ELF given by path ("does not exist or is not
#     executable" for a shell script): here a waiting shell starts the
#     traced tree once the script is attached.
#   - with -o FILE, output (BEGIN's printf too) reaches the file only at
#     exit: stdout with -B line is used instead.
#   - "Attaching N probes..." comes before the probes are attached: each
#     script prints READY in BEGIN, which runs after; a SIGINT sent before
#     that is lost.
#   - a filter on curtask->real_parent->tgid sees only children: the .bt
#     files walk up to 8 ancestors with unroll().
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build out=''
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$(cd "$2" 2>/dev/null && pwd) || { echo "bpftrace_check: no build dir '$2'" >&2; exit 2; }; shift 2;;
	--out) out=$2; shift 2;;
	-h|--help) usage; exit 0;;
	*) echo "bpftrace_check: unknown option '$1' (see --help)" >&2; exit 2;;
	esac
done

die() { echo "bpftrace_check: $*" >&2; exit 3; }
[ "$(id -u)" -eq 0 ] || die "needs root (BPF)"
command -v bpftrace >/dev/null ||
	die "bpftrace is not installed (Debian package 'bpftrace'; make deps installs it)"
command -v jq >/dev/null || die "jq is not installed (make deps)"
TRACE=$build/swarm-trace SWARM=$build/swarm WL=$build/tests/trace_workload
for b in "$TRACE" "$SWARM" "$WL"; do
	[ -x "$b" ] || die "no $b: run 'make all test-bins' first"
done
[ -e /sys/kernel/tracing/events/syscalls ] || [ -e /sys/kernel/debug/tracing/events/syscalls ] ||
	die "tracefs with syscall tracepoints not found (mount -t tracefs nodev /sys/kernel/tracing)"
BT=$root/bench/bpftrace
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
[ -n "$out" ] || out=$root/bench/results/$stamp-bpftrace.md
tmp=$(mktemp -d /tmp/swarm-bpftrace.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp" /dev/shm/swarm-bpftrace-$$*
}
trap cleanup EXIT

exec 9> /tmp/swarm-bench.lock
if ! flock -n 9; then
	echo "bpftrace_check: another benchmark is running; waiting for it" >&2
	flock 9
fi

# --- helpers ------------------------------------------------------------------
FAILS=()
check() { # check OK|BAD "what"
	if [ "$1" = OK ]; then CHECKS+="| ok | $2 |"$'\n'
	else CHECKS+="| **DISAGREE** | $2 |"$'\n'; FAILS+=("$2"); echo "bpftrace_check: disagree: $2" >&2; fi
}
CHECKS=''

# start_bt NAME SCRIPT ARGS...: bpftrace in the background, returns once
# every probe is attached (READY); sets BTPID
start_bt() {
	local name=$1 script=$2 i
	shift 2
	bpftrace -B line "$script" "$@" > "$tmp/$name.bt" 2> "$tmp/$name.bt.err" &
	BTPID=$!
	PIDS+=("$BTPID")
	for i in $(seq 1200); do
		grep -q '^READY' "$tmp/$name.bt" && return 0
		kill -0 "$BTPID" 2>/dev/null || die "bpftrace $script failed: $(grep -v RLIMIT_MEMLOCK "$tmp/$name.bt.err" | head -3)"
		sleep 0.05
	done
	die "bpftrace $script did not attach within 60 s"
}

# start_st NAME ARGS...: swarm-trace in the background, returns once it
# traces; sets STPID
start_st() {
	local name=$1 i
	shift
	"$TRACE" "$@" --json > "$tmp/$name.st" 2> "$tmp/$name.st.err" &
	STPID=$!
	PIDS+=("$STPID")
	for i in $(seq 300); do
		grep -q '^Tracing' "$tmp/$name.st.err" && return 0
		kill -0 "$STPID" 2>/dev/null || die "swarm-trace $* failed: $(cat "$tmp/$name.st.err")"
		sleep 0.05
	done
	die "swarm-trace did not attach within 15 s"
}

# stop PID: SIGINT (both print their last block / maps), wait for it
stop() { kill -INT "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# start_wl NAME ARGS...: trace_workload, forked and waiting for SIGUSR1; WLPID
start_wl() {
	local name=$1 i
	shift
	"$WL" "$@" > "$tmp/$name.wl" &
	WLPID=$!
	PIDS+=("$WLPID")
	for i in $(seq 100); do [ -s "$tmp/$name.wl" ] && return 0; sleep 0.05; done
	die "trace_workload $1 did not start"
}

# stats < one number per line: "count p50 p95 mean max" (nearest rank)
stats() {
	sort -n | awk '{ v[NR] = $1; s += $1 }
		END { if (!NR) { print 0, 0, 0, 0, 0; exit }
		      p50 = v[int(NR * 0.50 + 0.999999)]; p95 = v[int(NR * 0.95 + 0.999999)]
		      printf "%d %d %d %.1f %d\n", NR, p50, p95, s / NR, v[NR] }'
}

# slots < one number per line: 32 counts, floor(log2(us)) as swarm's BPF
# (0 and 1 in slot 0)
slots() {
	awk '{ s = 0; v = $1; while (v >= 2 && s < 31) { v = v / 2; s++ } n[int(s)]++ }
		END { for (i = 0; i < 32; i++) printf "%d ", n[i] + 0; print "" }'
}

# hist_table "SWARM SLOTS" "BPFTRACE SLOTS": side-by-side markdown rows of
# the non-empty range
hist_table() {
	echo "| usecs | swarm | bpftrace |"
	echo "|---|---:|---:|"
	awk -v a="$1" -v b="$2" 'BEGIN { na = split(a, x, " "); split(b, y, " "); lo = -1
		for (i = 1; i <= 32; i++) if (x[i] + y[i] > 0) { if (lo < 0) lo = i; hi = i }
		for (i = lo; lo > 0 && i <= hi; i++) {
			l = i == 1 ? 0 : 2 ^ (i - 1); h = 2 ^ i - 1
			printf "| %d -> %d | %d | %d |\n", l, h, x[i], y[i] } }'
}

# within A B PCT ABS: |A - B| <= PCT % of B + ABS
within() { awk -v a="$1" -v b="$2" -v p="$3" -v q="$4" 'BEGIN { d = a - b; if (d < 0) d = -d
	m = b < 0 ? -b : b; exit !(d <= m * p / 100 + q) }'; }
# same_slot A B: in the same log2 slot or a neighbour
near_slot() { awk -v a="$1" -v b="$2" 'function sl(v, s) { s = 0; while (v >= 2) { v /= 2; s++ } return s }
	BEGIN { d = sl(a) - sl(b); exit !(d >= -1 && d <= 1) }'; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
REPORT=''
r() { REPORT+="$*"$'\n'; }

# --- locks ---------------------------------------------------------------------
locks() { # locks PROCS HOLD_MS ROUNDS
	local p=$1 h=$2 n=$3 f=/dev/shm/swarm-bpftrace-$$-lock truth sj acq cont tot p50 p95 max
	local bs bcount bp50 bp95 bmean bmax bslots sslots mean bwaited
	rm -f "$f"
	start_wl lock flock "$f" "$p" "$h" "$n"
	start_st lock flock -p "$WLPID"
	start_bt lock "$BT/flock.bt" "$WLPID"
	kill -USR1 "$WLPID"
	wait "$WLPID" || die "the flock workload failed"
	stop "$STPID"
	stop "$BTPID"
	truth=$((p * n))
	sj=$(tail -n 1 "$tmp/lock.st" | jq -c --arg f "$f" '.kernel.flock.locks[] | select(.path == $f)')
	[ -n "$sj" ] || die "swarm-trace reported no lock on $f: $(tail -n 1 "$tmp/lock.st")"
	acq=$(jq .acquisitions <<< "$sj"); cont=$(jq .contended <<< "$sj")
	tot=$(jq .wait_ns_total <<< "$sj"); p50=$(jq .wait_us.p50 <<< "$sj")
	p95=$(jq .wait_us.p95 <<< "$sj"); max=$(jq .wait_us.max <<< "$sj")
	sslots=$(jq -r '.wait_us.log2_slots | map(tostring) | join(" ")' <<< "$sj")
	mean=$(awk -v t="$tot" -v a="$acq" 'BEGIN { printf "%.1f", a ? t / a / 1000 : 0 }')
	awk '$1 == "W" { print $3 }' "$tmp/lock.bt" > "$tmp/lock.w"
	read -r bcount bp50 bp95 bmean bmax < <(stats < "$tmp/lock.w")
	bwaited=$(awk '$1 >= 100' "$tmp/lock.w" | wc -l)
	bslots=$(slots < "$tmp/lock.w")
	r "### $p processes, hold $h ms, $n rounds each"
	r ""
	r "| figure | truth | swarm-trace | bpftrace |"
	r "|---|---:|---:|---:|"
	r "| acquisitions | $truth | $acq | $bcount |"
	r "| waited (contended; bpftrace: call >= 100 us) | | $cont | $bwaited |"
	r "| wait p50 (us) | | $p50 | $bp50 |"
	r "| wait p95 (us) | | $p95 | $bp95 |"
	r "| wait mean (us) | | $mean | $bmean |"
	r "| wait max (us) | | $max | $bmax |"
	r ""
	r "swarm's p50/p95 are interpolated in its log2 histogram (capped at the"
	r "exact max); bpftrace's are exact (nearest rank over every call). An"
	r "uncontended lock is 0 us for swarm (granted at the first attempt) and the"
	r "syscall's own few us for bpftrace."
	r ""
	r "$(hist_table "$sslots" "$bslots")"
	r ""
	r '<details><summary>bpftrace hist()</summary>'
	r ""
	r '```'
	r "$(sed -n '/^@wait_us/,/^$/p' "$tmp/lock.bt")"
	r '```'
	r '</details>'
	r ""
	[ "$acq" -eq "$truth" ] && [ "$bcount" -eq "$truth" ] && check OK "locks $p x $h ms: acquisitions $truth = swarm $acq = bpftrace $bcount" ||
		check BAD "locks $p x $h ms: acquisitions truth $truth, swarm $acq, bpftrace $bcount"
	within "$cont" "$bwaited" 0 2 && check OK "locks $p x $h ms: contended swarm $cont ~ bpftrace $bwaited (±2)" ||
		check BAD "locks $p x $h ms: contended swarm $cont, bpftrace $bwaited"
	within "$mean" "$bmean" 5 100 && check OK "locks $p x $h ms: mean wait swarm $mean us ~ bpftrace $bmean us (5 % + 100 us)" ||
		check BAD "locks $p x $h ms: mean wait swarm $mean us, bpftrace $bmean us"
	near_slot "$p50" "$bp50" && near_slot "$p95" "$bp95" &&
		check OK "locks $p x $h ms: p50/p95 in the same or next log2 slot ($p50/$p95 vs $bp50/$bp95 us)" ||
		check BAD "locks $p x $h ms: p50/p95 swarm $p50/$p95 us, bpftrace $bp50/$bp95 us"
	within "$max" "$bmax" 5 100 && check OK "locks $p x $h ms: max wait swarm $max us ~ bpftrace $bmax us" ||
		check BAD "locks $p x $h ms: max wait swarm $max us, bpftrace $bmax us"
	rm -f "$f"
}

# --- fds -------------------------------------------------------------------------
# kind of each fd of PID, as swarm names them: "file 60\npipe 20..."
proc_kinds() {
	local l t
	for l in /proc/"$1"/fd/*; do
		t=$(stat -L -f -c %t "$l" 2>/dev/null)
		case $t in
		9041934|50494446) echo anon; continue;;
		esac
		case $(stat -L -c %F "$l" 2>/dev/null) in
		'regular file'|'regular empty file') echo file;;
		directory) echo dir;;
		fifo) echo pipe;;
		socket) echo socket;;
		'character special file'|'block special file') echo dev;;
		*) echo other;;
		esac
	done | sort | uniq -c | awk '{ print $2, $1 }'
}

fds() { # fds K
	local k=$1 f=/dev/shm/swarm-bpftrace-$$-fd go=$tmp/fd.go wrap kid before after sj i
	local made kinds bnet
	mkfifo "$go"
	# the tree is forked after both tracers attached: exact baselines
	bash -c 'read -r _ < "$1"; exec "$2" leakmix "$3" "$4" 0' _ "$go" "$WL" "$f" "$k" > "$tmp/fd.wl" &
	wrap=$!
	PIDS+=("$wrap")
	start_st fd fd -p "$wrap"
	start_bt fd "$BT/fds.bt" "$wrap"
	echo go > "$go"
	for i in $(seq 100); do kid=$(pgrep -P "$wrap"); [ -n "$kid" ] && [ -s "$tmp/fd.wl" ] && break; sleep 0.05; done
	[ -n "$kid" ] || die "leakmix did not start"
	before=$(ls /proc/"$kid"/fd | wc -l)
	kill -USR1 "$wrap"
	for i in $(seq 200); do grep -q '^leaked' "$tmp/fd.wl" && break; sleep 0.05; done
	grep -q "^leaked $kid" "$tmp/fd.wl" || die "leakmix did not leak"
	after=$(ls /proc/"$kid"/fd | wc -l)
	proc_kinds "$kid" > "$tmp/fd.kinds"
	stop "$STPID"
	stop "$BTPID"
	kill -TERM "$kid"
	wait "$wrap" 2>/dev/null
	sj=$(tail -n 1 "$tmp/fd.st" | jq -c --argjson p "$kid" '.kernel.fd.suspects[] | select(.pid == $p)')
	[ -n "$sj" ] || die "swarm-trace named no suspect $kid: $(tail -n 1 "$tmp/fd.st")"
	bnet=$(awk -v p="$kid" '$1 ~ "^@net\\[" p "\\]:" { print $2 }' "$tmp/fd.bt")
	bnet=${bnet:-0}
	r "One process (pid $kid, forked after both tracers attached) makes $k fds each"
	r "by open, dup, pipe, socketpair, eventfd and SCM_RIGHTS receipt: $((6 * k))."
	r ""
	r "| figure | truth (/proc/PID/fd) | swarm-trace | bpftrace (syscalls) |"
	r "|---|---:|---:|---:|"
	r "| fds at start (baseline) | $before | $(jq .fds_base <<< "$sj") | |"
	r "| fds now | $after | $(jq .fds_now <<< "$sj") | |"
	r "| growth | $((after - before)) | $(jq .growth <<< "$sj") | $bnet |"
	for kind in file pipe socket anon dev; do
		r "| $kind fds | $(awk -v k=$kind '$1 == k { print $2 }' "$tmp/fd.kinds") | $(jq ".kinds.$kind" <<< "$sj") | |"
	done
	r "| most held file | $((3 * k)) x $f ($k open + $k dup + $k SCM_RIGHTS) | $(jq -r '.holds[0] | "\(.fds) x \(.path)"' <<< "$sj") | |"
	r ""
	r "bpftrace, fd-making syscalls of pid $kid that succeeded (closes: $(awk -v p="$kid" '$1 ~ "^@closed\\[" p "\\]:" { print $2 }' "$tmp/fd.bt")):"
	r ""
	r '```'
	r "$(grep "^@made\[$kid," "$tmp/fd.bt")"
	r '```'
	r ""
	r "The $k fds received with SCM_RIGHTS come out of recvmsg(2), which returns"
	r "a byte count: syscall counting cannot see them, the fd table does."
	r ""
	made=$(jq .growth <<< "$sj")
	[ "$made" -eq $((after - before)) ] && [ "$(jq .fds_now <<< "$sj")" -eq "$after" ] &&
		check OK "fds: swarm growth $made and count $after = /proc" ||
		check BAD "fds: swarm growth $made / now $(jq .fds_now <<< "$sj"), /proc $((after - before)) / $after"
	kinds=$(for kind in file pipe socket anon; do
		[ "$(awk -v k=$kind '$1 == k { print $2 }' "$tmp/fd.kinds")" = "$(jq ".kinds.$kind" <<< "$sj")" ] || echo "$kind"
	done)
	[ -z "$kinds" ] && check OK "fds: swarm's count by kind = /proc" ||
		check BAD "fds: swarm's count by kind differs from /proc for: $kinds"
	[ "$(jq -r .holds[0].path <<< "$sj")" = "$f" ] && [ "$(jq .holds[0].fds <<< "$sj")" -eq $((3 * k)) ] &&
		check OK "fds: swarm names $f with $((3 * k)) fds" ||
		check BAD "fds: swarm's most held is $(jq -c .holds[0] <<< "$sj")"
	[ "$bnet" -eq $((5 * k)) ] && check OK "fds: bpftrace counts $bnet = $((5 * k)), all but the $k SCM_RIGHTS fds (as expected)" ||
		check BAD "fds: bpftrace counted $bnet, expected $((5 * k)) (all but SCM_RIGHTS)"
	rm -f "$f"
}

# --- execs -----------------------------------------------------------------------
execs() { # execs TASKS
	local n=$1 go=$tmp/ex.go wrap truth sj sx sc sf be bt bf other
	mkfifo "$go"
	bash -c 'read -r _ < "$1"; shift; exec "$@"' _ "$go" "$SWARM" run --json -j 4 -- env env true ::: $(seq "$n") \
		> "$tmp/ex.json" 2> "$tmp/ex.err" &
	wrap=$!
	PIDS+=("$wrap")
	start_bt ex "$BT/exec.bt" "$wrap"
	echo go > "$go"
	wait "$wrap" || die "swarm run failed: $(tail -n 3 "$tmp/ex.err")"
	stop "$BTPID"
	truth=$((3 * n))
	sj=$(jq -c .kernel.spawn "$tmp/ex.json")
	[ "$(jq -r .kernel.enabled "$tmp/ex.json")" != false ] || die "swarm run traced nothing: $(jq -r .kernel.reason "$tmp/ex.json")"
	sx=$(jq .execs <<< "$sj"); sc=$(jq .exec_chains <<< "$sj"); sf=$(jq .forks <<< "$sj")
	be=$(awk '$1 == "@execs:" { print $2 }' "$tmp/ex.bt")
	bf=$(awk '$1 == "@forks:" { print $2 }' "$tmp/ex.bt")
	bt=$(awk -F'[][]' '/^@execs_by_comm\[(env|true)\]/ { split($3, v, ": "); s += v[2] } END { print s + 0 }' "$tmp/ex.bt")
	other=$(grep '^@execs_by_comm' "$tmp/ex.bt" | grep -vE '\[(env|true)\]' | sed 's/@execs_by_comm//' | tr '\n' ' ')
	r "\`swarm run -j 4 -- env env true ::: 1..$n\`: $n tasks, each env -> env -> true."
	r ""
	r "| figure | truth | swarm run (kernel JSON) | bpftrace |"
	r "|---|---:|---:|---:|"
	r "| execs of the tasks | $truth | $sx | $bt (env, true) |"
	r "| exec chains (execs after a process's first) | $((2 * n)) | $sc | |"
	r "| processes of the tasks | $n | $sf | |"
	r "| every exec of the tree | | | $be |"
	r "| every process forked in the tree | | | $bf |"
	r ""
	r "bpftrace also counts what came before swarm's tracer attached and what the"
	r "master forks for itself: $other."
	r ""
	[ "$sx" -eq "$truth" ] && [ "$bt" -eq "$truth" ] && check OK "execs: $truth = swarm $sx = bpftrace $bt" ||
		check BAD "execs: truth $truth, swarm $sx, bpftrace (env+true) $bt"
	[ "$sc" -eq $((2 * n)) ] && [ "$sf" -eq "$n" ] && check OK "execs: swarm chains $sc, processes $sf as made" ||
		check BAD "execs: swarm chains $sc (want $((2 * n))), forks $sf (want $n)"
}

# --- latency -------------------------------------------------------------------
latency() { # latency DELAY_MS ROUNDS
	local d=$1 n=$2 dir=/dev/shm/swarm-bpftrace-$$-bus sj ss bcount bp50 bp95 bmean bmax bslots sslots
	mkdir -p "$dir"
	start_wl lat latency "$dir/reader" "$d" "$n"
	start_st lat latency -p "$WLPID"
	start_bt lat "$BT/latency.bt" "$WLPID" "$WL"
	kill -USR1 "$WLPID"
	wait "$WLPID" || die "the latency workload failed"
	stop "$STPID"
	stop "$BTPID"
	sj=$(tail -n 1 "$tmp/lat.st" | jq -c '.kernel.latency.per_inbox[] | select(.name == "reader")')
	[ -n "$sj" ] || die "swarm-trace saw no inbox 'reader': $(tail -n 1 "$tmp/lat.st")"
	ss=$(jq .samples <<< "$sj")
	sslots=$(jq -r '.write_read_us.log2_slots | map(tostring) | join(" ")' <<< "$sj")
	awk '$1 == "L" { print $2 }' "$tmp/lat.bt" > "$tmp/lat.l"
	read -r bcount bp50 bp95 bmean bmax < <(stats < "$tmp/lat.l")
	bslots=$(slots < "$tmp/lat.l")
	r "A writer sends one message, the reader consumes it $d ms later, $n times."
	r ""
	r "| figure | truth | swarm-trace | bpftrace |"
	r "|---|---:|---:|---:|"
	r "| messages | $n | $ss | $bcount |"
	r "| latency p50 (us) | >= $((d * 1000)) | $(jq .write_read_us.p50 <<< "$sj") | $bp50 |"
	r "| latency p95 (us) | | $(jq .write_read_us.p95 <<< "$sj") | $bp95 |"
	r "| latency max (us) | | $(jq .write_read_us.max <<< "$sj") | $bmax |"
	r ""
	r "$(hist_table "$sslots" "$bslots")"
	r ""
	r "Both hook the same two probes; swarm keys a publish by its inbox's inode"
	r "and bus position, latency.bt by position alone (one inbox here). With every"
	r "sample in one log2 slot, swarm's interpolated p50/p95 are capped at its max."
	r ""
	[ "$ss" -eq "$n" ] && [ "$bcount" -eq "$n" ] && check OK "latency: $n messages = swarm $ss = bpftrace $bcount" ||
		check BAD "latency: truth $n, swarm $ss, bpftrace $bcount"
	within "$(jq .write_read_us.max <<< "$sj")" "$bmax" 2 100 &&
		check OK "latency: max swarm $(jq .write_read_us.max <<< "$sj") us ~ bpftrace $bmax us" ||
		check BAD "latency: max swarm $(jq .write_read_us.max <<< "$sj") us, bpftrace $bmax us"
	near_slot "$(jq .write_read_us.p50 <<< "$sj")" "$bp50" &&
		check OK "latency: p50 in the same or next log2 slot" ||
		check BAD "latency: p50 swarm $(jq .write_read_us.p50 <<< "$sj") us, bpftrace $bp50 us"
	rm -rf "$dir"
}

r "## Locks: flock(2) waits"
r ""
locks 4 5 40
locks 2 40 10
r "## fd leaks"
r ""
fds 20
r "## Execs of a swarm run"
r ""
execs 20
r "## Bus latency (USDT swarm:publish -> swarm:consume)"
r ""
latency 10 50

{
	echo "# swarm's kernel signals against bpftrace — $stamp"
	echo
	echo "$(nproc) cores, kernel $(uname -r), $(bpftrace --version), $("$SWARM" --version 2>/dev/null | head -n 1),"
	echo "git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'); load average $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after."
	echo "Made by bench/bpftrace_check.sh: each workload traced at once by swarm"
	echo "(swarm-trace, or \`swarm run\`'s own tracer) and by bench/bpftrace/*.bt."
	echo
	echo "## Checks"
	echo
	echo "| result | check |"
	echo "|---|---|"
	printf '%s' "$CHECKS"
	echo
	printf '%s' "$REPORT"
	echo "## bpftrace 0.17 on this kernel"
	echo
	awk '/^# bpftrace 0.17/ { on = 1; next } on && /^#/ { sub(/^#   /, ""); print; next } on { exit }' "$0"
} > "$out"
echo "$out"
[ ${#FAILS[@]} -eq 0 ] || exit 1
exit 0
