// SPDX-License-Identifier: GPL-2.0
/* The one BPF object of swarm: every signal's programs in one compilation
 * unit, so the tracer opens one skeleton, the kernel BTF is parsed once and
 * the tracked-tgid and per-process maps (common.bpf.h) are shared for free.
 * Each signal stays in its own file, named for what it traces. */
#include "vmlinux.h"
#include "common.bpf.h"
#include "files.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#include "spawn.bpf.c"	/* fork, exec, exit; fd counts at each */
#include "fdleak.bpf.c"	/* periodic fd recount, per-fd snapshot */
#include "flock.bpf.c"	/* flock, POSIX and OFD lock waits */
#include "latency.bpf.c" /* bus publish -> consume, via USDT */
