/* Shared by every program of the one swarm object (bpf/swarm.bpf.c): the
 * tracked-tgid map and the per-process records, the filter and the log2
 * slot. Include after vmlinux.h. One tree for all signals. */
#ifndef SWARM_COMMON_BPF_H
#define SWARM_COMMON_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "hist.h"
#include "spawn_trace.h"

/* The traced process tree: seeded from user space, extended at fork,
 * trimmed at exit. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TRACE_MAX_TGIDS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u8);
} tracked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TRACE_MAX_TGIDS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct spawn_proc);
} procs SEC(".maps");

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

/* The first statement of every program. */
static __always_inline bool tgid_tracked(__u32 tgid)
{
	return bpf_map_lookup_elem(&tracked, &tgid) != NULL;
}

/* floor(log2(v)) without loops (as bcc's bits.bpf.h), clamped. Global:
 * its five compare-and-shift steps are branches to the verifier, and
 * inlined they multiplied the states of every program with a histogram. */
__noinline int log2_slot(__u64 v)
{
	__u32 r, shift, hi = v >> 32;
	__u32 x;

	if (hi) {
		r = 32;
		x = hi;
	} else {
		r = 0;
		x = (__u32)v;
	}
	shift = (x > 0xFFFF) << 4; x >>= shift; r |= shift;
	shift = (x > 0xFF) << 3; x >>= shift; r |= shift;
	shift = (x > 0xF) << 2; x >>= shift; r |= shift;
	shift = (x > 0x3) << 1; x >>= shift; r |= shift;
	r |= (x >> 1);
	return r >= HIST_SLOTS ? HIST_SLOTS - 1 : (int)r;
}

static __always_inline void hist_add(__u32 *slots, __u64 v)
{
	__u32 s = (__u32)log2_slot(v);

	barrier_var(s); /* clang knows the range; the verifier must see the check */
	if (s < HIST_SLOTS)
		__sync_fetch_and_add(&slots[s], 1);
}

#endif
