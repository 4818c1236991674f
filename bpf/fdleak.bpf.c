// SPDX-License-Identifier: GPL-2.0
/* fd leaks, from the kernel's own tables: a task iterator that recounts
 * the open fds of every tracked process (run about once a second and for
 * each report), and a task_file iterator that lists what one process
 * holds. spawn.bpf.c counts at fork, exec and exit. */


SEC("iter/task")
int fd_refresh(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct spawn_proc *p;
	__u32 tgid;
	__s32 n;

	if (!task) { /* the end of the walk: its totals are whole now */
		fd_stats.tree_fds = fd_stats.walk_fds;
		fd_stats.tree_procs = fd_stats.walk_procs;
		fd_stats.walk_fds = fd_stats.walk_procs = 0;
		return 0;
	}
	if (task->pid != task->tgid)
		return 0; /* threads share the leader's table */
	tgid = task->tgid;
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (!p)
		return 0;
	n = count_fds(task);
	if (n > 0)
		fd_stats.walk_fds += (__u64)n;
	fd_stats.walk_procs++;
	if (n < p->fd_base) { /* the low-water mark, as spawn.bpf.c */
		p->fd_base = n;
		p->fd_ns = bpf_ktime_get_ns();
	}
	p->fd_now = n;
	if (n > p->fd_peak)
		p->fd_peak = n;
	p->seen_ns = bpf_ktime_get_ns();
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
	r.kind = file_kind(file);
	bpf_probe_read_kernel_str(r.name, sizeof(r.name),
				  BPF_CORE_READ(file, f_path.dentry, d_name.name));
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}
