# Shared by tests/e2e/run_trace*.sh (sourced): `swarm run` with kernel
# tracing, real BPF. Skips only when tracer_open says the kernel lacks it.
. "$(dirname "$0")/lib/run_common.bash"
skip() { echo "$*"; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "SKIP $(basename "$0"): needs root (BPF)"
command -v jq >/dev/null || fail "jq missing (make deps)"

# traced_run OUT ARGS...: swarm run --json ARGS > OUT, stderr in OUT.err;
# skips when tracing is off because the kernel lacks BTF or the hooks.
traced_run() {
	local out=$1 rc
	shift
	LAST=$out
	$S run --json "$@" > "$out" 2> "$out.err"
	rc=$?
	if [ "$(jq -r .kernel.enabled "$out" 2>/dev/null)" = false ]; then
		local why
		why=$(jq -r .kernel.reason "$out")
		case $why in
		*BTF*|*lacks*|*not\ supported*) skip "SKIP $(basename "$0"): $why" ;;
		esac
		fail "tracing off as root: $why"
	fi
	return $rc
}
