#!/usr/bin/env bash
# clone3 refused at run time, as Docker's default seccomp profile does
# (ENOSYS without CAP_SYS_ADMIN): applets (swarm demo-agent) and --user
# agents must still start, inside the swarm's cgroup, flat and hybrid.
# Before the fork fallback every such agent failed with "could not start
# the agent: Function not implemented".
set -u
. "$(dirname "$0")/lib/run_common.bash"
D=${SWARM_BUILD:-build}/tests/seccomp_deny
[ -x "$D" ] || fail "$D not built (make test-bins)"

# ENOSYS only: glibc's pthread_create falls back to clone on ENOSYS and
# nothing else, which is why runtimes pick it (EPERM breaks threads).
LAST=$TMP/flat.json
"$D" clone3:ENOSYS -- $S run -n 20 --no-trace --json -- "$S" demo-agent \
	> "$LAST" || fail "flat demo-agent under clone3:ENOSYS"
[ "$(jget "$LAST" 'd["delivered"]')" = 20 ] || fail "flat delivered"
check_clean "$LAST"

LAST=$TMP/hybrid.json
"$D" clone3:ENOSYS -- $S run --coordinators 2 --workers 10 --no-trace --json -- "$S" demo-agent \
	> "$LAST" || fail "hybrid demo-agent under clone3:ENOSYS"
[ "$(jget "$LAST" 'd["delivered"]')" = 20 ] || fail "hybrid delivered"
check_clean "$LAST"

# The forked child moves itself into the swarm's group before any agent
# code runs; --user agents become the user first thing, too.
if [ "$(id -u)" -eq 0 ] && id nobody > /dev/null 2>&1; then
	LAST=$TMP/user.json
	"$D" clone3:ENOSYS -- $S run -n 3 --user nobody --no-trace --json --results "$TMP/u" -- \
		sh -c 'swarm recv --wait 10 --count 1 > /dev/null; swarm send --to "$SWARM_PARENT" "$(id -un) $(grep "^0::" /proc/self/cgroup)"' \
		> "$LAST" || fail "--user under clone3:ENOSYS"
	[ "$(jget "$LAST" 'd["delivered"]')" = 3 ] || fail "--user delivered"
	cg=$(jget "$LAST" 'd["cgroup"]')
	while read -r out; do
		case $out in "nobody 0::"*) ;; *) fail "agent not nobody: $out";; esac
		[ "$cg" = null ] || [[ "$cg" == *"${out#nobody 0::}" ]] ||
			fail "agent in ${out#nobody 0::}, swarm's group is $cg"
	done < <(python3 -c 'import json,sys; [print(json.loads(l)["output"]) for l in open(sys.argv[1])]' "$TMP/u")
	check_clean "$LAST"
fi
echo "ok: applets and --user agents start without clone3"
