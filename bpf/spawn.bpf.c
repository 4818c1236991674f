// SPDX-License-Identifier: GPL-2.0
/* spawn: fork, exec and exit of every process of the traced tree; keeps the
 * tracked-tgid map (the filter of every other program) up to date. */
#include "vmlinux.h"
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define RINGBUF_BYTES (256 * 1024)
#define RINGBUF_WAKE_BYTES (RINGBUF_BYTES / 4)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TRACE_MAX_TGIDS);
	__type(key, __u32);
	__type(value, struct spawn_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
} events SEC(".maps");

struct spawn_totals totals = {};

/* tp_btf gives the child task_struct, so a new thread (same tgid) is told
 * apart from a new process without a lookup. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(spawn_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid;
	__u32 ctgid = child->tgid;
	struct spawn_proc p = {};
	__u8 one = 1;

	if (!tgid_tracked(ptgid))
		return 0;
	if (ctgid == ptgid)
		return 0; /* a thread, not a process */
	if (bpf_map_update_elem(&tracked, &ctgid, &one, BPF_ANY))
		__sync_fetch_and_add(&totals.map_full, 1);
	p.fork_ns = bpf_ktime_get_ns();
	p.ppid = ptgid;
	if (bpf_map_update_elem(&procs, &ctgid, &p, BPF_ANY))
		__sync_fetch_and_add(&totals.map_full, 1);
	__sync_fetch_and_add(&totals.forks, 1);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(spawn_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = current_tgid();
	struct spawn_proc *p;
	__u64 now;

	if (!tgid_tracked(tgid))
		return 0;
	now = bpf_ktime_get_ns();
	__sync_fetch_and_add(&totals.execs, 1);
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (!p)
		return 0;
	/* fork -> first exec only: a shell that execs again is not a spawn */
	if (p->fork_ns && !p->execs)
		hist_add(totals.fork_exec_us, (now - p->fork_ns) / 1000);
	p->exec_ns = now;
	p->execs++;
	return 0;
}

/* Raw (tp_btf) hooks throughout: a perf tracepoint costs an RCU grace
 * period (~55 ms here) to detach, a raw one does not. group_dead is not a
 * tracepoint argument before 6.x, so it is read where every kernel has it:
 * do_exit() has already decremented signal->live when this fires. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(spawn_exit, struct task_struct *task)
{
	__u32 tgid = current_tgid();
	struct task_struct *t;
	struct spawn_exit_event *e;
	struct spawn_proc *p;
	__u32 code;
	__u64 now;

	if (!tgid_tracked(tgid))
		return 0;
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0; /* not the last thread of the process */
	now = bpf_ktime_get_ns();
	t = (struct task_struct *)bpf_get_current_task();
	code = BPF_CORE_READ(t, exit_code);
	__sync_fetch_and_add(&totals.exits, 1);
	if (code & 0x7f)
		__sync_fetch_and_add(&totals.exit_signal[code & 0x3f], 1);
	else
		__sync_fetch_and_add(&totals.exit_status[(code >> 8) & 0xff], 1);

	p = bpf_map_lookup_elem(&procs, &tgid);
	if (p && p->exec_ns)
		hist_add(totals.exec_exit_us, (now - p->exec_ns) / 1000);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->tgid = tgid;
		e->exit_code = code;
		e->pad = 0;
		e->ppid = p ? p->ppid : BPF_CORE_READ(t, real_parent, tgid);
		e->fork_exec_ns = p && p->fork_ns && p->exec_ns ? p->exec_ns - p->fork_ns : 0;
		e->exec_exit_ns = p && p->exec_ns ? now - p->exec_ns : 0;
		e->life_ns = p && p->fork_ns ? now - p->fork_ns : 0;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		/* waking the reader costs microseconds per exit: wake it only
		 * when a quarter of the ring is used; it also polls on a timer */
		bpf_ringbuf_submit(e, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >
					      RINGBUF_WAKE_BYTES ? BPF_RB_FORCE_WAKEUP
								 : BPF_RB_NO_WAKEUP);
	} else {
		__sync_fetch_and_add(&totals.ringbuf_drops, 1);
	}
	bpf_map_delete_elem(&procs, &tgid);
	bpf_map_delete_elem(&tracked, &tgid);
	return 0;
}
