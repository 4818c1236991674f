// SPDX-License-Identifier: GPL-2.0
/* lock contention: how long each lock call waited, per lock file and kind:
 * flock(2) (filelock/flock_lock_inode) and POSIX record locks, fcntl
 * F_SETLK(W) and lockf(3), and OFD locks (filelock/posix_lock_inode). No
 * syscall hooks, which every syscall on the host would pay for: inside one
 * blocking call the kernel tries, gets FILE_LOCK_DEFERRED (1) and sleeps,
 * then tries again with the same struct file_lock until it gets 0 (or an
 * error). The wait is first attempt -> grant; an uncontended lock is one
 * attempt returning 0. */
#include "flock.h"


#define F_UNLCK 2
#define FILE_LOCK_DEFERRED 1
#define EWOULDBLOCK 11
#define FL_POSIX 1
#define FL_FLOCK 2
#define FL_OFDLCK 1024

/* Before 6.9 the owner/type/file of a lock lived in struct file_lock
 * itself; since then in its embedded file_lock_core `c`. */
struct file_lock___pre69 {
	struct file *fl_file;
	unsigned int fl_flags;
	unsigned char fl_type;
} __attribute__((preserve_access_index));

struct flock_call {
	__u64 start_ns;
	struct flock_key key;
	struct file_lock *fl;   /* same lock object across retries of one call */
	struct file *file;
};

/* A waiting flock() call, by thread id. LRU: a waiter killed mid-wait never
 * comes back, its entry just ages out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TRACE_MAX_TGIDS);
	__type(key, __u32);
	__type(value, struct flock_call);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FLOCK_MAX_LOCKS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct flock_key);
	__type(value, struct flock_stat);
} locks SEC(".maps");

struct flock_totals flock_stats = {};
/* Set before load: a granted wait this long or longer also goes to the
 * ring as a flock_wait_event (for --timeline); 0: none. */
const volatile __u64 lock_event_min_ns = 0;
static const struct flock_stat zero_lock_stat;

static __always_inline void lock_fields(struct file_lock *fl, struct file **file,
					unsigned char *type, __u32 *kind)
{
	unsigned int flags;

	if (bpf_core_field_exists(fl->c)) {
		*file = BPF_CORE_READ(fl, c.flc_file);
		*type = BPF_CORE_READ(fl, c.flc_type);
		flags = BPF_CORE_READ(fl, c.flc_flags);
	} else {
		struct file_lock___pre69 *old = (void *)fl;

		*file = BPF_CORE_READ(old, fl_file);
		*type = BPF_CORE_READ(old, fl_type);
		flags = BPF_CORE_READ(old, fl_flags);
	}
	*kind = flags & FL_OFDLCK ? LOCK_KIND_OFD : flags & FL_POSIX ? LOCK_KIND_POSIX
								: LOCK_KIND_FLOCK;
}

static __always_inline struct flock_stat *lock_stat(const struct flock_key *key,
						    struct file *file)
{
	struct flock_stat *st = bpf_map_lookup_elem(&locks, key);

	if (st)
		return st;
	if (bpf_map_update_elem(&locks, key, &zero_lock_stat, BPF_NOEXIST) == 0) {
		st = bpf_map_lookup_elem(&locks, key);
		if (st)
			file_path((__u64)file, &st->path);
	}
	st = bpf_map_lookup_elem(&locks, key);
	if (!st)
		__sync_fetch_and_add(&flock_stats.map_full, 1);
	return st;
}

/* A long wait, for a timeline: counted as a ring drop when it is full. */
static __always_inline void wait_event(const struct flock_key *key, __u64 wait)
{
	struct flock_wait_event *e;
	struct spawn_proc *p;
	__u32 tgid = current_tgid();

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&spawn_stats.ringbuf_drops, 1);
		return;
	}
	p = bpf_map_lookup_elem(&procs, &tgid);
	e->start_ns = bpf_ktime_get_ns() - wait;
	e->wait_ns = wait;
	e->ino = key->ino;
	e->tgid = tgid;
	e->agent = p ? p->agent : 0;
	e->dev = key->dev;
	e->kind = key->kind;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* The call is over: account it to its lock. */
static __always_inline void finish(const struct flock_key *key, struct file *file,
				   __u64 wait, bool contended, int ret)
{
	struct flock_stat *st = lock_stat(key, file);

	__sync_fetch_and_add(&flock_stats.calls, 1);
	if (key->kind < LOCK_KINDS)
		__sync_fetch_and_add(&flock_stats.calls_kind[key->kind], 1);
	if (!st)
		return;
	if (ret == 0) {
		__sync_fetch_and_add(&st->acquisitions, 1);
		if (contended)
			__sync_fetch_and_add(&st->contended, 1);
		__sync_fetch_and_add(&st->wait_ns_total, wait);
		if (wait > st->wait_ns_max)
			st->wait_ns_max = wait; /* racy max: a near tie may be lost */
		hist_add(st->wait_us, wait / 1000);
		hist_add(flock_stats.wait_us, wait / 1000);
		if (lock_event_min_ns && contended && wait >= lock_event_min_ns)
			wait_event(key, wait);
	} else if (ret == -EWOULDBLOCK) {
		__sync_fetch_and_add(&st->ewouldblock, 1);
	} else {
		__sync_fetch_and_add(&st->errors, 1);
	}
}

static __always_inline int lock_attempt(struct inode *inode, struct file_lock *fl, int ret)
{
	__u64 id = bpf_get_current_pid_tgid(), now;
	__u32 tid = (__u32)id;
	struct flock_call *c, nc = {};
	unsigned char type;
	struct file *file;
	__u32 kind;

	if (!tgid_tracked(id >> 32))
		return 0;
	if (!fl || !inode)
		return 0;
	lock_fields(fl, &file, &type, &kind);
	if (type == F_UNLCK)
		return 0; /* unlock, or the implicit one at close */
	now = bpf_ktime_get_ns();
	c = bpf_map_lookup_elem(&calls, &tid);
	if (c && c->fl != fl) {
		/* a new call while the last one never got its lock: that wait
		 * was interrupted (signal) */
		finish(&c->key, c->file, 0, true, -4 /* EINTR */);
		bpf_map_delete_elem(&calls, &tid);
		c = NULL;
	}
	if (ret == FILE_LOCK_DEFERRED) {
		if (c)
			return 0; /* woken, but someone else got it first */
		nc.start_ns = now;
		nc.fl = fl;
		nc.file = file;
		nc.key.ino = BPF_CORE_READ(inode, i_ino);
		nc.key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
		nc.key.kind = kind;
		bpf_map_update_elem(&calls, &tid, &nc, BPF_ANY);
		return 0;
	}
	if (c) {
		finish(&c->key, c->file, now - c->start_ns, true, ret);
		bpf_map_delete_elem(&calls, &tid);
		return 0;
	}
	nc.key.ino = BPF_CORE_READ(inode, i_ino);
	nc.key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	nc.key.kind = kind;
	finish(&nc.key, file, 0, false, ret);
	return 0;
}

SEC("raw_tp/flock_lock_inode")
int BPF_PROG(flock_attempt, struct inode *inode, struct file_lock *fl, int ret)
{
	return lock_attempt(inode, fl, ret);
}

/* POSIX and OFD locks: also called to unlock (filtered by type) and by
 * F_SETLK without wait (a conflict returns -EAGAIN at once). */
SEC("raw_tp/posix_lock_inode")
int BPF_PROG(posix_attempt, struct inode *inode, struct file_lock *fl, int ret)
{
	return lock_attempt(inode, fl, ret);
}
