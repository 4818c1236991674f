#!/usr/bin/env bash
# In a PID namespace of its own (most containers) BPF sees the kernel's
# pids and the tracer's tgid filter matched nothing: the report said
# "enabled" with every count zero. Now tracing is off with the reason,
# and doctor's pid_namespace line says what to do.
set -u
. "$(dirname "$0")/lib/run_common.bash"
[ "$(id -u)" -eq 0 ] || { echo "needs root (BPF, unshare -p)"; exit 77; }
LAST=$TMP/r.json
unshare -pf --mount-proc "$S" run -n 5 --json -- "$S" demo-agent > "$LAST" 2> "$TMP/err" ||
	fail "run in a PID namespace: $(cat "$TMP/err")"
[ "$(jget "$LAST" 'd["delivered"]')" = 5 ] || fail "delivered"
[ "$(jget "$LAST" 'd["kernel"]["enabled"]')" = False ] ||
	fail "tracing claimed on in a PID namespace: $(jget "$LAST" 'd["kernel"].get("spawn")')"
jget "$LAST" 'd["kernel"]["reason"]' | grep -q 'PID namespace.*--pid=host' || fail "reason"
grep -q 'PID namespace' "$TMP/err" || fail "no one-line notice on stderr"
out=$(unshare -pf --mount-proc "$S" doctor -n 5)
printf '%s\n' "$out" | grep -q '^WARN pid_namespace .*fix: share the host' || fail "doctor pid_namespace"
printf '%s\n' "$out" | grep -q '^WARN signal_spawn .*PID namespace' || fail "doctor signal_spawn"
# The host's own namespace: traced, and the counts are real.
"$S" run -n 5 --json -- "$S" demo-agent > "$LAST" || fail "traced run"
[ "$(jget "$LAST" 'd["kernel"]["spawn"]["forks"]')" = 5 ] || fail "host run: forks"
echo "ok: tracing refuses a PID namespace and says why"
