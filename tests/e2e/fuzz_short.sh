#!/usr/bin/env bash
# Short libFuzzer pass over every harness in tests/fuzz (a few seconds each):
# the frame decoder, the inbox reader on hostile segments, the CLI parsers,
# the JSON/UTF-8 writers, the task-file parser, the coordinator wire lines,
# swarm top's snapshot and the small parsers (journal, --type, durations,
# sizes, NATS URLs, run shape). The long campaign is `make fuzz FUZZ_SECONDS=N`.
set -u
root=${SWARM_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
secs=${FUZZ_SHORT_SECONDS:-3}
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' > "$probe/p.c"
if ! ${CLANG:-clang} -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2> "$probe/err"; then
	echo "clang cannot link -fsanitize=fuzzer: $(head -n 1 "$probe/err") (install libclang-rt-14-dev)"
	exit 77
fi
# Both cores: the build with -j2, the harnesses two at a time (each is one
# process; the suite runs one test at a time), every harness still $secs s.
FUZZ_JOBS=${FUZZ_JOBS:-2} make -j2 -C "$root" --no-print-directory fuzz FUZZ_SECONDS="$secs" || { echo "FAIL: fuzzing found a crash"; exit 1; }
