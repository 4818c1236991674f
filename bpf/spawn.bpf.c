// SPDX-License-Identifier: GPL-2.0
/* spawn: fork, exec and exit of every process of the traced tree. Keeps
 * the tracked-tgid map (the filter of every other program) and the
 * per-process record, including the fd count against its baseline: the
 * fd table is counted at fork, exec and exit (and by fdleak.bpf.c's
 * periodic walk), never at each syscall. */


#define RINGBUF_BYTES (256 * 1024)
#define RINGBUF_WAKE_BYTES (RINGBUF_BYTES / 4)
#define LEAK_SCAN_MAX 4096 /* fds looked at when a leaker exits */

/* Set before load: processes this many generations below the root are
 * agents (1: the root's children; 2 in a hybrid swarm, whose coordinators
 * sit between); their descendants inherit the agent. 0: no agents. */
const volatile __u32 agent_depth = 1;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
} events SEC(".maps");

/* Suspects that exited, with what they held: their fd table is gone
 * before anyone could walk it from user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FD_MAX_LEAKS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct fd_leak);
} leaks SEC(".maps");

/* fd_leak is too big for the BPF stack: it is filled in place. */
static const struct fd_leak zero_leak;

struct leak_scan {
	struct file **fdarr;
	__u32 tgid;
};

struct spawn_totals spawn_stats = {};
struct fd_totals fd_stats = {};

/* The baseline is also a low-water mark: a forked child that closes what
 * it inherited (or a program that closes its start-up fds) grows from
 * where it got to, not from what it was handed. */
static __always_inline void fd_sample(struct spawn_proc *p, __s32 n, __u64 now)
{
	if (n < p->fd_base) {
		p->fd_base = n;
		p->fd_ns = now;
	}
	p->fd_now = n;
	if (n > p->fd_peak)
		p->fd_peak = n;
	p->seen_ns = now;
}

/* The tracepoint gives the child task_struct, so a new thread (same tgid)
 * is told apart from a new process without a lookup. The child's fd table
 * is already a copy of the parent's: that is its baseline. */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(spawn_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	struct spawn_proc p = {}, *pp;
	__u64 now;
	__u8 one = 1;

	if (!tgid_tracked(ptgid))
		return 0;
	if (ctgid == ptgid)
		return 0; /* a thread, not a process */
	if (bpf_map_update_elem(&tracked, &ctgid, &one, BPF_ANY))
		__sync_fetch_and_add(&spawn_stats.map_full, 1);
	now = bpf_ktime_get_ns();
	pp = bpf_map_lookup_elem(&procs, &ptgid);
	p.fork_ns = now;
	p.ppid = ptgid;
	p.depth = pp ? pp->depth + 1 : 1;
	if (pp && pp->agent)
		p.agent = pp->agent;
	else if (agent_depth && p.depth == agent_depth)
		p.agent = ctgid;
	p.fd_base = p.fd_now = p.fd_peak = count_fds_at((__u64)child);
	p.fd_ns = p.seen_ns = now;
	BPF_CORE_READ_STR_INTO(&p.comm, child, comm);
	if (bpf_map_update_elem(&procs, &ctgid, &p, BPF_ANY))
		__sync_fetch_and_add(&spawn_stats.map_full, 1);
	if (pp)
		fd_sample(pp, count_fds_at((__u64)parent), now);
	__sync_fetch_and_add(&spawn_stats.forks, 1);
	return 0;
}

/* The fd table survives exec minus its O_CLOEXEC fds (closed before this
 * tracepoint fires). The first exec starts the program the process was
 * forked for: rebase there. Later execs (exec chains, bash's exec of its
 * last command) keep the baseline, so fds leaked before them still count. */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(spawn_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct spawn_proc *p;
	__u64 now;
	__s32 n;

	if (!tgid_tracked(tgid))
		return 0;
	now = bpf_ktime_get_ns();
	__sync_fetch_and_add(&spawn_stats.execs, 1);
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (!p)
		return 0;
	n = count_fds_at((__u64)task);
	if (!p->execs) {
		if (p->fork_ns)
			hist_add(spawn_stats.fork_exec_us, (now - p->fork_ns) / 1000);
		if (!(p->flags & FD_PREEXISTING)) {
			p->fd_base = p->fd_peak = n;
			p->fd_ns = now;
		}
	} else {
		__sync_fetch_and_add(&spawn_stats.exec_chains, 1);
	}
	fd_sample(p, n, now);
	p->exec_ns = now;
	p->execs++;
	BPF_CORE_READ_STR_INTO(&p->comm, task, comm);
	return 0;
}

