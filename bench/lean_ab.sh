#!/usr/bin/env bash
# A/B of two checkouts of swarm on the rows of the lean agent path (issue
# 14), interleaved in one run on one machine (medians of REPS), with the
# baseline measured in the same rounds: one exec of each side's `swarm
# send` against /bin/true; 500 senders -> one inbox (bench/busbench, the
# baseline protocol in C as its baseline); agents/s of flat 50, flat 300
# and hybrid 7x50 with bash agents (traced, the default), each side with
# its own bench/tasks/shell-agent.sh and build/, the bash coordinator as
# the baseline. Writes bench/results/<date>-lean-ab.md and, with gnuplot,
# .png (each row as a multiple of its baseline). Not part of `make test`.
#
#   bench/lean_ab.sh OLD_TREE NEW_TREE [REPS]   (trees built: make all test-bins)
set -u
A=$(cd "$1" && pwd) B=$(cd "$2" && pwd) REPS=${3:-3}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for t in "$A" "$B"; do
	[ -x "$t/build/bench/busbench" ] || { echo "lean_ab: $t/build/bench/busbench missing (make -C $t all test-bins)" >&2; exit 3; }
done
EB=$B/build/bench/execbench
[ -x "$EB" ] || { echo "lean_ab: $EB missing (make -C $B test-bins)" >&2; exit 3; }
tmp=$(mktemp -d /tmp/swarm-bench-agents.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
rows=("flat50:--topology flat -n 50" "flat300:--topology flat -n 300"
	"hybrid7x50:--topology hybrid --coordinators 7 --workers 50")

"$EB" -n 400 -- /bin/true -- "$A/build/swarm" send --dir /nonexistent/x --to a m \
	-- "$B/build/swarm" send --dir /nonexistent/x --to a m > "$tmp/exec.json"
for r in $(seq 1 "$REPS"); do
	bus="--senders 500 --messages 400"
	# shellcheck disable=SC2086
	"$B/build/bench/busbench" --system baseline $bus > "$tmp/BL.bus500.$r.json" 2>/dev/null
	for v in A B; do
		t=${!v}
		# shellcheck disable=SC2086
		"$t/build/bench/busbench" --system swarm $bus > "$tmp/$v.bus500.$r.json" 2>/dev/null
	done
	for row in "${rows[@]}"; do
		name=${row%%:*} args=${row#*:}
		# shellcheck disable=SC2086 # args are our own word lists
		bash "$here/baseline/blcoord.sh" $args --timeout 120 --json 2>/dev/null |
			tail -n 1 > "$tmp/BL.$name.$r.json"
		for v in A B; do
			t=${!v}
			# shellcheck disable=SC2086
			SWARM_BIN=$t/build/swarm "$t/build/swarm" run $args --timeout 120 --json \
				-- "$t/bench/tasks/shell-agent.sh" 2>/dev/null | tail -n 1 > "$tmp/$v.$name.$r.json"
		done
		printf '.' >&2
	done
done
echo >&2
out=$here/results/$(date -u +%Y-%m-%dT%H%M%SZ)-lean-ab
rev() { git -C "$1" rev-parse --short HEAD 2> /dev/null || echo "?"; }
{
	echo "# lean agent path A/B ($(basename "$out"))"
	echo
	echo "\`bench/lean_ab.sh OLD NEW $REPS\`: A = $(rev "$A"), B = $(rev "$B"). $(uname -m)," \
		"$(nproc) cores, kernel $(uname -r), load after $(cut -d' ' -f1-3 /proc/loadavg)." \
		"Compare ratios across days, not absolute figures: this VM's exec and" \
		"syscall costs vary several-fold from one day to another."
	echo
	python3 - "$tmp" "$REPS" "${rows[@]}" <<'PY'
import json, statistics, sys
tmp, reps, rows = sys.argv[1], int(sys.argv[2]), [r.split(":")[0] for r in sys.argv[3:]]
def get(v, name, key):
    vals = []
    for i in range(1, reps + 1):
        try:
            vals.append(json.load(open("%s/%s.%s.%d.json" % (tmp, v, name, i)))[key])
        except (OSError, ValueError, KeyError):
            pass
    return statistics.median(vals) if vals else float("nan")
e = json.load(open(tmp + "/exec.json"))["cmds"]
plot = ['"exec vs /bin/true" %.3f %.3f' % (e[1]["p50_us"] / e[0]["p50_us"], e[2]["p50_us"] / e[0]["p50_us"])]
print("| row | baseline | A (old) | B (new) | A / baseline | B / baseline | B / A |")
print("|---|---|---|---|---|---|---|")
print("| exec p50, us (baseline = /bin/true) | %.0f | %.0f | %.0f | %.2f | %.2f | %.2f |" % (
    e[0]["p50_us"], e[1]["p50_us"], e[2]["p50_us"], e[1]["p50_us"] / e[0]["p50_us"],
    e[2]["p50_us"] / e[0]["p50_us"], e[2]["p50_us"] / e[1]["p50_us"]))
bl, a, b = (get(v, "bus500", "msgs_per_s") for v in ("BL", "A", "B"))
print("| msg/s, 500 senders -> 1 inbox | %.0f | %.0f | %.0f | %.2f | %.2f | %.2f |" % (
    bl, a, b, a / bl, b / bl, b / a))
plot.append('"500 senders msg/s" %.3f %.3f' % (a / bl, b / bl))
for name in rows:
    bl, a, b = (get(v, name, "agents_per_s") for v in ("BL", "A", "B"))
    print("| agents/s, %s | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f |" % (
        name, bl, a, b, a / bl, b / bl, b / a))
    plot.append('"agents/s %s" %.3f %.3f' % (name, a / bl, b / bl))
    da, db = get("A", name, "delivery_rate"), get("B", name, "delivery_rate")
    print("| delivery, %s | %.3f | %.3f | %.3f | | | |" % (name, get("BL", name, "delivery_rate"), da, db))
print("\nmedians of %d interleaved rounds (baseline, A, B per row)" % reps)
with open(tmp + "/plot.dat", "w") as f:
    for line in plot:
        f.write(line + "\n")
PY
} > "$out.md"
cat "$out.md"
if command -v gnuplot > /dev/null; then
	gnuplot -e "set terminal png size 900,440; set output '$out.png'; set style data histograms; set style histogram clustered gap 1; set style fill solid border -1; set ylabel 'x baseline (higher is better; exec: lower)'; set title 'lean agent path: A (old) and B (new) against the baseline'; set xtics rotate by -20; set key top left; plot '$tmp/plot.dat' using 2:xtic(1) title 'A (old)', '' using 3 title 'B (new)'" 2> /dev/null
fi
echo "written: bench/results/$(basename "$out").md"
