#!/usr/bin/env bash
# Without the privileges for BPF the swarm still runs: exit 0, every task
# delivered, exactly one line on stderr saying tracing is off and why, and
# the report's kernel object says the same. Two ways: as nobody, and as
# root without CAP_BPF / CAP_PERFMON / CAP_SYS_ADMIN.
set -u
. "$(dirname "$0")/lib/run_common.bash"
[ "$(id -u)" -eq 0 ] || { echo "SKIP $(basename "$0"): needs root to drop privileges"; exit 77; }
command -v setpriv >/dev/null || fail "setpriv missing (util-linux)"
chmod 755 "$TMP"
mkdir -m 1777 "$TMP/u"   # logs, writable for nobody
BIN=$(readlink -f "$S")

check() {
	local name=$1 rc
	shift
	LAST=$TMP/$name.json
	"$@" "$BIN" run -n 5 --json --logs "$TMP/u/l$name" -- "$BIN" demo-agent \
		> "$LAST" 2> "$TMP/$name.err"
	rc=$?
	[ $rc -eq 0 ] || fail "$name: exit $rc: $(cat "$TMP/$name.err")"
	[ "$(wc -l < "$TMP/$name.err")" -eq 1 ] || fail "$name: stderr is not one line: $(cat "$TMP/$name.err")"
	grep -q '^swarm: kernel tracing off (spawn, flock, fd, latency): ' "$TMP/$name.err" ||
		fail "$name: stderr: $(cat "$TMP/$name.err")"
	jq -e '.delivered == 5 and .kernel.enabled == false and
	       (.kernel.reason | startswith("kernel tracing off"))' "$LAST" >/dev/null ||
		fail "$name: report"
}

check nobody setpriv --reuid=65534 --regid=65534 --clear-groups
check nocaps setpriv --bounding-set -bpf,-perfmon,-sys_admin
echo ok
