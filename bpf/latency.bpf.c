// SPDX-License-Identifier: GPL-2.0
/* write->read latency on the bus filesystem: a write by a tree process to a
 * regular file on the bus device is remembered (inode, end offset, time);
 * the first read by another process that returns those bytes is a sample. */
#include "vmlinux.h"
#include "common.bpf.h"
#include "latency.h"
#include "syscall_nr.h"

char LICENSE[] SEC("license") = "GPL";

#define S_IFMT 00170000
#define S_IFREG 0100000

/* Set by user space before load: the bus filesystem, kernel dev_t. */
const volatile __u32 bus_dev = 0;

/* What the exit hook learns about the call from the fd and registers. */
struct lat_call {
	struct file *file;
	__u64 ino;
	__u64 pos;       /* offset before the call */
	__u64 size;      /* file size after the call */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_MAX_INODES);
	__type(key, __u64);
	__type(value, struct lat_pending);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_MAX_INODES);
	__type(key, __u64);
	__type(value, struct lat_stat);
} inodes SEC(".maps");

struct lat_totals totals = {};
static const struct lat_pending zero_pending;
static const struct lat_stat zero_stat;

/* Exit hook only: the syscall's arguments are still in the saved user
 * registers at sys_exit, so no enter hook (and no per-thread map) is
 * needed. Fills c and returns true if fd is a regular file on the bus
 * device. */
/* Turns the raw pointer read from the fd array into a BTF pointer, so the
 * file/inode fields below are plain (fault-safe) loads instead of one
 * bpf_probe_read_kernel() call each: this runs for every read and write of
 * every traced process. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

static __always_inline bool bus_call(struct lat_call *c, struct pt_regs *regs, long ret,
				     bool has_pos)
{
	struct task_struct *t = bpf_get_current_task_btf();
	unsigned int fd = PT_REGS_PARM1_SYSCALL(regs);
	struct fdtable *fdt = t->files->fdt;
	struct inode *inode;
	void *raw = NULL;
	struct file *f;

	if (fd >= fdt->max_fds)
		return false;
	if (bpf_probe_read_kernel(&raw, sizeof(raw), &fdt->fd[fd]) || !raw)
		return false;
	f = bpf_rdonly_cast(raw, bpf_core_type_id_kernel(struct file));
	inode = f->f_inode;
	if (!inode || inode->i_sb->s_dev != bus_dev)
		return false;
	if ((inode->i_mode & S_IFMT) != S_IFREG)
		return false;
	c->file = raw;
	c->ino = inode->i_ino;
	/* read/write moved f_pos by ret; pread/pwrite took it as 4th arg */
	c->pos = has_pos ? PT_REGS_PARM4_SYSCALL(regs) : f->f_pos - ret;
	c->size = inode->i_size;
	return true;
}

static __always_inline struct lat_stat *inode_stat(const struct lat_call *c)
{
	struct lat_stat *st = bpf_map_lookup_elem(&inodes, &c->ino);
	struct file *f = c->file; /* CO-RE reads need a kernel type at the root */
	const unsigned char *name;

	if (st)
		return st;
	if (bpf_map_update_elem(&inodes, &c->ino, &zero_stat, BPF_NOEXIST) == 0) {
		st = bpf_map_lookup_elem(&inodes, &c->ino);
		if (st) {
			name = BPF_CORE_READ(f, f_path.dentry, d_name.name);
			bpf_probe_read_kernel_str(st->name, sizeof(st->name), name);
		}
	}
	st = bpf_map_lookup_elem(&inodes, &c->ino);
	if (!st)
		__sync_fetch_and_add(&totals.map_full, 1);
	return st;
}

static __always_inline int write_exit(struct pt_regs *regs, long ret, bool has_pos)
{
	__u32 tgid = current_tgid();
	struct lat_pending *q;
	struct lat_call c;
	struct lat_stat *st;
	__u32 i;

	if (!tgid_tracked(tgid))
		return 0;
	if (ret <= 0 || !bus_call(&c, regs, ret, has_pos))
		return 0;
	/* messages are appended; a write that ends before the end of the
	 * file rewrites state in place (an inbox header, a cursor) and is not
	 * a message anyone waits for */
	if (c.pos + ret < c.size)
		return 0;
	st = inode_stat(&c);
	if (st) {
		__sync_fetch_and_add(&st->writes, 1);
		__sync_fetch_and_add(&st->bytes_written, ret);
	}
	q = lookup_or_init(&pending, &c.ino, &zero_pending);
	if (!q) {
		__sync_fetch_and_add(&totals.map_full, 1);
		return 0;
	}
	if (q->count >= LAT_RING) {
		/* the oldest unread writes are kept: they bound the latency */
		__sync_fetch_and_add(&q->overflow, 1);
		__sync_fetch_and_add(&totals.overflow, 1);
		return 0;
	}
	i = (q->head + q->count) & (LAT_RING - 1);
	q->ts[i] = bpf_ktime_get_ns();
	q->end[i] = c.pos + ret;
	q->tgid[i] = tgid;
	q->count++;
	return 0;
}

static __always_inline int read_exit(struct pt_regs *regs, long ret, bool has_pos)
{
	__u32 tgid = current_tgid();
	struct lat_pending *q;
	struct lat_stat *st;
	struct lat_call c;
	__u64 now, end, d;
	__u32 i;

	if (!tgid_tracked(tgid))
		return 0;
	if (ret <= 0 || !bus_call(&c, regs, ret, has_pos))
		return 0;
	q = bpf_map_lookup_elem(&pending, &c.ino);
	if (!q || !q->count)
		return 0;
	st = inode_stat(&c);
	if (st) {
		struct file *f = c.file;

		__sync_fetch_and_add(&st->bytes_read, ret);
		/* files are often written under a temporary name and renamed
		 * into place: take the name again when they are read */
		bpf_probe_read_kernel_str(st->name, sizeof(st->name),
					  BPF_CORE_READ(f, f_path.dentry, d_name.name));
	}
	end = c.pos + ret;
	now = bpf_ktime_get_ns();
#pragma unroll
	for (int k = 0; k < LAT_RING; k++) {
		if (!q->count)
			break;
		i = q->head & (LAT_RING - 1);
		if (q->end[i] > end)
			break; /* this read stopped before those bytes */
		if (q->tgid[i] != tgid) {
			/* a process reading back its own write is not a delivery */
			d = now - q->ts[i];
			__sync_fetch_and_add(&totals.samples, 1);
			hist_add(totals.lat_us, d / 1000);
			if (st) {
				__sync_fetch_and_add(&st->samples, 1);
				hist_add(st->lat_us, d / 1000);
				if (d > st->max_ns)
					st->max_ns = d;
			}
		}
		q->head = (q->head + 1) & (LAT_RING - 1);
		q->count--;
	}
	return 0;
}

/* One raw syscall-exit hook with a switch on the number, not eight perf
 * syscall tracepoints: cheaper per event, and nothing to wait for at
 * detach. The number is the first filter here: it is a register compare,
 * cheaper than the tracked-tgid lookup that follows. */
SEC("tp_btf/sys_exit")
int BPF_PROG(lat_sys_exit, struct pt_regs *regs, long ret)
{
	switch (regs->orig_ax) {
	case NR_write: case NR_writev:
		return write_exit(regs, ret, false);
	case NR_pwrite64: case NR_pwritev:
		return write_exit(regs, ret, true);
	case NR_read: case NR_readv:
		return read_exit(regs, ret, false);
	case NR_pread64: case NR_preadv:
		return read_exit(regs, ret, true);
	}
	return 0;
}
