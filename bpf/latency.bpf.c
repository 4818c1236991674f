// SPDX-License-Identifier: GPL-2.0
/* publish->consume latency on the bus, from libswarm's own USDT probes
 * (user/bus/swarm_probe.h): swarm:publish fires after a sender moved an
 * inbox's tail (the frames are visible), swarm:consume after a reader took
 * one frame. Both pass the inbox header's fd and a bus position; the
 * header's inode names the inbox. Only frames sent and read through
 * libswarm count; a raw write(2) to a bus file is not a message. No
 * syscall is hooked: a uprobe costs only the processes that hit it.
 *
 * One program for both probes, attached with one uprobe_multi link per
 * binary (user/trace/trace_usdt.c); the attach cookie says which probe fired.
 * The probe sites pin their arguments to rdi, rsi, rdx, so no USDT
 * argument spec is needed. */
#include "latency.h"


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

struct lat_totals lat_stats = {};
static const struct lat_pending zero_pending;
static const struct lat_stat zero_lat_stat;

/* The file behind fd in the current process (NULL if none). Read with
 * probe reads, not cast to a BTF pointer: a type-id relocation would tie
 * the object to the full kernel BTF, and the tracer loads against a
 * minimal one when it can (user/trace/trace_btf.c). */
static __always_inline struct file *fd_file(long fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt = t->files->fdt;
	struct file *f = NULL;

	if (fd < 0 || fd >= fdt->max_fds)
		return NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]))
		return NULL;
	return f;
}

/* Key of an inbox: its header file's device and inode. */
static __always_inline __u64 inbox_key(struct file *f)
{
	struct inode *in = BPF_CORE_READ(f, f_inode);

	return in ? ((__u64)BPF_CORE_READ(in, i_sb, s_dev) << 44) ^ BPF_CORE_READ(in, i_ino) : 0;
}

static __always_inline struct lat_stat *inbox_stat(__u64 key, struct file *f)
{
	struct lat_stat *st = bpf_map_lookup_elem(&inodes, &key);

	if (st)
		return st;
	if (bpf_map_update_elem(&inodes, &key, &zero_lat_stat, BPF_NOEXIST) == 0) {
		st = bpf_map_lookup_elem(&inodes, &key);
		if (st)
			bpf_probe_read_kernel_str(st->name, sizeof(st->name),
						  BPF_CORE_READ(f, f_path.dentry, d_name.name));
	}
	st = bpf_map_lookup_elem(&inodes, &key);
	if (!st)
		__sync_fetch_and_add(&lat_stats.map_full, 1);
	return st;
}

static __always_inline int bus_publish(long hfd, __u64 end, __u64 frames)
{
	__u32 tgid = current_tgid();
	struct lat_pending *q;
	struct lat_stat *st;
	struct file *f;
	__u64 key;
	__u32 i;

	if (!tgid_tracked(tgid))
		return 0;
	f = fd_file(hfd);
	if (!f || !(key = inbox_key(f)))
		return 0;
	st = inbox_stat(key, f);
	if (st) {
		__sync_fetch_and_add(&st->writes, 1);
		__sync_fetch_and_add(&st->frames_written, frames);
	}
	q = bpf_map_lookup_elem(&pending, &key);
	if (!q) {
		bpf_map_update_elem(&pending, &key, &zero_pending, BPF_NOEXIST);
		q = bpf_map_lookup_elem(&pending, &key);
	}
	if (!q) {
		__sync_fetch_and_add(&lat_stats.map_full, 1);
		return 0;
	}
	if (q->count >= LAT_RING) {
		/* the oldest unread publishes are kept: they bound the latency */
		__sync_fetch_and_add(&q->overflow, 1);
		__sync_fetch_and_add(&lat_stats.overflow, 1);
		return 0;
	}
	i = (q->head + q->count) & (LAT_RING - 1);
	q->ts[i] = bpf_ktime_get_ns();
	q->end[i] = end;
	q->tgid[i] = tgid;
	q->count++;
	return 0;
}

struct consume_walk {
	struct lat_pending *q;
	struct lat_stat *st;
	__u64 pos, now;
	__u32 tgid;
};

/* One pending publish: delivered by this consume if it ends at or before
 * pos. bpf_loop: verified once, not once per ring slot. */
static long consume_one(__u32 k, void *arg)
{
	struct consume_walk *w = arg;
	struct lat_pending *q = w->q;
	struct lat_stat *st = w->st;
	__u32 i;
	__u64 d;

	if (!q || !q->count)
		return 1;
	i = q->head & (LAT_RING - 1);
	if (q->end[i] > w->pos)
		return 1; /* those frames are further on */
	if (q->tgid[i] != w->tgid) {
		/* a process reading back its own publish is no delivery */
		d = w->now - q->ts[i];
		__sync_fetch_and_add(&lat_stats.samples, 1);
		hist_add(lat_stats.lat_us, d / 1000);
		if (st) {
			__sync_fetch_and_add(&st->samples, 1);
			hist_add(st->lat_us, d / 1000);
			if (d > st->max_ns)
				st->max_ns = d;
		}
	}
	q->head = (q->head + 1) & (LAT_RING - 1);
	q->count--;
	return 0;
}

static __always_inline int bus_consume(long hfd, __u64 pos)
{
	struct consume_walk w = { .tgid = current_tgid(), .pos = pos };
	struct file *f;
	__u64 key;

	if (!tgid_tracked(w.tgid))
		return 0;
	f = fd_file(hfd);
	if (!f || !(key = inbox_key(f)))
		return 0;
	w.st = inbox_stat(key, f);
	if (w.st)
		__sync_fetch_and_add(&w.st->frames_read, 1);
	w.q = bpf_map_lookup_elem(&pending, &key);
	if (!w.q || !w.q->count)
		return 0;
	w.now = bpf_ktime_get_ns();
	bpf_loop(LAT_RING, consume_one, &w, 0);
	return 0;
}

SEC("uprobe")
int bus_probe(struct pt_regs *ctx)
{
	switch (bpf_get_attach_cookie(ctx)) {
	case LAT_PROBE_PUBLISH:
		return bus_publish((long)ctx->di, ctx->si, ctx->dx);
	case LAT_PROBE_CONSUME:
		return bus_consume((long)ctx->di, ctx->si);
	}
	return 0;
}