static __always_inline struct file *scan_file(struct leak_scan *sc, __u32 i)
{
	struct file *f = NULL;

	if (bpf_probe_read_kernel(&f, sizeof(f), &sc->fdarr[i]))
		return NULL;
	return f;
}

/* The slot of fd_leak.holds for this file: where it is held already, else
 * a free one, else the least counted (returned as FD_HOLDS + slot).
 * Global: verified once on its own, so its branches do not multiply with
 * the walk's (the per-fd callback stayed the largest program otherwise). */
__noinline int hold_slot(struct fd_leak *l, __u64 ino, __u32 dev)
{
	__u32 j, n, min = 0, low = ~0u;

	if (!l)
		return -1;
	n = l->nholds;
	for (j = 0; j < FD_HOLDS; j++) {
		struct fd_hold *h = &l->holds[j];

		if (j >= n)
			return FD_HOLDS + j;
		if (h->ino == ino && h->dev == dev)
			return j;
		if (h->count < low) {
			low = h->count;
			min = j;
		}
	}
	return FD_HOLDS + (min & (FD_HOLDS - 1));
}

/* Pass 1: count by kind and pick the FD_HOLDS candidates, most held
 * first, in one walk of unknown length (Space-Saving, Metwally et al.): a
 * file not yet held takes the slot of the least counted one. Any file
 * held by more than a quarter of the fds past stdio survives to the end,
 * wherever its fds sit, so a leak behind a few inherited pipes and logs
 * is still what gets named. */
static long pick_holds(__u32 i, void *arg)
{
	struct leak_scan *sc = arg;
	struct fd_hold *h;
	struct fd_leak *l;
	struct file *f;
	__u32 kind, dev;
	__u64 ino;
	int s;

	l = bpf_map_lookup_elem(&leaks, &sc->tgid);
	if (!l)
		return 1;
	f = scan_file(sc, i);
	if (!f)
		return 0;
	l->scanned++;
	kind = file_kind_at((__u64)f);
	barrier_var(kind); /* clang knows the range; the verifier must see the check */
	if (kind < FD_KINDS)
		l->kinds[kind]++;
	if (i < FD_STDIO)
		return 0; /* stdio is not what leaked */
	ino = BPF_CORE_READ(f, f_inode, i_ino);
	dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	s = hold_slot(l, ino, dev);
	if (s < 0)
		return 1;
	h = &l->holds[s & (FD_HOLDS - 1)];
	if (s < FD_HOLDS) {
		h->count++;
		return 0;
	}
	if (l->nholds < FD_HOLDS) {
		h->count = 1;
		l->nholds++;
	} else {
		h->count++; /* an upper bound until pass 2 recounts */
	}
	h->ino = ino;
	h->dev = dev;
	h->kind = kind;
	return 0;
}

/* pidfs names its files only in d_dname ("anon_inode:[pidfd]" in /proc):
 * the dentry itself is "/". */
static __always_inline void hold_name(struct file *f, struct fd_hold *h)
{
	static const char pidfd[] = "[pidfd]";

	file_path((__u64)f, &h->path);
	if (BPF_CORE_READ(f, f_inode, i_sb, s_magic) == PIDFS_MAGIC) {
		__builtin_memcpy(h->path.comp[0], pidfd, sizeof(pidfd));
		h->path.depth = 1;
		h->path.truncated = 0;
	}
}

/* Pass 2: the candidates' exact counts, lowest fd and path. */
static long count_holds(__u32 i, void *arg)
{
	struct leak_scan *sc = arg;
	struct fd_hold *h;
	struct fd_leak *l;
	struct file *f;
	__u32 dev;
	__u64 ino;
	int s;

	if (i < FD_STDIO)
		return 0;
	l = bpf_map_lookup_elem(&leaks, &sc->tgid);
	if (!l)
		return 1;
	f = scan_file(sc, i);
	if (!f)
		return 0;
	ino = BPF_CORE_READ(f, f_inode, i_ino);
	dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	s = hold_slot(l, ino, dev);
	if (s < 0 || s >= FD_HOLDS)
		return 0; /* not a candidate */
	h = &l->holds[s & (FD_HOLDS - 1)];
	if (!h->count++) { /* fds are walked in order: this is the lowest */
		h->lowest_fd = i;
		hold_name(f, h);
	}
	return 0;
}

/* A suspect is exiting: keep its record and what its fd table holds.
 * Global, so verified once on its own (see files.bpf.h). */
