#!/usr/bin/env bash
# The exposition text of every swarm_* family passes `promtool check
# metrics` (stdout, textfile write, and served over loopback HTTP), and
# its histograms are cumulative with +Inf == _count.
set -euo pipefail
: "${SWARM_BUILD:?run through tests/run.sh}"
sample=$SWARM_BUILD/tests/metrics_sample
command -v promtool >/dev/null || { echo "promtool missing: run 'make deps' (Debian package prometheus)"; exit 1; }
tmp=$(mktemp -d /tmp/swarm-metrics-e2e.XXXXXX)
trap 'rm -rf "$tmp"; [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null; true' EXIT

check_text() {   # promtool (format + lint), then histogram invariants
	promtool check metrics < "$1"
	python3 - "$1" <<'PY'
import re, sys
buckets, counts = {}, {}
for line in open(sys.argv[1]):
    if line.startswith('#'):
        continue
    m = re.match(r'^(\w+)_bucket\{(.*)le="([^"]+)"\} (\d+)$', line)
    if m:
        buckets.setdefault((m[1], m[2]), []).append((m[3], int(m[4])))
        continue
    m = re.match(r'^(\w+)_count(?:\{(.*)\})? (\d+)$', line)
    if m:
        counts[(m[1], (m[2] + ',') if m[2] else '')] = int(m[3])
assert buckets, "no histogram buckets"
for key, bs in buckets.items():
    les = [float(le) for le, _ in bs]
    assert les == sorted(les) and les[-1] == float('inf'), (key, les)
    vals = [v for _, v in bs]
    assert vals == sorted(vals), (key, vals)
    assert counts[key] == vals[-1], (key, counts[key], vals[-1])
print("histograms ok:", len(buckets))
PY
}

"$sample" > "$tmp/stdout.prom"
check_text "$tmp/stdout.prom"

# The check can fail: a counter renamed without _total must be refused.
sed 's/swarm_messages_total/swarm_messages/g' "$tmp/stdout.prom" > "$tmp/bad.prom"
if promtool check metrics < "$tmp/bad.prom" >/dev/null 2>&1; then
	echo "promtool accepted a counter without _total"; exit 1
fi

# Textfile collector: file appears complete, no temp file left beside it.
mkdir "$tmp/textfile"
"$sample" --file "$tmp/textfile/swarm.prom"
[ "$(ls -A "$tmp/textfile")" = "swarm.prom" ] || { ls -A "$tmp/textfile"; exit 1; }
cmp "$tmp/stdout.prom" "$tmp/textfile/swarm.prom"
check_text "$tmp/textfile/swarm.prom"
if "$sample" --file "$tmp/nodir/swarm.prom" 2>"$tmp/err"; then
	echo "write into a missing directory succeeded"; exit 1
fi
grep -q "No such file" "$tmp/err"

# Loopback HTTP: GET /metrics with the 0.0.4 content type.
"$sample" --listen 127.0.0.1:0 --requests 1 > "$tmp/port" &
srv=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
python3 - "$port" "$tmp/http.prom" <<'PY'
import sys, urllib.request
r = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10)
ct = r.headers["Content-Type"]
assert ct == "text/plain; version=0.0.4; charset=utf-8", ct
open(sys.argv[2], "wb").write(r.read())
PY
wait "$srv"
srv=
cmp "$tmp/stdout.prom" "$tmp/http.prom"
check_text "$tmp/http.prom"
echo "promtool: stdout, textfile and HTTP exposition all valid"
