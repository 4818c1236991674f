/*
 * The capability question, asked one way everywhere: which capabilities
 * this process has in effect, from capget(2), no library. The front binary
 * (swarm send/recv/gc) asks it too and links libc only. Changing the sets
 * (dropping root after setup) is priv.c's, with libcap-ng, in swarm-core
 * and swarm-trace only.
 */
#ifndef SWARM_CAPS_H
#define SWARM_CAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/capability.h>

/* Newer than some distributions' kernel headers (Linux 5.8). */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* The effective set, bit n for capability n: 0 or -errno (*eff is 0 then). */
int caps_effective(uint64_t *eff);
/* cap is in the effective set (false when it cannot be told). */
bool caps_have(int cap);
/* May this process load and attach BPF tracing programs: CAP_SYS_ADMIN,
 * or CAP_BPF and CAP_PERFMON (the kernel's rule since 5.8). */
bool caps_bpf_tracing(void);

#endif
