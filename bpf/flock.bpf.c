// SPDX-License-Identifier: GPL-2.0
/* flock contention: time each flock(LOCK_EX/LOCK_SH) spends in the kernel,
 * per lock file, and whether it had to wait (filelock/flock_lock_inode
 * returned FILE_LOCK_DEFERRED before granting). */
#include "vmlinux.h"
#include "common.bpf.h"
#include "flock.h"

char LICENSE[] SEC("license") = "GPL";

#define LOCK_NB 4
#define LOCK_UN 8
#define FILE_LOCK_DEFERRED 1
#define EWOULDBLOCK 11

struct flock_call {
	__u64 start_ns;
	struct flock_key key;
	__u32 contended;
	__u32 pad;
	struct file *file;
};

/* In-flight flock() calls, by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TRACE_MAX_TGIDS);
	__type(key, __u32);
	__type(value, struct flock_call);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FLOCK_MAX_LOCKS);
	__type(key, struct flock_key);
	__type(value, struct flock_stat);
} locks SEC(".maps");

struct flock_totals totals = {};
static const struct flock_stat zero_stat;

SEC("tp/syscalls/sys_enter_flock")
int flock_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct flock_call c = {};
	struct inode *inode;
	struct file *f;

	if (!tgid_tracked(id >> 32))
		return 0;
	if (ctx->args[1] & LOCK_UN)
		return 0; /* unlocks never wait */
	f = fd_to_file((unsigned int)ctx->args[0]);
	if (!f)
		return 0;
	inode = BPF_CORE_READ(f, f_inode);
	c.key.ino = BPF_CORE_READ(inode, i_ino);
	c.key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	c.file = f;
	c.start_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&calls, &tid, &c, BPF_ANY);
	return 0;
}

/* Fires once per attempt inside flock_lock_inode_wait(): ret 1 means the
 * caller is about to sleep behind a conflicting lock. */
SEC("tp/filelock/flock_lock_inode")
int flock_attempt(struct trace_event_raw_filelock_lock *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct flock_call *c;

	if (!tgid_tracked(id >> 32))
		return 0;
	c = bpf_map_lookup_elem(&calls, &tid);
	if (c && (ctx->ret == FILE_LOCK_DEFERRED || ctx->ret == -EWOULDBLOCK))
		c->contended = 1;
	return 0;
}

static __always_inline void name_from_file(char *dst, struct file *f)
{
	const unsigned char *n = BPF_CORE_READ(f, f_path.dentry, d_name.name);

	bpf_probe_read_kernel_str(dst, TRACE_NAME_LEN, n);
}

SEC("tp/syscalls/sys_exit_flock")
int flock_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct flock_stat *st;
	struct flock_call *c;
	__u64 wait;
	long ret;

	if (!tgid_tracked(id >> 32))
		return 0;
	c = bpf_map_lookup_elem(&calls, &tid);
	if (!c)
		return 0;
	wait = bpf_ktime_get_ns() - c->start_ns;
	ret = ctx->ret;
	__sync_fetch_and_add(&totals.calls, 1);
	st = bpf_map_lookup_elem(&locks, &c->key);
	if (!st) {
		if (bpf_map_update_elem(&locks, &c->key, &zero_stat, BPF_NOEXIST) == 0) {
			st = bpf_map_lookup_elem(&locks, &c->key);
			if (st)
				name_from_file(st->name, c->file);
		}
		st = bpf_map_lookup_elem(&locks, &c->key);
	}
	if (!st) {
		__sync_fetch_and_add(&totals.map_full, 1);
		goto out;
	}
	if (ret == 0) {
		__sync_fetch_and_add(&st->acquisitions, 1);
		if (c->contended)
			__sync_fetch_and_add(&st->contended, 1);
		__sync_fetch_and_add(&st->wait_ns_total, wait);
		if (wait > st->wait_ns_max)
			st->wait_ns_max = wait; /* racy max: worst case a near tie is lost */
		hist_add(st->wait_us, wait / 1000);
		hist_add(totals.wait_us, wait / 1000);
	} else if (ret == -EWOULDBLOCK) {
		__sync_fetch_and_add(&st->ewouldblock, 1);
	} else {
		__sync_fetch_and_add(&st->errors, 1);
	}
out:
	bpf_map_delete_elem(&calls, &tid);
	return 0;
}
