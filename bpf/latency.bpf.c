// SPDX-License-Identifier: GPL-2.0
/* write->read latency on the bus filesystem: a write by a tree process to a
 * regular file on the bus device is remembered (inode, end offset, time);
 * the first read by another process that returns those bytes is a sample. */
#include "vmlinux.h"
#include "common.bpf.h"
#include "latency.h"

char LICENSE[] SEC("license") = "GPL";

#define S_IFMT 00170000
#define S_IFREG 0100000

/* Set by user space before load: the bus filesystem, kernel dev_t. */
const volatile __u32 bus_dev = 0;

struct lat_call {
	struct file *file;
	__u64 ino;
	__u64 pos;       /* offset before the call */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TRACE_MAX_TGIDS);
	__type(key, __u32);
	__type(value, struct lat_call);
} calls SEC(".maps");

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

/* Remember the call if fd is a regular file on the bus device. has_pos:
 * pread/pwrite give the offset; read/write use the file position. */
static __always_inline int call_enter(unsigned int fd, bool has_pos, __u64 pos)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct lat_call c = {};
	struct inode *inode;
	struct file *f;

	if (!tgid_tracked(id >> 32))
		return 0;
	f = fd_to_file(fd);
	if (!f)
		return 0;
	inode = BPF_CORE_READ(f, f_inode);
	if (BPF_CORE_READ(inode, i_sb, s_dev) != bus_dev)
		return 0;
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFREG)
		return 0;
	c.file = f;
	c.ino = BPF_CORE_READ(inode, i_ino);
	c.pos = has_pos ? pos : BPF_CORE_READ(f, f_pos);
	bpf_map_update_elem(&calls, &tid, &c, BPF_ANY);
	return 0;
}

static __always_inline struct lat_stat *inode_stat(struct lat_call *c)
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

static __always_inline int write_exit(long ret, bool has_pos)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct lat_pending *q;
	struct lat_stat *st;
	struct lat_call *c;
	struct file *f;
	__u32 i;

	if (!tgid_tracked(id >> 32))
		return 0;
	c = bpf_map_lookup_elem(&calls, &tid);
	if (!c)
		return 0;
	if (ret <= 0)
		goto out;
	st = inode_stat(c);
	if (st) {
		__sync_fetch_and_add(&st->writes, 1);
		__sync_fetch_and_add(&st->bytes_written, ret);
	}
	q = lookup_or_init(&pending, &c->ino, &zero_pending);
	if (!q) {
		__sync_fetch_and_add(&totals.map_full, 1);
		goto out;
	}
	if (q->count >= LAT_RING) {
		/* the oldest unread writes are kept: they bound the latency */
		__sync_fetch_and_add(&q->overflow, 1);
		__sync_fetch_and_add(&totals.overflow, 1);
		goto out;
	}
	i = (q->head + q->count) & (LAT_RING - 1);
	q->ts[i] = bpf_ktime_get_ns();
	/* O_APPEND or not, the file position after write() is where the
	 * written bytes end */
	f = c->file;
	q->end[i] = has_pos ? c->pos + ret : BPF_CORE_READ(f, f_pos);
	q->tgid[i] = id >> 32;
	q->count++;
out:
	bpf_map_delete_elem(&calls, &tid);
	return 0;
}

static __always_inline int read_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, tgid = id >> 32;
	struct lat_pending *q;
	struct lat_stat *st;
	struct lat_call *c;
	__u64 now, end, d;
	__u32 i;

	if (!tgid_tracked(tgid))
		return 0;
	c = bpf_map_lookup_elem(&calls, &tid);
	if (!c)
		return 0;
	if (ret <= 0)
		goto out;
	q = bpf_map_lookup_elem(&pending, &c->ino);
	if (!q || !q->count)
		goto out;
	st = inode_stat(c);
	if (st) {
		struct file *f = c->file;

		__sync_fetch_and_add(&st->bytes_read, ret);
		/* files are often written under a temporary name and renamed
		 * into place: take the name again when they are read */
		bpf_probe_read_kernel_str(st->name, sizeof(st->name),
					  BPF_CORE_READ(f, f_path.dentry, d_name.name));
	}
	end = c->pos + ret;
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
out:
	bpf_map_delete_elem(&calls, &tid);
	return 0;
}

SEC("tp/syscalls/sys_enter_write")
int lat_write_enter(struct trace_event_raw_sys_enter *ctx)
{
	return call_enter(ctx->args[0], false, 0);
}

SEC("tp/syscalls/sys_exit_write")
int lat_write_exit(struct trace_event_raw_sys_exit *ctx)
{
	return write_exit(ctx->ret, false);
}

SEC("tp/syscalls/sys_enter_writev")
int lat_writev_enter(struct trace_event_raw_sys_enter *ctx)
{
	return call_enter(ctx->args[0], false, 0);
}

SEC("tp/syscalls/sys_exit_writev")
int lat_writev_exit(struct trace_event_raw_sys_exit *ctx)
{
	return write_exit(ctx->ret, false);
}

SEC("tp/syscalls/sys_enter_pwrite64")
int lat_pwrite_enter(struct trace_event_raw_sys_enter *ctx)
{
	return call_enter(ctx->args[0], true, ctx->args[3]);
}

SEC("tp/syscalls/sys_exit_pwrite64")
int lat_pwrite_exit(struct trace_event_raw_sys_exit *ctx)
{
	return write_exit(ctx->ret, true);
}

SEC("tp/syscalls/sys_enter_read")
int lat_read_enter(struct trace_event_raw_sys_enter *ctx)
{
	return call_enter(ctx->args[0], false, 0);
}

SEC("tp/syscalls/sys_exit_read")
int lat_read_exit(struct trace_event_raw_sys_exit *ctx)
{
	return read_exit(ctx->ret);
}

SEC("tp/syscalls/sys_enter_readv")
int lat_readv_enter(struct trace_event_raw_sys_enter *ctx)
{
	return call_enter(ctx->args[0], false, 0);
}

SEC("tp/syscalls/sys_exit_readv")
int lat_readv_exit(struct trace_event_raw_sys_exit *ctx)
{
	return read_exit(ctx->ret);
}

SEC("tp/syscalls/sys_enter_pread64")
int lat_pread_enter(struct trace_event_raw_sys_enter *ctx)
{
	return call_enter(ctx->args[0], true, ctx->args[3]);
}

SEC("tp/syscalls/sys_exit_pread64")
int lat_pread_exit(struct trace_event_raw_sys_exit *ctx)
{
	return read_exit(ctx->ret);
}
