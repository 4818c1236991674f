#!/usr/bin/env bash
# The default logs directory (${TMPDIR:-/tmp}/swarm-run-<id>) does not pile
# up: removed after a run in which every task succeeded and no agent wrote
# anything (flat and hybrid: coordinator bookkeeping does not count);
# kept and named on stderr when an agent wrote something, when a task
# failed, or with --keep-logs; a --logs DIR is always kept. TMPDIR is
# private, so only this test's directories are counted.
set -u
. "$(dirname "$0")/lib/run_common.bash"
export TMPDIR=$TMP/t
mkdir "$TMPDIR"
A="$S demo-agent"

run() { # NAME ARGS... : report in $TMP/NAME.json, stderr in $TMP/NAME.err
	local name=$1; shift
	LAST=$TMP/$name.json
	"$S" run --no-trace --json "$@" >"$LAST" 2>"$TMP/$name.err"
}
count() { find "$TMPDIR" -mindepth 1 -maxdepth 1 -name 'swarm-run-*' | wc -l; }

run ok -n 3 -- $A || fail "flat run: exit $?"
[ "$(jget "$LAST" 'd["logs_dir"]')" = null ] || fail "flat: logs_dir not null"
[ "$(jget "$LAST" 'd["logs_removed"]')" = True ] || fail "flat: logs_removed"
[ "$(count)" -eq 0 ] || fail "flat: default logs dir left: $(ls "$TMPDIR")"
grep -q "logs kept" "$TMP/ok.err" && fail "flat: 'logs kept' printed for a removed dir"

run hy --coordinators 2 --workers 2 -- $A || fail "hybrid run: exit $?"
[ "$(jget "$LAST" 'd["logs_removed"]')" = True ] || fail "hybrid: logs_removed"
[ "$(count)" -eq 0 ] || fail "hybrid: default logs dir left: $(ls -R "$TMPDIR")"

# Text report says so too.
"$S" run --no-trace -n 2 -- $A >"$TMP/text.out" 2>&1 || fail "text run"
grep -q "logs  *removed: every task succeeded" "$TMP/text.out" || fail "text report: $(cat "$TMP/text.out")"

# An agent wrote to stderr: kept, named.
run talk -n 2 -- sh -c 'echo "note from $SWARM_AGENT" >&2; exec "$0" demo-agent' "$S" || fail "talk run: exit $?"
d=$(jget "$LAST" 'd["logs_dir"]')
[ -d "$d" ] || fail "talk: logs dir $d not kept"
grep -q "note from w1" "$d/w1.log" || fail "talk: agent output missing"
grep -q "^swarm: logs kept in $d\$" "$TMP/talk.err" || fail "talk: path not printed: $(cat "$TMP/talk.err")"
rm -rf "$d"

# A task failed: kept, even though the logs are empty.
run bad -n 2 -- sh -c 'exit 3'; rc=$?
[ $rc -eq 1 ] || fail "failing run: exit $rc, want 1"
d=$(jget "$LAST" 'd["logs_dir"]')
[ -d "$d" ] || fail "failed run: logs dir $d not kept"
grep -q "^swarm: logs kept in $d\$" "$TMP/bad.err" || fail "failed run: path not printed"
rm -rf "$d"

# --keep-logs: kept on success.
run keep -n 2 --keep-logs -- $A || fail "keep-logs run: exit $?"
d=$(jget "$LAST" 'd["logs_dir"]')
[ -d "$d" ] && [ "$(jget "$LAST" 'd["logs_removed"]')" = False ] || fail "--keep-logs: $d not kept"
rm -rf "$d"

# --logs DIR: the user's directory is never removed.
run mine -n 2 --logs "$TMP/mine" -- $A || fail "--logs run: exit $?"
[ -d "$TMP/mine" ] && [ -f "$TMP/mine/w1.log" ] || fail "--logs DIR removed"
[ "$(count)" -eq 0 ] || fail "leftover default dirs: $(ls "$TMPDIR")"
echo "ok: default logs removed after clean runs (flat, hybrid), kept and named otherwise"
