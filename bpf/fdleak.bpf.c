// SPDX-License-Identifier: GPL-2.0
/* fd leaks: open fds per process of the tree, counted from the syscalls
 * that create and close them (reset at exec), plus an iter/task_file
 * snapshot that lists what a process really holds open. */
#include "vmlinux.h"
#include "common.bpf.h"
#include "fdleak.h"

char LICENSE[] SEC("license") = "GPL";

#define F_DUPFD 0
#define F_DUPFD_CLOEXEC 1030
#define CLOSE_RANGE_CLOEXEC 4
#define MAX_FD_WORDS 1024 /* bitmap words scanned: 65536 fds */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FD_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct fd_proc);
} fds SEC(".maps");

/* dup2/dup3/fcntl: what the enter side learned, by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TRACE_MAX_TGIDS);
	__type(key, __u32);
	__type(value, __u32);
} pending SEC(".maps");

struct fd_totals totals = {};

static __always_inline __u64 popcount64(__u64 x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (x * 0x0101010101010101ULL) >> 56;
}

/* Ground truth for the counter: bits set in the current fd table. */
static __noinline __s64 count_open_fds(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	unsigned long *bits;
	__u32 words, i;
	__s64 n = 0;
	__u64 w;

	if (!fdt)
		return 0;
	words = (BPF_CORE_READ(fdt, max_fds) + 63) / 64;
	bits = BPF_CORE_READ(fdt, open_fds);
	for (i = 0; i < MAX_FD_WORDS; i++) {
		if (i >= words)
			break;
		if (bpf_probe_read_kernel(&w, sizeof(w), &bits[i]))
			break;
		n += popcount64(w);
	}
	return n;
}

static __always_inline void fd_reset(__u32 tgid, __s64 base, __s64 now)
{
	struct fd_proc p = {};

	p.base = base;
	p.now = now;
	p.peak = now > base ? now : base;
	p.first_ns = p.last_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(p.comm, sizeof(p.comm));
	if (bpf_map_update_elem(&fds, &tgid, &p, BPF_ANY))
		__sync_fetch_and_add(&totals.map_full, 1);
}

/* delta fds appeared (or went) in the current process. */
static __always_inline void fd_adjust(__u32 tgid, __s64 delta)
{
	struct fd_proc *p = bpf_map_lookup_elem(&fds, &tgid);
	__s64 now;

	__sync_fetch_and_add(&totals.events, 1);
	if (!p) {
		/* first sight: the table already includes this change */
		now = count_open_fds();
		fd_reset(tgid, now - delta, now);
		p = bpf_map_lookup_elem(&fds, &tgid);
		if (p && delta > 0)
			p->opens = delta;
		else if (p)
			p->closes = -delta;
		return;
	}
	now = __sync_fetch_and_add(&p->now, delta) + delta;
	if (delta > 0)
		__sync_fetch_and_add(&p->opens, delta);
	else
		__sync_fetch_and_add(&p->closes, -delta);
	if (now > p->peak)
		p->peak = now;
	p->last_ns = bpf_ktime_get_ns();
}

#define TRACKED_TGID(tgid)                 \
	__u32 tgid = current_tgid();       \
	if (!tgid_tracked(tgid))           \
		return 0

/* One fd on success (ret >= 0 is the new fd). */
#define FD_CREATOR(name)                                              \
	SEC("tp/syscalls/sys_exit_" #name)                            \
	int fd_##name(struct trace_event_raw_sys_exit *ctx)           \
	{                                                             \
		TRACKED_TGID(tgid);                                   \
		if (ctx->ret >= 0)                                    \
			fd_adjust(tgid, 1);                           \
		return 0;                                             \
	}

/* Two fds on success (ret == 0): pipe, socketpair. */
#define FD_PAIR_CREATOR(name)                                         \
	SEC("tp/syscalls/sys_exit_" #name)                            \
	int fd_##name(struct trace_event_raw_sys_exit *ctx)           \
	{                                                             \
		TRACKED_TGID(tgid);                                   \
		if (ctx->ret == 0)                                    \
			fd_adjust(tgid, 2);                           \
		return 0;                                             \
	}

FD_CREATOR(open)
FD_CREATOR(openat)
FD_CREATOR(openat2)
FD_CREATOR(creat)
FD_CREATOR(dup)
FD_CREATOR(socket)
FD_CREATOR(accept)
FD_CREATOR(accept4)
FD_CREATOR(eventfd2)
FD_CREATOR(memfd_create)
FD_CREATOR(pidfd_open)
FD_CREATOR(inotify_init1)
FD_CREATOR(epoll_create1)
FD_CREATOR(timerfd_create)
FD_PAIR_CREATOR(pipe)
FD_PAIR_CREATOR(pipe2)
FD_PAIR_CREATOR(socketpair)

/* dup2/dup3 onto an open fd replace it: no new fd. Decide at enter,
 * while the target is still the old file. */
static __always_inline int dup_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 adds;

	TRACKED_TGID(tgid);
	adds = ctx->args[0] == ctx->args[1] || fd_to_file(ctx->args[1]) ? 0 : 1;
	bpf_map_update_elem(&pending, &tid, &adds, BPF_ANY);
	return 0;
}

static __always_inline int pending_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 *adds;

	TRACKED_TGID(tgid);
	adds = bpf_map_lookup_elem(&pending, &tid);
	if (!adds)
		return 0;
	if (ctx->ret >= 0 && *adds)
		fd_adjust(tgid, *adds);
	bpf_map_delete_elem(&pending, &tid);
	return 0;
}

