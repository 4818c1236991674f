#!/usr/bin/env bash
# --version: every binary prints the one version tools/version.sh gives
# (git describe of a v* tag, else the VERSION file).
set -u
S=${SWARM_BIN:-build/swarm}
T=${SWARM_TRACE_BIN:-build/swarm-trace}
root=${SWARM_ROOT:-.}
fail() { echo "FAIL: $*"; exit 1; }
want=$("$root/tools/version.sh") || fail "tools/version.sh"
[ -n "$want" ] || fail "empty version"
[ "$("$S" --version)" = "swarm $want" ] || fail "swarm --version: $("$S" --version)"
[ "$("$S" version)" = "swarm $want" ] || fail "swarm version"
[ "$("$T" --version)" = "swarm-trace $want" ] || fail "swarm-trace --version: $("$T" --version)"
[ "$("$T" -V)" = "swarm-trace $want" ] || fail "swarm-trace -V"
core=$(dirname "$S")/swarm-core
[ "$("$core" --version)" = "swarm-core $want" ] || fail "swarm-core --version"
# --version needs no privileges and no BTF: it is answered before anything.
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$T" --version) ||
		fail "swarm-trace --version as nobody"
	[ "$out" = "swarm-trace $want" ] || fail "as nobody: $out"
fi
echo "version $want everywhere"
