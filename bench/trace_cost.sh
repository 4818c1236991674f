#!/usr/bin/env bash
# bench/trace_cost.sh — what tracing and the agent CLI cost, old against
# new, measured in one run on this machine (interleaved, medians):
#
#   bench/trace_cost.sh [--old BUILD_DIR] [--reps N]
#
#   exec       one exec of `swarm send` (to a missing bus: the CLI's whole
#              start-up, no bus work) vs /bin/true  (bench/execbench)
#   run1       a one-agent `swarm run`, traced vs --no-trace: attach+detach
#   tax        an unrelated `dd bs=1 count=300000` alone, and while a traced
#              50-agent swarm runs (agents sleep), and while swarm-trace
#              follows a sleeping tree
#   master     a traced flat 300-agent run: the master's RSS and fds peak
#   verifier   instructions the kernel's verifier walks to load each build's
#              BPF object, and the time it took (bench/bpfverify)
#
# --old BUILD_DIR measures a second build (e.g. the previous commit's) the
# same way in the same run. Writes bench/results/<date>-trace.md and .png.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
old='' reps=5
while [ $# -gt 0 ]; do
	case $1 in
	--old) old=$2; shift 2;;
	--reps) reps=$2; shift 2;;
	-h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0;;
	*) echo "trace_cost: unknown option '$1'" >&2; exit 2;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "trace_cost: needs root (tracing)" >&2; exit 3; }
new=$root/build
EB=$new/bench/execbench
[ -x "$EB" ] || make -C "$root" -s all test-bins >&2 || exit 3
builds=(new)
declare -A dir=([new]=$new)
[ -n "$old" ] && { builds+=(old); dir[old]=$(cd "$old" && pwd); }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "nan" }'; }
ms() { local a b; a=$(date +%s%N); "$@" > /dev/null 2>&1; b=$(date +%s%N); echo $(( (b - a) / 1000 )); }
declare -A R

# exec: interleaved by execbench itself
for b in "${builds[@]}"; do
	"$EB" -n 400 -- /bin/true -- "${dir[$b]}/swarm" send --dir /nonexistent/x --to a m > "$tmp/e.json"
	R[exec_true_$b]=$(jq '.cmds[0].p50_us' "$tmp/e.json")
	R[exec_send_$b]=$(jq '.cmds[1].p50_us' "$tmp/e.json")
done

