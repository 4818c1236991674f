// SPDX-License-Identifier: GPL-2.0
/* fd leaks: open fds per process of the tree, counted from the syscalls
 * that create and close them (reset at exec), plus an iter/task_file
 * snapshot that lists what a process really holds open. */
#include "vmlinux.h"
#include "common.bpf.h"
#include "fdleak.h"
#include "syscall_nr.h"

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
	if (!p || p->exit_ns) { /* exit_ns: a kept record of a reused pid */
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

/* close_range may close any number of fds: recount the table. */
static __always_inline void fd_recount(__u32 tgid)
{
	struct fd_proc *p = bpf_map_lookup_elem(&fds, &tgid);
	__s64 now = count_open_fds();

	if (!p || p->exit_ns) {
		fd_reset(tgid, now, now);
		return;
	}
	if (now < p->now)
		__sync_fetch_and_add(&p->closes, p->now - now);
	p->now = now;
	p->last_ns = bpf_ktime_get_ns();
}

/* How many fds a successful call created: 1 for most (ret is the fd), 2
 * for pipe/socketpair (ret 0), 0 for anything else. */
static __always_inline int fds_created(long nr, long ret, struct pt_regs *regs)
{
	switch (nr) {
	case NR_pipe: case NR_pipe2: case NR_socketpair:
		return ret == 0 ? 2 : 0;
	case NR_signalfd: case NR_signalfd4:
		/* fd -1 creates one; an existing fd is only updated */
		return (int)PT_REGS_PARM1_SYSCALL(regs) == -1 && ret >= 0 ? 1 : 0;
	case NR_open: case NR_openat: case NR_openat2: case NR_creat:
	case NR_dup: case NR_socket: case NR_accept: case NR_accept4:
	case NR_eventfd: case NR_eventfd2: case NR_epoll_create: case NR_epoll_create1:
	case NR_inotify_init: case NR_inotify_init1: case NR_timerfd_create:
	case NR_memfd_create: case NR_memfd_secret: case NR_pidfd_open:
	case NR_pidfd_getfd: case NR_userfaultfd: case NR_perf_event_open:
	case NR_fanotify_init: case NR_io_uring_setup: case NR_open_tree:
	case NR_fsopen: case NR_fsmount: case NR_fspick: case NR_mq_open:
	case NR_landlock_create_ruleset: case NR_open_by_handle_at:
		return ret >= 0 ? 1 : 0;
	}
	return 0;
}

/* Bitmap of the syscall numbers fd_sys_exit cares about, built at compile
 * time: one load and a shift decide for every syscall on the host, where a
 * switch over ~40 values costs a chain of compares. */
#define NR_BIT(nr, w) ((nr) >> 6 == (w) ? 1ULL << ((nr) & 63) : 0)
#define FD_WORD(w)                                                              \
	(NR_BIT(NR_close, w) | NR_BIT(NR_close_range, w) | NR_BIT(NR_dup2, w) |     \
	 NR_BIT(NR_dup3, w) | NR_BIT(NR_fcntl, w) | NR_BIT(NR_pipe, w) |            \
	 NR_BIT(NR_pipe2, w) | NR_BIT(NR_socketpair, w) | NR_BIT(NR_signalfd, w) |  \
	 NR_BIT(NR_signalfd4, w) | NR_BIT(NR_open, w) | NR_BIT(NR_openat, w) |      \
	 NR_BIT(NR_openat2, w) | NR_BIT(NR_creat, w) | NR_BIT(NR_dup, w) |          \
	 NR_BIT(NR_socket, w) | NR_BIT(NR_accept, w) | NR_BIT(NR_accept4, w) |      \
	 NR_BIT(NR_eventfd, w) | NR_BIT(NR_eventfd2, w) |                           \
	 NR_BIT(NR_epoll_create, w) | NR_BIT(NR_epoll_create1, w) |                 \
	 NR_BIT(NR_inotify_init, w) | NR_BIT(NR_inotify_init1, w) |                 \
	 NR_BIT(NR_timerfd_create, w) | NR_BIT(NR_memfd_create, w) |                \
	 NR_BIT(NR_memfd_secret, w) | NR_BIT(NR_pidfd_open, w) |                    \
	 NR_BIT(NR_pidfd_getfd, w) | NR_BIT(NR_userfaultfd, w) |                    \
	 NR_BIT(NR_perf_event_open, w) | NR_BIT(NR_fanotify_init, w) |              \
	 NR_BIT(NR_io_uring_setup, w) | NR_BIT(NR_open_tree, w) |                   \
	 NR_BIT(NR_fsopen, w) | NR_BIT(NR_fsmount, w) | NR_BIT(NR_fspick, w) |      \
	 NR_BIT(NR_mq_open, w) | NR_BIT(NR_landlock_create_ruleset, w) |            \
	 NR_BIT(NR_open_by_handle_at, w))
#define FD_NR_WORDS 8 /* numbers 0..511 */

static const volatile __u64 fd_nr_mask[FD_NR_WORDS] = {
	FD_WORD(0), FD_WORD(1), FD_WORD(2), FD_WORD(3),
	FD_WORD(4), FD_WORD(5), FD_WORD(6), FD_WORD(7),
};

static __always_inline bool fd_syscall(long nr)
{
	if ((unsigned long)nr >= FD_NR_WORDS * 64)
		return false;
	return (fd_nr_mask[nr >> 6] >> (nr & 63)) & 1;
}

/* One raw syscall-exit hook for every fd-changing call (a switch on the
 * number) rather than ~30 syscall tracepoints: raw tracepoints cost less
 * per event, and perf tracepoints each wait an RCU grace period (~55 ms
 * here) when detached. */
SEC("tp_btf/sys_exit")
int BPF_PROG(fd_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	__u32 tgid;
	int n;

	/* the number first: a compare, cheaper than the tracked lookup */
	if (!fd_syscall(nr))
		return 0;
	tgid = current_tgid();
	if (!tgid_tracked(tgid))
		return 0;
	switch (nr) {
	case NR_close:
		if (ret == 0)
			fd_adjust(tgid, -1);
		return 0;
	case NR_close_range:
	case NR_dup2:
	case NR_dup3:
		/* close_range closes any number; dup2/dup3 onto an open fd
		 * replace it (no new fd): recount instead of guessing */
		if (ret >= 0)
			fd_recount(tgid);
		return 0;
	case NR_fcntl:
		if (ret >= 0 && (PT_REGS_PARM2_SYSCALL(regs) == F_DUPFD ||
				 PT_REGS_PARM2_SYSCALL(regs) == F_DUPFD_CLOEXEC))
			fd_adjust(tgid, 1);
		return 0;
	}
	n = fds_created(nr, ret, regs);
	if (n)
		fd_adjust(tgid, n);
	return 0;
}

/* exec closes O_CLOEXEC fds and starts a new program: start over. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(fd_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = current_tgid();
	__s64 n;

	if (!tgid_tracked(tgid))
		return 0;
	n = count_open_fds();
	fd_reset(tgid, n, n);
	return 0;
}

/* The tgid may already be gone from `tracked` (spawn's exit handler can
 * run first), so the fds entry itself is the filter here. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(fd_exit, struct task_struct *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;

	struct fd_proc *fp;

	if ((__u32)id != tgid)
		return 0; /* only the leader's exit; threads share the table */
	fp = bpf_map_lookup_elem(&fds, &tgid);
	if (!fp)
		return 0;
	/* a short-lived agent that leaked is gone before anyone reads the
	 * map: keep its record (bounded: only suspects) for the report */
	if (fp->now - fp->base >= FD_SUSPECT_GROWTH && !fp->exit_ns) {
		fp->exit_ns = bpf_ktime_get_ns();
		return 0;
	}
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
