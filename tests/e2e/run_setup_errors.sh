#!/usr/bin/env bash
# Setup failures of swarm run / soak: the documented exit code, and
# nothing left behind. Both were wrong once: a --tasks file that exists
# but cannot be read exited 2 (usage) where the docs say 3 (environment),
# and a bad --metrics-listen left an empty ${TMPDIR}/swarm-run-<id>.
set -u
. "$(dirname "$0")/lib/run_common.bash"

export SWARM_SHM=$TMP/shm TMPDIR=$TMP/tmp
mkdir -p "$SWARM_SHM" "$TMPDIR"
chmod 0755 "$TMP"
chmod 1777 "$SWARM_SHM" "$TMPDIR"

# expect CODE what... : exit CODE, one "swarm: ..." line, no bus, no logs dir.
expect() {
	local want=$1 rc; shift
	"$@" > /dev/null 2> "$TMP/err"; rc=$?
	[ $rc -eq "$want" ] || { cat "$TMP/err"; fail "'$*': exit $rc, want $want"; }
	[ "$(wc -l < "$TMP/err")" -eq 1 ] || { cat "$TMP/err"; fail "'$*': want one line on stderr"; }
	[ -z "$(ls -A "$TMPDIR")" ] || { ls -la "$TMPDIR"; fail "'$*' left $(ls "$TMPDIR")"; }
	[ -z "$(ls -A "$SWARM_SHM")" ] || fail "'$*' left a bus: $(ls "$SWARM_SHM")"
}

# A bad listen address is a usage error, found after the logs dir exists.
expect 2 "$S" run -n 1 --no-trace --metrics-listen 10.1.2.3:80 -- true
expect 2 "$S" run -n 1 --no-trace --metrics-listen not-an-address -- true
# --keep-logs keeps only what a run that started made; none started here.
expect 2 "$S" run -n 1 --no-trace --keep-logs --metrics-listen 10.1.2.3:80 -- true

# A task file that is not there, or not a task file: usage.
expect 2 "$S" run -n 1 --no-trace --tasks "$TMP/none" -- true
expect 2 "$S" run -n 1 --no-trace --tasks "$TMP" -- true
# There but unreadable: environment. Root reads anything, so as root the
# run happens as nobody.
as_user=()
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv > /dev/null || { echo "SKIP: setpriv missing"; exit 77; }
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	"${as_user[@]}" test -x "$S" || { echo "SKIP: $S not reachable as nobody"; exit 77; }
fi
echo task > "$TMP/secret"
chmod 0000 "$TMP/secret"
expect 3 "${as_user[@]}" "$S" run -n 1 --no-trace --tasks "$TMP/secret" -- true
grep -q 'Permission denied' "$TMP/err" || fail "unreadable tasks: $(cat "$TMP/err")"
expect 3 "${as_user[@]}" "$S" soak --duration 2s --no-trace --logs "$TMP/soaklogs" \
	--tasks "$TMP/secret" -- true
echo "setup errors: right codes, nothing left"