# verifier: its instruction count does not depend on the machine's load;
# a build of several objects (one per signal, before issue 14) is summed
for b in "${builds[@]}"; do
	: > "$tmp/v.json"
	for o in "${dir[$b]}"/bpf/*.bpf.o; do
		"$new/bench/bpfverify" "$o" >> "$tmp/v.json" 2> /dev/null || { : > "$tmp/v.json"; break; }
	done
	if [ -s "$tmp/v.json" ]; then
		R[vinsns_$b]=$(jq -s 'map(.insns) | add' "$tmp/v.json")
		R[vms_$b]=$(jq -s 'map(.verify_us) | add / 1000 | floor' "$tmp/v.json")
		R[vtop_$b]=$(jq -rs 'map(.progs[]) | max_by(.insns) | "\(.name) \(.insns)"' "$tmp/v.json")
	else
		R[vinsns_$b]=nan R[vms_$b]=nan R[vtop_$b]=nan
	fi
done

# run1: traced vs untraced, interleaved over builds and modes
for i in $(seq "$reps"); do
	for b in "${builds[@]}"; do
		sw=${dir[$b]}/swarm
		ms "$sw" run -n 1 -- "$sw" demo-agent >> "$tmp/run1_traced_$b"
		ms "$sw" run --no-trace -n 1 -- "$sw" demo-agent >> "$tmp/run1_plain_$b"
	done
done
for f in "$tmp"/run1_*; do R[$(basename "$f")]=$(median < "$f"); done

# tax: dd alone / beside a traced swarm / beside swarm-trace
dd_us() { ms dd if=/dev/zero of=/dev/null bs=1 count=300000; }
for i in $(seq "$reps"); do
	dd_us >> "$tmp/dd_alone"
	for b in "${builds[@]}"; do
		sw=${dir[$b]}/swarm
		"$sw" run -n 50 -- sh -c 'sleep 3' > /dev/null 2>&1 &
		rp=$!; sleep 1
		dd_us >> "$tmp/dd_swarm_$b"
		wait "$rp"
		sleep 5 & sp=$!
		"${dir[$b]}/swarm-trace" fd -p "$sp" -d 4 > /dev/null 2>&1 &
		tp=$!; sleep 1.5
		dd_us >> "$tmp/dd_trace_$b"
		kill "$sp" 2> /dev/null; wait "$tp" 2> /dev/null
	done
	dd_us >> "$tmp/dd_alone"
done
for f in "$tmp"/dd_*; do R[$(basename "$f")]=$(median < "$f"); done

# master at 300 agents, traced
for b in "${builds[@]}"; do
	sw=${dir[$b]}/swarm
	"$sw" run -n 300 --json -- "$sw" demo-agent > "$tmp/m.json" 2> /dev/null
	R[rss_$b]=$(jq '.rss_peak_kb' "$tmp/m.json")
	R[fds_$b]=$(jq '.fds_peak' "$tmp/m.json")
	R[attach_$b]=$(jq '.kernel.attach_s' "$tmp/m.json")
done

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
out=$root/bench/results/$stamp-trace
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f %%", (a / b - 1) * 100 }'; }
{
	echo "# tracing and agent-CLI cost — $stamp, $(nproc) cores, kernel $(uname -r)"
	echo
	echo "Medians of $reps interleaved repetitions (exec: 400). Lower is better."
	echo
	printf '| row | target |'; printf ' %s |' "${builds[@]}"; echo
	echo "|---|---|$(for b in "${builds[@]}"; do printf -- '---|'; done)"
	row() { local name=$1 target=$2; shift 2; printf '| %s | %s |' "$name" "$target"; for v in "$@"; do printf ' %s |' "$v"; done; echo; }
	cols() { for b in "${builds[@]}"; do eval "echo \"$1\""; done; }
	mapfile -t c < <(cols '${R[exec_send_$b]} us vs /bin/true ${R[exec_true_$b]} us ($(awk -v a=${R[exec_send_$b]} -v b=${R[exec_true_$b]} "BEGIN{printf \"%.2fx\", a/b}"))')
	row "exec: swarm send vs /bin/true" "≤ 1.5x" "${c[@]}"
	mapfile -t c < <(cols '$(( (R[run1_traced_$b] - R[run1_plain_$b]) / 1000 )) ms (traced ${R[run1_traced_$b]} us, untraced ${R[run1_plain_$b]} us)')
	row "one-agent run: tracing adds" "≤ 40 ms" "${c[@]}"
	mapfile -t c < <(cols '$(pct ${R[dd_swarm_$b]} ${R[dd_alone]}) (${R[dd_swarm_$b]} us vs ${R[dd_alone]} us alone)')
	row "unrelated dd, traced swarm running" "≤ +3 %" "${c[@]}"
	mapfile -t c < <(cols '$(pct ${R[dd_trace_$b]} ${R[dd_alone]}) (${R[dd_trace_$b]} us)')
	row "unrelated dd, swarm-trace attached" "≤ +3 %" "${c[@]}"
	mapfile -t c < <(cols '$(( R[rss_$b] / 1024 )) MB RSS, ${R[fds_$b]} fds, attach ${R[attach_$b]} s')
	row "traced master, 300 agents" "≤ 8 MB, < 30 fds" "${c[@]}"
	mapfile -t c < <(cols '${R[vinsns_$b]} insns in ${R[vms_$b]} ms (largest: ${R[vtop_$b]})')
	row "BPF verifier: instructions walked to load" "(part of attach)" "${c[@]}"
} > "$out.md"
cat "$out.md"
if command -v gnuplot > /dev/null; then
	{
		for b in "${builds[@]}"; do
			echo "\"$b: run1 traced-untraced (ms)\" $(( (R[run1_traced_$b] - R[run1_plain_$b]) / 1000 ))"
			echo "\"$b: dd tax, swarm (%)\" $(awk -v a=${R[dd_swarm_$b]} -v b=${R[dd_alone]} 'BEGIN{printf "%.1f", (a/b-1)*100}')"
			echo "\"$b: master RSS (MB)\" $(( R[rss_$b] / 1024 ))"
		done
	} > "$tmp/plot.dat"
	gnuplot -e "set terminal png size 900,420; set output '$out.png'; set style fill solid; set boxwidth 0.6; set xtics rotate by -30; set title 'tracing cost: new vs old (lower is better)'; plot '$tmp/plot.dat' using 0:2:xtic(1) with boxes notitle" 2> /dev/null
fi
echo "written: $out.md${old:+ (old: $old)}"