__noinline int keep_leak(__u64 task, __u32 tgid, __u64 now)
{
	struct task_struct *t = (void *)task;
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct leak_scan sc = { .tgid = tgid };
	struct spawn_proc *p;
	struct fd_leak *l;
	__u32 max;

	p = bpf_map_lookup_elem(&procs, &tgid);
	if (!fdt || !p)
		return 0;
	if (bpf_map_update_elem(&leaks, &tgid, &zero_leak, BPF_ANY)) {
		__sync_fetch_and_add(&fd_stats.map_full, 1);
		return 0;
	}
	l = bpf_map_lookup_elem(&leaks, &tgid);
	if (!l)
		return 0;
	l->p.base = p->fd_base;
	l->p.now = p->fd_now;
	l->p.peak = p->fd_peak;
	l->p.first_ns = p->fd_ns;
	l->p.last_ns = now;
	l->p.exit_ns = now;
	l->p.agent = p->agent;
	l->p.execs = p->execs;
	l->p.flags = p->flags;
	l->p.ppid = p->ppid;
	__builtin_memcpy(l->p.comm, p->comm, sizeof(l->p.comm));
	max = BPF_CORE_READ(fdt, max_fds);
	if (max > LEAK_SCAN_MAX)
		max = LEAK_SCAN_MAX;
	sc.fdarr = BPF_CORE_READ(fdt, fd);
	bpf_loop(max, pick_holds, &sc, 0);
	for (__u32 j = 0; j < FD_HOLDS; j++)
		l->holds[j].count = 0;
	bpf_loop(max, count_holds, &sc, 0);
	__sync_fetch_and_add(&fd_stats.leaks_kept, 1);
	return 1;
}

/* Raw tracepoints throughout: a perf tracepoint costs an RCU grace period
 * to detach, a raw one does not; and raw_tp (not tp_btf) needs no kernel
 * BTF to attach, so loading these parses none (trace_load.c). This fires before exit_files():
 * the fd table is still there to count. signal->live tells the last
 * thread of the process on every kernel (the group_dead argument is new),
 * but not always only the last one: see below. */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(spawn_exit, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct spawn_exit_event *e;
	struct spawn_proc *p;
	__u32 code;
	__u64 now;

	if (!tgid_tracked(tgid))
		return 0;
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0; /* not the last thread of the process */
	/* Threads killed together (exit_group) run do_exit side by side, and
	 * one that decremented live early can read it back as 0 here too:
	 * the one that takes the process out of the tree is its exit. */
	if (bpf_map_delete_elem(&tracked, &tgid))
		return 0;
	now = bpf_ktime_get_ns();
	code = BPF_CORE_READ(task, exit_code);
	__sync_fetch_and_add(&spawn_stats.exits, 1);
	if (code & 0x7f)
		__sync_fetch_and_add(&spawn_stats.exit_signal[code & 0x3f], 1);
	else
		__sync_fetch_and_add(&spawn_stats.exit_status[(code >> 8) & 0xff], 1);

	p = bpf_map_lookup_elem(&procs, &tgid);
	if (p) {
		if (p->exec_ns)
			hist_add(spawn_stats.exec_exit_us, (now - p->exec_ns) / 1000);
		else if (p->fork_ns)
			__sync_fetch_and_add(&spawn_stats.exits_no_exec, 1);
		if (BPF_CORE_READ(task, real_parent, tgid) != p->ppid)
			__sync_fetch_and_add(&spawn_stats.orphans, 1);
		fd_sample(p, count_fds_at((__u64)task), now);
		if (p->fd_now - p->fd_base >= FD_SUSPECT_GROWTH)
			keep_leak((__u64)task, tgid, now);
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->tgid = tgid;
		e->exit_code = code;
		e->agent = p ? p->agent : 0;
		e->ppid = p ? p->ppid : BPF_CORE_READ(task, real_parent, tgid);
		e->fork_exec_ns = p && p->fork_ns && p->exec_ns ? p->exec_ns - p->fork_ns : 0;
		e->exec_exit_ns = p && p->exec_ns ? now - p->exec_ns : 0;
		e->life_ns = p && p->fork_ns ? now - p->fork_ns : 0;
		e->exit_ns = now;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		/* waking the reader costs microseconds per exit: wake it only
		 * when a quarter of the ring is used; it also polls on a timer */
		bpf_ringbuf_submit(e, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >
					      RINGBUF_WAKE_BYTES ? BPF_RB_FORCE_WAKEUP
								 : BPF_RB_NO_WAKEUP);
	} else {
		__sync_fetch_and_add(&spawn_stats.ringbuf_drops, 1);
	}
	bpf_map_delete_elem(&procs, &tgid);
	return 0;
}