SEC("tp/syscalls/sys_enter_dup2")
int fd_dup2_enter(struct trace_event_raw_sys_enter *ctx) { return dup_enter(ctx); }
SEC("tp/syscalls/sys_exit_dup2")
int fd_dup2_exit(struct trace_event_raw_sys_exit *ctx) { return pending_exit(ctx); }
SEC("tp/syscalls/sys_enter_dup3")
int fd_dup3_enter(struct trace_event_raw_sys_enter *ctx) { return dup_enter(ctx); }
SEC("tp/syscalls/sys_exit_dup3")
int fd_dup3_exit(struct trace_event_raw_sys_exit *ctx) { return pending_exit(ctx); }

SEC("tp/syscalls/sys_enter_fcntl")
int fd_fcntl_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 one = 1;

	TRACKED_TGID(tgid);
	if (ctx->args[1] == F_DUPFD || ctx->args[1] == F_DUPFD_CLOEXEC)
		bpf_map_update_elem(&pending, &tid, &one, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_exit_fcntl")
int fd_fcntl_exit(struct trace_event_raw_sys_exit *ctx) { return pending_exit(ctx); }

SEC("tp/syscalls/sys_exit_close")
int fd_close(struct trace_event_raw_sys_exit *ctx)
{
	TRACKED_TGID(tgid);
	if (ctx->ret == 0)
		fd_adjust(tgid, -1);
	return 0;
}

/* close_range may close any number of fds: recount the table. */
SEC("tp/syscalls/sys_exit_close_range")
int fd_close_range(struct trace_event_raw_sys_exit *ctx)
{
	struct fd_proc *p;
	__s64 now;

	TRACKED_TGID(tgid);
	if (ctx->ret != 0)
		return 0;
	p = bpf_map_lookup_elem(&fds, &tgid);
	now = count_open_fds();
	if (!p) {
		fd_reset(tgid, now, now);
		return 0;
	}
	if (now < p->now)
		__sync_fetch_and_add(&p->closes, p->now - now);
	p->now = now;
	p->last_ns = bpf_ktime_get_ns();
	return 0;
}

/* exec closes O_CLOEXEC fds and starts a new program: start over. */
SEC("tp/sched/sched_process_exec")
int fd_exec(void *ctx)
{
	__s64 n;

	TRACKED_TGID(tgid);
	n = count_open_fds();
	fd_reset(tgid, n, n);
	return 0;
}

/* The tgid may already be gone from `tracked` (spawn's exit handler can
 * run first), so the fds entry itself is the filter here. */
SEC("tp/sched/sched_process_exit")
int fd_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;

	if ((__u32)id != tgid)
		return 0; /* only the leader's exit; threads share the table */
	bpf_map_delete_elem(&fds, &tgid);
	return 0;
}

SEC("iter/task_file")
int fd_snapshot(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct fd_iter_rec r = {};
	struct inode *inode;

	if (!task || !file)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	r.tgid = task->tgid;
	r.fd = ctx->fd;
	r.ino = BPF_CORE_READ(inode, i_ino);
	r.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	r.mode = BPF_CORE_READ(inode, i_mode);
	bpf_probe_read_kernel_str(r.name, sizeof(r.name),
				  BPF_CORE_READ(file, f_path.dentry, d_name.name));
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}
