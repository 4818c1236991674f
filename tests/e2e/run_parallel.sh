#!/usr/bin/env bash
# Plain commands as a GNU parallel / xargs -P drop-in (issue 16): swarm's
# output must be byte-identical to GNU parallel's (/usr/bin/parallel) on the
# same input, for every replacement string and a set of tricky inputs;
# a task is data, never shell; stdin, :::, ::::, -0, --colsep, -k, --tag,
# --task-timeout, --retries, --halt, --joblog/--resume, --dry-run,
# --results, output past 64 KiB, agents finding swarm on PATH.
set -u
. "$(dirname "$0")/lib/run_common.bash"
command -v parallel >/dev/null || fail "GNU parallel missing (make deps)"
P() { PARALLEL_SHELL=/bin/bash parallel --will-cite "$@"; }
cd "$TMP"

# One task per line; every kind of input that breaks naive quoting.
cat > tricky <<'IN'
plain
a b  c
it's
say "hi"
$(touch INJ1)
`touch INJ2`
a; touch INJ3
a && touch INJ4 || touch INJ4
*
-n
-e a\tb
back\slash\\n
ünïcödé ✓ 日本
dir/sub/file.tar.gz
/abs/path/
.hidden
foo.
  leading space
{}
>redirect
x|y
IN
for r in '{}' '{.}' '{/}' '{//}' '{/.}' '{#}'; do
	# argv form: swarm runs CMD itself; parallel builds a shell line.
	want=$(P -k "printf '[%s]\n' $r" :::: tricky) || fail "parallel $r"
	got=$($S run -k -- printf '[%s]\n' "$r" :::: tricky) || fail "swarm $r: exit $?"
	[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got"); fail "argv form differs for $r"; }
	# shell form: the value is quoted inside the -c script.
	got=$($S run -k -- bash -c "printf '[%s]\n' $r" :::: tricky) || fail "swarm sh $r"
	[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got"); fail "shell form differs for $r"; }
	# echo, as people type it.
	want=$(P -k echo "$r" :::: tricky)
	got=$($S run -k -- echo "$r" :::: tricky)
	[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got"); fail "echo differs for $r"; }
done
# The value as a positional parameter, the style the docs recommend.
want=$(P -k -q sh -c 'printf "<%s>\n" "$1"' _ {} :::: tricky)
got=$($S run -k -- sh -c 'printf "<%s>\n" "$1"' _ {} :::: tricky)
[ "$got" = "$want" ] || fail "sh -c ... _ {} differs"
# {%} is the slot: 1 with one job, within 1..3 with three.
[ "$($S run -j 1 -- echo {%} ::: a b c | sort -u)" = 1 ] || fail "{%} with -j1"
[ "$($S run -j 3 -- echo {%} ::: a b c d e f | sort -u | tr -d '\n' | tr -d 123)" = "" ] || fail "{%} range"
ls INJ* 2>/dev/null && fail "a task line ran as shell"
# The injection of issue 16, from stdin into sh -c.
echo 'a; touch INJ5' | $S run -- sh -c 'echo {}' > out || fail "injection run"
[ "$(cat out)" = 'a; touch INJ5' ] && [ ! -e INJ5 ] || fail "a task line ran as shell: $(cat out)"

# No replacement string: the task is appended (xargs / parallel style).
[ "$(seq 4 | $S run -k -- echo x)" = "$(seq 4 | P -k echo x)" ] || fail "append from stdin"
# Several sources: every combination, the last one fastest; {1} {2}.
[ "$($S run -k -- echo {2}-{1} ::: a b ::: 1 2)" = "$(P -k echo {2}-{1} ::: a b ::: 1 2)" ] || fail "::: x :::"
[ "$($S run -k -- echo ::: a b ::: 1 2)" = "$(P -k echo ::: a b ::: 1 2)" ] || fail "append ::: x :::"
printf 'a,b\nc,d\n' > csv
[ "$($S run -k --colsep , -- echo {2} {1} :::: csv)" = "$(P -k --colsep , echo {2} {1} :::: csv)" ] || fail "--colsep"
printf 'one\nline\0two\0' > nul
[ "$($S run -k -0 -- printf '[%s]\n' {} :::: nul)" = "$(P -k -0 "printf '[%s]\n' {}" :::: nul)" ] || fail "-0"
# stdin is read when nothing else is named; a tty or /dev/null is not.
[ "$(seq 3 | $S run -k -- echo {})" = "$(seq 3)" ] || fail "stdin"
[ "$(seq 3 | $S run -- echo {} | sort)" = "$(seq 3)" ] || fail "stdin, completion order"
$S run -- echo {} < /dev/null > out 2> err; rc=$?
[ $rc -eq 2 ] && grep -q 'no tasks' err && [ ! -s out ] || fail "/dev/null: exit $rc, $(cat err)"
# an empty pipe is an empty input, as for GNU parallel
[ -z "$(: | $S run -- echo {})" ] || fail "empty pipe gave tasks"

# Output: whole per task (never interleaved), no 64 KiB limit.
got=$($S run -j 4 -- sh -c 'for i in 1 2 3 4 5; do echo "$1-$i"; sleep 0.01; done' _ {} ::: a b c d)
for t in a b c d; do
	echo "$got" | grep -A4 -x "$t-1" | tr '\n' ' ' | grep -qx "$t-1 $t-2 $t-3 $t-4 $t-5 " || fail "task $t interleaved: $got"
done
[ "$($S run -- head -c {} /dev/zero ::: 300000 | wc -c)" = 300000 ] || fail "big output cut"
got=$($S run -k -- sh -c 'echo out {}; echo err {} >&2' ::: a b 2>err)
[ "$got" = $'out a\nout b' ] || fail "stdout: $got"
[ "$(cat err)" = $'err a\nerr b' ] || fail "stderr: $(cat err)"
# --tag, as GNU parallel (multi-line output, a last line without newline).
want=$(P -k --tag "printf 'l1\nl2-%s' {}" ::: a 'b c')
[ "$($S run -k --tag -- printf 'l1\nl2-%s' {} ::: a 'b c')" = "$want" ] || fail "--tag"

# Failures: exit 1 and one line per failed task on stderr, stdout clean.
got=$($S run -k -- sh -c 'echo {}; exit {}' ::: 0 3 0 2>err); rc=$?
[ $rc -eq 1 ] || fail "failing task: exit $rc"
[ "$got" = $'0\n3\n0' ] || fail "stdout with a failure: $got"
grep -q 'FAILED task 2 .*status 3' err || fail "failure not named: $(cat err)"
[ "$($S run -- true ::: a 2>&1)" = "" ] || fail "a good run printed something"

# --task-timeout kills that task only; --results says timeout with the signal.
start=$(date +%s%N)
$S run --task-timeout 0.5 --results res -- sleep ::: 30 0 2>/dev/null; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $rc -eq 1 ] || fail "timeout: exit $rc"
[ $ms -lt 5000 ] || fail "timeout took $ms ms"
python3 - res <<'PY' || fail "timeout results"
import json, sys
r = {x["input"]: x for x in map(json.loads, open(sys.argv[1]))}
assert r["30"]["status"] == "timeout" and r["30"]["exit_status"] == -15, r["30"]
assert 0.4 < r["30"]["duration_s"] < 3, r["30"]
assert r["0"]["status"] == "ok" and r["0"]["attempts"] == 1
PY
# --retries: N attempts in all, only the last one's output.
$S run --retries 3 --results res -- sh -c 'echo try >> cnt; echo out; exit 1' ::: a > out 2>/dev/null
[ "$(wc -l < cnt)" = 3 ] || fail "--retries 3 ran $(wc -l < cnt) times"
[ "$(cat out)" = out ] || fail "--retries printed: $(cat out)"
[ "$(jget res 'd["attempts"]')" = 3 ] || fail "attempts"
rm -f cnt
$S run --retries 3 -- sh -c 'echo x >> cnt; [ $(wc -l < cnt) -ge 2 ]' ::: a || fail "retry that succeeds"
# --halt: soon lets the running finish and starts no more; never-started
# tasks are reported as such (no exit status, no duration).
$S run -j 1 --halt soon,fail=1 --results res -- sh -c 'echo {}; exit {}' ::: 0 2 0 > out 2>/dev/null
[ $? -eq 1 ] || fail "--halt soon exit"
[ "$(cat out)" = $'0\n2' ] || fail "--halt soon ran: $(cat out)"
python3 - res <<'PY' || fail "halt results"
import json, sys
r = {x["task"]: x for x in map(json.loads, open(sys.argv[1]))}
assert r[3]["status"] == "not-started" and r[3]["exit_status"] is None and r[3]["duration_s"] == 0, r[3]
PY
start=$(date +%s%N)
$S run -j 2 --halt now,fail=1 -- sh -c 'sleep {}; exit 1' ::: 0.1 30 2>/dev/null
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $ms -lt 5000 ] || fail "--halt now did not kill (took $ms ms)"
$S run -j 2 --halt now,success=1 -- sh -c 'sleep {}' ::: 0.1 30 2>/dev/null || fail "--halt success exit $?"
$S run --halt sometimes ::: a -- true 2>/dev/null; [ $? -eq 2 ] || fail "bad --halt: not a usage error"

# --joblog in GNU parallel's format; --resume-failed re-runs the failed.
$S run --joblog jl -- sh -c 'exit {}' ::: 0 1 0 2>/dev/null
P --joblog pjl 'exit {}' ::: 0 1 0
[ "$(head -1 jl)" = "$(head -1 pjl)" ] || fail "joblog header"
[ "$(awk -F'\t' 'NR>1 {print $1, $2, $5, $6, $7, $8}' jl | sort)" = \
  "$(awk -F'\t' 'NR>1 {print $1, $2, $5, $6, $7, $8}' pjl | sort)" ] || fail "joblog lines"
awk -F'\t' 'NR>1 && $3 !~ /^[0-9]+\.[0-9][0-9][0-9]$/ {exit 1}' jl || fail "joblog Starttime"
got=$($S run --joblog jl --resume-failed -- echo again ::: 0 1 0)
[ "$got" = "again 1" ] || fail "--resume-failed ran: $got"
got=$($S run --joblog jl --resume -- echo new ::: 0 1 0 3)
[ "$got" = "new 3" ] || fail "--resume ran: $got"
# --dry-run prints, runs nothing.
[ "$($S run --dry-run -- touch {} ::: DRY 'a b')" = $'touch DRY\ntouch \'a b\'' ] || fail "--dry-run"
[ -e DRY ] && fail "--dry-run ran the command"
# --shuf runs everything once; {#} keeps the input number.
[ "$($S run --shuf -- echo {#}:{} ::: a b c d | sort)" = $'1:a\n2:b\n3:c\n4:d' ] || fail "--shuf"
# No progress line when stderr is not a terminal.
[ -z "$($S run --eta -- true ::: a b 2>&1)" ] || fail "--eta printed to a pipe"
# GNU-only options need GNU mode.
$S run --json -k ::: a -- true >/dev/null 2>&1; [ $? -eq 2 ] || fail "-k with --json"
$S run -n 2 -j 2 -- echo {} ::: a >/dev/null 2>&1; [ $? -eq 2 ] || fail "-n with -j"

# Agents find swarm itself: SWARM_BIN and its directory first on PATH.
got=$(env PATH=/usr/bin:/bin "$S" run -- sh -c 'command -v swarm; echo "$SWARM_BIN"' ::: x)
[ "$(echo "$got" | sort -u)" = "$(readlink -f "$S")" ] || fail "agents' swarm: $got"
env PATH=/usr/bin:/bin "$S" run -n 3 -- sh -c \
	'swarm send --to "$SWARM_PARENT" "$(swarm recv --wait 30 --count 1) done"' > rep || fail "README shell agent"
grep -q 'delivered    3 / 3' rep || fail "shell agents: $(cat rep)"
echo ok
